"""The demo end to end: the four emulators on free loopback ports, config.example.toml
aimed at them, the whole story run; then what it printed, what the emulators hold, and
that the commands it prints read the store it left."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from itsmhub.cli import cli
from itsmhub.demo import Outcome, run_demo
from itsmhub.demo.setup import MARKER, fresh_store
from itsmhub.emulation import bind
from itsmhub.errors import ConfigError
from itsmhub_jira.adf import to_text

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"servicenow": 8701, "jira": 8702, "zendesk": 8703, "okta": 8704}
#: What the demo puts in its process's environment (each emulator's ready-made config).
SECRETS = ("SERVICENOW_PASSWORD", "JIRA_API_TOKEN", "ZENDESK_API_TOKEN", "OKTA_API_TOKEN")


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, str, Path]:
    """The demo, run once for the module on free ports, with its store in a temp folder."""
    folder = tmp_path_factory.mktemp("demo")
    sockets = {kind: bind("127.0.0.1", 0) for kind in PORTS}
    text = (ROOT / "config.example.toml").read_text()
    for kind, port in PORTS.items():
        text = text.replace(f"127.0.0.1:{port}", f"127.0.0.1:{sockets[kind].getsockname()[1]}")
    text = text.replace('"sqlite:///.demo/itsmhub.db"', f'"sqlite:///{folder}/.demo/itsmhub.db"')
    config = folder / "config.toml"
    config.write_text(text)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in SECRETS:  # set back after the module
            patch.setenv(name, "")
        outcome = run_demo(config, console=Console(file=out, width=200), sockets=sockets)
        yield outcome, out.getvalue(), config


def test_it_prints_the_links_the_problem_the_candidates_and_the_workaround(ran) -> None:
    outcome, printed, _ = ran
    assert outcome.problem == "PRB0040001"
    assert "The problem the rules opened in ServiceNow: PRB0040001" in printed
    assert re.search(r"Copied by the routing rule problems-everywhere to Jira OPS-\d+ and", printed)
    assert "in the hub only" not in printed.split("4. The problem")[1].split("Why:")[0]
    assert "4 incidents in 3 different weeks" in printed  # the steady recurrence fired
    # The onboarding told to two teams, linked through Okta's person and laptop.
    assert ("same-subject", "ServiceNow INC0010007", "Zendesk #8") in outcome.links
    assert ("ticket-references", "Jira OPS-3", "ServiceNow INC0010003") in outcome.links
    assert re.search(
        r"Outlook keeps asking for my password", printed.split("Problem candidates")[1]
    )
    # The workaround reached the open VPN incidents, one in each tool, then the new ticket.
    assert outcome.noted == ["ServiceNow INC0010005", "Jira OPS-5", "Zendesk #7"]
    assert f"A new Friday VPN report in Zendesk: #{outcome.new_ticket}" in printed
    assert re.search(r"internal\W+Known error PRB0040001: Recurring: VPN", printed)
    assert printed.count("again: itsmhub -c ") >= 6


def test_the_emulators_hold_the_problem_its_links_and_the_notes(ran) -> None:
    outcome, _, _ = ran
    world, workaround = outcome.world, "backup gateway vpn2.acme.example"
    [problem] = world.servicenow.rows("problem")
    assert problem["known_error"] == "true" and workaround in problem["workaround"]
    assert problem["correlation_id"].startswith("itsmhub-"), "created through the outbox"
    vpn = {
        row["number"]: row["problem_id"]
        for row in world.servicenow.rows("incident")
        if "VPN" in row["short_description"]
    }
    assert vpn == {"INC0010002": problem["sys_id"], "INC0010005": problem["sys_id"]}
    # Routed to the other two tools, with each incident linked there to the copy.
    [zproblem] = [t for t in world.zendesk.account.tickets.values() if t.type == "problem"]
    linked = {t.id for t in world.zendesk.account.tickets.values() if t.problem_id == zproblem.id}
    assert linked == {2, 5, 7, outcome.new_ticket}
    [jproblem] = [i for i in world.jira.issues.values() if i.issue_type == "Problem"]
    keys = {i.id: i.key for i in world.jira.issues.values()}
    ends = [{k.inward_id, k.outward_id} for k in world.jira.links.values()]
    assert {keys[(e - {jproblem.id}).pop()] for e in ends if jproblem.id in e} == {"OPS-2", "OPS-5"}
    notes = [r["value"] for r in world.servicenow.journal("incident", _sys_id(world, "INC0010005"))]
    assert [n for n in notes if workaround in n], notes
    [ops5] = [i for i in world.jira.issues.values() if i.key == "OPS-5"]
    assert [c for c in ops5.comments if workaround in to_text(c.body) and c.internal]
    comments = world.zendesk.account.comments[outcome.new_ticket]
    noted = [c for c in comments if workaround in c.body]
    assert len(noted) == 1 and not noted[0].public, "once, as an internal note"
    assert [c.public for c in outcome.new_ticket_comments] == [True, False]


def test_the_commands_it_prints_read_the_store_it_left(ran) -> None:
    outcome, printed, config = ran
    shown = re.findall(r"again: itsmhub -c \S+ (.+)", printed)
    assert f"records show servicenow:{outcome.problem}" in shown
    for command in shown:
        if command.startswith("backfill"):
            continue  # reads the tools, which the demo has stopped
        result = CliRunner().invoke(cli, ["--config", str(config), *command.split()])
        assert result.exit_code == 0, (command, result.output)
    last = CliRunner().invoke(cli, ["--config", str(config), *shown[-1].split()])
    assert shown[-1] == f"records show zendesk:{outcome.new_ticket}"
    assert "caused_by" in last.output and "rule:workaround-feedback" in last.output


def test_the_example_config_checks_clean_with_the_demo_secrets(ran, monkeypatch) -> None:
    for name in SECRETS:
        monkeypatch.setenv(name, "from-the-demo")
    result = CliRunner().invoke(cli, ["config", "check", str(ROOT / "config.example.toml")])
    assert result.exit_code == 0, result.output


def test_the_demo_empties_only_a_store_it_made(tmp_path: Path, installed_plugins) -> None:
    from itsmhub.config import load_config

    theirs = tmp_path / "config.toml"
    theirs.write_text('[store]\nurl = "sqlite:///prod/itsmhub.db"\n')
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "itsmhub.db").write_text("precious")
    with pytest.raises(ConfigError, match="did not make it"):
        fresh_store(load_config(theirs, installed_plugins))
    assert (tmp_path / "prod" / "itsmhub.db").read_text() == "precious"
    (tmp_path / "prod" / MARKER).write_text("")
    fresh_store(load_config(theirs, installed_plugins))
    assert not (tmp_path / "prod" / "itsmhub.db").exists()


def _sys_id(world, number: str) -> str:
    return next(r["sys_id"] for r in world.servicenow.rows("incident") if r["number"] == number)


def test_explain_says_which_known_error_the_new_ticket_matched(ran) -> None:
    outcome, _, config = ran
    ticket = f"zendesk:{outcome.new_ticket}"
    result = CliRunner().invoke(
        cli, ["--config", str(config), "rules", "explain", ticket, "--json"]
    )
    assert result.exit_code == 0, result.output
    tests = {
        t["test"]: t["held"] for t in json.loads(result.output)["rules"]["workaround-feedback"]
    }
    assert tests == {
        "kind is one of ['incident']": True,
        "the incident is open": True,
        "opened within 30 days": True,
        "similar to known error PRB0040001 (1.00)": True,
    }
