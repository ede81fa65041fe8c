"""A description's masked opening equals the opening of the whole masked description,
however long the text and whatever handles it holds."""

from __future__ import annotations

import re

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


def _word_by_word(text: str, known: set[str]) -> str:
    """Masking as defined: each word's core (edges stripped), folded, looked up."""
    from itsmhub.rules.people import _EDGES, _HANDLE, PLACEHOLDER

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        core = word.strip(_EDGES)
        return word.replace(core, PLACEHOLDER) if core.casefold() in known else word

    return _HANDLE.sub(replace, text)


#: Letters whose case folding is more than a lower-casing: "İ" folds to "i" and a mark.
_TRICKY = "abJDOE.-+_ \n1ßſKﬁİı\u0307é"


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=_TRICKY, max_size=40) | st.text(max_size=30) | texts(),
    st.lists(st.text(alphabet=_TRICKY, min_size=3, max_size=6), max_size=4),
)
def test_a_text_naming_nobody_known_is_found_so_without_masking_word_by_word(
    text: str, drawn: list[str]
) -> None:
    """The quick check (every word's core at once) never misses a handle that masking
    word by word would find: handles drawn at random, and drawn from the text itself."""
    from itsmhub.rules.people import _EDGES, _HANDLE, words_that_may_be_handles

    handles = {h.casefold().strip(_EDGES) for h in drawn} | set(HANDLES)
    from_text = {w.strip(_EDGES).casefold() for w in _HANDLE.findall(text)}
    assert words_that_may_be_handles(text) == {w for w in from_text if len(w) >= 3}
    for known in (handles, from_text, set()):
        known = {h for h in known if len(h) >= 3}
        assert People(known).mask(text) == _word_by_word(text, known)
        assert People().mask(text, frozenset(known)) == _word_by_word(text, known)


SENTENCE_WORDS = st.sampled_from(
    [*HANDLES, "vpn", "drops", "again.", "jdoe.", "x!jdoe", "Why?", "Done!", "10:42", "é", "a.b."]
)
SENTENCE_GAPS = st.sampled_from([" ", "  ", "\n", " \n ", "\t", ", ", ". ", "! ", "?\n", ".\t"])


@st.composite
def descriptions(draw: st.DrawFn) -> str:
    words = draw(st.lists(SENTENCE_WORDS, min_size=0, max_size=300))
    gaps = draw(st.lists(SENTENCE_GAPS, min_size=len(words), max_size=len(words)))
    lead = draw(st.sampled_from(["", " ", "\n", " \n\t"]))
    return lead + "".join(w + g for w, g in zip(words, gaps, strict=True))


@settings(max_examples=400, deadline=None)
@given(descriptions(), st.sets(st.sampled_from(HANDLES)), st.sampled_from(["vpn", None]))
def test_masking_only_the_embedded_part_embeds_the_same_words(
    text: str, known: set[str], service: str | None
) -> None:
    """Only the first sentence of a description is embedded, so only it is masked, and
    only its words are looked up as people: the embedded text is what masking and
    looking up the whole description gave."""
    from itsmhub.rules.facts import embedded_part, semantic_text
    from itsmhub.rules.people import words_that_may_be_handles

    own = frozenset({"jdoe"})
    part = embedded_part(text)
    assert text.startswith(part)
    before = People(known & words_that_may_be_handles(text))  # the whole text looked up
    whole = semantic_text(("printer",), masked_opening(text, before, own), service)
    looked_up = People(known & words_that_may_be_handles(part))
    assert semantic_text(("printer",), masked_opening(part, looked_up, own), service) == whole
