"""Neutral values as the issue ``fields`` Jira takes: what a create or an edit sends
(statuses excepted: they move through the workflow, ``workflow.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import JsonValue

from itsmhub import AnyTicket, Priority, RecordKind, ResolutionCode

from .adf import to_adf
from .custom import FieldType, write_value
from .target import CUSTOM_MAPPABLE, STATUS_TYPES, Target


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
    target: Target,
    record: AnyTicket,
    marker: str,
    values: Mapping[str, JsonValue],
    project: str | None = None,
) -> dict[str, Any]:
    """The ``fields`` of a create: project (the route's, else the first configured), type,
    the values, and the marker label."""
    kind = record.kind
    fields = to_fields(target, kind, {k: v for k, v in values.items() if v is not None})
    labels = set(fields.pop("labels", []))
    labels.add(target.marker_label(marker))
    if kind is RecordKind.KNOWN_ERROR:
        labels.add(target.settings.mapping.known_error_label)
    project = project or target.settings.projects[0]
    return {
        "project": {"key": project},
        "issuetype": {"name": target.issue_type(kind)},
        **fields,
        "labels": sorted(labels),
    }


def jira_status(target: Target, kind: RecordKind, status: JsonValue) -> str:
    """The Jira status name a neutral status is written as."""
    statuses = getattr(target.settings.mapping.statuses, kind.value)
    return str(statuses[STATUS_TYPES[kind](status)])


def initial_status(target: Target, kind: RecordKind) -> str:
    """The status a new issue starts in (the first neutral status's)."""
    first = next(iter(STATUS_TYPES[kind]))
    return jira_status(target, kind, first.value)


__all__ = ["account_of", "create_fields", "initial_status", "jira_status", "to_fields"]
