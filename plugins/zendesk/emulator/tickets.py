"""Zendesk's ticket rules: what a create or an update may hold, and what it records.

Every write that changes something becomes an audit (the ticket event export's items)
and moves ``updated_at`` and ``generated_timestamp``; a write that changes nothing is not
saved. ``safe_update`` with an ``updated_stamp`` older than the ticket is refused (409).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .state import (
    PRIORITIES,
    STATUSES,
    TICKET_TYPES,
    Account,
    Audit,
    Comment,
    Ticket,
    User,
)

JSON = Any
_SPACES = re.compile(r"\s+")
#: Fields written as they are given; the others have rules of their own below.
_PLAIN = ("subject", "type", "status", "priority", "external_id")
_TRACKED = (
    "subject",
    "type",
    "status",
    "priority",
    "requester_id",
    "assignee_id",
    "group_id",
    "problem_id",
    "external_id",
    "tags",
)


class Invalid(Exception):
    """422 RecordInvalid: ``details`` maps a field to its problems."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(description)
        self.details = {field: [{"description": description}]}


class NotFound(Exception):
    """404 RecordNotFound."""


class Conflict(Exception):
    """409: a safe_update whose stamp is older than the ticket."""


def normal_tags(tags: Any) -> list[str]:
    """Tags as Zendesk keeps them: lower case, split at spaces, each once."""
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = [tags]
    out: list[str] = []
    for tag in tags:
        for part in _SPACES.split(str(tag).strip().lower()):
            if part and part not in out:
                out.append(part)
    return out


def html_body(body: str) -> str:
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    inner = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return f'<div class="zd-comment" dir="auto">{inner}</div>'


def _parse_time(value: Any, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(field, f"{value!r} is not an ISO-8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Desk:
    """The write side of one account's tickets."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def _user(self, user_id: Any, field: str, *, agent: bool = False) -> int:
        user = self.account.users.get(user_id) if isinstance(user_id, int) else None
        if user is None:
            raise Invalid(field, f"{field}: user {user_id!r} does not exist")
        if agent and user.role == "end-user":
            raise Invalid(field, f"{field}: {user.name} is not an agent")
        return user.id

    def _requester(self, data: Mapping[str, JSON], author: User, at: datetime) -> int:
        if data.get("requester_id") is not None:
            return self._user(data["requester_id"], "requester_id")
        requester = data.get("requester")
        if isinstance(requester, dict) and requester.get("email"):
            email = str(requester["email"])
            found = self.account.user_by_email(email)
            if found is not None:
                return found.id
            name = str(requester.get("name") or email.split("@")[0])
            return self.account.add_user(name, email, at=at).id
        return author.id

    def _values(self, ticket: Ticket | None, data: Mapping[str, JSON]) -> dict[str, JSON]:
        """The new values of the tracked fields ``data`` sets, checked."""
        values: dict[str, JSON] = {}
        for name in _PLAIN:
            if name in data:
                values[name] = data[name]
        for name, allowed in (("type", TICKET_TYPES), ("status", STATUSES)):
            if name in values and values[name] not in allowed:
                raise Invalid(name, f"{name}: {values[name]!r} is not one of {', '.join(allowed)}")
        if values.get("priority") not in (None, *PRIORITIES):
            raise Invalid("priority", f"priority: {values['priority']!r} is not a priority")
        if "requester_id" in data and data["requester_id"] is not None:
            values["requester_id"] = self._user(data["requester_id"], "requester_id")
        if data.get("assignee_email"):
            found = self.account.user_by_email(str(data["assignee_email"]))
            if found is None:
                raise Invalid("assignee_email", "assignee_email: no agent has this address")
            values["assignee_id"] = found.id
        if "assignee_id" in data:
            assignee = data["assignee_id"]
            values["assignee_id"] = (
                None if assignee is None else self._user(assignee, "assignee_id", agent=True)
            )
        if "group_id" in data:
            group = data["group_id"]
            if group is not None and group not in self.account.groups:
                raise Invalid("group_id", f"group_id: group {group!r} does not exist")
            values["group_id"] = group
        if "problem_id" in data:
            values["problem_id"] = data["problem_id"]
        self._tags(ticket, data, values)
        return values

    @staticmethod
    def _tags(ticket: Ticket | None, data: Mapping[str, JSON], values: dict[str, JSON]) -> None:
        tags = list(ticket.tags) if ticket is not None else []
        if "tags" in data:
            tags = normal_tags(data["tags"])
        tags += [t for t in normal_tags(data.get("additional_tags")) if t not in tags]
        removed = set(normal_tags(data.get("remove_tags")))
        tags = [t for t in tags if t not in removed]
        if ticket is None or tags != ticket.tags:
            values["tags"] = tags

    def _check_problem(self, ticket_type: str | None, problem_id: JSON) -> None:
        if problem_id is None:
            return
        problem = self.account.tickets.get(problem_id) if isinstance(problem_id, int) else None
        if problem is None or problem.deleted or problem.type != "problem":
            raise Invalid("problem_id", "problem_id: the problem must be a ticket of type problem")
        if ticket_type != "incident":
            raise Invalid("problem_id", "problem_id: only incidents can be linked to a problem")

    @staticmethod
    def _custom(ticket: Ticket | None, data: Mapping[str, JSON]) -> dict[int, JSON] | None:
        fields = data.get("custom_fields")
        if fields is None:
            return None
        held = dict(ticket.custom_fields) if ticket is not None else {}
        for item in fields if isinstance(fields, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                held[item["id"]] = item.get("value")
        return held

    def create(
        self, data: Mapping[str, JSON], author: User, *, at: datetime | None = None
    ) -> Ticket:
        """A new ticket; its comment is its description (required)."""
        account = self.account
        at = at or account.now()
        comment = data.get("comment")
        body = (
            comment.get("body") or comment.get("html_body") if isinstance(comment, dict) else None
        )
        if not body:
            raise Invalid("base", "Description: cannot be blank")
        values = self._values(None, data)
        self._check_problem(values.get("type"), values.get("problem_id"))
        status = values.pop("status", None) or "new"
        if status == "new" and values.get("assignee_id") is not None:
            status = "open"  # an assigned ticket is no longer new
        ticket = Ticket(
            id=account.ids.next_ticket(),
            subject=str(values.pop("subject", None) or str(body).split("\n")[0][:50]),
            description=str(body),
            requester_id=self._requester(data, author, at),
            submitter_id=author.id,
            created_at=at,
            updated_at=at,
            generated_timestamp=int(at.timestamp()),
            status=status,
        )
        values.pop("requester_id", None)
        for name, value in values.items():
            setattr(ticket, name, value)
        ticket.custom_fields = self._custom(None, data) or {}
        account.relink(ticket.id, None, ticket.problem_id)
        account.tickets[ticket.id] = ticket
        account.comments[ticket.id] = []
        events = [
            {"type": "Create", "field_name": name, "value": getattr(ticket, name)}
            for name in _TRACKED
            if getattr(ticket, name) not in (None, [])
        ]
        audit = self._audit(ticket, author, at, events)
        # The first comment is the description: announced as the ticket's creation.
        self._comment(ticket, audit, comment, author, at, announce=False)
        account.add_audit(audit)
        account.index(ticket)
        account.announce("ticket.created", ticket, at)
        return ticket

    def update(
        self, ticket_id: int, data: Mapping[str, JSON], author: User, *, at: datetime | None = None
    ) -> tuple[Ticket, Audit | None]:
        """Apply an update; the audit is None when nothing changed (nothing is saved)."""
        account = self.account
        ticket = account.tickets.get(ticket_id)
        if ticket is None or ticket.deleted:
            raise NotFound(ticket_id)
        at = at or account.now()
        if data.get("safe_update") and data.get("updated_stamp") is not None:
            stamp = _parse_time(data["updated_stamp"], "updated_stamp")
            if stamp.replace(microsecond=0) != ticket.updated_at:
                raise Conflict(ticket_id)
        values = self._values(ticket, data)
        custom = self._custom(ticket, data)
        if ticket.status == "closed" and (values or custom or data.get("comment")):
            raise Invalid("status", "Status: closed prevents ticket update")
        changed = {n: v for n, v in values.items() if getattr(ticket, n) != v}
        if changed.get("type", "incident") != "incident" and ticket.problem_id is not None:
            changed.setdefault("problem_id", None)  # only incidents have a problem
        if changed.get("problem_id") is not None:
            self._check_problem(changed.get("type", ticket.type), changed["problem_id"])
        comment = data.get("comment") if isinstance(data.get("comment"), dict) else None
        if not changed and (custom is None or custom == ticket.custom_fields) and not comment:
            return ticket, None
        events = [
            {"type": "Change", "field_name": n, "value": v, "previous_value": getattr(ticket, n)}
            for n, v in changed.items()
        ]
        if "problem_id" in changed:
            account.relink(ticket.id, ticket.problem_id, changed["problem_id"])
        for name, value in changed.items():
            setattr(ticket, name, value)
        if custom is not None:
            ticket.custom_fields = custom
        audit = self._audit(ticket, author, at, events)
        if comment:
            self._comment(ticket, audit, comment, author, at)
        self._touch(ticket, at)
        account.add_audit(audit)
        for name, value in changed.items():
            account.announce(f"ticket.{name}_changed", ticket, at, current=value)
        return ticket, audit

    def delete(self, ticket_id: int, *, at: datetime | None = None) -> None:
        """Soft delete: gone from the API, listed by the export with status ``deleted``."""
        ticket = self.account.tickets.get(ticket_id)
        if ticket is None or ticket.deleted:
            raise NotFound(ticket_id)
        at = at or self.account.now()
        ticket.deleted = True
        self.account.relink(ticket.id, ticket.problem_id, None)
        self._touch(ticket, at, event=False)
        self.account.announce("ticket.soft_deleted", ticket, at)

    def _touch(self, ticket: Ticket, at: datetime, *, event: bool = True) -> None:
        old = ticket.export_key
        if event:
            ticket.updated_at = max(ticket.updated_at, at)
        ticket.generated_timestamp = max(ticket.generated_timestamp, int(at.timestamp()))
        self.account.index(ticket, old)

    def _audit(
        self, ticket: Ticket, author: User, at: datetime, events: list[dict[str, JSON]]
    ) -> Audit:
        for event in events:
            event["id"] = self.account.ids.next()
        return Audit(self.account.ids.next(), ticket.id, author.id, at, events, ticket.channel)

    def _comment(
        self,
        ticket: Ticket,
        audit: Audit,
        data: Mapping[str, JSON],
        author: User,
        at: datetime,
        *,
        announce: bool = True,
    ) -> Comment:
        body = str(data.get("body") or data.get("html_body") or "")
        author_id = data.get("author_id") if isinstance(data.get("author_id"), int) else None
        if author_id is not None:
            author_id = self._user(author_id, "comment.author_id")
        comment = Comment(
            id=self.account.ids.next(),
            ticket_id=ticket.id,
            author_id=author_id or author.id,
            body=body,
            public=data.get("public") is not False,
            created_at=at,
            audit_id=audit.id,
            channel=audit.channel,
        )
        self.account.comments[ticket.id].append(comment)
        audit.events.append({"type": "Comment", "id": comment.id, "comment": comment})
        if announce:
            self.account.announce("ticket.comment_added", ticket, at, comment=comment)
        return comment


__all__ = ["Conflict", "Desk", "Invalid", "NotFound", "html_body", "normal_tags"]
