"""The ASGI middleware in front of every emulator: call counts, faults, the request-line
limit, authentication and rate limits, in the order a vendor's front end applies them."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .clock import EmulatorClock
from .faults import DroppedConnection, Fault, Faults, broken_body
from .lag import Lag
from .limits import RateLimits, RateWindow

ErrorReply = Callable[[int, str, str, Mapping[str, str]], Response]
"""Builds the vendor's error answer: (status, message, detail, headers) → response.
``message`` is the short title ("Rate limit exceeded"), ``detail`` the explanation."""
Authenticate = Callable[[Headers], "str | Awaitable[str | None] | None"]
"""Who the request's credentials prove, or None."""

ADMIN_PREFIX = "/_emulator"

_MESSAGES = {
    401: "Authentication required",
    404: "Not found",
    414: "Request-URI Too Long",
    429: "Rate limit exceeded",
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Controls:
    """Everything a test, a benchmark or ``/_emulator`` can turn on one emulator."""

    clock: Callable[[], datetime] = field(default_factory=EmulatorClock)
    faults: Faults = field(default_factory=Faults)
    limits: RateLimits | None = None
    lag: Lag = field(default_factory=Lag)
    calls: Counter[str] = field(default_factory=Counter)
    """Requests served, by ``"METHOD /path"`` (admin routes not counted)."""

    def __post_init__(self) -> None:
        if self.limits is None:
            self.limits = RateLimits(clock=lambda: self.clock().timestamp())

    @property
    def rate_limits(self) -> RateLimits:
        assert self.limits is not None
        return self.limits

    def reset(self) -> None:
        """Forget faults, rules, counters and lag (the clock keeps its time)."""
        self.faults.clear()
        self.rate_limits.clear()
        self.calls.clear()
        self.lag.seconds = 0.0


class Gate:
    """Wraps an emulator's app. ``open_paths`` need no credentials (token endpoints);
    requests under ``/_emulator`` bypass everything. ``max_target`` bounds the request
    line's path and query, as a vendor's front end does (answered 414)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        controls: Controls,
        error: ErrorReply,
        authenticate: Authenticate | None = None,
        open_paths: Sequence[str] = (),
        max_target: int | None = None,
        user_key: str = "emulator.user",
    ) -> None:
        self.app = app
        self.controls = controls
        self.error = error
        self.authenticate = authenticate
        self.open_paths = tuple(open_paths)
        self.max_target = max_target
        self.user_key = user_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        self.controls.calls[f"{method} {path}"] += 1
        fault = self.controls.faults.take(method, path)
        if fault is not None and await self._fail_early(fault, scope, receive, send):
            return
        if refusal := await self._refusal(scope, path):
            await refusal(scope, receive, send)
            return
        verdict = self.controls.rate_limits.check(method, path)
        if verdict.refused is not None:
            reply = self._reply(429, _limit_message(verdict.refused), verdict.headers)
            await reply(scope, receive, send)
            return
        send = _with_headers(send, verdict.headers)
        if fault is not None and (fault.lose_response or fault.malformed):
            await _handled_then_broken(self.app, fault, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _fail_early(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> bool:
        """Delay, drop or refuse before the request is handled; True if it was answered."""
        if fault.delay:
            await self.controls.faults.sleep(fault.delay)
        if fault.drop:
            await _drop(send, scope)
        if fault.status:
            headers: dict[str, str] = {}
            if fault.status == 429 or fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after or 1:g}"
            reply = self._reply(fault.status, "Injected fault", headers)
            await reply(scope, receive, send)
            return True
        return False

    async def _refusal(self, scope: Scope, path: str) -> Response | None:
        if self.max_target is not None:
            target = len(path) + len(scope.get("query_string", b"")) + 1
            if target > self.max_target:
                return self._reply(414, f"the request line is over {self.max_target} bytes", {})
        if self.authenticate is None or path in self.open_paths:
            return None
        user = self.authenticate(Headers(scope=scope))
        if inspect.isawaitable(user):
            user = await user
        if user is None:
            return self._reply(401, "Required to provide Auth information", {})
        scope[self.user_key] = user
        return None

    def _reply(self, status: int, detail: str, headers: Mapping[str, str]) -> Response:
        return self.error(status, _MESSAGES.get(status, "Error"), detail, headers)


def _limit_message(window: RateWindow) -> str:
    per = {60: "minute", 3600: "hour"}.get(int(window.rule.window), f"{window.rule.window:g} s")
    return f"Rate limit of {window.rule.limit} requests per {per} exceeded"


async def _drop(send: Send, scope: Scope) -> None:
    """Close the connection mid-answer. Servers answer an exception raised before the
    response starts with a 500; raised after it starts, they close the connection, which
    is the fault wanted (in-process, httpx's ASGITransport re-raises it as it is)."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise DroppedConnection(scope.get("path", ""))


def _with_headers(send: Send, headers: Mapping[str, str]) -> Send:
    if not headers:
        return send

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            mutable = MutableHeaders(scope=message)
            for key, value in headers.items():
                mutable[key] = value
        await send(message)

    return sending


async def _handled_then_broken(
    app: ASGIApp, fault: Fault, scope: Scope, receive: Receive, send: Send
) -> None:
    """Let the app do the request, then lose or break its answer."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    if fault.lose_response or fault.malformed is None:
        await _drop(send, scope)
    body, content_type = broken_body(fault.malformed, b"".join(chunks))
    headers = [
        (k, v)
        for k, v in start.get("headers", [])
        if k.lower() not in (b"content-length", b"content-type")
    ]
    headers += [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
