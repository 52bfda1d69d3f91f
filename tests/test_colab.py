"""The Colab door, as a reader meets it.

Every chapter runs at the quick budget in a stand-in for Colab's runtime (Python 3.12,
ipywidgets 7.7.1, numpy 2.0.2 and the rest of ``tests/colab-runtime.txt``; see
``tests/colabkit.py``), in a kernel that has ``google.colab`` imported, from a folder
outside the checkout and with a fresh home: no data, no trained models. The chapter's
first cell pip-installs the helpers from a local clone of this repository, as it does
from GitHub in Colab; the data comes over HTTP from a mirror on 127.0.0.1. After the
chapter, every widget panel it made is driven once under ipywidgets 7.7, and at the end
the preinstalled versions must be unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from colabkit import colab_env, installed, site_packages, write_kernel_spec
from datakit import SOURCE, mirror

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
CONFIG_URL = "git+https://github.com/ganbook/generative-deep-learning"

# Appended to each chapter: drive every panel once, as a reader would, and report.
# A panel's action runs inside an ipywidgets Output, which shows an error instead of
# raising it, so errors are collected from IPython's showtraceback.
DRIVE_PANELS = """\
import json, traceback
import ipywidgets as W
import matplotlib.pyplot as plt
import helpers

redrawn = []  # a panel ends each run with plt.show(): count them
show = plt.show
plt.show = lambda *args, **kwargs: (redrawn.append(1), show(*args, **kwargs))

errors = []
get_ipython().showtraceback = lambda *a, **k: errors.append(traceback.format_exc())
# Every live widget: ipywidgets 8 keeps them in _instances, 7 in Widget.widgets.
made = getattr(W.widgets.widget, "_instances", None) or W.Widget.widgets
panels = [w for w in list(made.values()) if hasattr(w, "controls")]
silent = 0  # panels whose action drew nothing
for panel in panels:
    drawn = len(redrawn)
    if hasattr(panel, "button"):  # a train panel: its shortest run, then a click
        for control in panel.controls.values():
            if control.description in ("epochs", "steps"):
                control.value = control.min
        panel.button.click()
    else:  # a live panel: move its first control
        control = next(iter(panel.controls.values()))
        if isinstance(control, W.Text):
            control.value += " love"
        elif hasattr(control, "options"):
            control.index = (control.index + 1) % len(control.options)
        else:
            control.value = control.min if control.value == control.max else control.max
    silent += len(redrawn) == drawn
print("REPORT", json.dumps({"ipywidgets": W.__version__, "helpers": helpers.__file__,
                  "panels": len(panels), "silent": silent, "errors": errors}))
"""


def snapshot_clone(destination: Path) -> Path:
    """A git repository holding this checkout's files as they are now (committed or
    not), as a reader's pip meets the repository on GitHub."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost"]
    subprocess.run(git + ["init", "-q"], cwd=destination, check=True)
    subprocess.run(git + ["add", "-A"], cwd=destination, check=True)
    subprocess.run(
        git + ["commit", "-q", "-m", "snapshot"], cwd=destination, check=True
    )
    return destination


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """The runtime, a kernel spec for it, the clone and the data mirror."""
    env = colab_env()
    # A fresh runtime: without the helpers an earlier run of this test installed.
    subprocess.run(
        [
            str(env / "bin" / "python"),
            "-m",
            "pip",
            "uninstall",
            "-q",
            "-y",
            "ganbook-helpers",
        ],
        check=True,
    )
    before = installed(env)
    assert "ganbook-helpers" not in before
    work = tmp_path_factory.mktemp("colab")
    clone = snapshot_clone(work / "repository")
    (work / "content").mkdir()  # Colab's working folder, outside the checkout
    with mirror(SOURCE) as (url, requested):
        keep = {k: v for k, v in os.environ.items() if not k.startswith("GANBOOK_")}
        for name in ("PYTHONPATH", "VIRTUAL_ENV", "MPLBACKEND", "TQDM_DISABLE"):
            keep.pop(name, None)
        environment = {
            **keep,
            "HOME": str(work / "home"),  # so data and models start from nothing
            "PATH": f"{env / 'bin'}:{os.environ['PATH']}",
            "GANBOOK_BUDGET": "quick",
            "GANBOOK_MIRROR": url,
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # ipykernel's debugger warning
        }
        yield {
            "env": env,
            "before": before,
            "work": work,
            "clone": clone,
            "specs": write_kernel_spec(env, work / "kernels"),
            "environment": environment,
            "requested": requested,
        }


def run_in_colab(colab, chapter: Path) -> dict:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    notebook = nbformat.read(chapter, as_version=4)
    first = notebook.cells[0].source
    assert first.count(CONFIG_URL) == 1, "the set-up cell installs from the repository"
    notebook.cells[0].source = first.replace(CONFIG_URL, f"git+file://{colab['clone']}")
    notebook.cells.append(nbformat.v4.new_code_cell(DRIVE_PANELS))
    manager = KernelManager(
        kernel_name="colab",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(colab["specs"])]),
    )
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=900,
        resources={"metadata": {"path": str(colab["work"] / "content")}},
    )
    client.execute(env=colab["environment"])
    return notebook


def text_of(cell) -> str:
    if cell.cell_type != "code":
        return ""
    return "".join(
        output.get("text", "")
        for output in cell.outputs
        if output.output_type == "stream"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_chapter_runs_in_colab(colab, chapter):
    notebook = run_in_colab(colab, chapter)
    setup = text_of(notebook.cells[0])
    assert "Installing the book's helpers" in setup and "Installed in" in setup
    everything = "".join(text_of(cell) for cell in notebook.cells)
    assert everything.count("This runtime has no GPU") == 1, "told once, at the top"
    printed = text_of(notebook.cells[-1])
    reports = [line for line in printed.splitlines() if line.startswith("REPORT ")]
    assert len(reports) == 1, printed
    report = json.loads(reports[0].removeprefix("REPORT "))
    assert report["ipywidgets"] == "7.7.1"
    # The helpers come from the pip install, not from the checkout.
    assert Path(report["helpers"]).is_relative_to(site_packages(colab["env"]))
    source = "".join(c.source for c in notebook.cells[:-1] if c.cell_type == "code")
    assert report["panels"] == source.count("train_panel(") + source.count(
        "live_panel("
    )
    assert report["errors"] == [], "\n".join(report["errors"])
    assert report["silent"] == 0, "every panel, driven once, draws"
    # The data a chapter read was downloaded into the default data root, ~/ganbook-data,
    # through the mirror, as a first run in Colab downloads it.
    root = colab["work"] / "home" / "ganbook-data"
    fetched = {f"/{p.relative_to(root)}" for p in root.rglob("*") if p.is_file()}
    assert fetched <= set(colab["requested"])
    if "mnist(" in source:
        assert any(path.startswith("/MNIST/raw/") for path in fetched)
    assert "Traceback" not in printed, printed


def test_colab_keeps_its_preinstalled_versions(colab):
    after = installed(colab["env"])
    added = {name: after[name] for name in after.keys() - colab["before"].keys()}
    assert set(added) <= {"ganbook-helpers"}, f"installed besides the helpers: {added}"
    changed = {
        name: (version, after.get(name))
        for name, version in colab["before"].items()
        if after.get(name) != version
    }
    assert changed == {}, f"the helpers' install changed Colab's packages: {changed}"
