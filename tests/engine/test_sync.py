"""The sync promises, end to end over fake systems: both ways, per field, no echo, no
duplicate, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from itsmhub import RateLimited, RecordError, TransientError
from itsmhub.engine import plan, pull_stream
from itsmhub.model import RecordKind

pytestmark = pytest.mark.anyio


def copies(world: Any, system: str) -> list[Any]:
    return [r for r in world.remotes[system].records.values() if not r.deleted]


def only_copy(world: Any, system: str) -> Any:
    [record] = copies(world, system)
    return record


async def test_a_new_incident_is_copied_with_a_marker_and_the_next_cycle_is_quiet(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    zendesk.add("incident", title="VPN drops", status="new", service="vpn")
    report = await world.cycle()
    assert report.of("zendesk").pull.created == 1
    copy = only_copy(world, "jira")
    assert copy.fields["title"] == "VPN drops" and copy.marker.startswith("itsmhub-")
    calls_before = sum(jira.calls.values()) + sum(zendesk.calls.values())
    quiet = await world.cycle()
    for name in ("zendesk", "jira"):
        assert quiet.of(name).pull.created == quiet.of(name).pull.updated == 0
        assert quiet.of(name).push.pushed == 0
    # Echo-free: only the two list calls per kind, no writes.
    writes = {"create", "update", "add_comment", "update_comment", "link"}
    assert not any(jira.calls[w] for w in writes if w != "create")
    assert jira.calls["create"] == 1
    assert sum(jira.calls.values()) + sum(zendesk.calls.values()) - calls_before == 6


async def test_a_status_change_flows_back_and_does_not_bounce(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Printer jam", status="new")
    await world.settle()
    copy = only_copy(world, "jira")
    jira.edit(copy.remote_id, status="in_progress")
    await world.settle()
    assert zendesk.record(ticket.remote_id).fields["status"] == "in_progress"
    versions = (zendesk.record(ticket.remote_id).version, jira.record(copy.remote_id).version)
    await world.settle()
    assert (
        zendesk.record(ticket.remote_id).version,
        jira.record(copy.remote_id).version,
    ) == versions


async def test_only_the_changed_field_moves(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Mail slow", status="new", service="mail")
    await world.settle()
    copy = only_copy(world, "jira")
    zendesk.edit(ticket.remote_id, service="exchange")
    jira.edit(copy.remote_id, status="on_hold")
    await world.settle()
    for record in (zendesk.record(ticket.remote_id), jira.record(copy.remote_id)):
        assert record.fields["service"] == "exchange" and record.fields["status"] == "on_hold"
    conflicts = [e for e in await _audit(world, ticket) if e.event == "conflict"]
    assert conflicts == []


async def test_a_conflict_is_resolved_by_policy_and_audited_with_both_values(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Wifi down", status="new")
    await world.settle()
    copy = only_copy(world, "jira")
    zendesk.edit(ticket.remote_id, status="on_hold")
    jira.clock.set(jira.clock.now() + timedelta(minutes=5))  # jira's edit is the newer one
    jira.edit(copy.remote_id, status="resolved")
    await world.settle()
    assert zendesk.record(ticket.remote_id).fields["status"] == "resolved"
    assert jira.record(copy.remote_id).fields["status"] == "resolved"
    [conflict] = [e for e in await _audit(world, ticket) if e.event == "conflict"]
    values = {conflict.detail["incoming"]["value"], conflict.detail["incumbent"]["value"]}
    assert values == {"on_hold", "resolved"} and conflict.detail["winner"] == "jira"


async def test_comments_are_copied_once_with_author_and_visibility(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Laptop will not boot", status="new")
    await world.settle()
    zendesk.comment(ticket.remote_id, "Tried safe mode", visibility="internal", author="Grace")
    await world.settle()
    copy = only_copy(world, "jira")
    [comment] = jira.record(copy.remote_id).comments
    assert "Tried safe mode" in comment.body and "Grace" in comment.body
    assert comment.visibility == "internal"
    await world.settle()
    assert len(jira.record(copy.remote_id).comments) == 1
    assert len(zendesk.record(ticket.remote_id).comments) == 1  # our copy never bounced back


async def test_an_edited_comment_is_propagated(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Disk full", status="new")
    zendesk.comment(ticket.remote_id, "Cleared /tmp", author="Grace")
    await world.settle()
    original = zendesk.record(ticket.remote_id).comments[0]
    zendesk.update_comment(ticket.remote_id, original.remote_id, "Cleared /tmp and /var/log")
    await world.settle()
    copy = only_copy(world, "jira")
    assert "Cleared /tmp and /var/log" in jira.record(copy.remote_id).comments[0].body


async def test_three_systems_settle_after_one_round_in_any_order(world_factory) -> None:
    systems = ["servicenow", "jira", "zendesk"]
    world = await world_factory(systems)
    world.remotes["servicenow"].add("incident", title="SAP slow", status="new")
    await world.settle()
    for order in (["zendesk", "jira", "servicenow"], ["jira", "servicenow", "zendesk"]):
        world.remotes[order[0]].edit(
            only_copy(world, order[0]).remote_id, title=f"SAP slow ({order[0]})"
        )
        for name in order:
            await world.cycle(only=name)
        await world.cycle()
        titles = {only_copy(world, s).fields["title"] for s in systems}
        assert titles == {f"SAP slow ({order[0]})"}
        assert all(len(copies(world, s)) == 1 for s in systems)


async def test_a_lost_create_response_is_adopted_not_duplicated(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    jira.faults.fail_after("create", TransientError("connection dropped", status=None))
    zendesk.add("incident", title="Badge reader offline", status="new")
    await world.cycle()  # jira created it, but the hub never heard
    assert len(copies(world, "jira")) == 1
    await world.settle()
    assert len(copies(world, "jira")) == 1
    assert jira.calls["create"] == 1


async def test_rate_limits_are_honoured_and_exhausted_retries_dead_letter(world_factory) -> None:
    world = await world_factory(["zendesk", "jira"], sync={"max_attempts": 3})
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    jira.faults.fail_next("create", RateLimited("429", status=429, retry_after=120))
    zendesk.add("incident", title="Teams outage", status="new")
    await world.cycle()
    [item] = await world.hub.store.claim_due("jira", world.clock() + _seconds(121), 10)
    assert item.attempts == 2 and item.last_error and "429" in item.last_error
    await world.hub.store.fail(item.id, "test", world.clock() + _seconds(121))
    jira.faults.fail_next("create", TransientError("503", status=503), times=5)
    await world.settle()
    assert copies(world, "jira") == []
    [letter] = await world.hub.store.list_dead_letters("jira")
    assert letter.error_class == "TransientError" and letter.payload["origin"] == "outbox"


async def test_a_refused_write_is_dead_lettered_at_once(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    jira.faults.fail_next("create", RecordError("field refused", status=400))
    zendesk.add("incident", title="Refused", status="new")
    await world.settle()
    [letter] = await world.hub.store.list_dead_letters("jira")
    assert "field refused" in letter.reason and letter.attempts == 1


async def test_a_malformed_record_is_dead_lettered_and_the_rest_synced(world) -> None:
    zendesk = world.remotes["zendesk"]
    tickets = [zendesk.add("incident", title=f"ticket {i}", status="new") for i in range(5)]
    zendesk.faults.malformed(tickets[2].remote_id)
    await world.settle()
    assert len(copies(world, "jira")) == 4
    [letter] = await world.hub.store.list_dead_letters("zendesk")
    assert letter.record_key == tickets[2].remote_id and letter.payload["origin"] == "pull"


async def test_a_backfill_leaves_the_cursor_alone(world) -> None:
    zendesk = world.remotes["zendesk"]
    for i in range(4):
        zendesk.add("incident", title=f"old {i}", status="new")
    before = await world.hub.store.get_cursor("zendesk", "incident")
    stats = await pull_stream(
        world.hub, "zendesk", RecordKind.INCIDENT, since=datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert stats.created == 4
    assert await world.hub.store.get_cursor("zendesk", "incident") == before


async def test_plan_prints_the_writes_and_writes_nothing(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    zendesk.add("incident", title="Planned", status="new")
    writes = (await plan(world.hub)).writes
    assert [(w.system, w.operation) for w in writes] == [("jira", "create")]
    assert writes[0].fields["title"] == {"new": "Planned"}
    assert copies(world, "jira") == [] and jira.calls["create"] == 0
    assert await world.hub.store.get_cursor("zendesk", "incident") is None
    assert (await world.cycle()).of("zendesk").pull.created == 1  # the real run still creates


async def _audit(world: Any, remote_record: Any) -> list[Any]:
    record = await world.hub.store.find_by_ref("zendesk", remote_record.remote_id)
    return await world.hub.store.audit_trail(record.id)


def _seconds(n: int) -> Any:
    from datetime import timedelta

    return timedelta(seconds=n)


async def test_a_5xx_burst_mid_pull_keeps_the_cursor_at_the_last_committed_page(world) -> None:
    zendesk = world.remotes["zendesk"]
    for i in range(7):
        zendesk.add("incident", title=f"burst {i}", status="new")
    zendesk.faults.fail_next("list_changed", TransientError("502", status=502), times=3, skip=1)
    report = await world.cycle()
    assert report.of("zendesk").errors and "502" in report.of("zendesk").errors[0]
    assert report.of("zendesk").pull.created == 3  # the first page of three was committed
    cursor = await world.hub.store.get_cursor("zendesk", "incident")
    assert cursor is not None
    await world.settle()
    assert len(copies(world, "jira")) == 7
    assert (await world.hub.store.last_audit("zendesk", "error")).event == "error.pull"


async def test_a_timeout_on_push_is_retried_later_without_duplicates(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Timeout", status="new")
    await world.settle()
    zendesk.edit(ticket.remote_id, status="in_progress")
    jira.faults.fail_after("update", TransientError("read timeout"))
    jira.faults.fail_next("update", TransientError("connection dropped"))
    await world.settle()
    assert only_copy(world, "jira").fields["status"] == "in_progress"
    assert len(copies(world, "jira")) == 1


async def test_a_concurrent_edit_is_merged_not_overwritten(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Shared drive", status="new", service="files")
    await world.settle()
    copy = only_copy(world, "jira")
    zendesk.edit(ticket.remote_id, status="in_progress")
    await world.cycle(only="zendesk")  # pulls zendesk and pushes to jira at once...
    jira.edit(copy.remote_id, service="storage")  # ...while someone edits jira
    await world.settle()
    for record in (zendesk.record(ticket.remote_id), jira.record(copy.remote_id)):
        assert (record.fields["status"], record.fields["service"]) == ("in_progress", "storage")


async def test_a_record_kept_out_by_a_routing_filter_is_audited(world_factory) -> None:
    rule = {
        "type": "routing",
        "from": "zendesk",
        "to": ["jira"],
        "when": {"tags": {"contains": "engineering"}},
    }
    world = await world_factory(["zendesk", "jira"], rules={"eng": rule})
    ticket = world.remotes["zendesk"].add("incident", title="Password reset", status="new")
    await world.settle()
    assert copies(world, "jira") == []
    events = {e.event: e.detail for e in await _audit(world, ticket)}
    assert events["record.not_routed"] == {"why": "no routing rule matched", "rules": ["eng"]}


async def test_a_field_a_system_cannot_hold_is_neither_sent_nor_reverted(world_factory) -> None:
    world = await world_factory(["zendesk", "jira"])
    jira_settings = world.hub.connectors["jira"]
    jira_settings.synced_fields = frozenset({"title", "status"})  # jira keeps no service/tags
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Badge", status="new", service="access", tags=["hw"])
    await world.settle()
    copy = only_copy(world, "jira")
    assert copy.fields.get("service") is None and copy.fields.get("tags") in (None, [])
    jira.edit(copy.remote_id, status="in_progress")
    await world.settle()
    record = zendesk.record(ticket.remote_id)
    assert record.fields["status"] == "in_progress"
    assert (record.fields["service"], record.fields["tags"]) == ("access", ["hw"])


async def test_a_link_to_a_record_whose_copy_is_still_queued_waits_for_it(world) -> None:
    """A rule creates a problem in jira and links jira's incident to it: the LINK row may
    run before the problem's CREATE row, and must wait for it instead of being dropped."""
    from itsmhub.engine import Pusher
    from itsmhub.engine.fanout import Fanout, TransactionSink
    from itsmhub.model import Link, LinkKind, Problem
    from itsmhub.store import OutboxItemIn, OutboxOperation

    jira, store = world.remotes["jira"], world.hub.store
    ticket = jira.add("incident", title="VPN drops", status="new")
    await world.settle()
    incident = await world.hub.store.find_by_ref("jira", ticket.remote_id)
    problem = Problem(title="VPN concentrator leaks sessions")
    link = Link(kind=LinkKind.CAUSED_BY, target_id=problem.id, origin="rule")
    incident.links = [*incident.links, link]
    async with store.transaction() as tx:
        await tx.put_record(problem)
        await tx.put_record(incident)
        # The create is not due yet (say it is backing off): the link comes first.
        await tx.enqueue(
            OutboxItemIn(
                connector="jira",
                record_id=problem.id,
                operation=OutboxOperation.CREATE,
                correlation_marker="itsmhub-test-problem",
                next_attempt_at=world.clock() + timedelta(minutes=10),
            )
        )
        await Fanout(world.hub, TransactionSink(tx, "test")).link("jira", incident, link)

    first = await Pusher(world.hub, "jira").run()
    assert (first.pushed, first.skipped, first.retried) == (0, 0, 1)
    [waiting] = await store.waiting_items("jira", incident.id, OutboxOperation.LINK)
    assert waiting.next_attempt_at > world.clock() + timedelta(minutes=10)

    for _ in range(4):
        world.clock.advance(timedelta(minutes=15))
        await Pusher(world.hub, "jira").run()
        if not await store.outbox_depth("jira"):
            break
    [copy] = jira.records_of("problem")
    assert jira.record(ticket.remote_id).links == [("caused_by", copy.remote_id)]


async def test_a_link_whose_target_will_never_be_copied_is_skipped(world) -> None:
    from itsmhub.engine import Pusher
    from itsmhub.engine.fanout import Fanout, TransactionSink
    from itsmhub.model import Link, LinkKind, Problem

    jira = world.remotes["jira"]
    ticket = jira.add("incident", title="Printer offline", status="new")
    await world.settle()
    incident = await world.hub.store.find_by_ref("jira", ticket.remote_id)
    problem = Problem(title="Print server patch level")  # lives nowhere, no create queued
    link = Link(kind=LinkKind.CAUSED_BY, target_id=problem.id, origin="rule")
    incident.links = [*incident.links, link]
    async with world.hub.store.transaction() as tx:
        await tx.put_record(problem)
        await tx.put_record(incident)
        await Fanout(world.hub, TransactionSink(tx, "test")).link("jira", incident, link)

    stats = await Pusher(world.hub, "jira").run()
    assert (stats.skipped, stats.retried) == (1, 0)
    assert jira.record(ticket.remote_id).links == []
    assert await world.hub.store.outbox_depth("jira") == 0


async def test_a_quiet_connector_read_to_the_end_is_caught_up_to_the_cycle(world) -> None:
    zendesk = world.remotes["zendesk"]
    zendesk.clock.set(world.clock.now - _seconds(300 * 86400))  # its last change: long ago
    zendesk.add("incident", title="Old and quiet", status="new")
    started = world.clock.now
    await world.cycle()
    run = await world.hub.store.last_run("zendesk")
    assert run is not None and run.caught_up_to == started  # not 300 days behind

    zendesk.faults.fail_next("list_changed", TransientError("502", status=502), times=9)
    world.clock.advance(_seconds(60))
    await world.cycle()
    failed = await world.hub.store.last_run("zendesk")
    assert failed is not None and not failed.ok
    # Not claimed caught up: only as far as its cursors (unknown while a stream has none).
    assert failed.caught_up_to is None or failed.caught_up_to < started


async def test_a_person_each_tool_names_by_its_own_account_does_not_bounce(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Assigned", status="new")
    await world.settle()
    ada = {"email": "ada@example.com", "external": {"system": "zendesk", "remote_id": "u-7"}}
    zendesk.edit(ticket.remote_id, assignee={"display_name": "Ada", **ada})
    await world.settle()
    [copy] = copies(world, "jira")
    assert copy.fields["assignee"]["email"] == "ada@example.com"
    # Jira reads the same person back through its own account, as the real one does.
    jira.edit(
        copy.remote_id,
        assignee={
            "display_name": "Ada Lovelace",
            "email": "ADA@example.com",
            "external": {"system": "jira", "remote_id": "acc-1"},
        },
    )
    writes = zendesk.calls["update"]
    await world.settle()
    assert zendesk.calls["update"] == writes  # not written back: nothing changed


async def test_a_cycle_drops_what_waited_longer_than_park_for(world) -> None:
    from itsmhub.store import Writes

    writes = Writes(now=world.clock.now)
    writes.parked.append(
        {
            "connector": "zendesk",
            "awaits": "a-question-never-synced",
            "record_id": None,
            "payload": {"comments": []},
            "parked_at": world.clock.now,
        }
    )
    async with world.hub.store.transaction() as tx:
        await tx.flush(writes)
    await world.cycle()
    assert await world.hub.store.parked_for("zendesk", ["a-question-never-synced"])
    world.clock.advance(_seconds(31 * 86400))
    await world.cycle()
    assert not await world.hub.store.parked_for("zendesk", ["a-question-never-synced"])
    expired = await world.hub.store.last_audit("zendesk", "parked")
    assert expired is not None and expired.detail == {"dropped": 1, "older_than": "30d"}


async def _while_jira_writes(world: Any, monkeypatch: Any, method: str, edit: Any) -> None:
    """Make ``edit`` (and the pull that brings it) happen while Jira's ``method`` call is
    with the vendor, as a daemon's pulling lane can while its pushing lane writes."""
    from itsmhub.engine import pull_stream

    jira = world.hub.connectors["jira"]
    original = getattr(jira, method)

    async def interleaved(*args: Any, **kwargs: Any) -> Any:
        answer = await original(*args, **kwargs)
        if not getattr(interleaved, "done", False):
            interleaved.done = True  # type: ignore[attr-defined]
            edit()
            await pull_stream(world.hub, "zendesk", "incident")
        return answer

    monkeypatch.setattr(jira, method, interleaved)


async def test_an_edit_pulled_while_the_copy_is_created_still_reaches_it(
    world, monkeypatch
) -> None:
    zendesk = world.remotes["zendesk"]
    ticket = zendesk.add("incident", title="Raced", status="new")

    def edit() -> None:
        zendesk.edit(ticket.remote_id, status="in_progress")

    await _while_jira_writes(world, monkeypatch, "create", edit)
    await world.settle()
    assert only_copy(world, "jira").fields["status"] == "in_progress"


async def test_an_edit_pulled_while_an_update_is_written_still_reaches_it(
    world, monkeypatch
) -> None:
    zendesk = world.remotes["zendesk"]
    ticket = zendesk.add("incident", title="Raced again", status="new")
    await world.settle()
    zendesk.edit(ticket.remote_id, status="in_progress")

    def edit() -> None:
        zendesk.edit(ticket.remote_id, status="resolved")

    await _while_jira_writes(world, monkeypatch, "update", edit)
    await world.settle()
    assert only_copy(world, "jira").fields["status"] == "resolved"


async def test_a_ticket_whose_type_changed_waits_in_the_dead_letters_saying_why(world) -> None:
    zendesk = world.remotes["zendesk"]
    ticket = zendesk.add("incident", title="Turned into a problem", status="new")
    await world.settle()
    with zendesk._write():  # an agent changes the ticket's type in the tool
        record = zendesk._live(ticket.remote_id)
        record.kind = RecordKind.PROBLEM
        zendesk._touch(record)
    await world.settle()
    [letter] = await world.hub.store.list_dead_letters("zendesk")
    assert letter.error_class == "KindChanged" and letter.record_key == ticket.remote_id
    assert "was an incident and is now a problem in zendesk" in letter.reason
    kept = await world.hub.store.find_by_ref("zendesk", ticket.remote_id)
    assert kept is not None and kept.kind is RecordKind.INCIDENT
    assert only_copy(world, "jira").kind == "incident"


async def test_a_comment_keeps_the_tickets_text_analysis_and_a_new_title_redoes_it(
    world, monkeypatch
) -> None:
    import itsmhub.store.facts_writes as batch

    analysed: list[str] = []
    original = batch.facts_of_many

    def counted(records: Any, **options: Any) -> Any:
        analysed.extend(r.title for r in records)
        return original(records, **options)

    monkeypatch.setattr(batch, "facts_of_many", counted)
    zendesk = world.remotes["zendesk"]
    ticket = zendesk.add("incident", title="Printer jams on floor 3", status="new")
    await world.settle()
    hub_id = (await world.hub.store.find_by_ref("zendesk", ticket.remote_id)).id
    before = (await world.hub.store.get_facts([hub_id]))[hub_id]

    analysed.clear()
    zendesk.comment(ticket.remote_id, "Same as OPS-12 last week")
    await world.settle()
    after = (await world.hub.store.get_facts([hub_id]))[hub_id]
    assert "Printer jams on floor 3" not in analysed  # a comment: nothing to analyse again
    assert after.mentions == ("OPS-12",) and after.signature == before.signature
    assert after.vector == before.vector

    zendesk.edit(ticket.remote_id, title="Printer on floor 3 prints blank pages")
    await world.settle()
    retitled = (await world.hub.store.get_facts([hub_id]))[hub_id]
    assert "Printer on floor 3 prints blank pages" in analysed
    assert retitled.signature != before.signature and "blank" in retitled.tokens


async def test_small_checkpoints_are_applied_together_and_the_cursor_is_the_last(
    world, monkeypatch
) -> None:
    import itsmhub.engine.pull as pull

    commits: list[int] = []
    original = pull._commit

    async def counted(hub: Any, name: str, stream: Any, page: Any, *args: Any, **kw: Any) -> Any:
        commits.append(len(page.items))
        return await original(hub, name, stream, page, *args, **kw)

    monkeypatch.setattr(pull, "_commit", counted)
    zendesk = world.remotes["zendesk"]
    for n in range(10):
        zendesk.add("incident", title=f"Small page {n}", status="new")
    await world.cycle()  # the fake checkpoints every 3 records (page_size = 3)
    assert [c for c in commits if c] == [10]  # one transaction, not four
    stored = await world.hub.store.get_cursor("zendesk", "incident")
    assert stored is not None and stored.get("watermark")


async def test_an_earlier_attempt_landing_late_is_known_as_the_hubs_own_write(
    world, monkeypatch
) -> None:
    """An update's first attempt reaches Jira (its answer lost) after the ticket changed
    again in Zendesk; the retry, with the new value, never gets there; Jira's pull, which
    failed meanwhile, then reads the first attempt's value, newer than the Zendesk edit.
    It is the hub's own write, not an edit made in Jira: the newer value wins everywhere."""
    zendesk, jira_remote = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Printer jam", status="new")
    await world.settle()
    zendesk.edit(ticket.remote_id, status="in_progress")

    jira = world.hub.connectors["jira"]
    original = jira.update
    attempts: list[int] = []

    async def update(*args: Any, **kwargs: Any) -> Any:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:  # lands after the next edit in Zendesk; its answer is lost
            zendesk.edit(ticket.remote_id, status="resolved")
            jira_remote.clock.set(zendesk.clock.now())  # one time for both, as in life
            await original(*args, **kwargs)
            raise TransientError("read timeout")
        if len(attempts) == 2:  # refused before it is applied
            raise TransientError("502", status=502)
        return await original(*args, **kwargs)

    monkeypatch.setattr(jira, "update", update)
    await world.cycle()  # the first attempt
    world.clock.advance(timedelta(hours=2))
    jira_remote.faults.fail_next("list_changed", TransientError("503", status=503))
    await world.cycle()  # Zendesk's edit pulled, Jira's pull fails, the retry is refused
    await world.settle()

    assert only_copy(world, "jira").fields["status"] == "resolved"
    assert zendesk.records[ticket.remote_id].fields["status"] == "resolved"
    assert len(attempts) >= 3  # the retry that carried "resolved" did reach Jira
