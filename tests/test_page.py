"""helpers.page: what the build exports for the kernel-free panels."""

import html
import json
import re

import numpy as np
import onnxruntime
import pytest
import torch
from PIL import Image
from torch import nn

from helpers import page
from helpers.nets import mlp


@pytest.fixture
def assets(tmp_path, monkeypatch):
    folder = tmp_path / "assets"
    monkeypatch.setenv(page.ASSETS_VARIABLE, str(folder))
    return folder


def test_nothing_is_written_outside_the_build(monkeypatch, tmp_path):
    monkeypatch.delenv(page.ASSETS_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    assert page.assets_folder() is None
    assert page.export_json("numbers", {"a": 1}) is None
    assert page.export_onnx("g", nn.Linear(2, 3), torch.zeros(1, 2)) is None
    assert page.export_png("grid", torch.zeros(2, 1, 4, 4)) is None
    assert list(tmp_path.iterdir()) == []


def test_onnx_export_matches_pytorch_and_stores_half_weights(assets):
    torch.manual_seed(0)
    generator = mlp([8, 64, 64, 16], negative_slope=0.2, last=nn.Tanh())
    inputs = torch.randn(5, 8)
    report = page.export_onnx("tiny-gan", generator, inputs)
    assert report["precision"] == "float16"
    assert report["max_difference"] <= page.TOLERANCE
    model = (assets / "tiny-gan.onnx").read_bytes()
    assert report["bytes"] == len(model)
    session = onnxruntime.InferenceSession(model)
    batch = torch.randn(3, 8)  # the batch size stays free
    got = session.run(None, {"input": batch.numpy()})[0]
    want = generator(batch).detach().numpy()
    assert got.shape == (3, 16)
    assert np.abs(got - want).max() <= page.TOLERANCE
    check = json.loads((assets / "tiny-gan.check.json").read_text())
    assert check["input_shape"] == [5, 8] and check["output_shape"] == [5, 16]
    assert np.allclose(check["output"], generator(inputs).detach().numpy(), atol=1e-6)


def test_half_weights_halve_the_file(assets):
    torch.manual_seed(0)
    generator = mlp([32, 256, 256], last=nn.Tanh())
    page.export_onnx("half", generator, torch.randn(2, 32))
    weights = sum(p.numel() for p in generator.parameters())
    size = (assets / "half.onnx").stat().st_size
    assert size < 2.4 * weights  # float32 would take 4 bytes a weight


def test_onnx_keeps_float32_when_half_weights_miss_the_tolerance(assets):
    torch.manual_seed(0)
    generator = mlp(
        [8, 64, 16]
    )  # no squashing: outputs of order 1, float16 misses 1e-6
    report = page.export_onnx("exact", generator, torch.randn(4, 8), tolerance=1e-6)
    assert report["precision"] == "float32"


def test_export_leaves_the_chapters_model_where_it_was(assets):
    generator = mlp([4, 8, 4])
    generator.train()
    page.export_onnx("mode", generator, torch.randn(2, 4))
    assert generator.training
    assert next(generator.parameters()).device.type == "cpu"


def test_json_export_rounds_tensors_and_refuses_nan(assets):
    size = page.export_json(
        "numbers",
        {"points": torch.tensor([[0.123456, 1.0]]), "gap": float("nan"), "n": 3},
    )
    data = json.loads((assets / "numbers.json").read_text())
    assert size == len((assets / "numbers.json").read_text())
    assert data == {"points": [[0.1235, 1.0]], "gap": None, "n": 3}
    assert [p.name for p in assets.iterdir()] == ["numbers.json"]  # nothing partial
    assert (assets / "numbers.json").stat().st_mode & 0o777 == 0o644  # servable


def test_png_export_is_a_grid_without_padding(assets):
    images = torch.linspace(-1, 1, 6 * 28 * 28).reshape(6, 1, 28, 28)
    page.export_png("grid", images, columns=3)
    picture = Image.open(assets / "grid.png")
    assert picture.size == (3 * 28, 2 * 28)
    with pytest.raises(ValueError, match="images must be"):
        page.export_png("grid", torch.zeros(28, 28))


@pytest.mark.parametrize("name", ["", "Upper", "has space", "../escape", "x" * 65])
def test_bad_names_are_refused(assets, name):
    with pytest.raises(ValueError, match="name="):
        page.export_json(name, {})


def test_live_places_a_panel_with_its_options():
    shown = page.live("gan-maths", mean=1.5, label='say "hi" <b>')
    match = re.search(r'data-panel="gan-maths" data-options="([^"]*)"', shown.data)
    assert match
    assert json.loads(html.unescape(match.group(1))) == {
        "mean": 1.5,
        "label": 'say "hi" <b>',
    }
    assert "ganbook-live-note" in shown.data
    with pytest.raises(ValueError, match="panel="):
        page.live("Not a name")


def test_glue_records_plain_numbers_for_the_prose(monkeypatch):
    import myst_nb

    recorded = []
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display: recorded.append((name, value))
    )
    assert page.glue("test_elbo", torch.tensor(-105.5)) == -105.5
    assert page.glue("classes", np.int64(10)) == 10
    assert page.glue("verdict", "ahead") == "ahead"
    assert recorded == [("test_elbo", -105.5), ("classes", 10), ("verdict", "ahead")]
    assert type(recorded[1][1]) is int  # formats such as {glue:text}`classes:d` work
    with pytest.raises(TypeError, match="'table' is a list"):
        page.glue("table", [1, 2])
    with pytest.raises(ValueError, match="name='Bad Name'"):
        page.glue("Bad Name", 1.0)


def test_glue_without_myst_nb_returns_the_value(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "myst_nb", None)  # as in Colab
    assert page.glue("score", 7.72) == 7.72
