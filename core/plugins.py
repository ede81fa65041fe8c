"""Finds, loads and lists plugins.

Plugins are the entry points of group ``itsmhub`` (the in-tree ones too), plus the
built-in default plugins. Loading is an explicit, guarded call, never an import side
effect, and each plugin is loaded on its own: one that fails to import, implements a
hook that does not exist, or raises while registering is reported with its reason and
the others still load.

Operator switches, read from the environment:

- ``ITSMHUB_LOAD_PLUGINS=a,b`` loads only the named plugins (entry point or
  distribution names); set but empty loads none besides the built-ins.
- ``ITSMHUB_PLUGIN_MODULES=pkg.mod,other.mod`` also registers these importable modules
  as plugins, without packaging them (as ``PYTEST_PLUGINS`` does): for tests and for
  trying a plugin out.
- ``ITSMHUB_TRACE_PLUGINS=1`` logs every hook call and its result at DEBUG.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import pluggy
from pydantic import SecretStr

from . import hookspecs
from .default_plugins import DEFAULT_PLUGINS
from .errors import ConfigError, SecretNotFound
from .registry import Registry
from .secrets import SecretRef

ENTRY_POINT_GROUP = "itsmhub"
log = logging.getLogger("itsmhub.plugins")


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin, as ``itsmhub plugins`` shows it."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    builtin: bool = False


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that could not be used, and why."""

    name: str
    distribution: str | None
    reason: str


@dataclass
class Plugins:
    """The plugin manager, what the plugins registered, and what went wrong."""

    pm: pluggy.PluginManager
    registry: Registry
    loaded: list[PluginInfo] = field(default_factory=list)
    broken: list[BrokenPlugin] = field(default_factory=list)

    def resolve_secret(self, ref: SecretRef, *, key: str | None = None) -> SecretStr:
        """Resolve ``ref`` through the ``resolve_secret`` hook, or raise SecretNotFound."""
        try:
            value = self.pm.hook.resolve_secret(ref=ref)
        except ConfigError:
            raise
        except Exception as exc:
            # The backend's message may quote what it read; keep only the error's class.
            raise ConfigError(
                f"the secret backend for {ref.scheme!r} failed ({type(exc).__name__})",
                key=key,
                fix="check the backend plugin's own configuration",
            ) from None
        if value is None:
            looked = [ref.describe()] if ref.scheme in {"env", "file", "credential"} else []
            raise SecretNotFound(str(ref), looked, key=key)
        _remember_for_redaction(value)
        return SecretStr(value)


def _remember_for_redaction(value: str) -> None:
    """Tell the log redactor about a secret so it is masked wherever it shows up."""
    from .http.redact import register_secret  # the http package imports plugins lazily too

    register_secret(value)


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def load_plugins(
    *,
    environ: Mapping[str, str] | None = None,
    discovered: Iterable[EntryPoint] | None = None,
) -> Plugins:
    """Load the built-in and installed plugins and collect their registrations."""
    environ = os.environ if environ is None else environ
    pm = new_plugin_manager()
    plugins = Plugins(pm=pm, registry=Registry())
    if environ.get("ITSMHUB_TRACE_PLUGINS"):
        _trace(pm)

    for module_name in DEFAULT_PLUGINS:
        module = importlib.import_module(module_name)
        _register(plugins, module, module_name, distribution=None, version=None, builtin=True)

    allow = _allowlist(environ)
    points = discovered if discovered is not None else entry_points(group=ENTRY_POINT_GROUP)
    for point in sorted(points, key=lambda p: p.name):
        dist = point.dist.name if point.dist else None
        if allow is not None and point.name not in allow and dist not in allow:
            continue
        version = point.dist.version if point.dist else None
        try:
            module = point.load()
        except Exception as exc:
            plugins.broken.append(BrokenPlugin(point.name, dist, f"import failed: {_why(exc)}"))
            continue
        _register(plugins, module, point.name, distribution=dist, version=version)

    for module_name in _names(environ.get("ITSMHUB_PLUGIN_MODULES", "")):
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            plugins.broken.append(BrokenPlugin(module_name, None, f"import failed: {_why(exc)}"))
            continue
        _register(plugins, module, module_name, distribution=None, version=None)

    _collect(plugins)
    return plugins


def _names(raw: str) -> list[str]:
    return [name.strip() for name in raw.split(",") if name.strip()]


_cached: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugins, loaded on first use."""
    global _cached
    if _cached is None:
        _cached = load_plugins()
    return _cached


def _allowlist(environ: Mapping[str, str]) -> set[str] | None:
    raw = environ.get("ITSMHUB_LOAD_PLUGINS")
    if raw is None:
        return None
    return set(_names(raw))


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _register(
    plugins: Plugins,
    module: ModuleType | object,
    name: str,
    *,
    distribution: str | None,
    version: str | None,
    builtin: bool = False,
) -> None:
    pm = plugins.pm
    try:
        pm.register(module, name=name)
    except Exception as exc:  # PluginValidationError, or a name already taken
        plugins.broken.append(BrokenPlugin(name, distribution, f"refused: {_why(exc)}"))
        return
    # check_pending() would reject every plugin at once; check this one alone.
    unknown = [c.name for c in pm.get_hookcallers(module) or [] if c.spec is None]
    if unknown:
        pm.unregister(module)
        plugins.broken.append(
            BrokenPlugin(
                name,
                distribution,
                f"implements unknown hook(s) {', '.join(sorted(unknown))}; "
                f"known hooks: {', '.join(_hook_names())}",
            )
        )
        return
    hooks = tuple(sorted(c.name for c in pm.get_hookcallers(module) or []))
    plugins.loaded.append(PluginInfo(name, distribution, version, hooks, builtin))


def _hook_names() -> list[str]:
    return sorted(n for n in dir(hookspecs) if n.startswith(("register_", "resolve_")))


def _collect(plugins: Plugins) -> None:
    """Call every ``register_*`` hook plugin by plugin, so each entry is credited and a
    plugin that fails while registering loses only its own entries."""
    failed: set[str] = set()
    for hook_name, (table, name_of) in plugins.registry.tables().items():
        caller = getattr(plugins.pm.hook, hook_name)
        for impl in caller.get_hookimpls():  # in registration order
            if impl.plugin_name in failed:
                continue
            staged: list[Any] = []
            try:
                impl.function(**_kwargs(impl, staged.append))
                named = [(name_of(obj), obj) for obj in staged]
            except Exception as exc:
                failed.add(impl.plugin_name)
                _mark_broken(plugins, impl.plugin_name, f"{hook_name} failed: {_why(exc)}")
                continue
            for name, obj in named:
                table.add(name, obj, impl.plugin_name)
    if failed:
        _drop_entries(plugins, failed)


def _kwargs(impl: pluggy.HookImpl, register: Callable[[Any], None]) -> dict[str, Any]:
    # An implementation may accept fewer arguments than its spec (pluggy opt-in args).
    return {"register": register} if "register" in impl.argnames else {}


def _mark_broken(plugins: Plugins, name: str, reason: str) -> None:
    info = next((p for p in plugins.loaded if p.name == name), None)
    plugins.loaded = [p for p in plugins.loaded if p.name != name]
    plugins.broken.append(BrokenPlugin(name, info.distribution if info else None, reason))
    plugin = plugins.pm.get_plugin(name)
    if plugin is not None:
        plugins.pm.unregister(plugin)


def _drop_entries(plugins: Plugins, failed: set[str]) -> None:
    for table, _ in plugins.registry.tables().values():
        for name in [n for n, e in table.entries.items() if e.plugin in failed]:
            del table.entries[name]


def _trace(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, impls: list[pluggy.HookImpl], kwargs: dict[str, Any]) -> None:
        log.debug("hook %s → %s", hook_name, [i.plugin_name for i in impls])

    def after(outcome: Any, hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
        log.debug("hook %s done (%s)", hook_name, "raised" if outcome.exception else "ok")

    pm.add_hookcall_monitoring(before, after)
