"""Control panels: sliders and boxes that retrain or redraw when the reader asks.

A chapter writes the function that does the work (train, then draw) and calls it once
in an ordinary cell; the panel calls the same function with the reader's values, so the
widget path is the tested path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display


def _values(controls: Mapping[str, W.ValueWidget]) -> dict:
    return {name: control.value for name, control in controls.items()}


def _run_into(output: W.Output, action: Callable[..., object], values: dict) -> None:
    with output:
        output.clear_output(wait=True)
        action(**values)
        plt.show()


def train_panel(
    controls: Mapping[str, W.ValueWidget],
    action: Callable[..., object],
    button_label: str = "Train",
) -> W.VBox:
    """Controls, a button and an output area; a click runs ``action(**values)`` into it.

    Training can take a while, so it runs only when the button is pressed.
    """
    if not controls:
        raise ValueError("controls: give at least one widget")
    button = W.Button(description=button_label, button_style="primary", icon="play")
    output = W.Output()
    button.on_click(lambda _: _run_into(output, action, _values(controls)))
    panel = W.VBox([*controls.values(), button, output])
    # Handles for tests and readers.
    panel.button, panel.output, panel.controls = button, output, controls
    return panel


def live_panel(
    controls: Mapping[str, W.ValueWidget], action: Callable[..., object]
) -> W.VBox:
    """Controls and an output area that redraws ``action(**values)`` on every change."""
    if not controls:
        raise ValueError("controls: give at least one widget")
    output = W.Output()
    for control in controls.values():
        control.observe(
            lambda _: _run_into(output, action, _values(controls)), names="value"
        )
    panel = W.VBox([*controls.values(), output])
    panel.output, panel.controls = output, controls
    # No first drawing here: the chapter draws the defaults in an ordinary cell, and a
    # drawing into an Output widget while a build executes the notebook can stall
    # nbclient.
    return panel


def show(panel: W.Widget) -> None:
    """Display a panel (a thin alias so chapters need not import IPython)."""
    display(panel)
