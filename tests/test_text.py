import dataclasses
import hashlib
import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from helpers import data, text
from helpers.cache import cache_path, trained
from helpers.config import BUDGETS, data_root
from helpers.training import fit

# ------------------------------------------------------------------------- text and ids


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
    assert words == [
        "O",
        "Romeo",
        ",",
        "o'er",
        "there",
        "!",
        "<eos>",
        "<eos>",
        "Nay",
        ".",
        "<eos>",
    ]
    assert text.detokenize(words, "word") == "O Romeo, o'er there!\n\nNay.\n"
    assert text.detokenize(list("ab\n"), "char") == "ab\n"
    assert text.tokenize("a <unk> b @-@ c", "word", pattern=r"\S+") == [
        "a",
        "<unk>",
        "b",
        "@-@",
        "c",
        "<eos>",
    ]
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
    assert (
        rare.decode(rare.encode("the cat sat")) == "the <unk> sat"
    )  # a prompt: no final <eos>
    chars = text.Corpus.from_texts(texts, "char")
    assert chars.vocab.itos == sorted(set("the cat sat\nthe dog sat\nthe bird sat\n"))
    assert chars.decode(chars.splits["train"]) == texts["train"]
    no_train = text.Corpus.from_texts({"valid": "a b\n", "test": "c\n"}, "word")
    assert set(no_train.vocab.itos) == {"a", "b", "c", "<eos>", "<unk>"}
    with pytest.raises(ValueError, match="min_count=0"):
        text.Corpus.from_texts(texts, "word", min_count=0)


def stand_in(monkeypatch, path) -> None:
    """Record ``path`` (a small play a test wrote) as Tiny Shakespeare's checksum, so
    the loaders accept it in place of the real corpus."""
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    file = data.DATA_FILES["tinyshakespeare/input.txt"]
    monkeypatch.setitem(
        data.DATA_FILES, file.path, dataclasses.replace(file, checksum=f"md5:{md5}")
    )


def test_tiny_shakespeare_from_the_data_root(tmp_path, monkeypatch):
    folder = tmp_path / "tinyshakespeare"
    folder.mkdir()
    (folder / "input.txt").write_text(
        "".join(f"ROMEO {i}:\nSpeak, love!\n\n" for i in range(300))
    )
    stand_in(monkeypatch, folder / "input.txt")
    monkeypatch.setenv("GANBOOK_DATA", str(tmp_path))
    chars = text.tiny_shakespeare("char")
    assert sum(len(v) for v in chars.splits.values()) == len(
        (folder / "input.txt").read_text()
    )
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
    if not all(
        (data_root() / "wikitext-2" / f"{s}.txt").exists() for s in ("valid", "test")
    ):
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


def test_chunks_shift_targets_wrap_and_report_progress():
    streams = text.batchify(torch.arange(40), 2)  # rows 0..19 and 20..39
    chunks = text.Chunks(streams, seq_len=6)
    assert chunks.per_pass == 3 and len(chunks) == 3
    batches = []
    for x, y in chunks:
        assert chunks.progress == len(batches) / 3  # chunks handed out before this one
        batches.append((x, y))
    assert [x.shape for x, _ in batches] == [(2, 6)] * 3
    for x, y in batches:
        assert torch.equal(y, x + 1)  # the target is the next token
    assert batches[1][0][0].tolist() == [6, 7, 8, 9, 10, 11]
    assert chunks.progress == 1.0
    longer = list(text.Chunks(streams, seq_len=6, steps=5))
    assert len(longer) == 5
    assert torch.equal(longer[3][0], batches[0][0])  # round again from the start
    with pytest.raises(ValueError, match="seq_len=20 must be between 1 and 19"):
        text.Chunks(streams, seq_len=20)
    with pytest.raises(ValueError, match="steps=0 must be at least 1"):
        text.Chunks(streams, seq_len=2, steps=0)


# ------------------------------------------------------ model, training, sampling


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
    assert (
        sum(p.numel() for p in untied.parameters())
        - sum(p.numel() for p in tied.parameters())
        == 50 * 16
    )
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
    torch.nn.init.zeros_(
        model.decoder.bias
    )  # all logits 0: every token has probability 1/30
    loss = text.evaluate(model, torch.randint(0, 30, (500,)), batch_size=4, seq_len=16)
    assert loss == pytest.approx(math.log(30), abs=1e-5)
    assert model.training  # put back as it was


def test_tbptt_step_lowers_the_loss_and_follows_the_schedule():
    torch.manual_seed(0)
    data = torch.arange(5).repeat(40)
    model = text.LanguageModel(5, embed_size=8, hidden_size=16, dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    chunks = text.Chunks(text.batchify(data, 4), seq_len=10, steps=10)
    step = text.tbptt_step(model, optimizer, chunks, lr=1e-2, clip=1.0)
    x, y = next(iter(chunks))

    def loss_now() -> float:
        logits, _ = model(x)
        return F.cross_entropy(logits.reshape(-1, 5), y.reshape(-1)).item()

    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss_before = loss_now()
    losses = step((x, y))
    assert set(losses) == {"loss"} and not losses["loss"].requires_grad
    assert losses["loss"].item() == pytest.approx(loss_before, rel=1e-5)
    assert loss_now() < loss_before
    assert all(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    # The first chunk is at the start of the warm-up.
    assert optimizer.param_groups[0]["lr"] == pytest.approx(
        1e-2 * text.warmup_cosine(0)
    )


def test_tbptt_training_learns_a_repeating_sequence():
    torch.manual_seed(0)
    data = torch.arange(5).repeat(400)  # 0 1 2 3 4 0 1 2 ...
    model = text.LanguageModel(5, embed_size=8, hidden_size=16, dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    chunks = text.Chunks(text.batchify(data, 8), seq_len=10, steps=100)
    step = text.tbptt_step(model, optimizer, chunks, lr=1e-2)
    history = fit(step, chunks, 1, models=[model], progress=False)
    assert history.steps == 100
    assert history.losses["loss"][-1] < 0.1
    # The last chunk is at the end of the cosine: a tenth of the learning rate.
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-3, rel=0.01)
    assert (
        text.evaluate(model, data) < 0.2 < math.log(5)
    )  # its first tokens lack context
    prompt = torch.tensor([3, 4, 0, 1, 2])
    generator = torch.Generator().manual_seed(0)
    sample = text.generate(model, prompt, 7, temperature=0.5, generator=generator)
    assert sample.tolist() == [3, 4, 0, 1, 2, 3, 4]


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"corpus": "ptb"}, "corpus='ptb' is not known; allowed: tinyshakespeare"),
        ({"level": "byte"}, "level='byte' is not allowed; allowed: char, word"),
        ({"corpus": "wikitext2"}, "level='char' is not allowed for wikitext2"),
        ({"min_count": 0}, "min_count=0 is out of range; allowed: 1 to"),
        ({"embed_size": 0}, "embed_size=0 is out of range; allowed: 1 to 4096"),
        ({"hidden_size": 5000}, "hidden_size=5000 is out of range; allowed: 1 to"),
        ({"num_layers": 0}, "num_layers=0 is out of range; allowed: 1 to 8"),
        ({"dropout": 1.0}, r"dropout=1.0 is out of range; allowed: 0 <= dropout < 1"),
        ({"tie_weights": True}, "tie_weights=True needs embed_size == hidden_size"),
        ({"batch_size": 0}, "batch_size=0 is out of range"),
        ({"seq_len": 0}, "seq_len=0 is out of range"),
        ({"lr": 0.0}, "lr=0.0 is out of range; allowed: 0 < lr <= 1"),
        ({"steps": 0}, "steps=0 is out of range; allowed: 1 to"),
        ({"clip": 0.0}, "clip=0.0 is out of range; allowed: clip > 0"),
        ({"seed": -1}, "seed=-1 is out of range"),
    ],
)
def test_settings_check_their_fields(changes, message):
    with pytest.raises(ValueError, match=message):
        text.LanguageModelSettings(**changes)


def test_settings_accept_the_book_budgets():
    for budgets in BUDGETS["text_lstm"].values():
        for level in text.LEVELS:
            settings = text.LanguageModelSettings(level=level, **budgets[level])
            assert settings.level == level and settings.steps >= 1
    words = text.LanguageModelSettings(
        corpus="wikitext2",
        level="word",
        embed_size=32,
        hidden_size=32,
        tie_weights=True,
    )
    assert words.tie_weights


@pytest.fixture
def tiny_play(tmp_path, monkeypatch):
    """A small Tiny Shakespeare under a fresh data root, and a fresh model cache."""
    folder = tmp_path / "data" / "tinyshakespeare"
    folder.mkdir(parents=True)
    lines = "".join(f"ROMEO {i % 7}:\nSpeak, love, speak!\n\n" for i in range(200))
    (folder / "input.txt").write_text(lines)
    stand_in(monkeypatch, folder / "input.txt")
    monkeypatch.setenv("GANBOOK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GANBOOK_CACHE", str(tmp_path / "cache"))
    return text.LanguageModelSettings(
        embed_size=8,
        hidden_size=16,
        num_layers=1,
        dropout=0.0,
        batch_size=4,
        seq_len=16,
        lr=1e-2,
        steps=12,
    )


def test_load_corpus_reads_once_per_corpus_level_and_min_count(tiny_play):
    chars = text.load_corpus(tiny_play)
    assert chars is text.load_corpus(replace(tiny_play, hidden_size=32, seed=1))
    assert chars.decode(chars.splits["train"][:9]) == "ROMEO 0:\n"
    words = text.load_corpus(replace(tiny_play, level="word", min_count=2))
    assert words.level == "word" and words is not chars
    assert "ROMEO" in words.vocab.stoi


def test_trained_language_model_caches_and_reloads_the_same_weights(tiny_play):
    first = trained(tiny_play, device="cpu", progress=False)
    assert not first.from_cache and not first.model.training
    assert first.history.steps == tiny_play.steps
    assert len(first.history.losses["loss"]) == tiny_play.steps
    assert first.history.losses["loss"][-1] < first.history.losses["loss"][0]
    again = trained(tiny_play, device="cpu", progress=False)
    assert again.from_cache
    assert again.history.losses["loss"] == first.history.losses["loss"]
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, again.model.state_dict()[key]), key
    # The run is seeded: without its cache file it trains the same weights again.
    cache_path(tiny_play).unlink()
    retrained = trained(tiny_play, device="cpu", progress=False)
    assert not retrained.from_cache
    assert retrained.history.losses["loss"] == first.history.losses["loss"]
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, retrained.model.state_dict()[key]), key
    other = trained(replace(tiny_play, seed=1), device="cpu", progress=False)
    assert not other.from_cache
    assert other.history.losses["loss"] != first.history.losses["loss"]


def test_generate_repeats_under_a_seed_and_checks_arguments():
    torch.manual_seed(1)
    model = text.LanguageModel(20, embed_size=8, hidden_size=8)
    prompt = torch.tensor([1, 2, 3])

    def sample(temperature, seed):
        return text.generate(
            model,
            prompt,
            30,
            temperature,
            generator=torch.Generator().manual_seed(seed),
        )

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


def test_generate_writes_many_samples_side_by_side():
    torch.manual_seed(1)
    model = text.LanguageModel(20, embed_size=8, hidden_size=8)
    prompt = torch.tensor([1, 2, 3])

    def draw(temperature, num_samples=None, length=30):
        return text.generate(
            model,
            prompt,
            length,
            temperature,
            generator=torch.Generator().manual_seed(0),
            num_samples=num_samples,
        )

    many = draw(1.0, num_samples=6)
    assert many.shape == (6, 30) and many.dtype == torch.long
    assert len({tuple(row) for row in many.tolist()}) > 1, "the rows are independent"
    # One row is the one-sample draw, and greedy decoding writes one text in every row.
    assert torch.equal(draw(1.0, num_samples=1)[0], draw(1.0))
    assert all(torch.equal(row, draw(1e-4)) for row in draw(1e-4, num_samples=3))
    assert draw(1.0, num_samples=4, length=0).shape == (4, 0)
    with pytest.raises(ValueError, match="num_samples=0"):
        draw(1.0, num_samples=0)
