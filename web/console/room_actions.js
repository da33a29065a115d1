// What a counselor does to an open room: receive it, hold it, set an alarm, flag it, give it to
// someone else, close it, and wrap it up once closed. The buttons shown follow who the caller is
// to the room (seed 002); the engine still decides, and its refusals are shown as sentences.

import { t, dateTime } from './i18n.js';
import { h, fill, field, busy, uid } from './ui.js';
import { icon } from './rooms_icons.js';
import { session, acting } from './rooms_live.js';
import { problem, alarmTime } from './rooms_text.js';

export const strings = {
  ko: {
    'room.actions': '상담 작업',
    'room.receive': '상담 접수',
    'room.received': '상담을 접수했습니다. 이제 답장할 수 있습니다.',
    'room.hold': '종료 보류',
    'room.unhold': '보류 해제',
    'room.held': '보류했습니다. 이 상담은 자동 종료되지 않습니다.',
    'room.unheld': '보류를 해제했습니다.',
    'room.alarm': '알람',
    'room.alarm_title': '알람 설정',
    'room.alarm_when': '알림 시각',
    'room.alarm_now': '현재 알람: {time}',
    'room.alarm_set': '{time}에 알람이 울립니다.',
    'room.alarm_clear': '알람 해제',
    'room.alarm_cleared': '알람을 해제했습니다.',
    'room.alarm_quick': '빠른 선택',
    'room.in_minutes': '{n}분 후',
    'room.in_hours': '{n}시간 후',
    'room.tomorrow_9': '내일 오전 9시',
    'room.flag': '깃발',
    'room.flag_on': '깃발을 달았습니다.',
    'room.flag_off': '깃발을 뗐습니다.',
    'room.transfer': '상담원 변경',
    'room.transfer_title': '다른 상담원에게 넘기기',
    'room.transfer_to': '받을 상담원',
    'room.transfer_hint': '같은 그룹의 상담원과 담당 매니저에게 넘길 수 있습니다.',
    'room.transfer_none': '넘길 수 있는 상담원이 없습니다.',
    'room.transfer_done': '{name}님에게 넘겼습니다.',
    'room.transfer_go': '넘기기',
    'room.not_counselling': '상담 안함',
    'room.close': '상담 종료',
    'room.close_title': '상담을 종료할까요?',
    'room.close_body': '종료한 상담은 오늘의 종료 목록에 남습니다. 고객이 다시 메시지를 보내면 상담이 다시 열립니다.',
    'room.close_go': '종료하기',
    'room.closed': '상담을 종료했습니다.',
    'room.wrapup': '종료 이력 처리',
    'room.wrapup_hint': '상담 분류와 메모를 남기면 처리 완료로 표시됩니다.',
    'room.wrapup_processed': '상담원·매니저 종료는 이미 처리된 것으로 봅니다. 분류를 남길 수 있습니다.',
    'room.category': '상담 분류',
    'room.note': '메모',
    'room.wrapup_go': '처리 완료',
    'room.wrapped': '종료 이력을 처리했습니다.',
    'room.wrapup_edit': '수정',
    'room.wrapup_done': '처리 완료 · {time}',
    'room.cat.delivery': '배송 문의',
    'room.cat.cancel': '주문 취소',
    'room.cat.return': '교환·반품',
    'room.cat.payment': '결제',
    'room.cat.product': '상품 문의',
    'room.cat.other': '기타',
  },
  en: {
    'room.actions': 'Conversation actions',
    'room.receive': 'Receive',
    'room.received': 'You received this conversation and can reply now.',
    'room.hold': 'Hold',
    'room.unhold': 'Release hold',
    'room.held': 'On hold: this conversation will not be auto-closed.',
    'room.unheld': 'Hold released.',
    'room.alarm': 'Alarm',
    'room.alarm_title': 'Set an alarm',
    'room.alarm_when': 'Remind me at',
    'room.alarm_now': 'Current alarm: {time}',
    'room.alarm_set': 'The alarm goes off at {time}.',
    'room.alarm_clear': 'Clear alarm',
    'room.alarm_cleared': 'Alarm cleared.',
    'room.alarm_quick': 'Quick picks',
    'room.in_minutes': 'In {n} min',
    'room.in_hours': 'In {n} h',
    'room.tomorrow_9': 'Tomorrow 9:00',
    'room.flag': 'Flag',
    'room.flag_on': 'Flagged.',
    'room.flag_off': 'Flag removed.',
    'room.transfer': 'Transfer',
    'room.transfer_title': 'Give to another counselor',
    'room.transfer_to': 'Counselor',
    'room.transfer_hint': 'You can give conversations to your manager and the agents of your group.',
    'room.transfer_none': 'There is nobody you can give this conversation to.',
    'room.transfer_done': 'Given to {name}.',
    'room.transfer_go': 'Transfer',
    'room.not_counselling': 'not counselling',
    'room.close': 'Close',
    'room.close_title': 'Close this conversation?',
    'room.close_body': 'It stays in today’s closed list. If the customer writes again, the conversation reopens.',
    'room.close_go': 'Close conversation',
    'room.closed': 'Conversation closed.',
    'room.wrapup': 'Wrap-up',
    'room.wrapup_hint': 'A category and a note mark the conversation as processed.',
    'room.wrapup_processed': 'Closes by a counselor or manager already count as processed; you can still add a category.',
    'room.category': 'Category',
    'room.note': 'Note',
    'room.wrapup_go': 'Save wrap-up',
    'room.wrapped': 'Wrap-up saved.',
    'room.wrapup_edit': 'Edit',
    'room.wrapup_done': 'Processed · {time}',
    'room.cat.delivery': 'Delivery',
    'room.cat.cancel': 'Cancellation',
    'room.cat.return': 'Returns and exchanges',
    'room.cat.payment': 'Payment',
    'room.cat.product': 'Product question',
    'room.cat.other': 'Other',
  },
};

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
