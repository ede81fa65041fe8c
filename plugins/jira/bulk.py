"""Bulk writes: creates through ``POST /issue/bulk`` (50 a call), updates one by one.

Jira answers a bulk create with the issues it made and the index of each element it
refused (vendor-apis.md §2.2); a refused element is that write's error, the others go on.
Jira has no bulk edit with a value per issue, so updates are single ``PUT``s, each
checked against a fresh read like :meth:`JiraConnector.update`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio

from itsmhub import (
    ConfigError,
    ItsmhubError,
    RecordError,
    Write,
    WriteCreate,
    WriteOutcome,
)

if TYPE_CHECKING:
    from .connector import JiraConnector

#: Jira's limit on ``issueUpdates`` per bulk create.
BULK_CREATE = 50
#: Updates in flight at once (Jira's burst limits are per second and unpublished).
UPDATE_CONCURRENCY = 4


class BulkWrites:
    """``write_many`` for :class:`JiraConnector`, which it is mixed into."""

    async def write_many(self: JiraConnector, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Creates in bulk calls of 50, then updates, each with its own outcome in order.
        A refused credential stops the whole call (it would fail every write)."""
        outcomes: dict[int, WriteOutcome] = {}
        creates = [(n, w) for n, w in enumerate(writes) if isinstance(w, WriteCreate)]
        for start in range(0, len(creates), BULK_CREATE):
            outcomes |= await self._create_batch(creates[start : start + BULK_CREATE])
        updates = [(n, w) for n, w in enumerate(writes) if not isinstance(w, WriteCreate)]
        limiter = anyio.CapacityLimiter(UPDATE_CONCURRENCY)

        async def one(n: int, write: Any) -> None:
            async with limiter:
                outcomes[n] = await _settled(self.update(write.ref, write.changes))

        async with anyio.create_task_group() as group:
            for n, write in updates:
                group.start_soon(one, n, write)
        failed = [o for o in outcomes.values() if isinstance(o, ConfigError)]
        if failed:
            raise failed[0]
        return [outcomes[n] for n in range(len(writes))]

    async def _create_batch(
        self: JiraConnector, batch: list[tuple[int, WriteCreate]]
    ) -> dict[int, WriteOutcome]:
        await self._load_field_types()
        outcomes: dict[int, WriteOutcome] = {}
        sent: list[tuple[int, WriteCreate]] = []
        bodies: list[dict[str, Any]] = []
        for n, write in batch:
            try:
                options = (
                    write.options
                    and self.check_route_options(self.jira_settings, write.options).model_dump()
                )
                bodies.append(await self._create_body(write.record, write.marker, options or {}))
                sent.append((n, write))
            except RecordError as exc:
                outcomes[n] = exc
            except ValueError as exc:  # route options this site cannot take
                outcomes[n] = RecordError(f"the routing rule's target options are wrong: {exc}")
        if not bodies:
            return outcomes
        answer = await self.client.create_issues(bodies)
        errors = answer.get("errors", [])
        if not isinstance(errors, list):  # an ErrorCollection: the request was refused
            errors = [{"elementErrors": errors, "status": 400}]
        errors = [e for e in errors if isinstance(e, dict)]
        refused = {
            int(e["failedElementNumber"]): e
            for e in errors
            if isinstance(e.get("failedElementNumber"), int)
        }
        whole = [e for e in errors if not isinstance(e.get("failedElementNumber"), int)]
        if whole and not answer.get("issues"):  # an error naming no element: all failed
            return outcomes | {n: _element_error(whole[0]) for n, _ in sent}
        made = iter([i for i in answer.get("issues") or [] if isinstance(i, dict)])
        for position, (n, write) in enumerate(sent):
            if position in refused:
                outcomes[n] = _element_error(refused[position])
                continue
            created = next(made, None)
            if created is None:
                outcomes[n] = RecordError("Jira's bulk answer names no issue for this create")
                continue
            try:
                change = self._created(write.record, write.marker, created)
                await self._settle_status(change, write.record)
                outcomes[n] = change
            except ItsmhubError as exc:
                outcomes[n] = exc
        return outcomes


async def _settled(call: Any) -> WriteOutcome:
    try:
        return await call
    except ItsmhubError as exc:
        return exc


def _element_error(error: dict[str, Any]) -> RecordError:
    """A refused element, in Jira's words (``elementErrors``: messages and field errors)."""
    details = error.get("elementErrors") if isinstance(error.get("elementErrors"), dict) else {}
    parts = [str(m) for m in (details or {}).get("errorMessages") or []]
    fields = (details or {}).get("errors")
    if isinstance(fields, dict):
        parts += [f"{name}: {text}" for name, text in fields.items()]
    status = error.get("status") if isinstance(error.get("status"), int) else None
    return RecordError(
        "Jira refused this issue in a bulk create: " + ("; ".join(parts) or "no reason given"),
        status=status,
    )


__all__ = ["BULK_CREATE", "BulkWrites"]
