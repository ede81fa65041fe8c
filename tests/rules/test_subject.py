"""The same_subject rule: open incidents in different tools about one person or device."""

from __future__ import annotations

from datetime import timedelta

from fakes.tickets import T0, config_with, incident, session_with
from fakes.world import plugins_with_fake

from itsmhub import Enrichment, IncidentStatus, LinkKind, PersonRef
from itsmhub.config import validate_config
from itsmhub.rules.proposals import AddLink

NOW = T0 + timedelta(days=1)
ADA = Enrichment(reporter_id="PADA", reporter_email="ada@acme.example")
GRACE = Enrichment(reporter_id="PGRACE")


def see(session, *tickets):
    proposals = []
    for facts in tickets:
        proposals += session.observe(facts, NOW)
    return proposals


def rule(**extra):
    return session_with({"same-subject": {"type": "same_subject", **extra}})


def test_open_incidents_about_one_person_in_three_tools_form_a_star() -> None:
    session = rule()
    laptop = incident("Laptop will not boot", system="jira", enrichment=ADA)
    vpn = incident("Cannot sign in to VPN", system="itsm", enrichment=ADA, at=timedelta(hours=2))
    mail = incident("Mail stuck", system="zendesk", enrichment=ADA, at=timedelta(hours=5))
    other = incident("Mail stuck", system="itsm", enrichment=GRACE, at=timedelta(hours=6))
    proposals = see(session, laptop, vpn, mail, other)
    assert [(p.record_id, p.target_id) for p in proposals] == [
        (vpn.record_id, laptop.record_id),
        (mail.record_id, laptop.record_id),
    ]
    link = proposals[0]
    assert isinstance(link, AddLink) and link.kind is LinkKind.RELATED
    assert "same person (hub Person PADA)" in link.reason
    assert laptop.name in link.reason and "within 2d in another tool" in link.reason
    assert [e.record_id for e in link.evidence] == [vpn.record_id]


def test_same_tool_closed_late_and_unknown_people_are_left_alone() -> None:
    session = rule()
    first = incident("Laptop will not boot", system="jira", enrichment=ADA)
    same_tool = incident("Laptop fan loud", system="jira", enrichment=ADA, at=timedelta(hours=1))
    late = incident("VPN", system="itsm", enrichment=ADA, at=timedelta(days=3))
    by_mail = [
        incident("Printer", system=s, reporter=PersonRef(email="x@acme.example"))
        for s in ("zendesk", "jira")
    ]
    assert see(session, first, same_tool, late, *by_mail) == []
    # A ticket closed meanwhile is no partner any more: seen closed, it is dropped.
    closed = incident("Laptop", system="jira", enrichment=GRACE, status=IncidentStatus.RESOLVED)
    assert see(session, closed, incident("VPN", system="itsm", enrichment=GRACE)) == []


def test_reporters_known_by_e_mail_count_when_the_directory_is_not_required() -> None:
    session = rule(directory_only=False)
    mail = PersonRef(email="X@acme.example")
    first = incident("Printer", system="zendesk", reporter=mail)
    second = incident("Printer again", system="jira", reporter=mail, at=timedelta(hours=1))
    [link] = see(session, first, second)
    assert "same person (x@acme.example)" in link.reason


def test_a_device_named_by_two_tickets_links_them_whoever_reported_them() -> None:
    session = rule(match=["device"])
    jira = incident(
        "Battery swelling on C02NEWHIRE1",
        system="jira",
        enrichment=Enrichment(reporter_id="PTECH", device_id="DLAPTOP"),
    )
    desk = incident(
        "C02NEWHIRE1 shuts down at 40%",
        system="zendesk",
        enrichment=Enrichment(reporter_id="PNIA", device_id="DLAPTOP"),
        at=timedelta(hours=3),
    )
    [link] = see(session, jira, desk)
    assert link.target_id == jira.record_id
    assert "same device (hub Device DLAPTOP)" in link.reason


def test_a_crowded_subject_is_no_signal() -> None:
    session = rule(crowd=3)
    bot = Enrichment(reporter_id="PMONITOR")
    tickets = [
        incident(f"Disk full on host {n}", system=("jira", "itsm")[n % 2], enrichment=bot)
        for n in range(4)
    ]
    proposals = see(session, *tickets)
    assert len(proposals) == 2  # the second and third are linked; the fourth finds a crowd


def test_linked_already_or_under_one_problem_is_not_proposed_again() -> None:
    session = rule()
    first = incident("Laptop", system="jira", enrichment=ADA, problem="PRB1")
    second = incident("VPN", system="itsm", enrichment=ADA, problem="PRB1")
    assert see(session, first, second) == []
    again = rule()
    one = incident("Laptop", system="jira", enrichment=GRACE)
    two = incident("VPN", system="itsm", enrichment=GRACE)
    assert len(see(again, one, two)) == 1
    assert see(again, two) == []  # seen again (its facts changed): proposed once


def test_explain_names_each_test() -> None:
    session = rule()
    [evaluator] = session.evaluators
    facts = incident("Laptop", system="jira", enrichment=ADA)
    checks = dict(evaluator.explain(facts, NOW))
    assert checks["its reporter is a directory person (PADA)"] is True
    assert checks["it names a device (None)"] is False
    assert checks["it is open (new)"] is True


def test_settings_are_checked(tmp_path) -> None:
    config = config_with({"s": {"type": "same_subject", "match": ["device"], "window": "3d"}})
    assert config.rules["s"].window == timedelta(days=3)
    data = {
        "store": {"url": "sqlite:///:memory:"},
        "rules": {
            "s": {"type": "same_subject", "match": ["badge"], "crowd": 1, "kinds": ["person"]}
        },
    }
    config, issues = validate_config(data, plugins_with_fake(), config_dir=tmp_path)
    assert config is None
    paths = {issue.path for issue in issues}
    assert {"rules.s.match[0]", "rules.s.crowd", "rules.s.kinds"} <= paths
