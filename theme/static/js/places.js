// Places left, as progressive enhancement: fills in every [data-places="<meeting id>"] from GET /api/meetings
// (the script tag's data-api). Without JavaScript, or when the API fails, the page stays as it was built.
(function () {
  var script = document.currentScript;
  var spots = document.querySelectorAll('[data-places]');
  if (!script || !spots.length || !window.fetch) return;
  var words = {
    waitlist: 'vol: je komt op de wachtlijst',
    full: 'wachtlijst vol',
    closed: 'aanmelden gesloten'
  };
  fetch(script.getAttribute('data-api'), { cache: 'no-store', headers: { Accept: 'application/json' } })
    .then(function (answer) {
      if (!answer.ok) throw new Error(answer.status);
      return answer.json();
    })
    .then(function (data) {
      var meetings = {};
      (data.meetings || []).forEach(function (m) { meetings[m.id] = m; });
      Array.prototype.forEach.call(spots, function (spot) {
        var m = meetings[spot.getAttribute('data-places')];
        if (!m) return;
        var text = m.offer === 'seat'
          ? 'nog ' + m.places_left + (m.places_left === 1 ? ' plaats' : ' plaatsen')
          : words[m.offer];
        if (!text) return;
        spot.textContent = (spot.getAttribute('data-before') || '') + text;
        spot.hidden = false;
      });
    })
    .catch(function () {});
})();
