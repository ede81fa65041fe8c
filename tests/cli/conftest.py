"""Fixtures for the admin commands: a config with two connectors and a seeded SQLite store.

The commands enter async code through ``anyio.run``, so the tests that invoke them are
plain functions, and seeding and checking the store go through ``anyio.run`` too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import anyio
import pytest
from click.testing import CliRunner, Result
from fakes.configs import TWO_TOOLS as CONFIG

from itsmhub.cli import cli, status_cmd
from itsmhub.model import ExternalRef, Incident, Link, LinkKind, Problem
from itsmhub.store import (
    AuditEntry,
    Base,
    DeadLetter,
    DeadLetterIn,
    DeadLetterStatus,
    OutboxItemIn,
    Store,
)

T = TypeVar("T")

#: When everything in the seeded store happened; the cursors' watermark.
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Hub:
    """A config file, the store it names, and what the seed put there."""

    config: Path
    url: str
    db: Path
    ids: dict[str, Any] = field(default_factory=dict)

    def run(self, *args: str) -> Result:
        """Invoke ``itsmhub --config <config> ARGS`` and return the result."""
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])

    def query(self, work: Callable[[Store], Awaitable[T]]) -> T:
        """Run ``work`` against the store (opened at T0's clock) and return its result."""

        async def main() -> T:
            async with await Store.open(self.url, clock=lambda: T0) as store:
                return await work(store)

        return anyio.run(main)

    def letter(self, letter_id: int) -> DeadLetter:
        """A dead letter as the store holds it now."""
        found = self.query(lambda store: store.get_dead_letter(letter_id))
        assert found is not None
        return found

    def trail(self, name: str) -> list[AuditEntry]:
        """The audit trail of the seeded record ``name`` (``incident``, ``problem``)."""
        return self.query(lambda store: store.audit_trail(self.ids[name]))


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    """The config, with no store file yet: nothing has been synced."""
    db = tmp_path / "itsmhub.db"
    url = f"sqlite:///{db}"
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(url=url))
    return Hub(config, url, db)


@pytest.fixture
def seeded(hub: Hub) -> Hub:
    """A store after some syncing: two linked records, cursors, outbox rows, dead letters."""
    hub.ids.update(hub.query(_seed))
    return hub


@pytest.fixture
def frozen(seeded: Hub, monkeypatch: pytest.MonkeyPatch) -> Hub:
    """The seeded store, as ``status`` sees it three minutes after the newest watermark."""
    monkeypatch.setattr(status_cmd, "now", lambda: T0 + timedelta(minutes=3))
    return seeded


async def _seed(store: Store) -> dict[str, Any]:
    problem = Problem(
        title="VPN concentrator firmware leaks sessions",
        refs=[ExternalRef(system="jira", remote_id="10002", key="OPS-13")],
    )
    incident = Incident(
        title="VPN down for the Berlin office",
        service="vpn",
        tags=["network"],
        refs=[
            ExternalRef(
                system="jira",
                remote_id="10001",
                key="OPS-12",
                url="https://acme.atlassian.net/browse/OPS-12",
            ),
            ExternalRef(system="zendesk", remote_id="4711", key="4711"),
        ],
        links=[Link(kind=LinkKind.CAUSED_BY, target_id=problem.id, origin="jira")],
    )
    await store.put_record(problem)
    await store.put_record(incident)
    for system, version in (("jira", "2026-11-23T08:59:00Z"), ("zendesk", "7")):
        await store.put_base(
            Base(
                record_id=incident.id,
                system=system,
                fields={"title": incident.title},
                remote_version=version,
                agreed_at=T0,
            )
        )
    await store.audit("imported", record_id=incident.id, connector="jira", detail={"key": "OPS-12"})
    await store.audit("error.auth", connector="jira", detail={"message": "401 from Jira"})
    await store.audit("pulled", connector="jira", detail={"records": 3})  # newer, not an error
    await store.audit(
        "error.push", record_id=incident.id, connector="zendesk", detail={"status": 422}
    )
    watermark = {"watermark": "2026-11-23T09:00:00Z", "token": None, "seen": [["10001", "5"]]}
    await store.put_cursor("jira", "incident", watermark)
    await store.put_cursor("jira", "problem", {**watermark, "watermark": "2026-11-23T08:00:00Z"})

    update = OutboxItemIn(
        connector="zendesk",
        record_id=incident.id,
        operation="update",
        payload={"fields": {"status": "hold"}},
        correlation_marker="itsmhub-01",
    )
    dead_id = await store.enqueue(update)
    [claimed] = await store.claim_due("zendesk", T0, 1)
    await store.mark_dead(claimed.id, "422: status 'hold' is not allowed")
    pending_id = await store.enqueue(
        OutboxItemIn(connector="zendesk", record_id=incident.id, operation="comment")
    )
    pushed = await store.add_dead_letter(
        DeadLetterIn(
            connector="zendesk",
            record_key=incident.id,
            error_class="RecordError",
            http_status=422,
            request_id="req-abc-123",
            reason="status 'hold' is not allowed for this ticket form",
            payload={
                "origin": "outbox",
                "outbox_id": dead_id,
                "operation": "update",
                "record_id": incident.id,
            },
            attempts=8,
        )
    )
    pulled = await store.add_dead_letter(
        DeadLetterIn(
            connector="jira",
            record_key="10099",
            remote_version="2026-11-23T08:30:00Z",
            error_class="RecordError",
            reason="status 'Waiting for vendor' has no mapping",
            payload={"origin": "pull", "kind": "incident", "remote_id": "10099"},
        )
    )
    dropped = await store.add_dead_letter(
        DeadLetterIn(connector="jira", record_key="10100", error_class="RecordError", reason="spam")
    )
    await store.set_dead_letter_status(dropped.id, DeadLetterStatus.DROPPED)
    return {
        "incident": incident.id,
        "problem": problem.id,
        "dead_outbox": dead_id,
        "pending_outbox": pending_id,
        "pushed_letter": pushed.id,
        "pulled_letter": pulled.id,
        "dropped_letter": dropped.id,
    }


@dataclass
class FakeEngine:
    """Stands in for the engine's Hub and refetch in ``dlq retry``: records the calls."""

    found: bool = True
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def module(self) -> ModuleType:
        module = ModuleType("itsmhub.engine")

        class Hub:
            @classmethod
            @asynccontextmanager
            async def open(cls, config: Any, plugins: Any) -> AsyncIterator[str]:
                yield "engine-hub"

        async def refetch(hub: Any, name: str, kind: Any, remote_id: str) -> bool:
            self.calls.append((hub, name, kind, remote_id))
            return self.found

        module.Hub = Hub  # type: ignore[attr-defined]
        module.refetch = refetch  # type: ignore[attr-defined]
        return module


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """A fake engine whose connectors' secrets resolve."""
    import itsmhub.engine

    engine = FakeEngine()
    module = engine.module()
    # dlq retry imports the engine when it needs it, so the fake replaces the engine's own.
    monkeypatch.setattr(itsmhub.engine, "Hub", module.Hub)
    monkeypatch.setattr(itsmhub.engine, "refetch", module.refetch)
    monkeypatch.setenv("ITSMHUB_TEST_JIRA_TOKEN", "jira-token")
    monkeypatch.setenv("ITSMHUB_TEST_ZENDESK_TOKEN", "zendesk-token")
    return engine
