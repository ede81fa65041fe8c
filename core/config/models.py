"""The shape of ``config.toml``: core sections, and connector and rule tables whose
content each plugin's settings model validates."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..connector import ConnectorSettings
from ..durations import Duration
from ..http import HttpSettings
from ..rules.base import RuleSettings
from .daemon import DaemonSettings

DEFAULT_STORE_URL = "sqlite:///itsmhub.db"


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        DEFAULT_STORE_URL,
        validate_default=True,
        description="sqlite:///path (relative to the config file) or postgresql://…",
    )

    @field_validator("url")
    @classmethod
    def _known_database(cls, url: str, info: ValidationInfo) -> str:
        scheme, sep, rest = url.partition("://")
        if not sep or scheme.split("+")[0] not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError(
                "expected sqlite:///path/to/itsmhub.db or postgresql://user@host/dbname"
            )
        config_dir = (info.context or {}).get("config_dir")
        if scheme.startswith("sqlite") and rest.startswith("/") and config_dir is not None:
            path = rest[1:]
            # sqlite:///relative.db sits next to the config file, not wherever the CLI runs.
            if path and path != ":memory:" and not Path(path).is_absolute():
                return f"{scheme}:///{Path(config_dir) / path}"
        return url


class NetworkSettings(HttpSettings):
    """``[http]``: the shared HTTP client settings, plus where connectors may point."""

    allow_private_networks: bool = Field(
        False,
        description="allow http:// and loopback/private addresses (emulators, labs); "
        "off in production so a config cannot aim credentials at internal hosts",
    )


class ConflictPolicy(StrEnum):
    NEWEST = "newest"  # the latest remote change wins; ties broken by system_rank
    OWNER = "owner"  # the field's owner system wins (field_owners), else newest


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval: Duration = Field(timedelta(minutes=5), description="time between sync cycles")
    overlap: Duration = Field(
        timedelta(minutes=2), description="how far each pull re-reads behind its cursor"
    )
    conflict_policy: ConflictPolicy = Field(
        ConflictPolicy.NEWEST,
        description="newest: the latest remote change wins; owner: field_owners decide first",
    )
    field_owners: dict[str, str] = Field(
        default_factory=dict, description="neutral field → the connector that owns it"
    )
    system_rank: list[str] = Field(
        default_factory=list, description="connectors in order of precedence for ties"
    )
    max_attempts: int = Field(8, ge=1, le=100, description="outbox tries before dead letter")
    concurrency: int = Field(4, ge=1, le=64, description="pushes in flight per connector")
    retry_base: Duration = Field(
        timedelta(seconds=10),
        description="first wait before an outbox write is tried again (when the vendor "
        "said nothing); each further try waits up to twice as long, with jitter",
    )
    retry_cap: Duration = Field(
        timedelta(minutes=15), description="the longest wait between outbox tries"
    )
    park_for: Duration = Field(
        timedelta(days=30),
        description="how long a pulled item waits for the record it belongs to (comments "
        "of a ticket the hub never syncs, such as a help desk's questions) before it is "
        "dropped",
    )


class Config(BaseModel):
    """A validated config. Connector and rule tables hold their plugin's model."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    store: StoreSettings = Field(default_factory=StoreSettings)
    http: NetworkSettings = Field(default_factory=NetworkSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    connectors: dict[str, ConnectorSettings] = Field(default_factory=dict)
    rules: dict[str, RuleSettings] = Field(default_factory=dict)
    path: Path | None = Field(None, exclude=True, description="the file it came from")


class RawConfig(BaseModel):
    """First pass: core sections validated, connector and rule tables kept raw."""

    model_config = ConfigDict(extra="forbid")

    # Validated even when absent, so the default SQLite path lands next to the config.
    store: StoreSettings = Field(default_factory=dict, validate_default=True)  # type: ignore[arg-type]
    http: NetworkSettings = Field(default_factory=NetworkSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    connectors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
