"""Ticket facts: what rules read of each ticket, kept beside it.

Existing tickets get their facts when the store opens after this upgrade
(``Store.open`` backfills tickets that have none), since a migration cannot compute
fingerprints without importing the application.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_facts",
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(), nullable=True),
        sa.Column("label", sa.String(), nullable=True),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=True),
        sa.Column("assignment_group", sa.String(), nullable=True),
        sa.Column("reporter", sa.String(), nullable=True),
        sa.Column("device", sa.String(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("resolution_code", sa.String(), nullable=True),
        sa.Column("problem_ids", sa.Text(), nullable=False),
        sa.Column("related_ids", sa.Text(), nullable=False),
        sa.Column("mentions", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("known_error", sa.Boolean(), nullable=False),
        sa.Column("workaround", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.Boolean(), nullable=False),
        sa.Column("fixed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name="fk_ticket_facts_record_id_records",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name="pk_ticket_facts"),
    )
    op.create_index(
        "ix_ticket_facts_opened_at_record_id", "ticket_facts", ["opened_at", "record_id"]
    )
    op.create_index("ix_ticket_facts_kind_opened_at", "ticket_facts", ["kind", "opened_at"])
    # The incremental rules read by (changed_at, record_id) position: a keyset, so the
    # index must hold both.
    op.create_index(
        "ix_ticket_facts_changed_at_record_id", "ticket_facts", ["changed_at", "record_id"]
    )


def downgrade() -> None:
    op.drop_table("ticket_facts")
