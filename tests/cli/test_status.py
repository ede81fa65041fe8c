"""``itsmhub status``: the last clean sync and its age, how far behind the vendor the hub
really is, a last error that a clean cycle clears, and exit 1 while a connector fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from itsmhub.cli import status_cmd
from itsmhub.store import HEAD_REVISION, Store

if TYPE_CHECKING:
    from conftest import Hub

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the seed's clock (this folder's conftest.py)


def as_json(result: Any) -> Any:
    assert "Traceback" not in result.output
    return json.loads(result.output)


def run_of(hub: Hub, name: str, minutes: int, *, ok: bool, error: str | None = None) -> None:
    """A cycle of ``name`` that ended ``minutes`` after T0, caught up to when it started."""
    end = T0 + timedelta(minutes=minutes)

    async def record(store: Store) -> None:
        await store.record_run(
            name,
            started_at=end - timedelta(seconds=20),
            finished_at=end,
            ok=ok,
            error=error,
            caught_up_to=end - timedelta(seconds=20) if ok else None,
        )

    hub.query(record)


@pytest.fixture
def at(frozen: Hub, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the time status measures against, in minutes after T0."""

    def move(minutes: float) -> None:
        monkeypatch.setattr(status_cmd, "now", lambda: T0 + timedelta(minutes=minutes))

    return move


def test_before_any_sync_never_synced_and_nothing_created(hub: Hub) -> None:
    result = hub.run("status")
    assert result.exit_code == 0, result.output
    assert "never synced" in result.output
    report = as_json(hub.run("status", "--json"))
    assert report["store"] == {"url": hub.url, "exists": False, "schema_revision": None}
    jira = report["connectors"][0]
    assert (jira["name"], jira["state"], jira["last_sync"], jira["outbox_depth"]) == (
        "jira",
        "never synced",
        None,
        0,
    )
    assert [s["stream"] for s in jira["streams"]] == ["incident", "known_error", "problem"]
    assert report["failing"] == []
    assert not hub.db.exists()


def test_a_quiet_caught_up_instance_is_not_days_behind(frozen: Hub, at: Any) -> None:
    """The seeded cursors' newest record is hours old; a clean cycle 2 minutes ago read
    the vendor up to 20 s before it ended. Behind is measured from there."""
    run_of(frozen, "jira", 1, ok=True)
    at(3)
    report = as_json(frozen.run("status", "--json"))
    assert report["checked_at"] == "2026-11-23T09:03:00Z"
    jira = next(c for c in report["connectors"] if c["name"] == "jira")
    assert jira["state"] == "ok"
    assert jira["last_sync"] == {
        "at": "2026-11-23T09:01:00Z",
        "age": "2m",
        "age_seconds": 120,
        "caught_up_to": "2026-11-23T09:00:40Z",
        "behind": "2m 20s",
        "behind_seconds": 140,
    }
    streams = {s["stream"]: s["watermark"] for s in jira["streams"]}
    assert streams == {
        "incident": "2026-11-23T09:00:00Z",
        "known_error": None,
        "problem": "2026-11-23T08:00:00Z",
    }
    table = frozen.run("status")
    assert table.exit_code == 0, table.output
    assert "2m ago" in table.output and "2m 20s" in table.output


def test_a_failing_connector_shows_its_error_and_status_exits_1(frozen: Hub, at: Any) -> None:
    run_of(frozen, "jira", 1, ok=True)
    run_of(frozen, "jira", 6, ok=False, error="GET https://acme.atlassian.net:443/... failed")
    at(7)
    result = frozen.run("status", "--json")
    assert result.exit_code == 1
    report = as_json(result)
    assert report["failing"] == ["jira"]
    jira = next(c for c in report["connectors"] if c["name"] == "jira")
    assert jira["state"] == "failing"
    assert jira["last_error"]["event"] == "cycle failed"
    assert jira["last_error"]["detail"].startswith("GET https://acme.atlassian.net:443/")
    assert jira["last_sync"]["age"] == "6m"  # the last clean one still shows
    table = frozen.run("status")
    assert table.exit_code == 1 and "failing: jira" in table.output


def test_a_clean_cycle_clears_the_last_error(frozen: Hub, at: Any) -> None:
    # The seed audited an error.auth for jira and an error.push for zendesk at T0.
    at(3)
    before = as_json(frozen.run("status", "--json"))
    jira = next(c for c in before["connectors"] if c["name"] == "jira")
    assert jira["last_error"]["event"] == "error.auth"
    run_of(frozen, "jira", 1, ok=False, error="timed out")
    run_of(frozen, "jira", 2, ok=True)
    result = frozen.run("status", "--json")
    assert result.exit_code == 0
    after = as_json(result)
    jira = next(c for c in after["connectors"] if c["name"] == "jira")
    assert jira["last_error"] is None and jira["state"] == "ok"
    zendesk = next(c for c in after["connectors"] if c["name"] == "zendesk")
    assert zendesk["last_error"]["event"] == "error.push"  # no clean zendesk cycle yet


def test_counts_and_one_connector(frozen: Hub) -> None:
    report = as_json(frozen.run("status", "--connector", "zendesk", "--json"))
    [zendesk] = report["connectors"]
    assert (zendesk["name"], zendesk["outbox_depth"], zendesk["dead_letters"]) == ("zendesk", 1, 1)
    assert report["store"]["schema_revision"] == HEAD_REVISION
    result = frozen.run("status", "--connector", "servicenow")
    assert result.exit_code == 2  # a name the config does not have is a usage error
    assert "no connector named 'servicenow'" in result.output and "jira, zendesk" in result.output
    frozen.config.write_text('[store]\nurl = "mysql://nope"\n')
    broken = frozen.run("status")
    assert broken.exit_code == 2 and "Traceback" not in broken.output


def test_a_disabled_connector_is_never_failing(frozen: Hub, at: Any) -> None:
    run_of(frozen, "zendesk", 1, ok=False, error="boom")
    at(2)
    assert frozen.run("status").exit_code == 1
    frozen.config.write_text(
        frozen.config.read_text().replace('type = "zendesk"', 'type = "zendesk"\nenabled = false')
    )
    result = frozen.run("status", "--json")
    assert result.exit_code == 0
    zendesk = next(c for c in as_json(result)["connectors"] if c["name"] == "zendesk")
    assert zendesk["state"] == "disabled"
