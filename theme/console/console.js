// Beheeromgeving: het overzicht ververst zichzelf elke 30 seconden. Zonder JavaScript werkt alles ook:
// dan ververst u de pagina zelf.
(function () {
  var table = document.querySelector('table[data-refresh]');
  if (!table || !window.fetch || !window.DOMParser) return;
  setInterval(function () {
    fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (!text) return;
        var fresh = new DOMParser().parseFromString(text, 'text/html');
        var body = fresh.querySelector('table[data-refresh] tbody');
        var updated = fresh.querySelector('[data-updated]');
        if (body) table.querySelector('tbody').replaceWith(body);
        var here = document.querySelector('[data-updated]');
        if (updated && here) here.textContent = updated.textContent;
      })
      .catch(function () {});
  }, 30000);
})();
