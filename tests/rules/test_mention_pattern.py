"""The mention pattern's scan is fast and finds what it always found."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

_MENTION_AS_WRITTEN = re.compile(
    r"https?://[^\s<>\"')\]]+"
    r"|\b[A-Z][A-Z0-9_]+-\d+\b"
    r"|\b(?:INC|PRB|KB|CHG|RITM|TASK|REQ)\d{7,}\b"
    r"|(?<![\w&/])#\d{1,12}\b"
)
_MENTION_PIECES = ["OPS-12", "INC0012345", "#45", "https://x.y/z", " ", "a", "&#9", "/#1", "h"]


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="hA#Z-0123 tps:/&_aINC", max_size=50)
    | st.lists(st.sampled_from(_MENTION_PIECES), max_size=12).map("".join)
)
def test_mentions_scanned_with_the_lookahead_are_the_patterns_own(text: str) -> None:
    """MENTION's leading lookahead only speeds the scan: it finds what the plain
    alternation finds, in the same places."""
    from itsmhub.rules.facts import MENTION

    spans = [m.span() for m in MENTION.finditer(text)]
    assert spans == [m.span() for m in _MENTION_AS_WRITTEN.finditer(text)]
