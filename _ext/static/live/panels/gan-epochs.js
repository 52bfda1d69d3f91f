// MNIST GANs replayed epoch by epoch (chapters 6 and 7). For each run the build exports
// one PNG: a row per epoch, holding G's samples for the first `digits` vectors of the
// run's fixed noise after that epoch; and one JSON with each run's mean losses per
// epoch. A run's PNG loads when the reader first picks the run.
//
// options: runs [{key, label, grid, lines: [D level, G level]}], losses (JSON name),
// digits (per epoch), side (pixels of a digit), start (the key shown first).

import { choiceButtons, epochControls, epochPlot } from "./scrub.js";

const COLOURS = { d: "#1f77b4", g: "#ff7f0e" };
const SCALE = 3; // screen pixels per digit pixel
const GAP = 3; // screen pixels between digits, so that neighbours do not run together

function loadImage(url) {
  const image = new Image();
  image.src = url;
  return image.decode().then(() => image);
}

export async function mount(element, options, live) {
  const losses = await live.json(options.losses);
  const runs = new Map(options.runs.map((run) => [run.key, run]));
  const images = new Map();
  const grid = (key) => {
    if (!images.has(key)) images.set(key, loadImage(live.assetUrl(`${runs.get(key).grid}.png`)));
    return images.get(key);
  };
  const state = { key: options.start ?? options.runs[0].key, epoch: 0 };
  const epochs = () => losses[state.key].d.length;
  state.epoch = epochs();
  const side = options.side;
  const across = Math.round(Math.sqrt(options.digits)); // digits shown as a square
  const down = Math.ceil(options.digits / across);

  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);
  choiceButtons(controls, live, {
    label: "run",
    choices: options.runs.map((run) => ({ name: `run-${run.key}`, label: run.label, value: run.key })),
    value: state.key,
    onChoose: (key) => {
      state.key = key;
      scrub.setEpochs(epochs());
      draw();
    },
  });
  const scrub = epochControls(controls, live, {
    epochs: epochs(),
    onChange: (epoch) => {
      state.epoch = epoch;
      draw();
    },
  });
  const readout = live.make("div", { "data-readout": "gan-epochs" }, controls);

  const cell = side * SCALE + GAP;
  const W = across * cell - GAP;
  const H = down * cell - GAP;
  const [, ctx] = live.canvas(figures, W, H, "the generator's digits after the chosen epoch");
  const plotHeight = 130;
  const [, plot] = live.canvas(figures, W, plotHeight, "mean losses per epoch");
  live.make("p", {
    class: "ganbook-live-caption",
    text: `G's digits for the same ${options.digits} noise vectors after the chosen epoch, `
      + "and the mean losses of D and G over each epoch; the dotted lines are the losses "
      + "when D cannot tell real from generated.",
  }, figures);

  let drawing = 0; // the newest request wins when images arrive out of order
  async function draw() {
    const ticket = ++drawing;
    const started = performance.now();
    const { key, epoch } = state;
    const image = await grid(key);
    if (ticket !== drawing) return;
    const columns = image.naturalWidth / side; // digits per row of the PNG
    const rows = Math.ceil(options.digits / columns); // rows of the PNG per epoch
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, W, H);
    for (let k = 0; k < options.digits; k++) {
      ctx.drawImage(
        image,
        (k % columns) * side, ((epoch - 1) * rows + Math.floor(k / columns)) * side, side, side,
        (k % across) * cell, Math.floor(k / across) * cell, side * SCALE, side * SCALE,
      );
    }

    const run = runs.get(key);
    const { d, g } = losses[key];
    plot.clearRect(0, 0, W, plotHeight);
    epochPlot(plot, { left: 34, top: 4, width: W - 40, height: plotHeight - 22 }, {
      series: [
        { values: d, colour: COLOURS.d, label: "D" },
        { values: g, colour: COLOURS.g, label: "G" },
      ],
      levels: (run.lines ?? []).map((value, i) => ({ value, colour: i ? COLOURS.g : COLOURS.d })),
      epoch,
      title: "mean loss per epoch",
    });
    readout.textContent =
      `${run.label}\nafter epoch ${epoch} of ${d.length}\n` +
      `mean losses over the epoch:\n  D ${d[epoch - 1].toFixed(3)}   G ${g[epoch - 1].toFixed(3)}`;
    element.dataset.lastRedrawMs = (performance.now() - started).toFixed(2);
    live.rendered(element);
  }

  await draw();
}
