"""The two change feeds: the cursor-based ticket export and the ticket event export.

Both are Zendesk's incremental exports (vendor-apis.md §4.3): a thousand items a page,
never the last minute, and ten requests a minute between them. The ticket export resumes
from its ``after_cursor`` (kept in the cursor's token); the event export is time-based,
resumes from its ``end_time`` and may repeat the events of that second, which the cursor
remembers (``state["boundary"]``) so they are not yielded twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from datetime import UTC, datetime, timedelta

from itsmhub import (
    Checkpoint,
    Cursor,
    FatalError,
    PageGuard,
    PullItem,
    PullRequest,
    RecordError,
    RecordKind,
    RejectedRecord,
    RemoteComments,
    Stream,
    read_ahead,
)

from .client import ZendeskClient
from .mapping import Target, comments_of, fold, to_change, to_comment, version_of
from .payloads import Ticket, TicketEvent, TicketEventPage, TicketExportPage

TICKETS = "tickets"
EVENTS = "ticket_events"
#: The exports never return the last minute, and refuse a start_time inside it.
EMBARGO = timedelta(seconds=61)
KINDS = frozenset({RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR})


def streams(*, comments: bool = True) -> list[Stream]:
    """Tickets of every synced type in one feed (a ticket whose type changes stays one
    record), then their comments (unless the account's settings leave them out)."""
    tickets = Stream(name=TICKETS, kinds=KINDS)
    return [tickets, Stream(name=EVENTS, kinds=KINDS)] if comments else [tickets]


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def start_time(since: datetime | None, now: datetime) -> int:
    """A ``start_time`` the exports accept: at least a minute in the past."""
    latest = _epoch(now - EMBARGO)
    return max(0, min(_epoch(since), latest) if since is not None else 0)


class _Feed:
    def __init__(
        self, client: ZendeskClient, target: Target, clock: Callable[[], datetime]
    ) -> None:
        self.client = client
        self.target = target
        self.clock = clock


class TicketFeed(_Feed):
    """``/api/v2/incremental/tickets/cursor``: every ticket that changed, newest state."""

    async def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        cursor = None if request.backfill else request.cursor
        token = cursor.token if cursor is not None else None
        watermark = cursor.watermark if cursor is not None else None
        since = request.since or (watermark if token is None else None)
        first = start_time(since, self.clock())
        until = _epoch(request.until) if request.until is not None else None
        guard = PageGuard("ticket export pages")
        per_page = self.target.settings.page_size

        def read(after: str | None) -> Callable[[], Awaitable[TicketExportPage]]:
            return lambda: self.client.export_tickets(
                cursor=after, start_time=first, per_page=per_page
            )

        def following(page: TicketExportPage) -> Callable[[], Awaitable[TicketExportPage]] | None:
            if page.end_of_stream or not page.after_cursor:
                return None
            if until is not None and page.tickets and int(version_of(page.tickets[-1])) >= until:
                return None  # the range is read: no call beyond it
            return read(page.after_cursor)

        # The next page is read while this one is mapped and stored.
        async with aclosing(read_ahead(read(token), following)) as pages:
            async for page in pages:
                ended = page.end_of_stream or not page.after_cursor
                for ticket in page.tickets:
                    stamp = int(version_of(ticket))
                    if until is not None and stamp >= until:
                        ended = True
                        break
                    item = self._item(ticket)
                    if item is not None:
                        yield item
                    moment = datetime.fromtimestamp(stamp, UTC)
                    watermark = max(watermark, moment) if watermark is not None else moment
                token = page.after_cursor or token
                yield Checkpoint(cursor=Cursor(token=token, watermark=watermark))
                if ended or token is None:
                    return
                guard.advance(token)  # an account that ignores the cursor must not loop

    def _item(self, ticket: Ticket) -> PullItem | None:
        if self.target.kind_of(ticket) is None:
            return None  # questions and tasks are not synced
        try:
            return to_change(self.target, ticket)
        except RecordError as exc:
            return RejectedRecord(
                kind=self.target.kind_of(ticket) or RecordKind.INCIDENT,
                remote_id=str(ticket.id),
                version=version_of(ticket),
                reason=str(exc),
                excerpt={
                    "id": ticket.id,
                    "type": ticket.type,
                    "status": ticket.status,
                    "generated_timestamp": ticket.generated_timestamp,
                },
            )


class EventFeed(_Feed):
    """``/api/v2/incremental/ticket_events?include=comment_events``: comments in bulk."""

    async def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        cursor = None if request.backfill else request.cursor
        if cursor is not None and cursor.token is not None and cursor.token.isdigit():
            start = int(cursor.token)
            boundary = {int(i) for i in cursor.state.get("boundary", []) if isinstance(i, int)}
        else:
            since = request.since or (cursor.watermark if cursor is not None else None)
            start, boundary = start_time(since, self.clock()), set()
        until = _epoch(request.until) if request.until is not None else None
        guard = PageGuard("ticket event pages", ordered=True)
        per_page = self.target.settings.page_size

        def read(at: int) -> Callable[[], Awaitable[TicketEventPage]]:
            return lambda: self.client.export_events(start_time=at, per_page=per_page)

        def following(page: TicketEventPage) -> Callable[[], Awaitable[TicketEventPage]] | None:
            if page.end_of_stream or page.end_time is None:
                return None
            events = page.ticket_events
            if until is not None and events and events[-1].timestamp >= until:
                return None  # the range is read: no call beyond it
            return read(page.end_time)

        # The next page is read while this one is mapped and stored.
        async with aclosing(read_ahead(read(start), following)) as pages:
            async for page in pages:
                ended = page.end_of_stream
                for event in page.ticket_events:
                    if until is not None and event.timestamp >= until:
                        ended = True
                        break
                    if event.timestamp == start and event.id in boundary:
                        continue  # read at the end of the last page already
                    item = self._item(event)
                    if item is not None:
                        yield await self._with_originals(item)
                end = page.end_time if page.end_time is not None else start
                seen = {e.id for e in page.ticket_events if e.timestamp == end}
                boundary = seen | (boundary if end == start else set())
                yield Checkpoint(
                    cursor=Cursor(
                        token=str(end),
                        watermark=datetime.fromtimestamp(end, UTC),
                        state={"boundary": sorted(boundary)},
                    )
                )
                if ended:
                    return
                if page.end_time is None:  # nowhere to go on from: an error, not the end
                    raise FatalError(
                        "ticket event pages: Zendesk answered a page with neither end_time "
                        "nor end_of_stream; stopping instead of reading it again",
                        fix="report it with the connector's name: the export's answer was cut",
                    )
                guard.advance(end)
                start = end

    async def _with_originals(self, item: RemoteComments) -> RemoteComments:
        """A correction names the comment it corrects by the hub's id only: the ticket's
        comments are read (one call, corrections are rare) and yielded folded, so the
        corrected comment keeps its own ref and takes the new text."""
        if all(comment.updated_at is None for comment in item.comments):
            return item
        held = await self.client.comments(item.remote_id)
        folded = fold(comments_of(self.target, held[1:]))  # the first is the description
        return item.model_copy(update={"comments": tuple(folded)})

    def _item(self, event: TicketEvent) -> RemoteComments | None:
        """The comments one audit added; none for the audit that created the ticket, whose
        comment is the ticket's description."""
        children = event.child_events
        if any(child.event_type == "Create" for child in children):
            return None
        comments = []
        for child in children:
            if child.event_type != "Comment" or child.id is None:
                continue
            try:
                comments.append(
                    to_comment(
                        self.target,
                        child.id,
                        child.body,
                        public=child.public,
                        author_id=child.author_id,
                        created_at=child.created_at or event.created_at,
                    )
                )
            except RecordError:
                continue  # a comment without a date cannot be placed; the rest still can
        if not comments:
            return None
        moment = event.created_at or datetime.fromtimestamp(event.timestamp, UTC)
        return RemoteComments(
            remote_id=str(event.ticket_id),
            comments=tuple(comments),
            changed_at=moment.astimezone(UTC),
            version=str(event.id),
        )


__all__ = ["EVENTS", "TICKETS", "EventFeed", "TicketFeed", "start_time", "streams"]
