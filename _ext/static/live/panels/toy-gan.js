// Chapter 5: the toy GAN's runs, replayed epoch by epoch. The build exports, for every
// run of the chapter's seed table (beta1 0.9 and 0.5), the run's fixed noise z and,
// after each epoch, the linear generator's map G(z) = z M + c (solved from the
// recorded samples and checked against them). So the page redraws exactly the points
// the run recorded, and G's mean c and covariance MᵀM are exact, as linear_gaussian
// gives them in the chapter.

import { choiceButtons, epochControls, epochPlot } from "./scrub.js";

const REAL = "#1f77b4";
const FAKE = "#ff7f0e";

// [M00, M01, M10, M11, c0, c1] -> mean c and covariance MᵀM.
function gaussian(map) {
  const [m00, m01, m10, m11, c0, c1] = map;
  return {
    mean: [c0, c1],
    cov: [
      [m00 * m00 + m10 * m10, m00 * m01 + m10 * m11],
      [m00 * m01 + m10 * m11, m01 * m01 + m11 * m11],
    ],
  };
}

const largestGap = (a, b) => Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i])));
const cell = (v) => v.toFixed(3).padStart(8);

// The ellipse holding a Gaussian's points within two standard deviations.
function ellipse(ctx, toPx, scale, mean, cov, colour) {
  const [[a, b], [, c]] = cov;
  const middle = (a + c) / 2;
  const root = Math.sqrt(((a - c) / 2) ** 2 + b * b);
  const angle = 0.5 * Math.atan2(2 * b, a - c);
  const [x, y] = toPx(mean);
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  // The y axis points down on a canvas, so the angle turns the other way.
  ctx.ellipse(x, y, 2 * Math.sqrt(middle + root) * scale,
    2 * Math.sqrt(Math.max(middle - root, 0)) * scale, -angle, 0, 2 * Math.PI);
  ctx.stroke();
}

function cross(ctx, [x, y], colour, size = 7) {
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 4;
  for (const pass of [0, 1]) {
    ctx.beginPath();
    ctx.moveTo(x - size, y - size);
    ctx.lineTo(x + size, y + size);
    ctx.moveTo(x - size, y + size);
    ctx.lineTo(x + size, y - size);
    ctx.stroke();
    if (pass === 0) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2;
    }
  }
}

export async function mount(element, options, live) {
  const data = await live.json(options.data);
  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);
  const state = { setting: options.setting ?? 0, seed: options.seed ?? 0, epoch: 0 };
  const run = () => data.settings[state.setting].runs[state.seed];
  const epochs = () => run().maps.length;
  state.epoch = epochs();

  choiceButtons(controls, live, {
    choices: data.settings.map((s, i) => ({ name: s.key, label: s.label, value: i })),
    value: state.setting,
    onChoose: (i) => {
      state.setting = i;
      scrub.setEpochs(epochs());
      draw();
    },
  });
  const seeds = data.settings[0].runs.length;
  if (seeds > 1) {
    live.slider(controls, {
      name: "seed", label: "seed", min: 0, max: seeds - 1, step: 1, value: state.seed,
      onInput: (seed) => {
        state.seed = seed;
        scrub.setEpochs(epochs());
        draw();
      },
    });
  }
  const scrub = epochControls(controls, live, {
    epochs: epochs(),
    onChange: (epoch) => {
      state.epoch = epoch;
      draw();
    },
  });
  const readout = live.make("div", { "data-readout": "toy-gan" }, controls);

  const [view, box] = [options.view, { left: 30, top: 6 }];
  const scale = options.pixels_per_unit ?? 30;
  box.width = (view.x[1] - view.x[0]) * scale;
  box.height = (view.y[1] - view.y[0]) * scale;
  const W = box.left + box.width + 6;
  const H = box.top + box.height + 18;
  const [, ctx] = live.canvas(figures, W, H, "the generated and the real points");
  const [, plot] = live.canvas(figures, W, 120, "errors in the mean and covariance by epoch");
  live.make("p", {
    class: "ganbook-live-caption",
    text: "Blue: the first 300 data points and, as a cross and an ellipse (two standard "
      + "deviations), b and AᵀA. Orange: G's points for the run's fixed noise after the "
      + "chosen epoch, with G's mean and covariance. Below: their largest errors after "
      + "each epoch (log scale).",
  }, figures);
  const toPx = ([x, y]) => [
    box.left + (x - view.x[0]) * scale,
    box.top + (view.y[1] - y) * scale,
  ];

  function frame() {
    ctx.clearRect(0, 0, W, H);
    ctx.font = "11px sans-serif";
    ctx.lineWidth = 1;
    for (let x = Math.ceil(view.x[0] / 2) * 2; x <= view.x[1]; x += 2) {
      const [px] = toPx([x, 0]);
      ctx.strokeStyle = "#eee";
      ctx.beginPath();
      ctx.moveTo(px, box.top);
      ctx.lineTo(px, box.top + box.height);
      ctx.stroke();
      ctx.fillStyle = "#444";
      ctx.textAlign = "center";
      ctx.fillText(String(x), px, box.top + box.height + 13);
    }
    for (let y = Math.ceil(view.y[0] / 2) * 2; y <= view.y[1]; y += 2) {
      const [, py] = toPx([0, y]);
      ctx.strokeStyle = "#eee";
      ctx.beginPath();
      ctx.moveTo(box.left, py);
      ctx.lineTo(box.left + box.width, py);
      ctx.stroke();
      ctx.fillStyle = "#444";
      ctx.textAlign = "right";
      ctx.fillText(String(y), box.left - 4, py + 4);
    }
    ctx.strokeStyle = "#999";
    ctx.strokeRect(box.left, box.top, box.width, box.height);
  }

  function dots(points, colour) {
    ctx.fillStyle = colour;
    ctx.globalAlpha = 0.55;
    for (const p of points) {
      const [x, y] = toPx(p);
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    }
    ctx.globalAlpha = 1;
  }

  function draw() {
    const started = performance.now();
    const r = run();
    const map = r.maps[state.epoch - 1];
    const [m00, m01, m10, m11, c0, c1] = map;
    const fake = r.noise.map(([z0, z1]) => [z0 * m00 + z1 * m10 + c0, z0 * m01 + z1 * m11 + c1]);
    const learned = gaussian(map);

    ctx.save();
    frame();
    ctx.beginPath();
    ctx.rect(box.left, box.top, box.width, box.height);
    ctx.clip();
    dots(data.real, REAL);
    dots(fake, FAKE);
    ellipse(ctx, toPx, scale, data.b, data.cov, REAL);
    ellipse(ctx, toPx, scale, learned.mean, learned.cov, FAKE);
    cross(ctx, toPx(data.b), REAL);
    cross(ctx, toPx(learned.mean), FAKE);
    ctx.restore();

    const meanErrors = r.maps.map((m) => largestGap([gaussian(m).mean], [data.b]));
    const covErrors = r.maps.map((m) => largestGap(gaussian(m).cov, data.cov));
    plot.clearRect(0, 0, W, 120);
    epochPlot(plot, { left: 34, top: 4, width: W - 40, height: 98 }, {
      series: [
        { values: covErrors, colour: "#777", label: "covariance" },
        { values: meanErrors, colour: FAKE, label: "mean" },
      ],
      epoch: state.epoch,
      log: true,
      title: "largest error",
    });

    const setting = data.settings[state.setting];
    const [g, t] = [learned, { mean: data.b, cov: data.cov }];
    readout.textContent =
      `${setting.label}, seed ${r.seed}\nafter epoch ${state.epoch} of ${r.maps.length}\n\n` +
      `${"".padEnd(8)}${"G".padStart(8)}${"b, AᵀA".padStart(8)}\n` +
      `mean x  ${cell(g.mean[0])}${cell(t.mean[0])}\n` +
      `mean y  ${cell(g.mean[1])}${cell(t.mean[1])}\n` +
      `cov xx  ${cell(g.cov[0][0])}${cell(t.cov[0][0])}\n` +
      `cov xy  ${cell(g.cov[0][1])}${cell(t.cov[0][1])}\n` +
      `cov yy  ${cell(g.cov[1][1])}${cell(t.cov[1][1])}\n` +
      `largest error\n` +
      `  in the mean       ${meanErrors[state.epoch - 1].toFixed(3)}\n` +
      `  in the covariance ${covErrors[state.epoch - 1].toFixed(3)}\n` +
      `std of D's scores\n` +
      `  on the data       ${r.d_spread[state.epoch - 1].toPrecision(3)}`;
    element.dataset.lastRedrawMs = (performance.now() - started).toFixed(2);
    live.rendered(element);
  }

  draw();
}
