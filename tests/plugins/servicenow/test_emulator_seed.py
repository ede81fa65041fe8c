"""Seeded data and the emulator's registration as a plugin."""

from __future__ import annotations

import httpx
import pytest

from itsmhub import Emulator
from itsmhub.plugins import Plugins
from itsmhub_servicenow.emulator import Instance, ServiceNowEmulator, seed_instance
from itsmhub_servicenow.emulator.state import PRIORITY

pytestmark = pytest.mark.anyio


def test_seed_is_deterministic() -> None:
    a, b, c = Instance(), Instance(), Instance()
    seed_instance(a, 7, incidents=30)
    seed_instance(b, 7, incidents=30)
    seed_instance(c, 8, incidents=30)
    assert a.rows("incident") == b.rows("incident")
    assert a.rows("sys_journal_field") == b.rows("sys_journal_field")
    assert a.rows("incident") != c.rows("incident")


def test_seeded_records_are_consistent() -> None:
    instance = Instance()
    seed_instance(instance, 1, incidents=40)
    incidents, problems = instance.rows("incident"), instance.rows("problem")
    assert len(incidents) == 40 and len(problems) == 4
    assert len({r["short_description"] for r in incidents}) > 5
    assert any(r["problem_id"] for r in incidents)
    for row in incidents + problems:
        assert all(isinstance(v, str) for v in row.values())
        assert PRIORITY[(row["impact"], row["urgency"])] == row["priority"]
        assert row["sys_created_on"] <= row["sys_updated_on"]
    problem_ids = {p["sys_id"] for p in problems}
    assert all(r["problem_id"] in problem_ids for r in incidents if r["problem_id"])
    assert instance.rows("sys_journal_field")
    assert incidents[0]["number"] == "INC0010001"


async def test_new_records_after_a_seed_continue_the_numbering() -> None:
    app = ServiceNowEmulator().app(seed=2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://acme.service-now.com", auth=("admin", "admin")
    ) as client:
        listed = await client.get("/api/now/table/incident", params={"sysparm_limit": "1"})
        assert listed.headers["X-Total-Count"] == "50"
        created = await client.post("/api/now/table/incident", json={})
        assert created.json()["result"]["number"] == "INC0010051"


def test_registered_as_an_emulator(installed_plugins: Plugins) -> None:
    emulator = installed_plugins.registry.emulators.get("servicenow")
    assert emulator is ServiceNowEmulator
    assert issubclass(emulator, Emulator)
    assert callable(emulator().app())


def test_seed_size_is_configurable() -> None:
    app = ServiceNowEmulator(incidents=120).app(seed=1)
    assert len(app.instance.rows("incident")) == 120  # type: ignore[attr-defined]
    assert ServiceNowEmulator().app().instance.rows("incident") == []  # type: ignore[attr-defined]


def test_seeded_history_ends_today_so_since_90d_shows_it() -> None:
    from datetime import UTC, datetime, timedelta

    instance = Instance()
    seed_instance(instance, 1, incidents=40)
    now = datetime.now(UTC)
    stamps = [
        datetime.strptime(r["sys_updated_on"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        for r in instance.rows("incident") + instance.rows("problem")
    ]
    assert min(stamps) >= now - timedelta(days=90)
    assert max(stamps) >= now - timedelta(days=30)  # recent activity, not one old batch
