// Line icons for the rooms view, drawn as SVG elements (never parsed from markup). Icons are
// decoration: each sits next to a text label or inside a control that has an accessible name.

const SVG = 'http://www.w3.org/2000/svg';

const PATHS = {
  search: ['M11 4a7 7 0 1 0 0 14a7 7 0 1 0 0-14z', 'M20 20l-4.2-4.2'],
  refresh: ['M19.5 12a7.5 7.5 0 1 1-2.2-5.3', 'M19.5 4.5v4h-4'],
  back: ['M15 18l-6-6 6-6'],
  send: ['M4.5 11.5l15-7-5.5 15-2.8-6.2z', 'M11.2 13.3l8.3-8.8'],
  flag: ['M6 21V4', 'M6 4.5h11l-2.2 4 2.2 4H6'],
  alarm: ['M12 5.5a7.5 7.5 0 1 0 0 15a7.5 7.5 0 1 0 0-15z', 'M12 9.5v3.5l2.5 1.5', 'M4.5 4.5l2.5-2', 'M19.5 4.5l-2.5-2'],
  hold: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M10 9v6', 'M14 9v6'],
  chat: ['M4 5.5h16v11H10l-4.5 3.5v-3.5H4z'],
  sms: ['M7.5 3h9v18h-9z', 'M11 17.5h2'],
  transfer: ['M4 8.5h14', 'M14.5 5l3.5 3.5-3.5 3.5', 'M20 15.5H6', 'M9.5 12L6 15.5 9.5 19'],
  close: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M9 9l6 6', 'M15 9l-6 6'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  inbox: ['M4 13.5l2.5-8h11l2.5 8v5H4z', 'M4 13.5h5l1 2h4l1-2h5'],
  info: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M12 11v5.5', 'M12 7.6v.1'],
  x: ['M6 6l12 12', 'M18 6L6 18'],
  bot: ['M6 8.5h12v10H6z', 'M12 4.5v4', 'M9.5 13h.01', 'M14.5 13h.01', 'M3.5 12.5v3', 'M20.5 12.5v3'],
  user: ['M12 11.5a4 4 0 1 0 0-8a4 4 0 1 0 0 8z', 'M4.5 20.5a7.5 7.5 0 0 1 15 0'],
};

/** An icon by name, hidden from assistive technology. */
export function icon(name, extraClass) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', extraClass ? `icon ${extraClass}` : 'icon');
  for (const d of PATHS[name] || []) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}
