"""Mentions in ticket text: keys as written, and URLs of the configured instances."""

from __future__ import annotations

from pathlib import Path

import pytest

from itsmhub import ExternalRef, Incident, utcnow
from itsmhub.config import Config, validate_config
from itsmhub.engine import Hub
from itsmhub.engine.rules_run import resolve_mentions
from itsmhub.plugins import get_plugins
from itsmhub.rules.facts import facts_of
from itsmhub.rules.session import RuleSession
from itsmhub.store import Store

pytestmark = pytest.mark.anyio

CONNECTORS = {
    "jira": {
        "type": "jira",
        "site_url": "https://acme.atlassian.net",
        "email": "bot@acme.example",
        "api_token": "env:JIRA_TOKEN",
        "projects": ["OPS"],
    },
    "zendesk": {
        "type": "zendesk",
        "subdomain": "acme",
        "email": "bot@acme.example",
        "api_token": "env:ZD_TOKEN",
    },
    "servicenow": {
        "type": "servicenow",
        "instance_url": "https://acme.service-now.com",
        "auth": {"method": "basic", "username": "bot", "password": "env:SN_PASSWORD"},
    },
}
SYS_ID = "9d385017c611228701d22104cc95c371"


def session(tmp_path: Path) -> tuple[RuleSession, Config]:
    data = {
        "store": {"url": f"sqlite:///{tmp_path / 'itsmhub.db'}"},
        "connectors": CONNECTORS,
        "rules": {"refs": {"type": "linking", "method": "references"}},
    }
    config, issues = validate_config(data, get_plugins(), config_dir=tmp_path)
    assert config is not None, issues
    return RuleSession(config), config


def test_what_each_mention_looks_up(tmp_path: Path) -> None:
    rules, _ = session(tmp_path)
    assert rules.lookups("OPS-12") == ["OPS-12"]
    assert rules.lookups("#4711") == ["4711"]
    assert rules.lookups("https://acme.zendesk.com/agent/tickets/4711") == ["4711"]
    assert rules.lookups("https://acme.atlassian.net/browse/OPS-12") == ["OPS-12"]
    url = f"https://acme.service-now.com/nav_to.do?uri=incident.do&sys_id={SYS_ID}"
    assert SYS_ID in rules.lookups(url)
    assert rules.system_of(url) == "servicenow"
    nav = f"https://acme.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D{SYS_ID}"
    assert rules.lookups(nav) == [SYS_ID]
    assert rules.lookups("https://elsewhere.example.com/tickets/4711") == []
    assert rules.system_of("OPS-12") is None


async def test_urls_resolve_in_their_own_system_only(tmp_path: Path) -> None:
    rules, config = session(tmp_path)
    async with await Store.open(config.store.url) as store:
        hub = Hub(config=config, plugins=get_plugins(), store=store, connectors={})
        snow = Incident(
            title="Mail down",
            refs=[ExternalRef(system="servicenow", remote_id=SYS_ID, key="INC0010001")],
        )
        zendesk = Incident(
            title="Mail?", refs=[ExternalRef(system="zendesk", remote_id="4711", key="4711")]
        )
        jira = Incident(
            title="Mail", refs=[ExternalRef(system="jira", remote_id="10001", key="4711")]
        )
        for record in (snow, zendesk, jira):
            await store.put_record(record)
        text = (
            f"see https://acme.service-now.com/incident.do?sys_id={SYS_ID} "
            "and https://acme.zendesk.com/agent/tickets/4711 and INC0010001"
        )
        mentioning = facts_of(Incident(title="Same outage", description=text), now=utcnow())
        assert mentioning is not None
        await resolve_mentions(hub, rules, [mentioning])
        found = rules.catalog.mentions
        assert found[f"https://acme.service-now.com/incident.do?sys_id={SYS_ID}"] == [
            ("servicenow", snow.id)
        ]
        assert found["https://acme.zendesk.com/agent/tickets/4711"] == [("zendesk", zendesk.id)]
        assert found["INC0010001"] == [("servicenow", snow.id)]
