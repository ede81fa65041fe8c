"""The emulated site's state and Jira's rules for changing it: keys and ids, ``updated``
stamps and the changelog, workflow transitions that set and clear the resolution, issue
links, remote links upserted by ``globalId``, entity properties, and the events admin
webhooks hear about."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from itsmhub.emulation import Controls

from .catalog import (
    CUSTOM_FIELDS,
    DEFAULT_PRIORITY,
    INCIDENT_WORKFLOW,
    LINK_TYPES,
    PROBLEM_WORKFLOW,
    RESOLUTIONS,
    SYSTEM_FIELDS,
    TASK_WORKFLOW,
    FieldSpec,
    LinkType,
)
from .index import SearchIndex
from .model import (
    Change,
    Comment,
    Issue,
    IssueLink,
    IssueType,
    Project,
    Transition,
    User,
    change_item,
)
from .relations import Relations
from .webhooks import Webhooks

#: How many comments a search result carries per issue before it cuts the thread (Jira
#: does not publish its cap; the connector reads the rest page by page either way).
SEARCH_COMMENT_LIMIT = 20


class SiteError(Exception):
    """A request Jira refuses: its status, ``errorMessages`` and ``errors`` by field."""

    def __init__(
        self, status: int, messages: Iterable[str] = (), errors: Mapping[str, str] | None = None
    ) -> None:
        super().__init__("; ".join([*messages, *(errors or {}).values()]))
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})


def account_id(name: str) -> str:
    """A stable, Atlassian-looking account id for a name (24 hex digits after a prefix)."""
    return "712020:" + hashlib.sha256(name.encode()).hexdigest()[:24]


class Site(Relations):
    """One emulated Jira Cloud site: people, projects, issues, links, webhooks."""

    def __init__(
        self,
        *,
        controls: Controls | None = None,
        api_email: str = "itsmhub@example.com",
        api_token: str = "jira-emulator-token",  # noqa: S107  (the emulator's own default)
        time_zone: str = "America/New_York",
        search_comment_limit: int = SEARCH_COMMENT_LIMIT,
    ) -> None:
        self.controls = controls or Controls()
        self.api_email = api_email
        self.api_token = api_token
        self.time_zone = time_zone
        """The API user's profile time zone: quoted JQL dates are read in it."""
        self.base_url = "https://your-domain.atlassian.net"
        """Where the site is reached (``self`` links): the app sets it from each request."""
        self.search_comment_limit = search_comment_limit
        self.webhooks = Webhooks(self)
        self.reset()

    def reset(self) -> None:
        """An empty site with the API user and the OPS service project."""
        self.users: dict[str, User] = {}
        self.projects: dict[str, Project] = {}
        self.issues: dict[str, Issue] = {}
        self.links: dict[str, IssueLink] = {}
        self._links_by_issue: dict[str, list[str]] = {}
        self.link_types: tuple[LinkType, ...] = LINK_TYPES
        self.fields: dict[str, FieldSpec] = {f.id: f for f in (*SYSTEM_FIELDS, *CUSTOM_FIELDS)}
        self.index = SearchIndex(self.issues)
        self.denied: set[str] = set()
        """Project permissions the API user lacks (``GET /mypermissions``)."""
        self._ids = {"issue": 10000, "comment": 10000, "link": 10000, "remote": 10000, "change": 1}
        self.controls.reset()
        self.webhooks.reset()
        self.api_user = self.add_user(
            "itsmhub integration", self.api_email, time_zone=self.time_zone
        )
        self.add_project("OPS", "IT Operations")

    def now(self) -> datetime:
        return self.controls.clock()

    def next_id(self, kind: str) -> str:
        self._ids[kind] += 1
        return str(self._ids[kind])

    # --- people and projects --------------------------------------------------------

    def add_user(
        self,
        display_name: str,
        email: str | None = None,
        *,
        email_visible: bool = True,
        time_zone: str = "UTC",
        account_type: str = "atlassian",
    ) -> User:
        user = User(
            account_id=account_id(email or display_name),
            display_name=display_name,
            email=email,
            email_visible=email_visible,
            time_zone=time_zone,
            account_type=account_type,
        )
        self.users[user.account_id] = user
        return user

    def user(self, who: str | User | None) -> User | None:
        """A user by account id, e-mail or display name."""
        if isinstance(who, User) or who is None:
            return who
        if who in self.users:
            return self.users[who]
        lowered = who.lower()
        for user in self.users.values():
            if lowered in ((user.email or "").lower(), user.display_name.lower()):
                return user
        return None

    def add_project(
        self,
        key: str,
        name: str,
        *,
        type_key: str = "service_desk",
        components: Iterable[str] = ("VPN", "Email", "SAP", "Printing", "Wi-Fi", "Laptops"),
    ) -> Project:
        if type_key == "service_desk":
            types = {
                "Incident": IssueType("10004", "Incident", INCIDENT_WORKFLOW),
                "Problem": IssueType("10005", "Problem", PROBLEM_WORKFLOW),
                "Service request": IssueType("10006", "Service request", INCIDENT_WORKFLOW),
            }
        else:
            types = {
                "Bug": IssueType("10001", "Bug", TASK_WORKFLOW),
                "Task": IssueType("10002", "Task", TASK_WORKFLOW),
            }
        project = Project(
            id=str(10000 + len(self.projects)),
            key=key,
            name=name,
            type_key=type_key,
            issue_types=types,
            components={c: str(10100 + n) for n, c in enumerate(components)},
        )
        self.projects[key] = project
        return project

    def project_of(self, value: Any) -> Project | None:
        """A project named by ``{"key": …}`` or ``{"id": …}`` (or a bare key)."""
        if isinstance(value, str):
            value = {"key": value}
        if not isinstance(value, dict):
            return None
        for project in self.projects.values():
            if value.get("key") == project.key or value.get("id") == project.id:
                return project
        return None

    def issue(self, id_or_key: str) -> Issue | None:
        """By id, or by key (case-insensitive, as Jira looks keys up)."""
        if id_or_key in self.issues:
            return self.issues[id_or_key]
        wanted = id_or_key.upper()
        return next((i for i in self.issues.values() if i.key == wanted), None)

    def issue_type_of(self, issue: Issue) -> IssueType:
        return self.projects[issue.project].issue_types[issue.issue_type]

    # --- issues ---------------------------------------------------------------------

    def create_issue(
        self,
        project: Project,
        issue_type: IssueType,
        values: Mapping[str, Any],
        *,
        actor: str,
        custom: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        when: datetime | None = None,
        status: str | None = None,
    ) -> Issue:
        """A new issue in its workflow's first status (or ``status``, for seeding)."""
        now = when or self.now()
        project.counter += 1
        issue = Issue(
            id=self.next_id("issue"),
            key=f"{project.key}-{project.counter}",
            project=project.key,
            number=project.counter,
            issue_type=issue_type.name,
            summary=str(values.get("summary", "")),
            status=status or issue_type.workflow.initial.name,
            created=now,
            updated=now,
            reporter=values.get("reporter", actor),
            creator=actor,
            description=values.get("description"),
            priority=values.get("priority") or DEFAULT_PRIORITY,
            labels=list(values.get("labels") or []),
            components=list(values.get("components") or []),
            assignee=values.get("assignee"),
            custom={k: v for k, v in (custom or {}).items() if v is not None},
            properties=dict(properties or {}),
        )
        self.issues[issue.id] = issue
        self.index.add(issue)
        self.index.written(None, issue.id, self.now(), self.controls.lag.seconds)
        self.webhooks.emit("jira:issue_created", issue, actor, type_name="issue_created")
        return issue

    def _touch(self, issue: Issue, before: Issue | None, when: datetime | None = None) -> None:
        """Stamp a write: ``updated`` moves, the index re-places the issue."""
        old = issue.sort_key
        issue.updated = max(when or self.now(), issue.updated)
        self.index.moved(old, issue)
        self.index.written(before, issue.id, self.now(), self.controls.lag.seconds)

    def _before(self, issue: Issue) -> Issue | None:
        """A copy of the issue as search still sees it (only kept while search lags)."""
        return self.index.snapshot(issue) if self.controls.lag.seconds > 0 else None

    def edit(
        self,
        issue: Issue,
        changes: Mapping[str, Any],
        *,
        actor: str,
        custom: Mapping[str, Any] | None = None,
        event: str = "jira:issue_updated",
    ) -> bool:
        """Apply stored values; a write that changes nothing is not saved (no new
        ``updated``, no changelog, no event). True if something changed."""
        before = self._before(issue)
        items: list[dict[str, str]] = []
        for name, value in changes.items():
            current = getattr(issue, name)
            if current != value:
                setattr(issue, name, value)
                items.append(change_item(name, current, value))
        for name, value in (custom or {}).items():
            current = issue.custom.get(name)
            if current != value:
                if value is None:
                    issue.custom.pop(name, None)
                else:
                    issue.custom[name] = value
                items.append(change_item(name, current, value))
        if "resolution" in changes:
            issue.resolution_date = self.now() if issue.resolution else None
        if not items:
            return False
        self._changed(issue, before, items, actor, event)
        return True

    def _changed(
        self,
        issue: Issue,
        before: Issue | None,
        items: list[dict[str, str]],
        actor: str,
        event: str,
    ) -> None:
        self._touch(issue, before)
        change = Change(id=self.next_id("change"), author=actor, created=issue.updated, items=items)
        issue.changelog.append(change)
        self.webhooks.emit(event, issue, actor, changelog=change, type_name="issue_updated")

    def transitions(self, issue: Issue) -> list[Transition]:
        workflow = self.issue_type_of(issue).workflow
        return [t for t in workflow.transitions if t.available_from(issue.status)]

    def transition(
        self, issue: Issue, transition_id: str, fields: Mapping[str, Any], *, actor: str
    ) -> None:
        """Move along the workflow: a done status gets the screen's resolution, leaving
        the done category clears it (a post-function in Jira's own workflows)."""
        found = next((t for t in self.transitions(issue) if t.id == transition_id), None)
        if found is None:
            raise SiteError(
                400,
                [f"Transition id '{transition_id}' is not valid for this issue."],
            )
        workflow = self.issue_type_of(issue).workflow
        target = workflow.status(found.to)
        assert target is not None
        changes: dict[str, Any] = {"status": target.name}
        resolution = fields.get("resolution") if isinstance(fields, Mapping) else None
        if "resolution" in found.screen:
            name = resolution.get("name") if isinstance(resolution, dict) else None
            if name not in RESOLUTIONS:
                raise SiteError(400, errors={"resolution": "Resolution is required."})
            changes["resolution"] = name
        elif target.category != "done":
            changes["resolution"] = None
        self.edit(issue, changes, actor=actor)

    # --- comments -------------------------------------------------------------------

    def add_comment(
        self,
        issue: Issue,
        body: dict[str, Any],
        *,
        author: str,
        internal: bool = False,
        visibility: dict[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        when: datetime | None = None,
    ) -> Comment:
        now = when or self.now()
        comment = Comment(
            id=self.next_id("comment"),
            issue_id=issue.id,
            body=body,
            author=author,
            created=now,
            updated=now,
            update_author=author,
            internal=internal,
            visibility=visibility,
            properties=dict(properties or {}),
        )
        before = self._before(issue)
        issue.comments.append(comment)
        self._touch(issue, before, when)
        self.webhooks.emit("comment_created", issue, author, comment=comment)
        return comment

    def update_comment(
        self,
        issue: Issue,
        comment: Comment,
        body: dict[str, Any],
        *,
        author: str,
        internal: bool | None = None,
        visibility: dict[str, Any] | None = None,
    ) -> Comment:
        before = self._before(issue)
        comment.body = body
        comment.updated = self.now()
        comment.update_author = author
        if internal is not None:
            comment.internal = internal
        if visibility is not None:
            comment.visibility = visibility or None
        self._touch(issue, before)
        self.webhooks.emit("comment_updated", issue, author, comment=comment)
        return comment


__all__ = ["SEARCH_COMMENT_LIMIT", "Site", "SiteError", "account_id"]
