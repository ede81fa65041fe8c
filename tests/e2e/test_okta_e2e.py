"""Okta end to end: the emulator served on 127.0.0.1, the real connector through the
engine and the CLI: check, a directory backfill, and a sync cycle bringing a new hire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from itsmhub import plugins as plugin_module
from itsmhub.cli import cli
from itsmhub.plugins import load_plugins
from itsmhub.testing import serve
from itsmhub_okta.emulator import Org, add_new_hire, build_app, seed_org


@pytest.fixture
def hub_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Org]]:
    org = Org()
    seed_org(org, 7, people=25)
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "okta"})
    assert not plugins.broken, plugins.broken
    monkeypatch.setattr(plugin_module, "_cached", plugins)
    monkeypatch.setenv("ITSMHUB_TEST_OKTA_TOKEN", "00emulator-api-token")
    with serve(build_app(org)) as url:
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[store]
url = "sqlite:///{tmp_path / "itsmhub.db"}"
[http]
allow_private_networks = true
[connectors.okta]
type = "okta"
org_url = "{url}"
custom_domain = true
auth = {{ method = "api_token", token = "env:ITSMHUB_TEST_OKTA_TOKEN" }}
page_size = 10
"""
        )
        yield config, org


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_connectors_check_against_the_emulator(hub_config) -> None:
    config, _ = hub_config
    result = run(config, "connectors", "check", "--connector", "okta", "--json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)["connectors"]
    assert report["ok"]
    assert {i["name"] for i in report["items"]} >= {"auth", "read users", "read system log"}


def test_a_backfill_loads_the_directory_and_the_log_brings_new_people(hub_config) -> None:
    """Changes to people already in the hub wait for the engine: merging a Person or a
    Device (not a ticket) is part of the engine rewrite (see docs/plugins/okta.md)."""
    config, org = hub_config
    result = run(config, "backfill", "--connector", "okta", "--since", "2000-01-01", "--json")
    assert result.exit_code == 0, result.output
    kinds = json.loads(result.output)["kinds"]
    assert kinds["users"]["created"] == 25
    assert kinds["devices"]["created"] == len(org.devices)
    someone = next(u for u in org.users.values() if u["profile"].get("managerId"))
    shown = json.loads(run(config, "records", "show", f"okta:{someone['id']}", "--json").output)
    fields = shown["fields"]
    assert fields["department"] == someone["profile"]["department"]
    assert fields["groups"] and fields["email"] == someone["profile"]["email"]
    # The manager link resolves when the manager was read first (same page or earlier).
    assert [k["kind"] for k in shown["links"]] in ([], ["managed_by"])
    hire = add_new_hire(org, "Nia", "Newhire")
    cycle = run(config, "sync", "--once", "--connector", "okta", "--json")
    assert cycle.exit_code == 0, cycle.output
    laptop = json.loads(
        run(config, "records", "show", f"okta:{hire.laptop['id']}", "--json").output
    )
    assert laptop["fields"]["serial_number"] == "C02NEWHIRE1"
    person = json.loads(run(config, "records", "show", f"okta:{hire.user['id']}", "--json").output)
    assert person["fields"]["groups"] == ["Everyone"]
    assert [k["kind"] for k in laptop["links"]] == ["used_by"]  # to the new hire's record
