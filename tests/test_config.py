import pytest
import torch

from helpers import config


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


def test_every_chapter_has_both_budgets_with_the_same_keys():
    for chapter, budgets in config.BUDGETS.items():
        assert set(budgets) == set(config.ALLOWED_BUDGETS), chapter
        assert set(budgets["quick"]) == set(budgets["full"]), chapter


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


def test_seeding_repeats_random_draws():
    config.seed_everything(123)
    first = torch.randn(5)
    config.seed_everything(123)
    assert torch.equal(first, torch.randn(5))
    with pytest.raises(ValueError, match="seed=-1"):
        config.seed_everything(-1)
