"""Default value maps between the neutral model and Zendesk Support, as plain data.

Zendesk's vocabulary is fixed (six statuses, four priorities) and smaller than the
neutral one, so each map exists in both directions: neutral → Zendesk for writing, and
Zendesk → neutral for reading what people set in Zendesk. Together they round-trip:
whatever itsmhub writes reads back as a neutral value that is written the same way.

The defaults suit an out-of-the-box account: "on hold" is written as ``pending``, since
the ``hold`` status exists only once an admin turns it on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from itsmhub import IncidentStatus, KnownErrorStatus, Priority, ProblemStatus


class TicketStatus(StrEnum):
    """A Zendesk ticket's ``status`` (its status category, with custom statuses on)."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


Z = TicketStatus

INCIDENT_STATUSES: Final[dict[IncidentStatus, TicketStatus]] = {
    IncidentStatus.NEW: Z.NEW,
    IncidentStatus.IN_PROGRESS: Z.OPEN,
    IncidentStatus.ON_HOLD: Z.PENDING,
    IncidentStatus.RESOLVED: Z.SOLVED,
    IncidentStatus.CLOSED: Z.CLOSED,
    IncidentStatus.CANCELED: Z.CLOSED,
}
READ_INCIDENT_STATUSES: Final[dict[TicketStatus, IncidentStatus]] = {
    Z.NEW: IncidentStatus.NEW,
    Z.OPEN: IncidentStatus.IN_PROGRESS,
    Z.PENDING: IncidentStatus.ON_HOLD,
    Z.HOLD: IncidentStatus.ON_HOLD,
    Z.SOLVED: IncidentStatus.RESOLVED,
    Z.CLOSED: IncidentStatus.CLOSED,
}

PROBLEM_STATUSES: Final[dict[ProblemStatus, TicketStatus]] = {
    ProblemStatus.NEW: Z.NEW,
    ProblemStatus.ASSESS: Z.OPEN,
    ProblemStatus.ROOT_CAUSE_ANALYSIS: Z.OPEN,
    ProblemStatus.FIX_IN_PROGRESS: Z.OPEN,
    ProblemStatus.RESOLVED: Z.SOLVED,
    ProblemStatus.CLOSED: Z.CLOSED,
    ProblemStatus.CANCELED: Z.CLOSED,
}
READ_PROBLEM_STATUSES: Final[dict[TicketStatus, ProblemStatus]] = {
    Z.NEW: ProblemStatus.NEW,
    Z.OPEN: ProblemStatus.ASSESS,
    Z.PENDING: ProblemStatus.ASSESS,
    # On hold = waiting on a third party, which for a problem is usually the vendor's fix.
    Z.HOLD: ProblemStatus.FIX_IN_PROGRESS,
    Z.SOLVED: ProblemStatus.RESOLVED,
    Z.CLOSED: ProblemStatus.CLOSED,
}

# Zendesk has no known-error object: a known error is a problem ticket tagged KNOWN_ERROR_TAG.
KNOWN_ERROR_STATUSES: Final[dict[KnownErrorStatus, TicketStatus]] = {
    KnownErrorStatus.DRAFT: Z.NEW,
    KnownErrorStatus.PUBLISHED: Z.OPEN,
    KnownErrorStatus.FIXED: Z.SOLVED,
    KnownErrorStatus.RETIRED: Z.CLOSED,
}
READ_KNOWN_ERROR_STATUSES: Final[dict[TicketStatus, KnownErrorStatus]] = {
    Z.NEW: KnownErrorStatus.DRAFT,
    Z.OPEN: KnownErrorStatus.PUBLISHED,
    Z.PENDING: KnownErrorStatus.PUBLISHED,
    Z.HOLD: KnownErrorStatus.PUBLISHED,
    Z.SOLVED: KnownErrorStatus.FIXED,
    Z.CLOSED: KnownErrorStatus.RETIRED,
}

PRIORITIES: Final[dict[Priority, TicketPriority]] = {
    Priority.P1: TicketPriority.URGENT,
    Priority.P2: TicketPriority.HIGH,
    Priority.P3: TicketPriority.NORMAL,
    Priority.P4: TicketPriority.LOW,
    Priority.P5: TicketPriority.LOW,
}
READ_PRIORITIES: Final[dict[TicketPriority, Priority]] = {
    TicketPriority.URGENT: Priority.P1,
    TicketPriority.HIGH: Priority.P2,
    TicketPriority.NORMAL: Priority.P3,
    TicketPriority.LOW: Priority.P4,
}

KNOWN_ERROR_TAG: Final = "known_error"
