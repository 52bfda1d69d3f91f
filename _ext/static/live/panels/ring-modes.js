// Chapter 7: the ring-of-8-Gaussians GANs replayed epoch by epoch. For each (loss, seed)
// the build exports the first few hundred of the run's fixed-noise samples after every
// epoch, and the chapter's count_modes results on all of them (modes covered,
// high-quality share, high-quality points at each mode). A run's file loads when the
// reader first picks it.
//
// options: runs [{loss, seed, label, data}], start {loss, seed}, view (half-width).

import { choiceButtons, epochControls, epochPlot } from "./scrub.js";

const POINTS = "#1f77b4";
const COVERED = "#2ca02c";
const MISSED = "#d62728";

export async function mount(element, options, live) {
  const losses = [...new Map(options.runs.map((r) => [r.loss, r.label])).entries()];
  const seeds = [...new Set(options.runs.map((r) => r.seed))].sort((a, b) => a - b);
  const state = { loss: options.start.loss, seed: options.start.seed, epoch: 0 };
  const entry = () => options.runs.find((r) => r.loss === state.loss && r.seed === state.seed);
  let run = await live.json(entry().data);
  state.epoch = run.covered.length;

  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);
  let picking = 0; // the newest pick wins when files arrive out of order
  async function pick() {
    const ticket = ++picking;
    const next = await live.json(entry().data);
    if (ticket !== picking) return;
    run = next;
    scrub.setEpochs(run.covered.length);
    draw();
  }
  choiceButtons(controls, live, {
    label: "loss",
    choices: losses.map(([loss, label]) => ({
      name: `loss-${loss.replaceAll("_", "-")}`, label, value: loss,
    })),
    value: state.loss,
    onChoose: (loss) => {
      state.loss = loss;
      pick();
    },
  });
  if (seeds.length > 1) {
    live.slider(controls, {
      name: "seed", label: "seed", min: 0, max: seeds.length - 1, step: 1,
      value: seeds.indexOf(state.seed), format: (i) => String(seeds[i]),
      onInput: (i) => {
        state.seed = seeds[i];
        pick();
      },
    });
  }
  const scrub = epochControls(controls, live, {
    epochs: run.covered.length,
    onChange: (epoch) => {
      state.epoch = epoch;
      draw();
    },
  });
  const readout = live.make("div", { "data-readout": "ring-modes" }, controls);

  const S = 340;
  const [, ctx] = live.canvas(figures, S, S, "the generated points and the ring's centres");
  const [, plot] = live.canvas(figures, S, 110, "modes covered per epoch");
  live.make("p", {
    class: "ganbook-live-caption",
    text: "Blue: G's points for the first fixed noise vectors after the chosen epoch. "
      + "The ring's centres: green circles for the modes covered (with their counts of "
      + "high-quality points), red crosses for the others. Below: modes covered after "
      + "each epoch.",
  }, figures);
  const half = options.view;
  const toPx = ([x, y]) => [((x + half) / (2 * half)) * S, ((half - y) / (2 * half)) * S];

  function draw() {
    const started = performance.now();
    const e = state.epoch - 1;
    const modes = run.centres.length;
    const count = run.per_mode[e];
    // `covered` counts the modes whose high-quality points pass a threshold, so the
    // covered modes are the `covered` ones with the most such points.
    const order = count.map((c, i) => [c, i]).sort((a, b) => b[0] - a[0]);
    const covered = new Set(order.slice(0, run.covered[e]).map(([, i]) => i));

    ctx.clearRect(0, 0, S, S);
    ctx.strokeStyle = "#eee";
    ctx.lineWidth = 1;
    for (let t = Math.ceil(-half); t <= half; t++) {
      const [px, py] = toPx([t, t]);
      ctx.beginPath();
      ctx.moveTo(px, 0);
      ctx.lineTo(px, S);
      ctx.moveTo(0, py);
      ctx.lineTo(S, py);
      ctx.stroke();
    }
    ctx.strokeStyle = "#999";
    ctx.strokeRect(0.5, 0.5, S - 1, S - 1);
    ctx.fillStyle = POINTS;
    ctx.globalAlpha = 0.45;
    const points = run.points[e]; // x, y, x, y, ...
    for (let i = 0; i < points.length; i += 2) {
      const [x, y] = toPx([points[i], points[i + 1]]);
      ctx.fillRect(x - 1.25, y - 1.25, 2.5, 2.5);
    }
    ctx.globalAlpha = 1;
    ctx.font = "11px sans-serif";
    ctx.textAlign = "center";
    run.centres.forEach(([cx, cy], i) => {
      const [x, y] = toPx([cx, cy]);
      ctx.lineWidth = 2;
      if (covered.has(i)) {
        ctx.strokeStyle = COVERED;
        ctx.beginPath();
        ctx.arc(x, y, 8, 0, 2 * Math.PI);
        ctx.stroke();
      } else {
        ctx.strokeStyle = MISSED;
        ctx.beginPath();
        ctx.moveTo(x - 6, y - 6);
        ctx.lineTo(x + 6, y + 6);
        ctx.moveTo(x - 6, y + 6);
        ctx.lineTo(x + 6, y - 6);
        ctx.stroke();
      }
      // The count, outside the ring, along the centre's direction.
      const [lx, ly] = toPx([cx * 1.22, cy * 1.22]);
      ctx.fillStyle = covered.has(i) ? COVERED : MISSED;
      ctx.fillText(String(count[i]), lx, ly + 4);
    });

    plot.clearRect(0, 0, S, 110);
    epochPlot(plot, { left: 34, top: 4, width: S - 40, height: 88 }, {
      series: [{ values: run.covered, colour: COVERED }],
      levels: [{ value: modes, colour: "#999" }],
      range: [0, modes],
      epoch: state.epoch,
      title: "modes covered",
    });

    const label = options.runs.find((r) => r.loss === state.loss).label;
    readout.textContent =
      `${label}, seed ${state.seed}\nafter epoch ${state.epoch} of ${run.covered.length}\n\n` +
      `modes covered: ${run.covered[e]} of ${modes}\n` +
      `high-quality points: ${(100 * run.high_quality[e]).toFixed(0)}%\n` +
      `(counted on all ${run.total.toLocaleString("en")} fixed-noise points; ` +
      `${run.points[e].length / 2} drawn)`;
    element.dataset.lastRedrawMs = (performance.now() - started).toFixed(2);
    live.rendered(element);
  }

  draw();
}
