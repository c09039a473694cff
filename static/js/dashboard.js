// The billing dashboard's charts, drawn with the vendored Chart.js from the figures the page
// carries as JSON. Nothing depends on colour: every bar carries its value as text, each series
// has its own fill pattern (named in the legend), and the table under each chart repeats the
// figures. A click on a bar opens the claims behind it, as the table's links do.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  const charts = JSON.parse(source.textContent);

  // Solid, diagonal stripes, dots, cross-hatch: told apart in greyscale and in print.
  function pattern(index, colour) {
    const size = 10;
    const tile = document.createElement("canvas");
    tile.width = size;
    tile.height = size;
    const ctx = tile.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 2;
    const kind = index % 4;
    if (kind === 0) {
      ctx.fillRect(0, 0, size, size);
    } else if (kind === 1) {
      ctx.beginPath();
      ctx.moveTo(0, size);
      ctx.lineTo(size, 0);
      ctx.moveTo(-size / 2, size / 2);
      ctx.lineTo(size / 2, -size / 2);
      ctx.moveTo(size / 2, size * 1.5);
      ctx.lineTo(size * 1.5, size / 2);
      ctx.stroke();
    } else if (kind === 2) {
      ctx.beginPath();
      ctx.arc(size / 2, size / 2, 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.beginPath();
      ctx.moveTo(0, size / 2);
      ctx.lineTo(size, size / 2);
      ctx.moveTo(size / 2, 0);
      ctx.lineTo(size / 2, size);
      ctx.stroke();
    }
    return ctx.createPattern(tile, "repeat");
  }

  const colours = ["#084298", "#6c3c00", "#0f5132", "#58151c"];

  function format(unit, value) {
    const number = Number(value);
    if (unit === "$") {
      return "$" + number.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    if (unit === "%") {
      return number.toFixed(1) + "%";
    }
    return number.toLocaleString("en-US");
  }

  // Writes each bar's value beside it, so the chart reads without the axis or a colour key.
  const valueLabels = {
    id: "valueLabels",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const unit = chart.options.plugins.valueLabels.unit;
      ctx.save();
      ctx.fillStyle = "#212529";
      ctx.font = "12px system-ui, sans-serif";
      ctx.textBaseline = "middle";
      chart.data.datasets.forEach((dataset, i) => {
        chart.getDatasetMeta(i).data.forEach((bar, j) => {
          ctx.fillText(format(unit, dataset.data[j]), bar.x + 4, bar.y);
        });
      });
      ctx.restore();
    },
  };

  for (const figure of charts) {
    const canvas = document.querySelector(`canvas[data-chart="${figure.key}"]`);
    if (!canvas) {
      continue;
    }
    const datasets = figure.series.map((series, i) => ({
      label: series.label,
      data: series.values.map(Number),
      backgroundColor: pattern(i, colours[i % colours.length]),
      borderColor: colours[i % colours.length],
      borderWidth: 1,
      links: series.urls,
    }));
    new Chart(canvas, {
      type: "bar",
      data: { labels: figure.labels, datasets },
      plugins: [valueLabels],
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        layout: { padding: { right: 90 } },
        // Counts of claims are whole numbers: no 0.5 ticks.
        scales: { x: { beginAtZero: true, ticks: { precision: figure.unit === "claims" ? 0 : undefined } } },
        plugins: {
          legend: { display: datasets.length > 1 },
          valueLabels: { unit: figure.unit },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(figure.unit, item.raw)}` } },
        },
        onHover(event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
        onClick(event, elements) {
          if (elements.length) {
            const { datasetIndex, index } = elements[0];
            const url = datasets[datasetIndex].links[index];
            if (url) {
              window.location.assign(url);
            }
          }
        },
      },
    });
  }
});
