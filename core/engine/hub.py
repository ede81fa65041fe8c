"""The running hub: config, plugins, the state store and one connector per system."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from ..config import Config
from ..connector import Connector, ConnectorContext
from ..errors import ConfigError
from ..exchange import Stream
from ..model import AnyRecordType, Link, RecordKind, utcnow
from ..plugins import Plugins
from ..store import Store
from .routing import Router
from .runtime import tune_garbage_collector

if TYPE_CHECKING:
    from .cycle import Step

#: The record kinds the engine syncs; people and devices come from enrichers.
SYNCED_KINDS = (RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR)


@dataclass
class Hub:
    """Everything one sync process works with. Build it with :meth:`Hub.open`."""

    config: Config
    plugins: Plugins
    store: Store
    connectors: dict[str, Connector]
    clock: Callable[[], datetime] = utcnow
    steps: Sequence[Step] = ()
    """What a cycle runs between its pulls and its pushes (enrichment, rules), in order;
    handed in by whoever opens the hub (see :func:`itsmhub.engine.open_hub`)."""
    router: Router = field(init=False)

    def __post_init__(self) -> None:
        self.router = Router(self.config)

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        config: Config,
        plugins: Plugins,
        *,
        clock: Callable[[], datetime] = utcnow,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        steps: Sequence[Step] = (),
    ) -> AsyncIterator[Hub]:
        """Open the store and build the enabled connectors; close them all on exit."""
        tune_garbage_collector()
        async with AsyncExitStack() as stack:
            store = await Store.open(config.store.url, clock=clock)
            stack.push_async_callback(store.close)
            connectors = {}
            for name, settings in sorted(config.connectors.items()):
                if not settings.enabled:
                    continue
                cls_ = plugins.registry.connectors.get(settings.type)
                if cls_ is None:
                    raise ConfigError(
                        f"no installed plugin provides connector type {settings.type!r}",
                        key=f"connectors.{name}.type",
                        fix="install the plugin, or see `itsmhub plugins` for why it failed",
                    )
                context = ConnectorContext(
                    http=config.http,
                    resolve_secret=plugins.resolve_secret,
                    transport=(transports or {}).get(name),
                    clock=clock,
                )
                connector = cls_(name, settings, context)
                stack.push_async_callback(connector.aclose)
                connectors[name] = connector
            yield cls(
                config=config,
                plugins=plugins,
                store=store,
                connectors=connectors,
                clock=clock,
                steps=steps,
            )

    def kinds_of(self, name: str) -> list[RecordKind]:
        """The record kinds the engine syncs for one connector."""
        return [kind for kind in SYNCED_KINDS if kind in self.connectors[name].record_kinds]

    def streams_of(self, name: str) -> list[Stream]:
        """The streams a cycle pulls from one connector, in the connector's order."""
        return list(self.connector(name).streams())

    def stream(self, name: str, which: Stream | RecordKind | str) -> Stream:
        """One of a connector's streams: itself, the one yielding a kind, or by name."""
        if isinstance(which, Stream):
            return which
        streams = self.streams_of(name)
        for stream in streams:
            if which == stream.name or (isinstance(which, RecordKind) and which in stream.kinds):
                return stream
        known = ", ".join(s.name for s in streams) or "none"
        raise ConfigError(f"connector {name!r} has no stream {which!s}", fix=f"use one of: {known}")

    def fields_of(self, name: str) -> frozenset[str] | None:
        """The neutral fields a connector can hold (None: all of them)."""
        connector = self.connectors.get(name)
        return connector.synced_fields if connector is not None else None

    def cannot(
        self, target: str, record: AnyRecordType, operation: str, link: Link | None = None
    ) -> str | None:
        """Why ``target`` cannot take a write of ``operation`` for ``record``, or None.

        Checked before a row is queued, so a write a connector cannot make is never
        tried (the reason is audited instead)."""
        connector = self.connectors.get(target)
        if connector is None:
            return f"{target!r} is not an enabled connector"
        if not type(connector).can(operation):
            what = operation.replace("_", " ")
            return f"the {connector.kind} connector cannot {what} (not implemented)"
        if operation == "create" and record.kind not in connector.record_kinds:
            return f"{target} holds no {record.kind.value} records"
        if link is not None and connector.link_kinds and link.kind not in connector.link_kinds:
            return f"{target} keeps no {link.kind.value} links"
        return None

    def connector(self, name: str) -> Connector:
        try:
            return self.connectors[name]
        except KeyError:
            known = ", ".join(sorted(self.connectors)) or "none"
            raise ConfigError(
                f"no enabled connector is named {name!r}", fix=f"use one of: {known}"
            ) from None
