// Pieces the Channels and Preview views share: the channel switcher, copy buttons, skill names in
// the reader's language, and the words for launch states and handoff reasons.

import { t, locale } from './i18n.js';
import { h, announce } from './ui.js';

export const CHANNELS = ['webchat', 'sms'];

export const strings = {
  ko: {
    'channel.webchat': '웹채팅',
    'channel.sms': '문자(SMS)',
    'channel.switch': '채널 선택',
    'state.draft': '설정 중',
    'state.ready': '켤 준비 완료',
    'state.live': '운영 중',
    'state.off': '꺼짐',
    'copy.copy': '복사',
    'copy.done': '복사했습니다.',
    'copy.failed': '복사하지 못했습니다. 직접 선택해 복사해 주세요.',
    'reason.out_of_scope': '범위 밖 문의',
    'reason.low_confidence': '낮은 신뢰도',
    'reason.explicit_request': '상담원 요청',
    'reason.escalation_topic': '에스컬레이션 주제',
    'reason.skill_failure': '스킬 처리 실패',
    'reason.repeated_fallbacks': '반복된 이해 실패',
    'reason.claim': '클레임(파손·누락·미수령 등)',
    'reason.frustration': '불만 고객',
    'action.helpdesk': '헬프데스크 티켓',
    'action.queue': '상담원 대기열',
    'action.static': '전달하지 않음(안내 메시지)',
  },
  en: {
    'channel.webchat': 'Webchat',
    'channel.sms': 'SMS',
    'channel.switch': 'Channel',
    'state.draft': 'Draft',
    'state.ready': 'Ready',
    'state.live': 'Live',
    'state.off': 'Off',
    'copy.copy': 'Copy',
    'copy.done': 'Copied.',
    'copy.failed': 'Could not copy. Select the text and copy it yourself.',
    'reason.out_of_scope': 'Out of scope',
    'reason.low_confidence': 'Low confidence',
    'reason.explicit_request': 'Asked for a person',
    'reason.escalation_topic': 'Escalation topic',
    'reason.skill_failure': 'Skill failed',
    'reason.repeated_fallbacks': 'Repeated fallbacks',
    'reason.claim': 'Claim (damaged, missing, not received…)',
    'reason.frustration': 'Frustrated customer',
    'action.helpdesk': 'Helpdesk ticket',
    'action.queue': 'Counselor queue',
    'action.static': "Don't forward (static reply)",
  },
};

/** Links to the same view of each channel, the current one marked. */
export function channelTabs(base, current) {
  return h('nav', { class: 'channel-tabs', 'aria-label': t('channel.switch') },
    CHANNELS.map((c) => h('a', {
      href: `#/${base}/${c}`,
      class: 'channel-tab',
      'aria-current': c === current ? 'page' : false,
    }, h('span', { class: `channel-glyph ${c}`, 'aria-hidden': 'true' }), t('channel.' + c))));
}

/** Tells screen readers about a change the page already shows, without a toast. */
export function say(message) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = message;
}

/** A badge for a launch state. */
export function stateBadge(state) {
  const kind = { live: 'ok', ready: 'info', off: 'bad', draft: 'warn' }[state] || '';
  return h('span', { class: `badge state ${kind}` }, t('state.' + state));
}

/** Copies `text` to the clipboard, falling back to selecting `source` for a manual copy. */
export async function copyText(text, source) {
  try {
    await navigator.clipboard.writeText(text);
    announce(t('copy.done'));
  } catch (_) {
    if (source) {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    announce(t('copy.failed'), 'error');
  }
}

/** A button copying what `value()` returns; `label` names what is copied for screen readers. */
export function copyButton(value, label, source) {
  return h('button', {
    type: 'button',
    class: 'copy',
    'aria-label': `${t('copy.copy')}: ${label}`,
    onclick: () => copyText(value(), source),
  }, t('copy.copy'));
}

/** A skill's display name in the reader's language, or its id when the catalogue lacks it. */
export function skillName(skills, id) {
  const skill = (skills || []).find((s) => s.id === id);
  return skill ? skill.name[locale()] || skill.name.en : id;
}

/** What a handoff reason means, in words. */
export function reasonLabel(reason) {
  const key = 'reason.' + reason;
  const text = t(key);
  return text === key ? reason : text;
}
