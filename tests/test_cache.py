"""``helpers.cache.trained``: one cache entry per settings and code; a code change, a
settings change or an unreadable file retrains; a run that stopped early is not kept."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from helpers import cache, gan
from helpers.cache import (
    CACHE_FORMAT,
    cache_path,
    code_modules,
    fingerprint,
    settings_record,
    trained,
)
from helpers.gan import GAN, ToyGANSettings

HELPERS = Path(cache.__file__).resolve().parent
ONE_EPOCH = ToyGANSettings(epochs=1)


@pytest.fixture(autouse=True)
def cache_folder(monkeypatch, tmp_path) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GANBOOK_CACHE", str(folder))
    return folder


def same_state(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    first, second = a.state_dict(), b.state_dict()
    return first.keys() == second.keys() and all(
        torch.equal(first[k], second[k]) for k in first
    )


def test_a_cache_hit_returns_the_same_weights_and_history():
    first = trained(ONE_EPOCH, device="cpu", progress=False)
    second = trained(ONE_EPOCH, device="cpu", progress=False)
    assert not first.from_cache and second.from_cache
    assert isinstance(second.model, GAN) and second.settings == ONE_EPOCH
    assert same_state(first.model, second.model)
    assert second.history.losses == first.history.losses
    assert second.history.steps == first.history.steps == 125
    assert second.history.seconds == first.history.seconds  # the run that trained it
    assert second.history.per_epoch["d_spread"] == first.history.per_epoch["d_spread"]
    assert torch.equal(
        second.history.per_epoch["samples"][0], first.history.per_epoch["samples"][0]
    )
    assert not first.model.training and not second.model.training  # eval mode


def test_the_file_records_settings_code_state_and_history(cache_folder):
    result = trained(ONE_EPOCH, device="cpu", progress=False)
    path = cache_path(ONE_EPOCH)
    assert path.parent == cache_folder and path.name.startswith("toy_gan-")
    entry = torch.load(path, weights_only=True)
    assert {"settings", "code", "state", "history"} <= set(entry)
    assert entry["format"] == CACHE_FORMAT
    assert entry["settings"] == settings_record(ONE_EPOCH)
    assert entry["settings"]["type"] == "ToyGANSettings"
    assert entry["settings"]["epochs"] == 1 and entry["settings"]["lr_d"] == 0.05
    assert entry["code"] == fingerprint(ONE_EPOCH)
    assert "helpers/gan.py" in entry["code"]
    for key, value in result.model.state_dict().items():
        assert torch.equal(entry["state"][key], value)
    assert entry["history"]["steps"] == 125
    assert entry["history"]["losses"]["d"] == result.history.losses["d"]
    assert [p.name for p in cache_folder.iterdir()] == [path.name]  # no .part left
    assert path.stat().st_mode & 0o777 == 0o644  # readable by others, as torch.save's


def test_different_settings_have_different_paths_and_a_change_retrains(cache_folder):
    other = ToyGANSettings(epochs=1, lr_g=0.01)
    assert cache_path(other) != cache_path(ONE_EPOCH)
    assert cache_path(ToyGANSettings(epochs=1)) == cache_path(ONE_EPOCH)
    assert cache_path(ToyGANSettings(epochs=1, seed=1)) != cache_path(ONE_EPOCH)
    first = trained(ONE_EPOCH, device="cpu", progress=False)
    changed = trained(other, device="cpu", progress=False)
    assert not changed.from_cache and changed.settings.lr_g == 0.01
    assert not same_state(first.model, changed.model)
    assert len(list(cache_folder.iterdir())) == 2
    assert trained(ONE_EPOCH, device="cpu", progress=False).from_cache


def test_a_run_that_reaches_the_time_cap_is_returned_but_not_cached(
    cache_folder, capsys
):
    result = trained(ONE_EPOCH, device="cpu", progress=False, max_seconds=1e-9)
    assert result.history.stopped.startswith("time cap of 1e-09 s reached")
    assert result.history.steps < 125 and not result.from_cache
    assert "toy_gan: not cached (time cap" in capsys.readouterr().out
    assert not cache_folder.exists() or list(cache_folder.iterdir()) == []
    assert not trained(ONE_EPOCH, device="cpu", progress=False).from_cache


def test_an_interrupted_run_is_returned_but_not_cached(
    cache_folder, capsys, monkeypatch
):
    def interrupt(generator):  # Ctrl-C at the end of the first epoch
        raise KeyboardInterrupt

    monkeypatch.setattr(gan, "linear_gaussian", interrupt)
    result = trained(ToyGANSettings(epochs=3), device="cpu", progress=False)
    assert result.history.stopped == "interrupted at step 125"
    assert result.history.epochs_done == 1 and not result.from_cache
    assert "toy_gan: not cached (interrupted at step 125)" in capsys.readouterr().out
    assert not cache_folder.exists() or list(cache_folder.iterdir()) == []


def test_a_corrupt_cache_file_retrains_and_says_why(cache_folder, capsys):
    first = trained(ONE_EPOCH, device="cpu", progress=False)
    path = cache_path(ONE_EPOCH)
    path.write_bytes(b"not a torch file")
    capsys.readouterr()
    again = trained(ONE_EPOCH, device="cpu", progress=False)
    out = capsys.readouterr().out
    assert "toy_gan: training afresh: the cache file cannot be read" in out
    assert not again.from_cache and same_state(first.model, again.model)
    assert trained(ONE_EPOCH, device="cpu", progress=False).from_cache  # rewritten


def test_a_fingerprint_or_format_mismatch_retrains_and_names_it(capsys):
    trained(ONE_EPOCH, device="cpu", progress=False)
    path = cache_path(ONE_EPOCH)
    entry = torch.load(path, weights_only=True)
    entry["code"]["helpers/nets.py"] = "0" * 16
    torch.save(entry, path)
    capsys.readouterr()
    assert not trained(ONE_EPOCH, device="cpu", progress=False).from_cache
    assert (
        "toy_gan: training afresh: helpers/nets.py changed since it was cached"
        in capsys.readouterr().out
    )
    entry = torch.load(path, weights_only=True)
    entry["format"] = CACHE_FORMAT - 1
    torch.save(entry, path)
    assert not trained(ONE_EPOCH, device="cpu", progress=False).from_cache
    assert f"has format {CACHE_FORMAT - 1}" in capsys.readouterr().out


def test_code_modules_are_the_closure_of_the_settings_module_without_config():
    modules = code_modules(ONE_EPOCH)
    for name in ("gan", "nets", "training", "data"):
        assert f"helpers.{name}" in modules
    for name in ("config", "text", "plots", "widgets", "cache"):
        assert f"helpers.{name}" not in modules
    assert set(fingerprint(ONE_EPOCH)) == {
        f"helpers/{name.rpartition('.')[2]}.py" for name in modules
    }


def test_settings_record_is_plain_json_with_the_type():
    record = settings_record(ToyGANSettings(epochs=3))
    assert record["type"] == "ToyGANSettings" and record["epochs"] == 3
    assert record["betas"] == [0.9, 0.999]  # a tuple becomes a JSON list
    with pytest.raises(TypeError, match="settings dataclass"):
        settings_record(object())


# A reader's session, in its own Python process: it imports the helpers of a copy, asks
# for the one-epoch toy GAN and prints what came back.
SESSION = textwrap.dedent(
    """
    import helpers
    from helpers.cache import trained
    from helpers.gan import ToyGANSettings

    result = trained(ToyGANSettings(epochs=1), device="cpu", progress=False)
    print("helpers from", helpers.__file__)
    print("from_cache", result.from_cache)
    print("activations", [type(m).__name__ for m in result.model.discriminator])
    """
)


def session(copy: Path) -> str:
    """Run :data:`SESSION` with the helpers in ``copy``; its output."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(copy),
        "GANBOOK_CACHE": str(copy / "cache"),
    }
    result = subprocess.run(
        [sys.executable, "-c", SESSION],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"helpers from {copy / 'helpers'}" in result.stdout  # the copy, not /work
    return result.stdout


def test_editing_a_models_definition_retrains_and_editing_another_module_does_not(
    tmp_path,
):
    copy = tmp_path / "book"
    shutil.copytree(HELPERS, copy / "helpers", ignore=shutil.ignore_patterns("*.pyc"))

    first = session(copy)
    assert "from_cache False" in first and "training afresh" not in first
    assert "from_cache True" in session(copy)

    # Change the toy discriminator's first activation: the weights' shapes stay the
    # same, so the old weights would load without complaint; only the code's
    # fingerprint can tell that they were trained for another network.
    gan_file = copy / "helpers" / "gan.py"
    source = gan_file.read_text()
    old = "layers = [nn.Linear(2, 5), nn.Tanh(),"
    assert source.count(old) == 1
    gan_file.write_text(source.replace(old, "layers = [nn.Linear(2, 5), nn.ReLU(),"))
    edited = session(copy)
    assert "from_cache False" in edited
    assert (
        "toy_gan: training afresh: helpers/gan.py changed since it was cached" in edited
    )
    assert "'Linear', 'ReLU', 'Linear', 'Tanh', 'Linear'" in edited
    assert "from_cache True" in session(copy)  # the retrained model was cached

    # helpers/text.py is not in the toy GAN's code: editing it keeps the cache.
    text_file = copy / "helpers" / "text.py"
    text_file.write_text(text_file.read_text() + "\n# an edit the toy GAN never sees\n")
    untouched = session(copy)
    assert "from_cache True" in untouched and "training afresh" not in untouched
