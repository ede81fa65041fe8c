"""Meaning, not wording: ticket text embedded by a small static model, offline, on CPU.

"VPN keeps disconnecting" and "remote access tunnel drops every few minutes" share no
word; their embeddings are close. The model is WordLlama's bundled 256-dimension model
(``wordllama`` on PyPI): token vectors averaged, about 60 µs a title on one core, with its
weights and tokenizer inside the wheel, so nothing is ever downloaded.

A ticket is embedded once, when its facts are written; rules compare the stored vectors.
Vectors are kept as DIMENSIONS signed bytes (unit length × 127): a quarter of the floats'
size, and cosines within 0.01 of them.
"""

from __future__ import annotations

import logging
from functools import lru_cache
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
    vectors = _model().embed([t or " " for t in texts], norm=False, batch_size=256)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


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
