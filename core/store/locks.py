"""Worker locks that die with their process.

One worker at a time pulls and pushes a connector. The lock is held by the operating
system (a ``flock`` on a file beside a SQLite store) or by the database session
(a PostgreSQL advisory lock), so a worker killed with SIGKILL releases it at once, and
whoever takes it next knows that rows still marked in flight belong to nobody.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@asynccontextmanager
async def worker_lock(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Try to take the lock ``name``; yields whether this worker holds it."""
    if engine.dialect.name == "postgresql":
        async with _advisory_lock(engine, name) as held:
            yield held
    else:
        with FileLock(Path(engine.url.database or "itsmhub.db"), name) as held:
            yield held


def advisory_key(name: str) -> int:
    """The PostgreSQL advisory lock key of lock ``name`` (the same in every process)."""
    return int.from_bytes(
        hashlib.sha256(f"itsmhub:{name}".encode()).digest()[:8], "big", signed=True
    )


@asynccontextmanager
async def _advisory_lock(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    key = advisory_key(name)
    async with engine.connect() as conn:
        held = bool(
            (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar()
        )
        try:
            yield held
        finally:
            if held:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


class FileLock:
    """``flock`` on a file beside the SQLite database: held while entered (True), or not
    (False) when another open file holds it, in this process or another."""

    def __init__(self, database: Path, name: str) -> None:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        self.path = database.with_name(f"{database.name}.{safe}.lock")
        self.fd: int | None = None

    def __enter__(self) -> bool:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            return False
        return True

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
