"""The sync engine: pull → map → merge → route → outbox → push, one cycle per run."""

from .apply import PageApplier, PullStats
from .cycle import ConnectorReport, CycleReport, backfill, pull_stream, refetch, sync_once
from .hub import Hub
from .plan import PlannedWrite, plan
from .push import Pusher, PushStats

__all__ = [
    "ConnectorReport",
    "CycleReport",
    "Hub",
    "PageApplier",
    "PlannedWrite",
    "PullStats",
    "PushStats",
    "Pusher",
    "backfill",
    "plan",
    "pull_stream",
    "refetch",
    "sync_once",
]
