// Channels: one page per channel with the launch checklist beside the settings it checks. The
// left column holds the state, the Turn on button (greyed out with its reasons while a required
// item is missing) and the checklist, each item leading to the section that fixes it; the right
// column holds those sections (launch-setup.js, launch-agent.js, launch-handoff.js), the preview
// card and the launch history.

import { t, dateTime, locale } from './i18n.js';
import { h, fill, announce, busy } from './ui.js';
import * as common from './launch-common.js';
import * as setup from './launch-setup.js';
import * as agent from './launch-agent.js';
import * as handoff from './launch-handoff.js';
import * as items from './launch-items.js';

const own = {
  ko: {
    'nav.channels': '채널',
    'launch.title': 'AI 에이전트 채널',
    'launch.lead': '채널마다 체크리스트를 마치고 에이전트를 켜세요. 켜진 뒤 받은 메시지에만 답합니다.',
    'launch.checklist': '출시 체크리스트',
    'launch.progress': '필수 {done}/{total} 완료',
    'launch.turn_on': '에이전트 켜기',
    'launch.turn_off': '에이전트 끄기',
    'launch.blocked': '켜려면 다음 필수 항목을 완료하세요:',
    'launch.ready_hint': '필수 항목을 모두 마쳤습니다. 켜면 이후 받은 메시지에 바로 답합니다.',
    'launch.live_since': '{time}부터 운영 중입니다. 그 이후에 받은 메시지에만 답합니다.',
    'launch.off_since': '꺼져 있습니다. 마지막으로 켠 시각: {time}',
    'launch.turned_on': '{channel} 에이전트를 켰습니다.',
    'launch.turned_off': '{channel} 에이전트를 껐습니다.',
    'launch.required': '필수',
    'launch.recommended': '권장',
    'launch.done': '완료',
    'launch.todo': '미완료',
    'launch.go': '설정하기',
    'launch.go_label': '{item} 설정으로 이동',
    'preview.card_title': '미리보기로 시험하기',
    'preview.card_text': '실제 고객에게 보내지 않고 현재 설정으로 에이전트와 대화해 봅니다. 답변, 의도, 신뢰도, 핸드오프 여부와 만들어질 티켓을 볼 수 있습니다.',
    'preview.open': '미리보기 열기',
    'history.title': '출시 기록',
    'history.empty': '아직 기록이 없습니다.',
    'history.when': '시각',
    'history.change': '변경',
    'history.who': '누가',
    'history.why': '사유',
    'history.engine': '시스템',
    'history.r.on': '에이전트 켬',
    'history.r.off': '에이전트 끔',
    'history.r.widget': '{origin}에서 위젯 로드',
    'history.r.settings': '설정 변경: {fields}',
    'history.r.preview': '미리보기 실행',
    'history.r.handoff_test': '테스트 핸드오프 성공',
  },
  en: {
    'nav.channels': 'Channels',
    'launch.title': 'AI agent channels',
    'launch.lead': 'Complete the checklist of a channel, then turn its agent on. It answers only messages received after that.',
    'launch.checklist': 'Launch checklist',
    'launch.progress': '{done} of {total} required done',
    'launch.turn_on': 'Turn on',
    'launch.turn_off': 'Turn off',
    'launch.blocked': 'To turn on, complete these required items:',
    'launch.ready_hint': 'Every required item is done. Once on, the agent answers new messages right away.',
    'launch.live_since': 'Live since {time}. The agent answers only messages received after that.',
    'launch.off_since': 'Turned off. Last turned on {time}.',
    'launch.turned_on': 'The {channel} agent is on.',
    'launch.turned_off': 'The {channel} agent is off.',
    'launch.required': 'Required',
    'launch.recommended': 'Recommended',
    'launch.done': 'Done',
    'launch.todo': 'To do',
    'launch.go': 'Set up',
    'launch.go_label': 'Go to {item}',
    'preview.card_title': 'Try it in the preview',
    'preview.card_text': 'Talk to the agent with the current settings; nothing reaches a customer. You see each reply, the intent, confidence, handoff decision and the ticket it would create.',
    'preview.open': 'Open the preview',
    'history.title': 'Launch history',
    'history.empty': 'Nothing recorded yet.',
    'history.when': 'When',
    'history.change': 'Change',
    'history.who': 'By',
    'history.why': 'Why',
    'history.engine': 'System',
  },
};

const merge = (...all) => ({
  ko: Object.assign({}, ...all.map((s) => s.ko)),
  en: Object.assign({}, ...all.map((s) => s.en)),
});

export const strings = merge(common.strings, items.strings, setup.strings, agent.strings, handoff.strings, own);

// `#/channels` (the nav link, marked current on either channel) shows webchat.
export const nav = [{ href: '#/channels', label: 'nav.channels', roles: ['admin', 'manager'] }];

export const routes = [
  {
    pattern: /^channels(?:\/(webchat|sms))?$/,
    roles: ['admin', 'manager'],
    title: 'nav.channels',
    render: (main, [, channel], ctx) => render(main, channel || 'webchat', ctx),
  },
];

/** Which section fixes each checklist item. */
const SECTION_OF = {
  channel_setup: 'sec-setup',
  intro_message: 'sec-intro',
  skills: 'sec-skills',
  handoff: 'sec-handoff',
  handoff_tested: 'sec-handoff',
  preview_tested: 'sec-preview',
};

async function render(main, channel, ctx) {
  fill(main, h('p', { class: 'muted' }, t('common.loading')));
  const [ch, skills, helpdesks, history] = await Promise.all([
    ctx.api('GET', `/v1/channels/${channel}`),
    ctx.api('GET', `/v1/skills?channel=${channel}`).then((r) => r.skills),
    ctx.api('GET', '/v1/helpdesks'),
    ctx.api('GET', `/v1/channels/${channel}/launch/history`).then((r) => r.transitions),
  ]);
  const panel = h('aside', { class: 'launch-panel', 'aria-labelledby': 'launch-title' });
  const historyBox = h('section', { class: 'card section', id: 'sec-history', 'aria-labelledby': 'sec-history-title' });
  const listeners = [];
  const page = {
    channel, ch, skills, helpdesks, history, ctx,
    /** Saves a settings change; the new view redraws the checklist and whoever listens. */
    async save(patch) {
      page.ch = await ctx.api('PATCH', `/v1/channels/${channel}`, patch);
      await page.changed(page.ch.launch);
      return page.ch;
    },
    /** Redraws with the new checklist (read again when not given) and the history. */
    async changed(launch) {
      try {
        const next = launch || await ctx.api('GET', `/v1/channels/${channel}/launch`);
        page.ch = { ...page.ch, launch: next };
        page.history = (await ctx.api('GET', `/v1/channels/${channel}/launch/history`)).transitions;
      } catch (_) { /* what could not be read again is shown as it was */ }
      drawPanel(panel, page);
      drawHistory(historyBox, page);
      for (const fn of listeners) fn(page.ch);
    },
    onChange: (fn) => listeners.push(fn),
    goTo,
    item: (id) => page.ch.launch.items.find((i) => i.id === id),
  };
  drawPanel(panel, page);
  drawHistory(historyBox, page);
  const sections = h('div', { class: 'launch-sections' },
    channel === 'webchat' ? setup.widgetSection(page) : setup.smsSection(page),
    channel === 'webchat' ? agent.introSection(page) : null,
    agent.skillsSection(page),
    handoff.handoffSection(page),
    previewCard(page),
    historyBox);
  fill(main,
    h('div', { class: 'page-head' },
      h('div', null,
        h('h1', null, t('launch.title')),
        h('p', { class: 'lead' }, t('launch.lead'))),
      common.channelTabs('channels', channel)),
    h('div', { class: 'launch-layout' }, panel, sections));
}

function goTo(id) {
  const target = document.getElementById(id);
  if (!target) return;
  target.scrollIntoView({ behavior: 'smooth', block: 'start' });
  const heading = target.querySelector('h2');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

function drawPanel(panel, page) {
  const { launch } = page.ch;
  const required = launch.items.filter((i) => i.required);
  const doneCount = required.filter((i) => i.done).length;
  const bar = h('span', { class: 'progress-fill' });
  bar.style.width = `${Math.round((doneCount / Math.max(required.length, 1)) * 100)}%`;
  fill(panel,
    h('div', { class: 'card launch-card' },
      h('div', { class: 'launch-head' },
        h('h2', { id: 'launch-title' }, t('launch.checklist')),
        common.stateBadge(launch.state)),
      h('div', { class: 'progress', role: 'img', 'aria-label': t('launch.progress', { done: doneCount, total: required.length }) },
        h('span', { class: 'progress-track' }, bar),
        h('span', { class: 'progress-text', 'aria-hidden': 'true' }, t('launch.progress', { done: doneCount, total: required.length }))),
      switchArea(page),
      h('ol', { class: 'checklist' }, launch.items.map((item) => checkItem(page, item)))));
}

function switchArea(page) {
  const { launch } = page.ch;
  const channelName = t('channel.' + page.channel);
  const live = launch.state === 'live';
  const blocked = launch.blocking.length > 0;
  const button = h('button', {
    type: 'button',
    class: live ? 'danger turn-switch' : 'primary turn-switch',
    id: 'turn-switch',
    disabled: !live && blocked,
    'aria-describedby': 'turn-note',
  }, t(live ? 'launch.turn_off' : 'launch.turn_on'));
  button.addEventListener('click', () => busy(button, async () => {
    try {
      const view = await page.ctx.api('POST', `/v1/channels/${page.channel}/launch/${live ? 'turn-off' : 'turn-on'}`);
      announce(t(live ? 'launch.turned_off' : 'launch.turned_on', { channel: channelName }));
      await page.changed(view);
      document.getElementById('turn-switch')?.focus();
    } catch (err) {
      if (err.body && Array.isArray(err.body.blocking)) {
        await page.changed({ ...launch, blocking: err.body.blocking });
      }
      announce(items.problem(page.channel, err), 'error');
    }
  }));
  let note;
  if (live) {
    note = h('p', { id: 'turn-note', class: 'turn-note live' }, t('launch.live_since', { time: dateTime(launch.activated_at) }));
  } else if (blocked) {
    note = h('div', { id: 'turn-note', class: 'turn-note blocked' },
      h('p', null, t('launch.blocked')),
      h('ul', { class: 'blockers' }, launch.blocking.map((id) => h('li', null,
        h('button', { type: 'button', class: 'link', onclick: () => goTo(SECTION_OF[id]) }, items.title(page.channel, id))))));
  } else {
    note = h('p', { id: 'turn-note', class: 'turn-note ready' },
      launch.state === 'off' && launch.activated_at
        ? t('launch.off_since', { time: dateTime(launch.activated_at) })
        : t('launch.ready_hint'));
  }
  return h('div', { class: `switch-area ${launch.state}` }, button, note);
}

function checkItem(page, item) {
  const title = items.title(page.channel, item.id);
  return h('li', { class: `check-item ${item.done ? 'done' : 'todo'} ${item.required ? 'required' : 'recommended'}`, 'data-item': item.id },
    h('span', { class: 'check-icon', 'aria-hidden': 'true' }, item.done ? '✓' : item.required ? '!' : '○'),
    h('div', { class: 'check-body' },
      h('div', { class: 'check-title' },
        h('strong', null, title),
        h('span', { class: 'visually-hidden' }, ` (${t(item.done ? 'launch.done' : 'launch.todo')})`),
        h('span', { class: `tag ${item.required ? 'required' : ''}` }, t(item.required ? 'launch.required' : 'launch.recommended'))),
      h('p', { class: 'check-detail' }, items.itemText(page, item))),
    h('button', {
      type: 'button',
      class: 'go',
      'aria-label': t('launch.go_label', { item: title }),
      onclick: () => goTo(SECTION_OF[item.id]),
    }, h('span', { 'aria-hidden': 'true' }, '→')));
}

function previewCard(page) {
  const status = h('p', { class: 'section-status' });
  const draw = () => {
    const item = page.item('preview_tested');
    fill(status, item ? h('span', { class: `dot ${item.done ? 'ok' : 'todo'}`, 'aria-hidden': 'true' }) : null,
      item ? items.itemText(page, item) : '');
  };
  draw();
  page.onChange(draw);
  return h('section', { class: 'card section', id: 'sec-preview', 'aria-labelledby': 'sec-preview-title' },
    h('h2', { id: 'sec-preview-title' }, t('preview.card_title')),
    h('p', { class: 'muted' }, t('preview.card_text')),
    status,
    h('a', { class: 'button primary', href: `#/preview/${page.channel}` }, t('preview.open')));
}

/** Field names in the history's reasons, in Korean. */
const FIELDS_KO = {
  intro_message: '소개 메시지', skills: '스킬', handoff: '핸드오프', allowed_origins: '허용 사이트', title: '위젯 제목',
  color: '위젯 색상', locale: '언어', twilio_account_sid: 'Twilio 계정 SID', twilio_auth_token: 'Twilio 인증 토큰',
  phone_number: '발신 번호', twilio_api_base: 'Twilio API 주소', max_segments: '최대 문자 분할 수', help_message: 'HELP 응답',
  escalation_topics: '에스컬레이션 주제', forbidden_words: '금지어', tone: '말투',
};

/** Why a transition happened: the engine's words, in Korean for the reasons it gives most. */
function reasonText(reason) {
  if (locale() !== 'ko') return reason;
  const rules = [
    [/^turned on$/, () => t('history.r.on')],
    [/^turned off$/, () => t('history.r.off')],
    [/^widget loaded on (.+)$/, (m) => t('history.r.widget', { origin: m[1] })],
    [/^settings changed: (.*)$/, (m) => t('history.r.settings', {
      fields: m[1].split(', ').map((f) => FIELDS_KO[f] || f).join(', '),
    })],
    [/^preview ran$/, () => t('history.r.preview')],
    [/^test handoff succeeded$/, () => t('history.r.handoff_test')],
  ];
  for (const [pattern, say] of rules) {
    const m = reason.match(pattern);
    if (m) return say(m);
  }
  return reason;
}

function drawHistory(box, page) {
  const rows = (page.history || []).map((tr) => h('tr', null,
    h('td', { class: 'nowrap' }, dateTime(tr.at)),
    h('td', { class: 'nowrap' }, common.stateBadge(tr.from), h('span', { class: 'arrow', 'aria-hidden': 'true' }, ' → '),
      h('span', { class: 'visually-hidden' }, ' → '), common.stateBadge(tr.to)),
    h('td', null, tr.actor ? tr.actor.name : t('history.engine')),
    h('td', { class: 'reason' }, reasonText(tr.reason))));
  fill(box,
    h('h2', { id: 'sec-history-title' }, t('history.title')),
    rows.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'history' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('history.when')),
          h('th', { scope: 'col' }, t('history.change')),
          h('th', { scope: 'col' }, t('history.who')),
          h('th', { scope: 'col' }, t('history.why')))),
        h('tbody', null, rows)))
      : h('p', { class: 'empty' }, t('history.empty')));
}
