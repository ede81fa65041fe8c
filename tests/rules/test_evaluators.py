"""Each rule type on hand-made tickets: what it proposes, and what it leaves alone."""

from __future__ import annotations

from datetime import timedelta

from fakes.tickets import T0, incident, problem, session_with

from itsmhub import LinkKind, ProblemStatus
from itsmhub.model.records import ResolutionCode
from itsmhub.rules.feedback import note_id
from itsmhub.rules.proposals import AddLink, AddNote, CreateProblem, ResolveIncident

RECURRENCE = {
    "type": "recurrence",
    "threshold": 3,
    "window": "7d",
    "similarity": 0.6,
    "create_in": "itsm",
}
NOW = T0 + timedelta(days=1)


def see(session, *tickets):
    proposals = []
    for facts in tickets:
        proposals += session.observe(facts, NOW)
    return proposals


def test_recurrence_opens_one_problem_at_the_threshold_then_links_the_rest() -> None:
    session = session_with({"vpn": RECURRENCE})
    vpn = [
        incident("VPN drops every few minutes on lt-0423", service="vpn", at=timedelta(hours=0)),
        incident(
            "vpn drops every few minutes", service="VPN", system="jira", at=timedelta(hours=5)
        ),
        incident(
            "URGENT vpn drops every few minutes 10.1.1.1", service="vpn", at=timedelta(days=2)
        ),
        incident("VPN drops every few minutes again", service="vpn", at=timedelta(days=3)),
    ]
    assert see(session, *vpn[:2]) == []
    [created] = see(session, vpn[2])
    assert isinstance(created, CreateProblem)
    assert created.members == [f.record_id for f in vpn[:3]]
    assert created.create_in == "itsm" and created.service == "vpn"
    assert "3 incidents within 2.0 days" in created.reason
    assert "same service = 'vpn'" in created.reason
    assert [e.name for e in created.evidence] == [f.name for f in vpn[:3]]
    assert "meaning similarity" in created.evidence[0].why
    assert "K-" in created.description
    [link] = see(session, vpn[3])
    assert isinstance(link, AddLink)
    assert (link.target_id, link.kind) == (created.problem_id, LinkKind.CAUSED_BY)


def test_recurrence_needs_the_same_service_similar_titles_and_the_window() -> None:
    session = session_with({"vpn": RECURRENCE})
    assert (
        see(
            session,
            incident("VPN drops every few minutes", service="vpn"),
            incident("VPN drops every few minutes", service="wifi"),
            incident("Printer offline on floor 3", service="vpn"),
            incident("VPN drops every few minutes", service="vpn", at=timedelta(days=8)),
            incident("VPN drops every few minutes", service="vpn", at=timedelta(days=16)),
        )
        == []
    )


def test_incidents_already_under_an_open_problem_do_not_count() -> None:
    session = session_with({"vpn": RECURRENCE})
    known = problem("VPN gateway overloaded")
    session.learn(known)
    linked = [
        incident("VPN drops every few minutes", service="vpn", problem=known.record_id),
        incident("VPN drops every few minutes", service="vpn", problem=known.record_id),
    ]
    assert see(session, *linked) == []
    [link] = see(session, incident("VPN drops every few minutes", service="vpn"))
    assert isinstance(link, AddLink) and link.target_id == known.record_id


def test_a_recurrence_after_the_window_joins_the_existing_problem() -> None:
    session = session_with({"vpn": RECURRENCE})
    first = [incident("SAP login timeout", service="sap", at=timedelta(hours=h)) for h in (1, 2, 3)]
    [created] = see(session, *first)
    [link] = see(session, incident("SAP login timeout", service="sap", at=timedelta(days=60)))
    assert isinstance(link, AddLink) and link.target_id == created.problem_id


def test_recurrence_filters_with_when() -> None:
    session = session_with({"vpn": {**RECURRENCE, "when": {"priority": {"lte": 2}}}})
    low = [incident("Printer offline on floor 3", service="print") for _ in range(3)]
    assert see(session, *low) == []


def test_follow_up_triggers() -> None:
    session = session_with(
        {
            "major": {
                "type": "follow_up",
                "trigger": "major_without_root_cause",
                "create_in": "itsm",
            },
            "workaround": {
                "type": "follow_up",
                "trigger": "resolved_with_workaround",
                "create_in": "itsm",
            },
            "dig": {
                "type": "follow_up",
                "trigger": "tagged",
                "tag": "dig-later",
                "create_in": "jira",
            },
        }
    )
    major = incident("Payments down", major=True, status="resolved")
    open_major = incident("Payments slow", major=True)
    workaround = incident("Mail stuck", status="closed", resolution_code=ResolutionCode.WORKAROUND)
    tagged = incident("Odd reboot", tags=["Dig-Later"])
    proposals = see(session, major, open_major, workaround, tagged)
    assert [(p.rule, p.members) for p in proposals] == [
        ("major", [major.record_id]),
        ("workaround", [workaround.record_id]),
        ("dig", [tagged.record_id]),
    ]
    assert all(
        isinstance(p, CreateProblem) and p.title.startswith("Follow-up: ") for p in proposals
    )
    # Seen again (a later sync), nothing new: the incidents are now linked.
    assert see(session, major, workaround, tagged) == []


def test_reference_links_resolve_mentions_through_the_catalog() -> None:
    session = session_with({"refs": {"type": "linking", "method": "references"}})
    target = incident("Printer offline")
    mentioning = incident("Same as OPS-12 and INC0012345, see #4711", system="jira")
    assert mentioning.mentions == ("OPS-12", "INC0012345", "#4711")
    session.catalog.mentions.update(
        {"OPS-12": [("jira", target.record_id)], "INC0012345": [], "#4711": []}
    )
    [link] = see(session, target, mentioning)
    assert isinstance(link, AddLink)
    assert (link.record_id, link.target_id, link.kind) == (
        mentioning.record_id,
        target.record_id,
        LinkKind.RELATED,
    )
    assert link.reason == "its text mentions OPS-12 (jira)"


def test_same_field_links_across_tools_to_the_earliest_only() -> None:
    session = session_with(
        {"same": {"type": "linking", "method": "same_field", "fields": ["service"], "window": "1h"}}
    )
    first = incident("A", service="vpn", system="zendesk")
    same_tool = incident("B", service="vpn", system="zendesk", at=timedelta(minutes=5))
    other_tool = incident("C", service="vpn", system="jira", at=timedelta(minutes=10))
    later = incident("D", service="vpn", system="jira", at=timedelta(hours=3))
    proposals = see(session, first, same_tool, other_tool, later)
    assert [(p.record_id, p.target_id) for p in proposals] == [
        (other_tool.record_id, first.record_id)
    ]


def test_similar_titles_link_within_the_window() -> None:
    session = session_with(
        {
            "similar": {
                "type": "linking",
                "method": "similar_title",
                "threshold": 0.6,
                "window": "4h",
            }
        }
    )
    a = incident("Teams calls drop after 5 minutes", system="zendesk")
    b = incident("teams calls drop after a few minutes", system="jira", at=timedelta(hours=1))
    c = incident("Printer offline", system="jira", at=timedelta(hours=1))
    [link] = see(session, a, b, c)
    assert (link.record_id, link.target_id) == (b.record_id, a.record_id)


def test_known_error_feedback_links_and_notes_once() -> None:
    session = session_with({"ke": {"type": "known_error_feedback", "similarity": 0.6}})
    known = problem(
        "VPN drops every few minutes",
        known_error=True,
        workaround="Use the backup gateway",
        status=ProblemStatus.ROOT_CAUSE_ANALYSIS,
    )
    session.learn(known)
    new = incident("vpn drops every few minutes on lt-0001")
    link, note = see(session, new)
    assert isinstance(link, AddLink) and link.target_id == known.record_id
    assert isinstance(note, AddNote) and "Use the backup gateway" in note.body
    assert note.note_id == note_id("workaround", known.record_id, new.record_id)
    # The same incident after the note was written: nothing more.
    written = incident("vpn drops every few minutes", problem=known.record_id)
    written.notes = (note_id("workaround", known.record_id, written.record_id),)
    assert see(session, written) == []
    # Resolved or too old incidents get nothing.
    assert see(session, incident("vpn drops every few minutes", status="resolved")) == []
    assert see(session, incident("vpn drops every few minutes", at=-timedelta(days=40))) == []


def test_a_fixed_problem_tells_and_resolves_its_open_incidents() -> None:
    session = session_with({"ke": {"type": "known_error_feedback", "resolve_on_fix": True}})
    fixed = problem("Mail queue stuck", status=ProblemStatus.RESOLVED, fix="Patched the MTA")
    session.learn(fixed)
    still_open = incident("Mail stuck", problem=fixed.record_id)
    note, resolve = see(session, still_open)
    assert isinstance(note, AddNote) and "has been fixed" in note.body
    assert isinstance(resolve, ResolveIncident) and resolve.problem_id == fixed.record_id


def test_a_pattern_that_recurs_after_its_problem_closed_opens_a_new_one() -> None:
    session = session_with({"vpn": RECURRENCE})
    first = [incident("SAP login timeout", service="sap", at=timedelta(hours=h)) for h in (1, 2, 3)]
    [created] = see(session, *first)
    closed = problem("Recurring: SAP login timeout", status=ProblemStatus.CLOSED)
    closed.record_id = created.problem_id
    session.learn(closed)
    [again] = see(session, incident("SAP login timeout", service="sap", at=timedelta(hours=5)))
    assert isinstance(again, CreateProblem)
    assert again.problem_id != created.problem_id
    assert len(again.members) == 4


def test_a_fixed_known_error_leaves_a_similar_one_to_match() -> None:
    session = session_with({"ke": {"type": "known_error_feedback", "similarity": 0.6}})
    first = problem(
        "VPN drops every few minutes",
        known_error=True,
        workaround="old",
        status=ProblemStatus.ROOT_CAUSE_ANALYSIS,
    )
    second = problem(
        "VPN drops every few minutes on laptops",
        known_error=True,
        workaround="Use the backup gateway",
        status=ProblemStatus.ROOT_CAUSE_ANALYSIS,
    )
    session.learn(first)
    session.learn(second)  # similar enough to share the first one's cluster
    first.status, first.is_open, first.fixed = "resolved", False, True
    session.learn(first)
    link, note = see(session, incident("vpn drops every few minutes"))
    assert isinstance(link, AddLink) and link.target_id == second.record_id
    assert isinstance(note, AddNote) and "backup gateway" in note.body
