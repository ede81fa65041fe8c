"""The jira plugin's settings, registration and declared capabilities."""

from __future__ import annotations

import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from itsmhub import Connector, IncidentStatus, Priority, RecordKind, SecretRef
from itsmhub.config import ConfigInvalid, load_config
from itsmhub_jira import mapping_defaults as defaults
from itsmhub_jira.connector import JiraConnector
from itsmhub_jira.settings import JiraMapping, JiraSettings

MINIMAL: dict[str, Any] = {
    "type": "jira",
    "site_url": "https://acme.atlassian.net",
    "email": "itsmhub@acme.example",
    "api_token": "env:ITSMHUB_JIRA_TOKEN",
    "projects": ["OPS"],
}


def test_minimal_settings_get_the_documented_defaults(validate) -> None:
    settings = validate(JiraSettings, MINIMAL)
    assert str(settings.site_url) == "https://acme.atlassian.net/"
    assert settings.api_token == SecretRef(scheme="env", target="ITSMHUB_JIRA_TOKEN")
    assert settings.cloud_id is None and settings.webhook_secret is None
    assert settings.enabled and not settings.custom_domain
    mapping = settings.mapping
    assert mapping.issue_types.model_dump() == {
        "incident": "Incident",
        "problem": "Problem",
        "known_error": "Problem",
    }
    assert mapping.statuses.incident[IncidentStatus.ON_HOLD] == "Pending"
    assert mapping.priorities == {
        Priority.P1: "Highest",
        Priority.P2: "High",
        Priority.P3: "Medium",
        Priority.P4: "Low",
        Priority.P5: "Lowest",
    }
    assert mapping.link_type == "Problem/Incident"
    assert mapping.marker_label_prefix == "itsmhub-"
    assert mapping.known_error_label == "known-error"
    assert mapping.custom_fields == {}


def test_the_mapping_defaults_are_the_data_module(validate) -> None:
    mapping = JiraMapping()
    assert mapping.statuses.incident == defaults.INCIDENT_STATUSES
    assert mapping.statuses.problem == defaults.PROBLEM_STATUSES
    assert mapping.statuses.known_error == defaults.KNOWN_ERROR_STATUSES
    assert mapping.priorities == defaults.PRIORITIES
    assert {RecordKind(k): v for k, v in mapping.issue_types.model_dump().items()} == (
        defaults.ISSUE_TYPES
    )
    # Defaults are copies: changing one connector's map leaves the data and others alone.
    mapping.statuses.incident[IncidentStatus.NEW] = "To Do"
    assert defaults.INCIDENT_STATUSES[IncidentStatus.NEW] == "Open"
    assert JiraMapping().statuses.incident[IncidentStatus.NEW] == "Open"


def test_settings_round_trip_through_their_dump(validate, merged) -> None:
    data = merged(
        MINIMAL,
        {
            "cloud_id": "11223344-a1b2-3b33-c444-def123456789",
            "webhook_secret": "file:secrets/jira-webhook",
            "mapping": {"custom_fields": {"root_cause": "customfield_10050"}},
        },
    )
    settings = validate(JiraSettings, data)
    assert settings.cloud_id == UUID("11223344-a1b2-3b33-c444-def123456789")
    again = validate(JiraSettings, settings.model_dump(mode="json"))
    assert again == settings


def test_the_json_schema_shows_patterns_and_descriptions() -> None:
    schema = JiraSettings.model_json_schema()
    assert schema["properties"]["projects"]["items"]["pattern"] == r"^[A-Z][A-Z0-9_]+$"
    assert all("description" in field for field in schema["properties"].values())


MISTAKES = [
    pytest.param({"projets": ["OPS"]}, [("projets",)], "extra_forbidden", id="unknown key"),
    pytest.param({"site_url": "acme"}, [("site_url",)], "url_parsing", id="not a URL"),
    pytest.param(
        {"site_url": "ftp://acme.atlassian.net"}, [("site_url",)], "url_scheme", id="not http(s)"
    ),
    pytest.param(
        {"site_url": "https://acme.atlassian.net/jira/servicedesk"},
        [("site_url",)],
        "value_error",
        id="URL with a path",
    ),
    pytest.param(
        {"api_token": "ATATT3xFfGF0-pasted"}, [("api_token",)], "value_error", id="pasted secret"
    ),
    pytest.param(
        {"webhook_secret": "hunter2"},
        [("webhook_secret",)],
        "value_error",
        id="pasted webhook secret",
    ),
    pytest.param({"email": "itsmhub"}, [("email",)], "string_pattern_mismatch", id="bad email"),
    pytest.param({"projects": []}, [("projects",)], "too_short", id="no project"),
    pytest.param(
        {"projects": ["OPS", "ops"]},
        [("projects", 1)],
        "string_pattern_mismatch",
        id="lower-case project key",
    ),
    pytest.param(
        {"projects": ["OPS", "SUP", "OPS"]}, [("projects", 2)], "duplicate", id="project twice"
    ),
    pytest.param({"cloud_id": "acme"}, [("cloud_id",)], "uuid_parsing", id="bad cloud id"),
    pytest.param(
        {"site_url": "https://api.atlassian.com"},
        [("cloud_id",)],
        "missing_alternative",
        id="gateway without cloud id",
    ),
    pytest.param(
        {"mapping": {"statuses": {"incident": {"onhold": "Pending"}}}},
        [("mapping", "statuses", "incident", "onhold", "[key]")],
        "enum",
        id="unknown neutral status",
    ),
    pytest.param(
        {"mapping": {"priorities": {"P1": "Highest"}}},
        [("mapping", "priorities", "P1", "[key]")],
        "enum",
        id="priority as P1",
    ),
    pytest.param(
        {"mapping": {"priorities": {1: "A", 2: "A", 3: "B", 4: "C", 5: "D"}}},
        [("mapping", "priorities")],
        "ambiguous_mapping",
        id="shared priority",
    ),
    pytest.param(
        {"mapping": {"custom_fields": {"root_cause": "Root cause"}}},
        [("mapping", "custom_fields", "root_cause")],
        "string_pattern_mismatch",
        id="custom field by name",
    ),
    pytest.param(
        {"mapping": {"issue_types": {"change": "Change"}}},
        [("mapping", "issue_types", "change")],
        "extra_forbidden",
        id="unknown issue type key",
    ),
    pytest.param(
        {"mapping": {"marker_label_prefix": "itsm hub"}},
        [("mapping", "marker_label_prefix")],
        "string_pattern_mismatch",
        id="label with a space",
    ),
]


@pytest.mark.parametrize("key", ["site_url", "email", "api_token", "projects"])
def test_a_missing_required_key_is_reported(errors, merged, key) -> None:
    found = errors(JiraSettings, merged(MINIMAL, drop=[(key,)]))
    assert [(e["loc"], e["type"]) for e in found] == [((key,), "missing")]


@pytest.mark.parametrize(("patch", "locs", "kind"), MISTAKES)
def test_each_mistake_is_reported_at_its_key(errors, merged, patch, locs, kind) -> None:
    found = errors(JiraSettings, merged(MINIMAL, patch))
    assert [e["loc"] for e in found] == locs
    assert {e["type"] for e in found} == {kind}


def test_an_incomplete_status_map_names_each_missing_status(errors, merged) -> None:
    partial = {s.value: "Open" for s in IncidentStatus if s not in {"on_hold", "canceled"}}
    found = errors(JiraSettings, merged(MINIMAL, {"mapping": {"statuses": {"incident": partial}}}))
    assert [(e["loc"], e["msg"]) for e in found] == [
        (
            ("mapping", "statuses", "incident"),
            "no Jira status for 'on_hold'; add on_hold = \"<status name>\"",
        ),
        (
            ("mapping", "statuses", "incident"),
            "no Jira status for 'canceled'; add canceled = \"<status name>\"",
        ),
    ]


def test_a_pasted_secret_is_not_echoed(errors, merged) -> None:
    [error] = errors(JiraSettings, merged(MINIMAL, {"api_token": "ATATT3xFfGF0-pasted"}))
    assert "not the secret itself" in error["msg"]
    assert "ATATT3xFfGF0" not in error["msg"]


def test_config_check_reports_each_mistake_at_its_key_path(
    tmp_path: Path, installed_plugins
) -> None:
    statuses = ", ".join(f'{s.value} = "x"' for s in IncidentStatus if s != "on_hold")
    path = tmp_path / "config.toml"
    path.write_text(
        textwrap.dedent(f"""
        [connectors.jira]
        type = "jira"
        site_url = "https://acme.atlassian.net"
        email = "itsmhub@acme.example"
        api_token = "ATATT3xFfGF0-pasted"
        projets = ["OPS"]

        [connectors.jira.mapping.statuses]
        incident = {{ {statuses} }}
    """)
    )
    with pytest.raises(ConfigInvalid) as info:
        load_config(path, installed_plugins, resolve_secrets=False)
    issues = {issue.path: issue for issue in info.value.issues}
    assert set(issues) == {
        "connectors.jira.projects",
        "connectors.jira.projets",
        "connectors.jira.api_token",
        "connectors.jira.mapping.statuses.incident",
    }
    assert issues["connectors.jira.projets"].fix == "did you mean 'projects'? (or remove the key)"
    assert issues["connectors.jira.mapping.statuses.incident"].message == (
        "no Jira status for 'on_hold'; add on_hold = \"<status name>\""
    )
    assert "ATATT3xFfGF0" not in repr(info.value.issues)


def test_the_connector_declares_itself() -> None:
    assert JiraConnector.kind == "jira"
    assert JiraConnector.settings_model is JiraSettings
    assert JiraConnector.record_kinds == {
        RecordKind.INCIDENT,
        RecordKind.PROBLEM,
        RecordKind.KNOWN_ERROR,
    }
    assert JiraConnector.links_elsewhere and JiraConnector.max_batch == 50
    assert set(JiraConnector.capabilities()) == {
        "check",
        "pull",
        "fetch",
        "find_by_marker",
        "create",
        "update",
        "add_comment",
        "update_comment",
        "link",
        "unlink",
        "write_many",
        "resolve_people",
        "verify_webhook",
    }


@pytest.mark.anyio
async def test_an_instance_holds_only_the_fields_its_site_maps(validate, context) -> None:
    data = {**MINIMAL, "search_lag": "10m"}
    data["mapping"] = {"custom_fields": {"root_cause": "customfield_10050"}}
    async with JiraConnector("jira", validate(JiraSettings, data), context) as connector:
        assert connector.synced_fields is not None
        assert "root_cause" in connector.synced_fields
        assert (
            "workaround" not in connector.synced_fields and "custom" not in connector.synced_fields
        )
        assert connector.marker_lag.total_seconds() == 600
        [stream] = connector.streams()
        assert stream.overlap.total_seconds() == 600 and len(stream.kinds) == 3


def test_search_lag_under_a_minute_is_refused(errors, merged) -> None:
    [error] = errors(JiraSettings, merged(MINIMAL, {"search_lag": "30s"}))
    assert error["loc"] == ("search_lag",) and "at least 1m" in error["msg"]


def test_the_plugin_registers_through_its_entry_point() -> None:
    [entry] = [ep for ep in entry_points(group="itsmhub") if ep.name == "jira"]
    assert entry.value == "itsmhub_jira.plugin"
    registered: list[type[Connector]] = []
    entry.load().register_connectors(register=registered.append)
    assert registered == [JiraConnector]
    emulators: list[type] = []
    entry.load().register_emulators(register=emulators.append)
    assert [e.kind for e in emulators] == ["jira"]
