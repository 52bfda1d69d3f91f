// Chapter 5, trained in the reader's browser, as GAN Lab does: the chapter's toy GAN
// (a linear G, a 2-5-3-1 tanh D returning a logit, the cross-entropy losses with the
// non-saturating G loss, Adam for both) written out in plain JavaScript, with its
// gradients by hand. One step is the chapter's make_gan_step: G draws one batch of
// fakes; D steps on them (detached) and on real points; G steps on the same fakes
// scored by the updated D. The build stores a few steps of PyTorch from given weights,
// batches and noise, and the site's tests require these functions to reproduce them.

const SHAPES = {
  G_W: [2, 2], G_c: [2],
  D_W1: [5, 2], D_b1: [5], D_W2: [3, 5], D_b2: [3], D_W3: [1, 3], D_b3: [1],
};
const G_KEYS = ["G_W", "G_c"];
const D_KEYS = ["D_W1", "D_b1", "D_W2", "D_b2", "D_W3", "D_b3"];

const zeros = () => Object.fromEntries(
  Object.entries(SHAPES).map(([k, s]) => [k, new Float64Array(s.reduce((a, b) => a * b, 1))]),
);

// DCGAN's initialisation, as the chapter's networks get it: weights N(0, 0.02²), biases 0.
export function initialParameters(random, normal) {
  const p = zeros();
  for (const key of ["G_W", "D_W1", "D_W2", "D_W3"]) {
    for (let i = 0; i < p[key].length; i++) p[key][i] = 0.02 * normal(random);
  }
  return p;
}

export function fromLists(lists) {
  const p = zeros();
  for (const key of Object.keys(SHAPES)) p[key].set(lists[key].flat());
  return p;
}

const softplus = (t) => (t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t)));
const sigmoid = (t) => 1 / (1 + Math.exp(-t));

// y = W x + b for a row-major (rows x cols) W.
function affine(W, b, x, rows, cols) {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = b[r];
    for (let c = 0; c < cols; c++) s += W[r * cols + c] * x[c];
    y[r] = s;
  }
  return y;
}

export function generate(p, z) {
  return affine(p.G_W, p.G_c, z, 2, 2);
}

export function discriminate(p, x) {
  const h1 = affine(p.D_W1, p.D_b1, x, 5, 2).map(Math.tanh);
  const h2 = affine(p.D_W2, p.D_b2, h1, 3, 5).map(Math.tanh);
  const logit = affine(p.D_W3, p.D_b3, h2, 1, 3)[0];
  return { x, h1, h2, logit };
}

// Adds d(loss)/d(parameters of D) for one point into g, given d(loss)/d(logit);
// returns d(loss)/dx.
function backD(p, pass, dLogit, g) {
  const dh2 = new Float64Array(3);
  for (let j = 0; j < 3; j++) {
    g.D_W3[j] += dLogit * pass.h2[j];
    dh2[j] = dLogit * p.D_W3[j] * (1 - pass.h2[j] ** 2);
  }
  g.D_b3[0] += dLogit;
  const dh1 = new Float64Array(5);
  for (let j = 0; j < 3; j++) {
    g.D_b2[j] += dh2[j];
    for (let i = 0; i < 5; i++) {
      g.D_W2[j * 5 + i] += dh2[j] * pass.h1[i];
      dh1[i] += dh2[j] * p.D_W2[j * 5 + i];
    }
  }
  const dx = new Float64Array(2);
  for (let i = 0; i < 5; i++) {
    const d = dh1[i] * (1 - pass.h1[i] ** 2);
    g.D_b1[i] += d;
    for (let k = 0; k < 2; k++) {
      g.D_W1[i * 2 + k] += d * pass.x[k];
      dx[k] += d * p.D_W1[i * 2 + k];
    }
  }
  return dx;
}

export function newAdam() {
  return { t: 0, m: zeros(), v: zeros() };
}

// torch.optim.Adam's update (eps 1e-8, no weight decay) for the parameters in `keys`.
function adamStep(p, g, state, keys, lr, [beta1, beta2]) {
  state.t += 1;
  const c1 = 1 - beta1 ** state.t;
  const c2 = 1 - beta2 ** state.t;
  for (const key of keys) {
    const m = state.m[key], v = state.v[key], w = p[key], grad = g[key];
    for (let i = 0; i < w.length; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
      v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
      w[i] -= (lr / c1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(c2) + 1e-8);
    }
  }
}

// One step of make_gan_step on a batch of real points and the noise for its fakes.
export function trainStep(p, adamD, adamG, real, noise, { lrD, lrG, betas }) {
  const n = real.length;
  const fakes = noise.map((z) => generate(p, z));
  // D: BCE(D(real), 1) + BCE(D(fake), 0), each a mean over the batch.
  const gD = zeros();
  let dLoss = 0;
  for (const x of real) {
    const pass = discriminate(p, x);
    dLoss += softplus(-pass.logit) / n;
    backD(p, pass, -sigmoid(-pass.logit) / n, gD);
  }
  for (const x of fakes) {
    const pass = discriminate(p, x);
    dLoss += softplus(pass.logit) / n;
    backD(p, pass, sigmoid(pass.logit) / n, gD);
  }
  adamStep(p, gD, adamD, D_KEYS, lrD, betas);
  // G: BCE(D(fake), 1) through the updated D, back into G's weights.
  const gG = zeros();
  const scratch = zeros(); // D's gradients from the G step: computed, never used
  let gLoss = 0;
  fakes.forEach((x, k) => {
    const pass = discriminate(p, x);
    gLoss += softplus(-pass.logit) / n;
    const dx = backD(p, pass, -sigmoid(-pass.logit) / n, scratch);
    for (let r = 0; r < 2; r++) {
      gG.G_c[r] += dx[r];
      for (let c = 0; c < 2; c++) gG.G_W[r * 2 + c] += dx[r] * noise[k][c];
    }
  });
  adamStep(p, gG, adamG, G_KEYS, lrG, betas);
  return { d: dLoss, g: gLoss };
}

const copy = (p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.slice()]));

// ------------------------------------------------------------------------- the panel

export async function mount(element, options, live) {
  const runs = await live.json(options.data);
  const A = options.A; // the chapter's data: x = z A + b, z ~ N(0, I)
  const b = runs.b;
  const stepsPerEpoch = Math.ceil(options.n_data / options.batch_size);
  const view = options.view;
  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);
  const W = 420, H = 420;
  const [, ctx] = live.canvas(figures, W, H, "the toy GAN training in this page");
  const readout = live.make("div", { "data-readout": "training" }, figures);
  live.make("p", {
    class: "ganbook-live-caption",
    text: "Blue: real points. Orange: G(z) for 300 fixed noise vectors. Background: "
      + "D's probability of \"real\" (darker: more real). Trained here, in your browser.",
  }, figures);

  const hp = {
    lrD: options.lr_d, lrG: options.lr_g, betas: [options.betas[0], options.betas[1]],
  };
  let random, p, adamD, adamG, steps, losses, running = false, stopped = "";
  const fixedRandom = live.seeded(7);
  const fixed = Array.from({ length: 300 }, () => [
    live.normal(fixedRandom), live.normal(fixedRandom),
  ]);
  const realShown = runs.real;

  function reset() {
    random = live.seeded(options.seed ?? 0);
    p = initialParameters(random, live.normal);
    adamD = newAdam();
    adamG = newAdam();
    steps = 0;
    losses = [];
    stopped = "";
  }

  const realPoint = () => {
    const z = [live.normal(random), live.normal(random)];
    return [
      z[0] * A[0][0] + z[1] * A[1][0] + b[0],
      z[0] * A[0][1] + z[1] * A[1][1] + b[1],
    ];
  };

  function train(count) {
    for (let k = 0; k < count; k++) {
      const real = Array.from({ length: options.batch_size }, realPoint);
      const noise = Array.from({ length: options.batch_size }, () => [
        live.normal(random), live.normal(random),
      ]);
      const good = copy(p);
      const loss = trainStep(p, adamD, adamG, real, noise, hp);
      if (!Number.isFinite(loss.d) || !Number.isFinite(loss.g)) {
        p = good; // a diverging run stops and keeps what it had
        stopped = `diverged at step ${steps + 1}: stopped, last good weights kept`;
        return false;
      }
      steps += 1;
      losses.push(loss);
      if (losses.length > 200) losses.shift();
    }
    return true;
  }

  const px = (x) => ((x - view.x[0]) / (view.x[1] - view.x[0])) * W;
  const py = (y) => H - ((y - view.y[0]) / (view.y[1] - view.y[0])) * H;

  function draw() {
    const cells = 42;
    for (let i = 0; i < cells; i++) {
      for (let j = 0; j < cells; j++) {
        const x = view.x[0] + ((i + 0.5) / cells) * (view.x[1] - view.x[0]);
        const y = view.y[0] + ((j + 0.5) / cells) * (view.y[1] - view.y[0]);
        const real = sigmoid(discriminate(p, [x, y]).logit);
        const shade = Math.round(255 - 120 * real);
        ctx.fillStyle = `rgb(${shade},${shade},255)`;
        ctx.fillRect((i / cells) * W, H - ((j + 1) / cells) * H, W / cells + 1, H / cells + 1);
      }
    }
    const dots = (points, colour) => {
      ctx.fillStyle = colour;
      for (const [x, y] of points) ctx.fillRect(px(x) - 1.5, py(y) - 1.5, 3, 3);
    };
    dots(realShown, "#1f77b4");
    const fakes = fixed.map((z) => generate(p, z));
    dots(fakes, "#ff7f0e");
    const mean = [p.G_c[0], p.G_c[1]];
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 2;
    for (const [x, y, colour] of [[b[0], b[1], "#1f77b4"], [mean[0], mean[1], "#ff7f0e"]]) {
      ctx.strokeStyle = colour;
      ctx.beginPath();
      ctx.arc(px(x), py(y), 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
    const recent = losses.slice(-100);
    const avg = (key) => recent.reduce((s, l) => s + l[key], 0) / Math.max(1, recent.length);
    const error = Math.max(Math.abs(mean[0] - b[0]), Math.abs(mean[1] - b[1]));
    readout.textContent =
      `lr_D = ${hp.lrD.toPrecision(2)}   lr_G = ${hp.lrG.toPrecision(2)}   β1 = ${hp.betas[0]}\n` +
      `step ${steps} (epoch ${(steps / stepsPerEpoch).toFixed(1)} of ${options.epochs})` +
      (recent.length ? `   mean loss D ${avg("d").toFixed(3)}, G ${avg("g").toFixed(3)}` : "") +
      `\nG's mean (${mean[0].toFixed(3)}, ${mean[1].toFixed(3)}) against b = ` +
      `(${b[0]}, ${b[1]}): largest error ${error.toFixed(3)}` +
      (stopped ? `\n${stopped}` : "");
    live.rendered(element);
  }

  const trainButton = live.button(controls, {
    name: "train", label: "Train",
    onClick: () => {
      running = !running;
      trainButton.textContent = running ? "Pause" : "Train";
      if (running) frame();
    },
  });
  live.button(controls, {
    name: "epoch", label: "One epoch",
    onClick: () => { train(stepsPerEpoch); draw(); },
  });
  live.button(controls, {
    name: "reset", label: "Reset",
    onClick: () => { reset(); draw(); },
  });
  const logFormat = (v) => (10 ** v).toPrecision(2);
  live.slider(controls, {
    name: "lr_d", label: "D's learning rate", min: -3, max: -0.5, step: 0.1,
    value: Math.log10(hp.lrD), format: logFormat,
    onInput: (v) => { hp.lrD = 10 ** v; draw(); },
  });
  live.slider(controls, {
    name: "lr_g", label: "G's learning rate", min: -4, max: -1, step: 0.1,
    value: Math.log10(hp.lrG), format: logFormat,
    onInput: (v) => { hp.lrG = 10 ** v; draw(); },
  });
  live.slider(controls, {
    name: "beta1", label: "Adam's β1", min: 0, max: 0.95, step: 0.05,
    value: hp.betas[0], format: (v) => v.toFixed(2),
    onInput: (v) => { hp.betas[0] = v; draw(); },
  });

  // About one epoch a second; stops at the chapter's number of epochs.
  function frame() {
    if (!running) return;
    const ok = train(Math.ceil(stepsPerEpoch / 30));
    draw();
    if (!ok || steps >= options.epochs * stepsPerEpoch) {
      running = false;
      trainButton.textContent = "Train";
      return;
    }
    requestAnimationFrame(frame);
  }

  reset();
  draw();
}
