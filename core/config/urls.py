"""Where a connector may point: vendor hosts over https, never internal addresses by
accident (OWASP SSRF). Emulators on loopback need ``[http] allow_private_networks``."""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from ..connector import ConnectorSettings, VendorHosts
from .issues import ConfigIssue, key_path

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def vendor_url_issues(
    settings: ConnectorSettings, prefix: list[str | int], *, allow_private: bool
) -> list[ConfigIssue]:
    """Check every URL field that declares its vendor hosts."""
    issues = []
    for path, url, hosts in _vendor_urls(settings, prefix):
        problem = check_url(str(url), hosts.patterns, settings.custom_domain, allow_private)
        if problem is not None:
            message, fix = problem
            issues.append(ConfigIssue(key_path(path), message, fix, repr(str(url))))
    return issues


def _vendor_urls(
    model: BaseModel, prefix: list[str | int]
) -> Iterator[tuple[list[str | int], Any, VendorHosts]]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        hosts = next((m for m in field.metadata if isinstance(m, VendorHosts)), None)
        if hosts is not None and value is not None:
            yield [*prefix, field.alias or name], value, hosts
        elif isinstance(value, BaseModel):
            yield from _vendor_urls(value, [*prefix, field.alias or name])


def check_url(
    url: str, patterns: tuple[str, ...], custom_domain: bool, allow_private: bool
) -> tuple[str, str] | None:
    """Return (message, fix) if the URL may not be used, else None."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    private = _is_private(host)
    if private and not allow_private:
        return (
            f"{host} is a loopback or private address",
            "point at the vendor's cloud host, or set [http] allow_private_networks = true "
            "for emulators and labs",
        )
    if parts.scheme != "https" and not (private and allow_private):
        return ("plain http would send credentials unencrypted", "use an https:// URL")
    if private or custom_domain:
        return None
    if not any(fnmatch.fnmatch(host, pattern) for pattern in patterns):
        return (
            f"{host} is not a {' / '.join(patterns)} host",
            "check the URL, or set custom_domain = true for this connector if your "
            "instance really lives on its own domain",
        )
    return None


def _is_private(host: str) -> bool:
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        # A DNS name is judged by its name: what it resolves to is not checked here.
        return False
    return not address.is_global
