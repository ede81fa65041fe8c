"""The ``servicenow`` connector: incidents, problems and Known Error articles through the
Table API, bulk writes through the Batch API.

Pulls read ``sys_updated_on`` keyset pages (the version is ``sys_mod_count``, which the
engine de-duplicates on) with each page's journal entries from ``sys_journal_field``;
writes are Table API POST/PATCH with ``correlation_id`` as the marker (G3), or ``meta``
on articles. Journal entries cannot be edited, so an edited comment is posted as a
correction (see :meth:`ServiceNowConnector.update_comment`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from pydantic import JsonValue

from itsmhub import (
    NOT_SYNCED,
    AnyRecord,
    Checkpoint,
    CheckResult,
    Comment,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    Cursor,
    ExternalRef,
    FatalError,
    FieldChanges,
    LinkKind,
    PageGuard,
    PersonRef,
    Probe,
    PullItem,
    PullRequest,
    RecordError,
    RecordKind,
    RejectedRecord,
    RemoteChange,
    RemoteVersion,
    Stream,
    TransientError,
    check_reads,
    check_unchanged,
    correction_marker,
    read_ahead,
)

from . import mapping
from .bulk import BatchWrites
from .client import Page, ServiceNowClient
from .mapping import Row, Target, format_time, parse_time, row_version, text
from .settings import ServiceNowSettings

#: Reads a page of records with its journal (see ``pull``).
Read = Callable[[], Awaitable[tuple[Page, dict[str, list[Comment]]]]]

JOURNAL_TABLE = "sys_journal_field"
# sys_ids per look-up by id. A page's journal is read in one query whatever its size:
# the client packs a query too long for a URL into a Batch API call (client.MAX_URL).
IDS_PER_QUERY = 10_000
_ORDER = "ORDERBYsys_updated_on^ORDERBYsys_id"
_SYS_ID = re.compile(r"^[0-9a-f]{32}$")


def pull_query(
    since: datetime | None, until: datetime | None, after: tuple[str, str] | None = None
) -> str:
    """The encoded query of one pull page, oldest first by (sys_updated_on, sys_id).

    ``after`` is the last (sys_updated_on, sys_id) read: the next page starts strictly
    after it. ``^OR`` binds to the term before it, so the keyset is written as
    ``updated >= X AND (updated > X OR sys_id > Y)``.
    """
    terms = []
    if after is not None:
        stamp, sys_id = after
        terms += [f"sys_updated_on>={stamp}", f"sys_updated_on>{stamp}^ORsys_id>{sys_id}"]
    elif since is not None:
        terms.append(f"sys_updated_on>={format_time(since)}")
    if until is not None:
        terms.append(f"sys_updated_on<{format_time(until)}")
    return "^".join([*terms, _ORDER])


class ServiceNowConnector(BatchWrites, Connector):
    """Records kept in the incident and problem tables (and, optionally, Known Error articles)."""

    kind: ClassVar[str] = "servicenow"
    title: ClassVar[str] = "ServiceNow"
    settings_model: ClassVar[type[ConnectorSettings]] = ServiceNowSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = frozenset(
        {RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR}
    )
    # What mapping.to_payload writes and reads back (cause: Known Error articles only).
    # Priority is derived by ServiceNow from impact and urgency: kept, so the derived value
    # flows to the hub. People, services by name, tags and ServiceNow's own timestamps are
    # not written, so not synced here.
    link_kinds: ClassVar[frozenset[LinkKind]] = frozenset(
        {LinkKind.CAUSED_BY, LinkKind.DUPLICATE_OF, LinkKind.KNOWN_ERROR_OF}
    )
    # incident.problem_id, problem.duplicate_of and an article's source_task hold one each.
    single_valued_links: ClassVar[frozenset[LinkKind]] = link_kinds
    synced_fields: ClassVar[frozenset[str] | None] = frozenset(
        {
            "title",
            "description",
            "status",
            "impact",
            "urgency",
            "priority",
            "category",
            "assignment_group",
            "resolution_code",
            "resolution_notes",
            "root_cause",
            "workaround",
            "fix",
            "known_error",
            "cause",
            "custom",
        }
    )

    def __init__(
        self,
        name: str,
        settings: ConnectorSettings,
        context: ConnectorContext,
        *,
        client: ServiceNowClient | None = None,
    ) -> None:
        super().__init__(name, settings, context)
        if not isinstance(settings, ServiceNowSettings):
            raise FatalError(f"{name}: expected ServiceNowSettings, got {type(settings).__name__}")
        self.target = Target(system=name, settings=settings)
        self._client = client

    @property
    def client(self) -> ServiceNowClient:
        # Built on first use: secrets are resolved only when the connector really calls out.
        if self._client is None:
            assert isinstance(self.settings, ServiceNowSettings)
            self._client = ServiceNowClient(self.settings, self.context)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    # --- check ---------------------------------------------------------------------------

    async def check(self) -> CheckResult:
        """Read one row of each table the connector needs, and say what is missing."""
        assert isinstance(self.settings, ServiceNowSettings)
        tables = [self.settings.tables.incident, self.settings.tables.problem, JOURNAL_TABLE]
        if self._articles():
            tables.append(self.target.table(RecordKind.KNOWN_ERROR))
        probes = [
            Probe(
                name=f"read {table}",
                read=partial(self.client.list, table, "", ["sys_id"], limit=1),
                denied_fix=f"give the integration user a role that may read {table} (itil for "
                "incidents and problems; sys_journal_field needs read access for comments "
                "and work notes)",
            )
            for table in tables
        ]
        return await check_reads(
            self.name,
            probes,
            address=self.target.instance,
            network_fix="check instance_url, the network path and any proxy; try again later",
        )

    # --- reading -------------------------------------------------------------------------

    def streams(self) -> list[Stream]:
        """One stream per table: incidents, problems, and Known Error articles when they
        are used (otherwise known errors are problems flagged known_error)."""
        kinds = [RecordKind.INCIDENT, RecordKind.PROBLEM]
        if self._articles():
            kinds.append(RecordKind.KNOWN_ERROR)
        return [Stream.of_kind(kind) for kind in kinds]

    async def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        """Keyset pages from the cursor's watermark (inclusive: the engine de-duplicates
        the re-read boundary by ``sys_mod_count``), each followed by a checkpoint.

        The checkpoint's token (the last sys_id) is not used to resume: the engine moves
        the watermark back by its overlap window, and a (watermark, sys_id) keyset from a
        moved watermark would skip rows at that second.
        """
        assert isinstance(self.settings, ServiceNowSettings)
        if request.kind is RecordKind.KNOWN_ERROR and not self._articles():
            return  # known errors are problems flagged known_error, pulled with problems
        kind, limit = request.kind, self.settings.page_size
        table, fields = self.target.table(kind), self.target.fields(kind)
        cursor = request.cursor
        since = cursor.watermark if cursor is not None and cursor.watermark else request.since
        guard = PageGuard(f"{table} pages", ordered=True)

        async def read(after: tuple[str, str] | None) -> tuple[Page, dict[str, list[Comment]]]:
            page = await self.client.list(
                table, pull_query(since, request.until, after), fields, limit=limit
            )
            if kind is RecordKind.KNOWN_ERROR or not page.rows:  # articles keep no journal
                return page, {}
            return page, await self._journal(table, [text(r, "sys_id") or "" for r in page.rows])

        def following(got: tuple[Page, dict[str, list[Comment]]]) -> Read | None:
            page, _ = got
            # The limit applies before ACLs, so a short page is the end only without `next`.
            if not page.rows or (len(page.rows) < limit and "next" not in page.links):
                return None
            keyset = _keyset(table, page.rows[-1])
            return lambda: read(keyset)

        # The next page (and its journal) is read while this one is mapped and stored; one
        # held ahead, not two: a page is up to 10,000 rows (measured: as fast, 50 MiB less).
        async with aclosing(read_ahead(lambda: read(None), following, depth=1)) as pages:
            async for page, journal in pages:
                if not page.rows:
                    return
                for row in page.rows:
                    yield self._pulled(kind, row, journal)
                stamp, sys_id = _keyset(table, page.rows[-1])
                guard.advance((stamp, sys_id))  # an instance ignoring the keyset must not loop
                left = page.total - len(page.rows) if page.total is not None else None
                yield Checkpoint(
                    cursor=Cursor(watermark=parse_time(stamp), token=sys_id),
                    remaining=max(0, left) if left is not None else None,
                )

    async def _journal(self, table: str, sys_ids: Sequence[str]) -> dict[str, list[Comment]]:
        """Comments and work notes of a page's records, by record sys_id."""
        assert isinstance(self.settings, ServiceNowSettings)
        found: dict[str, list[Comment]] = {}
        ids = [i for i in sys_ids if i]
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            query = (
                f"name={table}^elementINcomments,work_notes^element_idIN{','.join(chunk)}"
                "^ORDERBYsys_created_on^ORDERBYsys_id"
            )
            offset = 0
            while True:  # entries only ever append, so offsets over this set stay stable
                page = await self.client.list(
                    JOURNAL_TABLE, query, mapping.JOURNAL_FIELDS, self.settings.page_size, offset
                )
                for row in page.rows:
                    try:
                        comment = mapping.to_comment(self.target, row)
                    except RecordError:
                        continue  # a malformed journal row must not reject its record
                    comments = found.setdefault(text(row, "element_id") or "", [])
                    _fold(comments, comment, correction=mapping.is_correction(row))
                if len(page.rows) < self.settings.page_size and "next" not in page.links:
                    break
                offset += len(page.rows) or self.settings.page_size
        return found

    def _pulled(
        self, kind: RecordKind, row: Row, journal: dict[str, list[Comment]]
    ) -> RemoteChange | RejectedRecord:
        try:
            return self._change(kind, row, journal.get(text(row, "sys_id") or "", []))
        except RecordError as exc:
            return RejectedRecord(
                kind=kind,
                remote_id=text(row, "sys_id"),
                version=text(row, "sys_mod_count"),
                reason=str(exc),
                excerpt={k: text(row, k) for k in ("number", "sys_updated_on", "state")},
            )

    def _change(self, kind: RecordKind, row: Row, comments: list[Comment]) -> RemoteChange:
        record = mapping.to_record(self.target, kind, row, comments)
        changed_at = record.updated_at or record.created_at
        if changed_at is None:
            raise RecordError(f"{record.refs[0].key}: the row has no sys_updated_on")
        return RemoteChange(
            kind=kind,
            remote_id=record.refs[0].remote_id,
            version=text(row, "sys_mod_count") or "0",
            changed_at=changed_at,
            record=record,
            marker=text(row, self.target.marker_column(kind)),
            # A row's reference columns are all the links it holds.
            links_complete=True,
        )

    async def fetch(self, kind: RecordKind, remote_id: str) -> RemoteChange | None:
        table = self._table(kind)
        row = await self.client.get(table, remote_id, self.target.fields(kind))
        if row is None:
            return None
        if kind is RecordKind.KNOWN_ERROR:
            return self._change(kind, row, [])
        journal = await self._journal(table, [remote_id])
        return self._change(kind, row, journal.get(remote_id, []))

    async def find_by_marker(self, kind: RecordKind, marker: str) -> list[RemoteChange]:
        """Rows carrying ``marker`` (a database query: read-after-write, no lag)."""
        if "^" in marker:  # it would end the encoded-query term
            raise FatalError(f"correlation marker {marker!r} contains '^'")
        table = self._table(kind)
        column = self.target.marker_column(kind)
        # meta holds an article's search keywords, which editors may add to.
        term = f"{column}LIKE{marker}" if column == "meta" else f"{column}={marker}"
        query = f"{term}^ORDERBYsys_created_on^ORDERBYsys_id"
        page = await self.client.list(table, query, self.target.fields(kind), limit=10)
        return [self._change(kind, row, []) for row in page.rows]

    async def resolve_people(self, accounts: Sequence[ExternalRef]) -> dict[str, PersonRef]:
        """``sys_user`` rows by sys_id, one list call per thousand accounts."""
        ids = sorted({a.remote_id for a in accounts if _SYS_ID.match(a.remote_id)})
        found: dict[str, PersonRef] = {}
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            page = await self.client.list(
                "sys_user",
                f"sys_idIN{','.join(chunk)}",
                ["sys_id", "name", "email", "user_name"],
                limit=len(chunk),
            )
            for row in page.rows:
                sys_id = text(row, "sys_id")
                if sys_id is not None:
                    external = ExternalRef(
                        system=self.name,
                        remote_id=sys_id,
                        key=text(row, "user_name"),
                        remote_type="sys_user",
                    )
                    found[sys_id] = PersonRef(
                        display_name=text(row, "name"), email=text(row, "email"), external=external
                    )
        return found

    # --- writing -------------------------------------------------------------------------

    async def create(self, record: AnyRecord, *, marker: str) -> RemoteChange:
        kind = record.kind
        table, payload = self._create_payload(record, marker)
        row = await self.client.create(table, payload, self.target.fields(kind))
        return self._change(kind, row, [])

    def _create_payload(self, record: AnyRecord, marker: str) -> tuple[str, dict[str, str]]:
        kind = record.kind
        table = self._table(kind)
        dumped = record.model_dump(mode="json", exclude=set(NOT_SYNCED))
        values = {k: v for k, v in dumped.items() if v is not None}  # nothing to clear yet
        payload = mapping.to_payload(self.target, kind, values)
        if kind is RecordKind.KNOWN_ERROR:
            payload["meta"] = marker
            problem = self._article_problem(record)
            if problem is not None:
                payload["source_task"] = problem
        else:
            # correlation_display names the integration for people reading the form.
            payload |= {"correlation_id": marker, "correlation_display": "itsmhub"}
        return table, payload

    def _article_problem(self, record: AnyRecord) -> str | None:
        """The sys_id of the problem a new article documents, if its link already names a
        problem of this instance (otherwise the engine's link call sets it later)."""
        for link in record.links:
            ref = link.target_ref
            if link.kind is LinkKind.KNOWN_ERROR_OF and ref is not None and ref.system == self.name:
                return ref.remote_id
        return None

    async def update(self, ref: ExternalRef, changes: FieldChanges) -> RemoteVersion:
        """Read the row, raise RemoteChanged if a field no longer holds its ``old`` value,
        then PATCH the new values. (The Table API has no conditional write, so an edit
        landing between the read and the PATCH is not detected.)"""
        table = self._table(changes.kind, ref)
        row = await self.client.get(table, ref.remote_id, self.target.fields(changes.kind))
        payload = self._update_payload(table, ref, changes, row)
        if payload:
            row = await self.client.patch(
                table, ref.remote_id, payload, ["sys_mod_count", "sys_updated_on"]
            )
        return row_version(row)

    def _update_payload(
        self, table: str, ref: ExternalRef, changes: FieldChanges, row: dict[str, Any] | None
    ) -> dict[str, str]:
        """The columns to PATCH, after checking ``row`` still holds each change's old value."""
        kind = changes.kind
        if row is None:
            raise RecordError(f"{ref.key or ref.remote_id} no longer exists in {table}")
        held = mapping.to_record(self.target, kind, row, [])
        where = f"{ref.key or ref.remote_id} in ServiceNow"
        check_unchanged(held, changes, where=where, same=partial(self._same_state, kind))
        return mapping.to_payload(self.target, kind, changes.new_values(), current=row)

    def _same_state(self, kind: RecordKind, field: str, held: JsonValue, old: JsonValue) -> bool:
        """Two article statuses stored as one workflow_state (fixed and retired) are equal:
        reading cannot tell them apart, so neither is a concurrent edit."""
        if kind is not RecordKind.KNOWN_ERROR or field != "status":
            return False
        states = {
            k.value: v for k, v in self.target.settings.mapping.known_error_article_states.items()
        }
        return held in states and old in states and states[held] == states[old]

    async def add_comment(self, ref: ExternalRef, comment: Comment, *, marker: str) -> ExternalRef:
        """Append to ``comments`` (public) or ``work_notes`` (internal), then find the new
        ``sys_journal_field`` row by the comment's footer to name its copy."""
        table = self._journal_owner(ref)
        column = mapping.journal_column(comment)
        await self.client.patch(
            table, ref.remote_id, {column: mapping.comment_text(comment)}, ["sys_id"]
        )
        query = (
            f"element_id={ref.remote_id}^element={column}"
            f"^valueLIKE[itsmhub:{comment.id}]^ORDERBYDESCsys_created_on"
        )
        page = await self.client.list(JOURNAL_TABLE, query, ["sys_id"], limit=1)
        sys_id = text(page.rows[0], "sys_id") if page.rows else None
        if sys_id is None:
            # Written but not readable: a retry looks for the footer before writing again.
            raise TransientError(
                f"the comment on {ref.key or ref.remote_id} was written but its journal entry "
                "is not readable; check that the integration user may read sys_journal_field"
            )
        return ExternalRef(system=self.name, remote_id=sys_id, remote_type=JOURNAL_TABLE)

    async def update_comment(self, ref: ExternalRef, comment: Comment) -> None:
        """Post the edited text as a correction: ServiceNow does not edit journal entries.

        The journal fields only append (vendor-apis.md §3.5) and ``sys_journal_field`` rows
        are the record of what was said, so the earlier entry stays and a new entry in the
        same field carries the new text, headed as a correction and footed
        ``[itsmhub:<comment id>;edit=<digest of the text>]``. Reading folds it into the
        comment it corrects (same id, same ref, new text), so the edit does not come back
        as a new comment. A retry first looks for that footer and writes nothing if found.
        The last correction wins; ServiceNow stamps whole seconds, so two corrections of
        one comment written within the same second are ordered by sys_id only.
        """
        table = self._journal_owner(ref)
        column = mapping.journal_column(comment)
        marker = correction_marker(comment)
        query = f"element_id={ref.remote_id}^element={column}^valueLIKE{marker}"
        if (await self.client.list(JOURNAL_TABLE, query, ["sys_id"], limit=1)).rows:
            return  # written by an attempt whose answer was lost
        text_ = mapping.correction_text(comment)
        await self.client.patch(table, ref.remote_id, {column: text_}, ["sys_id"])

    def _journal_owner(self, ref: ExternalRef) -> str:
        """The table of a record that has a journal (articles have none)."""
        table = ref.remote_type or self.target.settings.tables.incident
        if self._articles() and table == self.target.table(RecordKind.KNOWN_ERROR):
            raise RecordError(
                f"{ref.key or ref.remote_id}: Known Error articles have no journal in "
                "ServiceNow; their comments are not copied",
                fix="comment on the problem the article documents instead",
            )
        return table

    async def link(self, ref: ExternalRef, target: ExternalRef, kind: LinkKind) -> None:
        """incident → problem as ``problem_id``; problem → problem as ``duplicate_of``;
        Known Error article → problem as the article's ``source_task``."""
        settings = self.target.settings
        if target.system != self.name:
            raise RecordError(f"ServiceNow can only link its own records, not {target.system}'s")
        table = ref.remote_type or settings.tables.incident
        columns: dict[tuple[str | None, LinkKind], str] = {
            (settings.tables.incident, LinkKind.CAUSED_BY): "problem_id",
            (settings.tables.problem, LinkKind.DUPLICATE_OF): "duplicate_of",
        }
        if self._articles():
            columns[(settings.tables.known_error_article, LinkKind.KNOWN_ERROR_OF)] = "source_task"
        column = columns.get((table, kind))
        if column is None:
            raise RecordError(
                f"ServiceNow has no field for a {kind.value} link from a {table} record",
                fix="only incident → problem (caused_by), problem duplicates and, with "
                "use_known_error_articles, article → problem (known_error_of) are kept",
            )
        await self.client.patch(table, ref.remote_id, {column: target.remote_id}, ["sys_id"])

    def _articles(self) -> bool:
        assert isinstance(self.settings, ServiceNowSettings)
        return self.settings.use_known_error_articles

    def _table(self, kind: RecordKind, ref: ExternalRef | None = None) -> str:
        if kind is RecordKind.KNOWN_ERROR and not self._articles():
            raise RecordError(
                "known errors are kept as problems flagged known_error on this instance, "
                "not as records of their own",
                fix="set use_known_error_articles = true to keep them as Known Error articles",
            )
        if kind not in (RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR):
            raise RecordError(f"ServiceNow holds no {kind.value} records")
        return (ref.remote_type if ref is not None else None) or self.target.table(kind)


def _fold(comments: list[Comment], comment: Comment, *, correction: bool) -> None:
    """Add a journal entry to a record's comments; a correction replaces the text of the
    comment it corrects (which keeps its own id, ref and date) instead of adding one."""
    if correction:
        comment = comment.model_copy(update={"updated_at": comment.created_at})
    # Only corrections set updated_at (a journal entry is never edited in place).
    index = next(
        (
            i
            for i, c in enumerate(comments)
            if c.id == comment.id and (correction or c.updated_at is not None)
        ),
        None,
    )
    if index is None:
        comments.append(comment)
    elif correction:
        comments[index] = comments[index].model_copy(
            update={"body": comment.body, "updated_at": comment.updated_at}
        )
    else:  # the original, read after its correction (same second): keep the new text
        comments[index] = comment.model_copy(
            update={"body": comments[index].body, "updated_at": comments[index].updated_at}
        )


def _keyset(table: str, row: Row) -> tuple[str, str]:
    """Where the next keyset page starts: the last row's (sys_updated_on, sys_id)."""
    stamp, sys_id = text(row, "sys_updated_on"), text(row, "sys_id")
    if stamp is None or sys_id is None:
        raise FatalError(f"{table}: a pulled row has no sys_updated_on or sys_id")
    return stamp, sys_id
