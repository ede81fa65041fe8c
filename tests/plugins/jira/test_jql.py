"""The JQL the connector sends: bounded, epoch-millisecond times, quoting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from itsmhub_jira import jql


def test_a_pull_query_is_bounded_by_project_type_and_epoch_ms() -> None:
    since = datetime(2026, 3, 2, 9, 0, 0, 123000, tzinfo=UTC)
    query = jql.changed(["OPS", "SUP"], ["Incident", "Problem"], since, since + timedelta(days=1))
    assert query == (
        'project in ("OPS", "SUP") AND issuetype in ("Incident", "Problem") AND '
        "updated >= 1772442000123 AND updated < 1772528400123 ORDER BY updated ASC, id ASC"
    )


def test_times_are_absolute_whatever_their_zone() -> None:
    berlin = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert jql.epoch_ms(berlin) == jql.epoch_ms(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="aware"):
        jql.epoch_ms(datetime(2026, 3, 2, 9, 0))


def test_values_are_quoted_and_escaped() -> None:
    assert jql.quote('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'
    assert jql.one_of("issuetype", ["Problem", "Problem"]) == 'issuetype = "Problem"'
    assert jql.labelled(["OPS"], "itsmhub-01J") == (
        'project = "OPS" AND labels = "itsmhub-01J" ORDER BY created ASC, id ASC'
    )
