"""Rate-limit rules and injected faults (5xx, latency, dropped connections).

Rules follow ``sys_rate_limit_rules``: N requests per window (an hour on a real
instance), counted per fixed window. Faults are queued and consumed by the next
requests, so a test says exactly which calls fail.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio

Sleep = Callable[[float], Awaitable[None]]


class DroppedConnection(Exception):
    """Raised inside the app so the ASGI server closes the connection without a response."""


@dataclass
class RateLimitRule:
    """``limit`` requests per ``window`` seconds for paths starting with ``path_prefix``."""

    limit: int
    window: int = 3600
    path_prefix: str = "/api/now/"
    methods: frozenset[str] = frozenset()
    sys_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and (not self.methods or method in self.methods)


@dataclass
class Fault:
    """One queued fault: ``status`` (e.g. 500, 503, 429), ``delay`` seconds, or ``drop``."""

    status: int | None = None
    delay: float = 0.0
    drop: bool = False
    retry_after: int = 1


@dataclass
class Verdict:
    """A rate-limit decision: headers for every matching request, 429 when used up."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    detail: str = ""


class Faults:
    """The fault queue and rate-limit counters of one instance."""

    def __init__(self, *, clock: Callable[[], float] = time.time, sleep: Sleep = anyio.sleep):
        self.clock = clock
        self.sleep = sleep
        self.rules: list[RateLimitRule] = []
        self.queue: list[Fault] = []
        self.counts: dict[tuple[str, int], int] = {}

    def reset(self) -> None:
        self.rules.clear()
        self.queue.clear()
        self.counts.clear()

    def add_rule(self, rule: RateLimitRule) -> RateLimitRule:
        self.rules.append(rule)
        return rule

    def inject(self, fault: Fault, count: int = 1) -> None:
        """Make the next ``count`` requests fail (or slow down) with ``fault``."""
        self.queue.extend([fault] * count)

    def take(self) -> Fault | None:
        """The next queued fault, if any (consumed)."""
        return self.queue.pop(0) if self.queue else None

    def limit(self, method: str, path: str) -> Verdict:
        """Count the request against matching rules; a 429 verdict once one is used up."""
        verdict = Verdict()
        now = self.clock()
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            start = int(now // rule.window * rule.window)
            key = (rule.sys_id, start)
            used = self.counts.get(key, 0)
            reset = start + rule.window
            verdict.headers.update(
                {
                    "X-RateLimit-Limit": str(rule.limit),
                    "X-RateLimit-Reset": str(reset),
                    "X-RateLimit-Rule": rule.sys_id,
                }
            )
            if used >= rule.limit:
                per = "hour" if rule.window == 3600 else f"{rule.window} seconds"
                verdict.status = 429
                verdict.headers["Retry-After"] = str(max(1, int(reset - now)))
                verdict.detail = (
                    f"Rate limit of {rule.limit} requests per {per} for Table API exceeded"
                )
                return verdict
            self.counts[key] = used + 1
        return verdict
