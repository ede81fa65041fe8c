"""Stored issues, comments and people as Jira Cloud's REST API v3 writes them: ``self``
links, status categories, ``2021-01-18T23:45:00.000+0000`` stamps, e-mails only where the
account shows them, fields only where asked for."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .catalog import PRIORITIES, RESOLUTIONS, FieldSpec
from .model import Comment, Issue, RemoteLink, User

if TYPE_CHECKING:
    from .state import Site

API = "/rest/api/3"
ALL = "*all"
NAVIGABLE = "*navigable"
_CATEGORIES = {
    "new": ("2", "To Do", "blue-gray"),
    "indeterminate": ("4", "In Progress", "yellow"),
    "done": ("3", "Done", "green"),
}


def stamp(moment: datetime | None) -> str | None:
    """``2021-01-18T23:45:00.000+0000``: milliseconds, UTC, offset without a colon."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def avatars(base: str, account: str) -> dict[str, str]:
    url = f"{base}/secure/useravatar?ownerId={account}"
    return {size: f"{url}&size={size}" for size in ("48x48", "24x24", "16x16", "32x32")}


def user(site: Site, who: User | str | None, *, full: bool = False) -> dict[str, Any] | None:
    """A person as ``UserDetails`` (``User`` with ``full``); hidden e-mails left out."""
    found = site.user(who) if not isinstance(who, User) else who
    if found is None:
        return None
    base = site.base_url
    body: dict[str, Any] = {
        "self": f"{base}{API}/user?accountId={found.account_id}",
        "accountId": found.account_id,
        "avatarUrls": avatars(base, found.account_id),
        "displayName": found.display_name,
        "active": found.active,
        "timeZone": found.time_zone,
        "accountType": found.account_type,
    }
    if found.email and found.email_visible:
        body["emailAddress"] = found.email
    if full:
        body["locale"] = "en_US"
    return body


def wanted_fields(spec: Iterable[str] | None, default: str) -> tuple[set[str] | None, set[str]]:
    """The fields a ``fields`` parameter asks for: (names, or None for all; excluded)."""
    names: set[str] = set()
    excluded: set[str] = set()
    every = False
    for part in spec if spec is not None else [default]:
        for name in str(part).split(","):
            name = name.strip()
            if not name:
                continue
            if name in (ALL, NAVIGABLE):
                every = True
            elif name.startswith("-"):
                excluded.add(name[1:])
            else:
                names.add(name)
    return (None if every else names), excluded


def issue(
    site: Site,
    found: Issue,
    *,
    fields: set[str] | None,
    excluded: set[str] = frozenset(),  # type: ignore[assignment]
    properties: Iterable[str] = (),
    comment_limit: int | None = None,
) -> dict[str, Any]:
    """An ``IssueBean``; ``fields`` None means all of them. A search asking for ``id``
    alone gets the id alone (the endpoint's default)."""
    base = site.base_url
    if fields is not None and fields <= {"id"}:
        return {"id": found.id}
    body: dict[str, Any] = {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
        "versionedRepresentations",
        "id": found.id,
        "self": f"{base}{API}/issue/{found.id}",
        "key": found.key,
    }
    if fields is None or fields - {"id", "key"}:
        values = _fields(site, found, comment_limit)
        body["fields"] = {
            name: value
            for name, value in values.items()
            if (fields is None or name in fields) and name not in excluded
        }
    wanted = [p for p in properties if p in found.properties]
    if properties:
        body["properties"] = {p: found.properties[p] for p in wanted}
    return body


def _fields(site: Site, found: Issue, comment_limit: int | None) -> dict[str, Any]:
    base = site.base_url
    project = site.projects[found.project]
    issue_type = project.issue_types[found.issue_type]
    values: dict[str, Any] = {
        "summary": found.summary,
        "description": found.description,
        "status": status(site, found),
        "issuetype": _issue_type(base, issue_type.id, issue_type.name),
        "project": {
            "self": f"{base}{API}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": project.type_key,
            "simplified": False,
        },
        "priority": _priority(base, found.priority),
        "labels": list(found.labels),
        "components": [
            {
                "self": f"{base}{API}/component/{project.components[n]}",
                "id": project.components[n],
                "name": n,
            }
            for n in found.components
        ],
        "reporter": user(site, found.reporter),
        "assignee": user(site, found.assignee),
        "creator": user(site, found.creator),
        "created": stamp(found.created),
        "updated": stamp(found.updated),
        "resolution": _resolution(base, found.resolution),
        "resolutiondate": stamp(found.resolution_date),
        "issuelinks": issue_links(site, found),
        "comment": comment_page(site, found, comment_limit),
    }
    for spec in site.fields.values():
        if spec.is_custom:
            values[spec.id] = _custom(base, spec, found.custom.get(spec.id))
    return values


def _custom(base: str, spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, dict) and "value" in value and "id" in value:
        return {"self": f"{base}{API}/customFieldOption/{value['id']}", **value}
    return value


def _issue_type(base: str, type_id: str, name: str) -> dict[str, Any]:
    return {
        "self": f"{base}{API}/issuetype/{type_id}",
        "id": type_id,
        "description": f"{name} issue type",
        "iconUrl": f"{base}/images/icons/issuetypes/{name.lower().replace(' ', '')}.svg",
        "name": name,
        "subtask": False,
        "hierarchyLevel": 0,
    }


def _priority(base: str, name: str | None) -> dict[str, Any] | None:
    if name is None:
        return None
    return {
        "self": f"{base}{API}/priority/{PRIORITIES[name]}",
        "iconUrl": f"{base}/images/icons/priorities/{name.lower()}.svg",
        "name": name,
        "id": PRIORITIES[name],
    }


def _resolution(base: str, name: str | None) -> dict[str, Any] | None:
    if name is None:
        return None
    return {
        "self": f"{base}{API}/resolution/{RESOLUTIONS[name]}",
        "id": RESOLUTIONS[name],
        "description": name,
        "name": name,
    }


def status(site: Site, found: Issue) -> dict[str, Any]:
    workflow = site.issue_type_of(found).workflow
    current = workflow.status(found.status)
    assert current is not None
    return status_details(site.base_url, current.id, current.name, current.category)


def status_details(base: str, status_id: str, name: str, category: str) -> dict[str, Any]:
    category_id, category_name, color = _CATEGORIES[category]
    return {
        "self": f"{base}{API}/status/{status_id}",
        "description": "",
        "iconUrl": f"{base}/images/icons/statuses/generic.png",
        "name": name,
        "id": status_id,
        "statusCategory": {
            "self": f"{base}{API}/statuscategory/{category_id}",
            "id": int(category_id),
            "key": category,
            "colorName": color,
            "name": category_name,
        },
    }


def link_type(base: str, kind: Any) -> dict[str, Any]:
    return {
        "id": kind.id,
        "name": kind.name,
        "inward": kind.inward,
        "outward": kind.outward,
        "self": f"{base}{API}/issueLinkType/{kind.id}",
    }


def linked_issue(site: Site, other: Issue) -> dict[str, Any]:
    base = site.base_url
    issue_type = site.issue_type_of(other)
    return {
        "id": other.id,
        "key": other.key,
        "self": f"{base}{API}/issue/{other.id}",
        "fields": {
            "summary": other.summary,
            "status": status(site, other),
            "priority": _priority(base, other.priority),
            "issuetype": _issue_type(base, issue_type.id, issue_type.name),
        },
    }


def issue_links(site: Site, found: Issue) -> list[dict[str, Any]]:
    """The ``issuelinks`` field. A link goes from its outward issue to its inward one
    ("problem *causes* incident"): on the outward issue the other end shows as
    ``outwardIssue`` (read with the outward wording), on the inward one as
    ``inwardIssue`` ("incident *is caused by* problem")."""
    base = site.base_url
    types = {t.id: t for t in site.link_types}
    out = []
    for link in site.links_of(found):
        entry: dict[str, Any] = {
            "id": link.id,
            "self": f"{base}{API}/issueLink/{link.id}",
            "type": link_type(base, types[link.type_id]),
        }
        if link.outward_id == found.id and link.inward_id in site.issues:
            entry["outwardIssue"] = linked_issue(site, site.issues[link.inward_id])
        elif link.outward_id in site.issues:
            entry["inwardIssue"] = linked_issue(site, site.issues[link.outward_id])
        out.append(entry)
    return out


def comment(site: Site, found: Issue, note: Comment) -> dict[str, Any]:
    base = site.base_url
    body: dict[str, Any] = {
        "self": f"{base}{API}/issue/{found.id}/comment/{note.id}",
        "id": note.id,
        "author": user(site, note.author),
        "body": note.body,
        "updateAuthor": user(site, note.update_author),
        "created": stamp(note.created),
        "updated": stamp(note.updated),
        "jsdPublic": not note.internal,
    }
    if note.visibility:
        body["visibility"] = note.visibility
    return body


def comment_page(site: Site, found: Issue, limit: int | None) -> dict[str, Any]:
    shown = found.comments if limit is None else found.comments[:limit]
    return {
        "comments": [comment(site, found, c) for c in shown],
        "self": f"{site.base_url}{API}/issue/{found.id}/comment",
        "maxResults": len(shown),
        "total": len(found.comments),
        "startAt": 0,
    }


def remote_link(site: Site, found: Issue, link: RemoteLink) -> dict[str, Any]:
    body = {
        k: v
        for k, v in link.body.items()
        if k in ("globalId", "application", "relationship", "object")
    }
    return {
        "id": link.id,
        "self": f"{site.base_url}{API}/issue/{found.id}/remotelink/{link.id}",
        **body,
    }


__all__ = [
    "ALL",
    "API",
    "comment",
    "comment_page",
    "issue",
    "issue_links",
    "link_type",
    "remote_link",
    "stamp",
    "status",
    "status_details",
    "user",
    "wanted_fields",
]
