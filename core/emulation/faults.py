"""Failures an emulator injects on command, each aimed at a method and a path.

A fault waits in a queue until a request it is aimed at arrives; the request then fails
the way the fault says. Faults not aimed at a request let it through, so a test can break
the second journal read of a pull without touching anything else.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import anyio
import httpx

Sleep = Callable[[float], Awaitable[None]]

Malformed = Literal["truncated", "html", "empty_list", "empty", "not_json"]
"""How a malformed answer is broken: the real body cut in half, an HTML page, ``[]``, no
body at all, or text that is not JSON. Each comes with status 200."""

MALFORMED_KINDS: tuple[Malformed, ...] = ("truncated", "html", "empty_list", "empty", "not_json")


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised inside the app to close the connection without an answer.

    Served by uvicorn, the client sees the connection drop; in-process through
    ``httpx.ASGITransport`` (which re-raises app exceptions) it sees this transport error,
    which is what a dropped connection looks like to httpx.
    """

    def __init__(self, path: str) -> None:
        super().__init__(f"the emulator dropped the connection ({path})")


@dataclass
class Fault:
    """One failure, for the next request it is aimed at.

    What happens (the first that is set):

    - ``drop``: the connection closes before the request is handled (nothing is done);
    - ``status``: the vendor's error answer with that status (``Retry-After`` from
      ``retry_after``, 1 s by default on a 429); nothing is done;
    - ``lose_response``: the request is handled, then the connection closes: the vendor
      acted but the caller never hears it;
    - ``malformed``: the request is handled and answered 200 with a broken body.

    ``delay`` (seconds) comes first in every case, and alone makes a slow answer.
    ``method`` and ``path`` (a glob such as ``/api/now/table/incident*``) aim it; ``skip``
    lets that many matching requests through first; ``times`` is how many it fails.
    """

    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    lose_response: bool = False
    malformed: Malformed | None = None
    method: str | None = None
    path: str | None = None
    skip: int = 0
    times: int = 1

    def __post_init__(self) -> None:
        if self.method:
            self.method = self.method.upper()
        if self.malformed is not None and self.malformed not in MALFORMED_KINDS:
            raise ValueError(f"malformed must be one of {', '.join(MALFORMED_KINDS)}")
        if self.times < 1 or self.skip < 0:
            raise ValueError("times must be at least 1 and skip at least 0")

    def aims_at(self, method: str, path: str) -> bool:
        if self.method is not None and method.upper() != self.method:
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def describe(self) -> dict[str, object]:
        """The fault as ``/_emulator/faults`` lists it."""
        return {k: v for k, v in self.__dict__.items() if v not in (None, False, 0, 0.0)}


@dataclass
class Faults:
    """The queue of faults of one emulator."""

    sleep: Sleep = anyio.sleep
    queue: list[Fault] = field(default_factory=list)

    def inject(self, fault: Fault) -> Fault:
        self.queue.append(fault)
        return fault

    def clear(self) -> None:
        self.queue.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault this request meets, if any (one use of it is consumed)."""
        for fault in self.queue:
            if not fault.aims_at(method, path):
                continue
            if fault.skip:
                fault.skip -= 1
                return None
            fault.times -= 1
            if fault.times == 0:
                self.queue.remove(fault)
            return fault
        return None


def broken_body(kind: Malformed, real: bytes) -> tuple[bytes, str]:
    """The body and content type of a malformed answer of ``kind``."""
    if kind == "truncated":
        return real[: max(len(real) // 2, 1)], "application/json"
    if kind == "html":
        page = (
            b"<html><head><title>Service Unavailable</title></head><body>Maintenance</body></html>"
        )
        return page, "text/html"
    if kind == "empty_list":
        return b"[]", "application/json"
    if kind == "empty":
        return b"", "application/json"
    return b"this is not json", "text/plain"
