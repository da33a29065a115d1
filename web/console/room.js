// One room: who the customer is, the transcript (customer, AI agent, counselor and notices told
// apart), the reply box, and beside it the customer's details and the room's history. New
// messages are appended as they arrive, without disturbing what the counselor is typing.

import { t, dateTime } from './i18n.js';
import { h, fill, announce } from './ui.js';
import { icon } from './rooms_icons.js';
import { session, remember, acting } from './rooms_live.js';
import { customerName, customerContact, clock, day, problem } from './rooms_text.js';
import { markers, avatar } from './rooms_list.js';
import { createActions, wrapUp, standing } from './room_actions.js';
import { createLabels } from './room_labels.js';

/** The empty right-hand side when no room is open (wide screens). */
export function placeholder() {
  return h('section', { class: 'room-pane room-empty' },
    h('div', { class: 'empty-state big' }, icon('chat'),
      h('h2', null, t('room.pick')), h('p', null, t('room.pick_hint'))));
}

function historyText(entry) {
  const actor = entry.actor ? entry.actor.name : t('room.h.engine');
  const target = entry.target ? entry.target.name : '';
  const detail = entry.detail || {};
  switch (entry.kind) {
    case 'closed':
      return t('room.h.closed', { how: t('rooms.close.' + (detail.close_type || 'auto')), actor });
    case 'alarm_set':
      return detail.at ? t('room.h.alarm_set', { actor, time: dateTime(detail.at) }) : t('room.h.alarm_cleared', { actor });
    case 'wrapped_up':
      return t('room.h.wrapped_up', { actor, category: detail.category || '' });
    default:
      return t('room.h.' + entry.kind, { actor, target });
  }
}

function definitions(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
}

const tags = (list) => (list && list.length ? list.map((tag) => h('span', { class: 'tag' }, tag)) : null);

/** A fresh id for a reply, so a retried send is stored once. */
function replyId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return 'console-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The room pane for room `id`; `view.tab` is the list beside it (where "back" leads). Returns
 * `{ el, load(), focus(what) }`.
 */
export function createRoom(ctx, id, view) {
  let room = null;
  let gone = null;
  session.unseen.delete(id);
  const pane = { id, room: () => room, reload: () => load(), say, fail, leave };
  const el = h('section', { class: 'room-pane', 'aria-labelledby': 'room-title' });
  pane.el = el;
  const actions = createActions(ctx, pane);
  const title = h('h2', { id: 'room-title', tabindex: '-1' });
  const sub = h('p', { class: 'room-sub' });
  const badges = h('div', { class: 'room-badges' });
  let face = h('span', { class: 'avatar' });
  const infoToggle = h('button', { type: 'button', class: 'tool info-toggle', 'aria-expanded': 'false' },
    icon('info'), h('span', { class: 'tool-label' }, t('room.info')));
  const head = h('header', { class: 'room-head' },
    h('a', { class: 'back', href: `#/rooms/${view.tab}`, 'aria-label': t('room.back_long') }, icon('back'), t('room.back')),
    face,
    h('div', { class: 'room-title' }, title, sub, badges),
    h('div', { class: 'room-head-tools' }, actions.el, infoToggle));
  const alert = h('div', { class: 'room-alert', role: 'alert' });
  const transcript = h('ol', { class: 'transcript', role: 'log', 'aria-label': t('room.transcript') });
  const scroller = h('div', { class: 'transcript-scroll', role: 'region', tabindex: '0', 'aria-label': t('room.transcript') },
    transcript);
  const foot = h('div', { class: 'room-foot' });
  const info = h('aside', { class: 'room-info', 'aria-label': t('room.info'), id: `room-info-${id}` });
  infoToggle.setAttribute('aria-controls', info.id);
  infoToggle.addEventListener('click', () => toggleInfo());
  info.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && el.classList.contains('info-open')) toggleInfo(false);
  });
  const body = h('div', { class: 'room-body' }, h('div', { class: 'room-chat' }, alert, scroller, foot), info);
  fill(el, head, body);

  function toggleInfo(open = !el.classList.contains('info-open')) {
    el.classList.toggle('info-open', open);
    infoToggle.setAttribute('aria-expanded', String(open));
    if (open) info.querySelector('button, [tabindex]')?.focus();
    else infoToggle.focus();
  }

  /** Confirms an action to screen readers; the room itself shows what changed. */
  function say(text) {
    alert.replaceChildren();
    const region = document.getElementById('announcer');
    if (region) region.textContent = text;
  }

  /** Shows a refusal; when the room is no longer the caller's, reads it again to show why. */
  function fail(err, action) {
    const text = problem(err, action);
    fill(alert, h('div', { class: 'error-box' }, text));
    if (['not_waiting', 'not_found', 'room_closed', 'same_counselor'].includes(err.code)) load(text);
  }

  /** The room left the caller (given away): back to the list, saying where it went. */
  function leave(text) {
    announce(text, 'info');
    session.room = null;
    ctx.navigate(`#/rooms/${view.tab}`);
  }

  // ---- the transcript ------------------------------------------------------------------------
  let lastSeq = 0;
  let lastLine = null;

  function who(m) {
    if (m.author === 'customer') return customerName(room.customer);
    if (m.author === 'bot') return t('rooms.author.bot');
    if (m.author === 'counselor') return m.counselor ? m.counselor.name : t('rooms.author.counselor');
    return t('rooms.author.system');
  }

  function line(m) {
    const at = m.created_at;
    const prev = lastLine;
    const items = [];
    if (!prev || new Date(prev.created_at).toDateString() !== new Date(at).toDateString()) {
      items.push(h('li', { class: 'day' }, h('span', null, day(at))));
    }
    const follows = prev && prev.author === m.author && (prev.counselor || {}).id === (m.counselor || {}).id
      && new Date(at) - new Date(prev.created_at) < 3 * 60e3 && items.length === 0;
    const time = h('time', { class: 'msg-time', datetime: at, title: dateTime(at) }, clock(at));
    // Texts show how delivery stands while it is worth a look: sending, or not delivered.
    const deliveryKey = 'room.delivery.' + m.delivery_status;
    const delivery = ['pending', 'failed', 'undelivered', 'blocked'].includes(m.delivery_status)
      ? h('span', { class: 'msg-delivery' + (m.delivery_status === 'pending' ? '' : ' bad'), title: m.delivery_error || null },
        t(deliveryKey))
      : null;
    if (m.author === 'system') {
      items.push(h('li', { class: 'msg system', dataset: { seq: String(m.seq) } },
        h('p', { class: 'bubble' }, m.text), time));
    } else {
      const author = m.author === 'counselor' && m.counselor && m.counselor.id === ctx.me.id ? 'counselor mine' : m.author;
      items.push(h('li', { class: `msg ${author}${follows ? ' follows' : ''}`, dataset: { seq: String(m.seq) } },
        h('div', { class: 'msg-meta' },
          h('span', { class: 'msg-who' }, m.author === 'bot' ? icon('bot') : null, who(m)),
          m.author === 'counselor' ? h('span', { class: 'visually-hidden' }, ` (${t('rooms.author.counselor')})`) : null),
        h('div', { class: 'bubble' }, m.text),
        h('div', { class: 'msg-foot' }, time, delivery)));
    }
    lastLine = m;
    lastSeq = Math.max(lastSeq, m.seq);
    return items;
  }

  function drawTranscript(messages, fresh) {
    const nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    if (fresh) {
      lastSeq = 0;
      lastLine = null;
      fill(transcript, messages.length ? messages.map(line) : h('li', { class: 'empty' }, t('room.no_messages')));
    } else {
      const added = messages.filter((m) => m.seq > lastSeq);
      if (!added.length) return;
      transcript.querySelector(':scope > .empty')?.remove();
      for (const m of added) transcript.append(...line(m));
    }
    if (fresh || nearBottom || messages.some((m) => m.seq === lastSeq && m.author === 'counselor')) {
      scroller.scrollTop = scroller.scrollHeight;
    }
  }

  // ---- the reply box -------------------------------------------------------------------------
  let footMode = '';
  let box = null;

  function composer() {
    box = h('textarea', {
      name: 'reply', rows: '2', maxlength: '4000', 'aria-label': t('room.reply'),
      placeholder: t('room.reply_placeholder'), 'aria-describedby': `reply-keys-${id}`,
    });
    box.value = session.drafts.get(id) || '';
    const send = h('button', { type: 'submit', class: 'primary send' }, icon('send'), h('span', null, t('room.send')));
    const form = h('form', { class: 'composer' }, box,
      h('div', { class: 'composer-bar' },
        h('span', { class: 'hint', id: `reply-keys-${id}` }, t('room.reply_keys')), send));
    const fit = () => {
      box.style.height = 'auto';
      box.style.height = Math.min(box.scrollHeight + 2, 200) + 'px';
    };
    let composing = false;
    let composedAt = 0;
    box.addEventListener('compositionstart', () => { composing = true; });
    box.addEventListener('compositionend', () => { composing = false; composedAt = Date.now(); });
    box.addEventListener('input', () => {
      if (box.value) session.drafts.set(id, box.value);
      else session.drafts.delete(id);
      fit();
    });
    box.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' || e.shiftKey || e.altKey) return;
      // Enter that ends a Hangul (or any IME) composition only commits the syllable.
      if (e.isComposing || composing || e.keyCode === 229 || Date.now() - composedAt < 30) return;
      e.preventDefault();
      form.requestSubmit();
    });
    let pending = null;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const text = box.value.trim();
      if (!text || send.disabled) return;
      // The same text sent again after a failure keeps its id, so it is stored once.
      if (!pending || pending.text !== text) pending = { text, id: replyId() };
      const attempt = pending;
      send.disabled = true;
      try {
        const sent = await acting(id, () => ctx.api('POST', `/v1/rooms/${id}/messages`, { text, client_message_id: attempt.id }));
        pending = null;
        box.value = '';
        session.drafts.delete(id);
        // A reply leaves the room answered; its event then moves nothing.
        remember({ id, status: 'answered', hold: room.hold, alarm_at: room.alarm_at });
        fit();
        alert.replaceChildren();
        drawTranscript([{ ...sent, author: 'counselor', counselor: { id: ctx.me.id, name: ctx.me.name } }], false);
      } catch (err) {
        if (err.code === 'duplicate_message') {
          pending = null;
          box.value = '';
          session.drafts.delete(id);
        } else {
          fail(err, 'reply');
        }
      } finally {
        send.disabled = false;
        box.focus();
      }
    });
    setTimeout(fit, 0);
    return form;
  }

  function drawFoot() {
    const who = standing(ctx.me, room);
    let mode;
    if (room.status === 'closed') mode = 'closed:' + (room.wrap_up ? room.wrap_up.at : '') + ':' + who;
    else if (room.status === 'bot') mode = 'bot';
    else if (room.status === 'waiting') mode = 'waiting';
    else mode = 'reply';
    if (mode === footMode) return;
    footMode = mode;
    box = null;
    if (room.status === 'closed') {
      fill(foot, who === 'bystander' ? null : wrapUp(ctx, pane, room));
    } else if (mode === 'bot') {
      fill(foot, h('p', { class: 'foot-note' }, icon('bot'), t('room.bot_note')));
    } else if (mode === 'waiting') {
      fill(foot, h('div', { class: 'foot-note waiting' }, h('span', null, t('room.waiting_note')),
        h('button', { type: 'button', class: 'primary', 'data-action': 'receive', onclick: actions.receive },
          icon('check'), t('room.receive'))));
    } else {
      fill(foot, composer());
    }
  }

  // ---- the header and the details ------------------------------------------------------------
  function drawHead() {
    const name = customerName(room.customer);
    title.textContent = name;
    face.replaceWith(face = avatar(room));
    const contact = customerContact(room.customer);
    fill(sub,
      h('span', { class: 'channel' }, icon(room.channel === 'sms' ? 'sms' : 'chat'), t('rooms.channel.' + room.channel)),
      contact ? h('span', null, contact) : null,
      h('span', { title: dateTime(room.created_at) }, t('room.started', { time: dateTime(room.created_at) })));
    const assignee = room.assignee ? (room.assignee.id === ctx.me.id ? t('rooms.you') : room.assignee.name) : t('rooms.unassigned');
    fill(badges, h('span', { class: `status s-${room.status}` }, t('rooms.tab.' + room.status)),
      h('span', { class: 'assignee' }, icon('user'), assignee), markers(room));
    actions.update(room);
  }

  // Kept across drawings, so a half-typed label survives the room being read again.
  const labels = createLabels(ctx, pane, () => load());

  function drawInfo() {
    const c = room.customer;
    const editable = labels.update(room);
    const closeBtn = h('button', { type: 'button', class: 'icon-button info-close', onclick: () => toggleInfo(false) },
      icon('x'), h('span', { class: 'visually-hidden' }, t('room.info_close')));
    fill(info, h('div', { class: 'info-head' }, h('h2', null, t('room.info')), closeBtn),
      h('section', null, h('h3', null, t('room.customer')), definitions([
        [t('room.name'), c.name],
        [t('room.email'), c.email],
        [t('room.phone'), c.phone],
        [t('room.customer_id'), h('code', null, c.external_id || c.id)],
        [t('room.grade'), c.grade],
        [t('room.customer_tags'), tags(c.tags)],
      ])),
      h('section', null, h('h3', null, t('room.room')), definitions([
        [t('room.channel'), t('rooms.channel.' + room.channel)],
        [t('room.assignee'), room.assignee ? room.assignee.name : t('rooms.unassigned')],
        [t('room.created'), dateTime(room.created_at)],
        [t('room.tags'), tags(room.tags)],
        [t('room.closed_at'), room.closed_at ? `${dateTime(room.closed_at)} · ${t('rooms.close.' + room.close_type)}` : null],
        [t('room.ticket'), room.ticket ? (room.ticket.url
          ? h('a', { href: room.ticket.url, target: '_blank', rel: 'noopener noreferrer' }, `${room.ticket.helpdesk} #${room.ticket.id}`)
          : `${room.ticket.helpdesk} #${room.ticket.id}`) : null],
      ])),
      h('section', null, h('h3', null, t('room.history')),
        room.history.length
          ? h('ol', { class: 'history' }, [...room.history].reverse().map((e) => h('li', { class: `h-${e.kind}` },
            h('span', null, historyText(e)),
            h('time', { datetime: e.at, title: dateTime(e.at) }, dateTime(e.at)))))
          : h('p', { class: 'muted' }, t('room.none'))),
      editable ? h('section', null, h('h3', null, t('room.labels')), labels.el) : null);
  }

  let wanted = null;
  function draw(detail, fresh) {
    const first = !room || room.id !== detail.id;
    room = detail;
    el.classList.remove('room-gone');
    drawHead();
    drawTranscript(detail.messages, first || fresh);
    drawFoot();
    drawInfo();
    if (wanted === 'composer' && box) {
      box.focus();
      wanted = null;
    }
  }

  function drawGone(reason) {
    gone = reason || t('err.not_found');
    room = null;
    el.classList.add('room-gone');
    fill(el, h('div', { class: 'empty-state big' }, icon('inbox'), h('h2', { id: 'room-title', tabindex: '-1' }, t('room.gone')),
      h('p', null, gone),
      h('a', { href: `#/rooms/${view.tab}`, class: 'button-link' }, icon('back'), t('room.back_long'))));
  }

  let reading = 0;
  async function load(reason) {
    const mine = ++reading;
    try {
      const detail = await ctx.api('GET', `/v1/rooms/${id}`);
      if (mine !== reading || gone) return;
      session.room = detail;
      session.unseen.delete(id);
      remember(detail);
      draw(detail, false);
    } catch (err) {
      if (mine !== reading) return;
      if (err.status === 404) drawGone(reason);
      else fill(alert, h('div', { class: 'error-box' }, problem(err)));
    }
  }

  if (session.room && session.room.id === id) draw(session.room, true);

  return {
    el,
    load,
    focus(what) {
      if (what === 'composer' && box) box.focus();
      else {
        // The reply box appears once the room is read; the heading holds the focus till then.
        wanted = what;
        el.querySelector('#room-title')?.focus();
      }
    },
  };
}
