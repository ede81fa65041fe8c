"""The embedding's fast path: each word tokenized once, the vector WordLlama's own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsmhub.rules import embedding


def wordllama(texts: list[str]) -> np.ndarray:
    """What ``embed`` returned before the fast path: WordLlama on the whole texts."""
    vectors = embedding._model().embed([t or " " for t in texts], norm=False, batch_size=256)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


WORDS = ["vpn", "drops", "outlook", "crash", ".", "naïve", "日本", "x_y", "tab\there", "😀", ","]


def test_no_token_of_the_model_spans_a_space() -> None:
    # What the word path rests on: "▁" (a space) starts a token or fills it, never more.
    vocabulary = embedding._model().tokenizer.get_vocab()
    assert [token for token in vocabulary if "▁" in token[1:] and token.strip("▁")] == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=12))
def test_any_texts_embed_as_wordllama_embeds_them_to_the_bit(texts: list[str]) -> None:
    assert np.array_equal(embedding.embed(texts), wordllama(texts))


def test_ticket_like_texts_take_the_word_path_and_match_to_the_bit() -> None:
    rng = np.random.default_rng(7)
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 40)))) for _ in range(600)] + [
        "",
        " ",
        "a  b",
        " leading",
        "trailing ",
        "one",
    ]
    first = embedding.embed(texts)
    again = embedding.embed(texts)  # every word remembered now
    assert np.array_equal(first, wordllama(texts))
    assert np.array_equal(again, first)
    assert set(WORDS) <= embedding._WORD_IDS.keys()


def test_the_words_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding, "_WORD_IDS", {})
    monkeypatch.setattr(embedding, "_MAX_WORDS", 5)
    texts = [f"word{n} other{n}" for n in range(4)]
    vectors = embedding.embed(texts)
    assert len(embedding._WORD_IDS) <= 5
    assert np.array_equal(vectors, wordllama(texts))
