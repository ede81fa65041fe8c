"""The state store: records, external refs, per-system bases, cursors, the outbox, links,
the audit log, dead letters and leases, on SQLite (default) or PostgreSQL.

    async with await Store.open("sqlite:///var/lib/itsmhub/itsmhub.db") as store:
        await store.put_record(incident)
        async with store.transaction() as tx:   # one unit of work
            ...

Opening a store migrates its schema to :data:`HEAD_REVISION` (Alembic, run from code), or
refuses with :class:`~itsmhub.errors.StoreError` when that is not safe. See ``store.py``
for the transaction model and ``engine.py`` for URLs and migrations.
"""

from itsmhub.errors import StoreError

from .batch_reads import Loaded, ParkedItem
from .engine import HEAD_REVISION, MigrationResult, alembic_config, normalise_url
from .errors import NotFound, RefConflict, VersionConflict
from .models import (
    AuditEntry,
    Base,
    ConnectorRun,
    DeadLetter,
    DeadLetterIn,
    DeadLetterStatus,
    OutboxItem,
    OutboxItemIn,
    OutboxOperation,
    OutboxStatus,
    StoredRecord,
)
from .outbox import CLAIM_LEASE
from .store import Store, StoreTransaction, open_store
from .writes import RowUpdate, Writes

__all__ = [
    "CLAIM_LEASE",
    "HEAD_REVISION",
    "AuditEntry",
    "Base",
    "ConnectorRun",
    "DeadLetter",
    "DeadLetterIn",
    "DeadLetterStatus",
    "Loaded",
    "MigrationResult",
    "NotFound",
    "OutboxItem",
    "OutboxItemIn",
    "OutboxOperation",
    "OutboxStatus",
    "ParkedItem",
    "RefConflict",
    "RowUpdate",
    "Store",
    "StoreError",
    "StoreTransaction",
    "StoredRecord",
    "VersionConflict",
    "Writes",
    "alembic_config",
    "normalise_url",
    "open_store",
]
