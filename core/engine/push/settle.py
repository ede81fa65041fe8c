"""Settling a batch of writes: each row's outcome becomes store writes, all flushed in one
transaction (or, if the store refuses the batch, one row at a time).

- a create records the copy's ref and base, and adopts what the vendor filled in on
  create where the hub held nothing (a default impact, a number), so no later cycle
  writes it back blank; the copy then gets the record's comments and links;
- an update records what was sent as the new base;
- a comment, a link, an unlink record where the copy is and what the system holds;
- a write an asynchronous job carries waits on the job (``deferred``);
- a failure is rescheduled, dead-lettered, pauses the connector or is skipped, by what
  its error class asks for; a remote that moved under a conditional write is re-read,
  merged, and the write retried in the same run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import JsonValue

from ...errors import (
    ConfigError,
    FatalError,
    ItsmhubError,
    NotImplementedYet,
    RecordError,
    RemoteChanged,
    TransientError,
)
from ...exchange import Deferred, RemoteChange, RemoteVersion
from ...http import full_jitter
from ...model import AnyRecordType, ExternalRef, LinkKind
from ...store import (
    Base,
    DeadLetterIn,
    OutboxOperation,
    OutboxStatus,
    RowUpdate,
    StoreTransaction,
    Writes,
)
from ..copies import NewCopy, follow_copies
from ..fanout import BatchSink, Fanout
from ..fields import changed, sync_fields, with_fields
from ..hub import Hub
from ..page import HISTORY_FIELDS, TEXT_FIELDS
from .tasks import Batch, Done, Skip, Task, Wait

_EMPTY = (None, "", [], {})


@dataclass
class PushStats:
    pushed: int = 0
    skipped: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    paused: bool = False
    last_error: str | None = None
    copies: list[dict[str, JsonValue]] = field(default_factory=list)
    """The copies this push created: record id, kind, the new key and remote id."""


class Settlement:
    """Turns the outcomes of one batch into one :class:`~itsmhub.store.Writes`."""

    def __init__(
        self,
        hub: Hub,
        name: str,
        batch: Batch,
        *,
        now: datetime,
        retry_at: datetime,
        stats: PushStats,
        rng: random.Random,
    ) -> None:
        self.hub = hub
        self.name = name
        self.batch = batch
        self.now = now
        self.retry_at = retry_at
        self.stats = stats
        self.rng = rng
        self.writes = Writes(now=now)
        self.fanout = Fanout(hub, BatchSink(self.writes, name, set(batch.open_rows)))
        self.only = hub.fields_of(name)
        self.rereads: list[RemoteChange] = []
        self.copies: list[NewCopy] = []
        """Copies this batch created: :meth:`follow_copies` completes what they start."""

    async def settle(self, task: Task) -> None:
        outcome = task.outcome
        if isinstance(outcome, ItsmhubError):
            await self._failed(task, outcome)
        elif isinstance(outcome, Skip):
            self._skip(task, outcome.why)
        elif isinstance(outcome, Wait):
            self._reschedule(task, outcome.until, outcome.why, retried=True)
        elif isinstance(outcome, Deferred):
            self._deferred(task, outcome)
        elif isinstance(outcome, RemoteChange) and task.operation is OutboxOperation.CREATE:
            await self._created(task, outcome)
        elif isinstance(outcome, RemoteVersion):
            await self._updated(task, outcome)
        elif isinstance(outcome, ExternalRef):
            self._commented(task, outcome)
        elif isinstance(outcome, Done):
            self._done(task, outcome)
        else:
            await self._failed(task, FatalError(f"{self.name}: unexpected outcome {outcome!r}"))

    async def follow_copies(self, tx: StoreTransaction) -> None:
        """What the batch's new copies start (``engine/copies.py``), in its transaction."""
        await follow_copies(
            self.hub, tx, self.fanout, self.name, self.copies, now=self.now, audit=self._audit
        )

    # --- successes -------------------------------------------------------------------

    async def _created(self, task: Task, remote: RemoteChange) -> None:
        record = self._record(task)
        copy = remote.record
        ref = (copy.ref_for(self.name) if copy else None) or ExternalRef(
            system=self.name, remote_id=remote.remote_id
        )
        sent = task.sent if isinstance(task.sent, dict) else None
        # What prepare sent is this very record's fields, unless settling read it again.
        mine = (
            sent if sent is not None and record is task.record else sync_fields(record, self.only)
        )
        sent = mine if sent is None else sent
        held = sync_fields(copy, self.only) if copy else mine
        filled = {
            n: v
            for n, v in held.items()
            if v not in _EMPTY and sent.get(n) in _EMPTY and mine.get(n) in _EMPTY
        }
        if filled:
            record = self._adopt_defaults(record, mine, filled, remote)
            mine = sync_fields(record, self.only)
        # No ref yet: the hub made this record itself (a rule opened the problem), so no
        # pull ever routed it; its first copy stands in for where it came from.
        first = not record.refs
        record = record.model_copy(update={"refs": [*record.refs, ref]})
        self._keep(record)
        self.copies.append(NewCopy(record, ref, first=first))
        if first:
            self.writes.origins[record.id] = ref
        self.writes.refs[record.id, self.name] = ref
        self._base(record.id, fields=held, version=remote.version, at=remote.changed_at, links=[])
        self.writes.completed.append(task.item.id)
        self._audit(
            "record.copied",
            record.id,
            {"remote_id": ref.remote_id, "key": ref.key, "adopted": sorted(filled)},
        )
        await self.fanout.send_everything(record, self.name)
        if changed(mine, held):
            await self.fanout.queue_update(self.name, record)  # the copy reads back otherwise
        self.stats.pushed += 1
        self.stats.copies.append(
            {"record_id": record.id, "kind": record.kind.value, "key": ref.key or ref.remote_id}
        )

    def _adopt_defaults(
        self,
        record: AnyRecordType,
        ours: dict[str, JsonValue],
        filled: dict[str, JsonValue],
        remote: RemoteChange,
    ) -> AnyRecordType:
        """The vendor filled fields the hub left empty: they are the hub's values now."""
        adopted = with_fields(record, {**ours, **filled})
        adopted.updated_at = self.now
        for name in sorted(filled):
            if name in HISTORY_FIELDS:
                self.writes.history.append(
                    {
                        "record_id": record.id,
                        "field": name,
                        "old": ours.get(name),
                        "new": filled[name],
                        "system": self.name,
                        "at": remote.changed_at,
                    }
                )
        self.writes.put_record(adopted, new=False, same_text=not TEXT_FIELDS.intersection(filled))
        return adopted

    async def _updated(self, task: Task, version: RemoteVersion) -> None:
        record = self._record(task)
        sent = task.sent if isinstance(task.sent, dict) else {}
        base = self.batch.base(record.id)
        agreed = {**task.old_fields, **sent}
        self._base(
            record.id,
            fields=agreed,
            # The version a write returns may cover an edit we never read (another field
            # changed just before): keep none, so the next pull is diffed field by field;
            # our own values diff to nothing, their edit shows.
            version=None,
            at=version.updated_at,
            links=base.links if base else None,
        )
        self.writes.completed.append(task.item.id)
        self._audit("record.pushed", record.id, {"fields": sorted(sent)})
        self.stats.pushed += 1
        if changed(sync_fields(record, self.only), agreed):
            # The record moved while this write was out (its row kept a pull from queueing
            # another): send what it holds now.
            await self.fanout.queue_update(self.name, record)

    def _commented(self, task: Task, copy: ExternalRef) -> None:
        record = self._record(task)
        comment_id = task.item.payload.get("comment_id")
        comments = [
            c.model_copy(update={"refs": [*c.refs, copy]})
            if c.id == comment_id and all(r.system != self.name for r in c.refs)
            else c
            for c in getattr(record, "comments", [])
        ]
        updated = record.model_copy(update={"comments": comments})
        self._keep(updated)
        self.writes.put_record(updated, new=False, same_text=True)
        self.writes.completed.append(task.item.id)
        self._audit("comment.copied", record.id, {"comment_id": str(comment_id)})
        self.stats.pushed += 1

    def _done(self, task: Task, done: Done) -> None:
        record = self._record(task)
        item = task.item
        if item.operation in (OutboxOperation.LINK, OutboxOperation.UNLINK):
            kind, target = str(item.payload["kind"]), str(item.payload["target_id"])
            base = self.batch.base(record.id)
            held = {tuple(p) for p in base.links} if base and base.links is not None else set()
            if item.operation is OutboxOperation.LINK:
                connector = self.hub.connector(self.name)
                if LinkKind(kind) in connector.single_valued_links:
                    held = {p for p in held if p[0] != kind}
                held.add((kind, target))
            else:
                held.discard((kind, target))
            if base is not None:
                self._base(
                    record.id,
                    fields=base.fields,
                    version=base.remote_version,
                    at=base.remote_updated_at,
                    links=sorted(held),  # type: ignore[arg-type]
                )
        self.writes.completed.append(item.id)
        self._audit(done.event, record.id, dict(item.payload))
        self.stats.pushed += 1

    def _deferred(self, task: Task, deferred: Deferred) -> None:
        self.writes.row_updates.append(
            RowUpdate(
                id=task.item.id,
                status=OutboxStatus.DEFERRED,
                next_attempt_at=self.now + deferred.check_after,
                job_id=deferred.job_id,
                job_position=deferred.position,
            )
        )
        self.stats.deferred += 1

    def _skip(self, task: Task, why: str, event: str = "outbox.skipped") -> None:
        self.writes.completed.append(task.item.id)
        self._audit(event, task.item.record_id, {"operation": task.operation.value, "why": why})
        self.stats.skipped += 1

    # --- failures --------------------------------------------------------------------

    async def _failed(self, task: Task, exc: ItsmhubError) -> None:
        """Settle a row whose write raised ``exc``, by what the error class asks for."""
        if isinstance(exc, NotImplementedYet):
            # The connector cannot do this at all: retrying would not help, pausing would
            # stop everything else it can do.
            self._skip(task, str(exc), "outbox.unsupported")
        elif isinstance(exc, RemoteChanged):
            if task.reread is not None:
                self.rereads.append(task.reread)
            self._transient(task, exc, at=self.retry_at)
        elif isinstance(exc, TransientError):
            self._transient(task, exc)
        elif isinstance(exc, RecordError):
            self._dead(task, exc)
        elif isinstance(exc, ConfigError | FatalError):
            # The connector cannot work until an admin acts: keep the row, stop pushing.
            first = not self.stats.paused
            self.stats.paused = True
            self.stats.last_error = str(exc)
            later = self.now + self.hub.config.sync.interval
            self._reschedule(task, later, str(exc), retried=False)
            if first:
                self._audit("error.connector", None, {"error": str(exc)})
        else:
            self._dead(task, exc)

    def _transient(self, task: Task, exc: TransientError, *, at: datetime | None = None) -> None:
        item = task.item
        if item.attempts >= self.hub.config.sync.max_attempts:
            self._dead(task, exc)
            return
        if at is None:
            sync = self.hub.config.sync
            wait = exc.retry_after
            if wait is None:
                wait = full_jitter(
                    item.attempts,
                    sync.retry_base.total_seconds(),
                    sync.retry_cap.total_seconds(),
                    self.rng,
                )
            at = self.now + timedelta(seconds=wait)
        self._reschedule(task, at, str(exc), retried=True)
        self.stats.last_error = str(exc)

    def _reschedule(self, task: Task, at: datetime, why: str, *, retried: bool) -> None:
        self.writes.row_updates.append(
            RowUpdate(
                id=task.item.id, status=OutboxStatus.PENDING, last_error=why, next_attempt_at=at
            )
        )
        if retried:
            self.stats.retried += 1

    def _dead(self, task: Task, exc: ItsmhubError) -> None:
        item = task.item
        self.writes.row_updates.append(
            RowUpdate(id=item.id, status=OutboxStatus.DEAD, last_error=str(exc))
        )
        self.writes.dead_letters.append(
            DeadLetterIn(
                connector=self.name,
                record_key=item.record_id or f"outbox:{item.id}",
                # One letter per outbox row, even when several rows of a record fail.
                remote_version=f"outbox-{item.id}",
                error_class=type(exc).__name__,
                http_status=getattr(exc, "status", None),
                reason=str(exc),
                payload={
                    "origin": "outbox",
                    "outbox_id": item.id,
                    "operation": item.operation.value,
                    "record_id": item.record_id,
                },
                attempts=max(item.attempts, 1),
            )
        )
        self._audit(
            "error.push", item.record_id, {"operation": item.operation.value, "error": str(exc)}
        )
        self.stats.dead += 1
        self.stats.last_error = str(exc)

    # --- bookkeeping -----------------------------------------------------------------

    def _record(self, task: Task) -> AnyRecordType:
        record = self.batch.record(task.item.record_id)
        assert record is not None, "a settled row has its record"
        return record

    def _keep(self, record: AnyRecordType) -> None:
        loaded = self.batch.records.get(record.id)
        if loaded is not None:
            loaded.record = record

    def _base(
        self,
        record_id: str,
        *,
        fields: dict[str, JsonValue],
        version: str | None,
        at: datetime | None,
        links: list[tuple[str, str]] | None,
    ) -> None:
        # The engine's own, already valid values: see PageApplier._put_base.
        base = Base.model_construct(
            record_id=record_id,
            system=self.name,
            fields=fields,
            remote_version=version,
            remote_updated_at=at,
            agreed_at=self.now,
            links=links,
        )
        self.batch.bases.setdefault(record_id, {})[self.name] = base
        self.writes.bases[record_id, self.name] = base

    def _audit(self, event: str, record_id: str | None, detail: dict[str, JsonValue]) -> None:
        self.writes.add_audit(event, record_id=record_id, connector=self.name, detail=detail)
