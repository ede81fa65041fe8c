"""Default value maps between the neutral model and ServiceNow, as plain data.

They are the choice values of an out-of-the-box instance (Madrid or later, with the
problem state model and the "Known Error" knowledge base). Instances with customised
choice lists override them under ``[connectors.<name>.mapping]``; the ``sys_choice``
table lists an instance's values.

Priority has no map: ServiceNow computes it from impact and urgency (the same ITIL matrix
as the neutral model) and refuses writes to it by default, so itsmhub writes impact and
urgency and only reads priority.
"""

from __future__ import annotations

from typing import Final

from itsmhub import (
    Impact,
    IncidentStatus,
    KnownErrorStatus,
    ProblemStatus,
    ResolutionCode,
    Urgency,
)

INCIDENT_TABLE: Final = "incident"
PROBLEM_TABLE: Final = "problem"
KNOWN_ERROR_ARTICLE_TABLE: Final = "kb_template_known_error_article"

INCIDENT_STATES: Final[dict[IncidentStatus, str]] = {
    IncidentStatus.NEW: "1",
    IncidentStatus.IN_PROGRESS: "2",
    IncidentStatus.ON_HOLD: "3",
    IncidentStatus.RESOLVED: "6",
    IncidentStatus.CLOSED: "7",
    IncidentStatus.CANCELED: "8",
}

PROBLEM_STATES: Final[dict[ProblemStatus, str]] = {
    ProblemStatus.NEW: "101",
    ProblemStatus.ASSESS: "102",
    ProblemStatus.ROOT_CAUSE_ANALYSIS: "103",
    ProblemStatus.FIX_IN_PROGRESS: "104",
    ProblemStatus.RESOLVED: "106",
    ProblemStatus.CLOSED: "107",
    # The state model has no Canceled state: a canceled problem is Closed with
    # resolution_code "canceled" (PROBLEM_RESOLUTION_CODES).
    ProblemStatus.CANCELED: "107",
}

KNOWN_ERROR_ARTICLE_STATES: Final[dict[KnownErrorStatus, str]] = {
    KnownErrorStatus.DRAFT: "draft",
    KnownErrorStatus.PUBLISHED: "published",
    # Once the fix is in, the article is retired: knowledge has no "fixed" state.
    KnownErrorStatus.FIXED: "retired",
    KnownErrorStatus.RETIRED: "retired",
}

IMPACT: Final[dict[Impact, str]] = {Impact.HIGH: "1", Impact.MEDIUM: "2", Impact.LOW: "3"}
URGENCY: Final[dict[Urgency, str]] = {Urgency.HIGH: "1", Urgency.MEDIUM: "2", Urgency.LOW: "3"}

INCIDENT_CLOSE_CODES: Final[dict[ResolutionCode, str]] = {
    ResolutionCode.FIXED: "Solved (Permanently)",
    ResolutionCode.WORKAROUND: "Solved (Work Around)",
    ResolutionCode.NOT_REPRODUCIBLE: "Not Solved (Not Reproducible)",
    ResolutionCode.RISK_ACCEPTED: "Not Solved (Too Costly)",
    ResolutionCode.OTHER: "Closed/Resolved by Caller",
}

PROBLEM_RESOLUTION_CODES: Final[dict[ResolutionCode, str]] = {
    ResolutionCode.FIXED: "fix_applied",
    ResolutionCode.RISK_ACCEPTED: "risk_accepted",
    ResolutionCode.DUPLICATE: "duplicate",
    ResolutionCode.CANCELED: "canceled",
}
