"""ServiceNow rows ↔ neutral records, from payloads shaped like the Table API's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from itsmhub import (
    Comment,
    ExternalRef,
    Impact,
    Incident,
    IncidentStatus,
    LinkKind,
    PersonRef,
    Priority,
    Problem,
    ProblemStatus,
    RecordError,
    RecordKind,
    ResolutionCode,
    Urgency,
    Visibility,
)
from itsmhub_servicenow import mapping
from itsmhub_servicenow.mapping import Target
from itsmhub_servicenow.settings import ServiceNowSettings

INC_ID = "9d385017c611228701d22104cc95c371"
PRB_ID = "d7296d02c0a801670085e737da016e70"
CALLER = "681ccaf9c0a8016400b98a06818d57c7"

INCIDENT_ROW: dict[str, Any] = {
    "sys_id": INC_ID,
    "number": "INC0010001",
    "short_description": "Email is down",
    "description": "",
    "state": "2",
    "impact": "1",
    "urgency": "2",
    "priority": "2",
    "category": "network",
    "assignment_group": "",
    "assigned_to": "",
    "business_service": "",
    "caller_id": CALLER,
    "problem_id": PRB_ID,
    "close_code": "",
    "close_notes": "",
    "opened_at": "2025-01-31 14:00:00",
    "resolved_at": "",
    "closed_at": "",
    "correlation_id": "itsmhub-01jabc",
    "sys_created_on": "2025-01-31 14:00:01",
    "sys_updated_on": "2025-01-31 14:05:07",
    "sys_mod_count": "3",
}
PROBLEM_ROW: dict[str, Any] = {
    "sys_id": PRB_ID,
    "number": "PRB0040001",
    "short_description": "Mail relay leaks connections",
    "description": "Relay restarts nightly",
    "state": "107",
    "impact": "2",
    "urgency": "3",
    "priority": "4",
    "category": "",
    "known_error": "true",
    "cause_notes": "pool exhaustion",
    "workaround": "restart relay",
    "fix_notes": "",
    "resolution_code": "canceled",
    "duplicate_of": "",
    "opened_by": "",
    "correlation_id": "",
    "sys_created_on": "2025-01-02 08:00:00",
    "sys_updated_on": "2025-02-01 09:30:00",
    "sys_mod_count": "11",
}


@pytest.fixture
def target(validate) -> Target:
    settings = validate(
        ServiceNowSettings,
        {
            "instance_url": "https://acme.service-now.com",
            "auth": {"method": "basic", "username": "itsmhub", "password": "env:P"},
            "mapping": {"custom_fields": {"root_cause_ci": "u_root_ci"}},
        },
    )
    return Target(system="snow", settings=settings)


def test_an_incident_row_maps_to_the_neutral_incident(target: Target) -> None:
    incident = mapping.to_record(target, RecordKind.INCIDENT, INCIDENT_ROW, [])
    assert isinstance(incident, Incident)
    assert incident.title == "Email is down"
    assert incident.description == ""
    assert incident.status is IncidentStatus.IN_PROGRESS
    assert (incident.impact, incident.urgency, incident.priority) == (
        Impact.HIGH,
        Urgency.MEDIUM,
        Priority.P2,
    )
    assert incident.category == "network"
    assert incident.assignee is None and incident.assignment_group is None
    assert incident.reporter == PersonRef(
        external=ExternalRef(system="snow", remote_id=CALLER, remote_type="sys_user")
    )
    assert incident.opened_at == datetime(2025, 1, 31, 14, 0, tzinfo=UTC)
    assert incident.updated_at == datetime(2025, 1, 31, 14, 5, 7, tzinfo=UTC)
    assert incident.resolved_at is None and incident.resolution_code is None
    assert incident.refs == [
        ExternalRef(
            system="snow",
            remote_id=INC_ID,
            key="INC0010001",
            url=f"https://acme.service-now.com/nav_to.do?uri=incident.do?sys_id={INC_ID}",
            remote_type="incident",
        )
    ]
    [link] = incident.links
    assert link.kind is LinkKind.CAUSED_BY
    assert link.target_ref == ExternalRef(system="snow", remote_id=PRB_ID, remote_type="problem")


def test_a_closed_canceled_problem_is_canceled(target: Target) -> None:
    problem = mapping.to_record(target, RecordKind.PROBLEM, PROBLEM_ROW, [])
    assert isinstance(problem, Problem)
    assert problem.status is ProblemStatus.CANCELED
    assert problem.resolution_code is ResolutionCode.CANCELED
    assert problem.known_error is True
    assert (problem.root_cause, problem.workaround, problem.fix) == (
        "pool exhaustion",
        "restart relay",
        None,
    )
    assert problem.priority is Priority.P4


def test_reference_objects_and_unknown_close_codes_are_read(target: Target) -> None:
    row = INCIDENT_ROW | {
        "caller_id": {"link": "https://x/api/now/table/sys_user/1", "value": CALLER},
        "state": "6",
        "close_code": "Duplicate",
        "close_notes": "dupe of INC1",
        "u_root_ci": "relay-01",
    }
    incident = mapping.to_record(target, RecordKind.INCIDENT, row, [])
    assert incident.reporter is not None and incident.reporter.external is not None
    assert incident.reporter.external.remote_id == CALLER
    assert incident.status is IncidentStatus.RESOLVED
    assert incident.resolution_code is ResolutionCode.OTHER
    assert incident.resolution_notes == "dupe of INC1"
    assert incident.custom == {"root_cause_ci": "relay-01"}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"state": "42"}, "incident state '42' has no neutral value"),
        ({"impact": "9"}, "impact '9' has no neutral value"),
        ({"sys_updated_on": "31/01/2025"}, "is not yyyy-MM-dd HH:mm:ss"),
        ({"sys_updated_on": "2025-01-31T10:00:00"}, "is not yyyy-MM-dd HH:mm:ss"),
        ({"sys_updated_on": "2025-01-31 10:00:00+02:00"}, "is not yyyy-MM-dd HH:mm:ss"),
        ({"sys_updated_on": "2025-13-31 10:00:00"}, "is not yyyy-MM-dd HH:mm:ss"),
        ({"sys_id": ""}, "no sys_id"),
    ],
)
def test_a_row_that_cannot_be_mapped_raises_a_record_error(
    target: Target, patch: dict[str, str], message: str
) -> None:
    with pytest.raises(RecordError, match=message):
        mapping.to_record(target, RecordKind.INCIDENT, INCIDENT_ROW | patch, [])


def test_the_payload_writes_impact_and_urgency_never_priority(target: Target) -> None:
    incident = mapping.to_record(target, RecordKind.INCIDENT, INCIDENT_ROW, [])
    values = incident.model_dump(mode="json", exclude={"id", "refs", "links", "comments"})
    payload = mapping.to_payload(target, RecordKind.INCIDENT, values)
    assert "priority" not in payload
    assert payload["impact"] == "1" and payload["urgency"] == "2"
    assert payload["short_description"] == "Email is down"
    assert payload["state"] == "2"
    assert payload["caller_id"] == CALLER  # a person of this instance is written back
    assert not payload.get("close_code")  # an open incident has none


def test_a_round_trip_keeps_every_written_field(target: Target) -> None:
    incident = mapping.to_record(target, RecordKind.INCIDENT, INCIDENT_ROW, [])
    values = incident.model_dump(mode="json", exclude={"id", "refs", "links", "comments"})
    payload = mapping.to_payload(target, RecordKind.INCIDENT, values)
    again = mapping.to_record(target, RecordKind.INCIDENT, INCIDENT_ROW | payload, [])
    assert again == incident


def test_resolving_brings_the_close_fields(target: Target) -> None:
    payload = mapping.to_payload(target, RecordKind.INCIDENT, {"status": "resolved"})
    assert payload["state"] == "6"
    assert payload["close_code"] == "Closed/Resolved by Caller"
    assert payload["close_notes"]
    # A row already holding them keeps its own.
    held = INCIDENT_ROW | {"close_code": "Solved (Permanently)", "close_notes": "fixed"}
    assert mapping.to_payload(target, RecordKind.INCIDENT, {"status": "resolved"}, held) == {
        "state": "6"
    }
    fixed = {"status": "resolved", "resolution_code": "fixed", "resolution_notes": "patched"}
    assert mapping.to_payload(target, RecordKind.INCIDENT, fixed) == {
        "state": "6",
        "close_code": "Solved (Permanently)",
        "close_notes": "patched",
    }


def test_a_canceled_problem_is_closed_with_resolution_code_canceled(target: Target) -> None:
    payload = mapping.to_payload(target, RecordKind.PROBLEM, {"status": "canceled"})
    assert payload == {"state": "107", "resolution_code": "canceled"}
    resolved = mapping.to_payload(target, RecordKind.PROBLEM, {"status": "resolved"})
    assert resolved == {"state": "106", "resolution_code": "fix_applied"}


def test_people_of_other_systems_and_free_text_services_are_not_written(target: Target) -> None:
    jira_person = PersonRef(
        display_name="Ann", external=ExternalRef(system="jira", remote_id="acc-1")
    ).model_dump(mode="json")
    values = {"assignee": jira_person, "service": "Email", "priority": 1}
    assert mapping.to_payload(target, RecordKind.INCIDENT, values) == {}
    assert mapping.to_payload(target, RecordKind.INCIDENT, {"assignee": None}) == {
        "assigned_to": ""
    }


def test_journal_rows_map_to_comments(target: Target) -> None:
    theirs = {
        "sys_id": "a" * 32,
        "element_id": INC_ID,
        "element": "comments",
        "value": "Any update?",
        "sys_created_on": "2025-01-31 14:06:00",
        "sys_created_by": "abel.tuter",
    }
    comment = mapping.to_comment(target, theirs)
    assert comment.id == f"snow:{'a' * 32}"
    assert comment.visibility is Visibility.PUBLIC
    assert comment.author == PersonRef(display_name="abel.tuter")
    assert comment.refs[0].remote_id == "a" * 32

    ours = Comment(
        id="01JCOMMENT",
        body="Restarted the relay",
        author=PersonRef(display_name="Ann Agent"),
        created_at=datetime(2025, 1, 31, 14, 7, tzinfo=UTC),
    )
    text = mapping.comment_text(ours)
    assert text == "Restarted the relay\n\n— Ann Agent (via itsmhub)\n\n[itsmhub:01JCOMMENT]"
    read = mapping.to_comment(
        target, theirs | {"element": "work_notes", "value": text, "sys_created_by": "itsmhub"}
    )
    assert (read.id, read.body, read.visibility) == (
        "01JCOMMENT",
        "Restarted the relay",
        Visibility.INTERNAL,
    )
    assert read.author == PersonRef(display_name="Ann Agent")
    assert mapping.journal_column(ours) == "work_notes"
