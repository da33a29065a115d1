// The console's shell: sign-in, the header with navigation and language, and a hash router that
// hands each view its part of the page. Views live in their own modules (launch, preview, rooms);
// each exports `strings`, `nav` and `routes`.

import { add, t, locale, setLocale } from './i18n.js';
import { api, token, setToken } from './api.js';
import { h, fill, field, errorText, busy } from './ui.js';
import * as launch from './launch.js';
import * as preview from './preview.js';
import * as rooms from './rooms.js';

const SECTIONS = [launch, preview, rooms];

add({
  ko: {
    'app.name': 'sangdam 상담',
    'app.nav': '주 메뉴',
    'app.language': '언어',
    'app.logout': '로그아웃',
    'app.skip': '본문으로 건너뛰기',
    'app.not_found': '없는 페이지입니다.',
    'login.title': '콘솔 로그인',
    'login.login': '아이디',
    'login.password': '비밀번호',
    'login.submit': '로그인',
    'login.more': '다른 워크스페이스',
    'login.workspace': '워크스페이스 ID (같은 아이디가 여러 워크스페이스에 있을 때)',
    'login.failed': '로그인하지 못했습니다: {reason}',
    'role.admin': '관리자',
    'role.manager': '매니저',
    'role.agent': '상담원',
    'error.generic': '요청을 처리하지 못했습니다.',
    'error.network': '서버에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.',
    'common.loading': '불러오는 중…',
    'common.save': '저장',
    'common.cancel': '취소',
    'common.saved': '저장했습니다.',
  },
  en: {
    'app.name': 'sangdam',
    'app.nav': 'Main',
    'app.language': 'Language',
    'app.logout': 'Log out',
    'app.skip': 'Skip to content',
    'app.not_found': 'There is no such page.',
    'login.title': 'Sign in to the console',
    'login.login': 'Login',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.more': 'Another workspace',
    'login.workspace': 'Workspace ID (when your login exists in several workspaces)',
    'login.failed': 'Could not sign in: {reason}',
    'role.admin': 'Admin',
    'role.manager': 'Manager',
    'role.agent': 'Agent',
    'error.generic': 'The request could not be completed.',
    'error.network': 'Cannot reach the server. Please try again shortly.',
    'common.loading': 'Loading…',
    'common.save': 'Save',
    'common.cancel': 'Cancel',
    'common.saved': 'Saved.',
  },
});
for (const section of SECTIONS) add(section.strings || {});

const root = document.getElementById('app');
const state = { me: null, cleanups: [] };

const navigate = (hash) => {
  if (location.hash === hash) route();
  else location.hash = hash;
};

const runCleanups = () => {
  for (const fn of state.cleanups.splice(0)) {
    try { fn(); } catch (_) { /* a view's cleanup failing must not block the next view */ }
  }
};

/** The context every view gets: who is signed in, the API, and hooks into the shell. */
const context = () => ({
  me: state.me,
  api,
  t,
  navigate,
  onCleanup: (fn) => state.cleanups.push(fn),
});

const allowed = (item) => !item.roles || (state.me && item.roles.includes(state.me.role));

const home = () => (state.me && state.me.role === 'agent' ? '#/rooms' : '#/channels/webchat');

function header() {
  const current = location.hash || home();
  const links = SECTIONS.flatMap((s) => s.nav || []).filter(allowed).map((item) => {
    const active = current === item.href || current.startsWith(item.href + '/');
    return h('li', null, h('a', { href: item.href, 'aria-current': active ? 'page' : false }, t(item.label)));
  });
  const lang = h('select', { id: 'lang', 'aria-label': t('app.language') },
    h('option', { value: 'ko', selected: locale() === 'ko' }, '한국어'),
    h('option', { value: 'en', selected: locale() === 'en' }, 'English'));
  lang.addEventListener('change', () => setLocale(lang.value));
  const who = state.me
    ? h('span', { class: 'who' }, state.me.name, ' · ', t('role.' + state.me.role))
    : null;
  const logout = state.me
    ? h('button', { type: 'button', class: 'link', onclick: logoutNow }, t('app.logout'))
    : null;
  return h('header', { class: 'top' },
    h('a', { class: 'skip', href: '#main' }, t('app.skip')),
    h('a', { class: 'brand', href: home() }, t('app.name')),
    state.me ? h('nav', { 'aria-label': t('app.nav') }, h('ul', null, links)) : null,
    h('div', { class: 'tools' }, who, lang, logout));
}

function shell() {
  const main = h('main', { id: 'main', tabindex: '-1' });
  fill(root, header(), main);
  return main;
}

async function logoutNow() {
  try { await api('POST', '/v1/auth/logout'); } catch (_) { /* signing out locally is enough */ }
  setToken(null);
  state.me = null;
  location.hash = '';
  route();
}

function loginView() {
  runCleanups();
  const main = shell();
  const login = h('input', { name: 'login', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  // Logins are unique per workspace; the rare login held in several needs the workspace's id,
  // which a link can carry as ?workspace=.
  const asked = new URLSearchParams(location.search).get('workspace') || '';
  const workspace = h('input', { name: 'workspace', autocomplete: 'off', spellcheck: 'false', value: asked });
  const more = h('details', { class: 'login-more', open: Boolean(asked) },
    h('summary', null, t('login.more')),
    field(t('login.workspace'), workspace));
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const status = h('div', { class: 'form-status', role: 'alert' });
  const form = h('form', { class: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, t('login.title')),
    field(t('login.login'), login),
    field(t('login.password'), password),
    more,
    status,
    submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      status.textContent = '';
      try {
        const body = { login: login.value.trim(), password: password.value };
        if (workspace.value.trim()) body.workspace = workspace.value.trim();
        const res = await api('POST', '/v1/auth/login', body);
        setToken(res.token);
        state.me = res.account;
        if (!location.hash || location.hash === '#/') location.hash = home();
        route();
      } catch (err) {
        status.textContent = t('login.failed', { reason: errorText(err) });
        password.select();
      }
    });
  });
  fill(main, form);
  login.focus();
}

async function route() {
  if (!token()) return loginView();
  if (!state.me) {
    try {
      state.me = await api('GET', '/v1/me');
    } catch (err) {
      if (err.status === 401) return loginView();
      fill(shell(), h('div', { class: 'error-box', role: 'alert' }, errorText(err)));
      return;
    }
  }
  const hash = location.hash && location.hash !== '#/' ? location.hash : home();
  const path = hash.replace(/^#\/?/, '');
  runCleanups();
  const main = shell();
  for (const section of SECTIONS) {
    for (const r of section.routes || []) {
      const match = path.match(r.pattern);
      if (match && allowed(r)) {
        document.title = `${t(r.title || 'app.name')} · sangdam`;
        try {
          await r.render(main, match, context());
        } catch (err) {
          fill(main, h('div', { class: 'error-box', role: 'alert' }, errorText(err)));
        }
        return;
      }
    }
  }
  fill(main, h('p', { class: 'empty' }, t('app.not_found')));
}

window.addEventListener('hashchange', route);
window.addEventListener('sangdam:locale', route);
window.addEventListener('sangdam:unauthorized', () => { state.me = null; loginView(); });
route();
