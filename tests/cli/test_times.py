"""``--since``/``--until`` take the same forms in every command that has them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from fakes.connector import REMOTES
from fakes.remote import FakeRemote
from fakes.world import plugins_with_fake

from itsmhub import plugins as plugin_module
from itsmhub.cli import cli
from itsmhub.cli.context import iso
from itsmhub.cli.times import ALL, Moment, parse_when, resolve_range

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("90d", NOW - timedelta(days=90)),
        ("12h", NOW - timedelta(hours=12)),
        ("2w", NOW - timedelta(weeks=2)),
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-11-23T00:00:00Z", datetime(2026, 11, 23, tzinfo=UTC)),
        ("2026-11-23T02:00:00+02:00", datetime(2026, 11, 23, tzinfo=UTC)),
        ("2026-11-23T00:00:00", datetime(2026, 11, 23, tzinfo=UTC)),  # no offset: UTC
        ("2026-11-23 08:30:00", datetime(2026, 11, 23, 8, 30, tzinfo=UTC)),
    ],
)
def test_every_form_means_one_utc_moment(text: str, moment: datetime) -> None:
    assert parse_when(text).resolve(NOW) == moment


def test_the_form_status_prints_is_accepted() -> None:
    assert parse_when(iso(NOW)).resolve(NOW - timedelta(days=3)) == NOW


@pytest.mark.parametrize("text", ["soon", "90 days", "2026-13-01", "", "-3d"])
def test_other_text_is_refused_naming_the_forms(text: str) -> None:
    with pytest.raises(click.BadParameter, match=r"a duration .* a date .* a timestamp"):
        Moment().convert(text, None, None)


def test_all_only_where_it_is_allowed() -> None:
    assert Moment(allow_all=True).convert("all", None, None) is ALL
    with pytest.raises(click.BadParameter):
        Moment().convert("all", None, None)


def test_an_empty_range_is_a_usage_error() -> None:
    since, until = parse_when("2026-11-20"), parse_when("2026-11-01")
    with pytest.raises(click.BadParameter, match="is not after --since"):
        resolve_range(since, until, NOW)
    assert resolve_range(parse_when("7d"), None, NOW) == (NOW - timedelta(days=7), None)
    assert resolve_range(ALL, parse_when("1d"), NOW) == (None, NOW - timedelta(days=1))


@pytest.fixture
def fake_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, FakeRemote]]:
    monkeypatch.setattr(plugin_module, "_cached", plugins_with_fake())
    remote = REMOTES[f"{tmp_path}-desk"] = FakeRemote()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "itsmhub.db"}"\n'
        f'[connectors.desk]\ntype = "fake"\nremote = "{tmp_path}-desk"\n'
    )
    yield config, remote
    REMOTES.pop(f"{tmp_path}-desk", None)


def backfill(config: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--config", str(config), "backfill", "--connector", "desk", "--json", *args]
    )


@pytest.mark.parametrize(
    "since", ["90d", "2024-01-01", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00"]
)
def test_backfill_takes_every_form(fake_config: tuple[Path, FakeRemote], since: str) -> None:
    config, remote = fake_config
    remote.clock.set(datetime.now(UTC) - timedelta(days=30))  # inside 90d, after 2024
    remote.add("incident", title="history", status="closed")
    result = backfill(config, "--since", since)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["kinds"]["incident"]["seen"] == 1


def test_backfill_until_before_since_is_a_usage_error(fake_config: tuple[Path, FakeRemote]) -> None:
    config, _ = fake_config
    result = backfill(config, "--since", "2024-06-01", "--until", "2024-01-01")
    assert result.exit_code == 2
    assert "--until" in result.output and "is not after --since 2024-06-01" in result.output
    assert backfill(config, "--since", "all").exit_code == 2  # a backfill needs a start
