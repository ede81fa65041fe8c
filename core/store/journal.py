"""What happened and what keeps failing: the audit log and the dead-letter list (G6, G8)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import JsonValue
from sqlalchemy import case, func, select, update

from ._base import Operations, Upsert
from .errors import NotFound
from .models import AuditEntry, DeadLetter, DeadLetterIn, DeadLetterStatus
from .schema import audit_log, dead_letters


def dead_letter_upsert(ops: Operations, letter: DeadLetterIn, now: datetime) -> Upsert:
    """The statement adding ``letter``, or adding it up with a repeat (see
    :meth:`JournalOperations.add_dead_letter`)."""
    upsert = ops._insert(dead_letters).values(
        **letter.model_dump(), first_seen=now, last_seen=now, status=DeadLetterStatus.OPEN.value
    )
    latest = ("error_class", "http_status", "request_id", "reason", "last_seen")
    return upsert.on_conflict_do_update(
        index_elements=[
            dead_letters.c.connector,
            dead_letters.c.record_key,
            dead_letters.c.remote_version,
        ],
        set_={
            **{name: upsert.excluded[name] for name in latest},
            # A repeat reported without a payload keeps the one already stored.
            "payload": func.coalesce(upsert.excluded.payload, dead_letters.c.payload),
            "attempts": dead_letters.c.attempts + upsert.excluded.attempts,
            "status": case(
                (
                    dead_letters.c.status == DeadLetterStatus.DROPPED.value,
                    DeadLetterStatus.DROPPED.value,
                ),
                else_=DeadLetterStatus.OPEN.value,
            ),
        },
    )


class JournalOperations(Operations):
    """Audit entries and dead letters."""

    async def audit(
        self,
        event: str,
        *,
        record_id: str | None = None,
        connector: str | None = None,
        detail: Mapping[str, JsonValue] | None = None,
    ) -> int:
        """Append an audit entry (e.g. a resolved conflict with both values); return its id."""
        insert = audit_log.insert().values(
            at=self._now(),
            event=event,
            record_id=record_id,
            connector=connector,
            detail=dict(detail or {}),
        )
        async with self._connect() as conn:
            return (await conn.execute(insert.returning(audit_log.c.id))).scalar_one()

    async def audit_trail(self, record_id: str) -> list[AuditEntry]:
        """Every audit entry about ``record_id``, oldest first."""
        query = (
            select(audit_log)
            .where(audit_log.c.record_id == record_id)
            .order_by(audit_log.c.at, audit_log.c.id)
        )
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [AuditEntry.model_validate(row._asdict()) for row in rows]

    async def last_audit(self, connector: str, event_prefix: str = "") -> AuditEntry | None:
        """The newest audit entry of ``connector`` whose event starts with ``event_prefix``.

        ``last_audit("jira", "error")`` is what ``itsmhub status`` shows as the last error.
        """
        query = (
            select(audit_log)
            .where(audit_log.c.connector == connector)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(1)
        )
        if event_prefix:
            # autoescape: a '%' or '_' in the prefix is matched literally, not as a wildcard.
            query = query.where(audit_log.c.event.startswith(event_prefix, autoescape=True))
        async with self._connect(write=False) as conn:
            row = (await conn.execute(query)).one_or_none()
        return AuditEntry.model_validate(row._asdict()) if row else None

    async def add_dead_letter(self, letter: DeadLetterIn) -> DeadLetter:
        """Dead-letter a record; a repeat of (connector, record_key, remote_version) adds up.

        A repeat adds its attempts, moves ``last_seen``, takes the latest reason and payload
        (keeping the stored payload if the repeat has none), and re-opens a letter that was
        retried. A dropped letter stays dropped: an admin decided to ignore that version.
        """
        upsert = dead_letter_upsert(self, letter, self._now())
        async with self._connect() as conn:
            row = (await conn.execute(upsert.returning(*dead_letters.c))).one()
        return DeadLetter.model_validate(row._asdict())

    async def list_dead_letters(
        self,
        connector: str | None = None,
        status: DeadLetterStatus | None = DeadLetterStatus.OPEN,
    ) -> list[DeadLetter]:
        """Dead letters, oldest first; ``None`` means any connector or any status."""
        query = select(dead_letters).order_by(dead_letters.c.id)
        if connector is not None:
            query = query.where(dead_letters.c.connector == connector)
        if status is not None:
            query = query.where(dead_letters.c.status == DeadLetterStatus(status).value)
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [DeadLetter.model_validate(row._asdict()) for row in rows]

    async def count_dead_letters(
        self,
        connector: str | None = None,
        status: DeadLetterStatus | None = DeadLetterStatus.OPEN,
    ) -> int:
        """How many dead letters :meth:`list_dead_letters` would return, without reading them."""
        query = select(func.count()).select_from(dead_letters)
        if connector is not None:
            query = query.where(dead_letters.c.connector == connector)
        if status is not None:
            query = query.where(dead_letters.c.status == DeadLetterStatus(status).value)
        async with self._connect(write=False) as conn:
            return int((await conn.execute(query)).scalar_one())

    async def get_dead_letter(self, letter_id: int) -> DeadLetter | None:
        """One dead letter by id, or None."""
        async with self._connect(write=False) as conn:
            row = (
                await conn.execute(select(dead_letters).where(dead_letters.c.id == letter_id))
            ).one_or_none()
        return DeadLetter.model_validate(row._asdict()) if row else None

    async def set_dead_letter_status(self, letter_id: int, status: DeadLetterStatus) -> None:
        """Mark a dead letter retried (replayed), dropped, or open again."""
        change = (
            update(dead_letters)
            .where(dead_letters.c.id == letter_id)
            .values(status=DeadLetterStatus(status).value)
            .returning(dead_letters.c.id)
        )
        async with self._connect() as conn:
            if (await conn.execute(change)).first() is None:
                raise NotFound(f"there is no dead letter {letter_id}")
