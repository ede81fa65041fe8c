"""The connector writing to an emulated account: creates, compare-and-set updates,
comments, problem links and bulk jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from itsmhub import (
    Comment,
    Deferred,
    ExternalRef,
    FieldChange,
    FieldChanges,
    Incident,
    LinkKind,
    PersonRef,
    Problem,
    PullRequest,
    RecordError,
    RecordKind,
    RemoteChange,
    RemoteChanged,
    RemoteComments,
    RemoteVersion,
    TransientError,
    Visibility,
    WriteCreate,
    WriteUpdate,
)
from itsmhub_zendesk.connector import ZendeskConnector
from itsmhub_zendesk.emulator import Seeder, Support

pytestmark = pytest.mark.anyio
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ref(ticket_id: int | str) -> ExternalRef:
    return ExternalRef(system="desk", remote_id=str(ticket_id))


def rename(old: str, new: str, expected: RemoteChange | None = None) -> FieldChanges:
    change = FieldChange(field="title", old=old, new=new)
    version = (
        RemoteVersion(version=expected.version, updated_at=expected.changed_at)
        if expected
        else None
    )
    return FieldChanges(kind=RecordKind.INCIDENT, changes=(change,), expected=version)


async def test_a_create_answers_what_zendesk_holds_with_our_marker(
    connector: ZendeskConnector, support: Support
) -> None:
    record = Incident(
        title="VPN down",
        description="Since 9am",
        tags=["VPN"],
        reporter=PersonRef(display_name="Ada Lovelace", email="ada@example.com"),
    )
    created = await connector.create(record, marker="m-1")
    assert created.marker == "m-1" and created.kind is RecordKind.INCIDENT
    assert created.record is not None and created.record.tags == ["vpn"]
    ticket = support.account.tickets[int(created.remote_id)]
    assert (ticket.external_id, ticket.description, ticket.type) == ("m-1", "Since 9am", "incident")
    requester = support.account.users[ticket.requester_id]
    assert (requester.name, requester.email) == ("Ada Lovelace", "ada@example.com")
    with pytest.raises(RecordError):
        await connector.create(
            record.model_copy(update={"assignment_group": "Nowhere"}), marker="m"
        )


async def test_an_update_is_compare_and_set_on_the_expected_version(
    connector: ZendeskConnector, support: Support, later
) -> None:
    created = await connector.create(Incident(title="old"), marker="m")
    later(5)
    version = await connector.update(ref(created.remote_id), rename("old", "new", created))
    assert version.updated_at is not None and version.updated_at > created.changed_at
    later(5)
    with pytest.raises(RemoteChanged):  # the base is the create's, one edit ago
        await connector.update(ref(created.remote_id), rename("new", "newer", created))
    assert support.account.tickets[int(created.remote_id)].subject == "new"


async def test_without_an_expected_version_the_old_values_are_compared_first(
    connector: ZendeskConnector, support: Support, later
) -> None:
    created = await connector.create(Incident(title="old"), marker="m")
    later(5)
    await connector.update(ref(created.remote_id), rename("old", "new"))
    with pytest.raises(RemoteChanged):
        await connector.update(ref(created.remote_id), rename("old", "other"))
    assert support.account.tickets[int(created.remote_id)].subject == "new"
    with pytest.raises(RecordError):
        await connector.update(ref(9999), rename("a", "b"))


async def test_tags_written_by_the_hub_keep_the_tags_others_put_there(
    connector: ZendeskConnector, support: Support
) -> None:
    # A system update (a trigger) added a tag without moving updated_at: writing the
    # hub's tags as a whole set would drop it; writing the change keeps it.
    ticket = Seeder(support).ticket("x", tags=["vpn", "from_trigger"])
    change = FieldChange(field="tags", old=["vpn"], new=["p1", "vpn"])
    expected = RemoteVersion(updated_at=ticket.updated_at)
    changes = FieldChanges(kind=RecordKind.INCIDENT, changes=(change,), expected=expected)
    await connector.update(ref(ticket.id), changes)
    assert support.account.tickets[ticket.id].tags == ["vpn", "from_trigger", "p1"]


async def test_an_update_of_nothing_zendesk_holds_writes_nothing(
    connector: ZendeskConnector, support: Support
) -> None:
    ticket = Seeder(support).ticket("x")
    change = FieldChange(field="description", old="a", new="b")
    changes = FieldChanges(kind=RecordKind.INCIDENT, changes=(change,))
    version = await connector.update(ref(ticket.id), changes)
    assert version.version == str(ticket.generated_timestamp)
    assert len(support.account.audits) == 1


async def test_comments_are_footed_and_keep_their_visibility(
    connector: ZendeskConnector, support: Support
) -> None:
    ticket = Seeder(support).ticket("x")
    note = Comment(
        body="Gateway restarted",
        author=PersonRef(display_name="Grace Hopper"),
        visibility=Visibility.INTERNAL,
        created_at=START,
    )
    copy = await connector.add_comment(ref(ticket.id), note, marker=note.id)
    [_, stored] = support.account.comments[ticket.id]
    assert copy.remote_id == str(stored.id) and stored.public is False
    assert stored.body.startswith("Gateway restarted\n\n— Grace Hopper (via itsmhub)")
    assert stored.body.endswith(f"[itsmhub:{note.id}]")
    fetched = await connector.fetch(RecordKind.INCIDENT, str(ticket.id))
    assert fetched is not None and fetched.record is not None
    [read] = fetched.record.comments  # type: ignore[union-attr]
    assert (read.id, read.body, read.visibility) == (note.id, note.body, Visibility.INTERNAL)


async def test_the_problem_link_is_problem_id_and_unlink_only_clears_its_own(
    connector: ZendeskConnector, support: Support
) -> None:
    seeder = Seeder(support)
    incident = seeder.ticket("mail lost")
    first, second = seeder.ticket("p1", type="problem"), seeder.ticket("p2", type="problem")
    await connector.link(ref(incident.id), ref(first.id), LinkKind.CAUSED_BY)
    await connector.link(ref(incident.id), ref(second.id), LinkKind.CAUSED_BY)  # replaces
    assert support.account.tickets[incident.id].problem_id == second.id
    await connector.unlink(ref(incident.id), ref(first.id), LinkKind.CAUSED_BY)
    assert support.account.tickets[incident.id].problem_id == second.id
    await connector.unlink(ref(incident.id), ref(second.id), LinkKind.CAUSED_BY)
    await connector.unlink(ref(incident.id), ref(second.id), LinkKind.CAUSED_BY)
    assert support.account.tickets[incident.id].problem_id is None
    with pytest.raises(RecordError, match="no related links"):
        await connector.link(ref(incident.id), ref(first.id), LinkKind.RELATED)
    with pytest.raises(RecordError, match="own tickets"):
        other = ExternalRef(system="jira", remote_id="OPS-1")
        await connector.link(ref(incident.id), other, LinkKind.CAUSED_BY)
    with pytest.raises(RecordError):  # Zendesk refuses a problem that is not a problem
        await connector.link(ref(incident.id), ref(incident.id), LinkKind.CAUSED_BY)


async def test_write_many_defers_to_jobs_and_follows_them_to_their_outcomes(
    connector: ZendeskConnector, support: Support, later
) -> None:
    seeder = Seeder(support)
    fresh, stale = seeder.ticket("fresh"), seeder.ticket("stale")
    read = {t.id: await connector.fetch(RecordKind.INCIDENT, str(t.id)) for t in (fresh, stale)}
    later(5)
    await connector.update(ref(stale.id), rename("stale", "edited by a person"))
    writes = [
        WriteCreate(record=Problem(title="new problem"), marker="m-new"),
        WriteUpdate(ref=ref(fresh.id), changes=rename("fresh", "renamed", read[fresh.id])),
        WriteUpdate(ref=ref(stale.id), changes=rename("stale", "mine", read[stale.id])),
        WriteUpdate(ref=ref(fresh.id), changes=rename("other", "mine")),  # read: moved
        WriteCreate(record=Incident(title="x", assignment_group="Nowhere"), marker="m-bad"),
    ]
    outcomes = await connector.write_many(writes)
    assert [type(o).__name__ for o in outcomes] == [
        "Deferred",
        "Deferred",
        "Deferred",
        "RemoteChanged",
        "RecordError",
    ]
    jobs = sorted({o.job_id for o in outcomes if isinstance(o, Deferred)})
    assert len(jobs) == 2
    assert await connector.job_outcomes(jobs) == dict.fromkeys(jobs)  # queued: no answer yet
    later(3)
    done = await connector.job_outcomes(jobs)
    new = done[outcomes[0].job_id][outcomes[0].position]  # type: ignore[union-attr,index]
    updated = done[outcomes[1].job_id][outcomes[1].position]  # type: ignore[union-attr,index]
    refused = done[outcomes[2].job_id][outcomes[2].position]  # type: ignore[union-attr,index]
    assert isinstance(new, RemoteChange) and new.marker == "m-new"
    assert new.kind is RecordKind.PROBLEM
    assert isinstance(updated, RemoteVersion) and updated.updated_at is not None
    assert isinstance(refused, RemoteChanged)
    assert support.account.tickets[fresh.id].subject == "renamed"


async def test_a_job_zendesk_forgot_is_retried_for_every_write(
    connector: ZendeskConnector,
) -> None:
    outcomes = await connector.job_outcomes(["0123456789abcdef"])
    [gone] = outcomes.values()
    assert gone is not None and len(gone) == connector.max_batch
    assert all(isinstance(o, TransientError) for o in gone)


async def test_an_edited_comment_is_a_correction_read_back_as_the_same_comment(
    connector: ZendeskConnector, support: Support, later
) -> None:
    ticket = Seeder(support).ticket("x", created_at=START - timedelta(hours=1))
    ours = Comment(body="first words", visibility=Visibility.PUBLIC, created_at=START)
    copy = await connector.add_comment(ref(ticket.id), ours, marker=ours.id)
    edited = ours.model_copy(update={"body": "better words", "refs": [copy]})
    later(5)
    await connector.update_comment(ref(ticket.id), edited)
    await connector.update_comment(ref(ticket.id), edited)  # a retry: written once
    [_, original, correction] = support.account.comments[ticket.id]
    assert correction.public is True and "Correction of an earlier comment" in correction.body
    fetched = await connector.fetch(RecordKind.INCIDENT, str(ticket.id))
    assert fetched is not None and fetched.record is not None
    [read] = fetched.record.comments  # type: ignore[union-attr]
    assert (read.id, read.body, read.refs) == (ours.id, "better words", [copy])
    assert read.updated_at is not None and read.created_at == original.created_at
    later()
    stream = next(s for s in connector.streams() if s.name == "ticket_events")
    pulled = [
        item
        async for item in connector.pull(PullRequest(stream=stream))
        if isinstance(item, RemoteComments)
    ]
    assert [(c.id, c.body) for c in pulled[-1].comments] == [(ours.id, "better words")]
    assert pulled[-1].comments[0].refs == [copy]
