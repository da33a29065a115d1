// The channel_setup sections: for webchat the sites the widget may run on, the embed snippet and
// the test page; for SMS the Twilio account, number and webhook, verified with Twilio.

import { t, dateTime, locale } from './i18n.js';
import { h, fill, field, announce, busy } from './ui.js';
import { copyButton, say, textPair } from './launch-common.js';
import { itemText, problem } from './launch-items.js';

export const strings = {
  ko: {
    'setup.widget_title': '위젯 설치',
    'setup.widget_lead': '허용한 사이트에 위젯 코드를 넣고 그 페이지를 한 번 열면 설치가 확인됩니다.',
    'setup.step_origins': '1. 위젯을 쓸 사이트',
    'setup.origins_hint': 'scheme://host[:port] 형식, 예: https://shop.example. 목록에 없는 사이트에서는 위젯이 열리지 않습니다.',
    'setup.origin_input': '사이트 주소',
    'setup.add': '추가',
    'setup.remove': '{origin} 삭제',
    'setup.add_here': '이 엔진 주소 추가 ({origin})',
    'setup.no_origins': '아직 허용한 사이트가 없습니다.',
    'setup.step_snippet': '2. 위젯 코드',
    'setup.snippet_hint': '사이트의 모든 페이지 </body> 앞에 붙여 넣으세요.',
    'setup.snippet_label': '위젯 코드',
    'setup.step_test': '3. 설치 확인',
    'setup.test_hint': '엔진이 제공하는 테스트 페이지도 위젯을 불러옵니다. 이 엔진 주소가 허용 목록에 있으면 설치 확인으로 인정됩니다.',
    'setup.open_demo': '테스트 페이지 열기',
    'setup.seen': '위젯이 로드된 사이트',
    'setup.seen_at': '마지막 로드 {time}',
    'setup.saved_origins': '허용 사이트를 저장했습니다.',
    'setup.step_look': '4. 위젯 모양',
    'setup.look_hint': '고객이 보는 위젯 머리글의 제목과 색, 위젯의 언어입니다.',
    'setup.title': '제목',
    'setup.title_hint': '비워 두면 "고객센터" / "Support"로 표시됩니다.',
    'setup.color': '브랜드 색',
    'setup.locale': '언어',
    'setup.locale_auto': '고객이 보는 페이지나 브라우저의 언어에 맞춤',
    'setup.save_look': '모양 저장',
    'setup.saved_look': '위젯 모양을 저장했습니다.',
    'sms.title': '문자(SMS) 연결',
    'sms.lead': 'Twilio의 양방향 발신 번호로 문자를 주고받습니다. 저장하면 Twilio에서 번호를 바로 확인합니다.',
    'sms.sid': 'Twilio 계정 SID',
    'sms.sid_hint': 'AC로 시작하는 34자리',
    'sms.token': '인증 토큰(Auth token)',
    'sms.token_set': '저장되어 있습니다. 바꿀 때만 입력하세요.',
    'sms.phone': '발신 번호',
    'sms.phone_hint': 'E.164 형식, 예: +15551234567. 영문 발신자 ID는 답장을 받을 수 없습니다.',
    'sms.save': '저장하고 확인',
    'sms.verify': '다시 확인',
    'sms.saved': 'Twilio 설정을 저장했습니다.',
    'sms.webhook': 'Twilio 수신 웹훅 주소',
    'sms.webhook_hint': 'Twilio 콘솔에서 이 번호의 "A message comes in"에 HTTP POST로 입력하세요.',
  },
  en: {
    'setup.widget_title': 'Install the widget',
    'setup.widget_lead': 'Put the widget snippet on an allowed site and open that page once; the engine then sees the widget installed.',
    'setup.step_origins': '1. Sites the widget runs on',
    'setup.origins_hint': 'scheme://host[:port], e.g. https://shop.example. The widget refuses to open on other sites.',
    'setup.origin_input': 'Site address',
    'setup.add': 'Add',
    'setup.remove': 'Remove {origin}',
    'setup.add_here': 'Add this engine ({origin})',
    'setup.no_origins': 'No site allowed yet.',
    'setup.step_snippet': '2. Widget snippet',
    'setup.snippet_hint': 'Paste it before </body> on every page of your site.',
    'setup.snippet_label': 'widget snippet',
    'setup.step_test': '3. Check the installation',
    'setup.test_hint': "The engine's test page loads the widget too; it counts once this engine's address is an allowed site.",
    'setup.open_demo': 'Open the test page',
    'setup.seen': 'Sites the widget was loaded on',
    'setup.seen_at': 'last loaded {time}',
    'setup.saved_origins': 'Allowed sites saved.',
    'setup.step_look': '4. How the widget looks',
    'setup.look_hint': "The title and colour of the widget's header, and its language.",
    'setup.title': 'Title',
    'setup.title_hint': 'Left empty, the header says "고객센터" / "Support".',
    'setup.color': 'Brand colour',
    'setup.locale': 'Language',
    'setup.locale_auto': "The page's language, or the customer's browser's",
    'setup.save_look': 'Save the look',
    'setup.saved_look': 'Widget look saved.',
    'sms.title': 'Connect SMS',
    'sms.lead': 'Texts go through a two-way Twilio number. Saving checks the number with Twilio at once.',
    'sms.sid': 'Twilio account SID',
    'sms.sid_hint': '34 characters starting with AC',
    'sms.token': 'Auth token',
    'sms.token_set': 'Saved. Type only to replace it.',
    'sms.phone': 'Sending number',
    'sms.phone_hint': 'E.164, e.g. +15551234567. Alphanumeric sender IDs cannot receive replies.',
    'sms.save': 'Save and verify',
    'sms.verify': 'Verify again',
    'sms.saved': 'Twilio settings saved.',
    'sms.webhook': 'Twilio incoming webhook',
    'sms.webhook_hint': 'In Twilio\'s console, set it as the number\'s "A message comes in" webhook (HTTP POST).',
  },
};

/** The section heading and the setup item's status line, redrawn on every change. */
function sectionHead(page, id, title, lead) {
  const status = h('p', { class: 'section-status', 'aria-live': 'polite' });
  const draw = () => {
    const item = page.item('channel_setup');
    fill(status, h('span', { class: `dot ${item.done ? 'ok' : 'todo'}`, 'aria-hidden': 'true' }), itemText(page, item));
  };
  draw();
  page.onChange(draw);
  return [h('h2', { id: id + '-title' }, title), h('p', { class: 'muted' }, lead), status];
}

export function widgetSection(page) {
  const formStatus = h('p', { class: 'form-status', role: 'alert' });
  const list = h('ul', { class: 'origins' });
  const seen = h('div', { class: 'seen' });
  const input = h('input', { type: 'url', name: 'origin', placeholder: 'https://shop.example', inputmode: 'url', autocomplete: 'off' });
  const here = location.origin;

  const saveOrigins = async (origins) => {
    formStatus.textContent = '';
    try {
      await page.save({ allowed_origins: origins });
      say(t('setup.saved_origins'));
      return true;
    } catch (err) {
      formStatus.textContent = problem(page.channel, err);
      return false;
    }
  };
  const origins = () => page.ch.settings.allowed_origins || [];

  const addHere = h('button', { type: 'button', class: 'add-here' });
  const draw = () => {
    fill(list, origins().length
      ? origins().map((o) => h('li', { class: 'chip' }, h('span', null, o),
        h('button', {
          type: 'button', class: 'chip-remove', 'aria-label': t('setup.remove', { origin: o }),
          onclick: () => saveOrigins(origins().filter((x) => x !== o)),
        }, '×')))
      : h('li', { class: 'empty' }, t('setup.no_origins')));
    addHere.hidden = origins().includes(here);
    const loaded = page.ch.seen_origins || [];
    fill(seen, loaded.length
      ? [h('h3', null, t('setup.seen')), h('ul', { class: 'seen-list' }, loaded.map((o) => h('li', null,
        h('span', { class: `dot ${origins().includes(o.origin) ? 'ok' : 'todo'}`, 'aria-hidden': 'true' }),
        h('code', null, o.origin), ' ', h('span', { class: 'muted' }, t('setup.seen_at', { time: dateTime(o.last_seen_at) })))))]
      : null);
  };
  fill(addHere, t('setup.add_here', { origin: here }));
  addHere.addEventListener('click', () => busy(addHere, () => saveOrigins([...origins(), here])));
  draw();
  page.onChange(draw);

  const add = h('button', { type: 'submit' }, t('setup.add'));
  const form = h('form', { class: 'inline-form', 'aria-label': t('setup.step_origins') },
    field(t('setup.origin_input'), input), add);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim().replace(/\/+$/, '');
    if (!value) return;
    busy(add, async () => {
      if (await saveOrigins([...origins(), value])) input.value = '';
    });
  });

  const snippet = h('code', null, page.ch.embed_snippet || '');
  const look = lookForm(page);
  const demo = `/demo?key=${encodeURIComponent(page.ch.widget_key || '')}&lang=${locale()}`;
  return h('section', { class: 'card section', id: 'sec-setup', 'aria-labelledby': 'sec-setup-title' },
    sectionHead(page, 'sec-setup', t('setup.widget_title'), t('setup.widget_lead')),
    h('div', { class: 'step' },
      h('h3', null, t('setup.step_origins')),
      h('p', { class: 'hint' }, t('setup.origins_hint')),
      list, form, addHere, formStatus),
    h('div', { class: 'step' },
      h('h3', null, t('setup.step_snippet')),
      h('p', { class: 'hint' }, t('setup.snippet_hint')),
      h('div', { class: 'snippet' }, h('pre', { class: 'code' }, snippet),
        copyButton(() => page.ch.embed_snippet || '', t('setup.snippet_label'), snippet))),
    h('div', { class: 'step' },
      h('h3', null, t('setup.step_test')),
      h('p', { class: 'hint' }, t('setup.test_hint')),
      h('a', { class: 'button', id: 'open-demo', href: demo, target: '_blank', rel: 'noopener' }, t('setup.open_demo'), ' ↗'),
      seen),
    h('div', { class: 'step' },
      h('h3', null, t('setup.step_look')),
      h('p', { class: 'hint' }, t('setup.look_hint')),
      look));
}

/** The widget's title, brand colour and language. */
function lookForm(page) {
  const s = () => page.ch.settings;
  const title = textPair({
    name: 'title', label: t('setup.title'), value: s().title, max: 80, single: true,
    placeholder: { ko: '고객센터', en: 'Support' }, hint: t('setup.title_hint'),
  });
  const color = h('input', { name: 'color', type: 'color', value: s().color || '#1f6feb' });
  const lang = h('select', { name: 'locale' },
    [['', t('setup.locale_auto')], ['ko', '한국어'], ['en', 'English']]
      .map(([value, label]) => h('option', { value, selected: (s().locale || '') === value }, label)));
  const status = h('p', { class: 'form-status', role: 'alert' });
  const save = h('button', { type: 'submit' }, t('setup.save_look'));
  const form = h('form', { class: 'settings-form look-form', 'aria-label': t('setup.step_look') },
    title.el,
    h('div', { class: 'look-row' }, field(t('setup.color'), color), field(t('setup.locale'), lang)),
    status, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(save, async () => {
      status.textContent = '';
      try {
        await page.save({ title: title.value(), color: color.value, locale: lang.value || null });
        announce(t('setup.saved_look'));
      } catch (err) {
        status.textContent = problem(page.channel, err);
      }
    });
  });
  return form;
}

export function smsSection(page) {
  const s = () => page.ch.settings;
  const sid = h('input', { name: 'twilio_account_sid', autocomplete: 'off', spellcheck: 'false', value: s().twilio_account_sid || '' });
  const token = h('input', { name: 'twilio_auth_token', type: 'password', autocomplete: 'new-password' });
  const phone = h('input', { name: 'phone_number', type: 'tel', autocomplete: 'off', value: s().phone_number || '' });
  const tokenHint = h('p', { class: 'hint' });
  const verify = h('button', { type: 'button' }, t('sms.verify'));
  const drawToken = () => {
    token.placeholder = page.ch.twilio_auth_token_set ? '••••••••' : '';
    tokenHint.textContent = page.ch.twilio_auth_token_set ? t('sms.token_set') : '';
    // Twilio can only be asked again about settings that are complete.
    verify.hidden = !(s().twilio_account_sid && s().phone_number && page.ch.twilio_auth_token_set);
  };
  drawToken();
  page.onChange(drawToken);
  const status = h('p', { class: 'form-status', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'primary' }, t('sms.save'));
  const form = h('form', { class: 'settings-form', 'aria-labelledby': 'sec-setup-title' },
    field(t('sms.sid'), sid, t('sms.sid_hint')),
    h('div', { class: 'field' }, h('label', { for: 'sms-token' }, t('sms.token')), token, tokenHint),
    field(t('sms.phone'), phone, t('sms.phone_hint')),
    status,
    h('div', { class: 'actions' }, save, verify));
  token.id = 'sms-token';
  token.setAttribute('aria-describedby', 'sms-token-hint');
  tokenHint.id = 'sms-token-hint';
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(save, async () => {
      status.textContent = '';
      const patch = { twilio_account_sid: sid.value.trim() || null, phone_number: phone.value.trim() || null };
      if (token.value.trim()) patch.twilio_auth_token = token.value.trim();
      try {
        await page.save(patch);
        token.value = '';
        announce(t('sms.saved'));
      } catch (err) {
        status.textContent = problem(page.channel, err);
      }
    });
  });
  verify.addEventListener('click', () => busy(verify, async () => {
    status.textContent = '';
    try {
      await page.changed(await page.ctx.api('POST', '/v1/channels/sms/verify'));
    } catch (err) {
      status.textContent = problem(page.channel, err);
    }
  }));
  const webhook = h('code', null, page.ch.sms_webhook_url || '');
  return h('section', { class: 'card section', id: 'sec-setup', 'aria-labelledby': 'sec-setup-title' },
    sectionHead(page, 'sec-setup', t('sms.title'), t('sms.lead')),
    form,
    h('div', { class: 'step' },
      h('h3', null, t('sms.webhook')),
      h('p', { class: 'hint' }, t('sms.webhook_hint')),
      h('div', { class: 'snippet' }, h('pre', { class: 'code' }, webhook),
        copyButton(() => page.ch.sms_webhook_url || '', t('sms.webhook'), webhook))));
}
