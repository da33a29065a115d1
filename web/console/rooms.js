// The counselor room queue: status tabs with counts, search and sort, and a room view with the
// transcript and the counselor's actions, kept current over the console event stream.
//
// Addresses: `#/rooms/<tab>` shows one tab's list; `#/rooms/<tab>/<room id>` shows the room beside
// it (on a phone, the room alone, with a way back); `#/rooms/<room id>` opens a room beside the
// last tab used.

import { t } from './i18n.js';
import { h, fill, errorText } from './ui.js';
import { withQuery } from './api.js';
import { icon } from './rooms_icons.js';
import { strings as listStrings, TABS, customerName } from './rooms_text.js';
import { session, adopt, attach, detach, remember, settle, opened } from './rooms_live.js';
import { createRail, createList, tabsFor } from './rooms_list.js';
import { createRoom, placeholder } from './room.js';
import { strings as roomStrings } from './room_text.js';

const merge = (...all) => ({
  ko: Object.assign({}, ...all.map((s) => s.ko)),
  en: Object.assign({}, ...all.map((s) => s.en)),
});

export const strings = merge(listStrings, roomStrings);

export const nav = [{ href: '#/rooms', label: 'nav.rooms' }];

const ROOM_ID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const PAGE = 30;

export const routes = [
  {
    pattern: new RegExp(`^rooms(?:/(${TABS.join('|')}))?(?:/(${ROOM_ID}))?/?$`),
    title: 'nav.rooms',
    render,
  },
];

/** Runs `fetch` so that only the latest of overlapping calls gets to apply its answer. */
function latest(fetch) {
  let turn = 0;
  return async (...args) => {
    const mine = ++turn;
    const result = await fetch(...args);
    return mine === turn ? result : undefined;
  };
}

/** What the list on screen was read for: the tab and every filter that applies to it. */
function listKey() {
  const f = session.filters;
  const closed = session.tab === 'closed';
  return JSON.stringify([session.tab, f.q, f.field, f.sort, f.flag, f.grade, closed ? f.from : '', closed ? f.to : '']);
}

function render(main, match, ctx) {
  const [, tabArg, roomId] = match;
  adopt(ctx.me);
  const tabs = tabsFor(ctx.me);
  if (tabArg && tabs.includes(tabArg)) session.tab = tabArg;
  if (!tabs.includes(session.tab)) session.tab = 'waiting';
  opened(session.tab);

  const rail = createRail(ctx, roomId);
  const list = createList(ctx, roomId, {
    search: () => loadList({ reset: true }),
    more: (button) => loadList({ append: true, button }),
    refresh: () => refresh(),
  });
  const pane = roomId ? createRoom(ctx, roomId, { tab: session.tab }) : null;
  const viewEl = h('div', { class: 'rooms-view', 'data-room': roomId ? 'open' : 'none', 'data-live': session.live },
    rail.el, list.el, pane ? pane.el : placeholder());
  fill(main, viewEl);

  // The view fills the window below the header; the header's height depends on its wrapping.
  const fit = () => viewEl.style.setProperty('--rooms-top', `${Math.max(0, main.getBoundingClientRect().top + window.scrollY)}px`);
  fit();
  window.addEventListener('resize', fit);

  const countsNow = latest(() => ctx.api('GET', '/v1/rooms/counts'));
  async function loadCounts() {
    try {
      const counts = await countsNow();
      if (!counts) return;
      const before = session.counts;
      session.counts = counts;
      const currentFlashes = session.moved.has(session.tab);
      settle(before, counts);
      if (currentFlashes) list.flashRefresh();
      rail.update();
    } catch (err) {
      if (err.status !== 401) rail.update();
    }
  }

  const listNow = latest((params) => ctx.api('GET', withQuery('/v1/rooms', params)));
  async function loadList({ append = false, reset = false, button = null } = {}) {
    const f = session.filters;
    const key = listKey();
    const same = session.list.key === key && !reset;
    const rows = same ? session.list.rows : [];
    const limit = append ? PAGE : Math.min(200, Math.max(PAGE, same ? rows.length : 0));
    const params = {
      status: session.tab,
      q: f.q || undefined,
      field: f.q ? f.field : undefined,
      sort: f.sort,
      flag: f.flag ? 'true' : undefined,
      grade: f.grade || undefined,
      from: session.tab === 'closed' && f.from ? f.from : undefined,
      to: session.tab === 'closed' && f.to ? f.to : undefined,
      limit,
      after: append && rows.length ? rows[rows.length - 1].id : undefined,
    };
    if (button) button.disabled = true;
    try {
      const res = await listNow(params);
      if (!res) return;
      const got = res.rooms || [];
      got.forEach(remember);
      session.list = { ...session.list, key, rows: append ? rows.concat(got) : got, more: got.length === limit };
      list.draw();
    } catch (err) {
      list.showError(errorText(err));
    } finally {
      if (button) button.disabled = false;
    }
  }

  function refresh() {
    loadCounts();
    loadList();
    if (pane) pane.load();
  }

  let soon = null;
  let countsSoon = null;
  let roomSoon = false;
  const view = {
    roomId,
    refresh,
    showLive: () => list.showLive(),
    changed(id, kind) {
      if (kind === 'gone') {
        // A transfer this console made itself says so in its own words.
        if (id === roomId && pane && !session.acting.has(id)) pane.load(t('room.moved_away'));
        list.draw();
        clearTimeout(countsSoon);
        countsSoon = setTimeout(loadCounts, 150);
        return;
      }
      if (id === roomId) roomSoon = true;
      clearTimeout(soon);
      soon = setTimeout(() => {
        loadCounts();
        loadList();
        if (roomSoon && pane) pane.load();
        roomSoon = false;
      }, 150);
    },
    async alarm(data) {
      const row = session.list.rows.find((r) => r.id === data.room_id);
      let customer = row ? row.customer : session.room && session.room.id === data.room_id ? session.room.customer : null;
      if (!customer) {
        try {
          customer = (await ctx.api('GET', `/v1/rooms/${data.room_id}`)).customer;
        } catch (_) { /* the alarm is still worth announcing without a name */ }
      }
      const who = customer ? customerName(customer) : '';
      const text = t('rooms.alarm_fired', { customer: who || t('rooms.anon', { id: data.room_id.slice(-6) }) });
      const region = document.getElementById('announcer');
      if (region) region.textContent = text;
      // Shown longer than other notices, with a way to the room unless it is already open.
      const toasts = document.getElementById('toasts');
      if (toasts) {
        const toast = h('div', { class: 'toast alarm-toast', role: 'status' }, icon('alarm'), h('span', null, text),
          data.room_id !== roomId ? h('a', { href: `#/rooms/${session.tab}/${data.room_id}` }, t('rooms.open')) : null);
        toasts.append(toast);
        setTimeout(() => toast.remove(), 12000);
      }
    },
  };

  // Draw what is known at once, then read it again.
  if (session.counts) rail.update();
  const key = listKey();
  if (session.list.key === key) list.draw();
  list.showLive();
  attach(view);
  loadCounts();
  loadList();
  if (pane) pane.load();

  if (session.list.key === key) list.scroller.scrollTop = session.list.scroll;
  const focus = session.focus;
  session.focus = null;
  if (focus && focus.startsWith('tab:')) rail.focus(focus.slice(4));
  else if (pane && focus) pane.focus(focus);

  // Every half minute the "3분 전" times move on and everything is read again, as a safety net
  // beside the stream.
  const ticker = setInterval(() => {
    list.tick();
    refresh();
  }, 30000);
  ctx.onCleanup(() => {
    clearInterval(ticker);
    clearTimeout(soon);
    clearTimeout(countsSoon);
    window.removeEventListener('resize', fit);
    session.list.scroll = list.scroller.scrollTop;
    detach(view);
  });
}
