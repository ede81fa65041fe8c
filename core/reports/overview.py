"""What the live overview shows per connector: its last good cycle, how far behind the
vendor it is, what waits in the outbox and what keeps failing."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from ..config import Config
from ..store import DeadLetterStatus, Store


class ConnectorStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: str
    enabled: bool
    last_good_cycle: datetime | None
    lag_seconds: float | None
    outbox_depth: int
    dead_letters: int
    failing_since: datetime | None
    last_error: str | None


async def connector_statuses(store: Store, config: Config, now: datetime) -> list[ConnectorStatus]:
    """One status per configured connector. Lag is ``now`` minus the vendor time its last
    good cycle had caught up to; an error counts only when it came after that cycle."""
    found = []
    for name in sorted(config.connectors):
        settings = config.connectors[name]
        good = await store.last_run(name, ok=True)
        failed = await store.last_run(name, ok=False)
        if failed is not None and good is not None and failed.finished_at <= good.finished_at:
            failed = None
        caught_up = good.caught_up_to if good is not None else None
        found.append(
            ConnectorStatus(
                name=name,
                type=settings.type,
                enabled=settings.enabled,
                last_good_cycle=good.finished_at if good else None,
                lag_seconds=max((now - caught_up).total_seconds(), 0.0) if caught_up else None,
                outbox_depth=await store.outbox_depth(name),
                dead_letters=await store.count_dead_letters(name, DeadLetterStatus.OPEN),
                failing_since=failed.finished_at if failed else None,
                last_error=failed.error if failed else None,
            )
        )
    return found
