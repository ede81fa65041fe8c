"""``itsmhub rules dry-run|explain|apply`` and ``problems candidates`` on a real store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner, Result
from fakes.configs import TWO_TOOLS

from itsmhub.cli import cli
from itsmhub.cli.context import iso
from itsmhub.model import ExternalRef, Incident
from itsmhub.store import Store

NOW = datetime.now(UTC)

CONFIG = (
    TWO_TOOLS
    + """
[rules.vpn-recurs]
type = "recurrence"
threshold = 3
window = "7d"
create_in = "jira"

[rules.references]
type = "linking"
method = "references"

[rules.disabled]
type = "follow_up"
enabled = false
trigger = "tagged"
tag = "dig-later"
create_in = "jira"
"""
)

TICKETS = [
    ("zendesk", "101", "VPN drops every few minutes on lt-0423", "vpn", 30),
    ("jira", "OPS-1", "vpn drops every few minutes for jdoe", "vpn", 20),
    ("zendesk", "102", "VPN drops every few minutes again", "vpn", 10),
    ("zendesk", "103", "Printer offline, same as OPS-1? tagged dig-later", "print", 5),
]


@pytest.fixture
def store_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ITSMHUB_TEST_JIRA_TOKEN", "t0k3n-jira")
    monkeypatch.setenv("ITSMHUB_TEST_ZENDESK_TOKEN", "t0k3n-zendesk")
    url = f"sqlite:///{tmp_path / 'itsmhub.db'}"
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(url=url))

    async def seed() -> None:
        async with await Store.open(url) as store:
            for system, key, title, service, hours in TICKETS:
                await store.put_record(
                    Incident(
                        id=f"hub-{key}",
                        title=title,
                        service=service,
                        tags=["dig-later"] if "dig-later" in title else [],
                        refs=[ExternalRef(system=system, remote_id=f"r{key}", key=key)],
                        opened_at=NOW - timedelta(hours=hours),
                    )
                )

    anyio.run(seed)
    return config


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_dry_run_prints_what_would_happen_and_writes_nothing(store_config: Path) -> None:
    result = run(store_config, "rules", "dry-run")
    assert result.exit_code == 0, result.output
    assert "would open a problem in jira: Recurring: VPN drops" in result.output
    assert "its text mentions OPS-1 (jira)" in result.output
    assert "4 tickets seen: 1 create_problem, 1 link" in result.output
    report = as_json(run(store_config, "rules", "dry-run", "--json"))
    assert report["counts"] == {"create_problem": 1, "link": 1}
    [create] = [p for p in report["proposals"] if p["action"] == "create_problem"]
    assert create["members"] == ["hub-101", "hub-OPS-1", "hub-102"]
    assert [e["name"] for e in create["evidence"]] == ["101", "OPS-1", "102"]
    # Nothing was written: the same dry-run proposes the same again.
    assert as_json(run(store_config, "rules", "dry-run", "--json"))["counts"] == report["counts"]


def test_dry_run_of_one_rule_even_a_disabled_one(store_config: Path) -> None:
    report = as_json(run(store_config, "rules", "dry-run", "--rule", "disabled", "--json"))
    assert report["counts"] == {"create_problem": 1}
    assert report["proposals"][0]["members"] == ["hub-103"]
    result = run(store_config, "rules", "dry-run", "--rule", "nope")
    assert result.exit_code != 0
    assert "no rule is named 'nope'" in result.output


def test_since_limits_the_history(store_config: Path) -> None:
    report = as_json(run(store_config, "rules", "dry-run", "--since", "15h", "--json"))
    assert report["seen"] == 2
    result = run(store_config, "rules", "dry-run", "--since", "soon")
    assert result.exit_code != 0 and "--since" in result.output


@pytest.mark.parametrize("command", [["rules", "dry-run"], ["problems", "candidates"]])
def test_since_takes_dates_and_timestamps_too(store_config: Path, command: list[str]) -> None:
    start = NOW - timedelta(hours=15)
    for since in (start.date().isoformat(), start.isoformat(), iso(start), "all"):
        result = run(store_config, *command, "--since", since, "--json")
        assert result.exit_code == 0, (since, result.output)
    day = as_json(run(store_config, "rules", "dry-run", "--since", iso(start), "--json"))
    assert day["seen"] == 2


def test_explain_says_which_tests_held(store_config: Path) -> None:
    result = run(store_config, "rules", "explain", "zendesk:103")
    assert result.exit_code == 0, result.output
    assert "rule references: applies" in result.output
    assert "✓ its text mentions ['OPS-1']" in result.output
    report = as_json(run(store_config, "rules", "explain", "hub-102", "--json"))
    assert [p["action"] for p in report["proposals"]] == ["create_problem"]
    missing = run(store_config, "rules", "explain", "jira:OPS-404")
    assert missing.exit_code != 0 and "no ticket 'jira:OPS-404'" in missing.output


def test_apply_then_nothing_is_left_to_do(store_config: Path) -> None:
    report = as_json(run(store_config, "rules", "apply", "--json"))
    assert (report["proposed"], report["applied"]) == (2, 2)
    # The incidents are linked to the new problem now: no second problem, ever.
    again = as_json(run(store_config, "rules", "apply", "--json"))
    assert again["applied"] == 0
    assert as_json(run(store_config, "rules", "dry-run", "--json"))["counts"] == {}


def test_problem_candidates_rank_uncovered_clusters(store_config: Path) -> None:
    report = as_json(run(store_config, "problems", "candidates", "--json"))
    [vpn] = report["candidates"]
    assert (report["total"], report["truncated"]) == (1, False)
    # Each key with its system: INC numbers and Zendesk ids repeat across instances.
    assert vpn["keys"] == [
        {"system": "zendesk", "key": "101", "record_id": "hub-101"},
        {"system": "jira", "key": "OPS-1", "record_id": "hub-OPS-1"},
        {"system": "zendesk", "key": "102", "record_id": "hub-102"},
    ]
    assert vpn["systems"] == ["jira", "zendesk"]
    table = run(store_config, "problems", "candidates")
    assert "VPN drops every few minutes" in table.output
    run(store_config, "rules", "apply")
    assert as_json(run(store_config, "problems", "candidates", "--json"))["candidates"] == []


def test_problem_candidates_say_when_they_were_cut(store_config: Path) -> None:
    url = f"sqlite:///{store_config.parent / 'itsmhub.db'}"

    async def second_cluster() -> None:
        async with await Store.open(url) as store:
            for n in range(3):
                await store.put_record(
                    Incident(
                        id=f"hub-mail-{n}",
                        title="Outlook keeps asking for the password",
                        service="mail",
                        refs=[ExternalRef(system="zendesk", remote_id=f"m{n}", key=f"20{n}")],
                        opened_at=NOW - timedelta(hours=n + 1),
                    )
                )

    anyio.run(second_cluster)
    report = as_json(run(store_config, "problems", "candidates", "--json"))
    assert (report["total"], report["truncated"]) == (2, False)
    cut = as_json(run(store_config, "problems", "candidates", "--limit", "1", "--json"))
    assert (len(cut["candidates"]), cut["total"], cut["truncated"]) == (1, 2, True)
    table = run(store_config, "problems", "candidates", "--limit", "1")
    assert "first 1 of 2; --limit for more" in table.output


def test_status_shows_the_rules_and_how_far_they_got(store_config: Path) -> None:
    report = as_json(run(store_config, "status", "--json"))
    assert report["rules"] == {
        "enabled": ["references", "vpn-recurs"],
        "position": None,
        "last_error": None,
    }
    assert (
        "rules: 2 enabled (references, vpn-recurs), not run yet"
        in run(store_config, "status").output
    )
    url = f"sqlite:///{store_config.parent / 'itsmhub.db'}"

    async def moved() -> None:
        async with await Store.open(url) as store:
            await store.put_cursor("itsmhub", "rules", [NOW.isoformat(), "hub-103"])
            await store.audit("error.rules", connector="itsmhub", detail={"error": "locked"})

    anyio.run(moved)
    report = as_json(run(store_config, "status", "--json"))
    assert report["rules"]["position"] is not None
    assert report["rules"]["last_error"]["event"] == "error.rules"
    assert "has looked at every change up to" in run(store_config, "status").output
