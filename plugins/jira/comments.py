"""Comments: Jira's ADF comments to and from neutral comments.

Jira Service Management tells an internal note from a reply to the customer by the
comment property ``sd.public.comment`` (``{"internal": true}``) and reports it back as
``jsdPublic`` (vendor-apis.md §2.9); a comment restricted to a group or role is internal
too. Comments the hub writes end with the footer of :mod:`itsmhub.footers`, so they are
read back as the hub's own, with their author.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from itsmhub import (
    Comment,
    ExternalRef,
    PersonRef,
    RecordError,
    Visibility,
    comment_footer,
    read_footer,
)

from .adf import to_adf, to_text
from .mapping import parse_time, person
from .target import Target

INTERNAL_PROPERTY = "sd.public.comment"


def is_internal(comment: Mapping[str, Any]) -> bool:
    """Agents only: JSM's ``jsdPublic: false``, or a group or role restriction."""
    return comment.get("jsdPublic") is False or bool(comment.get("visibility"))


def to_comment(target: Target, comment: Mapping[str, Any]) -> Comment:
    """Map one comment; our own copies give back the hub's id and author."""
    comment_id = comment.get("id")
    created = parse_time(comment.get("created"))
    if not isinstance(comment_id, str) or created is None:
        raise RecordError("a comment has no id or created stamp")
    footer = read_footer(to_text(comment.get("body")))
    updated = parse_time(comment.get("updated"))
    author = (
        PersonRef(display_name=footer.author)
        if footer.author
        else person(target, comment.get("author"))
    )
    return Comment(
        id=footer.hub_id or f"{target.system}:{comment_id}",
        body=footer.body,
        visibility=Visibility.INTERNAL if is_internal(comment) else Visibility.PUBLIC,
        author=author,
        created_at=created,
        updated_at=updated if updated is not None and updated != created else None,
        refs=[ExternalRef(system=target.system, remote_id=comment_id, remote_type="comment")],
    )


def to_comments(target: Target, comments: Any) -> list[Comment]:
    """Map a list of comments, oldest first; a malformed one is left out, never its issue."""
    found: list[Comment] = []
    for comment in comments if isinstance(comments, list) else []:
        if not isinstance(comment, dict):
            continue
        try:
            found.append(to_comment(target, comment))
        except (RecordError, ValueError):
            continue
    return found


def page_of(issue: Mapping[str, Any]) -> tuple[list[Any], bool]:
    """The comments a search returned inline, and whether they are all of them (Jira
    cuts long threads: ``total`` then exceeds what came)."""
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    field = fields.get("comment") if isinstance(fields, dict) else None
    if not isinstance(field, dict):
        return [], True
    comments = field.get("comments") if isinstance(field.get("comments"), list) else []
    total = field.get("total")
    start = field.get("startAt") or 0
    complete = not isinstance(total, int) or (start == 0 and len(comments) >= total)
    return list(comments), complete


def comment_body(comment: Comment) -> dict[str, Any]:
    """The body of ``POST``/``PUT …/comment``: ADF text with the footer, and the
    visibility property JSM reads."""
    body: dict[str, Any] = {"body": to_adf(comment_footer(comment))}
    internal = comment.visibility is Visibility.INTERNAL
    body["properties"] = [{"key": INTERNAL_PROPERTY, "value": {"internal": internal}}]
    return body


__all__ = [
    "INTERNAL_PROPERTY",
    "comment_body",
    "is_internal",
    "page_of",
    "to_comment",
    "to_comments",
]
