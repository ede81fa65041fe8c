"""Pure functions from Jira issues (REST API v3 JSON) to neutral records.

An issue is an incident, a problem or a known error by its issue type and, where known
errors share the problem type, by the known-error label. Nothing here does I/O; an issue
that cannot be mapped raises :class:`~itsmhub.RecordError`, which a pull turns into a
``RejectedRecord``. What is written back is ``payload.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import JsonValue, ValidationError

from itsmhub import (
    RECORD_TYPES,
    AnyTicket,
    Comment,
    ExternalRef,
    IncidentStatus,
    KnownErrorStatus,
    PersonRef,
    ProblemStatus,
    RecordError,
    RecordKind,
    RemoteChange,
)

from .adf import to_text
from .custom import read_value
from .links import PROPERTY, issue_links, remote_links
from .target import CUSTOM_MAPPABLE, Target, name_of

Issue = Mapping[str, Any]
E = TypeVar("E", bound=Enum)

# When a status is not in the map, Jira's status category says where the issue stands.
_BY_CATEGORY: dict[RecordKind, dict[str, Enum]] = {
    RecordKind.INCIDENT: {
        "new": IncidentStatus.NEW,
        "indeterminate": IncidentStatus.IN_PROGRESS,
        "done": IncidentStatus.RESOLVED,
    },
    RecordKind.PROBLEM: {
        "new": ProblemStatus.NEW,
        "indeterminate": ProblemStatus.ASSESS,
        "done": ProblemStatus.RESOLVED,
    },
    RecordKind.KNOWN_ERROR: {
        "new": KnownErrorStatus.DRAFT,
        "indeterminate": KnownErrorStatus.DRAFT,
        "done": KnownErrorStatus.FIXED,
    },
}


# --- reading ---------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """Jira's ``2021-01-18T23:45:00.000+0000`` (ms, offset without a colon)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(f"timestamp {value!r} is not ISO-8601") from None


def version_of(issue: Issue) -> str:
    """An issue's version: its ``updated`` stamp in epoch milliseconds."""
    updated = parse_time(_fields(issue).get("updated"))
    if updated is None:
        raise RecordError(f"{issue.get('key') or issue.get('id')}: the issue has no updated stamp")
    return str(int(updated.timestamp() * 1000))


def _fields(issue: Issue) -> Mapping[str, Any]:
    fields = issue.get("fields")
    return fields if isinstance(fields, dict) else {}


def labels_of(issue: Issue) -> list[str]:
    labels = _fields(issue).get("labels")
    return [str(label) for label in labels] if isinstance(labels, list) else []


def kind_of(target: Target, issue: Issue) -> RecordKind:
    type_name = name_of(_fields(issue).get("issuetype"))
    kind = target.kind_of(type_name, labels_of(issue))
    if kind is None:
        raise RecordError(
            f"{issue.get('key')}: issue type {type_name!r} is none of the configured types",
            fix="add it under [connectors.<name>.mapping.issue_types], or leave it out of sync",
        )
    return kind


def marker_of(target: Target, issue: Issue) -> str | None:
    """Our correlation marker: the label with the marker prefix (else the property)."""
    prefix = target.settings.mapping.marker_label_prefix
    for label in labels_of(issue):
        if label.startswith(prefix) and len(label) > len(prefix):
            return label[len(prefix) :]
    stored = (issue.get("properties") or {}).get(PROPERTY)
    marker = stored.get("marker") if isinstance(stored, dict) else None
    return marker if isinstance(marker, str) and marker else None


def person(target: Target, user: Any) -> PersonRef | None:
    """A user object (``accountId``, ``displayName``, ``emailAddress`` where visible)."""
    if not isinstance(user, dict) or not isinstance(user.get("accountId"), str):
        return None
    external = ExternalRef(system=target.system, remote_id=user["accountId"], remote_type="user")
    return PersonRef(
        display_name=user.get("displayName") or None,
        email=user.get("emailAddress") or None,
        external=external,
    )


def _reverse(table: Mapping[E, str], value: str | None) -> E | None:
    if value is None:
        return None
    return next((neutral for neutral, raw in table.items() if raw == value), None)


def status_of(target: Target, kind: RecordKind, status: Any) -> Enum:
    """The neutral status of a Jira status: by name, else by its status category."""
    statuses = getattr(target.settings.mapping.statuses, kind.value)
    found = _reverse(statuses, name_of(status))
    if found is not None:
        return found
    category = status.get("statusCategory") if isinstance(status, dict) else None
    key = category.get("key") if isinstance(category, dict) else None
    return _BY_CATEGORY[kind].get(str(key), _BY_CATEGORY[kind]["new"])


def to_change(target: Target, issue: Issue, comments: list[Comment]) -> RemoteChange:
    """A pulled issue as a RemoteChange; its links are all the links it holds."""
    record = to_record(target, issue, comments)
    changed_at = record.updated_at or record.created_at
    assert changed_at is not None  # version_of refused an issue without it
    return RemoteChange(
        kind=record.kind,
        remote_id=record.refs[0].remote_id,
        version=version_of(issue),
        changed_at=changed_at,
        record=record,
        marker=marker_of(target, issue),
        links_complete=True,
    )


def to_record(target: Target, issue: Issue, comments: list[Comment]) -> AnyTicket:
    """Map one issue (with its comments, read separately when the search cut them)."""
    kind = kind_of(target, issue)
    ref = target.ref(issue)
    version_of(issue)  # an issue without `updated` cannot be synced
    model = RECORD_TYPES[kind]
    values = {**_common(target, issue, kind, ref), "comments": comments}
    values |= _customs(target, issue, set(model.model_fields))
    values = {k: v for k, v in values.items() if k in model.model_fields}
    try:
        return model.model_validate(values)  # type: ignore[return-value]
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"]) or "issue"
        raise RecordError(f"{ref.key or ref.remote_id}: {where}: {error['msg']}") from None


def _common(target: Target, issue: Issue, kind: RecordKind, ref: ExternalRef) -> dict[str, Any]:
    """The values of the issue's own fields (the record model keeps those it has)."""
    fields = _fields(issue)
    mapping = target.settings.mapping
    prefix = mapping.marker_label_prefix
    components = sorted(n for n in (name_of(c) for c in fields.get("components") or []) if n)
    created = parse_time(fields.get("created"))
    return {
        "id": f"{target.system}:{ref.remote_id}",
        "refs": [ref],
        "title": fields.get("summary") or ref.key or ref.remote_id,
        "description": to_text(fields.get("description")),
        "status": status_of(target, kind, fields.get("status")),
        "tags": [
            label
            for label in labels_of(issue)
            if label != mapping.known_error_label and not label.startswith(prefix)
        ],
        "service": components[0] if components else None,
        "reporter": person(target, fields.get("reporter")),
        "assignee": person(target, fields.get("assignee")),
        "links": [*issue_links(target, issue), *remote_links(issue.get("properties"))],
        "priority": _reverse(mapping.priorities, name_of(fields.get("priority"))),
        "resolution_code": _reverse(mapping.resolutions, name_of(fields.get("resolution"))),
        "resolved_at": parse_time(fields.get("resolutiondate")),
        "opened_at": created,
        "created_at": created,
        "updated_at": parse_time(fields.get("updated")),
    }


def _customs(target: Target, issue: Issue, known: set[str]) -> dict[str, Any]:
    """Neutral fields kept in custom fields, and the ``custom`` values of the others."""
    fields = _fields(issue)
    values: dict[str, Any] = {}
    custom: dict[str, JsonValue] = {}
    for name, field_id in target.custom_fields().items():
        value = read_value(fields.get(field_id))
        if name in known and name in CUSTOM_MAPPABLE:
            values[name] = value if value is None else str(value)
        elif name not in known and value is not None:
            custom[name] = value
    return {**values, "custom": custom}


__all__ = [
    "kind_of",
    "labels_of",
    "marker_of",
    "parse_time",
    "person",
    "status_of",
    "to_change",
    "to_record",
    "version_of",
]
