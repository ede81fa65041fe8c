"""The okta plugin's settings, registration and not-yet-implemented connector."""

from __future__ import annotations

import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from itsmhub import Connector, NotImplementedYet, RecordKind, SecretRef
from itsmhub.config import ConfigInvalid, load_config
from itsmhub_okta import mapping_defaults as defaults
from itsmhub_okta.connector import OktaConnector
from itsmhub_okta.settings import ApiTokenAuth, OAuthAuth, OktaSettings

OAUTH: dict[str, Any] = {
    "method": "oauth",
    "client_id": "0oa1b2c3d4e5f6g7h8i9",
    "private_key": "file:okta-key.pem",
}
MINIMAL: dict[str, Any] = {"type": "okta", "org_url": "https://acme.okta.com", "auth": OAUTH}
API_TOKEN = {"method": "api_token", "token": "env:ITSMHUB_OKTA_TOKEN"}


def test_minimal_settings_get_the_documented_defaults(validate, tmp_path: Path) -> None:
    settings = validate(OktaSettings, MINIMAL)
    assert isinstance(settings.auth, OAuthAuth)
    # Relative key files are relative to the config file, not to where itsmhub runs.
    assert settings.auth.private_key == SecretRef(
        scheme="file", target=str(tmp_path / "okta-key.pem")
    )
    assert settings.auth.key_id is None
    assert settings.auth.scopes == [
        "okta.users.read",
        "okta.groups.read",
        "okta.devices.read",
        "okta.logs.read",
    ]
    assert settings.match_people_by == ["email", "login"]
    assert settings.department_attribute == "department"
    assert settings.sync_devices is True
    assert list(defaults.OAUTH_SCOPES) == settings.auth.scopes
    assert list(defaults.MATCH_PEOPLE_BY) == settings.match_people_by


def test_an_api_token_validates_and_its_description_discourages_it(validate, merged) -> None:
    settings = validate(OktaSettings, merged(MINIMAL, {"auth": API_TOKEN}, drop=[("auth",)]))
    assert isinstance(settings.auth, ApiTokenAuth)
    assert "discourages" in (ApiTokenAuth.model_fields["token"].description or "")
    assert validate(OktaSettings, settings.model_dump(mode="json")) == settings


def test_settings_round_trip_through_their_dump(validate, merged) -> None:
    patch = {"match_people_by": ["login"], "department_attribute": "costCenter"}
    settings = validate(OktaSettings, merged(MINIMAL, patch))
    assert validate(OktaSettings, settings.model_dump(mode="json")) == settings


@pytest.mark.parametrize(
    ("drop", "loc"),
    [
        (("org_url",), ("org_url",)),
        (("auth",), ("auth",)),
        (("auth", "private_key"), ("auth", "oauth", "private_key")),
    ],
)
def test_a_missing_required_key_is_reported(errors, merged, drop, loc) -> None:
    found = errors(OktaSettings, merged(MINIMAL, drop=[drop]))
    assert [(e["loc"], e["type"]) for e in found] == [(loc, "missing")]


MISSING_DEVICES = ["okta.users.read", "okta.groups.read", "okta.logs.read"]
MISTAKES = [
    ({"orgurl": "https://acme.okta.com"}, [("orgurl",)], "extra_forbidden"),
    ({"org_url": "acme.okta.com"}, [("org_url",)], "url_parsing"),
    ({"org_url": "https://acme-admin.okta.com"}, [("org_url",)], "value_error"),
    ({"org_url": "https://acme.okta.com/app/UserHome"}, [("org_url",)], "value_error"),
    ({"auth": {"method": "ssws"}}, [("auth",)], "union_tag_invalid"),
    (
        {"auth": API_TOKEN | {"token": "00aBcD-pasted"}},
        [("auth", "api_token", "token")],
        "value_error",
    ),
    (
        {"auth": OAUTH | {"private_key": "-----BEGIN PRIVATE KEY-----"}},
        [("auth", "oauth", "private_key")],
        "value_error",
    ),
    (
        {"auth": OAUTH | {"scopes": ["users.read"]}},
        [("auth", "oauth", "scopes", 0)],
        "string_pattern_mismatch",
    ),
    ({"auth": OAUTH | {"scopes": []}}, [("auth", "oauth", "scopes")], "too_short"),
    (
        {"auth": OAUTH | {"scopes": ["okta.users.read"] * 2}},
        [("auth", "oauth", "scopes", 1)],
        "duplicate",
    ),
    ({"auth": OAUTH | {"scopes": MISSING_DEVICES}}, [("auth", "oauth", "scopes")], "missing_scope"),
    ({"auth": OAUTH | {"secret": "env:X"}}, [("auth", "oauth", "secret")], "extra_forbidden"),
    ({"match_people_by": ["email", "upn"]}, [("match_people_by", 1)], "literal_error"),
    ({"match_people_by": []}, [("match_people_by",)], "too_short"),
    ({"match_people_by": ["email", "email"]}, [("match_people_by", 1)], "duplicate"),
    (
        {"department_attribute": "profile.department"},
        [("department_attribute",)],
        "string_pattern_mismatch",
    ),
    ({"sync_devices": "sometimes"}, [("sync_devices",)], "bool_parsing"),
]


@pytest.mark.parametrize(("patch", "locs", "kind"), MISTAKES)
def test_each_mistake_is_reported_at_its_key(errors, merged, patch, locs, kind) -> None:
    drop = [("auth",)] if "auth" in patch else []
    found = errors(OktaSettings, merged(MINIMAL, patch, drop=drop))
    assert [e["loc"] for e in found] == locs
    assert {e["type"] for e in found} == {kind}


def test_scopes_need_devices_only_when_devices_are_synced(validate, errors, merged) -> None:
    patch = {"auth": OAUTH | {"scopes": MISSING_DEVICES}}
    [error] = errors(OktaSettings, merged(MINIMAL, patch, drop=[("auth",)]))
    assert error["msg"] == "add 'okta.devices.read' (needed for sync_devices = true)"
    no_devices = merged(MINIMAL, patch | {"sync_devices": False}, drop=[("auth",)])
    assert validate(OktaSettings, no_devices).sync_devices is False


def test_config_check_reports_each_mistake_at_its_key_path(
    tmp_path: Path, installed_plugins
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        textwrap.dedent("""
        [connectors.idp]
        type = "okta"
        org_url = "https://acme-admin.okta.com"
        auth = { method = "api_token", token = "env:OKTA_TOKEN" }
        match_people_by = ["email", "upn"]
    """)
    )
    with pytest.raises(ConfigInvalid) as info:
        load_config(path, installed_plugins, resolve_secrets=False)
    issues = {issue.path: issue for issue in info.value.issues}
    assert set(issues) == {"connectors.idp.org_url", "connectors.idp.match_people_by[1]"}
    assert issues["connectors.idp.org_url"].message == (
        "that is the admin console; use the org URL https://acme.okta.com"
    )


def test_the_connector_declares_itself() -> None:
    assert OktaConnector.kind == "okta"
    assert OktaConnector.settings_model is OktaSettings
    assert OktaConnector.record_kinds == {RecordKind.PERSON, RecordKind.DEVICE}
    # A read-only source: nothing that writes, and no correlation markers to look up.
    assert OktaConnector.capabilities() == ["check", "pull", "fetch", "verify_webhook"]


@pytest.mark.anyio
async def test_the_connector_refuses_what_a_read_only_source_cannot_do(validate, context) -> None:
    async with OktaConnector("idp", validate(OktaSettings, MINIMAL), context) as connector:
        with pytest.raises(NotImplementedYet, match="cannot create records"):
            await connector.create(None, marker="m")  # type: ignore[arg-type]
        with pytest.raises(NotImplementedYet):
            await connector.find_by_marker(RecordKind.PERSON, "m")


def test_the_plugin_registers_through_its_entry_point() -> None:
    [entry] = [ep for ep in entry_points(group="itsmhub") if ep.name == "okta"]
    assert entry.value == "itsmhub_okta.plugin"
    registered: list[type[Connector]] = []
    entry.load().register_connectors(register=registered.append)
    assert registered == [OktaConnector]
    emulators: list[type] = []
    entry.load().register_emulators(register=emulators.append)
    assert [e.kind for e in emulators] == ["okta"]
