/* The dashboard's map (insights/_map.html): grids (or streets) coloured by `level` from
   data-grids-url, a heat layer and clustered case markers from data-points-url, a layer control
   to toggle them. No tiles: our own GeoJSON only, so it works offline.

   The element may be swapped by htmx (a new filter): every #dashboard-map not yet drawn is
   drawn after a swap, and a map whose element left the page stops refreshing. Inside `.wall`
   the data is fetched again every 60 s (the view stays where the viewer left it).

   htmx re-runs the include's <script> tags in order after a swap, Leaflet first: this file may
   run twice, and the plugins may lag behind a fresh `L` for a moment (retried). */
(function () {
  "use strict";

  var REFRESH_MS = 60 * 1000;
  // Level 0–4 (see insights.views.maps.Thresholds): none, some open, many open, some overdue, many overdue.
  var PALETTES = {
    light: ["#e5e7eb", "#bfdbfe", "#60a5fa", "#f59e0b", "#dc2626"],
    dark: ["#334155", "#1e3a8a", "#2563eb", "#d97706", "#ef4444"]
  };
  var HEAT = { radius: 18, blur: 15, maxZoom: 17, gradient: { 0.25: "#3b82f6", 0.5: "#84cc16", 0.7: "#facc15", 1: "#dc2626" } };

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function ready() {
    return typeof L !== "undefined" && typeof L.heatLayer === "function" && typeof L.markerClusterGroup === "function";
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    });
  }

  function DashboardMap(el) {
    this.el = el;
    this.box = el.closest(".dashboard-map-box") || el.parentNode;
    this.wall = !!el.closest(".wall");
    this.palette = this.wall ? PALETTES.dark : PALETTES.light;
    this.fitted = false;
    var d = el.dataset;
    this.labels = {
      grids: d.labelGrids, heat: d.labelHeat, points: d.labelPoints, open: d.labelOpen,
      overdue: d.labelOverdue, total: d.labelTotal, truncated: d.labelTruncated, error: d.labelError
    };
    // maxZoom: no tile layer gives one, and the cluster layer needs it.
    this.map = L.map(el, { zoomSnap: 0.25, preferCanvas: true, maxZoom: 19 });
    this.map.setView([31.23, 121.47], 12);  // until the data says where
    this.grids = L.geoJSON(null, {
      style: this.style.bind(this),
      onEachFeature: this.bindFeature.bind(this)
    }).addTo(this.map);
    this.heat = L.heatLayer([], HEAT).addTo(this.map);
    this.cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, chunkedLoading: true })
      .addTo(this.map);
    var overlays = {};
    overlays[this.labels.grids] = this.grids;
    overlays[this.labels.heat] = this.heat;
    overlays[this.labels.points] = this.cluster;
    // Collapsed: on a phone the expanded control would cover most of the map.
    L.control.layers(null, overlays, { collapsed: true }).addTo(this.map);
    el.dataset.mapReady = "1";
    this.load();
    if (this.wall) { this.timer = window.setInterval(this.tick.bind(this), REFRESH_MS); }
  }

  DashboardMap.prototype.style = function (feature) {
    var level = (feature.properties || {}).level || 0;
    return {
      color: this.wall ? "#94a3b8" : "#475569", weight: 1, fillColor: this.palette[level] || this.palette[0],
      fillOpacity: this.wall ? 0.55 : 0.6
    };
  };

  DashboardMap.prototype.bindFeature = function (feature, layer) {
    var p = feature.properties || {};
    var l = this.labels;
    layer.bindTooltip(
      "<strong>" + escapeHtml(p.name) + "</strong><br>" +
      escapeHtml(l.open) + " " + escapeHtml(p.open) + " · " + escapeHtml(l.overdue) + " " + escapeHtml(p.overdue) +
      " · " + escapeHtml(l.total) + " " + escapeHtml(p.total),
      { sticky: true }
    );
    if (p.url) { layer.on("click", function () { window.location.href = p.url; }); }
  };

  DashboardMap.prototype.tick = function () {
    if (!document.body.contains(this.el)) {  // swapped away
      window.clearInterval(this.timer);
      this.map.remove();
      return;
    }
    this.load();
  };

  DashboardMap.prototype.load = function () {
    var self = this;
    // One request after the other: the grids are drawn first, and a small server (the test
    // server over SQLite) never answers two of them at once.
    var points = this.el.dataset.pointsUrl;
    getJSON(this.el.dataset.gridsUrl)
      .then(function (grids) {
        return getJSON(points).then(function (found) { return [grids, found]; });
      })
      .then(function (both) {
        self.el.removeAttribute("data-map-error");
        self.drawGrids(both[0]);
        self.drawPoints(both[1]);
        if (!self.fitted) { self.fit(); }
      })
      .catch(function () {
        self.el.setAttribute("data-map-error", "1");
        self.note(self.labels.error);
      });
  };

  DashboardMap.prototype.drawGrids = function (data) {
    this.grids.clearLayers();
    this.grids.addData({ type: "FeatureCollection", features: (data.features || []).filter(function (f) { return f.geometry; }) });
    var palette = this.palette;
    var levels = (data.legend && data.legend.levels) || [];
    this.box.querySelectorAll("[data-map-legend] [data-level]").forEach(function (item) {
      var level = Number(item.dataset.level);
      var found = levels.filter(function (l) { return l.level === level; })[0];
      item.hidden = !found;
      item.querySelector(".map-swatch").style.background = palette[level];
      item.lastElementChild.textContent = found ? found.label : "";
    });
  };

  DashboardMap.prototype.drawPoints = function (data) {
    var statuses = data.statuses || {};
    var l = this.labels;
    this.heat.setLatLngs(data.points || []);
    this.cluster.clearLayers();
    var palette = this.palette;
    var caseUrl = this.el.dataset.caseUrl;
    var markers = (data.cases || []).map(function (c) {
      var marker = L.circleMarker([c.lat, c.lon], {
        radius: 6, weight: 1, color: "#ffffff", fillOpacity: 0.9,
        fillColor: c.overdue ? palette[4] : palette[2]
      });
      marker.bindTooltip(
        escapeHtml(c.number) + " · " + escapeHtml(statuses[c.status] || c.status) + (c.overdue ? " · " + escapeHtml(l.overdue) : "")
      );
      marker.on("click", function () { window.location.href = caseUrl.replace("__number__", encodeURIComponent(c.number)); });
      return marker;
    });
    this.cluster.addLayers(markers);
    this.note(data.truncated ? (l.truncated || "").replace("%(n)s", String(markers.length)) : "");
  };

  DashboardMap.prototype.note = function (text) {
    var note = this.box.querySelector("[data-map-note]");
    if (!note) { return; }
    note.textContent = text || "";
    note.hidden = !text;
  };

  DashboardMap.prototype.fit = function () {
    var bounds = this.grids.getBounds();
    if (!bounds.isValid() && this.cluster.getLayers().length) { bounds = this.cluster.getBounds(); }
    if (bounds.isValid()) {
      this.map.fitBounds(bounds, { padding: [12, 12], maxZoom: 17 });
      this.fitted = true;
    }
  };

  function initAll(attempt) {
    var pending = document.querySelectorAll("#dashboard-map:not([data-map-ready])");
    if (!pending.length) { return; }
    if (!ready()) {
      // The plugins are still loading (a swap re-ran the script tags): try again shortly.
      if ((attempt || 0) < 50) { window.setTimeout(function () { initAll((attempt || 0) + 1); }, 100); }
      return;
    }
    pending.forEach(function (el) { el.dashboardMap = new DashboardMap(el); });
  }

  if (window.civicgridDashboardMap) {  // this file ran before: its listeners are in place
    initAll(0);
    return;
  }
  window.civicgridDashboardMap = { init: initAll };
  document.addEventListener("htmx:afterSwap", function () { initAll(0); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initAll(0); });
  } else {
    initAll(0);
  }
})();
