"""ServiceNow end to end: the emulator served on 127.0.0.1, the real connector and engine
through the CLI, and a second (fake) system on the other side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fakes.connector import REMOTES
from fakes.remote import FakeRemote

from itsmhub import plugins as plugin_module
from itsmhub.cli import cli
from itsmhub.plugins import load_plugins
from itsmhub.testing import serve
from itsmhub_servicenow.emulator import Instance, build_app, seed_instance


@pytest.fixture
def served() -> Iterator[tuple[str, Instance]]:
    """A seeded instance on a socket bound before the server starts; stopped after."""
    instance = Instance()
    seed_instance(instance, 7, incidents=12)
    with serve(build_app(instance)) as url:
        yield url, instance


@pytest.fixture
def hub_config(
    served: tuple[str, Instance], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Instance, FakeRemote]]:
    url, instance = served
    plugins = load_plugins(
        environ={"ITSMHUB_LOAD_PLUGINS": "servicenow", "ITSMHUB_PLUGIN_MODULES": "fakes.plugin"}
    )
    assert not plugins.broken, plugins.broken
    monkeypatch.setattr(plugin_module, "_cached", plugins)
    monkeypatch.setenv("ITSMHUB_TEST_SNOW_PASSWORD", "admin")
    jira = REMOTES[f"{tmp_path}-jira"] = FakeRemote()
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "itsmhub.db"}"
[http]
allow_private_networks = true
[connectors.servicenow]
type = "servicenow"
instance_url = "{url}"
auth = {{ method = "basic", username = "admin", password = "env:ITSMHUB_TEST_SNOW_PASSWORD" }}
page_size = 5
[connectors.jira]
type = "fake"
remote = "{tmp_path}-jira"
[rules.operations-to-engineering]
type = "routing"
from = "servicenow"
to = ["jira"]
"""
    )
    yield config, instance, jira
    REMOTES.pop(f"{tmp_path}-jira", None)


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_connectors_check_against_the_emulator(hub_config) -> None:
    config, _, _ = hub_config
    result = run(config, "connectors", "check", "--connector", "servicenow", "--json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)["connectors"]
    assert report["ok"] and {i["name"] for i in report["items"]} >= {"auth"}


def test_incidents_flow_to_the_other_system_and_changes_come_back(hub_config) -> None:
    config, instance, jira = hub_config
    first = run(config, "sync", "--once", "--json")
    assert first.exit_code == 0, first.output
    incidents = [r for r in jira.records.values() if r.kind == "incident"]
    assert len(incidents) == 12
    copy = incidents[0]
    jira.edit(copy.remote_id, status="on_hold")
    second = run(config, "sync", "--once", "--json")
    assert second.exit_code == 0, second.output
    shown = json.loads(run(config, "records", "show", f"jira:{copy.remote_id}", "--json").output)
    sys_id = next(r["remote_id"] for r in shown["refs"] if r["system"] == "servicenow")
    assert instance.tables["incident"][sys_id]["state"] == "3"  # On Hold, written by the hub
    again = json.loads(run(config, "sync", "--once", "--json").output)
    assert again["connectors"]["servicenow"]["push"]["pushed"] == 0  # settled: no echo
