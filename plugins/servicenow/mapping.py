"""Pure functions between Table API rows and neutral records.

Rows are read with ``sysparm_display_value=false`` and ``sysparm_exclude_reference_link=true``:
every value is a string, ``""`` means empty, references are bare sys_ids and timestamps are
UTC ``yyyy-MM-dd HH:mm:ss`` (vendor-apis.md §3.2). Nothing here does I/O; a row that cannot
be mapped raises :class:`~itsmhub.RecordError`, which the connector turns into a
``RejectedRecord`` during a pull.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import JsonValue, ValidationError

from itsmhub import (
    AnyTicket,
    Comment,
    ExternalRef,
    Incident,
    IncidentStatus,
    KnownError,
    KnownErrorStatus,
    Link,
    LinkKind,
    PersonRef,
    Priority,
    Problem,
    ProblemStatus,
    RecordError,
    RecordKind,
    RemoteVersion,
    ResolutionCode,
    Visibility,
    comment_footer,
    correction_footer,
    read_footer,
)

from .settings import ServiceNowSettings

Row = Mapping[str, Any]
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
JOURNAL_FIELDS = ("sys_id", "element_id", "element", "value", "sys_created_on", "sys_created_by")
_COMMON = (
    "sys_id", "number", "short_description", "description", "state", "impact", "urgency",
    "priority", "category", "assignment_group", "assigned_to", "business_service",
    "correlation_id", "sys_created_on", "sys_updated_on", "sys_mod_count",
)  # fmt: skip
_KIND_FIELDS = {
    RecordKind.INCIDENT: (
        "caller_id", "problem_id", "close_code", "close_notes", "opened_at", "resolved_at",
        "closed_at",
    ),
    RecordKind.PROBLEM: (
        "opened_by", "known_error", "cause_notes", "workaround", "fix_notes", "resolution_code",
        "duplicate_of", "resolved_at", "closed_at",
    ),
}  # fmt: skip
# Known Error articles (kb_template_known_error_article extends kb_knowledge): the
# template's fields, the problem in source_task, and our marker in meta (the article's
# search keywords: kb_knowledge has no correlation_id).
_ARTICLE_FIELDS = (
    "sys_id", "number", "short_description", "description", "workaround", "cause",
    "workflow_state", "source_task", "meta", "sys_created_on", "sys_updated_on",
    "sys_mod_count",
)  # fmt: skip
_SYS_ID = re.compile(r"^[0-9a-f]{32}$")
# Journal entries cannot be edited: an edit is posted as a correction headed so.
CORRECTION_HEADER = (
    "Correction of an earlier comment (ServiceNow journal entries cannot be edited):"
)
_DEFAULT_CLOSE_NOTES = "Resolved in another system (synced by itsmhub)"
E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class Target:
    """Where rows come from: the connector's name, its instance and its settings."""

    system: str
    settings: ServiceNowSettings

    @property
    def instance(self) -> str:
        return str(self.settings.instance_url).rstrip("/")

    def table(self, kind: RecordKind) -> str:
        tables = self.settings.tables
        if kind is RecordKind.KNOWN_ERROR and tables.known_error_article is not None:
            return tables.known_error_article
        return tables.incident if kind is RecordKind.INCIDENT else tables.problem

    def fields(self, kind: RecordKind) -> list[str]:
        """The columns ``sysparm_fields`` asks for: only what the mapping reads."""
        if kind is RecordKind.KNOWN_ERROR:
            return list(_ARTICLE_FIELDS)
        custom = self.settings.mapping.custom_fields.values()
        return list(dict.fromkeys([*_COMMON, *_KIND_FIELDS[kind], *custom]))

    @staticmethod
    def marker_column(kind: RecordKind) -> str:
        """Where our correlation marker lives: task rows have correlation_id, articles not."""
        return "meta" if kind is RecordKind.KNOWN_ERROR else "correlation_id"

    def ref(self, kind: RecordKind, row: Row) -> ExternalRef:
        sys_id, table = text(row, "sys_id"), self.table(kind)
        if sys_id is None:
            raise RecordError("the row has no sys_id")
        return ExternalRef(
            system=self.system,
            remote_id=sys_id,
            key=text(row, "number"),
            url=f"{self.instance}/nav_to.do?uri={table}.do?sys_id={sys_id}",
            remote_type=table,
        )


# --- reading ---------------------------------------------------------------------------


def text(row: Row, column: str) -> str | None:
    """A column's string value; ``""`` and missing are None, references give their sys_id."""
    value = row.get(column)
    if isinstance(value, dict):  # a reference left with its link, or display_value=all
        value = value.get("value")
    if value is None or value == "":
        return None
    return str(value)


def parse_time(value: str | None) -> datetime | None:
    """A ``yyyy-MM-dd HH:mm:ss`` value, which the Table API returns in UTC."""
    if value is None:
        return None
    # fromisoformat is ten times cheaper than strptime, but takes other shapes too
    if len(value) == 19 and value[10] == " ":
        try:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise RecordError(f"timestamp {value!r} is not yyyy-MM-dd HH:mm:ss")


def format_time(value: datetime) -> str:
    """A datetime as the UTC literal an encoded query or a write expects."""
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def _reverse(table: Mapping[E, str], value: str | None, what: str, key: str) -> E | None:
    if value is None:
        return None
    for neutral, raw in table.items():  # first wins: enum order decides shared values
        if raw == value:
            return neutral
    raise RecordError(
        f"{what} {value!r} has no neutral value",
        fix=f"add it under [connectors.<name>.mapping] {key}, or check the instance's sys_choice",
    )


def _person(target: Target, sys_id: str | None) -> PersonRef | None:
    if sys_id is None:
        return None
    external = ExternalRef(system=target.system, remote_id=sys_id, remote_type="sys_user")
    return PersonRef(external=external)


def _lookup_back(table: Mapping[str, str], value: str | None) -> str | None:
    """Neutral name for a mapped value (categories, groups); unmapped values pass as they are."""
    if value is None:
        return None
    return next((neutral for neutral, raw in table.items() if raw == value), value)


def _link(target: Target, kind: LinkKind, sys_id: str | None) -> list[Link]:
    if sys_id is None:
        return []
    ref = ExternalRef(
        system=target.system, remote_id=sys_id, remote_type=target.settings.tables.problem
    )
    return [Link(kind=kind, target_ref=ref, origin=target.system)]


def to_record(target: Target, kind: RecordKind, row: Row, comments: list[Comment]) -> AnyTicket:
    """Map one incident, problem or Known Error article row (and its journal) to the
    neutral record."""
    mapping = target.settings.mapping
    ref = target.ref(kind, row)
    if kind is RecordKind.KNOWN_ERROR:
        return _known_error(target, row, ref)
    priority = text(row, "priority")
    common: dict[str, Any] = {
        "id": f"{target.system}:{ref.remote_id}",
        "refs": [ref],
        "title": text(row, "short_description") or ref.key or ref.remote_id,
        "description": text(row, "description") or "",
        "impact": _reverse(mapping.impact, text(row, "impact"), "impact", "impact"),
        "urgency": _reverse(mapping.urgency, text(row, "urgency"), "urgency", "urgency"),
        # Read, never written: an instance may use its own lookup, so keep what it says.
        "priority": Priority(int(priority)) if priority in {"1", "2", "3", "4", "5"} else None,
        "category": _lookup_back(mapping.categories, text(row, "category")),
        "assignment_group": _lookup_back(mapping.assignment_groups, text(row, "assignment_group")),
        "assignee": _person(target, text(row, "assigned_to")),
        "service": text(row, "business_service"),
        "comments": comments,
        "custom": {
            name: text(row, column)
            for name, column in mapping.custom_fields.items()
            if text(row, column) is not None
        },
        "created_at": parse_time(text(row, "sys_created_on")),
        "updated_at": parse_time(text(row, "sys_updated_on")),
        "resolved_at": parse_time(text(row, "resolved_at")),
        "closed_at": parse_time(text(row, "closed_at")),
    }
    try:
        if kind is RecordKind.INCIDENT:
            return _incident(target, row, common)
        if kind is RecordKind.PROBLEM:
            return _problem(target, row, common)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"])
        raise RecordError(f"{ref.key or ref.remote_id}: {where}: {error['msg']}") from None
    raise RecordError(f"{kind} records are not rows of the incident or problem table")


def _incident(target: Target, row: Row, common: dict[str, Any]) -> Incident:
    mapping = target.settings.mapping
    state = text(row, "state")
    close_code = text(row, "close_code")
    code = None
    if close_code is not None:
        # Instances add close codes freely; an unknown one still ended the incident.
        code = _lookup_back(
            {k.value: v for k, v in mapping.incident_close_codes.items()}, close_code
        )
        code = ResolutionCode(code) if code in set(ResolutionCode) else ResolutionCode.OTHER
    return Incident.model_validate(
        {
            **common,
            "status": _reverse(mapping.incident_states, state, "incident state", "incident_states")
            or IncidentStatus.NEW,
            "reporter": _person(target, text(row, "caller_id")),
            "links": _link(target, LinkKind.CAUSED_BY, text(row, "problem_id")),
            "opened_at": parse_time(text(row, "opened_at")),
            "resolution_code": code,
            "resolution_notes": text(row, "close_notes"),
        }
    )


def _problem(target: Target, row: Row, common: dict[str, Any]) -> Problem:
    mapping = target.settings.mapping
    raw_code = text(row, "resolution_code")
    code = _reverse(
        mapping.problem_resolution_codes, raw_code, "resolution_code", "problem_resolution_codes"
    )
    status = _reverse(mapping.problem_states, text(row, "state"), "problem state", "problem_states")
    if status is ProblemStatus.CLOSED and code is ResolutionCode.CANCELED:
        status = ProblemStatus.CANCELED  # the state model closes canceled problems
    return Problem.model_validate(
        {
            **common,
            "status": status or ProblemStatus.NEW,
            "reporter": _person(target, text(row, "opened_by")),
            "links": _link(target, LinkKind.DUPLICATE_OF, text(row, "duplicate_of")),
            "known_error": text(row, "known_error") == "true",
            "root_cause": text(row, "cause_notes"),
            "workaround": text(row, "workaround"),
            "fix": text(row, "fix_notes"),
            "resolution_code": code,
        }
    )


def _known_error(target: Target, row: Row, ref: ExternalRef) -> KnownError:
    """A Known Error article: its template fields, its workflow state, and its problem
    (``source_task``) as the ``known_error_of`` link."""
    states = target.settings.mapping.known_error_article_states
    state = text(row, "workflow_state")
    # Fixed and retired are both written as "retired": it reads back as retired, what it says.
    named = {s.value: s for s in states if states[s] == state}
    states = {named[state]: states[named[state]]} if state in named else states
    try:
        status = _reverse(states, state, "workflow_state", "known_error_article_states")
    except RecordError:
        # review, pending_retirement, outdated…: nearest neutral state, never a rejection.
        status = _ARTICLE_STATE_FALLBACK.get(state or "")
        if status is None:
            raise
    problem = text(row, "source_task")
    links = []
    if problem is not None:
        problem_ref = ExternalRef(
            system=target.system, remote_id=problem, remote_type=target.settings.tables.problem
        )
        links.append(
            Link(kind=LinkKind.KNOWN_ERROR_OF, target_ref=problem_ref, origin=target.system)
        )
    try:
        return KnownError.model_validate(
            {
                "id": f"{target.system}:{ref.remote_id}",
                "refs": [ref],
                "links": links,
                "title": text(row, "short_description") or ref.key or ref.remote_id,
                "description": text(row, "description") or "",
                "workaround": text(row, "workaround"),
                "cause": text(row, "cause"),
                "status": status or KnownErrorStatus.DRAFT,
                "created_at": parse_time(text(row, "sys_created_on")),
                "updated_at": parse_time(text(row, "sys_updated_on")),
            }
        )
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"]) or "article"
        raise RecordError(f"{ref.key or ref.remote_id}: {where}: {error['msg']}") from None


_ARTICLE_STATE_FALLBACK = {
    "review": KnownErrorStatus.DRAFT,
    "pending_retirement": KnownErrorStatus.PUBLISHED,
    "outdated": KnownErrorStatus.RETIRED,
}


def to_comment(target: Target, row: Row) -> Comment:
    """Map one ``sys_journal_field`` row; our own copies give back the hub's id and author."""
    sys_id = text(row, "sys_id")
    created = parse_time(text(row, "sys_created_on"))
    if sys_id is None or created is None:
        raise RecordError("a journal entry has no sys_id or sys_created_on")
    footer = read_footer(str(row.get("value") or ""), header=CORRECTION_HEADER)
    author = footer.author or text(row, "sys_created_by")
    return Comment(
        id=footer.hub_id or f"{target.system}:{sys_id}",
        body=footer.body,
        visibility=Visibility.PUBLIC if row.get("element") == "comments" else Visibility.INTERNAL,
        author=PersonRef(display_name=author) if author else None,
        created_at=created,
        refs=[ExternalRef(system=target.system, remote_id=sys_id, remote_type="sys_journal_field")],
    )


# --- writing ---------------------------------------------------------------------------


def comment_text(comment: Comment) -> str:
    """The journal text we write: the body, the original author, then the marker footer."""
    return comment_footer(comment)


def correction_text(comment: Comment) -> str:
    """A journal entry that supersedes an earlier copy of ``comment`` with its new text."""
    return correction_footer(comment, CORRECTION_HEADER)


def is_correction(row: Row) -> bool:
    """Whether a journal row is one of our corrections (see :func:`correction_text`)."""
    return read_footer(str(row.get("value") or "")).correction


def journal_column(comment: Comment) -> str:
    """``comments`` is customer-visible, ``work_notes`` agents only."""
    return "comments" if comment.visibility is Visibility.PUBLIC else "work_notes"


def _ref_id(target: Target, person: JsonValue) -> str | None:
    """A sys_user sys_id for a person whose ref points into this instance, else None."""
    if not isinstance(person, dict) or not isinstance(person.get("external"), dict):
        return None
    external = person["external"]
    if external.get("system") == target.system and isinstance(external.get("remote_id"), str):
        return str(external["remote_id"])
    return None


# Free-text neutral fields and their columns (each exists on one of the two tables only).
_TEXT_COLUMNS = {
    "title": "short_description",
    "description": "description",
    "resolution_notes": "close_notes",
    "root_cause": "cause_notes",
    "workaround": "workaround",
    "fix": "fix_notes",
}
_ENDED = frozenset({"resolved", "closed", "canceled"})


def to_payload(
    target: Target, kind: RecordKind, values: Mapping[str, JsonValue], current: Row | None = None
) -> dict[str, str]:
    """Columns to write for neutral ``values`` (JSON form); fields we never write are left out.

    Priority is never written (ServiceNow derives it). A status that resolves or closes
    brings the close fields a data policy requires, unless the row already holds them.
    """
    if kind is RecordKind.KNOWN_ERROR:
        return _article_payload(target, values, current or {})
    mapping, incident = target.settings.mapping, kind is RecordKind.INCIDENT
    out: dict[str, str] = {}

    def put(column: str, value: JsonValue) -> None:
        out[column] = "" if value is None else str(value)

    for name, value in values.items():
        code = ResolutionCode(str(value)) if name == "resolution_code" and value else None
        if name in _TEXT_COLUMNS:
            put(_TEXT_COLUMNS[name], value)
        elif name in {"impact", "urgency"}:
            table = mapping.impact if name == "impact" else mapping.urgency
            put(name, table[value] if isinstance(value, int) else None)  # type: ignore[index]
        elif name in {"category", "assignment_group"}:
            table = mapping.categories if name == "category" else mapping.assignment_groups
            put(name, table.get(str(value), str(value)) if value else None)
        elif name in {"assignee", "reporter"}:
            column = "caller_id" if incident else "opened_by"
            sys_id = _ref_id(target, value)
            if value is None or sys_id is not None:  # people of other systems: not written
                put("assigned_to" if name == "assignee" else column, sys_id)
        elif name == "service" and (value is None or _SYS_ID.match(str(value))):
            put("business_service", value)
        elif name == "custom" and isinstance(value, dict):
            for field, column in mapping.custom_fields.items():
                if field in value:
                    put(column, value[field])
        elif name == "status" and value is not None:
            states = mapping.incident_states if incident else mapping.problem_states
            put("state", states[(IncidentStatus if incident else ProblemStatus)(value)])  # type: ignore[index]
        elif name == "resolution_code" and incident:
            put("close_code", _close_code(mapping.incident_close_codes, code) if code else None)
        elif name == "resolution_code":
            put("resolution_code", mapping.problem_resolution_codes.get(code) if code else None)  # type: ignore[arg-type]
        elif name == "known_error" and not incident:
            put("known_error", "true" if value else "false")
    if values.get("status") in _ENDED:
        _close_fields(target, kind, values, current or {}, out)
    return out


def _close_code(codes: Mapping[ResolutionCode, str], code: ResolutionCode) -> str:
    return codes.get(code) or codes.get(ResolutionCode.OTHER) or codes[ResolutionCode.FIXED]


def _close_fields(
    target: Target, kind: RecordKind, values: Mapping[str, JsonValue], row: Row, out: dict[str, str]
) -> None:
    """Fill the close fields an ending write needs when neither it nor the row has them."""
    mapping = target.settings.mapping
    if kind is RecordKind.INCIDENT:
        code = ResolutionCode(str(values.get("resolution_code") or "other"))
        if not out.get("close_code") and text(row, "close_code") is None:
            out["close_code"] = _close_code(mapping.incident_close_codes, code)
        if not out.get("close_notes") and text(row, "close_notes") is None:
            out["close_notes"] = _DEFAULT_CLOSE_NOTES
        return
    codes = mapping.problem_resolution_codes
    if values.get("status") == "canceled":  # the state model cancels as Closed + canceled
        out["resolution_code"] = codes.get(ResolutionCode.CANCELED, "canceled")
    elif not out.get("resolution_code") and text(row, "resolution_code") is None:
        out["resolution_code"] = codes.get(ResolutionCode.FIXED, "fix_applied")


_ARTICLE_COLUMNS = {
    "title": "short_description",
    "description": "description",
    "workaround": "workaround",
    "cause": "cause",
}


def _article_payload(target: Target, values: Mapping[str, JsonValue], row: Row) -> dict[str, str]:
    """Columns of a Known Error article; ``text`` (the body readers see) is rebuilt from
    the template fields whenever one of them is written."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if name in _ARTICLE_COLUMNS:
            out[_ARTICLE_COLUMNS[name]] = "" if value is None else str(value)
        elif name == "status" and value is not None:
            states = target.settings.mapping.known_error_article_states
            out["workflow_state"] = states[KnownErrorStatus(str(value))]
    if {"description", "workaround", "cause"} & out.keys():
        merged = {c: out.get(c, text(row, c) or "") for c in ("description", "workaround", "cause")}
        out["text"] = article_text(merged["description"], merged["workaround"], merged["cause"])
    return out


def article_text(description: str, workaround: str, cause: str) -> str:
    """The article body, as the Known Error template lays it out (HTML sections)."""
    parts = [f"<p>{html.escape(description)}</p>"] if description else []
    for title, body in (("Workaround", workaround), ("Cause", cause)):
        if body:
            parts.append(f"<h3>{title}</h3><p>{html.escape(body)}</p>")
    return "".join(parts)


def row_version(row: Row) -> RemoteVersion:
    """The version a row's sys_mod_count and sys_updated_on say it is at."""
    return RemoteVersion(
        version=text(row, "sys_mod_count"), updated_at=parse_time(text(row, "sys_updated_on"))
    )
