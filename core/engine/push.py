"""Pushing the outbox: each row is one write to one system, claimed, executed, settled.

Rows are claimed (a lease), the vendor is called, and the result is committed with the
row's completion in one transaction, so a crash anywhere re-runs the call: creates find
their correlation marker first, updates write absolute values, comments look for their
marker. Transient failures back off (honouring ``Retry-After``) with the schedule kept
in the row; record-level failures and exhausted retries go to the dead-letter list.

A connector that implements ``write_many`` gets the claimed creates and updates in
batches; every row is still prepared, judged and settled on its own.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from pydantic import JsonValue

from ..connector import Connector
from ..errors import (
    ConfigError,
    FatalError,
    ItsmhubError,
    RecordError,
    RemoteChanged,
    TransientError,
)
from ..exchange import (
    FieldChange,
    FieldChanges,
    RemoteChange,
    RemoteVersion,
    Write,
    WriteCreate,
    WriteUpdate,
)
from ..model import AnyRecordType, ExternalRef, LinkKind
from ..store import Base, DeadLetterIn, OutboxItem, OutboxOperation, OutboxStatus
from .apply import PageApplier
from .fanout import queue_update, send_everything
from .fields import changed, sync_fields
from .hub import Hub

#: Backoff between outbox attempts when the vendor gave no Retry-After.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
#: How long after its target's create a waiting link is tried again.
LINK_WAIT = timedelta(seconds=1)
#: Rows claimed per round; rounds repeat until nothing is due.
CLAIM_BATCH = 100
#: Creates and updates per ``write_many`` call (the connector may split further).
WRITE_BATCH = 50


@dataclass
class PushStats:
    pushed: int = 0
    skipped: int = 0
    retried: int = 0
    dead: int = 0
    paused: bool = False
    last_error: str | None = None


def backoff(attempts: int, retry_after: float | None, rng: random.Random) -> timedelta:
    """When to try again: exactly ``Retry-After`` if given, else capped full jitter."""
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=rng.uniform(0, ceiling.total_seconds()))


_BULK_OPERATIONS = frozenset({OutboxOperation.CREATE, OutboxOperation.UPDATE})


@dataclass
class _Prepared:
    """A create or update ready to send, and how to settle its row with the outcome."""

    item: OutboxItem
    write: Write
    finish: Callable[[RemoteChange | RemoteVersion], Awaitable[None]]


class Pusher:
    """Drains the due outbox rows of one connector."""

    def __init__(self, hub: Hub, name: str, *, rng: random.Random | None = None) -> None:
        self.hub = hub
        self.name = name
        self.connector: Connector = hub.connector(name)
        self.stats = PushStats()
        self.rng = rng or random.Random()  # noqa: S311  (jitter, not cryptography)

    async def run(self) -> PushStats:
        """Push the rows due when the run starts, until none is left or the connector pauses.

        A row that fails is rescheduled after the start and waits for a later run; only
        rows to retry at once (a remote that changed under us) come round again.
        """
        limiter = anyio.CapacityLimiter(self.hub.config.sync.concurrency)
        start = self.hub.clock()
        batching = self.bulk
        while not self.stats.paused:
            items = await self.hub.store.claim_due(self.name, start, CLAIM_BATCH)
            if not items:
                break
            bulk = [i for i in items if batching and i.operation in _BULK_OPERATIONS]
            async with anyio.create_task_group() as group:
                for item in items:
                    if not (batching and item.operation in _BULK_OPERATIONS):
                        group.start_soon(self._guarded, item, limiter)
                if bulk:
                    group.start_soon(self._bulk, bulk, limiter)
        return self.stats

    @property
    def bulk(self) -> bool:
        """Whether creates and updates go through ``write_many``."""
        return "write_many" in type(self.connector).capabilities()

    async def _guarded(self, item: OutboxItem, limiter: anyio.CapacityLimiter) -> None:
        async with limiter:
            if self.stats.paused:
                await self.hub.store.fail(item.id, "connector paused", self.hub.clock())
                return
            try:
                await self._execute(item)
            except ItsmhubError as exc:
                await self._failed(item, exc)

    async def _failed(self, item: OutboxItem, exc: ItsmhubError, *, audit: bool = True) -> None:
        """Settle a row whose write raised ``exc``, by what the error class asks for."""
        if isinstance(exc, RemoteChanged):
            await self._remote_changed(item, exc)
        elif isinstance(exc, TransientError):
            await self._transient(item, exc)
        elif isinstance(exc, RecordError):
            await self._dead(item, exc)
        elif isinstance(exc, ConfigError | FatalError):
            # The connector cannot work until an admin acts: keep the row, stop pushing.
            self.stats.paused = True
            self.stats.last_error = str(exc)
            later = self.hub.clock() + self.hub.config.sync.interval
            await self.hub.store.fail(item.id, str(exc), later)
            if audit:
                await self.hub.store.audit(
                    "error.connector", connector=self.name, detail={"error": str(exc)}
                )
        else:
            raise exc

    # --- bulk writes -------------------------------------------------------------------

    async def _bulk(self, items: list[OutboxItem], limiter: anyio.CapacityLimiter) -> None:
        """Creates and updates through ``write_many``, ``WRITE_BATCH`` rows per call.

        Each row is prepared as on its own (skips, the marker lookup of a retried create,
        the conditional values of an update), written in a batch, and settled in its own
        transaction with its own outcome, exactly as the one-call-per-row path does.
        """
        prepared: list[_Prepared] = []

        async def prepare(item: OutboxItem) -> None:
            async with limiter:
                if self.stats.paused:
                    await self.hub.store.fail(item.id, "connector paused", self.hub.clock())
                    return
                try:
                    ready = await self._prepare(item)
                except ItsmhubError as exc:
                    await self._failed(item, exc)
                    return
                if ready is not None:
                    prepared.append(ready)

        async with anyio.create_task_group() as group:
            for item in items:
                group.start_soon(prepare, item)
        prepared.sort(key=lambda p: p.item.id)  # batches in outbox order, whatever finished first
        async with anyio.create_task_group() as group:
            for start in range(0, len(prepared), WRITE_BATCH):
                group.start_soon(self._write_batch, prepared[start : start + WRITE_BATCH], limiter)

    async def _prepare(self, item: OutboxItem) -> _Prepared | None:
        record = await self.hub.store.get_record(item.record_id) if item.record_id else None
        if record is None:
            await self._skip(item, "its record no longer exists")
            return None
        if item.operation is OutboxOperation.CREATE:
            return await self._prepare_create(item, record)
        return await self._prepare_update(item, record)

    async def _write_batch(self, batch: list[_Prepared], limiter: anyio.CapacityLimiter) -> None:
        async with limiter:
            if self.stats.paused:
                for ready in batch:
                    await self.hub.store.fail(ready.item.id, "connector paused", self.hub.clock())
                return
            try:
                outcomes = await self.connector.write_many([ready.write for ready in batch])
                if len(outcomes) != len(batch):
                    raise FatalError(
                        f"{self.name}: write_many answered {len(outcomes)} outcomes "
                        f"for {len(batch)} writes"
                    )
            except ItsmhubError as exc:
                # The whole call failed: every row takes the error (one audit if it pauses).
                for n, ready in enumerate(batch):
                    await self._failed(ready.item, exc, audit=n == 0)
                return
            for ready, outcome in zip(batch, outcomes, strict=True):
                try:
                    if isinstance(outcome, ItsmhubError):
                        raise outcome
                    await ready.finish(outcome)
                except ItsmhubError as exc:
                    await self._failed(ready.item, exc)

    async def _execute(self, item: OutboxItem) -> None:
        record = await self.hub.store.get_record(item.record_id) if item.record_id else None
        if record is None:
            await self._skip(item, "its record no longer exists")
            return
        handlers = {
            OutboxOperation.CREATE: self._create,
            OutboxOperation.UPDATE: self._update,
            OutboxOperation.COMMENT: self._comment,
            OutboxOperation.LINK: self._link,
        }
        await handlers[item.operation](item, record)

    async def _create(self, item: OutboxItem, record: AnyRecordType) -> None:
        ready = await self._prepare_create(item, record)
        if ready is not None:
            assert isinstance(ready.write, WriteCreate)
            await ready.finish(await self.connector.create(record, marker=ready.write.marker))

    async def _prepare_create(self, item: OutboxItem, record: AnyRecordType) -> _Prepared | None:
        """The create to send, or None when the row is settled already (adopted, found)."""
        if record.ref_for(self.name) is not None:
            await self._skip(item, "the copy already exists (adopted)")
            return None
        assert item.correlation_marker is not None
        if item.attempts > 1:
            # An earlier attempt may have created it before we lost the answer (G3).
            found = await self.connector.find_by_marker(record.kind, item.correlation_marker)
            if found:
                await self._created(item, record, found[0])
                return None

        async def finish(outcome: RemoteChange | RemoteVersion) -> None:
            if not isinstance(outcome, RemoteChange):
                raise FatalError(f"{self.name}: a create answered {type(outcome).__name__}")
            await self._created(item, record, outcome)

        write = WriteCreate(record=record, marker=item.correlation_marker)
        return _Prepared(item=item, write=write, finish=finish)

    async def _created(self, item: OutboxItem, record: AnyRecordType, remote: RemoteChange) -> None:
        copy = remote.record
        ref = (copy.ref_for(self.name) if copy else None) or ExternalRef(
            system=self.name, remote_id=remote.remote_id
        )
        now = self.hub.clock()
        only = self.hub.fields_of(self.name)
        held = sync_fields(copy if copy else record, only)
        async with self.hub.store.transaction() as tx:
            await tx.put_ref(record.id, ref)
            await tx.put_base(
                Base(
                    record_id=record.id,
                    system=self.name,
                    fields=held,
                    remote_version=remote.version,
                    remote_updated_at=remote.changed_at,
                    agreed_at=now,
                )
            )
            await tx.complete(item.id)
            await tx.audit(
                "record.copied",
                record_id=record.id,
                connector=self.name,
                detail={"remote_id": ref.remote_id, "key": ref.key},
            )
            # The pushes of this run change no record fields, so ``record`` is current.
            await send_everything(tx, record, self.name)
            if changed(sync_fields(record, only), held):
                await queue_update(tx, self.name, record.id)  # the copy reads back otherwise
        self.stats.pushed += 1

    async def _update(self, item: OutboxItem, record: AnyRecordType) -> None:
        ready = await self._prepare_update(item, record)
        if ready is not None:
            assert isinstance(ready.write, WriteUpdate)
            await ready.finish(await self.connector.update(ready.write.ref, ready.write.changes))

    async def _prepare_update(self, item: OutboxItem, record: AnyRecordType) -> _Prepared | None:
        """The conditional update to send, or None when nothing differs (row settled)."""
        ref = record.ref_for(self.name)
        base = await self.hub.store.get_base(record.id, self.name)
        fields = sync_fields(record, self.hub.fields_of(self.name))
        names = changed(fields, base.fields if base else None)
        if ref is None or not names:
            await self._skip(item, "nothing differs")
            return None
        old = base.fields if base else {}
        changes = FieldChanges(
            kind=record.kind,
            changes=tuple(FieldChange(field=n, old=old.get(n), new=fields.get(n)) for n in names),
        )

        async def finish(outcome: RemoteChange | RemoteVersion) -> None:
            if not isinstance(outcome, RemoteVersion):
                raise FatalError(f"{self.name}: an update answered {type(outcome).__name__}")
            await self._updated(item, record, old, fields, names, outcome)

        return _Prepared(item=item, write=WriteUpdate(ref=ref, changes=changes), finish=finish)

    async def _updated(
        self,
        item: OutboxItem,
        record: AnyRecordType,
        old: dict[str, JsonValue],
        fields: dict[str, JsonValue],
        names: list[str],
        version: RemoteVersion,
    ) -> None:
        async with self.hub.store.transaction() as tx:
            await tx.put_base(
                Base(
                    record_id=record.id,
                    system=self.name,
                    fields={**old, **{n: fields.get(n) for n in names}},
                    # The version a write returns may cover an edit we never read (another
                    # field changed just before): keep none, so the next pull is diffed
                    # field by field; our own values diff to nothing, their edit shows.
                    remote_version=None,
                    remote_updated_at=version.updated_at,
                    agreed_at=self.hub.clock(),
                )
            )
            await tx.complete(item.id)
            await tx.audit(
                "record.pushed", record_id=record.id, connector=self.name, detail={"fields": names}
            )
        self.stats.pushed += 1

    async def _comment(self, item: OutboxItem, record: AnyRecordType) -> None:
        ref = record.ref_for(self.name)
        comments = list(getattr(record, "comments", []))
        index = next(
            (i for i, c in enumerate(comments) if c.id == item.payload.get("comment_id")), None
        )
        if ref is None or index is None:
            await self._skip(item, "no copy of the record or the comment")
            return
        comment = comments[index]
        existing = next((r for r in comment.refs if r.system == self.name), None)
        if item.payload.get("edit"):
            if existing is not None:
                await self.connector.update_comment(ref, comment)
            await self._settle(item, "comment.edited", record.id)
            return
        if existing is None and item.attempts > 1:
            existing = await self._find_comment_copy(record, ref, comment.id)
        if existing is None:
            existing = await self.connector.add_comment(ref, comment, marker=comment.id)
        async with self.hub.store.transaction() as tx:
            current = await tx.get_record(record.id)
            if current is not None:
                updated = [
                    c.model_copy(update={"refs": [*c.refs, existing]})
                    if c.id == comment.id and all(r.system != self.name for r in c.refs)
                    else c
                    for c in getattr(current, "comments", [])
                ]
                current.comments = updated  # type: ignore[union-attr]
                await tx.put_record(current)
            await tx.complete(item.id)
            await tx.audit(
                "comment.copied",
                record_id=record.id,
                connector=self.name,
                detail={"comment_id": comment.id},
            )
        self.stats.pushed += 1

    async def _find_comment_copy(
        self, record: AnyRecordType, ref: ExternalRef, comment_id: str
    ) -> ExternalRef | None:
        """After an unknown outcome: is our comment already there (by its marker)?"""
        remote = await self.connector.fetch(record.kind, ref.remote_id)
        comments = getattr(remote.record, "comments", []) if remote and remote.record else []
        for copy in comments:
            if copy.id == comment_id:
                return next((r for r in copy.refs if r.system == self.name), None)
        return None

    async def _link(self, item: OutboxItem, record: AnyRecordType) -> None:
        target_id = item.payload.get("target_id")
        target = await self.hub.store.get_record(str(target_id)) if target_id else None
        ref = record.ref_for(self.name)
        target_ref = target.ref_for(self.name) if target else None
        if ref is not None and target is not None and target_ref is None:
            # The target's copy may still be on its way (a rule created it and queued its
            # links in the same breath): wait for it rather than lose the link.
            creates = await self.hub.store.waiting_items(
                self.name, target.id, OutboxOperation.CREATE
            )
            if creates:
                await self._wait_for_copy(item, creates)
                return
            # The create may have committed (ref and completion together) since we read.
            target = await self.hub.store.get_record(target.id)
            target_ref = target.ref_for(self.name) if target else None
        if ref is None or target_ref is None:
            await self._skip(item, "one end of the link is not in this system")
            return
        await self.connector.link(ref, target_ref, LinkKind(str(item.payload["kind"])))
        await self._settle(item, "link.copied", record.id)

    async def _wait_for_copy(self, item: OutboxItem, creates: list[OutboxItem]) -> None:
        """Reschedule a link until after its target's create: the pending create's due time
        (or now, if it is in flight) plus ``LINK_WAIT``, so this run does not claim it again."""
        now = self.hub.clock()
        due = [c.next_attempt_at for c in creates if c.status is OutboxStatus.PENDING]
        when = max([now, *due]) + LINK_WAIT
        await self.hub.store.fail(item.id, "waiting for the link target's copy", when)
        self.stats.retried += 1

    async def _settle(self, item: OutboxItem, event: str, record_id: str) -> None:
        async with self.hub.store.transaction() as tx:
            await tx.complete(item.id)
            await tx.audit(event, record_id=record_id, connector=self.name, detail={})
        self.stats.pushed += 1

    async def _skip(self, item: OutboxItem, why: str) -> None:
        async with self.hub.store.transaction() as tx:
            await tx.complete(item.id)
            await tx.audit(
                "outbox.skipped",
                record_id=item.record_id,
                connector=self.name,
                detail={"operation": item.operation.value, "why": why},
            )
        self.stats.skipped += 1

    async def _remote_changed(self, item: OutboxItem, exc: RemoteChanged) -> None:
        """Someone edited the remote since its base: read it, merge, then write again."""
        record = await self.hub.store.get_record(item.record_id) if item.record_id else None
        ref = record.ref_for(self.name) if record else None
        if record is not None and ref is not None:
            remote = await self.connector.fetch(record.kind, ref.remote_id)
            if remote is not None:
                async with self.hub.store.transaction() as tx:
                    await PageApplier(self.hub, self.name, tx, self.hub.clock()).apply(remote)
        await self._transient(item, exc, retry_now=True)

    async def _transient(
        self, item: OutboxItem, exc: TransientError, *, retry_now: bool = False
    ) -> None:
        if item.attempts >= self.hub.config.sync.max_attempts:
            await self._dead(item, exc)
            return
        now: datetime = self.hub.clock()
        wait = timedelta(0) if retry_now else backoff(item.attempts, exc.retry_after, self.rng)
        await self.hub.store.fail(item.id, str(exc), now + wait)
        self.stats.retried += 1
        self.stats.last_error = str(exc)

    async def _dead(self, item: OutboxItem, exc: ItsmhubError) -> None:
        async with self.hub.store.transaction() as tx:
            await tx.mark_dead(item.id, str(exc))
            await tx.add_dead_letter(
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
            await tx.audit(
                "error.push",
                record_id=item.record_id,
                connector=self.name,
                detail={"operation": item.operation.value, "error": str(exc)},
            )
        self.stats.dead += 1
        self.stats.last_error = str(exc)
