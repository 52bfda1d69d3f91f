// Chapter 8: the chapter's trained generators (the MLP GAN and the DCGAN), run in the
// page by onnxruntime-web. Noise is drawn as in training, uniform in [-1, 1], from a
// seeded generator, so both generators get the same noise and "new samples" is
// repeatable. A walk moves in a straight line from sample A's noise to sample B's.
// Each model and the runtime load on the first touch, not with the page.

const SIDE = 28;
const COUNT = 64;
const COLUMNS = 8;
const CELL = 40;
const STEPS = 8;
const BIG = 120;

export function mount(element, options, live) {
  const generators = options.generators;
  const state = {
    current: generators[generators.length - 1].control,
    seed: options.seed ?? 1,
    t: 0,
    loaded: new Set(),
    grids: new Map(), // "control:seed" -> the 64 images, so a walk need not rerun them
  };
  const spec = () => generators.find((g) => g.control === state.current);

  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);

  const choices = live.make("div", {}, controls);
  const buttons = generators.map((g) => live.button(choices, {
    name: g.control, label: g.label,
    onClick: () => { state.current = g.control; request(draw); },
  }));
  live.button(controls, {
    name: "sample", label: "new samples",
    onClick: () => { state.seed += 1; request(draw); },
  });
  live.slider(controls, {
    name: "walk", label: "walk A to B", min: 0, max: 1, step: 0.01, value: state.t,
    format: (v) => v.toFixed(2),
    onInput: (value) => { state.t = value; request(draw); },
  });
  const [, bigCtx] = live.canvas(controls, BIG, BIG, "the digit at the walk's position");
  const timing = live.make("div", { "data-readout": "timing" }, controls);
  const caption = live.make("p", {
    class: "ganbook-live-caption", text: "press a generator to draw 64 digits",
  }, controls);

  const [, gridCtx] = live.canvas(
    figures, COLUMNS * CELL, COLUMNS * CELL, "64 generated digits",
  );
  const [strip, stripCtx] = live.canvas(
    figures, STEPS * CELL, CELL, "digits along the walk from A to B",
  );
  strip.style.marginTop = "0.5rem";
  live.make("p", {
    class: "ganbook-live-caption",
    text: `${COUNT} digits from noise drawn in your browser; A and B (outlined) are the `
      + `ends of the walk, and the strip shows ${STEPS} evenly spaced steps between them.`,
  }, figures);

  // The noise of one batch: COUNT vectors, the same for every generator of the same
  // noise size.
  const noise = (seed, dim) => live.uniformNoise(seed, COUNT * dim);

  function showPressed() {
    buttons.forEach((node, i) => {
      const on = generators[i].control === state.current;
      node.setAttribute("aria-pressed", String(on));
      node.style.fontWeight = on ? "bold" : "";
      node.style.borderColor = on ? "#1f77b4" : "";
    });
  }

  async function load(g) {
    if (state.loaded.has(g.control)) return;
    caption.textContent = `loading the ${g.label} generator${live.fileNote(g.file)}...`;
    // A first run sets up the runtime's buffers; the timing below starts after it.
    await live.run(g.model, new Float32Array(g.noise_dim), [1, g.noise_dim]);
    state.loaded.add(g.control);
  }

  const run = async (g, data, count) =>
    (await live.run(g.model, data, [count, g.noise_dim])).data;

  async function grid(g, z) {
    const key = `${g.control}:${state.seed}`;
    if (!state.grids.has(key)) {
      await load(g);
      // The model is loaded, so this times the batch itself: what a reader's
      // browser takes to draw 64 digits.
      const started = performance.now();
      const pixels = await run(g, z, COUNT);
      const ms = performance.now() - started;
      element.dataset.lastRunMs = ms.toFixed(1);
      timing.textContent = `${COUNT} digits in ${ms.toFixed(0)} ms in your browser `
        + `(${g.label})`;
      state.grids.clear(); // keep one batch, not every batch ever drawn
      state.grids.set(key, pixels);
    }
    return state.grids.get(key);
  }

  async function draw() {
    const g = spec();
    showPressed();
    const dim = g.noise_dim;
    const z = noise(state.seed, dim);
    const pixels = await grid(g, z);
    live.drawImages(gridCtx, pixels, {
      count: COUNT, side: SIDE, columns: COLUMNS, cell: CELL,
    });
    gridCtx.strokeStyle = "#ff7f0e";
    gridCtx.lineWidth = 2;
    gridCtx.font = "bold 11px sans-serif";
    gridCtx.fillStyle = "#ff7f0e";
    for (const [k, name] of [[0, "A"], [1, "B"]]) {
      gridCtx.strokeRect(k * CELL + 1, 1, CELL - 2, CELL - 2);
      gridCtx.fillText(name, k * CELL + 4, 12);
    }
    // The walk: STEPS evenly spaced points and the slider's point, as one batch.
    const a = z.subarray(0, dim);
    const b = z.subarray(dim, 2 * dim);
    const ts = [...Array.from({ length: STEPS }, (_, k) => k / (STEPS - 1)), state.t];
    const path = new Float32Array(ts.length * dim);
    ts.forEach((t, k) => {
      for (let i = 0; i < dim; i++) path[k * dim + i] = (1 - t) * a[i] + t * b[i];
    });
    const walk = await run(g, path, ts.length);
    live.drawImages(stripCtx, walk, {
      count: STEPS, side: SIDE, columns: STEPS, cell: CELL,
    });
    const nearest = Math.round(state.t * (STEPS - 1));
    stripCtx.strokeStyle = "#ff7f0e";
    stripCtx.lineWidth = 2;
    stripCtx.strokeRect(nearest * CELL + 1, 1, CELL - 2, CELL - 2);
    live.drawImages(bigCtx, walk.subarray(STEPS * SIDE * SIDE), {
      count: 1, side: SIDE, columns: 1, cell: BIG,
    });
    caption.textContent = `${g.label}: noise seed ${state.seed}, walk at t = `
      + `${state.t.toFixed(2)}. Computed in your browser by the chapter's trained generator.`;
    live.rendered(element);
  }

  // One drawing at a time; while one runs, only the latest request waits.
  const request = live.latestOnly((error) => {
    caption.textContent = `drawing failed: ${error}`;
    console.error(error);
  });

  // Before the first touch: no model, no runtime; say what a press does.
  gridCtx.fillStyle = "#f3f3f3";
  gridCtx.fillRect(0, 0, COLUMNS * CELL, COLUMNS * CELL);
  gridCtx.fillStyle = "#555";
  gridCtx.font = "14px sans-serif";
  gridCtx.textAlign = "center";
  const names = generators.map((g) => g.label).join(" or ");
  gridCtx.fillText(`press ${names}`, (COLUMNS * CELL) / 2, (COLUMNS * CELL) / 2 - 10);
  gridCtx.fillText("to draw 64 digits here", (COLUMNS * CELL) / 2, (COLUMNS * CELL) / 2 + 12);
  gridCtx.textAlign = "start";
  bigCtx.fillStyle = "#f3f3f3";
  bigCtx.fillRect(0, 0, BIG, BIG);
  live.rendered(element);
}
