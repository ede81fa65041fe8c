"""Reading an issue's ``fields`` (and ``update``) as create and edit receive them: each
value checked as Jira checks it, each refusal worded as Jira words it (``errors`` by
field, vendor-apis.md §2.4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .catalog import PRIORITIES, RESOLUTIONS
from .model import Issue, IssueType, Project

if TYPE_CHECKING:
    from .state import Site

NOT_ON_SCREEN = "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
SETTABLE = {
    "summary",
    "description",
    "priority",
    "labels",
    "components",
    "reporter",
    "assignee",
    "resolution",
}


@dataclass
class Values:
    """What a create or an edit asks for: stored values by attribute, errors by field."""

    changes: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def is_adf(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content", []), list)
    )


def read_fields(
    site: Site,
    project: Project,
    issue_type: IssueType,
    fields: Mapping[str, Any],
    update: Mapping[str, Any] | None = None,
    *,
    current: Issue | None = None,
) -> Values:
    """Check ``fields`` (and the ``labels`` operations of ``update``) for an issue of
    ``issue_type`` in ``project``; ``current`` is the issue an edit changes."""
    out = Values()
    for name, value in fields.items():
        if name in ("project", "issuetype") and current is None:
            continue
        if name.startswith("customfield_"):
            _custom(site, name, value, out)
        elif name in SETTABLE:
            _system(site, project, name, value, out, creating=current is None)
        else:
            out.errors[name] = NOT_ON_SCREEN.format(name=name)
    for operation in (update or {}).get("labels") or []:
        labels = list(out.changes.get("labels", current.labels if current else []))
        if not isinstance(operation, dict):
            out.errors["labels"] = "Operation value must be an object"
            continue
        for verb, value in operation.items():
            if verb == "add" and isinstance(value, str) and value not in labels:
                labels.append(value)
            elif verb == "remove" and isinstance(value, str):
                labels = [label for label in labels if label != value]
            elif verb == "set" and isinstance(value, list):
                labels = [str(v) for v in value]
        _labels(labels, out)
    if current is None and not str(out.changes.get("summary", "")).strip():
        out.errors["summary"] = "You must specify a summary of the issue."
    return out


def _system(
    site: Site, project: Project, name: str, value: Any, out: Values, *, creating: bool
) -> None:
    if name == "summary":
        if not isinstance(value, str) or not value.strip():
            out.errors[name] = "You must specify a summary of the issue."
        elif len(value) > 255:
            out.errors[name] = "Summary must be less than 255 characters."
        else:
            out.changes["summary"] = value
    elif name == "description":
        if value is not None and not is_adf(value):
            out.errors[name] = "Operation value must be an Atlassian Document (see ADF)."
        else:
            out.changes["description"] = value
    elif name == "priority":
        named = _named(value, PRIORITIES)
        if named is None:
            out.errors[name] = "Specify the Priority (id or name) in the string format"
        else:
            out.changes["priority"] = named
    elif name == "labels":
        _labels(value, out)
    elif name == "components":
        _components(project, value, out)
    elif name in ("reporter", "assignee"):
        _person(site, name, value, out)
    elif name == "resolution":
        if creating:
            out.errors[name] = NOT_ON_SCREEN.format(name=name)
            return
        named = None if value is None else _named(value, RESOLUTIONS)
        if value is not None and named is None:
            out.errors[name] = "Resolution name or id is not valid"
        else:
            out.changes["resolution"] = named


def _named(value: Any, known: Mapping[str, str]) -> str | None:
    """A ``{"name": …}`` or ``{"id": …}`` value among ``known`` (name → id)."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("name"), str) and value["name"] in known:
        return str(value["name"])
    by_id = {v: k for k, v in known.items()}
    return by_id.get(str(value.get("id"))) if value.get("id") is not None else None


def _labels(value: Any, out: Values) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        out.errors["labels"] = "Labels must be a list of strings"
    elif any(not v or any(c.isspace() for c in v) or len(v) > 255 for v in value):
        out.errors["labels"] = "The label can't contain spaces."
    else:
        out.changes["labels"] = list(dict.fromkeys(value))


def _components(project: Project, value: Any, out: Values) -> None:
    if not isinstance(value, list):
        out.errors["components"] = "Components must be a list"
        return
    names = []
    for item in value:
        by_id = {v: k for k, v in project.components.items()}
        name = item.get("name") if isinstance(item, dict) else None
        name = name if name in project.components else by_id.get(str((item or {}).get("id")))
        if name is None:
            given = item.get("name") if isinstance(item, dict) else item
            out.errors["components"] = f"Component name '{given}' is not valid"
            return
        names.append(name)
    out.changes["components"] = names


def _person(site: Site, name: str, value: Any, out: Values) -> None:
    if value is None:
        if name == "reporter":
            out.errors[name] = "Reporter is required."
        else:
            out.changes[name] = None
        return
    account = value.get("accountId") or value.get("id") if isinstance(value, dict) else None
    if not isinstance(account, str) or account not in site.users:
        out.errors[name] = f"Specify a valid value for {name}"
    else:
        out.changes[name] = account


def _custom(site: Site, name: str, value: Any, out: Values) -> None:
    spec = site.fields.get(name)
    if spec is None or not spec.is_custom:
        out.errors[name] = NOT_ON_SCREEN.format(name=name)
        return
    if value is None:
        out.custom[name] = None
    elif spec.type == "option":
        option = value.get("value") if isinstance(value, dict) else None
        if option not in spec.options:
            out.errors[name] = f"Option value '{option}' is not valid"
        else:
            out.custom[name] = spec.option(option)
    elif spec.custom and spec.custom.endswith(":textarea"):
        if not is_adf(value):
            out.errors[name] = "Operation value must be an Atlassian Document (see ADF)."
        else:
            out.custom[name] = value
    elif spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.errors[name] = "Operation value must be a number"
        else:
            out.custom[name] = float(value)
    elif not isinstance(value, str):
        out.errors[name] = "Operation value must be a string"
    elif len(value) > 255:
        out.errors[name] = (
            "The entered text is too long. It exceeds the allowed limit of 255 characters."
        )
    else:
        out.custom[name] = value


__all__ = ["NOT_ON_SCREEN", "Values", "is_adf", "read_fields"]
