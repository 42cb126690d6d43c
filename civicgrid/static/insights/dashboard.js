/* The dashboard's charts (ECharts): every [data-chart] element draws the JSON of the
   <script type="application/json"> whose id it names. Each data point carries the URL of
   its cases (the same link as the number's <a> twin): clicking a bar or a gauge opens it.
   Charts are drawn again after htmx swaps a panel (wall mode) and follow window resizes. */
(function () {
  "use strict";

  function dark() {
    return document.body.classList.contains("wall");
  }

  function gaugeSeries(spec, el) {
    var n = spec.items.length;
    // One gauge per column, as large as its column and the chart's height allow.
    var radius = Math.max(20, Math.min(el.clientWidth / n / 2, el.clientHeight / 2) * 0.9);
    return spec.items.map(function (item, i) {
      var centre = ((i + 0.5) * 100) / n + "%";
      return {
        type: "gauge",
        center: [centre, "55%"],
        radius: radius,
        min: 0,
        max: 100,
        startAngle: 210,
        endAngle: -30,
        progress: { show: true, width: radius / 5 },
        axisLine: { lineStyle: { width: radius / 5 } },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        pointer: { show: false },
        title: { show: false },  // the label is the HTML twin's, under the chart
        detail: {
          offsetCenter: [0, "5%"],
          fontSize: Math.max(12, radius / 3),
          formatter: function (v) {
            return item.value === null ? "—" : v + "%";
          },
        },
        data: [{ value: item.value === null ? 0 : item.value, name: item.name, url: item.url }],
      };
    });
  }

  function barOption(spec) {
    var categoryAxis = { type: "category", data: spec.categories, axisLabel: { hideOverlap: true } };
    var valueAxis = { type: "value", minInterval: 1 };
    return {
      tooltip: { trigger: spec.horizontal ? "item" : "axis" },
      legend: spec.series.length > 1 ? { type: "scroll", top: 0 } : undefined,
      grid: { left: 8, right: 16, top: spec.series.length > 1 ? 32 : 8, bottom: 8, containLabel: true },
      xAxis: spec.horizontal ? valueAxis : categoryAxis,
      yAxis: spec.horizontal ? categoryAxis : valueAxis,
      series: spec.series.map(function (s) {
        return { type: "bar", name: s.name, stack: spec.stacked ? "all" : undefined, data: s.data, cursor: "pointer" };
      }),
    };
  }

  function option(spec, el) {
    var base = spec.kind === "gauges" ? { series: gaugeSeries(spec, el) } : barOption(spec);
    base.backgroundColor = "transparent";
    base.animation = !dark();
    return base;
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.chart);
    if (!source || !window.echarts) return;
    var old = window.echarts.getInstanceByDom(el);
    if (old) old.dispose();
    var chart = window.echarts.init(el, dark() ? "dark" : null);
    chart.setOption(option(JSON.parse(source.textContent), el));
    chart.on("click", function (p) {
      if (p.data && p.data.url) window.location.href = p.data.url;
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  function disposeAll(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) chart.dispose();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
    document.body.addEventListener("htmx:beforeSwap", function (e) {
      disposeAll(e.detail.target);
    });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      drawAll(e.detail.target);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        document.querySelectorAll("[data-chart]").forEach(function (el) {
          var chart = window.echarts && window.echarts.getInstanceByDom(el);
          if (chart) draw(el);  // gauges size themselves from the element
        });
      }, 150);
    });
  });
})();
