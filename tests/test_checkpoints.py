import pytest
import torch
from torch import nn

from helpers import checkpoints
from helpers.training import History


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    source = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    source(torch.randn(8, 4))  # move the BatchNorm running statistics
    path = checkpoints.save(source, tmp_path / "sub" / "model.pt")
    target = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    checkpoints.load(target, path)
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        assert torch.equal(a, b), name
    assert not (tmp_path / "sub" / "model.pt.part").exists()


def test_cache_trains_once_per_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    calls = []

    def train(model):
        calls.append(1)
        with torch.no_grad():
            model.weight.fill_(7.0)
        return History()

    _, from_cache = checkpoints.cached_run("linear", {"lr": 0.1}, nn.Linear(2, 2), train)
    assert not from_cache and len(calls) == 1
    again = nn.Linear(2, 2)
    _, from_cache = checkpoints.cached_run("linear", {"lr": 0.1}, again, train)
    assert from_cache and len(calls) == 1
    assert torch.all(again.weight == 7.0)
    _, from_cache = checkpoints.cached_run("linear", {"lr": 0.2}, nn.Linear(2, 2), train)
    assert not from_cache and len(calls) == 2
    assert checkpoints.cache_path("linear", {"lr": 0.1}) != checkpoints.cache_path("linear", {"lr": 0.2})


def test_cached_run_keeps_the_history_and_skips_stopped_runs(monkeypatch, tmp_path):
    from helpers.training import History

    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))

    def train(model, stopped=None):
        with torch.no_grad():
            model.weight.fill_(3.0)
        history = History(steps=5, seconds=1.5, stopped=stopped)
        history.losses["loss"].extend([1.0, 0.5])
        return history

    history, from_cache = checkpoints.cached_run("run", {"a": 1}, nn.Linear(2, 2), train)
    assert not from_cache and history.steps == 5
    model = nn.Linear(2, 2)
    history, from_cache = checkpoints.cached_run("run", {"a": 1}, model, lambda m: pytest.fail("retrained"))
    assert from_cache and history.losses["loss"] == [1.0, 0.5] and history.seconds == 1.5
    assert torch.all(model.weight == 3.0)

    history, from_cache = checkpoints.cached_run("run", {"a": 2}, nn.Linear(2, 2),
                                                 lambda m: train(m, stopped="interrupted at step 5"))
    assert history.stopped and not checkpoints.cache_path("run", {"a": 2}).exists()


def test_stale_cache_entries_are_retrained_with_a_warning(monkeypatch, tmp_path):
    from helpers.training import History

    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    path = checkpoints.cache_path("run", {"a": 1})
    checkpoints.save(nn.Linear(3, 3), path)  # weights of another shape under the same settings
    calls = []

    def train(model):
        calls.append(model)
        return History(steps=2)

    with pytest.warns(UserWarning, match="do not fit the model"):
        history, from_cache = checkpoints.cached_run("run", {"a": 1}, nn.Linear(2, 2), train)
    assert not from_cache and history.steps == 2 and len(calls) == 1
    torch.save({"losses": {}}, path.with_suffix(".history.pt"))  # a history in an older format
    with pytest.warns(UserWarning, match="cannot be read"):
        history, from_cache = checkpoints.cached_run("run", {"a": 1}, nn.Linear(2, 2), train)
    assert not from_cache and len(calls) == 2
    checkpoints.save(nn.Linear(3, 3), checkpoints.cache_path("plain", {}))
    with pytest.warns(UserWarning, match="do not fit the model"):
        _, from_cache = checkpoints.cached_run("plain", {}, nn.Linear(2, 2), lambda m: History())
    assert not from_cache
    assert checkpoints.cached_run("plain", {}, nn.Linear(2, 2), lambda m: pytest.fail("retrained"))[1]  # now it fits
