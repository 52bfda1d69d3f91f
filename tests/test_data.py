from collections import Counter

import pytest
import torch

from helpers import data


def test_batch_iterator_visits_every_sample_once_per_epoch():
    x = torch.arange(103)
    batches = data.BatchIterator(x, batch_size=10, seed=0)
    assert len(batches) == 11
    for _ in range(3):
        seen = torch.cat([b for (b,) in batches])
        assert sorted(seen.tolist()) == list(range(103))
    sizes = [len(b) for (b,) in batches]
    assert sizes == [10] * 10 + [3]


def test_batch_iterator_drop_last_and_alignment():
    x = torch.arange(25)
    y = x * 2
    batches = data.BatchIterator(x, y, batch_size=10, drop_last=True, seed=1)
    assert len(batches) == 2
    seen = Counter()
    for bx, by in batches:
        assert len(bx) == 10
        assert torch.equal(by, bx * 2)  # pairs stay together
        seen.update(bx.tolist())
    assert len(seen) == 20 and max(seen.values()) == 1


def test_batch_iterator_is_deterministic_under_a_seed_and_shuffles():
    x = torch.arange(50)
    first = [b.tolist() for (b,) in data.BatchIterator(x, batch_size=7, seed=3)]
    again = [b.tolist() for (b,) in data.BatchIterator(x, batch_size=7, seed=3)]
    assert first == again
    assert sum(first, []) != list(range(50))
    ordered = [
        b.tolist() for (b,) in data.BatchIterator(x, batch_size=7, shuffle=False)
    ]
    assert sum(ordered, []) == list(range(50))


def test_batch_iterator_rejects_bad_input():
    with pytest.raises(ValueError, match="batch_size=0"):
        data.BatchIterator(torch.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match="first dimension"):
        data.BatchIterator(torch.zeros(3), torch.zeros(4), batch_size=2)
    with pytest.raises(ValueError, match="drop_last"):
        data.BatchIterator(torch.zeros(3), batch_size=5, drop_last=True)


def test_mnist_loads_scaled_tensors():
    images, labels = data.mnist(train=False, scale="tanh", device="cpu", limit=500)
    assert images.shape == (500, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (500,) and labels.dtype == torch.int64
    assert images.min() == -1 and images.max() == 1
    assert set(labels.tolist()) == set(range(10))
    unit, _ = data.mnist(train=False, scale="unit", device="cpu", limit=500)
    assert torch.allclose((images + 1) / 2, unit)
    assert unit.min() == 0 and unit.max() == 1


def test_mnist_rejects_bad_arguments():
    with pytest.raises(ValueError, match="scale='zero_one'.*tanh, unit"):
        data.mnist(scale="zero_one")
    with pytest.raises(ValueError, match="limit=0"):
        data.mnist(limit=0)


def test_missing_data_gives_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("GANBOOK_DATA", str(tmp_path / "nowhere"))
    monkeypatch.delenv("GANBOOK_MIRROR", raising=False)

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    with pytest.raises(data.DataNotFoundError) as error:
        data.mnist(device="cpu")
    message = str(error.value)
    assert "GANBOOK_DATA" in message and "train-images-idx3-ubyte" in message
    assert "Traceback" not in message
    assert not list((tmp_path / "nowhere").rglob("*.part"))


def test_to_unit_maps_either_scale_to_zero_one():
    assert torch.equal(
        data.to_unit(torch.tensor([-1.0, 0.0, 1.0]), "tanh"),
        torch.tensor([0.0, 0.5, 1.0]),
    )
    unit = torch.tensor([0.0, 0.25, 1.0])
    assert torch.equal(data.to_unit(unit, "unit"), unit)
    with pytest.raises(ValueError, match="scale='bytes'"):
        data.to_unit(unit, "bytes")


def test_mid_grey_fraction_counts_pixels_strictly_between_ink_and_paper():
    assert data.mid_grey_fraction(torch.tensor([0.0, 0.5, 1.0, 0.3])) == 0.5
    assert data.mid_grey_fraction(torch.tensor([0.2, 0.8])) == 0.0  # the bounds are out
    assert data.mid_grey_fraction(torch.full((2, 1, 28, 28), 0.5)) == 1.0


def test_atomic_file_renames_only_a_finished_write(tmp_path):
    target = tmp_path / "entry.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="interrupted"):
        with data.atomic_file(target) as partial:
            partial.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"  # the old file stands, whole
    assert [p.name for p in tmp_path.iterdir()] == ["entry.bin"]  # nothing partial
    with data.atomic_file(target, suffix=".partial") as partial:
        assert partial.name.endswith(".partial") and partial.parent == tmp_path
        partial.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["entry.bin"]
