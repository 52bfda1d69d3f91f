// Chapter 9: what the temperature does to a language model's samples. The bars are the
// model's distribution of the first token after the prompt, softmax(logits / T),
// computed here from the logits the build stored; the text is one of the samples the
// chapter's own sample_text drew at that temperature (several seeds each).

const W = 380, ROW = 14, TOP = 6, LEFT = 78, RIGHT = 44;

// Shows tokens that print as nothing: a line break, a space.
const visible = (token) => token.replace(/\n/g, "\u23ce").replace(/ /g, "\u2423");

// softmax(logits / T) over the whole vocabulary: the stored top logits each, and the
// rest as [logit, how many tokens have it] pairs; returns the top probabilities and
// the probability of all the other tokens together.
export function probabilities(logits, rest, temperature) {
  const top = Math.max(...logits);
  const weights = logits.map((l) => Math.exp((l - top) / temperature));
  let others = 0;
  for (const [l, count] of rest) others += count * Math.exp((l - top) / temperature);
  const total = weights.reduce((s, w) => s + w, 0) + others;
  return { top: weights.map((w) => w / total), others: others / total };
}

export async function mount(element, options, live) {
  const data = await live.json(options.data);
  const { temperatures, seeds, levels } = data;
  const state = {
    level: "char",
    index: Math.max(0, temperatures.indexOf(options.temperature ?? 1.0)),
    seed: 0,
  };

  const controls = live.make("div", { class: "ganbook-live-controls" }, element);
  const figures = live.make("div", { class: "ganbook-live-figures" }, element);
  // The slider moves along the exported temperatures: there is a sample for each.
  const slider = live.slider(controls, {
    name: "temperature", label: "temperature", min: 0, max: temperatures.length - 1,
    step: 1, value: state.index, format: (i) => temperatures[i].toFixed(1),
    onInput: (i) => { state.index = i; draw(); },
  });
  const row = live.make("div", {}, controls);
  const levelButtons = {};
  for (const [level, label] of [["word", "word model"], ["char", "character model"]]) {
    levelButtons[level] = live.button(row, {
      name: level, label, onClick: () => { state.level = level; draw(); },
    });
  }
  live.button(controls, {
    name: "seed", label: "another sample",
    onClick: () => { state.seed = (state.seed + 1) % seeds.length; draw(); },
  });
  const info = live.make("div", { "data-readout": "model" }, controls);
  info.style.marginTop = "0.5rem";

  const bars = 20 + 1; // the stored top tokens and "all others"
  const H = TOP + bars * ROW + 26;
  const [, ctx] = live.canvas(figures, W, H, "probabilities of the first token after the prompt");
  const sample = live.make("div", { "data-readout": "sample" }, figures);
  Object.assign(sample.style, {
    border: "1px solid var(--pst-color-border, #ccc)", borderRadius: "4px",
    padding: "0.5rem", maxHeight: "22rem", overflowY: "auto", marginTop: "0.5rem",
  });
  live.make("p", {
    class: "ganbook-live-caption",
    text: "Bars: the model's probability of each candidate for the first token after the "
      + "prompt, softmax(logits / T), computed in this page from the trained model's "
      + "logits. Below: a sample the chapter's sample_text drew at this temperature.",
  }, figures);

  function drawBars(entry, temperature) {
    const { top, others } = probabilities(entry.logits, entry.rest, temperature);
    const labels = entry.tokens.map(visible).concat(["all others"]);
    const values = top.concat([others]);
    const peak = Math.max(...values);
    ctx.clearRect(0, 0, W, H);
    ctx.font = "11px monospace";
    ctx.textBaseline = "middle";
    const width = W - LEFT - RIGHT;
    values.forEach((p, i) => {
      const y = TOP + i * ROW;
      ctx.fillStyle = i < top.length ? "#1f77b4" : "#888";
      ctx.fillRect(LEFT, y + 1, (p / peak) * width, ROW - 3);
      ctx.fillStyle = "#333";
      ctx.textAlign = "right";
      ctx.fillText(labels[i].slice(0, 11), LEFT - 6, y + ROW / 2);
      const others = i < top.length ? "" : ` (${(entry.vocabulary - top.length).toLocaleString("en")} ${entry.unit}s)`;
      const percent = 100 * p >= 0.1 ? (100 * p).toFixed(1) : (100 * p).toPrecision(2);
      const text = `${percent}%${others}`;
      const end = LEFT + (p / peak) * width;
      // Beside the bar where it fits, else inside it.
      const outside = end + 4 + ctx.measureText(text).width <= W;
      ctx.fillStyle = outside ? "#333" : "#fff";
      ctx.textAlign = outside ? "left" : "right";
      ctx.fillText(text, outside ? end + 4 : end - 4, y + ROW / 2);
    });
    ctx.font = "11px sans-serif";
    ctx.textAlign = "left";
    ctx.fillStyle = "#333";
    ctx.fillText(
      `next ${entry.unit} after ${JSON.stringify(data.prompt)}, T = ${temperature.toFixed(1)}`,
      LEFT, H - 10,
    );
    return values;
  }

  function draw() {
    const entry = levels[state.level];
    const temperature = temperatures[state.index];
    const values = drawBars(entry, temperature);
    sample.textContent = entry.samples[state.index][state.seed];
    const loss = entry.valid_loss;
    info.textContent =
      `${state.level === "char" ? "character" : "word"} model, ${entry.vocabulary.toLocaleString("en")} tokens\n`
      + `validation: ${loss.toFixed(3)} nats per ${entry.unit}, perplexity ${Math.exp(loss).toFixed(2)}\n`
      + `sample ${state.seed + 1} of ${seeds.length} (seed ${seeds[state.seed]}), T = ${temperature.toFixed(1)}`;
    // The computed probabilities, for the site's test against PyTorch's softmax.
    info.dataset.values = JSON.stringify(values.slice(0, -1));
    for (const [level, node] of Object.entries(levelButtons)) {
      node.setAttribute("aria-pressed", String(level === state.level));
      node.style.fontWeight = level === state.level ? "bold" : "normal";
    }
    live.rendered(element);
  }

  // Tests and readers can choose directly: element.ganbookSet({level, temperature}).
  element.ganbookSet = ({ level = state.level, temperature } = {}) => {
    state.level = level;
    if (temperature === undefined) draw();
    else {
      // Through the slider, so the value it shows follows.
      slider.value = String(temperatures.indexOf(temperature));
      slider.dispatchEvent(new Event("input"));
    }
    return info.dataset.values;
  };
  draw();
}
