"""One style everywhere: ruff's lint and format over helpers, tests, benchmarks and the
chapters, with lines that fit the rendered page's code block (88 characters)."""

import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["helpers", "tests", "benchmarks", "book", "conftest.py", "_ext"]


def ruff(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, *CHECKED],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_ruff_lint_passes():
    result = ruff("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_leaves_everything_as_it_is():
    result = ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_lines_fit_the_rendered_code_block_and_notebooks_are_checked():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    assert settings["line-length"] == 88
    assert "*.ipynb" in settings["extend-include"]


def test_ruff_catches_a_long_line(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("x = '" + "a" * 100 + "'\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
            str(bad),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "E501" in result.stdout
