"""Alembic environment for the state store.

itsmhub runs migrations from code (:func:`itsmhub.store.engine.migrate`), handing a sync
connection over in ``config.attributes["connection"]`` from inside
``AsyncConnection.run_sync``, within a transaction it owns.

For developers, the ``alembic`` command works too, with ``core/store/alembic.ini``: it
migrates the database named by ``ITSMHUB_STORE_URL`` (or ``sqlalchemy.url``), e.g. to draft
a revision with ``--autogenerate``. Offline (``--sql``) mode is not supported.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from itsmhub.errors import StoreError
from itsmhub.store.engine import create_engine, normalise_url
from itsmhub.store.schema import metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: autogenerate must draft batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    engine = create_engine(normalise_url(url), for_migration=True, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_with)
    finally:
        await engine.dispose()


def main() -> None:
    if context.is_offline_mode():
        raise StoreError("offline (--sql) migrations are not supported for the itsmhub store")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    url = os.environ.get("ITSMHUB_STORE_URL") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise StoreError(
            "no database to migrate", fix="set ITSMHUB_STORE_URL or sqlalchemy.url in alembic.ini"
        )
    asyncio.run(run_from_url(url))


main()
