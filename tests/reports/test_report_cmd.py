"""``itsmhub report``: parse, compute over the store, print table, JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner, Result
from fakes.configs import TWO_TOOLS
from reports.history import UNTIL, seed

from itsmhub.cli import cli, report_cmd
from itsmhub.store import Store

PERIOD = ["--since", "2026-03-02", "--until", "2026-03-16T00:00:00Z"]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'itsmhub.db'}"
    path = tmp_path / "config.toml"
    path.write_text(TWO_TOOLS.format(url=url))
    monkeypatch.setattr(report_cmd, "now", lambda: UNTIL)

    async def fill() -> None:
        async with await Store.open(url) as store:
            await seed(store)

    anyio.run(fill)
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "report", *args])


def test_json_holds_every_figure_with_how_and_systems(config: Path) -> None:
    result = run(config, *PERIOD, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    volume = next(f for f in data["overall"]["incidents"] if f["key"] == "volume")
    assert volume["value"] == 5
    assert volume["systems"] == ["jira", "servicenow", "zendesk"]
    assert "one per hub record" in volume["how"]
    assert data["since"] == "2026-03-02T00:00:00Z"


def test_csv_has_a_row_per_figure_and_per_week(config: Path) -> None:
    result = run(config, *PERIOD, "--format", "csv", "--by", "service")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    mttr = {r["group"]: r["value"] for r in rows if r["key"] == "mttr_median"}
    # 8h overall, 10h for vpn (see test_metrics).
    assert mttr["(all)"] == "28800"
    assert mttr["vpn"] == "36000"
    week = [r for r in rows if r["side"] == "trend" and r["group"] == "vpn"]
    assert [r["value"] for r in week] == ["2", "1"]


def test_table_and_html(config: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = run(config, "--since", "14d", "--by", "category", "--html", str(page))
    assert result.exit_code == 0, result.output
    assert "MTTR (median)" in result.output
    assert "8h" in result.output
    assert "network" in result.output
    html = page.read_text()
    assert 'id="chart-trend"' in html
    assert "Plotly.newPlot" in html
    assert "<script src=" not in html  # nothing to fetch: the library is inlined


def test_bad_period_is_a_usage_error(config: Path) -> None:
    result = run(config, "--since", "yesterday")
    assert result.exit_code == 2
    assert "expected a duration" in result.output
    result = run(config, "--since", "2026-03-16", "--until", "2026-03-02")
    assert result.exit_code == 2
    assert "must be before" in result.output


def test_no_store_yet(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(TWO_TOOLS.format(url=f"sqlite:///{tmp_path / 'none.db'}"))
    result = run(path)
    assert result.exit_code == 1
    assert "nothing has been synced" in result.output
