"""The ``itsmhub`` command line: parse, call the core, print. Nothing else lives here."""

from . import (  # noqa: F401  (each registers its commands)
    config_cmd,
    connectors_cmd,
    daemon_cmd,
    demo_cmd,
    dlq_cmd,
    emulate_cmd,
    init_cmd,
    outbox_cmd,
    people_cmd,
    plugins_cmd,
    records_cmd,
    report_cmd,
    rules_cmd,
    status_cmd,
    sync_cmd,
)
from .main import cli, main

__all__ = ["cli", "main"]
