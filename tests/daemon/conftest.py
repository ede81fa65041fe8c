"""Fixtures for the daemon's tests: the Jira and ServiceNow emulators served on loopback,
a config joining them, PostgreSQL databases of their own, daemons in subprocesses."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from daemon_helpers import HoldAnswer

from itsmhub.testing import serve
from itsmhub_jira.emulator import Site, seed_site
from itsmhub_jira.emulator import build_app as jira_app
from itsmhub_servicenow.emulator import Instance
from itsmhub_servicenow.emulator import build_app as snow_app

ROOT = Path(__file__).resolve().parents[2]
JIRA_TOKEN = "jira-emulator-token"
HOOK_SECRET = "a-webhook-secret-for-tests"
ENV = {
    "ITSMHUB_TEST_JIRA_TOKEN": JIRA_TOKEN,
    "ITSMHUB_TEST_JIRA_HOOK": HOOK_SECRET,
    "ITSMHUB_TEST_SNOW_PASSWORD": "admin",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Systems:
    """The emulators, where they listen, and a config that joins them."""

    site: Site
    jira_url: str
    instances: dict[str, Instance]
    snow_urls: dict[str, str]
    folder: Path
    gates: dict[str, Any] = field(default_factory=dict)

    def config(
        self,
        *,
        store: str | None = None,
        schedules: str = "",
        daemon: str = "",
        routes: str = "",
    ) -> Path:
        """Write a config: Jira and each ServiceNow instance, incidents from Jira routed
        to every instance."""
        store = store or f"sqlite:///{self.folder / 'itsmhub.db'}"
        snow = "".join(
            f"""
[connectors.{name}]
type = "servicenow"
instance_url = "{url}"
custom_domain = true
auth = {{ method = "basic", username = "admin", password = "env:ITSMHUB_TEST_SNOW_PASSWORD" }}
"""
            for name, url in self.snow_urls.items()
        )
        targets = json.dumps(sorted(self.snow_urls))
        path = self.folder / "config.toml"
        path.write_text(
            f"""
[store]
url = "{store}"
[http]
allow_private_networks = true
[daemon]
port = 0
check_every = "1s"
{daemon or 'shutdown_grace = "10s"'}
{schedules}
[connectors.jira]
type = "jira"
site_url = "{self.jira_url}"
custom_domain = true
email = "itsmhub@example.com"
api_token = "env:ITSMHUB_TEST_JIRA_TOKEN"
webhook_secret = "env:ITSMHUB_TEST_JIRA_HOOK"
projects = ["OPS"]
[connectors.jira.mapping.custom_fields]
assignment_group = "customfield_10052"
root_cause = "customfield_10050"
workaround = "customfield_10051"
{snow}
[rules.jira-to-snow]
type = "routing"
from = "jira"
to = {targets}
kinds = ["incident"]
{routes}
"""
        )
        return path


@pytest.fixture
def systems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Systems]]:
    """Serve a seeded Jira site and ``snow`` empty ServiceNow instances (one by default)."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    from contextlib import ExitStack

    made: list[Systems] = []
    with ExitStack() as stack:

        def make(
            *, incidents: int = 3, snow: tuple[str, ...] = ("snow",), hold: tuple[str, ...] = ()
        ) -> Systems:
            """``hold``: paths of ServiceNow whose first POST's answer waits for the test."""
            site = Site()
            if incidents:
                seed_site(site, 7, incidents=incidents, problems=0, comments=False)
            jira_url = stack.enter_context(serve(jira_app(site)))
            instances = {name: Instance() for name in snow}
            gates = (
                {name: HoldAnswer(snow_app(i), *hold) for name, i in instances.items()}
                if hold
                else {}
            )
            urls = {
                name: stack.enter_context(serve(gates.get(name) or snow_app(i)))
                for name, i in instances.items()
            }
            world = Systems(site, jira_url, instances, urls, tmp_path, gates)
            made.append(world)
            return world

        yield make
        for world in made:  # a held answer must not keep a server from stopping
            for gate in world.gates.values():
                gate.release.set()


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Any:
    from itsmhub import plugins as plugin_module
    from itsmhub.plugins import load_plugins

    loaded = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "jira,servicenow"})
    assert not loaded.broken, loaded.broken
    monkeypatch.setattr(plugin_module, "_cached", loaded)
    return loaded


@dataclass
class DaemonProcess:
    """``itsmhub daemon --log-format json`` in a subprocess; its log lines, parsed."""

    process: subprocess.Popen[str]
    lines: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    seen: list[dict[str, Any]] = field(default_factory=list)
    pump: threading.Thread | None = None

    def wait_for(self, test: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict:
        """The first log line (seen or to come) that passes ``test``. The deadline is for a
        machine other test runs share: a lease outliving a killed worker takes its TTL."""
        for line in self.seen:
            if test(line):
                return line
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if test(line):
                return line
        raise AssertionError(f"no such log line within {timeout}s; seen: {self.seen[-15:]}")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout=timeout)
        if self.pump is not None:
            self.pump.join(timeout=10)  # every line the process wrote is read
        self.drain()
        return code

    def drain(self) -> None:
        """Take in the lines logged so far."""
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return


def _pump(process: subprocess.Popen[str], lines: queue.Queue[dict[str, Any]]) -> None:
    assert process.stderr is not None
    for raw in process.stderr:
        raw = raw.strip()
        if raw.startswith("{"):
            lines.put(json.loads(raw))
        elif raw:
            lines.put({"message": raw, "level": "raw"})


_JSON = ("--log-format", "json")


@pytest.fixture
def start_daemon() -> Iterator[Callable[..., DaemonProcess]]:
    """Start daemons in subprocesses; each answers once it logged that it started. Any
    still running after the test is killed."""
    started: list[DaemonProcess] = []

    def start(config: Path, *args: str, env: dict[str, str] | None = None) -> DaemonProcess:
        environ = {**os.environ, **ENV, **(env or {}), "PYTHONPATH": str(ROOT / "tests")}
        environ["ITSMHUB_LOAD_PLUGINS"] = "jira,servicenow"
        process = subprocess.Popen(
            [sys.executable, "-m", "itsmhub", "--config", str(config), "daemon", *_JSON, *args],
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        daemon = DaemonProcess(process)
        daemon.pump = threading.Thread(target=_pump, args=(process, daemon.lines), daemon=True)
        daemon.pump.start()
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.send_signal(signal.SIGKILL)
            daemon.process.wait(timeout=10)
