"""Links: issue links inside Jira, remote links to records that live in other systems.

An issue link has a type with an outward and an inward wording ("Problem/Incident":
the problem *causes*, the incident *is caused by*). On an issue's ``issuelinks`` field an
entry naming ``inwardIssue`` reads with the inward wording from this issue, one naming
``outwardIssue`` with the outward wording (vendor-apis.md §2.6). A record of another
system is shown as a remote link with a deterministic ``globalId``, so writing it again
updates it (vendor-apis.md §2.2); Jira's search cannot return remote links, so the ones
the hub made are also listed in the issue's ``itsmhub`` entity property, which searches
return inline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from itsmhub import ExternalRef, Link, LinkKind, RecordError

if TYPE_CHECKING:
    from .target import Target

PROPERTY = "itsmhub"
JIRA_LINK_KINDS = frozenset({LinkKind.CAUSED_BY, LinkKind.DUPLICATE_OF, LinkKind.RELATED})
# The relationship a person reads on the remote link, per kind.
RELATIONSHIPS = {
    LinkKind.CAUSED_BY: "is caused by",
    LinkKind.DUPLICATE_OF: "duplicates",
    LinkKind.RELATED: "relates to",
    LinkKind.KNOWN_ERROR_OF: "documents",
}


@dataclass(frozen=True)
class Direction:
    """How one link kind is stored: the link type, and whether the issue holding the hub
    link is the type's inward side (it *is caused by* the other)."""

    type_name: str
    holder_is_inward: bool
    symmetric: bool = False


def direction(target: Target, kind: LinkKind) -> Direction:
    mapping = target.settings.mapping
    if kind is LinkKind.CAUSED_BY:
        return Direction(mapping.link_type, holder_is_inward=True)
    if kind is LinkKind.DUPLICATE_OF:
        return Direction(mapping.duplicate_link_type, holder_is_inward=False)
    if kind is LinkKind.RELATED:
        return Direction(mapping.related_link_type, holder_is_inward=False, symmetric=True)
    raise RecordError(
        f"Jira keeps no {kind.value} link between issues",
        fix="only caused_by, duplicate_of and related links are written to Jira",
    )


def _linked_ref(target: Target, linked: Mapping[str, Any]) -> ExternalRef | None:
    issue_id, key = linked.get("id"), linked.get("key")
    if not isinstance(issue_id, str) or not issue_id:
        return None
    fields = linked.get("fields") if isinstance(linked.get("fields"), dict) else {}
    issue_type = fields.get("issuetype") if isinstance(fields, dict) else None
    return ExternalRef(
        system=target.system,
        remote_id=issue_id,
        key=key if isinstance(key, str) else None,
        url=f"{target.site}/browse/{key}" if key else None,
        remote_type=issue_type.get("name") if isinstance(issue_type, dict) else None,
    )


def issue_links(target: Target, issue: Mapping[str, Any]) -> list[Link]:
    """The hub links an issue's ``issuelinks`` hold (links of other types are left out)."""
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    found: list[Link] = []
    for entry in fields.get("issuelinks") or [] if isinstance(fields, dict) else []:
        if not isinstance(entry, dict):
            continue
        type_name = (entry.get("type") or {}).get("name")
        for kind in sorted(JIRA_LINK_KINDS):
            way = direction(target, kind)
            if way.type_name != type_name:
                continue
            side = "inwardIssue" if way.holder_is_inward else "outwardIssue"
            linked = entry.get(side)
            if way.symmetric and not isinstance(linked, dict):
                linked = entry.get("inwardIssue")
            ref = _linked_ref(target, linked) if isinstance(linked, dict) else None
            if ref is not None:
                found.append(Link(kind=kind, target_ref=ref, origin=target.system))
    return found


class RemoteLinkEntry(BaseModel):
    """A remote link the hub made, as the issue's ``itsmhub`` property lists it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    global_id: str
    kind: LinkKind
    system: str
    remote_id: str
    key: str | None = None
    url: str | None = None

    def link(self, origin: str | None = None) -> Link:
        ref = ExternalRef(system=self.system, remote_id=self.remote_id, key=self.key, url=self.url)
        return Link(kind=self.kind, target_ref=ref, origin=origin)


def listed(properties: Any) -> list[RemoteLinkEntry]:
    """The remote links listed in an issue's properties (malformed entries are skipped)."""
    stored = properties.get(PROPERTY) if isinstance(properties, dict) else None
    entries = stored.get("links") if isinstance(stored, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            found.append(RemoteLinkEntry.model_validate(entry))
        except ValueError:
            continue
    return found


def remote_links(properties: Any) -> list[Link]:
    return [entry.link() for entry in listed(properties)]


def global_id(target: ExternalRef) -> str:
    """The deterministic ``globalId`` of a link to ``target`` (the convention
    ``system=<system>&id=<id>``; the hub's connector name stands for the system)."""
    return f"system=itsmhub:{target.system}&id={target.remote_id}"


def remote_link_body(target: ExternalRef, kind: LinkKind) -> dict[str, Any]:
    """The body of ``POST …/remotelink``: an upsert by ``globalId``."""
    title = target.key or target.remote_id
    url = target.url or f"itsmhub://{target.system}/{target.remote_id}"
    return {
        "globalId": global_id(target),
        "application": {"type": "com.itsmhub", "name": target.system},
        "relationship": RELATIONSHIPS.get(kind, kind.value),
        "object": {"url": url, "title": title, "summary": f"{target.system} record {title}"},
    }


def with_entry(properties: Any, target: ExternalRef, kind: LinkKind) -> dict[str, Any]:
    """The ``itsmhub`` property value listing one more remote link (replacing its
    earlier entry)."""
    stored = dict(properties.get(PROPERTY) or {}) if isinstance(properties, dict) else {}
    entry = RemoteLinkEntry(
        global_id=global_id(target),
        kind=kind,
        system=target.system,
        remote_id=target.remote_id,
        key=target.key,
        url=target.url,
    )
    kept = [e for e in listed(properties) if e.global_id != entry.global_id]
    stored["links"] = [e.model_dump(mode="json") for e in [*kept, entry]]
    return stored


def without_entry(properties: Any, target: ExternalRef) -> dict[str, Any] | None:
    """The property value without the link to ``target``; None if it was not listed."""
    entries = listed(properties)
    gone = global_id(target)
    if not any(e.global_id == gone for e in entries):
        return None
    stored = dict(properties.get(PROPERTY) or {})
    stored["links"] = [e.model_dump(mode="json") for e in entries if e.global_id != gone]
    return stored


def link_body(
    target: Target, holder: ExternalRef, other: ExternalRef, kind: LinkKind
) -> dict[str, Any]:
    """The body of ``POST /issueLink`` storing ``holder --kind--> other``."""
    way = direction(target, kind)
    inward, outward = (holder, other) if way.holder_is_inward else (other, holder)
    return {
        "type": {"name": way.type_name},
        "inwardIssue": {"id": inward.remote_id},
        "outwardIssue": {"id": outward.remote_id},
    }


def link_id(
    target: Target, issue: Mapping[str, Any], other: ExternalRef, kind: LinkKind
) -> str | None:
    """The id of the issue link storing ``issue --kind--> other``, if it has one."""
    way = direction(target, kind)
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    sides = (
        ("inwardIssue", "outwardIssue")
        if way.symmetric
        else (("inwardIssue",) if way.holder_is_inward else ("outwardIssue",))
    )
    for entry in fields.get("issuelinks") or [] if isinstance(fields, dict) else []:
        if not isinstance(entry, dict) or (entry.get("type") or {}).get("name") != way.type_name:
            continue
        for side in sides:
            linked = entry.get(side)
            if isinstance(linked, dict) and other.remote_id in (
                linked.get("id"),
                linked.get("key"),
            ):
                return str(entry.get("id"))
    return None


__all__ = [
    "JIRA_LINK_KINDS",
    "PROPERTY",
    "RemoteLinkEntry",
    "direction",
    "global_id",
    "issue_links",
    "link_body",
    "link_id",
    "listed",
    "remote_link_body",
    "remote_links",
    "with_entry",
    "without_entry",
]
