"""The claimed outbox rows of one connector, each prepared as one write (or settled as
needing none), with what the batch needs loaded once for all of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import JsonValue

from ...errors import ItsmhubError
from ...exchange import (
    Deferred,
    FieldChange,
    FieldChanges,
    RemoteChange,
    RemoteVersion,
    Write,
    WriteCreate,
    WriteUpdate,
)
from ...model import AnyRecordType, ExternalRef, LinkKind
from ...store import Base, Loaded, OutboxItem, OutboxOperation, Store, StoreTransaction
from ..fields import changed, sync_fields

#: How long after its target's create is due a waiting link is tried again.
LINK_WAIT = timedelta(seconds=1)


@dataclass(frozen=True)
class Skip:
    """Nothing to write: the row is done (adopted copy, nothing differs, no such record)."""

    why: str


@dataclass(frozen=True)
class Wait:
    """Not yet: try again at ``until`` (a link whose target's copy is on its way)."""

    until: datetime
    why: str


@dataclass(frozen=True)
class Done:
    """A write without a version to record (a comment edit, a link), carried out."""

    event: str


Outcome = RemoteChange | RemoteVersion | Deferred | ExternalRef | Skip | Wait | Done | ItsmhubError


@dataclass
class Task:
    """One claimed row: what it writes, what it sent, and how it ended."""

    item: OutboxItem
    record: AnyRecordType | None
    write: Write | None = None
    """A create or an update (these may go through ``write_many``)."""
    call: Callable[[], Awaitable[Any]] | None = None
    """Any other write, as a call to make."""
    sent: JsonValue | None = None
    """What the write sends, kept on the row before the call (the intent)."""
    outcome: Outcome | None = None
    reread: RemoteChange | None = None
    """After RemoteChanged: the record as the remote holds it now."""
    old_fields: dict[str, JsonValue] = field(default_factory=dict)
    """An update's base values: the base after it is these plus what was sent."""

    @property
    def operation(self) -> OutboxOperation:
        return self.item.operation


@dataclass
class Batch:
    """What a batch of rows needs from the store, loaded with one query per table."""

    system: str
    records: dict[str, Loaded]
    bases: dict[str, dict[str, Base]]
    pending_creates: dict[str, list[OutboxItem]]
    """Open create rows of this system, by record: a link waits for its target's copy."""
    open_rows: set[tuple[str, str, str]]

    @staticmethod
    def needs(items: list[OutboxItem]) -> set[str]:
        """The records a batch of rows reads: theirs and their links' targets."""
        ids = {i.record_id for i in items if i.record_id}
        return ids | {str(i.payload["target_id"]) for i in items if i.payload.get("target_id")}

    @classmethod
    async def load(
        cls, tx: Store | StoreTransaction, system: str, items: list[OutboxItem]
    ) -> Batch:
        ids = {i.record_id for i in items if i.record_id}
        targets = cls.needs(items) - ids
        records = await tx.load_records(ids | targets)
        bases: dict[str, dict[str, Base]] = {}
        for (record_id, base_system), base in (await tx.load_bases(ids, system=system)).items():
            bases.setdefault(record_id, {})[base_system] = base
        creates: dict[str, list[OutboxItem]] = {}
        open_rows: set[tuple[str, str, str]] = set()
        rows = await tx.open_items(
            ids | targets,
            (OutboxOperation.CREATE, OutboxOperation.UPDATE),
            besides=[i.id for i in items],  # the batch's own rows: claimed, held already
        )
        for row in rows:
            open_rows.add((row.connector, row.record_id or "", row.operation.value))
            if row.connector == system and row.operation is OutboxOperation.CREATE:
                creates.setdefault(row.record_id or "", []).append(row)
        return cls(system, records, bases, creates, open_rows)

    def record(self, record_id: str | None) -> AnyRecordType | None:
        loaded = self.records.get(record_id or "")
        return loaded.record if loaded else None

    def base(self, record_id: str) -> Base | None:
        return self.bases.get(record_id, {}).get(self.system)


def prepare_create(task: Task, fields: frozenset[str] | None) -> None:
    """The create to send; its intent is what it sends (the base an adoption merges against)."""
    record = task.record
    assert record is not None and task.item.correlation_marker is not None
    if record.ref_for(task.item.connector) is not None:
        task.outcome = Skip("the copy already exists (adopted)")
        return
    options = task.item.payload.get("options")
    task.write = WriteCreate(
        record=record,
        marker=task.item.correlation_marker,
        options=options if isinstance(options, dict) else {},
    )
    task.sent = sync_fields(record, fields)


def prepare_update(task: Task, base: Base | None, fields: frozenset[str] | None) -> None:
    """The conditional update to send, or Skip when nothing differs."""
    record = task.record
    assert record is not None
    ref = record.ref_for(task.item.connector)
    held = sync_fields(record, fields)
    names = changed(held, base.fields if base else None)
    if ref is None or not names:
        task.outcome = Skip("nothing differs")
        return
    old = base.fields if base else {}
    expected = (
        RemoteVersion(version=base.remote_version, updated_at=base.remote_updated_at)
        if base is not None and (base.remote_version or base.remote_updated_at)
        else None
    )
    changes = FieldChanges(
        kind=record.kind,
        changes=tuple(FieldChange(field=n, old=old.get(n), new=held.get(n)) for n in names),
        expected=expected,
    )
    task.write = WriteUpdate(ref=ref, changes=changes)
    task.sent = {n: held.get(n) for n in names}
    task.old_fields = dict(old)


def link_target(
    task: Task, batch: Batch, *, elsewhere: bool
) -> tuple[ExternalRef, LinkKind] | None:
    """Where a link row points in this system (or, for a connector that shows links to
    other systems, the target's ref there); None when it cannot be written (outcome set)."""
    item, record = task.item, task.record
    assert record is not None
    kind = LinkKind(str(item.payload["kind"]))
    target = batch.record(str(item.payload.get("target_id") or ""))
    ref = record.ref_for(item.connector)
    if target is None or ref is None:
        task.outcome = Skip("one end of the link no longer exists or has no copy here")
        return None
    target_ref = target.ref_for(item.connector)
    if target_ref is None and item.operation is OutboxOperation.LINK:
        # The target's copy may still be on its way (a rule created it and queued its
        # links in the same breath): wait for it rather than lose the link.
        creates = batch.pending_creates.get(target.id)
        if creates:
            due = min(c.next_attempt_at for c in creates)
            task.outcome = Wait(due + LINK_WAIT, "waiting for the link target's copy")
            return None
    if target_ref is None and elsewhere and target.refs:
        target_ref = target.refs[0]
    if target_ref is None:
        task.outcome = Skip("one end of the link is not in this system")
        return None
    return target_ref, kind
