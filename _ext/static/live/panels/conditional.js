// Chapter 10: the trained conditional generator, run in the page by onnxruntime-web.
// The reader asks for a digit and gets a grid of that digit; noise is drawn as in
// training, uniform in [-1, 1], from the seed the slider sets, so a seed always gives
// the same noise.
// The model's one input is the noise with a one-hot digit beside it. The strip below
// keeps the first noise vector and asks for every digit in turn: what the noise holds
// (slant, thickness) stays, the digit changes. The model and the runtime load on the
// first touch, not with the page.

const SIDE = 28;
const COUNT = 32;
const COLUMNS = 8;
const CELL = 40;
const CLASSES = 10;

export function mount(element, options, live) {
  const dim = options.noise_dim;
  const state = { digit: options.digit ?? 7, seed: options.seed ?? 1, loaded: false };

  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);

  live.make("span", { class: "ganbook-live-label", text: "ask for a digit" }, controls);
  const digits = live.make("div", {}, controls);
  const buttons = Array.from({ length: CLASSES }, (_, d) => live.button(digits, {
    name: `digit-${d}`, label: String(d),
    onClick: () => { state.digit = d; request(draw); },
  }));
  live.slider(controls, {
    name: "seed", label: "noise seed", min: 1, max: 500, step: 1, value: state.seed,
    format: (v) => String(v),
    onInput: (value) => { state.seed = value; request(draw); },
  });
  const timing = live.make("div", { "data-readout": "timing" }, controls);
  const caption = live.make("p", {
    class: "ganbook-live-caption", text: "press a digit to draw it",
  }, controls);

  const [, gridCtx] = live.canvas(
    figures, COLUMNS * CELL, (COUNT / COLUMNS) * CELL, "generated digits of the chosen class",
  );
  const [strip, stripCtx] = live.canvas(
    figures, CLASSES * CELL, CELL, "one noise vector asked for every digit",
  );
  strip.style.marginTop = "0.5rem";
  live.make("p", {
    class: "ganbook-live-caption",
    text: `${COUNT} digits of the class you asked for, from noise drawn in your browser; `
      + `below, the first of those noise vectors asked for 0, 1, ..., 9.`,
  }, figures);

  // One input row per image: noise vector noiseOf(k) of the seed's COUNT vectors, then
  // the one-hot digit.
  async function run(labels, noiseOf = (k) => k) {
    const noise = live.uniformNoise(state.seed, COUNT * dim);
    const width = dim + CLASSES;
    const data = new Float32Array(labels.length * width);
    labels.forEach((label, k) => {
      const n = noiseOf(k);
      data.set(noise.subarray(n * dim, (n + 1) * dim), k * width);
      data[k * width + dim + label] = 1;
    });
    return (await live.run(options.model, data, [labels.length, width])).data;
  }

  function showPressed() {
    buttons.forEach((node, d) => {
      const on = d === state.digit;
      node.setAttribute("aria-pressed", String(on));
      node.style.fontWeight = on ? "bold" : "";
      node.style.borderColor = on ? "#1f77b4" : "";
    });
  }

  async function draw() {
    showPressed();
    if (!state.loaded) {
      caption.textContent =
        `loading the conditional generator${live.fileNote(options.file)}...`;
      // A first run sets up the runtime's buffers; the timing below starts after it.
      await live.run(options.model, new Float32Array(dim + CLASSES), [1, dim + CLASSES]);
      state.loaded = true;
    }
    const started = performance.now();
    const grid = await run(Array(COUNT).fill(state.digit));
    const ms = performance.now() - started;
    element.dataset.lastRunMs = ms.toFixed(1);
    timing.textContent = `${COUNT} digits in ${ms.toFixed(0)} ms in your browser`;
    live.drawImages(gridCtx, grid, {
      count: COUNT, side: SIDE, columns: COLUMNS, cell: CELL,
    });
    // The strip: the grid's first noise vector asked for every digit.
    const everyDigit = Array.from({ length: CLASSES }, (_, d) => d);
    const strip = await run(everyDigit, () => 0);
    live.drawImages(stripCtx, strip, {
      count: CLASSES, side: SIDE, columns: CLASSES, cell: CELL,
    });
    stripCtx.strokeStyle = "#ff7f0e";
    stripCtx.lineWidth = 2;
    stripCtx.strokeRect(state.digit * CELL + 1, 1, CELL - 2, CELL - 2);
    caption.textContent = `You asked for ${state.digit} (noise seed ${state.seed}). `
      + "Computed in your browser by the chapter's trained conditional generator.";
    live.rendered(element);
  }

  // One drawing at a time; while one runs, only the latest request waits.
  const request = live.latestOnly((error) => {
    caption.textContent = `drawing failed: ${error}`;
    console.error(error);
  });

  // Before the first touch: no model, no runtime; say what a press does.
  const width = COLUMNS * CELL;
  const height = (COUNT / COLUMNS) * CELL;
  gridCtx.fillStyle = "#f3f3f3";
  gridCtx.fillRect(0, 0, width, height);
  gridCtx.fillStyle = "#555";
  gridCtx.font = "14px sans-serif";
  gridCtx.textAlign = "center";
  gridCtx.fillText("press a digit to draw 32 of it here", width / 2, height / 2);
  gridCtx.textAlign = "start";
  showPressed();
  live.rendered(element);
}
