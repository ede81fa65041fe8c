"""Declared rate budgets: a vendor's published limits, spent before each request so the
hub stays under them instead of learning them from 429s.

A connector declares its budgets (:meth:`~itsmhub.Connector.rate_budgets`): Zendesk's
incremental exports share 10 requests a minute, Okta has a bucket per endpoint. The
client waits, before sending, until the request fits every budget it matches. Budgets
count requests in a sliding window, so a burst never exceeds the published number in
any window of that length.
"""

from __future__ import annotations

import fnmatch
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import anyio
import httpx

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RateBudget:
    """``requests`` per ``per`` seconds for requests whose path matches ``path`` (a glob)
    and whose method is in ``methods`` (any when empty). Requests matching several
    budgets spend from each."""

    name: str
    requests: int
    per: float
    path: str = "*"
    methods: frozenset[str] = frozenset()

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        return fnmatch.fnmatchcase(path, self.path)


@dataclass
class _Window:
    budget: RateBudget
    sent: deque[float] = field(default_factory=deque)
    lock: anyio.Lock = field(default_factory=anyio.Lock)


class BudgetPacer:
    """Waits, before each request, until it fits every budget it matches."""

    def __init__(
        self,
        budgets: Sequence[RateBudget],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self._windows = [_Window(b) for b in budgets if b.requests > 0 and b.per > 0]
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0
        """Seconds spent waiting so far (for benchmarks and logs)."""

    @property
    def budgets(self) -> list[RateBudget]:
        return [w.budget for w in self._windows]

    async def spend(self, method: str, path: str) -> float:
        """Wait until one more request fits; record it; return the seconds waited."""
        waited = 0.0
        for window in self._windows:
            if not window.budget.matches(method, path):
                continue
            async with window.lock:
                waited += await self._fit(window)
        self.waited += waited
        return waited

    async def _fit(self, window: _Window) -> float:
        budget, sent = window.budget, window.sent
        waited = 0.0
        while True:
            now = self._clock()
            while sent and sent[0] <= now - budget.per:
                sent.popleft()
            if len(sent) < budget.requests:
                sent.append(now)
                return waited
            pause = sent[0] + budget.per - now
            await self._sleep(pause)
            waited += pause

    def hook(self) -> Callable[[httpx.Request], Awaitable[None]]:
        """An httpx request hook spending from the budgets."""

        async def spend(request: httpx.Request) -> None:
            await self.spend(request.method, request.url.path)

        return spend


__all__ = ["BudgetPacer", "RateBudget"]
