"""A newcomer's first sync after `itsmhub init`: the four emulators seeded, each on a free
port, `config check`, `sync --once`; nothing edited in the config but the ports."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner

from itsmhub.cli import cli
from itsmhub.emulation import serve
from itsmhub_jira.emulator import JiraEmulator
from itsmhub_okta.emulator import OktaEmulator
from itsmhub_servicenow.emulator import ServiceNowEmulator
from itsmhub_zendesk.emulator import ZendeskEmulator

#: Where the example config expects each emulator (the demo's ports).
EXAMPLE_URLS = {
    "servicenow": ("http://127.0.0.1:8701", ServiceNowEmulator(incidents=20)),
    "jira": ("http://127.0.0.1:8702", JiraEmulator(incidents=10)),
    "zendesk": ("http://127.0.0.1:8703", ZendeskEmulator(tickets=10)),
    "okta": ("http://127.0.0.1:8704", OktaEmulator(people=10)),
}


def test_init_then_a_first_sync_against_the_emulators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    config = tmp_path / "config.toml"
    text = config.read_text()
    env: dict[str, str] = {}
    with ExitStack() as stack:
        for example, emulator in EXAMPLE_URLS.values():
            assert example in text
            url = stack.enter_context(serve(emulator.app(seed=1)))
            text = text.replace(example, url)  # port 0 here
            env.update(emulator.connector_config(url, {}).environment)  # what emulate prints
        config.write_text(text)
        checked = runner.invoke(cli, ["config", "check", "--strict"], env=env)
        assert checked.exit_code == 0, checked.output
        synced = runner.invoke(cli, ["sync", "--once", "--json"], env=env)
        assert synced.exit_code == 0, synced.output
    report = json.loads(synced.output)
    assert report["connectors"]["servicenow"]["pull"]["created"] >= 20
    assert {n for n, c in report["connectors"].items() if c["pull"]["created"]} == {
        "servicenow",
        "jira",
        "zendesk",
        "okta",
    }
    listed = json.loads(runner.invoke(cli, ["records", "list", "--json"]).output)
    assert listed["records"]
    status = runner.invoke(cli, ["status"])
    assert status.exit_code == 0, status.output
