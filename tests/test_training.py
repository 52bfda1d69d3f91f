import math

import pytest
import torch
from torch import nn

from helpers.data import BatchIterator
from helpers.training import fit


def regression_problem(seed: int = 0):
    torch.manual_seed(seed)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(batch):
        xb, yb = batch
        loss = ((model(xb) - yb) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"mse": loss.detach()}

    return model, step, BatchIterator(x, y, batch_size=16, seed=seed)


def test_fit_trains_and_records_history():
    model, step, batches = regression_problem()
    history = fit(
        step,
        batches,
        epochs=20,
        models=[model],
        progress=False,
        on_epoch_end=lambda epoch: {"epoch": epoch},
    )
    assert history.steps == 80 and history.samples == 64 * 20
    assert len(history.losses["mse"]) == 80
    assert history.losses["mse"][-1] < 0.01 * history.losses["mse"][0]
    assert history.per_epoch["epoch"] == list(range(20))
    assert history.epochs_done == 20 and history.stopped is None
    assert history.seconds > 0 and history.samples_per_second > 0
    means = history.epoch_mean("mse", steps_per_epoch=4)
    assert len(means) == 20 and means[0] > means[-1]


def test_fit_is_deterministic_under_a_seed():
    runs = []
    for _ in range(2):
        model, step, batches = regression_problem(seed=5)
        fit(step, batches, epochs=3, progress=False)
        runs.append(model.weight.detach().clone())
    assert torch.equal(runs[0], runs[1])


def test_fit_stops_on_nan_and_restores_last_good_weights(capsys):
    model = nn.Linear(2, 1)
    calls = {"n": 0}
    good = {}

    def step(batch):
        calls["n"] += 1
        with torch.no_grad():
            model.weight.add_(1.0)  # every step changes the weights
        if calls["n"] == 2:
            good["weight"] = model.weight.detach().clone()
        loss = torch.tensor(float("nan")) if calls["n"] == 5 else torch.tensor(1.0)
        return {"loss": loss}

    batches = BatchIterator(torch.zeros(10, 2), batch_size=1, shuffle=False)
    history = fit(
        step, batches, epochs=1, models=[model], check_every=2, progress=False
    )
    assert history.stopped == "diverged at step 5: loss not finite"
    assert history.steps == 5
    assert math.isnan(history.losses["loss"][-1])
    # The last check with all losses finite was after step 4.
    assert torch.equal(model.weight, good["weight"] + 2.0)
    assert "diverged at step 5" in capsys.readouterr().out


def test_fit_returns_history_on_interrupt(capsys):
    def step(batch):
        if step.calls == 3:
            raise KeyboardInterrupt
        step.calls += 1
        return {"loss": 1.0}

    step.calls = 0
    batches = BatchIterator(torch.zeros(10, 1), batch_size=2, shuffle=False)
    history = fit(step, batches, epochs=2, progress=False)
    assert history.stopped == "interrupted at step 3"
    assert history.losses["loss"] == [1.0, 1.0, 1.0]
    assert "interrupted" in capsys.readouterr().out


def test_fit_respects_max_steps_and_rejects_bad_arguments():
    model, step, batches = regression_problem()
    history = fit(step, batches, epochs=10, max_steps=6, progress=False)
    assert history.steps == 6 and len(history.losses["mse"]) == 6
    with pytest.raises(ValueError, match="epochs=-1"):
        fit(step, batches, epochs=-1)
    with pytest.raises(ValueError, match="check_every=0"):
        fit(step, batches, epochs=1, check_every=0)


def test_fit_prints_a_summary_line_when_progress_is_on(capsys):
    model, step, batches = regression_problem()
    fit(step, batches, epochs=1, desc="regression", progress=True)
    out = capsys.readouterr().out
    assert "regression: 4 steps, 64 samples in" in out and "last mse" in out


def test_fit_stops_at_the_time_cap_marks_the_run_and_closes_the_epoch():
    import time as clock

    def slow_step(batch):
        clock.sleep(0.02)
        return {"loss": 1.0}

    batches = BatchIterator(torch.zeros(100, 1), batch_size=1, shuffle=False)
    history = fit(
        slow_step,
        batches,
        epochs=5,
        max_seconds=0.2,
        progress=False,
        on_epoch_end=lambda epoch: {"epoch": epoch},
    )
    assert history.stopped == f"time cap of 0.2 s reached at step {history.steps}"
    assert 3 <= history.steps < 100 and history.epochs_done == 1
    assert history.per_epoch["epoch"] == [0]
    with pytest.raises(ValueError, match="max_seconds=0"):
        fit(slow_step, batches, epochs=1, max_seconds=0)


def test_history_state_round_trip():
    model, step, batches = regression_problem()
    history = fit(
        step,
        batches,
        epochs=2,
        progress=False,
        on_epoch_end=lambda e: {"w": model.weight.detach().clone()},
    )
    again = type(history).from_state(history.state_dict())
    assert again.losses == history.losses and again.steps == history.steps
    assert all(
        torch.equal(a, b) for a, b in zip(again.per_epoch["w"], history.per_epoch["w"])
    )
    assert (again.seconds, again.samples, again.epochs_done, again.stopped) == (
        history.seconds,
        history.samples,
        history.epochs_done,
        history.stopped,
    )


def test_the_build_can_switch_progress_bars_off():
    """The build sets TQDM_DISABLE=1: pages keep only the summary line."""
    import os
    import subprocess
    import sys

    script = (
        "import torch\n"
        "from helpers.data import BatchIterator\n"
        "from helpers.training import fit\n"
        "batches = BatchIterator(torch.zeros(8, 1), batch_size=2)\n"
        "fit(lambda b: {'loss': 1.0}, batches, 1, desc='bar')\n"
    )
    runs = {}
    for disable in ("", "1"):
        env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
        env.update({"TQDM_DISABLE": disable} if disable else {})
        runs[disable] = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    assert "bar:" in runs[""].stderr and "it/s" in runs[""].stderr
    assert runs["1"].stderr == "" and "bar: 4 steps" in runs["1"].stdout


def test_seeded_repeats_draws_and_restores_the_global_generators():
    import random

    import numpy as np

    from helpers.training import seeded

    torch.manual_seed(5)
    random.seed(5)
    np.random.seed(5)
    expected = torch.rand(3), random.random(), np.random.rand()
    torch.manual_seed(5)
    random.seed(5)
    np.random.seed(5)
    with seeded(0):
        first = torch.rand(3)
    with seeded(0):
        assert torch.equal(torch.rand(3), first)
        np.random.rand(), random.random()  # draws inside leave no trace outside
    assert torch.equal(torch.rand(3), expected[0])
    assert random.random() == expected[1] and np.random.rand() == expected[2]
    with pytest.raises(ValueError, match="seed=-1"):
        with seeded(-1):
            pass
