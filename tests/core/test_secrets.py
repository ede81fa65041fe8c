"""Secret references: parsed strictly, resolved through the hook, never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from itsmhub import ConfigError, SecretNotFound, SecretReference
from itsmhub.plugins import load_plugins
from itsmhub.secrets import SecretRef, builtin_secret


class Settings(BaseModel):
    token: SecretReference


def parse(value: str, config_dir: Path | None = None) -> SecretRef:
    context = {"config_dir": config_dir} if config_dir else None
    return Settings.model_validate({"token": value}, context=context).token


def test_references_parse_into_scheme_and_target() -> None:
    assert parse("env:JIRA_API_TOKEN") == SecretRef(scheme="env", target="JIRA_API_TOKEN")
    assert parse("vault:kv/itsmhub#jira") == SecretRef(scheme="vault", target="kv/itsmhub#jira")


def test_a_reference_prints_as_written() -> None:
    assert str(parse("env:X")) == "env:X"
    assert Settings(token="env:X").model_dump(mode="json") == {"token": "env:X"}


@pytest.mark.parametrize("pasted", ["ATATT3xFfGF0abcdef", "hunter2", "https://x.example/token"])
def test_a_pasted_secret_is_refused_without_echoing_it(pasted: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse(pasted)
    message = str(info.value.errors()[0]["msg"])
    assert "not the secret itself" in message
    assert pasted not in message


def test_env_names_are_checked() -> None:
    with pytest.raises(ValidationError, match="not a valid environment variable"):
        parse("env:JIRA TOKEN")


def test_relative_files_are_relative_to_the_config(tmp_path: Path) -> None:
    assert parse("file:secrets/jira", tmp_path).target == str(tmp_path / "secrets/jira")
    assert parse("file:/run/secrets/jira", tmp_path).target == "/run/secrets/jira"


def test_builtin_schemes(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("s3cret-from-file\n")
    (tmp_path / "cred").write_text("s3cret-from-systemd")
    env = {"JIRA_TOKEN": "s3cret-from-env", "CREDENTIALS_DIRECTORY": str(tmp_path), "EMPTY": ""}
    assert builtin_secret(SecretRef(scheme="env", target="JIRA_TOKEN"), env) == "s3cret-from-env"
    assert builtin_secret(SecretRef(scheme="env", target="EMPTY"), env) is None
    assert builtin_secret(SecretRef(scheme="file", target=str(tmp_path / "token")), env) == (
        "s3cret-from-file"
    )
    assert builtin_secret(SecretRef(scheme="credential", target="cred"), env) == (
        "s3cret-from-systemd"
    )
    assert builtin_secret(SecretRef(scheme="file", target=str(tmp_path / "nope")), env) is None
    assert builtin_secret(SecretRef(scheme="vault", target="x"), env) is None


def test_unreadable_secret_file_is_a_clear_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "token"
    secret.write_text("x")

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    # Tests may run as root, who can read a chmod 0 file; simulate the refusal instead.
    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises(ConfigError, match="permission denied") as info:
        builtin_secret(SecretRef(scheme="file", target=str(secret)), {})
    assert info.value.fix is not None and str(secret) in info.value.fix


def test_missing_secret_says_where_it_looked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ITSMHUB_TEST_NOT_SET", raising=False)
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": ""})
    with pytest.raises(SecretNotFound) as info:
        plugins.resolve_secret(SecretRef(scheme="env", target="ITSMHUB_TEST_NOT_SET"))
    assert "environment variable ITSMHUB_TEST_NOT_SET" in str(info.value)
    assert info.value.looked_in == ["environment variable ITSMHUB_TEST_NOT_SET"]


def test_resolved_secrets_are_masked_in_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from itsmhub.http.redact import install_redaction

    canary = "canary-7f3a9b2c-secret"
    monkeypatch.setenv("ITSMHUB_TEST_TOKEN", canary)
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": ""})
    value = plugins.resolve_secret(SecretRef(scheme="env", target="ITSMHUB_TEST_TOKEN"))
    assert value == SecretStr(canary)
    assert canary not in repr(value)
    logger = logging.getLogger("itsmhub.test.secrets")
    install_redaction(logger)
    caplog.set_level(logging.DEBUG, logger="itsmhub.test.secrets")
    logger.warning("vendor said: bad token %s", canary)
    assert caplog.records
    assert all(canary not in record.getMessage() for record in caplog.records)
    assert canary not in caplog.text
