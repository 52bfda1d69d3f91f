"""A stand-in for Google Colab's runtime, for tests/test_colab.py.

A Python 3.12 environment in ``.cache/colab-env`` with the packages Colab has
preinstalled (``tests/colab-runtime.txt``), a module ``google.colab`` and an IPython
start-up file that imports it, as Colab's kernel does, so a chapter's first cell takes
its Colab path. ``python tests/colabkit.py`` builds it ahead of the tests (``.ci/run``
does that in the background while the book builds); the tests build it if it is
missing or was built from another runtime file.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "tests" / "colab-runtime.txt"
ENV = ROOT / ".cache" / "colab-env"
PYTHON_VERSION = "3.12"


def find_python() -> str:
    """A Python 3.12 interpreter: one of pyenv's, or one on the PATH that runs."""
    pattern = f"~/.pyenv/versions/{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}"
    candidates = [
        *sorted(glob.glob(os.path.expanduser(pattern))),
        shutil.which(f"python{PYTHON_VERSION}"),
    ]
    for candidate in filter(None, candidates):
        version = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if version == PYTHON_VERSION:  # a pyenv shim may exist and not run
            return candidate
    raise RuntimeError(
        f"the Colab test needs Python {PYTHON_VERSION} (Colab's); none runs among "
        f"{candidates}"
    )


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a second builder waits for the first
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def site_packages(env: Path) -> Path:
    return env / "lib" / f"python{PYTHON_VERSION}" / "site-packages"


def colab_env() -> Path:
    """The environment's folder, built first if it is missing or out of date."""
    wanted = RUNTIME.read_text()
    stamp = ENV / ".runtime"
    with _locked(ENV.parent / "colab-env.lock"):
        if stamp.exists() and stamp.read_text() == wanted:
            return ENV
        shutil.rmtree(ENV, ignore_errors=True)
        subprocess.run([find_python(), "-m", "venv", str(ENV)], check=True)
        python = str(ENV / "bin" / "python")
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True
        )
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "-r", str(RUNTIME)], check=True
        )
        colab = site_packages(ENV) / "google" / "colab"
        colab.mkdir(parents=True)
        (colab / "__init__.py").write_text(
            '"""Stands in for Colab\'s module, which its kernel has imported."""\n'
        )
        startup = ENV / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-colab.py").write_text("import google.colab  # as Colab's does\n")
        stamp.write_text(wanted)
    return ENV


def write_kernel_spec(env: Path, folder: Path) -> Path:
    """A kernel spec named ``colab`` under ``folder`` that starts ``env``'s Python with
    Colab's start-up; returns the folder of kernel specs. (The rest of the kernel's
    environment is what the test passes when it starts the kernel.)"""
    spec = folder / "colab"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(env / "bin" / "python"),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Colab stand-in",
                "language": "python",
                "env": {"IPYTHONDIR": str(env / "ipython")},
            }
        )
    )
    return folder


def installed(env: Path) -> dict[str, str]:
    """Every package in ``env`` and its version."""
    listing = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {item["name"].lower(): item["version"] for item in json.loads(listing)}


if __name__ == "__main__":
    print("Colab stand-in ready:", colab_env(), file=sys.stderr)
