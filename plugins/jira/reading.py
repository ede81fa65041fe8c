"""Reading issues: JQL search pages, the boundary set, backfill partitions, comments.

A pull is one JQL search over the configured projects and issue types, bounded by
epoch-millisecond ``updated`` times and ordered ``updated ASC, id ASC``, paged by
``nextPageToken``. Search is eventually consistent, so the stream's overlap (the
connector's ``search_lag``) makes each pull re-read that far behind its watermark; the
``(issue id, updated)`` pairs already read there are in the cursor's ``seen`` set and
are skipped. A backfill splits its range into time partitions read concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import anyio

from itsmhub import (
    Checkpoint,
    Comment,
    Cursor,
    PageGuard,
    PullItem,
    PullRequest,
    RecordError,
    RejectedRecord,
    RemoteChange,
)

from . import jql
from .comments import page_of, to_comments
from .links import PROPERTY
from .mapping import kind_of, parse_time, to_change, version_of

if TYPE_CHECKING:
    from .connector import JiraConnector

#: Pairs kept in a cursor's boundary set at most (re-reading more costs only a re-apply).
MAX_SEEN = 5000
Item = RemoteChange | RejectedRecord


@dataclass
class Partition:
    """A slice ``[since, until)`` of a backfill, and how far its reading got."""

    since: datetime | None
    until: datetime | None
    token: str | None = None
    done: bool = False
    reached: datetime | None = None
    guard: PageGuard = field(default_factory=lambda: PageGuard("Jira search pages"))

    @property
    def progress(self) -> datetime | None:
        """Everything of this slice before this time has been read."""
        if self.done:
            return self.until
        return self.reached or self.since


def partitions(since: datetime | None, until: datetime, count: int) -> list[Partition]:
    """``count`` equal time slices of ``[since, until)`` (one if there is no lower bound)."""
    if since is None or count <= 1 or until <= since:
        return [Partition(since, until)]
    step = (until - since) / count
    bounds = [since + step * n for n in range(count)] + [until]
    # Whole milliseconds: JQL bounds are epoch milliseconds.
    bounds = [b.replace(microsecond=b.microsecond // 1000 * 1000) for b in bounds]
    return [Partition(a, b) for a, b in pairwise(bounds) if a < b]


Round = tuple[dict[int, list[dict[str, Any]]], list[tuple[datetime | None, bool]]]
"""A round of pages by partition index, and each partition's (progress, done) then."""


class ReadAhead:
    """Rounds of pages, the next one read while the caller works on the last.

    Reading runs in an asyncio task started before a round is handed out, so fetching
    (the vendor's time) overlaps mapping and applying (the hub's). A task group cannot
    span the generator's ``yield``; the task is cancelled when the block ends.
    """

    def __init__(
        self, read: Callable[[list[Partition]], Awaitable[Round]], slices: list[Partition]
    ) -> None:
        self._read = read
        self._slices = slices
        self._next: asyncio.Task[Round] | None = None

    def _start(self) -> asyncio.Task[Round]:
        return asyncio.get_running_loop().create_task(self._read(self._slices))

    async def __aenter__(self) -> AsyncIterator[Round]:
        self._next = self._start()
        return self._rounds()

    async def _rounds(self) -> AsyncIterator[Round]:
        while self._next is not None:
            current = await self._next
            more = not all(part.done for part in self._slices)
            self._next = self._start() if more else None
            await asyncio.sleep(0)  # let the next read send its requests before mapping
            yield current

    async def __aexit__(self, *exc_info: object) -> None:
        if self._next is not None:
            self._next.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._next
            self._next = None


class JiraReads:
    """``pull``, ``fetch`` and ``find_by_marker`` for :class:`JiraConnector`."""

    async def pull(self: JiraConnector, request: PullRequest) -> AsyncIterator[PullItem]:
        """Pages from the cursor's watermark (inclusive), each followed by a checkpoint;
        a backfill (``since``/``until``) reads its partitions concurrently."""
        if request.backfill:
            async for item in self._backfill(request):
                yield item
            return
        cursor = request.cursor or Cursor()
        seen = set(cursor.seen)
        watermark = cursor.watermark
        read: dict[str, tuple[str, datetime]] = {}
        async with ReadAhead(self._round, [Partition(cursor.watermark, None)]) as rounds:
            async for pages, _ in rounds:
                [issues] = pages.values()
                if not issues and not read:
                    return  # nothing changed: the stored cursor stays as it is
                items = await self._items(issues, skip=seen)
                for issue in issues:
                    stamp = _updated(issue)
                    if stamp is not None and isinstance(issue.get("id"), str):
                        read[issue["id"]] = (str(int(stamp.timestamp() * 1000)), stamp)
                        watermark = max(watermark or stamp, stamp)
                for item in items:
                    yield item
                yield Checkpoint(cursor=self._cursor(watermark, read, cursor))

    def _cursor(
        self: JiraConnector,
        watermark: datetime | None,
        read: dict[str, tuple[str, datetime]],
        before: Cursor,
    ) -> Cursor:
        """The cursor after a page: the latest ``updated`` read, and the pairs whose
        version (``updated`` in epoch ms) lies within the overlap behind it: the next pull
        reads those again and skips them."""
        if watermark is None:
            return before
        edge = int((watermark - self.overlap).timestamp() * 1000)
        for issue_id in [i for i, (v, _) in read.items() if int(v) < edge]:
            del read[issue_id]  # the watermark only moves on: it stays behind for good
        pairs = {(i, v) for i, (v, _) in read.items()} | set(before.seen)
        kept = sorted(
            ((int(v), i, v) for i, v in pairs if v.isdigit() and int(v) >= edge), reverse=True
        )
        return Cursor(watermark=watermark, seen=frozenset((i, v) for _, i, v in kept[:MAX_SEEN]))

    async def _backfill(self: JiraConnector, request: PullRequest) -> AsyncIterator[PullItem]:
        """The range's partitions read a page of each at a time, concurrently, the next
        pages already on their way while these are mapped and applied; a checkpoint's
        watermark is where everything before is read (the first unfinished partition's
        progress)."""
        until = request.until or self.context.clock()
        slices = partitions(request.since, until, self.jira_settings.backfill_partitions)
        shown: list[datetime | None] = [p.progress for p in slices]
        finished = [False] * len(slices)
        async with ReadAhead(self._round, slices) as rounds:
            async for pages, states in rounds:
                for (n, issues), state in zip(pages.items(), states, strict=True):
                    for item in await self._items(issues):
                        yield item
                    shown[n], finished[n] = state
                    open_ = [shown[i] for i in range(len(slices)) if not finished[i]]
                    yield Checkpoint(cursor=Cursor(watermark=open_[0] if open_ else until))

    async def _round(self: JiraConnector, slices: list[Partition]) -> Round:
        """The next page of each unfinished partition, read at once, with each
        partition's progress as it stood then (the next round moves it on while these
        pages are yielded)."""
        active = [n for n, part in enumerate(slices) if not part.done]
        pages: dict[int, list[dict[str, Any]]] = {n: [] for n in active}

        async def read(n: int) -> None:
            pages[n] = await self._next_page(slices[n])

        async with anyio.create_task_group() as group:
            for n in active:
                group.start_soon(read, n)
        return pages, [(slices[n].progress, slices[n].done) for n in active]

    async def _next_page(self: JiraConnector, part: Partition) -> list[dict[str, Any]]:
        """The next page of a slice; marks it done after its last page."""
        query = jql.changed(
            self.jira_settings.projects, self.target.issue_types(), part.since, part.until
        )
        page = await self.client.search(
            query,
            self.target.fields(),
            limit=self.jira_settings.page_size,
            token=part.token,
            properties=[PROPERTY],
        )
        if page.issues:
            stamps = [s for s in (_updated(i) for i in page.issues) if s is not None]
            if stamps:
                part.reached = max(part.reached or stamps[-1], stamps[-1])
        if page.is_last or page.next_token is None or not page.issues:
            part.done = True
        else:
            part.guard.advance(page.next_token)  # a token handed back again must not loop
            part.token = page.next_token
        return page.issues

    async def _items(
        self: JiraConnector,
        issues: Sequence[dict[str, Any]],
        skip: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    ) -> list[Item]:
        items: list[Item] = []
        for issue in issues:
            pair = (str(issue.get("id")), _version(issue))
            if pair in skip:
                continue
            items.append(await self._item(issue))
        return items

    async def _item(self: JiraConnector, issue: dict[str, Any]) -> Item:
        """One pulled issue, or a rejection naming why it cannot be read."""
        try:
            return to_change(self.target, issue, await self._comments_of(issue))
        except RecordError as exc:
            fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
            try:
                kind = kind_of(self.target, issue)
            except RecordError:
                kind = self.default_kind
            return RejectedRecord(
                kind=kind,
                remote_id=str(issue.get("id")) if issue.get("id") else None,
                version=_version(issue) or None,
                reason=str(exc),
                excerpt={
                    "key": issue.get("key"),
                    "updated": fields.get("updated") if isinstance(fields, dict) else None,
                },
            )

    async def _comments_of(self: JiraConnector, issue: dict[str, Any]) -> list[Comment]:
        """The issue's comments: those the search returned, or all of them, page by page,
        when Jira cut a long thread."""
        inline, complete = page_of(issue)
        if complete:
            return to_comments(self.target, inline)
        issue_id = str(issue.get("id"))
        found: list[Any] = []
        start = 0
        while True:
            page = await self.client.comments(issue_id, start)
            found += page.comments
            start += len(page.comments)
            if not page.comments or start >= page.total:
                return to_comments(self.target, found)

    async def fetch(self: JiraConnector, kind: Any, remote_id: str) -> RemoteChange | None:
        issue = await self.client.issue(remote_id, self.target.fields(), [PROPERTY])
        if issue is None:
            return None
        return to_change(self.target, issue, await self._comments_of(issue))

    async def find_by_marker(self: JiraConnector, kind: Any, marker: str) -> list[RemoteChange]:
        """Every issue carrying the marker's label, oldest first. JQL search lags behind
        writes (the connector's ``marker_lag``), so the engine searches again later."""
        label = self.target.marker_label(marker)
        if any(c.isspace() for c in label):
            raise RecordError(f"correlation marker {marker!r} cannot be a Jira label")
        query = jql.labelled(self.jira_settings.projects, label)
        found: list[RemoteChange] = []
        token: str | None = None
        guard = PageGuard("Jira marker search")
        while True:
            page = await self.client.search(
                query, self.target.fields(), limit=50, token=token, properties=[PROPERTY]
            )
            for issue in page.issues:
                found.append(to_change(self.target, issue, await self._comments_of(issue)))
            if page.is_last or page.next_token is None or not page.issues:
                return found
            guard.advance(page.next_token)
            token = page.next_token


def _updated(issue: dict[str, Any]) -> datetime | None:
    fields = issue.get("fields")
    try:
        return parse_time(fields.get("updated")) if isinstance(fields, dict) else None
    except RecordError:
        return None


def _version(issue: dict[str, Any]) -> str:
    try:
        return version_of(issue)
    except RecordError:
        return ""


__all__ = ["MAX_SEEN", "JiraReads", "Partition", "partitions"]
