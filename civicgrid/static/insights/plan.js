// The plan page's before/after chart: weekly cases at the hotspot, a mark where the plan
// started; a bar opens that week's cases on the workbench. The numbers come from the page
// (json_script #plan-chart-data); the table below the chart shows the same.
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("plan-chart");
    var source = document.getElementById("plan-chart-data");
    if (!box || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var weeks = data.weeks;
    var start = weeks.filter(function (w) { return w.after; })[0];
    var chart = window.echarts.init(box);
    chart.setOption({
      grid: { left: 36, right: 12, top: 24, bottom: 40 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: weeks.map(function (w) { return w.week.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{
        type: "bar",
        data: weeks.map(function (w) {
          return { value: w.count, itemStyle: { color: w.after ? "#2e7d32" : "#9e9e9e" } };
        }),
        markLine: start ? {
          symbol: "none",
          label: { formatter: data.labels.start },
          data: [{ xAxis: start.week.slice(5) }]
        } : undefined
      }]
    });
    chart.on("click", function (params) {
      var week = weeks[params.dataIndex];
      if (week && week.link) window.location.href = week.link;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
