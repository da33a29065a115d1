// The demo page's script: embeds the widget with the widget key from the page's address
// (`/demo?key=wk_…&lang=ko`), the way a brand's page would with its script tag.

(() => {
  const params = new URLSearchParams(location.search);
  const key = (params.get('key') || '').trim();
  const lang = params.get('lang');
  if (!key) {
    document.getElementById('no-key').hidden = false;
    return;
  }
  const script = document.createElement('script');
  script.src = '/widget.js';
  script.defer = true;
  script.setAttribute('data-widget-key', key);
  if (lang) script.setAttribute('data-locale', lang);
  document.body.append(script);
})();
