"""The emulator's JQL: fields, operators, precedence, ordering, and times read as Jira
reads them (epoch ms absolute; quoted dates in the user's zone, to the minute)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from itsmhub_jira.emulator import Site, add_issue
from itsmhub_jira.emulator.jql import Context, JqlError, parse, sort_key

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def issues(site: Site):
    site.add_project("SUP", "Support")
    made = [
        add_issue(
            site,
            summary="VPN down",
            created=datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC),
            labels=["vpn", "itsmhub-01A"],
        ),
        add_issue(
            site,
            summary="Mail slow",
            created=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            issue_type="Problem",
            status="Under investigation",
        ),
        add_issue(site, summary="Printer", project="SUP", created=datetime(2026, 3, 1, tzinfo=UTC)),
    ]
    return made


def matching(site: Site, jql: str, time_zone: str = "UTC") -> list[str]:
    context = Context(now=NOW, time_zone=time_zone, project_names={"OPS": ("10000", "IT Ops")})
    query = parse(jql, context)
    found = [i for i in site.issues.values() if query.where is None or query.where(i)]
    return [i.key for i in sorted(found, key=sort_key(query.order))]


def test_fields_operators_and_precedence(site: Site, issues) -> None:
    assert matching(site, 'project = OPS AND labels = "vpn"') == ["OPS-1"]
    assert matching(site, "project in (OPS, SUP) ORDER BY key ASC") == ["OPS-1", "OPS-2", "SUP-1"]
    either = 'issuetype = Problem OR status = "Open" AND project = SUP ORDER BY key'
    assert matching(site, either) == ["OPS-2", "SUP-1"]
    assert matching(site, "(issuetype = Problem OR project = SUP) AND NOT labels is EMPTY") == []
    assert matching(site, "project = ops AND labels IS EMPTY ORDER BY created DESC") == ["OPS-2"]
    assert matching(site, "key = ops-2 OR id = 10001 ORDER BY key") == ["OPS-1", "OPS-2"]
    assert matching(site, 'summary ~ "vpn" AND labels NOT IN (mail)') == ["OPS-1"]
    assert matching(site, 'project = "IT Ops" AND key > OPS-1') == ["OPS-2"]


def test_epoch_ms_is_absolute_and_quoted_dates_are_local_minutes(site: Site, issues) -> None:
    nine = int(datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp() * 1000)
    assert matching(site, f"updated >= {nine} ORDER BY updated") == ["OPS-1", "OPS-2"]
    assert matching(site, f"updated > {nine + 30_000}") == ["OPS-2"]
    # "09:00" in New York is 14:00 UTC: a UTC-formatted bound there asks for the future.
    assert matching(site, 'updated >= "2026/03/02 09:00"', "America/New_York") == []
    assert matching(site, 'updated >= "2026-03-02 09:00" ORDER BY key') == ["OPS-1", "OPS-2"]
    assert matching(site, 'created < "2026/03/02"') == ["SUP-1"]
    assert matching(site, "updated >= -4h ORDER BY updated") == ["OPS-1", "OPS-2"]
    assert matching(site, "updated <= now() AND created >= -2d ORDER BY key") == [
        "OPS-1",
        "OPS-2",
        "SUP-1",
    ]


def test_the_index_range_comes_from_the_top_level_and_only() -> None:
    context = Context(now=NOW)
    query = parse("project = OPS AND updated >= 1000000000000 AND updated < 2000000000000", context)
    assert (query.updated_from, query.updated_to) == (1000000000000, 2000000000000)
    either = parse("updated >= 1000000000000 OR project = OPS", context)
    assert either.updated_from is None
    assert parse("ORDER BY updated", context).bounded is False


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("projet = OPS", "Field 'projet' does not exist"),
        ('updated >= "2026-03-02 09:00:30"', "Date value '2026-03-02 09:00:30'"),
        ("project = OPS ORDER BY summary", "Not able to sort using field 'summary'"),
        ("project = OPS AND", "ends unexpectedly"),
        ("project = OPS OPS", "expecting either 'OR' or 'AND'"),
        ("labels ~ x", "operator '~' is not supported"),
        ("updated > startOfDay()", "Unable to find JQL function 'startOfDay()'"),
        ("project = OPS;", "reserved JQL character"),
    ],
)
def test_mistakes_are_refused_in_jiras_words(jql: str, message: str) -> None:
    with pytest.raises(JqlError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(jql, Context(now=NOW))
