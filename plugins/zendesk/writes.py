"""Pure functions from neutral values to the ticket JSON Zendesk takes (writing).

Tags are written as changes (``additional_tags``/``remove_tags``), never as a whole set:
a ``tags`` write replaces every tag the ticket has, including those other tools and
triggers put there (vendor-apis.md §4.2). A person is written by their Zendesk id when the
hub knows it, else by e-mail; a group by the mapped id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import JsonValue

from itsmhub import (
    AnyTicket,
    Comment,
    FieldChanges,
    IncidentStatus,
    KnownErrorStatus,
    Priority,
    ProblemStatus,
    RecordError,
    RecordKind,
    Visibility,
    comment_footer,
    correction_footer,
)

from .mapping import CORRECTION_HEADER, Target

_STATUS_ENUMS = {
    RecordKind.INCIDENT: IncidentStatus,
    RecordKind.PROBLEM: ProblemStatus,
    RecordKind.KNOWN_ERROR: KnownErrorStatus,
}
_SPACES = re.compile(r"\s+")
TicketBody = dict[str, Any]


def zendesk_tag(tag: str) -> str:
    """A tag as Zendesk keeps it: lower case, a space would split it, so ``_`` instead."""
    return _SPACES.sub("_", tag.strip().lower())


def _person(target: Target, value: JsonValue, what: str) -> tuple[str, JsonValue]:
    """(``id``, user id) for a user of this account, (``email``, address) for anyone the
    hub knows the e-mail of, None for nobody; RecordError when neither can be written."""
    if value is None:
        return ("id", None)
    if not isinstance(value, dict):
        raise RecordError(f"{what}: expected a person, got {type(value).__name__}")
    external = value.get("external")
    if isinstance(external, dict) and external.get("system") == target.system:
        remote_id = str(external.get("remote_id", ""))
        if remote_id.isdigit():
            return ("id", int(remote_id))
    email = value.get("email")
    if isinstance(email, str) and email:
        return ("email", email)
    name = value.get("display_name") or "a person"
    raise RecordError(
        f"{what}: {name} has no Zendesk account the hub knows and no e-mail",
        fix="give the person an e-mail in the source tool, or assign in Zendesk",
    )


def _group(target: Target, value: JsonValue) -> int | None:
    if value is None:
        return None
    groups = target.settings.mapping.group_ids
    if str(value) in groups:
        return groups[str(value)]
    if str(value).isdigit():
        return int(str(value))
    raise RecordError(
        f"assignment group {value!r} has no Zendesk group id",
        fix=f'add it under [connectors.<name>.mapping.group_ids], e.g. "{value}" = 360001234567',
    )


def _custom_fields(target: Target, values: Mapping[str, JsonValue]) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = [
        {"id": field_id, "value": values[name]}
        for name, field_id in target.custom_model_fields.items()
        if name in values
    ]
    if "custom" in values:  # the whole dict: a name it lacks is cleared
        custom = values["custom"] if isinstance(values["custom"], dict) else {}
        fields += [
            {"id": field_id, "value": custom.get(name)}
            for name, field_id in target.custom_names.items()
        ]
    return fields


def field_values(
    target: Target, kind: RecordKind, values: Mapping[str, JsonValue], *, strict: bool = True
) -> TicketBody:
    """Ticket properties for neutral ``values`` (JSON form); tags are left to the caller.

    A person who cannot be written raises RecordError, unless not ``strict`` (a create:
    the ticket is made without them, and the update that follows says why).
    """
    mapping = target.settings.mapping
    out: TicketBody = {}
    for name, value in values.items():
        if name == "title":
            out["subject"] = value
        elif name == "status" and value is not None:
            table = getattr(mapping.statuses, kind.value)
            out["status"] = table[_STATUS_ENUMS[kind](value)].value
        elif name == "priority" and kind is not RecordKind.KNOWN_ERROR:
            priority = mapping.priorities[Priority(value)] if value is not None else None
            out["priority"] = priority.value if priority is not None else None
        elif name == "assignment_group":
            out["group_id"] = _group(target, value)
        elif name == "assignee":
            try:
                how, who = _person(target, value, "assignee")
            except RecordError:
                if strict:
                    raise
                continue
            out["assignee_email" if how == "email" else "assignee_id"] = who
    fields = _custom_fields(target, values)
    if fields:
        out["custom_fields"] = fields
    return out


def create_body(target: Target, record: AnyTicket, marker: str) -> TicketBody:
    """``{"ticket": …}`` of a create: the type, our marker in ``external_id``, and the
    description as the first comment (which is what a Zendesk description is)."""
    kind = record.kind
    values = record.model_dump(mode="json")
    wanted = target.synced_fields() - {"tags"}
    wanted_values = {k: v for k, v in values.items() if k in wanted}
    ticket = field_values(target, kind, wanted_values, strict=False)
    ticket = {k: v for k, v in ticket.items() if v is not None}
    tags = {zendesk_tag(t) for t in record.tags}
    if kind is RecordKind.KNOWN_ERROR:
        tags.add(target.settings.mapping.known_error_tag)
    ticket.update(_requester(target, values.get("reporter")))
    ticket.update(
        subject=record.title,
        type="incident" if kind is RecordKind.INCIDENT else "problem",
        external_id=marker,
        comment={"body": record.description or record.title, "public": True},
        tags=sorted(tags),
    )
    return {"ticket": ticket}


def _requester(target: Target, reporter: JsonValue) -> TicketBody:
    """Who requested it: a user of this account by id, anyone else by e-mail (Zendesk
    finds or makes the user); nothing when neither is known (the agent, by default)."""
    if not isinstance(reporter, dict):
        return {}
    try:
        how, who = _person(target, reporter, "reporter")
    except RecordError:
        return {}
    if how == "id":
        return {"requester_id": who}
    return {"requester": {"email": who, "name": reporter.get("display_name") or who}}


def update_body(target: Target, changes: FieldChanges) -> TicketBody:
    """The ticket properties of an update: only the changed fields, tags as a change."""
    values = {c.field: c.new for c in changes.changes if c.field in target.synced_fields()}
    ticket = field_values(target, changes.kind, values)
    for change in changes.changes:
        if change.field != "tags":
            continue
        old = {zendesk_tag(t) for t in _tags(change.old)}
        new = {zendesk_tag(t) for t in _tags(change.new)}
        if new - old:
            ticket["additional_tags"] = sorted(new - old)
        if old - new:
            # The known-error tag says what the ticket is: a tag change never removes it.
            removed = old - new - {target.settings.mapping.known_error_tag}
            if removed:
                ticket["remove_tags"] = sorted(removed)
    return ticket


def _tags(value: JsonValue) -> list[str]:
    return [str(t) for t in value] if isinstance(value, list) else []


def comment_body(comment: Comment) -> TicketBody:
    """A comment added through a ticket update: footed, public or an internal note."""
    return {"body": comment_footer(comment), "public": comment.visibility is Visibility.PUBLIC}


def correction_body(comment: Comment) -> TicketBody:
    """A correction of an earlier copy of ``comment``, with the same visibility."""
    body = correction_footer(comment, CORRECTION_HEADER)
    return {"body": body, "public": comment.visibility is Visibility.PUBLIC}


__all__ = [
    "comment_body",
    "correction_body",
    "create_body",
    "field_values",
    "update_body",
    "zendesk_tag",
]
