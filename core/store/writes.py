"""What one batch writes: a page of pulls or a batch of pushes gathers its changes in one
:class:`Writes`, which ``batch_writes`` flushes in the page's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import JsonValue

from itsmhub.model import AnyRecordType, ExternalRef, Link

from .models import Base, DeadLetterIn, OutboxItemIn, OutboxStatus


@dataclass(frozen=True)
class RowUpdate:
    """A new state for one outbox row (a failure rescheduled, a row dead or waiting on a
    vendor job). A row already done stays done."""

    id: int
    status: OutboxStatus
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    job_id: str | None = None
    job_position: int | None = None


@dataclass
class Writes:
    """Everything one batch writes; ``BatchWriteOperations.flush`` writes it at once."""

    now: datetime
    new_records: dict[str, AnyRecordType] = field(default_factory=dict)
    changed_records: dict[str, AnyRecordType] = field(default_factory=dict)
    refs: dict[tuple[str, str], ExternalRef] = field(default_factory=dict)
    links_added: list[tuple[str, Link]] = field(default_factory=list)
    links_removed: list[tuple[str, str, str]] = field(default_factory=list)
    tombstones: list[tuple[str, str, str, str]] = field(default_factory=list)
    tombstones_cleared: list[tuple[str, str, str]] = field(default_factory=list)
    bases: dict[tuple[str, str], Base] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[OutboxItemIn] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    row_updates: list[RowUpdate] = field(default_factory=list)
    dead_letters: list[DeadLetterIn] = field(default_factory=list)
    parked: list[dict[str, Any]] = field(default_factory=list)
    same_text: dict[str, bool] = field(default_factory=dict)
    """Changed records, by id: whether their facts' text analysis still holds."""
    unparked: list[int] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    cursors: dict[tuple[str, str], JsonValue] = field(default_factory=dict)
    origins: dict[str, ExternalRef] = field(default_factory=dict)
    """Records the hub made itself, by id: the ref of their first copy, which is where
    people know them from (their facts' origin and label, unless set already)."""

    @property
    def records(self) -> list[AnyRecordType]:
        """The records written: the new ones, then the changed ones."""
        return [*self.new_records.values(), *self.changed_records.values()]

    def put_record(self, record: AnyRecordType, *, new: bool, same_text: bool = False) -> None:
        """Write ``record`` (a new one, or a change to a stored one). ``same_text``: what
        its rule facts are computed from (title, description, service, its people) did
        not change, so its fingerprint and embedding are kept, not computed again."""
        if new or record.id in self.new_records:
            self.new_records[record.id] = record
            return
        self.changed_records[record.id] = record
        # Kept only if no write of it in this batch changed its text.
        self.same_text[record.id] = self.same_text.get(record.id, True) and same_text

    def add_audit(
        self,
        event: str,
        *,
        record_id: str | None,
        connector: str | None,
        detail: dict[str, JsonValue],
    ) -> None:
        self.audit.append(
            {
                "event": event,
                "record_id": record_id,
                "connector": connector,
                "detail": detail,
                "at": self.now,
            }
        )

    def __bool__(self) -> bool:
        return any(
            (
                self.new_records,
                self.changed_records,
                self.refs,
                self.links_added,
                self.links_removed,
                self.tombstones,
                self.tombstones_cleared,
                self.bases,
                self.audit,
                self.outbox,
                self.completed,
                self.row_updates,
                self.dead_letters,
                self.parked,
                self.unparked,
                self.history,
                self.cursors,
                self.origins,
            )
        )


__all__ = ["RowUpdate", "Writes"]
