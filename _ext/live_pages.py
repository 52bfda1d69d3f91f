"""The kernel-free panels of the published page, as a local Sphinx extension.

- Serves ``_ext/static/live/`` (``live.js``, ``live.css``, one module per panel in
  ``panels/``) as ``_static/live/`` and puts the script and style on every page.
- Copies onnxruntime-web's browser build from ``node_modules`` (installed by
  ``make book`` with ``npm ci`` from the committed ``package-lock.json``) to
  ``_static/ort/``: the site serves its own runtime, no CDN.
- Copies what the chapters exported while the build executed them (the folder in
  ``GANBOOK_PAGE_ASSETS``, see ``helpers/page.py``) to ``_static/live/data/``.
- Copies the page scripts again after every build, even one that wrote no page (Sphinx
  copies static files only when it writes a page).
- Fails the build when a page names a panel that has no module, or when the runtime is
  not installed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

ROOT = Path(__file__).resolve().parent.parent
STATIC = Path(__file__).resolve().parent / "static"
# The wasm-only ES-module bundle and the one binary it loads.
ORT_FILES = ("ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm")
ORT_DIST = ROOT / "node_modules" / "onnxruntime-web" / "dist"
PANEL = re.compile(r'data-panel="([a-z0-9_-]+)"')


def assets_folder() -> Path:
    return Path(
        os.environ.get("GANBOOK_PAGE_ASSETS") or ROOT / "_build" / "page-assets"
    )


def _add_static(app) -> None:
    app.config.html_static_path.append(str(STATIC))


def _copy_assets(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    # The page scripts again: Sphinx copies static files only when some page was
    # written, so a change to a panel alone would otherwise not reach the site.
    shutil.copytree(STATIC / "live", static / "live", dirs_exist_ok=True)
    missing = [name for name in ORT_FILES if not (ORT_DIST / name).exists()]
    if missing:
        raise ExtensionError(
            f"onnxruntime-web is not installed ({', '.join(missing)} missing in "
            f"{ORT_DIST}): run `npm ci` (make book does)"
        )
    (static / "ort").mkdir(parents=True, exist_ok=True)
    for name in ORT_FILES:
        shutil.copy2(ORT_DIST / name, static / "ort" / name)
    data = static / "live" / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    source = assets_folder()
    if source.is_dir():
        for path in source.iterdir():
            if path.is_file() and not path.name.endswith(".partial"):
                shutil.copy2(path, data / path.name)
    unknown = set()
    for page in Path(app.outdir).rglob("*.html"):
        for panel in PANEL.findall(page.read_text(encoding="utf-8")):
            if not (static / "live" / "panels" / f"{panel}.js").exists():
                unknown.add(f"{panel} (in {page.relative_to(app.outdir)})")
    if unknown:
        raise ExtensionError(f"pages name panels without a module: {sorted(unknown)}")


def setup(app):
    app.connect("builder-inited", _add_static)
    app.add_js_file("live/live.js", type="module")
    app.add_css_file("live/live.css")
    app.connect("build-finished", _copy_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
