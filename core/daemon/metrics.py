"""The daemon's Prometheus metrics, in a registry of its own (``prometheus_client``).

Counters and histograms are fed as work happens; the gauges that describe the store
(outbox depth, dead letters, the last clean cycle) are read from it when ``/metrics`` is
scraped, so every worker reports the same shared state.
"""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ..engine import ConnectorReport
from ..http.dialect import dialect_of
from ..store import Store

#: Buckets for cycle durations (seconds): a quiet poll to a long catch-up.
CYCLE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)
#: Buckets for webhook latency: receipt to the record applied.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """Every metric the daemon exports, registered on :attr:`registry`."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.pulled = Counter(
            "itsmhub_records_pulled", "Records read from a connector", ["connector"], registry=r
        )
        self.pushed = Counter(
            "itsmhub_records_pushed", "Writes made to a connector", ["connector"], registry=r
        )
        self.dead_lettered = Counter(
            "itsmhub_records_dead_lettered",
            "Records and writes given up on (see itsmhub dlq list)",
            ["connector"],
            registry=r,
        )
        self.cycles = Counter(
            "itsmhub_cycles", "Connector cycles, by outcome", ["connector", "outcome"], registry=r
        )
        self.cycle_seconds = Histogram(
            "itsmhub_cycle_duration_seconds",
            "How long a connector's cycle took",
            ["connector"],
            buckets=CYCLE_BUCKETS,
            registry=r,
        )
        self.api_calls = Counter(
            "itsmhub_api_calls", "Vendor API responses, by vendor", ["vendor"], registry=r
        )
        self.rate_limited = Counter(
            "itsmhub_api_rate_limited", "Vendor answers 429, by vendor", ["vendor"], registry=r
        )
        self.webhooks = Counter(
            "itsmhub_webhook_deliveries",
            "Webhook deliveries, by result (queued, duplicate, rejected, stale, too_large, …)",
            ["connector", "result"],
            registry=r,
        )
        self.webhook_latency = Histogram(
            "itsmhub_webhook_latency_seconds",
            "From a delivery's receipt to its record read again and applied",
            ["connector"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.lease_held = Gauge(
            "itsmhub_lease_held", "1 while this worker holds the lease", ["lease"], registry=r
        )
        self.outbox_depth = Gauge(
            "itsmhub_outbox_depth", "Writes waiting or in flight", ["connector"], registry=r
        )
        self.dead_letters = Gauge(
            "itsmhub_dead_letters", "Open dead letters", ["connector"], registry=r
        )
        self.events_pending = Gauge(
            "itsmhub_webhook_events_pending", "Webhook events queued", ["connector"], registry=r
        )
        self.last_success = Gauge(
            "itsmhub_last_success_timestamp_seconds",
            "When the connector's last clean cycle ended (Unix time)",
            ["connector"],
            registry=r,
        )

    def observe_response(self, response: httpx.Response) -> None:
        """Count one vendor answer (an ``observe_responses`` observer)."""
        vendor = dialect_of(response.request.extensions).name
        self.api_calls.labels(vendor).inc()
        if response.status_code == 429:
            self.rate_limited.labels(vendor).inc()

    def observe_cycle(self, name: str, report: ConnectorReport, seconds: float) -> None:
        self.pulled.labels(name).inc(report.pull.seen)
        self.pushed.labels(name).inc(report.push.pushed)
        self.dead_lettered.labels(name).inc(report.pull.rejected + report.push.dead)
        self.cycles.labels(name, "ok" if not report.errors else "failed").inc()
        self.cycle_seconds.labels(name).observe(seconds)

    async def render(self, store: Store, connectors: list[str]) -> bytes:
        """The text exposition, with the store-wide gauges read now."""
        from ..store.webhooks import EventStatus

        for name in connectors:
            self.outbox_depth.labels(name).set(await store.outbox_depth(name))
            self.dead_letters.labels(name).set(await store.count_dead_letters(connector=name))
            pending = await store.count_webhook_events(name, EventStatus.PENDING)
            self.events_pending.labels(name).set(pending)
            last = await store.last_run(name, ok=True)
            if last is not None:
                self.last_success.labels(name).set(last.finished_at.timestamp())
        return generate_latest(self.registry)


__all__ = ["Metrics"]
