// What the agent says and does on a channel: its intro message (webchat) and the skills switched
// on for the channel, each with what it still needs.

import { t, locale } from './i18n.js';
import { h, fill, uid, announce, busy } from './ui.js';
import { itemText, problem } from './launch-items.js';
import { say, textPair, textIn } from './launch-common.js';

const INTRO_MAX = 1000;

export const strings = {
  ko: {
    'intro.title': '소개 메시지',
    'intro.lead': '방문자가 채팅을 열면 가장 먼저 보는 에이전트의 인사입니다. 무엇을 도울 수 있는지 알려 주세요.',
    'intro.label': '소개 메시지',
    'intro.placeholder': '안녕하세요! 주문·배송과 교환·반품을 도와드리는 AI 상담원입니다. 무엇을 도와드릴까요?',
    'intro.preview': '고객에게 이렇게 보입니다 ({lang})',
    'intro.saved': '소개 메시지를 저장했습니다.',
    'skills.title': '스킬',
    'skills.lead': '켜진 스킬에 해당하는 질문에만 에이전트가 답하고, 나머지는 핸드오프합니다.',
    'skills.count': '{n}개 켜짐',
    'skills.examples': '예: {examples}',
    'skills.needs': '필요: {what}',
    'skills.prereq.commerce': '커머스 연동(주문·상품 조회)',
    'skills.prereq.knowledge': '지식 문서',
    'skills.on': '{name} 켬',
    'skills.off': '{name} 끔',
  },
  en: {
    'intro.title': 'Intro message',
    'intro.lead': 'The first thing visitors see when they open the chat. Say what the agent can help with.',
    'intro.label': 'Intro message',
    'intro.placeholder': "Hi! I'm the shop's AI assistant for orders, delivery, returns and exchanges. How can I help?",
    'intro.preview': 'What customers see ({lang})',
    'intro.saved': 'Intro message saved.',
    'skills.title': 'Skills',
    'skills.lead': 'The agent answers what its enabled skills cover and hands off the rest.',
    'skills.count': '{n} on',
    'skills.examples': 'e.g. {examples}',
    'skills.needs': 'Needs: {what}',
    'skills.prereq.commerce': 'a commerce integration (orders, products)',
    'skills.prereq.knowledge': 'knowledge articles',
    'skills.on': '{name} on',
    'skills.off': '{name} off',
  },
};

/** A status line that follows one checklist item. */
export function itemStatus(page, id) {
  const status = h('p', { class: 'section-status' });
  const draw = () => {
    const item = page.item(id);
    if (!item) return;
    fill(status, h('span', { class: `dot ${item.done ? 'ok' : 'todo'}`, 'aria-hidden': 'true' }), itemText(page, item));
  };
  draw();
  page.onChange(draw);
  return status;
}

export function introSection(page) {
  const placeholder = { ko: strings.ko['intro.placeholder'], en: strings.en['intro.placeholder'] };
  const text = textPair({
    name: 'intro_message', label: t('intro.label'), value: page.ch.settings.intro_message, max: INTRO_MAX, placeholder,
  });
  // The preview follows the box last typed in, starting with the reader's language.
  let shown = locale();
  const caption = h('figcaption');
  const bubble = h('p', { class: 'bubble bot' });
  const sync = () => {
    const written = textIn(text.value(), shown);
    caption.textContent = t('intro.preview', { lang: t('text.' + shown) });
    bubble.lang = shown;
    bubble.textContent = written || placeholder[shown];
    bubble.classList.toggle('placeholder', !written);
  };
  for (const [lang, box] of Object.entries(text.boxes)) {
    box.addEventListener('focus', () => { shown = lang; sync(); });
  }
  text.onInput(sync);
  sync();
  const status = h('p', { class: 'form-status', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'primary' }, t('common.save'));
  const form = h('form', { class: 'settings-form intro-form' },
    text.el,
    h('div', { class: 'actions' }, save),
    status);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(save, async () => {
      status.textContent = '';
      try {
        await page.save({ intro_message: text.value() });
        announce(t('intro.saved'));
      } catch (err) {
        status.textContent = problem(page.channel, err);
      }
    });
  });
  return h('section', { class: 'card section', id: 'sec-intro', 'aria-labelledby': 'sec-intro-title' },
    h('h2', { id: 'sec-intro-title' }, t('intro.title')),
    h('p', { class: 'muted' }, t('intro.lead')),
    itemStatus(page, 'intro_message'),
    h('div', { class: 'intro-grid' },
      form,
      h('figure', { class: 'intro-preview' },
        caption,
        h('div', { class: 'mini-chat' }, bubble))));
}

export function skillsSection(page) {
  const list = h('ul', { class: 'skills' });
  const count = h('span', { class: 'badge' });
  const status = h('p', { class: 'form-status', role: 'alert' });
  const enabled = () => page.ch.settings.skills || [];
  const drawCount = () => { count.textContent = t('skills.count', { n: enabled().length }); };
  let saving = Promise.resolve();

  const row = (skill) => {
    const id = uid('skill');
    const name = skill.name[locale()] || skill.name.en;
    const input = h('input', { type: 'checkbox', role: 'switch', id, class: 'switch', 'aria-describedby': id + '-desc', value: skill.id });
    input.checked = enabled().includes(skill.id);
    input.addEventListener('change', () => {
      const on = input.checked;
      input.disabled = true;
      // One save at a time, each from the list the previous one left.
      saving = saving.then(async () => {
        status.textContent = '';
        const next = on ? [...enabled(), skill.id] : enabled().filter((x) => x !== skill.id);
        try {
          await page.save({ skills: next });
          say(t(on ? 'skills.on' : 'skills.off', { name }));
        } catch (err) {
          input.checked = !on;
          status.textContent = problem(page.channel, err);
        } finally {
          input.disabled = false;
        }
      });
    });
    const examples = (skill.examples[locale()] || []).slice(0, 2);
    const needs = skill.unmet.map((u) => {
      const key = 'skills.prereq.' + u.prerequisite;
      return t(key) === key ? u.detail : t(key);
    });
    return h('li', { class: 'skill' },
      h('div', { class: 'skill-text' },
        h('label', { for: id, class: 'skill-name' }, name),
        h('p', { class: 'skill-desc', id: id + '-desc' }, skill.description[locale()] || skill.description.en,
          needs.length ? h('span', { class: 'needs' }, ' ', t('skills.needs', { what: needs.join(', ') })) : null),
        examples.length
          ? h('p', { class: 'examples' }, t('skills.examples', { examples: examples.map((x) => `“${x}”`).join(' ') }))
          : null),
      input);
  };
  fill(list, page.skills.map(row));
  drawCount();
  page.onChange(drawCount);
  return h('section', { class: 'card section', id: 'sec-skills', 'aria-labelledby': 'sec-skills-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'sec-skills-title' }, t('skills.title')), count),
    h('p', { class: 'muted' }, t('skills.lead')),
    itemStatus(page, 'skills'),
    status,
    list);
}
