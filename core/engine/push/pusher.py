"""Pushing the outbox of one connector: claim a batch, prepare it, keep its intents, write,
settle the batch in one transaction; repeat while rows are due.

Rows are claimed (a lease). Before any vendor call, each row keeps what it is about to
send; the calls are made (creates and updates through ``write_many`` where the connector
has it, the rest concurrently under ``[sync] concurrency``); the outcomes are settled in
one transaction. A crash anywhere re-runs the calls: creates find their correlation marker
first (waiting out the connector's declared marker lag), updates write absolute values
and a pull recognises them by their intent, comments look for their marker. Links are
pushed after the creates of their batch, so a problem and its links leave in one cycle.
Writes an asynchronous vendor job carries are followed until the job ends.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import anyio
from sqlalchemy.exc import SQLAlchemyError

from ... import chaos
from ...concurrency import task_group
from ...connector import Connector
from ...errors import (
    FatalError,
    ItsmhubError,
    RecordError,
    RemoteChanged,
    StoreError,
)
from ...exchange import WriteCreate, WriteUpdate
from ...model import ExternalRef
from ...store import (
    OutboxItem,
    OutboxOperation,
    OutboxStatus,
    RowUpdate,
    StoreTransaction,
    Writes,
)
from ..boundary import guarded
from ..hub import Hub
from ..page import PageApplier
from .jobs import jobs_followed
from .overlap import Settling
from .settle import PushStats, Settlement
from .tasks import Batch, Done, Skip, Task, Wait, link_target, prepare_create, prepare_update

#: Rows claimed per round; rounds repeat until nothing is due.
CLAIM_BATCH = 200
#: Rounds per run at most: rows a run queues (a new copy's comments) go out in the same
#: run, and a row retried at once cannot loop forever.
MAX_ROUNDS = 50
_LINKS = (OutboxOperation.LINK, OutboxOperation.UNLINK)


class Pusher:
    """Drains the due outbox rows of one connector."""

    def __init__(self, hub: Hub, name: str, *, rng: random.Random | None = None) -> None:
        self.hub = hub
        self.name = name
        self.connector: Connector = hub.connector(name)
        self.stats = PushStats()
        self.rng = rng or random.Random()  # noqa: S311  (jitter, not cryptography)

    @property
    def bulk(self) -> bool:
        """Whether creates and updates go through ``write_many``."""
        return "write_many" in type(self.connector).capabilities()

    async def run(self) -> PushStats:
        """Follow the vendor jobs due, then push due rows until none is left or the
        connector pauses. A round that went well settles while the next one is prepared
        (``overlap.py``)."""
        await self._follow_jobs()
        # A failure is raised once a settlement in flight has committed.
        async with task_group() as group:
            await self._rounds(Settling(group if self.hub.store.concurrent else None))
        return self.stats

    async def _rounds(self, settling: Settling) -> None:
        for _ in range(MAX_ROUNDS):
            if self.stats.paused:
                break
            now = self.hub.clock()
            limit = chaos.claim_batch(CLAIM_BATCH)
            items = await self.hub.store.claim_due(self.name, now, limit)
            if not items:
                if not settling.busy:
                    break
                # What it settles may queue rows due now (a new copy's comments).
                await settling.wait()
                continue
            # Links after the creates of their batch: the target's copy then exists.
            for part in (
                [i for i in items if i.operation not in _LINKS],
                [i for i in items if i.operation in _LINKS],
            ):
                if part:
                    await self._push(part, retry_at=now, settling=settling)
        await settling.wait()

    async def _push(
        self, items: list[OutboxItem], *, retry_at: datetime, settling: Settling
    ) -> None:
        if settling.overlaps(Batch.needs(items)):
            await settling.wait()
        batch = await Batch.load(self.hub.store, self.name, items)
        tasks = [Task(item, batch.record(item.record_id)) for item in items]
        if self.stats.paused:
            for task in tasks:
                task.outcome = FatalError(self.stats.last_error or "connector paused")
        else:
            await self._each(tasks, lambda task: self._prepare(task, batch))
            intents = [(t.item, t.sent) for t in tasks if t.outcome is None and t.sent]
            await self.hub.store.record_intents(intents, self.hub.clock())
            if settling.busy:
                chaos.reached("push.overlapped")
            await self._execute(tasks)
            chaos.reached("push.written")
            await self._each(tasks, self._reread)
        await settling.wait()  # settlements commit one at a time, in the order of rounds
        settle = partial(self._settle, tasks, batch, retry_at)
        if settling.can_overlap and not any(isinstance(t.outcome, Exception) for t in tasks):
            settling.start(settle, writes=batch.records.keys())
        else:
            # A failure may pause the connector or read remotes again: what it settles
            # decides what the next round may do.
            await settle()

    # --- preparing -------------------------------------------------------------------

    async def _prepare(self, task: Task, batch: Batch) -> None:
        item, record = task.item, task.record
        if record is None:
            task.outcome = Skip("its record no longer exists")
            return
        only = self.hub.fields_of(self.name)
        if item.operation is OutboxOperation.CREATE:
            prepare_create(task, only)
            if task.outcome is None and item.attempts > 1:
                await self._recover_create(task)
        elif item.operation is OutboxOperation.UPDATE:
            prepare_update(task, batch.base(record.id), only)
        elif item.operation is OutboxOperation.COMMENT:
            await self._prepare_comment(task)
        else:
            self._prepare_link(task, batch)

    async def _recover_create(self, task: Task) -> None:
        """An earlier attempt may have created the copy before its answer was lost (G3):
        look for the marker; while the vendor's search may still miss it, wait."""
        if "find_by_marker" not in type(self.connector).capabilities():
            return
        assert task.record is not None and task.item.correlation_marker is not None
        found = await guarded(
            self.connector,
            "find_by_marker",
            self.connector.find_by_marker(task.record.kind, task.item.correlation_marker),
        )
        if found:
            task.outcome = found[0]
            task.write = None
            if len(found) > 1:
                extra = [f.remote_id for f in found[1:]]
                await self.hub.store.audit(
                    "record.duplicate_copies",
                    record_id=task.record.id,
                    connector=self.name,
                    detail={"kept": found[0].remote_id, "also_carrying_the_marker": extra},
                )
            return
        lag, first = self.connector.marker_lag, task.item.first_attempt_at
        if lag and first is not None and self.hub.clock() < first + lag:
            task.outcome = Wait(first + lag, "the vendor's search may not show the copy yet")
            task.write = None

    async def _prepare_comment(self, task: Task) -> None:
        item, record = task.item, task.record
        assert record is not None
        ref = record.ref_for(self.name)
        comment = next(
            (c for c in getattr(record, "comments", []) if c.id == item.payload.get("comment_id")),
            None,
        )
        if ref is None or comment is None:
            task.outcome = Skip("no copy of the record or the comment")
            return
        existing = next((r for r in comment.refs if r.system == self.name), None)
        if item.payload.get("edit"):
            if existing is None:
                task.outcome = Skip("the comment has no copy here to edit")
                return
            task.call = _done(self.connector.update_comment(ref, comment), "comment.edited")
            return
        if existing is not None:
            task.outcome = Skip("the comment is already there")
            return
        if item.attempts > 1:
            found = await self._find_comment_copy(record.kind, ref, comment.id)
            if found is not None:
                task.outcome = found
                return
        task.call = lambda: self.connector.add_comment(ref, comment, marker=comment.id)

    async def _find_comment_copy(
        self, kind: Any, ref: ExternalRef, comment_id: str
    ) -> ExternalRef | None:
        """After an unknown outcome: is our comment already there (by its marker)?"""
        remote = await guarded(self.connector, "fetch", self.connector.fetch(kind, ref.remote_id))
        for copy in getattr(remote.record, "comments", []) if remote and remote.record else []:
            if copy.id == comment_id:
                return next((r for r in copy.refs if r.system == self.name), None)
        return None

    def _prepare_link(self, task: Task, batch: Batch) -> None:
        assert task.record is not None
        found = link_target(task, batch, elsewhere=self.connector.links_elsewhere)
        if found is None:
            return
        target, kind = found
        ref = task.record.ref_for(self.name)
        assert ref is not None
        if task.item.operation is OutboxOperation.LINK:
            task.call = _done(self.connector.link(ref, target, kind), "link.copied")
        else:
            task.call = _done(self.connector.unlink(ref, target, kind), "link.removed")

    # --- writing ---------------------------------------------------------------------

    async def _execute(self, tasks: list[Task]) -> None:
        ready = [t for t in tasks if t.outcome is None]
        bulk = [t for t in ready if t.write is not None] if self.bulk else []
        in_bulk = {id(t) for t in bulk}
        singles = [t for t in ready if id(t) not in in_bulk]
        size = max(1, self.connector.max_batch)
        calls: list[list[Task] | Task] = [bulk[i : i + size] for i in range(0, len(bulk), size)]
        # A few workers take the calls in turn: a task each cost more than the write itself
        # against a fast vendor (anyio's task set-up, 4% of a cycle's CPU).
        await _pool(self.hub.config.sync.concurrency, [*calls, *singles], self._write)

    async def _write(self, call: list[Task] | Task) -> None:
        if isinstance(call, list):
            await self._write_many(call)
        else:
            await self._write_one(call)

    async def _write_one(self, task: Task) -> None:
        try:
            if isinstance(task.write, WriteCreate):
                call = self.connector.create(
                    task.write.record, marker=task.write.marker, **self._route(task.write)
                )
                task.outcome = await guarded(self.connector, "create", call)
            elif isinstance(task.write, WriteUpdate):
                call = self.connector.update(task.write.ref, task.write.changes)
                task.outcome = await guarded(self.connector, "update", call)
            elif task.call is not None:
                task.outcome = await guarded(self.connector, task.operation.value, task.call())
        except ItsmhubError as exc:
            task.outcome = exc

    def _route(self, write: WriteCreate) -> dict[str, Any]:
        """``create``'s ``options`` argument, for a connector that takes route options."""
        if not write.options or self.connector.route_options is None:
            return {}
        try:
            options = self.connector.check_route_options(self.connector.settings, write.options)
        except ValueError as exc:  # pydantic's ValidationError is one
            raise RecordError(
                f"{self.name}: the routing rule's target options are wrong: {exc}",
                fix="correct the rule's target in the config (`itsmhub config check` names it)",
            ) from None
        return {"options": options}

    async def _write_many(self, tasks: list[Task]) -> None:
        writes = [t.write for t in tasks if t.write is not None]
        try:
            outcomes = await guarded(
                self.connector, "write_many", self.connector.write_many(writes)
            )
            if len(outcomes) != len(tasks):
                raise FatalError(
                    f"{self.name}: write_many answered {len(outcomes)} outcomes "
                    f"for {len(tasks)} writes"
                )
        except ItsmhubError as exc:
            for task in tasks:  # the whole call failed: every row takes the error
                task.outcome = exc
            return
        for task, outcome in zip(tasks, outcomes, strict=True):
            task.outcome = outcome

    async def _reread(self, task: Task) -> None:
        """Someone edited the remote since its base: read it now, to merge before the
        write is tried again. A failing read backs the row off like any transient error."""
        if not isinstance(task.outcome, RemoteChanged) or task.record is None:
            return
        ref = task.record.ref_for(self.name)
        if ref is None:
            return
        try:
            remote = await guarded(
                self.connector, "fetch", self.connector.fetch(task.record.kind, ref.remote_id)
            )
        except ItsmhubError as exc:
            task.outcome = exc
            return
        if remote is None:
            task.outcome = RecordError(f"{ref.key or ref.remote_id} no longer exists")
        else:
            task.reread = remote

    # --- settling --------------------------------------------------------------------

    async def _settle(self, tasks: list[Task], batch: Batch, retry_at: datetime) -> None:
        """All outcomes in one transaction; if the store refuses it, one row at a time."""
        try:
            await self._settle_in_one(tasks, batch, retry_at)
        except (SQLAlchemyError, StoreError):
            for task in tasks:
                try:
                    await self._settle_in_one([task], batch, retry_at)
                except (SQLAlchemyError, StoreError) as exc:
                    await self._refused(task, exc)

    async def _settle_in_one(self, tasks: list[Task], batch: Batch, retry_at: datetime) -> None:
        async with self.hub.store.transaction() as tx:
            await _refresh(tx, batch, tasks)
            settlement = Settlement(
                self.hub,
                self.name,
                batch,
                now=self.hub.clock(),
                retry_at=retry_at,
                stats=PushStats(paused=self.stats.paused),
                rng=self.rng,
            )
            for task in tasks:
                await settlement.settle(task)
            await settlement.follow_copies(tx)
            await tx.flush(settlement.writes)
            if settlement.rereads:
                applier = PageApplier(self.hub, self.name, tx, self.hub.clock())
                await applier.apply_page(settlement.rereads)
                await tx.flush(applier.writes)
        _add(self.stats, settlement.stats)

    async def _refused(self, task: Task, exc: Exception) -> None:
        """The store refused even this row's settlement alone: try it again later."""
        why = exc.message if isinstance(exc, ItsmhubError) else type(exc).__name__
        writes = Writes(now=self.hub.clock())
        writes.row_updates.append(
            RowUpdate(
                id=task.item.id,
                status=OutboxStatus.PENDING,
                last_error=f"the store refused its settlement: {why}",
                next_attempt_at=self.hub.clock() + self.hub.config.sync.interval,
            )
        )
        async with self.hub.store.transaction() as tx:
            await tx.flush(writes)
        self.stats.retried += 1

    # --- asynchronous jobs -----------------------------------------------------------

    async def _follow_jobs(self) -> None:
        """Settle the rows whose vendor job has ended; ask again later about the others."""
        if "job_outcomes" not in type(self.connector).capabilities():
            return
        now = self.hub.clock()
        ended = await jobs_followed(self.hub.store, self.connector, self.name, now)
        if ended is not None:
            tasks, batch = ended
            await self._settle(tasks, batch, now)

    async def _each(self, tasks: Sequence[Task], step: Callable[[Task], Awaitable[None]]) -> None:
        """Run ``step`` for every task on a pool of ``[sync] concurrency`` workers (vendor
        look-ups overlap; a task each would cost more than most steps); a task whose step
        fails takes the error as its outcome."""
        await _pool(self.hub.config.sync.concurrency, tasks, step)


async def _pool(size: int, items: Sequence[Any], step: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``step`` over ``items`` on ``size`` workers. An itsmhub error a step raises
    becomes the outcome of the task(s) it was given, so one failure fails only them."""
    pending = iter(items)

    async def worker() -> None:
        for item in pending:
            try:
                await step(item)
            except ItsmhubError as exc:
                for task in item if isinstance(item, list) else [item]:
                    task.outcome = exc

    async with anyio.create_task_group() as group:
        for _ in range(max(1, min(size, len(items)))):
            group.start_soon(worker)


def _done(call: Awaitable[None], event: str) -> Callable[[], Awaitable[Done]]:
    async def run() -> Done:
        await call
        return Done(event)

    return run


def _add(total: PushStats, more: PushStats) -> None:
    total.pushed += more.pushed
    total.skipped += more.skipped
    total.retried += more.retried
    total.dead += more.dead
    total.deferred += more.deferred
    total.paused = total.paused or more.paused
    total.last_error = more.last_error or total.last_error
    total.copies += more.copies


async def _refresh(tx: StoreTransaction, batch: Batch, tasks: list[Task]) -> None:
    """The batch's records as they are now, inside the settling transaction (locked on
    PostgreSQL): a pull may have changed one while its write was with the vendor, and
    settling from the copy loaded before the call would write that change over, or never
    send it (the open row kept the pull from queueing another)."""
    ids = {t.item.record_id for t in tasks if t.item.record_id}
    versions = await tx.record_versions(ids, lock=True)
    moved = [i for i in ids if i in batch.records and versions.get(i) != batch.records[i].version]
    if moved:
        batch.records.update(await tx.load_records(moved, lock=True))
