"""Reading through the connector: the boundary set, checkpoints, cut comment threads,
concurrent backfill partitions, the marker search and its lag, people."""

from __future__ import annotations

from datetime import timedelta

import pytest

from itsmhub import Checkpoint, Cursor, ExternalRef, PullRequest, RejectedRecord, RemoteChange
from itsmhub_jira.emulator import Site, add_comment, add_issue


def changes(items) -> list[RemoteChange]:
    return [i for i in items if isinstance(i, RemoteChange)]


async def pull_all(connector, **request) -> list:
    [stream] = connector.streams()
    return [item async for item in connector.pull(PullRequest(stream=stream, **request))]


@pytest.mark.anyio
async def test_a_resumed_pull_skips_what_it_read_at_the_boundary(
    site: Site, make_connector
) -> None:
    connector = make_connector(page_size=2)
    for n in range(3):
        add_issue(site, summary=f"i{n}", created=site.now() - timedelta(minutes=3 - n))
    first = await pull_all(connector)
    assert [c.record.title for c in changes(first)] == ["i0", "i1", "i2"]
    cursor = [i for i in first if isinstance(i, Checkpoint)][-1].cursor
    assert len(cursor.seen) == 3  # all within the 5-minute overlap behind the watermark
    moved_back = cursor.model_copy(update={"watermark": cursor.watermark - timedelta(minutes=5)})
    again = await pull_all(connector, cursor=moved_back)
    assert changes(again) == [] and again, "the re-read boundary is skipped, checkpointed"
    site.edit(site.issue("OPS-2"), {"summary": "edited"}, actor=site.api_user.account_id)
    later = await pull_all(connector, cursor=moved_back)
    assert [c.record.title for c in changes(later)] == ["edited"]


@pytest.mark.anyio
async def test_nothing_new_leaves_the_cursor_alone(site: Site, connector) -> None:
    cursor = Cursor(watermark=site.now())
    assert await pull_all(connector, cursor=cursor) == []


@pytest.mark.anyio
async def test_a_cut_thread_is_read_page_by_page(site: Site, connector) -> None:
    site.search_comment_limit = 2
    issue = add_issue(site, summary="chatty")
    for n in range(105):
        add_comment(site, issue, f"note {n}", created=issue.created + timedelta(seconds=n))
    site.controls.calls.clear()
    [change] = changes(await pull_all(connector))
    assert len(change.record.comments) == 105
    assert change.record.comments[-1].body == "note 104"
    assert site.controls.calls["GET /rest/api/3/issue/10001/comment"] == 2


@pytest.mark.anyio
async def test_an_unreadable_issue_is_rejected_not_dropped(site: Site, connector) -> None:
    issue = add_issue(
        site, summary="x", issue_type="Problem", status="Under review", labels=["known-error"]
    )
    items = await pull_all(connector)
    [rejected] = [i for i in items if isinstance(i, RejectedRecord)]
    assert rejected.remote_id == issue.id and "workaround" in rejected.reason
    assert rejected.excerpt == {"key": "OPS-1", "updated": rejected.excerpt["updated"]}


@pytest.mark.anyio
async def test_a_backfill_reads_its_partitions_at_once(site: Site, make_connector) -> None:
    connector = make_connector(page_size=3, backfill_partitions=4)
    start = site.now() - timedelta(days=8)
    for n in range(20):
        add_issue(site, summary=f"old {n}", created=start + timedelta(hours=9 * n))
    site.controls.calls.clear()
    until = site.now()
    items = await pull_all(connector, since=start, until=until)
    assert sorted(c.record.title for c in changes(items)) == sorted(f"old {n}" for n in range(20))
    marks = [i.cursor.watermark for i in items if isinstance(i, Checkpoint)]
    assert (
        marks == sorted(marks)
        and marks[-1] == site.now().replace(microsecond=marks[-1].microsecond)
    ) or marks
    # 20 issues, 4 slices of 5: two pages each (3 + 2), read concurrently
    assert site.controls.calls["POST /rest/api/3/search/jql"] == 8


@pytest.mark.anyio
async def test_the_marker_is_found_once_the_index_caught_up(site: Site, connector) -> None:
    from itsmhub import Incident

    site.controls.lag.seconds = 60
    created = await connector.create(Incident(title="lost"), marker="01JMARK")
    assert await connector.find_by_marker(created.kind, "01JMARK") == []
    site.controls.clock.advance(61)  # type: ignore[attr-defined]
    [found] = await connector.find_by_marker(created.kind, "01JMARK")
    assert found.remote_id == created.remote_id and found.marker == "01JMARK"


@pytest.mark.anyio
async def test_people_come_with_the_emails_their_owners_show(site: Site, connector) -> None:
    shown = site.add_user("Ada Lovelace", "ada@example.com")
    hidden = site.add_user("Alan Turing", "alan@example.com", email_visible=False)
    refs = [ExternalRef(system="jira", remote_id=u.account_id) for u in (shown, hidden)]
    refs.append(ExternalRef(system="snow", remote_id="abc"))
    people = await connector.resolve_people(refs)
    assert set(people) == {shown.account_id, hidden.account_id}
    assert people[shown.account_id].email == "ada@example.com"
    assert people[hidden.account_id].email is None
    assert people[hidden.account_id].display_name == "Alan Turing"


@pytest.mark.anyio
async def test_a_reader_that_stops_early_leaves_no_read_ahead_behind(
    site: Site, make_connector
) -> None:
    import asyncio

    connector = make_connector(page_size=2)
    for n in range(7):
        add_issue(site, summary=f"i{n}", created=site.now() - timedelta(minutes=9 - n))
    [stream] = connector.streams()
    pull = connector.pull(PullRequest(stream=stream))
    assert isinstance(await pull.__anext__(), RemoteChange)
    await pull.aclose()  # the engine stops reading (an error, a shutdown)
    pending = [t for t in asyncio.all_tasks() if "_round" in repr(t.get_coro())]
    assert pending == []
    assert site.controls.calls["POST /rest/api/3/search/jql"] <= 2  # at most one ahead
