"""Seeding: a programmatic API for stories (an issue with given dates, people and
comments), and deterministic realistic data dated relative to the site's today."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..adf import to_adf
from .catalog import CUSTOM_FIELDS, DEFAULT_PRIORITY, PRIORITIES
from .model import Comment, Issue, IssueLink, User
from .state import Site

#: How far back seeded history reaches: issues open over 60 days and change for up to 5.
HISTORY = timedelta(days=66)
AGENTS = (
    ("Abel Tuter", "abel.tuter@example.com"),
    ("Beth Anglin", "beth.anglin@example.com"),
    ("David Loo", "david.loo@example.com"),
    ("Fred Luddy", "fred.luddy@example.com"),
)
CUSTOMERS = (
    ("Bud Richman", "bud.richman@example.com"),
    ("Charlie Whitherspoon", "charlie.whitherspoon@example.com"),
    ("Don Goodliffe", "don.goodliffe@example.com"),
    ("Grace Hopper", "grace.hopper@example.com"),
)
TOPICS = (
    ("VPN", "Network", ("VPN drops every few minutes", "Cannot connect to VPN from home")),
    ("Email", "Software", ("Outlook keeps asking for password", "Emails stuck in outbox")),
    ("Printing", "Hardware", ("Printer on floor 3 jams", "Cannot print to PRN-0421")),
    ("SAP", "SAP Basis", ("SAP GUI times out on login", "SAP report ZFI_01 is slow")),
    ("Wi-Fi", "Network", ("Guest Wi-Fi portal unreachable", "Wi-Fi weak in meeting room B")),
    ("Laptops", "Hardware", ("Laptop battery swells", "Docking station not detected")),
)
INCIDENT_STATUSES = (
    "Open",
    "Open",
    "Work in progress",
    "Work in progress",
    "Pending",
    "Completed",
    "Closed",
)
PROBLEM_STATUSES = ("Open", "Under investigation", "Under review", "Completed")
NOTES = (
    "Asked the user to restart and retry.",
    "Checked the logs, nothing obvious yet.",
    "Escalating to the second line.",
    "Workaround shared with the reporter.",
    "Vendor ticket opened.",
)
WORKAROUNDS = (
    "Restart the client and sign in again.",
    "Use the web version until the fix is deployed.",
    "Route the job through the secondary node.",
)
ROOT_CAUSE, WORKAROUND, SUPPORT_GROUP = (f.id for f in CUSTOM_FIELDS[:3])


def add_issue(
    site: Site,
    *,
    summary: str,
    project: str = "OPS",
    issue_type: str = "Incident",
    description: str = "",
    reporter: str | User | None = None,
    assignee: str | User | None = None,
    created: datetime | None = None,
    updated: datetime | None = None,
    status: str | None = None,
    priority: str = DEFAULT_PRIORITY,
    labels: Iterable[str] = (),
    components: Iterable[str] = (),
    custom: Mapping[str, Any] | None = None,
    resolution: str | None = None,
    index: bool = True,
) -> Issue:
    """An issue as a person made it: people by e-mail, name or account id (created if
    unknown), dates as given (default now), text as plain text (stored as ADF)."""
    owner = site.projects[project]
    kind = owner.issue_types[issue_type]
    when = created or site.now()
    state = kind.workflow.status(status) if status else kind.workflow.initial
    if state is None:
        raise ValueError(f"{issue_type} issues have no status {status!r}")
    owner.counter += 1
    issue = Issue(
        id=site.next_id("issue"),
        key=f"{project}-{owner.counter}",
        project=project,
        number=owner.counter,
        issue_type=kind.name,
        summary=summary,
        status=state.name,
        created=when,
        updated=max(updated or when, when),
        reporter=_person(site, reporter).account_id if reporter else site.api_user.account_id,
        creator=site.api_user.account_id,
        description=to_adf(description) if description else None,
        priority=priority if priority in PRIORITIES else DEFAULT_PRIORITY,
        labels=list(dict.fromkeys(labels)),
        components=[c for c in components if c in owner.components],
        assignee=_person(site, assignee).account_id if assignee else None,
        resolution=resolution or ("Done" if state.category == "done" else None),
        resolution_date=(updated or when) if state.category == "done" else None,
        custom={k: v for k, v in (custom or {}).items() if v is not None},
    )
    site.issues[issue.id] = issue
    if index:
        site.index.add(issue)
    return issue


def add_comment(
    site: Site,
    issue: Issue,
    body: str,
    *,
    author: str | User | None = None,
    created: datetime | None = None,
    internal: bool = False,
) -> Comment:
    """A comment as a person wrote it; it does not move the issue's ``updated``."""
    when = created or site.now()
    who = _person(site, author).account_id if author else site.api_user.account_id
    comment = Comment(
        id=site.next_id("comment"),
        issue_id=issue.id,
        body=to_adf(body),
        author=who,
        created=when,
        updated=when,
        update_author=who,
        internal=internal,
    )
    issue.comments.append(comment)
    return comment


def link_issues(
    site: Site, incident: Issue, problem: Issue, type_name: str = "Problem/Incident"
) -> None:
    """``problem`` causes ``incident`` (or the given type's outward → inward)."""
    kind = next(t for t in site.link_types if t.name == type_name)
    site.add_link(IssueLink(site.next_id("link"), kind.id, incident.id, problem.id))


def _person(site: Site, who: str | User) -> User:
    found = site.user(who)
    if found is not None:
        return found
    name = str(who)
    if "@" in name:
        display = name.split("@")[0].replace(".", " ").title()
        return site.add_user(display, name, account_type="customer")
    return site.add_user(name)


def seed_site(
    site: Site,
    seed: int,
    *,
    incidents: int = 50,
    problems: int | None = None,
    comments: bool = True,
) -> None:
    """Agents and customers, problems (one per ten incidents unless told; some are known
    errors), incidents linked to them, comments and internal notes; dated over the last
    ~66 days of the site's clock. The same seed gives the same data on the same day."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = site.now().astimezone(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    epoch = today - HISTORY
    agents = [site.add_user(n, e) for n, e in AGENTS]
    customers = [
        site.add_user(n, e, email_visible=i % 2 == 0, account_type="customer")
        for i, (n, e) in enumerate(CUSTOMERS)
    ]
    count = max(1, incidents // 10) if problems is None else problems
    made = [_problem(site, rng, epoch, agents) for _ in range(count)]
    for _ in range(incidents):
        incident = _incident(site, rng, epoch, agents, customers)
        if made and rng.random() < 0.3:
            link_issues(site, incident, rng.choice(made))
        if comments:
            for n in range(rng.randint(0, 3)):
                when = incident.created + timedelta(minutes=n + 1)
                add_comment(
                    site,
                    incident,
                    rng.choice(NOTES),
                    author=rng.choice(agents),
                    created=min(when, incident.updated),
                    internal=rng.random() < 0.5,
                )
    site.index.rebuild()


def _dates(rng: random.Random, epoch: datetime) -> tuple[datetime, datetime]:
    created = epoch + timedelta(
        minutes=rng.randint(0, 60 * 24 * 60), milliseconds=rng.randint(0, 999)
    )
    return created, created + timedelta(minutes=rng.randint(0, 60 * 24 * 5))


def _problem(site: Site, rng: random.Random, epoch: datetime, agents: list[User]) -> Issue:
    topic, group, texts = rng.choice(TOPICS)
    created, updated = _dates(rng, epoch)
    status = rng.choice(PROBLEM_STATUSES)
    known = status in ("Under review", "Completed") and rng.random() < 0.7
    custom: dict[str, Any] = {SUPPORT_GROUP: _option(group)}
    if status != "Open":
        custom[ROOT_CAUSE] = to_adf(f"{topic}: configuration drift on the gateway.")
    if known:
        custom[WORKAROUND] = to_adf(rng.choice(WORKAROUNDS))
    return add_issue(
        site,
        summary=f"Recurring: {rng.choice(texts)}",
        issue_type="Problem",
        description=f"{topic} incidents keep coming back; see the linked incidents.",
        reporter=rng.choice(agents),
        assignee=rng.choice(agents),
        created=created,
        updated=updated,
        status=status,
        priority=rng.choice(list(PRIORITIES)),
        labels=["known-error"] if known else [],
        components=[topic],
        custom=custom,
        index=False,
    )


def _incident(
    site: Site, rng: random.Random, epoch: datetime, agents: list[User], customers: list[User]
) -> Issue:
    topic, group, texts = rng.choice(TOPICS)
    created, updated = _dates(rng, epoch)
    status = rng.choice(INCIDENT_STATUSES)
    return add_issue(
        site,
        summary=rng.choice(texts),
        description=f"{topic}: reported by a user.\n\n- since this morning\n- affects the team",
        reporter=rng.choice(customers),
        assignee=rng.choice(agents) if status != "Open" else None,
        created=created,
        updated=updated,
        status=status,
        priority=rng.choice(list(PRIORITIES)),
        components=[topic],
        custom={SUPPORT_GROUP: _option(group)},
        index=False,
    )


def _option(value: str) -> dict[str, str]:
    return next(f for f in CUSTOM_FIELDS if f.id == SUPPORT_GROUP).option(value)


__all__ = ["HISTORY", "add_comment", "add_issue", "link_issues", "seed_site"]
