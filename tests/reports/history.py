"""A small history whose every figure is worked out by hand (see test_metrics.py).

The period is the two weeks from T0 (a Monday) to UNTIL. Hours are from each ticket's
opening; a ticket's first system is where it was filed. Incidents:

- A, opened T0, in jira, servicenow and zendesk: acknowledged at 0.5h (status), resolved
  at 4h; response due at 1h, resolution due at 8h.
- B, T0+1d, servicenow: acknowledged at 2h (assignee), group l1 → l2 at 3h, resolved at
  10h; response due at 1h, resolution due at 8h.
- C, T0+2d, jira: acknowledged at 1h, resolved at 2h, reopened at 5h, resolved at 6h;
  linked to problem P1.
- D, T0+3d, zendesk: major, acknowledged at 4h, still open; resolution due at 8h.
- E, T0+4d, jira: duplicate_of A (merged, not counted).
- F, T0+5d, zendesk: cancelled (not counted).
- G, T0+8d, jira: resolved at 24h, no field history; linked to problem P1.
- H, T0−1d, and I, T0+20d: outside the period.

A, B, E and G share a title ("VPN drops …") and the service vpn (B's "VPN" and G's
"VPN " fold to it): without E, that is three incidents, a recurring cluster.

Problems: P1 opened T0+10d (open; C and G link to it, the second at T0+8d); P2 opened
T0+1d (open, known error with a workaround, no incident); P3 opened T0−40d, fixed at
T0+5d, fix names no change; P4 opened T0−10d, fixed at T0+9d by CHG0030001; P5 opened
T0−100d (open, known error, documented by the known-error record K1 published T0−6d).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from itsmhub.model import (
    ExternalRef,
    Incident,
    IncidentStatus,
    KnownError,
    KnownErrorStatus,
    Link,
    LinkKind,
    Problem,
    ProblemStatus,
)
from itsmhub.model.records import ResolutionCode
from itsmhub.store import Store
from itsmhub.store.schema import field_history

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
UNTIL = T0 + timedelta(days=14)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def refs(*systems: str, key: str) -> list[ExternalRef]:
    return [ExternalRef(system=s, remote_id=f"{s}-{key}", key=f"{key}") for s in systems]


def incident(key: str, opened: datetime, *systems: str, **fields: Any) -> Incident:
    fields.setdefault("title", f"VPN drops on lt-{ord(key)}")
    fields.setdefault("service", "vpn")
    fields.setdefault("category", "network")
    return Incident(id=key, opened_at=opened, refs=refs(*systems, key=key), **fields)


def done(opened: datetime, hours: float, **fields: Any) -> dict[str, Any]:
    return {"status": IncidentStatus.CLOSED, "resolved_at": opened + hours * HOUR, **fields}


def incidents() -> list[Incident]:
    a, b, c, d = T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY
    g = T0 + 8 * DAY
    due = {"response_due_at": a + HOUR, "resolution_due_at": a + 8 * HOUR}
    return [
        incident("A", a, "jira", "servicenow", "zendesk", **done(a, 4, **due)),
        incident(
            "B",
            b,
            "servicenow",
            service="VPN",
            **done(b, 10, response_due_at=b + HOUR, resolution_due_at=b + 8 * HOUR),
        ),
        incident(
            "C",
            c,
            "jira",
            title="Mailbox full",
            service="email",
            category="email",
            links=[Link(kind=LinkKind.CAUSED_BY, target_id="P1")],
            **done(c, 6),
        ),
        incident(
            "D",
            d,
            "zendesk",
            title="Printer jam",
            service="printer",
            category="printing",
            status=IncidentStatus.IN_PROGRESS,
            major=True,
            resolution_due_at=d + 8 * HOUR,
        ),
        incident(
            "E", T0 + 4 * DAY, "jira", links=[Link(kind=LinkKind.DUPLICATE_OF, target_id="A")]
        ),
        incident("F", T0 + 5 * DAY, "zendesk", status=IncidentStatus.CANCELED),
        incident(
            "G",
            g,
            "jira",
            service="VPN ",
            links=[Link(kind=LinkKind.CAUSED_BY, target_id="P1")],
            **done(g, 24),
        ),
        incident("H", T0 - DAY, "jira", **done(T0 - DAY, 1)),
        incident("I", T0 + 20 * DAY, "jira"),
    ]


def problems() -> list[Problem | KnownError]:
    fixed = {"status": ProblemStatus.RESOLVED, "resolution_code": ResolutionCode.FIXED}
    return [
        Problem(
            id="P1", title="Mail and VPN", created_at=T0 + 10 * DAY, refs=refs("jira", key="P1")
        ),
        Problem(
            id="P2",
            title="Slow logins",
            created_at=T0 + DAY,
            known_error=True,
            workaround="log in twice",
            refs=refs("servicenow", key="P2"),
        ),
        Problem(
            id="P3",
            title="Gateway hangs",
            created_at=T0 - 40 * DAY,
            category="network",
            resolved_at=T0 + 5 * DAY,
            fix="restarted the gateway",
            **fixed,
        ),
        Problem(
            id="P4",
            title="Mail queue",
            created_at=T0 - 10 * DAY,
            category="email",
            resolved_at=T0 + 9 * DAY,
            fix="Deployed CHG0030001",
            **fixed,
        ),
        Problem(
            id="P5",
            title="Old VPN client",
            created_at=T0 - 100 * DAY,
            known_error=True,
            workaround="reinstall",
            refs=refs("jira", key="P5"),
        ),
        KnownError(
            id="K1",
            title="Old VPN client",
            status=KnownErrorStatus.PUBLISHED,
            workaround="reinstall",
            published_at=T0 - 6 * DAY,
            created_at=T0 - 7 * DAY,
            links=[Link(kind=LinkKind.KNOWN_ERROR_OF, target_id="P5")],
        ),
    ]


def history() -> list[dict[str, Any]]:
    """Status and assignment changes as the engine records them (the neutral values)."""
    a, b, c, d = T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY
    person = {"display_name": "Ann", "email": "ann@example.com"}
    rows = [
        ("A", "status", "new", "in_progress", a + 0.5 * HOUR),
        ("A", "status", "in_progress", "resolved", a + 4 * HOUR),
        ("B", "assignee", None, person, b + 2 * HOUR),
        ("B", "assignment_group", "l1", "l2", b + 3 * HOUR),
        ("B", "status", "new", "in_progress", b + 3 * HOUR),
        ("B", "status", "in_progress", "resolved", b + 10 * HOUR),
        ("C", "status", "new", "in_progress", c + HOUR),
        ("C", "status", "in_progress", "resolved", c + 2 * HOUR),
        ("C", "status", "resolved", "in_progress", c + 5 * HOUR),
        ("C", "status", "in_progress", "resolved", c + 6 * HOUR),
        ("D", "status", "new", "in_progress", d + 4 * HOUR),
        ("D", "priority", 3, 1, d + 4 * HOUR),
    ]
    return [
        {"record_id": r, "field": f, "old": old, "new": new, "system": "jira", "at": at}
        for r, f, old, new, at in rows
    ]


async def seed(store: Store) -> None:
    # Problems first: incidents link to them. Opened times come from the records.
    for record in [*problems(), *incidents()]:
        await store.put_record(record)
    # The engine writes field history as it merges changes; this stands in for it.
    async with store.engine.begin() as conn:
        await conn.execute(insert(field_history), history())
