"""The zendesk plugin's settings, registration and what its connector declares."""

from __future__ import annotations

import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from itsmhub import (
    Connector,
    IncidentStatus,
    KnownErrorStatus,
    LinkKind,
    Priority,
    ProblemStatus,
    RecordKind,
    SecretRef,
    WebhookRejected,
    WebhookRequest,
    utcnow,
)
from itsmhub.config import ConfigInvalid, load_config
from itsmhub_zendesk import mapping_defaults as defaults
from itsmhub_zendesk.connector import ZendeskConnector
from itsmhub_zendesk.mapping_defaults import TicketPriority, TicketStatus
from itsmhub_zendesk.settings import ZendeskMapping, ZendeskSettings

MINIMAL: dict[str, Any] = {
    "type": "zendesk",
    "subdomain": "acme",
    "email": "itsmhub@acme.example",
    "api_token": "env:ITSMHUB_ZENDESK_TOKEN",
}
BY_URL = {"url": "https://acme.zendesk.com"}
BY_OAUTH = {"oauth_token": "env:ITSMHUB_ZENDESK_OAUTH"}
READ_INCIDENT = {z.value: s.value for z, s in defaults.READ_INCIDENT_STATUSES.items()}
READ_PRIORITIES = {z.value: p.value for z, p in defaults.READ_PRIORITIES.items()}


def test_minimal_settings_get_the_documented_defaults(validate) -> None:
    settings = validate(ZendeskSettings, MINIMAL)
    assert settings.base_url == "https://acme.zendesk.com"
    assert settings.url is None and settings.oauth_token is None
    assert settings.api_token == SecretRef(scheme="env", target="ITSMHUB_ZENDESK_TOKEN")
    assert settings.webhook_secret is None
    assert (settings.page_size, settings.requests_per_minute) == (1000, 200)
    assert settings.export_requests_per_minute == 10 and settings.sync_comments
    mapping = settings.mapping
    assert mapping.statuses.incident[IncidentStatus.ON_HOLD] is TicketStatus.PENDING
    assert mapping.statuses.problem[ProblemStatus.CANCELED] is TicketStatus.CLOSED
    assert mapping.read_statuses.incident[TicketStatus.HOLD] is IncidentStatus.ON_HOLD
    assert [mapping.priorities[p] for p in Priority] == ["urgent", "high", "normal", "low", "low"]
    assert mapping.read_priorities == {
        TicketPriority.URGENT: Priority.P1,
        TicketPriority.HIGH: Priority.P2,
        TicketPriority.NORMAL: Priority.P3,
        TicketPriority.LOW: Priority.P4,
    }
    assert mapping.known_error_tag == "known_error"
    assert mapping.custom_fields == mapping.group_ids == {}


def test_the_mapping_defaults_are_the_data_module() -> None:
    mapping = ZendeskMapping()
    for kind in ("incident", "problem", "known_error"):
        upper = kind.upper()
        assert getattr(mapping.statuses, kind) == getattr(defaults, f"{upper}_STATUSES")
        assert getattr(mapping.read_statuses, kind) == getattr(defaults, f"READ_{upper}_STATUSES")
    assert mapping.priorities == defaults.PRIORITIES
    assert mapping.read_priorities == defaults.READ_PRIORITIES


def test_the_default_maps_read_back_what_they_write() -> None:
    mapping = ZendeskMapping()
    for kind, enum in [
        ("incident", IncidentStatus),
        ("problem", ProblemStatus),
        ("known_error", KnownErrorStatus),
    ]:
        write, read = getattr(mapping.statuses, kind), getattr(mapping.read_statuses, kind)
        for status in enum:
            assert write[read[write[status]]] == write[status]
    for priority in Priority:
        written = mapping.priorities[priority]
        assert mapping.priorities[mapping.read_priorities[written]] == written


@pytest.mark.parametrize(("host", "token"), [(BY_URL, BY_OAUTH), ({}, BY_OAUTH), (BY_URL, {})])
def test_each_alternative_validates_and_round_trips(validate, merged, host, token) -> None:
    drop = [("subdomain",)] * bool(host) + [("api_token",), ("email",)] * bool(token)
    settings = validate(ZendeskSettings, merged(MINIMAL, host | token, drop=drop))
    assert settings.base_url == "https://acme.zendesk.com"
    assert validate(ZendeskSettings, settings.model_dump(mode="json")) == settings


def lacks(*keys: str) -> list[tuple[str, ...]]:
    return [(key,) for key in keys]


MISTAKES = [
    ({"sub_domain": "acme"}, [], [("sub_domain",)], "extra_forbidden"),
    ({"subdomain": "Acme Corp"}, [], [("subdomain",)], "string_pattern_mismatch"),
    ({"page_size": 1001}, [], [("page_size",)], "less_than_equal"),
    ({"export_requests_per_minute": 0}, [], [("export_requests_per_minute",)], "greater_than"),
    ({}, lacks("subdomain"), [("subdomain",)], "exclusive_keys"),
    (BY_URL, [], [("url",)], "exclusive_keys"),
    ({"url": "acme.zendesk.com"}, lacks("subdomain"), [("url",)], "url_parsing"),
    ({"url": "https://acme.zendesk.com/agent"}, lacks("subdomain"), [("url",)], "value_error"),
    ({"api_token": "9f8e7d6c5b4a"}, [], [("api_token",)], "value_error"),
    ({}, lacks("api_token"), [("api_token",)], "exclusive_keys"),
    (BY_OAUTH, [], [("oauth_token",)], "exclusive_keys"),
    ({}, lacks("email"), [("email",)], "exclusive_keys"),
    (BY_OAUTH, lacks("api_token"), [("email",)], "exclusive_keys"),
    ({"webhook_secret": "dGhpc19zZWNyZXQ="}, [], [("webhook_secret",)], "value_error"),
    (
        {"mapping": {"statuses": {"incident": {"onhold": "pending"}}}},
        [],
        [("mapping", "statuses", "incident", "onhold", "[key]")],
        "enum",
    ),
    (
        {"mapping": {"statuses": {"incident": {"new": "fresh"}}}},
        [],
        [("mapping", "statuses", "incident", "new")],
        "enum",
    ),
    (
        {"mapping": {"read_statuses": {"incident": READ_INCIDENT | {"open": "resolved"}}}},
        [],
        [("mapping", "read_statuses", "incident", "open")],
        "mapping_round_trip",
    ),
    (
        {"mapping": {"read_priorities": READ_PRIORITIES | {"urgent": 2}}},
        [],
        [("mapping", "read_priorities", "urgent")],
        "mapping_round_trip",
    ),
    (
        {"mapping": {"custom_fields": {"root_cause": "Root cause"}}},
        [],
        [("mapping", "custom_fields", "root_cause")],
        "int_parsing",
    ),
    (
        {"mapping": {"group_ids": {"network": 0}}},
        [],
        [("mapping", "group_ids", "network")],
        "greater_than",
    ),
    (
        {"mapping": {"known_error_tag": "Known Error"}},
        [],
        [("mapping", "known_error_tag")],
        "string_pattern_mismatch",
    ),
]


@pytest.mark.parametrize(("patch", "drop", "locs", "kind"), MISTAKES)
def test_each_mistake_is_reported_at_its_key(errors, merged, patch, drop, locs, kind) -> None:
    found = errors(ZendeskSettings, merged(MINIMAL, patch, drop=drop))
    assert [e["loc"] for e in found] == locs
    assert {e["type"] for e in found} == {kind}


def test_alternatives_are_judged_even_when_a_value_is_wrong(errors, merged) -> None:
    data = merged(MINIMAL, {"subdomain": "Acme Corp", "oauth_token": "9f8e7d6c"})
    found = errors(ZendeskSettings, data)
    assert [(e["loc"], e["type"]) for e in found] == [
        (("subdomain",), "string_pattern_mismatch"),
        (("oauth_token",), "value_error"),
        (("oauth_token",), "exclusive_keys"),
    ]
    assert found[2]["input"] == ["subdomain", "api_token", "oauth_token", "email"]


def test_an_incomplete_read_map_names_each_missing_value(errors, merged) -> None:
    patch = {"mapping": {"read_priorities": {"urgent": 1, "high": 2}}}
    found = errors(ZendeskSettings, merged(MINIMAL, patch))
    assert [(e["loc"], e["msg"]) for e in found] == [
        (("mapping", "read_priorities"), f"no priority for {p!r}; add {p} = <1 to 5>")
        for p in ("normal", "low")
    ]


def test_config_check_reports_each_mistake_at_its_key_path(
    tmp_path: Path, installed_plugins
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        textwrap.dedent("""
        [connectors.desk]
        type = "zendesk"
        subdomain = "acme"
        url = "https://acme.zendesk.com"
        oauth_token = "env:ZENDESK_OAUTH"

        [connectors.desk.mapping.statuses]
        incident = { new = "new", in_progress = "open", on_hold = "pending", resolved = "solved" }
    """)
    )
    with pytest.raises(ConfigInvalid) as info:
        load_config(path, installed_plugins, resolve_secrets=False)
    # Which keys are given is judged even when a value elsewhere is wrong: one run shows all.
    issues = {issue.path: issue for issue in info.value.issues}
    assert set(issues) == {"connectors.desk.url", "connectors.desk.mapping.statuses.incident"}
    assert issues["connectors.desk.url"].message == "give subdomain or url, not both; remove one"
    assert issues["connectors.desk.url"].value is None
    assert [i.message for i in info.value.issues if i.path.endswith("incident")] == [
        f'no ticket status for {s!r}; add {s} = "<ticket status>"' for s in ("closed", "canceled")
    ]


def test_the_connector_declares_itself() -> None:
    assert ZendeskConnector.kind == "zendesk"
    assert ZendeskConnector.settings_model is ZendeskSettings
    assert ZendeskConnector.record_kinds == {
        RecordKind.INCIDENT,
        RecordKind.PROBLEM,
        RecordKind.KNOWN_ERROR,
    }
    assert ZendeskConnector.capabilities() == [
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
        "job_outcomes",
        "resolve_people",
        "verify_webhook",
    ]
    assert ZendeskConnector.single_valued_links == {LinkKind.CAUSED_BY}
    assert ZendeskConnector.max_batch == 100


@pytest.mark.anyio
async def test_the_connector_refuses_deliveries_without_a_secret(validate, context) -> None:
    settings = validate(ZendeskSettings, MINIMAL)
    async with ZendeskConnector("desk", settings, context) as connector:
        assert [s.name for s in connector.streams()] == ["tickets", "ticket_events"]
        with pytest.raises(WebhookRejected, match="no webhook_secret"):
            connector.verify_webhook(WebhookRequest(body=b"{}", received_at=utcnow()))


def test_the_plugin_registers_through_its_entry_point() -> None:
    [entry] = [ep for ep in entry_points(group="itsmhub") if ep.name == "zendesk"]
    assert entry.value == "itsmhub_zendesk.plugin"
    registered: list[type[Connector]] = []
    entry.load().register_connectors(register=registered.append)
    assert registered == [ZendeskConnector]
