"""How a stored row looks in a response: fields, display values and reference links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .state import JOURNAL_FIELDS, REFERENCES, Instance, Row

CHOICES: dict[str, dict[str, str]] = {
    "impact": {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"},
    "urgency": {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"},
    "priority": {
        "1": "1 - Critical",
        "2": "2 - High",
        "3": "3 - Moderate",
        "4": "4 - Low",
        "5": "5 - Planning",
    },
}
STATES: dict[str, dict[str, str]] = {
    "incident": {
        "1": "New",
        "2": "In Progress",
        "3": "On Hold",
        "6": "Resolved",
        "7": "Closed",
        "8": "Canceled",
    },
    "problem": {
        "101": "New",
        "102": "Assess",
        "103": "Root Cause Analysis",
        "104": "Fix in Progress",
        "106": "Resolved",
        "107": "Closed",
    },
}
# The field a referenced table shows as its display value.
DISPLAY_FIELD = {
    "sys_user": "name",
    "sys_user_group": "name",
    "cmdb_ci_service": "name",
    "cmdb_ci": "name",
    "problem": "number",
    "incident": "number",
}
TRUTHY = {"true", "1", "yes"}


@dataclass(frozen=True)
class View:
    """The ``sysparm_*`` options that shape a response."""

    base_url: str
    fields: tuple[str, ...] = ()
    display_value: str = "false"
    exclude_reference_link: bool = False

    @classmethod
    def from_params(cls, params: Any, base_url: str) -> View:
        fields = tuple(f.strip() for f in params.get("sysparm_fields", "").split(",") if f.strip())
        display = params.get("sysparm_display_value", "false").lower()
        return cls(
            base_url=base_url.rstrip("/"),
            fields=fields,
            display_value=display if display in ("true", "all") else "false",
            exclude_reference_link=params.get("sysparm_exclude_reference_link", "").lower()
            in TRUTHY,
        )


def render(instance: Instance, table: str, row: Row, view: View) -> dict[str, Any]:
    """One record as the Table API returns it; unknown requested fields are left out."""
    names = [f for f in view.fields if f in row] if view.fields else list(row)
    return {name: _field(instance, table, row, name, view) for name in names}


def _field(instance: Instance, table: str, row: Row, name: str, view: View) -> Any:
    value = row[name]
    # Display values cost lookups (journal, references): only work them out when asked.
    display = _display(instance, table, row, name) if view.display_value != "false" else value
    target = REFERENCES.get(name)
    link = f"{view.base_url}/api/now/table/{target}/{value}" if target and value else None
    if view.display_value == "all":
        out: dict[str, str] = {"display_value": display, "value": value}
        if link and not view.exclude_reference_link:
            out["link"] = link
        return out
    shown = display if view.display_value == "true" else value
    if link and not view.exclude_reference_link:
        key = "display_value" if view.display_value == "true" else "value"
        return {key: shown, "link": link}
    return shown


def _display(instance: Instance, table: str, row: Row, name: str) -> str:
    value = row[name]
    if name in JOURNAL_FIELDS:
        return journal_text(instance, table, row["sys_id"], name)
    target = REFERENCES.get(name)
    if target:
        ref = instance.get(target, value) if value else None
        return ref.get(DISPLAY_FIELD.get(target, "sys_id"), "") if ref else ""
    if name == "state":
        return STATES.get(table, {}).get(value, value)
    return CHOICES.get(name, {}).get(value, value)


def journal_text(instance: Instance, table: str, sys_id: str, element: str) -> str:
    """The journal as a form shows it: newest entry first, each under a header line."""
    label = "Comments" if element == "comments" else "Work notes"
    entries = reversed(instance.journal(table, sys_id, element))
    return "".join(
        f"{e['sys_created_on']} - {e['sys_created_by']} ({label})\n{e['value']}\n\n"
        for e in entries
    )
