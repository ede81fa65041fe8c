"""Seeding, the emulator's registration, its ready config, and its admin routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from itsmhub import Emulator
from itsmhub.emulation import EmulatorClock
from itsmhub_zendesk import plugin
from itsmhub_zendesk.emulator import (
    WORKAROUND_FIELD,
    Limits,
    SeededComment,
    Seeder,
    Support,
    ZendeskEmulator,
    seed_account,
)
from itsmhub_zendesk.settings import ZendeskSettings

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seeded(seed: int) -> Support:
    support = Support(clock=EmulatorClock(START), limits=Limits(None, None))
    seed_account(support, seed, tickets=100)
    return support


def shape(support: Support) -> list[tuple]:
    return [
        (t.type, t.subject, t.status, t.priority, tuple(t.tags), t.problem_id, t.created_at)
        for t in support.account.tickets.values()
    ]


def test_a_seed_is_deterministic_and_dated_relative_to_today() -> None:
    one, again, other = seeded(7), seeded(7), seeded(8)
    assert shape(one) == shape(again) != shape(other)
    tickets = list(one.account.tickets.values())
    assert len(tickets) == 100 and {t.type for t in tickets} == {"incident", "problem"}
    assert all(START - timedelta(days=61) < t.created_at < START for t in tickets)
    known = [t for t in tickets if "known_error" in t.tags]
    assert known and all(t.custom_fields[WORKAROUND_FIELD] for t in known)
    assert any(t.problem_id for t in tickets) and one.account.audits


def test_a_story_is_seeded_with_its_people_dates_and_comments() -> None:
    support = Support(clock=EmulatorClock(START), limits=Limits(None, None))
    seeder = Seeder(support)
    friday = START - timedelta(days=3)
    problem = seeder.ticket("VPN drops on Fridays", type="problem", created_at=friday)
    incident = seeder.ticket(
        "VPN down again",
        requester="ada.lovelace@example.com",
        created_at=friday + timedelta(hours=2),
        problem=problem,
        group="Network",
        assignee=seeder.user("Beth", "beth@example.com", role="agent"),
        status="solved",
        comments=[SeededComment("Rebooted the concentrator", "beth@example.com", public=False)],
    )
    requester = support.account.users[incident.requester_id]
    assert (requester.name, requester.email) == ("Ada Lovelace", "ada.lovelace@example.com")
    assert incident.status == "solved" and incident.problem_id == problem.id
    assert support.account.groups[incident.group_id].name == "Network"
    [description, note] = support.account.comments[incident.id]
    assert description.body == "VPN down again"
    assert note.public is False and note.created_at == friday + timedelta(hours=2, minutes=5)
    assert incident.updated_at == friday + timedelta(hours=2, minutes=6)


def test_the_plugin_registers_its_emulator_with_a_ready_config() -> None:
    registered: list[type[Emulator]] = []
    plugin.register_emulators(register=registered.append)
    assert registered == [ZendeskEmulator]
    emulated = ZendeskEmulator().connector_config("http://127.0.0.1:8123", {"api_token": "t2"})
    assert emulated.environment["ZENDESK_API_TOKEN"] == "t2"
    settings = ZendeskSettings.model_validate(emulated.settings, context={"config_dir": "."})
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.mapping.custom_fields == {"workaround": WORKAROUND_FIELD}
    with pytest.raises(ValueError, match="unknown credential"):
        ZendeskEmulator().connector_config("http://x", {"password": "p"})


@pytest.mark.anyio
async def test_the_admin_routes_reset_seed_and_add_stories() -> None:
    app = ZendeskEmulator(tickets=5).app(seed=3, credentials={"api_token": "other"})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://acme.zendesk.com") as admin:
        assert (await admin.get("/_emulator/state")).json()["tickets"] == 5
        story = {
            "subject": "Laptop not enrolled",
            "requester": "new.hire@example.com",
            "created_at": "2026-03-01T08:00:00+00:00",
            "comments": [{"body": "Okta says active", "public": False}],
        }
        created = await admin.post("/_emulator/tickets", json=story)
        assert created.status_code == 201
        person = {"name": "Grace", "email": "grace@example.com", "role": "agent"}
        assert (await admin.post("/_emulator/users", json=person)).status_code == 201
        hook = await admin.post("/_emulator/webhooks", json={"url": "http://127.0.0.1:9/x"})
        assert hook.json()["secret"] == "zendesk-emulator-signing-secret"
        await admin.post("/_emulator/reset", json={"seed": 1, "tickets": 3})
        assert (await admin.get("/_emulator/state")).json()["tickets"] == 3
        auth = httpx.BasicAuth("admin@example.com/token", "other")
        me = await admin.get("/api/v2/users/me", auth=auth)
        assert me.status_code == 200
        assert (await admin.get("/_emulator/webhooks")).json() == {"deliveries": []}
