// Coaching trends: draw the figure built in Python (json_script "coaching-trends-figure") with
// the vendored plotly.js basic bundle. The bundle (1.2 MB) is fetched only here, and on a
// narrow screen only when asked ("Show the chart"); the table below has the same figures.
(function () {
  const self = document.getElementById("coaching-trends-js");
  function draw() {
    const holder = document.getElementById("coaching-trends-chart");
    const data = document.getElementById("coaching-trends-figure");
    if (!holder || !data || !window.Plotly) return;
    const fig = JSON.parse(data.textContent);
    const button = document.getElementById("coaching-trends-load");
    if (button) button.hidden = true;
    window.Plotly.newPlot(holder, fig.data, fig.layout, { responsive: true, displaylogo: false });
    holder.dataset.drawn = "1";
  }
  function load() {
    if (window.Plotly) { draw(); return; }
    const s = document.createElement("script");
    s.src = self.dataset.plotly;
    s.nonce = self.nonce;
    s.onload = draw;
    document.head.appendChild(s);
  }
  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("coaching-trends-load");
    if (window.matchMedia("(min-width: 576px)").matches) { load(); return; }
    if (button) { button.hidden = false; button.addEventListener("click", load); }
  });
})();
