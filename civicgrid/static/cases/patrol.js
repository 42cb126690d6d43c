/* civicgrid patrol pages on the phone: the open patrol posts the phone's position every
   fifteen seconds while the page is open; the verify forms carry a GPS check-in (the hidden
   checkin_lon / checkin_lat / checkin_accuracy inputs); the open-case list offers "nearest
   first". Texts come from the page's data-status-* attributes (translated there). */
(function () {
  "use strict";

  var INTERVAL_MS = 15000;
  var OPTIONS = { enableHighAccuracy: true, timeout: 20000, maximumAge: 10000 };

  function say(el, key, values) {
    if (!el) { return; }
    var text = el.dataset["status" + key] || "";
    Object.keys(values || {}).forEach(function (name) { text = text.replace("{" + name + "}", values[name]); });
    (el.querySelector("[data-patrol-status]") || el).textContent = text;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function initPatrol(el) {
    if (!("geolocation" in navigator)) { say(el, "Off"); return; }
    var latest = null;
    var lastSent = 0;
    function send() {
      if (!latest || Date.now() - lastSent < INTERVAL_MS) { return; }
      lastSent = Date.now();
      var body = new URLSearchParams({
        lon: latest.longitude.toFixed(6), lat: latest.latitude.toFixed(6), accuracy: String(Math.round(latest.accuracy))
      });
      fetch(el.dataset.pointsUrl, {
        method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }
      }).then(function (r) { return r.json(); }).then(function (data) {
        if (data.points !== undefined) { say(el, "On", { points: data.points, km: (data.distance_m / 1000).toFixed(2) }); }
      }).catch(function () { /* offline: the next position tries again */ });
    }
    navigator.geolocation.watchPosition(
      function (pos) { latest = pos.coords; send(); },
      function () { say(el, "Off"); },
      OPTIONS
    );
    window.setInterval(send, INTERVAL_MS);
  }

  function initCheckin(status) {
    var forms = document.querySelectorAll("form[data-checkin]");
    if (!forms.length) { return; }
    if (!("geolocation" in navigator)) { say(status, "Off"); return; }
    say(status, "None");
    navigator.geolocation.watchPosition(
      function (pos) {
        var c = pos.coords;
        forms.forEach(function (form) {
          form.querySelector("input[name=checkin_lon]").value = c.longitude.toFixed(6);
          form.querySelector("input[name=checkin_lat]").value = c.latitude.toFixed(6);
          form.querySelector("input[name=checkin_accuracy]").value = String(Math.round(c.accuracy));
        });
        say(status, "On", { accuracy: Math.round(c.accuracy) });
      },
      function () { say(status, "Off"); },
      OPTIONS
    );
  }

  function initNear(link) {
    if (!("geolocation" in navigator)) { return; }
    link.hidden = false;
    link.addEventListener("click", function (e) {
      e.preventDefault();
      navigator.geolocation.getCurrentPosition(function (pos) {
        var url = new URL(link.href, window.location.href);
        url.searchParams.set("lon", pos.coords.longitude.toFixed(6));
        url.searchParams.set("lat", pos.coords.latitude.toFixed(6));
        window.location.assign(url.toString());
      }, function () { link.hidden = true; }, OPTIONS);
    });
  }

  function init() {
    document.querySelectorAll("[data-patrol]").forEach(initPatrol);
    initCheckin(document.querySelector("[data-checkin-status]"));
    document.querySelectorAll("a[data-near]").forEach(initNear);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
