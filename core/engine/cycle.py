"""One sync cycle: pull every connector's changes, then push what each system must receive.

A page of pulled changes is applied and its checkpoint stored in one transaction, so a
cursor never moves past changes that are not committed. Backfills read a bounded range
beside the incremental cursor without moving it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import ItsmhubError
from ..exchange import Checkpoint, PullRequest, RejectedRecord, RemoteChange, Stream
from ..model import RecordKind
from ..store import StoreTransaction
from .apply import PageApplier, PullStats
from .cursors import dump_cursor, load_cursor, with_overlap
from .hub import Hub
from .push import Pusher, PushStats
from .rules_run import RulesReport

#: Changes held before a connector's next checkpoint; beyond it they are applied without
#: moving the cursor, so memory stays flat whatever a connector's page size.
MAX_UNCHECKPOINTED = 1000

Progress = Callable[[int], None]


@dataclass
class ConnectorReport:
    pull: PullStats = field(default_factory=PullStats)
    push: PushStats = field(default_factory=PushStats)
    errors: list[str] = field(default_factory=list)


@dataclass
class CycleReport:
    connectors: dict[str, ConnectorReport] = field(default_factory=dict)
    rules: RulesReport = field(default_factory=RulesReport)

    def of(self, name: str) -> ConnectorReport:
        return self.connectors.setdefault(name, ConnectorReport())

    @property
    def ok(self) -> bool:
        return not any(r.errors for r in self.connectors.values()) and not self.rules.errors


async def sync_once(hub: Hub, *, only: str | None = None) -> CycleReport:
    """Pull all (or one) connectors, then push their outboxes.

    Each connector is worked by one worker at a time: one that another worker holds is
    skipped this cycle and reported.
    """
    names = [hub.connector(only).name] if only else sorted(hub.connectors)
    report = CycleReport()
    async with AsyncExitStack() as stack:
        held = []
        for name in sorted(hub.connectors):
            if await stack.enter_async_context(hub.store.worker_lock(f"connector:{name}")):
                held.append(name)
                # Rows still in flight were claimed by a worker that died holding this lock.
                await hub.store.release_in_flight(name)
            elif name in names:
                report.of(name).errors.append("another itsmhub worker is syncing it")
        for name in (n for n in names if n in held):
            for stream in hub.streams_of(name):
                try:
                    await pull_stream(hub, name, stream, stats=report.of(name).pull)
                except ItsmhubError as exc:
                    await _pull_failed(hub, name, stream, exc, report)
                    break
        if only is None:
            # Rules see this cycle's changes before the push, so what they decide (a new
            # problem, a link, a workaround note) leaves in the same cycle.
            report.rules = await hub.rules_step.run(hub)
        # Push to every connector: changes pulled from one are written to the others.
        for name in held:
            report.of(name).push = await Pusher(hub, name).run()
            if report.of(name).push.paused:
                report.of(name).errors.append(report.of(name).push.last_error or "paused")
    return report


async def _pull_failed(
    hub: Hub, name: str, stream: Stream, exc: ItsmhubError, report: CycleReport
) -> None:
    # Pages already committed stay; the next cycle resumes from the stored cursor.
    report.of(name).errors.append(f"pull {stream.name}: {exc}")
    await hub.store.audit(
        "error.pull", connector=name, detail={"stream": stream.name, "error": str(exc)}
    )


async def pull_stream(
    hub: Hub,
    name: str,
    which: Stream | RecordKind | str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    tx: StoreTransaction | None = None,
    progress: Progress | None = None,
    stats: PullStats | None = None,
) -> PullStats:
    """Pull one stream of one connector and apply it, page by page.

    With ``since``/``until`` it is a backfill: the range is read and applied, and the
    incremental cursor is neither used nor moved. With ``tx`` everything happens in that
    transaction (for plans that are rolled back). Counts add up in ``stats`` as pages
    commit, so they are right even when the pull fails part way.
    """
    stream = hub.stream(name, which)
    backfill = since is not None or until is not None
    cursor = None
    if not backfill:
        stored = load_cursor(await (tx or hub.store).get_cursor(name, stream.name))
        cursor = with_overlap(stored, max(hub.config.sync.overlap, stream.overlap))
    request = PullRequest(stream=stream, cursor=cursor, since=since, until=until)
    stats = stats if stats is not None else PullStats()
    page: list[RemoteChange | RejectedRecord] = []
    items = hub.connector(name).pull(request)
    async for item in items:
        if isinstance(item, Checkpoint):
            await _commit(hub, name, stream, page, item, stats, tx, keep_cursor=backfill)
            page = []
        else:
            page.append(item)
            if len(page) >= MAX_UNCHECKPOINTED:
                await _commit(hub, name, stream, page, None, stats, tx, keep_cursor=True)
                page = []
        if progress is not None and not isinstance(item, Checkpoint):
            progress(1)
    if page:
        await _commit(hub, name, stream, page, None, stats, tx, keep_cursor=True)
    return stats


async def _commit(
    hub: Hub,
    name: str,
    stream: Stream,
    page: list[RemoteChange | RejectedRecord],
    checkpoint: Checkpoint | None,
    stats: PullStats,
    tx: StoreTransaction | None,
    *,
    keep_cursor: bool,
) -> None:
    async def apply(unit: StoreTransaction) -> None:
        applier = PageApplier(hub, name, unit, hub.clock())
        for item in page:
            if isinstance(item, RejectedRecord):
                await applier.reject(item)
            else:
                await applier.apply(item)
        if checkpoint is not None and not keep_cursor:
            await unit.put_cursor(name, stream.name, dump_cursor(checkpoint.cursor))
        applier.stats.pages = 1
        stats.add(applier.stats)

    if tx is not None:
        await apply(tx)
        return
    async with hub.store.transaction() as unit:
        await apply(unit)


async def refetch(hub: Hub, name: str, kind: RecordKind, remote_id: str) -> bool:
    """Read one record again and apply it (a dead letter's retry, a webhook nudge).

    Returns False when the remote no longer has it.
    """
    change = await hub.connector(name).fetch(kind, remote_id)
    if change is None:
        return False
    async with hub.store.transaction() as tx:
        await PageApplier(hub, name, tx, hub.clock()).apply(change)
    return True


async def backfill(
    hub: Hub,
    name: str,
    stream: Stream | RecordKind | str,
    *,
    since: datetime,
    until: datetime | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> PullStats:
    """Read ``[since, until)`` from one connector beside its cursor; ``dry_run`` merges in
    a transaction that is rolled back, so nothing is written."""
    if not dry_run:
        return await pull_stream(hub, name, stream, since=since, until=until, progress=progress)
    async with rolled_back(hub) as tx:
        return await pull_stream(
            hub, name, stream, since=since, until=until, tx=tx, progress=progress
        )


class _Rollback(Exception):
    """Ends a transaction that must not be committed."""


@asynccontextmanager
async def rolled_back(hub: Hub) -> AsyncIterator[StoreTransaction]:
    """A transaction that is always rolled back: for plans and dry runs."""
    try:
        async with hub.store.transaction() as tx:
            yield tx
            raise _Rollback
    except _Rollback:
        pass
