"""The comment footer protocol: how a comment the hub writes is recognised when read back.

Every comment the hub writes into a tool ends with the original author's name and a
marker naming the hub's comment id::

    The gateway was restarted.

    — Grace Hopper (via itsmhub)

    [itsmhub:01J9Z…]

Reading it back, :func:`read_footer` returns the body, the hub id and the author, so the
copy is recognised as the hub's own comment (no echo, no duplicate), and a retried write
can look for the marker before writing again. A correction of an earlier copy, for tools
whose comments cannot be edited, carries ``;edit=<digest of its text>`` in its marker.
The marker survives every markup a tool keeps text in (ADF, HTML, plain), since it is
plain bracketed text on its own line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .model import Comment

MARKER = re.compile(r"\n*\[itsmhub:(?P<id>[^\]\s;]+)(?:;edit=(?P<digest>[0-9a-f]+))?\]\s*\Z")
AUTHOR_LINE = re.compile(r"\n*— (?P<name>.+) \(via itsmhub\)\s*\Z")


def author_of(comment: Comment) -> str | None:
    if comment.author is None:
        return None
    return comment.author.display_name or comment.author.email


def signed(comment: Comment) -> str:
    """The comment's body followed by its author's line (when it has an author)."""
    author = author_of(comment)
    return f"{comment.body}\n\n— {author} (via itsmhub)" if author else comment.body


def marker(comment_id: str, *, edit_of: str | None = None) -> str:
    """``[itsmhub:<id>]``, or ``[itsmhub:<id>;edit=<digest>]`` for a correction."""
    if edit_of is None:
        return f"[itsmhub:{comment_id}]"
    digest = hashlib.sha256(edit_of.encode()).hexdigest()[:16]
    return f"[itsmhub:{comment_id};edit={digest}]"


def comment_footer(comment: Comment) -> str:
    """The text to write for ``comment``: body, author line, marker."""
    return f"{signed(comment)}\n\n{marker(comment.id)}"


def correction_marker(comment: Comment) -> str:
    """The marker of a correction carrying ``comment``'s current text: the same text always
    gives the same marker, so a retry can search for the correction it already wrote."""
    return marker(comment.id, edit_of=signed(comment))


def correction_footer(comment: Comment, header: str = "") -> str:
    """The text of a correction of an earlier copy of ``comment`` (see
    :func:`correction_marker`), headed by ``header``."""
    lead = f"{header}\n\n" if header else ""
    return f"{lead}{signed(comment)}\n\n{correction_marker(comment)}"


@dataclass(frozen=True)
class Footer:
    """What a comment read back says about itself."""

    body: str
    hub_id: str | None = None
    author: str | None = None
    correction: bool = False


def read_footer(text: str, *, header: str = "") -> Footer:
    """Split a comment's text into its body, the hub id and author it was written for.

    A text without a marker is a person's comment: its whole text is the body.
    ``header`` is the correction header the writer put first, removed from corrections.
    """
    found = MARKER.search(text)
    if found is None:
        return Footer(body=text)
    body = text[: found.start()]
    correction = found["digest"] is not None
    if correction and header:
        body = body.removeprefix(header).lstrip("\n")
    author = None
    if line := AUTHOR_LINE.search(body):
        author, body = line["name"], body[: line.start()]
    return Footer(body=body, hub_id=found["id"], author=author, correction=correction)


__all__ = [
    "AUTHOR_LINE",
    "MARKER",
    "Footer",
    "comment_footer",
    "correction_footer",
    "correction_marker",
    "marker",
    "read_footer",
    "signed",
]
