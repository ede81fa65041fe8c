"""Comments are append-only: a system's comments folded into the hub's list."""

from __future__ import annotations

from ..model import AnyRecordType, Comment


def merge_comments(
    record: AnyRecordType, pulled: list[Comment], system: str
) -> tuple[list[Comment], list[Comment]]:
    """Fold the system's comments into ``record``: append-only, edits kept, our own copies
    recognised by id. Returns (new comments, edited comments)."""
    comments = list(getattr(record, "comments", []))
    by_ref = {
        ref.remote_id: i for i, c in enumerate(comments) for ref in c.refs if ref.system == system
    }
    by_id = {c.id: i for i, c in enumerate(comments)}
    new, edited = [], []
    for incoming in pulled:
        ref = next((r for r in incoming.refs if r.system == system), None)
        if ref is not None and ref.remote_id in by_ref:
            index = by_ref[ref.remote_id]
            if comments[index].body != incoming.body:
                comments[index] = comments[index].model_copy(
                    update={"body": incoming.body, "updated_at": incoming.updated_at}
                )
                edited.append(comments[index])
        elif incoming.id in by_id:
            index = by_id[incoming.id]  # our copy, read back: remember where it lives
            if ref is not None:
                comments[index] = comments[index].model_copy(
                    update={"refs": [*comments[index].refs, ref]}
                )
        else:
            comments.append(incoming)
            by_id[incoming.id] = len(comments) - 1
            new.append(incoming)
    if hasattr(record, "comments"):
        record.comments = comments  # type: ignore[union-attr]
    return new, edited
