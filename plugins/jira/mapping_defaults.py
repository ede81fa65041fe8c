"""Default value maps between the neutral model and Jira, as plain data.

They match a company-managed project made from Jira Service Management's "IT service
management" template: its issue types, its incident and problem workflows, the default
priority scheme and the built-in "Problem/Incident" link type. Projects on other
workflows override them under ``[connectors.<name>.mapping]``; ``GET
/rest/api/3/project/<KEY>/statuses`` lists the names a project really uses.

Several neutral values may share one Jira value (Jira's problem workflow has fewer steps
than ITIL's); reading such a value gives the first neutral one in lifecycle order.
"""

from __future__ import annotations

from typing import Final

from itsmhub import (
    IncidentStatus,
    KnownErrorStatus,
    Priority,
    ProblemStatus,
    RecordKind,
    ResolutionCode,
)

ISSUE_TYPES: Final[dict[RecordKind, str]] = {
    RecordKind.INCIDENT: "Incident",
    RecordKind.PROBLEM: "Problem",
    # Jira has no known-error object: a known error is a Problem carrying KNOWN_ERROR_LABEL.
    RecordKind.KNOWN_ERROR: "Problem",
}

INCIDENT_STATUSES: Final[dict[IncidentStatus, str]] = {
    IncidentStatus.NEW: "Open",
    IncidentStatus.IN_PROGRESS: "Work in progress",
    IncidentStatus.ON_HOLD: "Pending",
    IncidentStatus.RESOLVED: "Completed",
    IncidentStatus.CLOSED: "Closed",
    IncidentStatus.CANCELED: "Canceled",
}

PROBLEM_STATUSES: Final[dict[ProblemStatus, str]] = {
    ProblemStatus.NEW: "Open",
    ProblemStatus.ASSESS: "Under investigation",
    ProblemStatus.ROOT_CAUSE_ANALYSIS: "Under investigation",
    ProblemStatus.FIX_IN_PROGRESS: "Under review",
    ProblemStatus.RESOLVED: "Completed",
    ProblemStatus.CLOSED: "Completed",
    ProblemStatus.CANCELED: "Canceled",
}

KNOWN_ERROR_STATUSES: Final[dict[KnownErrorStatus, str]] = {
    KnownErrorStatus.DRAFT: "Under investigation",
    KnownErrorStatus.PUBLISHED: "Under review",
    KnownErrorStatus.FIXED: "Completed",
    KnownErrorStatus.RETIRED: "Canceled",
}

PRIORITIES: Final[dict[Priority, str]] = {
    Priority.P1: "Highest",
    Priority.P2: "High",
    Priority.P3: "Medium",
    Priority.P4: "Low",
    Priority.P5: "Lowest",
}

LINK_TYPE: Final = "Problem/Incident"
"""JSM's built-in incident → problem link type (outward "causes", inward "is caused by")."""
DUPLICATE_LINK_TYPE: Final = "Duplicate"
"""Jira's built-in link type (outward "duplicates", inward "is duplicated by")."""
RELATED_LINK_TYPE: Final = "Relates"
"""Jira's built-in link type ("relates to" both ways)."""

RESOLUTIONS: Final[dict[ResolutionCode, str]] = {
    ResolutionCode.FIXED: "Done",
    ResolutionCode.WORKAROUND: "Known error",
    ResolutionCode.DUPLICATE: "Duplicate",
    ResolutionCode.NOT_REPRODUCIBLE: "Cannot reproduce",
    ResolutionCode.CANCELED: "Won't do",
    ResolutionCode.RISK_ACCEPTED: "Declined",
    ResolutionCode.OTHER: "Done",
}
"""Neutral resolution → Jira resolution name (JSM's defaults); "Done" reads back as fixed."""

KNOWN_ERROR_LABEL: Final = "known-error"
MARKER_LABEL_PREFIX: Final = "itsmhub-"
