"""A local ServiceNow instance (Table, Batch, Stats and OAuth APIs) for tests and demos."""

from __future__ import annotations

from typing import ClassVar

from itsmhub import ASGIApp, Emulator

from .app import build_app
from .faults import DroppedConnection, Fault, Faults, RateLimitRule
from .seed import seed_instance
from .state import Instance

__all__ = [
    "DroppedConnection",
    "Fault",
    "Faults",
    "Instance",
    "RateLimitRule",
    "ServiceNowEmulator",
    "build_app",
    "seed_instance",
]


class ServiceNowEmulator(Emulator):
    """Serves incidents, problems, known-error articles and journals as an instance does.

    Basic auth ``admin``/``admin``; OAuth client ``itsmhub``/``itsmhub-secret``. Faults
    and rate limits are driven through ``/_emulator/...`` or ``app.instance.faults``.
    """

    kind: ClassVar[str] = "servicenow"
    title: ClassVar[str] = "ServiceNow Table API"

    def __init__(self, *, incidents: int = 50) -> None:
        self.incidents = incidents
        """How many incidents a seed creates (problems: one per ten incidents)."""

    def app(self, *, seed: int | None = None) -> ASGIApp:
        """A fresh instance; its state stays reachable as ``app.instance``."""
        instance = Instance()
        if seed is not None:
            seed_instance(instance, seed, incidents=self.incidents)
        return build_app(instance)
