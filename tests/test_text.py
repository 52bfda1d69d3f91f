import math
import time

import pytest
import torch
import torch.nn.functional as F

from helpers import text
from helpers.config import data_root
from helpers.training import fit


# --------------------------------------------------------------------------- text and ids


def test_vocabulary_round_trip_unk_and_unknown_error():
    vocab = text.Vocabulary(["b", "a", "b", "c"], unk="<unk>")
    assert vocab.itos == ["b", "a", "c", "<unk>"] and len(vocab) == 4
    ids = vocab.encode(["a", "c", "zzz"])
    assert ids.dtype == torch.long and ids.tolist() == [1, 2, 3]
    assert vocab.decode(ids) == ["a", "c", "<unk>"]
    closed = text.Vocabulary(list("abc"))
    with pytest.raises(ValueError, match=r"\['x', 'y'\] are not in the vocabulary"):
        closed.encode(list("axy"))


def test_tokenize_and_detokenize():
    assert text.tokenize("Hi!\n", "char") == ["H", "i", "!", "\n"]
    words = text.tokenize("O Romeo, o'er there!\n\nNay.\n", "word")
    assert words == ["O", "Romeo", ",", "o'er", "there", "!", "<eos>", "<eos>", "Nay", ".", "<eos>"]
    assert text.detokenize(words, "word") == "O Romeo, o'er there!\n\nNay.\n"
    assert text.detokenize(list("ab\n"), "char") == "ab\n"
    assert text.tokenize("a <unk> b @-@ c", "word", pattern=r"\S+") == ["a", "<unk>", "b", "@-@", "c", "<eos>"]
    with pytest.raises(ValueError, match="level='byte'.*char, word"):
        text.tokenize("x", "byte")
    with pytest.raises(ValueError, match="level="):
        text.detokenize(["x"], "byte")


def test_split_text_is_deterministic_and_cuts_at_line_ends():
    lines = "".join(f"line {i}\n" for i in range(1000))
    parts = text.split_text(lines)
    assert list(parts) == ["train", "valid", "test"]
    assert "".join(parts.values()) == lines
    assert all(p.endswith("\n") for p in parts.values())
    assert abs(len(parts["train"]) / len(lines) - 0.9) < 0.01
    assert abs(len(parts["valid"]) / len(lines) - 0.05) < 0.01
    assert text.split_text(lines) == parts
    with pytest.raises(ValueError, match="fractions=.*sum to 1"):
        text.split_text(lines, (0.5, 0.2, 0.2))
    with pytest.raises(ValueError, match="too short"):
        text.split_text("one line\n")


def test_corpus_vocabulary_comes_from_training_text():
    texts = {"train": "the cat sat\nthe dog sat\n", "valid": "the bird sat\n"}
    corpus = text.Corpus.from_texts(texts, "word")
    assert corpus.vocab.itos == ["the", "cat", "sat", "<eos>", "dog", "<unk>"]
    assert corpus.decode(corpus.splits["valid"]) == "the <unk> sat\n"
    rare = text.Corpus.from_texts(texts, "word", min_count=2)
    assert rare.vocab.itos == ["the", "sat", "<eos>", "<unk>"]
    assert rare.decode(rare.encode("the cat sat")) == "the <unk> sat"  # a prompt: no final <eos>
    chars = text.Corpus.from_texts(texts, "char")
    assert chars.vocab.itos == sorted(set("the cat sat\nthe dog sat\nthe bird sat\n"))
    assert chars.decode(chars.splits["train"]) == texts["train"]
    no_train = text.Corpus.from_texts({"valid": "a b\n", "test": "c\n"}, "word")
    assert set(no_train.vocab.itos) == {"a", "b", "c", "<eos>", "<unk>"}
    with pytest.raises(ValueError, match="min_count=0"):
        text.Corpus.from_texts(texts, "word", min_count=0)


def test_tiny_shakespeare_from_the_data_root(tmp_path, monkeypatch):
    folder = tmp_path / "tinyshakespeare"
    folder.mkdir()
    (folder / "input.txt").write_text("".join(f"ROMEO {i}:\nSpeak, love!\n\n" for i in range(300)))
    monkeypatch.setenv("GANBOOK_DATA", str(tmp_path))
    chars = text.tiny_shakespeare("char")
    assert sum(len(v) for v in chars.splits.values()) == len((folder / "input.txt").read_text())
    words = text.tiny_shakespeare("word")
    assert words.decode(words.splits["train"][:10]) == "ROMEO 0:\nSpeak, love!\n\n"
    monkeypatch.setenv("GANBOOK_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="GANBOOK_DATA"):
        text.tiny_shakespeare()


def test_the_real_tiny_shakespeare():
    if not (data_root() / "tinyshakespeare" / "input.txt").exists():
        pytest.skip("tinyshakespeare/input.txt is not under GANBOOK_DATA")
    corpus = text.tiny_shakespeare("char")
    assert len(corpus.vocab) == 65
    assert sum(len(v) for v in corpus.splits.values()) == 1_115_394
    assert corpus.decode(corpus.splits["train"][:14]) == "First Citizen:"


def test_wikitext2_loader_on_valid_and_test():
    if not all((data_root() / "wikitext-2" / f"{s}.txt").exists() for s in ("valid", "test")):
        pytest.skip("wikitext-2/{valid,test}.txt are not under GANBOOK_DATA")
    corpus = text.wikitext2(splits=("valid", "test"))
    assert corpus.level == "word" and set(corpus.splits) == {"valid", "test"}
    # The standard token counts (words plus one <eos> per line) of PyTorch's example.
    assert len(corpus.splits["valid"]) == 217_646
    assert len(corpus.splits["test"]) == 245_569
    assert "<unk>" in corpus.vocab.stoi and "@-@" in corpus.vocab.stoi
    with pytest.raises(ValueError, match="splits=.*subset"):
        text.wikitext2(splits=("dev",))


# --------------------------------------------------------------------------- batches


def test_batchify_makes_consecutive_streams():
    streams = text.batchify(torch.arange(23), 4)
    assert streams.shape == (4, 5)
    assert streams[1].tolist() == [5, 6, 7, 8, 9]
    with pytest.raises(ValueError, match="batch_size=20 must be between 1 and 11"):
        text.batchify(torch.arange(23), 20)
    with pytest.raises(ValueError, match="1-d"):
        text.batchify(torch.zeros(2, 3), 1)


def test_chunks_shift_targets_wrap_and_stop_in_time():
    streams = text.batchify(torch.arange(40), 2)  # rows 0..19 and 20..39
    chunks = text.Chunks(streams, seq_len=6)
    assert chunks.per_pass == 3 and len(chunks) == 3
    batches = list(chunks)
    assert [x.shape for x, _ in batches] == [(2, 6)] * 3
    for x, y in batches:
        assert torch.equal(y, x + 1)  # the target is the next token
    assert batches[1][0][0].tolist() == [6, 7, 8, 9, 10, 11]
    assert chunks.progress == 1.0
    longer = list(text.Chunks(streams, seq_len=6, steps=5))
    assert torch.equal(longer[3][0], batches[0][0])  # round again from the start
    slow = text.Chunks(streams, seq_len=6, steps=1000, max_seconds=0.05)
    seen = 0
    for _ in slow:
        seen += 1
        time.sleep(0.01)
    assert 1 <= seen < 1000 and slow.progress == 1.0
    with pytest.raises(ValueError, match="seq_len=20 must be between 1 and 19"):
        text.Chunks(streams, seq_len=20)
    with pytest.raises(ValueError, match="max_seconds=0"):
        text.Chunks(streams, seq_len=2, max_seconds=0)


# --------------------------------------------------------------------------- model, training, sampling


def test_language_model_shapes_tying_and_detach():
    torch.manual_seed(0)
    model = text.LanguageModel(50, embed_size=16, hidden_size=24, num_layers=2)
    logits, (h, c) = model(torch.randint(0, 50, (3, 7)))
    assert logits.shape == (3, 7, 50) and h.shape == c.shape == (2, 3, 24)
    h2, c2 = text.detach((h, c))
    assert not h2.requires_grad and h.requires_grad and torch.equal(h, h2)
    assert text.detach(None) is None
    tied = text.LanguageModel(50, embed_size=16, hidden_size=16, tie_weights=True)
    assert tied.decoder.weight is tied.embed.weight
    untied = text.LanguageModel(50, embed_size=16, hidden_size=16)
    assert sum(p.numel() for p in untied.parameters()) - sum(p.numel() for p in tied.parameters()) == 50 * 16
    with pytest.raises(ValueError, match="tie_weights needs embed_size == hidden_size"):
        text.LanguageModel(50, 16, 24, tie_weights=True)
    with pytest.raises(ValueError, match="dropout=1"):
        text.LanguageModel(50, dropout=1)
    with pytest.raises(ValueError, match="hidden_size=0"):
        text.LanguageModel(50, hidden_size=0)


def test_warmup_cosine_schedule():
    assert text.warmup_cosine(0.0) < 0.1
    assert text.warmup_cosine(0.02) == pytest.approx(1.0)
    assert text.warmup_cosine(0.51) == pytest.approx(0.55)
    assert text.warmup_cosine(1.0) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="progress=1.5"):
        text.warmup_cosine(1.5)


def test_evaluate_a_uniform_model_scores_log_vocab():
    model = text.LanguageModel(30, embed_size=8, hidden_size=8)
    torch.nn.init.zeros_(model.decoder.weight)
    torch.nn.init.zeros_(model.decoder.bias)  # all logits 0: every token has probability 1/30
    loss = text.evaluate(model, torch.randint(0, 30, (500,)), batch_size=4, seq_len=16)
    assert loss == pytest.approx(math.log(30), abs=1e-5)
    assert model.training  # put back as it was


def test_tbptt_training_learns_a_repeating_sequence():
    torch.manual_seed(0)
    data = torch.arange(5).repeat(400)  # 0 1 2 3 4 0 1 2 ...
    model = text.LanguageModel(5, embed_size=8, hidden_size=16, dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    chunks = text.Chunks(text.batchify(data, 8), seq_len=10, steps=100)
    hidden = None

    def step(batch):
        nonlocal hidden
        x, y = batch
        logits, hidden = model(x, text.detach(hidden))
        loss = F.cross_entropy(logits.reshape(-1, 5), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"loss": loss.detach()}

    history = fit(step, chunks, 1, models=[model], progress=False)
    assert history.steps == 100
    assert history.losses["loss"][-1] < 0.05
    assert text.evaluate(model, data) < 0.2 < math.log(5)  # its first tokens lack context
    prompt = torch.tensor([3, 4, 0, 1, 2])
    sample = text.generate(model, prompt, 7, temperature=0.5, generator=torch.Generator().manual_seed(0))
    assert sample.tolist() == [3, 4, 0, 1, 2, 3, 4]


def test_generate_repeats_under_a_seed_and_checks_arguments():
    torch.manual_seed(1)
    model = text.LanguageModel(20, embed_size=8, hidden_size=8)
    prompt = torch.tensor([1, 2, 3])

    def sample(temperature, seed):
        return text.generate(model, prompt, 30, temperature, generator=torch.Generator().manual_seed(seed))

    assert sample(1.0, 0).shape == (30,) and sample(1.0, 0).dtype == torch.long
    assert torch.equal(sample(1.0, 0), sample(1.0, 0))
    assert not torch.equal(sample(1.0, 0), sample(1.0, 1))
    # A tiny temperature is greedy decoding: the same sequence whatever the seed.
    assert torch.equal(sample(1e-4, 0), sample(1e-4, 1))
    assert text.generate(model, prompt, 0).numel() == 0
    with pytest.raises(ValueError, match="temperature=0"):
        text.generate(model, prompt, 5, temperature=0)
    with pytest.raises(ValueError, match="prompt must be a non-empty"):
        text.generate(model, torch.tensor([], dtype=torch.long), 5)
