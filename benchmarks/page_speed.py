"""What the published page weighs and how fast its live panels answer, in headless
Chromium on this machine, with the built site (``_build/html``) served over HTTP on
127.0.0.1 as GitHub Pages would serve it.

    python benchmarks/page_speed.py                  # after make book
    python benchmarks/page_speed.py --repeats 50 --json page.json

Prints three tables:

- page weight: the bytes each page fetches on its first load (HTML, scripts, styles,
  fonts, images, the panels' data), not counting the in-browser runtime and the models,
  which load only when a reader first touches their control (both are listed apart);
  as files and as GitHub Pages sends them (gzip for text; see ``sitekit.page_weight``);
- in-page speed of every exported generator: the median time of one ``session.run`` for
  a batch of 1 and of 64 (after one warm-up run that loads the runtime and the model);
- the maths panel's redraw (chapter 4): the median time from a slider's value to the
  finished drawing and numbers.

Targets from the issue that asked for the live pages: a first load of at most 3 MB a
page; 64 MLP-GAN digits in at most 100 ms; one VAE decode in at most 20 ms; a redraw
of the maths panel under 50 ms. The script prints the figures; it does not judge them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sitekit import SITE, chromium, open_page, page_weight, serve  # noqa: E402

RUNTIME = "_static/ort/"

TIME_MODEL = """
const [name, batch, repeats, done] = arguments;
(async () => {
  const live = window.ganbookLive;
  const check = await live.json(`${name}.check`);
  const dims = [batch, ...check.input_shape.slice(1)];
  const size = dims.reduce((a, b) => a * b, 1);
  const random = live.seeded(1);
  const input = Array.from({length: size}, () => live.normal(random));
  await live.run(name, input, dims);  // loads the runtime and the model
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await live.run(name, input, dims);
    times.push(performance.now() - start);
  }
  done(times);
})().catch(e => done({error: String(e)}));
"""

TIME_MATHS = """
const [repeats] = arguments;
const panel = document.querySelector('.ganbook-live[data-panel="gan-maths"]');
const times = [];
for (let i = 0; i < repeats; i++) {
  const start = performance.now();
  panel.ganbookSet({meanG: -3 + 6 * (i % 13) / 12, stdG: 0.3 + (i % 7) / 3});
  times.push(performance.now() - start);
}
return times;
"""


def chapter_pages() -> list[str]:
    return sorted(
        str(path.relative_to(SITE).with_suffix(""))
        for path in (SITE / "book").glob("[0-9][0-9]_*.html")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not (SITE / "index.html").exists():
        sys.exit(f"no site in {SITE}: run `make book` first")
    data = SITE / "_static/live/data"
    models = sorted(
        p.name.removesuffix(".check.json") for p in data.glob("*.check.json")
    )
    report: dict = {"pages": {}, "models": {}, "runtime_bytes": 0, "maths_redraw": None}
    report["runtime_bytes"] = sum(
        p.stat().st_size for p in (SITE / RUNTIME).glob("*") if p.is_file()
    )
    with serve(SITE) as base, chromium() as browser:
        for page in chapter_pages():
            # A fresh profile per page would be fairer; the cache is off instead.
            browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
            open_page(browser, base, page)
            weight = page_weight(browser, base)
            report["pages"][page] = {
                **weight,
                "panels": browser.execute_script(
                    "return document.querySelectorAll('.ganbook-live').length"
                ),
            }
        if models:
            open_page(browser, base, chapter_pages()[0])
            for name in models:
                figures = {"bytes": (data / f"{name}.onnx").stat().st_size}
                for batch in (1, 64):
                    times = browser.execute_async_script(
                        TIME_MODEL, name, batch, args.repeats
                    )
                    if isinstance(times, dict):
                        raise RuntimeError(f"{name}: {times['error']}")
                    figures[f"batch_{batch}_ms"] = statistics.median(times)
                report["models"][name] = figures
        maths = "book/04_gan_maths"
        if (SITE / f"{maths}.html").exists():
            open_page(browser, base, maths)
            times = browser.execute_script(TIME_MATHS, args.repeats)
            report["maths_redraw"] = {
                "median_ms": statistics.median(times),
                "max_ms": max(times),
            }

    print("| page | first load, files (KiB) | sent gzipped (KiB) | requests | panels |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for page, figures in report["pages"].items():
        print(
            f"| {page} | {figures['bytes'] / 1024:,.0f} | "
            f"{figures['gzip_bytes'] / 1024:,.0f} | {figures['requests']} | "
            f"{figures['panels']} |"
        )
    print(
        f"\nruntime (onnxruntime-web, loaded on first use, cached across pages): "
        f"{report['runtime_bytes'] / 2**20:.1f} MiB"
    )
    if report["models"]:
        print("\n| model | size (KiB) | batch 1 (ms) | batch 64 (ms) |")
        print("| --- | ---: | ---: | ---: |")
        for name, figures in report["models"].items():
            print(
                f"| {name} | {figures['bytes'] / 1024:,.0f} | "
                f"{figures['batch_1_ms']:.1f} | {figures['batch_64_ms']:.1f} |"
            )
    if report["maths_redraw"]:
        redraw = report["maths_redraw"]
        print(
            f"\nmaths panel redraw: median {redraw['median_ms']:.1f} ms, "
            f"max {redraw['max_ms']:.1f} ms over {args.repeats}"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
