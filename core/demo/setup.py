"""What the demo needs before it starts: which connector is which emulator and where it
listens, the emulators' credentials in this process's environment, and an empty store."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from socket import socket

from ..config import Config
from ..emulation import bind
from ..errors import ConfigError
from ..plugins import Plugins

#: The tools the story happens in, by connector kind.
KINDS = ("servicenow", "jira", "zendesk", "okta")
#: The settings that hold each kind's address.
URL_KEYS = {"servicenow": "instance_url", "jira": "site_url", "zendesk": "url", "okta": "org_url"}
#: Written beside a store the demo made: only such a store is ever deleted.
MARKER = "made-by-itsmhub-demo"


@dataclass(frozen=True)
class Target:
    """One connector of the demo's config and the emulator it reaches."""

    name: str
    kind: str
    url: str


def targets(config: Config) -> dict[str, Target]:
    """The enabled connector of each kind, by kind; ConfigError naming what is missing."""
    found: dict[str, Target] = {}
    for name, settings in config.connectors.items():
        if settings.enabled and settings.type in KINDS and settings.type not in found:
            url = str(getattr(settings, URL_KEYS[settings.type], None) or "")
            found[settings.type] = Target(name, settings.type, url.rstrip("/"))
    missing = [kind for kind in KINDS if kind not in found]
    if missing:
        raise ConfigError(
            f"the demo needs an enabled connector of each kind; none of type {missing[0]!r}",
            fix="run the demo with config.example.toml, or add that connector",
        )
    for target in found.values():
        if not target.url.startswith("http://127.0.0.1:"):
            raise ConfigError(
                f"connectors.{target.name}: the demo serves its emulators on 127.0.0.1, "
                f"not at {target.url}",
                fix="point the connector at http://127.0.0.1:<port>, as config.example.toml does",
            )
    return found


def bind_all(found: Mapping[str, Target]) -> dict[str, socket]:
    """A listening socket for each emulator at the port its connector names."""
    sockets: dict[str, socket] = {}
    try:
        for kind, target in found.items():
            sockets[kind] = bind("127.0.0.1", int(target.url.rsplit(":", 1)[1]))
    except ConfigError as exc:
        for sock in sockets.values():
            sock.close()
        raise ConfigError(
            f"{exc.message} (connectors.{target.name})",
            fix="stop what listens there (another demo?), or give the connector another port",
        ) from None
    return sockets


def credentials_in_environment(
    found: Mapping[str, Target], plugins: Plugins, environ: dict[str, str] | None = None
) -> list[str]:
    """Put each emulator's credentials where its ready-made config reads them (its
    ``connector_config`` environment), in this process only; return the names set."""
    environ = os.environ if environ is None else environ
    names: list[str] = []
    for kind, target in found.items():
        emulator = plugins.registry.emulators.get(kind)()
        for name, value in emulator.connector_config(target.url, {}).environment.items():
            environ[name] = value
            names.append(name)
    return names


def fresh_store(config: Config) -> Path:
    """Empty the demo's SQLite store so each run starts afresh; only a store the demo
    made (its marker beside it) or a path with nothing there is accepted."""
    url = config.store.url
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ConfigError(
            f"the demo keeps its store in a SQLite file, not at {url}",
            key="store.url",
            fix='use url = "sqlite:///.demo/itsmhub.db", as config.example.toml does',
        )
    path = Path(url.removeprefix(prefix))
    marker = path.parent / MARKER
    if path.exists() and not marker.exists():
        raise ConfigError(
            f"{path} exists and the demo did not make it: the demo starts from an empty store "
            "and will not delete one it did not make",
            key="store.url",
            fix="point [store] url at a new file for the demo",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    marker.write_text("itsmhub demo: this folder is emptied whenever the demo runs\n")
    return path
