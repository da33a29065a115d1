// The demo page's script: a small shop page, in Korean or English, that embeds the chat widget
// with the widget key from the page's address (`/demo?key=wk_…&lang=ko`) exactly as a brand's
// page would with its script tag. It says that it is the channel's test page, and without a key
// it explains what to add.

(() => {
  const params = new URLSearchParams(location.search);
  const key = (params.get('key') || '').trim();
  const lang = (params.get('lang') || navigator.language || 'ko').toLowerCase().startsWith('en') ? 'en' : 'ko';

  const WORDS = {
    ko: {
      title: '하루결 · 웹채팅 테스트 페이지',
      test: '웹채팅 테스트 페이지', test_note: '위젯이 실제 쇼핑몰에 붙었을 때의 모습을 미리 보는 페이지예요. 고객에게는 보이지 않아요.',
      tagline: '매일의 결을 돌보는 생활 상점', nav: ['스킨케어', '겨울 소품', '선물', '고객센터'],
      member: (name) => `${name} 님`, member_label: '로그인한 고객',
      eyebrow: '겨울 보습 기획전', headline: '건조한 계절에도\n촉촉한 하루결',
      lead: '수분 크림부터 캐시미어 머플러까지, 겨울을 포근하게 나는 물건을 골랐어요. 주문이나 배송이 궁금하면 언제든 채팅으로 물어보세요.',
      cta: '채팅으로 문의하기', picks: '이번 주 추천', soldout: '품절', won: (n) => `${n.toLocaleString('ko-KR')}원`,
      help: '무엇이든 물어보세요', help_lead: '오른쪽 아래 버튼을 누르면 상담 창이 열려요. 이렇게 물어볼 수 있어요.',
      tries: ['주문번호 1001 배송 어디쯤이에요?', '겨울 선물 추천해 주세요', '영업시간이 어떻게 되나요?', '상담원 연결해주세요'],
      hours: '고객센터 운영 안내', hours_lead: 'AI 상담원이 24시간 먼저 답변하고, 사람이 필요한 문의는 상담원이 이어서 도와드려요.',
      op: '운영자 안내', op_snippet: '이 페이지에 넣은 위젯 코드는 브랜드 페이지에 붙이는 코드와 같아요. 데모 상점의 고객(김해피, happy@example.com)으로 로그인한 페이지처럼 고객 정보도 함께 넘겨서, 주문 1001·1002를 조회할 수 있어요.',
      op_origin: (o) => `이 페이지에서 위젯을 연 것을 출시 체크리스트의 ‘채널 설정’에 반영하려면, 웹채팅 채널의 allowed_origins에 ${o} 를 추가한 뒤 이 페이지를 다시 여세요.`,
      nokey_h: '위젯 키가 필요해요',
      nokey_p: '이 페이지 주소 끝에 웹채팅 위젯 키를 붙이면 상담 위젯이 나타나요. 예:',
      nokey_where: '위젯 키는 운영 콘솔의 웹채팅 출시 체크리스트, 또는 GET /v1/channels/webchat 응답의 widget_key에서 볼 수 있어요.',
    },
    en: {
      title: 'Haru Living · webchat test page',
      test: 'Webchat test page', test_note: 'A preview of the widget on a real shop page. Customers never see this page.',
      tagline: 'Everyday goods, gently made', nav: ['Skincare', 'Winter', 'Gifts', 'Help'],
      member: (name) => `Hi, ${name}`, member_label: 'Signed-in customer',
      eyebrow: 'Winter care edit', headline: 'Soft days,\neven in the dry season',
      lead: 'From hydrating cream to a cashmere muffler, picked to keep winter warm. Questions about an order or delivery? Ask us in the chat any time.',
      cta: 'Chat with us', picks: 'Picks of the week', soldout: 'Sold out', won: (n) => `₩${n.toLocaleString('en-US')}`,
      help: 'Ask us anything', help_lead: 'The button at the bottom right opens the chat. You could ask:',
      tries: ['Where is order 1001?', 'Any winter gift ideas?', 'What are your opening hours?', 'I want to talk to a person'],
      hours: 'How our support works', hours_lead: 'Our AI assistant answers first, day and night; a support agent takes over whenever you need a person.',
      op: 'For operators', op_snippet: 'The widget on this page is embedded with the same tag a brand puts on its own pages. Like a page where the demo shop\'s customer (김해피, happy@example.com) is signed in, it passes who the customer is, so orders 1001 and 1002 can be looked up.',
      op_origin: (o) => `To count this page for the launch checklist's channel setup, add ${o} to the webchat channel's allowed_origins, then open this page again.`,
      nokey_h: 'A widget key is needed',
      nokey_p: 'Add your webchat widget key to this page\'s address and the chat widget appears. For example:',
      nokey_where: 'The key is on the webchat launch checklist in the operator console, and in widget_key of GET /v1/channels/webchat.',
    },
  };
  const W = WORDS[lang];

  // The demo shop's customer, as if signed in to the shop: the widget passes who they are.
  const CUSTOMER = { name: '김해피', email: 'happy@example.com' };

  // A few of the demo shop's products, with a soft colour for their picture.
  const PRODUCTS = [
    { ko: '수분 크림 50ml', en: 'Hydrating Cream 50ml', price: 39000, tile: ['#f4e9dc', '#e6d3bd'] },
    { ko: '캐시미어 머플러', en: 'Cashmere Muffler', price: 79000, tile: ['#e5e1ec', '#cfc6de'] },
    { ko: '꿀 립밤', en: 'Honey Lip Balm', price: 9000, tile: ['#fbeed0', '#f1d79c'] },
    { ko: '라벤더 향초', en: 'Lavender Scented Candle', price: 27000, tile: ['#ebe6f3', '#d6cce8'] },
    { ko: '제주 녹차 티백 세트', en: 'Jeju Green Tea Bag Set', price: 22000, tile: ['#e3eedf', '#c9ddc0'] },
    { ko: '기념일 스킨케어 세트', en: 'Anniversary Skincare Set', price: 89000, tile: ['#f3e3e1', '#e6c9c4'], soldout: true },
  ];

  const h = (tag, attrs, ...children) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
    for (const c of children) if (c != null) n.append(c);
    return n;
  };
  const lines = (text) => text.split('\n').flatMap((line, i) => (i ? [h('br'), line] : [line]));
  const withLang = (l) => {
    const p = new URLSearchParams(location.search);
    p.set('lang', l);
    return '?' + p.toString();
  };

  document.documentElement.lang = lang;
  document.title = W.title;

  const langs = h('div', { class: 'langs', role: 'group', 'aria-label': 'Language / 언어' },
    h('a', { href: withLang('ko'), lang: 'ko', 'aria-current': String(lang === 'ko') }, '한국어'),
    h('a', { href: withLang('en'), lang: 'en', 'aria-current': String(lang === 'en') }, 'English'));
  const testbar = h('div', { class: 'testbar', role: 'region', 'aria-label': W.test },
    h('div', { class: 'wrap' }, h('span', { class: 'pill' }, 'sangdam'),
      h('p', null, h('strong', null, W.test), h('span', { class: 'note' }, ' · ', W.test_note)), langs));

  const head = h('header', { class: 'shop-head' }, h('div', { class: 'wrap' },
    h('a', { class: 'brand', href: withLang(lang) }, h('b', null, lang === 'ko' ? '하루결' : 'Haru Living'), h('span', null, W.tagline)),
    h('nav', { 'aria-label': W.tagline }, h('ul', null, ...W.nav.map((label) => h('li', null, h('a', { href: '#picks' }, label))))),
    key ? h('span', { class: 'member', title: W.member_label }, W.member(CUSTOMER.name)) : null));

  const cta = h('button', { type: 'button', class: 'cta' }, W.cta);
  cta.addEventListener('click', () => { if (window.Sangdam) window.Sangdam.open(); });
  cta.hidden = !key;
  const hero = h('section', { class: 'hero' }, h('div', { class: 'wrap' },
    h('div', null, h('p', { class: 'eyebrow' }, W.eyebrow), h('h1', null, ...lines(W.headline)), h('p', { class: 'lead' }, W.lead), cta),
    h('div', { class: 'hero-art', 'aria-hidden': 'true' })));

  const cards = PRODUCTS.map((p) => {
    const tile = h('div', { class: 'tile', 'aria-hidden': 'true' });
    tile.style.background = `linear-gradient(150deg, ${p.tile[0]}, ${p.tile[1]})`;
    return h('li', { class: 'card' }, tile, h('span', { class: 'name' }, p[lang]), h('span', { class: 'price' }, W.won(p.price)),
      p.soldout ? h('span', { class: 'badge' }, W.soldout) : null);
  });
  const products = h('section', { class: 'products', id: 'picks' }, h('div', { class: 'wrap' },
    h('h2', null, W.picks), h('ul', { class: 'grid' }, ...cards)));

  const help = h('section', { class: 'help' }, h('div', { class: 'wrap' }, h('div', { class: 'box' },
    h('div', null, h('h2', null, W.help), h('p', null, W.help_lead),
      h('ul', { class: 'tries' }, ...W.tries.map((t) => h('li', null, t)))),
    h('div', null, h('h2', null, W.hours), h('p', null, W.hours_lead)))));

  const snippet = `<script src="${location.origin}/widget.js" data-widget-key="${key || 'wk_…'}" data-locale="${lang}"\n        data-name="${CUSTOMER.name}" data-email="${CUSTOMER.email}" defer></script>`;
  const operator = h('footer', { class: 'operator' }, h('div', { class: 'wrap' },
    h('h2', null, W.op), h('p', null, W.op_snippet), h('pre', null, h('code', null, snippet)),
    h('p', null, W.op_origin(location.origin))));

  const page = document.getElementById('page');
  if (!key) {
    const example = `${location.origin}/demo?key=wk_…&lang=${lang}`;
    const nokey = h('div', { class: 'wrap' }, h('div', { class: 'nokey', role: 'alert' },
      h('h2', null, W.nokey_h), h('p', null, W.nokey_p), h('pre', null, h('code', null, example)), h('p', null, W.nokey_where)));
    page.append(testbar, nokey, head, hero, products, help);
    return;
  }
  page.append(testbar, head, hero, products, help, operator);

  // The embed, as on any brand's page.
  const script = document.createElement('script');
  script.src = '/widget.js';
  script.defer = true;
  script.setAttribute('data-widget-key', key);
  script.setAttribute('data-locale', lang);
  script.setAttribute('data-name', CUSTOMER.name);
  script.setAttribute('data-email', CUSTOMER.email);
  document.body.append(script);
})();
