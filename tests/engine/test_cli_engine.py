"""The engine through the CLI, as an admin drives it: sync, plan, status, records, dlq."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fakes.connector import REMOTES
from fakes.remote import FakeRemote
from fakes.world import plugins_with_fake

from itsmhub import plugins as plugin_module
from itsmhub.cli import cli


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, dict]]:
    monkeypatch.setattr(plugin_module, "_cached", plugins_with_fake())
    remotes = {name: FakeRemote() for name in ("zendesk", "jira")}
    for name, remote in remotes.items():
        REMOTES[f"{tmp_path}-{name}"] = remote
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "itsmhub.db"}"
[connectors.zendesk]
type = "fake"
remote = "{tmp_path}-zendesk"
[connectors.jira]
type = "fake"
remote = "{tmp_path}-jira"
[rules.desk-to-engineering]
type = "routing"
from = "zendesk"
to = ["jira"]
"""
    )
    yield config, remotes
    for name in remotes:
        REMOTES.pop(f"{tmp_path}-{name}", None)


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_plan_then_sync_then_status_and_records(admin) -> None:
    config, remotes = admin
    ticket = remotes["zendesk"].add("incident", title="Checkout fails", status="new")
    planned = run(config, "sync", "--plan", "--json")
    assert planned.exit_code == 0, planned.output
    [write] = json.loads(planned.output)["writes"]
    assert (write["system"], write["operation"]) == ("jira", "create")
    assert remotes["jira"].records == {}

    synced = run(config, "sync", "--once", "--json")
    assert synced.exit_code == 0, synced.output
    report = json.loads(synced.output)
    assert report["connectors"]["zendesk"]["pull"]["created"] == 1
    assert report["connectors"]["jira"]["push"]["pushed"] == 1

    status = json.loads(run(config, "status", "--json").output)
    zendesk = next(c for c in status["connectors"] if c["name"] == "zendesk")
    assert zendesk["outbox_depth"] == 0 and zendesk["dead_letters"] == 0
    assert any(s["watermark"] for s in zendesk["streams"])

    shown = json.loads(
        run(config, "records", "show", f"zendesk:{ticket.remote_id}", "--json").output
    )
    assert {r["system"] for r in shown["refs"]} == {"zendesk", "jira"}
    events = [e["event"] for e in shown["audit"]]
    assert "record.created" in events and "record.copied" in events


def test_a_dead_letter_from_a_pull_is_retried_by_refetching(admin) -> None:
    config, remotes = admin
    ticket = remotes["zendesk"].add("incident", title="Unreadable", status="new")
    remotes["zendesk"].faults.malformed(ticket.remote_id)
    assert run(config, "sync", "--once").exit_code == 0
    [letter] = json.loads(run(config, "dlq", "list", "--json").output)["dead_letters"]
    assert letter["origin"] == "pull" and letter["record_key"] == ticket.remote_id
    remotes["zendesk"].faults.heal(ticket.remote_id)
    retried = run(config, "dlq", "retry", str(letter["id"]), "--json")
    assert retried.exit_code == 0, retried.output
    assert json.loads(retried.output)["found"] is True
    assert run(config, "sync", "--once").exit_code == 0
    assert len(remotes["jira"].records) == 1
    assert json.loads(run(config, "dlq", "list", "--json").output)["dead_letters"] == []


def test_backfill_dry_run_writes_nothing(admin) -> None:
    config, remotes = admin
    for i in range(3):
        remotes["zendesk"].add("incident", title=f"history {i}", status="closed")
    dry = run(
        config, "backfill", "--connector", "zendesk", "--since", "2024-01-01", "--dry-run", "--json"
    )
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["kinds"]["incident"]["created"] == 3
    status = json.loads(run(config, "status", "--json").output)
    zendesk = next(c for c in status["connectors"] if c["name"] == "zendesk")
    assert zendesk["outbox_depth"] == 0
    real = run(config, "backfill", "--connector", "zendesk", "--since", "2024-01-01", "--json")
    assert json.loads(real.output)["kinds"]["incident"]["created"] == 3


def test_rules_dry_run_says_which_tickets_it_looked_at(admin) -> None:
    config, remotes = admin
    remotes["zendesk"].add("incident", title="Checkout fails", status="new")
    assert run(config, "sync", "--once").exit_code == 0
    preview = run(config, "rules", "dry-run")
    assert preview.exit_code == 0, preview.output
    assert "scope: what the next sync's rules step will read" in preview.output
    history = json.loads(run(config, "rules", "dry-run", "--since", "30d", "--json").output)
    assert history["scope"] == "tickets opened since 30d"
