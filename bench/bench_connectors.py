"""Connectors for benchmarks: a source that generates records as it is read, and a sink
that accepts writes without keeping them, so the figures measure the engine alone
(a remote holding 100k records in memory would hide whether the engine streams)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Literal

from itsmhub import (
    Checkpoint,
    Connector,
    ConnectorSettings,
    Cursor,
    ExternalRef,
    Incident,
    PullItem,
    PullRequest,
    RecordKind,
    RemoteChange,
    RemoteVersion,
    hookimpl,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class BenchSettings(ConnectorSettings):
    type: Literal["bench"] = "bench"
    records: int = 0
    page_size: int = 1000


class BenchConnector(Connector):
    """Generates ``records`` incidents on pull; accepts creates and updates."""

    kind: ClassVar[str] = "bench"
    settings_model: ClassVar[type[ConnectorSettings]] = BenchSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = frozenset({RecordKind.INCIDENT})
    calls: ClassVar[dict[str, int]] = {}

    def _count(self, call: str) -> None:
        key = f"{self.name}.{call}"
        self.calls[key] = self.calls.get(key, 0) + 1

    async def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        assert isinstance(self.settings, BenchSettings)
        total, size = self.settings.records, self.settings.page_size
        start = 0
        if request.cursor and request.cursor.token:
            start = int(request.cursor.token)
        for first in range(start, total, size):
            self._count("list")
            last = min(first + size, total)
            for n in range(first, last):
                at = T0 + timedelta(seconds=n)
                yield RemoteChange(
                    kind=RecordKind.INCIDENT,
                    remote_id=str(n),
                    version="1",
                    changed_at=at,
                    record=Incident(
                        title=f"VPN drops on gateway {n % 97} for site {n % 13}",
                        description="Users report the tunnel drops every few minutes.",
                        status="new",
                        impact=2,
                        urgency=2,
                        service="vpn",
                        tags=["network", f"site-{n % 13}"],
                        created_at=at,
                        updated_at=at,
                        refs=[ExternalRef(system=self.name, remote_id=str(n), key=f"B-{n}")],
                    ),
                )
            yield Checkpoint(cursor=Cursor(watermark=T0 + timedelta(seconds=last), token=str(last)))

    async def create(self, record: object, *, marker: str) -> RemoteChange:
        self._count("create")
        remote_id = marker
        return RemoteChange(
            kind=RecordKind.INCIDENT,
            remote_id=remote_id,
            version="1",
            changed_at=T0,
            record=record.model_copy(
                update={
                    "refs": [
                        ExternalRef(
                            system=self.name,  # type: ignore[attr-defined]
                            remote_id=remote_id,
                        )
                    ]
                }
            ),
            marker=marker,
        )

    async def update(self, ref: ExternalRef, changes: object) -> RemoteVersion:
        self._count("update")
        return RemoteVersion(version="2", updated_at=T0)


@hookimpl
def register_connectors(register):  # type: ignore[no-untyped-def]
    register(BenchConnector)
