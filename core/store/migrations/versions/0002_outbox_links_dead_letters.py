"""Outbox, links, dead letters and leases.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

# Frozen copies of the enum values at this revision (models may grow; this file may not).
_OPERATIONS = "operation IN ('create', 'update', 'comment', 'link')"
_OUTBOX_STATUSES = "status IN ('pending', 'in_flight', 'done', 'dead')"
_DEAD_LETTER_STATUSES = "status IN ('open', 'retried', 'dropped')"


def _big_id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "outbox",
        _big_id(),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=True),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("correlation_marker", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("correlation_marker", name="uq_outbox_correlation_marker"),
        sa.CheckConstraint(_OPERATIONS, name="ck_outbox_operation"),
        sa.CheckConstraint(_OUTBOX_STATUSES, name="ck_outbox_status"),
    )
    op.create_index(
        "ix_outbox_connector_status_next_attempt_at",
        "outbox",
        ["connector", "status", "next_attempt_at"],
    )

    op.create_table(
        "links",
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("target_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["records.id"], name="fk_links_source_id_records", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["records.id"], name="fk_links_target_id_records", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("source_id", "target_id", "kind", name="pk_links"),
    )
    op.create_index("ix_links_target_id", "links", ["target_id"])

    op.create_table(
        "dead_letters",
        _big_id(),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("record_key", sa.String(), nullable=False),
        sa.Column("remote_version", sa.String(), nullable=False),
        sa.Column("error_class", sa.String(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
        sa.UniqueConstraint(
            "connector",
            "record_key",
            "remote_version",
            name="uq_dead_letters_connector_record_key_remote_version",
        ),
        sa.CheckConstraint(_DEAD_LETTER_STATUSES, name="ck_dead_letters_status"),
    )

    op.create_table(
        "leases",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("dead_letters")
    op.drop_table("links")
    op.drop_table("outbox")
