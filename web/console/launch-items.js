// The checklist items in words: a title per item, and what the item says in the reader's
// language, written here from the item's state and the channel's settings. The engine's own
// `detail` is shown where it carries words from outside (Twilio's answer) and wherever nothing
// here applies.

import { t, locale } from './i18n.js';
import { errorText } from './ui.js';
import { skillName, textIn } from './launch-common.js';

export const strings = {
  ko: {
    'item.channel_setup.webchat': '사이트에 위젯 설치',
    'item.channel_setup.sms': '양방향 발신 번호 연결',
    'item.intro_message': '소개 메시지',
    'item.skills': '스킬',
    'item.handoff': '상담 연결(핸드오프)',
    'item.handoff_tested': '핸드오프 테스트',
    'item.preview_tested': '미리보기 테스트',
    'err.would_break_live': '에이전트가 운영 중이라 {items} 항목을 깨뜨리는 변경은 저장하지 않았습니다. 먼저 에이전트를 끄거나 다르게 바꿔 주세요.',
    'err.launch_blocked': '아직 켤 수 없습니다. 먼저 완료할 항목: {items}',
    'err.origin': '사이트 주소는 경로 없이 scheme://host[:port] 형식으로 입력해 주세요. 예: https://shop.example',
    'it.setup.loaded': '{origin}에서 위젯이 로드되었습니다.',
    'it.setup.no_origin': '위젯을 넣을 사이트 주소를 허용 목록에 추가하고, 위젯 코드를 넣은 페이지를 열어 주세요.',
    'it.setup.not_loaded': '{origins}에서 아직 위젯이 로드되지 않았습니다. 위젯 코드를 넣은 페이지를 열어 주세요.',
    'it.sms.verified': '{phone} 번호가 Twilio 계정에서 확인되었고 문자를 주고받을 수 있습니다.',
    'it.sms.missing': 'Twilio 계정 SID, 인증 토큰, 발신 번호를 입력해 주세요.',
    'it.sms.unverified': 'Twilio 확인을 통과하지 못했습니다: {detail}',
    'it.intro.done': '“{text}”',
    'it.intro.todo': '방문자가 채팅을 열 때 보는 에이전트의 자기소개를 작성해 주세요.',
    'it.skills.none': '이 채널에서 에이전트가 답할 스킬을 하나 이상 켜 주세요.',
    'it.skills.done': '켜진 스킬: {names}',
    'it.skills.unmet': '{names}: 필요한 연동이 없습니다.',
    'it.handoff.none': '에이전트가 답하지 못한 문의를 보낼 곳(헬프데스크, 상담원 대기열, 안내 메시지)을 고르고, 고객에게 보낼 메시지를 작성해 주세요.',
    'it.handoff.pick_helpdesk': '티켓을 만들 헬프데스크를 선택해 주세요.',
    'it.handoff.helpdesk_unverified': '{name} 연동이 설정·확인되지 않았습니다. 연결하거나 대기열·안내 메시지를 선택해 주세요.',
    'it.handoff.no_message': '고객에게 보낼 연결 메시지를 작성해 주세요.',
    'it.handoff.done': '넘겨진 대화 처리: {target}',
    'it.handoff_tested.no_handoff': '핸드오프를 설정한 뒤 테스트해 보세요.',
    'it.handoff_tested.done': '현재 설정으로 테스트 핸드오프를 마쳤습니다.',
    'it.handoff_tested.stale': '마지막 테스트 뒤에 핸드오프 설정이 바뀌었습니다. 다시 테스트해 주세요.',
    'it.handoff_tested.todo': '테스트 핸드오프로 고객이 받을 메시지와 전달 위치를 확인해 보세요.',
    'it.preview_tested.done': '현재 설정으로 미리보기를 마쳤습니다.',
    'it.preview_tested.stale': '마지막 미리보기 뒤에 설정이 바뀌었습니다. 다시 시험해 주세요.',
    'it.preview_tested.todo': '켜기 전에 미리보기에서 에이전트와 대화해 보세요.',
  },
  en: {
    'item.channel_setup.webchat': 'Widget on your site',
    'item.channel_setup.sms': 'Two-way sending number',
    'item.intro_message': 'Intro message',
    'item.skills': 'Skills',
    'item.handoff': 'Handoff',
    'item.handoff_tested': 'Handoff tested',
    'item.preview_tested': 'Preview tested',
    'err.would_break_live': 'The agent is live, and this change would break {items}, so it was not saved. Turn the agent off first, or change something else.',
    'err.launch_blocked': "The agent can't be turned on yet. Complete first: {items}",
    'err.origin': 'Give the site as scheme://host[:port], without a path, e.g. https://shop.example',
    'it.setup.loaded': 'The widget was loaded on {origin}.',
    'it.setup.no_origin': 'Add the site the widget goes on to the allowed sites, then open a page of it with the widget snippet.',
    'it.setup.not_loaded': 'The widget has not been loaded on {origins} yet. Open a page there with the widget snippet.',
    'it.sms.verified': '{phone} is on the Twilio account and can send and receive texts.',
    'it.sms.missing': 'Enter the Twilio account SID, auth token and sending number.',
    'it.sms.unverified': 'Twilio did not confirm the number: {detail}',
    'it.intro.done': '“{text}”',
    'it.intro.todo': 'Write how the agent introduces itself; visitors see it when they open the chat.',
    'it.skills.none': 'Switch on at least one skill for the agent to answer with on this channel.',
    'it.skills.done': 'On: {names}',
    'it.skills.unmet': '{names}: a required integration is missing.',
    'it.handoff.none': "Choose where conversations the agent can't answer go (a helpdesk, the counselor queue or a static reply) and write the message the customer gets.",
    'it.handoff.pick_helpdesk': 'Choose the helpdesk tickets go to.',
    'it.handoff.helpdesk_unverified': 'The {name} integration is not set up and verified. Connect it, or choose the queue or a static reply.',
    'it.handoff.no_message': 'Write the handoff message the customer gets.',
    'it.handoff.done': 'Handed-off conversations go to: {target}',
    'it.handoff_tested.no_handoff': 'Set up the handoff, then test it.',
    'it.handoff_tested.done': 'A test handoff succeeded with the current settings.',
    'it.handoff_tested.stale': 'The handoff settings changed since the last test. Test again.',
    'it.handoff_tested.todo': 'Run a test handoff to see the message the customer gets and where the conversation goes.',
    'it.preview_tested.done': 'The agent was previewed with the current settings.',
    'it.preview_tested.stale': 'The settings changed since the last preview. Try the agent again.',
    'it.preview_tested.todo': 'Talk to the agent in the preview before turning it on.',
  },
};

/** The item's title on `channel`. */
export function title(channel, id) {
  return id === 'channel_setup' ? t(`item.channel_setup.${channel}`) : t('item.' + id);
}

/** A failed change in words: the launch refusals name their items; the rest as the API says. */
export function problem(channel, err) {
  const items = () => ((err.body && err.body.blocking) || []).map((id) => title(channel, id)).join(', ');
  if (err.code === 'would_break_live') return t('err.would_break_live', { items: items() });
  if (err.code === 'launch_blocked') return t('err.launch_blocked', { items: items() });
  if (err.code === 'invalid_settings' && /^allowed_origins:/.test(err.message)) return t('err.origin');
  return errorText(err);
}

/** What the item says, in the reader's language. */
export function itemText(page, item) {
  return written(page, item) || item.detail;
}

function written(page, item) {
  const s = page.ch.settings || {};
  const d = item.detail || '';
  switch (item.id) {
    case 'channel_setup':
      return page.channel === 'webchat' ? widget(page, item) : sms(page, item);
    case 'intro_message':
      return item.done ? t('it.intro.done', { text: textIn(s.intro_message, locale()) }) : t('it.intro.todo');
    case 'skills': {
      const enabled = s.skills || [];
      if (!enabled.length) return t('it.skills.none');
      if (item.done) return t('it.skills.done', { names: enabled.map((id) => skillName(page.skills, id)).join(', ') });
      const lacking = (page.skills || []).filter((k) => enabled.includes(k.id) && k.unmet.length);
      return lacking.length ? t('it.skills.unmet', { names: lacking.map((k) => skillName(page.skills, k.id)).join(', ') }) : null;
    }
    case 'handoff':
      return handoff(page, item);
    case 'handoff_tested':
      if (!s.handoff) return t('it.handoff_tested.no_handoff');
      if (item.done) return t('it.handoff_tested.done');
      return t(d.includes('changed') ? 'it.handoff_tested.stale' : 'it.handoff_tested.todo');
    case 'preview_tested':
      if (item.done) return t('it.preview_tested.done');
      return t(d.includes('changed') ? 'it.preview_tested.stale' : 'it.preview_tested.todo');
    default:
      return null;
  }
}

function widget(page, item) {
  const allowed = page.ch.settings.allowed_origins || [];
  if (item.done) {
    const seen = (page.ch.seen_origins || []).find((o) => allowed.includes(o.origin));
    return seen ? t('it.setup.loaded', { origin: seen.origin }) : null;
  }
  if (!allowed.length) return t('it.setup.no_origin');
  return t('it.setup.not_loaded', { origins: allowed.join(', ') });
}

function sms(page, item) {
  const s = page.ch.settings;
  if (item.done) return t('it.sms.verified', { phone: s.phone_number || '' });
  if (!s.twilio_account_sid || !s.phone_number || !page.ch.twilio_auth_token_set) return t('it.sms.missing');
  return t('it.sms.unverified', { detail: item.detail });
}

function handoff(page, item) {
  const h = page.ch.settings.handoff;
  if (!h) return t('it.handoff.none');
  if (item.done) {
    const target = h.action === 'helpdesk' ? `${t('action.helpdesk')} (${h.helpdesk})` : t('action.' + h.action);
    return t('it.handoff.done', { target });
  }
  const missing = [];
  if (h.action === 'helpdesk') {
    if (!h.helpdesk) missing.push(t('it.handoff.pick_helpdesk'));
    else if (!(page.helpdesks.helpdesks || []).some((x) => x.name === h.helpdesk && x.verified)) {
      missing.push(t('it.handoff.helpdesk_unverified', { name: h.helpdesk }));
    }
  }
  if (!h.message) missing.push(t('it.handoff.no_message'));
  return missing.length ? missing.join(' ') : null;
}
