"""Custom field values: read whatever shape Jira sends, write the shape the field takes.

A custom field's shape depends on its type (``GET /rest/api/3/field`` says it in
``schema``): single-line text takes a string, a paragraph (textarea) takes ADF, a select
list takes ``{"value": …}``, a number a number, a user ``{"accountId": …}``, and the
multi-value kinds a list of those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import JsonValue

from .adf import to_adf, to_text

TEXTAREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"


@dataclass(frozen=True)
class FieldType:
    """What ``schema`` says of one field: its type, item type and custom type."""

    type: str = "string"
    items: str | None = None
    custom: str | None = None

    @classmethod
    def of(cls, schema: Mapping[str, Any] | None) -> FieldType:
        schema = schema or {}
        return cls(
            type=str(schema.get("type") or "string"),
            items=schema.get("items"),
            custom=schema.get("custom"),
        )


def read_value(value: Any) -> JsonValue:
    """A custom field's value as neutral JSON: options by their value, ADF as text,
    users by account id, lists item by item; empty values are None."""
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, list):
        items = [read_value(v) for v in value]
        return [i for i in items if i is not None] or None
    if isinstance(value, dict):
        if value.get("type") == "doc":
            return to_text(value) or None
        for key in ("value", "name", "accountId", "key", "id"):
            if isinstance(value.get(key), str | int | float):
                return value[key]
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def write_value(value: JsonValue, kind: FieldType) -> Any:
    """The JSON Jira takes for ``value`` in a field of type ``kind`` (None clears it)."""
    if value is None:
        return None
    if kind.type == "array":
        values = value if isinstance(value, list) else [value]
        return [write_value(v, FieldType(type=kind.items or "string")) for v in values]
    if kind.type == "option":
        return {"value": str(value)}
    if kind.type == "user":
        return {"accountId": str(value)}
    if kind.type == "number":
        return float(value) if not isinstance(value, bool) else float(int(value))  # type: ignore[arg-type]
    if kind.custom == TEXTAREA or kind.type == "doc":
        return to_adf(str(value))
    return value if isinstance(value, str) else str(value)


__all__ = ["TEXTAREA", "FieldType", "read_value", "write_value"]
