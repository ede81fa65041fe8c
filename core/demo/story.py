"""The demo's story, as data: who works at Acme, and what they filed where, and when.

Five weeks of tickets in three tools. The help desk (Zendesk), IT operations
(ServiceNow) and engineering (Jira) each see the same VPN failure on Friday
afternoons; Outlook and a printer trouble people in two weeks each; an engineer who
started on Monday finds her Okta groups and her laptop half set up and tells the help
desk and IT operations separately. Times are offsets before the story's "now", a
Friday afternoon, so the weekdays are real whatever day the demo runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

System = Literal["servicenow", "jira", "zendesk"]

#: When the story's Friday afternoon is (UTC): the new VPN report arrives then.
NOW_AT = time(15, 30)


class Person(BaseModel):
    """Someone at Acme, as the directory (Okta) knows them."""

    model_config = ConfigDict(frozen=True)

    name: str
    email: str
    department: str
    title: str
    manager: str | None = None
    """The manager's e-mail."""
    groups: tuple[str, ...] = ("Everyone", "VPN Users")
    laptop_serial: str | None = None
    started_days_ago: int = 400


class Ticket(BaseModel):
    """One ticket as a person filed it in one tool."""

    model_config = ConfigDict(frozen=True)

    ref: str
    """The story's own name for it, so other tickets can mention it."""
    system: System
    title: str
    reporter: str
    """The reporter's (or ServiceNow caller's) e-mail."""
    ago: timedelta
    """How long before the story's now it was filed."""
    description: str = ""
    service: str | None = None
    priority: int = 3
    """Neutral priority, 1 (critical) to 5 (planning)."""
    resolved: bool = False
    mentions: str | None = None
    """The ref of a ticket in another tool this one cites by its key."""


class Story(BaseModel):
    model_config = ConfigDict(frozen=True)

    people: tuple[Person, ...]
    tickets: tuple[Ticket, ...]
    new_hire: str
    """The e-mail of the person whose onboarding went wrong."""
    workaround: str
    """What IT operations writes on the VPN problem once they know the cause."""
    new_report: Ticket
    """The Friday VPN report filed in Zendesk after the problem became a known error."""


def story_now(now: datetime) -> datetime:
    """The latest Friday afternoon (:data:`NOW_AT`, UTC) that is not after ``now``."""
    moment = now.astimezone(UTC)
    day = moment.date() - timedelta(days=(moment.weekday() - 4) % 7)
    friday = datetime.combine(day, NOW_AT, tzinfo=UTC)
    return friday if friday <= moment else friday - timedelta(weeks=1)


def at(weeks: int, weekday: int, clock: str) -> timedelta:
    """How long before the story's Friday now a moment ``weeks`` back lies, on
    ``weekday`` (0 Monday … 4 Friday) at ``clock`` (HH:MM, UTC)."""
    hours, minutes = (int(part) for part in clock.split(":"))
    days_back = 7 * weeks + (4 - weekday)
    then = timedelta(days=days_back) - timedelta(hours=hours, minutes=minutes)
    return then + timedelta(hours=NOW_AT.hour, minutes=NOW_AT.minute)


MON, TUE, WED, THU, FRI = range(5)

PEOPLE = (
    Person(name="Fred Luddy", email="fred.luddy@example.com", department="IT", title="IT Director"),
    Person(
        name="Grace Hopper",
        email="grace.hopper@example.com",
        department="Engineering",
        title="Engineering Manager",
        manager="fred.luddy@example.com",
        groups=("Everyone", "VPN Users", "Engineering"),
    ),
    Person(
        name="Beth Anglin",
        email="beth.anglin@example.com",
        department="Engineering",
        title="Site Reliability Engineer",
        manager="grace.hopper@example.com",
        groups=("Everyone", "VPN Users", "Engineering"),
    ),
    Person(
        name="Abel Tuter",
        email="abel.tuter@example.com",
        department="Sales",
        title="Account Executive",
        manager="fred.luddy@example.com",
    ),
    Person(
        name="Bud Richman",
        email="bud.richman@example.com",
        department="Finance",
        title="Financial Analyst",
        manager="fred.luddy@example.com",
    ),
    Person(
        name="Charlie Whitherspoon",
        email="charlie.whitherspoon@example.com",
        department="Support",
        title="Support Agent",
        manager="fred.luddy@example.com",
    ),
    Person(
        name="David Loo",
        email="david.loo@example.com",
        department="IT",
        title="IT Technician",
        manager="fred.luddy@example.com",
    ),
    # Started on Monday: Okta gave her only "Everyone" (no VPN Users, no Engineering).
    Person(
        name="Nina Patel",
        email="nina.patel@example.com",
        department="Engineering",
        title="Software Engineer",
        manager="grace.hopper@example.com",
        groups=("Everyone",),
        laptop_serial="C02NP4TEL01",
        started_days_ago=4,
    ),
)

VPN = "VPN"

TICKETS = (
    # --- the VPN failure, Friday afternoons, in all three tools -----------------------
    Ticket(
        ref="vpn-1",
        system="zendesk",
        title="VPN drops every few minutes",
        description="Since lunch the VPN disconnects every few minutes; I lose my calls.",
        reporter="bud.richman@example.com",
        ago=at(4, FRI, "14:05"),
        service=VPN,
        resolved=True,
    ),
    Ticket(
        ref="vpn-2",
        system="servicenow",
        title="VPN connection drops every few minutes",
        description="User reports the VPN tunnel dropping every few minutes from home.",
        reporter="abel.tuter@example.com",
        ago=at(3, FRI, "13:40"),
        service=VPN,
        priority=2,
        resolved=True,
    ),
    Ticket(
        ref="vpn-3",
        system="jira",
        title="VPN drops every few minutes",
        description="The VPN tunnel to the build farm drops every few minutes; deploys fail.",
        reporter="beth.anglin@example.com",
        ago=at(3, FRI, "15:10"),
        service=VPN,
        priority=2,
        resolved=True,
    ),
    Ticket(
        ref="vpn-4",
        system="zendesk",
        title="VPN keeps dropping every few minutes",
        description="VPN disconnects again and again this afternoon.",
        reporter="charlie.whitherspoon@example.com",
        ago=at(2, FRI, "14:20"),
        service=VPN,
        resolved=True,
    ),
    Ticket(
        ref="vpn-5",
        system="servicenow",
        title="VPN drops every few minutes for remote staff",
        description="Several remote users lose the VPN every few minutes.",
        reporter="bud.richman@example.com",
        ago=at(2, FRI, "15:00"),
        service=VPN,
        priority=2,
    ),
    Ticket(
        ref="vpn-6",
        system="jira",
        title="VPN drops every few minutes again",
        description="Same as two weeks ago: the VPN drops every few minutes.",
        reporter="grace.hopper@example.com",
        ago=at(1, FRI, "13:55"),
        service=VPN,
        priority=2,
    ),
    Ticket(
        ref="vpn-7",
        system="zendesk",
        title="VPN drops every few minutes, can't work",
        description="The VPN drops every few minutes, I cannot reach the file server.",
        reporter="abel.tuter@example.com",
        ago=at(1, FRI, "14:30"),
        service=VPN,
    ),
    # --- Outlook: two bad weeks, reported in two tools at once -------------------------
    Ticket(
        ref="mail-1",
        system="zendesk",
        title="Outlook keeps asking for my password",
        reporter="bud.richman@example.com",
        ago=at(3, TUE, "09:10"),
        service="Email",
        resolved=True,
    ),
    Ticket(
        ref="mail-2",
        system="servicenow",
        title="Outlook keeps asking for the password",
        reporter="charlie.whitherspoon@example.com",
        ago=at(3, TUE, "09:45"),
        service="Email",
        resolved=True,
    ),
    Ticket(
        ref="mail-3",
        system="zendesk",
        title="Outlook keeps asking for my password again",
        reporter="abel.tuter@example.com",
        ago=at(1, WED, "10:20"),
        service="Email",
    ),
    Ticket(
        ref="mail-4",
        system="jira",
        title="Outlook keeps asking for my password after the update",
        reporter="beth.anglin@example.com",
        ago=at(1, WED, "11:05"),
        service="Email",
    ),
    # --- the rest of a normal month ----------------------------------------------------
    Ticket(
        ref="sap-1",
        system="servicenow",
        title="SAP report ZFI_01 times out",
        description="Month-end report ZFI_01 runs into a timeout after 10 minutes.",
        reporter="bud.richman@example.com",
        ago=at(2, WED, "08:30"),
        service="SAP",
        priority=2,
    ),
    Ticket(
        ref="sap-2",
        system="jira",
        title="Slow query behind the month-end finance report",
        description="Finance cannot run ZFI_01 before the deadline; analysing the query.",
        reporter="beth.anglin@example.com",
        ago=at(2, WED, "13:00"),
        service="SAP",
        mentions="sap-1",
    ),
    Ticket(
        ref="print-1",
        system="zendesk",
        title="Printer on floor 3 jams",
        reporter="charlie.whitherspoon@example.com",
        ago=at(4, MON, "10:00"),
        service="Printing",
        priority=4,
        resolved=True,
    ),
    Ticket(
        ref="print-2",
        system="servicenow",
        title="Printer on floor 3 jams again",
        reporter="david.loo@example.com",
        ago=at(2, THU, "11:30"),
        service="Printing",
        priority=4,
    ),
    Ticket(
        ref="wifi-1",
        system="zendesk",
        title="Wi-Fi weak in meeting room B",
        reporter="abel.tuter@example.com",
        ago=at(3, WED, "16:00"),
        service="Wi-Fi",
        priority=4,
        resolved=True,
    ),
    Ticket(
        ref="ci-1",
        system="jira",
        title="Nightly build fails on the arm64 runners",
        reporter="grace.hopper@example.com",
        ago=at(4, THU, "07:15"),
        resolved=True,
    ),
    Ticket(
        ref="dock-1",
        system="servicenow",
        title="Docking station not detected after firmware update",
        reporter="david.loo@example.com",
        ago=at(1, TUE, "09:00"),
        service="Laptops",
        priority=4,
    ),
    # --- Monday: the new engineer's first days -----------------------------------------
    Ticket(
        ref="onboard-desk",
        system="zendesk",
        title="First day: cannot reach the VPN or the engineering wiki",
        description="I started on Monday. I can sign in, but the VPN refuses me and the "
        "engineering wiki says I have no access.",
        reporter="nina.patel@example.com",
        ago=at(0, MON, "09:20"),
        priority=2,
    ),
    Ticket(
        ref="onboard-laptop",
        system="servicenow",
        title="Laptop C02NP4TEL01 shows no company apps after enrolment",
        description="New starter's MacBook enrolled, but no apps were pushed to it.",
        reporter="nina.patel@example.com",
        ago=at(0, MON, "14:10"),
        service="Laptops",
        priority=3,
    ),
)

STORY = Story(
    people=PEOPLE,
    tickets=TICKETS,
    new_hire="nina.patel@example.com",
    workaround="Connect to the backup gateway vpn2.acme.example until the firewall "
    "firmware is fixed; its session timeout is not affected.",
    new_report=Ticket(
        ref="vpn-8",
        system="zendesk",
        title="VPN drops every few minutes again",
        description="Friday afternoon and the VPN drops every few minutes again.",
        reporter="charlie.whitherspoon@example.com",
        ago=timedelta(0),
        service=VPN,
    ),
)
