"""The JQL the connector sends: bounded by project, issue type and epoch-millisecond times.

Quoted JQL dates have minute precision and are read in the API user's profile time zone,
which has silently lost data in several public connectors (sync-guarantees.md G4). Bare
numbers are epoch milliseconds: absolute time, whatever the profile says. Every time
bound here is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

ORDER = "ORDER BY updated ASC, id ASC"


def quote(value: str) -> str:
    """A JQL string literal: double quotes, with ``"`` and ``\\`` escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch (an aware datetime; naive ones are refused)."""
    if moment.tzinfo is None:
        raise ValueError("a JQL time bound needs an aware datetime")
    return int(moment.astimezone(UTC).timestamp() * 1000)


def one_of(field: str, values: Sequence[str]) -> str:
    """``field in ("a", "b")`` (or ``field = "a"`` for one value)."""
    unique = list(dict.fromkeys(values))
    if len(unique) == 1:
        return f"{field} = {quote(unique[0])}"
    return f"{field} in ({', '.join(quote(v) for v in unique)})"


def scope(projects: Sequence[str], issue_types: Sequence[str]) -> list[str]:
    """The terms every query of a connector starts with: its projects and issue types."""
    return [one_of("project", projects), one_of("issuetype", issue_types)]


def changed(
    projects: Sequence[str],
    issue_types: Sequence[str],
    since: datetime | None = None,
    until: datetime | None = None,
) -> str:
    """Issues updated in ``[since, until)``, oldest first, ties broken by id."""
    terms = scope(projects, issue_types)
    if since is not None:
        terms.append(f"updated >= {epoch_ms(since)}")
    if until is not None:
        terms.append(f"updated < {epoch_ms(until)}")
    return f"{' AND '.join(terms)} {ORDER}"


def labelled(projects: Sequence[str], label: str) -> str:
    """Issues of the projects carrying ``label``, oldest first."""
    return f"{one_of('project', projects)} AND labels = {quote(label)} ORDER BY created ASC, id ASC"


__all__ = ["ORDER", "changed", "epoch_ms", "labelled", "one_of", "quote", "scope"]
