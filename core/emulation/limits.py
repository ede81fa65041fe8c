"""Rate-limit rules: N requests per window for the requests they match, counted per fixed
window, with the vendor's own headers on every matching answer."""

from __future__ import annotations

import fnmatch
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateLimitRule:
    """``limit`` requests per ``window`` seconds for requests matching ``path`` (a glob)
    and ``methods`` (all when empty). ``reason`` names the limit where a vendor says it
    (Jira's ``RateLimit-Reason``)."""

    limit: int
    window: float = 60.0
    path: str = "*"
    methods: frozenset[str] = frozenset()
    reason: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        return fnmatch.fnmatchcase(path, self.path)


@dataclass(frozen=True)
class RateWindow:
    """Where one rule stands for the request being answered."""

    rule: RateLimitRule
    used: int
    reset_at: float
    now: float

    @property
    def remaining(self) -> int:
        return max(self.rule.limit - self.used, 0)

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - self.now))


RateHeaders = Callable[[RateWindow, bool], dict[str, str]]
"""The vendor's rate-limit headers for a window; the flag is True on a 429."""


def standard_headers(window: RateWindow, refused: bool) -> dict[str, str]:
    """``X-RateLimit-Limit/Remaining/Reset`` (epoch seconds), ``Retry-After`` on a 429."""
    headers = {
        "X-RateLimit-Limit": str(window.rule.limit),
        "X-RateLimit-Remaining": str(window.remaining),
        "X-RateLimit-Reset": str(int(window.reset_at)),
    }
    if refused:
        headers["Retry-After"] = str(window.retry_after)
    return headers


@dataclass
class Verdict:
    """A rate-limit decision: the headers for the answer, and the refusal if any."""

    refused: RateWindow | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RateLimits:
    """The rules of one emulator and their counters."""

    clock: Callable[[], float]
    headers: RateHeaders = standard_headers
    rules: list[RateLimitRule] = field(default_factory=list)
    counts: dict[tuple[str, int], int] = field(default_factory=dict)

    def add(self, rule: RateLimitRule) -> RateLimitRule:
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()
        self.counts.clear()

    def check(self, method: str, path: str) -> Verdict:
        """Count the request against every rule it matches; refused once one is used up."""
        verdict = Verdict()
        now = self.clock()
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            start = int(now // rule.window)
            key = (rule.id, start)
            used = self.counts.get(key, 0)
            reset_at = (start + 1) * rule.window
            if used >= rule.limit:
                window = RateWindow(rule, used, reset_at, now)
                verdict.refused = window
                verdict.headers.update(self.headers(window, True))
                return verdict
            self.counts[key] = used + 1
            verdict.headers.update(self.headers(RateWindow(rule, used + 1, reset_at, now), False))
        return verdict
