"""The plugin contract: every hook itsmhub calls, and the markers plugins use.

Hooks only hand the core objects; the engine then calls typed methods on those objects
(one connector instance per configured system), never a hook per record. Hooks are
called with keyword arguments, and an implementation may accept fewer arguments than
its spec. Each hook is documented with an example in ``docs/plugin-hooks.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .connector import Connector
    from .extensions import Emulator, Enricher
    from .rules.base import RuleType
    from .secrets import SecretRef

PROJECT_NAME = "itsmhub"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- what a plugin provides ------------------------------------------------------------


@hookspec
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Call ``register(cls)`` for each connector class this plugin provides.

    :param register: takes a :class:`~itsmhub.Connector` subclass that declares
        ``kind``, ``settings_model`` and ``record_kinds``. Two plugins registering the
        same ``kind`` make that kind unavailable until one is removed.
    """


@hookspec
def register_emulators(register: Callable[[type[Emulator]], None]) -> None:
    """Call ``register(cls)`` for each emulator of a vendor API this plugin provides.

    :param register: takes an :class:`~itsmhub.Emulator` subclass whose ``kind`` names
        the connector kind it stands in for. Used by tests, benchmarks and
        ``itsmhub emulate``.
    """


@hookspec
def register_enrichers(register: Callable[[type[Enricher]], None]) -> None:
    """Call ``register(cls)`` for each enricher this plugin provides.

    :param register: takes an :class:`~itsmhub.Enricher` subclass; one instance is built
        per configured connector of its ``connector_kind`` and given batches of records.
    """


@hookspec
def register_rule_types(register: Callable[[type[RuleType]], None]) -> None:
    """Call ``register(cls)`` for each rule type beyond the built-in ones.

    :param register: takes a :class:`~itsmhub.RuleType` subclass declaring ``type`` and
        ``settings_model``; ``[rules.<name>]`` tables with that ``type`` are validated
        against the model.
    """


# --- runtime services ------------------------------------------------------------------


@hookspec(firstresult=True)
def resolve_secret(ref: SecretRef) -> str | None:
    """Return the secret ``ref`` points at, or ``None`` if this plugin does not handle
    ``ref.scheme`` (or finds nothing there).

    Stops at the first non-``None`` result (``firstresult``). The built-in backend
    answers ``env:``, ``file:`` and ``credential:`` last, so a plugin can add schemes
    such as ``vault:`` or take over a built-in one.

    :param ref: the parsed reference; ``ref.scheme`` and ``ref.target``.
    """
