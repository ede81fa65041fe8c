"""The emulated incremental exports: cursor paging, the last-minute embargo, deleted
tickets, and the ticket event export with and without comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from itsmhub.emulation import EmulatorClock
from itsmhub_zendesk.emulator import Seeder, Support
from itsmhub_zendesk.emulator.export import decode_cursor, encode_cursor

pytestmark = pytest.mark.anyio
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the account clock's start (conftest)
CURSOR = "/api/v2/incremental/tickets/cursor"
EVENTS = "/api/v2/incremental/ticket_events"


async def export(api: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await api.get(CURSOR, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_cursors_are_zendesks_opaque_base64_pairs() -> None:
    assert encode_cursor((1576613539, 467)) == "MTU3NjYxMzUzOS4wfHw0Njd8"
    assert decode_cursor("MTU3NjYxMzUzOS4wfHw0Njd8") == (1576613539, 467)
    assert decode_cursor("not a cursor") is None


async def test_the_export_pages_by_cursor_and_never_shows_the_last_minute(
    api: httpx.AsyncClient, support: Support, clock: EmulatorClock, later
) -> None:
    seeder = Seeder(support)
    old = [
        seeder.ticket(f"t{n}", created_at=START - timedelta(hours=1, minutes=n)) for n in range(5)
    ]
    fresh = seeder.ticket("just now")
    first = await export(api, start_time=0, per_page=2)
    assert [t["subject"] for t in first["tickets"]] == ["t4", "t3"]
    assert first["end_of_stream"] is False and first["before_cursor"] is None
    assert first["after_url"].endswith(f"cursor.json?cursor={first['after_cursor']}")
    seen, page = [t["id"] for t in first["tickets"]], first
    while not page["end_of_stream"]:
        page = await export(api, cursor=page["after_cursor"], per_page=2)
        seen += [t["id"] for t in page["tickets"]]
    assert seen == [t.id for t in reversed(old)]  # the fresh ticket is still embargoed
    later()
    rest = await export(api, cursor=page["after_cursor"])
    assert [t["id"] for t in rest["tickets"]] == [fresh.id] and rest["end_of_stream"]
    # An edited ticket moves behind the others, with its new generated_timestamp.
    await api.put(f"/api/v2/tickets/{old[2].id}", json={"ticket": {"subject": "edited"}})
    later()
    again = await export(api, cursor=rest["after_cursor"])
    assert [(t["id"], t["subject"]) for t in again["tickets"]] == [(old[2].id, "edited")]
    assert again["tickets"][0]["generated_timestamp"] == int(clock.now().timestamp()) - 61
    empty = await export(api, cursor=again["after_cursor"])
    assert empty["tickets"] == [] and empty["after_cursor"] == again["after_cursor"]


async def test_deleted_tickets_are_exported_as_deleted_unless_excluded(
    api: httpx.AsyncClient, support: Support, later
) -> None:
    ticket = Seeder(support).ticket("gone soon", created_at=START - timedelta(hours=1))
    await api.delete(f"/api/v2/tickets/{ticket.id}")
    later()
    [listed] = (await export(api, start_time=0))["tickets"]
    assert (listed["id"], listed["status"]) == (ticket.id, "deleted")
    assert (await export(api, start_time=0, exclude_deleted="true"))["tickets"] == []


@pytest.mark.parametrize(
    "params",
    [{}, {"start_time": "soon"}, {"start_time": str(int(START.timestamp()))}, {"cursor": "x"}],
)
async def test_a_missing_recent_or_bad_start_is_refused(
    api: httpx.AsyncClient, params: dict[str, str]
) -> None:
    refused = await api.get(CURSOR, params=params)
    assert refused.status_code == 400 and refused.json()["error"] == "InvalidValue"


async def test_ticket_events_carry_comments_with_comment_events_only(
    api: httpx.AsyncClient, support: Support
) -> None:
    seeder = Seeder(support)
    ticket = seeder.ticket("VPN", created_at=START - timedelta(hours=2))
    seeder.comment(ticket, "private note", public=False, at=START - timedelta(hours=1))
    plain = (await api.get(EVENTS, params={"start_time": 0})).json()
    created, noted = plain["ticket_events"]
    assert {c["event_type"] for c in created["child_events"]} >= {"Create"}
    assert noted["child_events"] == [
        {
            "id": noted["child_events"][0]["id"],
            "via": "api",
            "via_reference_id": None,
            "comment_present": True,
            "comment_public": False,
            "event_type": "Comment",
        }
    ]
    full = (await api.get(EVENTS, params={"start_time": 0, "include": "comment_events"})).json()
    [comment] = full["ticket_events"][1]["child_events"]
    assert (comment["event_type"], comment["body"], comment["public"]) == (
        "Comment",
        "private note",
        False,
    )
    assert full["end_of_stream"] is True and full["count"] == 2
    assert full["end_time"] == int((START - timedelta(hours=1)).timestamp())


async def test_event_pages_end_on_a_whole_second_and_never_loop(
    api: httpx.AsyncClient, support: Support
) -> None:
    seeder = Seeder(support)
    second = START - timedelta(hours=1)
    tickets = [seeder.ticket(f"t{n}", created_at=second) for n in range(3)]
    seeder.ticket("later", created_at=second + timedelta(seconds=30))
    start = int(second.timestamp())
    page = (await api.get(EVENTS, params={"start_time": start, "per_page": 2})).json()
    # Three audits share the page's last second: all three come, and the next page starts
    # after that second instead of at it (which would return the same three again).
    assert [e["ticket_id"] for e in page["ticket_events"]] == [t.id for t in tickets]
    assert page["end_time"] == start + 1 and page["end_of_stream"] is False
    rest = (await api.get(EVENTS, params={"start_time": page["end_time"]})).json()
    assert [e["ticket_id"] for e in rest["ticket_events"]] == [tickets[-1].id + 1]
    assert rest["end_of_stream"] is True
