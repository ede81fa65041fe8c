"""Pure functions between Jira issues (REST API v3 JSON) and neutral records.

An issue is an incident, a problem or a known error by its issue type and, where known
errors share the problem type, by the known-error label. Nothing here does I/O; an issue
that cannot be mapped raises :class:`~itsmhub.RecordError`, which a pull turns into a
``RejectedRecord``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    Priority,
    ProblemStatus,
    RecordError,
    RecordKind,
    RemoteChange,
    ResolutionCode,
)

from .adf import to_adf, to_text
from .custom import FieldType, read_value, write_value
from .links import PROPERTY, issue_links, remote_links
from .settings import JiraSettings

Issue = Mapping[str, Any]
E = TypeVar("E", bound=Enum)

BASE_FIELDS = (
    "summary",
    "description",
    "status",
    "issuetype",
    "project",
    "priority",
    "labels",
    "components",
    "reporter",
    "assignee",
    "created",
    "updated",
    "resolution",
    "resolutiondate",
    "issuelinks",
    "comment",
)
# Neutral fields that live in a custom field when one is mapped to them.
CUSTOM_MAPPABLE = frozenset(
    {
        "service",
        "assignment_group",
        "category",
        "resolution_notes",
        "root_cause",
        "workaround",
        "fix",
        "cause",
    }
)
_STATUS_TYPES: dict[RecordKind, type[Enum]] = {
    RecordKind.INCIDENT: IncidentStatus,
    RecordKind.PROBLEM: ProblemStatus,
    RecordKind.KNOWN_ERROR: KnownErrorStatus,
}
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


@dataclass(frozen=True)
class Target:
    """Where issues come from: the connector's name, its settings, and the custom fields'
    types once known (``GET /field``)."""

    system: str
    settings: JiraSettings
    field_types: Mapping[str, FieldType] = field(default_factory=dict)

    @property
    def site(self) -> str:
        return str(self.settings.site_url).rstrip("/")

    def issue_type(self, kind: RecordKind) -> str:
        return str(getattr(self.settings.mapping.issue_types, kind.value))

    def issue_types(self) -> list[str]:
        return list(dict.fromkeys(self.issue_type(k) for k in _STATUS_TYPES))

    def kind_of(self, issue_type: str | None, labels: Iterable[str]) -> RecordKind | None:
        """The record kind an issue type (and the known-error label) stands for."""
        mapping = self.settings.mapping
        if issue_type == mapping.issue_types.incident:
            return RecordKind.INCIDENT
        flagged = mapping.known_error_label in labels
        if issue_type == mapping.issue_types.known_error and (
            flagged or mapping.issue_types.known_error != mapping.issue_types.problem
        ):
            return RecordKind.KNOWN_ERROR
        if issue_type == mapping.issue_types.problem:
            return RecordKind.PROBLEM
        return None

    def custom_fields(self) -> dict[str, str]:
        return dict(self.settings.mapping.custom_fields)

    def fields(self) -> list[str]:
        """The fields a search or a read asks for: only what the mapping reads."""
        return list(dict.fromkeys([*BASE_FIELDS, *self.custom_fields().values()]))

    def marker_label(self, marker: str) -> str:
        return f"{self.settings.mapping.marker_label_prefix}{marker}"

    def ref(self, issue: Issue) -> ExternalRef:
        issue_id, key = issue.get("id"), issue.get("key")
        if not isinstance(issue_id, str) or not issue_id:
            raise RecordError("the issue has no id")
        type_name = _name(_fields(issue).get("issuetype"))
        return ExternalRef(
            system=self.system,
            remote_id=issue_id,
            key=key if isinstance(key, str) else None,
            url=f"{self.site}/browse/{key}" if key else None,
            remote_type=type_name,
        )


# --- reading ---------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """Jira's ``2021-01-18T23:45:00.000+0000`` (ms, offset without a colon)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(f"timestamp {value!r} is not ISO-8601") from None


def format_time(moment: datetime) -> str:
    """A datetime as Jira writes it: milliseconds and a ``+0000`` offset."""
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}"
        + (moment.strftime("%z") or "+0000")
    )


def version_of(issue: Issue) -> str:
    """An issue's version: its ``updated`` stamp in epoch milliseconds."""
    updated = parse_time(_fields(issue).get("updated"))
    if updated is None:
        raise RecordError(f"{issue.get('key') or issue.get('id')}: the issue has no updated stamp")
    return str(int(updated.timestamp() * 1000))


def _fields(issue: Issue) -> Mapping[str, Any]:
    fields = issue.get("fields")
    return fields if isinstance(fields, dict) else {}


def _name(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return str(value["name"])
    return None


def labels_of(issue: Issue) -> list[str]:
    labels = _fields(issue).get("labels")
    return [str(label) for label in labels] if isinstance(labels, list) else []


def kind_of(target: Target, issue: Issue) -> RecordKind:
    type_name = _name(_fields(issue).get("issuetype"))
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
    found = _reverse(statuses, _name(status))
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
    fields = _fields(issue)
    version_of(issue)  # an issue without `updated` cannot be synced
    mapping = target.settings.mapping
    protected = {mapping.known_error_label, mapping.marker_label_prefix}
    components = sorted(n for n in (_name(c) for c in fields.get("components") or []) if n)
    values: dict[str, Any] = {
        "id": f"{target.system}:{ref.remote_id}",
        "refs": [ref],
        "title": fields.get("summary") or ref.key or ref.remote_id,
        "description": to_text(fields.get("description")),
        "status": status_of(target, kind, fields.get("status")),
        "tags": [
            label
            for label in labels_of(issue)
            if label not in protected and not label.startswith(mapping.marker_label_prefix)
        ],
        "service": components[0] if components else None,
        "reporter": person(target, fields.get("reporter")),
        "assignee": person(target, fields.get("assignee")),
        "comments": comments,
        "links": [*issue_links(target, issue), *remote_links(issue.get("properties"))],
        "created_at": parse_time(fields.get("created")),
        "updated_at": parse_time(fields.get("updated")),
    }
    if kind is not RecordKind.KNOWN_ERROR:
        values["priority"] = _reverse(mapping.priorities, _name(fields.get("priority")))
        values["resolution_code"] = _reverse(mapping.resolutions, _name(fields.get("resolution")))
        values["resolved_at"] = parse_time(fields.get("resolutiondate"))
    if kind is RecordKind.INCIDENT:
        values["opened_at"] = values["created_at"]
    custom: dict[str, JsonValue] = {}
    model = RECORD_TYPES[kind]
    for name, field_id in target.custom_fields().items():
        value = read_value(fields.get(field_id))
        if name in model.model_fields and name in CUSTOM_MAPPABLE:
            values[name] = value if value is None else str(value)
        elif name not in model.model_fields and value is not None:
            custom[name] = value
    values["custom"] = custom
    values = {k: v for k, v in values.items() if k in model.model_fields}
    try:
        return model.model_validate(values)  # type: ignore[return-value]
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"]) or "issue"
        raise RecordError(f"{ref.key or ref.remote_id}: {where}: {error['msg']}") from None


# --- writing ---------------------------------------------------------------------------


def account_of(target: Target, value: JsonValue) -> str | None:
    """The accountId of a person (JSON form) whose ref points into this site."""
    if not isinstance(value, dict) or not isinstance(value.get("external"), dict):
        return None
    external = value["external"]
    if external.get("system") == target.system and isinstance(external.get("remote_id"), str):
        return str(external["remote_id"])
    return None


def to_fields(
    target: Target,
    kind: RecordKind,
    values: Mapping[str, JsonValue],
    *,
    labels: Iterable[str] = (),
) -> dict[str, Any]:
    """Issue ``fields`` for neutral ``values`` (JSON form), status excepted (it moves
    through the workflow). ``labels`` are the issue's labels now, whose marker and
    known-error labels a tags change keeps."""
    mapping = target.settings.mapping
    custom = target.custom_fields()
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in custom and name in CUSTOM_MAPPABLE:
            field_id = custom[name]
            out[field_id] = write_value(value, target.field_types.get(field_id, FieldType()))
        elif name == "title":
            out["summary"] = str(value or "")
        elif name == "description":
            out["description"] = to_adf(str(value or "")) if value else None
        elif name == "priority" and value is not None:
            out["priority"] = {"name": mapping.priorities[Priority(int(value))]}  # type: ignore[arg-type]
        elif name == "tags":
            kept = [label for label in labels if _protected(target, label)]
            out["labels"] = sorted({*(str(t) for t in value or []), *kept})  # type: ignore[union-attr]
        elif name == "service":
            out["components"] = [{"name": str(value)}] if value else []
        elif name in ("reporter", "assignee"):
            account = account_of(target, value)
            if value is None and name == "assignee":
                out["assignee"] = None
            elif account is not None:
                out[name] = {"accountId": account}
        elif name == "resolution_code" and kind is not RecordKind.KNOWN_ERROR:
            code = ResolutionCode(str(value)) if value else None
            out["resolution"] = {"name": mapping.resolutions[code]} if code else None
        elif name == "custom" and isinstance(value, dict):
            for neutral, field_id in custom.items():
                if neutral in value and neutral not in CUSTOM_MAPPABLE:
                    kind_ = target.field_types.get(field_id, FieldType())
                    out[field_id] = write_value(value[neutral], kind_)
    return out


def _protected(target: Target, label: str) -> bool:
    mapping = target.settings.mapping
    return label == mapping.known_error_label or label.startswith(mapping.marker_label_prefix)


def create_fields(
    target: Target, record: AnyTicket, marker: str, values: Mapping[str, JsonValue]
) -> dict[str, Any]:
    """The ``fields`` of a create: project, type, the values, and the marker label."""
    kind = record.kind
    fields = to_fields(target, kind, {k: v for k, v in values.items() if v is not None})
    labels = set(fields.pop("labels", []))
    labels.add(target.marker_label(marker))
    if kind is RecordKind.KNOWN_ERROR:
        labels.add(target.settings.mapping.known_error_label)
    project = target.settings.projects[0]
    return {
        "project": {"key": project},
        "issuetype": {"name": target.issue_type(kind)},
        **fields,
        "labels": sorted(labels),
    }


def jira_status(target: Target, kind: RecordKind, status: JsonValue) -> str:
    """The Jira status name a neutral status is written as."""
    statuses = getattr(target.settings.mapping.statuses, kind.value)
    return str(statuses[_STATUS_TYPES[kind](status)])


def initial_status(target: Target, kind: RecordKind) -> str:
    """The status a new issue starts in (the first neutral status's)."""
    first = next(iter(_STATUS_TYPES[kind]))
    return jira_status(target, kind, first.value)


__all__ = [
    "BASE_FIELDS",
    "CUSTOM_MAPPABLE",
    "PROPERTY",
    "Target",
    "account_of",
    "create_fields",
    "format_time",
    "initial_status",
    "jira_status",
    "kind_of",
    "labels_of",
    "marker_of",
    "parse_time",
    "person",
    "status_of",
    "to_change",
    "to_fields",
    "to_record",
    "version_of",
]
