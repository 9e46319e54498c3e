/* Charts of the analytics and account pages, drawn with the bundled ECharts.
 * The numbers come from the page's <script type="application/json" id="chart-data"> block
 * (the same ones as its tables); nothing is fetched. Tooltips render as rich text on the
 * canvas: the dashboard's CSP forbids inline style attributes, which HTML tooltips use. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];
  var tooltip = { trigger: "axis", renderMode: "richText" };
  var grid = { left: 48, right: 24, top: 56, bottom: 36, containLabel: true };

  function mount(name, option) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    if (!el) { return null; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({ animationDuration: 300 });
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }

  function weekly() {
    var series = Object.keys(data.weekly_calls).map(function (team) {
      return { name: team, type: "bar", stack: "calls", data: data.weekly_calls[team] };
    });
    series.push({ name: "通话时长（分钟）", type: "line", yAxisIndex: 1, data: data.weekly_minutes });
    mount("weekly", {
      tooltip: tooltip, grid: grid, legend: { type: "scroll", top: 0 },
      xAxis: { type: "category", data: data.weeks },
      yAxis: [{ type: "value", name: "通话" }, { type: "value", name: "分钟" }],
      series: series
    });
  }

  function trend() {
    var chart = mount("trend", {
      tooltip: tooltip, grid: grid, legend: { type: "scroll", top: 0 },
      xAxis: { type: "category", data: data.weeks }, yAxis: { type: "value" }, series: []
    });
    if (!chart) { return; }
    function show(key) {
      var metric = data.trends[key];
      var series = Object.keys(metric.lines).map(function (who) {
        return { name: who, type: "line", connectNulls: false, data: metric.lines[who] };
      });
      chart.setOption({ yAxis: { name: metric.unit }, series: series }, { replaceMerge: ["series"] });
    }
    var buttons = document.querySelectorAll("[data-trend]");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        buttons.forEach(function (b) {
          b.classList.toggle("primary", b === button);
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
        show(button.getAttribute("data-trend"));
      });
    });
    show(Object.keys(data.trends)[0]);
  }

  function bars(name, labels, series, horizontal) {
    var category = { type: "category", data: labels, axisLabel: { interval: 0 } };
    var value = { type: "value" };
    mount(name, {
      tooltip: tooltip, grid: grid, legend: series.length > 1 ? { top: 0 } : undefined,
      xAxis: horizontal ? value : category,
      // Horizontal bars list top-down in the table's order.
      yAxis: horizontal ? Object.assign({ inverse: true }, category) : value,
      series: series
    });
  }

  function heat() {
    var chart = mount("heat", { series: [] });
    if (!chart) { return; }
    function show(kind) {
      var table = data.heat[kind];
      var cells = table.cells.map(function (c) {
        var total = c[2] + c[3];
        return { value: [c[0], c[1], total ? Math.round(c[2] / total * 100) : 0], used: c[2], dismissed: c[3] };
      });
      chart.setOption({
        tooltip: {
          renderMode: "richText",
          formatter: function (p) {
            return data.heat.entries[p.value[1]] + " × " + table.columns[p.value[0]] +
              "\n采用 " + p.data.used + " 次，忽略 " + p.data.dismissed + " 次";
          }
        },
        grid: { left: 8, right: 16, top: 16, bottom: 64, containLabel: true },
        xAxis: { type: "category", data: table.columns, axisLabel: { interval: 0, rotate: table.columns.length > 6 ? 40 : 0 } },
        yAxis: { type: "category", data: data.heat.entries, inverse: true },
        visualMap: {
          min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0,
          text: ["采用率 100%", "0%"], inRange: { color: ["#f6d5d2", "#fff4c2", "#b9e4c6", "#2e8b57"] }
        },
        series: [{
          type: "heatmap", data: cells,
          label: { show: true, formatter: function (p) { return p.data.used + "/" + p.data.dismissed; } }
        }]
      }, { replaceMerge: ["series"] });
    }
    var buttons = document.querySelectorAll("[data-heat]");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        buttons.forEach(function (b) {
          b.classList.toggle("primary", b === button);
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
        show(button.getAttribute("data-heat"));
      });
    });
    show("objections");
  }

  function graph() {
    var g = data.graph;
    var links = g.links.map(function (link) {
      var approval = link.kind === "approval";
      return {
        source: link.source, target: link.target,
        symbol: approval ? ["none", "arrow"] : ["none", "none"], symbolSize: 10,
        lineStyle: approval
          ? { width: 1.5 + Math.min(link.count, 5), color: "#1d5fd1", curveness: 0.15 }
          : { width: 1, type: "dashed", color: "#b9c3ce" },
        label: approval ? { show: link.count > 1, formatter: link.count + " 次" } : { show: false }
      };
    });
    var el = document.querySelector('[data-chart="graph"]');
    if (!el) { return; }
    mount("graph", {
      tooltip: { renderMode: "richText", formatter: function (p) {
        return p.dataType === "node" ? p.data.name + (p.data.detail ? "\n" + p.data.detail : "") : "";
      } },
      legend: { data: g.categories, top: 0 },
      series: [{
        type: "graph", layout: "none", roam: true, left: 0, right: 0, top: 0, bottom: 0,
        categories: g.categories.map(function (name) { return { name: name }; }),
        label: { show: true, position: "bottom", width: 110, overflow: "break" },
        edgeLabel: { fontSize: 12, color: "#1d5fd1", backgroundColor: "#ffffff", padding: 2 },
        data: place(g.nodes, el.clientWidth, el.clientHeight), links: links
      }]
    });
  }

  /* A fixed layout reads better than a force one: the account on top, the approval order
   * left to right (top to bottom on a phone; several at one step side by side), the people
   * with no step apart. Positions are in the chart's pixels, with two invisible corner
   * anchors, so the view keeps its aspect and nodes stay round. */
  function place(nodes, width, height) {
    var steps = {};
    var loose = [];
    var account = null;
    nodes.forEach(function (node) {
      if (node.id === "@account") { account = node; return; }
      if (node.order) { (steps[node.order] = steps[node.order] || []).push(node); } else { loose.push(node); }
    });
    var orders = Object.keys(steps).map(Number).sort(function (a, b) { return a - b; });
    var narrow = width < 600;
    var top = 120;
    if (account) { account.x = width / 2; account.y = 60; }
    if (narrow) {
      var rows = Math.max(orders.length, loose.length, 1);
      var step = (height - top - 50) / Math.max(rows - 1, 1);
      orders.forEach(function (order, i) {
        steps[order].forEach(function (node, j) {
          node.x = width * (0.25 + j * 0.2); node.y = top + i * step;
        });
      });
      loose.forEach(function (node, i) { node.x = width * 0.8; node.y = top + i * step; });
    } else {
      var depth = Math.max.apply(null, [1].concat(orders.map(function (o) { return steps[o].length; })));
      var row = (height - top - 60) / (depth + 1);
      orders.forEach(function (order, i) {
        steps[order].forEach(function (node, j) {
          node.x = 70 + (i + 0.5) * (width - 140) / orders.length; node.y = top + 30 + j * row;
        });
      });
      loose.forEach(function (node, i) {
        node.x = 70 + (i + 0.5) * (width - 140) / loose.length; node.y = height - 60;
      });
    }
    var hidden = { symbolSize: 0, label: { show: false }, tooltip: { show: false } };
    return nodes.concat([
      Object.assign({ id: "@corner-a", name: "", x: 0, y: 0 }, hidden),
      Object.assign({ id: "@corner-b", name: "", x: width, y: height }, hidden)
    ]);
  }

  if (data.weekly_calls) {
    weekly();
    trend();
    bars("depth", data.depth.labels, [{ name: "确认的通话占比 %", type: "bar", data: data.depth.shares }], true);
    bars("objections", data.objections.labels, [
      { name: "出现的通话", type: "bar", data: data.objections.calls },
      { name: "回应率 %", type: "bar", data: data.objections.answered }
    ], true);
    bars("vendors", data.vendors.labels, [{ name: "提及的通话", type: "bar", data: data.vendors.calls }], true);
    bars("flags", data.flags.labels, [
      { name: "标记", type: "bar", data: data.flags.raised },
      { name: "已解决", type: "bar", data: data.flags.resolved }
    ], true);
    heat();
  }
  if (data.graph) { graph(); }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
  document.documentElement.setAttribute("data-charts", String(charts.length));
})();
