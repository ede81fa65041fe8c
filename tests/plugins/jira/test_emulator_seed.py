"""Seeding: deterministic demo data dated relative to today, a programmatic API for
stories, and the emulator as ``itsmhub emulate jira`` builds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from itsmhub_jira.emulator import JiraEmulator, Site, add_comment, add_issue, link_issues, seed_site
from itsmhub_jira.settings import JiraSettings


def test_the_same_seed_gives_the_same_site(site: Site) -> None:
    other = Site(controls=site.controls)
    seed_site(site, 3, incidents=30)
    seed_site(other, 3, incidents=30)
    shape = [(i.key, i.summary, i.status, i.updated, len(i.comments)) for i in site.issues.values()]
    assert shape == [
        (i.key, i.summary, i.status, i.updated, len(i.comments)) for i in other.issues.values()
    ]
    kinds = {i.issue_type for i in site.issues.values()}
    assert kinds == {"Incident", "Problem"} and len(site.issues) == 33
    now = site.now()
    assert all(
        now - timedelta(days=67) < i.created <= i.updated < now for i in site.issues.values()
    )
    assert site.links and any(c.internal for i in site.issues.values() for c in i.comments)


def test_a_story_is_seeded_as_it_happened(site: Site) -> None:
    """The demo's recurring VPN failure: Friday mornings, one reporter by e-mail."""
    friday = datetime(2026, 2, 6, 9, 15, tzinfo=UTC)
    problem = add_issue(
        site,
        summary="VPN gateway drops sessions",
        issue_type="Problem",
        status="Under investigation",
        components=["VPN"],
    )
    for week in range(3):
        when = friday + timedelta(weeks=week)
        incident = add_issue(
            site,
            summary="VPN down again",
            reporter="grace.hopper@example.com",
            created=when,
            updated=when + timedelta(hours=2),
            components=["VPN"],
            priority="High",
        )
        add_comment(
            site,
            incident,
            "Reconnecting does not help",
            author="grace.hopper@example.com",
            created=when + timedelta(minutes=5),
        )
        link_issues(site, incident, problem)
    grace = site.user("grace.hopper@example.com")
    assert grace is not None and grace.account_type == "customer"
    fridays = [i for i in site.issues.values() if i.issue_type == "Incident"]
    assert {i.created.weekday() for i in fridays} == {4}
    assert all(i.reporter == grace.account_id for i in fridays)
    assert len(site.links_of(problem)) == 3
    with pytest.raises(ValueError, match="no status 'Done'"):
        add_issue(site, summary="x", status="Done")


@pytest.mark.anyio
async def test_the_registered_emulator_serves_its_printed_config() -> None:
    emulator = JiraEmulator(incidents=5)
    app = emulator.app(seed=1, credentials={"api_token": "other-token"})
    config = emulator.connector_config("http://127.0.0.1:8080", {"api_token": "other-token"})
    settings = JiraSettings.model_validate(config.settings, context={"config_dir": "."})
    assert settings.custom_domain and settings.projects == ["OPS"]
    assert config.environment["JIRA_API_TOKEN"] == "other-token"
    auth = httpx.BasicAuth(settings.email, config.environment["JIRA_API_TOKEN"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080", auth=auth
    ) as client:
        state = (await client.get("/_emulator/state")).json()
        assert state["issues"] == 5 + 1 and state["projects"] == ["OPS"]
        assert (await client.get("/rest/api/3/myself")).status_code == 200
        await client.post("/_emulator/reset", json={"seed": 2, "incidents": 10})
        assert (await client.get("/_emulator/state")).json()["issues"] == 11
    with pytest.raises(ValueError, match="unknown credential"):
        emulator.app(credentials={"password": "x"})
