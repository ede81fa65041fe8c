"""config.toml validation: every mistake at once, at its key path, with the fix."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from itsmhub import ConfigError
from itsmhub.config import Config, ConfigInvalid, ConfigIssue, load_config
from itsmhub.plugins import Plugins

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"

JIRA = """
[connectors.jira]
type = "jira"
site_url = "https://acme.atlassian.net"
email = "itsmhub@acme.example"
api_token = "env:ITSMHUB_TEST_JIRA_TOKEN"
projects = ["OPS"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text))
    return path


def issues_of(path: Path, plugins: Plugins, *, secrets: bool = False) -> list[ConfigIssue]:
    with pytest.raises(ConfigInvalid) as info:
        load_config(path, plugins, resolve_secrets=secrets)
    return info.value.issues


def by_path(issues: list[ConfigIssue]) -> dict[str, ConfigIssue]:
    return {issue.path: issue for issue in issues}


def test_the_example_config_is_valid(installed_plugins: Plugins) -> None:
    config = load_config(EXAMPLE, installed_plugins, resolve_secrets=False)
    assert {s.type for s in config.connectors.values()} == {"jira", "servicenow", "zendesk", "okta"}
    assert config.rules, "the example shows at least one rule of each built-in type"
    assert {r.type for r in config.rules.values()} == set(
        installed_plugins.registry.rule_types.names()
    )


def test_an_empty_config_is_valid_with_defaults(tmp_path: Path, installed_plugins) -> None:
    config = load_config(write(tmp_path, ""), installed_plugins)
    assert isinstance(config, Config)
    assert config.sync.interval == timedelta(minutes=5)
    assert config.http.verify is True and config.http.trust_env is False
    # sqlite paths are relative to the config file, not to wherever the CLI runs.
    assert config.store.url == f"sqlite:///{tmp_path / 'itsmhub.db'}"


def test_three_mistakes_are_reported_together(tmp_path: Path, installed_plugins) -> None:
    path = write(
        tmp_path,
        """
        [sync]
        interval = "every five minutes"

        [connectors.jira]
        type = "jira"
        site_url = "https://acme.atlassian.net"
        email = "itsmhub@acme.example"
        api_token = "ATATT3xFfGF0-pasted-token"
        projects = ["OPS"]

        [rules.vpn-drops]
        type = "recurrence"
        create_in = "jira"
        windw = "7d"
        """,
    )
    issues = by_path(issues_of(path, installed_plugins))
    assert set(issues) == {"sync.interval", "connectors.jira.api_token", "rules.vpn-drops.windw"}
    assert "duration" in issues["sync.interval"].message
    assert issues["sync.interval"].value == "'every five minutes'"
    assert "not the secret itself" in issues["connectors.jira.api_token"].message
    # A pasted secret is never echoed back.
    assert issues["connectors.jira.api_token"].value is None
    assert "ATATT3xFfGF0" not in repr(issues)
    assert issues["rules.vpn-drops.windw"].fix == "did you mean 'window'? (or remove the key)"


def test_unknown_connector_type_suggests_the_nearest(tmp_path: Path, installed_plugins) -> None:
    path = write(tmp_path, '[connectors.desk]\ntype = "zendsk"\n')
    [issue] = issues_of(path, installed_plugins)
    assert issue.path == "connectors.desk.type"
    assert issue.message == "unknown connector type"
    assert issue.fix == "did you mean 'zendesk'?"


def test_missing_type_lists_the_installed_ones(tmp_path: Path, installed_plugins) -> None:
    [issue] = issues_of(write(tmp_path, "[connectors.desk]\n"), installed_plugins)
    assert issue.path == "connectors.desk.type"
    assert '"jira"' in (issue.fix or "") and '"zendesk"' in (issue.fix or "")


def test_bad_names_are_refused(tmp_path: Path, installed_plugins) -> None:
    [issue] = issues_of(
        write(tmp_path, '[connectors."Jira Prod"]\ntype = "jira"\n'), installed_plugins
    )
    assert issue.path == "connectors.Jira Prod"


def test_unknown_top_level_section(tmp_path: Path, installed_plugins) -> None:
    [issue] = issues_of(write(tmp_path, "[conectors.jira]\ntype='jira'\n"), installed_plugins)
    assert (
        issue.path == "conectors" and issue.fix == "did you mean 'connectors'? (or remove the key)"
    )


def test_private_addresses_need_an_explicit_opt_in(tmp_path: Path, installed_plugins) -> None:
    text = JIRA.replace("https://acme.atlassian.net", "http://127.0.0.1:8080")
    [issue] = issues_of(write(tmp_path, text), installed_plugins)
    assert issue.path == "connectors.jira.site_url"
    assert "allow_private_networks" in (issue.fix or "")
    allowed = write(tmp_path, "[http]\nallow_private_networks = true\n" + text)
    assert load_config(allowed, installed_plugins, resolve_secrets=False)


def test_foreign_hosts_and_plain_http_are_refused(tmp_path: Path, installed_plugins) -> None:
    [issue] = issues_of(
        write(tmp_path, JIRA.replace("acme.atlassian.net", "jira.evil.example")), installed_plugins
    )
    assert "not a *.atlassian.net" in issue.message and "custom_domain" in (issue.fix or "")
    [issue] = issues_of(write(tmp_path, JIRA.replace("https://", "http://")), installed_plugins)
    assert "unencrypted" in issue.message
    custom = JIRA.replace("acme.atlassian.net", "jira.acme.example") + "custom_domain = true\n"
    assert load_config(write(tmp_path, custom), installed_plugins, resolve_secrets=False)


def test_secrets_that_resolve_to_nothing_are_reported(
    tmp_path: Path, installed_plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ITSMHUB_TEST_JIRA_TOKEN", raising=False)
    [issue] = issues_of(write(tmp_path, JIRA), installed_plugins, secrets=True)
    assert issue.path == "connectors.jira.api_token"
    assert "environment variable ITSMHUB_TEST_JIRA_TOKEN" in issue.message
    monkeypatch.setenv("ITSMHUB_TEST_JIRA_TOKEN", "canary-config-token")
    config = load_config(write(tmp_path, JIRA), installed_plugins)
    assert "canary-config-token" not in config.model_dump_json()


def test_rules_are_validated_for_real(tmp_path: Path, installed_plugins) -> None:
    path = write(
        tmp_path,
        JIRA
        + """
        [rules.vpn]
        type = "recurrence"
        create_in = "servicenow"
        threshold = 1
        when.titel = { matches = "(?i)vpn" }
        when.service = { matches = "([a-z" }

        [rules.route]
        type = "routing"
        from = "jira"
        to = ["jira"]

        [rules.mystery]
        type = "telepathy"
        """,
    )
    issues = by_path(issues_of(path, installed_plugins))
    assert set(issues) == {
        "rules.vpn.threshold",
        "rules.vpn.when.titel",
        "rules.vpn.when.service.matches",
        "rules.route",
        "rules.mystery.type",
    }
    assert "did you mean 'title'" in issues["rules.vpn.when.titel"].message
    assert "regular expression" in issues["rules.vpn.when.service.matches"].message
    assert "to itself" in issues["rules.route"].message


def test_rules_must_name_configured_connectors(tmp_path: Path, installed_plugins) -> None:
    path = write(
        tmp_path,
        JIRA
        + """
        [rules.vpn]
        type = "recurrence"
        create_in = "jra"

        [sync]
        field_owners = { priority = "servicenow" }
        """,
    )
    issues = by_path(issues_of(path, installed_plugins))
    assert set(issues) == {"rules.vpn.create_in", "sync.field_owners.priority"}
    assert issues["rules.vpn.create_in"].fix == "did you mean 'jira'?"


def test_condition_shorthands(tmp_path: Path, installed_plugins) -> None:
    path = write(
        tmp_path,
        JIRA
        + """
        [rules.dig]
        type = "follow_up"
        trigger = "tagged"
        tag = "dig-later"
        create_in = "jira"
        when = { status = "resolved", service = ["vpn", "wifi"], priority = { lte = 2 } }
        """,
    )
    rule = load_config(path, installed_plugins, resolve_secrets=False).rules["dig"]
    tests = rule.when.root  # type: ignore[attr-defined]
    assert tests["status"].eq == "resolved"
    assert tests["service"].in_ == ["vpn", "wifi"]
    assert tests["priority"].lte == 2


def test_unreadable_config_is_a_config_error(tmp_path: Path, installed_plugins) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path, installed_plugins)
    with pytest.raises(ConfigError, match="not UTF-8"):
        bad = tmp_path / "latin1.toml"
        bad.write_bytes('description = "caf\xe9"'.encode("latin-1"))
        load_config(bad, installed_plugins)
