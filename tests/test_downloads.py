"""The first download, as a reader's machine meets it: the data fetched over HTTP from
``GANBOOK_MIRROR`` (a server on 127.0.0.1 that serves the shared data folder), checked
against recorded checksums and written atomically; interrupted, corrupted and missing
downloads leave nothing behind that a later run would trust."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from datakit import SOURCE, mirror

from helpers import data

TEST_DIGITS = ("MNIST/raw/t10k-images-idx3-ubyte", "MNIST/raw/t10k-labels-idx1-ubyte")


@pytest.fixture
def empty_root(monkeypatch, tmp_path):
    """A reader's first run: an empty data root."""
    root = tmp_path / "ganbook-data"
    monkeypatch.setenv("GANBOOK_DATA", str(root))
    return root


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_clean_download_from_the_mirror_gives_the_same_digits(
    monkeypatch, empty_root
):
    with mirror(SOURCE) as (url, requested):
        monkeypatch.setenv("GANBOOK_MIRROR", url + "/")  # a trailing slash is fine
        images, labels = data.mnist(train=False, device="cpu", limit=1000)
        text = data.fetch("tinyshakespeare/input.txt").read_text(encoding="utf-8")
    assert requested == [f"/{path}" for path in TEST_DIGITS] + [
        "/tinyshakespeare/input.txt"
    ]
    assert leftovers(empty_root) == sorted([*TEST_DIGITS, "tinyshakespeare/input.txt"])
    for path in TEST_DIGITS:
        assert (empty_root / path).read_bytes() == (SOURCE / path).read_bytes()
    assert len(text) == 1_115_394
    # The same digits as read from the shared folder.
    monkeypatch.setenv("GANBOOK_DATA", str(SOURCE))
    reference, reference_labels = data.mnist(train=False, device="cpu", limit=1000)
    assert torch.equal(images, reference) and torch.equal(labels, reference_labels)
    # A second run finds the files and asks the network for nothing.
    monkeypatch.setenv("GANBOOK_DATA", str(empty_root))
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: pytest.fail("fetch"))
    assert data.fetch(TEST_DIGITS[1]) == empty_root / TEST_DIGITS[1]


def test_a_mirror_that_serves_gzip_is_unpacked(monkeypatch, empty_root, tmp_path):
    served = tmp_path / "served" / "MNIST" / "raw"
    served.mkdir(parents=True)
    name = "t10k-labels-idx1-ubyte"
    (served / f"{name}.gz").write_bytes(
        gzip.compress((SOURCE / "MNIST" / "raw" / name).read_bytes())
    )
    with mirror(tmp_path / "served") as (url, requested):
        monkeypatch.setenv("GANBOOK_MIRROR", url)
        path = data.fetch(f"MNIST/raw/{name}")
    assert requested == [f"/MNIST/raw/{name}", f"/MNIST/raw/{name}.gz"]  # plain: 404
    assert path.read_bytes() == (SOURCE / "MNIST" / "raw" / name).read_bytes()


@pytest.mark.parametrize("mode", ["truncated", "corrupt"])
def test_an_interrupted_or_corrupted_download_leaves_nothing_behind(
    monkeypatch, empty_root, mode
):
    path = "tinyshakespeare/input.txt"
    with mirror(SOURCE, mode) as (url, _):
        monkeypatch.setenv("GANBOOK_MIRROR", url)
        with pytest.raises(data.DataNotFoundError) as error:
            data.fetch(path)
    message = str(error.value)
    assert path in message and str(empty_root) in message and url in message
    assert "checksum" in message or "IncompleteRead" in message
    assert leftovers(empty_root) == []  # no partial file, no temporary file
    # The next run, with a good connection, downloads it afresh.
    with mirror(SOURCE) as (url, _):
        monkeypatch.setenv("GANBOOK_MIRROR", url)
        assert data.fetch(path).read_bytes() == (SOURCE / path).read_bytes()


def test_a_download_stopped_by_the_reader_leaves_nothing_behind(
    monkeypatch, empty_root
):
    def interrupted_copy(source, out):
        out.write(source.read(1000))
        raise KeyboardInterrupt

    with mirror(SOURCE) as (url, _):
        monkeypatch.setenv("GANBOOK_MIRROR", url)
        monkeypatch.setattr(shutil, "copyfileobj", interrupted_copy)
        with pytest.raises(KeyboardInterrupt):
            data.fetch("tinyshakespeare/input.txt")
    assert leftovers(empty_root) == []


def test_a_mirror_that_answers_404_names_the_mirror_and_the_data_root(
    monkeypatch, empty_root, tmp_path
):
    (tmp_path / "empty").mkdir()
    with mirror(tmp_path / "empty") as (url, _):
        monkeypatch.setenv("GANBOOK_MIRROR", url)
        with pytest.raises(data.DataNotFoundError) as error:
            data.mnist(train=False, device="cpu")
    message = str(error.value)
    assert f"GANBOOK_MIRROR={url}" in message and str(empty_root) in message
    assert "404" in message and "t10k-images-idx3-ubyte.gz" in message
    assert "GANBOOK_DATA" in message and "Traceback" not in message
    assert leftovers(empty_root) == []


def test_without_a_mirror_the_default_hosts_are_tried_in_turn(monkeypatch, empty_root):
    asked = []

    def closed_network(url, timeout):
        asked.append(url)
        raise OSError("network is unreachable")

    monkeypatch.delenv("GANBOOK_MIRROR", raising=False)
    monkeypatch.setattr("urllib.request.urlopen", closed_network)
    with pytest.raises(data.DataNotFoundError, match="its default hosts"):
        data.fetch("MNIST/raw/train-labels-idx1-ubyte")
    assert asked == list(data.DATA_FILES["MNIST/raw/train-labels-idx1-ubyte"].urls)
    assert len(asked) == 2 and all(url.endswith(".gz") for url in asked)


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_damaged_file_on_disk_gives_one_clear_error(monkeypatch, tmp_path, damage):
    monkeypatch.setenv("GANBOOK_DATA", str(tmp_path))
    target = tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    target.parent.mkdir(parents=True)
    shutil.copy(SOURCE / TEST_DIGITS[0], tmp_path / TEST_DIGITS[0])  # the images: good
    good = (SOURCE / "MNIST" / "raw" / target.name).read_bytes()
    bad = good[:5000] if damage == "truncated" else good[:-1] + b"\x09"
    target.write_bytes(bad)
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: pytest.fail("fetch"))
    with pytest.raises(data.CorruptDataError) as error:
        data.mnist(train=False, device="cpu")
    message = str(error.value)
    assert str(target) in message and "Delete it" in message
    assert "md5" in message and "27ae3e4e09519cfbb04c329615203637" in message


def test_every_recorded_checksum_matches_the_shared_data():
    present = [f for f in data.DATA_FILES.values() if (SOURCE / f.path).exists()]
    assert {f.path for f in present} >= {*TEST_DIGITS, "tinyshakespeare/input.txt"}
    for file in present:
        assert data._matches(SOURCE / file.path, file)[0], file.path


def test_the_git_checksum_is_what_git_records(tmp_path):
    # WikiText-2's training split is checked by its id in PyTorch's git tree: the SHA-1
    # of "blob <size>\0" and the bytes, as `git hash-object` computes it.
    sample = tmp_path / "sample.txt"
    sample.write_text(" = Valkyria Chronicles III = \n")
    expected = subprocess.run(
        ["git", "hash-object", str(sample)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert data._checksum(sample, "git-sha1") == expected


def test_an_unknown_file_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="relative_path='mnist.npz'.*tinyshakespeare"):
        data.fetch("mnist.npz")
