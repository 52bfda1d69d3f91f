// Chapter 3: the 2-d VAE's latent plane. The scatter shows the mean codes of test
// digits (exported by the chapter, coloured by class); pressing or dragging on it runs
// the chapter's trained decoder in the page (onnxruntime-web) at that point. An
// interpolation decodes (1 - t) z_a + t z_b between the codes of two test digits.
// The decoder and the runtime load on the first touch, not with the page.

// matplotlib's tab10, the colours of the chapter's scatter (plot_codes_2d).
const TAB10 = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];
const SIDE = 28;
const STEPS = 8;

const kilobytes = (bytes) => `${Math.round(bytes / 1000).toLocaleString("en")} kB`;

export async function mount(element, options, live) {
  const data = await live.json(options.codes);
  const codes = data.codes;
  const labels = data.labels;
  // The chapter's axes (+-3.5), widened where many codes lie beyond them (a few
  // stragglers may fall off the edge, as in the chapter's plot).
  const sizes = codes.map(([z1, z2]) => Math.max(Math.abs(z1), Math.abs(z2)));
  sizes.sort((a, b) => a - b);
  const most = sizes[Math.floor(0.99 * (sizes.length - 1))] ?? 0;
  const extent = Math.max(options.extent ?? 3.5, 1.1 * most);
  const edge = options.edge ?? null;
  const state = {
    pair: options.pair ?? [0, 1],
    t: 0.5,
    point: null, // the last decoded point, [z1, z2]
    strip: null, // decoded interpolation steps (Float32Array) for the current pair
    picks: live.seeded(options.seed ?? 3),
  };

  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);

  live.button(controls, { name: "new-pair", label: "new pair", onClick: newPair });
  const mix = live.slider(controls, {
    name: "mix", label: "mix t", min: 0, max: 1, step: 0.01, value: state.t,
    format: (v) => v.toFixed(2),
    onInput: (value) => { state.t = value; decodeMix(); },
  });
  const [, digitCtx] = live.canvas(controls, 140, 140, "the decoded digit, enlarged");
  const readout = live.make("div", { "data-readout": "point" }, controls);
  const caption = live.make("p", {
    class: "ganbook-live-caption", text: "press the plane to decode",
  }, controls);

  const W = 360;
  const [plane, planeCtx] = live.canvas(figures, W, W, "latent plane: test digits' mean codes");
  plane.dataset.control = "plane";
  const [, stripCtx] = live.canvas(
    figures, STEPS * 45, 45, "decoded steps from z_a to z_b",
  );
  live.make("p", {
    class: "ganbook-live-caption",
    text: `Mean codes of ${codes.length} test digits, coloured by class (the digits mark `
      + "each class's centre); the dashed square is the grid of the figure above. "
      + `Below: ${STEPS} decoded steps from A to B.`,
  }, figures);

  // Plane coordinates: z in [-extent, extent]^2, z2 upwards as in the chapter's plot.
  const toPixel = ([z1, z2]) => [
    ((z1 + extent) / (2 * extent)) * W, ((extent - z2) / (2 * extent)) * W,
  ];
  const toCode = (x, y) => [
    (x / W) * 2 * extent - extent, extent - (y / W) * 2 * extent,
  ];
  const mixed = (t) => {
    const [a, b] = state.pair.map((i) => codes[i]);
    return [(1 - t) * a[0] + t * b[0], (1 - t) * a[1] + t * b[1]];
  };

  const centres = Array.from({ length: 10 }, (_, digit) => {
    const mine = codes.filter((_, i) => labels[i] === digit);
    if (!mine.length) return null;
    return [0, 1].map((k) => mine.reduce((s, c) => s + c[k], 0) / mine.length);
  });

  function drawPlane() {
    const ctx = planeCtx;
    ctx.clearRect(0, 0, W, W);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, W, W);
    ctx.strokeStyle = "#ddd";
    ctx.beginPath();
    const [ox, oy] = toPixel([0, 0]);
    ctx.moveTo(0, oy); ctx.lineTo(W, oy); ctx.moveTo(ox, 0); ctx.lineTo(ox, W);
    ctx.stroke();
    if (edge) {
      const [x0, y0] = toPixel([-edge, edge]);
      const [x1, y1] = toPixel([edge, -edge]);
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = "#000";
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      ctx.setLineDash([]);
    }
    ctx.globalAlpha = 0.7;
    codes.forEach((code, i) => {
      const [x, y] = toPixel(code);
      ctx.fillStyle = TAB10[labels[i]];
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    });
    ctx.globalAlpha = 1;
    ctx.font = "bold 15px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 3;
    centres.forEach((centre, digit) => {
      if (!centre) return;
      const [x, y] = toPixel(centre);
      ctx.strokeStyle = "#fff";
      ctx.strokeText(String(digit), x, y);
      ctx.fillStyle = TAB10[digit];
      ctx.fillText(String(digit), x, y);
    });
    // The interpolation: A and B joined by a line.
    const [a, b] = state.pair.map((i) => toPixel(codes[i]));
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(...a); ctx.lineTo(...b); ctx.stroke();
    ctx.font = "bold 12px sans-serif";
    for (const [[x, y], name] of [[a, "A"], [b, "B"]]) {
      ctx.fillStyle = "#000";
      ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI); ctx.fill();
      ctx.fillText(name, x + 9, y - 9);
    }
    if (state.point) {
      const [x, y] = toPixel(state.point);
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(x, y, 7, 0, 2 * Math.PI); ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(x - 11, y); ctx.lineTo(x + 11, y); ctx.moveTo(x, y - 11); ctx.lineTo(x, y + 11);
      ctx.stroke();
    }
    ctx.lineWidth = 1;
  }

  function drawStrip() {
    stripCtx.clearRect(0, 0, STEPS * 45, 45);
    if (!state.strip) return;
    live.drawImages(stripCtx, state.strip, {
      count: STEPS, side: SIDE, columns: STEPS, low: 0, high: 1, cell: 45,
    });
    // Outline the step nearest the slider's t.
    const k = Math.round(state.t * (STEPS - 1));
    stripCtx.strokeStyle = "#ff7f0e";
    stripCtx.lineWidth = 2;
    stripCtx.strokeRect(k * 45 + 1, 1, 43, 43);
  }

  // One decode at a time; while one runs, only the latest request waits (a drag
  // produces far more points than the decoder needs to keep up with).
  const request = live.latestOnly((error) => {
    caption.textContent = `decoding failed: ${error}`;
    console.error(error);
  });

  let loaded = false;
  async function decode(points) {
    if (!loaded) {
      const size = options.decoder ? ` (${kilobytes(options.decoder.bytes)}, `
        + `${options.decoder.precision} weights)` : "";
      caption.textContent = `loading the decoder${size} and onnxruntime-web...`;
    }
    const { data: pixels } = await live.run(options.model, points.flat(), [points.length, 2]);
    if (!loaded) {
      loaded = true;
      caption.textContent = "Decoded in your browser by the chapter's trained 2-d VAE.";
    }
    return pixels;
  }

  async function show(point) {
    const pixels = await decode([point]);
    state.point = point;
    live.drawImages(digitCtx, pixels, {
      count: 1, side: SIDE, columns: 1, low: 0, high: 1, cell: 140,
    });
    const [a, b] = state.pair.map((i) => labels[i]);
    readout.textContent = `z = (${point[0].toFixed(2)}, ${point[1].toFixed(2)})\n`
      + `A: a test ${a}, B: a test ${b}`;
  }

  async function decodeStrip() {
    const ts = Array.from({ length: STEPS }, (_, k) => k / (STEPS - 1));
    state.strip = await decode(ts.map(mixed));
  }

  async function showPair() {
    await decodeStrip();
    await show(mixed(state.t));
    drawPlane();
    drawStrip();
    live.rendered(element);
  }

  function decodeMix() {
    request(async () => {
      if (!state.strip) return showPair();
      await show(mixed(state.t));
      drawPlane();
      drawStrip();
      live.rendered(element);
    });
  }

  function newPair() {
    // Two stored codes of different digits, from a seeded generator: each click
    // gives a new pair, the same sequence on every visit.
    const pick = () => Math.floor(state.picks() * codes.length);
    const a = pick();
    let b = pick();
    while (labels[b] === labels[a]) b = pick();
    state.pair = [a, b];
    request(showPair);
  }

  function pressAt(event) {
    const box = plane.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * W;
    const y = ((event.clientY - box.top) / box.height) * W;
    const point = toCode(x, y);
    request(async () => {
      if (!state.strip) await decodeStrip();
      await show(point);
      drawPlane();
      drawStrip();
      live.rendered(element);
    });
  }

  let pressed = false;
  plane.addEventListener("pointerdown", (event) => {
    pressed = true;
    // Keep receiving moves while the pointer leaves the canvas mid-drag; a synthetic
    // event has no active pointer to capture, which is harmless.
    try { plane.setPointerCapture(event.pointerId); } catch { /* nothing to capture */ }
    pressAt(event);
  });
  plane.addEventListener("pointermove", (event) => { if (pressed) pressAt(event); });
  for (const type of ["pointerup", "pointercancel"]) {
    plane.addEventListener(type, () => { pressed = false; });
  }
  plane.style.cursor = "crosshair";
  mix.title = "t: 0 decodes A, 1 decodes B";

  digitCtx.fillStyle = "#eee";
  digitCtx.fillRect(0, 0, 140, 140);
  drawPlane();
  live.rendered(element);
}
