// What a counselor does to an open room: receive it, hold it, set an alarm, flag it, give it to
// someone else, close it, and wrap it up once closed. The buttons shown follow who the caller is
// to the room (seed 002); the engine still decides, and its refusals are shown as sentences.

import { t, dateTime } from './i18n.js';
import { h, fill, field, busy, uid } from './ui.js';
import { icon } from './rooms_icons.js';
import { session, acting } from './rooms_live.js';
import { problem, alarmTime } from './rooms_text.js';

/** How the caller stands to the room, as the engine decides it (src/rooms/counselor). */
export function standing(me, room) {
  if (room.assignee && room.assignee.id === me.id) return 'assignee';
  if (room.assignee) return 'supervisor';
  return me.role === 'agent' ? 'bystander' : 'supervisor';
}

/** `date` as a `datetime-local` value. */
function localValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * A modal form inside `host`: `submit()` does the work and may throw an ApiError, shown in the
 * form; the dialog closes on success and gives the focus back to whoever opened it.
 */
function dialog(host, { title, body, submitLabel, danger, action, submit, ready = true }) {
  const titleId = uid('dlg');
  const status = h('p', { class: 'form-status', role: 'alert' });
  const go = h('button', { type: 'submit', class: danger ? 'danger-solid' : 'primary', disabled: !ready }, submitLabel);
  const opener = document.activeElement;
  const dlg = h('dialog', { class: 'room-dialog', 'aria-labelledby': titleId });
  const form = h('form', null,
    h('h2', { id: titleId }, title),
    body, status,
    h('div', { class: 'actions dialog-actions' },
      h('button', { type: 'button', onclick: () => dlg.close() }, t('common.cancel')), go));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(go, async () => {
      status.textContent = '';
      try {
        await submit();
        dlg.close();
      } catch (err) {
        status.textContent = problem(err, action);
      }
    });
  });
  dlg.append(form);
  dlg.addEventListener('close', () => {
    dlg.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  host.append(dlg);
  dlg.showModal();
  return { dlg, go, status };
}

/**
 * The room's toolbar. `pane` = `{ el, id, room(), reload(), say(text), fail(err, action),
 * leave(text) }`; `update(room)` redraws the buttons for the room's state.
 */
export function createActions(ctx, pane) {
  const el = h('div', { class: 'room-tools', role: 'group', 'aria-label': t('room.actions') });
  const post = (path, body) => acting(pane.id, () => ctx.api('POST', `/v1/rooms/${pane.id}/${path}`, body));

  const tool = (name, label, onclick, extra = {}) => h('button', {
    type: 'button', class: 'tool' + (extra.cls ? ' ' + extra.cls : ''), onclick, ...extra.attrs,
  }, icon(name), h('span', { class: 'tool-label' }, label));

  async function run(button, action, work) {
    await busy(button, async () => {
      try {
        await work();
      } catch (err) {
        pane.fail(err, action);
      }
    });
  }

  const receive = (e) => run(e.currentTarget, 'receive', async () => {
    const taken = await post('receive');
    // The next drawing starts from the room as it now stands, not as it was while waiting.
    if (session.room && session.room.id === pane.id) {
      session.room = { ...session.room, status: taken.status, assignee: { id: ctx.me.id, name: ctx.me.name } };
    }
    pane.say(t('room.received'));
    session.focus = 'composer';
    ctx.navigate(`#/rooms/received/${pane.id}`);
  });

  const hold = (e) => run(e.currentTarget, 'hold', async () => {
    const held = pane.room().hold;
    await post(held ? 'unhold' : 'hold');
    pane.say(t(held ? 'room.unheld' : 'room.held'));
    await pane.reload();
  });

  const flag = (e) => run(e.currentTarget, 'flag', async () => {
    const flagged = !pane.room().flagged;
    await acting(pane.id, () => ctx.api('PATCH', `/v1/rooms/${pane.id}`, { flagged }));
    pane.say(t(flagged ? 'room.flag_on' : 'room.flag_off'));
    await pane.reload();
  });

  function alarm() {
    const room = pane.room();
    const soon = new Date(Date.now() + 3600e3);
    soon.setMinutes(0, 0, 0);
    const input = h('input', { type: 'datetime-local', name: 'alarm_at', required: true, value: localValue(soon), min: localValue(new Date()) });
    const quick = (label, date) => h('button', { type: 'button', class: 'chip', onclick: () => { input.value = localValue(date); input.focus(); } }, label);
    const tomorrow = new Date();
    tomorrow.setDate(tomorrow.getDate() + 1);
    tomorrow.setHours(9, 0, 0, 0);
    const now = Date.now();
    let form;
    const clear = room.alarm_at
      ? h('div', { class: 'alarm-now' }, icon('alarm'), h('span', null, t('room.alarm_now', { time: alarmTime(room.alarm_at) })),
        h('button', { type: 'button', class: 'link', onclick: async () => {
          try {
            await post('alarm', { at: null });
            form.dlg.close();
            pane.say(t('room.alarm_cleared'));
            await pane.reload();
          } catch (err) {
            form.status.textContent = problem(err, 'alarm');
          }
        } }, t('room.alarm_clear')))
      : null;
    form = dialog(pane.el, {
      title: t('room.alarm_title'),
      action: 'alarm',
      submitLabel: t('room.alarm'),
      body: [clear, field(t('room.alarm_when'), input),
        h('div', { class: 'chips', role: 'group', 'aria-label': t('room.alarm_quick') },
          quick(t('room.in_minutes', { n: 30 }), new Date(now + 30 * 60e3)),
          quick(t('room.in_hours', { n: 1 }), new Date(now + 3600e3)),
          quick(t('room.in_hours', { n: 3 }), new Date(now + 3 * 3600e3)),
          quick(t('room.tomorrow_9'), tomorrow))],
      async submit() {
        const at = new Date(input.value);
        if (isNaN(at)) throw { code: 'invalid_body' };
        await post('alarm', { at: at.toISOString() });
        pane.say(t('room.alarm_set', { time: dateTime(at.toISOString()) }));
        await pane.reload();
      },
    });
    input.focus();
  }

  async function transfer(e) {
    const room = pane.room();
    const opener = e.currentTarget;
    let targets;
    try {
      targets = (await ctx.api('GET', '/v1/rooms/transfer-targets')).accounts
        .filter((a) => !room.assignee || a.id !== room.assignee.id);
    } catch (err) {
      pane.fail(err, 'transfer');
      return;
    }
    const select = h('select', { name: 'to', required: true },
      targets.map((a) => h('option', { value: a.id },
        `${a.name} · ${t('role.' + a.role)}${a.counselling ? '' : ` (${t('room.not_counselling')})`}`)));
    const body = targets.length
      ? [field(t('room.transfer_to'), select, ctx.me.role === 'agent' ? t('room.transfer_hint') : null)]
      : [h('p', { class: 'empty' }, t('room.transfer_none'))];
    dialog(pane.el, {
      title: t('room.transfer_title'),
      action: 'transfer',
      submitLabel: t('room.transfer_go'),
      body,
      ready: targets.length > 0,
      async submit() {
        const to = targets.find((a) => a.id === select.value);
        await post('transfer', { to: to.id });
        const text = t('room.transfer_done', { name: to.name });
        // An agent's room leaves them with the transfer; others keep seeing it.
        if (ctx.me.role === 'agent') pane.leave(text);
        else {
          pane.say(text);
          await pane.reload();
        }
      },
    });
    if (targets.length) select.focus();
    else if (opener) opener.blur();
  }

  function close() {
    dialog(pane.el, {
      title: t('room.close_title'),
      action: 'close',
      danger: true,
      submitLabel: t('room.close_go'),
      body: h('p', { class: 'dialog-text' }, t('room.close_body')),
      async submit() {
        await post('close');
        pane.say(t('room.closed'));
        await pane.reload();
      },
    });
  }

  function update(room) {
    const who = standing(ctx.me, room);
    const open = room.status !== 'closed';
    const working = who !== 'bystander';
    const counselling = open && room.status !== 'bot';
    fill(el,
      room.status === 'waiting'
        ? tool('check', t('room.receive'), receive, { cls: 'primary', attrs: { 'data-action': 'receive' } }) : null,
      counselling && working && room.status !== 'waiting'
        ? tool('hold', t(room.hold ? 'room.unhold' : 'room.hold'), hold,
          { attrs: { 'aria-pressed': String(!!room.hold), 'data-action': 'hold' } }) : null,
      counselling && working && room.status !== 'waiting'
        ? tool('alarm', t('room.alarm'), alarm, { attrs: { 'aria-pressed': String(!!room.alarm_at), 'data-action': 'alarm' } }) : null,
      working
        ? tool('flag', t('room.flag'), flag, { attrs: { 'aria-pressed': String(!!room.flagged), 'data-action': 'flag' } }) : null,
      counselling && working
        ? tool('transfer', t('room.transfer'), transfer, { attrs: { 'data-action': 'transfer' } }) : null,
      open && working
        ? tool('close', t('room.close'), close, { cls: 'danger', attrs: { 'data-action': 'close' } }) : null);
  }

  return { el, update, receive };
}

/** The wrap-up of a closed room (종료 이력 처리): its summary, or the form to write it. */
export function wrapUp(ctx, pane, room) {
  const done = room.wrap_up;
  const box = h('section', { class: 'wrapup', 'aria-labelledby': 'wrapup-title' });
  const heading = h('h2', { id: 'wrapup-title' }, t('room.wrapup'));

  function form() {
    const listId = uid('cats');
    const category = h('input', { name: 'category', required: true, maxlength: '100', list: listId, value: done ? done.category : '' });
    const note = h('textarea', { name: 'note', maxlength: '2000', rows: '2' }, done ? done.note : '');
    const status = h('p', { class: 'form-status', role: 'alert' });
    const save = h('button', { type: 'submit', class: 'primary' }, t('room.wrapup_go'));
    const cats = ['delivery', 'cancel', 'return', 'payment', 'product', 'other'];
    const f = h('form', { class: 'wrapup-form' },
      h('datalist', { id: listId }, cats.map((c) => h('option', { value: t('room.cat.' + c) }))),
      h('div', { class: 'wrapup-fields' }, field(t('room.category'), category), field(t('room.note'), note)),
      status,
      h('div', { class: 'actions' }, save));
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(save, async () => {
        status.textContent = '';
        try {
          await acting(pane.id, () => ctx.api('POST', `/v1/rooms/${pane.id}/wrap-up`,
            { category: category.value.trim(), note: note.value.trim() }));
          pane.say(t('room.wrapped'));
          await pane.reload();
        } catch (err) {
          status.textContent = problem(err, 'wrap-up');
        }
      });
    });
    const hint = room.processed && !done ? 'room.wrapup_processed' : 'room.wrapup_hint';
    fill(box, heading, h('p', { class: 'hint' }, t(hint)), f);
    return category;
  }

  if (done) {
    const edit = h('button', { type: 'button', class: 'link' }, t('room.wrapup_edit'));
    edit.addEventListener('click', () => form().focus());
    fill(box, heading,
      h('p', { class: 'wrapup-done' }, icon('check'), h('strong', null, done.category),
        h('span', { class: 'muted' }, ' · ', t('room.wrapup_done', { time: dateTime(done.at) }))),
      done.note ? h('p', { class: 'wrapup-note' }, done.note) : null,
      edit);
  } else {
    form();
  }
  return box;
}
