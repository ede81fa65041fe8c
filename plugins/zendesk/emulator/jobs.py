"""Background jobs of ``create_many`` and ``update_many``.

A job goes ``queued`` → ``working`` → ``completed``, moved on by the emulator's clock (a
second per step) or by being polled (a step per poll), so a test can finish it either
way. Its items run, in order, when it completes; each gets its own result, as
``JobStatusObject`` describes them. Zendesk keeps a job's status about an hour.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from .errors import CONFLICT
from .state import Account, Job, User
from .tickets import Conflict, Desk, Invalid, NotFound

STEP = timedelta(seconds=1)
KEPT = timedelta(hours=1)
MAX_ITEMS = 100


class Jobs:
    """The account's jobs, and what running one does."""

    def __init__(self, account: Account, desk: Desk) -> None:
        self.account = account
        self.desk = desk

    def submit(self, job_type: str, items: list[dict[str, Any]], user: User) -> Job:
        job = Job(uuid.uuid4().hex, job_type, items, user.id, self.account.now())
        self.account.jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job | None:
        return self.account.jobs.get(job_id)

    def poll(self, job: Job) -> None:
        job.polls += 1
        self.advance(job, self.account.now())

    def advance_all(self) -> None:
        """Move every job on by the clock; forget the ones older than an hour."""
        now = self.account.now()
        for job in list(self.account.jobs.values()):
            if now - job.submitted_at > KEPT:
                del self.account.jobs[job.id]
            else:
                self.advance(job, now)

    def advance(self, job: Job, now: datetime) -> None:
        age = now - job.submitted_at
        if job.status == "queued" and (age >= STEP or job.polls >= 1):
            job.status = "working"
        if job.status == "working" and (age >= 2 * STEP or job.polls >= 2):
            self._run(job, now)

    def _run(self, job: Job, now: datetime) -> None:
        user = self.account.users[job.user_id]
        create = job.job_type == "bulk_create_tickets"
        job.results = [
            self._create(n, item, user, now) if create else self._update(item, user, now)
            for n, item in enumerate(job.items)
        ]
        job.status = "completed"
        job.message = f"Completed at {now.strftime('%Y-%m-%d %H:%M:%S +0000')}"

    def _create(self, index: int, item: Mapping[str, Any], user: User, now: datetime) -> dict:
        try:
            ticket = self.desk.create(item, user, at=now)
        except Invalid as exc:
            # A failed create has no ticket id: Zendesk names the item by its place.
            return _failed(index, "create", "RecordInvalid", _details(exc))
        return {"id": ticket.id, "index": index}

    def _update(self, item: Mapping[str, Any], user: User, now: datetime) -> dict:
        ticket_id = item.get("id")
        if not isinstance(ticket_id, int):
            return _failed(0, "update", "InvalidValue", "each ticket needs its id")
        values = {k: v for k, v in item.items() if k != "id"}
        try:
            self.desk.update(ticket_id, values, user, at=now)
        except NotFound:
            return _failed(ticket_id, "update", "RecordNotFound", "Ticket not found")
        except Conflict:
            return _failed(ticket_id, "update", "UpdateConflict", CONFLICT)
        except Invalid as exc:
            return _failed(ticket_id, "update", "RecordInvalid", _details(exc))
        return {"id": ticket_id, "action": "update", "success": True, "status": "Updated"}


def _failed(item_id: int, action: str, error: str, details: str) -> dict[str, Any]:
    return {"id": item_id, "action": action, "success": False, "error": error, "details": details}


def _details(exc: Invalid) -> str:
    return "; ".join(d["description"] for items in exc.details.values() for d in items)


__all__ = ["MAX_ITEMS", "Jobs"]
