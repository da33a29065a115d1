// The rooms view's words in Korean and English, and the small formatting rules shared by the list
// and the room: who a customer is called, how long ago something happened, and what an API
// refusal means to a counselor.

import { t, locale, dateTime } from './i18n.js';
import { errorText } from './ui.js';

export const strings = {
  ko: {
    'nav.rooms': '상담',
    'rooms.title': '채팅 상담',
    'rooms.tabs': '상담 상태',
    'rooms.also_counted': '함께 집계',
    'rooms.tab.bot': 'AI 응대',
    'rooms.tab.waiting': '대기',
    'rooms.tab.received': '접수',
    'rooms.tab.in_progress': '진행',
    'rooms.tab.inquiry': '문의',
    'rooms.tab.answered': '응대',
    'rooms.tab.closed': '종료',
    'rooms.tab.hold': '보류',
    'rooms.tab.alarm': '알람',
    'rooms.tip.bot': 'AI 상담봇이 응대 중인 상담',
    'rooms.tip.waiting': '아직 상담원에게 배정되지 않은 상담',
    'rooms.tip.received': '배정 후 아직 답하지 않은 상담',
    'rooms.tip.in_progress': '문의와 응대를 합친 진행 중 상담',
    'rooms.tip.inquiry': '고객이 마지막으로 메시지를 보낸 상담',
    'rooms.tip.answered': '상담원이 마지막으로 답한 상담',
    'rooms.tip.closed': '오늘 종료된 상담',
    'rooms.tip.hold': '자동 종료되지 않도록 보류한 상담 (상태와 중복 집계)',
    'rooms.tip.alarm': '알람을 설정한 상담 (상태와 중복 집계)',
    'rooms.tab_new': '새 소식 있음',
    'rooms.count': '{n}건',
    'rooms.search': '검색',
    'rooms.search_in': '검색 항목',
    'rooms.search_term': '검색어',
    'rooms.search_placeholder': '검색어 입력',
    'rooms.search_go': '검색',
    'rooms.search_clear': '검색 지우기',
    'rooms.search_exact': '정확히 일치하는 값만 찾습니다.',
    'rooms.searching': '“{q}” 검색 결과',
    'rooms.field.content': '상담 내용',
    'rooms.field.customer_id': '고객 ID',
    'rooms.field.customer_tag': '고객 태그',
    'rooms.field.room_tag': '상담방 태그',
    'rooms.field.name': '고객 이름',
    'rooms.field.phone': '전화번호',
    'rooms.field.email': '이메일',
    'rooms.sort': '정렬',
    'rooms.sort.last_message_desc': '최근 대화순 ▼',
    'rooms.sort.last_message_asc': '최근 대화순 ▲',
    'rooms.sort.created_desc': '상담 시작순 ▼',
    'rooms.sort.created_asc': '상담 시작순 ▲',
    'rooms.flagged_only': '깃발만',
    'rooms.grade_filter': '등급',
    'rooms.grade_filter_label': '고객 등급으로 거르기 (예: VIP)',
    'rooms.refresh': '새로고침',
    'rooms.more': '더 보기',
    'rooms.list': '{tab} 상담 목록',
    'rooms.empty': '이 목록에 상담이 없습니다.',
    'rooms.empty.waiting': '기다리는 고객이 없습니다.',
    'rooms.empty.closed': '오늘 종료된 상담이 없습니다.',
    'rooms.empty.closed_range': '이 기간에 종료된 상담이 없습니다.',
    'rooms.closed_range': '종료 날짜',
    'rooms.closed_from': '부터',
    'rooms.closed_to': '까지',
    'rooms.closed_today': '오늘',
    'rooms.closed_hint': '비워 두면 오늘 종료된 상담을 보여 줍니다. 최대 1년까지 조회할 수 있습니다.',
    'rooms.empty.search': '검색 결과가 없습니다.',
    'rooms.live': '실시간',
    'rooms.live_down': '다시 연결 중…',
    'rooms.live_tip': '새 상담과 메시지가 자동으로 나타납니다.',
    'rooms.unassigned': '미배정',
    'rooms.you': '나',
    'rooms.anon': '고객 {id}',
    'rooms.channel.webchat': '웹채팅',
    'rooms.channel.sms': '문자',
    'rooms.author.customer': '고객',
    'rooms.author.bot': 'AI 상담봇',
    'rooms.author.counselor': '상담원',
    'rooms.author.system': '안내',
    'rooms.said_bot': 'AI: ',
    'rooms.said_counselor': '상담원: ',
    'rooms.hold': '보류',
    'rooms.alarm_at': '알람 {time}',
    'rooms.flagged': '깃발',
    'rooms.grade': '등급 {grade}',
    'rooms.processed': '처리 완료',
    'rooms.unprocessed': '이력 처리 필요',
    'rooms.unseen': '새 메시지',
    'rooms.close.manager': '매니저 종료',
    'rooms.close.auto': '자동 종료',
    'rooms.close.counselor': '상담원 종료',
    'rooms.close.customer': '고객 종료',
    'rooms.just_now': '방금',
    'rooms.alarm_fired': '알람: {customer} 상담을 확인하세요.',
    'rooms.open': '열기',
    'err.not_waiting': '다른 상담원이 먼저 접수한 상담입니다.',
    'err.room_closed': '이미 종료된 상담입니다.',
    'err.not_received': '먼저 상담을 접수해 주세요.',
    'err.with_bot': '아직 AI 상담봇이 응대 중인 상담입니다.',
    'err.same_counselor': '이미 그 상담원이 맡고 있습니다.',
    'err.not_closed': '종료된 상담만 이력 처리할 수 있습니다.',
    'err.busy': '상담방이 계속 바뀌고 있습니다. 잠시 후 다시 시도해 주세요.',
    'err.duplicate_message': '이미 보낸 답장입니다.',
    'err.no_phone': '문자를 보낼 고객 전화번호가 없습니다.',
    'err.not_found': '이 상담방을 볼 수 없습니다. 다른 상담원에게 넘어갔을 수 있습니다.',
    'err.forbidden': '이 작업을 할 권한이 없습니다.',
    'err.transfer_group': '다른 그룹의 상담원에게는 담당 매니저만 넘길 수 있습니다. 매니저에게 먼저 넘겨 주세요.',
    'err.alarm_time': '알람은 지금 이후, 1년 안의 시각으로 정해 주세요.',
  },
  en: {
    'nav.rooms': 'Rooms',
    'rooms.title': 'Conversations',
    'rooms.tabs': 'Conversation status',
    'rooms.also_counted': 'Also counted',
    'rooms.tab.bot': 'AI agent',
    'rooms.tab.waiting': 'Waiting',
    'rooms.tab.received': 'Received',
    'rooms.tab.in_progress': 'In progress',
    'rooms.tab.inquiry': 'Inquiry',
    'rooms.tab.answered': 'Answered',
    'rooms.tab.closed': 'Closed',
    'rooms.tab.hold': 'On hold',
    'rooms.tab.alarm': 'Alarm',
    'rooms.tip.bot': 'The AI agent is handling these',
    'rooms.tip.waiting': 'Not yet given to a counselor',
    'rooms.tip.received': 'Assigned, not answered yet',
    'rooms.tip.in_progress': 'Inquiry and answered together',
    'rooms.tip.inquiry': 'The customer wrote last',
    'rooms.tip.answered': 'A counselor answered last',
    'rooms.tip.closed': 'Closed today',
    'rooms.tip.hold': 'Kept from auto-close (also counted in their status)',
    'rooms.tip.alarm': 'With a reminder set (also counted in their status)',
    'rooms.tab_new': 'new activity',
    'rooms.count': '{n}',
    'rooms.search': 'Search',
    'rooms.search_in': 'Search in',
    'rooms.search_term': 'Search for',
    'rooms.search_placeholder': 'Search…',
    'rooms.search_go': 'Search',
    'rooms.search_clear': 'Clear search',
    'rooms.search_exact': 'Finds exact matches only.',
    'rooms.searching': 'Results for “{q}”',
    'rooms.field.content': 'Messages',
    'rooms.field.customer_id': 'Customer ID',
    'rooms.field.customer_tag': 'Customer tag',
    'rooms.field.room_tag': 'Room tag',
    'rooms.field.name': 'Name',
    'rooms.field.phone': 'Phone',
    'rooms.field.email': 'Email',
    'rooms.sort': 'Sort',
    'rooms.sort.last_message_desc': 'Latest message first',
    'rooms.sort.last_message_asc': 'Oldest message first',
    'rooms.sort.created_desc': 'Newest conversation first',
    'rooms.sort.created_asc': 'Oldest conversation first',
    'rooms.flagged_only': 'Flagged',
    'rooms.grade_filter': 'Grade',
    'rooms.grade_filter_label': 'Only customers of this grade (e.g. VIP)',
    'rooms.refresh': 'Refresh',
    'rooms.more': 'Load more',
    'rooms.list': '{tab} conversations',
    'rooms.empty': 'No conversations here.',
    'rooms.empty.waiting': 'Nobody is waiting.',
    'rooms.empty.closed': 'No conversations closed today.',
    'rooms.empty.closed_range': 'No conversations closed in these dates.',
    'rooms.closed_range': 'Closed between',
    'rooms.closed_from': 'From',
    'rooms.closed_to': 'To',
    'rooms.closed_today': 'Today',
    'rooms.closed_hint': 'Leave empty for today\'s closes. A search covers up to a year.',
    'rooms.empty.search': 'Nothing matches your search.',
    'rooms.live': 'Live',
    'rooms.live_down': 'Reconnecting…',
    'rooms.live_tip': 'New conversations and messages appear by themselves.',
    'rooms.unassigned': 'Unassigned',
    'rooms.you': 'You',
    'rooms.anon': 'Customer {id}',
    'rooms.channel.webchat': 'Webchat',
    'rooms.channel.sms': 'SMS',
    'rooms.author.customer': 'Customer',
    'rooms.author.bot': 'AI agent',
    'rooms.author.counselor': 'Counselor',
    'rooms.author.system': 'Notice',
    'rooms.said_bot': 'AI: ',
    'rooms.said_counselor': 'Counselor: ',
    'rooms.hold': 'On hold',
    'rooms.alarm_at': 'Alarm {time}',
    'rooms.flagged': 'Flagged',
    'rooms.grade': 'Grade {grade}',
    'rooms.processed': 'Processed',
    'rooms.unprocessed': 'Needs wrap-up',
    'rooms.unseen': 'New message',
    'rooms.close.manager': 'Closed by a manager',
    'rooms.close.auto': 'Auto-closed',
    'rooms.close.counselor': 'Closed by the counselor',
    'rooms.close.customer': 'Closed by the customer',
    'rooms.just_now': 'just now',
    'rooms.alarm_fired': 'Alarm: check the conversation with {customer}.',
    'rooms.open': 'Open',
    'err.not_waiting': 'Another counselor took this conversation first.',
    'err.room_closed': 'This conversation is already closed.',
    'err.not_received': 'Receive the conversation first.',
    'err.with_bot': 'The AI agent is still handling this conversation.',
    'err.same_counselor': 'That counselor already has it.',
    'err.not_closed': 'Only closed conversations can be wrapped up.',
    'err.busy': 'The conversation kept changing. Please try again.',
    'err.duplicate_message': 'That reply was already sent.',
    'err.no_phone': 'There is no phone number to text.',
    'err.not_found': 'You can no longer see this conversation; it may have gone to another counselor.',
    'err.forbidden': 'You may not do this.',
    'err.transfer_group': 'Only your manager can give conversations to another group. Give it to your manager first.',
    'err.alarm_time': 'Pick a time after now and within a year.',
  },
};

/** The tabs in the order the rail shows them; `sub` tabs are the parts of "in progress". */
export const TABS = ['waiting', 'received', 'in_progress', 'inquiry', 'answered', 'closed', 'hold', 'alarm', 'bot'];
export const SUB_TABS = ['inquiry', 'answered'];
/** Tabs that count rooms already counted in a status (seed 001: 중복 집계). */
export const FLAG_TABS = ['hold', 'alarm'];

export const FIELDS = ['content', 'customer_id', 'customer_tag', 'room_tag', 'name', 'phone', 'email'];
export const SORTS = ['last_message_desc', 'last_message_asc', 'created_desc', 'created_asc'];

/** The number a tab shows, from `GET /v1/rooms/counts`. */
export function tabCount(counts, tab) {
  if (!counts) return null;
  if (tab === 'in_progress') return (counts.inquiry || 0) + (counts.answered || 0);
  return counts[tab] ?? 0;
}

/** The tabs a room with this state is listed under: its status (and "in progress"), hold, alarm. */
export function tabsOf(state) {
  const tabs = new Set([state.status]);
  if (state.status === 'inquiry' || state.status === 'answered') tabs.add('in_progress');
  if (state.status !== 'closed' && state.hold) tabs.add('hold');
  if (state.status !== 'closed' && state.alarm_at) tabs.add('alarm');
  return tabs;
}

/** What a counselor calls a customer: their name, else how to reach them, else a short id. */
export function customerName(customer) {
  if (!customer) return '';
  const name = customer.name || customer.email || customer.phone || customer.external_id;
  return name || t('rooms.anon', { id: String(customer.id || '').slice(-6) });
}

/** The customer's contact line under their name (what the name does not already say). */
export function customerContact(customer) {
  if (!customer) return '';
  const name = customerName(customer);
  return [customer.phone, customer.email].filter((v) => v && v !== name).join(' · ');
}

/** "방금", "3분 전", "2 hours ago", … for `iso`, relative to now. */
export function ago(iso) {
  const at = new Date(iso);
  if (!iso || isNaN(at)) return '';
  const seconds = Math.round((at.getTime() - Date.now()) / 1000);
  if (Math.abs(seconds) < 45) return t('rooms.just_now');
  const rtf = new Intl.RelativeTimeFormat(locale() === 'ko' ? 'ko' : 'en', { numeric: 'auto', style: 'short' });
  const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month']];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return rtf.format(Math.round(value), unit);
    value /= size;
  }
  return rtf.format(Math.round(value), 'year');
}

/** A time of day, e.g. "오후 3:05" / "3:05 PM". */
export function clock(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return '';
  return d.toLocaleTimeString(locale() === 'ko' ? 'ko-KR' : 'en-US', { hour: 'numeric', minute: '2-digit' });
}

/** A day heading for the transcript, e.g. "2026년 11월 23일 월요일". */
export function day(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return '';
  return d.toLocaleDateString(locale() === 'ko' ? 'ko-KR' : 'en-US', { dateStyle: 'full' });
}

/** When an alarm goes off: a time today, else a date and time. */
export function alarmTime(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return '';
  return d.toDateString() === new Date().toDateString() ? clock(iso) : dateTime(iso);
}

/**
 * What a refused request means to the counselor: the engine's error codes in the reader's
 * language, or the engine's own message for anything else.
 */
export function problem(err, action) {
  if (!err) return errorText(err);
  if (action === 'transfer' && err.code === 'forbidden') return t('err.transfer_group');
  if (action === 'alarm' && err.code === 'invalid_body') return t('err.alarm_time');
  const key = 'err.' + err.code;
  const text = t(key);
  return text === key ? errorText(err) : text;
}
