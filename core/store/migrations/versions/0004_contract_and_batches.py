"""What the connector contract and the batched engine need.

- ``bases.links``: the links each system holds, as last agreed, so a link removed in a
  tool is told from one never written there;
- the outbox keeps what its last attempt sent (``sent``), when it was first tried, and
  the vendor job carrying it (``job_id``, ``job_position``); rows may wait on a job
  (status ``deferred``), and links can be removed (operation ``unlink``);
- ``parked``: pulled items waiting for the record they belong to (comments of a ticket
  not pulled yet, links to a record not known yet);
- ``lookup_cache``: enrichment and people look-ups, with an expiry;
- ``field_history``: status, assignment and priority as each system changed them, for
  reports;
- ``connector_runs``: each connector's cycles (when, how long, what, the error), for
  ``status`` and health checks;
- ``link_tombstones``: links a person removed, which rules must not propose again;
- ``webhook_events``: verified webhook deliveries, queued durably before the 2xx.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

# Frozen copies of the enum values at this revision (models may grow; this file may not).
_OPERATIONS = "operation IN ('create', 'update', 'comment', 'link', 'unlink')"
_OUTBOX_STATUSES = "status IN ('pending', 'in_flight', 'deferred', 'done', 'dead')"
_OLD_OPERATIONS = "operation IN ('create', 'update', 'comment', 'link')"
_OLD_OUTBOX_STATUSES = "status IN ('pending', 'in_flight', 'done', 'dead')"
_WEBHOOK_STATUSES = "status IN ('pending', 'done', 'dead')"


def _big_id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


# Revision 0002 named its checks through the naming convention twice over; this revision
# gives them the names the metadata expects, and the downgrade puts the old ones back.
_OLD_CHECKS = ("ck_outbox_ck_outbox_operation", "ck_outbox_ck_outbox_status")
_CHECKS = ("ck_outbox_operation", "ck_outbox_status")


def _outbox(
    *extra: sa.Column[object], operations: str, statuses: str, names: tuple[str, str]
) -> sa.Table:
    """The outbox as one revision leaves it: SQLite rebuilds the table from this, since
    it cannot alter a CHECK constraint (and batch mode does not reflect them)."""
    return sa.Table(
        "outbox",
        sa.MetaData(),
        _big_id(),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=True),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("correlation_marker", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        *extra,
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("correlation_marker", name="uq_outbox_correlation_marker"),
        sa.CheckConstraint(operations, name=op.f(names[0])),
        sa.CheckConstraint(statuses, name=op.f(names[1])),
        sa.Index(
            "ix_outbox_connector_status_next_attempt_at", "connector", "status", "next_attempt_at"
        ),
    )


def _new_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("sent", sa.JSON(), nullable=True),
        _ts("first_attempt_at", nullable=True),
        sa.Column("job_id", sa.String(), nullable=True),
        sa.Column("job_position", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("bases") as batch:
        batch.add_column(sa.Column("links", sa.JSON(), nullable=True))

    old = _outbox(operations=_OLD_OPERATIONS, statuses=_OLD_OUTBOX_STATUSES, names=_OLD_CHECKS)
    with op.batch_alter_table("outbox", copy_from=old) as batch:
        for column in _new_columns():
            batch.add_column(column)
        for name in _OLD_CHECKS:
            batch.drop_constraint(op.f(name), type_="check")
        batch.create_check_constraint(op.f(_CHECKS[0]), _OPERATIONS)
        batch.create_check_constraint(op.f(_CHECKS[1]), _OUTBOX_STATUSES)
    op.create_index("ix_outbox_connector_job_id", "outbox", ["connector", "job_id"])
    op.create_index("ix_outbox_record_id_operation", "outbox", ["record_id", "operation"])

    op.create_table(
        "parked",
        _big_id(),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("awaits", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        _ts("parked_at"),
        sa.PrimaryKeyConstraint("id", name="pk_parked"),
    )
    op.create_index("ix_parked_connector_awaits", "parked", ["connector", "awaits"])

    op.create_table(
        "lookup_cache",
        sa.Column("namespace", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        _ts("expires_at"),
        sa.PrimaryKeyConstraint("namespace", "key", name="pk_lookup_cache"),
    )

    op.create_table(
        "field_history",
        _big_id(),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("system", sa.String(), nullable=True),
        _ts("at"),
        sa.PrimaryKeyConstraint("id", name="pk_field_history"),
    )
    op.create_index("ix_field_history_record_id_at", "field_history", ["record_id", "at"])

    op.create_table(
        "connector_runs",
        _big_id(),
        sa.Column("connector", sa.String(), nullable=False),
        _ts("started_at"),
        _ts("finished_at"),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        _ts("caught_up_to", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_connector_runs"),
    )
    op.create_index(
        "ix_connector_runs_connector_finished_at", "connector_runs", ["connector", "finished_at"]
    )

    op.create_table(
        "link_tombstones",
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("target_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("removed_by", sa.String(), nullable=True),
        _ts("removed_at"),
        sa.PrimaryKeyConstraint("source_id", "target_id", "kind", name="pk_link_tombstones"),
    )

    op.create_table(
        "webhook_events",
        _big_id(),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("delivery_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("remote_id", sa.String(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("received_at"),
        _ts("occurred_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
        sa.UniqueConstraint(
            "connector", "delivery_id", name="uq_webhook_events_connector_delivery_id"
        ),
        sa.CheckConstraint(_WEBHOOK_STATUSES, name="ck_webhook_events_status"),
    )
    op.create_index("ix_webhook_events_connector_status", "webhook_events", ["connector", "status"])


def downgrade() -> None:
    for table in (
        "webhook_events",
        "link_tombstones",
        "connector_runs",
        "field_history",
        "lookup_cache",
        "parked",
    ):
        op.drop_table(table)
    op.drop_index("ix_outbox_record_id_operation", table_name="outbox")
    op.drop_index("ix_outbox_connector_job_id", table_name="outbox")
    # Rows only this revision allows cannot survive the older constraints.
    op.execute("DELETE FROM outbox WHERE operation = 'unlink'")
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'deferred'")
    new = _outbox(*_new_columns(), operations=_OPERATIONS, statuses=_OUTBOX_STATUSES, names=_CHECKS)
    with op.batch_alter_table("outbox", copy_from=new) as batch:
        for name in _CHECKS:
            batch.drop_constraint(op.f(name), type_="check")
        batch.create_check_constraint(op.f(_OLD_CHECKS[0]), _OLD_OPERATIONS)
        batch.create_check_constraint(op.f(_OLD_CHECKS[1]), _OLD_OUTBOX_STATUSES)
        batch.drop_column("job_position")
        batch.drop_column("job_id")
        batch.drop_column("first_attempt_at")
        batch.drop_column("sent")
    with op.batch_alter_table("bases") as batch:
        batch.drop_column("links")
