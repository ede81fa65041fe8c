"""``config check`` says what cannot work: secret schemes nothing installed answers, and
connectors asked to do what they cannot."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from itsmhub import plugins as plugin_module
from itsmhub.cli import cli
from itsmhub.plugins import load_plugins

SERVICENOW = """
[connectors.snow]
type = "servicenow"
instance_url = "https://acme.service-now.com"
auth = {{ method = "basic", username = "itsmhub", password = "{password}" }}
"""

SECRET_PLUGIN = """
from itsmhub import hookimpl

@hookimpl
def resolve_secret(ref):
    if ref.scheme == "vault" and ref.target == "kv/snow#password":
        return "from-the-vault"
    return None
"""


def check(tmp_path: Path, text: str, *args: str) -> Result:
    config = tmp_path / "config.toml"
    config.write_text(text)
    return CliRunner().invoke(cli, ["config", "check", str(config), *args])


@pytest.mark.parametrize("args", [[], ["--no-secrets"], ["--json"]])
def test_a_vault_reference_without_a_vault_plugin_fails_naming_the_plugin(
    tmp_path: Path, args: list[str]
) -> None:
    result = check(tmp_path, SERVICENOW.format(password="vault:kv/snow#password"), *args)
    assert result.exit_code == 2, result.output
    assert "connectors.snow.auth.password" in result.output
    assert "no installed plugin handles secret scheme 'vault'" in result.output
    assert "itsmhub-vault" in result.output
    assert "set the variable or create the file" not in result.output


def test_an_unknown_scheme_names_the_hook_to_implement(tmp_path: Path) -> None:
    result = check(tmp_path, SERVICENOW.format(password="acme-safe:snow"), "--json")
    assert result.exit_code == 2
    [error] = json.loads(result.output)["errors"]
    assert error["message"] == "no installed plugin handles secret scheme 'acme-safe'"
    assert "resolve_secret hook for acme-safe:" in error["fix"]


def test_a_disabled_connector_is_not_held_to_it(tmp_path: Path) -> None:
    text = SERVICENOW.format(password="vault:kv/snow#password") + "enabled = false\n"
    assert check(tmp_path, text).exit_code == 0


def test_with_a_secret_plugin_the_reference_is_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_entry_point
) -> None:
    installed = [p for p in entry_points(group="itsmhub") if p.name == "servicenow"]
    points = [*installed, make_entry_point("vault-backend", SECRET_PLUGIN)]
    monkeypatch.setattr(plugin_module, "_cached", load_plugins(environ={}, discovered=points))

    found = check(tmp_path, SERVICENOW.format(password="vault:kv/snow#password"))
    assert found.exit_code == 0, found.output
    assert "warning" not in found.output

    missing = check(tmp_path, SERVICENOW.format(password="vault:kv/other"))
    assert missing.exit_code == 0  # a missing secret warns; it may exist where sync runs
    assert "warning: connectors.snow.auth.password" in missing.output
    assert "check that vault:kv/other exists where vault-backend looks" in missing.output
    assert "from-the-vault" not in found.output + missing.output


READ_ONLY_PLUGIN = """
from itsmhub import Connector, ConnectorSettings, RecordKind, hookimpl

class ReadOnly(Connector):
    kind = "readonly"
    settings_model = ConnectorSettings
    record_kinds = frozenset({RecordKind.INCIDENT})

    def pull(self, request):
        return iter(())

class Planned(Connector):
    # a connector whose plugin ships before its reads do

    kind = "planned"
    settings_model = ConnectorSettings
    record_kinds = frozenset({RecordKind.INCIDENT})

@hookimpl
def register_connectors(register):
    register(ReadOnly)
    register(Planned)
"""

TWO_SYSTEMS = (
    SERVICENOW.format(password="env:SNOW_PASSWORD") + '[connectors.desk]\ntype = "readonly"\n'
)


@pytest.fixture
def readonly(monkeypatch: pytest.MonkeyPatch, make_entry_point) -> None:
    """ServiceNow (it can do everything), a connector that can only pull incidents and one
    that cannot even pull yet."""
    installed = [p for p in entry_points(group="itsmhub") if p.name == "servicenow"]
    points = [*installed, make_entry_point("readonly", READ_ONLY_PLUGIN)]
    monkeypatch.setattr(plugin_module, "_cached", load_plugins(environ={}, discovered=points))


def errors(result: Result) -> dict[str, str]:
    assert result.exit_code == 2, result.output
    return {e["path"]: e["message"] for e in json.loads(result.output)["errors"]}


def test_a_connector_that_cannot_pull_is_an_error(tmp_path: Path, readonly: None) -> None:
    text = (
        TWO_SYSTEMS
        + """
[connectors.next]
type = "planned"
"""
    )
    found = errors(check(tmp_path, text, "--no-secrets", "--json"))
    assert found == {
        "connectors.next.type": "the planned connector cannot pull changes yet"
        " (it can: nothing yet)"
    }
    disabled = text.replace('type = "planned"', 'type = "planned"\nenabled = false')
    assert check(tmp_path, disabled, "--no-secrets").exit_code == 0


def test_rules_asking_connectors_what_they_cannot_do(tmp_path: Path, readonly: None) -> None:
    text = (
        TWO_SYSTEMS
        + """
[rules.into-desk]
type = "routing"
from = "snow"
to = ["desk"]
kinds = ["incident", "problem"]

[rules.back-from-desk]
type = "routing"
from = "desk"
to = ["snow"]

[rules.recurs]
type = "recurrence"
create_in = "desk"

[rules.off]
type = "routing"
enabled = false
from = "snow"
to = ["desk"]
"""
    )
    found = errors(check(tmp_path, text, "--no-secrets", "--json"))
    assert found == {
        "rules.into-desk.kinds": "desk (readonly) holds no problem records",
        "rules.into-desk.to[0]": "desk (readonly) cannot create records yet (it can: pull)",
        "rules.back-from-desk.both_ways": "desk (readonly) cannot update records yet, so "
        "changes to the copies cannot come back (it can: pull)",
        "rules.recurs.create_in": "desk (readonly) holds no problems, and this rule opens one",
    }
    human = check(tmp_path, text, "--no-secrets")
    assert "fix: set both_ways = false" in human.output


def test_what_the_connectors_can_do_checks_clean(tmp_path: Path, readonly: None) -> None:
    text = (
        TWO_SYSTEMS
        + """
[rules.back-from-desk]
type = "routing"
from = "desk"
to = ["snow"]
both_ways = false

[rules.recurs]
type = "recurrence"
create_in = "snow"
"""
    )
    result = check(tmp_path, text, "--no-secrets")
    assert result.exit_code == 0, result.output


def test_target_options_a_connector_does_not_take_are_an_error(
    tmp_path: Path, readonly: None
) -> None:
    text = (
        TWO_SYSTEMS
        + """
[rules.desk-to-snow]
type = "routing"
from = "desk"
to = ["snow"]
both_ways = false
target.snow = { table = "u_incident" }
"""
    )
    found = errors(check(tmp_path, text, "--no-secrets", "--json"))
    assert found == {
        "rules.desk-to-snow.target.snow": "the servicenow connector takes no target options"
    }
