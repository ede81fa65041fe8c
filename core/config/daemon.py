"""``[daemon]``: where the daemon listens, how it guards its webhook receiver, how long it
takes to stop, and each connector's schedule (``[daemon.schedules.<connector>]``)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..durations import Duration
from ..secrets import SecretReference

#: Jira retries a failed delivery for about an hour; older deliveries are replays.
DEFAULT_REPLAY_WINDOW = timedelta(hours=1)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


class ScheduleSettings(BaseModel):
    """When one connector is pulled: every interval plus up to jitter, or at cron times."""

    model_config = ConfigDict(extra="forbid")

    interval: Duration | None = Field(
        None, description="time between pulls (default: [sync] interval)"
    )
    jitter: Duration | None = Field(
        None,
        description="a random delay up to this long added to each interval, so workers and "
        "connectors do not all call at once (default: a tenth of the interval, at most 30s)",
    )
    cron: str | None = Field(
        None,
        description="a cron expression (minute hour day month weekday, e.g. '*/10 * * * *') "
        "instead of an interval",
    )
    timezone: str = Field("UTC", description="the time zone cron times are read in")

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from croniter import croniter  # only when a cron schedule is configured

        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is not a cron expression: write five fields, minute hour day "
                "month weekday, e.g. '*/10 * * * *' (every ten minutes) or '0 7 * * 1-5'"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone name: use one such as 'UTC' or 'Europe/Paris'"
            ) from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduleSettings:
        if self.cron is not None and self.interval is not None:
            raise ValueError("set interval or cron, not both: remove one of them")
        if self.cron is not None and self.jitter is not None:
            raise ValueError("jitter applies to an interval; remove it from a cron schedule")
        if self.interval is not None and self.interval < timedelta(seconds=1):
            raise ValueError("interval must be at least 1s")
        if self.interval is not None and self.jitter is not None and self.jitter >= self.interval:
            raise ValueError("jitter must be shorter than the interval: lower it")
        return self


class DaemonSettings(BaseModel):
    """What itsmhub daemon serves (webhooks, health, metrics), how it stops, when it pulls."""

    model_config = ConfigDict(extra="forbid")

    listen: str = Field(
        "127.0.0.1",
        description="the address the webhook receiver, health and metrics listen on; "
        "loopback by default (put a TLS reverse proxy in front for vendors)",
    )
    port: int = Field(8765, ge=0, le=65535, description="the port (0: any free one)")
    max_body_bytes: int = Field(
        1 << 20, ge=1024, le=64 << 20, description="the largest webhook delivery accepted"
    )
    body_timeout: Duration = Field(
        timedelta(seconds=10), description="how long a webhook delivery may take to arrive"
    )
    replay_window: Duration = Field(
        DEFAULT_REPLAY_WINDOW,
        description="deliveries stamped further in the past are refused as replays; their "
        "delivery ids are remembered at least twice as long",
    )
    shutdown_grace: Duration = Field(
        timedelta(seconds=30),
        description="on SIGTERM, how long running work may take to finish before it is "
        "cut short and its in-flight writes released",
    )
    check_every: Duration = Field(
        timedelta(seconds=2),
        description="how often each worker looks for connectors to take over, events "
        "another worker received and writes another worker queued",
    )
    backoff: Duration = Field(
        timedelta(minutes=1),
        description="a failing connector's first wait before its next pull; each further "
        "failure doubles it (never sooner than its schedule)",
    )
    backoff_cap: Duration = Field(
        timedelta(minutes=30), description="the longest wait of a failing connector"
    )
    stale_after: Duration | None = Field(
        None,
        description="/readyz fails when a connector's last clean cycle is older than this "
        "(default: three of its schedule's periods, at least 5m)",
    )
    reports: bool = Field(False, description="also serve the live report pages under /reports")
    reports_token: SecretReference | None = Field(
        None, description="bearer token the report pages ask for; required off loopback"
    )
    schedules: dict[str, ScheduleSettings] = Field(
        default_factory=dict, description="per connector: interval (with jitter) or cron"
    )

    @field_validator("check_every")
    @classmethod
    def _at_least_a_second(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("check_every must be at least 1s")
        return value

    @model_validator(mode="after")
    def _guarded_reports(self) -> DaemonSettings:
        if self.reports and self.reports_token is None and not is_loopback(self.listen):
            raise ValueError(
                f"the report pages on {self.listen} need a token: set reports_token = "
                "'env:ITSMHUB_PAGES_TOKEN' (or another secret reference), or listen on "
                "127.0.0.1"
            )
        if self.backoff_cap < self.backoff:
            raise ValueError("backoff_cap must not be shorter than backoff")
        return self


__all__ = ["DEFAULT_REPLAY_WINDOW", "DaemonSettings", "ScheduleSettings", "is_loopback"]
