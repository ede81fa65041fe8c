"""Issues ⇄ neutral records, without I/O: kinds, statuses, people, custom fields, links,
comments and the fields written back."""

from __future__ import annotations

from typing import Any

import pytest

from itsmhub import (
    Comment,
    ExternalRef,
    IncidentStatus,
    KnownErrorStatus,
    LinkKind,
    PersonRef,
    Priority,
    ProblemStatus,
    RecordError,
    RecordKind,
    ResolutionCode,
    Visibility,
)
from itsmhub_jira import mapping
from itsmhub_jira.adf import to_adf
from itsmhub_jira.comments import comment_body, page_of, to_comment
from itsmhub_jira.custom import TEXTAREA, FieldType
from itsmhub_jira.links import remote_link_body, with_entry, without_entry
from itsmhub_jira.payload import create_fields, initial_status, jira_status, to_fields
from itsmhub_jira.settings import JiraSettings
from itsmhub_jira.target import Target

CUSTOM = {
    "root_cause": "customfield_10050",
    "workaround": "customfield_10051",
    "assignment_group": "customfield_10052",
}
SETTINGS = JiraSettings.model_validate(
    {
        "site_url": "https://acme.atlassian.net",
        "email": "itsmhub@example.com",
        "api_token": "env:JIRA_TOKEN",
        "projects": ["OPS"],
        "mapping": {"custom_fields": CUSTOM},
    },
    context={"config_dir": "."},
)
TARGET = Target(system="jira", settings=SETTINGS)
GRACE = {
    "accountId": "712020:grace",
    "displayName": "Grace Hopper",
    "emailAddress": "grace@example.com",
}


def issue(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "summary": "VPN down",
        "description": to_adf("Users **cannot** connect\n\n- Berlin\n- Paris"),
        "status": {"name": "Work in progress", "statusCategory": {"key": "indeterminate"}},
        "issuetype": {"name": "Incident"},
        "priority": {"name": "High"},
        "labels": ["vpn", "itsmhub-01JMARKER"],
        "components": [{"name": "VPN"}],
        "reporter": GRACE,
        "assignee": None,
        "created": "2026-03-02T09:00:00.000+0000",
        "updated": "2026-03-02T10:30:00.250+0000",
        "resolution": None,
        "resolutiondate": None,
        "issuelinks": [],
        "comment": {"comments": [], "total": 0, "startAt": 0, "maxResults": 0},
        "customfield_10052": {"value": "Network", "id": "10101"},
        "customfield_10050": to_adf("A cert expired"),
    }
    return {"id": "10001", "key": "OPS-1", "fields": {**base, **fields}}


def test_an_incident_is_read_with_its_fields_people_and_marker() -> None:
    change = mapping.to_change(TARGET, issue(), [])
    record = change.record
    assert change.kind is RecordKind.INCIDENT and change.version == "1772447400250"
    assert change.marker == "01JMARKER" and change.links_complete
    assert record.title == "VPN down" and record.status is IncidentStatus.IN_PROGRESS
    assert record.description == "Users **cannot** connect\n\n- Berlin\n- Paris"
    assert record.priority is Priority.P2 and record.service == "VPN"
    assert record.tags == ["vpn"] and record.assignment_group == "Network"
    assert record.reporter == PersonRef(
        display_name="Grace Hopper",
        email="grace@example.com",
        external=ExternalRef(system="jira", remote_id="712020:grace", remote_type="user"),
    )
    assert record.refs[0].url == "https://acme.atlassian.net/browse/OPS-1"
    assert record.opened_at == record.created_at


def test_a_labelled_problem_is_a_known_error() -> None:
    data = issue(
        issuetype={"name": "Problem"},
        labels=["known-error"],
        status={"name": "Under review"},
        customfield_10051=to_adf("Reboot"),
    )
    record = mapping.to_record(TARGET, data, [])
    assert record.kind is RecordKind.KNOWN_ERROR
    assert record.status is KnownErrorStatus.PUBLISHED and record.workaround == "Reboot"
    assert record.tags == []
    plain = mapping.to_record(TARGET, issue(issuetype={"name": "Problem"}), [])
    assert plain.kind is RecordKind.PROBLEM and plain.root_cause == "A cert expired"


def test_an_unmapped_status_is_read_by_its_category() -> None:
    data = issue(status={"name": "Waiting for vendor", "statusCategory": {"key": "done"}})
    assert mapping.to_record(TARGET, data, []).status is IncidentStatus.RESOLVED
    problem = issue(issuetype={"name": "Problem"}, status={"name": "Triage"})
    assert mapping.to_record(TARGET, problem, []).status is ProblemStatus.NEW


def test_unreadable_issues_are_refused_with_the_reason() -> None:
    with pytest.raises(RecordError, match="issue type 'Epic'"):
        mapping.to_record(TARGET, issue(issuetype={"name": "Epic"}), [])
    with pytest.raises(RecordError, match="no updated"):
        mapping.to_record(TARGET, issue(updated=None), [])
    published = issue(
        issuetype={"name": "Problem"}, labels=["known-error"], status={"name": "Under review"}
    )
    with pytest.raises(RecordError, match="workaround"):
        mapping.to_record(TARGET, published, [])


def test_issue_links_read_from_the_holder_side_and_remote_links_from_the_property() -> None:
    problem = {"id": "10009", "key": "OPS-9", "fields": {"issuetype": {"name": "Problem"}}}
    links = [
        {"id": "1", "type": {"name": "Problem/Incident"}, "inwardIssue": problem},
        {"id": "2", "type": {"name": "Problem/Incident"}, "outwardIssue": problem},
        {"id": "3", "type": {"name": "Duplicate"}, "outwardIssue": problem},
        {"id": "4", "type": {"name": "Relates"}, "inwardIssue": problem},
        {"id": "5", "type": {"name": "Blocks"}, "inwardIssue": problem},
    ]
    elsewhere = ExternalRef(system="snow", remote_id="abc", key="PRB0040001", url="https://x/1")
    data = issue(issuelinks=links)
    data["properties"] = {"itsmhub": with_entry({}, elsewhere, LinkKind.CAUSED_BY)}
    record = mapping.to_record(TARGET, data, [])
    found = [(link.kind, link.target_ref.system, link.target_ref.key) for link in record.links]
    assert found == [
        (LinkKind.CAUSED_BY, "jira", "OPS-9"),
        (LinkKind.DUPLICATE_OF, "jira", "OPS-9"),
        (LinkKind.RELATED, "jira", "OPS-9"),
        (LinkKind.CAUSED_BY, "snow", "PRB0040001"),
    ]
    assert without_entry(data["properties"], elsewhere) == {"links": []}
    assert without_entry({}, elsewhere) is None


def test_a_remote_link_has_a_deterministic_global_id() -> None:
    target = ExternalRef(system="snow", remote_id="abc", key="PRB0040001")
    body = remote_link_body(target, LinkKind.CAUSED_BY)
    assert body["globalId"] == "system=itsmhub:snow&id=abc"
    assert body["object"]["title"] == "PRB0040001" and body["object"]["url"]
    assert body == remote_link_body(target, LinkKind.CAUSED_BY)


def test_comments_keep_visibility_and_our_footer() -> None:
    ours = Comment(
        body="restarted", author=PersonRef(display_name="Ada"), created_at="2026-03-02T09:00:00Z"
    )  # type: ignore[arg-type]
    body = comment_body(ours)
    assert body["properties"] == [{"key": "sd.public.comment", "value": {"internal": True}}]
    raw = {
        "id": "5",
        "body": body["body"],
        "created": "2026-03-02T09:00:00.000+0000",
        "updated": "2026-03-02T09:05:00.000+0000",
        "jsdPublic": False,
        "author": GRACE,
    }
    read = to_comment(TARGET, raw)
    assert (read.id, read.body, read.author.display_name) == (ours.id, "restarted", "Ada")
    assert read.visibility is Visibility.INTERNAL and read.updated_at is not None
    person = to_comment(TARGET, {**raw, "body": to_adf("thanks"), "jsdPublic": True})
    assert person.id == "jira:5" and person.visibility is Visibility.PUBLIC
    assert person.author.email == "grace@example.com"
    restricted = to_comment(TARGET, {**raw, "jsdPublic": True, "visibility": {"type": "role"}})
    assert restricted.visibility is Visibility.INTERNAL


def test_a_cut_comment_thread_is_noticed() -> None:
    cut = {"fields": {"comment": {"comments": [{}], "total": 3, "startAt": 0}}}
    whole = {"fields": {"comment": {"comments": [{}], "total": 1, "startAt": 0}}}
    assert page_of(cut)[1] is False and page_of(whole)[1] is True and page_of({})[1] is True


def test_fields_written_back() -> None:
    types = {
        "customfield_10052": FieldType(type="option"),
        "customfield_10050": FieldType(custom=TEXTAREA),
    }
    target = Target(system="jira", settings=TARGET.settings, field_types=types)
    grace = {"external": {"system": "jira", "remote_id": "712020:grace"}}
    stranger = {"email": "x@y.z", "external": {"system": "snow", "remote_id": "1"}}
    fields = to_fields(
        target,
        RecordKind.INCIDENT,
        {
            "title": "New",
            "description": "a\n\nb",
            "priority": 1,
            "tags": ["x"],
            "service": "Email",
            "assignee": grace,
            "reporter": stranger,
            "resolution_code": "duplicate",
            "assignment_group": "Database",
            "root_cause": "dns",
        },
        labels=["old", "itsmhub-01J", "known-error"],
    )
    assert fields["summary"] == "New" and fields["priority"] == {"name": "Highest"}
    assert fields["description"]["content"][1]["content"][0]["text"] == "b"
    assert fields["labels"] == ["itsmhub-01J", "known-error", "x"]
    assert fields["components"] == [{"name": "Email"}]
    assert fields["assignee"] == {"accountId": "712020:grace"} and "reporter" not in fields
    assert fields["resolution"] == {"name": "Duplicate"}
    assert fields["customfield_10052"] == {"value": "Database"}
    assert fields["customfield_10050"]["type"] == "doc"
    cleared = to_fields(
        target,
        RecordKind.INCIDENT,
        {"assignee": None, "service": None, "resolution_code": None, "description": ""},
    )
    assert cleared == {"assignee": None, "components": [], "resolution": None, "description": None}


def test_a_create_carries_project_type_and_marker_labels() -> None:
    from itsmhub import KnownError

    record = KnownError(title="Relay drops", status=KnownErrorStatus.DRAFT, tags=["mail"])
    fields = create_fields(TARGET, record, "01JM", {"title": "Relay drops", "tags": ["mail"]})
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Problem"}
    assert fields["labels"] == ["itsmhub-01JM", "known-error", "mail"]
    assert jira_status(TARGET, RecordKind.PROBLEM, "assess") == "Under investigation"
    assert initial_status(TARGET, RecordKind.INCIDENT) == "Open"
    assert ResolutionCode.FIXED in TARGET.settings.mapping.resolutions
