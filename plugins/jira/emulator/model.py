"""What the emulated site stores: people, projects and their workflows, issues, comments,
links and remote links. Plain dataclasses; ``state.py`` applies Jira's rules to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class User:
    account_id: str
    display_name: str
    email: str | None = None
    email_visible: bool = True
    """Atlassian accounts choose whether others see their e-mail (vendor-apis.md §6)."""
    time_zone: str = "UTC"
    account_type: str = "atlassian"
    active: bool = True


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: str  # new | indeterminate | done


@dataclass(frozen=True)
class Transition:
    """A workflow transition; ``sources`` empty means from any status (a global one)."""

    id: str
    name: str
    to: str
    sources: frozenset[str] = frozenset()
    screen: tuple[str, ...] = ()
    """Fields its screen asks for (``resolution`` on the way to a done status)."""

    def available_from(self, status: str) -> bool:
        return status != self.to and (not self.sources or status in self.sources)


@dataclass(frozen=True)
class Workflow:
    name: str
    statuses: tuple[Status, ...]
    transitions: tuple[Transition, ...]

    @property
    def initial(self) -> Status:
        return self.statuses[0]

    def status(self, name: str) -> Status | None:
        return next((s for s in self.statuses if s.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str
    workflow: Workflow


@dataclass
class Project:
    id: str
    key: str
    name: str
    type_key: str
    issue_types: dict[str, IssueType]
    components: dict[str, str] = field(default_factory=dict)
    """Component names → ids."""
    counter: int = 0

    def issue_type(self, value: Any) -> IssueType | None:
        """An issue type named by ``{"name": …}`` or ``{"id": …}``."""
        if not isinstance(value, dict):
            return None
        for issue_type in self.issue_types.values():
            if value.get("id") == issue_type.id or (
                isinstance(value.get("name"), str)
                and value["name"].lower() == issue_type.name.lower()
            ):
                return issue_type
        return None


@dataclass
class Comment:
    id: str
    issue_id: str
    body: dict[str, Any]
    author: str
    created: datetime
    updated: datetime
    update_author: str
    internal: bool = False
    visibility: dict[str, Any] | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Change:
    """One changelog entry: who changed what, when."""

    id: str
    author: str
    created: datetime
    items: list[dict[str, str]]


@dataclass
class RemoteLink:
    id: int
    issue_id: str
    global_id: str | None
    body: dict[str, Any]


@dataclass
class IssueLink:
    id: str
    type_id: str
    inward_id: str
    outward_id: str


@dataclass
class Issue:
    """An issue's stored fields. People are account ids, statuses and the like names."""

    id: str
    key: str
    project: str
    number: int
    issue_type: str
    summary: str
    status: str
    created: datetime
    updated: datetime
    reporter: str | None
    creator: str
    description: dict[str, Any] | None = None
    priority: str | None = "Medium"
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    assignee: str | None = None
    resolution: str | None = None
    resolution_date: datetime | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    changelog: list[Change] = field(default_factory=list)
    remote_links: dict[int, RemoteLink] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[int, str, int, str]:
        """Where the issue stands in ``ORDER BY updated ASC, key ASC``."""
        return (int(self.updated.timestamp() * 1000), self.project, self.number, self.id)


def change_item(name: str, old: Any, new: Any) -> dict[str, str]:
    def text(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, list):
            return " ".join(str(v) for v in value)
        if isinstance(value, dict):
            return str(value.get("value") or value.get("type") or value)
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    """One changelog item: the field and its values before and after, as text."""

    item = {
        "field": name,
        "fieldtype": "custom" if name.startswith("customfield_") else "jira",
        "fieldId": name,
        "fromString": text(old),
        "toString": text(new),
    }
    # The description has no nulls here: an empty side is left out.
    return {k: v for k, v in item.items() if v is not None}


__all__ = [
    "Change",
    "Comment",
    "Issue",
    "IssueLink",
    "IssueType",
    "Project",
    "RemoteLink",
    "Status",
    "Transition",
    "User",
    "Workflow",
    "change_item",
]
