"""Failures a :class:`~fakes.remote.FakeRemote` injects on command: exceptions before or
after an operation, records it serves unreadable, and a real SIGKILL at named points."""

from __future__ import annotations

import os
import signal
from collections import defaultdict, deque
from collections.abc import Callable

KILL_ENV = "ITSMHUB_FAKE_KILL_AT"
"""Names the point at which the process SIGKILLs itself (for crash tests in a subprocess)."""


class Faults:
    """Failures to inject. ``op`` is a FakeRemote operation as counted in ``calls``:
    ``list_changed``, ``get``, ``find_by_marker``, ``create``, ``update``, ``add_comment``,
    ``update_comment``, ``link`` or ``ping``. Exception rules live in this process only;
    malformed records are saved with the remote."""

    def __init__(self, mark_malformed: Callable[[str | None, bool], None]) -> None:
        # A script of outcomes per (phase, op): None lets a call through, an exception fails it.
        self._script: defaultdict[tuple[str, str], deque[BaseException | None]] = defaultdict(deque)
        self._mark_malformed = mark_malformed
        self.kill_point: str | None = None

    def fail_next(self, op: str, exc: BaseException, times: int = 1, *, skip: int = 0) -> None:
        """Raise ``exc`` instead of performing the next ``times`` calls of ``op``, once
        ``skip`` calls went through (``skip=1`` fails the second page of a pull)."""
        self._script["before", op].extend([None] * skip + [exc] * times)

    def fail_after(self, op: str, exc: BaseException, times: int = 1, *, skip: int = 0) -> None:
        """Perform the next ``times`` calls of ``op``, then raise ``exc``: the remote changed
        but the caller never heard (a lost response)."""
        self._script["after", op].extend([None] * skip + [exc] * times)

    def malformed(self, remote_id: str) -> None:
        """Serve ``remote_id`` with a payload the connector cannot map, until healed."""
        self._mark_malformed(remote_id, True)

    def heal(self, remote_id: str) -> None:
        self._mark_malformed(remote_id, False)

    def clear(self) -> None:
        """Drop every exception rule and heal every record."""
        self._script.clear()
        self._mark_malformed(None, False)

    def kill_at(self, point: str | None) -> None:
        """Arm a SIGKILL at ``point`` in this process; ``ITSMHUB_FAKE_KILL_AT`` arms one too,
        e.g. in a subprocess. The points:

        - ``<write>:before``, and ``<write>:after`` once the write reached the file, for the
          writes ``create``, ``update``, ``comment`` (add), ``comment_update`` and ``link``;
        - ``pull:page:<n>``: once the consumer took the n-th item of a pull, checkpoints
          counted (with 4 records a page, ``pull:page:6`` is inside the second page);
        - ``pull:checkpoint:<n>``: once the consumer took the n-th checkpoint of a pull.
        """
        self.kill_point = point

    def reached(self, *points: str) -> None:
        """Called at kill points: SIGKILL this process if one of ``points`` is armed."""
        armed = {self.kill_point, os.environ.get(KILL_ENV)} - {None, ""}
        if armed.intersection(points):
            # A real SIGKILL: no finally blocks, no atexit, no flushing, as with kill -9.
            os.kill(os.getpid(), signal.SIGKILL)

    def check(self, phase: str, op: str) -> None:
        """Raise the exception scripted for this call of ``op``, if any (phase: before/after)."""
        queue = self._script[phase, op]
        if queue and (exc := queue.popleft()) is not None:
            raise exc
