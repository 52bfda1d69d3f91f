"""`make book` executes the chapters again exactly when what they depend on changed.

jupyter-cache keys on a notebook's code cells only: without help, a change to helpers/
or to the budget would leave every chapter's old outputs on the page. The Makefile
records the budget and a hash of helpers/ beside the build and starts afresh when they
differ. Tested on a one-chapter copy of the book, with the project's own Makefile and
_config.yml; and `make install` stops when pip fails.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent
TOC = """format: jb-book
root: book/index
parts:
  - caption: Chapters
    chapters:
      - file: book/chapter
"""


@pytest.fixture
def small_book(tmp_path):
    for name in (
        "_config.yml",
        "Makefile",
        "pyproject.toml",
        "requirements.txt",
        "package.json",
        "package-lock.json",
    ):
        shutil.copy2(ROOT / name, tmp_path / name)
    # the page's runtime as make install left it (npm ci)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    for folder in ("_ext", "helpers"):
        shutil.copytree(
            ROOT / folder,
            tmp_path / folder,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    (tmp_path / "book").mkdir()
    shutil.copy2(ROOT / "book" / "references.bib", tmp_path / "book")
    (tmp_path / "book" / "index.md").write_text("# A small book\n\nOne chapter.\n")
    (tmp_path / "_toc.yml").write_text(TOC)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A chapter"),
        nbformat.v4.new_code_cell(
            "from helpers.config import budget\nprint('budget', budget('intro').budget)"
        ),
    ]
    nbformat.write(notebook, tmp_path / "book" / "chapter.ipynb")
    return tmp_path


def make_book(folder: Path, budget: str = "quick") -> str:
    environment = {**os.environ, "GANBOOK_BUDGET": budget}
    result = subprocess.run(
        # the test uses this environment as it is: install counts as done
        ["make", "book", f"VENV={VENV}", "-o", f"{VENV}/.installed"]
        + ["-o", "node_modules/.installed"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def executed(log: str) -> bool:
    # the lanes of _ext/execute_chapters.py execute; the build then only renders
    assert "chapter.ipynb: Executed notebook" not in log, "the build executed again"
    return "chapter: executed in" in log


def test_book_executes_again_after_a_change_to_helpers_or_the_budget(small_book):
    assert executed(make_book(small_book))
    assert not executed(make_book(small_book)), "nothing changed: nothing to execute"
    page = (small_book / "_build" / "html" / "book" / "chapter.html").read_text()
    assert "budget quick" in page

    with open(small_book / "helpers" / "plots.py", "a") as module:
        module.write("\n# a change to any helpers module\n")
    log = make_book(small_book)
    assert "helpers/ changed" in log and executed(log)
    assert not executed(make_book(small_book))

    log = make_book(small_book, budget="full")
    assert executed(log)
    page = (small_book / "_build" / "html" / "book" / "chapter.html").read_text()
    assert "budget full" in page


def test_make_install_stops_when_pip_fails(tmp_path):
    shutil.copy2(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copy2(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(
        ROOT / "helpers",
        tmp_path / "helpers",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (tmp_path / "requirements.txt").write_text("ganbook-no-such-package==0.0.0\n")
    result = subprocess.run(
        ["make", "install", "VENV=venv", f"PYTHON={sys.executable}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode != 0
    assert "ganbook-no-such-package" in result.stdout + result.stderr
    assert not (tmp_path / "venv" / ".installed").exists()
