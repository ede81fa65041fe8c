"""Tickets by reporter: an index on ``ticket_facts.reporter`` (a hub Person id, or the
reporter's e-mail until the directory knows them).

Two readers ask "which open tickets are about this person?": ``itsmhub people show`` and
the enrichment step, which enriches a person's open tickets again when the directory says
they changed (a department move). Without the index both read every ticket's facts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_ticket_facts_reporter", "ticket_facts", ["reporter"])


def downgrade() -> None:
    op.drop_index("ix_ticket_facts_reporter", table_name="ticket_facts")
