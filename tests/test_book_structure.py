"""The book's table of contents, its files and its notebooks agree with each other."""

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def toc_files() -> list[str]:
    files = [TOC["root"]]
    for part in TOC.get("parts", []):
        for chapter in part["chapters"]:
            files.append(chapter["file"])
            files.extend(section["file"] for section in chapter.get("sections", []))
    return files


def resolve(entry: str) -> Path:
    matches = [
        p for p in (ROOT / f"{entry}{ext}" for ext in (".ipynb", ".md")) if p.exists()
    ]
    assert len(matches) == 1, f"{entry} in _toc.yml matches {len(matches)} files"
    return matches[0]


NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def test_every_toc_entry_has_a_file():
    for entry in toc_files():
        resolve(entry)


def test_every_page_in_book_is_in_the_toc():
    listed = {resolve(entry) for entry in toc_files()}
    pages = set((ROOT / "book").glob("*.ipynb")) | set((ROOT / "book").glob("*.md"))
    orphans = sorted(p.name for p in pages - listed)
    assert not orphans, f"pages missing from _toc.yml: {orphans}"


def test_chapters_are_numbered_in_toc_order():
    chapters = [e for e in toc_files() if (ROOT / f"{e}.ipynb").exists()]
    assert chapters == sorted(chapters)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_the_colab_setup_cell(path):
    first = json.loads(NOTEBOOKS[0].read_text())["cells"][0]
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["cell_type"] == "code"
    assert "".join(cell["source"]) == "".join(first["source"]), "set-up cells differ"
    assert "google.colab" in "".join(cell["source"])
    assert f"git+{CONFIG['repository']['url']}" in "".join(cell["source"])
    assert "remove-cell" in cell["metadata"].get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_small(path):
    notebook = json.loads(path.read_text())
    assert path.stat().st_size < 300_000
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            assert "image/png" not in output.get("data", {}), (
                "commit notebooks without figures"
            )
        if cell.get("outputs"):
            assert "NBVAL_CHECK_OUTPUT" in "".join(cell["source"]), (
                "only checked cells keep outputs"
            )


def test_config_points_at_the_bibliography_and_executes_with_cache():
    assert (ROOT / CONFIG["bibtex_bibfiles"][0]).exists()
    assert CONFIG["execute"]["execute_notebooks"] == "cache"
    assert CONFIG["execute"]["allow_errors"] is False
    assert CONFIG["launch_buttons"]["colab_url"].startswith(
        "https://colab.research.google.com"
    )


def markdown(cell) -> str:
    return "".join(cell["source"]) if cell["cell_type"] == "markdown" else ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_opens_with_goals_and_ends_with_summary_and_exercises(path):
    cells = json.loads(path.read_text())["cells"]
    opening = markdown(cells[1])
    assert opening.startswith("# "), "the first markdown cell holds the chapter title"
    assert "You will learn" in opening and "assumes" in opening
    headings = [
        line
        for cell in cells
        for line in markdown(cell).splitlines()
        if line.startswith("## ")
    ]
    assert "## Summary" in headings and "## Exercises" in headings
    start = next(i for i, c in enumerate(cells) if "## Exercises" in markdown(c))
    exercises = "".join(markdown(c) for c in cells[start:])
    assert "{toggle}" in exercises, "solutions sit behind a toggle"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_widget_panels_have_a_static_stand_in(path):
    """A panel cannot run on the static site.

    Its output is removed, and a note before it says where it is live.
    """
    cells = json.loads(path.read_text())["cells"]
    for index, cell in enumerate(cells):
        # A hidden cell (e.g. one that clicks a panel) is not shown, so needs no note.
        hidden = "remove-cell" in cell["metadata"].get("tags", [])
        if (
            cell["cell_type"] == "code"
            and "_panel(" in "".join(cell["source"])
            and not hidden
        ):
            assert "remove-output" in cell["metadata"].get("tags", []), f"cell {index}"
            before = "".join(markdown(c) for c in cells[:index])
            assert "live in Colab or JupyterLab" in before, (
                f"cell {index} has no note before it"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_display_math_stands_apart_from_prose(path):
    """A $$ line glued to a line of prose makes MyST swallow the prose into the math."""
    for cell in json.loads(path.read_text())["cells"]:
        lines = markdown(cell).split("\n")
        opening = True
        for i, line in enumerate(lines):
            if line.strip() != "$$":
                continue
            neighbour = (
                lines[i - 1]
                if opening
                else (lines[i + 1] if i + 1 < len(lines) else "")
            )
            assert (opening and i == 0) or neighbour.strip() == "", (
                f"{path.name}: $$ at line {i} touches prose"
            )
            opening = not opening


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_glued_number_in_the_prose_is_computed_by_the_chapter(path):
    # {glue:text}`name:format` in a sentence needs glue("name", ...) in a code cell of
    # the same chapter (helpers.page.glue); a name glued twice would be ambiguous.
    import re

    cells = json.loads(path.read_text())["cells"]
    prose = "".join(markdown(cell) for cell in cells)
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    used = set(re.findall(r"\{glue(?::\w+)?\}`([A-Za-z0-9_]+)", prose))
    glued = re.findall(r"\bglue\(\s*[\"']([A-Za-z0-9_]+)[\"']", code)
    assert used <= set(glued), f"used but never glued: {sorted(used - set(glued))}"
    twice = sorted({name for name in glued if glued.count(name) > 1})
    assert not twice, f"glued more than once: {twice}"
