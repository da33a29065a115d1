// What the rooms view remembers while the counselor moves between tabs and rooms, and the live
// stream that keeps it current. The router draws the view again on every address change, so the
// stream, the list, the drafts and the highlighted tabs live here rather than in one drawing;
// the stream closes only when the counselor leaves the rooms view.
//
// Highlighting follows seed 001: when a room moves into a status (a new conversation, a customer
// writing again, a hold or an alarm), that tab turns red and blinks three times; it stays red until
// the counselor opens it. Changes this console made itself do not light anything up.

import { stream } from './api.js';
import { SUB_TABS, tabCount, tabsOf } from './rooms_text.js';

/** The rooms view's memory for the signed-in counselor. */
export const session = fresh(null);

function fresh(owner) {
  return {
    owner,
    tab: 'waiting',
    filters: { q: '', field: 'content', sort: 'last_message_desc', flag: false, grade: '', from: '', to: '' },
    counts: null,
    list: { key: '', rows: [], more: false, scroll: 0 },
    /** The last room drawn, so going back to it draws at once while it is read again. */
    room: null,
    /** Unsent replies by room. */
    drafts: new Map(),
    /** What the console last knew of each room: status, hold, alarm. */
    known: new Map(),
    /** Tabs a room moved into that the counselor has not opened since (red). */
    highlighted: new Set(),
    /** Tabs to blink on the next drawing. */
    flash: new Set(),
    /** Tabs rooms surely moved into, and tabs they may have (kept if the tab's count grew). */
    moved: new Set(),
    maybe: new Set(),
    /** Rooms this console is changing right now: their events are its own doing. */
    acting: new Set(),
    /** Rooms with customer messages the counselor has not opened yet. */
    unseen: new Set(),
    /** Where to put the focus after the next drawing. */
    focus: null,
    live: 'connecting',
    /** The drawing on screen: `{ changed(id, kind), refresh(), showLive(), alarm(data) }`. */
    view: null,
  };
}

/** Starts over when someone else signs in on this page. */
export function adopt(me) {
  const owner = me ? me.id : null;
  if (session.owner !== owner) Object.assign(session, fresh(owner));
}

/** The part of a room's state that decides its tabs. */
export function remember(room) {
  session.known.set(room.id || room.room_id, {
    status: room.status,
    hold: !!room.hold,
    alarm_at: room.alarm_at || null,
  });
}

/**
 * Runs `work` on a room with its events marked as this console's own doing. Events that trail
 * the answer find the room's new state already remembered, so they light nothing up either.
 */
export async function acting(id, work) {
  session.acting.add(id);
  try {
    const result = await work();
    if (result && result.id === id && result.status) remember(result);
    return result;
  } finally {
    session.acting.delete(id);
  }
}

/** Whether opening `current` shows what moved into `tab`. */
function covers(current, tab) {
  if (current === tab) return true;
  if (current === 'in_progress' && SUB_TABS.includes(tab)) return true;
  return SUB_TABS.includes(current) && tab === 'in_progress' && session.moved.has(current);
}

/** Once the new counts are in, lights up the tabs rooms moved into. */
export function settle(before, after) {
  if (before) {
    for (const tab of session.maybe) {
      if (tabCount(after, tab) > tabCount(before, tab)) session.moved.add(tab);
    }
  }
  for (const tab of session.moved) {
    session.flash.add(tab);
    if (!covers(session.tab, tab)) session.highlighted.add(tab);
  }
  session.maybe.clear();
  session.moved.clear();
}

/** The counselor opened `tab`: it is no longer red. */
export function opened(tab) {
  session.highlighted.delete(tab);
  if (tab === 'in_progress') SUB_TABS.forEach((sub) => session.highlighted.delete(sub));
}

function onEvent(ev) {
  const view = session.view;
  if (ev.event === 'reload') {
    if (view) view.refresh();
    return;
  }
  const data = ev.data;
  if (!data || typeof data !== 'object' || !data.room_id) return;
  const id = data.room_id;
  if (ev.event === 'gone') {
    // A colleague took the room or it was transferred away: it leaves the lists at once.
    const known = session.known.delete(id);
    const rows = session.list.rows.filter((r) => r.id !== id);
    const listed = rows.length !== session.list.rows.length;
    if (listed) session.list = { ...session.list, rows };
    session.unseen.delete(id);
    if (view && (known || listed || view.roomId === id)) view.changed(id, 'gone');
    return;
  }
  const before = session.known.get(id);
  remember(data);
  if (!session.acting.has(id)) {
    const now = tabsOf(data);
    if (before) {
      const was = tabsOf(before);
      for (const tab of now) if (!was.has(tab)) session.moved.add(tab);
    } else {
      for (const tab of now) session.maybe.add(tab);
    }
    // A message that leaves the room waiting on the counselor is the customer's.
    if (ev.event === 'message' && ['waiting', 'received', 'inquiry'].includes(data.status)) {
      session.moved.add(data.status);
      if (!view || view.roomId !== id) session.unseen.add(id);
    }
  }
  if (!view) return;
  if (ev.event === 'alarm') view.alarm(data);
  view.changed(id, ev.event);
}

let feed = null;
let closing = null;

/** Puts `view` on screen and makes sure the stream runs. */
export function attach(view) {
  clearTimeout(closing);
  session.view = view;
  if (feed) return;
  session.live = 'connecting';
  feed = stream('/v1/rooms/events', {
    onEvent,
    onOpen() {
      session.live = 'on';
      if (session.view) {
        session.view.showLive();
        // Whatever happened while the stream was away is read again.
        session.view.refresh();
      }
    },
    onDown() {
      session.live = 'down';
      if (session.view) session.view.showLive();
    },
  });
}

/** Takes `view` off screen; the stream stops unless the next drawing is the rooms view again. */
export function detach(view) {
  if (session.view === view) session.view = null;
  clearTimeout(closing);
  closing = setTimeout(() => {
    if (session.view || !feed) return;
    feed.close();
    feed = null;
    session.live = 'connecting';
  }, 0);
}
