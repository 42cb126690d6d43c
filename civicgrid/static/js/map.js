/* civicgrid maps: draw our own GeoJSON with Leaflet. Tiles only when a tile URL is configured,
   so the map works offline. Every element with [data-map] becomes a map:
     data-geojson-url        GeoJSON FeatureCollection to fetch (same origin)
     data-geojson-script     or the id of a json_script element holding one
     data-marker-lon/-lat    a point to mark (a building)
     data-tile-url / data-tile-attribution   optional base layer */
(function () {
  "use strict";

  var STYLES = {
    self: { color: "#0b6e4f", weight: 3, fillOpacity: 0.08 },
    child: { color: "#1d4ed8", weight: 1.5, fillOpacity: 0.15 },
    other: { color: "#7c3aed", weight: 1.5, fillOpacity: 0.1, dashArray: "4 3" }
  };

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function addGeoJSON(map, data, bounds) {
    var layer = L.geoJSON(data, {
      style: function (feature) {
        return STYLES[(feature.properties || {}).role] || STYLES.other;
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 4, color: "#b44d12", weight: 1, fillOpacity: 0.8 });
      },
      onEachFeature: function (feature, featureLayer) {
        var p = feature.properties || {};
        var label = escapeHtml(p.name) + (p.code ? " <small>" + escapeHtml(p.code) + "</small>" : "");
        featureLayer.bindTooltip(label, { sticky: true });
        if (p.url && p.role !== "self") {
          featureLayer.on("click", function () { window.location.href = p.url; });
        }
      }
    }).addTo(map);
    var layerBounds = layer.getBounds();
    if (layerBounds.isValid()) { bounds.extend(layerBounds); }
  }

  function initMap(el) {
    var map = L.map(el, { zoomSnap: 0.25 });
    var bounds = L.latLngBounds([]);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, {
        attribution: el.dataset.tileAttribution || "",
        maxZoom: 19
      }).addTo(map);
    }
    var lon = parseFloat(el.dataset.markerLon);
    var lat = parseFloat(el.dataset.markerLat);
    if (!isNaN(lon) && !isNaN(lat)) {
      L.marker([lat, lon]).addTo(map);
      bounds.extend([lat, lon]);
    }
    function fit() {
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [16, 16], maxZoom: 18 });
      } else {
        map.setView([31.23, 121.47], 12);
      }
    }
    if (el.dataset.geojsonScript) {
      var script = document.getElementById(el.dataset.geojsonScript);
      if (script) { addGeoJSON(map, JSON.parse(script.textContent), bounds); }
    }
    if (!el.dataset.geojsonUrl) { fit(); return; }
    fetch(el.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) { addGeoJSON(map, data, bounds); fit(); })
      .catch(function () {
        el.setAttribute("data-map-error", "1");
        fit();
      });
  }

  function initAll() {
    if (typeof L === "undefined") { return; }
    document.querySelectorAll("[data-map]").forEach(initMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
