// The preview panel: chat with the agent through the live path with sends captured, and see per
// turn the intent, confidence, skill, handoff decision and the ticket that would be created. The
// conversation can be saved as a `sangdam simulate` script.

import { t, locale } from './i18n.js';
import { h, fill, field, announce, errorText, errorBox, busy } from './ui.js';
import { channelTabs, copyButton } from './launch-common.js';
import * as turnView from './preview-turn.js';
import { buildScript, fileName, download } from './preview-script.js';

const own = {
  ko: {
    'nav.preview': '미리보기',
    'preview.title': '에이전트 미리보기',
    'preview.lead': '현재 채널 설정으로 에이전트와 대화해 봅니다. 고객에게 보내거나 티켓을 만들지 않습니다.',
    'preview.chat': '대화',
    'preview.new': '새 대화',
    'preview.empty': '고객처럼 질문해 보세요. 아래 예시를 눌러도 됩니다.',
    'preview.no_skills': '이 채널에 켜진 스킬이 없어 모든 질문을 핸드오프합니다.',
    'preview.to_channels': '채널 설정으로',
    'preview.input': '고객 메시지',
    'preview.send': '보내기',
    'preview.keys': 'Enter로 보내고 Shift+Enter로 줄을 바꿉니다.',
    'preview.thinking': '에이전트가 답을 만드는 중…',
    'preview.customer': '가상 고객',
    'preview.customer_hint': '주문 조회는 주문할 때의 이메일이나 전화번호로 본인을 확인합니다. 데모 상점: happy@example.com',
    'preview.customer_locked': '대화 중에는 바꿀 수 없습니다. 새 대화를 시작하세요.',
    'preview.name': '이름',
    'preview.email': '이메일',
    'preview.phone': '전화번호',
    'preview.script': '시뮬레이션 스크립트로 저장',
    'preview.script_hint': '이 대화를 sangdam simulate 스크립트로 저장합니다. 각 턴은 에이전트가 한 그대로를 기대값으로 삼습니다.',
    'preview.script_name': '스크립트 이름',
    'preview.script_default': '미리보기 대화',
    'preview.script_text': '스크립트 (YAML)',
    'preview.script_make': 'YAML 만들기',
    'preview.script_download': '내려받기',
    'preview.script_none': '대화를 한 번 이상 나눈 뒤 저장할 수 있습니다.',
    'preview.script_ready': '스크립트를 만들었습니다.',
    'preview.suggest': '예시 질문',
  },
  en: {
    'nav.preview': 'Preview',
    'preview.title': 'Agent preview',
    'preview.lead': "Talk to the agent with the channel's current settings. Nothing is sent to customers and no ticket is created.",
    'preview.chat': 'Conversation',
    'preview.new': 'New conversation',
    'preview.empty': 'Ask what a customer would ask, or pick an example below.',
    'preview.no_skills': 'No skill is enabled on this channel, so every message is handed off.',
    'preview.to_channels': 'Channel settings',
    'preview.input': 'Customer message',
    'preview.send': 'Send',
    'preview.keys': 'Enter sends, Shift+Enter starts a new line.',
    'preview.thinking': 'The agent is answering…',
    'preview.customer': 'Pretend customer',
    'preview.customer_hint': 'Order lookups confirm the customer by the email or phone of the order. Demo shop: happy@example.com',
    'preview.customer_locked': 'Fixed for this conversation. Start a new one to change it.',
    'preview.name': 'Name',
    'preview.email': 'Email',
    'preview.phone': 'Phone',
    'preview.script': 'Save as a simulate script',
    'preview.script_hint': 'Saves this conversation as a sangdam simulate script; each turn expects what the agent just did.',
    'preview.script_name': 'Script name',
    'preview.script_default': 'preview conversation',
    'preview.script_text': 'Script (YAML)',
    'preview.script_make': 'Make the YAML',
    'preview.script_download': 'Download',
    'preview.script_none': 'Have at least one exchange first.',
    'preview.script_ready': 'The script is ready.',
    'preview.suggest': 'Examples',
  },
};

export const strings = {
  ko: { ...turnView.strings.ko, ...own.ko },
  en: { ...turnView.strings.en, ...own.en },
};

// `#/preview` (the nav link, marked current on either channel) shows webchat.
export const nav = [{ href: '#/preview', label: 'nav.preview', roles: ['admin', 'manager'] }];

export const routes = [
  {
    pattern: /^preview(?:\/(webchat|sms))?$/,
    roles: ['admin', 'manager'],
    title: 'nav.preview',
    render: (main, [, channel], ctx) => render(main, channel || 'webchat', ctx),
  },
];

/** Conversations survive a language switch (which redraws the view), one per channel. */
const kept = { webchat: null, sms: null };

async function render(main, channel, ctx) {
  fill(main, h('p', { class: 'muted' }, t('common.loading')));
  const [ch, skills] = await Promise.all([
    ctx.api('GET', `/v1/channels/${channel}`),
    ctx.api('GET', `/v1/skills?channel=${channel}`).then((r) => r.skills),
  ]);
  const convo = kept[channel] || (kept[channel] = { session: null, turns: [], customer: {}, name: '' });

  const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-labelledby': 'chat-title', tabindex: '0' });
  const input = h('textarea', { id: 'preview-input', name: 'text', rows: '2', maxlength: '4000', 'aria-describedby': 'preview-keys' });
  const send = h('button', { type: 'submit', class: 'primary' }, t('preview.send'));
  const composer = h('form', { class: 'composer' },
    h('label', { for: 'preview-input', class: 'visually-hidden' }, t('preview.input')),
    input, send,
    h('p', { class: 'hint keys', id: 'preview-keys' }, t('preview.keys')));

  const enabled = ch.settings.skills || [];
  const suggestions = skills.filter((s) => enabled.includes(s.id)).flatMap((s) => (s.examples[locale()] || []).slice(0, 1));
  const chips = h('div', { class: 'suggestions', role: 'group', 'aria-label': t('preview.suggest') },
    suggestions.slice(0, 6).map((text) => h('button', {
      type: 'button', class: 'chip-button',
      onclick: () => { input.value = text; input.focus(); },
    }, text)));

  const customerFields = ['name', 'email', 'phone'].map((k) => {
    const el = h('input', { name: 'customer_' + k, type: k === 'email' ? 'email' : k === 'phone' ? 'tel' : 'text', autocomplete: 'off' });
    el.value = convo.customer[k] || '';
    el.addEventListener('input', () => { convo.customer[k] = el.value.trim(); });
    return { k, el };
  });
  const lockNote = h('p', { class: 'hint' });
  const drawLock = () => {
    const locked = convo.turns.length > 0;
    for (const { el } of customerFields) el.disabled = locked;
    lockNote.textContent = locked ? t('preview.customer_locked') : t('preview.customer_hint');
  };

  const scriptName = h('input', { name: 'script_name', autocomplete: 'off', value: convo.name || t('preview.script_default') });
  scriptName.addEventListener('input', () => { convo.name = scriptName.value; });
  const yaml = h('textarea', { name: 'script', class: 'code', rows: '10', spellcheck: 'false' });
  const make = h('button', { type: 'button', id: 'make-script' }, t('preview.script_make'));
  const save = h('button', { type: 'button', class: 'primary', id: 'download-script' }, t('preview.script_download'));
  const scriptNote = h('p', { class: 'hint', role: 'status' });
  const scriptBox = h('div', { class: 'script-out' }, field(t('preview.script_text'), yaml),
    h('div', { class: 'actions' }, save, copyButton(() => yaml.value, t('preview.script_text'))));
  const drawScript = () => {
    make.disabled = convo.turns.length === 0;
    scriptNote.textContent = convo.turns.length ? '' : t('preview.script_none');
    if (!yaml.value) scriptBox.hidden = true;
  };
  const makeScript = () => {
    yaml.value = buildScript({
      name: scriptName.value.trim() || t('preview.script_default'),
      channel,
      customer: convo.customer,
      skills: enabled,
      handoff: ch.settings.handoff,
      turns: convo.turns,
    });
    scriptBox.hidden = false;
    announce(t('preview.script_ready'));
  };
  make.addEventListener('click', makeScript);
  save.addEventListener('click', () => {
    if (!yaml.value) makeScript();
    download(yaml.value, fileName(scriptName.value.trim() || t('preview.script_default')));
  });

  const drawLog = () => {
    if (!convo.turns.length) {
      fill(log, h('div', { class: 'log-empty' },
        h('p', null, t('preview.empty')),
        enabled.length ? null : h('p', { class: 'warn-text' }, t('preview.no_skills'), ' ',
          h('a', { href: `#/channels/${channel}` }, t('preview.to_channels'))),
        chips));
      return;
    }
    fill(log, convo.turns.map((turn) => turnView.turnView(turn, skills)));
  };
  const redraw = () => { drawLog(); drawLock(); drawScript(); };

  const submit = () => busy(send, async () => {
    const text = input.value.trim();
    if (!text) return;
    const body = { text };
    if (convo.session) body.session = convo.session;
    const who = Object.fromEntries(Object.entries(convo.customer).filter(([, v]) => v));
    if (Object.keys(who).length) body.customer = who;
    const pending = h('p', { class: 'bubble bot pending', role: 'status' }, t('preview.thinking'));
    if (!convo.turns.length) fill(log);
    log.append(h('div', { class: 'msg from-customer' }, h('p', { class: 'bubble customer' }, text)), pending);
    log.scrollTop = log.scrollHeight;
    input.value = '';
    try {
      const res = await ctx.api('POST', `/v1/channels/${channel}/preview`, body);
      convo.session = res.session;
      convo.turns.push({ n: convo.turns.length + 1, say: text, at: new Date().toISOString(), replies: res.replies, trace: res.trace, ticket: res.ticket || null });
      yaml.value = '';
      redraw();
    } catch (err) {
      drawLog();
      log.append(errorBox(err));
      input.value = text;
      announce(errorText(err), 'error');
    }
    const last = log.lastElementChild;
    if (last) last.scrollIntoView({ block: 'nearest' });
    input.focus();
  });
  composer.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  const restart = h('button', { type: 'button', id: 'new-conversation' }, t('preview.new'));
  restart.addEventListener('click', () => {
    convo.session = null;
    convo.turns = [];
    yaml.value = '';
    redraw();
    input.focus();
  });

  fill(main,
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, t('preview.title')), h('p', { class: 'lead' }, t('preview.lead'))),
      channelTabs('preview', channel)),
    h('div', { class: 'preview-layout' },
      h('section', { class: 'card chat', 'aria-labelledby': 'chat-title' },
        h('div', { class: 'chat-head' }, h('h2', { id: 'chat-title' }, t('preview.chat')), restart),
        log,
        composer),
      h('div', { class: 'preview-side' },
        h('section', { class: 'card', 'aria-labelledby': 'customer-title' },
          h('h2', { id: 'customer-title' }, t('preview.customer')),
          customerFields.map(({ k, el }) => field(t('preview.' + k), el)),
          lockNote),
        h('section', { class: 'card', id: 'script-card', 'aria-labelledby': 'script-title' },
          h('h2', { id: 'script-title' }, t('preview.script')),
          h('p', { class: 'hint' }, t('preview.script_hint')),
          field(t('preview.script_name'), scriptName),
          h('div', { class: 'actions' }, make),
          scriptNote,
          scriptBox))));
  redraw();
  const last = log.lastElementChild;
  if (last && convo.turns.length) last.scrollIntoView({ block: 'nearest' });
}
