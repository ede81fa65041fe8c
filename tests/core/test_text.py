"""Text normalisation: the quick paths give exactly what the full definition gives."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from itsmhub.model.text import normalize_line, normalize_text

_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def reference_text(text: str) -> str:
    """The definition, every pass applied in order (as the model's docstring says)."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", _SPACES.sub(" ", text))
    text = re.sub(r"[ \t]+$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^([ \t]*)[*•‣◦▪–](?=[ \t])", r"\1-", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def reference_line(text: str) -> str:
    return re.sub(r"\s+", " ", _INVISIBLE.sub("", unicodedata.normalize("NFC", text))).strip()


_TRICKY = " \t\r\n*-ab\u00a0\u200b\u2022\x0b\x0c\x1c\x85\u2028e\u0301"


@settings(max_examples=1000)
@given(st.text(alphabet=_TRICKY, max_size=40) | st.text(max_size=30))
def test_normalising_agrees_with_the_definition(text: str) -> None:
    assert normalize_text(text) == reference_text(text)
    assert normalize_line(text) == reference_line(text)


def test_examples() -> None:
    assert normalize_text("* one \r\n\r\n\r\n\u2022 two\u00a0") == "- one\n\n- two"
    assert normalize_text("*\t") == "*"  # the trailing tab goes first: no bullet left
    assert normalize_line("  VPN\tdrops\n on  gw-1 ") == "VPN drops on gw-1"
