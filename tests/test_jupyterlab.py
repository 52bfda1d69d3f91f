"""Chapters read as a reader reads them locally: in a real JupyterLab.

A JupyterLab server runs on 127.0.0.1 (a copy of ``book/`` as its root, the kernel at
the quick budget, importing ``helpers`` from this checkout) and headless Chromium opens
a chapter, runs every cell through JupyterLab's own "Run All Cells" command, then moves
a control of the chapter's ipywidgets panel the way a reader would (keys on a slider's
handle, a click on a button). The panel's output area must then show a new figure:
this checks the widget front end (``jupyterlab_widgets``), the comm between page and
kernel, and ``helpers.widgets``' callbacks together, which the unit tests of
``test_widgets.py`` cannot.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import NoReturn

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sitekit import ROOT, chromium, needs_chromium

pytestmark = needs_chromium

TOKEN = "ganbook-jupyterlab-test"
# A chapter runs in about 10-30 s of CPU at the quick budget; a busy runner is slower.
RUN_TIMEOUT = 300
TRAIN_TIMEOUT = 150


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving a copy of the chapters.

    The copy keeps the checkout clean (JupyterLab saves and checkpoints notebooks);
    Jupyter's user folders are temporary too, so no reader's settings or workspace
    interfere, while the kernel spec and lab extensions (ipywidgets' widget manager)
    are still found in the environment's own ``share/jupyter``.
    """
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.fail(
            f"jupyterlab is not installed for {sys.executable}; it is in "
            "requirements.txt (make install)"
        )
    home = tmp_path_factory.mktemp("jupyterlab")
    book = home / "book"
    book.mkdir()
    for notebook in (ROOT / "book").glob("*.ipynb"):
        shutil.copy(notebook, book)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        ),
        "GANBOOK_BUDGET": "quick",
        "TQDM_DISABLE": "1",
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    env.pop("GANBOOK_PAGE_ASSETS", None)  # the kernel must not write the site's assets
    port = _free_port()
    log_path = home / "server.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI containers run as root
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={book}",
        f"--IdentityProvider.token={TOKEN}",
        # window.jupyterapp: the test runs JupyterLab's commands through it
        "--LabApp.expose_app_in_browser=True",
        # offline and quiet: no news, no update check, no PyPI extension manager
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            command, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_server(server, base, log_path)
        yield SimpleNamespace(base=base, home=home, log=log_path)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_for_server(server, base: str, log_path: Path, timeout: float = 90) -> None:
    request = urllib.request.Request(
        f"{base}/api/status", headers={"Authorization": f"token {TOKEN}"}
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"jupyter lab exited with status {server.returncode}:\n"
                + log_path.read_text()[-3000:]
            )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(
        f"jupyter lab did not answer in {timeout} s:\n" + log_path.read_text()[-3000:]
    )


@pytest.fixture(scope="module")
def lab_browser():
    with chromium() as driver:
        driver.set_window_size(1400, 1000)
        yield driver


# Every script starts by finding the chapter's notebook panel among JupyterLab's tabs.
FIND_PANEL = """
const app = window.jupyterapp;
const panel = app && Array.from(app.shell.widgets('main')).find(
    w => w.context && w.context.path === arguments[0]);
"""


def _wait(browser, lab, script: str, name: str, timeout: float, what: str):
    """Poll ``script`` (run after FIND_PANEL) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = browser.execute_script(FIND_PANEL + script, name)
        if result:
            return result
        time.sleep(0.5)
    _fail(browser, lab, name, f"{name}: timed out after {timeout} s waiting for {what}")


def _fail(browser, lab, name: str, message: str) -> NoReturn:
    """Fail with ``message``, keeping a screenshot of the page for the reader."""
    shot = lab.home / f"{Path(name).stem}-failure.png"
    browser.save_screenshot(str(shot))
    pytest.fail(f"{message}\n(screenshot: {shot}; server log: {lab.log})")


def open_and_run(browser, lab, name: str):
    """Open chapter ``name`` in JupyterLab, run all its cells, check none failed.

    Returns a function that finds an element of the notebook by CSS selector and text
    (how the tests find a panel's widgets).
    """
    browser.get(f"{lab.base}/lab/tree/{name}?token={TOKEN}")
    _wait(
        browser,
        lab,
        """return panel && panel.sessionContext.isReady
            && panel.sessionContext.session.kernel.status === 'idle';""",
        name,
        120,
        "the notebook and its kernel",
    )
    browser.execute_script(
        FIND_PANEL
        + """app.shell.activateById(panel.id);
        app.commands.execute('notebook:run-all-cells');""",
        name,
    )
    # Done when no cell is queued or running and the kernel is idle, and either every
    # code cell has run or one failed (Run All stops there).
    errors = _wait(
        browser,
        lab,
        """const cells = panel.content.widgets.filter(c => c.model.type === 'code');
        if (panel.sessionContext.session.kernel.status !== 'idle'
            || cells.some(c => c.model.executionState === 'running'
                || c.node.querySelector('.jp-InputPrompt')?.textContent.includes('*')))
            return null;
        const errors = [];
        cells.forEach((cell, k) => {
            for (const out of cell.model.outputs.toJSON()) {
                if (out.output_type === 'error') errors.push(
                    `code cell ${k + 1}: ${out.ename}: ${out.evalue}\\n`
                    + out.traceback.join('\\n').replace(/\\x1b\\[[0-9;]*m/g, ''));
            }
        });
        if (errors.length) return errors;
        return cells.every(c => c.model.executionCount !== null) ? ['ok'] : null;""",
        name,
        RUN_TIMEOUT,
        "every cell to run",
    )
    if errors != ["ok"]:
        _fail(browser, lab, name, f"{name} failed in JupyterLab:\n" + "\n".join(errors))

    def find(selector: str, text: str):
        element = browser.execute_script(
            FIND_PANEL
            + """return Array.from(panel.content.node.querySelectorAll(arguments[1]))
                .find(e => e.textContent.includes(arguments[2])) || null;""",
            name,
            selector,
            text,
        )
        if element is None:
            _fail(browser, lab, name, f"{name}: no {selector} showing {text!r}")
        browser.execute_script(
            "arguments[0].scrollIntoView({block: 'center'})", element
        )
        return element

    return find


# What a panel's Output widget shows: its figures and any error or traceback.
OUTPUT_STATE = """
const output = arguments[0].querySelector('.widget-output');
const texts = Array.from(output.querySelectorAll('.jp-RenderedText'));
return {
    images: Array.from(output.querySelectorAll('img')).map(img => img.src),
    errors: texts.filter(t => /error|stderr/.test(t.dataset.mimeType || '')
        && /Traceback|Error/.test(t.textContent)).map(t => t.textContent),
};
"""


def _output_state(browser, panel) -> dict:
    return browser.execute_script(OUTPUT_STATE, panel)


def _move_slider(browser, lab, name, panel, label: str, key: str) -> str:
    """Press ``key`` once on the handle of the slider labelled ``label``; returns the
    slider's new readout (it must differ from the old one)."""
    row = next(
        (
            row
            for row in panel.find_elements(By.CSS_SELECTOR, ".widget-slider")
            if row.find_element(By.CSS_SELECTOR, ".widget-label").text == label
        ),
        None,
    )
    if row is None:
        _fail(browser, lab, name, f"{name}: no slider labelled {label!r}")
    readout = row.find_element(By.CSS_SELECTOR, ".widget-readout")
    before = readout.text
    row.find_element(By.CSS_SELECTOR, ".noUi-handle").send_keys(key)
    deadline = time.monotonic() + 10
    while readout.text == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert readout.text != before, f"the {label!r} slider did not move"
    return readout.text


def _wait_for_figure(browser, lab, name, panel, old: list[str], timeout: float):
    """Wait until the panel's output shows a figure that is not in ``old``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _output_state(browser, panel)
        if state["errors"]:
            _fail(
                browser,
                lab,
                name,
                f"{name}: the panel failed:\n" + "\n".join(state["errors"]),
            )
        if state["images"] and not set(state["images"]) & set(old):
            return state["images"]
        time.sleep(0.5)
    _fail(browser, lab, name, f"{name}: the panel drew no new figure in {timeout} s")


def test_live_panel_redraws_when_a_slider_moves(lab, lab_browser):
    """Chapter 4's explorer: each slider move redraws the densities and D*."""
    name = "04_gan_maths.ipynb"
    find = open_and_run(lab_browser, lab, name)
    panel = find(".widget-vbox", "mean G")
    # live_panel draws nothing until a control changes (the chapter draws the defaults
    # in the cell before it).
    assert _output_state(lab_browser, panel)["images"] == []
    _move_slider(lab_browser, lab, name, panel, "mean G", Keys.ARROW_RIGHT)
    first = _wait_for_figure(lab_browser, lab, name, panel, [], 60)
    # A second control, a second drawing: the panel redraws on every change.
    _move_slider(lab_browser, lab, name, panel, "std data", Keys.ARROW_LEFT)
    second = _wait_for_figure(lab_browser, lab, name, panel, first, 60)
    assert second != first


def test_train_panel_trains_when_its_button_is_pressed(lab, lab_browser):
    """Chapter 5's toy GAN: a moved control, then a click retrains and draws."""
    name = "05_toy_gan.ipynb"
    find = open_and_run(lab_browser, lab, name)
    panel = find(".widget-vbox", "Train the toy GAN")
    assert _output_state(lab_browser, panel)["images"] == []
    _move_slider(lab_browser, lab, name, panel, "Adam beta1", Keys.ARROW_RIGHT)
    button = next(
        b
        for b in panel.find_elements(By.CSS_SELECTOR, "button")
        if "Train the toy GAN" in b.text
    )
    button.click()
    _wait_for_figure(lab_browser, lab, name, panel, [], TRAIN_TIMEOUT)


def test_make_lab_opens_the_chapters_with_this_environments_jupyter():
    # The README's one command for this door; -n prints what make would run.
    commands = subprocess.run(
        ["make", "-n", "lab", "VENV=.venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".venv/bin/jupyter lab --ServerApp.root_dir=book" in commands
