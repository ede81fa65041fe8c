"""Tickets from ServiceNow and Jira enriched from Okta, the three emulators served on
127.0.0.1, through ``open_hub`` and ``sync_once`` and the CLI.

The story: Beth Anglin (Engineering) cannot reach the VPN and calls the service desk
(ServiceNow names her only by her ``caller_id``), files a Jira issue about her laptop
by its serial number, and three people of two departments report Outlook asking for a
password again. Then Beth moves to Finance in Okta.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
from click.testing import CliRunner

from itsmhub import Incident, Person
from itsmhub import plugins as plugin_module
from itsmhub.cli import cli
from itsmhub.config import load_config
from itsmhub.engine import Hub, open_hub, sync_once
from itsmhub.engine.rules_run import problem_candidates
from itsmhub.plugins import load_plugins
from itsmhub.testing import serve
from itsmhub_jira.emulator import Site, add_issue
from itsmhub_jira.emulator import build_app as jira_app
from itsmhub_okta.emulator import Org
from itsmhub_okta.emulator import build_app as okta_app
from itsmhub_servicenow.emulator import Instance, seed_instance
from itsmhub_servicenow.emulator import build_app as snow_app

pytestmark = pytest.mark.anyio
OKTA_TOKEN = "00emulator-api-token"
SERIAL = "C02BETH0001"
CONFIG = """
[store]
url = "sqlite:///{folder}/itsmhub.db"
[http]
allow_private_networks = true
[connectors.servicenow]
type = "servicenow"
instance_url = "{snow}"
auth = {{ method = "basic", username = "admin", password = "env:ITSMHUB_TEST_SNOW_PASSWORD" }}
[connectors.jira]
type = "jira"
site_url = "{jira}"
custom_domain = true
email = "itsmhub@example.com"
api_token = "env:ITSMHUB_TEST_JIRA_TOKEN"
projects = ["OPS"]
[connectors.okta]
type = "okta"
org_url = "{okta}"
custom_domain = true
auth = {{ method = "api_token", token = "env:ITSMHUB_TEST_OKTA_TOKEN" }}
[rules.same-subject]
type = "same_subject"
"""


@dataclass
class World:
    hub: Hub
    config: Path
    okta_url: str
    org: Org
    instance: Instance
    site: Site


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    org, instance, site = Org(), Instance(), Site()
    seed_instance(instance, 3, incidents=0)
    people = {u["email"]: u for u in instance.rows("sys_user")}
    cto = org.add_user("Fred", "Luddy", email="fred.luddy@example.com", department="Engineering")
    for email, department in (
        ("beth.anglin@example.com", "Engineering"),
        ("abel.tuter@example.com", "Engineering"),
        ("bud.richman@example.com", "Sales"),
    ):
        first, last = people[email]["name"].split()
        org.add_user(
            first, last, email=email, department=department, title="Analyst", manager_id=cto["id"]
        )
    beth = org.find_user("beth.anglin@example.com")
    org.add_device("Beth's MacBook", serial_number=SERIAL, users=[beth["id"]])
    instance.insert(
        "incident",
        {
            "short_description": "VPN will not connect",
            "caller_id": people[beth["profile"]["email"]]["sys_id"],
        },
    )
    for email in ("beth.anglin@example.com", "abel.tuter@example.com", "bud.richman@example.com"):
        caller = people[email]["sys_id"]
        instance.insert(
            "incident",
            {"short_description": "Outlook keeps asking for my password", "caller_id": caller},
        )
    add_issue(
        site, summary=f"Battery swells on laptop {SERIAL}", reporter="beth.anglin@example.com"
    )
    add_issue(site, summary="Printer jams for bud.richman", reporter="david.loo@example.com")
    for name, value in (
        ("ITSMHUB_TEST_SNOW_PASSWORD", "admin"),
        ("ITSMHUB_TEST_JIRA_TOKEN", "jira-emulator-token"),
        ("ITSMHUB_TEST_OKTA_TOKEN", OKTA_TOKEN),
    ):
        monkeypatch.setenv(name, value)
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "servicenow,jira,okta"})
    assert not plugins.broken, plugins.broken
    monkeypatch.setattr(plugin_module, "_cached", plugins)
    with (
        serve(snow_app(instance)) as snow,
        serve(jira_app(site)) as jira,
        serve(okta_app(org)) as okta,
    ):
        path = tmp_path / "config.toml"
        path.write_text(CONFIG.format(folder=tmp_path, snow=snow, jira=jira, okta=okta))
        async with open_hub(load_config(path, plugins), plugins) as hub:
            yield World(hub, path, okta, org, instance, site)


async def tickets(hub: Hub, system: str) -> list[Incident]:
    refs = await hub.store.list_records(connector=system, limit=100)
    loaded = await hub.store.load_records([r.id for r in refs])
    return [r.record for r in loaded.values() if isinstance(r.record, Incident)]


async def people_show(config: Path, who: str) -> dict:
    """``itsmhub people show WHO --json``; in a thread: the CLI runs its own event loop."""
    args = ["--config", str(config), "people", "show", who, "--json"]
    result = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli, args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


async def test_tickets_learn_who_they_are_about_and_follow_a_department_move(world) -> None:
    hub = world.hub
    first = await sync_once(hub)
    assert first.ok, (first.connectors, first.steps)
    [vpn] = [t for t in await tickets(hub, "servicenow") if t.title == "VPN will not connect"]
    # ServiceNow named her by caller_id only: resolved through its own user look-up.
    assert vpn.reporter.email is None and vpn.reporter.external.remote_type == "sys_user"
    assert vpn.enrichment.reporter_email == "beth.anglin@example.com"
    beth = await hub.store.find_person("beth.anglin@example.com")
    assert isinstance(beth, Person)
    assert vpn.enrichment.reporter_id == beth.id
    assert (vpn.enrichment.department, vpn.enrichment.title) == ("Engineering", "Analyst")
    manager = await hub.store.find_person("fred.luddy@example.com")
    assert vpn.enrichment.manager_id == manager.id
    [laptop] = (await hub.store.devices_used_by([beth.id]))[beth.id]
    assert vpn.enrichment.device_ids == (laptop.id,)
    [battery] = [t for t in await tickets(hub, "jira") if SERIAL in t.title]
    assert battery.enrichment.device_id == laptop.id  # named by its serial number

    # Rules: the same person in two tools, and departments for problem candidates.
    hers = [t for t in await tickets(hub, "servicenow") if t.enrichment.reporter_id == beth.id]
    assert len(hers) == 2  # the VPN call and her Outlook one, opened in the same second
    [link] = battery.links  # to the first of them: one star around her first ticket
    assert link.kind.value == "related" and link.target_id in {t.id for t in hers}
    assert link.origin == "rule:same-subject"
    assert f"same person (hub Person {beth.id})" in (link.reason or "")
    [outlook] = await problem_candidates(hub, since=None)
    assert outlook.departments == {"Engineering", "Sales"} and len(outlook.people) == 3
    [printer] = [t for t in await tickets(hub, "jira") if t.title.startswith("Printer")]
    facts = (await hub.store.get_facts([printer.id]))[printer.id]
    assert "_user_" in facts.tokens and "bud.richman" not in facts.text  # masked

    shown = await people_show(world.config, "Beth.Anglin@example.com")
    assert (shown["department"], shown["manager"]["email"]) == (
        "Engineering",
        "fred.luddy@example.com",
    )
    assert [d["serial_number"] for d in shown["devices"]] == [SERIAL]
    systems = {k["system"] for i in shown["open_incidents"] for k in i["keys"]}
    assert systems == {"servicenow", "jira"} and len(shown["open_incidents"]) == 3
    assert [r["system"] for r in shown["refs"]] == ["okta"]
    assert {a["system"]: a["type"] for a in shown["accounts"]} == {
        "jira": "user",
        "servicenow": "sys_user",
    }

    # An admin moves her to Finance in Okta; the next cycle reads the System Log.
    async with httpx.AsyncClient(headers={"Authorization": f"SSWS {OKTA_TOKEN}"}) as okta:
        moved = await okta.post(
            f"{world.okta_url}/api/v1/users/{beth.refs[0].remote_id}",
            json={"profile": {"department": "Finance"}},
        )
        assert moved.status_code == 200, moved.text
    second = await sync_once(hub)
    assert second.ok and second.steps["enrichment"].revisited == 3
    again = await hub.store.load_records([vpn.id, battery.id])
    assert {r.record.enrichment.department for r in again.values()} == {"Finance"}
    assert (await hub.store.find_person(beth.id)).department == "Finance"
