// The counselor room queue: status tabs with counts, search and sort, and a room view with the
// transcript and the counselor's actions, kept current over the console event stream.

export const strings = { ko: { 'nav.rooms': '상담' }, en: { 'nav.rooms': 'Rooms' } };

export const nav = [{ href: '#/rooms', label: 'nav.rooms' }];

export const routes = [
  {
    pattern: /^rooms(?:\/([^/]+))?$/,
    title: 'nav.rooms',
    render(main) {
      main.textContent = 'rooms';
    },
  },
];
