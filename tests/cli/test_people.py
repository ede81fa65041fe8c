"""``itsmhub people show|list`` and the same_subject rule's evidence in ``rules dry-run``
and ``rules explain``, on a real store holding a directory and tickets about its people."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner, Result
from fakes.configs import TWO_TOOLS

from itsmhub.cli import cli
from itsmhub.model import (
    Device,
    Enrichment,
    ExternalRef,
    Incident,
    IncidentStatus,
    Link,
    LinkKind,
    Person,
    PersonRef,
)
from itsmhub.store import Store

NOW = datetime.now(UTC)
CONFIG = TWO_TOOLS + '\n[rules.same-subject]\ntype = "same_subject"\n'


def okta(remote_id: str, key: str) -> list[ExternalRef]:
    return [ExternalRef(system="okta", remote_id=remote_id, key=key, remote_type="user")]


GRACE = Person(
    id="hub-grace",
    display_name="Grace Hopper",
    email="grace@acme.example",
    login="grace@acme.example",
    department="Engineering",
    title="Engineering Manager",
    refs=okta("00ugrace", "grace@acme.example"),
)
ADA = Person(
    id="hub-ada",
    display_name="Ada Lovelace",
    email="Ada@acme.example",
    login="ada@acme.example",
    department="Engineering",
    title="Software Engineer",
    groups=["Everyone", "VPN Users"],
    refs=okta("00uada", "ada@acme.example"),
    links=[Link(kind=LinkKind.MANAGED_BY, target_id="hub-grace")],
)
BUD = Person(
    id="hub-bud",
    display_name="Bud Richman",
    email="bud@acme.example",
    department="Sales",
    refs=okta("00ubud", "bud@acme.example"),
)
LAPTOP = Device(
    id="hub-laptop",
    name="Ada's MacBook Pro 14",
    serial_number="C02ADA0001",
    platform="MACOS",
    status="ACTIVE",
    refs=[ExternalRef(system="okta", remote_id="guolaptop", key="C02ADA0001")],
    links=[Link(kind=LinkKind.USED_BY, target_id="hub-ada")],
)


def ticket(system: str, key: str, title: str, hours: int, **fields: Any) -> Incident:
    return Incident(
        id=f"hub-{key}",
        title=title,
        refs=[ExternalRef(system=system, remote_id=f"r{key}", key=key)],
        opened_at=NOW - timedelta(hours=hours),
        **fields,
    )


ADA_ENRICHED = Enrichment(reporter_id="hub-ada", department="Engineering")
TICKETS = [
    ticket("jira", "OPS-7", "Laptop will not boot", 30, enrichment=ADA_ENRICHED),
    ticket(
        "zendesk",
        "4711",
        "Cannot reach the VPN",
        28,
        reporter=PersonRef(external=ExternalRef(system="zendesk", remote_id="9001")),
        enrichment=ADA_ENRICHED.model_copy(update={"reporter_email": "ada@acme.example"}),
    ),
    ticket(
        "zendesk",
        "4700",
        "Old printer issue",
        400,
        status=IncidentStatus.CLOSED,
        enrichment=ADA_ENRICHED,
    ),
    ticket("zendesk", "4712", "Mail stuck", 2, reporter=PersonRef(email="bud@acme.example")),
]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ITSMHUB_TEST_JIRA_TOKEN", "t0k3n-jira")
    monkeypatch.setenv("ITSMHUB_TEST_ZENDESK_TOKEN", "t0k3n-zendesk")
    url = f"sqlite:///{tmp_path / 'itsmhub.db'}"
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(url=url))

    async def seed() -> None:
        async with await Store.open(url) as store:
            for record in (GRACE, ADA, BUD, LAPTOP, *TICKETS):
                await store.put_record(record)
            for record in (ADA, LAPTOP):
                for link in record.links:
                    await store.add_link(record.id, link)

    anyio.run(seed)
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_people_show_a_person_their_devices_and_open_incidents(config: Path) -> None:
    shown = as_json(run(config, "people", "show", "ADA@acme.example", "--json"))
    assert (shown["id"], shown["department"], shown["title"]) == (
        "hub-ada",
        "Engineering",
        "Software Engineer",
    )
    assert shown["manager"]["email"] == "grace@acme.example"
    assert shown["groups"] == ["Everyone", "VPN Users"]
    assert [(d["serial_number"], d["platform"], d["status"]) for d in shown["devices"]] == [
        ("C02ADA0001", "MACOS", "ACTIVE")
    ]
    # Open only, newest first, each with its key and system; the closed one is left out.
    assert [i["keys"] for i in shown["open_incidents"]] == [
        [{"system": "zendesk", "key": "4711"}],
        [{"system": "jira", "key": "OPS-7"}],
    ]
    assert [(a["system"], a["remote_id"]) for a in shown["accounts"]] == [("zendesk", "9001")]
    text = run(config, "people", "show", "ada@acme.example")
    assert text.exit_code == 0, text.output
    assert "Ada Lovelace <Ada@acme.example>" in text.output
    assert "manager: Grace Hopper <grace@acme.example>" in text.output
    assert "C02ADA0001" in text.output and "OPS-7" in text.output
    # A reporter the directory did not match yet is found by e-mail.
    bud = as_json(run(config, "people", "show", "bud@acme.example", "--json"))
    assert [i["keys"][0]["key"] for i in bud["open_incidents"]] == ["4712"]


def test_people_show_says_how_to_load_people_when_nobody_matches(config: Path) -> None:
    result = run(config, "people", "show", "nobody@acme.example")
    assert result.exit_code == 1
    assert "no person 'nobody@acme.example'" in result.output
    assert "itsmhub backfill --connector okta" in result.output


def test_people_list_by_department(config: Path) -> None:
    listed = as_json(run(config, "people", "list", "--department", "engineering", "--json"))
    assert [(p["display_name"], p["devices"], p["open_incidents"]) for p in listed["people"]] == [
        ("Ada Lovelace", 1, 2),
        ("Grace Hopper", 0, 0),
    ]
    assert as_json(run(config, "people", "list", "--json"))["people"][0]["display_name"] == (
        "Ada Lovelace"
    )
    table = run(config, "people", "list", "--limit", "1")
    assert table.exit_code == 0 and "--limit for more" in table.output


def test_the_same_person_in_two_tools_shows_in_dry_run_and_explain(config: Path) -> None:
    report = as_json(run(config, "rules", "dry-run", "--json"))
    [link] = [p for p in report["proposals"] if p["rule"] == "same-subject"]
    assert (link["record_id"], link["target_id"], link["kind"]) == (
        "hub-4711",
        "hub-OPS-7",
        "related",
    )
    assert "same person (hub Person hub-ada) as OPS-7 (jira)" in link["reason"]
    assert link["evidence"][0]["name"] == "4711"
    text = run(config, "rules", "dry-run")
    assert "same person (hub Person hub-ada)" in text.output
    explained = as_json(run(config, "rules", "explain", "zendesk:4711", "--json"))
    checks = {c["test"]: c["held"] for c in explained["rules"]["same-subject"]}
    assert checks["its reporter is a directory person (hub-ada)"] is True
    assert [p["target_id"] for p in explained["proposals"]] == ["hub-OPS-7"]
    shown = run(config, "rules", "explain", "zendesk:4711")
    assert "✓ its reporter is a directory person (hub-ada)" in shown.output
