// Console strings in Korean and English. Each part of the console adds its own dictionary with
// `add`; `t` looks a key up in the chosen language, falling back to English, then to the key.

const dicts = { ko: {}, en: {} };
const STORAGE_KEY = 'sangdam.console.lang';

const normalize = (value) => (String(value || '').toLowerCase().startsWith('ko') ? 'ko' : 'en');

const initial = () => {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked) return normalize(asked);
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved) return normalize(saved);
  } catch (_) { /* storage unavailable */ }
  return normalize(navigator.language);
};

let current = initial();
document.documentElement.lang = current;

/** Adds `{ ko: {key: text}, en: {key: text} }` to the dictionaries. */
export function add(strings) {
  for (const lang of Object.keys(dicts)) Object.assign(dicts[lang], strings[lang] || {});
}

/** The text for `key`, with `{name}` placeholders filled from `params`. */
export function t(key, params) {
  const text = dicts[current][key] ?? dicts.en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The chosen language: `ko` or `en`. */
export function locale() {
  return current;
}

/** Switches the language, remembers it, and tells the page to draw itself again. */
export function setLocale(lang) {
  current = normalize(lang);
  document.documentElement.lang = current;
  try { localStorage.setItem(STORAGE_KEY, current); } catch (_) { /* storage unavailable */ }
  window.dispatchEvent(new CustomEvent('sangdam:locale', { detail: current }));
}

const tag = () => (current === 'ko' ? 'ko-KR' : 'en-US');

/** A timestamp as the reader's local date and time. */
export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleString(tag(), { dateStyle: 'medium', timeStyle: 'short' });
}

/** A timestamp as a time today, or a short date otherwise. */
export function shortTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return '';
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay
    ? d.toLocaleTimeString(tag(), { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(tag(), { month: 'short', day: 'numeric' });
}

/** A number formatted for the reader. */
export function number(n) {
  return Number(n || 0).toLocaleString(tag());
}
