// Connecting a helpdesk for handoff tickets: the adapter's settings (secrets write-only), checked
// with the helpdesk when saved; the answer says whether it accepted them, in its own words.

import { t } from './i18n.js';
import { h, fill, field, announce, busy } from './ui.js';
import { problem } from './launch-items.js';

export const strings = {
  ko: {
    'helpdesk.connect': '헬프데스크 연결하기',
    'helpdesk.adapter': '헬프데스크',
    'helpdesk.save': '연결하고 확인',
    'helpdesk.secret_set': '저장되어 있습니다. 바꿀 때만 입력하세요.',
    'helpdesk.verified': '{title} 연결을 확인했습니다.',
    'helpdesk.unverified': '{title}이(가) 설정을 받아들이지 않았습니다: {detail}',
    'helpdesk.field.base_url': '기본 URL',
    'helpdesk.field.email': '상담원 이메일',
    'helpdesk.field.api_token': 'API 토큰',
    'helpdesk.field.api_key': 'API 키',
    'helpdesk.field.url': '웹훅 URL',
    'helpdesk.field.secret': '서명 비밀키',
  },
  en: {
    'helpdesk.connect': 'Connect a helpdesk',
    'helpdesk.adapter': 'Helpdesk',
    'helpdesk.save': 'Connect and check',
    'helpdesk.secret_set': 'Saved. Type only to replace it.',
    'helpdesk.verified': '{title} is connected.',
    'helpdesk.unverified': '{title} did not accept the settings: {detail}',
    'helpdesk.field.base_url': 'Base URL',
    'helpdesk.field.email': 'Agent email',
    'helpdesk.field.api_token': 'API token',
    'helpdesk.field.api_key': 'API key',
    'helpdesk.field.url': 'Webhook URL',
    'helpdesk.field.secret': 'Signing secret',
  },
};

const PLACEHOLDER = { url: 'https://', email: 'agent@brand.example' };

const label = (name) => {
  const key = 'helpdesk.field.' + name;
  return t(key) === key ? name : t(key);
};

/**
 * A disclosure with the form connecting a helpdesk; `onConnected(name)` runs after a save, once
 * `page.helpdesks` holds the new integration.
 */
export function helpdeskConnect(page, onConnected) {
  const adapters = page.helpdesks.adapters || [];
  const select = h('select', { name: 'adapter' }, adapters.map((a) => h('option', { value: a.name }, a.title)));
  const fields = h('div', { class: 'adapter-fields' });
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  let inputs = [];
  const drawFields = () => {
    const adapter = adapters.find((a) => a.name === select.value);
    const existing = (page.helpdesks.helpdesks || []).find((x) => x.name === select.value);
    inputs = (adapter ? adapter.fields : []).map((f) => {
      const input = h('input', {
        name: f.name,
        type: f.secret ? 'password' : f.kind === 'email' ? 'email' : f.kind === 'url' ? 'url' : 'text',
        autocomplete: f.secret ? 'new-password' : 'off',
        placeholder: f.secret && existing && existing.secrets_set.includes(f.name) ? '••••••••' : PLACEHOLDER[f.kind] || '',
        spellcheck: 'false',
      });
      if (!f.secret && existing && existing.settings[f.name]) input.value = existing.settings[f.name];
      const hint = f.secret && existing && existing.secrets_set.includes(f.name) ? t('helpdesk.secret_set') : null;
      return { f, input, el: field(label(f.name), input, hint) };
    });
    fill(fields, inputs.map((i) => i.el));
  };
  select.addEventListener('change', drawFields);
  drawFields();

  const save = h('button', { type: 'submit' }, t('helpdesk.save'));
  const form = h('form', { class: 'settings-form connect-form' }, field(t('helpdesk.adapter'), select), fields, status, save);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(save, async () => {
      fill(status);
      const body = {};
      for (const { f, input } of inputs) {
        const value = input.value.trim();
        if (value || !f.secret) body[f.name] = value;
      }
      try {
        const view = await page.ctx.api('PUT', `/v1/helpdesks/${encodeURIComponent(select.value)}`, body);
        page.helpdesks = await page.ctx.api('GET', '/v1/helpdesks');
        const ok = view.verified;
        const detail = (view.check && view.check.detail) || '';
        fill(status, h('p', { class: ok ? 'ok-text' : 'error-box' },
          ok ? t('helpdesk.verified', { title: view.title }) : t('helpdesk.unverified', { title: view.title, detail })));
        if (ok) announce(t('helpdesk.verified', { title: view.title }));
        onConnected(view.name);
        await page.changed();
        drawFields();
      } catch (err) {
        fill(status, h('p', { class: 'error-box' }, problem(page.channel, err)));
      }
    });
  });
  return h('details', { class: 'connect' }, h('summary', null, t('helpdesk.connect')), form);
}
