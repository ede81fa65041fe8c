"""Bulk writes through ``create_many`` and ``update_many``: background jobs of up to a
hundred tickets each, followed through ``job_statuses`` (vendor-apis.md §4.2).

Each write gets its own outcome: at once when it cannot be sent (a stale base found by a
read, a value Zendesk cannot hold), else :class:`~itsmhub.Deferred` to its place in the
job, read later by :meth:`BulkWrites.job_outcomes`. Updates stay compare-and-set: every
item carries ``safe_update`` with the ``updated_stamp`` its base was agreed at.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from itsmhub import (
    Deferred,
    FieldChanges,
    ItsmhubError,
    RecordError,
    RemoteChanged,
    TransientError,
    Write,
    WriteCreate,
    WriteOutcome,
    WriteUpdate,
    check_unchanged,
)

from .mapping import Target, ticket_version, to_change, to_record
from .payloads import JobResult, JobStatus, Ticket
from .writes import create_body, update_body

if TYPE_CHECKING:
    from .connector import ZendeskConnector

#: Job states in which the job has not finished yet.
RUNNING = frozenset({"queued", "working"})


def stamp(moment: Any) -> str:
    """``updated_stamp``: the ``updated_at`` the base was agreed at, as Zendesk writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_held(target: Target, held: Ticket, changes: FieldChanges) -> None:
    """RemoteChanged unless ``held`` (just read) still has the old values of the fields
    this account holds (the others cannot have moved here)."""
    synced = target.synced_fields()
    kept = tuple(c for c in changes.changes if c.field in synced)
    kind = target.kind_of(held) or changes.kind
    only = changes.model_copy(update={"changes": kept})
    check_unchanged(to_record(target, kind, held), only, where=f"ticket #{held.id}")


def checked_update(target: Target, write: WriteUpdate, held: Ticket | None) -> dict[str, Any]:
    """An ``update_many`` item, or the error this write ends with before it is sent.

    Without an expected version the ticket read just before stands in: its values are
    compared with the base (RemoteChanged if one moved) and its stamp guards the write.
    """
    changes = write.changes
    expected = changes.expected.updated_at if changes.expected is not None else None
    if expected is None:
        if held is None:
            raise RecordError(f"ticket #{write.ref.remote_id} does not exist (any more)")
        check_held(target, held, changes)
        expected = held.updated_at
    body = update_body(target, changes)
    body["safe_update"] = True
    if expected is not None:
        body["updated_stamp"] = stamp(expected)
    return body


class BulkWrites:
    """``write_many`` and ``job_outcomes`` for :class:`ZendeskConnector`."""

    max_batch = 100

    async def write_many(self: ZendeskConnector, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Creates in one ``create_many`` job, updates in one ``update_many`` job (a hundred
        at most each, as the engine sends); per write, an error or where the job tells."""
        outcomes: dict[int, WriteOutcome] = {}
        creates: list[tuple[int, dict[str, Any]]] = []
        for n, write in enumerate(writes):
            if isinstance(write, WriteCreate):
                try:
                    creates.append((n, create_body(self.target, write.record, write.marker)))
                except RecordError as exc:
                    outcomes[n] = exc
        updates = await self._update_items(writes, outcomes)
        for items, send in ((creates, self.client.create_many), (updates, self.client.update_many)):
            for start in range(0, len(items), self.max_batch):
                chunk = items[start : start + self.max_batch]
                bodies = [body.get("ticket", body) for _, body in chunk]
                job = await send(bodies)
                for position, (n, _) in enumerate(chunk):
                    outcomes[n] = Deferred(job_id=job.id, position=position)
        return [outcomes[n] for n in range(len(writes))]

    async def _update_items(
        self: ZendeskConnector, writes: Sequence[Write], outcomes: dict[int, WriteOutcome]
    ) -> list[tuple[int, dict[str, Any]]]:
        updates = [(n, w) for n, w in enumerate(writes) if isinstance(w, WriteUpdate)]
        unversioned = [
            w.ref.remote_id
            for _, w in updates
            if w.changes.expected is None or w.changes.expected.updated_at is None
        ]
        held = {str(t.id): t for t in await self.client.tickets(sorted(set(unversioned)))}
        items = []
        for n, write in updates:
            try:
                body = checked_update(self.target, write, held.get(write.ref.remote_id))
            except (RecordError, RemoteChanged) as exc:
                outcomes[n] = exc
                continue
            items.append((n, {"id": int(write.ref.remote_id), **body}))
        return items

    async def job_outcomes(
        self: ZendeskConnector, job_ids: Sequence[str]
    ) -> dict[str, list[WriteOutcome] | None]:
        """Each job's outcomes in its writes' order, None while it runs. The tickets a
        finished job wrote are read back (a hundred per call), so a create answers with
        what Zendesk filled in and an update with its new version."""
        jobs = {job.id: job for job in await self.client.job_statuses(list(job_ids))}
        written = sorted(
            {
                str(result.id)
                for job in jobs.values()
                if job.status not in RUNNING
                for result in job.results or []
                if not result.failed and result.id is not None
            }
        )
        tickets = {str(t.id): t for t in await self.client.tickets(written)}
        out: dict[str, list[WriteOutcome] | None] = {}
        for job_id in job_ids:
            job = jobs.get(job_id)
            if job is None:
                gone = TransientError(f"Zendesk no longer knows job {job_id}; writing again")
                out[job_id] = [gone] * self.max_batch
            elif job.status in RUNNING:
                out[job_id] = None
            else:
                out[job_id] = self._job_results(job, tickets)
        return out

    def _job_results(
        self: ZendeskConnector, job: JobStatus, tickets: dict[str, Ticket]
    ) -> list[WriteOutcome]:
        results: list[WriteOutcome] = [
            self._job_result(job, result, tickets) for result in job.results or []
        ]
        # A job that failed or was killed part way: what it did not reach is retried.
        missing = max(job.total or 0, self.max_batch) - len(results)
        reason = f"job {job.id} ended {job.status} before this write: {job.message or ''}"
        return results + [TransientError(reason.rstrip(": "))] * missing

    def _job_result(
        self: ZendeskConnector, job: JobStatus, result: JobResult, tickets: dict[str, Ticket]
    ) -> WriteOutcome:
        if result.failed:
            return job_error(result)
        ticket = tickets.get(str(result.id))
        if ticket is None:
            return TransientError(f"ticket #{result.id} of job {job.id} cannot be read back")
        if result.index is not None:  # {id, index}: a create
            try:
                return to_change(self.target, ticket)
            except ItsmhubError as exc:
                return exc
        return ticket_version(ticket)


def job_error(result: JobResult) -> ItsmhubError:
    """What a failed job item means: a safe_update collision is RemoteChanged (re-read,
    merge, write again); anything else is this write's own failure."""
    what = f"{result.action or 'write'} of ticket #{result.id}" if result.id else "write"
    text = f"{result.error or 'failed'}: {result.details or 'no details'}"
    if "conflict" in (result.error or "").lower() or "safe update" in text.lower():
        return RemoteChanged(f"{what}: the ticket changed since it was last synced ({text})")
    if result.error == "RecordNotFound":
        return RecordError(f"{what}: the ticket does not exist (any more)")
    return RecordError(f"{what} failed: {text}")


__all__ = ["RUNNING", "BulkWrites", "checked_update", "job_error", "stamp"]
