"""Store errors callers may want to tell apart; all are :class:`~itsmhub.errors.StoreError`.

StoreError
├── NotFound          the row an operation names does not exist
├── RefConflict       an external ref is already held by another record (or another remote id)
└── VersionConflict   optimistic concurrency: the record changed since it was read
"""

from __future__ import annotations

from itsmhub.errors import Action, StoreError


class NotFound(StoreError):
    """An operation named a row (record, outbox item, dead letter) that is not in the store."""


class RefConflict(StoreError):
    """Two hub records would claim the same remote record, or a ref would be silently re-pointed.

    Either would break "no duplicates": the store refuses and the caller decides (usually by
    adopting the record that already holds the ref).
    """


class VersionConflict(StoreError):
    """The record was written by someone else since it was read; re-read, re-merge, retry."""

    action = Action.RETRY

    def __init__(self, record_id: str, expected: int, actual: int | None) -> None:
        found = "it is not in the store" if actual is None else f"it is at version {actual}"
        super().__init__(
            f"record {record_id} was expected at version {expected}, but {found}",
            fix="re-read the record and apply the change again",
        )
        self.record_id = record_id
        self.expected = expected
        self.actual = actual


__all__ = ["NotFound", "RefConflict", "StoreError", "VersionConflict"]
