/* civicgrid work orders: location from the phone (navigator.geolocation) or a map click
   fills the hidden lon/lat inputs; a confirm() for destructive buttons; the workbench's
   select-all box. No tiles unless
   configured, so the picker works offline over the streets' outlines. */
(function () {
  "use strict";

  function setPoint(fieldset, lon, lat, status) {
    var lonInput = fieldset.querySelector("input[name=lon]");
    var latInput = fieldset.querySelector("input[name=lat]");
    if (lonInput) { lonInput.value = lon.toFixed(6); }
    if (latInput) {
      latInput.value = lat.toFixed(6);
      // Listeners (the desk's duty-table suggestion) hear of the new point.
      latInput.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var out = fieldset.querySelector("[data-geo-status]");
    if (out) { out.textContent = status + "：" + lon.toFixed(6) + ", " + lat.toFixed(6); }
    if (fieldset._pickMarker) { fieldset._pickMarker(lat, lon); }
  }

  function initGeolocate(button) {
    var fieldset = button.closest("[data-location]");
    var out = fieldset.querySelector("[data-geo-status]");
    if (!("geolocation" in navigator)) {
      button.disabled = true;
      if (out) { out.textContent = "此设备不支持定位，请填写地址。"; }
      return;
    }
    button.addEventListener("click", function () {
      if (out) { out.textContent = "正在定位…"; }
      navigator.geolocation.getCurrentPosition(
        function (pos) { setPoint(fieldset, pos.coords.longitude, pos.coords.latitude, "已定位"); },
        function () { if (out) { out.textContent = "无法获取位置，请在地图上点选或填写地址。"; } },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  function initPicker(el) {
    if (typeof L === "undefined") { return; }
    var fieldset = el.closest("[data-location]");
    var map = L.map(el, { zoomSnap: 0.25 });
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var bounds = L.latLngBounds([]);
    var script = el.dataset.geojsonScript && document.getElementById(el.dataset.geojsonScript);
    if (script) {
      var layer = L.geoJSON(JSON.parse(script.textContent), {
        style: { color: "#0b6e4f", weight: 2, fillOpacity: 0.06 },
        onEachFeature: function (feature, featureLayer) {
          featureLayer.bindTooltip(String((feature.properties || {}).name || ""), { sticky: true });
        }
      }).addTo(map);
      if (layer.getBounds().isValid()) { bounds.extend(layer.getBounds()); }
    }
    function fit() {
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); } else { map.setView([31.23, 121.47], 12); }
    }
    fit();
    // A picker inside a closed <details> (更正位置 on the case page) has no size until it opens.
    var details = el.closest("details");
    if (details) {
      details.addEventListener("toggle", function () {
        if (details.open) { map.invalidateSize(); fit(); }
      });
    }
    var marker = null;
    fieldset._pickMarker = function (lat, lon) {
      if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.marker([lat, lon]).addTo(map); }
      map.panTo([lat, lon]);
    };
    map.on("click", function (e) { setPoint(fieldset, e.latlng.lng, e.latlng.lat, "已选位置"); });
    var lonInput = fieldset.querySelector("input[name=lon]");
    var latInput = fieldset.querySelector("input[name=lat]");
    if (lonInput && latInput && lonInput.value && latInput.value) {
      fieldset._pickMarker(parseFloat(latInput.value), parseFloat(lonInput.value));
    }
  }

  function initConfirm(button) {
    button.addEventListener("click", function (e) {
      if (!window.confirm(button.dataset.confirm)) { e.preventDefault(); }
    });
  }

  function init() {
    document.querySelectorAll("[data-geolocate]").forEach(initGeolocate);
    document.querySelectorAll("[data-pick-map]").forEach(initPicker);
    document.querySelectorAll("[data-confirm]").forEach(initConfirm);
  }

  // 全选本页: one box ticks every row box of its form (delegated: htmx swaps the list).
  document.addEventListener("change", function (e) {
    var all = e.target.closest && e.target.closest("[data-select-all]");
    if (!all || !all.form) { return; }
    all.form.querySelectorAll("input[type=checkbox][name='" + all.dataset.selectAll + "']").forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // 采用建议: the desk's intake suggestion fills the category, request type and (if empty)
  // the address; the change events refresh the duty table's units.
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-intake-accept]");
    if (!button) { return; }
    var form = button.closest("form");
    function set(name, value, onlyIfEmpty) {
      var field = form && form.elements[name];
      if (!field || !value || (onlyIfEmpty && field.value)) { return; }
      field.value = value;
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
    set("category", button.dataset.category, false);
    set("request_type", button.dataset.requestType, false);
    set("address", button.dataset.address, true);
  });

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
