"""Jira end to end: the emulator served on 127.0.0.1, the real connector and engine
through the CLI, and a second (fake) system on the other side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fakes.connector import REMOTES
from fakes.remote import FakeRemote

from itsmhub import plugins as plugin_module
from itsmhub.cli import cli
from itsmhub.plugins import load_plugins
from itsmhub.testing import serve
from itsmhub_jira.emulator import Site, build_app, seed_site

JIRA = """
[connectors.jira]
type = "jira"
site_url = "{url}"
custom_domain = true
email = "itsmhub@example.com"
api_token = "env:ITSMHUB_TEST_JIRA_TOKEN"
projects = ["OPS"]
page_size = 5
[connectors.jira.mapping]
[connectors.jira.mapping.custom_fields]
assignment_group = "customfield_10052"
root_cause = "customfield_10050"
workaround = "customfield_10051"
"""


@pytest.fixture
def hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Site, FakeRemote, str]]:
    """A seeded site served on loopback, a fake system, and a config joining them."""
    site = Site()
    seed_site(site, 7, incidents=12)
    plugins = load_plugins(
        environ={"ITSMHUB_LOAD_PLUGINS": "jira", "ITSMHUB_PLUGIN_MODULES": "fakes.plugin"}
    )
    assert not plugins.broken, plugins.broken
    monkeypatch.setattr(plugin_module, "_cached", plugins)
    monkeypatch.setenv("ITSMHUB_TEST_JIRA_TOKEN", "jira-emulator-token")
    other = REMOTES[f"{tmp_path}-snow"] = FakeRemote()
    with serve(build_app(site)) as url:
        yield tmp_path, site, other, url
    REMOTES.pop(f"{tmp_path}-snow", None)


def write_config(folder: Path, url: str, rules: str) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{folder / "itsmhub.db"}"
[http]
allow_private_networks = true
{JIRA.format(url=url)}
[connectors.snow]
type = "fake"
remote = "{folder}-snow"
{rules}
"""
    )
    return config


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_connectors_check_against_the_served_site(hub) -> None:
    folder, _, _, url = hub
    config = write_config(folder, url, "")
    result = run(config, "connectors", "check", "--connector", "jira", "--json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)["connectors"]
    assert report["ok"], report
    assert {i["name"] for i in report["items"]} >= {"auth", "project OPS", "link types"}


def test_issues_flow_out_and_changes_come_back_through_the_workflow(hub) -> None:
    folder, site, snow, url = hub
    rules = (
        '[rules.jira-to-snow]\ntype = "routing"\nfrom = "jira"\nto = ["snow"]\nkinds = ["incident"]'
    )
    config = write_config(folder, url, rules)
    first = run(config, "sync", "--once", "--json")
    assert first.exit_code == 0, first.output
    copies = [r for r in snow.records.values() if r.kind == "incident"]
    assert len(copies) == 12
    # An open one: Jira's workflow puts it on hold from Open or Work in progress.
    opened = next(c for c in copies if c.fields["status"] in ("new", "in_progress"))
    shown = json.loads(run(config, "records", "show", f"snow:{opened.remote_id}", "--json").output)
    issue = site.issues[next(r["remote_id"] for r in shown["refs"] if r["system"] == "jira")]
    snow.edit(opened.remote_id, status="on_hold")
    second = run(config, "sync", "--once", "--json")
    assert second.exit_code == 0, second.output
    assert issue.status == "Pending"
    again = json.loads(run(config, "sync", "--once", "--json").output)
    assert again["connectors"]["jira"]["push"]["pushed"] == 0  # settled: no echo


def test_creates_reach_jira_in_bulk(hub) -> None:
    folder, site, snow, url = hub
    rules = (
        '[rules.snow-to-jira]\ntype = "routing"\nfrom = "snow"\nto = ["jira"]\nkinds = ["incident"]'
    )
    config = write_config(folder, url, rules)
    before = len(site.issues)
    for n in range(30):
        snow.add("incident", title=f"Outage {n}", status="new", service="VPN")
    site.controls.calls.clear()
    result = run(config, "sync", "--once", "--json")
    assert result.exit_code == 0, result.output
    made = [i for i in site.issues.values() if i.summary.startswith("Outage ")]
    assert len(site.issues) == before + 30 and len(made) == 30
    assert site.controls.calls["POST /rest/api/3/issue/bulk"] == 1
    assert site.controls.calls["POST /rest/api/3/issue"] == 0
    assert all(
        i.components == ["VPN"] and any(x.startswith("itsmhub-") for x in i.labels) for i in made
    )


def test_a_backfill_reads_history_into_the_store(hub) -> None:
    folder, site, _, url = hub
    config = write_config(folder, url, "")
    since = (datetime.now(UTC) - timedelta(days=90)).strftime("%Y-%m-%d")
    result = run(config, "backfill", "--connector", "jira", "--since", since, "--json")
    assert result.exit_code == 0, result.output
    [stats] = json.loads(result.output)["kinds"].values()  # one stream: every kind
    assert stats["created"] == len(site.issues) and stats["rejected"] == 0


def test_comments_cross_both_ways_with_their_visibility(hub) -> None:
    folder, site, snow, url = hub
    rules = (
        '[rules.jira-to-snow]\ntype = "routing"\nfrom = "jira"\nto = ["snow"]\nkinds = ["incident"]'
    )
    config = write_config(folder, url, rules)
    assert run(config, "sync", "--once", "--json").exit_code == 0
    copy = next(r for r in snow.records.values() if r.kind == "incident")
    shown = json.loads(run(config, "records", "show", f"snow:{copy.remote_id}", "--json").output)
    issue = site.issues[next(r["remote_id"] for r in shown["refs"] if r["system"] == "jira")]
    snow.comment(copy.remote_id, "Rebooted the gateway", visibility="internal", author="Ada")
    result = run(config, "sync", "--once", "--json")
    assert result.exit_code == 0, result.output
    [ours] = [c for c in issue.comments if "Rebooted the gateway" in json.dumps(c.body)]
    assert ours.internal and "Ada (via itsmhub)" in json.dumps(ours.body)
    mirrored = [c.body for c in snow.records[copy.remote_id].comments]
    assert len(mirrored) == len(issue.comments)


def test_a_routing_rule_chooses_the_project_copies_go_to(hub) -> None:
    folder, site, snow, url = hub
    site.add_project("SUP", "Support")
    rules = (
        '[rules.snow-to-jira]\ntype = "routing"\nfrom = "snow"\nto = ["jira"]\n'
        'kinds = ["incident"]\ntarget.jira = { project = "SUP" }'
    )
    config = write_config(folder, url, rules)
    config.write_text(config.read_text().replace('projects = ["OPS"]', 'projects = ["OPS", "SUP"]'))
    snow.add("incident", title="Badge reader offline", status="new")
    snow.add("incident", title="Badge reader offline again", status="new")
    result = run(config, "sync", "--once", "--json")
    assert result.exit_code == 0, result.output
    made = [i for i in site.issues.values() if i.summary.startswith("Badge reader")]
    assert sorted(i.project for i in made) == ["SUP", "SUP"]

    wrong = config.read_text().replace('project = "SUP"', 'project = "HR"')
    config.write_text(wrong)
    checked = run(config, "config", "check", "--no-secrets", "--json")
    assert checked.exit_code == 2
    [error] = json.loads(checked.output)["errors"]
    assert error["path"] == "rules.snow-to-jira.target.jira"
    assert "'HR' is not one of this connector's projects" in error["message"]
