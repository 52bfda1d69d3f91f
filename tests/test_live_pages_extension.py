"""_ext/live_pages.py: the build serves the runtime and the exports, and refuses a page
that names a panel with no module."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
from sphinx.errors import ExtensionError

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("live_pages", ROOT / "_ext/live_pages.py")
live_pages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(live_pages)


def fake_app(outdir: Path) -> SimpleNamespace:
    return SimpleNamespace(outdir=str(outdir), builder=SimpleNamespace(format="html"))


@pytest.fixture
def site(tmp_path, monkeypatch):
    out = tmp_path / "html"
    (out / "_static/live/panels").mkdir(parents=True)
    (out / "_static/live/panels/known.js").write_text("export function mount() {}")
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in live_pages.ORT_FILES:
        (dist / name).write_bytes(b"runtime")
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "frames.json").write_text("{}")
    (assets / "half.partial").write_text("interrupted")
    monkeypatch.setattr(live_pages, "ORT_DIST", dist)
    monkeypatch.setenv("GANBOOK_PAGE_ASSETS", str(assets))
    return out


def test_runtime_and_exports_are_copied_into_the_site(site):
    (site / "page.html").write_text('<div class="ganbook-live" data-panel="known">')
    (site / "_static/live/data").mkdir()
    (site / "_static/live/data/stale.json").write_text("{}")
    live_pages._copy_assets(fake_app(site), None)
    for name in live_pages.ORT_FILES:
        assert (site / "_static/ort" / name).read_bytes() == b"runtime"
    assert (site / "_static/live/live.js").read_bytes() == (
        live_pages.STATIC / "live/live.js"
    ).read_bytes()
    data = sorted(p.name for p in (site / "_static/live/data").iterdir())
    assert data == ["frames.json"]  # no stale export, no half-written file


def test_a_page_naming_an_unknown_panel_fails_the_build(site):
    (site / "page.html").write_text('<div class="ganbook-live" data-panel="missing">')
    with pytest.raises(ExtensionError, match="missing"):
        live_pages._copy_assets(fake_app(site), None)


def test_a_missing_runtime_fails_the_build_with_the_fix(site, monkeypatch, tmp_path):
    monkeypatch.setattr(live_pages, "ORT_DIST", tmp_path / "nowhere")
    with pytest.raises(ExtensionError, match="npm ci"):
        live_pages._copy_assets(fake_app(site), None)


def test_nothing_is_copied_after_a_failed_build(site):
    live_pages._copy_assets(fake_app(site), RuntimeError("a cell failed"))
    assert not (site / "_static/ort").exists()
