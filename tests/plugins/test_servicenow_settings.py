"""The servicenow plugin's settings, registration and not-yet-implemented connector."""

from __future__ import annotations

import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from itsmhub import (
    Connector,
    Impact,
    IncidentStatus,
    NotImplementedYet,
    ProblemStatus,
    RecordKind,
    ResolutionCode,
    SecretRef,
    WebhookRequest,
    utcnow,
)
from itsmhub.config import ConfigInvalid, load_config
from itsmhub_servicenow import mapping_defaults as defaults
from itsmhub_servicenow.connector import ServiceNowConnector
from itsmhub_servicenow.settings import BasicAuth, OAuthAuth, ServiceNowMapping, ServiceNowSettings

BASIC: dict[str, Any] = {
    "method": "basic",
    "username": "itsmhub",
    "password": "env:ITSMHUB_SNOW_PASSWORD",
}
MINIMAL: dict[str, Any] = {
    "type": "servicenow",
    "instance_url": "https://acme.service-now.com",
    "auth": BASIC,
}
OAUTH: dict[str, Any] = {
    "method": "oauth",
    "grant": "client_credentials",
    "client_id": "4d3c2b1a",
    "client_secret": "env:ITSMHUB_SNOW_CLIENT_SECRET",
}


def test_minimal_settings_get_the_documented_defaults(validate) -> None:
    settings = validate(ServiceNowSettings, MINIMAL)
    assert isinstance(settings.auth, BasicAuth)
    assert settings.auth.password == SecretRef(scheme="env", target="ITSMHUB_SNOW_PASSWORD")
    assert settings.tables.model_dump() == {
        "incident": "incident",
        "problem": "problem",
        "known_error_article": "kb_template_known_error_article",
    }
    assert settings.page_size == 10000
    assert settings.use_known_error_articles is False
    mapping = settings.mapping
    assert [mapping.incident_states[s] for s in IncidentStatus] == ["1", "2", "3", "6", "7", "8"]
    assert mapping.problem_states[ProblemStatus.ROOT_CAUSE_ANALYSIS] == "103"
    assert mapping.impact == {Impact.HIGH: "1", Impact.MEDIUM: "2", Impact.LOW: "3"}
    assert mapping.incident_close_codes[ResolutionCode.FIXED] == "Solved (Permanently)"
    assert mapping.incident_close_codes[ResolutionCode.WORKAROUND] == "Solved (Work Around)"
    assert mapping.categories == mapping.assignment_groups == mapping.custom_fields == {}
    # Priority is computed by ServiceNow from impact and urgency: there is nothing to map.
    assert "priority" not in ServiceNowMapping.model_fields
    assert "priorities" not in ServiceNowMapping.model_fields


def test_the_mapping_defaults_are_the_data_module() -> None:
    mapping = ServiceNowMapping()
    assert mapping.incident_states == defaults.INCIDENT_STATES
    assert mapping.problem_states == defaults.PROBLEM_STATES
    assert mapping.known_error_article_states == defaults.KNOWN_ERROR_ARTICLE_STATES
    assert mapping.impact == defaults.IMPACT and mapping.urgency == defaults.URGENCY
    assert mapping.incident_close_codes == defaults.INCIDENT_CLOSE_CODES
    assert mapping.problem_resolution_codes == defaults.PROBLEM_RESOLUTION_CODES
    mapping.incident_states[IncidentStatus.NEW] = "-5"
    assert ServiceNowMapping().incident_states[IncidentStatus.NEW] == "1"


@pytest.mark.parametrize(
    "auth",
    [
        OAUTH,
        OAUTH | {"grant": "password", "username": "itsmhub", "password": "file:snow-password"},
    ],
    ids=["client_credentials", "password"],
)
def test_oauth_settings_round_trip(validate, merged, auth) -> None:
    settings = validate(ServiceNowSettings, merged(MINIMAL, {"auth": auth}, drop=[("auth",)]))
    assert isinstance(settings.auth, OAuthAuth)
    assert validate(ServiceNowSettings, settings.model_dump(mode="json")) == settings


@pytest.mark.parametrize(
    ("drop", "loc"),
    [
        (("instance_url",), ("instance_url",)),
        (("auth",), ("auth",)),
        (("auth", "password"), ("auth", "basic", "password")),
    ],
)
def test_a_missing_required_key_is_reported(errors, merged, drop, loc) -> None:
    found = errors(ServiceNowSettings, merged(MINIMAL, drop=[drop]))
    assert [(e["loc"], e["type"]) for e in found] == [(loc, "missing")]


PASSWORD_GRANT = OAUTH | {"grant": "password"}
MISTAKES = [
    ({"table": {"incident": "incident"}}, [("table",)], "extra_forbidden"),
    ({"instance_url": "acme.service-now"}, [("instance_url",)], "url_parsing"),
    (
        {"instance_url": "https://acme.service-now.com/now/nav/ui"},
        [("instance_url",)],
        "value_error",
    ),
    ({"auth": BASIC | {"password": "Winter2024!"}}, [("auth", "basic", "password")], "value_error"),
    ({"auth": {"method": "token"}}, [("auth",)], "union_tag_invalid"),
    ({"auth": {"method": None}}, [("auth",)], "union_tag_invalid"),
    (
        {"auth": PASSWORD_GRANT},
        [("auth", "oauth", "username"), ("auth", "oauth", "password")],
        "grant_keys",
    ),
    (
        {"auth": OAUTH | {"username": "itsmhub", "password": "env:P"}},
        [("auth", "oauth", "username"), ("auth", "oauth", "password")],
        "grant_keys",
    ),
    ({"auth": OAUTH | {"grant": "jwt"}}, [("auth", "oauth", "grant")], "literal_error"),
    (
        {"auth": OAUTH | {"client_secret": "s3cr3t"}},
        [("auth", "oauth", "client_secret")],
        "value_error",
    ),
    ({"page_size": 0}, [("page_size",)], "greater_than_equal"),
    ({"page_size": 20000}, [("page_size",)], "less_than_equal"),
    (
        {"tables": {"incident": "Incident table"}},
        [("tables", "incident")],
        "string_pattern_mismatch",
    ),
    (
        {"use_known_error_articles": True, "tables": {"known_error_article": None}},
        [("tables", "known_error_article")],
        "missing_alternative",
    ),
    (
        {"mapping": {"incident_states": {"onhold": "3"}}},
        [("mapping", "incident_states", "onhold", "[key]")],
        "enum",
    ),
    ({"mapping": {"impact": {"high": "1"}}}, [("mapping", "impact", "high", "[key]")], "enum"),
    (
        {"mapping": {"urgency": {1: "1", 2: "1", 3: "3"}}},
        [("mapping", "urgency")],
        "ambiguous_mapping",
    ),
    (
        {"mapping": {"incident_close_codes": {"fixed": "Solved (Permanently)"}}},
        [("mapping", "incident_close_codes")],
        "incomplete_mapping",
    ),
    (
        {"mapping": {"incident_close_codes": {"fixt": "Solved (Permanently)"}}},
        [("mapping", "incident_close_codes", "fixt", "[key]")],
        "enum",
    ),
    (
        {"mapping": {"custom_fields": {"root_cause": "Root Cause"}}},
        [("mapping", "custom_fields", "root_cause")],
        "string_pattern_mismatch",
    ),
    ({"mapping": {"priorities": {1: "1"}}}, [("mapping", "priorities")], "extra_forbidden"),
]


@pytest.mark.parametrize(("patch", "locs", "kind"), MISTAKES)
def test_each_mistake_is_reported_at_its_key(errors, merged, patch, locs, kind) -> None:
    # An auth table in a patch replaces the basic one instead of merging into it.
    drop = [("auth",)] if "auth" in patch else []
    found = errors(ServiceNowSettings, merged(MINIMAL, patch, drop=drop))
    assert [e["loc"] for e in found] == locs
    assert {e["type"] for e in found} == {kind}


def test_grant_keys_are_reported_with_other_mistakes(errors, merged) -> None:
    auth = OAUTH | {"grant": "password", "client_secret": "s3cr3t"}
    found = errors(ServiceNowSettings, merged(MINIMAL, {"auth": auth}, drop=[("auth",)]))
    assert [(e["loc"], e["type"]) for e in found] == [
        (("auth", "oauth", "client_secret"), "value_error"),
        (("auth", "oauth", "username"), "grant_keys"),
        (("auth", "oauth", "password"), "grant_keys"),
    ]
    # The pasted secret is the input of its own error only, never of the grant errors.
    assert all("s3cr3t" not in repr(e["input"]) for e in found[1:])


def test_an_incomplete_state_map_names_each_missing_state(errors, merged) -> None:
    partial = {"new": "101", "assess": "102", "root_cause_analysis": "103", "resolved": "106"}
    found = errors(ServiceNowSettings, merged(MINIMAL, {"mapping": {"problem_states": partial}}))
    assert {e["loc"] for e in found} == {("mapping", "problem_states")}
    assert [e["msg"] for e in found] == [
        f'no problem state for {s!r}; add {s} = "<state value>"'
        for s in ("fix_in_progress", "closed", "canceled")
    ]


def test_config_check_reports_each_mistake_at_its_key_path(
    tmp_path: Path, installed_plugins
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        textwrap.dedent("""
        [connectors.snow]
        type = "servicenow"
        instance_url = "https://acme.service-now.com"
        auth = { method = "basic", username = "itsmhub", password = "env:SNOW_PASSWORD" }
        page_sise = 500

        [connectors.snow.mapping]
        impact = { 1 = "1", 2 = "2" }
        incident_close_codes = { fixed = "Solved (Permanently)", workaround = "Workaround" }
    """)
    )
    with pytest.raises(ConfigInvalid) as info:
        load_config(path, installed_plugins, resolve_secrets=False)
    issues = {issue.path: issue for issue in info.value.issues}
    assert set(issues) == {"connectors.snow.page_sise", "connectors.snow.mapping.impact"}
    assert (
        issues["connectors.snow.page_sise"].fix == "did you mean 'page_size'? (or remove the key)"
    )
    assert issues["connectors.snow.mapping.impact"].message == (
        'no impact for 3; add 3 = "<1, 2 or 3>"'
    )


def test_the_connector_declares_itself() -> None:
    assert ServiceNowConnector.kind == "servicenow"
    assert ServiceNowConnector.settings_model is ServiceNowSettings
    assert ServiceNowConnector.record_kinds == {
        RecordKind.INCIDENT,
        RecordKind.PROBLEM,
        RecordKind.KNOWN_ERROR,
    }
    assert ServiceNowConnector.capabilities() == [
        "check",
        "pull",
        "fetch",
        "find_by_marker",
        "create",
        "update",
        "add_comment",
        "update_comment",
        "link",
        "write_many",
        "resolve_people",
    ]


@pytest.mark.anyio
async def test_the_connector_refuses_what_it_does_not_implement_yet(validate, context) -> None:
    settings = validate(ServiceNowSettings, MINIMAL)
    async with ServiceNowConnector("snow", settings, context) as connector:
        with pytest.raises(NotImplementedYet, match="cannot receive webhooks yet"):
            connector.verify_webhook(WebhookRequest(received_at=utcnow()))


def test_the_plugin_registers_through_its_entry_point() -> None:
    [entry] = [ep for ep in entry_points(group="itsmhub") if ep.name == "servicenow"]
    assert entry.value == "itsmhub_servicenow.plugin"
    registered: list[type[Connector]] = []
    entry.load().register_connectors(register=registered.append)
    assert registered == [ServiceNowConnector]
