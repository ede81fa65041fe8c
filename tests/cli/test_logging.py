"""-v and --log-level show itsmhub's own records; libraries stay at WARNING."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from itsmhub.cli import cli


def emit_samples() -> None:
    logging.getLogger("itsmhub.engine").debug("own debug")
    logging.getLogger("itsmhub_servicenow").info("plugin info")
    logging.getLogger("aiosqlite").debug("library debug")
    logging.getLogger("alembic.runtime.migration").info("library info")
    logging.getLogger("httpx").warning("library warning")


@pytest.mark.parametrize(
    "args",
    [
        ["--log-level", "debug", "config", "check"],
        ["config", "check", "--log-level", "debug"],
        ["config", "check", "--log-level", "DEBUG"],
        ["-vv", "config", "check"],
        ["config", "check", "-vv"],
    ],
    ids=" ".join,
)
def test_own_records_at_the_chosen_level_libraries_at_warning(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output
    emit_samples()
    shown = capsys.readouterr().err
    assert "own debug" in shown and "plugin info" in shown
    assert "library warning" in shown
    assert "library debug" not in shown and "library info" not in shown


def test_without_options_only_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    assert CliRunner().invoke(cli, ["--config", str(config), "config", "check"]).exit_code == 0
    emit_samples()
    shown = capsys.readouterr().err
    assert "own debug" not in shown and "plugin info" not in shown
    assert "library warning" in shown


def test_an_unknown_level_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["config", "check", "--log-level", "chatty"])
    assert result.exit_code == 2 and "--log-level" in result.output


def test_debug_output_of_a_real_command_has_no_library_internals(tmp_path: Path) -> None:
    """In a fresh process, as an admin runs it: opening (and migrating) the store logs
    pages of aiosqlite and Alembic records at DEBUG, none of which may show."""
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "hub.db"}"\n')
    env = {**os.environ, "ITSMHUB_LOAD_PLUGINS": ""}
    done = subprocess.run(
        [sys.executable, "-m", "itsmhub", "--config", str(config), "sync", "--once", "-vv"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "INFO itsmhub.store: store " in done.stderr  # created and migrated
    loggers = {line.split()[3] for line in done.stderr.splitlines() if line[:2] == "20"}
    assert loggers == {"itsmhub.store:"}, done.stderr
