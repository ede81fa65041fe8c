"""Store URLs, async engines and schema migrations.

- :func:`normalise_url` turns ``sqlite:///path`` and ``postgresql://...`` into their async
  driver URLs (aiosqlite, asyncpg).
- :func:`create_engine` builds the async engine; on SQLite every connection gets WAL,
  foreign keys and a busy timeout, and SQLAlchemy (not the sqlite3 module) emits BEGIN.
- :func:`migrate` brings a database to :data:`HEAD_REVISION` with Alembic, run from code:
  no ``alembic.ini`` is read at runtime. It refuses, without touching anything, a database
  written by a newer itsmhub or one that holds tables but no itsmhub schema version.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic_core
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, Pool

from itsmhub.errors import StoreError

log = logging.getLogger("itsmhub.store")

#: The newest schema revision this version of itsmhub knows (a test keeps it in step).
HEAD_REVISION = "0009"
#: The last revision that changed what ticket facts hold: tickets already stored are given
#: facts (again) when a store is upgraded through it.
FACTS_REVISION = "0005"

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")

#: How long a SQLite writer waits for another one before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Execution option: begin a deferred (read) transaction instead of BEGIN IMMEDIATE.
READ_ONLY = "itsmhub_read_only"

_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
_ASYNC_DRIVERS = frozenset({"sqlite+aiosqlite", "postgresql+asyncpg", "postgresql+psycopg"})
_URL_FIX = "use sqlite:///path/to/itsmhub.db or postgresql://user@host:5432/dbname"

# Any constant works; it only has to be the same for every itsmhub process.
_PG_MIGRATION_LOCK = 0x17_5B_0B


def normalise_url(url: str | URL) -> URL:
    """Return the async-driver URL for a store URL; raise StoreError for what we cannot use."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Never echo the URL: it may carry a password.
        raise StoreError("the store URL could not be parsed", fix=_URL_FIX) from None
    driver = _SCHEMES.get(parsed.drivername, parsed.drivername)
    if driver not in _ASYNC_DRIVERS:
        raise StoreError(f"unsupported store URL scheme {parsed.drivername!r}", fix=_URL_FIX)
    parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() == "sqlite" and _is_memory(parsed):
        raise StoreError(
            "an in-memory SQLite store would vanish with its connection",
            fix="give the store a file path, e.g. sqlite:///var/lib/itsmhub/itsmhub.db",
        )
    return parsed


def display_url(url: URL) -> str:
    """The URL as it may appear in logs and messages: password hidden."""
    return url.render_as_string(hide_password=True)


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def _json_text(value: Any) -> str:
    # pydantic-core's Rust encoder: the standard library's took a twentieth of a sync
    # cycle's CPU on the JSON columns (bases, facts, audit details, outbox payloads).
    return pydantic_core.to_json(value).decode()


def create_engine(
    url: URL,
    *,
    connect_args: Mapping[str, Any] | None = None,
    for_migration: bool = False,
    poolclass: type[Pool] | None = None,
) -> AsyncEngine:
    """Create the async engine for a normalised store URL.

    ``for_migration`` is for the engine :func:`open_engine` migrates with. On SQLite its
    connections run with foreign keys off, since SQLite would otherwise run the cascades of a
    table that batch mode drops and re-creates, deleting the children; and they leave the
    journal mode alone, so a file that turns out not to be a store is not changed at all.
    """
    options: dict[str, Any] = {
        "connect_args": dict(connect_args or {}),
        "json_serializer": _json_text,
        "json_deserializer": pydantic_core.from_json,
    }
    if poolclass is not None:
        options["poolclass"] = poolclass
    if url.get_backend_name() == "sqlite":
        if url.database and not url.database.startswith("file:"):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **options)
        _configure_sqlite(engine, for_migration=for_migration)
        return engine
    # A daemon holds connections for days; a server restart must not break the next cycle.
    engine = create_async_engine(url, pool_pre_ping=True, **options)
    event.listen(engine.sync_engine, "connect", _plan_each_run)
    return engine


def _plan_each_run(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """asyncpg prepares every statement, and after five runs PostgreSQL may keep a generic
    plan chosen while a table was small: a backfill's ref look-ups then scanned the whole
    table once per page (0.3 s each at 50,000 records, where the index takes 1 ms).
    Planning each run with its own values costs far less than one such scan. Set on the
    session rather than as a startup parameter, which a pooler such as PgBouncer refuses."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    finally:
        cursor.close()
    dbapi_connection.commit()  # a SET is undone with the transaction it ran in


def _configure_sqlite(engine: AsyncEngine, *, for_migration: bool) -> None:
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN itself: the sqlite3 module's legacy mode would start
        # transactions only before DML, so reads and DDL would escape the transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_MS)}")
            if for_migration:
                cursor.execute("PRAGMA foreign_keys = OFF")
            else:
                # WAL: readers never block the writer, and it persists in the file.
                cursor.execute("PRAGMA journal_mode = WAL")
                # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last
                # commits, and with them their cursor, so the next pull reads them again.
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    def on_begin(connection: Connection) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE), so they queue on
        # busy_timeout; a deferred transaction that reads and then writes fails at once
        # with "database is locked" when another writer got there first.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the store's migrations, built in code.

    ``connection`` (a sync connection, e.g. inside ``AsyncConnection.run_sync``) is what
    ``env.py`` migrates; pass it to drive ``alembic.command`` directly, as tests do.
    """
    config = Config()
    # configparser interpolation would choke on a '%' in the install path.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    """The revisions shipped with this version of itsmhub."""
    return ScriptDirectory.from_config(alembic_config())


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`migrate` found and did."""

    from_revision: str | None
    to_revision: str
    applied: tuple[str, ...]


async def migrate(engine: AsyncEngine, *, url: URL | None = None) -> MigrationResult:
    """Bring the store to :data:`HEAD_REVISION` in one transaction, or refuse and change nothing."""
    shown = display_url(url or engine.url)
    async with engine.begin() as connection:
        result = await connection.run_sync(_migrate, shown)
    if result.applied:
        log.info(
            "store %s: schema upgraded from %s to %s (ran %s)",
            shown,
            result.from_revision or "empty",
            result.to_revision,
            ", ".join(result.applied),
        )
    return result


def _migrate(connection: Connection, shown: str) -> MigrationResult:
    if connection.dialect.name == "postgresql":
        # Two daemons starting together must not both run the same revision.
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
    script = script_directory()
    head = script.get_current_head()
    assert head is not None, "the store ships with at least one revision"

    tables = set(sa.inspect(connection).get_table_names())
    current: tuple[str, ...] = ()
    if "alembic_version" in tables:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
    foreign = sorted(tables - {"alembic_version"})
    if not current and foreign:
        listed = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise StoreError(
            f"the database at {shown} has tables ({listed}) but no itsmhub schema version: "
            "it is not an itsmhub store, or its alembic_version table was lost; "
            "itsmhub changes nothing in a database it does not recognise",
            fix="point the store URL at an empty database or an existing itsmhub store",
        )
    for revision in current:
        try:
            script.get_revision(revision)
        except CommandError:
            raise StoreError(
                f"the store at {shown} is at schema revision {revision!r}, which this version "
                f"of itsmhub does not know (it knows revisions up to {head!r}): a newer "
                "itsmhub wrote it, or the database belongs to another application",
                fix="upgrade itsmhub to the version that wrote this store, or a newer one; "
                "or point the store URL at a database of its own",
            ) from None
    if current == (head,):
        return MigrationResult(from_revision=head, to_revision=head, applied=())

    from_revision = current[0] if len(current) == 1 else None
    pending = [
        rev.revision
        for rev in reversed(list(script.iterate_revisions(head, from_revision or "base")))
    ]
    command.upgrade(alembic_config(connection), "head")
    if connection.dialect.name == "sqlite":
        # Migrations run with foreign keys off (see create_engine); check them before commit.
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(
                f"migrating the store at {shown} would leave {len(broken)} dangling references "
                f"(first: {tuple(broken[0])}); nothing was changed",
                fix="report this as a bug in itsmhub, with the revision numbers",
            )
    return MigrationResult(from_revision=from_revision, to_revision=head, applied=tuple(pending))


async def open_engine(
    url: str | URL, *, connect_args: Mapping[str, Any] | None = None
) -> tuple[AsyncEngine, MigrationResult]:
    """Normalise ``url``, migrate the database to head, and return the engine to use."""
    normalised = normalise_url(url)
    shown = display_url(normalised)
    # A throwaway engine for the migration (see create_engine); NullPool makes sure its
    # connection, with foreign keys off, is closed and never reused by the store.
    migrator = create_engine(
        normalised, connect_args=connect_args, for_migration=True, poolclass=NullPool
    )
    try:
        result = await migrate(migrator, url=normalised)
    except StoreError:
        raise
    except (sa.exc.DBAPIError, OSError) as exc:
        raise StoreError(
            f"cannot open the store at {shown}: {_describe(exc)}",
            fix="check that the database server is running and the URL, user and "
            "permissions are right; a SQLite path must be a SQLite file",
        ) from exc
    finally:
        await migrator.dispose()
    return create_engine(normalised, connect_args=connect_args), result


def _describe(exc: BaseException) -> str:
    """The driver's error class and first line: the SQL and parameters that follow stay out."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
        # SQLAlchemy's asyncpg adapter wraps the driver's own, better named, error.
        exc = getattr(exc, "orig", None) or exc
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


__all__ = [
    "HEAD_REVISION",
    "MIGRATIONS_DIR",
    "SQLITE_BUSY_TIMEOUT_MS",
    "MigrationResult",
    "alembic_config",
    "create_engine",
    "display_url",
    "migrate",
    "normalise_url",
    "open_engine",
]
