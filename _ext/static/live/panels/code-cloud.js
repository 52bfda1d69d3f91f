// Chapter 2: the 3-number codes of the test digits (the very codes the chapter plots),
// turned in the browser. Drag the cloud or move yaw and pitch to turn it; a class
// button (or a click near a point) singles out one digit class, and the strip below
// shows test digits of that class above the autoencoder's reconstructions of them
// (the ringed points in the cloud are their codes).

// matplotlib's tab10, the colours of the chapter's own figure (plot_codes_3d).
const COLOURS = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];
const SIZE = 440; // the cloud's canvas, CSS pixels
const CELL = 36; // one digit in the strip
const DISTANCE = 6; // the camera's distance, in half-sides of the cube the codes fill
const CLICK = 4; // a press that moves less than this many pixels is a click, not a drag

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error(`cannot load ${url}`));
    image.src = url;
  });
}

export async function mount(element, options, live) {
  const [data, digits] = await Promise.all([
    live.json(options.data),
    loadImage(live.assetUrl(`${options.digits}.png`)),
  ]);
  const { codes, labels, pictured } = data;
  const n = codes.length;
  const perClass = pictured[0].length;

  // Each code coordinate scaled to [-1, 1] over its range, as the axes of the chapter's
  // figure are; the range runs from the 1st to the 99th percentile, so that a few
  // outlying codes do not squeeze the rest into a corner.
  const range = [0, 1, 2].map((j) => {
    const sorted = codes.map((c) => c[j]).sort((a, b) => a - b);
    const low = sorted[Math.floor(0.01 * (n - 1))], high = sorted[Math.ceil(0.99 * (n - 1))];
    return [low, high > low ? high : low + 1];
  });
  const unit = codes.map((c) => c.map((v, j) => (2 * (v - range[j][0])) / (range[j][1] - range[j][0]) - 1));

  const state = { yaw: options.yaw ?? 35, pitch: options.pitch ?? 20, digit: null, picked: null };
  const screen = new Float32Array(2 * n); // where each point was last drawn, for clicks

  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);
  const sliders = {};
  for (const [name, label, min, max] of [["yaw", "yaw (°)", -180, 180], ["pitch", "pitch (°)", -90, 90]]) {
    sliders[name] = live.slider(controls, {
      name, label, min, max, step: 1, value: state[name],
      onInput: (value) => { state[name] = value; draw(); },
    });
  }
  live.make("p", {
    class: "ganbook-live-caption",
    text: "Drag the cloud to turn it. Press a digit (or click near a point) to single out "
      + "its class; press it again, or \u201call digits\u201d, to see every class.",
  }, controls);

  // The class buttons double as the legend.
  const legend = live.make("div", { class: "ganbook-live-legend" }, figures);
  const buttons = COLOURS.map((colour, digit) => {
    const node = live.button(legend, {
      name: `class-${digit}`, label: "", onClick: () => choose(state.digit === digit ? null : digit),
    });
    const dot = live.make("span", { "aria-hidden": "true" }, node);
    Object.assign(dot.style, {
      display: "inline-block", width: "0.7em", height: "0.7em", borderRadius: "50%",
      background: colour, marginRight: "0.3em",
    });
    node.append(String(digit));
    node.setAttribute("aria-label", `digit ${digit}`);
    node.style.margin = "0.15rem 0.25rem 0.15rem 0";
    return node;
  });
  const all = live.button(legend, { name: "all", label: "all digits", onClick: () => choose(null) });
  all.style.margin = "0.15rem 0.25rem";

  const [cloud, ctx] = live.canvas(figures, SIZE, SIZE, "3-d codes of the test digits");
  cloud.dataset.control = "cloud";
  cloud.style.cursor = "grab";
  const stripColumns = perClass;
  const [, strip] = live.canvas(figures, CELL * stripColumns, 2 * CELL, "test digits above their reconstructions");
  strip.imageSmoothingEnabled = false;
  const readout = live.make("div", { "data-readout": "selection" }, figures);
  live.make("p", {
    class: "ganbook-live-caption",
    text: `The codes of ${n.toLocaleString("en")} test digits, coloured by their label, which `
      + "the autoencoder never saw. Strip: test digits (top) and their reconstructions "
      + "from the 3-number code (bottom), the ringed points in the cloud.",
  }, figures);

  function choose(digit, picked = null) {
    state.digit = digit;
    state.picked = picked;
    draw();
  }

  // The rotation: yaw turns about code 3 (up on the screen), then pitch tilts the view.
  function project(p) {
    const a = (state.yaw * Math.PI) / 180, b = (state.pitch * Math.PI) / 180;
    const x = p[0] * Math.cos(a) - p[1] * Math.sin(a);
    const depth0 = p[0] * Math.sin(a) + p[1] * Math.cos(a);
    // A positive pitch looks down from above: the top comes nearer.
    const up = p[2] * Math.cos(b) + depth0 * Math.sin(b);
    const depth = depth0 * Math.cos(b) - p[2] * Math.sin(b);
    const f = DISTANCE / (DISTANCE + depth); // nearer points come out larger
    const scale = 0.2 * SIZE; // the cube's nearest corner stays inside the canvas
    return [SIZE / 2 + scale * x * f, SIZE / 2 - scale * up * f, depth, f];
  }

  // The digits drawn in the strip: one per class, or perClass of the chosen class.
  function shownDigits() {
    if (state.digit === null) return pictured.map((row, digit) => [digit, 0, row[0]]);
    return pictured[state.digit].map((index, k) => [state.digit, k, index]);
  }

  function draw() {
    ctx.clearRect(0, 0, SIZE, SIZE);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, SIZE, SIZE);
    drawBox();
    const projected = unit.map(project);
    projected.forEach(([sx, sy], i) => { screen[2 * i] = sx; screen[2 * i + 1] = sy; });
    // Far points first, so near ones cover them (the painter's algorithm).
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (i, j) => projected[j][2] - projected[i][2],
    );
    for (const i of order) {
      const [sx, sy, , f] = projected[i];
      const mine = state.digit === null || labels[i] === state.digit;
      // The other classes stay in their colours but faint, so they still show where
      // the chosen class sits among them.
      ctx.globalAlpha = mine ? 0.8 : 0.1;
      ctx.fillStyle = COLOURS[labels[i]];
      ctx.beginPath();
      ctx.arc(sx, sy, (mine && state.digit !== null ? 2.6 : 1.8) * f, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#000";
    for (const [, , index] of shownDigits()) {
      ctx.beginPath();
      ctx.arc(screen[2 * index], screen[2 * index + 1], 5, 0, 2 * Math.PI);
      ctx.stroke();
    }
    if (state.picked !== null) {
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(screen[2 * state.picked], screen[2 * state.picked + 1], 8, 0, 2 * Math.PI);
      ctx.stroke();
    }
    drawAxes();

    strip.clearRect(0, 0, CELL * stripColumns, 2 * CELL);
    strip.imageSmoothingEnabled = false;
    shownDigits().forEach(([digit, k], column) => {
      // The PNG grid: row d holds class d's digits, row 10 + d their reconstructions.
      for (const [row, top] of [[digit, 0], [10 + digit, CELL]]) {
        strip.drawImage(digits, 28 * k, 28 * row, 28, 28, column * CELL, top, CELL, CELL);
      }
    });

    const count = state.digit === null ? n : labels.filter((d) => d === state.digit).length;
    let text = state.digit === null
      ? `all ten classes: ${n.toLocaleString("en")} test digits`
      : `digit ${state.digit}: ${count} of ${n.toLocaleString("en")} test digits`;
    if (state.picked !== null) {
      const code = codes[state.picked].map((v) => v.toFixed(2)).join(", ");
      text += `\nclicked: test digit #${state.picked}, a ${labels[state.picked]}, code (${code})`;
    }
    readout.textContent = text;
    buttons.forEach((node, digit) => {
      const on = state.digit === digit;
      node.setAttribute("aria-pressed", String(on));
      node.style.fontWeight = on ? "bold" : "normal";
      node.style.outline = on ? `2px solid ${COLOURS[digit]}` : "none";
    });
    all.setAttribute("aria-pressed", String(state.digit === null));
    live.rendered(element);
  }

  // The edges of the cube [-1, 1]^3 the axes span: a cue for depth while turning.
  function drawBox() {
    const corner = (k) => [k & 1 ? 1 : -1, k & 2 ? 1 : -1, k & 4 ? 1 : -1];
    ctx.strokeStyle = "#ddd";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let k = 0; k < 8; k++) {
      for (const bit of [1, 2, 4]) {
        if (k & bit) continue;
        const [ax, ay] = project(corner(k));
        const [bx, by] = project(corner(k | bit));
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
      }
    }
    ctx.stroke();
  }

  // A small gizmo in the corner: which way each code coordinate points now.
  function drawAxes() {
    const origin = project([0, 0, 0]);
    const base = [SIZE - 56, SIZE - 50];
    ctx.font = "11px sans-serif";
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = ctx.fillStyle = "#444";
    ctx.fillText("code axes", base[0] - 26, SIZE - 6);
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]].forEach((axis, j) => {
      const [sx, sy] = project(axis.map((v) => v * 0.45));
      const dx = sx - origin[0], dy = sy - origin[1];
      ctx.beginPath();
      ctx.moveTo(base[0], base[1]);
      ctx.lineTo(base[0] + dx, base[1] + dy);
      ctx.stroke();
      ctx.fillText(String(j + 1), base[0] + 1.2 * dx - 3, base[1] + 1.2 * dy + 4);
    });
  }

  // Dragging turns the cloud through the sliders (so they always show the view); a
  // press that hardly moves picks the nearest point and singles out its class.
  let press = null;
  cloud.addEventListener("pointerdown", (event) => {
    press = { x: event.clientX, y: event.clientY, yaw: state.yaw, pitch: state.pitch, moved: 0 };
    try {
      cloud.setPointerCapture(event.pointerId); // keeps the drag when it leaves the canvas
    } catch {
      // a pointer the browser does not track (a synthetic event): no capture needed
    }
    cloud.style.cursor = "grabbing";
  });
  cloud.addEventListener("pointermove", (event) => {
    if (!press) return;
    const dx = event.clientX - press.x, dy = event.clientY - press.y;
    press.moved = Math.max(press.moved, Math.hypot(dx, dy));
    if (press.moved < CLICK) return;
    const turn = (name, value) => {
      const input = sliders[name];
      input.value = String(Math.max(Number(input.min), Math.min(Number(input.max), Math.round(value))));
      input.dispatchEvent(new Event("input"));
    };
    // The near side follows the pointer: right turns yaw up, down tilts pitch up.
    turn("yaw", ((press.yaw + 0.5 * dx + 540) % 360) - 180);
    turn("pitch", press.pitch + 0.5 * dy);
  });
  const release = (event) => {
    if (!press) return;
    const click = press.moved < CLICK;
    press = null;
    cloud.style.cursor = "grab";
    if (!click || event.type === "pointercancel") return;
    const box = cloud.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * SIZE;
    const y = ((event.clientY - box.top) / box.height) * SIZE;
    let best = 0, bestDistance = Infinity;
    for (let i = 0; i < n; i++) {
      const d = (screen[2 * i] - x) ** 2 + (screen[2 * i + 1] - y) ** 2;
      if (d < bestDistance) { best = i; bestDistance = d; }
    }
    const same = state.digit === labels[best] && state.picked === best;
    choose(same ? null : labels[best], same ? null : best);
  };
  cloud.addEventListener("pointerup", release);
  cloud.addEventListener("pointercancel", release);
  draw();
}
