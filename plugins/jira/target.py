"""Where issues come from: the connector's name, its settings, the custom fields' types,
and what follows from them (issue types, fields asked for, the marker label)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from itsmhub import (
    ExternalRef,
    IncidentStatus,
    KnownErrorStatus,
    ProblemStatus,
    RecordError,
    RecordKind,
)

from .custom import FieldType
from .settings import JiraSettings

Issue = Mapping[str, Any]
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
STATUS_TYPES: dict[RecordKind, type[Enum]] = {
    RecordKind.INCIDENT: IncidentStatus,
    RecordKind.PROBLEM: ProblemStatus,
    RecordKind.KNOWN_ERROR: KnownErrorStatus,
}


def name_of(value: Any) -> str | None:
    """The ``name`` of a Jira object (a status, an issue type, a priority)."""
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return str(value["name"])
    return None


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
        return list(dict.fromkeys(self.issue_type(k) for k in STATUS_TYPES))

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
        type_name = name_of((issue.get("fields") or {}).get("issuetype"))
        return ExternalRef(
            system=self.system,
            remote_id=issue_id,
            key=key if isinstance(key, str) else None,
            url=f"{self.site}/browse/{key}" if key else None,
            remote_type=type_name,
        )


__all__ = ["BASE_FIELDS", "CUSTOM_MAPPABLE", "STATUS_TYPES", "Target", "name_of"]
