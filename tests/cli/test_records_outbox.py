"""``records list``, ``records show`` in both directions, ``outbox list``: the store as an
admin reads it, in words and never in Python reprs."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update

from itsmhub.cli import outbox_cmd
from itsmhub.cli.render import human
from itsmhub.model import ExternalRef, Incident, PersonRef
from itsmhub.store import OutboxItemIn, Store
from itsmhub.store.schema import outbox

if TYPE_CHECKING:
    from conftest import Hub

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the seed's clock (this folder's conftest.py)

#: What a Python repr leaks into text: dict and list literals, None, quotes around keys.
REPR = re.compile(r"\{'|\['|\bNone\b|': ")


def as_json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def waiting(seeded: Hub, monkeypatch: pytest.MonkeyPatch) -> Hub:
    """Besides the seed: a write waiting for its link target, and one a vendor job carries."""
    monkeypatch.setattr(outbox_cmd, "now", lambda: T0 + timedelta(minutes=1))

    async def more(store: Store) -> dict[str, int]:
        link = await store.enqueue(
            OutboxItemIn(connector="jira", record_id=seeded.ids["incident"], operation="link")
        )
        [claimed] = await store.claim_due("jira", T0, 1)
        await store.fail(claimed.id, "waiting for the link target's copy", T0 + timedelta(hours=2))
        job = await store.enqueue(
            OutboxItemIn(connector="jira", record_id=seeded.ids["problem"], operation="update")
        )
        async with store.engine.begin() as conn:  # as the engine leaves a row a job carries
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == job)
                .values(status="deferred", job_id="bulk-job-7", job_position=2)
            )
        return {"link_outbox": link, "job_outbox": job}

    seeded.ids.update(seeded.query(more))
    return seeded


def test_outbox_list_says_why_each_row_waits(waiting: Hub) -> None:
    report = as_json(waiting.run("outbox", "list", "--json"))
    rows = {row["id"]: row for row in report["items"]}
    assert set(rows) == {
        waiting.ids["pending_outbox"],
        waiting.ids["link_outbox"],
        waiting.ids["job_outbox"],
    }  # the dead row is the dead-letter list's
    link = rows[waiting.ids["link_outbox"]]
    assert (
        link["status"] == "pending" and link["last_error"] == "waiting for the link target's copy"
    )
    assert link["waiting_for"] == (
        "next try at 2026-11-23T11:00:00Z (in 1h 59m): waiting for the link target's copy"
    )
    job = rows[waiting.ids["job_outbox"]]
    assert (job["status"], job["job_id"]) == ("deferred", "bulk-job-7")
    assert job["waiting_for"] == "the vendor job bulk-job-7, write 3 is still running"
    pending = rows[waiting.ids["pending_outbox"]]
    assert pending["waiting_for"] == "due now: the next sync cycle writes it"
    assert report["truncated"] is False


def test_outbox_list_filters_and_shows_everything_with_all(waiting: Hub) -> None:
    zendesk = as_json(waiting.run("outbox", "list", "--connector", "zendesk", "--json"))
    assert [r["id"] for r in zendesk["items"]] == [waiting.ids["pending_outbox"]]
    everything = as_json(waiting.run("outbox", "list", "--all", "--json"))
    dead = next(r for r in everything["items"] if r["id"] == waiting.ids["dead_outbox"])
    assert dead["waiting_for"].startswith("given up (422: status 'hold' is not allowed)")
    cut = as_json(waiting.run("outbox", "list", "--limit", "1", "--json"))
    assert len(cut["items"]) == 1 and cut["truncated"] is True


def test_outbox_list_table(waiting: Hub) -> None:
    result = waiting.run("outbox", "list")
    assert result.exit_code == 0, result.output
    assert "why it waits" in result.output
    assert "waiting for the link target's copy" in result.output
    assert "bulk-job-7" in result.output


def test_outbox_list_before_any_sync(hub: Hub) -> None:
    result = hub.run("outbox", "list")
    assert result.exit_code == 0 and "nothing is waiting" in result.output
    assert not hub.db.exists()


def test_records_list_maps_hub_ids_to_every_systems_key(seeded: Hub) -> None:
    report = as_json(seeded.run("records", "list", "--json"))
    by_id = {r["id"]: r for r in report["records"]}
    incident = by_id[seeded.ids["incident"]]
    assert {s: r["key"] for s, r in incident["refs"].items()} == {
        "jira": "OPS-12",
        "zendesk": "4711",
    }
    assert incident["title"] == "VPN down for the Berlin office" and incident["status"] == "new"
    table = seeded.run("records", "list")
    assert table.exit_code == 0
    assert "OPS-12" in table.output and "4711" in table.output and "OPS-13" in table.output


#: Filters of records list, and the kinds of the seeded records each leaves.
FILTERS = [
    (["--connector", "zendesk"], ["incident"]),
    (["--kind", "problem"], ["problem"]),
    (["--status", "new"], ["incident", "problem"]),
    (["--status", "closed"], []),
    (["--since", "2026-11-23T00:00:00Z"], ["incident", "problem"]),
    (["--since", "2099-01-01"], []),
]


def test_records_list_filters(seeded: Hub) -> None:
    for args, expected in FILTERS:
        report = as_json(seeded.run("records", "list", *args, "--json"))
        assert sorted(r["kind"] for r in report["records"]) == expected, args


def test_records_list_says_when_it_cut_the_list(seeded: Hub) -> None:
    report = as_json(seeded.run("records", "list", "--limit", "1", "--json"))
    assert len(report["records"]) == 1 and report["truncated"] is True


def test_records_show_of_a_problem_lists_the_incidents_linking_to_it(seeded: Hub) -> None:
    report = as_json(seeded.run("records", "show", "jira:OPS-13", "--json"))
    assert report["links"] == []
    [incoming] = report["linked_from"]
    assert incoming["source_id"] == seeded.ids["incident"]
    assert incoming["kind"] == "caused_by"
    assert incoming["source_keys"] == ["jira OPS-12", "zendesk 4711"]
    outgoing = as_json(seeded.run("records", "show", "jira:OPS-12", "--json"))
    assert [link["target_keys"] for link in outgoing["links"]] == [["jira OPS-13"]]


def test_people_and_refs_read_as_people_read_them(seeded: Hub) -> None:
    beth = PersonRef(display_name="Beth Anglin", email="beth.anglin@example.com")
    unresolved = PersonRef(
        external=ExternalRef(system="servicenow", remote_id="6816f79cc0a8016401c5a33be04be441")
    )
    record = Incident(
        title="Printer jams",
        assignee=beth,
        reporter=unresolved,
        enrichment={"assignee_email": "b.anglin@example.com"},  # resolved, but ticket has one
        tags=[],
        refs=[ExternalRef(system="servicenow", remote_id="a" * 32, key="INC0010001")],
    )
    seeded.query(lambda store: store.put_record(record))
    result = seeded.run("records", "show", "servicenow:INC0010001")
    assert result.exit_code == 0, result.output
    assert "assignee: Beth Anglin <beth.anglin@example.com>" in result.output
    assert (
        "reporter: servicenow 6816f79cc0a8016401c5a33be04be441 (no name or e-mail" in result.output
    )
    assert not REPR.search(result.output), result.output
    resolved = record.model_copy(
        update={"enrichment": record.enrichment.model_copy(update={"reporter_email": "fl@x.org"})}
    )
    seeded.query(lambda store: store.put_record(resolved))
    shown = seeded.run("records", "show", "servicenow:INC0010001").output
    assert "reporter: fl@x.org (servicenow 6816f79cc0a8016401c5a33be04be441)" in shown


def test_no_python_reprs_in_human_output(waiting: Hub) -> None:
    for command in (
        ["records", "show", "jira:OPS-12"],
        ["records", "show", "jira:OPS-13"],
        ["records", "list"],
        ["outbox", "list", "--all"],
        ["dlq", "list", "--all"],
        ["status"],
    ):
        result = waiting.run(*command)
        assert result.exit_code in (0, 1), result.output
        assert not REPR.search(result.output), (command, result.output)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "-"),
        ([], "-"),
        (True, "yes"),
        (0.75, "0.75"),
        (["network", "vpn"], "network, vpn"),
        ({"display_name": "Abel Tuter", "email": None, "external": None}, "Abel Tuter"),
        ({"system": "jira", "remote_id": "10001", "key": "OPS-12"}, "jira OPS-12"),
        ({"status": "hold", "note": None}, "status hold"),
        ("two\nlines", "two lines"),
    ],
)
def test_human(value: Any, shown: str) -> None:
    assert human(value) == shown
