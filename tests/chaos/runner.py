"""The project's chaos test: two ServiceNow instances (the emulator, twice) mirrored both
ways by ``itsmhub sync`` running as a real process that is killed with SIGKILL at the
write boundaries and at random moments, while people edit and comment on both sides and
the emulators inject faults (5xx, 429, slow answers past the read timeout, dropped
connections, lost responses, malformed bodies), aimed by path and method.

The oracle, once faults stop and sync has converged: every edit's final value on both
sides, every comment exactly once on each side, exactly one copy of each incident on
each side, and no secret in the store, the logs or the CLI's output.

Edits follow two rules so that "the final value" is well defined:

- a field is edited on the other side only once both sides agree on it (the emulators
  share one ticking clock, so every write has its own second, and newest-change wins);
- a field never goes back to a value it held before. A person who puts back the exact
  value a crashed push had replaced, before the hub restarts, leaves the store seeing
  the field unchanged since its base; without the vendor's field history no sync can
  tell that from no edit at all (docs/sync.md, "What crash safety cannot see").

Used by ``tests/chaos/test_chaos.py`` (a short seed in ``make test``) and
``bench/chaos.py`` (the long run whose figures are in docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from itsmhub import normalize_text, read_footer
from itsmhub.emulation import EmulatorClock, Fault, serve
from itsmhub_servicenow.emulator import Instance, build_app

TABLE = "incident"
#: The fields people edit: column → the values they pick from (a {n} is made unique).
FIELDS: dict[str, list[str]] = {
    "short_description": [f"VPN {w} {{n}}" for w in ("drops", "flaps", "down", "slow")],
    "category": ["network-{n}", "software-{n}", "hardware-{n}", "database-{n}"],
    "urgency": ["1", "2", "3"],
    "impact": ["1", "2", "3"],
}
#: Where the sync process dies: after the vendor answered a write or a read, after a page
#: was merged or committed, after writes were answered but before they were settled, while
#: one push round settles and the next has kept its intents.
KILL_POINTS = (
    "http:POST /api/now/v1/batch",
    "http:PATCH /api/now/table/incident/*",
    "http:GET /api/now/table/incident",
    "http:GET /api/now/table/sys_journal_field",
    "pull.merged",
    "pull.flushed",
    "push.written",
    "push.overlapped",
)


@dataclass
class ChaosSettings:
    incidents: int = 10
    rounds: int = 5
    edits_per_round: int = 8
    comments_per_round: int = 3
    creates_per_round: int = 1
    kill_ratio: float = 0.8
    fault_ratio: float = 0.5
    converge_cycles: int = 10
    read_timeout: float = 2.0
    seed: int = 1
    store_url: str | None = None
    """A PostgreSQL database of the run's own; None: SQLite in the run's folder."""


@dataclass
class ChaosFigures:
    edits: int = 0
    comments: int = 0
    creates: int = 0
    cycles: int = 0
    kills: int = 0
    faults: int = 0
    duplicates: int = 0
    missing_copies: int = 0
    lost_values: list[str] = field(default_factory=list)
    lost_comments: list[str] = field(default_factory=list)
    doubled_comments: list[str] = field(default_factory=list)
    leaked_secrets: int = 0
    converged_after: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (
            self.duplicates
            or self.missing_copies
            or self.lost_values
            or self.lost_comments
            or self.doubled_comments
            or self.leaked_secrets
        )

    def summary(self) -> dict[str, Any]:
        return {
            "edits": self.edits,
            "comments": self.comments,
            "creates": self.creates,
            "sync runs": self.cycles,
            "kills": self.kills,
            "faults": self.faults,
            "duplicates": self.duplicates,
            "missing copies": self.missing_copies,
            "lost updates": len(self.lost_values),
            "lost comments": len(self.lost_comments),
            "doubled comments": len(self.doubled_comments),
            "leaked secrets": self.leaked_secrets,
            "runs to converge": self.converged_after,
            "seconds": round(self.seconds, 1),
        }


@dataclass
class Side:
    name: str
    instance: Instance
    url: str = ""


class ChaosRun:
    """One chaos run in ``folder``; see the module docstring."""

    def __init__(self, folder: Path, settings: ChaosSettings) -> None:
        self.folder = folder
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.clock = EmulatorClock(datetime.now(UTC) - timedelta(days=1), tick=timedelta(seconds=1))
        self.password = f"canary-{secrets.token_hex(8)}"
        self.sides = {
            name: Side(name, Instance(clock=self.clock, users={"sync": self.password}))
            for name in ("alpha", "beta")
        }
        self.figures = ChaosFigures()
        self.expected: dict[tuple[str, str], str] = {}
        self.last_editor: dict[tuple[str, str], str] = {}
        self.held: dict[tuple[str, str], set[str]] = {}
        self.comments: dict[str, list[str]] = {}
        self.outputs: list[str] = []
        self.counter = 0

    # --- the run ---------------------------------------------------------------------

    def run(self) -> ChaosFigures:
        started = time.perf_counter()
        with ExitStack() as stack:
            for side in self.sides.values():
                side.url = stack.enter_context(serve(build_app(side.instance)))
            self._write_config()
            for _ in range(self.settings.incidents):
                self._create(self.sides["alpha"])
            self._sync()  # the first copies, no chaos
            for _ in range(self.settings.rounds):
                self._round()
            for side in self.sides.values():
                side.instance.controls.faults.clear()
            self._converge()
            self._check()
        self.figures.seconds = time.perf_counter() - started
        return self.figures

    def _round(self) -> None:
        for _ in range(self.settings.creates_per_round):
            self._create(self.rng.choice(list(self.sides.values())))
        for _ in range(self.settings.edits_per_round):
            self._edit()
        for _ in range(self.settings.comments_per_round):
            self._comment()
        if self.rng.random() < self.settings.fault_ratio:
            self._inject_faults()
        kill = None
        if self.rng.random() < self.settings.kill_ratio:
            kill = self.rng.choice([*KILL_POINTS, "random"])
        self._sync(kill=kill)

    # --- what people do --------------------------------------------------------------

    def _create(self, side: Side) -> None:
        self.counter += 1
        key = f"CHAOS-{self.counter:05d}"
        values = {"short_description": f"VPN incident {self.counter}", "description": key}
        side.instance.insert(TABLE, {**values, "category": "network"}, user="beth")
        self.comments[key] = []
        self.figures.creates += 1

    def _rows(self, side: Side) -> dict[str, list[dict[str, str]]]:
        found: dict[str, list[dict[str, str]]] = {}
        for row in side.instance.rows(TABLE):
            found.setdefault(row["description"], []).append(row)
        return found

    def _edit(self) -> None:
        side = self.rng.choice(list(self.sides.values()))
        rows = self._rows(side)
        key = self.rng.choice(sorted(rows))
        column = self.rng.choice(sorted(FIELDS))
        if not self._may_edit(key, column, side.name):
            return
        row = rows[key][0]
        held = self.held.setdefault((key, column), {row[column]})
        self.counter += 1
        fresh = [v.format(n=self.counter) for v in FIELDS[column]]
        fresh = [v for v in fresh if v not in held]
        if not fresh:
            return
        value = self.rng.choice(fresh)
        held.add(value)
        side.instance.update(TABLE, row["sys_id"], {column: value}, user="beth")
        self.expected[key, column] = side.instance.get(TABLE, row["sys_id"])[column]  # type: ignore[index]
        self.last_editor[key, column] = side.name
        self.figures.edits += 1

    def _may_edit(self, key: str, column: str, side: str) -> bool:
        """Edit a field on the other side only once both sides agree on it."""
        last = self.last_editor.get((key, column))
        if last in (None, side):
            return True
        values = set()
        for other in self.sides.values():
            rows = self._rows(other).get(key, [])
            if len(rows) != 1:
                return False
            values.add(rows[0][column])
        return len(values) == 1

    def _comment(self) -> None:
        side = self.rng.choice(list(self.sides.values()))
        rows = self._rows(side)
        key = self.rng.choice(sorted(rows))
        self.counter += 1
        text = f"note {self.counter} from {side.name}"
        column = self.rng.choice(["comments", "work_notes"])
        side.instance.update(TABLE, rows[key][0]["sys_id"], {column: text}, user="beth")
        self.comments[key].append(text)
        self.figures.comments += 1

    # --- faults and kills ------------------------------------------------------------

    def _inject_faults(self) -> None:
        faults = [
            Fault(status=503, method="GET", path="/api/now/table/incident*", times=2),
            Fault(status=429, retry_after=1, method="POST", path="/api/now/v1/batch"),
            Fault(status=502, method="PATCH", path="/api/now/table/incident/*"),
            Fault(delay=self.settings.read_timeout + 0.5, method="GET", path="/api/now/table/*"),
            Fault(drop=True, method="POST", path="/api/now/v1/batch"),
            Fault(lose_response=True, method="POST", path="/api/now/v1/batch"),
            Fault(lose_response=True, method="PATCH", path="/api/now/table/incident/*"),
            Fault(malformed="truncated", method="POST", path="/api/now/v1/batch"),
            Fault(malformed="html", method="PATCH", path="/api/now/table/incident/*"),
            Fault(malformed="empty_list", method="GET", path="/api/now/table/sys_journal_field"),
        ]
        for fault in self.rng.sample(faults, k=self.rng.randint(1, 3)):
            side = self.rng.choice(list(self.sides.values()))
            side.instance.controls.faults.inject(fault)
            self.figures.faults += 1

    def _sync(self, kill: str | None = None) -> dict[str, Any] | None:
        # Small push rounds: a run's few rows take several, which overlap (push.overlapped).
        env = {**os.environ, "SYNC_PASSWORD": self.password, "ITSMHUB_CHAOS_CLAIM_BATCH": "3"}
        env.pop("ITSMHUB_CHAOS_KILL", None)
        if kill is not None and kill != "random":
            env["ITSMHUB_CHAOS_KILL"] = f"{kill}#{self.rng.randint(1, 2)}"
        command = [sys.executable, "-m", "itsmhub", "--config", str(self.config), "sync"]
        process = subprocess.Popen(
            [*command, "--once", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        timer = None
        if kill == "random":
            delay = self.rng.uniform(1.0, 3.0)
            timer = threading.Timer(delay, _kill, args=(process.pid,))
            timer.start()
        out, err = process.communicate(timeout=300)
        if timer is not None:
            timer.cancel()
        self.outputs += [out, err]
        self.figures.cycles += 1
        if process.returncode == -signal.SIGKILL:
            self.figures.kills += 1
            return None
        try:
            return json.loads(out) if out.strip() else None
        except ValueError:
            return None

    def _converge(self) -> None:
        for run in range(1, self.settings.converge_cycles + 1):
            self._wait_for_due_rows()
            report = self._sync()
            if report is not None and _quiet(report) and not self._open_rows():
                self.figures.converged_after = run
                return
        self.figures.converged_after = -1

    def _open_rows(self) -> list[tuple[str, Any]]:
        """(status, next attempt) of the outbox rows not done or dead."""
        query = (
            "SELECT status, next_attempt_at FROM outbox "
            "WHERE status IN ('pending', 'in_flight', 'deferred')"
        )
        if self.settings.store_url:
            return [tuple(row) for row in _postgres(self.settings.store_url, query)]
        import sqlite3

        with sqlite3.connect(self.folder / "itsmhub.db") as db:
            return list(db.execute(query).fetchall())

    def _wait_for_due_rows(self) -> None:
        """Rows backing off wait real seconds ([sync] retry_cap): the hub runs on the wall
        clock, so the next run is started once the earliest of them is due."""
        due = [_utc(at) for _, at in self._open_rows()]
        if due:
            wait = (min(due) - datetime.now(UTC)).total_seconds()
            if 0 < wait <= 10:
                time.sleep(wait)

    # --- the oracle ------------------------------------------------------------------

    def _check(self) -> None:
        figures = self.figures
        tables = {name: self._rows(side) for name, side in self.sides.items()}
        for key in sorted(self.comments):
            for name, side in self.sides.items():
                rows = tables[name].get(key, [])
                if len(rows) > 1:
                    figures.duplicates += len(rows) - 1
                if not rows:
                    figures.missing_copies += 1
                    continue
                row = rows[0]
                for (expected_key, column), value in self.expected.items():
                    if expected_key == key and row[column] != value:
                        figures.lost_values.append(f"{name} {key} {column}={row[column]!r}")
                bodies = [
                    normalize_text(read_footer(entry["value"]).body)
                    for entry in side.instance.journal(TABLE, row["sys_id"])
                ]
                for text in self.comments[key]:
                    count = bodies.count(text)
                    if count == 0:
                        figures.lost_comments.append(f"{name} {key} {text!r}")
                    elif count > 1:
                        figures.doubled_comments.append(f"{name} {key} {text!r} x{count}")
        haystacks = [*self.outputs]
        for path in self.folder.glob("itsmhub.db*"):
            haystacks.append(path.read_bytes().decode("latin-1"))
        if self.settings.store_url:
            haystacks += _postgres_text(self.settings.store_url)
        figures.leaked_secrets = sum(1 for hay in haystacks if self.password in hay)

    # --- configuration ---------------------------------------------------------------

    def _write_config(self) -> None:
        self.config = self.folder / "config.toml"
        tables = [
            f"""
[connectors.{name}]
type = "servicenow"
instance_url = "{side.url}"
custom_domain = true
page_size = 50
auth = {{ method = "basic", username = "sync", password = "env:SYNC_PASSWORD" }}
"""
            for name, side in self.sides.items()
        ]
        self.config.write_text(
            f"""
[store]
url = "{self.settings.store_url or f"sqlite:///{self.folder / 'itsmhub.db'}"}"

[http]
allow_private_networks = true
read_timeout = {self.settings.read_timeout}
max_attempts = 2
backoff_base = 0.1
max_backoff = 0.5

[sync]
overlap = "1m"
max_attempts = 60
retry_base = "1s"
retry_cap = "3s"
concurrency = 4
{"".join(tables)}
[rules.alpha-to-beta]
type = "routing"
from = "alpha"
to = ["beta"]

[rules.beta-to-alpha]
type = "routing"
from = "beta"
to = ["alpha"]
"""
        )


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it had finished
        os.kill(pid, signal.SIGKILL)


def _quiet(report: dict[str, Any]) -> bool:
    """Nothing moved in a cycle: nothing new, changed, pushed or waiting."""
    for connector in report.get("connectors", {}).values():
        pull, push = connector["pull"], connector["push"]
        if pull["created"] or pull["updated"] or push["pushed"] or push["retried"]:
            return False
        if connector["errors"]:
            return False
    return True


def _utc(at: Any) -> datetime:
    """A stored time as an aware datetime (SQLite keeps text, PostgreSQL a timestamp)."""
    value = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _postgres(url: str, query: str) -> list[Any]:
    import anyio
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def fetch() -> list[Any]:
        conn = await asyncpg.connect(dsn)
        try:
            return list(await conn.fetch(query))
        finally:
            await conn.close()

    return anyio.run(fetch)


def _postgres_text(url: str) -> list[str]:
    """Every row of every table of the store, as text: where a leaked secret would be."""
    tables = _postgres(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    found = []
    for (table,) in tables:
        rows = _postgres(url, f'SELECT t::text FROM "{table}" t')  # names from the catalog
        found.append("\n".join(row[0] for row in rows))
    return found
