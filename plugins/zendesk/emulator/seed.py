"""Seeding an account: a programmatic API for stories (the demo's recurring VPN failure),
and deterministic realistic history dated relative to the account's today.

Everything goes through the ticket desk, so seeded tickets have the audits, comments and
timestamps the exports read, as if people had written them at the given times.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .state import Group, Ticket, User
from .support import Support

PEOPLE = (
    ("Abel Tuter", "abel.tuter@example.com", "end-user"),
    ("Beth Anglin", "beth.anglin@example.com", "agent"),
    ("David Loo", "david.loo@example.com", "agent"),
    ("Fred Luddy", "fred.luddy@example.com", "end-user"),
    ("Bud Richman", "bud.richman@example.com", "end-user"),
    ("Charlie Whitherspoon", "charlie.whitherspoon@example.com", "end-user"),
    ("Don Goodliffe", "don.goodliffe@example.com", "end-user"),
    ("Grace Hopper", "grace.hopper@example.com", "agent"),
)
GROUPS = ("Support", "Network", "Hardware", "Software", "Billing")
TOPICS = (
    ("vpn", "Network", ("VPN drops every few minutes", "Cannot connect to VPN from home")),
    ("email", "Software", ("Outlook keeps asking for my password", "Emails stuck in outbox")),
    ("printer", "Hardware", ("Printer on floor 3 jams", "Cannot print to PRN-0421")),
    ("billing", "Billing", ("Invoice shows the wrong VAT", "Card payment declined twice")),
    ("laptop", "Hardware", ("Laptop battery swells", "Docking station not detected")),
    ("wifi", "Network", ("Guest Wi-Fi portal unreachable", "Wi-Fi weak in meeting room B")),
)
STATUSES = ("new", "open", "open", "pending", "hold", "solved", "closed")
PRIORITIES = (None, "low", "normal", "normal", "high", "urgent")
NOTES = (
    "Asked the customer to restart and try again.",
    "Checked the logs, nothing obvious yet.",
    "Escalating to the second line.",
    "Workaround shared with the customer.",
    "It works again, thanks!",
)
#: The custom ticket field seeded known errors keep their workaround in; the emulator's
#: ready config maps it (``mapping.custom_fields.workaround``).
WORKAROUND_FIELD = 360_000_100_001
WORKAROUNDS = (
    "Restart the client and sign in again.",
    "Use the web version until the fix is deployed.",
    "Route the job through the secondary node.",
)
#: How far back seeded history reaches.
HISTORY = timedelta(days=60)


@dataclass(frozen=True)
class SeededComment:
    body: str
    author: str | User | None = None
    public: bool = True
    at: datetime | None = None


class Seeder:
    """Adds people, groups and tickets to an account, at the times given."""

    def __init__(self, support: Support) -> None:
        self.support = support
        self.account = support.account

    def user(
        self, name: str, email: str, *, role: str = "end-user", at: datetime | None = None
    ) -> User:
        """The user with that e-mail, made if missing."""
        return self.account.user_by_email(email) or self.account.add_user(
            name, email, role=role, at=at
        )

    def group(self, name: str) -> Group:
        found = next((g for g in self.account.groups.values() if g.name == name), None)
        return found or self.account.add_group(name)

    def _person(self, who: str | User | None) -> User:
        if isinstance(who, User):
            return who
        if who is None:
            return self.account.agent
        found = self.account.user_by_email(who)
        if found is None:
            found = self.user(who.split("@")[0].replace(".", " ").title(), who)
        return found

    def ticket(
        self,
        subject: str,
        *,
        type: str | None = "incident",
        requester: str | User | None = None,
        created_at: datetime | None = None,
        description: str | None = None,
        status: str = "new",
        priority: str | None = None,
        tags: Sequence[str] = (),
        group: str | None = None,
        assignee: str | User | None = None,
        problem: Ticket | int | None = None,
        external_id: str | None = None,
        custom_fields: dict[int, Any] | None = None,
        comments: Sequence[SeededComment] = (),
        updated_at: datetime | None = None,
    ) -> Ticket:
        """A ticket as its requester opened it at ``created_at``, then its comments, then
        (at ``updated_at``, else a minute after the last comment) its later state."""
        when = created_at or self.account.now()
        author = self._person(requester)
        data: dict[str, Any] = {
            "subject": subject,
            "comment": {"body": description or subject, "public": True},
            "type": type,
            "priority": priority,
            "tags": list(tags),
            "external_id": external_id,
            "custom_fields": [{"id": k, "value": v} for k, v in (custom_fields or {}).items()],
        }
        if group is not None:
            data["group_id"] = self.group(group).id
        if problem is not None:
            data["problem_id"] = problem.id if isinstance(problem, Ticket) else problem
        ticket = self.support.desk.create(data, author, at=when)
        last = when
        for comment in comments:
            at = comment.at or last + timedelta(minutes=5)
            self.comment(ticket, comment.body, author=comment.author, public=comment.public, at=at)
            last = at
        later: dict[str, Any] = {}
        if assignee is not None:
            later["assignee_id"] = self._person(assignee).id
        if status != "new":
            later["status"] = status
        if later:
            self.support.desk.update(
                ticket.id, later, self.account.agent, at=updated_at or last + timedelta(minutes=1)
            )
        return ticket

    def comment(
        self,
        ticket: Ticket,
        body: str,
        *,
        author: str | User | None = None,
        public: bool = True,
        at: datetime | None = None,
    ) -> None:
        person = self._person(author)
        data = {"comment": {"body": body, "public": public, "author_id": person.id}}
        self.support.desk.update(ticket.id, data, person, at=at)


def seed_account(support: Support, seed: int, *, tickets: int = 50, comments: int = 2) -> None:
    """People, groups, problems and incidents with comments over the last 60 days.

    ``comments`` is the most comments a ticket gets (each gets 0 to that many); one ticket
    in ten is a problem, and about a third of the incidents are linked to one. The same
    seed gives the same account on the same day.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    seeder = Seeder(support)
    today = support.account.now().astimezone(UTC).replace(hour=8, minute=0, second=0)
    epoch = today - HISTORY
    people = [seeder.user(n, e, role=r, at=epoch) for n, e, r in PEOPLE]
    agents = [p for p in people if p.role != "end-user"]
    for name in GROUPS:
        seeder.group(name)
    problems: list[Ticket] = []
    for n in range(tickets):
        topic, group, titles = rng.choice(TOPICS)
        created = epoch + timedelta(minutes=rng.randint(0, int(HISTORY.total_seconds() // 60) - 90))
        is_problem = n % 10 == 0
        notes = [
            SeededComment(rng.choice(NOTES), rng.choice(people), public=rng.random() < 0.6)
            for _ in range(rng.randint(0, comments))
        ]
        status = rng.choice(STATUSES)
        known = is_problem and rng.random() < 0.3
        linked = problems and not is_problem and rng.random() < 0.3
        ticket = seeder.ticket(
            rng.choice(titles) if not is_problem else f"Recurring: {rng.choice(titles)}",
            type="problem" if is_problem else "incident",
            requester=rng.choice(people),
            created_at=created,
            priority=rng.choice(PRIORITIES),
            tags=[topic, "known_error"] if known else [topic],
            custom_fields={WORKAROUND_FIELD: rng.choice(WORKAROUNDS)} if known else None,
            group=group,
            assignee=rng.choice(agents) if status != "new" else None,
            problem=rng.choice(problems) if linked else None,
            comments=notes,
            status=status,
        )
        if is_problem:
            problems.append(ticket)


__all__ = ["WORKAROUND_FIELD", "SeededComment", "Seeder", "seed_account"]
