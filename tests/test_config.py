import re

import pytest
import torch

from helpers import config
from helpers.config import check_range


def test_budget_defaults_to_full(monkeypatch):
    monkeypatch.delenv("GANBOOK_BUDGET", raising=False)
    assert config.budget_name() == "full"


@pytest.mark.parametrize("value", ["quick", "full", " QUICK "])
def test_budget_accepts_allowed_values(monkeypatch, value):
    monkeypatch.setenv("GANBOOK_BUDGET", value)
    assert config.budget_name() == value.strip().lower()


def test_unknown_budget_lists_allowed_values(monkeypatch):
    monkeypatch.setenv("GANBOOK_BUDGET", "medium")
    with pytest.raises(ValueError, match=r"GANBOOK_BUDGET='medium'.*quick, full"):
        config.budget_name()


def same_keys(quick: dict, full: dict, where: str) -> None:
    """Both budgets name the same settings, at every level of nesting."""
    assert set(quick) == set(full), where
    for key, value in quick.items():
        if isinstance(value, dict):
            assert isinstance(full[key], dict), f"{where}.{key}"
            same_keys(value, full[key], f"{where}.{key}")


def setting_names(settings: dict) -> list[str]:
    """Every key in a budget, nested ones included."""
    names = []
    for key, value in settings.items():
        names.append(key)
        if isinstance(value, dict):
            names += setting_names(value)
    return names


def test_every_entry_has_both_budgets_with_the_same_keys():
    for entry, budgets in config.BUDGETS.items():
        assert set(budgets) == {"quick", "full"} == set(config.ALLOWED_BUDGETS), entry
        same_keys(budgets["quick"], budgets["full"], entry)


def test_shared_models_have_their_budgets(monkeypatch):
    for name in config.ALLOWED_BUDGETS:
        monkeypatch.setenv("GANBOOK_BUDGET", name)
        models = config.budget("models")
        for family in ("autoencoder", "vae", "judge", "mlp_gan"):
            assert isinstance(getattr(models, family), dict), (name, family)


def test_no_budget_is_a_time_limit():
    """Budgets are epochs or steps, so the same seeds give the same runs everywhere."""
    for entry, budgets in config.BUDGETS.items():
        for name in config.ALLOWED_BUDGETS:
            for key in setting_names(budgets[name]):
                assert not re.search(r"second|minute|hour", key), f"{entry}: {key}"


def test_budget_returns_the_chapter_settings(monkeypatch):
    monkeypatch.setenv("GANBOOK_BUDGET", "quick")
    cfg = config.budget("intro")
    assert cfg.budget == "quick"
    assert cfg.n_digits == config.BUDGETS["intro"]["quick"]["n_digits"]
    with pytest.raises(KeyError, match="chapter='nope'"):
        config.budget("nope")


def test_data_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GANBOOK_DATA", str(tmp_path))
    assert config.data_root() == tmp_path.resolve()
    monkeypatch.delenv("GANBOOK_DATA")
    assert config.data_root() == config.project_root() / "data"


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path))
    assert config.cache_root() == tmp_path


def test_device_choice_can_be_overridden():
    assert config.get_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert config.get_device().type == "cuda"
    elif not (torch.backends.mps.is_available()):
        assert config.get_device().type == "cpu"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("epochs", 0, 1, 1000), {}, "epochs=0 is out of range; allowed: 1 to 1000"),
        (
            ("lr", 0, 0, 1),
            {"low_open": True},
            r"lr=0 is out of range; allowed: 0 < lr <= 1",
        ),
        (
            ("clip", -1.0, 0),
            {"low_open": True},
            "clip=-1.0 is out of range; allowed: clip > 0",
        ),
        (("dropout", 1.0, 0, 1), {"high_open": True}, "allowed: 0 <= dropout < 1"),
        (
            ("limit", 0, 1, 60000),
            {"allow_none": True},
            r"allowed: 1 to 60000 \(or None for all\)",
        ),
        (
            ("batch_size", 300, 1, 256),
            {"high_label": "the 256 training digits"},
            "allowed: 1 to the 256 training digits",
        ),
        (("seed", None, 0, 9), {}, "seed=None is out of range"),
    ],
)
def test_check_range_names_the_field_and_its_range(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_range(*args, **kwargs)


def test_check_range_accepts_values_inside_and_none_when_allowed():
    check_range("epochs", 1, 1, 1000)
    check_range("epochs", 1000, 1, 1000)
    check_range("lr", 1, 0, 1, low_open=True)
    check_range("limit", None, 1, 60000, allow_none=True)
    check_range("clip", 1e9, 0, low_open=True)
