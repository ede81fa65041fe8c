"""The outbox's due rows in claim order: a partial index on ``(connector,
next_attempt_at, id)`` of the rows still to be written (pending or in flight).

A claim takes the oldest due rows of one connector, up to its limit. The index it had,
``(connector, status, next_attempt_at)``, cannot give that order across two statuses, so
each claim read and sorted every waiting row: with 100,000 rows queued by a backfill, 80
ms a claim on PostgreSQL. Read in this index's order, the claim stops at its limit.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

WAITING = sa.text("status IN ('pending', 'in_flight')")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["connector", "next_attempt_at", "id"],
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
