"""The sync engine: pull → merge → enrich → rules → outbox → push, one cycle per run.

This package is where the engine is put together: :func:`open_hub` hands a hub the steps
every cycle runs (enrichment, then rules), so no engine module imports the steps it runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from ..config import Config
from ..plugins import Plugins
from .cycle import (
    ConnectorReport,
    CycleReport,
    Step,
    caught_up_to,
    pull_connector,
    record_run,
    sync_once,
)
from .enrich import EnrichmentReport, EnrichmentStep
from .hub import Hub
from .page import PageApplier, PullStats
from .plan import Plan, PlannedWrite, plan
from .pull import backfill, backfill_streams, pull_stream, refetch, rolled_back
from .push import Pusher, PushStats
from .rules_run import RulesReport, RulesStep


def default_steps() -> list[Step]:
    """The steps of a cycle, in order: enrichment first, so rules see departments."""
    return [EnrichmentStep(), RulesStep()]


@asynccontextmanager
async def open_hub(
    config: Config,
    plugins: Plugins,
    *,
    clock: Callable[[], datetime] | None = None,
    transports: Mapping[str, Any] | None = None,
) -> AsyncIterator[Hub]:
    """:meth:`Hub.open` with the default steps: what the CLI, the daemon and tests use."""
    options: dict[str, Any] = {"transports": transports, "steps": default_steps()}
    if clock is not None:
        options["clock"] = clock
    async with Hub.open(config, plugins, **options) as hub:
        yield hub


__all__ = [
    "ConnectorReport",
    "CycleReport",
    "EnrichmentReport",
    "EnrichmentStep",
    "Hub",
    "PageApplier",
    "Plan",
    "PlannedWrite",
    "PullStats",
    "PushStats",
    "Pusher",
    "RulesReport",
    "RulesStep",
    "Step",
    "backfill",
    "backfill_streams",
    "caught_up_to",
    "default_steps",
    "open_hub",
    "plan",
    "pull_connector",
    "pull_stream",
    "record_run",
    "refetch",
    "rolled_back",
    "sync_once",
]
