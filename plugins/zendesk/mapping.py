"""Pure functions from Zendesk tickets and comments to neutral records (reading).

A ticket's ``type`` says what it is: ``incident`` tickets are incidents, ``problem``
tickets problems, and problem tickets carrying the known-error tag known errors (Zendesk
has no object of its own for them). Questions and tasks are not synced. A ticket's
description is its first comment, so that comment is read as the description and never
as a comment. Nothing here does I/O; what cannot be mapped raises
:class:`~itsmhub.RecordError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cached_property
from typing import Any, TypeVar

from pydantic import JsonValue, ValidationError

from itsmhub import (
    RECORD_TYPES,
    AnyTicket,
    Comment,
    ExternalRef,
    Link,
    LinkKind,
    PersonRef,
    RecordError,
    RecordKind,
    RemoteChange,
    RemoteVersion,
    Visibility,
    read_footer,
)

from .mapping_defaults import TicketPriority, TicketStatus
from .payloads import CommentIn, Ticket
from .settings import ZendeskSettings

E = TypeVar("E", bound=Enum)

#: Neutral fields Zendesk holds in a ticket field of its own (not a custom field).
NATIVE_FIELDS = frozenset(
    {"title", "description", "status", "priority", "assignment_group", "assignee", "reporter"}
)
#: What the connector keeps in step field by field whatever the mapping: see
#: :meth:`Target.synced_fields` for the custom fields added to it.
SYNCED_NATIVE = frozenset({"title", "status", "priority", "assignment_group", "assignee", "tags"})
_TICKET_FIELDS = {kind: set(RECORD_TYPES[kind].model_fields) for kind in RecordKind}
_ANY_TICKET_FIELD = (
    _TICKET_FIELDS[RecordKind.INCIDENT]
    | _TICKET_FIELDS[RecordKind.PROBLEM]
    | _TICKET_FIELDS[RecordKind.KNOWN_ERROR]
)
DELETED = "deleted"
#: Zendesk comments cannot be edited: an edit is added as a correction headed so.
CORRECTION_HEADER = "Correction of an earlier comment (Zendesk comments cannot be edited):"


@dataclass(frozen=True)
class Target:
    """Where tickets come from: the connector's name and its settings."""

    system: str
    settings: ZendeskSettings

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def ref(self, ticket_id: int | str) -> ExternalRef:
        return ExternalRef(
            system=self.system,
            remote_id=str(ticket_id),
            key=str(ticket_id),
            url=f"{self.base_url}/agent/tickets/{ticket_id}",
            remote_type="ticket",
        )

    def person(self, user_id: int | None) -> PersonRef | None:
        """A user named by id; who they are comes from :meth:`resolve_people`."""
        if user_id is None:
            return None
        external = ExternalRef(system=self.system, remote_id=str(user_id), remote_type="user")
        return PersonRef(external=external)

    def kind_of(self, ticket: Ticket) -> RecordKind | None:
        """What the ticket is in the neutral model, or None for types that are not synced."""
        if ticket.type == "incident":
            return RecordKind.INCIDENT
        if ticket.type == "problem":
            tag = self.settings.mapping.known_error_tag
            return RecordKind.KNOWN_ERROR if tag in ticket.tags else RecordKind.PROBLEM
        return None

    @cached_property
    def custom_model_fields(self) -> dict[str, int]:
        """Neutral model fields kept in custom ticket fields (service, root_cause…)."""
        return {
            name: field_id
            for name, field_id in self.settings.mapping.custom_fields.items()
            if name in _ANY_TICKET_FIELD and name not in NATIVE_FIELDS
        }

    @cached_property
    def custom_names(self) -> dict[str, int]:
        """Names that are no model field: they live in the record's ``custom`` dict."""
        return {
            name: field_id
            for name, field_id in self.settings.mapping.custom_fields.items()
            if name not in _ANY_TICKET_FIELD
        }

    def synced_fields(self) -> frozenset[str]:
        """The neutral fields this account can hold: the native ones and the mapped custom
        fields (``custom`` only when names outside the model are mapped)."""
        extra = set(self.custom_model_fields) | ({"custom"} if self.custom_names else set())
        return SYNCED_NATIVE | extra

    def group_name(self, group_id: int | None) -> str | None:
        if group_id is None:
            return None
        groups = self.settings.mapping.group_ids
        return next((name for name, gid in groups.items() if gid == group_id), str(group_id))


def parse_time(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _read(table: Mapping[E, Any], value: E | None, what: str, key: str) -> Any:
    if value is None:
        return None
    try:
        return table[value]
    except KeyError:
        raise RecordError(
            f"{what} {value.value!r} has no neutral value",
            fix=f"add it under [connectors.<name>.mapping] {key}",
        ) from None


def _status(target: Target, kind: RecordKind, ticket: Ticket) -> Any:
    try:
        status = TicketStatus(ticket.status)
    except ValueError:
        raise RecordError(f"ticket #{ticket.id} has an unknown status {ticket.status!r}") from None
    table = getattr(target.settings.mapping.read_statuses, kind.value)
    return _read(table, status, "ticket status", f"read_statuses.{kind.value}")


def _priority(target: Target, ticket: Ticket) -> Any:
    if ticket.priority is None:
        return None
    try:
        priority = TicketPriority(ticket.priority)
    except ValueError:
        raise RecordError(
            f"ticket #{ticket.id} has an unknown priority {ticket.priority!r}"
        ) from None
    return _read(target.settings.mapping.read_priorities, priority, "priority", "read_priorities")


def to_record(target: Target, kind: RecordKind, ticket: Ticket) -> AnyTicket:
    """The neutral record of one ticket (its comments come from elsewhere)."""
    tag = target.settings.mapping.known_error_tag
    values: dict[int, JsonValue] = {f.id: f.value for f in ticket.custom_fields}
    data: dict[str, Any] = {
        "id": f"{target.system}:{ticket.id}",
        "refs": [target.ref(ticket.id)],
        "title": (ticket.subject or "").strip() or f"Ticket #{ticket.id}",
        "description": ticket.description or "",
        "status": _status(target, kind, ticket),
        "assignment_group": target.group_name(ticket.group_id),
        "assignee": target.person(ticket.assignee_id),
        "reporter": target.person(ticket.requester_id),
        "tags": [t for t in ticket.tags if t != tag],
        "created_at": parse_time(ticket.created_at),
        "updated_at": parse_time(ticket.updated_at),
    }
    if kind is not RecordKind.KNOWN_ERROR:
        data["priority"] = _priority(target, ticket)
    if kind is RecordKind.INCIDENT:
        data["opened_at"] = parse_time(ticket.created_at)
        if ticket.problem_id is not None:
            problem = target.ref(ticket.problem_id)
            data["links"] = [
                Link(kind=LinkKind.CAUSED_BY, target_ref=problem, origin=target.system)
            ]
    fields = _TICKET_FIELDS[kind]
    for name, field_id in target.custom_model_fields.items():
        if name in fields and values.get(field_id) is not None:
            data[name] = values[field_id]
    custom = {n: values[i] for n, i in target.custom_names.items() if values.get(i) is not None}
    if custom:
        data["custom"] = custom
    try:
        return RECORD_TYPES[kind].model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"]) or "ticket"
        fix = None
        if kind is RecordKind.KNOWN_ERROR and "workaround" in error["msg"]:
            fix = "map the workaround to a ticket field: mapping.custom_fields.workaround = <id>"
        raise RecordError(f"ticket #{ticket.id}: {where}: {error['msg']}", fix=fix) from None


def version_of(ticket: Ticket) -> str:
    """``generated_timestamp`` moves on every change, system ones included (G1)."""
    if ticket.generated_timestamp is not None:
        return str(ticket.generated_timestamp)
    stamp = ticket.updated_at or ticket.created_at
    return str(int(stamp.timestamp())) if stamp is not None else "0"


def changed_at(ticket: Ticket) -> datetime:
    stamp = ticket.updated_at or ticket.created_at
    if stamp is None:
        raise RecordError(f"ticket #{ticket.id} has neither updated_at nor created_at")
    return stamp.astimezone(UTC)


def to_change(target: Target, ticket: Ticket, *, kind: RecordKind | None = None) -> RemoteChange:
    """One ticket as a pulled change; a deleted one (``status: deleted``) says so.

    ``kind`` is the kind to read a ticket of a type that is not synced as (a fetch of a
    record the hub already holds); pulls pass None and skip such tickets before.
    """
    kind = target.kind_of(ticket) or kind
    if kind is None:
        raise RecordError(f"ticket #{ticket.id} is a {ticket.type or 'typeless'} ticket")
    common: dict[str, Any] = {
        "kind": kind,
        "remote_id": str(ticket.id),
        "version": version_of(ticket),
        "changed_at": changed_at(ticket),
        "marker": ticket.external_id or None,
    }
    if ticket.status == DELETED:
        return RemoteChange(**common, deleted=True)
    # problem_id is the one link a ticket holds: one it no longer names was removed.
    return RemoteChange(**common, record=to_record(target, kind, ticket), links_complete=True)


def ticket_version(ticket: Ticket) -> RemoteVersion:
    return RemoteVersion(version=version_of(ticket), updated_at=parse_time(ticket.updated_at))


def to_comment(
    target: Target,
    comment_id: int,
    body: str | None,
    *,
    public: bool | None,
    author_id: int | None,
    created_at: datetime | None,
) -> Comment:
    """One ticket comment; our own copies give back the hub's id and author (footers).
    A correction of an earlier copy says so by its ``updated_at`` (see :func:`fold`)."""
    if created_at is None:
        raise RecordError(f"comment {comment_id} has no created_at")
    footer = read_footer(body or "", header=CORRECTION_HEADER)
    if footer.author is not None:
        author: PersonRef | None = PersonRef(display_name=footer.author)
    else:
        author = target.person(author_id)
    ref = ExternalRef(system=target.system, remote_id=str(comment_id), remote_type="comment")
    return Comment(
        id=footer.hub_id or f"{target.system}:comment:{comment_id}",
        body=footer.body,
        visibility=Visibility.PUBLIC if public is not False else Visibility.INTERNAL,
        author=author,
        created_at=created_at.astimezone(UTC),
        updated_at=created_at.astimezone(UTC) if footer.correction else None,
        refs=[ref],
    )


def comments_of(target: Target, comments: Iterable[CommentIn]) -> list[Comment]:
    """Ticket comments as neutral ones (one that cannot be dated is left out)."""
    out = []
    for comment in comments:
        try:
            out.append(
                to_comment(
                    target,
                    comment.id,
                    comment.body,
                    public=comment.public,
                    author_id=comment.author_id,
                    created_at=comment.created_at,
                )
            )
        except RecordError:
            continue
    return out


def fold(comments: list[Comment]) -> list[Comment]:
    """A ticket's comments, oldest first, with each correction folded into the comment it
    corrects: that comment keeps its id, ref and date and takes the new text."""
    out: list[Comment] = []
    where: dict[str, int] = {}
    for comment in comments:
        at = where.get(comment.id)
        if comment.updated_at is not None and at is not None:
            out[at] = out[at].model_copy(
                update={"body": comment.body, "updated_at": comment.updated_at}
            )
            continue
        where.setdefault(comment.id, len(out))
        out.append(comment)
    return out
