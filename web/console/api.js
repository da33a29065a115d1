// The console's calls to the engine's HTTP API, with the operator's bearer token. The token is
// kept in localStorage so a reload keeps the operator signed in; a 401 signs them out.

const TOKEN_KEY = 'sangdam.console.token';

/** An API answer that was not 2xx: `status`, the error `code` and its `message`. */
export class ApiError extends Error {
  constructor(status, body) {
    const code = (body && body.error) || (status ? 'http_' + status : 'network_error');
    super((body && body.message) || code);
    this.status = status;
    this.code = code;
    this.body = body || {};
  }
}

export function token() {
  try { return localStorage.getItem(TOKEN_KEY); } catch (_) { return null; }
}

export function setToken(value) {
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  } catch (_) { /* storage unavailable: the session lasts until reload */ }
}

const headers = (withBody) => {
  const h = { Accept: 'application/json' };
  const bearer = token();
  if (bearer) h.Authorization = 'Bearer ' + bearer;
  if (withBody) h['Content-Type'] = 'application/json';
  return h;
};

const unauthorized = () => {
  setToken(null);
  window.dispatchEvent(new CustomEvent('sangdam:unauthorized'));
};

/**
 * Calls the API and resolves to the parsed JSON body (or null for an empty one); rejects with an
 * ApiError for anything else, including network failures (status 0).
 */
export async function api(method, path, body, { signal } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, { error: 'network_error', message: String((e && e.message) || e) });
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch (_) { data = { message: text }; }
  }
  if (res.status === 401 && path !== '/v1/auth/login') unauthorized();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Builds `path?k=v&…` from the non-empty values of `params`. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Follows a server-sent event stream that needs the bearer token (EventSource cannot send one):
 * `onEvent({event, data, id})` for each event, with `data` parsed as JSON when it is JSON.
 * Reconnects with a growing delay; `onOpen` runs on every (re)connection so the caller can
 * refresh what it may have missed. Returns `{ close() }`.
 */
export function stream(path, { onEvent, onOpen, onDown } = {}) {
  const control = new AbortController();
  let delay = 1000;
  let closed = false;

  const dispatch = (block) => {
    const ev = { event: 'message', data: '', id: null };
    const data = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const at = line.indexOf(':');
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'event') ev.event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') ev.id = value;
    }
    if (!data.length) return;
    ev.data = data.join('\n');
    try { ev.data = JSON.parse(ev.data); } catch (_) { /* plain text */ }
    if (onEvent) onEvent(ev);
  };

  const run = async () => {
    while (!closed) {
      try {
        const res = await fetch(path, { headers: { ...headers(false), Accept: 'text/event-stream' }, signal: control.signal });
        if (res.status === 401) { unauthorized(); return; }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        delay = 1000;
        if (onOpen) onOpen();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (e) {
        if (closed || (e && e.name === 'AbortError')) return;
      }
      if (closed) return;
      if (onDown) onDown();
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30000);
    }
  };
  run();
  return { close() { closed = true; control.abort(); } };
}
