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

// Bij de deur: een code scannen met de camera of typen, en het antwoord op dezelfde pagina tonen. Het
// aantal binnen wordt elke 2 minuten ververst; dat houdt ook de sessie open. Zonder verbinding zegt de
// pagina dat. Zonder JavaScript werken het codeformulier en zoeken op naam ook: dan opent een nieuwe pagina.
(function () {
  var form = document.querySelector('form[data-code-form]');
  if (!form || !window.fetch || !window.DOMParser || !window.URLSearchParams) return;
  var result = document.querySelector('[data-scan-result]');
  var offline = document.querySelector('[data-offline]');
  var count = document.querySelector('.door-count');
  function setOffline(on) { if (offline) offline.hidden = !on; }
  window.addEventListener('offline', function () { setOffline(true); });
  window.addEventListener('online', function () { setOffline(false); });
  if (navigator.onLine === false) setOffline(true);

  function parse(text) { return new DOMParser().parseFromString(text, 'text/html'); }

  function refresh() {
    return fetch(location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) { setOffline(false); return response.ok ? response.text() : null; })
      .then(function (text) {
        if (!text) return;
        var fresh = parse(text).querySelector('.door-count');
        if (fresh && count) count.innerHTML = fresh.innerHTML;
      })
      .catch(function () { setOffline(true); });
  }
  setInterval(refresh, 120000);

  var busy = false;
  function show(doc) {
    var answer = doc.querySelector('.door-result');
    result.innerHTML = '';
    if (!answer) {
      var main = doc.querySelector('main h1');
      answer = document.createElement('div');
      answer.className = 'door-result door-result--error';
      answer.textContent = main ? main.textContent : 'Er ging iets mis. Probeer het opnieuw.';
    }
    var copy = document.importNode(answer, true);
    var heading = copy.querySelector('h1');
    if (heading) {
      var h2 = document.createElement('h2');
      h2.textContent = heading.textContent;
      heading.replaceWith(h2);
    }
    result.appendChild(copy);
    var undo = doc.querySelector('form[data-undo]');
    if (undo) result.appendChild(document.importNode(undo, true));
  }
  function send(code) {
    if (busy) return Promise.resolve();
    busy = true;
    var body = new URLSearchParams(new FormData(form));
    body.set('code', code);
    return fetch(form.action, {
      method: 'POST', credentials: 'same-origin', body: body, headers: { Accept: 'text/html' }
    })
      .then(function (response) { setOffline(false); return response.text(); })
      .then(function (text) { show(parse(text)); refresh(); })
      .catch(function () { setOffline(true); })
      .then(function () { busy = false; });
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var input = form.elements.code;
    send(input.value).then(function () { input.value = ''; input.focus(); });
  });

  var start = document.querySelector('[data-camera-start]');
  var camera = document.querySelector('[data-camera]');
  if (!start || !camera || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var video = camera.querySelector('video');
  var state = camera.querySelector('[data-camera-state]');
  var stream = null;
  var last = { code: null, at: 0 };
  start.hidden = false;

  function jsqrDecoder() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) return resolve();
      var script = document.createElement('script');
      script.src = '/static/jsqr.js';
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    }).then(function () {
      var canvas = document.createElement('canvas');
      var context = canvas.getContext('2d', { willReadFrequently: true });
      return function () {
        var width = video.videoWidth, height = video.videoHeight;
        if (!width || !height) return Promise.resolve(null);
        canvas.width = width;
        canvas.height = height;
        context.drawImage(video, 0, 0, width, height);
        var found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height,
          { inversionAttempts: 'dontInvert' });
        return Promise.resolve(found ? found.data : null);
      };
    });
  }
  function decoder() {
    if (!('BarcodeDetector' in window)) return jsqrDecoder();
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf('qr_code') < 0) return jsqrDecoder();
      var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      return function () {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }, jsqrDecoder);
  }
  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    camera.hidden = true;
    start.hidden = false;
  }
  function loop(decode) {
    if (!stream) return;
    decode().then(function (code) {
      var now = Date.now();
      // The same code held in front of the camera is sent once, not again every frame.
      if (code && (code !== last.code || now - last.at > 5000)) {
        last = { code: code, at: now };
        return send(code);
      }
    }, function () {}).then(function () { setTimeout(function () { loop(decode); }, 150); });
  }
  start.querySelector('button').addEventListener('click', function () {
    start.hidden = true;
    camera.hidden = false;
    state.textContent = 'De camera start…';
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        return video.play();
      })
      .then(decoder)
      .then(function (decode) {
        state.textContent = 'Houd de QR-code voor de camera.';
        loop(decode);
      })
      .catch(function () {
        stop();
        state.textContent = '';
        show(parse('<div class="door-result door-result--error"><h1>Camera werkt niet</h1><p>De camera kan niet starten. Geef de website toestemming voor de camera, of typ de code of zoek op naam.</p></div>'));
      });
  });
  camera.querySelector('[data-camera-stop]').addEventListener('click', stop);
})();
