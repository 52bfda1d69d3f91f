"""_ext/execute_chapters.py: every chapter executed once, in an order that trains each
shared model before the chapters that load it, in a fresh kernel in its own folder."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "_ext/execute_chapters.py"
spec = importlib.util.spec_from_file_location("execute_chapters", SCRIPT)
execute_chapters = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execute_chapters)


def test_every_chapter_of_the_toc_once():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for p in toc["parts"] for c in p["chapters"]]
    notebooks = {ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()}
    order = execute_chapters.chapters()
    assert len(order) == len(set(order)) == len(notebooks) >= 9
    assert set(order) == notebooks


def test_chapters_that_load_a_model_start_after_the_chapter_that_trains_it():
    names = [p.stem for p in execute_chapters.chapters()]
    before = {
        "07_lsgan": ["06_mnist_gan"],
        "09_wgan": ["06_mnist_gan", "07_lsgan"],
        "08_dcgan": ["02_autoencoders", "03_vae", "07_lsgan"],
        "10_cgan": ["02_autoencoders", "03_vae", "07_lsgan", "08_dcgan", "09_wgan"],
    }
    for chapter, prerequisites in before.items():
        for prerequisite in prerequisites:
            assert names.index(prerequisite) < names.index(chapter)


def test_a_chapter_runs_in_its_own_folder_and_errors_are_reported(tmp_path):
    (tmp_path / "beside.txt").write_text("found")
    good = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("print(open('beside.txt').read())")]
    )
    nbformat.write(good, tmp_path / "good.ipynb")
    text, seconds, error = execute_chapters.execute(tmp_path / "good.ipynb", 60)
    assert error is None and seconds > 0
    outputs = nbformat.reads(text, as_version=4).cells[0].outputs
    assert outputs[0]["text"] == "found\n"

    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nbformat.write(bad, tmp_path / "bad.ipynb")
    _, _, error = execute_chapters.execute(tmp_path / "bad.ipynb", 60)
    assert "ZeroDivisionError" in error


@pytest.mark.parametrize("lanes", ["0", "-1"])
def test_lanes_below_one_are_refused(lanes):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--lanes", lanes], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert f"--lanes={lanes}: allowed 1 or more" in result.stderr
