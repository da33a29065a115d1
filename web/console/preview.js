// The preview panel: chat with the agent through the live path with sends captured, and see per
// turn the intent, confidence, skill, handoff decision and the ticket that would be created.

export const strings = { ko: { 'nav.preview': '미리보기' }, en: { 'nav.preview': 'Preview' } };

export const nav = [{ href: '#/preview/webchat', label: 'nav.preview', roles: ['admin', 'manager'] }];

export const routes = [
  {
    pattern: /^preview\/(webchat|sms)$/,
    roles: ['admin', 'manager'],
    title: 'nav.preview',
    render(main, [, channel]) {
      main.textContent = channel;
    },
  },
];
