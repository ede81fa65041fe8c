"""Meaning, not wording: ticket text embedded by a small static model, offline, on CPU.

"VPN keeps disconnecting" and "remote access tunnel drops every few minutes" share no
word; their embeddings are close. The model is WordLlama's bundled 256-dimension model
(``wordllama`` on PyPI): token vectors averaged, with its weights and tokenizer inside the
wheel, so nothing is ever downloaded. Each word is tokenized once per process, so a
ticket's text costs 10–30 µs on one core, by its length (WordLlama's own ``embed``
tokenizes every text whole: 25–110 µs).

A ticket is embedded once, when its facts are written; rules compare the stored vectors.
Vectors are kept as DIMENSIONS signed bytes (unit length × 127): a quarter of the floats'
size, and cosines within 0.01 of them.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError

if TYPE_CHECKING:
    from numpy.typing import NDArray

DIMENSIONS = 256
_SCALE = 127.0
#: The model's name in WordLlama (its bundled 256-dimension weights).
MODEL = "l2_supercat"


@lru_cache(maxsize=1)
def _model() -> Any:
    """WordLlama, loaded from its own package folder with downloads off.

    0.4.0.post1 looks for its bundled tokenizer under ``tokenizer/`` while the wheel ships
    it under ``tokenizers/``; as the cache folder, the package folder finds both. Its import
    also calls ``logging.basicConfig``, which would make every later log line of ours
    print: the root logger is put back as it was.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
        from wordllama import WordLlama
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    try:
        return WordLlama.load(
            MODEL,
            dim=DIMENSIONS,
            cache_dir=Path(wordllama.__file__).parent,
            disable_download=True,
        )
    except (FileNotFoundError, ValueError) as exc:  # a wheel without its weights
        raise ConfigError(
            f"the embedding model could not be loaded: {exc}",
            fix="reinstall itsmhub's dependencies (pip install --force-reinstall wordllama)",
        ) from None


def load_model() -> None:
    """Load the model now, in this thread (it is loaded once, at its first use)."""
    _model()


def embed(texts: list[str]) -> NDArray[np.float32]:
    """Unit vectors, one row per text (an empty text gets a zero vector)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), np.float32)
    model = _model()
    vectors = np.empty((len(texts), DIMENSIONS), np.float32)
    plain = [i for i, text in enumerate(texts) if _WORDS.fullmatch(text)]
    if plain:
        vectors[plain] = _averaged(model, [texts[i] for i in plain])
    if len(plain) < len(texts):
        others = sorted(set(range(len(texts))) - set(plain))
        batch = [texts[i] or " " for i in others]
        vectors[others] = model.embed(batch, norm=False, batch_size=256)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


#: Words separated by single spaces: what rules embed (``facts.semantic_text``).
_WORDS = re.compile(r"[^ ]+(?: [^ ]+)*")
#: Each word's token ids, as the model's tokenizer reads the word inside a text.
_WORD_IDS: dict[str, list[int]] = {}
#: Words remembered at most (a help desk's vocabulary is far smaller).
_MAX_WORDS = 200_000


def _averaged(model: Any, texts: list[str]) -> NDArray[np.float32]:
    """What ``model.embed(texts, norm=False)`` returns, to the bit, for texts of words
    separated by single spaces, at about a quarter of its CPU.

    The model's tokenizer (Llama's BPE) turns each space into "▁" and has no token with a
    "▁" after its first character, so no token spans two words: a text's tokens are its
    words' tokens one after another. Each word is tokenized once, not once per ticket,
    and the vector is the mean of the tokens' rows, summed as WordLlama sums them."""
    words = [text.split(" ") for text in texts]
    cached = {word: _WORD_IDS.get(word) for text in words for word in text}
    unseen = sorted(word for word, ids in cached.items() if ids is None)
    fresh = dict(zip(unseen, _tokenized(model, unseen), strict=True))
    if len(_WORD_IDS) + len(fresh) > _MAX_WORDS:
        _WORD_IDS.clear()
    if len(fresh) <= _MAX_WORDS:
        _WORD_IDS.update(fresh)
    ids_of = {word: fresh[word] if ids is None else ids for word, ids in cached.items()}
    ids = [[i for word in text for i in ids_of[word]] for text in words]
    return _mean_rows(model, ids)


def _mean_rows(model: Any, ids: list[list[int]]) -> NDArray[np.float32]:
    """Each list's mean of the model's token rows, as its ``embed`` computes them: lists
    padded into a matrix as its tokenizer pads them (id 0, masked out), pooled by its own
    ``avg_pool``, so the means are its means to the bit."""
    table = model.embedding
    out = np.empty((len(ids), table.shape[1]), np.float32)
    for start in range(0, len(ids), 256):
        batch = ids[start : start + 256]
        lengths = np.fromiter(map(len, batch), np.intp, len(batch))
        flat = np.fromiter(chain.from_iterable(batch), np.intp, int(lengths.sum()))
        np.clip(flat, 0, table.shape[0] - 1, out=flat)
        rows = np.repeat(np.arange(len(batch)), lengths)
        columns = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        width = max(int(lengths.max()), 1)
        padded = np.zeros((len(batch), width), np.intp)
        mask = np.zeros((len(batch), width), np.float32)
        padded[rows, columns] = flat
        mask[rows, columns] = 1.0
        out[start : start + len(batch)] = model.avg_pool(table[padded], mask)
    return out


def _tokenized(model: Any, words: list[str]) -> list[list[int]]:
    """Each word's token ids. A batch is padded to its longest word: the attention mask
    says which ids are the word's."""
    if not words:
        return []
    encodings = model.tokenizer.encode_batch(words, add_special_tokens=False)
    return [[i for i, real in zip(e.ids, e.attention_mask, strict=True) if real] for e in encodings]


def encode(vector: NDArray[np.float32]) -> bytes:
    """A unit vector as DIMENSIONS signed bytes."""
    return np.rint(vector * _SCALE).astype(np.int8).tobytes()


def decode(data: bytes) -> NDArray[np.float32]:
    """The unit vector stored by :func:`encode` (zeros for none)."""
    if not data:
        return np.zeros(DIMENSIONS, np.float32)
    return np.frombuffer(data, np.int8).astype(np.float32) / _SCALE


def vector_of(text: str) -> bytes:
    """The stored form of one text's embedding."""
    return encode(embed([text])[0])


def cosine(a: bytes, b: bytes) -> float:
    """The cosine of two stored vectors (0.0 if either is missing)."""
    if not a or not b:
        return 0.0
    return float(decode(a) @ decode(b))
