"""``records show`` and ``dlq``: what an admin sees, in tables and JSON (status: test_status.py).

Fixtures (``hub``: a config and no store yet; ``seeded``: a store after some syncing)
live in this folder's conftest.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from itsmhub.model import RecordKind
from itsmhub.store import DeadLetterStatus, OutboxStatus

if TYPE_CHECKING:
    from conftest import FakeEngine, Hub

DLQ = [["dlq", command] for command in ("list", "show", "drop", "retry")]
COMMANDS = [["status"], ["records"], ["records", "show"], ["dlq"], *DLQ]


def as_json(result: Any) -> Any:
    assert "Traceback" not in result.output
    return json.loads(result.output)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(hub: Hub, command: list[str]) -> None:
    result = hub.run(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


# --- records show ------------------------------------------------------------------


def test_records_show_json(seeded: Hub) -> None:
    incident, problem = seeded.ids["incident"], seeded.ids["problem"]
    report = as_json(seeded.run("records", "show", incident, "--json"))
    assert (report["id"], report["kind"], report["status"]) == (incident, "incident", "new")
    assert report["title"] == "VPN down for the Berlin office"
    assert report["version"] == 1
    assert report["fields"]["service"] == "vpn" and report["fields"]["tags"] == ["network"]
    assert [(r["system"], r["remote_id"], r["key"]) for r in report["refs"]] == [
        ("jira", "10001", "OPS-12"),
        ("zendesk", "4711", "4711"),
    ]
    assert report["refs"][0]["url"] == "https://acme.atlassian.net/browse/OPS-12"
    [link] = report["links"]
    assert (link["kind"], link["target_id"], link["origin"]) == ("caused_by", problem, "jira")
    assert link["target_title"] == "VPN concentrator firmware leaks sessions"
    assert [(b["system"], b["remote_version"], b["agreed_at"]) for b in report["bases"]] == [
        ("jira", "2026-11-23T08:59:00Z", "2026-11-23T09:00:00Z"),
        ("zendesk", "7", "2026-11-23T09:00:00Z"),
    ]
    assert [(a["event"], a["connector"]) for a in report["audit"]] == [
        ("imported", "jira"),
        ("error.push", "zendesk"),
    ]


@pytest.mark.parametrize("ident", ["jira:OPS-12", "jira:10001", "zendesk:4711"])
def test_records_show_finds_a_record_by_key_or_remote_id(seeded: Hub, ident: str) -> None:
    report = as_json(seeded.run("records", "show", ident, "--json"))
    assert report["id"] == seeded.ids["incident"]


def test_records_show_table(seeded: Hub) -> None:
    result = seeded.run("records", "show", "jira:OPS-13")
    assert result.exit_code == 0, result.output
    assert f"problem {seeded.ids['problem']} (version 1)" in result.output
    assert "VPN concentrator firmware" in result.output
    assert "OPS-13" in result.output
    # The incident's caused_by link shows on the problem too, pointing at it.
    assert "links: none" not in result.output and "audit trail: none" in result.output
    assert "← │ caused_by │" in result.output and "jira OPS-12, zendesk 4711" in result.output
    full = seeded.run("records", "show", seeded.ids["incident"])
    for text in ("OPS-12", "caused_by", "status=422", "service: vpn", "tags: network"):
        assert text in full.output


@pytest.mark.parametrize("ident", ["01NOSUCHRECORD", "jira:OPS-999", "nosuchsystem:1"])
def test_records_show_unknown_exits_1_with_a_hint(seeded: Hub, ident: str) -> None:
    result = seeded.run("records", "show", ident)
    assert result.exit_code == 1
    assert f"no record '{ident}'" in result.output and "jira:OPS-12" in result.output
    error = as_json(seeded.run("records", "show", ident, "--json"))
    assert error["ok"] is False and "no record" in error["error"]


def test_records_show_before_any_sync(hub: Hub) -> None:
    result = hub.run("records", "show", "jira:OPS-12")
    assert result.exit_code == 1
    assert "no record" in result.output
    assert not hub.db.exists()


# --- dlq -----------------------------------------------------------------------------


def test_dlq_list_open_letters(seeded: Hub) -> None:
    result = seeded.run("dlq", "list")
    assert result.exit_code == 0, result.output
    assert "dead letters (2)" in result.output and "RecordError 422" in result.output
    letters = as_json(seeded.run("dlq", "list", "--json"))["dead_letters"]
    assert [d["id"] for d in letters] == [seeded.ids["pushed_letter"], seeded.ids["pulled_letter"]]
    pushed = letters[0]
    assert pushed == {
        "id": seeded.ids["pushed_letter"],
        "connector": "zendesk",
        "record_key": seeded.ids["incident"],
        "remote_version": None,
        "status": "open",
        "origin": "outbox",
        "error_class": "RecordError",
        "http_status": 422,
        "request_id": "req-abc-123",
        "reason": "status 'hold' is not allowed for this ticket form",
        "attempts": 8,
        "first_seen": "2026-11-23T09:00:00Z",
        "last_seen": "2026-11-23T09:00:00Z",
    }


def test_dlq_list_all_and_by_connector(seeded: Hub) -> None:
    everything = as_json(seeded.run("dlq", "list", "--all", "--json"))["dead_letters"]
    assert [d["status"] for d in everything] == ["open", "open", "dropped"]
    jira = as_json(seeded.run("dlq", "list", "--connector", "jira", "--all", "--json"))
    assert {d["connector"] for d in jira["dead_letters"]} == {"jira"}
    assert len(jira["dead_letters"]) == 2


def test_dlq_list_when_there_are_none(hub: Hub) -> None:
    result = hub.run("dlq", "list")
    assert result.exit_code == 0
    assert "no open dead letters" in result.output
    assert as_json(hub.run("dlq", "list", "--json")) == {"dead_letters": []}


def test_dlq_show(seeded: Hub) -> None:
    letter_id = str(seeded.ids["pushed_letter"])
    letter = as_json(seeded.run("dlq", "show", letter_id, "--json"))
    assert letter["payload"]["outbox_id"] == seeded.ids["dead_outbox"]
    assert (letter["http_status"], letter["request_id"]) == (422, "req-abc-123")
    text = seeded.run("dlq", "show", letter_id)
    assert text.exit_code == 0
    assert "request_id: req-abc-123" in text.output and '"origin": "outbox"' in text.output


@pytest.mark.parametrize("command", ["show", "drop", "retry"])
def test_dlq_unknown_letter_exits_1(seeded: Hub, command: str) -> None:
    result = seeded.run("dlq", command, "999")
    assert result.exit_code == 1
    assert "no dead letter 999" in result.output and "Traceback" not in result.output
    assert seeded.run("dlq", command, "abc").exit_code == 2  # ids are numbers


def test_dlq_drop(seeded: Hub) -> None:
    letter_id = seeded.ids["pushed_letter"]
    result = seeded.run("dlq", "drop", str(letter_id))
    assert result.exit_code == 0, result.output
    assert f"dropped dead letter {letter_id}" in result.output
    again = as_json(seeded.run("dlq", "drop", str(letter_id), "--json"))
    assert again == {"ok": True, "id": letter_id, "status": "dropped", "changed": False}
    assert seeded.letter(letter_id).status is DeadLetterStatus.DROPPED
    [entry] = [e for e in seeded.trail("incident") if e.event == "dlq.dropped"]
    assert (entry.connector, entry.detail["letter_id"]) == ("zendesk", letter_id)


def test_dlq_retry_requeues_the_outbox_row(seeded: Hub) -> None:
    letter_id, outbox_id = seeded.ids["pushed_letter"], seeded.ids["dead_outbox"]
    result = as_json(seeded.run("dlq", "retry", str(letter_id), "--json"))
    assert result == {
        "ok": True,
        "id": letter_id,
        "status": "retried",
        "changed": True,
        "origin": "outbox",
        "outbox_id": outbox_id,
        "requeued": True,
    }
    item = seeded.query(lambda store: store.get_outbox_item(outbox_id))
    assert item is not None and (item.status, item.attempts) == (OutboxStatus.PENDING, 0)
    assert item.correlation_marker == "itsmhub-01"  # the replay stays idempotent
    assert seeded.letter(letter_id).status is DeadLetterStatus.RETRIED
    [entry] = [e for e in seeded.trail("incident") if e.event.startswith("dlq")]
    assert (entry.event, entry.detail["outbox_id"]) == ("dlq.retried", outbox_id)
    again = seeded.run("dlq", "retry", str(letter_id))
    assert again.exit_code == 1 and "already retried" in again.output


def test_dlq_retry_says_what_it_did(seeded: Hub) -> None:
    result = seeded.run("dlq", "retry", str(seeded.ids["pushed_letter"]))
    assert result.exit_code == 0, result.output
    assert f"outbox item {seeded.ids['dead_outbox']} re-queued" in result.output


def test_dlq_retry_of_a_pull_refetches_through_the_engine(
    seeded: Hub, fake_engine: FakeEngine
) -> None:
    letter_id = seeded.ids["pulled_letter"]
    outcome = as_json(seeded.run("dlq", "retry", str(letter_id), "--json"))
    assert outcome["status"] == "retried"
    assert (outcome["origin"], outcome["remote_id"], outcome["found"]) == ("pull", "10099", True)
    assert fake_engine.calls == [("engine-hub", "jira", RecordKind.INCIDENT, "10099")]
    assert seeded.letter(letter_id).status is DeadLetterStatus.RETRIED


def test_dlq_retry_of_a_pull_needs_the_secrets(
    seeded: Hub, fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ITSMHUB_TEST_JIRA_TOKEN")
    monkeypatch.delenv("ITSMHUB_TEST_ZENDESK_TOKEN")  # not needed to re-read from jira
    result = seeded.run("dlq", "retry", str(seeded.ids["pulled_letter"]))
    assert result.exit_code == 2
    assert "ITSMHUB_TEST_JIRA_TOKEN" in result.output and fake_engine.calls == []
    assert "ZENDESK" not in result.output
