"""The kernel-free panels of the published page, moved as a reader would move them.

Every page is served over HTTP on 127.0.0.1 and opened in headless Chromium. On each
chapter page every control of every live panel is moved (a slider to another value, a
button clicked, a canvas pressed) and the figure or numbers it drives must change; the
page must log no error and fetch nothing from outside the site. Generators running in
the browser must give PyTorch's outputs for the inputs the build stored beside them.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from sitekit import (
    ROOT,
    SITE,
    needs_chromium,
    open_page,
    outside_requests,
    page_weight,
    severe_console_messages,
)

pytestmark = needs_chromium

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [
    chapter["file"]
    for part in TOC["parts"]
    for chapter in part["chapters"]
    if (ROOT / f"{chapter['file']}.ipynb").exists()
]
# Every chapter from 2 on has at least one kernel-free panel (chapter 1 has no model).
LIVE_CHAPTERS = CHAPTERS[1:]
PANEL = re.compile(r'data-panel="([a-z0-9_-]+)"')

# Reads a signature of everything a panel shows: its canvases' pixels and its readouts.
SIGNATURE = """
const panel = arguments[0];
const canvases = Array.from(panel.querySelectorAll('canvas')).map(c => c.toDataURL());
const readouts = Array.from(panel.querySelectorAll('[data-readout]'))
    .map(r => r.textContent);
return JSON.stringify([canvases, readouts]);
"""

# Moves one control as a reader would, then waits until the panel has drawn again.
MOVE = """
const [panel, control, done] = arguments;
const before = Number(panel.dataset.renders || 0);
if (control.tagName === 'INPUT' && control.type === 'range') {
    const low = Number(control.min), high = Number(control.max);
    const now = Number(control.value);
    control.value = String(Math.abs(now - high) > Math.abs(now - low) ? high : low);
    control.dispatchEvent(new Event('input', {bubbles: true}));
    control.dispatchEvent(new Event('change', {bubbles: true}));
} else if (control.tagName === 'CANVAS') {
    const box = control.getBoundingClientRect();
    const at = {clientX: box.left + 0.27 * box.width,
                clientY: box.top + 0.71 * box.height,
                bubbles: true, pointerId: 1, isPrimary: true};
    control.dispatchEvent(new PointerEvent('pointerdown', at));
    control.dispatchEvent(new PointerEvent('pointerup', at));
} else {
    control.click();
}
const started = performance.now();
(function wait() {
    if (Number(panel.dataset.renders || 0) > before) done(true);
    else if (performance.now() - started > 30000) done(false);
    else setTimeout(wait, 20);
})();
"""


def live_pages() -> list[str]:
    return [
        page
        for page in CHAPTERS
        if PANEL.search((SITE / f"{page}.html").read_text(encoding="utf-8"))
    ]


def test_the_chapters_that_should_have_live_panels_have_them(site):
    with_panels = {
        page
        for page in CHAPTERS
        if PANEL.search((site / f"{page}.html").read_text(encoding="utf-8"))
    }
    assert set(LIVE_CHAPTERS) <= with_panels


@pytest.mark.parametrize("page", LIVE_CHAPTERS)
def test_every_control_changes_what_it_drives(base_url, browser, page):
    open_page(browser, base_url, page)
    panels = browser.find_elements("css selector", ".ganbook-live[data-panel]")
    assert panels, "no live panel on the page"
    moved = 0
    for panel in panels:
        name = panel.get_attribute("data-panel")
        assert panel.get_attribute("data-ready") == "true", f"{name} did not start"
        controls = panel.find_elements("css selector", "[data-control]")
        assert controls, f"{name} has no control"
        for control in controls:
            label = control.get_attribute("data-control")
            browser.execute_script("arguments[0].scrollIntoView()", control)
            before = browser.execute_script(SIGNATURE, panel)
            redrawn = browser.execute_async_script(MOVE, panel, control)
            assert redrawn, f"{name}: moving {label} drew nothing within 30 s"
            after = browser.execute_script(SIGNATURE, panel)
            assert after != before, f"{name}: moving {label} changed nothing"
            moved += 1
    assert moved >= 1
    assert not severe_console_messages(browser)
    assert not outside_requests(browser, base_url)


def test_gan_maths_panel_computes_what_helpers_compute(site, base_url, browser):
    """The page's KLs, JSD and max_D V equal helpers.divergences' at the settings the
    build stored (same grid, same trapezoid rule)."""
    reference = json.loads(
        (site / "_static/live/data/gan-maths-reference.json").read_text()
    )["reference"]
    open_page(browser, base_url, "book/04_gan_maths")
    panel = browser.find_element(
        "css selector", '.ganbook-live[data-panel="gan-maths"]'
    )
    for entry in reference:
        values = json.loads(
            browser.execute_script(
                "arguments[0].ganbookSet(arguments[1]);"
                "return arguments[0].querySelector('[data-readout]').dataset.values;",
                panel,
                entry["settings"],
            )
        )
        for key in ("kl_data_g", "kl_g_data", "jsd", "max_v"):
            assert values[key] == pytest.approx(entry[key], abs=1e-6), (key, entry)


def test_text_samples_panel_computes_the_models_probabilities(site, base_url, browser):
    """The page's softmax(logits / T) over the first token after the prompt equals
    PyTorch's over the whole vocabulary (the build stored it beside the logits)."""
    data = json.loads((site / "_static/live/data/text-samples.json").read_text())
    open_page(browser, base_url, "book/11_text_lstm")
    panel = browser.find_element(
        "css selector", '.ganbook-live[data-panel="text-samples"]'
    )
    for level, entry in data["levels"].items():
        for temperature, expected in zip(data["temperatures"], entry["check"]):
            values = json.loads(
                browser.execute_script(
                    "return arguments[0].ganbookSet(arguments[1]);",
                    panel,
                    {"level": level, "temperature": temperature},
                )
            )
            assert values == pytest.approx(expected, abs=2e-3), (level, temperature)


def test_generators_in_the_browser_match_pytorch(site, base_url, browser):
    """For the inputs the build stored beside each model, the page's onnxruntime-web
    gives PyTorch's outputs within the stated tolerance (float16 weights included)."""
    checks = sorted((site / "_static/live/data").glob("*.check.json"))
    if not checks:
        pytest.skip("no chapter with an in-browser generator yet")
    open_page(browser, base_url, "book/04_gan_maths")
    for path in checks:
        name = path.name.removesuffix(".check.json")
        result = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.ganbookLive.check(arguments[0]).then(done,"
            " e => done({error: String(e)}));",
            name,
        )
        assert "error" not in result, result
        assert result["size"] > 0
        assert result["gap"] <= result["tolerance"], (name, result)
    assert not severe_console_messages(browser)
    assert not outside_requests(browser, base_url)


# The runtime (ort.wasm.bundle.min.mjs, ort-wasm-*.wasm) and the models, by name.
HEAVY = re.compile(r"\.onnx|\.wasm")
RESOURCES = "return performance.getEntriesByType('resource').map(e => e.name)"


@pytest.mark.parametrize("page", ["book/03_vae", "book/08_dcgan"])
def test_models_load_only_when_touched(base_url, browser, page):
    """A page's first load fetches no model and no runtime; the first touch of a
    control that runs a model fetches both."""
    browser.get_log("browser")  # what earlier pages logged is not this page's
    open_page(browser, base_url, page)
    fetched = browser.execute_script(RESOURCES)
    assert not [name for name in fetched if HEAVY.search(name)], fetched
    panel = browser.find_element("css selector", ".ganbook-live[data-panel]")
    control = panel.find_element("css selector", "[data-control]")
    browser.execute_script("arguments[0].scrollIntoView()", control)
    assert browser.execute_async_script(MOVE, panel, control)
    fetched = browser.execute_script(RESOURCES)
    assert any(name.endswith(".onnx") for name in fetched), fetched
    assert not severe_console_messages(browser)


def test_every_panel_on_a_page_has_its_module_and_assets(site):
    for page in live_pages():
        text = (site / f"{page}.html").read_text(encoding="utf-8")
        for panel in PANEL.findall(text):
            assert (site / "_static/live/panels" / f"{panel}.js").exists(), panel
    assert (site / "_static/ort/ort.wasm.bundle.min.mjs").exists()
    assert (site / "_static/ort/ort-wasm-simd-threaded.wasm").exists()


def test_no_page_asset_is_left_unused(site):
    """Every exported file is named by some page's panel options or is a model's check
    (so the site carries no stale exports from older code)."""
    data = site / "_static/live/data"
    text = " ".join(
        (site / f"{page}.html").read_text(encoding="utf-8") for page in CHAPTERS
    )
    for path in data.glob("*"):
        stem = path.name.split(".")[0]
        if path.name.endswith(".check.json"):
            continue
        assert stem in text, f"{path.name} is exported but no page uses it"


@pytest.mark.parametrize("page", CHAPTERS)
def test_first_load_stays_under_three_megabytes(base_url, browser, page):
    """A chapter page's first load as the host sends it (text gzipped), without the
    in-browser runtime and the models, which wait for the reader's first touch."""
    browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    open_page(browser, base_url, page)
    weight = page_weight(browser, base_url)
    assert weight["requests"] > 3
    assert weight["gzip_bytes"] <= 3 * 2**20, weight
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert not [n for n in fetched if n.endswith((".onnx", ".wasm"))], fetched


TOY_STEPS = """
const done = arguments[arguments.length - 1];
(async () => {
  const live = window.ganbookLive;
  const m = await import(new URL('panels/toy-gan-train.js', live.assetUrl('../')).href);
  const check = await live.json('toy-gan-train-check');
  const p = m.fromLists(check.start);
  const [adamD, adamG] = [m.newAdam(), m.newAdam()];
  const hp = {lrD: check.lr_d, lrG: check.lr_g, betas: check.betas};
  let gap = 0;
  check.real.forEach((real, k) => {
    const loss = m.trainStep(p, adamD, adamG, real, check.noise[k], hp);
    gap = Math.max(gap, Math.abs(loss.d - check.losses[k].d),
                   Math.abs(loss.g - check.losses[k].g));
  });
  const end = m.fromLists(check.end);
  for (const key of Object.keys(end)) {
    end[key].forEach((w, i) => { gap = Math.max(gap, Math.abs(w - p[key][i])); });
  }
  return {gap, steps: check.real.length};
})().then(done, e => done({error: String(e)}));
"""


def test_toy_gan_trained_in_the_page_takes_pytorchs_steps(base_url, browser):
    """Chapter 5's in-browser trainer, from the weights, batches and noise the build
    stored, ends where PyTorch's make_gan_step ended (both in float64)."""
    open_page(browser, base_url, "book/05_toy_gan")
    result = browser.execute_async_script(TOY_STEPS)
    assert "error" not in result, result
    assert result["steps"] >= 5
    assert result["gap"] < 1e-9, result
