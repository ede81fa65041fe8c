"""The Zendesk Support JSON the connector reads, as pydantic models of the fields it uses.

Unknown keys are ignored (the API adds fields over time); a field the live API sends as
``null`` and one it leaves out read the same. Shapes follow Zendesk's own description
(``TicketObject``, ``JobStatusObject``…) and vendor-apis.md §4.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CustomFieldValue(_Read):
    id: int
    value: JsonValue = None


class Ticket(_Read):
    """A ticket as the Support API returns it (``TicketObject``)."""

    id: int
    external_id: str | None = None
    type: str | None = None
    subject: str | None = None
    description: str | None = None
    status: str = "new"
    """``new`` … ``closed``; the incremental export says ``deleted`` for deleted tickets."""
    priority: str | None = None
    requester_id: int | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    problem_id: int | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    generated_timestamp: int | None = None
    """Unix seconds of the last change of any kind (the export's order)."""


class TicketExportPage(_Read):
    """One page of ``/api/v2/incremental/tickets/cursor``."""

    tickets: list[Ticket] = Field(default_factory=list)
    after_cursor: str | None = None
    end_of_stream: bool = True


class ChildEvent(_Read):
    """One change inside an audit; ``Comment`` ones carry the comment with ``comment_events``."""

    id: int | None = None
    event_type: str | None = None
    body: str | None = None
    public: bool | None = None
    author_id: int | None = None
    created_at: datetime | None = None


class TicketEvent(_Read):
    """One audit of the incremental ticket event export."""

    id: int
    ticket_id: int
    timestamp: int
    created_at: datetime | None = None
    updater_id: int | None = None
    event_type: str | None = None
    child_events: list[ChildEvent] = Field(default_factory=list)


class TicketEventPage(_Read):
    """One page of ``/api/v2/incremental/ticket_events`` (time-based)."""

    ticket_events: list[TicketEvent] = Field(default_factory=list)
    end_time: int | None = None
    end_of_stream: bool = True


class CommentIn(_Read):
    """A ticket comment (``TicketCommentObject``)."""

    id: int
    body: str | None = None
    public: bool = True
    author_id: int | None = None
    created_at: datetime | None = None


class PageMeta(_Read):
    has_more: bool = False
    after_cursor: str | None = None


class CommentPage(_Read):
    """A page of ``/api/v2/tickets/{id}/comments`` with cursor pagination."""

    comments: list[CommentIn] = Field(default_factory=list)
    meta: PageMeta = Field(default_factory=PageMeta)


class AuditEvent(_Read):
    id: int | None = None
    type: str | None = None


class Audit(_Read):
    events: list[AuditEvent] = Field(default_factory=list)


class TicketAnswer(_Read):
    """What a create or an update of one ticket answers."""

    ticket: Ticket
    audit: Audit | None = None


class JobResult(_Read):
    """One item of a finished job: ``{id, index}`` created, ``{id, action, success,
    status}`` updated, ``{id, action, success: false, error, details}`` failed."""

    id: int | None = None
    index: int | None = None
    action: str | None = None
    success: bool | None = None
    status: str | None = None
    error: str | None = None
    details: str | None = None

    @property
    def failed(self) -> bool:
        return self.success is False or self.error is not None


class JobStatus(_Read):
    """A background job (``JobStatusObject``): ``queued``, ``working``, ``completed``,
    ``failed`` or ``killed``."""

    id: str
    status: str
    total: int | None = None
    progress: int | None = None
    message: str | None = None
    results: list[JobResult] | None = None


class User(_Read):
    id: int
    name: str | None = None
    email: str | None = None
    role: str | None = None
    active: bool = True


__all__ = [
    "Audit",
    "AuditEvent",
    "ChildEvent",
    "CommentIn",
    "CommentPage",
    "CustomFieldValue",
    "JobResult",
    "JobStatus",
    "PageMeta",
    "Ticket",
    "TicketAnswer",
    "TicketEvent",
    "TicketEventPage",
    "TicketExportPage",
    "User",
]
