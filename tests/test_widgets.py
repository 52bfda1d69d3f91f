import ipywidgets as W
import matplotlib

matplotlib.use("Agg")

import pytest

from helpers import widgets


def test_train_panel_calls_the_action_with_current_values():
    calls = []
    lr = W.FloatSlider(value=0.1, min=0.0, max=1.0)
    epochs = W.IntSlider(value=2, min=1, max=10)
    panel = widgets.train_panel(
        {"lr": lr, "epochs": epochs}, lambda **kw: calls.append(kw)
    )
    assert calls == []  # nothing trains until the button is pressed
    epochs.value = 5
    panel.button.click()
    assert calls == [{"lr": 0.1, "epochs": 5}]
    assert panel.controls == {"lr": lr, "epochs": epochs}


def test_live_panel_redraws_on_every_change():
    calls = []
    temperature = W.FloatSlider(value=1.0, min=0.1, max=2.0)
    widgets.live_panel(
        {"temperature": temperature}, lambda **kw: calls.append(kw["temperature"])
    )
    temperature.value = 0.5
    assert calls == [0.5]


def test_panels_need_controls():
    with pytest.raises(ValueError, match="controls"):
        widgets.train_panel({}, print)
    with pytest.raises(ValueError, match="controls"):
        widgets.live_panel({}, print)


def test_show_displays_the_panel(monkeypatch):
    shown = []
    monkeypatch.setattr(widgets, "display", shown.append)
    panel = widgets.train_panel({"x": W.IntSlider()}, print)
    widgets.show(panel)
    assert shown == [panel]
