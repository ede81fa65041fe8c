"""The directory kept current through the engine: people and devices already in the hub
change when the System Log says so (merged like any record, never crashing a cycle)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from itsmhub import Device, Person
from itsmhub.config import validate_config
from itsmhub.engine import Hub, open_hub, sync_once
from itsmhub.plugins import load_plugins
from itsmhub_okta.emulator import Org, build_app, seed_org

pytestmark = pytest.mark.anyio
TOKEN = "00emulator-api-token"


@pytest.fixture
async def hub(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[Hub]:
    seed_org(org, 3, people=8)
    monkeypatch.setenv("ITSMHUB_TEST_OKTA_TOKEN", TOKEN)
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "okta"})
    data = {
        "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "connectors": {
            "okta": {
                "type": "okta",
                "org_url": "https://acme.okta.com",
                "auth": {"method": "api_token", "token": "env:ITSMHUB_TEST_OKTA_TOKEN"},
                "page_size": getattr(request, "param", 200),
            }
        },
    }
    config, issues = validate_config(data, plugins, config_dir=tmp_path)
    assert config is not None, issues
    transport = httpx.ASGITransport(app=build_app(org))
    async with open_hub(config, plugins, clock=org.clock, transports={"okta": transport}) as hub:
        yield hub


async def record(hub: Hub, remote_id: str) -> Person | Device:
    found = await hub.store.find_by_ref("okta", remote_id)
    assert isinstance(found, Person | Device), remote_id
    return found


async def test_profile_and_device_changes_merge_into_what_the_hub_holds(org: Org, hub: Hub) -> None:
    first = await sync_once(hub)
    assert first.ok, first.connectors["okta"].errors
    someone = next(u for u in org.users.values() if u["status"] == "ACTIVE")
    laptop = next(d for d, users in org.device_users.items() if someone["id"] in users)
    org.update_user(someone["id"], department="Finance", title="Controller")
    org.set_device_status(laptop, "SUSPENDED")
    second = await sync_once(hub)
    assert second.ok, second.connectors["okta"].errors
    assert second.connectors["okta"].pull.updated >= 2
    person = await record(hub, someone["id"])
    assert (person.department, person.title) == ("Finance", "Controller")
    device = await record(hub, laptop)
    assert device.status == "SUSPENDED" and not device.active
    third = await sync_once(hub)  # nothing new: nothing moves
    assert third.connectors["okta"].pull.updated == 0


@pytest.mark.parametrize("hub", [200, 2], indirect=True, ids=["one page", "pages of 2"])
async def test_every_manager_link_resolves_whichever_page_brings_the_manager(
    org: Org, hub: Hub
) -> None:
    """Users come by lastUpdated, so a report is often read before their manager: the
    link waits (parked) for the manager and is made when they arrive."""
    report = await sync_once(hub)
    assert report.ok, report.connectors["okta"].errors
    managed = [u for u in org.users.values() if u["profile"].get("managerId")]
    assert managed
    for user in managed:
        person = await record(hub, user["id"])
        manager = await record(hub, user["profile"]["managerId"])
        assert [(k.kind.value, k.target_id) for k in person.links] == [("managed_by", manager.id)]
