"""Rows an asynchronous vendor job carries (Zendesk's ``create_many``): each waits on its
job id, and is settled once ``job_outcomes`` says the job ended."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ...connector import Connector
from ...errors import TransientError
from ...exchange import Deferred, WriteOutcome
from ...store import OutboxItem, Store, StoreTransaction
from ..boundary import guarded
from .tasks import Batch, Skip, Task

#: Deferred rows followed per run.
JOB_BATCH = 500


async def jobs_followed(
    store: Store | StoreTransaction, connector: Connector, name: str, now: datetime
) -> tuple[list[Task], Batch] | None:
    """The due deferred rows of ``name``, each with what its job says now (its outcome,
    or waiting on); None when none is due."""
    rows = await store.due_jobs(name, now, JOB_BATCH)
    if not rows:
        return None
    jobs = sorted({row.job_id for row in rows if row.job_id})
    try:
        results = await guarded(connector, "job_outcomes", connector.job_outcomes(jobs))
    except TransientError:
        results = {}  # the vendor could not tell now: every row asks again later
    batch = await Batch.load(store, name, rows)
    tasks = []
    for row in rows:
        task = Task(row, batch.record(row.record_id), sent=row.sent)
        base = batch.base(row.record_id or "")
        task.old_fields = dict(base.fields) if base else {}
        task.outcome = job_outcome(row, results, now)
        if task.record is None and not isinstance(task.outcome, Deferred):
            task.outcome = Skip("its record no longer exists")
        tasks.append(task)
    return tasks, batch


def job_outcome(
    row: OutboxItem, results: dict[str, list[WriteOutcome] | None], now: datetime
) -> Any:
    """What a deferred row's job says of it: its outcome once the job ended, else the row
    keeps waiting on the job (asked again after as long as it has run, 2 s to 5 min)."""
    job, position = row.job_id or "", row.job_position or 0
    outcomes = results.get(job) if job in results else None
    if outcomes is not None and position >= len(outcomes):
        return TransientError("the vendor job answered for fewer writes than it carried")
    outcome = outcomes[position] if outcomes is not None else None
    if outcome is not None and not isinstance(outcome, Deferred):
        return outcome
    started = row.first_attempt_at or row.updated_at
    waited = (now - started).total_seconds()
    return Deferred(
        job_id=job, position=position, check_after=timedelta(seconds=min(max(waited, 2.0), 300.0))
    )
