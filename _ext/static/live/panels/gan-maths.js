// Chapter 4: two Gaussians, P_data and P_G. Every move of a slider recomputes, in the
// page, what the chapter's explore() computes with helpers.divergences: both densities
// and D* = p_data / (p_data + p_G) on a grid covering both (mean +- 10 std, 4001
// points), KL in both directions, the JS divergence and max_D V, by the trapezoid rule.

const LOG2 = Math.log(2);
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

const logpdf = (x, mean, std) => -0.5 * ((x - mean) / std) ** 2 - Math.log(std) - HALF_LOG_2PI;
const logaddexp = (a, b) => {
  const top = Math.max(a, b);
  return top === -Infinity ? -Infinity : top + Math.log(Math.exp(a - top) + Math.exp(b - top));
};
const softplus = (t) => (t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t)));

export function measures({ meanData, stdData, meanG, stdG }, n = 4001, width = 10) {
  const low = Math.min(meanData - width * stdData, meanG - width * stdG);
  const high = Math.max(meanData + width * stdData, meanG + width * stdG);
  const step = (high - low) / (n - 1);
  const x = new Float64Array(n);
  const logP = new Float64Array(n);
  const logQ = new Float64Array(n);
  const logit = new Float64Array(n);
  let klPQ = 0, klQP = 0, jsd = 0, value = 0;
  for (let i = 0; i < n; i++) {
    x[i] = low + i * step;
    logP[i] = logpdf(x[i], meanData, stdData);
    logQ[i] = logpdf(x[i], meanG, stdG);
    logit[i] = logP[i] - logQ[i];
    const p = Math.exp(logP[i]);
    const q = Math.exp(logQ[i]);
    const logM = logaddexp(logP[i], logQ[i]) - LOG2;
    const weight = i === 0 || i === n - 1 ? 0.5 * step : step; // the trapezoid rule
    if (p > 0) klPQ += weight * p * (logP[i] - logQ[i]);
    if (q > 0) klQP += weight * q * (logQ[i] - logP[i]);
    if (p > 0) jsd += weight * 0.5 * p * (logP[i] - logM);
    if (q > 0) jsd += weight * 0.5 * q * (logQ[i] - logM);
    if (p > 0) value -= weight * p * softplus(-logit[i]);
    if (q > 0) value -= weight * q * softplus(logit[i]);
  }
  return { x, logP, logQ, logit, klPQ, klQP, jsd, value, low, high };
}

function axes(ctx, box, view, yRange, yLabel) {
  ctx.strokeStyle = "#999";
  ctx.lineWidth = 1;
  ctx.strokeRect(box.left, box.top, box.width, box.height);
  ctx.fillStyle = "#444";
  ctx.font = "11px sans-serif";
  ctx.fillText(yLabel, box.left, box.top - 4);  // above the box, clear of the curves
  ctx.fillText(view[0].toFixed(1), box.left, box.top + box.height + 12);
  const right = view[1].toFixed(1);
  ctx.fillText(right, box.left + box.width - ctx.measureText(right).width, box.top + box.height + 12);
  ctx.fillText(yRange[1].toFixed(2), 2, box.top + 8);
}

function curve(ctx, box, view, yRange, xs, ys, colour, dash = []) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.left, box.top, box.width, box.height);
  ctx.clip();
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2;
  ctx.setLineDash(dash);
  ctx.beginPath();
  let started = false;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] < view[0] || xs[i] > view[1]) continue;
    const px = box.left + ((xs[i] - view[0]) / (view[1] - view[0])) * box.width;
    const py = box.top + box.height * (1 - (ys[i] - yRange[0]) / (yRange[1] - yRange[0]));
    if (started) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    started = true;
  }
  ctx.stroke();
  ctx.restore();
}

export function mount(element, options, live) {
  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);
  const state = {
    meanData: options.mean_data ?? 0,
    stdData: options.std_data ?? 1,
    meanG: options.mean_g ?? 2,
    stdG: options.std_g ?? 0.7,
  };
  const W = 560, H = 320;
  const [, ctx] = live.canvas(figures, W, H, "densities of P_data and P_G, and D*");
  const readout = live.make("div", { "data-readout": "measures" }, figures);
  live.make("p", {
    class: "ganbook-live-caption",
    text: "Top: p_data (blue) and p_G (orange). Bottom: D*(x) (dashed), the line 1/2 in grey. "
      + "Computed in this page on the chapter's grid, as explore() does in Python.",
  }, figures);

  function draw() {
    const started = performance.now();
    const m = measures(state);
    const view = [
      Math.min(state.meanData - 4 * state.stdData, state.meanG - 4 * state.stdG),
      Math.max(state.meanData + 4 * state.stdData, state.meanG + 4 * state.stdG),
    ];
    ctx.clearRect(0, 0, W, H);
    const top = { left: 36, top: 16, width: W - 44, height: 172 };
    const bottom = { left: 36, top: 222, width: W - 44, height: 82 };
    const p = Array.from(m.logP, Math.exp);
    const q = Array.from(m.logQ, Math.exp);
    let peak = 0;
    for (let i = 0; i < p.length; i++) {
      if (m.x[i] >= view[0] && m.x[i] <= view[1]) peak = Math.max(peak, p[i], q[i]);
    }
    axes(ctx, top, view, [0, peak * 1.08], "density");
    curve(ctx, top, view, [0, peak * 1.08], m.x, p, "#1f77b4");
    curve(ctx, top, view, [0, peak * 1.08], m.x, q, "#ff7f0e");
    axes(ctx, bottom, view, [-0.05, 1.05], "D*(x)");
    curve(ctx, bottom, view, [-0.05, 1.05], [view[0], view[1]], [0.5, 0.5], "#bbb");
    const d = Array.from(m.logit, (t) => 1 / (1 + Math.exp(-t)));
    curve(ctx, bottom, view, [-0.05, 1.05], m.x, d, "#000", [6, 4]);
    readout.textContent =
      `KL(P_data ‖ P_G) = ${m.klPQ.toFixed(4)}\n` +
      `KL(P_G ‖ P_data) = ${m.klQP.toFixed(4)}\n` +
      `JSD = ${m.jsd.toFixed(4)}\n` +
      `max_D V = ${m.value.toFixed(4)}   (−log 4 + 2 JSD = ` +
      `${(-Math.log(4) + 2 * m.jsd).toFixed(4)})`;
    readout.dataset.values = JSON.stringify({
      kl_data_g: m.klPQ, kl_g_data: m.klQP, jsd: m.jsd, max_v: m.value,
    });
    element.dataset.lastRedrawMs = (performance.now() - started).toFixed(2);
    live.rendered(element);
  }

  const fmt = (v) => v.toFixed(2);
  const sliders = [
    ["mean_data", "mean data", -5, 5, 0.1, "meanData"],
    ["std_data", "std data", 0.2, 3, 0.05, "stdData"],
    ["mean_g", "mean G", -5, 5, 0.1, "meanG"],
    ["std_g", "std G", 0.2, 3, 0.05, "stdG"],
  ];
  for (const [name, label, min, max, step, key] of sliders) {
    live.slider(controls, {
      name, label, min, max, step, value: state[key], format: fmt,
      onInput: (value) => { state[key] = value; draw(); },
    });
  }
  // Tests and readers can set all four at once: element.ganbookSet({meanData: ...}).
  element.ganbookSet = (values) => { Object.assign(state, values); draw(); };
  draw();
}
