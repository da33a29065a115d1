// One preview turn on screen: what the pretend customer said, the replies, how the agent
// understood it (intent, confidence, skill, handoff decision) and the ticket it would create.

import { t, shortTime, locale } from './i18n.js';
import { h } from './ui.js';
import { skillName, reasonLabel } from './launch-common.js';

export const strings = {
  ko: {
    'turn.label': '{n}번째 대화',
    'turn.customer': '고객',
    'turn.agent': '에이전트',
    'turn.no_reply': '(보낼 답변 없음)',
    'trace.title': '판단 과정',
    'trace.intent': '의도',
    'trace.confidence': '신뢰도',
    'trace.skill': '답한 스킬',
    'trace.handoff': '핸드오프',
    'trace.out_of_scope': '범위 밖',
    'trace.none': '없음',
    'trace.no_handoff': '넘기지 않음',
    'trace.router': '라우터: {router} · 언어: {locale}',
    'trace.masked': '금지어를 가렸습니다',
    'trace.llm_error': 'LLM을 쓰지 못했습니다: {error}',
    'ticket.title': '만들어질 티켓',
    'ticket.not_sent': '미리보기이므로 보내지 않았습니다.',
    'ticket.queue_note': '티켓 대신 상담원 대기열로 들어갑니다. 상담원에게는 같은 내용이 보입니다.',
    'ticket.static_note': '전달하지 않고 안내 메시지만 보냅니다. 대화는 대기 목록에 남습니다.',
    'ticket.subject': '제목',
    'ticket.reason': '사유',
    'ticket.customer': '고객',
    'ticket.tags': '태그',
    'ticket.transcript': '대화 기록',
    'ticket.request': '헬프데스크로 보낼 요청 (비밀 값은 ***)',
    'ticket.no_request': '헬프데스크 연동이 설정되면 보낼 요청도 보여 줍니다.',
  },
  en: {
    'turn.label': 'Turn {n}',
    'turn.customer': 'Customer',
    'turn.agent': 'Agent',
    'turn.no_reply': '(no reply would be sent)',
    'trace.title': 'How the agent decided',
    'trace.intent': 'Intent',
    'trace.confidence': 'Confidence',
    'trace.skill': 'Skill',
    'trace.handoff': 'Handoff',
    'trace.out_of_scope': 'Out of scope',
    'trace.none': 'None',
    'trace.no_handoff': 'No',
    'trace.router': 'Router: {router} · language: {locale}',
    'trace.masked': 'A forbidden word was masked',
    'trace.llm_error': 'The LLM was not used: {error}',
    'ticket.title': 'Ticket it would create',
    'ticket.not_sent': 'This is a preview: nothing was sent.',
    'ticket.queue_note': 'No ticket: the conversation enters the counselor queue, where counselors see the same content.',
    'ticket.static_note': 'Not forwarded: the customer gets the static reply, and the conversation stays in the waiting list.',
    'ticket.subject': 'Subject',
    'ticket.reason': 'Reason',
    'ticket.customer': 'Customer',
    'ticket.tags': 'Tags',
    'ticket.transcript': 'Transcript',
    'ticket.request': 'Request to the helpdesk (secrets as ***)',
    'ticket.no_request': 'Once the helpdesk integration is set up, the request it would get is shown too.',
  },
};

/** The engine's fixed handoff notes, in Korean; the rest (names, numbers, errors) stay as written. */
const NOTES_KO = {
  'the customer asked for a person': '고객이 상담원을 요청했습니다.',
  'no knowledge article answers the question': '질문에 답할 지식 문서가 없습니다.',
  'there is no business-hours knowledge article': '운영 시간 지식 문서가 없습니다.',
};
const engineNote = (text) => (locale() === 'ko' && NOTES_KO[text]) || text;

const row = (term, ...value) => h('div', { class: 'kv' }, h('dt', null, term), h('dd', null, ...value));

/** The whole turn: `turn` is `{ n, say, at, replies, trace, ticket }`. */
export function turnView(turn, skills) {
  return h('article', { class: 'turn', 'aria-label': t('turn.label', { n: turn.n }) },
    h('div', { class: 'msg from-customer' },
      h('p', { class: 'bubble customer' }, h('span', { class: 'visually-hidden' }, t('turn.customer') + ': '), turn.say),
      h('span', { class: 'time' }, shortTime(turn.at))),
    h('div', { class: 'msg from-agent' },
      turn.replies.length
        ? turn.replies.map((r) => h('p', { class: 'bubble bot' }, h('span', { class: 'visually-hidden' }, t('turn.agent') + ': '), r))
        : h('p', { class: 'bubble bot empty-reply' }, t('turn.no_reply'))),
    traceView(turn.trace, skills),
    turn.ticket ? ticketView(turn.ticket) : null);
}

function traceView(trace, skills) {
  const pct = Math.round((trace.confidence || 0) * 100);
  const fillBar = h('span', { class: 'meter-fill' });
  fillBar.style.width = `${pct}%`;
  const level = pct >= 70 ? 'high' : pct >= 40 ? 'mid' : 'low';
  const handoff = trace.handoff;
  return h('section', { class: `trace ${handoff ? 'handed-off' : ''}`, 'aria-label': t('trace.title') },
    h('dl', { class: 'trace-grid' },
      row(t('trace.intent'), trace.intent
        ? [skillName(skills, trace.intent), ' ', h('code', null, trace.intent)]
        : h('span', { class: 'badge warn' }, t('trace.out_of_scope'))),
      row(t('trace.confidence'),
        h('span', { class: `meter ${level}`, 'aria-hidden': 'true' }, fillBar),
        h('span', { class: 'pct' }, `${pct}%`)),
      row(t('trace.skill'), trace.skill
        ? [skillName(skills, trace.skill), ' ', h('code', null, trace.skill)]
        : h('span', { class: 'muted' }, t('trace.none'))),
      row(t('trace.handoff'), handoff
        ? [h('span', { class: 'badge bad' }, reasonLabel(handoff.reason)), ' ', h('span', { class: 'handoff-detail' }, engineNote(handoff.detail))]
        : h('span', { class: 'muted' }, t('trace.no_handoff')))),
    h('p', { class: 'trace-foot' },
      t('trace.router', { router: trace.router || 'embedded', locale: trace.locale || '—' }),
      trace.masked ? [' · ', t('trace.masked')] : null,
      trace.llm_error ? [' · ', t('trace.llm_error', { error: trace.llm_error })] : null));
}

function ticketView(ticket) {
  const d = ticket.draft;
  const who = [d.customer.name, d.customer.email, d.customer.phone].filter(Boolean).join(' · ');
  const note = ticket.action === 'queue' ? t('ticket.queue_note') : ticket.action === 'static' ? t('ticket.static_note') : t('ticket.not_sent');
  const target = ticket.action === 'helpdesk' && ticket.helpdesk ? `${t('action.helpdesk')} · ${ticket.helpdesk}` : t('action.' + ticket.action);
  return h('section', { class: 'ticket', 'aria-label': t('ticket.title') },
    h('div', { class: 'ticket-head' },
      h('h3', null, t('ticket.title')),
      h('span', { class: 'badge info' }, target)),
    h('p', { class: 'muted small' }, note),
    h('dl', { class: 'ticket-grid' },
      row(t('ticket.subject'), d.subject),
      row(t('ticket.reason'), reasonLabel(d.reason), d.detail ? h('span', { class: 'muted' }, ' — ', engineNote(d.detail)) : null),
      row(t('ticket.customer'), who),
      row(t('ticket.tags'), (d.tags || []).map((tag) => h('span', { class: 'tag' }, tag)))),
    h('details', null, h('summary', null, t('ticket.transcript')), h('pre', { class: 'code' }, d.transcript_text)),
    ticket.action === 'helpdesk'
      ? (ticket.request
        ? h('details', null, h('summary', null, t('ticket.request')), requestView(ticket.request))
        : h('p', { class: 'muted small' }, t('ticket.no_request')))
      : null);
}

function requestView(req) {
  return h('div', { class: 'request' },
    h('p', null, h('code', { class: 'method' }, req.method), ' ', h('code', null, req.url)),
    h('table', { class: 'headers' }, h('tbody', null,
      (req.headers || []).map(([name, value]) => h('tr', null, h('th', { scope: 'row' }, name), h('td', null, h('code', null, value)))))),
    h('pre', { class: 'code' }, JSON.stringify(req.body, null, 2)));
}
