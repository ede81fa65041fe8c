"""The emulated instance's in-memory tables, with ServiceNow's write rules.

Every stored value is a string, as the Table API returns it. Journal fields are
write-only: a write appends a ``sys_journal_field`` row and the field stays ``""``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from itsmhub.emulation import Controls, OAuthServer

from .errors import oauth_refusal

Row = dict[str, str]
Clock = Callable[[], datetime]

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
JOURNAL_FIELDS = ("comments", "work_notes")
SYSTEM_FIELDS = (
    "sys_id",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
)
TASK_FIELDS = (
    "number",
    "short_description",
    "description",
    "state",
    "impact",
    "urgency",
    "priority",
    "active",
    "category",
    "subcategory",
    "assigned_to",
    "assignment_group",
    "business_service",
    "cmdb_ci",
    "opened_at",
    "opened_by",
    "closed_at",
    "close_notes",
    "correlation_id",
    "correlation_display",
    "comments",
    "work_notes",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "incident": (
        *SYSTEM_FIELDS,
        *TASK_FIELDS,
        "incident_state",
        "severity",
        "caller_id",
        "problem_id",
        "parent_incident",
        "close_code",
        "resolved_at",
        "resolved_by",
    ),
    "problem": (
        *SYSTEM_FIELDS,
        *TASK_FIELDS,
        "problem_state",
        "known_error",
        "workaround",
        "cause_notes",
        "fix_notes",
        "resolution_code",
        "duplicate_of",
        "resolved_at",
        "resolved_by",
    ),
    "kb_template_known_error_article": (
        *SYSTEM_FIELDS,
        "number",
        "short_description",
        "text",
        "description",
        "workaround",
        "cause",
        "kb_knowledge_base",
        "workflow_state",
        "source_task",
        "meta",
        "published",
    ),
    "sys_journal_field": (
        *SYSTEM_FIELDS,
        "element_id",
        "element",
        "name",
        "value",
    ),
    "sys_user": (*SYSTEM_FIELDS, "user_name", "name", "email", "active"),
    "sys_user_group": (*SYSTEM_FIELDS, "name", "description", "active"),
    # Business services (cmdb_ci_service) and configuration items (cmdb_ci): what
    # incidents and problems name in business_service and cmdb_ci.
    "cmdb_ci_service": (*SYSTEM_FIELDS, "name", "operational_status"),
    "cmdb_ci": (*SYSTEM_FIELDS, "name", "sys_class_name", "operational_status"),
}
REFERENCES: dict[str, str] = {
    "caller_id": "sys_user",
    "assigned_to": "sys_user",
    "opened_by": "sys_user",
    "resolved_by": "sys_user",
    "assignment_group": "sys_user_group",
    "business_service": "cmdb_ci_service",
    "cmdb_ci": "cmdb_ci",
    "problem_id": "problem",
    "duplicate_of": "problem",
    "parent_incident": "incident",
    "source_task": "problem",
}
NUMBERS: dict[str, tuple[str, int]] = {
    "incident": ("INC", 10001),
    "problem": ("PRB", 40001),
    "kb_template_known_error_article": ("KB", 10001),
}
DEFAULTS: dict[str, Row] = {
    "incident": {"state": "1", "incident_state": "1", "impact": "3", "urgency": "3"},
    "problem": {"state": "101", "impact": "3", "urgency": "3", "known_error": "false"},
    "kb_template_known_error_article": {"workflow_state": "draft"},
    "sys_user": {"active": "true"},
    "sys_user_group": {"active": "true"},
}
READ_ONLY = frozenset({*SYSTEM_FIELDS, "number", "priority"})
PRIORITY = {
    ("1", "1"): "1",
    ("1", "2"): "2",
    ("2", "1"): "2",
    ("1", "3"): "3",
    ("2", "2"): "3",
    ("3", "1"): "3",
    ("2", "3"): "4",
    ("3", "2"): "4",
    ("3", "3"): "5",
}
CLOSED_STATES = {"incident": {"6", "7", "8"}, "problem": {"106", "107"}}


def priority_of(impact: str, urgency: str) -> str:
    """ServiceNow's default priority lookup; unknown pairs fall back to 5 (Planning)."""
    return PRIORITY.get((impact, urgency), "5")


def as_string(value: Any) -> str:
    """Coerce a JSON value the way the Table API stores it (booleans lower-case)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):  # a reference object sent back as it was read
        return as_string(value.get("value", ""))
    return str(value)


def utc_clock() -> datetime:
    return datetime.now(UTC)


class Instance:
    """One emulated ServiceNow instance: tables, users, tokens, faults and the clock."""

    def __init__(
        self,
        *,
        clock: Clock = utc_clock,
        users: Mapping[str, str] | None = None,
        oauth_clients: Mapping[str, str] | None = None,
        controls: Controls | None = None,
    ) -> None:
        self.controls = controls or Controls(clock=clock)
        self.clock = clock
        self.users: dict[str, str] = dict(users or {"admin": "admin"})
        self.oauth = OAuthServer(
            clients=dict(oauth_clients or {"itsmhub": "itsmhub-secret"}),
            users=self.users,
            clock=clock,
            refuse=oauth_refusal,
            default_scope="useraccount",
        )
        self.reset()

    def reset(self) -> None:
        """Empty every table and forget tokens, faults, rate-limit rules and counters."""
        self.tables: dict[str, dict[str, Row]] = {name: {} for name in COLUMNS}
        self.counters = {table: start for table, (_, start) in NUMBERS.items()}
        self.journal_ids: dict[str, list[str]] = {}  # element_id -> journal sys_ids
        self.oauth.reset()
        self.controls.reset()

    def now(self) -> str:
        return self.clock().astimezone(UTC).strftime(TIME_FORMAT)

    # --- reads -----------------------------------------------------------------

    def rows(self, table: str) -> list[Row]:
        return list(self.tables[table].values())

    def get(self, table: str, sys_id: str) -> Row | None:
        return self.tables.get(table, {}).get(sys_id)

    # --- writes ----------------------------------------------------------------

    def insert(self, table: str, values: Mapping[str, Any], user: str = "admin") -> Row:
        """Create a record; unknown and read-only fields are ignored, as the instance does."""
        now = self.now()
        row: Row = dict.fromkeys(COLUMNS[table], "")
        row.update(DEFAULTS.get(table, {}))
        row.update(
            sys_id=uuid.uuid4().hex,
            sys_created_on=now,
            sys_created_by=user,
            sys_updated_on=now,
            sys_updated_by=user,
            sys_mod_count="0",
        )
        if table in NUMBERS:
            prefix, _ = NUMBERS[table]
            row["number"] = f"{prefix}{self.counters[table]:07d}"
            self.counters[table] += 1
        if "opened_at" in row:
            row["opened_at"] = now
        if table == "sys_journal_field":  # journal rows are system-written; keep given fields
            row.update({k: as_string(v) for k, v in values.items() if k in COLUMNS[table]})
        self.tables[table][row["sys_id"]] = row
        self._apply(table, row, values, user, now)
        self._index(table, row)
        return row

    def update(
        self, table: str, sys_id: str, values: Mapping[str, Any], user: str = "admin"
    ) -> Row | None:
        """Change a record, bump ``sys_mod_count`` and ``sys_updated_on``; None if missing.

        As on an instance, a write that changes nothing (and adds no journal entry) is
        not saved, so neither counter moves.
        """
        row = self.get(table, sys_id)
        if row is None:
            return None
        now = self.now()
        before = dict(row)
        if not self._apply(table, row, values, user, now) and row == before:
            return row
        row["sys_mod_count"] = str(int(row["sys_mod_count"]) + 1)
        row["sys_updated_on"] = now
        row["sys_updated_by"] = user
        return row

    def delete(self, table: str, sys_id: str) -> bool:
        return self.tables.get(table, {}).pop(sys_id, None) is not None

    def journal(self, table: str, sys_id: str, element: str | None = None) -> list[Row]:
        """Journal rows of one record, oldest first."""
        entries = self.tables["sys_journal_field"]
        rows = [
            r
            for r in (entries.get(i) for i in self.journal_ids.get(sys_id, ()))
            if r is not None and r["name"] == table and (element is None or r["element"] == element)
        ]
        return sorted(rows, key=lambda r: r["sys_created_on"])

    def _apply(self, table: str, row: Row, values: Mapping[str, Any], user: str, now: str) -> bool:
        """Write ``values`` into ``row``; True when a journal entry was added."""
        columns = COLUMNS[table]
        journaled = False
        for field, raw in values.items():
            if field not in columns or field in READ_ONLY:
                continue
            value = as_string(raw)
            if field in JOURNAL_FIELDS:
                if value:
                    self.add_journal(table, row["sys_id"], field, value, user, now)
                    journaled = True
                continue
            row[field] = value
        if "priority" in columns and "impact" in columns:
            row["priority"] = priority_of(row["impact"], row["urgency"])
        if table in CLOSED_STATES:
            closed = row["state"] in CLOSED_STATES[table]
            row["active"] = "false" if closed else "true"
            if closed and not row["resolved_at"]:
                row["resolved_at"] = now
        if table == "incident":
            row["incident_state"] = row["state"]
        return journaled

    def add_journal(
        self, table: str, sys_id: str, element: str, value: str, user: str, when: str
    ) -> Row:
        """Append one comment or work note to a record's journal."""
        return self.insert(
            "sys_journal_field",
            {
                "element_id": sys_id,
                "element": element,
                "name": table,
                "value": value,
                "sys_created_on": when,
                "sys_created_by": user,
            },
            user,
        )

    def load(self, table: str, rows: Iterable[Row]) -> None:
        """Put fully-formed rows in place (used by the seed), keeping their system fields."""
        for row in rows:
            full = dict.fromkeys(COLUMNS[table], "")
            full.update(row)
            self.tables[table][full["sys_id"]] = full
            self._index(table, full)

    def _index(self, table: str, row: Row) -> None:
        if table == "sys_journal_field":
            self.journal_ids.setdefault(row["element_id"], []).append(row["sys_id"])
