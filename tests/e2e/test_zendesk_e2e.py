"""Zendesk end to end: the emulator served on 127.0.0.1, the real connector driven by the
engine (``Hub.open`` + ``sync_once``), a fake second system on the other side (tickets,
comments, bulk creates and safe updates followed through jobs, both ways), and signed
webhook deliveries reaching a receiver over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes.connector import REMOTES
from fakes.remote import FakeRemote
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from itsmhub import ConnectorContext, HttpSettings, WebhookEvent, WebhookRequest, utcnow
from itsmhub.config import validate_config
from itsmhub.engine import Hub, sync_once
from itsmhub.plugins import load_plugins
from itsmhub.testing import serve
from itsmhub_zendesk.connector import ZendeskConnector
from itsmhub_zendesk.emulator import Limits, Support, ZendeskEmulator, build_app, seed_account
from itsmhub_zendesk.settings import ZendeskSettings

pytestmark = pytest.mark.anyio
SYNCED = ("incident", "problem")


@pytest.fixture
def served() -> Iterator[tuple[str, Support]]:
    """A seeded account on a socket bound before the server starts; stopped after."""
    support = Support()
    seed_account(support, 3, tickets=12)
    with serve(build_app(support)) as url:
        yield url, support


def synced_tickets(support: Support) -> dict[int, Any]:
    tag = "known_error"
    return {
        t.id: t for t in support.account.visible_tickets() if t.type in SYNCED and tag not in t.tags
    }


@pytest.fixture
def hub_config(
    served: tuple[str, Support], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, Any, Support, FakeRemote]]:
    url, support = served
    plugins = load_plugins(
        environ={"ITSMHUB_LOAD_PLUGINS": "zendesk", "ITSMHUB_PLUGIN_MODULES": "fakes.plugin"}
    )
    assert not plugins.broken, plugins.broken
    emulated = ZendeskEmulator().connector_config(url, {})
    for name, value in emulated.environment.items():
        monkeypatch.setenv(name, value)
    jira = REMOTES[f"{tmp_path}-jira"] = FakeRemote()
    data = {
        "store": {"url": f"sqlite:///{tmp_path / 'itsmhub.db'}"},
        "http": {"allow_private_networks": True, "max_attempts": 2, "backoff_base": 0.01},
        "connectors": {
            # Tickets only: this account keeps Zendesk's ten export calls a minute, which
            # two streams in small pages would spend (comments: the two-way test below).
            "zendesk": {**emulated.settings, "sync_comments": False, "page_size": 5},
            "jira": {"type": "fake", "remote": f"{tmp_path}-jira"},
        },
        "rules": {
            "desk-to-engineering": {
                "type": "routing",
                "from": "zendesk",
                "to": ["jira"],
                "kinds": list(SYNCED),
            }
        },
    }
    config, issues = validate_config(data, plugins, config_dir=tmp_path)
    assert config is not None, issues
    yield config, plugins, support, jira
    REMOTES.pop(f"{tmp_path}-jira", None)


async def test_tickets_flow_to_the_other_system_and_edits_follow(hub_config) -> None:
    config, plugins, support, jira = hub_config
    expected = synced_tickets(support)
    async with Hub.open(config, plugins) as hub:
        check = await hub.connector("zendesk").check()
        assert check.ok, check.items
        first = await sync_once(hub)
        assert first.ok, first.connectors
        copies = {r.fields["title"] for r in jira.records.values()}
        assert copies == {t.subject for t in expected.values()}
        ticket = next(t for t in expected.values() if t.status != "closed")
        support.desk.update(ticket.id, {"subject": "Edited in Zendesk"}, support.account.agent)
        support.clock.advance(61)  # the export shows it once a minute has passed
        second = await sync_once(hub)
        assert second.ok, second.connectors
        assert second.connectors["zendesk"].pull.updated == 1
    assert "Edited in Zendesk" in {r.fields["title"] for r in jira.records.values()}
    assert len(jira.records) == len(expected)


async def test_a_failed_export_page_resumes_from_the_last_committed_one(hub_config) -> None:
    config, plugins, support, jira = hub_config
    url = str(config.connectors["zendesk"].url).rstrip("/")
    async with httpx.AsyncClient(base_url=url) as admin:
        fault = {"status": 503, "path": "/api/v2/incremental/tickets/cursor", "skip": 1, "times": 2}
        assert (await admin.post("/_emulator/faults", json=fault)).status_code == 201
        async with Hub.open(config, plugins) as hub:
            broken = await sync_once(hub)
            assert not broken.ok and "pull tickets" in broken.connectors["zendesk"].errors[0]
            assert broken.connectors["zendesk"].pull.pages == 1  # the first page stayed
            healed = await sync_once(hub)
            assert healed.ok, healed.connectors
        calls = (await admin.get("/_emulator/calls")).json()["calls"]
    assert len(jira.records) == len(synced_tickets(support))
    assert calls["GET /api/v2/incremental/tickets/cursor"] >= 4


async def test_signed_deliveries_reach_a_receiver_and_verify(
    served: tuple[str, Support],
) -> None:
    url, support = served
    received: list[WebhookEvent] = []
    arrived = threading.Event()
    holder: dict[str, ZendeskConnector] = {}

    async def receive(request: Request) -> Response:
        delivery = WebhookRequest(
            headers=dict(request.headers), body=await request.body(), received_at=utcnow()
        )
        received.extend(holder["connector"].verify_webhook(delivery).events)
        arrived.set()
        return Response(status_code=204)

    receiver = Starlette(routes=[Route("/hooks/zendesk", receive, methods=["POST"])])
    token = httpx.BasicAuth("admin@example.com/token", "zendesk-emulator-token")
    with serve(receiver) as hub_url:
        async with httpx.AsyncClient(base_url=url, auth=token) as api:
            spec = {"webhook": {"name": "hub", "endpoint": f"{hub_url}/hooks/zendesk"}}
            hook = (await api.post("/api/v2/webhooks", json=spec)).json()["webhook"]
            secret_path = f"/api/v2/webhooks/{hook['id']}/signing_secret"
            secret = (await api.get(secret_path)).json()["signing_secret"]["secret"]
            settings = ZendeskSettings.model_validate(
                {
                    "url": url,
                    "custom_domain": True,
                    "email": "admin@example.com",
                    "api_token": "env:TOKEN",
                    "webhook_secret": "env:HOOK",
                },
                context={"config_dir": "."},
            )
            context = ConnectorContext(
                http=HttpSettings(), resolve_secret=lambda ref: SecretStr(secret)
            )
            holder["connector"] = ZendeskConnector("zendesk", settings, context)
            ticket = next(t for t, row in synced_tickets(support).items() if row.status != "closed")
            update = {"ticket": {"comment": {"body": "Any news?", "public": True}}}
            assert (await api.put(f"/api/v2/tickets/{ticket}", json=update)).status_code == 200
            assert arrived.wait(timeout=10)
    [event] = received
    assert event.remote_id == str(ticket) and event.event_type.endswith("ticket.comment_added")
    assert [d.status for d in support.sender.deliveries] == [204]


class HubClock:
    """The hub's clock: real time plus what the test moved it on by (jobs are asked about
    again a few seconds after they start; the test moves time instead of waiting)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


@pytest.fixture
def two_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    """An account routed both ways with a fake system, comments on. The exports' limit is
    off here (the unit tests and the benchmark cover it): cycles follow each other fast."""
    support = Support(limits=Limits(account=700, incremental=None))
    seed_account(support, 5, tickets=6, comments=1)
    plugins = load_plugins(
        environ={"ITSMHUB_LOAD_PLUGINS": "zendesk", "ITSMHUB_PLUGIN_MODULES": "fakes.plugin"}
    )
    jira = REMOTES[f"{tmp_path}-jira"] = FakeRemote()
    with serve(build_app(support)) as url:
        emulated = ZendeskEmulator().connector_config(url, {})
        for name, value in emulated.environment.items():
            monkeypatch.setenv(name, value)
        route = {"type": "routing", "kinds": ["incident"]}
        data = {
            "store": {"url": f"sqlite:///{tmp_path / 'itsmhub.db'}"},
            "http": {"allow_private_networks": True},
            "connectors": {
                "zendesk": {**emulated.settings, "export_requests_per_minute": 1000},
                "jira": {"type": "fake", "remote": f"{tmp_path}-jira"},
            },
            "rules": {
                "desk-to-engineering": {**route, "from": "zendesk", "to": ["jira"]},
                "engineering-to-desk": {**route, "from": "jira", "to": ["zendesk"]},
            },
        }
        config, issues = validate_config(data, plugins, config_dir=tmp_path)
        assert config is not None, issues
        yield config, plugins, support, jira
    REMOTES.pop(f"{tmp_path}-jira", None)


async def cycles(hub: Hub, clock: HubClock, support: Support, until: Any, most: int = 6) -> None:
    """Run cycles, moving both clocks past the export's embargo and a job's wait between
    them, until ``until()`` holds."""
    for _ in range(most):
        report = await sync_once(hub)
        assert report.ok, report.connectors
        if until():
            return
        clock.offset += timedelta(seconds=5)
        support.clock.advance(61)
    raise AssertionError("the cycles did not get there")


async def test_comments_creates_and_edits_flow_both_ways(two_way) -> None:
    config, plugins, support, jira = two_way
    account = support.account
    incidents = {t.id: t for t in account.visible_tickets() if t.type == "incident"}
    ticket = next(t for t in incidents.values() if t.status != "closed")
    support.desk.update(ticket.id, {"subject": "Printer on fire"}, account.agent)
    support.clock.advance(61)
    clock = HubClock()
    async with Hub.open(config, plugins, clock=clock) as hub:
        await cycles(hub, clock, support, lambda: len(jira.records) == len(incidents))
        # Comments read in bulk from the event export reached the copies.
        noted = [t for t in incidents.values() if len(account.comments[t.id]) > 1]
        copies = {r.fields["title"]: r for r in jira.records.values()}
        assert noted
        for ticket in noted:
            bodies = [c.body for c in copies[ticket.subject].comments]  # footed copies
            for comment in account.comments[ticket.id][1:]:
                assert any(body.startswith(comment.body) for body in bodies), comment.body
        # A ticket made in the other system arrives through a create_many job.
        made = jira.add("incident", title="Made in engineering", status="new")
        arrived = lambda: any(t.subject == "Made in engineering" for t in account.tickets.values())  # noqa: E731
        await cycles(hub, clock, support, arrived)
        [copy] = [t for t in account.tickets.values() if t.subject == "Made in engineering"]
        assert copy.type == "incident" and copy.external_id
        # An edit there reaches the Zendesk ticket through an update_many job, as a safe update.
        mirror = next(r for r in jira.records.values() if r.fields["title"] == "Printer on fire")
        jira.edit(mirror.remote_id, title="Renamed in engineering")
        await cycles(hub, clock, support, lambda: ticket.subject == "Renamed in engineering")
        # A comment there arrives footed, as an internal note.
        jira.comment(made.remote_id, "Engineering is on it", visibility="internal")
        noted_here = lambda: len(account.comments[copy.id]) > 1  # noqa: E731
        await cycles(hub, clock, support, noted_here)
        [_, note] = account.comments[copy.id]
        assert note.public is False and note.body.startswith("Engineering is on it")
        assert "— Ada (via itsmhub)" in note.body and "[itsmhub:" in note.body
    jobs = {job.job_type for job in account.jobs.values()}
    assert jobs == {"bulk_create_tickets", "bulk_update_tickets"}
