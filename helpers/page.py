"""What the published page runs without a kernel: exported generators, recorded runs.

The book's build sets ``GANBOOK_PAGE_ASSETS`` to a folder; a chapter's export cell then
writes what its live panels need there, from the very models and runs the chapter
reports, and the site's extension (``_ext/live_pages.py``) serves the folder as
``_static/live/data/``. Outside the build (Jupyter, Colab, the tests) nothing is
written and the panel shows a one-line note instead.

- :func:`export_onnx` writes a network as ONNX (weights stored as float16 where the
  outputs stay within tolerance) and a check file: PyTorch's outputs for fixed inputs,
  which the site's tests compare with what the browser computes.
- :func:`export_json` writes recorded data (frames of a run, samples, numbers).
- :func:`export_png` writes a batch of images as one PNG grid (frames of digits are
  far smaller as PNG than as numbers).
- :func:`glue` puts a computed value into the chapter's prose (myst-nb's ``glue``),
  so no number in a sentence is typed by hand.
- :func:`live` displays the panel's place on the page: a ``<div>`` that the page's
  script (``_static/live/live.js``) turns into controls and figures.
"""

from __future__ import annotations

import copy
import html
import io
import json
import math
import os
import re
import warnings
from pathlib import Path

import numpy as np
import torch
from IPython.display import HTML
from torch import Tensor, nn

from .data import atomic_file
from .nets import evaluating

ASSETS_VARIABLE = "GANBOOK_PAGE_ASSETS"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# float16 keeps about three significant digits; a generator's pixels in [-1, 1] or
# [0, 1] move by far less than a grey level (1/255) at this tolerance.
TOLERANCE = 2e-3


def assets_folder() -> Path | None:
    """The folder the build collects page assets in, or None outside the build."""
    folder = os.environ.get(ASSETS_VARIABLE)
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"name={name!r} is not allowed; allowed: 1 to 64 lower-case letters, "
            "digits, '-' or '_', starting with a letter or digit"
        )


def _write_atomically(path: Path, data: bytes) -> None:
    # ".partial": the build's copy into the site skips files with that suffix
    with atomic_file(path, suffix=".partial") as partial:
        partial.write_bytes(data)


def _half_weights(model_bytes: bytes) -> bytes:
    """The ONNX model with every float32 weight stored as float16 and cast back to
    float32 where it is used: half the file, the same float32 arithmetic in the page
    (the browser's CPU runtime has few float16 kernels)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    casts = []
    for initializer in list(graph.initializer):
        if initializer.data_type != TensorProto.FLOAT:
            continue
        weights = numpy_helper.to_array(initializer)
        if weights.size < 16:  # scalars and tiny vectors: not worth a node
            continue
        half = numpy_helper.from_array(
            weights.astype(np.float16), initializer.name + "_fp16"
        )
        graph.initializer.remove(initializer)
        graph.initializer.append(half)
        casts.append(
            helper.make_node(
                "Cast", [half.name], [initializer.name], to=TensorProto.FLOAT
            )
        )
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _onnx_outputs(model_bytes: bytes, inputs: Tensor) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(
        model_bytes, providers=["CPUExecutionProvider"]
    )
    name = session.get_inputs()[0].name
    return session.run(None, {name: inputs.numpy()})[0]


def export_onnx(
    name: str,
    model: nn.Module,
    inputs: Tensor,
    *,
    tolerance: float = TOLERANCE,
) -> dict | None:
    """Export ``model`` (one input tensor, batch first) as ``name.onnx`` for the page.

    The batch size stays free. Weights are stored as float16 when the outputs for
    ``inputs`` stay within ``tolerance`` of PyTorch's (else float32).
    ``name.check.json`` keeps ``inputs`` and PyTorch's outputs, for the site's tests.
    Returns what was written (file size, precision, the largest difference
    measured), or None outside the build.
    """
    _check_name(name)
    if not tolerance > 0:
        raise ValueError(f"tolerance={tolerance} is out of range; allowed: > 0")
    folder = assets_folder()
    if folder is None:
        return None
    inputs = inputs.detach().float().cpu()
    # A CPU copy: the chapter's model stays on its device and in its mode.
    cpu_model = copy.deepcopy(model).cpu().float()
    with evaluating(cpu_model):
        with torch.no_grad():
            expected = cpu_model(inputs).float().numpy()
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                cpu_model,
                (inputs,),
                buffer,
                dynamo=False,
                input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
            )
    full = buffer.getvalue()
    gap_full = float(np.abs(_onnx_outputs(full, inputs) - expected).max())
    if gap_full > tolerance:
        raise RuntimeError(
            f"{name}: the exported model differs from PyTorch by {gap_full:.2e} "
            f"(tolerance {tolerance:.0e})"
        )
    half = _half_weights(full)
    gap_half = float(np.abs(_onnx_outputs(half, inputs) - expected).max())
    chosen, precision, gap = (
        (half, "float16", gap_half)
        if gap_half <= tolerance
        else (full, "float32", gap_full)
    )
    _write_atomically(folder / f"{name}.onnx", chosen)
    check = {
        "input": inputs.tolist(),
        "input_shape": list(inputs.shape),
        "output": expected.reshape(len(expected), -1).tolist(),
        "output_shape": list(expected.shape),
        "tolerance": tolerance,
    }
    _write_atomically(folder / f"{name}.check.json", json.dumps(check).encode())
    return {"bytes": len(chosen), "precision": precision, "max_difference": gap}


def _plain(value):
    """JSON-ready: tensors and arrays become lists (rounded to 4 significant digits,
    which is what a figure needs), non-finite floats None."""
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            value = np.round(value.astype(np.float64), 4)
            return (
                [_plain(v) for v in value]
                if value.ndim > 1
                else [None if not math.isfinite(v) else float(v) for v in value]
            )
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def export_json(name: str, data: dict) -> int | None:
    """Write ``data`` (tensors and arrays allowed) as ``name.json`` for the page.

    Returns the file's size in bytes, or None outside the build.
    """
    _check_name(name)
    if not isinstance(data, dict):
        raise TypeError(f"data must be a dict; got {type(data).__name__}")
    folder = assets_folder()
    if folder is None:
        return None
    text = json.dumps(_plain(data), separators=(",", ":"), allow_nan=False)
    _write_atomically(folder / f"{name}.json", text.encode())
    return len(text)


def export_png(
    name: str, images: Tensor, *, columns: int = 8, value_range: tuple = (-1.0, 1.0)
) -> int | None:
    """Write ``images`` (N, C, H, W), values in ``value_range``, as ``name.png``: a grid
    of ``columns`` columns with no padding, so the page can cut it back into images.

    Returns the file's size in bytes, or None outside the build.
    """
    _check_name(name)
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be (N, 1 or 3, H, W); got {tuple(images.shape)}")
    if columns < 1:
        raise ValueError(f"columns={columns} is out of range; allowed: >= 1")
    folder = assets_folder()
    if folder is None:
        return None
    from torchvision.utils import save_image

    low, high = value_range
    unit = ((images.detach().float().cpu() - low) / (high - low)).clamp(0, 1)
    buffer = io.BytesIO()
    save_image(unit, buffer, format="png", nrow=columns, padding=0)
    _write_atomically(folder / f"{name}.png", buffer.getvalue())
    return len(buffer.getvalue())


def live(panel: str, note: str = "", **options) -> HTML:
    """The place of a kernel-free panel on the published page.

    ``panel`` names the page script's panel (``_static/live/panels/<panel>.js``);
    ``options`` (plain JSON values: asset names, labels, defaults) are passed to it.
    In a notebook the output is one line saying where the panel runs.
    """
    if not _NAME.fullmatch(panel):
        raise ValueError(f"panel={panel!r} is not a panel name")
    text = note or (
        "On the book's web page a live panel appears here; in a notebook, use the "
        "code and the widgets of this section."
    )
    attributes = html.escape(json.dumps(_plain(options)), quote=True)
    return HTML(
        f'<div class="ganbook-live" data-panel="{panel}" data-options="{attributes}">'
        f'<p class="ganbook-live-note">{html.escape(text)}</p></div>'
    )


def glue(name: str, value: object) -> object:
    """Record ``value`` under ``name`` for the page's prose and return it.

    A sentence then writes ``{glue:text}`name:.2f``` (myst-nb's glue role, with an
    optional format), and the build puts the value that this run computed there.
    Tensors and NumPy numbers become plain Python numbers first. Where myst-nb is not
    installed (Colab) nothing is recorded: the notebook has the value itself.
    """
    _check_name(name)
    if hasattr(value, "item"):  # a one-element tensor or a NumPy number
        value = value.item()
    if not isinstance(value, (int, float, str)):
        raise TypeError(
            f"value for {name!r} is a {type(value).__name__}; glue numbers or strings"
        )
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, value, display=False)
    return value
