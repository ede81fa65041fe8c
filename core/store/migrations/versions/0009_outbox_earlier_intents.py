"""What earlier attempts of an outbox row sent: ``outbox.sent_earlier``.

A row keeps in ``sent`` what its last attempt sent, written before the vendor call, so a
write whose answer was lost is recognised when its value comes back. An earlier attempt
may have reached the vendor too (its answer lost) with other values, the record having
changed in between; when that value came back it was taken for an edit made in the
vendor's tool and, being the newest change, it overwrote the newer value from the other
tool (a lost update, found by the chaos run). The earlier intents are now kept beside
the last.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A nullable column: SQLite adds it in place, no copy of the table.
    op.add_column("outbox", sa.Column("sent_earlier", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sent_earlier")
