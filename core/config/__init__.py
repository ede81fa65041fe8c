"""Loading and validating ``config.toml``."""

from .issues import ConfigInvalid, ConfigIssue
from .loader import (
    iter_secret_refs,
    load_config,
    read_toml,
    scheme_issues,
    secret_issues,
    validate_config,
)
from .models import Config, ConflictPolicy, NetworkSettings, StoreSettings, SyncSettings

__all__ = [
    "Config",
    "ConfigInvalid",
    "ConfigIssue",
    "ConflictPolicy",
    "NetworkSettings",
    "StoreSettings",
    "SyncSettings",
    "iter_secret_refs",
    "load_config",
    "read_toml",
    "scheme_issues",
    "secret_issues",
    "validate_config",
]
