"""The emulator's clock: real time by default; set, frozen or advanced by tests and demos."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class EmulatorClock:
    """Wall-clock time, optionally shifted, frozen or ticking.

    - real time (the default), shifted by whatever :meth:`advance` added;
    - frozen at a moment (:meth:`set`), moving only when told to;
    - ticking: frozen, and each reading moves it on by ``tick`` (every write then gets its
      own timestamp, as vendors with second-granular clocks need in tests).

    An emulator takes any ``Callable[[], datetime]`` as its clock; this one adds the
    controls that ``/_emulator/clock`` exposes.
    """

    def __init__(self, start: datetime | None = None, *, tick: timedelta | None = None) -> None:
        self._offset = timedelta(0)
        self._frozen: datetime | None = start.astimezone(UTC) if start else None
        self._tick = tick
        # Emulators served side by side (in threads) may share one clock: each reading of a
        # ticking clock must be its own moment.
        self._lock = threading.Lock()

    def now(self) -> datetime:
        if self._frozen is None:
            return datetime.now(UTC) + self._offset
        with self._lock:
            current = self._frozen
            if self._tick:
                self._frozen = current + self._tick
            return current

    __call__ = now

    def timestamp(self) -> float:
        return self.now().timestamp()

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def set(self, when: datetime) -> None:
        """Stop at ``when`` (aware); the clock moves only when advanced (or ticking)."""
        self._frozen = when.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        """Move on by ``seconds``, frozen or not."""
        if self._frozen is not None:
            self._frozen += timedelta(seconds=seconds)
        else:
            self._offset += timedelta(seconds=seconds)

    def release(self) -> None:
        """Run in real time again, keeping any offset of a frozen moment from now."""
        if self._frozen is not None:
            self._offset = self._frozen - datetime.now(UTC)
            self._frozen = None
