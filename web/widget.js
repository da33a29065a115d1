/*
 * sangdam web chat widget.
 *
 * The sangdam engine serves this file at GET /widget.js. To add the chat
 * launcher to a page, include:
 *
 *   <script src="https://ENGINE/widget.js" data-widget-key="wk_..." defer></script>
 *
 * Optional attributes: data-locale="ko"|"en", and the customer identity
 * fields data-name, data-email, data-phone, data-external-id (sent when a
 * conversation is created). API calls go to the origin of this script's src.
 * The only global this defines is window.Sangdam = { open(), close() }.
 */
(() => {
  'use strict';

  if (window.Sangdam) return; // already loaded on this page

  const findScript = () => {
    const all = document.getElementsByTagName('script');
    for (let i = all.length - 1; i >= 0; i--) {
      if (/\/widget\.js(?:[?#].*)?$/.test(all[i].getAttribute('src') || '')) return all[i];
    }
    return null;
  };

  const script = document.currentScript || findScript();
  if (!script || !script.src) return;
  const key = (script.getAttribute('data-widget-key') || '').trim();
  if (!key) return console.warn('[sangdam] data-widget-key is missing; chat widget not loaded.');
  let base;
  try { base = new URL(script.src, location.href).origin; } catch (_) { return; }

  const customer = {};
  for (const field of ['name', 'email', 'phone', 'external_id']) {
    const v = (script.getAttribute('data-' + field.replace('_', '-')) || '').trim();
    if (v) customer[field] = v;
  }

  const STRINGS = {
    ko: {
      title: '상담', open: '상담 창 열기', unread: '새 메시지', close: '상담 창 닫기', log: '대화 내용',
      placeholder: '메시지를 입력하세요', send: '보내기', sending: '보내는 중…',
      failed: '전송 실패 - 눌러서 다시 시도', counselor: '상담원',
    },
    en: {
      title: 'Chat with us', open: 'Open chat', unread: 'new messages', close: 'Close chat', log: 'Conversation',
      placeholder: 'Type a message', send: 'Send', sending: 'Sending…',
      failed: 'Failed - tap to retry', counselor: 'Agent',
    },
  };
  const toLocale = (v) => (String(v || '').toLowerCase().startsWith('ko') ? 'ko' : 'en');
  const attrLocale = script.getAttribute('data-locale');
  let locale = toLocale(attrLocale || navigator.language);
  let T = STRINGS[locale];

  const MAX_LEN = 2000;
  const BACKOFF_MS = [1000, 2000, 4000, 8000]; // up to 5 attempts in total
  const AUTHORS = ['customer', 'bot', 'counselor', 'system'];

  const storeKey = 'sangdam:' + key;
  const loadState = () => {
    try {
      const s = JSON.parse(localStorage.getItem(storeKey) || 'null');
      if (s && s.conversation_id != null && typeof s.token === 'string' && s.token) return s;
    } catch (_) { /* storage unavailable or corrupt */ }
    return null;
  };
  const saveState = (s) => { try { localStorage.setItem(storeKey, JSON.stringify(s)); } catch (_) { /* ignore */ } };
  const clearState = () => { try { localStorage.removeItem(storeKey); } catch (_) { /* ignore */ } };

  const uuid = () => {
    const c = window.crypto;
    if (c && typeof c.randomUUID === 'function') return c.randomUUID();
    const b = new Uint8Array(16);
    if (c && typeof c.getRandomValues === 'function') c.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 version 4
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // Resolves to { status, ok, data }; rejects only on network failure.
  const api = async (method, path, { token, body, widgetKey } = {}) => {
    const headers = { Accept: 'application/json' };
    if (widgetKey) headers['X-Widget-Key'] = key;
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(base + path,
      { method, headers, credentials: 'omit', body: body === undefined ? undefined : JSON.stringify(body) });
    let data = null;
    try { data = await res.json(); } catch (_) { /* empty or non-JSON body */ }
    return { status: res.status, ok: res.ok, data };
  };

  // Retries network errors, 5xx and 429 with exponential backoff.
  const withRetry = async (call) => {
    for (let attempt = 0; ; attempt++) {
      let r = null;
      try { r = await call(); } catch (_) { r = null; }
      const transient = !r || r.status >= 500 || r.status === 429;
      if (!transient || attempt >= BACKOFF_MS.length) return r;
      await sleep(BACKOFF_MS[attempt]);
    }
  };

  const convPath = (c) => '/v1/webchat/conversations/' + encodeURIComponent(String(c.conversation_id));

  const h = (tag, attrs, text) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
    if (text != null) n.textContent = text;
    return n;
  };

  let conv = loadState();                        // { conversation_id, token } or null
  let creating = null, historyBusy = null;       // in-flight creation / history promises
  let historyLoaded = false;
  let events = null, eventsTimer = null, eventsDelay = 5000; // EventSource + hard-failure backoff
  const seen = new Set();                        // server message ids already rendered
  let ready = false, isOpen = false, wantOpen = false, ui = null;

  const STYLE = `
:host{all:initial}*{box-sizing:border-box}
.wrap{--sd-color:#2f6fed;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Apple SD Gothic Neo","Malgun Gothic",sans-serif;color:#1d2330}
.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;padding:0;border:0;border-radius:50%;background:var(--sd-color);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;z-index:2147483000}
.launcher svg{width:28px;height:28px;fill:currentColor}.dot{position:absolute;top:3px;right:3px;width:13px;height:13px;border-radius:50%;background:#e5484d;border:2px solid #fff;display:none}
.launcher.unread .dot{display:block}button:focus-visible,.msg.failed:focus-visible{outline:3px solid #9db9f5;outline-offset:2px}
.panel{position:fixed;right:20px;bottom:88px;width:360px;height:520px;max-height:calc(100vh - 108px);background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;z-index:2147483001}
.panel[hidden]{display:none}.head{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--sd-color);color:#fff}
.head h2{flex:1;margin:0;font-size:16px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.close{padding:2px 8px;border:0;border-radius:6px;background:transparent;color:inherit;font:inherit;font-size:22px;line-height:1;cursor:pointer}
.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}
.msg{max-width:80%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.msg.customer{align-self:flex-end;background:var(--sd-color);color:#fff;border-bottom-right-radius:4px}
.msg.bot,.msg.counselor{align-self:flex-start;background:#fff;border:1px solid #e3e6eb;border-bottom-left-radius:4px}
.msg.system{align-self:center;max-width:90%;padding:2px 8px;color:#6b7280;font-size:12px;text-align:center}
.msg.sending{opacity:.7}.msg.failed{background:#fff;color:#b42318;border:1px solid #f1b5b0;cursor:pointer}
.label{display:block;margin-bottom:2px;font-size:11px;font-weight:600;color:#6b7280}.status{display:block;margin-top:3px;font-size:11px;text-align:right;opacity:.85}
.form{display:flex;align-items:flex-end;gap:8px;margin:0;padding:10px;border-top:1px solid #e3e6eb;background:#fff}
textarea{flex:1;min-height:38px;max-height:120px;padding:8px 10px;border:1px solid #d0d5dd;border-radius:10px;resize:none;outline:none;font:inherit;color:inherit;background:#fff}
textarea:focus{border-color:var(--sd-color)}.send{height:38px;padding:0 14px;border:0;border-radius:10px;background:var(--sd-color);color:#fff;font:inherit;font-weight:600;cursor:pointer}
.send:disabled{opacity:.5;cursor:default}@media (max-width:480px){.panel{right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0}}
`;

  const scrollDown = () => { ui.log.scrollTop = ui.log.scrollHeight; };
  const append = (node, force) => { // keep the view pinned to the bottom unless the reader scrolled up
    const stick = force || ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 48;
    ui.log.appendChild(node);
    if (stick) scrollDown();
  };

  const bubble = (author, text, createdAt) => {
    const kind = AUTHORS.includes(author) ? author : 'bot';
    const b = h('div', { class: 'msg ' + kind });
    if (kind === 'counselor') b.appendChild(h('span', { class: 'label' }, T.counselor));
    b.appendChild(h('span', { class: 'text' }, String(text == null ? '' : text)));
    const d = createdAt ? new Date(createdAt) : null;
    if (d && !isNaN(d.getTime())) b.title = d.toLocaleString(locale === 'ko' ? 'ko-KR' : 'en-US');
    return b;
  };

  const markUnread = (on) => {
    ui.launcher.classList.toggle('unread', on);
    ui.launcher.setAttribute('aria-label', on ? `${T.open} (${T.unread})` : T.open);
  };

  // live: arrived over the event stream (may flag the launcher as unread).
  const addServerMessage = (m, live) => {
    if (!m || m.id == null || !ui) return;
    const id = String(m.id);
    if (seen.has(id)) return;
    seen.add(id);
    const node = bubble(m.author, m.text, m.created_at);
    node.setAttribute('data-server', '');
    append(node, false);
    if (live && !isOpen && m.author !== 'customer') markUnread(true);
  };

  const disconnectEvents = () => { clearTimeout(eventsTimer); if (events) events.close(); events = null; };

  // Forget the stored conversation; optionally clear what it rendered.
  const resetConversation = (wipe) => {
    clearState();
    conv = null;
    historyLoaded = false;
    disconnectEvents();
    if (!wipe) return;
    seen.clear();
    ui.log.querySelectorAll('[data-server]').forEach((n) => n.remove());
  };

  const connectEvents = () => {
    if (!conv || events || typeof EventSource === 'undefined') return;
    const c = conv;
    const src = new EventSource(`${base}${convPath(c)}/events?token=${encodeURIComponent(c.token)}`);
    events = src;
    src.addEventListener('open', () => { eventsDelay = 5000; });
    src.addEventListener('message', (ev) => {
      try { addServerMessage(JSON.parse(ev.data), true); } catch (_) { /* malformed event */ }
    });
    src.addEventListener('error', () => {
      // While CONNECTING the browser retries by itself (sending Last-Event-ID).
      if (src.readyState !== EventSource.CLOSED) return;
      if (events === src) events = null;
      clearTimeout(eventsTimer);
      // Refetch history to fill any gap (and detect a dead conversation), then reopen the stream.
      eventsTimer = setTimeout(() => { if (conv === c) { historyLoaded = false; loadHistory(); } }, eventsDelay);
      eventsDelay = Math.min(eventsDelay * 2, 60000);
    });
  };

  const loadHistory = () => {
    if (historyBusy || !conv) return historyBusy;
    const c = conv;
    historyBusy = (async () => {
      let r = null;
      try { r = await api('GET', convPath(c) + '/messages', { token: c.token }); } catch (_) { r = null; }
      if (conv !== c) return;
      if (r && (r.status === 401 || r.status === 404)) return resetConversation(true);
      if (r && r.ok && r.data && Array.isArray(r.data.messages)) {
        r.data.messages.forEach((m) => addServerMessage(m, false));
        historyLoaded = true;
        if (isOpen) scrollDown();
      }
      connectEvents();
    })().finally(() => { historyBusy = null; });
    return historyBusy;
  };

  const ensureConversation = () => {
    if (conv) return Promise.resolve();
    if (!creating) {
      creating = (async () => {
        const r = await withRetry(() => api('POST', '/v1/webchat/conversations', { widgetKey: true, body: { customer } }));
        if (r && r.ok && r.data && r.data.conversation_id != null && r.data.token) {
          conv = { conversation_id: r.data.conversation_id, token: String(r.data.token) };
          saveState(conv);
          loadHistory(); // picks up any greeting, then opens the event stream
        } else if (r) {
          console.warn('[sangdam] could not start a conversation:', (r.data && r.data.message) || r.status);
        }
      })().finally(() => { creating = null; });
    }
    return creating;
  };

  const setStatus = (item, state) => {
    const n = item.node;
    n.classList.toggle('sending', state === 'sending');
    n.classList.toggle('failed', state === 'failed');
    if (state === 'failed') { n.setAttribute('role', 'button'); n.tabIndex = 0; }
    else { n.removeAttribute('role'); n.removeAttribute('tabindex'); }
    if (state === 'sent') item.status.remove();
    else item.status.textContent = state === 'sending' ? T.sending : T.failed;
  };

  const deliver = async (item) => {
    if (item.busy || item.done) return;
    item.busy = true;
    let ok = false;
    setStatus(item, 'sending');
    const body = { text: item.text, client_message_id: item.cmid };
    // A second round runs only if the stored conversation turned out to be gone (401/404).
    for (let round = 0; round < 2; round++) {
      await ensureConversation();
      const c = conv;
      if (!c) break;
      const r = await withRetry(() => api('POST', convPath(c) + '/messages', { token: c.token, body }));
      if (r && r.ok) {
        ok = true;
        const id = r.data && r.data.message_id != null ? String(r.data.message_id) : null;
        if (id && seen.has(id)) item.node.remove(); // the stream delivered it first
        else { if (id) seen.add(id); item.node.setAttribute('data-server', ''); }
        break;
      }
      if (!r || (r.status !== 401 && r.status !== 404)) break;
      if (conv === c) resetConversation(false); // start a fresh conversation
    }
    item.busy = false; item.done = ok;
    setStatus(item, ok ? 'sent' : 'failed');
  };

  const submit = () => {
    const text = ui.input.value.trim().slice(0, MAX_LEN);
    if (!text) return;
    ui.input.value = '';
    autosize();
    const item = { cmid: uuid(), text, node: bubble('customer', text), status: h('span', { class: 'status' }) };
    item.node.appendChild(item.status);
    const retry = () => { if (item.node.classList.contains('failed')) deliver(item); };
    item.node.addEventListener('click', retry);
    item.node.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); retry(); } });
    append(item.node, true);
    deliver(item);
  };

  const autosize = () => {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 120) + 'px';
    ui.send.disabled = !ui.input.value.trim();
  };

  const open = () => {
    if (!ready) { wantOpen = true; return; }
    if (isOpen) return;
    isOpen = true;
    ui.panel.hidden = false;
    ui.launcher.setAttribute('aria-expanded', 'true');
    markUnread(false);
    scrollDown();
    ui.input.focus();
    if (conv && !historyLoaded) loadHistory();
  };

  const close = () => {
    wantOpen = false;
    if (!isOpen) return;
    isOpen = false;
    const hadFocus = ui.root.activeElement != null;
    ui.panel.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'false');
    if (hadFocus) ui.launcher.focus();
  };

  const launcherIcon = () => {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24'); svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', 'M6 3h12a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-8l-5 4v-4H6a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z');
    svg.appendChild(path);
    return svg;
  };

  const build = (settings) => {
    const host = h('div', { 'data-sangdam-widget': '' });
    const root = host.attachShadow({ mode: 'open' });
    const wrap = h('div', { class: 'wrap', lang: locale });
    const color = typeof settings.color === 'string' ? settings.color.trim() : '';
    if (color && window.CSS && window.CSS.supports('color', color)) wrap.style.setProperty('--sd-color', color);
    const title = (typeof settings.title === 'string' && settings.title.trim()) || T.title;
    const launcher = h('button', { type: 'button', class: 'launcher', 'aria-label': T.open, 'aria-expanded': 'false', 'aria-controls': 'sangdam-panel' });
    launcher.append(launcherIcon(), h('span', { class: 'dot', 'aria-hidden': 'true' }));
    const panel = h('div', { class: 'panel', id: 'sangdam-panel', role: 'dialog', 'aria-label': title });
    panel.hidden = true;
    const head = h('div', { class: 'head' });
    const closeBtn = h('button', { type: 'button', class: 'close', 'aria-label': T.close }, '×');
    head.append(h('h2', null, title), closeBtn);
    const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': T.log });
    const intro = typeof settings.intro_message === 'string' ? settings.intro_message.trim() : '';
    if (intro) log.appendChild(bubble('bot', intro)); // local only: not a server message
    const form = h('form', { class: 'form' });
    const input = h('textarea', { rows: '1', maxlength: String(MAX_LEN), placeholder: T.placeholder, 'aria-label': T.placeholder });
    const send = h('button', { type: 'submit', class: 'send', 'aria-label': T.send }, T.send);
    send.disabled = true;
    form.append(input, send);
    panel.append(head, log, form);
    wrap.append(panel, launcher);
    root.append(h('style', null, STYLE), wrap);
    ui = { host, root, launcher, panel, log, input, send };

    launcher.addEventListener('click', () => (isOpen ? close() : open()));
    closeBtn.addEventListener('click', close);
    wrap.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && isOpen && !e.isComposing) { e.stopPropagation(); close(); }
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
    input.addEventListener('input', autosize);
    input.addEventListener('keydown', (e) => {
      // Enter sends; Shift+Enter inserts a newline; ignore Enter that ends IME composition.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); submit(); }
    });

    document.body.appendChild(host);
  };

  const domReady = () => new Promise((resolve) => (document.readyState === 'loading'
    ? document.addEventListener('DOMContentLoaded', resolve, { once: true }) : resolve()));

  const init = async () => {
    // Always fetch settings on load: this is how the server records the embedding origin.
    let r = null;
    try { r = await api('GET', '/v1/webchat/settings', { widgetKey: true }); } catch (_) { r = null; }
    if (!r || !r.ok) {
      const why = r ? (r.data && (r.data.message || r.data.error)) || 'HTTP ' + r.status : 'network error';
      return console.warn('[sangdam] chat widget disabled: ' + why);
    }
    const settings = r.data && typeof r.data === 'object' ? r.data : {};
    if (!attrLocale && (settings.locale === 'ko' || settings.locale === 'en')) { locale = settings.locale; T = STRINGS[locale]; }
    await domReady();
    build(settings);
    ready = true;
    if (wantOpen) open();
  };

  window.Sangdam = Object.freeze({ open, close });
  init();
})();
