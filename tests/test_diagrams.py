"""helpers.diagrams: each diagram is dark ink on white, and a chapter shows it."""

from __future__ import annotations

import inspect
from pathlib import Path

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from helpers import diagrams

ROOT = Path(__file__).resolve().parent.parent
PRIMITIVES = {"canvas", "box", "arrow"}
DIAGRAMS = sorted(
    name
    for name, function in inspect.getmembers(diagrams, inspect.isfunction)
    if function.__module__ == diagrams.__name__
    and not name.startswith("_")
    and name not in PRIMITIVES
)
CHAPTERS = "".join(p.read_text() for p in sorted((ROOT / "book").glob("*.ipynb")))


def test_primitives_draw_and_reject_unknown_roles():
    fig, ax = diagrams.canvas(4, 2)
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    diagrams.box(ax, 1, 1, "encoder", role="model")
    diagrams.arrow(ax, (1.8, 1), (3, 1), "code")
    assert len(ax.patches) == 2 and [t.get_text() for t in ax.texts] == [
        "encoder",
        "code",
    ]
    with pytest.raises(ValueError, match="role='decoder'.*data, model"):
        diagrams.box(ax, 1, 1, "x", role="decoder")
    plt.close(fig)


@pytest.mark.parametrize("name", DIAGRAMS)
def test_each_diagram_is_dark_ink_on_white_and_shown_by_a_chapter(name):
    figure = getattr(diagrams, name)()
    assert isinstance(figure, Figure)
    assert figure.get_facecolor()[:3] == (1.0, 1.0, 1.0), "white, for both themes"
    texts = [t for ax in figure.axes for t in ax.texts if t.get_text().strip()]
    assert texts, "a diagram labels its parts"
    for text in texts:  # dark ink: readable on white, whatever the site's theme
        red, green, blue = mcolors.to_rgb(text.get_color())
        assert 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5, text.get_text()
    assert f"diagrams.{name}(" in CHAPTERS, f"no chapter shows diagrams.{name}"
    plt.close(figure)
