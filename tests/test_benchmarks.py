"""The benchmark scripts run from a checkout with one command each and print their
tables.

Their figures are not checked here (speed belongs in the scripts, not in timed tests):
each script runs at the smallest settings it takes, and its printed table and JSON must
be whole.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sitekit import needs_chromium

ROOT = Path(__file__).resolve().parent.parent


def run_script(name: str, *args: str, cache: Path) -> str:
    env = {
        **os.environ,
        "GANBOOK_BUDGET": "quick",
        "GANBOOK_CACHE": str(cache),
        "TQDM_DISABLE": "1",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_gan_speed_prints_both_loops_and_their_ratio(tmp_path):
    out = tmp_path / "speed.json"
    arguments = "--steps 2 --warmup 1 --repeats 1 --device cpu --json".split()
    text = run_script("gan_speed.py", *arguments, str(out), cache=tmp_path)
    rows = json.loads(out.read_text())
    assert [row["model"] for row in rows] == ["mlp", "dcgan"]
    for row in rows:
        assert row["source_images_per_s"] > 0 and row["book_images_per_s"] > 0
        assert row["speedup"] == pytest.approx(
            row["book_images_per_s"] / row["source_images_per_s"], rel=0.01
        )
        assert f"| {row['model']} | cpu" in text
    mlp, dcgan = rows
    assert mlp["book_channels_last_images_per_s"] is None
    assert dcgan["book_channels_last_images_per_s"] > 0


def test_book_cost_runs_a_chapter_and_prints_its_row(tmp_path):
    out = tmp_path / "cost.json"
    text = run_script(
        "book_cost.py",
        "--budget",
        "quick",
        "--only",
        "01_generative_models",
        "--json",
        str(out),
        "--keep",
        str(tmp_path / "executed"),
        cache=tmp_path,
    )
    table = json.loads(out.read_text())
    assert table["budget"] == "quick"
    assert [row["chapter"] for row in table["rows"]] == ["01_generative_models"]
    assert table["rows"][0]["seconds"] > 0 and table["rows"][0]["peak_mib"] > 50
    assert "| 01_generative_models |" in text and "| total |" in text
    executed = json.loads(
        (tmp_path / "executed" / "01_generative_models.ipynb").read_text()
    )
    assert any(
        cell.get("outputs") for cell in executed["cells"] if cell["cell_type"] == "code"
    )


def test_compare_generators_prints_the_book_table_as_json(tmp_path):
    out = tmp_path / "table.json"
    text = run_script("compare_generators.py", "--out", str(out), cache=tmp_path)
    table = json.loads(out.read_text())
    assert json.loads(text) == table
    names = [row["generator"] for row in table["rows"]]
    assert names[0] == "real training digits (floor)"
    assert {"MLP GAN", "least-squares MLP GAN", "DCGAN", "paper's DCGAN"} <= set(names)
    assert names[-2:] == [
        "WGAN-GP (MLP networks)",
        "conditional GAN, every digit asked",
    ]
    assert len(names) == 10
    for row in table["rows"]:
        assert row["frechet"] >= 0 and 1 <= row["score"] <= 10
        assert sum(row["histogram"]) == table["samples"]
        assert 1 <= row["classes_covered"] <= 10
    assert table["dcgan_steps"] > 0 and table["paper_dcgan_steps"] > 0
    assert table["target_dcgan_steps"] > 0
    assert table["mlp_gan_flops"] > 0
    steps = {row["generator"]: row["training_steps"] for row in table["rows"]}
    assert steps["DCGAN"] == table["dcgan_steps"] and steps[names[0]] is None


@needs_chromium
def test_page_speed_prints_weights_and_in_page_speeds(site, tmp_path):
    out = tmp_path / "page.json"
    text = run_script(
        "page_speed.py", "--repeats", "2", "--json", str(out), cache=tmp_path
    )
    report = json.loads(out.read_text())
    chapters = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(page.split("/")[-1] for page in report["pages"]) == chapters
    for page, figures in report["pages"].items():
        assert 0 < figures["gzip_bytes"] < figures["bytes"], page
        assert f"| {page} |" in text
    assert report["runtime_bytes"] > 1_000_000
    assert report["maths_redraw"]["median_ms"] > 0
    for name, figures in report["models"].items():
        assert figures["batch_1_ms"] > 0 and figures["batch_64_ms"] > 0, name
        assert f"| {name} |" in text
