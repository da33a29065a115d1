/*
 * sangdam web chat widget.
 *
 * The sangdam engine serves this file at GET /widget.js. To add the chat
 * launcher to a page, include:
 *
 *   <script src="https://ENGINE/widget.js" data-widget-key="wk_..." defer></script>
 *
 * Optional attributes: data-locale="ko"|"en" (else the channel's language,
 * else the page's <html lang> when Korean or English, else the browser's), and the customer identity
 * fields data-name, data-email, data-phone, data-external-id (sent when a
 * conversation is created). API calls go to the origin of this script's src.
 * The only global this defines is window.Sangdam = { open(), close() }.
 *
 * Everything lives in a shadow root, styled through a constructed stylesheet
 * (so pages with a strict style-src policy still show it), or a <style>
 * element in browsers without constructable stylesheets.
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

  // ---- words ---------------------------------------------------------------------------------

  const STRINGS = {
    ko: {
      title: '고객센터', open: '상담 창 열기', unread: '새 메시지 있음', minimize: '상담 창 닫기', log: '대화 내용',
      placeholder: '메시지를 입력하세요', send: '보내기', sending: '보내는 중…',
      failed: '보내지 못했어요 · 눌러서 다시 보내기', agent: 'AI 상담원', counselor: '상담원',
      typing: 'AI 상담원이 답변을 쓰고 있어요',
      s_bot: 'AI 상담원 · 응대 중', s_waiting: '상담원 연결 대기 중',
      s_with: '{name} 상담원과 대화 중', s_with_anon: '상담원과 대화 중', s_closed: '종료된 상담',
      handoff_queue: '상담원에게 연결해 드렸어요. 순서대로 답변해 드릴게요.',
      handoff_other: '상담팀에 문의를 전달했어요.',
      handoff_label: '상담원 연결 안내',
      end: '상담 종료', end_q: '상담을 종료할까요?',
      end_hint: '종료하면 이 대화에는 더 답장할 수 없어요. 필요하면 언제든 새 상담을 시작할 수 있어요.',
      end_yes: '종료하기', end_no: '계속 상담하기', ending: '종료하는 중…',
      end_failed: '상담을 종료하지 못했어요. 잠시 후 다시 시도해 주세요.',
      ended_customer: '상담을 종료했어요. 이용해 주셔서 감사합니다.',
      ended_other: '상담이 종료되었어요. 이용해 주셔서 감사합니다.',
      restart: '새 상담 시작하기', reconnecting: '연결이 끊겼어요. 다시 연결하는 중…',
      unavailable: '지금은 상담을 시작할 수 없어요. 잠시 후 다시 시도해 주세요.',
    },
    en: {
      title: 'Support', open: 'Open chat', unread: 'new messages', minimize: 'Close chat', log: 'Conversation',
      placeholder: 'Type a message', send: 'Send', sending: 'Sending…',
      failed: 'Not sent · tap to retry', agent: 'AI assistant', counselor: 'Support agent',
      typing: 'The AI assistant is typing',
      s_bot: 'AI assistant · online', s_waiting: 'Waiting for an agent',
      s_with: 'Chatting with {name}', s_with_anon: 'Chatting with a support agent', s_closed: 'Conversation ended',
      handoff_queue: 'You are connected to our support team. An agent will reply shortly.',
      handoff_other: 'Your request was passed on to our support team.',
      handoff_label: 'Connecting you to a person',
      end: 'End chat', end_q: 'End this conversation?',
      end_hint: 'You will not be able to reply in it afterwards. You can start a new conversation any time.',
      end_yes: 'End chat', end_no: 'Keep chatting', ending: 'Ending…',
      end_failed: 'The conversation could not be ended. Please try again in a moment.',
      ended_customer: 'You ended the conversation. Thank you for chatting with us.',
      ended_other: 'This conversation has ended. Thank you for chatting with us.',
      restart: 'Start a new conversation', reconnecting: 'Connection lost. Reconnecting…',
      unavailable: 'Chat is not available right now. Please try again in a moment.',
    },
  };
  const toLocale = (v) => (String(v || '').toLowerCase().startsWith('ko') ? 'ko' : 'en');
  const attrLocale = script.getAttribute('data-locale');
  // A page in another language says nothing about which of ours to speak: the browser decides.
  const pageLang = String(document.documentElement.getAttribute('lang') || '').toLowerCase();
  const pageLocale = /^(ko|en)\b/.test(pageLang) ? pageLang.slice(0, 2) : '';
  let locale = toLocale(attrLocale || pageLocale || navigator.language);
  let T = STRINGS[locale];
  const fmt = (text, vars) => text.replace(/\{(\w+)\}/g, (_, k) => (vars && vars[k] != null ? vars[k] : ''));
  // A text of the channel's settings in the widget's language: a string serves every language; an
  // object gives the other language's text only when this one's is missing.
  const textOf = (v) => {
    const of = (x) => (typeof x === 'string' ? x.trim() : '');
    if (!v || typeof v !== 'object') return of(v);
    return of(v[locale]) || of(v[locale === 'ko' ? 'en' : 'ko']);
  };
  const clock = (d) => d.toLocaleTimeString(locale === 'ko' ? 'ko-KR' : 'en-US', { hour: 'numeric', minute: '2-digit' });

  // ---- plumbing ------------------------------------------------------------------------------

  const MAX_LEN = 2000;
  const BACKOFF_MS = [1000, 2000, 4000, 8000]; // up to 5 attempts in total
  const TYPING_MS = 15000; // how long the typing dots wait for the agent's answer
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
    const x = Array.from(b, (n) => n.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  };

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // The engine puts a fresh, single-use token here each time it serves this file. Handing it
  // back with the first settings call is what shows the engine the widget really ran on this page.
  const LOAD_TOKEN = '/* sangdam:load */';

  // Resolves to { status, ok, data }; rejects only on network failure.
  const api = async (method, path, { token, body, widgetKey, referrer, load } = {}) => {
    const headers = { Accept: 'application/json' };
    if (widgetKey) headers['X-Widget-Key'] = key;
    if (load && LOAD_TOKEN && !LOAD_TOKEN.startsWith('/*')) headers['X-Widget-Load'] = LOAD_TOKEN;
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const init = { method, headers, credentials: 'omit', body: body === undefined ? undefined : JSON.stringify(body) };
    // A same-origin GET carries no Origin header: send the page's origin (only) as the referrer.
    if (referrer) init.referrerPolicy = 'origin';
    const res = await fetch(base + path, init);
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

  const h = (tag, attrs, ...children) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
    for (const c of children) if (c != null) n.append(c);
    return n;
  };

  const svgIcon = (d) => {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24'); svg.setAttribute('aria-hidden', 'true'); svg.setAttribute('focusable', 'false');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
    return svg;
  };
  const ICON = {
    chat: 'M6 3h12a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-8l-5 4v-4H6a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z',
    down: 'M6.7 8.3 12 13.6l5.3-5.3 1.4 1.4-6.7 6.7-6.7-6.7z',
    send: 'M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z',
    person: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-4.4 0-8 2.2-8 5v1h16v-1c0-2.8-3.6-5-8-5z',
    spark: 'M12 2l2.2 6.1L20 10l-5.8 1.9L12 18l-2.2-6.1L4 10l5.8-1.9zM19 15l1 2.6 2.5 1-2.5 1L19 22l-1-2.4-2.5-1 2.5-1z',
  };

  // ---- styles ------------------------------------------------------------------------------

  // The engine puts web/widget.css here, as a string, when it serves this file.
  const STYLE = '/* sangdam:widget.css */';

  // Constructed sheets are not inline styles, so a page's strict style-src does not block them.
  const applyStyles = (root) => {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
      return;
    } catch (_) { /* no constructable stylesheets: fall back to an element */ }
    root.append(h('style', null, STYLE));
  };

  // ---- state ---------------------------------------------------------------------------------

  let conv = loadState();                        // { conversation_id, token } or null
  let creating = null, historyBusy = null;       // in-flight creation / history promises
  let historyLoaded = false;
  let events = null, eventsTimer = null, eventsDelay = 5000; // EventSource + hard-failure backoff
  const seen = new Set();                        // server message ids already rendered
  let state = null;                              // the conversation's state, from the server
  let ready = false, isOpen = false, wantOpen = false, ended = false, ui = null;
  let typingTimer = null;

  // ---- the conversation log ------------------------------------------------------------------

  const nearBottom = () => ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 60;
  const scrollDown = () => { ui.log.scrollTop = ui.log.scrollHeight; };
  // Adds a node before the typing dots; keeps the view pinned to the bottom unless the reader
  // scrolled up to read older messages.
  const append = (node, force) => {
    const stick = force || nearBottom();
    ui.log.insertBefore(node, ui.typing);
    if (stick) scrollDown();
  };

  const lastRow = () => {
    let n = ui.typing.previousElementSibling;
    while (n && !n.classList.contains('row') && !n.classList.contains('note')) n = n.previousElementSibling;
    return n;
  };

  // One message: a name-and-time line (left out when the same author wrote just before) and the bubble.
  const row = (m) => {
    const kind = AUTHORS.includes(m.author) ? m.author : 'bot';
    const at = m.created_at ? new Date(m.created_at) : new Date();
    const when = isNaN(at.getTime()) ? new Date() : at;
    const r = h('div', { class: 'row ' + kind });
    const who = kind === 'bot' ? T.agent : kind === 'counselor' ? (m.author_name || T.counselor) : '';
    r.dataset.who = kind + ':' + who;
    r.dataset.at = String(when.getTime());
    const meta = h('div', { class: 'meta' });
    if (who) meta.append(h('b', null, who), ' · ');
    meta.append(clock(when));
    const bubble = h('div', { class: 'msg' }, h('span', { class: 'text' }, ...linked(String(m.text == null ? '' : m.text))));
    r.append(meta, bubble);
    const prev = lastRow();
    if (prev && prev.classList.contains('row') && prev.dataset.who === r.dataset.who
        && when.getTime() - Number(prev.dataset.at) < 5 * 60000) r.classList.add('cont');
    return r;
  };

  // Text with its web addresses as links (built as nodes: the text is never parsed as HTML).
  const linked = (text) => {
    const out = [];
    let last = 0;
    for (const m of text.matchAll(/https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g)) {
      if (m.index > last) out.push(text.slice(last, m.index));
      out.push(h('a', { href: m[0], target: '_blank', rel: 'noopener noreferrer' }, m[0]));
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  };

  const note = (text, extra) => h('div', { class: 'note' + (extra ? ' ' + extra : ''), role: 'note' }, text);

  const showTyping = (on) => {
    clearTimeout(typingTimer);
    const stick = nearBottom();
    ui.typing.hidden = !on;
    if (on) {
      typingTimer = setTimeout(() => { ui.typing.hidden = true; }, TYPING_MS);
      if (stick) scrollDown();
    }
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
    if (m.author !== 'customer') showTyping(false);
    const node = m.author === 'system' ? note(String(m.text || '')) : row(m);
    node.setAttribute('data-server', '');
    append(node, false);
    if (state && state.handoff && m.author === 'bot') showHandoff(state.handoff);
    if (live && !isOpen && m.author !== 'customer') markUnread(true);
  };

  // The handoff message is the agent's last reply of its turn, stored at the moment it decided:
  // tag it, and say under it who takes over. Runs again when a message of that moment arrives
  // after the state did.
  const showHandoff = (handoff) => {
    const at = Date.parse(handoff.at);
    if (isNaN(at)) return;
    const rows = Array.from(ui.log.querySelectorAll('.row[data-server]'));
    const before = rows.filter((n) => Number(n.dataset.at) <= at);
    const message = before.filter((n) => n.classList.contains('bot') && Number(n.dataset.at) === at).pop();
    const bubble = message && message.querySelector('.msg');
    if (bubble && !bubble.classList.contains('handoff')) {
      bubble.classList.add('handoff');
      bubble.prepend(h('span', { class: 'tag' }, svgIcon(ICON.person), T.handoff_label));
    }
    let divider = ui.log.querySelector(`.note.handoff[data-at="${at}"]`);
    if (!divider) {
      divider = note(handoff.action === 'queue' ? T.handoff_queue : T.handoff_other, 'handoff');
      divider.dataset.at = String(at);
      divider.setAttribute('data-server', '');
    }
    const after = message || before[before.length - 1];
    if (after && after.nextElementSibling === divider) return;
    const stick = nearBottom();
    if (after) after.after(divider); else ui.log.insertBefore(divider, ui.typing);
    if (stick) scrollDown();
  };

  const setStateLine = () => {
    const s = state ? state.status : 'bot';
    let text = T.s_bot, tone = '';
    if (s === 'waiting') { text = T.s_waiting; tone = 'waiting'; }
    else if (s === 'received' || s === 'inquiry' || s === 'answered') {
      text = state.counselor_name ? fmt(T.s_with, { name: state.counselor_name }) : T.s_with_anon;
    } else if (s === 'closed') { text = T.s_closed; tone = 'closed'; }
    ui.state.textContent = text;
    ui.state.className = 'state' + (tone ? ' ' + tone : '');
    ui.end.hidden = !conv || ended;
  };

  const applyState = (next) => {
    if (!next || typeof next !== 'object') return;
    state = next;
    if (next.handoff) showHandoff(next.handoff);
    if (next.status !== 'bot') showTyping(false);
    if (next.status === 'closed') showEnded(next.close_type === 'customer');
    setStateLine();
  };

  // ---- the server conversation ---------------------------------------------------------------

  const disconnectEvents = () => { clearTimeout(eventsTimer); if (events) events.close(); events = null; ui.banner.hidden = true; };

  // Forget the stored conversation; optionally clear what it rendered.
  const resetConversation = (wipe) => {
    clearState();
    conv = null;
    state = null;
    historyLoaded = false;
    disconnectEvents();
    if (!wipe) return;
    seen.clear();
    ui.log.querySelectorAll('[data-server],.row.customer').forEach((n) => n.remove());
    showTyping(false);
  };

  const connectEvents = () => {
    if (!conv || events || ended || typeof EventSource === 'undefined') return;
    const c = conv;
    const src = new EventSource(`${base}${convPath(c)}/events?status=true&token=${encodeURIComponent(c.token)}`);
    events = src;
    src.addEventListener('open', () => { eventsDelay = 5000; ui.banner.hidden = true; });
    src.addEventListener('message', (ev) => {
      try { addServerMessage(JSON.parse(ev.data), true); } catch (_) { /* malformed event */ }
    });
    src.addEventListener('status', (ev) => {
      try { applyState(JSON.parse(ev.data)); } catch (_) { /* malformed event */ }
    });
    src.addEventListener('error', () => {
      if (events !== src) return;
      ui.banner.hidden = false;
      // While CONNECTING the browser retries by itself (sending Last-Event-ID).
      if (src.readyState !== EventSource.CLOSED) return;
      events = null;
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
      if (r && (r.status === 401 || r.status === 404)) { resetConversation(true); setStateLine(); return; }
      if (r && r.ok && r.data && Array.isArray(r.data.messages)) {
        r.data.messages.forEach((m) => addServerMessage(m, false));
        historyLoaded = true;
        applyState(r.data.conversation);
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
          setStateLine();
          loadHistory(); // picks up any greeting, then opens the event stream
        } else if (r) {
          console.warn('[sangdam] could not start a conversation:', (r.data && r.data.message) || r.status);
        }
      })().finally(() => { creating = null; });
    }
    return creating;
  };

  // ---- sending -------------------------------------------------------------------------------

  const setStatus = (item, st) => {
    const n = item.bubble;
    n.classList.toggle('sending', st === 'sending');
    n.classList.toggle('failed', st === 'failed');
    if (st === 'failed') { n.setAttribute('role', 'button'); n.tabIndex = 0; }
    else { n.removeAttribute('role'); n.removeAttribute('tabindex'); }
    if (st === 'sent') item.status.remove();
    else {
      item.status.textContent = st === 'sending' ? T.sending : T.failed;
      if (!item.status.parentNode) n.appendChild(item.status);
    }
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
    if (ok && (!state || state.status === 'bot')) showTyping(true);
  };

  const submit = () => {
    const text = ui.input.value.trim().slice(0, MAX_LEN);
    if (!text || ended) return;
    ui.input.value = '';
    autosize();
    const node = row({ author: 'customer', text });
    const item = { cmid: uuid(), text, node, bubble: node.querySelector('.msg'), status: h('span', { class: 'status' }) };
    const retry = () => { if (item.bubble.classList.contains('failed')) deliver(item); };
    item.bubble.addEventListener('click', retry);
    item.bubble.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); retry(); } });
    append(node, true);
    deliver(item);
  };

  const autosize = () => {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 120) + 'px';
    ui.send.disabled = !ui.input.value.trim();
  };

  // ---- ending and starting over ------------------------------------------------------------

  const show = (which) => { // 'form' | 'confirm' | 'ended'
    ui.form.hidden = which !== 'form';
    ui.confirm.hidden = which !== 'confirm';
    ui.ended.hidden = which !== 'ended';
  };

  const askEnd = () => {
    if (!conv || ended) return;
    ui.endError.textContent = '';
    show('confirm');
    ui.keep.focus();
  };

  const keepChatting = () => { show('form'); ui.input.focus(); };

  const confirmEnd = async () => {
    const c = conv;
    if (!c) return keepChatting();
    ui.yes.disabled = true; ui.keep.disabled = true;
    ui.yes.textContent = T.ending;
    ui.endError.textContent = '';
    const r = await withRetry(() => api('POST', convPath(c) + '/close', { token: c.token }));
    ui.yes.disabled = false; ui.keep.disabled = false;
    ui.yes.textContent = T.end_yes;
    if (conv !== c) return;
    if (r && (r.ok || r.status === 401 || r.status === 404)) {
      const closed = r.ok && r.data ? r.data : {};
      applyState(Object.assign({}, state || {}, { status: 'closed', close_type: 'customer', closed_at: closed.closed_at || null }));
    } else {
      ui.endError.textContent = T.end_failed;
      ui.yes.focus();
    }
  };

  const showEnded = (byCustomer) => {
    if (ended) return;
    ended = true;
    disconnectEvents();
    showTyping(false);
    const hadFocus = ui.root.activeElement != null;
    ui.endedText.textContent = byCustomer ? T.ended_customer : T.ended_other;
    const at = state && state.closed_at ? new Date(state.closed_at) : new Date();
    const divider = note(`${T.s_closed} · ${clock(isNaN(at.getTime()) ? new Date() : at)}`, 'closed');
    divider.setAttribute('data-server', '');
    append(divider, true);
    show('ended');
    if (hadFocus) ui.restart.focus();
  };

  const restart = () => {
    resetConversation(true);
    ended = false;
    show('form');
    setStateLine();
    ui.input.focus();
  };

  // ---- opening and closing the panel ---------------------------------------------------------

  const open = () => {
    if (!ready) { wantOpen = true; return; }
    if (isOpen) return;
    isOpen = true;
    ui.panel.hidden = false;
    ui.launcher.setAttribute('aria-expanded', 'true');
    ui.launcher.setAttribute('aria-label', T.minimize);
    ui.launcher.classList.remove('unread');
    scrollDown();
    (ended ? ui.restart : !ui.confirm.hidden ? ui.keep : ui.input).focus();
    if (conv && !historyLoaded) loadHistory();
  };

  const close = () => {
    wantOpen = false;
    if (!isOpen) return;
    isOpen = false;
    const hadFocus = ui.root.activeElement != null;
    ui.panel.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'false');
    markUnread(false);
    if (hadFocus) ui.launcher.focus();
  };

  // ---- building it ---------------------------------------------------------------------------

  const build = (settings) => {
    const host = h('div', { 'data-sangdam-widget': '' });
    const root = host.attachShadow({ mode: 'open' });
    applyStyles(root);
    const wrap = h('div', { class: 'wrap', lang: locale });
    const color = typeof settings.color === 'string' ? settings.color.trim() : '';
    if (color && window.CSS && window.CSS.supports('color', color)) wrap.style.setProperty('--sd-color', color);
    const title = textOf(settings.title) || T.title;

    const launcher = h('button', { type: 'button', class: 'launcher', 'aria-label': T.open, 'aria-expanded': 'false', 'aria-controls': 'sangdam-panel' });
    const closedIcon = svgIcon(ICON.chat), openIcon = svgIcon(ICON.down);
    closedIcon.classList.add('when-closed'); openIcon.classList.add('when-open');
    launcher.append(closedIcon, openIcon, h('span', { class: 'dot', 'aria-hidden': 'true' }));

    const panel = h('section', { class: 'panel', id: 'sangdam-panel', role: 'dialog', 'aria-labelledby': 'sangdam-title' });
    panel.hidden = true;
    const stateLine = h('p', { class: 'state', 'aria-live': 'polite' }, T.s_bot);
    const end = h('button', { type: 'button', class: 'end' }, T.end);
    const min = h('button', { type: 'button', class: 'min', 'aria-label': T.minimize, title: T.minimize }, svgIcon(ICON.down));
    const head = h('header', { class: 'head' },
      h('span', { class: 'avatar' }, svgIcon(ICON.spark)),
      h('div', { class: 'who' }, h('h2', { id: 'sangdam-title' }, title), stateLine),
      end, min);
    const banner = h('div', { class: 'banner', role: 'status' }, T.reconnecting);
    banner.hidden = true;

    const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': T.log, tabindex: '0' });
    const typing = h('div', { class: 'typing', role: 'status', 'aria-label': T.typing }, h('i'), h('i'), h('i'));
    typing.hidden = true;
    log.append(typing);

    const form = h('form', { class: 'form' });
    const input = h('textarea', { rows: '1', maxlength: String(MAX_LEN), placeholder: T.placeholder, 'aria-label': T.placeholder, enterkeyhint: 'send' });
    const send = h('button', { type: 'submit', class: 'send', 'aria-label': T.send, title: T.send }, svgIcon(ICON.send));
    send.disabled = true;
    form.append(input, send);

    const endError = h('p', { class: 'error', role: 'alert' });
    const yes = h('button', { type: 'button', class: 'btn danger' }, T.end_yes);
    const keep = h('button', { type: 'button', class: 'btn' }, T.end_no);
    const confirm = h('div', { class: 'sheet', role: 'group', 'aria-labelledby': 'sangdam-end-q' },
      h('h3', { id: 'sangdam-end-q' }, T.end_q), h('p', null, T.end_hint), endError,
      h('div', { class: 'actions' }, keep, yes));
    confirm.hidden = true;

    const endedText = h('p', null);
    const restartBtn = h('button', { type: 'button', class: 'btn primary' }, T.restart);
    const endedBox = h('div', { class: 'sheet', role: 'status' }, endedText, h('div', { class: 'actions' }, restartBtn));
    endedBox.hidden = true;

    panel.append(head, banner, log, h('div', { class: 'foot' }, form, confirm, endedBox));
    wrap.append(panel, launcher);
    root.append(wrap);
    ui = {
      host, root, launcher, panel, state: stateLine, end, banner, log, typing, form, input, send,
      confirm, endError, yes, keep, ended: endedBox, endedText, restart: restartBtn,
    };

    const intro = textOf(settings.intro_message);
    if (intro) append(row({ author: 'bot', text: intro }), true); // local only: not a server message

    launcher.addEventListener('click', () => (isOpen ? close() : open()));
    min.addEventListener('click', close);
    end.addEventListener('click', askEnd);
    keep.addEventListener('click', keepChatting);
    yes.addEventListener('click', confirmEnd);
    restartBtn.addEventListener('click', restart);
    wrap.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || !isOpen || e.isComposing) return;
      e.stopPropagation();
      if (!confirm.hidden) keepChatting(); else close();
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
    input.addEventListener('input', autosize);
    input.addEventListener('keydown', (e) => {
      // Enter sends; Shift+Enter inserts a newline; ignore Enter that ends IME composition.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); submit(); }
    });

    setStateLine();
    document.body.appendChild(host);
  };

  const domReady = () => new Promise((resolve) => (document.readyState === 'loading'
    ? document.addEventListener('DOMContentLoaded', resolve, { once: true }) : resolve()));

  const init = async () => {
    // Always fetch settings on load: with the load token, this is how the server records the
    // embedding origin.
    let r = null;
    try { r = await api('GET', '/v1/webchat/settings', { widgetKey: true, referrer: true, load: true }); } catch (_) { r = null; }
    if (!r || !r.ok) {
      const why = r ? (r.data && (r.data.message || r.data.error)) || 'HTTP ' + r.status : 'network error';
      return console.warn('[sangdam] chat widget disabled: ' + why);
    }
    const settings = r.data && typeof r.data === 'object' ? r.data : {};
    if (!attrLocale && (settings.locale === 'ko' || settings.locale === 'en')) { locale = settings.locale; T = STRINGS[locale]; }
    await domReady();
    build(settings);
    ready = true;
    // A stored conversation reconnects at once, so replies that arrive while the panel is
    // closed light the launcher's dot.
    if (conv) loadHistory();
    if (wantOpen) open();
  };

  window.Sangdam = Object.freeze({ open, close });
  init();
})();
