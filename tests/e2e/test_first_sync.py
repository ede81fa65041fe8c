"""A newcomer's first sync, as the README tells it: `itsmhub init`, the ServiceNow
emulator, `config check`, `sync --once`; nothing edited but the emulator's port."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from itsmhub.cli import cli
from itsmhub.emulation import serve
from itsmhub_servicenow.emulator import ServiceNowEmulator

#: Where the example config expects `itsmhub emulate servicenow` (its default port).
EXAMPLE_URL = "http://127.0.0.1:8080"


def test_init_then_a_first_sync_against_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    config = tmp_path / "config.toml"
    assert EXAMPLE_URL in config.read_text()
    with serve(ServiceNowEmulator(incidents=20).app(seed=1)) as url:
        config.write_text(config.read_text().replace(EXAMPLE_URL, url))  # port 0 here
        env = {"SERVICENOW_PASSWORD": "admin"}  # what `itsmhub emulate` prints
        checked = runner.invoke(cli, ["config", "check", "--strict"], env=env)
        assert checked.exit_code == 0, checked.output
        synced = runner.invoke(cli, ["sync", "--once", "--json"], env=env)
        assert synced.exit_code == 0, synced.output
    report = json.loads(synced.output)
    pulled = report["connectors"]["servicenow"]["pull"]
    assert pulled["created"] >= 20  # the seeded incidents and problems
    listed = json.loads(runner.invoke(cli, ["records", "list", "--json"]).output)
    assert listed["records"] and all("servicenow" in r["refs"] for r in listed["records"])
    status = runner.invoke(cli, ["status"])
    assert status.exit_code == 0, status.output
