"""End to end over three fake tools: incidents filed in two produce one problem in the
third; once that problem is a known error, a new incident receives the workaround."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fakes.world import World

from itsmhub import RecordKind, TransientError

pytestmark = pytest.mark.anyio

RULES: dict[str, Any] = {
    "vpn-recurs": {
        "type": "recurrence",
        "threshold": 3,
        "window": "7d",
        "fingerprint": ["title", "service"],
        "create_in": "itsm",
    },
    "workarounds": {"type": "known_error_feedback", "similarity": 0.6},
}


async def test_two_tools_one_problem_then_the_workaround(world_factory: Callable[..., Any]) -> None:
    world: World = await world_factory(["zendesk", "jira", "itsm"], rules=RULES)
    zendesk, jira, itsm = (world.remotes[n] for n in ("zendesk", "jira", "itsm"))
    for remote in world.remotes.values():
        remote.clock.set(world.clock.now)  # the tools and the hub agree on the date
    zendesk.add("incident", title="VPN drops every few minutes on lt-0423", service="vpn")
    jira.add("incident", title="vpn drops every few minutes for jdoe on lt-0117", service="VPN")
    zendesk.add("incident", title="Printer offline on floor 3", service="printing")
    await world.settle()
    assert not itsm.records_of(RecordKind.PROBLEM)

    jira.add("incident", title="URGENT: VPN drops every few minutes 10.1.2.3", service="vpn")
    await world.settle()

    problems = itsm.records_of(RecordKind.PROBLEM)
    assert len(problems) == 1, "one problem, in the third tool"
    problem = problems[0]
    assert problem.fields["title"].startswith("Recurring: ")
    evidence = problem.fields["description"]
    assert evidence.count("similarity") == 3
    assert "same service = 'vpn'" in evidence
    assert "Printer" not in evidence

    hub_problem = await world.hub.store.find_by_ref("itsm", problem.remote_id)
    assert hub_problem is not None
    linked = await world.hub.store.linked_to(hub_problem.id)
    assert len(linked) == 3, "the three VPN incidents, from both tools, are linked to it"

    # Settling again changes nothing: no second problem, no second link.
    await world.settle()
    assert len(itsm.records_of(RecordKind.PROBLEM)) == 1

    # The problem becomes a known error with a workaround, in the tool it lives in.
    itsm.edit(
        problem.remote_id,
        known_error=True,
        workaround="Reconnect with the backup gateway vpn2.example.com",
        status="root_cause_analysis",
    )
    await world.settle()
    zendesk.clock.set(world.clock.now)
    new = zendesk.add("incident", title="VPN drops every few minutes again", service="vpn")
    await world.settle()
    await world.settle()

    notes = [c for c in zendesk.get(new.remote_id).comments if "Workaround" in c.body]
    assert len(notes) == 1, "the workaround arrives exactly once"
    assert "backup gateway" in notes[0].body
    assert notes[0].visibility == "internal"

    hub_incident = await world.hub.store.find_by_ref("zendesk", new.remote_id)
    assert hub_incident is not None
    assert hub_problem.id in {link.target_id for link in hub_incident.links}
    await world.settle()
    comments = zendesk.get(new.remote_id).comments
    assert len([c for c in comments if "Workaround" in c.body]) == 1


async def test_a_fixed_problem_tells_and_resolves_incidents_in_every_tool(
    world_factory: Callable[..., Any],
) -> None:
    rules = {
        "recurs": {**RULES["vpn-recurs"], "create_in": "itsm"},
        "feedback": {"type": "known_error_feedback", "resolve_on_fix": True},
    }
    world: World = await world_factory(["zendesk", "jira", "itsm"], rules=rules)
    zendesk, jira, itsm = (world.remotes[n] for n in ("zendesk", "jira", "itsm"))
    for remote in world.remotes.values():
        remote.clock.set(world.clock.now)
    filed = [
        zendesk.add("incident", title="Mailbox full cannot receive mail", service="mail"),
        jira.add("incident", title="mailbox full, cannot receive mail", service="mail"),
        zendesk.add("incident", title="Mailbox full again cannot receive mail", service="mail"),
    ]
    await world.settle()
    [problem] = itsm.records_of(RecordKind.PROBLEM)

    itsm.edit(problem.remote_id, status="resolved", fix="Quota raised to 100 GB")
    await world.settle()
    await world.settle()
    for remote, incident in zip((zendesk, jira, zendesk), filed, strict=True):
        current = remote.get(incident.remote_id)
        assert current.fields["status"] == "resolved"
        assert current.fields["resolution_code"] == "fixed"
        told = [c for c in current.comments if "has been fixed" in c.body]
        assert len(told) == 1


@pytest.mark.parametrize("answer", ["heard", "lost"])
async def test_a_problem_the_rules_open_is_routed_and_linked_in_every_tool(
    world_factory: Callable[..., Any], answer: str
) -> None:
    """A problem the hub opens has no pulled origin: the routing rules of the tool its
    first copy lands in route it, and each incident's link reaches its own tool. The
    same when the create's answer is lost and the next pull adopts the copy instead."""
    rules = {
        "vpn-recurs": RULES["vpn-recurs"],
        "problems-everywhere": {
            "type": "routing",
            "from": "itsm",
            "to": ["zendesk", "jira"],
            "kinds": ["problem"],
        },
    }
    world: World = await world_factory(["zendesk", "jira", "itsm"], rules=rules)
    zendesk, jira, itsm = (world.remotes[n] for n in ("zendesk", "jira", "itsm"))
    for remote in world.remotes.values():
        remote.clock.set(world.clock.now)
    if answer == "lost":
        itsm.faults.fail_after("create", TransientError("connection dropped after the create"))
    incidents = [
        zendesk.add("incident", title="VPN drops every few minutes on lt-0423", service="vpn"),
        jira.add("incident", title="vpn drops every few minutes for jdoe", service="VPN"),
        jira.add("incident", title="VPN drops every few minutes 10.1.2.3", service="vpn"),
    ]
    await world.settle()

    [problem] = itsm.records_of(RecordKind.PROBLEM)
    hub_problem = await world.hub.store.find_by_ref("itsm", problem.remote_id)
    assert hub_problem is not None
    copies = {ref.system: ref.remote_id for ref in hub_problem.refs}
    assert set(copies) == {"itsm", "zendesk", "jira"}, "copied where the routing rule says"
    assert len(zendesk.records_of(RecordKind.PROBLEM)) == 1
    assert len(jira.records_of(RecordKind.PROBLEM)) == 1
    for name, incident in zip(("zendesk", "jira", "jira"), incidents, strict=True):
        held = world.remotes[name].get(incident.remote_id).links
        assert ("caused_by", copies[name]) in held, (name, held)
    trail = await world.hub.store.audit_trail(hub_problem.id)
    adopted = [entry for entry in trail if entry.event == "record.adopted"]
    assert len(adopted) == (answer == "lost")
    [routed] = [entry for entry in trail if entry.event == "record.routed"]
    assert {r["to"] for r in routed.detail["routed"]} == {"zendesk", "jira"}


async def test_a_tool_that_shows_links_elsewhere_gets_one_to_the_problems_first_copy(
    world_factory: Callable[..., Any],
) -> None:
    """Without a copy of the problem of its own, a tool that can show a link to a record
    in another tool (Jira's remote links) gets one to the problem's first copy."""
    world: World = await world_factory(
        ["zendesk", "jira", "itsm"], rules={"vpn-recurs": RULES["vpn-recurs"]}
    )
    world.hub.connectors["jira"].links_elsewhere = True  # type: ignore[misc]
    zendesk, jira, itsm = (world.remotes[n] for n in ("zendesk", "jira", "itsm"))
    for remote in world.remotes.values():
        remote.clock.set(world.clock.now)
    filed = [
        (jira, jira.add("incident", title="VPN drops every few minutes on lt-0423", service="vpn")),
        (jira, jira.add("incident", title="vpn drops every few minutes for jdoe", service="VPN")),
        (zendesk, zendesk.add("incident", title="VPN drops every few minutes", service="vpn")),
    ]
    await world.settle()

    [problem] = itsm.records_of(RecordKind.PROBLEM)
    for remote, incident in filed:
        held = remote.get(incident.remote_id).links
        if remote is jira:
            assert held == [("caused_by", f"itsm:{problem.remote_id}")], held
        else:
            assert held == [], "Zendesk shows no link to a record it does not hold"
