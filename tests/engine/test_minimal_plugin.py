"""The minimal plugin of docs/writing-a-plugin.md, run as written: a read-only connector
(no create) and an enricher, loaded from an entry point, through real sync cycles
against a small desk API served on 127.0.0.1."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from itsmhub import plugins as plugin_module
from itsmhub.cli import cli
from itsmhub.plugins import load_plugins
from itsmhub.testing import serve

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-a-plugin.md"


def documented_plugin() -> str:
    """The one Python block of the guide that is a whole plugin module."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    [plugin] = [b for b in blocks if b.startswith("# itsmhub_legacydesk/plugin.py")]
    return plugin


class Desk:
    """The in-house desk of the guide: tickets changed since a time, oldest first, two
    a page; and its staff list. It counts the staff look-ups it answers."""

    def __init__(self) -> None:
        self.tickets: list[dict[str, Any]] = []
        self.staff = {
            "ana@example.com": {"department": "Finance", "job_title": "Controller"},
            "bo@example.com": {"department": "Sales", "job_title": "Account manager"},
        }
        self.staff_lookups = 0

    def file(self, subject: str, requester: str, at: str, **extra: Any) -> dict[str, Any]:
        ticket = {"id": len(self.tickets) + 1, "subject": subject, "body": "", "state": "open"}
        ticket |= {"requester": requester, "updated_at": at, **extra}
        self.tickets.append(ticket)
        return ticket

    async def tickets_page(self, request: Request) -> JSONResponse:
        since = request.query_params.get("updated_since") or ""
        page = int(request.query_params["page"])
        changed = sorted(
            (t for t in self.tickets if t["updated_at"] >= since), key=lambda t: t["updated_at"]
        )
        shown = changed[(page - 1) * 2 : page * 2]
        more = len(changed) > page * 2
        return JSONResponse({"tickets": shown, "next_page": str(page + 1) if more else None})

    async def staff_list(self, request: Request) -> JSONResponse:
        self.staff_lookups += 1
        emails = request.query_params["emails"].split(",")
        people = [{"email": e, **self.staff[e]} for e in emails if e in self.staff]
        return JSONResponse({"people": people})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/tickets", self.tickets_page),
                Route("/api/staff", self.staff_list),
            ]
        )


@pytest.fixture
def desk_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_entry_point
) -> Iterator[tuple[Path, Desk]]:
    point = make_entry_point("legacydesk", documented_plugin())
    plugins = load_plugins(environ={}, discovered=[point])
    assert not plugins.broken, plugins.broken
    monkeypatch.setattr(plugin_module, "_cached", plugins)
    desk = Desk()
    with serve(desk.app()) as url:
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[store]
url = "sqlite:///{tmp_path / "itsmhub.db"}"
[http]
allow_private_networks = true
[connectors.desk]
type = "legacydesk"
url = "{url}"
"""
        )
        yield config, desk


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def shown(config: Path, ref: str) -> dict[str, Any]:
    result = run(config, "records", "show", ref, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_guide_s_plugin_syncs_and_enriches_through_real_cycles(desk_config) -> None:
    config, desk = desk_config
    assert run(config, "config", "check").exit_code == 0
    listed = run(config, "plugins", "--json")
    assert listed.exit_code == 0, listed.output
    assert "legacydesk-staff" in listed.output
    desk.file("VPN drops every Friday", "ana@example.com", "2026-11-27T09:00:00+00:00")
    desk.file("Printer jam on 3rd floor", "bo@example.com", "2026-11-27T10:00:00+00:00")
    desk.file("Badge reader dead", "cy@example.com", "2026-11-27T11:00:00+00:00")
    desk.file("Broken payload", "ana@example.com", "2026-11-27T12:00:00+00:00", state="??")

    first = run(config, "sync", "--once", "--json")
    assert first.exit_code == 0, first.output

    vpn = shown(config, "desk:1")
    assert vpn["title"] == "VPN drops every Friday"
    assert vpn["status"] == "in_progress"
    assert vpn["fields"]["enrichment"]["department"] == "Finance"
    assert vpn["fields"]["enrichment"]["title"] == "Controller"
    assert shown(config, "desk:2")["fields"]["enrichment"]["department"] == "Sales"
    # Nobody in the staff list: synced, not enriched.
    assert shown(config, "desk:3")["fields"]["enrichment"]["department"] is None
    # The unreadable ticket is dead-lettered with its reason; the others synced.
    dead = run(config, "dlq", "list", "--json")
    assert dead.exit_code == 0, dead.output
    [letter] = json.loads(dead.output)["dead_letters"]
    assert letter["record_key"].endswith("4") and "??" in letter["reason"]
    assert desk.staff_lookups == 1  # one batch for the three readable tickets

    # An edit at the desk comes through the cursor; enrichment follows it, and the
    # read-only connector is never asked to write (it has nothing queued).
    desk.tickets[0] |= {"state": "done", "updated_at": "2026-11-28T08:00:00+00:00"}
    second = run(config, "sync", "--once", "--json")
    assert second.exit_code == 0, second.output
    assert shown(config, "desk:1")["status"] == "resolved"
    outbox = run(config, "outbox", "list", "--json")
    assert outbox.exit_code == 0, outbox.output
    assert json.loads(outbox.output)["items"] == []


def test_a_rule_that_would_route_copies_into_it_is_refused(desk_config) -> None:
    config, _ = desk_config
    config.write_text(
        config.read_text()
        + """
[rules.copy-to-desk]
type = "routing"
from = "desk"
to = ["desk"]
kinds = ["incident"]
"""
    )
    result = run(config, "config", "check", "--json")
    assert result.exit_code == 2, result.output
    paths = {e["path"] for e in json.loads(result.output)["errors"]}
    assert any(p.startswith("rules.copy-to-desk") for p in paths), paths
