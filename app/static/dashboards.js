// Draw every chart on the page from its Vega-Lite spec, without eval (CSP: script-src 'self').
(function () {
  "use strict";

  // The points come once, in the chart's data table: the period from the row heading, the
  // exact values and the fields that style the marks from the row's data attributes.
  function number(text) {
    return text === undefined ? null : Number(text);
  }

  function tablePoints(table) {
    if (!table) { return []; }
    return Array.prototype.map.call(table.tBodies[0].rows, function (row, index) {
      var data = row.dataset;
      return {
        number: index + 1,
        period: row.cells[0].textContent.trim(),
        value: number(data.v),
        centre: number(data.c),
        lower: number(data.l),
        upper: number(data.u),
        part: Number(data.p),
        runs_signal: data.r !== undefined,
        status: data.s,
        incomplete: data.i !== undefined,
        value_text: data.t || "",
        count_text: data.n || "",
      };
    });
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.spec);
    if (!source || !window.vegaEmbed) { return; }
    var spec = JSON.parse(source.textContent);
    if (spec.data && spec.data.name === "points") {
      spec.data = { values: tablePoints(document.getElementById(element.dataset.table)) };
    }
    delete spec.$schema;  // the server writes v5 specs; the vendored Vega-Lite 6 reads them
    if (element.dataset.keepTitle !== "true") { delete spec.title; }  // the card's heading says it
    if (spec.layer && !spec.facet) {
      // fill the card: the server's fixed width is for SVG and PNG exports
      spec.width = "container";
      spec.autosize = { type: "fit-x", contains: "padding" };
    }
    var options = {
      actions: false,
      renderer: "svg",
      ast: true,
      expr: window.vegaInterpreter.expressionInterpreter,
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
    };
    window.vegaEmbed(element, spec, options).then(function (result) {
      var url = element.dataset.itemsUrl;
      element.dataset.drawn = "true";
      if (!url) { return; }
      result.view.addEventListener("click", function (_event, item) {
        if (item && item.datum && item.datum.period && item.datum.value !== null && item.datum.value !== undefined) {
          window.location.href = url.replace("PERIOD", encodeURIComponent(item.datum.period));
        }
      });
    }).catch(function (error) {
      element.dataset.drawn = "failed";
      element.textContent = element.dataset.failed || "";
      if (window.console) { window.console.error(error); }
    });
  }

  function drawAll() {
    document.querySelectorAll(".vega-chart[data-spec]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
