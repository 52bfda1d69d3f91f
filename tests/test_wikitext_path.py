"""Chapter 11's WikiText-2 path, executed: the chapter run at the quick budget with
``WORD_CORPUS = "wikitext2"``, downloading its corpora into an empty data root through
``GANBOOK_MIRROR`` (a server on 127.0.0.1), training the word model on WikiText-2,
scoring and sampling it.

WikiText-2's training split (10.8 MB) is not among the data this machine has, so the
mirror serves its validation split in that place, and the kernel records that stand-in's
checksum before the chapter starts; everything after that is the chapter's own code.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import nbformat
from datakit import SOURCE, mirror
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "book" / "11_text_lstm.ipynb"
SWITCH = 'WORD_CORPUS = "tinyshakespeare"'


def test_the_text_chapter_trains_and_samples_its_word_model_on_wikitext2(
    tmp_path, monkeypatch
):
    served = tmp_path / "served"
    for name in (
        "tinyshakespeare/input.txt",
        "wikitext-2/valid.txt",
        "wikitext-2/test.txt",
    ):
        (served / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SOURCE / name, served / name)
    stand_in = served / "wikitext-2" / "train.txt"
    shutil.copy(SOURCE / "wikitext-2" / "valid.txt", stand_in)
    md5 = hashlib.md5(stand_in.read_bytes()).hexdigest()

    notebook = nbformat.read(CHAPTER, as_version=4)
    switches = [c for c in notebook.cells if SWITCH in c.source]
    assert len(switches) == 1, "chapter 11 chooses its word corpus in one cell"
    switches[0].source = switches[0].source.replace(SWITCH, 'WORD_CORPUS = "wikitext2"')
    record_stand_in = (
        "import dataclasses\nfrom helpers import data\n"
        "_file = data.DATA_FILES['wikitext-2/train.txt']\n"
        "data.DATA_FILES[_file.path] = "
        f"dataclasses.replace(_file, checksum='md5:{md5}')\n"
    )
    notebook.cells.insert(1, nbformat.v4.new_code_cell(record_stand_in))

    data_root = tmp_path / "data"
    with mirror(served) as (url, requested):
        monkeypatch.setenv("GANBOOK_DATA", str(data_root))
        monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path / "models"))
        monkeypatch.setenv("GANBOOK_MIRROR", url)
        monkeypatch.setenv("GANBOOK_BUDGET", "quick")
        monkeypatch.delenv("GANBOOK_PAGE_ASSETS", raising=False)
        NotebookClient(
            notebook,
            timeout=900,
            kernel_name="python3",
            resources={"metadata": {"path": str(CHAPTER.parent)}},
        ).execute()

    for split in ("train", "valid", "test"):
        assert f"/wikitext-2/{split}.txt" in requested
        assert (data_root / "wikitext-2" / f"{split}.txt").exists()
    printed = "".join(
        output.get("text", "") for output in switches[0].outputs if "text" in output
    )
    assert re.search(r"WikiText-2: vocabulary [\d,]+; train [\d,]+ tokens", printed)
    perplexity = float(re.search(r"validation perplexity ([\d.]+)", printed)[1])
    vocabulary = int(re.search(r"vocabulary ([\d,]+)", printed)[1].replace(",", ""))
    assert 1 < perplexity < vocabulary  # trained: better than guessing uniformly
    sample = printed.split(f"validation perplexity {perplexity:.1f}")[1]
    assert len(sample.split()) > 10
