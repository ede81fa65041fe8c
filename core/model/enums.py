"""Neutral enumerations shared by every connector, with the ITIL priority matrix."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class RecordKind(StrEnum):
    """What a record is, independent of the tool that holds it."""

    INCIDENT = "incident"
    PROBLEM = "problem"
    KNOWN_ERROR = "known_error"
    PERSON = "person"
    DEVICE = "device"


class IncidentStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELED = "canceled"

    @property
    def is_open(self) -> bool:
        return self in {IncidentStatus.NEW, IncidentStatus.IN_PROGRESS, IncidentStatus.ON_HOLD}


class ProblemStatus(StrEnum):
    NEW = "new"
    ASSESS = "assess"
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis"
    FIX_IN_PROGRESS = "fix_in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELED = "canceled"

    @property
    def is_open(self) -> bool:
        return self not in {ProblemStatus.RESOLVED, ProblemStatus.CLOSED, ProblemStatus.CANCELED}


class KnownErrorStatus(StrEnum):
    """A known error is published with a workaround, then fixed for good or retired."""

    DRAFT = "draft"
    PUBLISHED = "published"
    FIXED = "fixed"
    RETIRED = "retired"

    @property
    def is_open(self) -> bool:
        return self in {KnownErrorStatus.DRAFT, KnownErrorStatus.PUBLISHED}


class Impact(IntEnum):
    """How widely the service is affected (1 is widest), as in ITIL and ServiceNow."""

    HIGH = 1
    MEDIUM = 2
    LOW = 3


class Urgency(IntEnum):
    """How soon the business needs it back (1 is soonest)."""

    HIGH = 1
    MEDIUM = 2
    LOW = 3


class Priority(IntEnum):
    """P1 (critical) to P5 (planning)."""

    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4
    P5 = 5

    @property
    def label(self) -> str:
        return _PRIORITY_LABELS[self]


_PRIORITY_LABELS = {
    Priority.P1: "critical",
    Priority.P2: "high",
    Priority.P3: "moderate",
    Priority.P4: "low",
    Priority.P5: "planning",
}

#: The ITIL impact × urgency matrix, as ServiceNow ships it out of the box.
PRIORITY_MATRIX: dict[tuple[Impact, Urgency], Priority] = {
    (Impact.HIGH, Urgency.HIGH): Priority.P1,
    (Impact.HIGH, Urgency.MEDIUM): Priority.P2,
    (Impact.MEDIUM, Urgency.HIGH): Priority.P2,
    (Impact.HIGH, Urgency.LOW): Priority.P3,
    (Impact.MEDIUM, Urgency.MEDIUM): Priority.P3,
    (Impact.LOW, Urgency.HIGH): Priority.P3,
    (Impact.MEDIUM, Urgency.LOW): Priority.P4,
    (Impact.LOW, Urgency.MEDIUM): Priority.P4,
    (Impact.LOW, Urgency.LOW): Priority.P5,
}


def priority_for(impact: Impact, urgency: Urgency) -> Priority:
    """Return the priority the ITIL matrix gives an impact and an urgency."""
    return PRIORITY_MATRIX[(Impact(impact), Urgency(urgency))]


class LinkKind(StrEnum):
    """How one record relates to another."""

    CAUSED_BY = "caused_by"  # incident → the problem behind it
    DUPLICATE_OF = "duplicate_of"
    RELATED = "related"
    KNOWN_ERROR_OF = "known_error_of"  # known error → the problem it documents
    MANAGED_BY = "managed_by"  # person → their manager
    USED_BY = "used_by"  # device → the person it is assigned to


class Visibility(StrEnum):
    """Who may read a comment: the requester too, or agents only."""

    PUBLIC = "public"
    INTERNAL = "internal"
