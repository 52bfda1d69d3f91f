"""The Binder door: what repo2docker reads in ``binder/`` builds an environment that
runs the chapters, at a budget a free Binder CPU manages, and the launch button on every
page points at it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def requirements(path: Path) -> dict[str, str]:
    """Package name -> specifier, for the plain requirement lines of ``path``."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*([<>=!~].*)?", line)
        if match:
            found[match[1].lower()] = (match[2] or "").replace(" ", "")
    return found


def test_binder_installs_what_the_helpers_need_with_the_book_ranges():
    binder = requirements(BINDER / "requirements.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {
        re.match(r"[A-Za-z0-9_.-]+", d)[0].lower() for d in project["dependencies"]
    }
    assert needed <= binder.keys(), f"missing on Binder: {needed - binder.keys()}"
    assert {"jupyterlab", "ipykernel"} <= binder.keys()
    # The same ranges as the book's own environment, so Binder runs what CI tests.
    book = requirements(ROOT / "requirements.txt")
    differ = {name: (spec, book.get(name)) for name, spec in binder.items()}
    differ = {name: pair for name, pair in differ.items() if pair[0] != pair[1]}
    assert differ == {}, (
        f"binder/requirements.txt and requirements.txt differ: {differ}"
    )


def test_binder_takes_pytorch_from_the_cpu_index():
    text = (BINDER / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text.splitlines()


def test_binder_python_is_one_the_helpers_support():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert match, f"runtime.txt says {runtime!r}; repo2docker wants python-3.X"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floor = int(re.fullmatch(r">=3\.(\d+)", project["requires-python"])[1])
    assert int(match[1]) >= floor


def test_binder_post_build_installs_the_helpers_from_the_repository():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), (
        "repo2docker runs postBuild only if executable"
    )
    assert "pip install --no-deps -e ." in post_build.read_text()


def test_binder_start_defaults_to_the_quick_budget_and_keeps_a_readers_choice():
    start = BINDER / "start"
    assert os.access(start, os.X_OK), "repo2docker runs start only if executable"

    def budget_under_start(**environment) -> str:
        env = {k: v for k, v in os.environ.items() if k != "GANBOOK_BUDGET"}
        return subprocess.run(
            [str(start), "sh", "-c", 'echo "$GANBOOK_BUDGET"'],
            env={**env, **environment},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert budget_under_start() == "quick"
    assert budget_under_start(GANBOOK_BUDGET="full") == "full"


def test_every_page_has_a_binder_button_for_this_repository():
    buttons = CONFIG["launch_buttons"]
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["notebook_interface"] == "jupyterlab"
    assert CONFIG["repository"]["url"].startswith("https://github.com/")
