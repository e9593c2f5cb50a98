// The map page: the served pipeline's WebMercatorQuad tiles over a lat/lon grid, a colour bar,
// the pipeline's name and hash, and the value under the cursor from /point. No CDN: Leaflet is
// served from static/. window.podpacMap reports state for tests (tilesLoaded, legend).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("config").textContent);
  var state = (window.podpacMap = { tilesLoaded: false, legend: null, lastPoint: null });
  var map = L.map("map", { minZoom: config.minZoom, maxZoom: config.maxZoom, worldCopyJump: true, fadeAnimation: false })
    .setView([20, 0], Math.max(config.minZoom, 2));

  // The base grid: graticule lines drawn on canvas tiles (no external basemap).
  var Graticule = L.GridLayer.extend({
    createTile: function (coords) {
      var tile = document.createElement("canvas"), size = this.getTileSize();
      tile.width = size.x; tile.height = size.y;
      var ctx = tile.getContext("2d"), step = [30, 30, 30, 15, 10, 5, 2, 1][Math.min(coords.z, 7)];
      if (coords.z > 7) step = 90 / Math.pow(2, coords.z - 1);
      var nw = this._map.unproject(coords.scaleBy(size), coords.z);
      var se = this._map.unproject(coords.scaleBy(size).add(size), coords.z);
      ctx.fillStyle = "#eef1f4"; ctx.fillRect(0, 0, size.x, size.y);
      ctx.strokeStyle = "#aab4bf"; ctx.lineWidth = 1;
      var origin = coords.scaleBy(size), m = this._map, z = coords.z;
      function px(lat, lng) { return m.project([lat, lng], z).subtract(origin); }
      for (var lng = Math.ceil(nw.lng / step) * step; lng <= se.lng; lng += step) {
        var x = Math.round(px(0, lng).x) + 0.5;
        ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, size.y); ctx.stroke();
      }
      for (var lat = Math.ceil(se.lat / step) * step; lat <= nw.lat; lat += step) {
        var y = Math.round(px(lat, 0).y) + 0.5;
        ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(size.x, y); ctx.stroke();
      }
      return tile;
    }
  });
  new Graticule({ zIndex: 1 }).addTo(map);

  var select = document.getElementById("layer"), tiles = null, legendControl = null, pending = false, queued = null;
  config.pipelines.forEach(function (p) {
    var option = document.createElement("option");
    option.value = p.name; option.textContent = p.title; select.appendChild(option);
  });

  function query(params) {
    return Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
  }

  function show(name) {
    var pipeline = config.pipelines.filter(function (p) { return p.name === name; })[0];
    document.getElementById("name").textContent = pipeline.title;
    var hash = document.getElementById("hash");
    hash.textContent = pipeline.hash.slice(0, 12); hash.title = pipeline.hash;
    state.tilesLoaded = false;
    if (tiles) map.removeLayer(tiles);
    tiles = L.tileLayer("tiles/WebMercatorQuad/{z}/{x}/{y}.png?" + query({ layer: name }), {
      minZoom: config.minZoom, maxZoom: config.maxZoom, opacity: 0.9, zIndex: 2,
      attribution: "podpac-exec " + pipeline.name
    }).on("load", function () { state.tilesLoaded = true; }).addTo(map);
    fetch("legend.json?" + query({ layer: name })).then(function (r) { return r.json(); }).then(function (legend) {
      state.legend = legend;
      if (legendControl) map.removeControl(legendControl);
      legendControl = L.control({ position: "bottomleft" });
      legendControl.onAdd = function () {
        var div = L.DomUtil.create("div", "colorbar");
        div.id = "colorbar";
        div.innerHTML = '<div class="title"></div><img alt="colour bar"><div class="ticks"><span></span><span></span></div>';
        div.querySelector(".title").textContent = legend.title + " (" + legend.colormap + (legend.units ? ", " + legend.units : "") + ")";
        div.querySelector("img").src = "colorbar.png?" + query({ layer: name, width: 256, height: 14 });
        var ticks = div.querySelectorAll(".ticks span");
        ticks[0].textContent = legend.vmin.toPrecision(4); ticks[1].textContent = legend.vmax.toPrecision(4);
        return div;
      };
      legendControl.addTo(map);
    });
  }

  // The value under the cursor: one /point request in flight, the latest position queued.
  function lookup(latlng) {
    if (pending) { queued = latlng; return; }
    pending = true;
    var ll = latlng.wrap();
    fetch("point?" + query({ layer: select.value, lat: ll.lat.toFixed(6), lon: ll.lng.toFixed(6) }))
      .then(function (r) { return r.json(); })
      .then(function (p) {
        state.lastPoint = p;
        var text = p.error ? p.error : (p.value === null ? "nodata" : p.value.toPrecision(6));
        document.getElementById("cursor").textContent =
          ll.lat.toFixed(3) + ", " + ll.lng.toFixed(3) + ": " + text;
      })
      .catch(function () {})
      .then(function () {
        pending = false;
        if (queued) { var next = queued; queued = null; lookup(next); }
      });
  }
  map.on("mousemove", function (e) { if (Math.abs(e.latlng.lat) <= 85) lookup(e.latlng); });
  select.addEventListener("change", function () { show(select.value); });
  show(config.pipelines[0].name);
})();
