"""``itsmhub report`` over a million incidents: how long it takes, and the peak memory.

    .venv/bin/python bench/report_1m.py [N] [--by service]

Builds (once, cached in the temp folder) a SQLite store holding N incidents (default
1,000,000) over a year in three tools — about a third mirrored in a second tool, some in
all three — with their refs, ticket facts, field history (acknowledgement, hand-offs,
resolution, reopens), duplicates, problems and known errors. The store is migrated by
``Store.open`` and then filled with bulk inserts through its own tables (the sync engine
would take hours to write this much; its speed is measured elsewhere). Then, in a fresh
process so the peak is the run's own, it times what ``itsmhub report --since all``
computes, and prints the figures' first lines as a sanity check.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 18
SYSTEMS = ("jira", "servicenow", "zendesk")
START = datetime(2025, 12, 1, tzinfo=UTC)
DAYS = 365
NOW = START + timedelta(days=DAYS)
SERVICES = [f"service-{i:02d}" for i in range(44)]
CATEGORIES = [
    "network",
    "access",
    "email",
    "hardware",
    "software",
    "database",
    "vpn",
    "printing",
    "storage",
    "identity",
    "telephony",
    "other",
]
DEPARTMENTS = [f"dept-{i:02d}" for i in range(15)]
WORDS = [
    "vpn",
    "drops",
    "connection",
    "timeout",
    "login",
    "fails",
    "mailbox",
    "full",
    "printer",
    "offline",
    "disk",
    "slow",
    "database",
    "locked",
    "password",
    "reset",
    "certificate",
    "expired",
    "sync",
    "stuck",
    "crash",
    "error",
    "page",
    "blank",
    "cannot",
    "open",
    "share",
    "denied",
    "latency",
    "high",
    "backup",
    "failed",
]
PROBLEMS = 5000
KNOWN_ERRORS = 1000


def stamp(moment: datetime) -> str:
    """How the store keeps a timestamp on SQLite: naive UTC text."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def iso(moment: datetime) -> str:
    """How a record's JSON keeps one."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def titles(rng: random.Random) -> list[tuple[str, str, bytes]]:
    """A pool of titles with their fingerprint tokens and signature, as facts keep them."""
    from itsmhub.rules.fingerprint import fingerprint

    pool = []
    for _ in range(3000):
        title = " ".join(rng.sample(WORDS, rng.randint(3, 6))) + f" on host-{rng.randint(1, 900)}"
        fp = fingerprint(title)
        pool.append((title, fp.text, fp.signature))
    return pool


def build(path: Path, n: int) -> None:
    import anyio

    from itsmhub.store import Store

    async def migrate() -> None:
        store = await Store.open(f"sqlite:///{path}")
        await store.close()

    anyio.run(migrate)
    rng = random.Random(SEED)
    pool = titles(rng)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA foreign_keys = OFF")
    problem_ids = [f"P{i:06d}" for i in range(PROBLEMS)]
    _problems(db, rng, pool, problem_ids)
    batch: dict[str, list[tuple[object, ...]]] = {}
    seconds = DAYS * 86400
    for i in range(n):
        _incident(batch, rng, pool, problem_ids, i, n, seconds)
        if i % 50_000 == 49_999:
            _flush(db, batch)
    _flush(db, batch)
    db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()


def _flush(db: sqlite3.Connection, batch: dict[str, list[tuple[object, ...]]]) -> None:
    statements = {
        "records": "INSERT INTO records VALUES (?, ?, ?, 1, ?, ?)",
        "refs": "INSERT INTO external_refs VALUES (?, ?, ?, ?, NULL, NULL)",
        "facts": FACTS_INSERT,
        "links": "INSERT INTO links VALUES (?, ?, ?, 'bench', NULL, ?)",
        "history": "INSERT INTO field_history (record_id, field, old, new, system, at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
    }
    for name, sql in statements.items():
        db.executemany(sql, batch.pop(name, []))


#: The facts columns ``_facts`` fills, by name: later store revisions add columns (the
#: embedding, rejected links) that a report does not read and that stay empty here.
FACT_COLUMNS = (
    "record_id",
    "kind",
    "title",
    "opened_at",
    "changed_at",
    "status",
    "is_open",
    "origin",
    "label",
    "major",
    "priority",
    "service",
    "category",
    "assignment_group",
    "reporter",
    "device",
    "tags",
    "tokens",
    "signature",
    "resolution_code",
    "problem_ids",
    "related_ids",
    "mentions",
    "notes",
    "known_error",
    "workaround",
    "root_cause",
    "fixed",
)
FACTS_INSERT = (
    f"INSERT INTO ticket_facts ({', '.join(FACT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(FACT_COLUMNS))})"
)


def _facts(
    record_id: str,
    kind: str,
    title: tuple[str, str, bytes],
    opened: datetime,
    status: str,
    is_open: bool,
    origin: str,
    label: str,
    *,
    major: bool = False,
    service: str | None = None,
    category: str | None = None,
    resolution: str | None = None,
    problems: str = "",
    known_error: bool = False,
    workaround: str | None = None,
    fixed: bool = False,
    mentions: str = "",
) -> tuple[object, ...]:
    return (
        record_id,
        kind,
        title[0],
        stamp(opened),
        stamp(opened),
        status,
        is_open,
        origin,
        label,
        major,
        3,
        service,
        category,
        "ops",
        None,
        None,
        "",
        title[1],
        title[2],
        resolution,
        problems,
        "",
        mentions,
        "",
        known_error,
        workaround,
        False,
        fixed,
    )


def _problems(
    db: sqlite3.Connection, rng: random.Random, pool: list[tuple[str, str, bytes]], ids: list[str]
) -> None:
    rows, refs, facts, links = [], [], [], []
    for index, problem_id in enumerate(ids):
        opened = START + timedelta(seconds=rng.randrange(DAYS * 86400))
        fixed = rng.random() < 0.4
        known_error = not fixed and rng.random() < 0.3
        resolved = opened + timedelta(days=rng.randint(5, 60)) if fixed else None
        status = "resolved" if fixed else "root_cause_analysis"
        fix = (
            (
                f"Patched in CHG{rng.randint(10**6, 10**7 - 1):07d}"
                if rng.random() < 0.7
                else "Config corrected by hand"
            )
            if fixed
            else None
        )
        data = {
            "kind": "problem",
            "title": pool[index % len(pool)][0],
            "status": status,
            "resolved_at": iso(resolved) if resolved else None,
            "fix": fix,
            "known_error": known_error,
            "workaround": "restart" if known_error else None,
        }
        rows.append((problem_id, "problem", json.dumps(data), stamp(opened), stamp(opened)))
        refs.append((problem_id, "servicenow", f"prb-{index}", f"PRB{index:07d}"))
        facts.append(
            _facts(
                problem_id,
                "problem",
                pool[index % len(pool)],
                opened,
                status,
                not fixed,
                "servicenow",
                f"PRB{index:07d}",
                service=rng.choice(SERVICES),
                known_error=known_error,
                workaround="restart" if known_error else None,
                fixed=fixed,
            )
        )
    for index in range(KNOWN_ERRORS):
        record_id = f"K{index:06d}"
        opened = START + timedelta(seconds=rng.randrange(DAYS * 86400))
        data = {
            "kind": "known_error",
            "title": pool[index][0],
            "status": "published",
            "workaround": "use the web client",
            "published_at": iso(opened),
        }
        rows.append((record_id, "known_error", json.dumps(data), stamp(opened), stamp(opened)))
        facts.append(
            _facts(
                record_id,
                "known_error",
                pool[index],
                opened,
                "published",
                True,
                "jira",
                f"KE-{index}",
                known_error=True,
                workaround="web client",
            )
        )
        links.append((record_id, ids[index], "known_error_of", stamp(opened)))
    db.executemany("INSERT INTO records VALUES (?, ?, ?, 1, ?, ?)", rows)
    db.executemany("INSERT INTO external_refs VALUES (?, ?, ?, ?, NULL, NULL)", refs)
    db.executemany(FACTS_INSERT, facts)
    db.executemany("INSERT INTO links VALUES (?, ?, ?, 'bench', NULL, ?)", links)


def _incident(
    batch: dict[str, list[tuple[object, ...]]],
    rng: random.Random,
    pool: list[tuple[str, str, bytes]],
    problem_ids: list[str],
    i: int,
    n: int,
    seconds: int,
) -> None:
    record_id = f"I{i:08d}"
    opened = START + timedelta(seconds=seconds * i // n + rng.randrange(600))
    origin = SYSTEMS[i % 3]
    title = pool[rng.randrange(len(pool))]
    roll = rng.random()
    cancelled = roll < 0.03
    still_open = 0.03 <= roll < 0.15
    status = "canceled" if cancelled else "in_progress" if still_open else "closed"
    acked = opened + timedelta(minutes=rng.randint(1, 240))
    resolved = acked + timedelta(minutes=rng.randint(10, 60 * 72))
    major = rng.random() < 0.005
    due = opened + timedelta(hours=24) if origin == "servicenow" else None
    data = {
        "kind": "incident",
        "title": title[0],
        "status": status,
        "description": "User reports the problem again after the weekend; details follow. " * 3,
        "service": rng.choice(SERVICES),
        "category": rng.choice(CATEGORIES),
        "major": major,
        "opened_at": iso(opened),
        "resolved_at": iso(resolved) if status == "closed" else None,
        "closed_at": iso(resolved + timedelta(days=3)) if status == "closed" else None,
        "resolution_due_at": iso(due) if due else None,
        "enrichment": {"department": rng.choice(DEPARTMENTS)},
    }
    batch.setdefault("records", []).append(
        (record_id, "incident", json.dumps(data), stamp(opened), stamp(opened))
    )
    systems = [origin] + [s for s in SYSTEMS if s != origin and rng.random() < 0.2]
    for system in systems:
        batch.setdefault("refs", []).append((record_id, system, f"{system}-{i}", f"K{i}"))
    problems = ""
    if rng.random() < 0.3:
        problems = problem_ids[rng.randrange(len(problem_ids))]
        batch.setdefault("links", []).append((record_id, problems, "caused_by", stamp(opened)))
    if i and rng.random() < 0.02:
        original = f"I{i - 1 - rng.randrange(min(i, 50)):08d}"
        batch.setdefault("links", []).append((record_id, original, "duplicate_of", stamp(opened)))
    batch.setdefault("facts", []).append(
        _facts(
            record_id,
            "incident",
            title,
            opened,
            status,
            still_open,
            origin,
            f"K{i}",
            major=major,
            service=data["service"],
            category=data["category"],
            resolution="canceled" if cancelled else None,
            problems=problems,
        )
    )
    history = batch.setdefault("history", [])
    history.append((record_id, "status", '"new"', '"in_progress"', origin, stamp(acked)))
    history.append((record_id, "assignee", None, '{"email": "a@x"}', origin, stamp(acked)))
    if rng.random() < 0.1:
        history.append((record_id, "assignment_group", '"l1"', '"l2"', origin, stamp(acked)))
    if status == "closed":
        history.append(
            (record_id, "status", '"in_progress"', '"resolved"', origin, stamp(resolved))
        )
        if rng.random() < 0.05:
            history.append(
                (
                    record_id,
                    "status",
                    '"resolved"',
                    '"in_progress"',
                    origin,
                    stamp(resolved + timedelta(hours=1)),
                )
            )


def measure(path: Path, by: str | None) -> None:
    import anyio

    from itsmhub.reports import Dimension, build_report
    from itsmhub.reports.formats import shown
    from itsmhub.store import Store

    async def run() -> None:
        store = await Store.open(f"sqlite:///{path}")
        try:
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            report = await build_report(
                store, since=None, until=NOW, by=Dimension(by) if by else None, now=NOW
            )
            took = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF)
            used = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
        finally:
            await store.close()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        volume = report.overall.figure("volume")
        load = os.getloadavg()[0]
        print(
            f"report over {int(volume.value or 0):,} incidents (by {by or '-'}): "
            f"{took:.1f} s wall, {used:.1f} s CPU (all threads), peak RSS {peak:.0f} MiB; "
            f"load average {load:.1f} on {os.cpu_count()} cores"
        )
        for figure in (*report.overall.incidents, *report.overall.problems)[:20]:
            print(f"  {figure.label}: {shown(figure)} (n={figure.n:,})")

    anyio.run(run)


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    by = argv[argv.index("--by") + 1] if "--by" in argv else None
    if by in args:
        args.remove(by)
    if "--measure" in argv:
        measure(Path(args[0]), by)
        return
    n = int(args[0]) if args else 1_000_000
    path = Path(tempfile.gettempdir()) / f"itsmhub-report-bench-{n}-s{SEED}.db"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        build(partial, n)
        partial.rename(path)
        print(f"built {path} in {time.perf_counter() - started:.0f} s (setup, not measured)")
    command = [sys.executable, __file__, str(path), "--measure"] + (["--by", by] if by else [])
    subprocess.run(command, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
