"""What the daemon needs: when a webhook event's targeted pull ended and why it failed or
was skipped (``webhook_events.processed_at``, ``error``), and which worker ran each
connector cycle (``connector_runs.worker``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_events") as batch:
        batch.add_column(sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
    with op.batch_alter_table("connector_runs") as batch:
        batch.add_column(sa.Column("worker", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connector_runs") as batch:
        batch.drop_column("worker")
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_column("error")
        batch.drop_column("processed_at")
