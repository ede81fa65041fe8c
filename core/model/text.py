"""Text as the hub keeps it: one canonical form, whatever markup a tool stores.

Tools keep text as ADF (Jira), HTML (Zendesk, ServiceNow articles) or plain text, and a
round trip through any of them changes invisible details: line endings, non-breaking
spaces, trailing spaces, blank lines, bullet characters. Compared as they come, those
details would read as an edit and sync the same text back and forth forever. Every text
field of the model is normalised when a record is built, so a connector's converter only
has to keep what a reader sees.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

# Spaces that look like spaces (NBSP, the typographic ones, ideographic) become spaces;
# characters that look like nothing (zero-width, BOM, soft hyphen) go.
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")
_BULLETS = re.compile(r"^([ \t]*)[*•‣◦▪–](?=[ \t])", re.MULTILINE)
_RUNS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """The canonical form of a multi-line text (a description, a comment, notes).

    NFC Unicode; ``\\n`` line endings; look-alike spaces as spaces, invisible characters
    dropped; no trailing spaces; at most one blank line in a row (a paragraph break);
    ``*``/``•`` bullets as ``-``; no blank lines or spaces around the whole text.
    """
    if not text:
        return ""
    if text.isascii():
        return _normalize_ascii(text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", _SPACES.sub(" ", text))
    text = _BULLETS.sub(r"\1-", _TRAILING.sub("", text))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _normalize_ascii(text: str) -> str:
    """:func:`normalize_text` of an ASCII text, each pass only where it can change
    something: NFC, look-alike spaces and invisible characters are not ASCII, and most
    texts have no carriage return, trailing space, bullet or blank-line run. Every record
    read from the store is validated again, so this runs for each of its texts."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if " \n" in text or "\t\n" in text or text.endswith((" ", "\t")):
        text = _TRAILING.sub("", text)
    if "*" in text:
        text = _BULLETS.sub(r"\1-", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def normalize_line(text: str) -> str:
    """The canonical form of a one-line text (a title): single spaces, no line breaks."""
    if not text.isascii():
        text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    # str.split() splits where ``\s+`` matches, and drops the ends as strip() does.
    return " ".join(text.split())


def _optional_text(text: str | None) -> str | None:
    return None if text is None else normalize_text(text)


Text = Annotated[str, AfterValidator(normalize_text)]
"""A multi-line text field, normalised (see :func:`normalize_text`)."""
OptionalText = Annotated[str | None, AfterValidator(_optional_text)]
Line = Annotated[str, AfterValidator(normalize_line)]
"""A one-line text field (titles), normalised (see :func:`normalize_line`)."""
