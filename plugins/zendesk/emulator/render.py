"""The account's rows as the Support API writes them.

Zendesk sends ``null`` for an optional field without a value. Its own description marks
most of them non-nullable, so this emulator leaves such fields out instead, except
``problem_id``, whose ``null`` the project's pruned description allows (a documented
relaxation); clients read a missing field and a ``null`` alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .state import Audit, Comment, Job, Ticket, User
from .tickets import html_body

JSON = dict[str, Any]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _via(channel: str) -> JSON:
    return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}


def ticket(row: Ticket, base: str, *, has_incidents: bool = False) -> JSON:
    """A ``TicketObject``; deleted tickets (listed by the export only) say ``deleted``."""
    out: JSON = {
        "id": row.id,
        "url": f"{base}/api/v2/tickets/{row.id}.json",
        "external_id": row.external_id,
        "via": _via(row.channel),
        "created_at": stamp(row.created_at),
        "updated_at": stamp(row.updated_at),
        "generated_timestamp": row.generated_timestamp,
        "type": row.type,
        "subject": row.subject,
        "raw_subject": row.subject,
        "description": row.description,
        "priority": row.priority,
        "status": "deleted" if row.deleted else row.status,
        "requester_id": row.requester_id,
        "submitter_id": row.submitter_id,
        "assignee_id": row.assignee_id,
        "group_id": row.group_id,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "has_incidents": has_incidents,
        "is_public": True,
        "tags": list(row.tags),
        "custom_fields": [
            {"id": field_id, "value": value}
            for field_id, value in sorted(row.custom_fields.items())
            if value is not None
        ],
        "sharing_agreement_ids": [],
        "followup_ids": [],
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }
    out = {k: v for k, v in out.items() if v is not None}
    out["problem_id"] = row.problem_id
    return out


def comment(row: Comment) -> JSON:
    return {
        "id": row.id,
        "type": "Comment",
        "author_id": row.author_id,
        "body": row.body,
        "html_body": html_body(row.body),
        "plain_body": row.body,
        "public": row.public,
        "attachments": [],
        "audit_id": row.audit_id,
        "via": _via(row.channel),
        "created_at": stamp(row.created_at),
        "metadata": {"system": {}, "custom": {}},
    }


def user(row: User, base: str) -> JSON:
    out: JSON = {
        "id": row.id,
        "url": f"{base}/api/v2/users/{row.id}.json",
        "name": row.name,
        "email": row.email,
        "role": row.role,
        "active": row.active,
        "verified": True,
        "time_zone": "UTC",
        "iana_time_zone": "Etc/UTC",
        "locale": "en-US",
        "created_at": stamp(row.created_at),
        "updated_at": stamp(row.updated_at),
    }
    if row.default_group_id is not None:
        out["default_group_id"] = row.default_group_id
    return out


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def audit(row: Audit) -> JSON:
    """A ticket update's ``audit``. Its description types an event's value as a string or
    an integer, so changes to lists (tags) or to nothing are left out of it."""
    events: list[JSON] = []
    for event in row.events:
        if event["type"] == "Comment":
            events.append(comment(event["comment"]) | {"id": event["id"]})
        elif _scalar(event.get("value")) and event.get("previous_value", "") is not None:
            events.append({k: event[k] for k in ("id", "type", "field_name", "value")})
    return {
        "id": row.id,
        "ticket_id": row.ticket_id,
        "author_id": row.author_id,
        "created_at": stamp(row.created_at),
        "via": _via(row.channel),
        "metadata": {"system": {}, "custom": {}},
        "events": events,
    }


def child_event(event: JSON, channel: str, *, with_comments: bool) -> JSON:
    """One child event as the event export writes it."""
    out: JSON = {"id": event["id"], "via": channel, "via_reference_id": None}
    if event["type"] == "Comment":
        if not with_comments:
            public = event["comment"].public
            return out | {
                "comment_present": True,
                "comment_public": public,
                "event_type": "Comment",
            }
        return out | comment(event["comment"]) | {"id": event["id"], "event_type": "Comment"}
    out[event["field_name"]] = event["value"]
    if event["type"] == "Change":
        out["previous_value"] = event["previous_value"]
    return out | {"event_type": event["type"]}


def ticket_event(row: Audit, *, with_comments: bool) -> JSON:
    """One audit of the ticket event export."""
    return {
        "id": row.id,
        "ticket_id": row.ticket_id,
        "timestamp": row.timestamp,
        "created_at": stamp(row.created_at),
        "updater_id": row.author_id,
        "via": row.channel,
        "system": {},
        "metadata": {"system": {}, "custom": {}},
        "event_type": "Audit",
        "merged_ticket_ids": [],
        "child_events": [
            child_event(e, row.channel, with_comments=with_comments) for e in row.events
        ],
    }


def job(row: Job, base: str) -> JSON:
    return {
        "id": row.id,
        "url": f"{base}/api/v2/job_statuses/{row.id}.json",
        "job_type": row.job_type,
        "status": row.status,
        "total": len(row.items),
        "progress": len(row.results or []),
        "message": row.message,
        "results": row.results,
    }


__all__ = [
    "audit",
    "child_event",
    "comment",
    "job",
    "stamp",
    "ticket",
    "ticket_event",
    "user",
]
