"""Pulling a connector's stream: pages read and applied, each with its checkpoint.

A page of pulled items is applied and its checkpoint stored in one transaction, so a
cursor never moves past changes that are not committed. Reading and applying overlap:
while one page is merged and written, the connector already fetches the next (a page at
most is held in between, so memory stays flat). A page the store refuses as a whole is
applied again item by item, so one bad record is dead-lettered and the rest committed.
Backfills read a bounded range beside the incremental cursor without moving it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import anyio
from sqlalchemy.exc import SQLAlchemyError

from .. import chaos
from ..errors import ItsmhubError, StoreError
from ..exchange import Checkpoint, PullRequest, RejectedRecord, RemoteChange, Stream
from ..model import RecordKind
from ..store import DeadLetterIn, StoreTransaction
from .boundary import guarded, guarded_items
from .cursors import dump_cursor, load_cursor, with_overlap
from .hub import Hub
from .page import YIELD_EVERY, PageApplier, PageItem, PullStats

log = logging.getLogger("itsmhub.engine")

#: Items held before a connector's next checkpoint; beyond it they are applied without
#: moving the cursor, so memory stays flat whatever a connector's page size.
MAX_UNCHECKPOINTED = 1000
#: Fewest items a page is applied with while more are coming: connectors that check
#: point every few items (Zendesk's ticket events, per ticket) would otherwise pay a
#: store transaction each few records.
MIN_PAGE = 500


class Progress(Protocol):
    """Told how many records each page read, and the total once the vendor says."""

    count: int
    """Records reported so far."""

    def __call__(self, count: int) -> None: ...

    def set_total(self, total: int | None) -> None: ...


@dataclass
class _Page:
    items: list[PageItem]
    checkpoint: Checkpoint | None
    request: int = 0
    """Which of the pull's requests (streams) the page belongs to."""


@dataclass
class _Failed:
    error: BaseException


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
    cursor = None
    if since is None and until is None:
        stored = load_cursor(await (tx or hub.store).get_cursor(name, stream.name))
        cursor = with_overlap(stored, max(hub.config.sync.overlap, stream.overlap))
    request = PullRequest(stream=stream, cursor=cursor, since=since, until=until)
    seen = cursor.seen if cursor is not None else frozenset()
    stats = stats if stats is not None else PullStats()
    await _pull(hub, name, [request], [stats], seen, tx, progress)
    return stats


async def _pull(
    hub: Hub,
    name: str,
    requests: list[PullRequest],
    stats: list[PullStats],
    seen: frozenset[tuple[str, str]],
    tx: StoreTransaction | None,
    progress: Progress | None,
) -> None:
    """Read ``requests`` one after another and commit their pages in that order."""
    failed: BaseException | None = None
    async with _pages(hub, name, requests, seen, stats) as pages:
        async for page in pages:
            if isinstance(page, _Failed):
                failed = page.error
                break
            request = requests[page.request]
            await _commit(
                hub, name, request.stream, page, stats[page.request], tx,
                keep_cursor=request.since is not None or request.until is not None,
            )  # fmt: skip
            if progress is not None:
                _report(progress, page)
    if failed is not None:
        raise failed  # after the reading task ended, so it is not wrapped in a group


def _report(progress: Progress, page: _Page) -> None:
    progress(len(page.items))
    remaining = page.checkpoint.remaining if page.checkpoint is not None else None
    if remaining is not None:
        progress.set_total(progress.count + remaining)


@asynccontextmanager
async def _pages(
    hub: Hub,
    name: str,
    requests: list[PullRequest],
    seen: frozenset[tuple[str, str]],
    stats: list[PullStats],
) -> AsyncIterator[AsyncIterator[_Page | _Failed]]:
    """The connector's items grouped into pages, read one page ahead in a task of its own.

    A page is what came up to a checkpoint, several checkpoints' worth while they are
    small (``MIN_PAGE``), at most ``MAX_UNCHECKPOINTED`` items. It carries the latest
    checkpoint read: the cursor then says everything before it is stored, and the items
    after it in the same page are stored as well (the next pull reads them again, and
    their versions show them unchanged). Several requests are read one after another,
    never at once, so the next stream's first pages arrive while the last ones of the
    stream before are still being applied. A failure of the read arrives as the last
    element, after every page read before it, so those are committed first."""
    send, receive = anyio.create_memory_object_stream[_Page | _Failed](1)

    async def read() -> None:
        async with send:
            for number, request in enumerate(requests):
                if not await read_one(number, request):
                    return

    async def read_one(number: int, request: PullRequest) -> bool:
        items: list[PageItem] = []
        checkpoint: Checkpoint | None = None
        try:
            source = guarded_items(hub.connector(name), request)
            async for item in source:
                if isinstance(item, Checkpoint):
                    checkpoint = item
                    if len(items) >= MIN_PAGE:
                        await send.send(_Page(items, checkpoint, number))
                        items, checkpoint = [], None
                    continue
                if isinstance(item, RemoteChange) and (item.remote_id, item.version) in seen:
                    stats[number].seen += 1
                    stats[number].unchanged += 1  # the boundary, re-read by the overlap
                    continue
                items.append(item)
                if len(items) % YIELD_EVERY == 0:
                    # A connector maps without awaiting: a turn of the loop lets its
                    # next request leave (read ahead) while it maps the rest of a page.
                    await anyio.lowlevel.checkpoint()
                if len(items) >= MAX_UNCHECKPOINTED:
                    await send.send(_Page(items, checkpoint, number))
                    items, checkpoint = [], None
        except ItsmhubError as exc:
            if items or checkpoint is not None:
                await send.send(_Page(items, checkpoint, number))
            await send.send(_Failed(exc))
            return False
        if items or checkpoint is not None:
            await send.send(_Page(items, checkpoint, number))
        return True

    async with anyio.create_task_group() as group:
        group.start_soon(read)
        async with receive:
            yield receive
        group.cancel_scope.cancel()


async def _commit(
    hub: Hub,
    name: str,
    stream: Stream,
    page: _Page,
    stats: PullStats,
    tx: StoreTransaction | None,
    *,
    keep_cursor: bool,
) -> None:
    cursor = None
    if page.checkpoint is not None and not keep_cursor:
        cursor = dump_cursor(page.checkpoint.cursor)

    async def apply(unit: StoreTransaction, items: list[PageItem]) -> PullStats:
        applier = PageApplier(hub, name, unit, hub.clock())
        await applier.apply_page(items)
        if cursor is not None:
            applier.writes.cursors[name, stream.name] = cursor
        chaos.reached("pull.merged")
        await unit.flush(applier.writes)
        return applier.stats

    if tx is not None:
        page_stats = await apply(tx, page.items)
    else:
        try:
            async with hub.store.transaction() as unit:
                page_stats = await apply(unit, page.items)
        except (SQLAlchemyError, StoreError) as exc:
            log.warning("%s: the store refused a page (%s); applying it item by item", name, exc)
            page_stats = await _isolate(hub, name, stream, page.items, cursor)
    chaos.reached("pull.flushed")
    page_stats.pages = 1
    stats.add(page_stats)


async def _isolate(
    hub: Hub, name: str, stream: Stream, items: list[PageItem], cursor: object
) -> PullStats:
    """Apply a refused page one item per transaction; what still fails is dead-lettered.
    The cursor moves only after every item is committed or dead-lettered."""
    stats = PullStats()
    for item in items:
        try:
            async with hub.store.transaction() as unit:
                applier = PageApplier(hub, name, unit, hub.clock())
                await applier.apply_page([item])
                await unit.flush(applier.writes)
            stats.add(applier.stats)
        except (SQLAlchemyError, StoreError) as exc:
            stats.seen += 1
            stats.rejected += 1
            await hub.store.add_dead_letter(_refused(name, item, exc))
    if cursor is not None:
        async with hub.store.transaction() as unit:
            await unit.put_cursor(name, stream.name, cursor)  # type: ignore[arg-type]
    return stats


def _refused(name: str, item: PageItem, exc: Exception) -> DeadLetterIn:
    kind = item.kind.value if isinstance(item, RemoteChange | RejectedRecord) else "comments"
    remote_id = item.remote_id or "?"
    version = item.version or ""
    reason = f"the store refused it: {type(exc).__name__}"
    if isinstance(exc, ItsmhubError):
        reason = f"the store refused it: {exc.message}"
    return DeadLetterIn(
        connector=name,
        record_key=remote_id,
        remote_version=version,
        error_class="StoreRefused",
        reason=reason,
        payload={"origin": "pull", "kind": kind, "remote_id": remote_id},
    )


async def refetch(hub: Hub, name: str, kind: RecordKind, remote_id: str) -> bool:
    """Read one record again and apply it (a dead letter's retry, a webhook nudge).

    Returns False when the remote no longer has it.
    """
    connector = hub.connector(name)
    change = await guarded(connector, "fetch", connector.fetch(kind, remote_id))
    if change is None:
        return False
    async with hub.store.transaction() as tx:
        applier = PageApplier(hub, name, tx, hub.clock())
        await applier.apply_page([change])
        await tx.flush(applier.writes)
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
    streams = [hub.stream(name, stream)]
    totals = await backfill_streams(
        hub, name, streams, since=since, until=until, dry_run=dry_run, progress=progress
    )
    return totals[streams[0].name]


async def backfill_streams(
    hub: Hub,
    name: str,
    streams: Sequence[Stream],
    *,
    since: datetime,
    until: datetime | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> dict[str, PullStats]:
    """Backfill several streams of one connector, in order: each is read after the one
    before, and its first pages arrive while that one's last are still being applied.
    Counts by stream name, right as far as pages committed when a read fails."""
    requests = [PullRequest(stream=s, since=since, until=until) for s in streams]
    stats = [PullStats() for _ in streams]
    if not dry_run:
        await _pull(hub, name, requests, stats, frozenset(), None, progress)
    else:
        async with rolled_back(hub) as tx:
            await _pull(hub, name, requests, stats, frozenset(), tx, progress)
    return {s.name: each for s, each in zip(streams, stats, strict=True)}


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
