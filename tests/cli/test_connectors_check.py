"""``connectors check`` on a system that does not answer: one attempt, and a message
that names scheme, host and port."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from itsmhub.cli import cli


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_reported_at_once_with_its_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    monkeypatch.setenv("SNOW_PASSWORD", "admin")
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "hub.db"}"
[http]
allow_private_networks = true
[connectors.snow]
type = "servicenow"
instance_url = "http://127.0.0.1:{port}"
auth = {{ method = "basic", username = "admin", password = "env:SNOW_PASSWORD" }}
"""
    )
    caplog.set_level(logging.WARNING, logger="itsmhub.http")
    result = CliRunner().invoke(
        cli, ["--config", str(config), "connectors", "check", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 1, result.output
    [report] = json.loads(result.output)["connectors"]
    [item] = [i for i in report["items"] if not i["ok"]]
    assert item["name"] == "reachability"
    assert (
        f"GET http://127.0.0.1:{port}/api/now/table/incident failed: cannot connect"
        in (item["detail"])
    )
    # Retrying would have logged "retrying in ... s" and waited out the backoff first.
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
