"""A description's masked opening equals the opening of the whole masked description,
however long the text and whatever handles it holds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from itsmhub.rules.facts import OPENING, masked_opening
from itsmhub.rules.people import People

HANDLES = ["jdoe", "anna.schmidt", "a-very-long-login-name-of-someone", "bo"]
WORDS = st.sampled_from([*HANDLES, "vpn", "drops", "again.", "x" * 40, "(jdoe)", "é"])
GAPS = st.sampled_from([" ", "  ", "\n", "\t", ", "])


@st.composite
def texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=0, max_size=400))
    gaps = draw(st.lists(GAPS, min_size=len(words), max_size=len(words)))
    return "".join(w + g for w, g in zip(words, gaps, strict=True))


@settings(max_examples=200, deadline=None)
@given(texts(), st.sets(st.sampled_from(HANDLES)))
def test_the_opening_is_masked_as_the_whole_text_would_be(text: str, known: set[str]) -> None:
    people = People(known)
    own = frozenset({"jdoe"})
    assert masked_opening(text, people, own) == people.mask(text, own)[:OPENING]


def test_a_text_that_masking_shrinks_below_the_opening_is_masked_whole() -> None:
    long_handle = "a-very-long-login-name-of-someone"
    text = " ".join([long_handle] * 60) + " tail words here"
    people = People({long_handle})
    assert masked_opening(text, people, frozenset()) == people.mask(text, frozenset())[:OPENING]
