"""Links on the emulated site: issue links of the site's link types, and remote links
upserted by ``globalId``. Mixed into :class:`~.state.Site`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .catalog import LinkType
from .model import Issue, IssueLink, RemoteLink

if TYPE_CHECKING:
    from .state import Site


class Relations:
    """Issue links and remote links; writes stamp the issues they touch."""

    def link_type(self: Site, value: Any) -> LinkType | None:
        if not isinstance(value, dict):
            return None
        return next(
            (t for t in self.link_types if value.get("name") == t.name or value.get("id") == t.id),
            None,
        )

    def link(self: Site, kind: LinkType, inward: Issue, outward: Issue, *, actor: str) -> IssueLink:
        """Link two issues; the same link asked for again is the one there."""
        for existing in self.links.values():
            if (existing.type_id, existing.inward_id, existing.outward_id) == (
                kind.id,
                inward.id,
                outward.id,
            ):
                return existing
        link = self.add_link(IssueLink(self.next_id("link"), kind.id, inward.id, outward.id))
        for issue in (inward, outward):
            self._touch(issue, self._before(issue))
        self.webhooks.emit_link("issuelink_created", link, actor)
        return link

    def add_link(self: Site, link: IssueLink) -> IssueLink:
        """Store a link (no stamps, no events: for seeding and for :meth:`link`)."""
        self.links[link.id] = link
        for issue_id in (link.inward_id, link.outward_id):
            self._links_by_issue.setdefault(issue_id, []).append(link.id)
        return link

    def unlink(self: Site, link: IssueLink, *, actor: str) -> None:
        del self.links[link.id]
        for issue_id in (link.inward_id, link.outward_id):
            self._links_by_issue[issue_id].remove(link.id)
        for issue_id in (link.inward_id, link.outward_id):
            if issue_id in self.issues:
                issue = self.issues[issue_id]
                self._touch(issue, self._before(issue))
        self.webhooks.emit_link("issuelink_deleted", link, actor)

    def links_of(self: Site, issue: Issue) -> list[IssueLink]:
        return [self.links[i] for i in self._links_by_issue.get(issue.id, [])]

    def put_remote_link(self: Site, issue: Issue, body: dict[str, Any]) -> tuple[RemoteLink, bool]:
        """Create, or update the one with the same ``globalId``; True if it is new."""
        global_id = body.get("globalId")
        before = self._before(issue)
        for link in issue.remote_links.values():
            if global_id and link.global_id == global_id:
                link.body = body
                self._touch(issue, before)
                return link, False
        link = RemoteLink(int(self.next_id("remote")), issue.id, global_id, body)
        issue.remote_links[link.id] = link
        self._touch(issue, before)
        return link, True

    def delete_remote_link(self: Site, issue: Issue, link: RemoteLink) -> None:
        before = self._before(issue)
        del issue.remote_links[link.id]
        self._touch(issue, before)


__all__ = ["Relations"]
