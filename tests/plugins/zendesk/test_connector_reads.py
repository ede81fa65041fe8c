"""The connector reading an emulated account: check, the two streams, fetch, markers,
people, and pacing by the exports' shared budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import httpx
import pytest

from itsmhub import (
    Checkpoint,
    Cursor,
    ExternalRef,
    PullRequest,
    RecordKind,
    RejectedRecord,
    RemoteChange,
    RemoteComments,
    Visibility,
)
from itsmhub_zendesk.connector import ZendeskConnector
from itsmhub_zendesk.emulator import WORKAROUND_FIELD, SeededComment, Seeder, Support
from itsmhub_zendesk.feeds import EVENTS, TICKETS, start_time

pytestmark = pytest.mark.anyio
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def stream(connector: ZendeskConnector, name: str):
    return next(s for s in connector.streams() if s.name == name)


async def pull(connector: ZendeskConnector, name: str, **request) -> list:
    return [i async for i in connector.pull(PullRequest(stream=stream(connector, name), **request))]


def changes(items: list) -> list[RemoteChange]:
    return [i for i in items if isinstance(i, RemoteChange)]


async def test_check_names_the_agent_and_what_it_may_read(
    connector: ZendeskConnector, support: Support
) -> None:
    result = await connector.check()
    assert result.ok and [i.name for i in result.items] == [
        "auth",
        "reachability",
        "incremental exports",
        "webhook secret",
    ]
    support.account.agent.role = "agent"
    weaker = await connector.check()
    [export] = [i for i in weaker.items if i.name == "incremental exports"]
    assert not export.ok and "admin" in (export.fix or "")
    support.account.api_token = "rotated"
    denied = await connector.check()
    assert [(i.name, i.ok) for i in denied.items] == [("auth", False)]


async def test_the_ticket_stream_yields_every_synced_type_page_by_page(
    connector: ZendeskConnector, support: Support
) -> None:
    seeder = Seeder(support)
    problem = seeder.ticket("Relay overflow", type="problem", created_at=START - 5 * HOUR)
    incident = seeder.ticket("Mail lost", problem=problem, created_at=START - 4 * HOUR)
    seeder.ticket("How do I?", type="question", created_at=START - 3 * HOUR)
    known = seeder.ticket(
        "Relay drops big mails",
        type="problem",
        tags=["known_error"],
        custom_fields={WORKAROUND_FIELD: "send smaller files"},
        status="open",
        created_at=START - 2 * HOUR,
    )
    broken = seeder.ticket("No workaround", type="problem", tags=["known_error"], status="open")
    broken.generated_timestamp = int((START - HOUR).timestamp())
    support.account.index(broken, (int(broken.created_at.timestamp()), broken.id))
    items = await pull(connector, TICKETS)
    kinds = {c.remote_id: c.kind for c in changes(items)}
    assert kinds == {
        str(problem.id): RecordKind.PROBLEM,
        str(incident.id): RecordKind.INCIDENT,
        str(known.id): RecordKind.KNOWN_ERROR,
    }
    [rejected] = [i for i in items if isinstance(i, RejectedRecord)]
    assert rejected.remote_id == str(broken.id) and "workaround" in rejected.reason
    checkpoints = [i for i in items if isinstance(i, Checkpoint)]
    assert len(checkpoints) == 2 and checkpoints[-1].cursor.token
    [linked] = [c for c in changes(items) if c.remote_id == str(incident.id)]
    assert linked.links_complete and linked.record is not None
    assert [link.target_ref.remote_id for link in linked.record.links if link.target_ref] == [
        str(problem.id)
    ]


async def test_a_resumed_pull_reads_what_changed_including_a_new_type_and_deletions(
    connector: ZendeskConnector, support: Support, api: httpx.AsyncClient, later
) -> None:
    ticket = Seeder(support).ticket("Printer", created_at=START - HOUR)
    first = await pull(connector, TICKETS)
    cursor = [i for i in first if isinstance(i, Checkpoint)][-1].cursor
    assert await pull(connector, TICKETS, cursor=cursor) == [Checkpoint(cursor=cursor)]
    await api.put(f"/api/v2/tickets/{ticket.id}", json={"ticket": {"type": "problem"}})
    later()
    [moved] = changes(await pull(connector, TICKETS, cursor=cursor))
    assert (moved.remote_id, moved.kind) == (str(ticket.id), RecordKind.PROBLEM)
    await api.delete(f"/api/v2/tickets/{ticket.id}")
    later()
    [gone] = changes(await pull(connector, TICKETS, cursor=cursor))
    assert gone.deleted and gone.record is None and gone.remote_id == str(ticket.id)


async def test_a_backfill_reads_a_bounded_range_beside_the_cursor(
    connector: ZendeskConnector, support: Support
) -> None:
    seeder = Seeder(support)
    for n in range(5):
        seeder.ticket(f"t{n}", created_at=START - timedelta(days=5 - n))
    items = await pull(
        connector,
        TICKETS,
        since=START - timedelta(days=4, hours=1),
        until=START - timedelta(days=2, hours=1),
    )
    assert [c.record.title for c in changes(items) if c.record] == ["t1", "t2"]
    assert isinstance(items[-1], Checkpoint)


async def test_the_event_stream_yields_comments_without_the_description(
    connector: ZendeskConnector, support: Support, later
) -> None:
    seeder = Seeder(support)
    ticket = seeder.ticket(
        "VPN",
        created_at=START - 3 * HOUR,
        comments=[
            SeededComment("Restarted it", "beth.anglin@example.com", public=False),
            SeededComment("Works now", public=True),
        ],
    )
    items = await pull(connector, EVENTS)
    found = [i for i in items if isinstance(i, RemoteComments)]
    assert [(c.remote_id, [x.body for x in c.comments]) for c in found] == [
        (str(ticket.id), ["Restarted it"]),
        (str(ticket.id), ["Works now"]),
    ]
    assert [c.comments[0].visibility for c in found] == [Visibility.INTERNAL, Visibility.PUBLIC]
    cursor = [i for i in items if isinstance(i, Checkpoint)][-1].cursor
    # The last second is read again by the time-based export; the cursor skips it.
    assert [
        i for i in await pull(connector, EVENTS, cursor=cursor) if isinstance(i, RemoteComments)
    ] == []
    seeder.comment(ticket, "One more", at=support.account.now())
    later()
    [more] = [
        i for i in await pull(connector, EVENTS, cursor=cursor) if isinstance(i, RemoteComments)
    ]
    assert [c.body for c in more.comments] == ["One more"]


async def test_the_event_stream_resumes_within_a_busy_second(
    connector_for, transport, support: Support
) -> None:
    seeder = Seeder(support)
    at = START - HOUR
    tickets = [seeder.ticket(f"t{n}", created_at=at - HOUR) for n in range(4)]
    for ticket in tickets:
        seeder.comment(ticket, f"note {ticket.id}", at=at)
    async with connector_for(transport, page_size=2) as connector:
        items = await pull(connector, EVENTS)
    notes = [c.comments[0].body for c in items if isinstance(c, RemoteComments)]
    assert notes == [f"note {t.id}" for t in tickets]


async def test_comments_can_be_left_out(connector_for, transport) -> None:
    async with connector_for(transport, sync_comments=False) as connector:
        assert [s.name for s in connector.streams()] == [TICKETS]


async def test_fetch_reads_the_ticket_and_its_comments(
    connector: ZendeskConnector, support: Support
) -> None:
    ticket = Seeder(support).ticket(
        "VPN", description="drops", comments=[SeededComment(f"c{n}") for n in range(120)]
    )
    fetched = await connector.fetch(RecordKind.INCIDENT, str(ticket.id))
    assert fetched is not None and fetched.record is not None
    assert fetched.record.description == "drops"
    comments = fetched.record.comments  # type: ignore[union-attr]
    assert [c.body for c in comments] == [f"c{n}" for n in range(120)]
    assert await connector.fetch(RecordKind.INCIDENT, "404") is None


async def test_find_by_marker_returns_every_ticket_carrying_it_oldest_first(
    connector: ZendeskConnector, support: Support
) -> None:
    seeder = Seeder(support)
    newer = seeder.ticket("copy 2", external_id="m-1", created_at=START - HOUR)
    older = seeder.ticket("copy 1", external_id="m-1", created_at=START - 2 * HOUR)
    seeder.ticket("other", external_id="m-2")
    found = await connector.find_by_marker(RecordKind.INCIDENT, "m-1")
    assert [f.remote_id for f in found] == [str(older.id), str(newer.id)]
    assert {f.marker for f in found} == {"m-1"}


async def test_people_are_resolved_a_hundred_per_call(
    connector: ZendeskConnector, support: Support, app
) -> None:
    seeder = Seeder(support)
    people = [seeder.user(f"P{n}", f"p{n}@example.com") for n in range(150)]
    refs = [ExternalRef(system="desk", remote_id=str(p.id)) for p in people]
    refs += [ExternalRef(system="other", remote_id="1"), ExternalRef(system="desk", remote_id="x")]
    support.controls.calls.clear()
    found = await connector.resolve_people(refs)
    assert len(found) == 150 and found[str(people[7].id)].email == "p7@example.com"
    assert support.controls.calls["GET /api/v2/users/show_many"] == 2


async def test_the_exports_are_paced_to_their_shared_budget(
    connector_for, transport, support: Support, virtual_time
) -> None:
    seeder = Seeder(support)
    for n in range(12):
        seeder.ticket(f"t{n}", created_at=START - timedelta(hours=n + 1))
    async with connector_for(transport, page_size=2) as connector:
        await pull(connector, TICKETS)  # 6 pages
        await pull(connector, EVENTS)  # 6 pages
    # Twelve export calls: the eleventh waited for the first one's minute to pass.
    assert virtual_time.slept and sum(virtual_time.slept) == pytest.approx(60.0)


def test_a_start_time_is_never_inside_the_last_minute() -> None:
    now = START
    assert start_time(None, now) == 0
    assert start_time(now - HOUR, now) == int((now - HOUR).timestamp())
    assert start_time(now, now) == int(now.timestamp()) - 61


async def test_a_cursor_without_a_token_starts_at_its_watermark(
    connector: ZendeskConnector, support: Support
) -> None:
    seeder = Seeder(support)
    seeder.ticket("old", created_at=START - 3 * HOUR)
    seeder.ticket("new", created_at=START - HOUR)
    cursor = Cursor(watermark=START - 2 * HOUR)
    items = await pull(connector, TICKETS, cursor=cursor)
    assert [c.record.title for c in changes(items) if c.record] == ["new"]


class CountedExports(httpx.AsyncBaseTransport):
    """Counts the export calls on their way to ``inner``."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exports = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.exports += "/incremental/" in request.url.path
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize(("feed", "calls"), [(TICKETS, 2), (EVENTS, 3)])
async def test_reading_ahead_makes_no_call_past_a_backfills_range(
    support: Support, transport: httpx.AsyncBaseTransport, connector_for, feed: str, calls: int
) -> None:
    seeder = Seeder(support)
    for n in range(9):  # three pages of three tickets (the tests' page size)
        seeder.ticket(
            f"t{n}",
            created_at=START - timedelta(days=9 - n),
            comments=[SeededComment(f"note {n}", public=True)],
        )
    counted = CountedExports(transport)
    until = START - timedelta(days=6, hours=12)  # after the third ticket
    read = []
    async with connector_for(counted) as reader:
        since = START - timedelta(days=10)
        request = PullRequest(stream=stream(reader, feed), since=since, until=until)
        async for item in reader.pull(request):
            for _ in range(20):  # a slow caller: the reading gets every chance to run ahead
                await anyio.lowlevel.checkpoint()
            if isinstance(item, RemoteChange | RemoteComments):
                read.append(item)
    assert len(read) == 3  # the first three tickets (or their comments)
    assert counted.exports == calls  # up to the page holding the range's end, no further
