"""Bulk writes through the Batch API: many creates and updates in one call, each item
succeeding or failing on its own (vendor-apis.md §3.6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from itsmhub import (
    ConfigError,
    FatalError,
    RecordError,
    RecordKind,
    RemoteChanged,
    RemoteVersion,
    TransientError,
    Write,
    WriteCreate,
    WriteOutcome,
    WriteUpdate,
    raise_for_status,
)

from .client import BatchRequest, BatchResponse
from .mapping import row_version, text

if TYPE_CHECKING:
    from .connector import ServiceNowConnector

# Writes per Batch API call. The instance runs the items one after another within a 30 s
# transaction quota (vendor-apis.md §3.6); 50 ordinary writes stay far below it, and items
# it does not reach come back unserviced (retried, never lost).
BATCH_ITEMS = 50


class BatchWrites:
    """``write_many`` for :class:`ServiceNowConnector`, which it is mixed into."""

    async def write_many(self: ServiceNowConnector, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Creates and updates through the Batch API, ``BATCH_ITEMS`` per call.

        Each item is a Table API POST or PATCH with a base64 JSON body; its own status
        code decides its outcome (vendor-apis.md §3.6), mapped as a single call's would
        be. Updates stay conditional: the rows are read first, one list call per table
        (``sys_idIN…``), and an item whose field moved gets ``RemoteChanged`` without
        being sent. Items the instance did not reach in its time quota come back as
        ``TransientError``: they were not run, so a retry is safe.
        """
        outcomes: list[WriteOutcome] = []
        for start in range(0, len(writes), BATCH_ITEMS):
            outcomes += await self._write_batch(writes[start : start + BATCH_ITEMS])
        return outcomes

    async def _write_batch(
        self: ServiceNowConnector, writes: Sequence[Write]
    ) -> list[WriteOutcome]:
        outcomes: dict[int, WriteOutcome] = {}
        rows = await self._current_rows(writes, outcomes)
        requests: list[BatchRequest] = []
        kinds: dict[str, RecordKind] = {}
        for n, write in enumerate(writes):
            if n in outcomes:
                continue
            try:
                request = self._batch_request(str(n), write, rows)
            except (RecordError, RemoteChanged) as exc:
                outcomes[n] = exc
                continue
            if isinstance(request, RemoteVersion):  # nothing to write: the row agrees already
                outcomes[n] = request
                continue
            requests.append(request)
            kinds[request.id] = _kind(write)
        if requests:
            # Absolute-value PATCHes may run twice; a create may not (G3).
            idempotent = all(r.method == "PATCH" for r in requests)
            for answer in await self.client.batch(requests, idempotent=idempotent or None):
                if answer.id in kinds:
                    outcomes[int(answer.id)] = self._batch_outcome(
                        answer, kinds[answer.id], requests
                    )
        for n in range(len(writes)):
            if n not in outcomes:
                outcomes[n] = TransientError("the Batch API answered nothing for this write")
        return [outcomes[n] for n in range(len(writes))]

    async def _current_rows(
        self: ServiceNowConnector, writes: Sequence[Write], outcomes: dict[int, WriteOutcome]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The rows the updates will be checked against, one list call per table."""
        wanted: dict[tuple[str, RecordKind], list[str]] = {}
        for n, write in enumerate(writes):
            if isinstance(write, WriteUpdate):
                try:
                    table = self._table(write.changes.kind, write.ref)
                except RecordError as exc:
                    outcomes[n] = exc
                    continue
                wanted.setdefault((table, write.changes.kind), []).append(write.ref.remote_id)
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for (table, kind), ids in wanted.items():
            unique = sorted(set(ids))
            page = await self.client.list(
                table, f"sys_idIN{','.join(unique)}", self.target.fields(kind), limit=len(unique)
            )
            rows |= {(table, text(row, "sys_id") or ""): row for row in page.rows}
        return rows

    def _batch_request(
        self: ServiceNowConnector,
        id_: str,
        write: Write,
        rows: dict[tuple[str, str], dict[str, Any]],
    ) -> BatchRequest | RemoteVersion:
        if isinstance(write, WriteCreate):
            table, payload = self._create_payload(write.record, write.marker)
            fields = self.target.fields(write.record.kind)
            return BatchRequest(id_, "POST", _table_url(table, fields=fields), payload)
        table = self._table(write.changes.kind, write.ref)
        row = rows.get((table, write.ref.remote_id))
        payload = self._update_payload(table, write.ref, write.changes, row)
        if not payload:
            assert row is not None
            return row_version(row)
        url = _table_url(table, write.ref.remote_id, fields=["sys_mod_count", "sys_updated_on"])
        return BatchRequest(id_, "PATCH", url, payload)

    def _batch_outcome(
        self: ServiceNowConnector,
        answer: BatchResponse,
        kind: RecordKind,
        requests: Sequence[BatchRequest],
    ) -> WriteOutcome:
        request = next(r for r in requests if r.id == answer.id)
        if answer.status == 0:
            return TransientError(
                f"{request.method} {request.url.split('?')[0]}: the instance did not reach "
                "this write within the batch's time quota"
            )
        response = httpx.Response(
            answer.status,
            json=answer.body,
            request=httpx.Request(request.method, self.target.instance + request.url),
        )
        try:
            raise_for_status(response)
            result = answer.body["result"] if isinstance(answer.body, dict) else None
            if not isinstance(result, dict):
                raise FatalError(f"{request.method} {request.url}: the answer has no 'result'")
            if request.method == "POST":
                return self._change(kind, result, [])
            return row_version(result)
        except (RecordError, TransientError, ConfigError, FatalError) as exc:
            return exc


def _kind(write: Write) -> RecordKind:
    return write.record.kind if isinstance(write, WriteCreate) else write.changes.kind


def _table_url(table: str, sys_id: str | None = None, *, fields: Sequence[str]) -> str:
    """A Batch API item's URL: the Table API path with the parameters a single call sends."""
    path = f"/api/now/table/{table}" + (f"/{sys_id}" if sys_id else "")
    params = {"sysparm_exclude_reference_link": "true", "sysparm_fields": ",".join(fields)}
    return f"{path}?{urlencode(params)}"
