"""The demo's four emulators, on one clock, filled with the story through their seeding
APIs: tickets written at the times the story gives, as if people had filed them then.

The demo shows the in-tree plugins, so this is the one place in ``itsmhub`` that imports
them (lazily: nothing else pays for it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from socket import socket
from typing import TYPE_CHECKING, Any

from ..emulation import EmulatorClock, serve
from .story import Person, Story, Ticket

if TYPE_CHECKING:
    from itsmhub_jira.emulator import Site
    from itsmhub_okta.emulator import Org
    from itsmhub_servicenow.emulator import Instance
    from itsmhub_zendesk.emulator import Support

#: Each tool's name for the story's services.
SNOW_SERVICES = {
    "VPN": "Remote Access (VPN)",
    "Email": "Email",
    "Printing": "Printing",
    "SAP": "SAP ERP",
    "Laptops": "End User Computing",
    "Wi-Fi": "Office Network",
}
JIRA_PRIORITIES = {1: "Highest", 2: "High", 3: "Medium", 4: "Low", 5: "Lowest"}
ZENDESK_PRIORITIES = {1: "urgent", 2: "high", 3: "normal", 4: "low", 5: "low"}
SNOW_IMPACT_URGENCY = {1: ("1", "1"), 2: ("1", "2"), 3: ("2", "2"), 4: ("2", "3"), 5: ("3", "3")}


@dataclass
class World:
    """The four emulated tools and the clock they (and the demo's hub) share."""

    clock: EmulatorClock
    servicenow: Instance
    jira: Site
    zendesk: Support
    okta: Org
    keys: dict[str, str] = field(default_factory=dict)
    """Story ref → the key its tool gave it (INC0010003, OPS-4, 12)."""

    @classmethod
    def build(cls, now: datetime) -> World:
        """Empty tools whose clock reads ``now`` and runs on from there."""
        from itsmhub_jira.emulator import Site
        from itsmhub_okta.emulator import Org
        from itsmhub_servicenow.emulator import Instance, seed_instance
        from itsmhub_servicenow.emulator.state import NUMBERS
        from itsmhub_zendesk.emulator import Limits, Support

        from ..emulation import Controls

        clock = EmulatorClock(now)
        instance = Instance(clock=clock)
        clock.set(now - timedelta(days=60))  # the CMDB and users exist before the story
        seed_instance(instance, 1, incidents=0)
        # The seed's users, groups and CMDB are the story's; its sample problem is not.
        for table in ("problem", "kb_template_known_error_article", "sys_journal_field"):
            instance.tables[table].clear()
            if table in NUMBERS:
                instance.counters[table] = NUMBERS[table][1]
        instance.journal_ids.clear()
        # The exports' 10 calls a minute would make the demo wait a minute between syncs:
        # its syncs follow each other in seconds (the pacing is covered by tests).
        support = Support(clock=clock, limits=Limits(incremental=None))
        world = cls(
            clock=clock,
            servicenow=instance,
            jira=Site(controls=Controls(clock=clock)),
            zendesk=support,
            okta=Org(clock=clock),
        )
        clock.set(now)
        return world

    def apps(self) -> dict[str, Any]:
        """An ASGI app per connector kind."""
        from itsmhub_jira.emulator import build_app as jira_app
        from itsmhub_okta.emulator import build_app as okta_app
        from itsmhub_servicenow.emulator import build_app as snow_app
        from itsmhub_zendesk.emulator import build_app as zendesk_app

        return {
            "servicenow": snow_app(self.servicenow),
            "jira": jira_app(self.jira),
            "zendesk": zendesk_app(self.zendesk),
            "okta": okta_app(self.okta),
        }

    def load(self, story: Story, now: datetime) -> None:
        """Write the story into the tools, oldest first, each at its own moment; then let
        the clock run on from ``now``."""
        for person in story.people:
            self._person(person, now)
        for ticket in sorted(story.tickets, key=lambda t: -t.ago.total_seconds()):
            self.file(ticket, now - ticket.ago, story)
        self.clock.set(now)
        self.clock.release()

    def file(self, ticket: Ticket, when: datetime, story: Story) -> str:
        """File one ticket in its tool at ``when``; return its key there."""
        self.clock.set(when)
        description = ticket.description or ticket.title
        if ticket.mentions:
            description += f" (reported to the service desk as {self.keys[ticket.mentions]})"
        filer = {"servicenow": self._snow, "jira": self._jira, "zendesk": self._zendesk}
        key = filer[ticket.system](ticket, description, when)
        self.keys[ticket.ref] = key
        return key

    # --- one tool each --------------------------------------------------------------------

    def _person(self, person: Person, now: datetime) -> None:
        started = now - timedelta(days=person.started_days_ago, hours=7)
        first, last = person.name.split(" ", 1)
        manager = self.okta.find_user(person.manager) if person.manager else None
        user = self.okta.add_user(
            first,
            last,
            email=person.email,
            department=person.department,
            title=person.title,
            manager_id=manager["id"] if manager else None,
            when=started,
        )
        for name in person.groups:
            group = next(
                (g for g in self.okta.groups.values() if g["profile"]["name"] == name), None
            )
            group = group or self.okta.add_group(name, f"{name} at Acme")
            self.okta.add_member(group["id"], user["id"])
        if person.laptop_serial:
            self.okta.add_device(
                f"{first}'s MacBook Pro 14",
                serial_number=person.laptop_serial,
                manufacturer="Apple",
                model="MacBook Pro 14",
                users=[user["id"]],
                when=started,
            )
        login = person.email.split("@")[0]
        if not any(u["user_name"] == login for u in self.servicenow.rows("sys_user")):
            self.clock.set(started)
            self.servicenow.insert(
                "sys_user",
                {"user_name": login, "name": person.name, "email": person.email, "active": "true"},
            )

    def _snow(self, ticket: Ticket, description: str, when: datetime) -> str:
        users = {u["email"]: u["sys_id"] for u in self.servicenow.rows("sys_user")}
        services = {s["name"]: s["sys_id"] for s in self.servicenow.rows("cmdb_ci_service")}
        impact, urgency = SNOW_IMPACT_URGENCY[ticket.priority]
        values: dict[str, Any] = {
            "short_description": ticket.title,
            "description": description,
            "caller_id": users[ticket.reporter],
            "impact": impact,
            "urgency": urgency,
        }
        if ticket.service:
            values["business_service"] = services[SNOW_SERVICES[ticket.service]]
        row = self.servicenow.insert("incident", values)
        if ticket.resolved:
            self.clock.set(when + timedelta(hours=2))
            self.servicenow.update(
                "incident",
                row["sys_id"],
                {"state": "6", "close_code": "Solved (Permanently)", "close_notes": "Fixed."},
            )
        return str(row["number"])

    def _jira(self, ticket: Ticket, description: str, when: datetime) -> str:
        from itsmhub_jira.emulator import add_issue

        issue = add_issue(
            self.jira,
            summary=ticket.title,
            description=description,
            reporter=ticket.reporter,
            created=when,
            updated=when + timedelta(hours=2) if ticket.resolved else None,
            status="Completed" if ticket.resolved else None,
            priority=JIRA_PRIORITIES[ticket.priority],
            components=[ticket.service] if ticket.service else (),
        )
        return issue.key

    def _zendesk(self, ticket: Ticket, description: str, when: datetime) -> str:
        from itsmhub_zendesk.emulator import Seeder

        created = Seeder(self.zendesk).ticket(
            ticket.title,
            requester=ticket.reporter,
            created_at=when,
            description=description,
            status="solved" if ticket.resolved else "new",
            priority=ZENDESK_PRIORITIES[ticket.priority],
            tags=[ticket.service.lower()] if ticket.service else (),
            updated_at=when + timedelta(hours=2) if ticket.resolved else None,
        )
        return str(created.id)


@contextmanager
def served(world: World, sockets: Mapping[str, socket]) -> Iterator[dict[str, str]]:
    """Serve each kind's emulator on its bound socket; yield their URLs by kind."""
    apps = world.apps()
    with ExitStack() as stack:
        yield {kind: stack.enter_context(serve(apps[kind], sock=s)) for kind, s in sockets.items()}
