"""The site's configuration as a Jira Service Management "IT service management" project
ships it: workflows per issue type, priorities, resolutions, link types and fields."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Status, Transition, Workflow

_OPEN = Status("1", "Open", "new")
_WIP = Status("3", "Work in progress", "indeterminate")
_PENDING = Status("10002", "Pending", "indeterminate")
_COMPLETED = Status("10003", "Completed", "done")
_CLOSED = Status("6", "Closed", "done")
_CANCELED = Status("10004", "Canceled", "done")
_INVESTIGATING = Status("10005", "Under investigation", "indeterminate")
_REVIEW = Status("10006", "Under review", "indeterminate")
_DONE = ("resolution",)

INCIDENT_WORKFLOW = Workflow(
    "Incident workflow",
    (_OPEN, _WIP, _PENDING, _COMPLETED, _CLOSED, _CANCELED),
    (
        Transition("11", "Start work", "Work in progress", frozenset({"Open", "Pending"})),
        Transition("21", "Pending", "Pending", frozenset({"Open", "Work in progress"})),
        Transition("31", "Stop work", "Open", frozenset({"Work in progress", "Pending"})),
        Transition(
            "41", "Resolve", "Completed", frozenset({"Open", "Work in progress", "Pending"}), _DONE
        ),
        Transition("51", "Close", "Closed", frozenset({"Completed"})),
        Transition(
            "61", "Cancel", "Canceled", frozenset({"Open", "Work in progress", "Pending"}), _DONE
        ),
        Transition("71", "Reopen", "Open", frozenset({"Completed", "Closed", "Canceled"})),
    ),
)

PROBLEM_WORKFLOW = Workflow(
    "Problem workflow",
    (_OPEN, _INVESTIGATING, _REVIEW, _COMPLETED, _CANCELED),
    (
        Transition("81", "Investigate", "Under investigation", frozenset({"Open", "Under review"})),
        Transition("91", "Review", "Under review", frozenset({"Under investigation"})),
        Transition(
            "101",
            "Complete",
            "Completed",
            frozenset({"Under investigation", "Under review"}),
            _DONE,
        ),
        Transition(
            "111",
            "Cancel",
            "Canceled",
            frozenset({"Open", "Under investigation", "Under review"}),
            _DONE,
        ),
        Transition("121", "Reopen", "Open", frozenset({"Completed", "Canceled"})),
    ),
)

TASK_WORKFLOW = Workflow(
    "Software simplified workflow",
    (
        Status("10000", "To Do", "new"),
        Status("3", "In Progress", "indeterminate"),
        Status("10001", "Done", "done"),
    ),
    (
        Transition("11", "To Do", "To Do"),
        Transition("21", "In Progress", "In Progress"),
        Transition("31", "Done", "Done", screen=_DONE),
    ),
)

PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
DEFAULT_PRIORITY = "Medium"
RESOLUTIONS = {
    "Done": "10000",
    "Won't do": "10001",
    "Duplicate": "10002",
    "Cannot reproduce": "10003",
    "Declined": "10004",
    "Known error": "10005",
}


@dataclass(frozen=True)
class LinkType:
    id: str
    name: str
    inward: str
    outward: str


LINK_TYPES = (
    LinkType("10000", "Blocks", "is blocked by", "blocks"),
    LinkType("10001", "Cloners", "is cloned by", "clones"),
    LinkType("10002", "Duplicate", "is duplicated by", "duplicates"),
    LinkType("10003", "Relates", "relates to", "relates to"),
    LinkType("10004", "Problem/Incident", "is caused by", "causes"),
)


@dataclass(frozen=True)
class FieldSpec:
    """One field of ``GET /field``; ``type``/``items``/``custom`` are its ``schema``."""

    id: str
    name: str
    type: str
    items: str | None = None
    custom: str | None = None
    options: tuple[str, ...] = ()

    @property
    def is_custom(self) -> bool:
        return self.id.startswith("customfield_")

    def option(self, value: str) -> dict[str, str]:
        """A select list's stored option: its value and id."""
        return {"value": value, "id": str(10100 + self.options.index(value))}


_CF = "com.atlassian.jira.plugin.system.customfieldtypes:"
SYSTEM_FIELDS = (
    FieldSpec("summary", "Summary", "string"),
    FieldSpec("description", "Description", "string"),
    FieldSpec("status", "Status", "status"),
    FieldSpec("issuetype", "Issue Type", "issuetype"),
    FieldSpec("project", "Project", "project"),
    FieldSpec("priority", "Priority", "priority"),
    FieldSpec("labels", "Labels", "array", items="string"),
    FieldSpec("components", "Components", "array", items="component"),
    FieldSpec("reporter", "Reporter", "user"),
    FieldSpec("assignee", "Assignee", "user"),
    FieldSpec("creator", "Creator", "user"),
    FieldSpec("created", "Created", "datetime"),
    FieldSpec("updated", "Updated", "datetime"),
    FieldSpec("resolution", "Resolution", "resolution"),
    FieldSpec("resolutiondate", "Resolved", "datetime"),
    FieldSpec("issuelinks", "Linked Issues", "array", items="issuelinks"),
    FieldSpec("comment", "Comment", "comments-page"),
)
CUSTOM_FIELDS = (
    FieldSpec("customfield_10050", "Root cause", "string", custom=_CF + "textarea"),
    FieldSpec("customfield_10051", "Workaround", "string", custom=_CF + "textarea"),
    FieldSpec(
        "customfield_10052",
        "Support group",
        "option",
        custom=_CF + "select",
        options=("Service Desk", "Network", "Hardware", "Software", "Database", "SAP Basis"),
    ),
    FieldSpec("customfield_10053", "Category", "string", custom=_CF + "textfield"),
    FieldSpec("customfield_10054", "Configuration item", "string", custom=_CF + "textfield"),
)

__all__ = [
    "CUSTOM_FIELDS",
    "DEFAULT_PRIORITY",
    "INCIDENT_WORKFLOW",
    "LINK_TYPES",
    "PRIORITIES",
    "PROBLEM_WORKFLOW",
    "RESOLUTIONS",
    "SYSTEM_FIELDS",
    "TASK_WORKFLOW",
    "FieldSpec",
    "LinkType",
]
