// The left side of the rooms view: the status tabs with their counts (red and blinking when a room
// moves in), and the list of one tab with search, sort, the flag filter and paging.

import { t, dateTime } from './i18n.js';
import { h, fill, uid } from './ui.js';
import { icon } from './rooms_icons.js';
import { session } from './rooms_live.js';
import {
  TABS, SUB_TABS, FLAG_TABS, FIELDS, SORTS, tabCount, customerName, ago, alarmTime,
} from './rooms_text.js';

/** The tabs the caller has: agents never see rooms with the AI agent. */
export function tabsFor(me) {
  return TABS.filter((tab) => tab !== 'bot' || (me && me.role !== 'agent'));
}

/** Where a tab link leads: the tab, keeping the open room beside it. */
const tabHref = (tab, roomId) => (roomId ? `#/rooms/${tab}/${roomId}` : `#/rooms/${tab}`);

/** Restarts a CSS animation on `el` (removing and adding the class is not enough in one frame). */
function blink(el, cls) {
  el.classList.remove(cls);
  void el.offsetWidth;
  el.classList.add(cls);
}

/** The status tabs. `update()` redraws counts and highlights. */
export function createRail(ctx, roomId) {
  const tabs = tabsFor(ctx.me);
  const links = new Map();
  const items = [];
  let flagsHeading = false;
  for (const tab of tabs) {
    if (FLAG_TABS.includes(tab) && !flagsHeading) {
      flagsHeading = true;
      items.push(h('li', { class: 'rail-heading', 'aria-hidden': 'true' }, t('rooms.also_counted')));
    }
    if (tab === 'bot') items.push(h('li', { class: 'rail-gap', 'aria-hidden': 'true' }));
    const count = h('span', { class: 'rail-count' });
    const news = h('span', { class: 'visually-hidden' });
    const link = h('a', {
      href: tabHref(tab, roomId),
      class: 'rail-tab',
      title: t('rooms.tip.' + tab),
      dataset: { tab },
      onclick: () => { session.focus = 'tab:' + tab; },
    }, h('span', { class: 'rail-label' }, t('rooms.tab.' + tab)), count, news);
    links.set(tab, { link, count, news });
    items.push(h('li', { class: SUB_TABS.includes(tab) ? 'sub' : null }, link));
  }
  const el = h('nav', { class: 'rooms-rail', 'aria-label': t('rooms.tabs') }, h('ul', null, items));

  function update() {
    for (const [tab, { link, count, news }] of links) {
      const n = tabCount(session.counts, tab);
      count.textContent = n === null ? '' : String(n);
      link.setAttribute('aria-current', tab === session.tab ? 'page' : 'false');
      const hot = session.highlighted.has(tab);
      link.classList.toggle('hot', hot);
      news.textContent = hot ? `, ${t('rooms.tab_new')}` : '';
      if (session.flash.has(tab)) blink(link, 'blink');
    }
    session.flash.clear();
    // As a row of chips (phones) the open tab may sit past the edge: bring it into view.
    const current = links.get(session.tab);
    if (current && el.scrollWidth > el.clientWidth) {
      el.scrollLeft = Math.max(0, current.link.offsetLeft - (el.clientWidth - current.link.offsetWidth) / 2);
    }
  }
  update();
  return { el, update, focus: (tab) => links.get(tab)?.link.focus() };
}

/** A small avatar: the first letter of the customer's name on a colour picked from their id. */
export function avatar(room) {
  const name = customerName(room.customer);
  let hash = 0;
  for (const c of String(room.customer.id || room.id)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return h('span', { class: `avatar av-${hash % 8}`, 'aria-hidden': 'true' }, Array.from(name)[0] || '?');
}

/** `text` with the given character ranges marked, counting characters as the engine does. */
function highlighted(text, ranges) {
  const chars = Array.from(text);
  const parts = [];
  let at = 0;
  for (const { start, end } of [...ranges].sort((a, b) => a.start - b.start)) {
    if (start < at) continue;
    if (start > at) parts.push(chars.slice(at, start).join(''));
    parts.push(h('mark', null, chars.slice(start, end).join('')));
    at = end;
  }
  if (at < chars.length) parts.push(chars.slice(at).join(''));
  return parts;
}

function statusBadge(status) {
  return h('span', { class: `status s-${status}` }, t('rooms.tab.' + status));
}

/** The markers a row and the room header share: hold, alarm, flag, grade, close type. */
export function markers(room) {
  const out = [];
  if (room.hold && room.status !== 'closed') {
    out.push(h('span', { class: 'marker m-hold' }, icon('hold'), t('rooms.hold')));
  }
  if (room.alarm_at && room.status !== 'closed') {
    out.push(h('span', { class: 'marker m-alarm', title: dateTime(room.alarm_at) },
      icon('alarm'), t('rooms.alarm_at', { time: alarmTime(room.alarm_at) })));
  }
  if (room.flagged) out.push(h('span', { class: 'marker m-flag' }, icon('flag'), t('rooms.flagged')));
  if (room.customer && room.customer.grade) {
    out.push(h('span', { class: 'marker m-grade' }, room.customer.grade));
  }
  if (room.status === 'closed' && room.close_type) {
    out.push(h('span', { class: 'marker m-closed' }, t('rooms.close.' + room.close_type)));
    if (!room.processed) out.push(h('span', { class: 'marker m-todo' }, t('rooms.unprocessed')));
  }
  return out;
}

function lastLine(room) {
  if (room.matches && room.matches.length) {
    return room.matches.slice(0, 2).map((m) => h('span', { class: 'row-match' }, highlighted(m.text, m.ranges)));
  }
  const last = room.last_message;
  if (!last) return h('span', { class: 'row-last muted' }, '—');
  const who = last.author === 'bot' ? t('rooms.said_bot') : last.author === 'counselor' ? t('rooms.said_counselor') : '';
  return h('span', { class: 'row-last' }, who ? h('span', { class: 'row-who' }, who) : null, last.text);
}

function row(ctx, room, openId) {
  const assignee = room.assignee
    ? (room.assignee.id === ctx.me.id ? t('rooms.you') : room.assignee.name)
    : t('rooms.unassigned');
  const at = room.last_message ? room.last_message.at : room.created_at;
  const unseen = session.unseen.has(room.id);
  const channel = room.channel === 'sms' ? 'sms' : 'chat';
  const link = h('a', {
    class: 'row' + (room.status === 'closed' && room.processed ? ' processed' : ''),
    href: `#/rooms/${session.tab}/${room.id}`,
    'aria-current': room.id === openId ? 'true' : false,
    dataset: { room: room.id },
    onclick: () => { session.focus = 'room'; },
  },
  avatar(room),
  h('span', { class: 'row-main' },
    h('span', { class: 'row-top' },
      h('span', { class: 'row-name' }, customerName(room.customer)),
      unseen ? h('span', { class: 'dot', title: t('rooms.unseen') }, h('span', { class: 'visually-hidden' }, t('rooms.unseen'))) : null,
      h('time', { class: 'row-time', datetime: at, title: dateTime(at), dataset: { at } }, ago(at))),
    lastLine(room),
    h('span', { class: 'row-meta' },
      h('span', { class: 'channel', title: t('rooms.channel.' + room.channel) }, icon(channel),
        h('span', { class: 'visually-hidden' }, t('rooms.channel.' + room.channel))),
      statusBadge(room.status),
      h('span', { class: 'row-assignee' + (room.assignee ? '' : ' none') }, assignee),
      markers(room))));
  return h('li', null, link);
}

/**
 * The list panel. `actions` = `{ search(), more(), refresh() }` (the view fetches); `draw()`
 * shows `session.list`; `showLive()` the stream's state; `tick()` refreshes the "3분 전" times.
 */
export function createList(ctx, openId, actions) {
  const f = session.filters;
  const fieldSelect = h('select', { name: 'field', 'aria-label': t('rooms.search_in') },
    FIELDS.map((name) => h('option', { value: name, selected: f.field === name }, t('rooms.field.' + name))));
  const termId = uid('q');
  const term = h('input', {
    id: termId, name: 'q', type: 'search', value: f.q, maxlength: '200', autocomplete: 'off',
    placeholder: t('rooms.search_placeholder'), 'aria-label': t('rooms.search_term'),
  });
  const exact = h('p', { class: 'hint search-hint', id: termId + '-hint' });
  const syncField = () => {
    exact.textContent = fieldSelect.value === 'content' ? '' : t('rooms.search_exact');
    term.setAttribute('aria-describedby', exact.id);
  };
  syncField();
  fieldSelect.addEventListener('change', syncField);
  const form = h('form', { class: 'search', role: 'search', 'aria-label': t('rooms.search') },
    fieldSelect, term,
    h('button', { type: 'submit', class: 'icon-button', title: t('rooms.search_go') }, icon('search'),
      h('span', { class: 'visually-hidden' }, t('rooms.search_go'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    f.q = term.value.trim();
    f.field = fieldSelect.value;
    actions.search();
  });

  const sort = h('select', { name: 'sort', 'aria-label': t('rooms.sort') },
    SORTS.map((name) => h('option', { value: name, selected: f.sort === name }, t('rooms.sort.' + name))));
  sort.addEventListener('change', () => { f.sort = sort.value; actions.search(); });
  const flag = h('button', { type: 'button', class: 'toggle', 'aria-pressed': String(f.flag) },
    icon('flag'), t('rooms.flagged_only'));
  flag.addEventListener('click', () => {
    f.flag = !f.flag;
    flag.setAttribute('aria-pressed', String(f.flag));
    actions.search();
  });
  // The closed tab shows today's closes; older ones are found by their closing dates (seed 001).
  const dateField = (name, label) => {
    const input = h('input', { type: 'date', name, value: f[name], 'aria-describedby': 'closed-hint' });
    input.addEventListener('change', () => {
      f[name] = input.value;
      actions.search();
    });
    return h('label', { class: 'date-field' }, h('span', null, label), input);
  };
  const fromField = dateField('from', t('rooms.closed_from'));
  const toField = dateField('to', t('rooms.closed_to'));
  const today = h('button', { type: 'button', class: 'link' }, t('rooms.closed_today'));
  today.addEventListener('click', () => {
    f.from = '';
    f.to = '';
    fromField.querySelector('input').value = '';
    toField.querySelector('input').value = '';
    actions.search();
  });
  const range = h('fieldset', { class: 'closed-range', hidden: session.tab !== 'closed' },
    h('legend', null, t('rooms.closed_range')), fromField, toField, today,
    h('p', { class: 'hint', id: 'closed-hint' }, t('rooms.closed_hint')));

  const grade = h('input', { type: 'search', name: 'grade', class: 'grade-filter', value: f.grade, maxlength: '50',
    placeholder: t('rooms.grade_filter'), 'aria-label': t('rooms.grade_filter_label'), autocomplete: 'off' });
  grade.addEventListener('change', () => {
    f.grade = grade.value.trim();
    actions.search();
  });

  const refresh = h('button', { type: 'button', class: 'icon-button', title: t('rooms.refresh') },
    icon('refresh'), h('span', { class: 'visually-hidden' }, t('rooms.refresh')));
  refresh.addEventListener('click', () => actions.refresh());
  const live = h('span', { class: 'live', title: t('rooms.live_tip') });

  const title = h('h1', { class: 'list-title', id: uid('list') });
  const searching = h('div', { class: 'searching' });
  const list = h('ul', { class: 'rows', 'aria-labelledby': title.id });
  const more = h('button', { type: 'button', class: 'more' }, t('rooms.more'));
  more.addEventListener('click', () => actions.more(more));
  const status = h('div', { class: 'list-status', role: 'status' });
  const scroller = h('div', { class: 'list-scroll' }, searching, list, status, more);
  const el = h('section', { class: 'rooms-list', 'aria-labelledby': title.id },
    h('div', { class: 'list-head' },
      h('div', { class: 'list-titlebar' }, title, live, refresh),
      form, exact,
      h('div', { class: 'list-filters' }, sort, grade, flag),
      range),
    scroller);

  function draw() {
    title.textContent = t('rooms.tab.' + session.tab);
    const rows = session.list.rows;
    fill(list, rows.map((room) => row(ctx, room, openId)));
    if (f.q) {
      fill(searching, h('span', null, t('rooms.searching', { q: f.q })),
        h('button', { type: 'button', class: 'link', onclick: () => { f.q = ''; term.value = ''; actions.search(); } },
          t('rooms.search_clear')));
    } else {
      searching.replaceChildren();
    }
    const ranged = session.tab === 'closed' && (f.from || f.to);
    const empty = f.q ? 'rooms.empty.search'
      : ranged ? 'rooms.empty.closed_range'
        : ['waiting', 'closed'].includes(session.tab) ? `rooms.empty.${session.tab}` : 'rooms.empty';
    fill(status, rows.length ? '' : h('p', { class: 'empty-state' }, icon('inbox'), t(empty)));
    more.hidden = !session.list.more;
  }

  function showLive() {
    const on = session.live === 'on';
    live.className = 'live ' + (on ? 'on' : 'down');
    live.textContent = on ? t('rooms.live') : session.live === 'down' ? t('rooms.live_down') : '';
    el.closest('.rooms-view')?.setAttribute('data-live', session.live);
  }

  function tick() {
    for (const time of list.querySelectorAll('time[data-at]')) time.textContent = ago(time.dataset.at);
  }

  return {
    el, draw, showLive, tick,
    flashRefresh: () => blink(refresh, 'blink'),
    scroller,
    showError(text) { fill(status, h('div', { class: 'error-box', role: 'alert' }, text)); },
  };
}
