"""Crash tests: the real CLI in a subprocess, killed with SIGKILL at the worst moments.

After a restart the final state must have no duplicate remote record and no lost update.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fakes.remote import FakeRemote

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, store_url: str | None = None) -> Path:
    config = tmp_path / "config.toml"
    url = store_url or f"sqlite:///{tmp_path / 'itsmhub.db'}"
    config.write_text(
        f"""
[store]
url = "{url}"

[connectors.zendesk]
type = "fake"
remote = "{tmp_path / "zendesk.json"}"
page_size = 4

[connectors.jira]
type = "fake"
remote = "{tmp_path / "jira.json"}"
page_size = 4

[rules.zendesk-to-jira]
type = "routing"
from = "zendesk"
to = ["jira"]
"""
    )
    return config


def sync(
    config: Path, *, kill_at: str | None = None, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "tests"),
        "ITSMHUB_PLUGIN_MODULES": "fakes.plugin",
        "ITSMHUB_LOAD_PLUGINS": "",
        **(env_extra or {}),
    }
    env.pop("ITSMHUB_FAKE_KILL_AT", None)
    if kill_at:
        env["ITSMHUB_FAKE_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "itsmhub", "--config", str(config), "sync", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def live(remote: FakeRemote) -> list:
    return [r for r in remote.records.values() if not r.deleted]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, FakeRemote]:
    config = write_config(tmp_path)
    zendesk = FakeRemote.open(tmp_path / "zendesk.json")
    for i in range(10):
        zendesk.add("incident", title=f"outage {i}", status="new")
    FakeRemote.open(tmp_path / "jira.json")
    return config, zendesk


def test_killed_between_remote_create_and_local_write(setup, tmp_path: Path) -> None:
    config, _ = setup
    killed = sync(config, kill_at="create:after")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(live(FakeRemote.open(tmp_path / "jira.json"))) == 1  # created, never recorded
    for _ in range(3):
        assert sync(config).returncode == 0
    jira = live(FakeRemote.open(tmp_path / "jira.json"))
    assert len(jira) == 10
    assert len({r.marker for r in jira}) == 10  # one copy per incident: no duplicate


def test_killed_between_a_push_and_its_commit(setup, tmp_path: Path) -> None:
    config, zendesk = setup
    assert sync(config).returncode == 0
    ticket = next(iter(zendesk.records.values()))
    FakeRemote.open(tmp_path / "zendesk.json").edit(ticket.remote_id, status="in_progress")
    killed = sync(config, kill_at="update:after")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    for _ in range(2):
        assert sync(config).returncode == 0
    jira = live(FakeRemote.open(tmp_path / "jira.json"))
    assert len(jira) == 10
    assert sorted(r.fields["status"] for r in jira).count("in_progress") == 1


def test_killed_mid_page_of_a_pull(setup, tmp_path: Path) -> None:
    config, _ = setup
    killed = sync(config, kill_at="pull:page:6")  # inside the second page of four
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    later = FakeRemote.open(tmp_path / "zendesk.json")
    first = next(iter(later.records.values()))
    later.edit(first.remote_id, title="outage 0 (edited while we were down)")
    for _ in range(2):
        assert sync(config).returncode == 0
    jira = live(FakeRemote.open(tmp_path / "jira.json"))
    assert len(jira) == 10
    assert "outage 0 (edited while we were down)" in {r.fields["title"] for r in jira}


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_killed_while_one_push_round_settles_and_the_next_has_its_intents(
    setup, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """On PostgreSQL the two rounds' transactions may run at once."""
    config, _ = setup
    if backend == "postgresql":
        config = write_config(tmp_path, request.getfixturevalue("pg_store"))
    small = {"ITSMHUB_CHAOS_CLAIM_BATCH": "3"}  # ten creates: four rounds, overlapping
    killed = sync(config, env_extra={**small, "ITSMHUB_CHAOS_KILL": "push.overlapped#2"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert 0 < len(live(FakeRemote.open(tmp_path / "jira.json"))) < 10
    for _ in range(3):
        assert sync(config, env_extra=small).returncode == 0
    jira = live(FakeRemote.open(tmp_path / "jira.json"))
    assert len(jira) == 10
    assert len({r.marker for r in jira}) == 10  # one copy per incident: no duplicate
