"""``/healthz`` (the process answers) and ``/readyz`` (it can do its job: the store
answers, and every connector's last clean cycle, by whichever worker, is recent).

A load balancer in front of the webhook receiver should probe ``/healthz``: a worker
takes deliveries while a vendor is down (they wait in the store). ``/readyz`` is for
monitoring: it fails while a connector is not syncing.
"""

from __future__ import annotations

from datetime import timedelta

import anyio
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..engine import Hub
from .schedule import Schedule

#: The least a connector's last clean cycle may be behind before /readyz fails.
MIN_STALE_AFTER = timedelta(minutes=5)
#: How long /readyz waits for the store.
STORE_TIMEOUT = 5.0


class Health:
    """The two probes, over the hub the daemon runs."""

    def __init__(self, hub: Hub, *, worker: str, stopping: anyio.Event) -> None:
        self.hub = hub
        self.worker = worker
        self.stopping = stopping
        self.started = hub.clock()

    async def healthz(self, request: Request) -> Response:
        status = "stopping" if self.stopping.is_set() else "ok"
        body = {
            "status": status,
            "worker": self.worker,
            "uptime_seconds": round((self.hub.clock() - self.started).total_seconds(), 1),
        }
        return JSONResponse(body, status_code=503 if self.stopping.is_set() else 200)

    async def readyz(self, request: Request) -> Response:
        checks: dict[str, dict[str, object]] = {"store": await self._store()}
        for name in sorted(self.hub.connectors):
            checks[f"connector:{name}"] = await self._connector(name)
        ready = all(check["ok"] for check in checks.values()) and not self.stopping.is_set()
        return JSONResponse(
            {"ready": ready, "worker": self.worker, "checks": checks},
            status_code=200 if ready else 503,
        )

    async def _store(self) -> dict[str, object]:
        try:
            with anyio.fail_after(STORE_TIMEOUT):
                async with self.hub.store.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            return {"ok": False, "detail": f"the store does not answer ({type(exc).__name__})"}
        return {"ok": True}

    async def _connector(self, name: str) -> dict[str, object]:
        now = self.hub.clock()
        bound = self.stale_after(name)
        try:
            last = await self.hub.store.last_run(name, ok=True)
        except SQLAlchemyError as exc:
            return {"ok": False, "detail": f"cannot read its cycles ({type(exc).__name__})"}
        if last is None:
            return {"ok": False, "detail": "no clean cycle yet"}
        age = now - last.finished_at
        detail = f"last clean cycle {int(age.total_seconds())}s ago (bound {bound})"
        return {"ok": age <= bound, "detail": detail, "last_success": last.finished_at.isoformat()}

    def stale_after(self, name: str) -> timedelta:
        """How old a connector's last clean cycle may be: ``[daemon] stale_after``, or three
        of its schedule's periods (at least five minutes)."""
        configured = self.hub.config.daemon.stale_after
        if configured is not None:
            return configured
        period = Schedule.of(name, self.hub.config).period(self.hub.clock())
        return max(period * 3, MIN_STALE_AFTER)


__all__ = ["Health"]
