"""The ``itsmhub`` command line: parse, call the core, print. Nothing else lives here."""

from . import config_cmd, init_cmd, plugins_cmd  # noqa: F401  (each registers its commands)
from .main import cli, main

__all__ = ["cli", "main"]
