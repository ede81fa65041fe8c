"""The CLI as an admin meets it: clear messages, exit codes, --json, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import itsmhub
from itsmhub.cli import cli

EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "config.example.toml"

COMMANDS = [[], ["plugins"], ["config"], ["config", "check"], ["init"]]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert itsmhub.__version__ in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "itsmhub")
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    assert run("sink").exit_code == 2


def test_plugins_lists_the_four_in_tree_plugins() -> None:
    result = run("plugins")
    assert result.exit_code == 0, result.output
    for name in ("jira", "servicenow", "zendesk", "okta"):
        assert name in result.output


def test_plugins_json() -> None:
    result = run("plugins", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    kinds = {c["kind"] for p in report["plugins"] for c in p["connectors"]}
    assert kinds == {"jira", "servicenow", "zendesk", "okta"}
    assert report["broken"] == [] and report["conflicts"] == []
    builtin = json.loads(run("plugins", "--all", "--json").output)
    assert any(p["builtin"] and "recurrence" in p["rule_types"] for p in builtin["plugins"])


def test_plugins_reports_a_broken_plugin_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from itsmhub import plugins as plugin_module

    broken = EntryPoint(name="broken-one", value="no_such_module_here", group="itsmhub")
    monkeypatch.setattr(
        plugin_module, "_cached", plugin_module.load_plugins(environ={}, discovered=[broken])
    )
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 1
    assert "broken-one" in result.output and "import failed" in result.output


def test_example_config_checks_clean() -> None:
    result = run("config", "check", str(EXAMPLE_CONFIG), "--no-secrets")
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_config_check_json_summary() -> None:
    result = run("config", "check", str(EXAMPLE_CONFIG), "--no-secrets", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["ok"] is True
    assert {c["type"] for c in summary["connectors"]} == {"jira", "servicenow", "zendesk", "okta"}


def test_missing_config_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["config", "check", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "itsmhub init" in result.output
    assert "Traceback" not in result.output


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[store]\nurl = "sqlite:///x.db"\n[connectors.jira\n')
    result = CliRunner().invoke(cli, ["config", "check", str(bad)])
    assert result.exit_code == 2
    assert "not valid TOML" in result.output and "line 3" in result.output
    assert "Traceback" not in result.output


def test_config_errors_as_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[sync]\ninterval = "soon"\n')
    result = CliRunner().invoke(cli, ["config", "check", str(bad), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["ok"] is False
    [error] = report["errors"]
    assert error["path"] == "sync.interval" and error["value"] == "'soon'"


def test_config_option_and_env_choose_the_file(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text("")
    assert run("--config", str(config), "config", "check").exit_code == 0
    assert run("config", "check", env={"ITSMHUB_CONFIG": str(config)}).exit_code == 0


def test_init_writes_the_example_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    first = run("init", str(target))
    assert first.exit_code == 0
    assert target.read_text() == EXAMPLE_CONFIG.read_text()
    target.write_text("# mine\n")
    second = CliRunner().invoke(cli, ["init", str(target)])
    assert second.exit_code == 1
    assert "already exists" in second.output
    assert target.read_text() == "# mine\n"


def test_init_output_checks_clean(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    run("init", str(target))
    result = run("config", "check", str(target), "--no-secrets")
    assert result.exit_code == 0, result.output


def test_unresolved_secrets_warn_and_strict_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SERVICENOW_PASSWORD", raising=False)
    lenient = CliRunner().invoke(cli, ["config", "check", str(EXAMPLE_CONFIG)])
    assert lenient.exit_code == 0
    assert "warning: connectors.servicenow.auth.password" in lenient.output
    assert "environment variable SERVICENOW_PASSWORD" in lenient.output
    strict = CliRunner().invoke(cli, ["config", "check", str(EXAMPLE_CONFIG), "--strict"])
    assert strict.exit_code == 2
    assert "connectors.servicenow.auth.password" in strict.output


def test_secret_values_never_reach_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = "canary-cli-0b5e-secret"
    for name in ("JIRA_API_TOKEN", "SERVICENOW_PASSWORD", "ZENDESK_API_TOKEN", "OKTA_API_TOKEN"):
        monkeypatch.setenv(name, canary)
    key = tmp_path / "okta.pem"
    key.write_text(canary)
    config = tmp_path / "config.toml"
    # Every connector enabled (as they will be once they can pull): their secrets resolve.
    text = EXAMPLE_CONFIG.read_text().replace("enabled = false\n", "")
    config.write_text(text.replace("/run/secrets/okta_private_key.pem", str(key)))
    for args in (
        ["config", "check", str(config), "--strict"],
        ["config", "check", str(config), "--strict", "--json"],
    ):
        result = CliRunner().invoke(cli, args)
        assert canary not in result.output
        assert "warning:" not in result.output
        assert "resolved to nothing" not in result.output
