"""Semantic facts: each ticket's embedding, the problems people unlinked it from, and the
handles of the people the hub knows (masked in ticket text).

Tickets already stored get their embedding when the store opens after this upgrade
(``Store.open`` recomputes facts that have none), since a migration cannot run the
embedding model without importing the application.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # NULL until computed: Store.open fills in the tickets of older revisions.
    op.add_column("ticket_facts", sa.Column("vector", sa.LargeBinary(), nullable=True))
    op.add_column(
        "ticket_facts",
        sa.Column("rejected_ids", sa.Text(), nullable=False, server_default=""),
    )
    op.create_table(
        "people_handles",
        sa.Column("handle", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("handle", name="pk_people_handles"),
    )


def downgrade() -> None:
    op.drop_table("people_handles")
    with op.batch_alter_table("ticket_facts") as batch:
        batch.drop_column("rejected_ids")
        batch.drop_column("vector")
