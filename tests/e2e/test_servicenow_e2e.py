"""ServiceNow end to end: the emulator served on 127.0.0.1, the real connector and engine
through the CLI, and a second (fake) system on the other side."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


class CountingApp:
    """ASGI middleware counting requests by method and path, around the emulator."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.calls[f"{scope['method']} {scope['path']}"] += 1
        await self.app(scope, receive, send)


@pytest.fixture
def bulk_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Instance, CountingApp, FakeRemote]]:
    """An empty instance (Known Error articles on) fed by a fake system, both ways."""
    instance = Instance()
    app = CountingApp(build_app(instance))
    plugins = load_plugins(
        environ={"ITSMHUB_LOAD_PLUGINS": "servicenow", "ITSMHUB_PLUGIN_MODULES": "fakes.plugin"}
    )
    monkeypatch.setattr(plugin_module, "_cached", plugins)
    monkeypatch.setenv("ITSMHUB_TEST_SNOW_PASSWORD", "admin")
    jira = REMOTES[f"{tmp_path}-jira"] = FakeRemote()
    with serve(app) as url:
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
use_known_error_articles = true
[connectors.jira]
type = "fake"
remote = "{tmp_path}-jira"
[rules.engineering-to-operations]
type = "routing"
from = "jira"
to = ["servicenow"]
kinds = ["incident", "problem", "known_error"]
"""
        )
        yield config, instance, app, jira
    REMOTES.pop(f"{tmp_path}-jira", None)


def test_creates_and_updates_reach_servicenow_through_the_batch_api(bulk_config) -> None:
    config, instance, app, jira = bulk_config
    tickets = [jira.add("incident", title=f"Outage {n}", status="new") for n in range(30)]
    first = run(config, "sync", "--once", "--json")
    assert first.exit_code == 0, first.output
    assert len(instance.rows("incident")) == 30
    assert app.calls["POST /api/now/v1/batch"] == 1  # 30 creates, one call
    assert app.calls["POST /api/now/table/incident"] == 0
    for ticket in tickets:
        jira.edit(ticket.remote_id, status="in_progress")
    app.calls.clear()
    second = run(config, "sync", "--once", "--json")
    assert second.exit_code == 0, second.output
    assert {row["state"] for row in instance.rows("incident")} == {"2"}
    assert app.calls["POST /api/now/v1/batch"] == 1
    assert app.calls["GET /api/now/table/incident"] <= 3  # the pull, and one read for the batch
    assert not any(call.startswith("PATCH") for call in app.calls)


def test_a_known_error_becomes_an_article_of_its_problem(bulk_config) -> None:
    config, instance, _, jira = bulk_config
    problem = jira.add("problem", title="Relay queue overflow", status="new")
    known = jira.add(
        "known_error", title="Mail relay drops", status="published", workaround="Resend later"
    )
    jira.link(known.remote_id, "known_error_of", problem.remote_id)
    for _ in range(3):  # the article link is written by the run after both copies exist
        result = run(config, "sync", "--once", "--json")
        assert result.exit_code == 0, result.output
    [article] = instance.rows("kb_template_known_error_article")
    [copy] = instance.rows("problem")
    assert article["number"] == "KB0010001" and article["workflow_state"] == "published"
    assert (article["workaround"], article["source_task"]) == ("Resend later", copy["sys_id"])
    assert article["meta"].startswith("itsmhub-")


class _Recorded:
    """A progress sink that keeps what the engine told it."""

    def __init__(self) -> None:
        self.count = 0
        self.totals: list[int | None] = []

    def __call__(self, count: int) -> None:
        self.count += count

    def set_total(self, total: int | None) -> None:
        self.totals.append(total)


@pytest.mark.anyio
async def test_a_backfill_knows_its_total_from_the_vendor(hub_config) -> None:
    from datetime import datetime, timedelta

    from itsmhub.config import load_config
    from itsmhub.engine import backfill, open_hub

    config_path, instance, _ = hub_config
    config = load_config(config_path, plugin_module.get_plugins())
    progress = _Recorded()
    async with open_hub(config, plugin_module.get_plugins()) as hub:
        since = datetime.now().astimezone() - timedelta(days=3650)
        stats = await backfill(hub, "servicenow", "incident", since=since, progress=progress)
    assert stats.seen == progress.count == len(instance.rows("incident")) == 12
    assert progress.totals and set(progress.totals) == {12}  # known from the first page
