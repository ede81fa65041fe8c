"""``itsmhub emulate``: the URL actually bound, the credentials, a config snippet that
works as printed, and a clear error for a port in use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from itsmhub.cli import cli


@pytest.fixture
def served() -> Iterator[tuple[str, list[str]]]:
    """``itsmhub emulate servicenow --port 0`` in a process of its own: its URL and the
    lines it printed before saying it is ready. Stopped after the test."""
    env = {**os.environ, "ITSMHUB_EMULATOR_CREDENTIALS": "password=s3cret"}
    process = subprocess.Popen(
        [sys.executable, "-m", "itsmhub", "emulate", "servicenow", "--port", "0", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:  # blocks until each line is printed: no sleeping
            lines.append(line.rstrip("\n"))
            if line.startswith("ready"):
                break
        else:
            pytest.fail(f"emulate exited early: {process.stderr.read() if process.stderr else ''}")
        url = lines[0].rsplit(" ", 1)[-1]
        yield url, lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_port_0_prints_the_url_bound_and_it_answers(served: tuple[str, list[str]]) -> None:
    url, lines = served
    assert lines[0].startswith("serving the servicenow emulator at http://127.0.0.1:")
    assert not url.endswith(":0")
    # The credential given in the environment replaced the default password.
    assert "credentials: username=admin, password=s3cret" in lines[1]
    answer = httpx.get(
        f"{url}/api/now/table/incident", params={"sysparm_limit": 1}, auth=("admin", "s3cret")
    )
    assert answer.status_code == 200 and answer.headers["X-Total-Count"] == "50"


def test_the_printed_snippet_is_a_config_that_reaches_it(
    served: tuple[str, list[str]], tmp_path: Path
) -> None:
    _, lines = served
    start = lines.index("# config.toml: a connector that reaches it")
    shell = lines.index("# and in the shell that runs itsmhub:")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "hub.db"}"\n' + "\n".join(lines[start + 1 : shell])
    )
    name, _, value = lines[shell + 1].removeprefix("export ").partition("=")
    assert (name, value) == ("SERVICENOW_PASSWORD", "s3cret")
    env = {name: value}
    runner = CliRunner()
    checked = runner.invoke(cli, ["config", "check", str(config), "--strict"], env=env)
    assert checked.exit_code == 0, checked.output
    reached = runner.invoke(cli, ["--config", str(config), "connectors", "check"], env=env)
    assert reached.exit_code == 0, reached.output


def test_a_port_in_use_is_a_clear_error_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["emulate", "servicenow", "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert f"127.0.0.1:{port} is already in use" in result.output
    assert "--port" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("credential", "message"),
    [("token=x", "unknown credential token"), ("password", "expected NAME=VALUE")],
)
def test_a_bad_credential_is_a_usage_error(credential: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["emulate", "servicenow", "--credential", credential])
    assert result.exit_code == 2 and message in result.output


def test_an_unknown_kind_names_the_emulators() -> None:
    result = CliRunner().invoke(cli, ["emulate", "nosuch"])
    assert result.exit_code == 2 and "servicenow" in result.output
