// The handoff section: where what the agent can't answer goes (a helpdesk ticket, the counselor
// queue, or a static reply), the message the customer gets, and the Test handoff button with its
// result — the ticket link, or the helpdesk's own words when it refuses.

import { t, locale } from './i18n.js';
import { h, fill, field, uid, announce, busy } from './ui.js';
import { problem } from './launch-items.js';
import { textPair } from './launch-common.js';
import { itemStatus } from './launch-agent.js';
import * as helpdesk from './launch-helpdesk.js';

export const strings = {
  ko: {
    ...helpdesk.strings.ko,
    'handoff.title': '상담 연결(핸드오프)',
    'handoff.lead': '에이전트가 답할 수 없거나 고객이 사람을 찾을 때 대화를 넘길 곳입니다. 넘길 때 고객은 항상 연결 메시지를 받습니다.',
    'handoff.action': '넘길 곳',
    'handoff.helpdesk_desc': '헬프데스크(Zendesk, Freshdesk, Gorgias, 웹훅)에 대화 기록이 담긴 티켓을 만듭니다.',
    'handoff.queue_desc': '콘솔의 상담원 대기열로 보내 상담원이 이어서 답합니다.',
    'handoff.static_desc': '어디로 문의하면 되는지 안내 메시지만 보냅니다.',
    'handoff.helpdesk': '티켓을 만들 헬프데스크',
    'handoff.pick': '선택하세요',
    'handoff.verified': '확인됨',
    'handoff.unverified': '확인 안 됨',
    'handoff.no_helpdesk': '연결된 헬프데스크가 없습니다. 아래에서 먼저 연결하세요.',
    'handoff.message': '고객에게 보낼 연결 메시지',
    'handoff.message_hint': '쓸 수 있는 값: {{customer_name}}, {{ticket_id}}, {{ticket_url}}. 티켓 번호를 넣으면 티켓이 만들어진 뒤 보냅니다.',
    'handoff.placeholder.helpdesk': '상담원이 확인 후 이메일로 연락드릴게요. 접수 번호: {{ticket_id}}',
    'handoff.placeholder.queue': '상담원을 연결해 드릴게요. 잠시만 기다려 주세요.',
    'handoff.placeholder.static': '평일 오전 9시~오후 6시에 1588-0000으로 전화 주시면 도와드릴게요.',
    'handoff.more': '이해하지 못했을 때',
    'handoff.max_fallbacks': '넘기기 전 다시 묻는 횟수',
    'handoff.max_fallbacks_hint': '1이면 처음 이해하지 못했을 때 바로 넘깁니다.',
    'handoff.fallback_message': '다시 말해 달라고 할 때의 메시지',
    'handoff.saved': '핸드오프 설정을 저장했습니다.',
    'handoff.test': '테스트 핸드오프',
    'handoff.test_hint': '테스트 고객으로 실제 핸드오프를 한 번 실행합니다. 헬프데스크에는 test 태그가 붙은 티켓이 만들어집니다.',
    'handoff.test_ok': '테스트 핸드오프가 성공했습니다.',
    'handoff.test_failed': '테스트 핸드오프가 실패했습니다.',
    'handoff.test_message': '고객이 받을 메시지',
    'handoff.ticket': '만들어진 티켓: {helpdesk} #{id}',
    'handoff.open_ticket': '티켓 열기',
    'handoff.test_detail.queue': '넘겨진 대화는 상담원 대기열에서 상담원을 기다립니다.',
    'handoff.test_detail.static': '고객은 안내 메시지를 받고, 대화는 상담원 대기열에서 기다립니다.',
  },
  en: {
    ...helpdesk.strings.en,
    'handoff.title': 'Handoff',
    'handoff.lead': "Where conversations go when the agent can't answer or the customer asks for a person. The customer always gets the handoff message.",
    'handoff.action': 'Send handed-off conversations to',
    'handoff.helpdesk_desc': 'A ticket with the transcript in your helpdesk (Zendesk, Freshdesk, Gorgias or a webhook).',
    'handoff.queue_desc': "The console's counselor queue, where a counselor takes over.",
    'handoff.static_desc': 'Only a reply telling the customer where to follow up.',
    'handoff.helpdesk': 'Helpdesk for tickets',
    'handoff.pick': 'Choose one',
    'handoff.verified': 'verified',
    'handoff.unverified': 'not verified',
    'handoff.no_helpdesk': 'No helpdesk is connected yet. Connect one below first.',
    'handoff.message': 'Handoff message to the customer',
    'handoff.message_hint': 'May use {{customer_name}}, {{ticket_id}} and {{ticket_url}}; a message naming the ticket is sent once the ticket exists.',
    'handoff.placeholder.helpdesk': "A teammate will email you shortly. Your ticket number is {{ticket_id}}.",
    'handoff.placeholder.queue': "I'm connecting you with a teammate. Please hold on a moment.",
    'handoff.placeholder.static': 'Please call 1588-0000 on weekdays from 9am to 6pm and we will help you.',
    'handoff.more': "When the agent doesn't understand",
    'handoff.max_fallbacks': 'Times to ask again before handing off',
    'handoff.max_fallbacks_hint': '1 hands off the first time the agent does not understand.',
    'handoff.fallback_message': 'Message asking the customer to rephrase',
    'handoff.saved': 'Handoff settings saved.',
    'handoff.test': 'Test handoff',
    'handoff.test_hint': 'Runs one real handoff from a test customer; in a helpdesk it creates a ticket tagged test.',
    'handoff.test_ok': 'The test handoff succeeded.',
    'handoff.test_failed': 'The test handoff failed.',
    'handoff.test_message': 'What the customer gets',
    'handoff.ticket': 'Ticket created: {helpdesk} #{id}',
    'handoff.open_ticket': 'Open the ticket',
  },
};

const ACTIONS = ['helpdesk', 'queue', 'static'];

export function handoffSection(page) {
  const current = page.ch.settings.handoff || {};
  const group = uid('action');
  const radios = ACTIONS.map((action) => {
    const input = h('input', { type: 'radio', name: group, value: action, id: `${group}-${action}`, 'aria-describedby': `${group}-${action}-desc` });
    input.checked = (current.action || '') === action;
    return h('label', { class: 'choice', for: input.id }, input,
      h('span', { class: 'choice-text' },
        h('strong', null, t('action.' + action)),
        h('span', { class: 'choice-desc', id: `${group}-${action}-desc` }, t(`handoff.${action}_desc`))));
  });
  const chosen = () => (radios.map((r) => r.querySelector('input')).find((i) => i.checked) || {}).value || '';

  const helpdeskSelect = h('select', { name: 'helpdesk' });
  const helpdeskNote = h('p', { class: 'hint' });
  const drawHelpdesks = () => {
    const list = page.helpdesks.helpdesks || [];
    const selected = helpdeskSelect.value || current.helpdesk || '';
    fill(helpdeskSelect, h('option', { value: '' }, t('handoff.pick')),
      list.map((x) => h('option', { value: x.name, selected: x.name === selected },
        `${x.title} — ${t(x.verified ? 'handoff.verified' : 'handoff.unverified')}`)));
    helpdeskNote.textContent = list.length ? '' : t('handoff.no_helpdesk');
  };
  drawHelpdesks();
  const connect = helpdesk.helpdeskConnect(page, (name) => {
    drawHelpdesks();
    helpdeskSelect.value = name;
  });
  // Not a <form>: the helpdesk connection inside it is a form of its own.
  const helpdeskBox = h('div', { class: 'helpdesk-box' }, field(t('handoff.helpdesk'), helpdeskSelect), helpdeskNote, connect);

  const both = (key) => ({ ko: strings.ko[key], en: strings.en[key] });
  const message = textPair({
    name: 'handoff_message', label: t('handoff.message'), value: current.message, max: 1000, hint: t('handoff.message_hint'),
  });
  const fallbacks = h('select', { name: 'max_fallbacks' }, [1, 2, 3, 4, 5].map((n) =>
    h('option', { value: String(n), selected: n === (current.max_fallbacks || 1) }, String(n))));
  const fallbackMessage = textPair({
    name: 'fallback_message', label: t('handoff.fallback_message'), value: current.fallback_message, max: 1000, rows: 2,
  });

  const sync = () => {
    const action = chosen();
    helpdeskBox.hidden = action !== 'helpdesk';
    const placeholder = action ? both('handoff.placeholder.' + action) : {};
    for (const [lang, box] of Object.entries(message.boxes)) box.placeholder = placeholder[lang] || '';
  };
  for (const r of radios) r.querySelector('input').addEventListener('change', sync);
  sync();

  const status = h('p', { class: 'form-status', role: 'alert' });
  const save = h('button', { type: 'button', class: 'primary', id: 'save-handoff' }, t('common.save'));
  const form = h('div', { class: 'settings-form handoff-form' },
    h('fieldset', { class: 'choices' }, h('legend', null, t('handoff.action')), radios),
    helpdeskBox,
    message.el,
    h('details', { class: 'more', open: (current.max_fallbacks || 1) > 1 || !!current.fallback_message },
      h('summary', null, t('handoff.more')),
      field(t('handoff.max_fallbacks'), fallbacks, t('handoff.max_fallbacks_hint')),
      fallbackMessage.el),
    status,
    h('div', { class: 'actions' }, save));
  save.addEventListener('click', () => {
    busy(save, async () => {
      status.textContent = '';
      const action = chosen();
      if (!action) {
        status.textContent = t('handoff.action') + ' — ' + t('handoff.pick');
        return;
      }
      const settings = { action, message: message.value() };
      if (action === 'helpdesk' && helpdeskSelect.value) settings.helpdesk = helpdeskSelect.value;
      // Kept as it is: the page has no box for it yet.
      if (action !== 'helpdesk' && current.off_hours_message) settings.off_hours_message = current.off_hours_message;
      if (Number(fallbacks.value) > 1) settings.max_fallbacks = Number(fallbacks.value);
      if (fallbackMessage.value()) settings.fallback_message = fallbackMessage.value();
      try {
        await page.save({ handoff: settings });
        announce(t('handoff.saved'));
      } catch (err) {
        status.textContent = problem(page.channel, err);
      }
    });
  });

  return h('section', { class: 'card section', id: 'sec-handoff', 'aria-labelledby': 'sec-handoff-title' },
    h('h2', { id: 'sec-handoff-title' }, t('handoff.title')),
    h('p', { class: 'muted' }, t('handoff.lead')),
    itemStatus(page, 'handoff'),
    form,
    testBlock(page));
}

/** What the test did: the engine's words, or in Korean the same said here. */
function testDetail(res) {
  if (locale() !== 'ko' || res.action === 'helpdesk') return res.detail;
  return t('handoff.test_detail.' + res.action);
}

function testBlock(page) {
  const result = h('div', { class: 'test-result', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'test-handoff' }, t('handoff.test'));
  button.addEventListener('click', () => busy(button, async () => {
    fill(result);
    try {
      const res = await page.ctx.api('POST', `/v1/channels/${page.channel}/handoff/test`);
      const ticket = res.ticket;
      fill(result, h('div', { class: 'result ok' },
        h('p', { class: 'result-title' }, '✓ ', t('handoff.test_ok')),
        h('p', { class: 'muted' }, testDetail(res)),
        h('p', { class: 'result-label' }, t('handoff.test_message')),
        h('p', { class: 'bubble bot' }, res.message),
        ticket ? h('p', { class: 'ticket-line' }, t('handoff.ticket', { helpdesk: ticket.helpdesk, id: ticket.id }), ' ',
          ticket.url ? h('a', { href: ticket.url, target: '_blank', rel: 'noopener' }, t('handoff.open_ticket'), ' ↗') : null) : null));
      await page.changed();
    } catch (err) {
      fill(result, h('div', { class: 'result bad' },
        h('p', { class: 'result-title' }, t('handoff.test_failed')),
        h('p', null, problem(page.channel, err))));
    }
  }));
  return h('div', { class: 'test-block' },
    h('h3', null, t('handoff.test')),
    itemStatus(page, 'handoff_tested'),
    h('p', { class: 'hint' }, t('handoff.test_hint')),
    button,
    result);
}
