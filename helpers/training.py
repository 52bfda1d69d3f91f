"""One generic training loop and scoped seeding.

The loop keeps a progress bar and a history, guards against NaN losses and ends cleanly
on an interrupt.

A chapter writes its own training *step* (the part worth reading: forward pass, loss,
backward, optimiser step) and hands it to :func:`fit`, which does the plumbing.
:func:`seeded` seeds the global generators for one block of code and gives back their
previous state afterwards, so a run repeats without changing what comes after it.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed Python's, NumPy's and PyTorch's global generators (CPU, CUDA) for a block.

    Their earlier states come back when it ends, so code after it draws as if it had not
    run.
    """
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed={seed} is out of range; allowed: 0 <= seed < 2**32")
    python_state, numpy_state = random.getstate(), np.random.get_state()
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    mps = getattr(torch, "mps", None)
    mps_state = mps.get_rng_state() if torch.backends.mps.is_available() else None
    with torch.random.fork_rng(devices=cuda):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)
            if mps_state is not None:
                mps.set_rng_state(mps_state)


Step = Callable[[tuple[torch.Tensor, ...]], dict[str, torch.Tensor | float]]


@dataclass
class History:
    """What a run produced: per-step losses, per-epoch records, time, how it ended."""

    losses: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    per_epoch: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    steps: int = 0
    samples: int = 0
    epochs_done: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # None: ran to the end; else why it stopped early

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else float("nan")

    def state_dict(self) -> dict:
        """Plain containers of numbers and tensors, for ``torch.save``.

        Plain, so ``torch.load(..., weights_only=True)`` reads them back.
        """
        return {
            "losses": {k: list(v) for k, v in self.losses.items()},
            "per_epoch": {k: list(v) for k, v in self.per_epoch.items()},
            "steps": self.steps,
            "samples": self.samples,
            "epochs_done": self.epochs_done,
            "seconds": self.seconds,
            "stopped": self.stopped,
        }

    @classmethod
    def from_state(cls, state: dict) -> History:
        """The history that :meth:`state_dict` described."""
        history = cls(
            steps=state["steps"],
            samples=state["samples"],
            epochs_done=state["epochs_done"],
            seconds=state["seconds"],
            stopped=state["stopped"],
        )
        for key, values in state["losses"].items():
            history.losses[key].extend(values)
        for key, values in state["per_epoch"].items():
            history.per_epoch[key].extend(values)
        return history

    def epoch_mean(self, name: str, steps_per_epoch: int) -> list[float]:
        """The mean of loss ``name`` over each epoch of ``steps_per_epoch`` steps."""
        values = self.losses[name]
        return [
            sum(values[i : i + steps_per_epoch]) / len(values[i : i + steps_per_epoch])
            for i in range(0, len(values), steps_per_epoch)
        ]


def _snapshot(models: Sequence[nn.Module]) -> list[dict[str, torch.Tensor]]:
    return [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in models]


def fit(
    step: Step,
    batches: Iterable[tuple[torch.Tensor, ...]],
    epochs: int,
    *,
    models: Sequence[nn.Module] = (),
    on_epoch_end: Callable[[int], dict | None] | None = None,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    check_every: int = 10,
    desc: str = "training",
    progress: bool = True,
) -> History:
    """Run ``step`` on every batch for ``epochs`` epochs; return the :class:`History`.

    ``step(batch)`` does one optimisation step and returns its losses (tensors or
    floats). Losses are read back every ``check_every`` steps (reading them forces the
    GPU to wait, so not on every step). A NaN or infinite loss stops the run with a
    message naming the step, and ``models`` get back the weights of the last check at
    which all losses were finite. Ctrl-C (or Jupyter's stop button) ends the run and
    returns the history so far. ``on_epoch_end(epoch)`` may return a dict whose values
    are appended to ``history.per_epoch``. ``max_steps`` ends training early (a normal
    end). ``max_seconds`` is a safety cap for a reader's panel, not a budget: a run that
    reaches it is marked stopped (``history.stopped``), so it is never cached as if it
    were the planned run. An epoch cut short by either still gets its ``on_epoch_end``.
    """
    if epochs < 0:
        raise ValueError(f"epochs={epochs} must be 0 or more")
    if check_every < 1:
        raise ValueError(f"check_every={check_every} must be at least 1")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(
            f"max_seconds={max_seconds} must be positive (or None for no time limit)"
        )
    history = History()
    good_weights = _snapshot(models)
    pending: list[dict[str, torch.Tensor | float]] = []
    steps_per_epoch = len(batches) if hasattr(batches, "__len__") else None
    total = steps_per_epoch * epochs if steps_per_epoch is not None else None
    if max_steps is not None:
        total = max_steps if total is None else min(total, max_steps)
    # The book's build sets TQDM_DISABLE=1: its pages keep the summary line, not a dead
    # widget. (tqdm's notebook bar ignores that variable, so it is read here.)
    tqdm_disable = os.environ.get("TQDM_DISABLE", "").strip().lower()
    bars_off = tqdm_disable in ("1", "true", "yes")
    bar = tqdm(total=total, desc=desc, leave=True, disable=not progress or bars_off)
    start = time.perf_counter()

    def flush() -> bool:
        """Move pending losses into the history; False (weights restored) on NaN/inf."""
        nonlocal good_weights
        first = history.steps - len(pending)
        for offset, losses in enumerate(pending):
            values = {k: float(v) for k, v in losses.items()}
            for name, value in values.items():
                history.losses[name].append(value)
            bad = [k for k, v in values.items() if not math.isfinite(v)]
            if bad:
                history.steps = first + offset + 1
                history.stopped = (
                    f"diverged at step {history.steps}: {', '.join(bad)} not finite"
                )
                for model, weights in zip(models, good_weights):
                    model.load_state_dict(weights)
                pending.clear()
                return False
        pending.clear()
        good_weights = _snapshot(models) if models else good_weights
        if values_seen := {k: v[-1] for k, v in history.losses.items() if v}:
            rate = history.samples / max(time.perf_counter() - start, 1e-9)
            shown = {k: f"{v:.3f}" for k, v in values_seen.items()}
            bar.set_postfix({**shown, "samples/s": f"{rate:.0f}"})
        return True

    capped = False

    def out_of_budget() -> bool:
        nonlocal capped
        if max_seconds is not None and time.perf_counter() - start >= max_seconds:
            capped = True
        return capped or (max_steps is not None and history.steps >= max_steps)

    try:
        for epoch in range(epochs):
            for batch in batches:
                pending.append(step(batch))
                history.steps += 1
                history.samples += len(batch[0])
                bar.update(1)
                if history.steps % check_every == 0 and not flush():
                    break
                if out_of_budget():
                    break
            if history.stopped or not flush():
                break
            history.epochs_done = epoch + 1
            if on_epoch_end is not None:
                for key, value in (on_epoch_end(epoch) or {}).items():
                    history.per_epoch[key].append(value)
            if out_of_budget():
                break
        if capped and not history.stopped:
            history.stopped = (
                f"time cap of {max_seconds:g} s reached at step {history.steps}"
            )
    except KeyboardInterrupt:
        flush()
        history.stopped = history.stopped or f"interrupted at step {history.steps}"
    finally:
        history.seconds = time.perf_counter() - start
        bar.close()
    if history.stopped:
        kept = (
            " and kept the last good weights"
            if models and "diverged" in history.stopped
            else ""
        )
        print(
            f"Training stopped: {history.stopped}; returned the history so far{kept}."
        )
    # One line that stays on the page when the bar is gone (static site, logs).
    if progress:
        last = ", ".join(f"{k} {v[-1]:.3f}" for k, v in history.losses.items() if v)
        print(
            f"{desc}: {history.steps:,} steps, {history.samples:,} samples "
            f"in {history.seconds:.1f} s "
            f"({history.samples_per_second:,.0f} samples/s); last {last}"
        )
    return history
