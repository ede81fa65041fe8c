"""The store's tables, as SQLAlchemy Core metadata: the target the migrations must reach.

The migrations under ``migrations/versions`` are written out by hand (``op.create_table``), so
a test compares the migrated database with this metadata on SQLite and PostgreSQL. Change both
together: add a revision, never edit a released one.

Types are portable: strings, integers, ``JSON``, and :class:`UtcTimestamp`, which stores
timezone-aware UTC everywhere (``timestamptz`` on PostgreSQL, UTC text on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
)

from itsmhub.model import ensure_utc

from .models import DeadLetterStatus, OutboxOperation, OutboxStatus

#: Every constraint and index gets a predictable name, so later migrations can address it
#: (SQLite batch mode cannot drop an unnamed constraint).
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcTimestamp(TypeDecorator[datetime]):
    """A timestamp that goes in aware and always comes back aware, in UTC.

    SQLite has no time zone type: values are stored as naive UTC text, whose lexical order
    is time order, so comparisons in SQL stay correct. Naive datetimes are refused, because
    their zone would be a guess.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # The text SQLite's DATETIME type writes ("2026-01-05 09:30:00.000000"), made in one
        # C call and remembered: a page writes a dozen stamps per record, most of them the
        # page's "now" or the change's time, and converting each was a tenth of a backfill.
        recent: dict[datetime, str] = {}

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            text = recent.get(value)
            if text is None:
                utc = value if value.tzinfo is UTC else ensure_utc(value)
                text = utc.isoformat(" ", "microseconds")[:26]  # without its "+00:00"
                if len(recent) >= 4096:
                    recent.clear()
                recent[value] = text
            return text

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Autoincrement ids are BIGINT where that is a separate type; on SQLite only INTEGER
# PRIMARY KEY is the rowid alias that autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _one_of(column: str, values: type[OutboxStatus | OutboxOperation | DeadLetterStatus]) -> str:
    listed = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IN ({listed})"


records = Table(
    "records",
    metadata,
    Column("id", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("data", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("updated_at", UtcTimestamp(), nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "kind"),
)

external_refs = Table(
    "external_refs",
    metadata,
    Column("record_id", String, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("system", String, nullable=False),
    Column("remote_id", String, nullable=False),
    Column("key", String, nullable=True),
    Column("url", String, nullable=True),
    Column("remote_type", String, nullable=True),
    # A record lives at most once in each system, and a remote record maps to one hub record.
    PrimaryKeyConstraint("record_id", "system"),
    UniqueConstraint("system", "remote_id"),
    Index(None, "system", "key"),
)

bases = Table(
    "bases",
    metadata,
    Column("record_id", String, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("system", String, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("remote_version", String, nullable=True),
    Column("remote_updated_at", UtcTimestamp(), nullable=True),
    Column("agreed_at", UtcTimestamp(), nullable=False),
    Column("links", JSON(none_as_null=True), nullable=True),
    PrimaryKeyConstraint("record_id", "system"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("connector", String, nullable=False),
    Column("stream", String, nullable=False),
    Column("value", JSON, nullable=False),
    Column("updated_at", UtcTimestamp(), nullable=False),
    PrimaryKeyConstraint("connector", "stream"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, nullable=False, autoincrement=True),
    # No foreign key: the audit trail outlives the records it talks about.
    Column("record_id", String, nullable=True),
    Column("connector", String, nullable=True),
    Column("at", UtcTimestamp(), nullable=False),
    Column("event", String, nullable=False),
    Column("detail", JSON, nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "record_id", "at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, nullable=False, autoincrement=True),
    Column("connector", String, nullable=False),
    # No foreign key: an item may concern no record (a link between two remote ids).
    Column("record_id", String, nullable=True),
    Column("operation", String, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("correlation_marker", String, nullable=True),
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcTimestamp(), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("updated_at", UtcTimestamp(), nullable=False),
    Column("sent", JSON(none_as_null=True), nullable=True),
    # What earlier attempts sent while their outcome is unknown (see record_intents).
    Column("sent_earlier", JSON(none_as_null=True), nullable=True),
    Column("first_attempt_at", UtcTimestamp(), nullable=True),
    Column("job_id", String, nullable=True),
    Column("job_position", Integer, nullable=True),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("correlation_marker"),
    CheckConstraint(_one_of("operation", OutboxOperation), name="operation"),
    CheckConstraint(_one_of("status", OutboxStatus), name="status"),
    # Every claim and depth query is per connector: connector leads the index.
    Index(None, "connector", "status", "next_attempt_at"),
    Index(None, "connector", "job_id"),
    # A page's pull asks which of its records have writes in flight.
    Index(None, "record_id", "operation"),
)

#: Outbox rows still to be written (pending, or in flight until their lease ends). The
#: statuses are written into the SQL, not bound: only then can PostgreSQL (with a generic
#: plan) and SQLite tell that a query asking for them may read the partial index below.
WAITING = outbox.c.status.in_(
    bindparam(
        "waiting_statuses",
        value=[OutboxStatus.PENDING.value, OutboxStatus.IN_FLIGHT.value],
        expanding=True,
        literal_execute=True,
    )
)
# The claim reads the oldest due rows of one connector in order and stops at its limit,
# however many are waiting: without it, each claim sorted every waiting row.
Index(
    "ix_outbox_due",
    outbox.c.connector,
    outbox.c.next_attempt_at,
    outbox.c.id,
    postgresql_where=WAITING,
    sqlite_where=WAITING,
)

links = Table(
    "links",
    metadata,
    Column("source_id", String, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("target_id", String, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String, nullable=False),
    Column("origin", String, nullable=True),
    Column("reason", Text, nullable=True),
    Column("created_at", UtcTimestamp(), nullable=False),
    PrimaryKeyConstraint("source_id", "target_id", "kind"),
    # Rules ask "what links to this problem?" as often as the reverse.
    Index(None, "target_id"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigId, nullable=False, autoincrement=True),
    Column("connector", String, nullable=False),
    Column("record_key", String, nullable=False),
    # NOT NULL ('' = unknown): NULLs never collide in a unique constraint, so repeats of an
    # unknown version would pile up instead of adding up.
    Column("remote_version", String, nullable=False),
    Column("error_class", String, nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("request_id", String, nullable=True),
    Column("reason", Text, nullable=False),
    Column("payload", JSON(none_as_null=True), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("first_seen", UtcTimestamp(), nullable=False),
    Column("last_seen", UtcTimestamp(), nullable=False),
    Column("status", String, nullable=False),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("connector", "record_key", "remote_version"),
    CheckConstraint(_one_of("status", DeadLetterStatus), name="status"),
)

ticket_facts = Table(
    "ticket_facts",
    metadata,
    # What rules read of a ticket (itsmhub.rules.facts), written with the ticket itself.
    # Lists are stored as text joined by U+001F: a million of them are read per dry-run,
    # and decoding JSON would be a third of its time.
    Column("record_id", String, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("opened_at", UtcTimestamp(), nullable=False),
    Column("changed_at", UtcTimestamp(), nullable=False),
    Column("status", String, nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("origin", String, nullable=True),
    Column("label", String, nullable=True),
    Column("major", Boolean, nullable=False),
    Column("priority", Integer, nullable=True),
    Column("service", String, nullable=True),
    Column("category", String, nullable=True),
    Column("assignment_group", String, nullable=True),
    Column("reporter", String, nullable=True),
    Column("device", String, nullable=True),
    Column("tags", Text, nullable=False),
    Column("tokens", Text, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("resolution_code", String, nullable=True),
    Column("problem_ids", Text, nullable=False),
    Column("related_ids", Text, nullable=False),
    Column("mentions", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("known_error", Boolean, nullable=False),
    Column("workaround", Text, nullable=True),
    Column("root_cause", Boolean, nullable=False),
    Column("fixed", Boolean, nullable=False),
    # The ticket's embedding (itsmhub.rules.embedding); NULL until computed (revision 0005).
    Column("vector", LargeBinary, nullable=True),
    # Problems people unlinked the ticket from: never proposed again. Kept when the rest
    # of the facts is rewritten.
    Column("rejected_ids", Text, nullable=False, server_default=""),
    PrimaryKeyConstraint("record_id"),
    # Dry-runs read every ticket by time, other readers one kind by time; incremental
    # runs read what changed since a (changed_at, record_id) position.
    Index(None, "opened_at", "record_id"),
    Index(None, "kind", "opened_at"),
    Index(None, "changed_at", "record_id"),
    # "Which open tickets are about this person?" (people show, enrichment revisits).
    Index(None, "reporter"),
)

parked = Table(
    "parked",
    metadata,
    # Pulled items that wait for the record they belong to: comments of a ticket not
    # pulled yet (``awaits`` its remote id), a link to a record not known yet.
    Column("id", BigId, nullable=False, autoincrement=True),
    Column("connector", String, nullable=False),
    Column("awaits", String, nullable=False),
    Column("record_id", String, nullable=True),
    Column("payload", JSON, nullable=False),
    Column("parked_at", UtcTimestamp(), nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "connector", "awaits"),
)

lookup_cache = Table(
    "lookup_cache",
    metadata,
    Column("namespace", String, nullable=False),
    Column("key", String, nullable=False),
    Column("value", JSON(none_as_null=True), nullable=True),
    Column("expires_at", UtcTimestamp(), nullable=False),
    PrimaryKeyConstraint("namespace", "key"),
)

field_history = Table(
    "field_history",
    metadata,
    # No foreign key: like the audit trail, history outlives the records it talks about.
    Column("id", BigId, nullable=False, autoincrement=True),
    Column("record_id", String, nullable=False),
    Column("field", String, nullable=False),
    Column("old", JSON(none_as_null=True), nullable=True),
    Column("new", JSON(none_as_null=True), nullable=True),
    Column("system", String, nullable=True),
    Column("at", UtcTimestamp(), nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "record_id", "at"),
)

connector_runs = Table(
    "connector_runs",
    metadata,
    Column("id", BigId, nullable=False, autoincrement=True),
    Column("connector", String, nullable=False),
    Column("started_at", UtcTimestamp(), nullable=False),
    Column("finished_at", UtcTimestamp(), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text, nullable=True),
    Column("stats", JSON, nullable=False),
    # The vendor time every change before which has been pulled (the cursors' oldest).
    Column("caught_up_to", UtcTimestamp(), nullable=True),
    # Which worker ran it (host:pid), when a daemon did.
    Column("worker", String, nullable=True),
    PrimaryKeyConstraint("id"),
    Index(None, "connector", "finished_at"),
)

link_tombstones = Table(
    "link_tombstones",
    metadata,
    Column("source_id", String, nullable=False),
    Column("target_id", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("removed_by", String, nullable=True),
    Column("removed_at", UtcTimestamp(), nullable=False),
    PrimaryKeyConstraint("source_id", "target_id", "kind"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", BigId, nullable=False, autoincrement=True),
    Column("connector", String, nullable=False),
    Column("delivery_id", String, nullable=True),
    Column("kind", String, nullable=True),
    Column("remote_id", String, nullable=False),
    Column("event_type", String, nullable=False),
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("received_at", UtcTimestamp(), nullable=False),
    Column("occurred_at", UtcTimestamp(), nullable=True),
    # When its targeted pull ended (done or dead), and why it failed or was skipped.
    Column("processed_at", UtcTimestamp(), nullable=True),
    Column("error", Text, nullable=True),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("connector", "delivery_id"),
    CheckConstraint("status IN ('pending', 'done', 'dead')", name="status"),
    Index(None, "connector", "status"),
)

#: Logins and e-mail local parts of the people the hub knows, masked in ticket text.
people_handles = Table(
    "people_handles",
    metadata,
    Column("handle", String, nullable=False),
    PrimaryKeyConstraint("handle"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String, nullable=False),
    Column("holder", String, nullable=False),
    Column("expires_at", UtcTimestamp(), nullable=False),
    PrimaryKeyConstraint("name"),
)

__all__ = [
    "NAMING_CONVENTION",
    "UtcTimestamp",
    "audit_log",
    "bases",
    "connector_runs",
    "cursors",
    "dead_letters",
    "external_refs",
    "field_history",
    "leases",
    "link_tombstones",
    "links",
    "lookup_cache",
    "metadata",
    "outbox",
    "parked",
    "people_handles",
    "records",
    "ticket_facts",
    "webhook_events",
]
