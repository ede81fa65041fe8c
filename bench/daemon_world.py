"""What the daemon benchmarks share: emulators served on loopback (ServiceNow each in a
process of its own, Jira in this one), a config joining them, and ``itsmhub daemon``
workers in subprocesses whose JSON log lines are read as they come."""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENV = {
    "ITSMHUB_BENCH_JIRA_TOKEN": "jira-emulator-token",
    "ITSMHUB_BENCH_JIRA_HOOK": "bench-webhook-secret",
    "ITSMHUB_BENCH_SNOW_PASSWORD": "admin",
    "ITSMHUB_LOAD_PLUGINS": "jira,servicenow",
}


def _serve_snow(sock: socket.socket) -> None:
    import uvicorn

    from itsmhub_servicenow.emulator import Instance, build_app

    uvicorn.Server(uvicorn.Config(build_app(Instance()), log_level="critical", lifespan="off")).run(
        sockets=[sock]
    )


@contextmanager
def snow_processes(count: int) -> Iterator[list[str]]:
    """``count`` empty ServiceNow emulators, each in its own process; their URLs."""
    from itsmhub.emulation.serving import bind, url_of

    context = multiprocessing.get_context("fork")
    sockets = [bind() for _ in range(count)]
    processes = [context.Process(target=_serve_snow, args=(s,), daemon=True) for s in sockets]
    for process in processes:
        process.start()
    try:
        yield [url_of(s) for s in sockets]
    finally:
        for process in processes:
            process.terminate()
            process.join(10)
        for sock in sockets:
            sock.close()


def write_config(
    folder: Path, store: str, jira_url: str, snow: dict[str, str], *, schedules: str = ""
) -> Path:
    blocks = "".join(
        f"""
[connectors.{name}]
type = "servicenow"
instance_url = "{url}"
custom_domain = true
auth = {{ method = "basic", username = "admin", password = "env:ITSMHUB_BENCH_SNOW_PASSWORD" }}
"""
        for name, url in snow.items()
    )
    path = folder / "config.toml"
    path.write_text(
        f"""
[store]
url = "{store}"
[http]
allow_private_networks = true
[daemon]
port = 0
check_every = "1s"
{schedules}
[connectors.jira]
type = "jira"
site_url = "{jira_url}"
custom_domain = true
email = "itsmhub@example.com"
api_token = "env:ITSMHUB_BENCH_JIRA_TOKEN"
webhook_secret = "env:ITSMHUB_BENCH_JIRA_HOOK"
projects = ["OPS"]
{blocks}
[rules.jira-to-snow]
type = "routing"
from = "jira"
to = {json.dumps(sorted(snow))}
kinds = ["incident"]
"""
    )
    return path


@dataclass
class Worker:
    process: subprocess.Popen[str]
    lines: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    seen: list[dict[str, Any]] = field(default_factory=list)

    def wait_for(self, test: Callable[[dict[str, Any]], bool], within: float = 60) -> dict:
        for line in self.seen:
            if test(line):
                return line
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if test(line):
                return line
        raise RuntimeError(f"no such log line within {within}s: {self.seen[-5:]}")

    def drain(self) -> None:
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return

    def cpu_seconds(self) -> float:
        """User + system CPU time of the worker so far (from /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def start_worker(config: Path, *args: str) -> Worker:
    env = {**os.environ, **ENV}
    command = [sys.executable, "-m", "itsmhub", "--config", str(config), "daemon"]
    process = subprocess.Popen(
        [*command, "--log-format", "json", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    worker = Worker(process)

    def pump() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            if raw.startswith("{"):
                worker.lines.put(json.loads(raw))

    threading.Thread(target=pump, daemon=True).start()
    return worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
