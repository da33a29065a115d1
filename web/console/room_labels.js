// The labels a counselor puts on a room and its customer: the customer's grade (e.g. VIP) and
// tags, and the room's tags. They are what the list's search by tag and filter by grade find.
//
// The form outlives redrawings of the details drawer: the room is read again whenever something
// happens to it, and a half-typed change must not be wiped by that. Fields the counselor has not
// touched follow the room; touched ones keep what was typed until it is saved.

import { t } from './i18n.js';
import { h, uid, announce } from './ui.js';
import { acting } from './rooms_live.js';
import { problem } from './rooms_text.js';

/** `"a, b,, c "` as `["a", "b", "c"]`. */
export function splitTags(text) {
  return String(text).split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
}

/**
 * The labels form for `pane` (`{ id, room() }`); `saved()` is called once a change is stored.
 * Returns `{ el, update(room) }`; `update` says whether the caller may edit the room's labels.
 */
export function createLabels(ctx, pane, saved) {
  const field = (name, label, hint) => {
    const id = uid(name);
    const input = h('input', { id, name, type: 'text', autocomplete: 'off', maxlength: name === 'customer_grade' ? '50' : '1100',
      'aria-describedby': hint ? id + '-hint' : null });
    input.addEventListener('input', () => { input.dataset.touched = 'true'; });
    const row = h('div', { class: 'field' }, h('label', { for: id }, label), input,
      hint ? h('p', { class: 'hint', id: id + '-hint' }, hint) : null);
    return { row, input };
  };
  const grade = field('customer_grade', t('room.grade'), t('room.grade_hint'));
  const customerTags = field('customer_tags', t('room.customer_tags'), t('room.tags_hint'));
  const roomTags = field('tags', t('room.tags'), null);
  const status = h('p', { class: 'form-status', role: 'status' });
  const save = h('button', { type: 'submit', class: 'primary' }, t('room.labels_save'));
  const form = h('form', { class: 'labels', 'aria-label': t('room.labels') },
    grade.row, customerTags.row, roomTags.row, h('div', { class: 'form-actions' }, save, status));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      customer_grade: grade.input.value.trim() || null,
      customer_tags: splitTags(customerTags.input.value),
      tags: splitTags(roomTags.input.value),
    };
    save.disabled = true;
    status.textContent = '';
    try {
      await acting(pane.id, () => ctx.api('PATCH', `/v1/rooms/${pane.id}`, body));
      for (const f of [grade, customerTags, roomTags]) delete f.input.dataset.touched;
      announce(t('room.labels_saved'), 'info');
      saved();
    } catch (err) {
      status.textContent = problem(err, 'labels');
    } finally {
      save.disabled = false;
    }
  });

  function update(room) {
    const c = room.customer;
    const set = (f, value) => { if (!f.input.dataset.touched) f.input.value = value; };
    set(grade, c.grade || '');
    set(customerTags, (c.tags || []).join(', '));
    set(roomTags, (room.tags || []).join(', '));
    // An agent edits the rooms they work: a waiting room is received first.
    return !(room.status === 'waiting' && ctx.me.role === 'agent');
  }

  return { el: form, update };
}
