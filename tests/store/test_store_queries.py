"""The store's read-only queries for admin commands, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from itsmhub.store import DeadLetterIn, DeadLetterStatus, Store

if TYPE_CHECKING:
    from conftest import FakeClock

pytestmark = pytest.mark.anyio


def letter(connector: str, key: str) -> DeadLetterIn:
    return DeadLetterIn(connector=connector, record_key=key, error_class="RecordError", reason="x")


async def test_last_audit_is_the_newest_entry_with_the_prefix(
    store: Store, clock: FakeClock
) -> None:
    assert await store.last_audit("jira", "error") is None
    await store.audit("error.auth", connector="jira", detail={"status": 401})
    clock.advance(minutes=1)
    newest = await store.audit("error.push", connector="jira", record_id="R1")
    clock.advance(minutes=1)
    await store.audit("pulled", connector="jira")
    await store.audit("error.push", connector="zendesk")
    entry = await store.last_audit("jira", "error")
    assert entry is not None
    assert (entry.id, entry.event, entry.record_id, entry.at) == (
        newest, "error.push", "R1", clock.now.replace(minute=1),
    )  # fmt: skip
    latest = await store.last_audit("jira")
    assert latest is not None and latest.event == "pulled"
    assert await store.last_audit("servicenow", "error") is None


async def test_last_audit_breaks_ties_by_id_and_takes_the_prefix_literally(store: Store) -> None:
    first = await store.audit("error_x", connector="jira")
    second = await store.audit("errorYx", connector="jira")
    # Same clock reading: the later entry (higher id) wins.
    entry = await store.last_audit("jira", "error")
    assert entry is not None and entry.id == second
    # '_' is not a LIKE wildcard here: only "error_x" starts with "error_".
    literal = await store.last_audit("jira", "error_")
    assert literal is not None and literal.id == first


async def test_count_dead_letters(store: Store) -> None:
    assert await store.count_dead_letters("jira") == 0
    await store.add_dead_letter(letter("jira", "1"))
    dropped = await store.add_dead_letter(letter("jira", "2"))
    await store.add_dead_letter(letter("zendesk", "3"))
    await store.set_dead_letter_status(dropped.id, DeadLetterStatus.DROPPED)
    assert await store.count_dead_letters("jira") == 1
    assert await store.count_dead_letters("jira", DeadLetterStatus.DROPPED) == 1
    assert await store.count_dead_letters("jira", None) == 2
    assert await store.count_dead_letters() == 2
    assert await store.count_dead_letters(None, None) == 3
    assert await store.count_dead_letters("jira", None) == len(
        await store.list_dead_letters("jira", None)
    )


async def test_cursors_of(store: Store) -> None:
    assert await store.cursors_of("jira") == {}
    await store.put_cursor("jira", "problem", {"watermark": "2026-11-23T08:00:00Z"})
    await store.put_cursor("jira", "incident", {"watermark": "2026-11-23T09:00:00Z"})
    await store.put_cursor("zendesk", "incident", {"token": "abc"})
    assert await store.cursors_of("jira") == {
        "incident": {"watermark": "2026-11-23T09:00:00Z"},
        "problem": {"watermark": "2026-11-23T08:00:00Z"},
    }
    assert list(await store.cursors_of("jira")) == ["incident", "problem"]
