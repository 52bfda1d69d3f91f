"""Language models that generate text: corpora, TBPTT chunks, an LSTM, its training.

In the spirit of PyTorch's ``word_language_model`` example: a corpus is turned into one
long tensor of token ids per split; :func:`batchify` cuts a split into ``batch_size``
parallel streams; :class:`Chunks` walks along them ``seq_len`` tokens at a time for
truncated backpropagation through time; :class:`LanguageModel` is Embedding → LSTM →
Linear; :func:`tbptt_step` trains it on one chunk; :func:`generate` samples from it
with a temperature. :class:`LanguageModelSettings` holds everything that decides a
trained model (for ``cache.trained``). The same code works on words or on characters
(``level``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .config import check_range, data_root
from .data import fetch
from .training import History, Step, fit

LEVELS = ("char", "word")
SPLITS = ("train", "valid", "test")
EOS, UNK = "<eos>", "<unk>"
# Words (with inner apostrophes: "o'er", "dost't") and single punctuation marks.
WORD_PATTERN = r"<unk>|\w+(?:'\w+)*|[^\w\s]"

HiddenState = tuple[torch.Tensor, torch.Tensor]


# ------------------------------------------------------------------------- text and ids


class Vocabulary:
    """A two-way map between tokens and ids; ``unk`` (if given) stands for unseen."""

    def __init__(self, tokens: Sequence[str], unk: str | None = None) -> None:
        self.itos: list[str] = list(
            dict.fromkeys(tokens)
        )  # first appearance order, no repeats
        if unk is not None and unk not in self.itos:
            self.itos.append(unk)
        self.stoi = {token: i for i, token in enumerate(self.itos)}
        self.unk = unk

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> torch.Tensor:
        """Token ids as a 1-d ``long`` tensor; unknown tokens become ``unk``.

        Without ``unk``, an unknown token raises a ValueError.
        """
        if self.unk is None:
            unknown = sorted({t for t in tokens if t not in self.stoi})
            if unknown:
                raise ValueError(
                    f"tokens {unknown[:10]} are not in the vocabulary "
                    f"of {len(self)} tokens"
                )
            return torch.tensor([self.stoi[t] for t in tokens], dtype=torch.long)
        unk_id = self.stoi[self.unk]
        return torch.tensor(
            [self.stoi.get(t, unk_id) for t in tokens], dtype=torch.long
        )

    def decode(self, ids: torch.Tensor | Sequence[int]) -> list[str]:
        """The tokens of ``ids``."""
        return [self.itos[i] for i in torch.as_tensor(ids).tolist()]


def tokenize(text: str, level: str, pattern: str = WORD_PATTERN) -> list[str]:
    """Characters (``level="char"``), or words and ``<eos>`` at line ends (``"word"``).

    Words are the matches of the regular expression ``pattern`` on each line.
    """
    if level not in LEVELS:
        raise ValueError(
            f"level={level!r} is not allowed; allowed values: {', '.join(LEVELS)}"
        )
    if level == "char":
        return list(text)
    regex = re.compile(pattern)
    lines = text.split("\n")
    if (
        lines and lines[-1] == ""
    ):  # a final newline ends the last line, it does not start one
        lines.pop()
    return [token for line in lines for token in (*regex.findall(line), EOS)]


def detokenize(tokens: Sequence[str], level: str) -> str:
    """Text from tokens: characters are joined; words spaced, ``<eos>`` a newline."""
    if level not in LEVELS:
        raise ValueError(
            f"level={level!r} is not allowed; allowed values: {', '.join(LEVELS)}"
        )
    if level == "char":
        return "".join(tokens)
    text = re.sub(rf" ?{EOS} ?", "\n", " ".join(tokens))
    return re.sub(r" ([,.;:!?])", r"\1", text)  # no space before punctuation


def split_text(
    text: str, fractions: Sequence[float] = (0.9, 0.05, 0.05)
) -> dict[str, str]:
    """Cut ``text`` into consecutive train/valid/test parts, each ending at a line end.

    Deterministic: the first ``fractions[0]`` of the characters train, the next part
    validates, the rest tests (so the parts never share a line).
    """
    if (
        len(fractions) != 3
        or any(f <= 0 for f in fractions)
        or not math.isclose(sum(fractions), 1.0)
    ):
        raise ValueError(
            f"fractions={tuple(fractions)} must be three positive numbers that sum to 1"
        )
    cuts, start = [], 0
    for fraction in (fractions[0], fractions[0] + fractions[1]):
        cut = text.find("\n", max(int(len(text) * fraction), start))
        cut = len(text) if cut < 0 else cut + 1
        cuts.append(cut)
        start = cut
    parts = (text[: cuts[0]], text[cuts[0] : cuts[1]], text[cuts[1] :])
    if not all(parts):
        raise ValueError(
            f"text of {len(text)} characters is too short to split "
            f"into {tuple(fractions)}"
        )
    return dict(zip(SPLITS, parts))


@dataclass
class Corpus:
    """A tokenised corpus: its vocabulary and one 1-d tensor of ids per split."""

    level: str
    vocab: Vocabulary
    splits: dict[str, torch.Tensor]
    pattern: str = WORD_PATTERN

    @classmethod
    def from_texts(
        cls,
        texts: Mapping[str, str],
        level: str,
        min_count: int = 1,
        pattern: str = WORD_PATTERN,
    ) -> Corpus:
        """Tokenise ``texts`` (split name -> text); the vocabulary comes from "train".

        Without a ``"train"`` text the vocabulary comes from all the texts. Characters
        form a closed vocabulary (every character of every text, sorted); words seen
        fewer than ``min_count`` times in training become ``<unk>``, as do words never
        seen there.
        """
        if not texts:
            raise ValueError("texts: give at least one split")
        if min_count < 1:
            raise ValueError(f"min_count={min_count} must be at least 1")
        tokens = {name: tokenize(text, level, pattern) for name, text in texts.items()}
        if level == "char":
            vocab = Vocabulary(sorted(set().union(*tokens.values())))
        else:
            source = (
                tokens["train"]
                if "train" in tokens
                else [t for ts in tokens.values() for t in ts]
            )
            counts = Counter(source)
            vocab = Vocabulary([t for t in source if counts[t] >= min_count], unk=UNK)
        return cls(
            level,
            vocab,
            {name: vocab.encode(ts) for name, ts in tokens.items()},
            pattern,
        )

    def encode(self, text: str) -> torch.Tensor:
        """The ids of ``text`` (words of a prompt: without the final ``<eos>``)."""
        tokens = tokenize(text, self.level, self.pattern)
        if self.level == "word" and tokens and not text.endswith("\n"):
            tokens = tokens[:-1]
        return self.vocab.encode(tokens)

    def decode(self, ids: torch.Tensor | Sequence[int]) -> str:
        """The text of ``ids``."""
        return detokenize(self.vocab.decode(ids), self.level)


def tiny_shakespeare(level: str = "char", min_count: int = 1) -> Corpus:
    """Tiny Shakespeare (1.1 M characters) split 90/5/5 into train/valid/test.

    Read as characters or words (``level``).
    """
    path = fetch("tinyshakespeare/input.txt")
    return Corpus.from_texts(
        split_text(path.read_text(encoding="utf-8")), level, min_count
    )


def wikitext2(splits: Sequence[str] = SPLITS, min_count: int = 1) -> Corpus:
    """WikiText-2 at word level, tokenised as PyTorch's example does (split on spaces).

    Its rare words are already ``<unk>``; ``min_count`` above 1 replaces more.
    """
    unknown = [s for s in splits if s not in SPLITS]
    if unknown or not splits:
        raise ValueError(
            f"splits={tuple(splits)} must be a non-empty subset of {SPLITS}"
        )
    texts = {
        split: fetch(f"wikitext-2/{split}.txt").read_text(encoding="utf-8")
        for split in splits
    }
    return Corpus.from_texts(texts, "word", min_count, pattern=r"\S+")


# --------------------------------------------------------------------------- batches


def batchify(data: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut 1-d ids into ``batch_size`` equal streams: a ``(batch_size, n)`` tensor.

    Row ``b`` is the ``b``-th consecutive piece of the text; tokens that do not fill a
    whole column are dropped.
    """
    if data.dim() != 1:
        raise ValueError(
            f"data must be a 1-d tensor of ids; got shape {tuple(data.shape)}"
        )
    if not 1 <= batch_size <= len(data) // 2:
        raise ValueError(
            f"batch_size={batch_size} must be between 1 and {len(data) // 2} "
            f"for {len(data)} tokens"
        )
    n = len(data) // batch_size
    return data[: n * batch_size].view(batch_size, n)


class Chunks:
    """``(input, target)`` chunks of ``seq_len`` steps along batchified streams (TBPTT).

    Chunk ``k`` holds columns ``[k * seq_len, (k + 1) * seq_len)`` of ``streams``; the
    targets are the same columns shifted by one. One iteration yields ``steps`` chunks
    (default: one pass over the streams), going round the streams again when it reaches
    their end (the hidden state then simply carries on). :attr:`progress` says how far
    the iteration is, for a learning-rate schedule.
    """

    def __init__(
        self, streams: torch.Tensor, seq_len: int, steps: int | None = None
    ) -> None:
        if streams.dim() != 2:
            raise ValueError(
                "streams must be (batch_size, n) from batchify; "
                f"got shape {tuple(streams.shape)}"
            )
        if not 1 <= seq_len <= streams.shape[1] - 1:
            raise ValueError(
                f"seq_len={seq_len} must be between 1 and {streams.shape[1] - 1}"
            )
        self.streams, self.seq_len = streams, seq_len
        self.per_pass = (streams.shape[1] - 1) // seq_len
        self.steps = self.per_pass if steps is None else steps
        if self.steps < 1:
            raise ValueError(f"steps={steps} must be at least 1")
        self.done = 0

    def __len__(self) -> int:
        return self.steps

    @property
    def progress(self) -> float:
        """How far through the iteration, 0 to 1: chunks handed out before the current
        one, over ``steps``."""
        return self.done / self.steps

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self.done = 0
        for k in range(self.steps):
            i = (k % self.per_pass) * self.seq_len
            x = self.streams[:, i : i + self.seq_len]
            yield x, self.streams[:, i + 1 : i + 1 + self.seq_len]
            self.done = k + 1


# --------------------------------------------------------------------------- the model


class LanguageModel(nn.Module):
    """Embedding → multi-layer LSTM → Linear decoder, with dropout: next-token logits.

    ``tie_weights`` shares the embedding matrix with the decoder (it then needs
    ``embed_size == hidden_size``): fewer parameters and, for words, usually a better
    fit.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int = 256,
        hidden_size: int = 256,
        num_layers: int = 2,
        dropout: float = 0.2,
        tie_weights: bool = False,
    ) -> None:
        super().__init__()
        for name, value in (
            ("vocab_size", vocab_size),
            ("embed_size", embed_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            if value < 1:
                raise ValueError(f"{name}={value} must be at least 1")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout={dropout} must be in [0, 1)")
        if tie_weights and embed_size != hidden_size:
            raise ValueError(
                "tie_weights needs embed_size == hidden_size; "
                f"got {embed_size} and {hidden_size}"
            )
        self.drop = nn.Dropout(dropout)
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(
            embed_size,
            hidden_size,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.decoder = nn.Linear(hidden_size, vocab_size)
        if tie_weights:
            self.decoder.weight = self.embed.weight
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)

    def forward(
        self, tokens: torch.Tensor, hidden: HiddenState | None = None
    ) -> tuple[torch.Tensor, HiddenState]:
        """Logits ``(batch, time, vocab)`` for ``(batch, time)`` ids; the new state."""
        output, hidden = self.lstm(self.drop(self.embed(tokens)), hidden)
        return self.decoder(self.drop(output)), hidden


def detach(hidden: HiddenState | None) -> HiddenState | None:
    """The hidden state cut from the graph of the chunk that made it (TBPTT's T)."""
    return None if hidden is None else tuple(h.detach() for h in hidden)


def warmup_cosine(progress: float, warmup: float = 0.02, final: float = 0.1) -> float:
    """A learning-rate factor at ``progress`` (0 to 1) through a run.

    A linear warm-up over the first ``warmup`` of the run, then a cosine to ``final``.
    """
    if not 0 <= progress <= 1:
        raise ValueError(f"progress={progress} must be in [0, 1]")
    if progress < warmup:
        return (progress + 1e-3) / (warmup + 1e-3)
    t = (progress - warmup) / (1 - warmup)
    return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * t))


# --------------------------------------------------------------------------- training


def tbptt_step(
    model: LanguageModel,
    optimizer: torch.optim.Optimizer,
    chunks: Chunks,
    lr: float,
    clip: float = 1.0,
) -> Step:
    """One step of truncated backpropagation through time on each chunk of ``chunks``.

    The hidden state lives on from one chunk to the next, detached from the chunk that
    made it; the learning rate warms up, then decays along a cosine, as ``chunks``
    progresses; gradients are clipped to norm ``clip``.
    """
    hidden = None

    def step(batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        nonlocal hidden
        x, y = batch
        for group in optimizer.param_groups:
            group["lr"] = lr * warmup_cosine(chunks.progress)
        logits, hidden = model(x, detach(hidden))  # carry the state on, cut its history
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)  # tame a rare explosion
        optimizer.step()
        return {"loss": loss.detach()}

    return step


CORPORA = ("tinyshakespeare", "wikitext2")


@lru_cache(maxsize=4)
def _corpus(corpus: str, level: str, min_count: int, root: str) -> Corpus:
    # ``root`` (the data root) is part of the key only: a new root reads afresh.
    if corpus == "wikitext2":
        return wikitext2(min_count=min_count)
    return tiny_shakespeare(level, min_count)


def load_corpus(settings: LanguageModelSettings) -> Corpus:
    """The corpus ``settings`` train on (read once per corpus, level, ``min_count``)."""
    return _corpus(
        settings.corpus, settings.level, settings.min_count, str(data_root())
    )


@dataclass(frozen=True)
class LanguageModelSettings:
    """A :class:`LanguageModel` trained on ``corpus`` at ``level`` for ``steps`` chunks
    of TBPTT (:func:`tbptt_step`) with Adam and a warm-up-cosine learning rate.

    ``corpus`` is ``"tinyshakespeare"`` (split 90/5/5) or ``"wikitext2"`` (words only);
    words seen fewer than ``min_count`` times in training become ``<unk>``.
    """

    name: ClassVar[str] = "language_model"
    corpus: str = "tinyshakespeare"
    level: str = "char"
    min_count: int = 1
    embed_size: int = 64
    hidden_size: int = 256
    num_layers: int = 2
    dropout: float = 0.1
    tie_weights: bool = False
    batch_size: int = 32
    seq_len: int = 64
    lr: float = 3e-3
    steps: int = 1000
    clip: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.corpus not in CORPORA:
            raise ValueError(
                f"corpus={self.corpus!r} is not known; allowed: {', '.join(CORPORA)}"
            )
        if self.level not in LEVELS:
            raise ValueError(
                f"level={self.level!r} is not allowed; allowed: {', '.join(LEVELS)}"
            )
        if self.corpus == "wikitext2" and self.level != "word":
            raise ValueError(
                f"level={self.level!r} is not allowed for wikitext2; allowed: word"
            )
        check_range("min_count", self.min_count, 1, 1000)
        check_range("embed_size", self.embed_size, 1, 4096)
        check_range("hidden_size", self.hidden_size, 1, 4096)
        check_range("num_layers", self.num_layers, 1, 8)
        check_range("dropout", self.dropout, 0, 1, high_open=True)
        if self.tie_weights and self.embed_size != self.hidden_size:
            raise ValueError(
                f"tie_weights=True needs embed_size == hidden_size; got "
                f"embed_size={self.embed_size}, hidden_size={self.hidden_size}"
            )
        check_range("batch_size", self.batch_size, 1, 4096)
        check_range("seq_len", self.seq_len, 1, 4096)
        check_range("lr", self.lr, 0, 1, low_open=True)
        check_range("steps", self.steps, 1, 10**7)
        check_range("clip", self.clip, 0, low_open=True)
        check_range("seed", self.seed, 0, 2**32 - 1)

    def build(self) -> LanguageModel:
        return LanguageModel(
            len(load_corpus(self).vocab),
            self.embed_size,
            self.hidden_size,
            self.num_layers,
            self.dropout,
            self.tie_weights,
        )

    def fit(
        self,
        model: LanguageModel,
        *,
        device: torch.device,
        progress: bool,
        max_seconds: float | None = None,
    ) -> History:
        streams = batchify(load_corpus(self).splits["train"], self.batch_size)
        chunks = Chunks(streams.to(device), self.seq_len, self.steps)
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        model.train()
        return fit(
            tbptt_step(model, optimizer, chunks, self.lr, self.clip),
            chunks,
            1,
            models=[model],
            max_seconds=max_seconds,
            progress=progress,
            desc=f"{self.level}-level LSTM",
        )


@torch.no_grad()
def evaluate(
    model: LanguageModel, data: torch.Tensor, batch_size: int = 16, seq_len: int = 256
) -> float:
    """Mean cross-entropy (nats per token) of ``model`` on the 1-d ids ``data``.

    Perplexity is its exponential. The hidden state carries across chunks, as in
    training.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    streams = batchify(data, batch_size).to(device)
    total, count, hidden = 0.0, 0, None
    for start in range(0, streams.shape[1] - 1, seq_len):
        x = streams[:, start : start + seq_len]
        y = streams[:, start + 1 : start + 1 + seq_len]
        x = x[:, : y.shape[1]]
        logits, hidden = model(x, hidden)
        total += F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"
        ).item()
        count += y.numel()
    model.train(was_training)
    return total / count


@torch.no_grad()
def generate(
    model: LanguageModel,
    prompt: torch.Tensor,
    length: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    num_samples: int | None = None,
) -> torch.Tensor:
    """``length`` new ids sampled after the 1-d ``prompt`` ids, one at a time.

    Each id is drawn from ``softmax(logits / temperature)``: below 1 sharper (safer,
    more repetitive), above 1 flatter (more surprising, more mistakes). ``generator``
    (a CPU ``torch.Generator``) makes the draws repeat. With ``num_samples`` the model
    writes that many samples side by side, as the rows of a ``(num_samples, length)``
    tensor; without it, one sample as a 1-d tensor (the first row of the same draws).
    """
    if temperature <= 0:
        raise ValueError(f"temperature={temperature} must be positive")
    if length < 0:
        raise ValueError(f"length={length} must be 0 or more")
    if prompt.dim() != 1 or len(prompt) == 0:
        raise ValueError(
            "prompt must be a non-empty 1-d tensor of ids; "
            f"got shape {tuple(prompt.shape)}"
        )
    if num_samples is not None and num_samples < 1:
        raise ValueError(f"num_samples={num_samples} must be at least 1")
    rows = 1 if num_samples is None else num_samples
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    logits, hidden = model(prompt.to(device).expand(rows, -1))
    out = []
    for _ in range(length):
        probs = F.softmax(logits[:, -1].float().cpu() / temperature, dim=-1)
        tokens = torch.multinomial(probs, 1, generator=generator)  # (rows, 1)
        out.append(tokens)
        logits, hidden = model(tokens.to(device), hidden)
    model.train(was_training)
    ids = torch.cat(out, dim=1) if out else torch.empty(rows, 0, dtype=torch.long)
    return ids[0] if num_samples is None else ids
