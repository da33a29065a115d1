// Small DOM helpers shared by the console's views. Text always goes in as text nodes, never as
// HTML, so nothing a customer or an operator typed can become markup.

import { t } from './i18n.js';

/**
 * Creates an element: `h('button', { class: 'primary', onclick: fn, disabled: true }, 'Save')`.
 * Attributes starting with `on` become listeners; `false`/`null` attributes are left out;
 * children may be strings, nodes, arrays or null.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let nextId = 0;
/** A fresh id for pairing labels with inputs. */
export function uid(prefix = 'f') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A labelled form control: `field(t('login'), h('input', { name: 'login' }))`. */
export function field(label, control, hint) {
  const id = control.id || uid();
  control.id = id;
  const hintEl = hint ? h('p', { class: 'hint', id: id + '-hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/** Says `message` to screen readers and shows it briefly as a toast. */
export function announce(message, kind = 'info') {
  const region = document.getElementById('announcer');
  if (region) region.textContent = message;
  const toasts = document.getElementById('toasts');
  if (!toasts) return;
  const toast = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  toasts.append(toast);
  setTimeout(() => toast.remove(), 5000);
}

/** A readable line for a failed call: the API's message, or a generic one for network errors. */
export function errorText(err) {
  if (!err) return t('error.generic');
  if (err.status === 0) return t('error.network');
  return err.message || t('error.generic');
}

/** An inline error box for a view or a form. */
export function errorBox(err) {
  return h('div', { class: 'error-box', role: 'alert' }, errorText(err));
}

/** Runs `work` with `button` disabled and marked busy, so a double click sends once. */
export async function busy(button, work) {
  if (button.disabled) return undefined;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
