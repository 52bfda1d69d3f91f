import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers import plots


def test_image_grid_maps_tanh_range_to_unit():
    images = torch.full((6, 1, 28, 28), -1.0)
    images[0] = 1.0
    grid = plots.image_grid(images, nrow=3, padding=2)
    assert grid.shape == (2 * 30 + 2, 3 * 30 + 2, 3)
    assert grid.min() >= 0 and grid.max() <= 1
    assert np.allclose(grid[2:30, 2:30], 1.0) and np.allclose(grid[2:30, 32:60], 0.0)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        plots.image_grid(torch.zeros(28, 28))


def test_show_images_writes_labels():
    ax = plots.show_images(
        torch.rand(4, 1, 28, 28), nrow=2, labels=[3, 1, 4, 1], title="digits"
    )
    assert [t.get_text() for t in ax.texts] == ["3", "1", "4", "1"]
    assert ax.get_title() == "digits"
    plt.close("all")


def test_plot_losses_smooths():
    ax = plots.plot_losses(
        {"d": [1.0, 3.0, 1.0, 3.0], "g": [0.0, 0.0, 0.0, 0.0]}, smooth=2
    )
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["d", "g"]
    assert np.allclose(lines[0].get_ydata(), [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="smooth=0"):
        plots.plot_losses({"d": [1.0]}, smooth=0)
    plt.close("all")


def test_plot_codes_draw_3d_and_2d_scatters_coloured_by_digit():
    codes, labels = torch.randn(50, 3), torch.arange(50) % 10
    fig = plots.plot_codes_3d(codes, labels, title="codes")
    assert fig.axes[0].name == "3d" and fig.axes[0].get_title() == "codes"
    ax = plots.plot_codes_2d(codes[:, :2], labels, title="2-d")
    assert ax.get_xlabel() == "$z_1$" and ax.get_title() == "2-d"
    assert len(ax.collections[0].get_offsets()) == 50
    with pytest.raises(ValueError, match="3 columns"):
        plots.plot_codes_3d(codes[:, :2], labels)
    with pytest.raises(ValueError, match="2 columns"):
        plots.plot_codes_2d(codes, labels)
    plt.close("all")


def test_markdown_table_formats_floats_and_integers():
    table = plots.markdown_table(["model", "mse", "n"], [["mlp", 0.0123456, 12345]])
    assert table.splitlines() == [
        "| model | mse | n |",
        "|---|---|---|",
        "| mlp | 0.01235 | 12,345 |",
    ]
    with pytest.raises(ValueError, match="rows"):
        plots.markdown_table(["a", "b"], [[1]])
