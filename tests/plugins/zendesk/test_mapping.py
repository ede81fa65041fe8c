"""Zendesk tickets ↔ neutral records: the pure mapping, both ways."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from itsmhub import (
    Comment,
    FieldChange,
    FieldChanges,
    Incident,
    IncidentStatus,
    KnownError,
    KnownErrorStatus,
    LinkKind,
    PersonRef,
    Priority,
    Problem,
    ProblemStatus,
    RecordError,
    RecordKind,
    Visibility,
    comment_footer,
    correction_footer,
)
from itsmhub_zendesk.mapping import (
    CORRECTION_HEADER,
    Target,
    fold,
    to_change,
    to_comment,
    version_of,
)
from itsmhub_zendesk.payloads import Ticket
from itsmhub_zendesk.settings import ZendeskSettings
from itsmhub_zendesk.writes import create_body, field_values, update_body, zendesk_tag

WORKAROUND, SERVICE, REGION = 360_001, 360_002, 360_003


def target(**mapping: Any) -> Target:
    data = {
        "subdomain": "acme",
        "email": "a@example.com",
        "api_token": "env:T",
        "mapping": {
            "group_ids": {"Network": 42},
            "custom_fields": {"workaround": WORKAROUND, "service": SERVICE, "region": REGION},
            **mapping,
        },
    }
    return Target("desk", ZendeskSettings.model_validate(data, context={"config_dir": "."}))


def ticket(**fields: Any) -> Ticket:
    base: dict[str, Any] = {
        "id": 7,
        "type": "incident",
        "subject": "VPN down",
        "description": "It drops every five minutes",
        "status": "open",
        "priority": "high",
        "requester_id": 100,
        "assignee_id": 200,
        "group_id": 42,
        "problem_id": None,
        "external_id": None,
        "tags": ["vpn"],
        "custom_fields": [{"id": SERVICE, "value": "VPN"}, {"id": REGION, "value": "EU"}],
        "created_at": "2026-03-01T08:00:00Z",
        "updated_at": "2026-03-01T09:30:00Z",
        "generated_timestamp": 1772357500,
    }
    return Ticket.model_validate(base | fields)


def test_an_incident_ticket_reads_as_an_incident_with_its_links_and_people() -> None:
    change = to_change(target(), ticket(problem_id=3, external_id="m-1"))
    record = change.record
    assert isinstance(record, Incident)
    assert (change.kind, change.remote_id, change.marker) == (RecordKind.INCIDENT, "7", "m-1")
    assert change.version == "1772357500" and change.links_complete
    assert change.changed_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert (record.title, record.description) == ("VPN down", "It drops every five minutes")
    assert record.status is IncidentStatus.IN_PROGRESS and record.priority is Priority.P2
    assert record.assignment_group == "Network" and record.service == "VPN"
    assert record.custom == {"region": "EU"} and record.tags == ["vpn"]
    assert record.opened_at == record.created_at
    assert record.reporter is not None and record.reporter.external is not None
    assert (record.reporter.external.remote_id, record.reporter.external.remote_type) == (
        "100",
        "user",
    )
    [link] = record.links
    assert link.kind is LinkKind.CAUSED_BY and link.target_ref is not None
    assert link.target_ref.remote_id == "3"
    [ref] = record.refs
    assert (ref.key, ref.url) == ("7", "https://acme.zendesk.com/agent/tickets/7")


def test_problem_tickets_are_problems_and_tagged_ones_known_errors() -> None:
    problem = to_change(target(), ticket(type="problem", status="hold")).record
    assert isinstance(problem, Problem) and problem.status is ProblemStatus.FIX_IN_PROGRESS
    tagged = ticket(
        type="problem",
        tags=["vpn", "known_error"],
        custom_fields=[{"id": WORKAROUND, "value": "Use the web client"}],
    )
    change = to_change(target(), tagged)
    known = change.record
    assert change.kind is RecordKind.KNOWN_ERROR and isinstance(known, KnownError)
    assert known.status is KnownErrorStatus.PUBLISHED
    assert known.workaround == "Use the web client" and known.tags == ["vpn"]


def test_a_published_known_error_without_a_mapped_workaround_is_refused_with_the_fix() -> None:
    tagged = ticket(type="problem", tags=["known_error"], custom_fields=[])
    with pytest.raises(RecordError) as info:
        to_change(target(), tagged)
    assert info.value.fix is not None and "custom_fields.workaround" in info.value.fix


def test_a_deleted_ticket_is_a_deletion_and_types_not_synced_are_refused() -> None:
    change = to_change(target(), ticket(status="deleted"))
    assert change.deleted and change.record is None and change.kind is RecordKind.INCIDENT
    with pytest.raises(RecordError, match="question"):
        to_change(target(), ticket(type="question"))
    # Unless the hub asks for it as a kind it already holds (a fetch).
    assert to_change(target(), ticket(type=None), kind=RecordKind.INCIDENT).record is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"status": "escalated"}, "unknown status"), ({"priority": "p1"}, "unknown priority")],
)
def test_unknown_values_are_refused_by_name(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError, match=message):
        to_change(target(), ticket(**fields))


def test_nulls_read_as_missing_and_the_version_falls_back_to_updated_at() -> None:
    sparse = ticket(priority=None, assignee_id=None, group_id=None, subject=None)
    record = to_change(target(), sparse).record
    assert isinstance(record, Incident)
    assert (record.priority, record.assignee, record.assignment_group) == (None, None, None)
    assert record.title == "Ticket #7"
    assert version_of(ticket(generated_timestamp=None)) == str(
        int(datetime(2026, 3, 1, 9, 30, tzinfo=UTC).timestamp())
    )
    unmapped = to_change(target(), ticket(group_id=77)).record
    assert unmapped is not None and unmapped.assignment_group == "77"


def test_comments_read_back_our_footer_and_keep_their_visibility() -> None:
    ours = Comment(
        body="Gateway restarted",
        author=PersonRef(display_name="Grace Hopper"),
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    at = datetime(2026, 3, 1, 10, tzinfo=UTC)
    read = to_comment(target(), 55, comment_footer(ours), public=False, author_id=9, created_at=at)
    assert (read.id, read.body, read.visibility) == (ours.id, ours.body, Visibility.INTERNAL)
    assert read.author == PersonRef(display_name="Grace Hopper")
    theirs = to_comment(target(), 56, "Works now", public=True, author_id=9, created_at=at)
    assert theirs.id == "desk:comment:56" and theirs.visibility is Visibility.PUBLIC
    assert theirs.author is not None and theirs.author.external is not None
    assert [r.remote_id for r in theirs.refs] == ["56"]
    with pytest.raises(RecordError):
        to_comment(target(), 57, "x", public=True, author_id=None, created_at=None)


def test_synced_fields_follow_the_mapped_custom_fields() -> None:
    plain = target(custom_fields={})
    assert plain.synced_fields() == {
        "title",
        "status",
        "priority",
        "assignment_group",
        "assignee",
        "tags",
    }
    assert target().synced_fields() >= {"workaround", "service", "custom"}


# --- writing -----------------------------------------------------------------------------


def test_a_create_carries_type_marker_description_and_known_error_tag() -> None:
    record = KnownError(
        title="Mail relay drops",
        description="Messages over 10 MB vanish",
        status=KnownErrorStatus.PUBLISHED,
        workaround="Send smaller files",
        tags=["Mail Relay"],
        reporter=PersonRef(display_name="Ada", email="ada@example.com"),
    )
    body = create_body(target(), record, "m-9")["ticket"]
    assert body["type"] == "problem" and body["external_id"] == "m-9"
    assert body["comment"] == {"body": "Messages over 10 MB vanish", "public": True}
    assert body["tags"] == ["known_error", "mail_relay"] and body["status"] == "open"
    assert body["requester"] == {"email": "ada@example.com", "name": "Ada"}
    assert {"id": WORKAROUND, "value": "Send smaller files"} in body["custom_fields"]


def test_a_create_leaves_out_people_it_cannot_name_and_uses_the_title_as_description() -> None:
    nobody = PersonRef(display_name="Someone")
    record = Incident(title="Printer jam", assignee=nobody, reporter=nobody)
    body = create_body(target(custom_fields={}), record, "m")["ticket"]
    assert "assignee_id" not in body and "requester" not in body
    assert body["comment"]["body"] == "Printer jam" and body["type"] == "incident"
    ours = target().person(100)
    assert (
        create_body(target(), Incident(title="x", reporter=ours), "m")["ticket"]["requester_id"]
        == 100
    )


def changes(kind: RecordKind, **fields: tuple[Any, Any]) -> FieldChanges:
    items = tuple(FieldChange(field=k, old=old, new=new) for k, (old, new) in fields.items())
    return FieldChanges(kind=kind, changes=items)


def test_an_update_sends_only_the_changes_and_tags_as_a_change() -> None:
    body = update_body(
        target(),
        changes(
            RecordKind.INCIDENT,
            title=("old", "new"),
            status=("new", "on_hold"),
            priority=(3, None),
            tags=(["vpn", "Old Tag"], ["vpn", "fresh"]),
            assignment_group=("Network", "360009"),
            custom=({"region": "EU"}, {}),
        ),
    )
    assert body == {
        "subject": "new",
        "status": "pending",
        "priority": None,
        "group_id": 360009,
        "custom_fields": [{"id": REGION, "value": None}],
        "additional_tags": ["fresh"],
        "remove_tags": ["old_tag"],
    }


def test_the_known_error_tag_is_never_removed_and_unsynced_fields_never_sent() -> None:
    body = update_body(
        target(),
        changes(RecordKind.KNOWN_ERROR, tags=(["known_error", "a"], []), description=("a", "b")),
    )
    assert body == {"remove_tags": ["a"]}


def test_people_are_written_by_id_or_email_and_refused_otherwise() -> None:
    t = target()
    ours = t.person(200)
    assert ours is not None
    values = {"assignee": ours.model_dump(mode="json")}
    assert field_values(t, RecordKind.INCIDENT, values) == {"assignee_id": 200}
    by_mail = {"assignee": {"email": "bob@example.com"}}
    assert field_values(t, RecordKind.INCIDENT, by_mail) == {"assignee_email": "bob@example.com"}
    assert field_values(t, RecordKind.INCIDENT, {"assignee": None}) == {"assignee_id": None}
    with pytest.raises(RecordError, match="no Zendesk account"):
        field_values(t, RecordKind.INCIDENT, {"assignee": {"display_name": "Bob"}})


def test_an_unmapped_group_name_is_refused_with_the_fix() -> None:
    with pytest.raises(RecordError) as info:
        field_values(target(), RecordKind.PROBLEM, {"assignment_group": "Database"})
    assert info.value.fix is not None and "group_ids" in info.value.fix


def test_statuses_and_priorities_use_the_configured_maps() -> None:
    t = target()
    assert field_values(t, RecordKind.PROBLEM, {"status": "closed"}) == {"status": "closed"}
    assert field_values(t, RecordKind.INCIDENT, {"priority": 5}) == {"priority": "low"}
    assert field_values(t, RecordKind.KNOWN_ERROR, {"priority": 1}) == {}
    assert field_values(t, RecordKind.KNOWN_ERROR, {"status": "retired"}) == {"status": "closed"}


def test_tags_are_written_as_zendesk_keeps_them() -> None:
    assert zendesk_tag("  Major Outage ") == "major_outage"
    assert zendesk_tag("vpn") == "vpn"


def test_corrections_fold_into_the_comment_they_correct() -> None:

    t, at = target(), datetime(2026, 3, 1, 10, tzinfo=UTC)
    ours = Comment(body="first", created_at=at)
    original = to_comment(t, 1, comment_footer(ours), public=True, author_id=9, created_at=at)
    edited = ours.model_copy(update={"body": "second"})
    later = at.replace(hour=11)
    text = correction_footer(edited, CORRECTION_HEADER)
    correction = to_comment(t, 2, text, public=True, author_id=9, created_at=later)
    other = to_comment(t, 3, "a person's", public=True, author_id=9, created_at=later)
    [folded, kept] = fold([original, correction, other])
    assert (folded.id, folded.body, folded.updated_at) == (ours.id, "second", later)
    assert folded.refs == original.refs and folded.created_at == at
    assert kept == other
    # A correction whose original is not there stands alone.
    assert fold([correction]) == [correction]
