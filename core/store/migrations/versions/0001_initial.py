"""Initial store: records, external refs, per-system bases, cursors, audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Types are spelled out here rather than imported from schema.py, so this revision keeps
creating the same tables whatever schema.py says later. ``sa.DateTime(timezone=True)`` is
what ``schema.UtcTimestamp`` stores.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
    )
    op.create_index("ix_records_kind", "records", ["kind"])

    op.create_table(
        "external_refs",
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("system", sa.String(), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("remote_type", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name="fk_external_refs_record_id_records",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "system", name="pk_external_refs"),
        sa.UniqueConstraint("system", "remote_id", name="uq_external_refs_system_remote_id"),
    )
    op.create_index("ix_external_refs_system_key", "external_refs", ["system", "key"])

    op.create_table(
        "bases",
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("system", sa.String(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("remote_version", sa.String(), nullable=True),
        sa.Column("remote_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name="fk_bases_record_id_records", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_id", "system", name="pk_bases"),
    )

    op.create_table(
        "cursors",
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("stream", sa.String(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("connector", "stream", name="pk_cursors"),
    )

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("record_id", sa.String(), nullable=True),
        sa.Column("connector", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_record_id_at", "audit_log", ["record_id", "at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("cursors")
    op.drop_table("bases")
    op.drop_table("external_refs")
    op.drop_table("records")
