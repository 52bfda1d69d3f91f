// The book's kernel-free panels. A chapter's export cell leaves a
// <div class="ganbook-live" data-panel="NAME" data-options="{...}"> in the page; this
// module loads ./panels/NAME.js and calls its mount(element, options, live).
//
// Conventions every panel follows (the site's tests rely on them):
// - each control carries data-control="name" (an <input> or a <button>);
// - what a control changes is drawn into <canvas> elements or elements with
//   data-readout, and every finished drawing calls live.rendered(element), which counts
//   up element.dataset.renders;
// - models and the runtime load only when a reader first touches their control.

const here = new URL("./", import.meta.url);
const ortFolder = new URL("../ort/", here);

export const assetUrl = (name) => new URL(`data/${name}`, here).href;

const jsonCache = new Map();
export function json(name) {
  if (!jsonCache.has(name)) {
    jsonCache.set(
      name,
      fetch(assetUrl(`${name}.json`)).then((response) => {
        if (!response.ok) throw new Error(`${name}.json: HTTP ${response.status}`);
        return response.json();
      }),
    );
  }
  return jsonCache.get(name);
}

let ortModule = null;
export function ort() {
  // onnxruntime-web, served by the site from the build's npm install; one thread, since
  // threads need cross-origin isolation, which GitHub Pages does not offer.
  if (!ortModule) {
    ortModule = import(new URL("ort.wasm.bundle.min.mjs", ortFolder).href).then(
      (module) => {
        module.env.wasm.numThreads = 1;
        // Only the binary's address: the bundle carries its own glue code, which a
        // folder prefix would send it to fetch as a separate file.
        module.env.wasm.wasmPaths = {
          wasm: new URL("ort-wasm-simd-threaded.wasm", ortFolder).href,
        };
        return module;
      },
    );
  }
  return ortModule;
}

const sessions = new Map();
export function session(name) {
  if (!sessions.has(name)) {
    sessions.set(
      name,
      ort().then((o) => o.InferenceSession.create(assetUrl(`${name}.onnx`))),
    );
  }
  return sessions.get(name);
}

// Runs model `name` on a float32 batch; resolves to {data: Float32Array, dims}.
export async function run(name, data, dims) {
  const o = await ort();
  const model = await session(name);
  const input = new o.Tensor("float32", Float32Array.from(data), dims);
  const { output } = await model.run({ input });
  return { data: output.data, dims: output.dims };
}

// The largest difference between the page's output and PyTorch's for the inputs the
// build stored beside the model (name.check.json).
export async function check(name) {
  const expected = await json(`${name}.check`);
  const output = await run(name, expected.input.flat(), expected.input_shape);
  const want = expected.output.flat();
  let gap = 0;
  for (let i = 0; i < want.length; i++) {
    gap = Math.max(gap, Math.abs(output.data[i] - want[i]));
  }
  return { gap, tolerance: expected.tolerance, size: want.length };
}

// Runs jobs one at a time; while one runs, only the latest request waits (a drag or a
// slider asks far more often than a model can answer). Returns request(job).
export function latestOnly(onError) {
  let waiting = null;
  let busy = false;
  async function pump() {
    busy = true;
    while (waiting) {
      const job = waiting;
      waiting = null;
      try {
        await job();
      } catch (error) {
        onError(error);
      }
    }
    busy = false;
  }
  return (job) => {
    waiting = job;
    if (!busy) pump();
  };
}

export function rendered(element) {
  element.dataset.renders = String(Number(element.dataset.renders || 0) + 1);
}

// ------------------------------------------------------------------ small UI pieces

export function make(tag, attributes = {}, parent = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  if (parent) parent.appendChild(node);
  return node;
}

// A labelled range input; onInput(value) runs on every move.
export function slider(parent, { name, label, min, max, step, value, onInput, format }) {
  const row = make("label", { class: "ganbook-live-slider" }, parent);
  make("span", { class: "ganbook-live-label", text: label }, row);
  const input = make(
    "input",
    { type: "range", min, max, step, value, "data-control": name, "aria-label": label },
    row,
  );
  const shown = make("output", { class: "ganbook-live-value" }, row);
  const show = () => {
    shown.textContent = format ? format(Number(input.value)) : input.value;
  };
  show();
  input.addEventListener("input", () => {
    show();
    onInput(Number(input.value));
  });
  return input;
}

export function button(parent, { name, label, onClick }) {
  const node = make("button", { type: "button", "data-control": name, text: label }, parent);
  node.addEventListener("click", onClick);
  return node;
}

// A canvas sized in CSS pixels, sharp on high-density screens; returns [canvas, ctx].
export function canvas(parent, width, height, label) {
  const node = make("canvas", { role: "img", "aria-label": label }, parent);
  const scale = window.devicePixelRatio || 1;
  node.width = Math.round(width * scale);
  node.height = Math.round(height * scale);
  node.style.width = "100%";
  node.style.maxWidth = `${width}px`;
  node.style.aspectRatio = `${width} / ${height}`;
  const ctx = node.getContext("2d");
  ctx.scale(scale, scale);
  return [node, ctx];
}

// Grey-level images (values in [low, high]) laid out in a grid on a canvas.
export function drawImages(ctx, pixels, { count, side, columns, low = -1, high = 1, cell }) {
  const image = ctx.createImageData(side, side);
  const scratch = document.createElement("canvas");
  scratch.width = side;
  scratch.height = side;
  const scratchCtx = scratch.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < side * side; i++) {
      const v = (pixels[k * side * side + i] - low) / (high - low);
      const grey = Math.max(0, Math.min(255, Math.round(255 * v)));
      image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = grey;
      image.data[4 * i + 3] = 255;
    }
    scratchCtx.putImageData(image, 0, 0);
    const x = (k % columns) * cell;
    const y = Math.floor(k / columns) * cell;
    ctx.drawImage(scratch, x, y, cell, cell);
  }
}

// A standard normal sample (Box-Muller) from a seeded generator `random()`.
export function normal(random) {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

// A small seeded generator (mulberry32), so "new samples" can be repeated in tests.
export function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// `length` numbers uniform in [-1, 1] from `seed`, like helpers.gan's uniform_noise: the
// noise the book's generators were trained on.
export function uniformNoise(seed, length) {
  const random = seeded(seed);
  return Float32Array.from({ length }, () => 2 * random() - 1);
}

// " (27.4 MB, float32 weights)" for an exported model's file entry; "" without one.
export function fileNote(file) {
  return file ? ` (${(file.bytes / 1e6).toFixed(1)} MB, ${file.precision} weights)` : "";
}

// ------------------------------------------------------------------------- mounting

const live = {
  assetUrl, json, ort, session, run, check, latestOnly, rendered, make, slider, button, canvas,
  drawImages, normal, seeded, uniformNoise, fileNote,
};

async function mount(element) {
  const name = element.dataset.panel;
  const options = JSON.parse(element.dataset.options || "{}");
  try {
    const panel = await import(new URL(`panels/${name}.js`, here).href);
    element.querySelector(".ganbook-live-note")?.remove();
    element.classList.add("is-live");
    await panel.mount(element, options, live);
    element.dataset.ready = "true";
  } catch (error) {
    element.dataset.ready = "failed";
    console.error(`live panel ${name}:`, error);
    throw error;
  }
}

const panels = Array.from(document.querySelectorAll(".ganbook-live[data-panel]"));
window.ganbookLive = {
  ...live,
  panels,
  ready: Promise.allSettled(panels.map(mount)),
};
