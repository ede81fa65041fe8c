"""Rules end to end, through the CLI: incidents filed in two tools (fakes) open one problem
in a third (the ServiceNow emulator on 127.0.0.1, through the real connector); once an
engineer marks it a known error there, a new incident in the first tool receives the
workaround, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fakes.connector import REMOTES
from fakes.remote import FakeClock, FakeRemote

from itsmhub import plugins as plugin_module
from itsmhub import utcnow
from itsmhub.cli import cli
from itsmhub.plugins import load_plugins
from itsmhub.testing import serve
from itsmhub_servicenow.emulator import Instance, build_app

CONFIG = """
[store]
url = "sqlite:///{folder}/itsmhub.db"
[http]
allow_private_networks = true
[connectors.servicenow]
type = "servicenow"
instance_url = "{url}"
auth = {{ method = "basic", username = "admin", password = "env:ITSMHUB_TEST_SNOW_PASSWORD" }}
[connectors.zendesk]
type = "fake"
remote = "{folder}-zendesk"
[connectors.jira]
type = "fake"
remote = "{folder}-jira"

[rules.vpn-recurs]
type = "recurrence"
fingerprint = ["title", "service"]
threshold = 3
window = "7d"
create_in = "servicenow"

[rules.workarounds]
type = "known_error_feedback"
similarity = 0.6
"""


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Instance, FakeRemote, FakeRemote]]:
    instance = Instance()
    plugins = load_plugins(
        environ={"ITSMHUB_LOAD_PLUGINS": "servicenow", "ITSMHUB_PLUGIN_MODULES": "fakes.plugin"}
    )
    assert not plugins.broken, plugins.broken
    monkeypatch.setattr(plugin_module, "_cached", plugins)
    monkeypatch.setenv("ITSMHUB_TEST_SNOW_PASSWORD", "admin")
    # The tools' clocks agree with the hub's: the feedback window is counted from now.
    zendesk = REMOTES[f"{tmp_path}-zendesk"] = FakeRemote(FakeClock(current=utcnow()))
    jira = REMOTES[f"{tmp_path}-jira"] = FakeRemote(FakeClock(current=utcnow()))
    with serve(build_app(instance)) as url:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG.format(folder=tmp_path, url=url))
        yield config, instance, zendesk, jira
    for name in ("zendesk", "jira"):
        REMOTES.pop(f"{tmp_path}-{name}", None)


def sync(config: Path) -> Result:
    result = CliRunner().invoke(
        cli, ["--config", str(config), "sync", "--once"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result


def test_two_tools_open_a_problem_in_a_third_and_its_workaround_comes_back(world) -> None:
    config, instance, zendesk, jira = world
    zendesk.add("incident", title="VPN drops every few minutes on lt-0423", service="vpn")
    jira.add("incident", title="vpn drops every few minutes for jdoe", service="vpn")
    zendesk.add("incident", title="Printer offline on floor 3", service="printing")
    sync(config)
    assert instance.rows("problem") == []

    zendesk.add("incident", title="URGENT: VPN drops every few minutes", service="vpn")
    sync(config)
    sync(config)
    [problem] = instance.rows("problem")
    assert problem["short_description"].startswith("Recurring: ")
    assert problem["description"].count("similarity") == 3
    assert "Printer" not in problem["description"]
    assert problem["correlation_id"].startswith("itsmhub-"), "created through the outbox"

    sync(config)
    assert len(instance.rows("problem")) == 1, "no second problem, whatever the cycles"

    # An engineer documents the workaround in ServiceNow.
    instance.update(
        "problem",
        problem["sys_id"],
        {"known_error": "true", "workaround": "Connect through the backup gateway vpn2"},
    )
    sync(config)
    new = zendesk.add("incident", title="VPN drops every few minutes again", service="vpn")
    sync(config)
    sync(config)
    notes = [c for c in zendesk.get(new.remote_id).comments if "backup gateway" in c.body]
    assert len(notes) == 1
    assert notes[0].visibility == "internal"
    sync(config)
    again = [c for c in zendesk.get(new.remote_id).comments if "backup gateway" in c.body]
    assert len(again) == 1, "the workaround arrives exactly once"
