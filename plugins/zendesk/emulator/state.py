"""The emulated account's rows, kept in memory: users, groups, tickets, comments, audits.

Rows are plain dataclasses; the ticket rules (validation, audits, timestamps) live in
:mod:`.tickets`, the exports in :mod:`.export`, background jobs in :mod:`.jobs`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from itsmhub.emulation import Controls, OAuthServer

Clock = Callable[[], datetime]
JSON = Any

TICKET_TYPES = ("problem", "incident", "question", "task")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
ROLES = ("end-user", "agent", "admin")


@dataclass
class User:
    id: int
    name: str
    email: str
    role: str = "end-user"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    active: bool = True
    default_group_id: int | None = None


@dataclass
class Group:
    id: int
    name: str
    created_at: datetime


@dataclass
class Comment:
    id: int
    ticket_id: int
    author_id: int
    body: str
    public: bool
    created_at: datetime
    audit_id: int
    channel: str = "api"


@dataclass
class Ticket:
    """One ticket, with what only the system sets (timestamps, ``has_incidents``)."""

    id: int
    subject: str
    description: str
    requester_id: int
    submitter_id: int
    created_at: datetime
    updated_at: datetime
    generated_timestamp: int
    type: str | None = None
    status: str = "new"
    priority: str | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    problem_id: int | None = None
    external_id: str | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[int, JSON] = field(default_factory=dict)
    channel: str = "api"
    deleted: bool = False

    @property
    def export_key(self) -> tuple[int, int]:
        return (self.generated_timestamp, self.id)


@dataclass
class Audit:
    """A ticket audit: one create or update and its child events (the event export's items)."""

    id: int
    ticket_id: int
    author_id: int
    created_at: datetime
    events: list[dict[str, JSON]]
    channel: str = "api"
    timestamp: int = field(init=False)
    """The second the export files it under (kept: the export sorts by it constantly)."""

    def __post_init__(self) -> None:
        self.timestamp = int(self.created_at.timestamp())

    @property
    def export_key(self) -> tuple[int, int]:
        return (self.timestamp, self.id)


@dataclass
class Webhook:
    id: str
    name: str
    endpoint: str
    secret: str
    subscriptions: list[str]
    created_at: datetime
    status: str = "active"


@dataclass
class Job:
    """A background job of ``create_many``/``update_many``: its items run when it ends."""

    id: str
    job_type: str
    items: list[dict[str, JSON]]
    user_id: int
    submitted_at: datetime
    status: str = "queued"
    polls: int = 0
    results: list[dict[str, JSON]] | None = None
    message: str | None = None


@dataclass
class Announcement:
    """A ticket change a webhook may be told about."""

    type: str
    ticket: Ticket
    at: datetime
    event: dict[str, JSON] = field(default_factory=dict)


class Ids:
    """Ids as Zendesk hands them out: tickets count from 1, the rest are large numbers."""

    def __init__(self) -> None:
        self.ticket = 0
        self.other = 360_000_000_000

    def next_ticket(self) -> int:
        self.ticket += 1
        return self.ticket

    def next(self) -> int:
        self.other += 1
        return self.other


class Account:
    """One emulated Zendesk account."""

    def __init__(
        self,
        *,
        clock: Clock,
        controls: Controls,
        agent: tuple[str, str],
        api_token: str,
        oauth_token: str,
        oauth_client: tuple[str, str],
        webhook_secret: str,
    ) -> None:
        self.clock = clock
        self.controls = controls
        self.agent_name, self.agent_email = agent
        self.api_token = api_token
        self.oauth_token = oauth_token
        self.webhook_secret = webhook_secret
        self.oauth = OAuthServer(
            clients=dict([oauth_client]), clock=clock, default_scope="read write"
        )
        self.reset()

    def reset(self) -> None:
        self.ids = Ids()
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.tickets: dict[int, Ticket] = {}
        self.comments: dict[int, list[Comment]] = {}
        self.audits: list[Audit] = []
        self.webhooks: dict[str, Webhook] = {}
        self.jobs: dict[str, Job] = {}
        self.announcements: list[Announcement] = []
        self.export_index: list[tuple[int, int]] = []
        self.incidents: dict[int, set[int]] = {}
        """Problem id → the incidents whose problem_id names it."""
        self.oauth.reset()
        now = self.clock()
        self.agent = self.add_user(self.agent_name, self.agent_email, role="admin", at=now)

    def now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    # --- users and groups ---------------------------------------------------------------

    def add_user(
        self, name: str, email: str, *, role: str = "end-user", at: datetime | None = None
    ) -> User:
        when = at or self.now()
        user = User(self.ids.next(), name, email.lower(), role, when, when)
        self.users[user.id] = user
        return user

    def user_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        return next((u for u in self.users.values() if u.email == wanted), None)

    def add_group(self, name: str, *, at: datetime | None = None) -> Group:
        group = Group(self.ids.next(), name, at or self.now())
        self.groups[group.id] = group
        return group

    # --- the export index ---------------------------------------------------------------

    def index(self, ticket: Ticket, old: tuple[int, int] | None = None) -> None:
        """Keep the tickets ordered as the export reads them, by (generated_timestamp, id)."""
        if old is not None:
            at = bisect.bisect_left(self.export_index, old)
            if at < len(self.export_index) and self.export_index[at] == old:
                del self.export_index[at]
        bisect.insort(self.export_index, ticket.export_key)

    def add_audit(self, audit: Audit) -> None:
        """Audits are kept in export order (by second, then id), whatever order seeding
        writes history in."""
        if not self.audits or self.audits[-1].export_key <= audit.export_key:
            self.audits.append(audit)
        else:
            bisect.insort(self.audits, audit, key=lambda a: a.export_key)

    def announce(self, kind: str, ticket: Ticket, at: datetime, **event: JSON) -> None:
        """Queue a change for the webhooks (only when some webhook could want it)."""
        if self.webhooks:
            self.announcements.append(Announcement(kind, ticket, at, dict(event)))

    def relink(self, incident: int, old: int | None, new: int | None) -> None:
        if old is not None:
            self.incidents.get(old, set()).discard(incident)
        if new is not None:
            self.incidents.setdefault(new, set()).add(incident)

    def has_incidents(self, ticket: Ticket) -> bool:
        return bool(self.incidents.get(ticket.id))

    def visible_tickets(self) -> list[Ticket]:
        return [t for t in self.tickets.values() if not t.deleted]


__all__ = [
    "PRIORITIES",
    "ROLES",
    "STATUSES",
    "TICKET_TYPES",
    "Account",
    "Announcement",
    "Audit",
    "Comment",
    "Group",
    "Ids",
    "Job",
    "Ticket",
    "User",
    "Webhook",
]
