"""The per-field three-way merge and its conflict policies (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from itsmhub.config import SyncSettings
from itsmhub.engine.merge import Holder, merge

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NEWEST = SyncSettings()


def test_only_fields_the_system_changed_move() -> None:
    result = merge(
        {"title": "VPN down", "status": "new"},
        {"title": "VPN down", "status": "new"},
        {"title": "VPN down", "status": "in_progress"},
        system="zendesk",
        changed_at=T0,
        holders={},
        policy=NEWEST,
    )
    assert result.fields == {"title": "VPN down", "status": "in_progress"}
    assert result.changed == ["status"] and result.conflicts == []


def test_an_unchanged_pull_is_a_no_op_even_if_the_hub_moved() -> None:
    result = merge(
        {"status": "resolved"},
        {"status": "new"},
        {"status": "new"},
        system="zendesk",
        changed_at=T0,
        holders={},
        policy=NEWEST,
    )
    assert result.fields == {"status": "resolved"} and not result.changed


def test_concurrent_changes_are_a_conflict_won_by_the_newest() -> None:
    holders = {"status": [Holder("jira", T0)]}
    newer = merge(
        {"status": "on_hold"},
        {"status": "new"},
        {"status": "resolved"},
        system="zendesk",
        changed_at=T0 + timedelta(minutes=1),
        holders=holders,
        policy=NEWEST,
    )
    assert newer.fields == {"status": "resolved"}
    [conflict] = newer.conflicts
    assert (conflict.winner, conflict.incoming, conflict.incumbent) == (
        "zendesk",
        "resolved",
        "on_hold",
    )
    assert conflict.incumbent_system == "jira"
    older = merge(
        {"status": "on_hold"},
        {"status": "new"},
        {"status": "resolved"},
        system="zendesk",
        changed_at=T0 - timedelta(minutes=1),
        holders=holders,
        policy=NEWEST,
    )
    assert older.fields == {"status": "on_hold"} and older.conflicts[0].winner == "jira"


def test_a_tie_is_broken_by_system_rank_the_same_way_every_time() -> None:
    ranked = SyncSettings(system_rank=["servicenow", "zendesk"])
    args = ({"status": "on_hold"}, {"status": "new"}, {"status": "resolved"})
    win = merge(
        *args,
        system="servicenow",
        changed_at=T0,
        holders={"status": [Holder("zendesk", T0)]},
        policy=ranked,
    )
    lose = merge(
        *args,
        system="zendesk",
        changed_at=T0,
        holders={"status": [Holder("servicenow", T0)]},
        policy=ranked,
    )
    assert win.conflicts[0].winner == "servicenow" and win.fields["status"] == "resolved"
    assert lose.conflicts[0].winner == "servicenow" and lose.fields["status"] == "on_hold"


def test_the_owner_policy_lets_the_owner_win_whatever_the_time() -> None:
    owned = SyncSettings(conflict_policy="owner", field_owners={"priority": "servicenow"})
    holders = {"priority": [Holder("servicenow", T0)]}
    result = merge(
        {"priority": 1},
        {"priority": 3},
        {"priority": 2},
        system="jira",
        changed_at=T0 + timedelta(hours=1),
        holders=holders,
        policy=owned,
    )
    assert result.fields == {"priority": 1}
    assert result.conflicts[0].winner == "servicenow"
    assert result.conflicts[0].reason == "servicenow owns priority"


def test_without_a_base_the_system_value_is_taken() -> None:
    result = merge(
        {"title": "a"},
        None,
        {"title": "b"},
        system="jira",
        changed_at=T0,
        holders={},
        policy=NEWEST,
    )
    assert result.fields == {"title": "b"} and not result.conflicts


def test_one_person_read_back_through_another_tools_account_is_not_a_change() -> None:
    sent = {"assignee": {"display_name": "Ada", "email": "ada@example.com", "external": None}}
    read_back = {
        "assignee": {
            "display_name": "Ada Lovelace",
            "email": "ADA@example.com",
            "external": {"system": "jira", "remote_id": "acc-1"},
        }
    }
    result = merge(sent, sent, read_back, system="jira", changed_at=T0, holders={}, policy=NEWEST)
    assert not result.changed and result.fields == sent
    other = {"assignee": {"display_name": "Bob", "email": "bob@example.com", "external": None}}
    moved = merge(sent, sent, other, system="jira", changed_at=T0, holders={}, policy=NEWEST)
    assert moved.changed == ["assignee"]
