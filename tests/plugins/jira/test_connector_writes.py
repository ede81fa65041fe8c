"""Writing through the connector: statuses through the workflow, people by e-mail,
issue links and remote links, bulk creates and their per-element errors."""

from __future__ import annotations

import pytest

from itsmhub import (
    ExternalRef,
    FieldChange,
    FieldChanges,
    Incident,
    IncidentStatus,
    KnownError,
    KnownErrorStatus,
    LinkKind,
    PersonRef,
    Problem,
    ProblemStatus,
    RecordError,
    RecordKind,
    RemoteChange,
    RemoteChanged,
    WriteCreate,
    WriteUpdate,
)
from itsmhub_jira.emulator import Site


def ref_of(change: RemoteChange) -> ExternalRef:
    assert change.record is not None
    return change.record.refs[0]


@pytest.mark.anyio
async def test_a_record_created_further_along_passes_through_its_lifecycle(
    site: Site, connector
) -> None:
    closed = await connector.create(
        Incident(title="old outage", status=IncidentStatus.CLOSED), marker="m1"
    )
    issue = site.issue(closed.remote_id)
    assert issue.status == "Closed" and issue.resolution == "Done"
    assert [c.items[0]["toString"] for c in issue.changelog[:2]] == ["Completed", "Closed"]
    fixed = await connector.create(Problem(title="p", status=ProblemStatus.RESOLVED), marker="m2")
    assert site.issue(fixed.remote_id).status == "Completed"
    known = await connector.create(
        KnownError(title="ke", status=KnownErrorStatus.PUBLISHED, workaround="reboot"), marker="m3"
    )
    issue = site.issue(known.remote_id)
    assert issue.status == "Under review" and "known-error" in issue.labels
    assert issue.custom["customfield_10051"]["type"] == "doc"
    assert (known.kind, known.marker, known.record.refs[0].key) == (
        RecordKind.KNOWN_ERROR,
        "m3",
        issue.key,
    )


@pytest.mark.anyio
async def test_a_status_the_workflow_cannot_reach_is_explained(site: Site, connector) -> None:
    made = await connector.create(Incident(title="x", status=IncidentStatus.RESOLVED), marker="m")
    change = FieldChange(field="status", old="resolved", new="canceled")
    with pytest.raises(RecordError) as info:
        await connector.update(
            ref_of(made), FieldChanges(kind=RecordKind.INCIDENT, changes=(change,))
        )
    message = str(info.value)
    assert "no transition from Completed to 'Canceled'" in message
    assert "Close → Closed; Reopen → Open" in message and "mapping.statuses.incident" in message


@pytest.mark.anyio
async def test_an_update_refuses_a_moved_field_and_reports_its_version(
    site: Site, connector
) -> None:
    made = await connector.create(Incident(title="before"), marker="m")
    ref = ref_of(made)
    rename = FieldChanges(
        kind=RecordKind.INCIDENT, changes=(FieldChange(field="title", old="before", new="after"),)
    )
    version = await connector.update(ref, rename)
    issue = site.issue(made.remote_id)
    assert issue.summary == "after" and version.version == str(
        int(issue.updated.timestamp() * 1000)
    )
    with pytest.raises(RemoteChanged, match="title"):
        await connector.update(ref, rename)
    same = FieldChanges(
        kind=RecordKind.PROBLEM,
        changes=(FieldChange(field="status", old="root_cause_analysis", new="assess"),),
    )
    problem = await connector.create(Problem(title="p", status=ProblemStatus.ASSESS), marker="p")
    issue = site.issue(problem.remote_id)
    steps = len(issue.changelog)
    result = await connector.update(ref_of(problem), same)  # one Jira status for both
    assert len(issue.changelog) == steps, "nothing to write"
    assert result.version == str(int(issue.updated.timestamp() * 1000))


@pytest.mark.anyio
async def test_people_of_other_systems_are_found_by_email(site: Site, connector) -> None:
    grace = site.add_user("Grace Hopper", "grace@example.com")
    hidden = site.add_user("Alan Turing", "alan@example.com", email_visible=False)
    elsewhere = ExternalRef(system="snow", remote_id="abc")
    record = Incident(
        title="x",
        reporter=PersonRef(display_name="Grace", email="Grace@Example.com", external=elsewhere),
        assignee=PersonRef(email="alan@example.com"),
    )
    made = await connector.create(record, marker="m")
    issue = site.issue(made.remote_id)
    assert issue.reporter == grace.account_id  # found by e-mail
    assert issue.assignee is None and hidden.account_id  # a hidden e-mail finds no one


@pytest.mark.anyio
async def test_links_inside_jira_and_to_other_systems(site: Site, connector) -> None:
    incident = ref_of(await connector.create(Incident(title="i"), marker="i"))
    problem = ref_of(await connector.create(Problem(title="p"), marker="p"))
    snow = ExternalRef(system="snow", remote_id="abc", key="PRB0040001", url="https://x/PRB1")
    await connector.link(incident, problem, LinkKind.CAUSED_BY)
    await connector.link(incident, snow, LinkKind.RELATED)
    await connector.link(incident, snow, LinkKind.RELATED)  # an upsert: still one
    read = await connector.fetch(RecordKind.INCIDENT, incident.remote_id)
    assert read.links_complete
    assert [(k.kind, k.target_ref.system, k.target_ref.remote_id) for k in read.record.links] == [
        (LinkKind.CAUSED_BY, "jira", problem.remote_id),
        (LinkKind.RELATED, "snow", "abc"),
    ]
    [remote] = site.issue(incident.remote_id).remote_links.values()
    assert remote.global_id == "system=itsmhub:snow&id=abc"
    assert remote.body["object"] == {
        "url": "https://x/PRB1",
        "title": "PRB0040001",
        "summary": "snow record PRB0040001",
    }
    for target, kind in ((problem, LinkKind.CAUSED_BY), (snow, LinkKind.RELATED)):
        await connector.unlink(incident, target, kind)
        await connector.unlink(incident, target, kind)  # twice: not an error
    again = await connector.fetch(RecordKind.INCIDENT, incident.remote_id)
    assert again.record.links == [] and site.issue(incident.remote_id).remote_links == {}
    with pytest.raises(RecordError, match="known_error_of"):
        await connector.link(incident, problem, LinkKind.KNOWN_ERROR_OF)


@pytest.mark.anyio
async def test_write_many_settles_each_write_on_its_own(site: Site, connector) -> None:
    existing = await connector.create(Incident(title="old"), marker="o")
    stale = FieldChanges(
        kind=RecordKind.INCIDENT, changes=(FieldChange(field="title", old="older", new="new"),)
    )
    writes = [
        WriteCreate(record=Incident(title="a", service="VPN"), marker="a"),
        WriteCreate(record=Incident(title="b", service="Nope"), marker="b"),
        WriteCreate(record=Incident(title="c", status=IncidentStatus.IN_PROGRESS), marker="c"),
        WriteUpdate(ref=ref_of(existing), changes=stale),
    ]
    site.controls.calls.clear()
    made, refused, moved, conflict = await connector.write_many(writes)
    assert site.controls.calls["POST /rest/api/3/issue/bulk"] == 1
    assert isinstance(made, RemoteChange) and made.marker == "a"
    assert site.issue(made.remote_id).components == ["VPN"]
    assert isinstance(refused, RecordError) and "Component name 'Nope' is not valid" in str(refused)
    assert (
        isinstance(moved, RemoteChange) and site.issue(moved.remote_id).status == "Work in progress"
    )
    assert isinstance(conflict, RemoteChanged)


@pytest.mark.anyio
async def test_an_edited_comment_is_written_in_place(site: Site, connector) -> None:
    from datetime import UTC, datetime

    from itsmhub import Comment, Visibility

    made = ref_of(await connector.create(Incident(title="c"), marker="c"))
    note = Comment(body="first", visibility=Visibility.PUBLIC, created_at=datetime.now(UTC))
    copy = await connector.add_comment(made, note, marker="n")
    await connector.update_comment(made, note.model_copy(update={"body": "second", "refs": [copy]}))
    [stored] = site.issue(made.remote_id).comments
    assert stored.id == copy.remote_id and not stored.internal
    with pytest.raises(RecordError, match="no copy"):
        await connector.update_comment(made, note)
