"""Enrichment revisits through the engine: when Okta says a person changed, their open
tickets are enriched again on the next cycle; closed ones keep what they had; a failing
revisit is retried later and does not hold back new tickets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fakes.connector import REMOTES
from fakes.remote import FakeRemote

from itsmhub import Incident
from itsmhub.config import validate_config
from itsmhub.emulation import Fault
from itsmhub.engine import Hub, open_hub, sync_once
from itsmhub.plugins import load_plugins
from itsmhub_okta.emulator import Org, build_app

pytestmark = pytest.mark.anyio


@pytest.fixture
async def hub(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Hub, FakeRemote]]:
    monkeypatch.setenv("ITSMHUB_TEST_OKTA_TOKEN", "00emulator-api-token")
    plugins = load_plugins(
        environ={"ITSMHUB_LOAD_PLUGINS": "okta", "ITSMHUB_PLUGIN_MODULES": "fakes.plugin"}
    )
    desk = REMOTES[f"{tmp_path}-desk"] = FakeRemote()
    data = {
        "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "http": {"max_attempts": 1},  # a failure is the cycle's, at once: no waits
        "connectors": {
            "desk": {"type": "fake", "remote": f"{tmp_path}-desk"},
            "okta": {
                "type": "okta",
                "org_url": "https://acme.okta.com",
                "auth": {"method": "api_token", "token": "env:ITSMHUB_TEST_OKTA_TOKEN"},
            },
        },
    }
    config, issues = validate_config(data, plugins, config_dir=tmp_path)
    assert config is not None, issues
    transport = httpx.ASGITransport(app=build_app(org))
    try:
        async with open_hub(
            config, plugins, clock=org.clock, transports={"okta": transport}
        ) as hub:
            yield hub, desk
    finally:
        REMOTES.pop(f"{tmp_path}-desk", None)


async def enrichment_of(hub: Hub, remote_id: str) -> tuple[str | None, str | None]:
    found = await hub.store.find_by_ref("desk", remote_id)
    assert isinstance(found, Incident)
    return found.enrichment.department, found.enrichment.reporter_id


async def test_a_moved_person_s_open_tickets_follow_and_closed_ones_stay(
    org: Org, hub: tuple[Hub, FakeRemote]
) -> None:
    engine, desk = hub
    ada = org.add_user("Ada", "Lovelace", department="Engineering")
    grace = org.add_user("Grace", "Hopper", department="Sales")
    mail = {"email": ada["profile"]["email"]}
    open_one = desk.add("incident", title="VPN drops", status="new", reporter=mail)
    closed = desk.add("incident", title="Old printer", status="closed", reporter=mail)
    first = await sync_once(engine)
    assert first.ok, first.steps
    assert first.steps["enrichment"].revisited == 0  # nothing enriched before: nothing to redo
    person = await engine.store.find_person(ada["profile"]["email"])
    assert await enrichment_of(engine, open_one.remote_id) == ("Engineering", person.id)
    assert (await sync_once(engine)).ok  # the step sees its own writes once more: settled

    org.update_user(ada["id"], department="Finance")
    # The revisit reads her devices again (forgotten as she changed); Okta fails that.
    org.controls.faults.inject(Fault(status=503, path="/api/v1/users/*/devices", times=5))
    desk.add("incident", title="Mail stuck", status="new", reporter={"email": "x@else.example"})
    failing = await sync_once(engine)
    [error] = failing.steps["enrichment"].errors
    assert error.startswith("enrichment revisits: ") and "503" in error
    assert failing.steps["enrichment"].seen == 1  # the new ticket was still looked at
    assert (await engine.store.find_person(person.id)).department == "Finance"  # merged
    assert (await enrichment_of(engine, open_one.remote_id))[0] == "Engineering"

    org.controls.faults.clear()
    again = await sync_once(engine)
    assert again.ok, again.steps
    assert again.steps["enrichment"].revisited == 1  # only the open one
    assert await enrichment_of(engine, open_one.remote_id) == ("Finance", person.id)
    assert (await enrichment_of(engine, closed.remote_id))[0] == "Engineering"
    assert grace  # another person's tickets are not touched
