// Shared by the training explorers (toy-gan, gan-epochs, ring-modes), which replay runs
// the build trained: an epoch slider with a play button, and a small per-epoch line
// plot with a marker at the chosen epoch. Not a panel itself.

const FRAME_MS = 450; // slow enough to see each epoch's picture

// An epoch slider (data-control="epoch", 1..epochs) and a play button
// (data-control="play") that steps through the epochs once. onChange(epoch) runs on
// every change. Returns {epoch(), set(epoch), setEpochs(n), stop()}.
export function epochControls(parent, live, { epochs, value = epochs, onChange }) {
  let timer = null;
  let stepping = false; // true while play moves the slider, so it does not stop itself
  const row = live.make("div", { class: "ganbook-live-epochs" }, parent);
  const input = live.slider(row, {
    name: "epoch", label: "epoch", min: 1, max: epochs, step: 1, value,
    onInput: (epoch) => {
      if (!stepping) stop();
      onChange(epoch);
    },
  });
  const play = live.button(row, { name: "play", label: "▶ play", onClick: toggle });

  function set(epoch) {
    stepping = true;
    input.value = String(epoch);
    // The slider's own listener updates its number and calls onChange.
    input.dispatchEvent(new Event("input"));
    stepping = false;
  }
  function stop() {
    clearTimeout(timer);
    timer = null;
    play.textContent = "▶ play";
  }
  function advance() {
    const epoch = Number(input.value);
    if (epoch >= Number(input.max)) return stop();
    set(epoch + 1);
    timer = setTimeout(advance, FRAME_MS);
  }
  function toggle() {
    if (timer !== null) return stop();
    play.textContent = "❚❚ pause";
    // From the last epoch, play starts again at the first; the first frame is drawn
    // now, not after a delay.
    if (Number(input.value) >= Number(input.max)) {
      set(1);
      timer = setTimeout(advance, FRAME_MS);
    } else {
      advance();
    }
  }
  return {
    epoch: () => Number(input.value),
    set,
    stop,
    setEpochs(n) {
      input.max = String(n);
      if (Number(input.value) > n) set(n);
    },
  };
}

// A row of buttons of which one is chosen (aria-pressed says which, and the chosen one
// is drawn pressed). choices: [{name, label, value}]; onChoose(value) runs on every click.
export function choiceButtons(parent, live, { label, choices, value, onChoose }) {
  const row = live.make("div", { class: "ganbook-live-choices" }, parent);
  row.style.cssText = "display: flex; flex-wrap: wrap; align-items: center; gap: 0 0.25rem";
  if (label) live.make("span", { class: "ganbook-live-label", text: label }, row);
  const buttons = choices.map((choice) =>
    live.button(row, {
      name: choice.name,
      label: choice.label,
      onClick: () => {
        mark(choice.value);
        onChoose(choice.value);
      },
    }),
  );
  function mark(chosen) {
    choices.forEach((choice, i) => {
      const pressed = choice.value === chosen;
      buttons[i].setAttribute("aria-pressed", String(pressed));
      // Inline, so the shared style sheet needs nothing for it.
      buttons[i].style.fontWeight = pressed ? "600" : "";
      buttons[i].style.boxShadow = pressed ? "inset 0 0 0 2px currentColor" : "";
    });
  }
  mark(value);
  return { mark };
}

// Lines over epochs 1..n in box {left, top, width, height}, a dotted horizontal line
// for each of `levels` ({value, colour}), and a marker at `epoch`.
// series: [{values, colour, label}]. log: a logarithmic y axis (values > 0).
// range: [low, high] to show at least (else the data's own range).
export function epochPlot(
  ctx, box, { series, levels = [], epoch, log = false, title = "", range = [] },
) {
  const n = Math.max(...series.map((s) => s.values.length));
  const all = [
    ...series.flatMap((s) => s.values),
    ...levels.map((l) => l.value),
    ...range,
  ].filter((v) => Number.isFinite(v) && (!log || v > 0));
  let low = all.length ? Math.min(...all) : log ? 1 : 0;
  let high = all.length ? Math.max(...all) : log ? 10 : 1;
  if (log) {
    low = Math.log10(low);
    high = Math.log10(high);
  }
  if (high - low < 1e-9) {
    low -= 0.5;
    high += 0.5;
  }
  const [top, bottom] = [high, low]; // the labelled values, before the margin
  const pad = 0.06 * (high - low);
  low -= pad;
  high += pad;
  const x = (e) => box.left + (n > 1 ? ((e - 1) / (n - 1)) * box.width : box.width / 2);
  const y = (v) => box.top + box.height * (1 - ((log ? Math.log10(v) : v) - low) / (high - low));
  const shown = (v) => (log ? 10 ** v : v);
  const format = (v) => {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 100 || Math.abs(v) < 0.01 ? v.toPrecision(2) : v.toFixed(2);
  };

  ctx.save();
  ctx.strokeStyle = "#999";
  ctx.lineWidth = 1;
  ctx.strokeRect(box.left, box.top, box.width, box.height);
  ctx.fillStyle = "#444";
  ctx.font = "11px sans-serif";
  ctx.textAlign = "right";
  ctx.fillText(format(shown(top)), box.left - 3, y(shown(top)) + 4);
  ctx.fillText(format(shown(bottom)), box.left - 3, y(shown(bottom)) + 4);
  ctx.textAlign = "left";
  ctx.fillText(title, box.left + 4, box.top + 12);
  ctx.fillText("epoch 1", box.left, box.top + box.height + 12);
  ctx.textAlign = "right";
  ctx.fillText(String(n), box.left + box.width, box.top + box.height + 12);
  for (const level of levels) {
    ctx.strokeStyle = level.colour;
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(box.left, y(level.value));
    ctx.lineTo(box.left + box.width, y(level.value));
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.strokeStyle = "#888";
  ctx.beginPath();
  ctx.moveTo(x(epoch), box.top);
  ctx.lineTo(x(epoch), box.top + box.height);
  ctx.stroke();
  ctx.lineWidth = 1.5;
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.beginPath();
    s.values.forEach((v, i) => (i ? ctx.lineTo(x(i + 1), y(v)) : ctx.moveTo(x(i + 1), y(v))));
    ctx.stroke();
    const v = s.values[epoch - 1];
    if (v !== undefined) {
      ctx.beginPath();
      ctx.arc(x(epoch), y(v), 3.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  // A legend along the top right.
  ctx.font = "11px sans-serif";
  ctx.textAlign = "right";
  let right = box.left + box.width - 4;
  for (const s of [...series].reverse()) {
    if (!s.label) continue;
    ctx.fillStyle = s.colour;
    ctx.fillText(s.label, right, box.top + 12);
    right -= ctx.measureText(s.label).width + 10;
  }
  ctx.restore();
}
