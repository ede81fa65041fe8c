"""A large page's facts computed on two processes equal the facts computed in one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from itsmhub.model import ExternalRef, Incident, PersonRef
from itsmhub.rules.facts import facts_of_many
from itsmhub.rules.people import People
from itsmhub.store.analysis import Analyst

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def page(count: int) -> list[Incident]:
    return [
        Incident(
            title=f"VPN drops on lt-{n:04d} for jdoe since 10:{n % 60:02d}",
            description=f"Reported by asmith. Tunnel {n} resets every few minutes.",
            service="vpn" if n % 2 else "email",
            reporter=PersonRef(email=f"user{n}@example.com"),
            refs=[ExternalRef(system="snow", remote_id=f"r{n}")],
        )
        for n in range(count)
    ]


async def test_a_split_page_has_the_facts_of_one_process() -> None:
    analyst = Analyst(split_at=10)
    try:
        assert await analyst.ready(), "the worker could not start on this machine"
        tickets = page(41)
        people = People({"jdoe", "asmith"})
        split = await analyst.facts_of_many(tickets, now=NOW, people=people)
        alone = facts_of_many(tickets, now=NOW, people=people)
        assert split == alone
        assert [f.record_id for f in split] == [t.id for t in tickets]
    finally:
        analyst.close()


async def test_a_small_page_never_starts_the_worker() -> None:
    analyst = Analyst(split_at=100)
    tickets = page(5)
    found = await analyst.facts_of_many(tickets, now=NOW, people=People())
    assert found == facts_of_many(tickets, now=NOW, people=People())
    assert analyst._pool is None


KILLED_PARENT = """
import asyncio, os, signal

async def main():
    from itsmhub.store.analysis import ANALYST
    assert await ANALYST.ready()
    print(*ANALYST._pool._processes, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_the_worker_ends_when_its_parent_is_killed(tmp_path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(KILLED_PARENT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    worker = int(done.stdout.split()[0])
    deadline = time.monotonic() + 15
    while _alive(worker):
        assert time.monotonic() < deadline, f"worker {worker} outlived its parent"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for every purpose but its process table entry.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")
