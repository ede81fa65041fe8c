"""``/_emulator/…``: the routes tests, benchmarks and demos drive an emulator through.

POST   /_emulator/faults        queue a fault (the fields of :class:`Fault`)
GET    /_emulator/faults        the queued faults
DELETE /_emulator/faults        clear them
POST   /_emulator/rate_limits   add a rule {"limit", "window", "path", "methods", "reason"}
DELETE /_emulator/rate_limits   remove every rule and counter
GET    /_emulator/clock         the emulator's time
POST   /_emulator/clock         {"set": ISO-8601} | {"advance": seconds} | {"release": true}
POST   /_emulator/lag           {"seconds": n}: writes reach search n seconds later
GET    /_emulator/calls         requests served, by "METHOD /path"; DELETE resets
POST   /_emulator/reset         the emulator's own reset ({"seed": n} reseeds)
GET    /_emulator/state         the emulator's own summary
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .clock import EmulatorClock
from .faults import Fault
from .gate import ADMIN_PREFIX, Controls
from .limits import RateLimitRule

Reset = Callable[[Mapping[str, Any]], Awaitable[None] | None]
State = Callable[[], Mapping[str, Any]]


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    data = (await request.json()) if body else {}
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _bad(exc: Exception) -> Response:
    return JSONResponse({"error": str(exc)}, status_code=400)


def admin_routes(controls: Controls, *, reset: Reset, state: State) -> list[Route]:
    """The admin routes for ``controls``; ``reset`` and ``state`` are the emulator's own."""

    async def faults(request: Request) -> Response:
        queue = controls.faults
        if request.method == "DELETE":
            queue.clear()
            return Response(status_code=204)
        if request.method == "GET":
            return JSONResponse({"faults": [f.describe() for f in queue.queue]})
        try:
            data = await _json(request)
            # "count" is the older name of "times", kept for scripts written against it.
            times = int(data.pop("count", data.pop("times", 1)))
            queue.inject(Fault(**data, times=times))
        except (TypeError, ValueError) as exc:
            return _bad(exc)
        return JSONResponse({"queued": len(queue.queue)}, status_code=201)

    async def rate_limits(request: Request) -> Response:
        limits = controls.rate_limits
        if request.method == "DELETE":
            limits.clear()
            return Response(status_code=204)
        try:
            data = await _json(request)
            rule = limits.add(
                RateLimitRule(
                    limit=int(data["limit"]),
                    window=float(data.get("window", 60)),
                    path=str(data.get("path", "*")),
                    methods=frozenset(m.upper() for m in data.get("methods", [])),
                    reason=str(data.get("reason", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            return _bad(exc)
        return JSONResponse({"id": rule.id}, status_code=201)

    async def clock(request: Request) -> Response:
        current = controls.clock
        if request.method == "POST":
            if not isinstance(current, EmulatorClock):
                return _bad(ValueError("this emulator's clock cannot be set"))
            try:
                data = await _json(request)
                if "set" in data:
                    current.set(datetime.fromisoformat(str(data["set"])))
                if "advance" in data:
                    current.advance(float(data["advance"]))
                if data.get("release"):
                    current.release()
            except (TypeError, ValueError) as exc:
                return _bad(exc)
        return JSONResponse({"now": current().isoformat()})

    async def lag(request: Request) -> Response:
        try:
            controls.lag.seconds = float((await _json(request))["seconds"])
        except (KeyError, TypeError, ValueError) as exc:
            return _bad(exc)
        return JSONResponse({"seconds": controls.lag.seconds})

    async def calls(request: Request) -> Response:
        if request.method == "DELETE":
            controls.calls.clear()
            return Response(status_code=204)
        counted = dict(sorted(controls.calls.items()))
        return JSONResponse({"total": sum(counted.values()), "calls": counted})

    async def do_reset(request: Request) -> Response:
        try:
            data = await _json(request)
        except ValueError as exc:
            return _bad(exc)
        result = reset(data)
        if result is not None:
            await result
        return Response(status_code=204)

    async def show_state(request: Request) -> Response:
        return JSONResponse(dict(state()))

    p = ADMIN_PREFIX
    return [
        Route(f"{p}/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route(f"{p}/rate_limits", rate_limits, methods=["POST", "DELETE"]),
        Route(f"{p}/clock", clock, methods=["GET", "POST"]),
        Route(f"{p}/lag", lag, methods=["POST"]),
        Route(f"{p}/calls", calls, methods=["GET", "DELETE"]),
        Route(f"{p}/reset", do_reset, methods=["POST"]),
        Route(f"{p}/state", show_state, methods=["GET"]),
    ]
