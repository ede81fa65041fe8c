"""``build_client``: the one factory for every connector's ``httpx.AsyncClient``."""

from __future__ import annotations

import base64
import binascii
import logging
import ssl
from collections.abc import Mapping, Sequence

import httpx

from .. import chaos
from ..errors import ConfigError
from .budgets import BudgetPacer, RateBudget
from .dialect import DIALECT_EXTENSION, GENERIC, VendorDialect
from .hooks import (
    RequestHook,
    ResponseHook,
    log_request,
    log_response,
    notify_observers,
    pacing_hooks,
)
from .ratelimit import RateLimitState
from .redact import register_secret
from .settings import HttpSettings

logger = logging.getLogger("itsmhub.http")

# Plain http is refused except on loopback, where the emulators run for tests and demos.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "X-Api-Key", "Cookie")


def _check_base_url(base_url: httpx.URL | str) -> httpx.URL:
    url = httpx.URL(base_url)
    if url.userinfo:
        raise ConfigError(
            "credentials inside the URL are not allowed",
            key="base_url",
            fix="remove user:password@ from the URL; configure the credentials as secrets",
        )
    if url.scheme == "https" or (url.scheme == "http" and url.host in _LOOPBACK_HOSTS):
        return url
    raise ConfigError(
        f"expected an https:// URL, got {url.scheme}://{url.host}",
        key="base_url",
        fix="use the vendor's https:// address (plain http is allowed on loopback only)",
    )


def _register_header_value(value: str) -> None:
    register_secret(value)
    scheme, _, credential = value.partition(" ")
    if credential:
        register_secret(credential.strip())
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return
            register_secret(decoded.partition(":")[2])


def _register_credentials(auth: httpx.Auth | None, headers: httpx.Headers) -> None:
    """Register every credential the client will send, so logs and errors mask it even where
    a vendor echoes it back."""
    # BasicAuth keeps only the finished header; reading it is the one way to learn the secret.
    if isinstance(auth, httpx.BasicAuth) and isinstance(
        header := getattr(auth, "_auth_header", None), str
    ):
        _register_header_value(header)
    for name in _CREDENTIAL_HEADERS:
        for value in headers.get_list(name):
            _register_header_value(value)


def _verify(settings: HttpSettings) -> ssl.SSLContext | bool:
    if not settings.verify:
        return False
    if settings.ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(settings.ca_bundle))
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"cannot load the CA bundle {settings.ca_bundle}: {exc}",
            key="ca_bundle",
            fix="point ca_bundle at a readable PEM file of CA certificates",
        ) from exc


async def _kill_point(response: httpx.Response) -> None:
    """The crash test's point after a vendor answered (see ``itsmhub.chaos``)."""
    chaos.reached(f"http:{response.request.method} {response.request.url.path}")


def build_client(
    settings: HttpSettings,
    *,
    base_url: httpx.URL | str,
    auth: httpx.Auth | tuple[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    event_hooks: Mapping[str, Sequence[RequestHook | ResponseHook]] | None = None,
    pacer: RateLimitState | None = None,
    dialect: VendorDialect = GENERIC,
    budgets: BudgetPacer | Sequence[RateBudget] = (),
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with itsmhub's safe defaults.

    Redirects are never followed (a vendor redirect is an error), TLS is verified (against
    ``ca_bundle`` if set), the environment is ignored unless ``trust_env``, timeouts and pool
    limits come from ``settings``, every response is logged without headers, query or body,
    and every credential in ``auth``/``headers`` is registered for redaction. ``transport``
    is the seam for tests and in-process emulators; it then owns TLS, pool and proxy.
    ``pacer`` paces requests from the vendor's rate-limit headers, ``budgets`` by the
    vendor's declared limits (see :class:`RateBudget`); ``dialect`` says how the vendor's
    errors and rate headers read (see :class:`VendorDialect`). Use the client with
    :func:`~itsmhub.http.send_with_retries`, or check responses with ``raise_for_status``.
    """
    url = _check_base_url(base_url)
    if isinstance(auth, tuple):
        auth = httpx.BasicAuth(*auth)
    merged = httpx.Headers({"User-Agent": settings.user_agent, "Accept": "application/json"})
    merged.update(headers or {})
    _register_credentials(auth, merged)
    if not settings.verify:
        logger.warning(
            "TLS certificate verification is OFF for %s: anyone on the network path can read "
            "and change this traffic, credentials included; never use this in production",
            url.host,
        )

    async def tag(request: httpx.Request) -> None:
        request.extensions[DIALECT_EXTENSION] = dialect

    request_hooks: list[RequestHook] = [tag]
    response_hooks: list[ResponseHook] = [log_response, notify_observers]
    if chaos.armed():
        response_hooks.append(_kill_point)
    if not isinstance(budgets, BudgetPacer):
        budgets = BudgetPacer(budgets)
    if budgets.budgets:
        request_hooks.append(budgets.hook())
    if pacer is not None:
        pace, observe = pacing_hooks(pacer)
        request_hooks.append(pace)  # before log_request, so the pause is not "elapsed"
        response_hooks.append(observe)
    request_hooks.append(log_request)
    for name, hooks in (event_hooks or {}).items():
        if name not in {"request", "response"}:
            raise ValueError(f"unknown event hook kind {name!r}: expected request or response")
        (request_hooks if name == "request" else response_hooks).extend(hooks)  # type: ignore[arg-type]

    client_kwargs: dict[str, object] = {}
    if transport is not None:
        client_kwargs["transport"] = transport
    else:
        client_kwargs.update(verify=_verify(settings), limits=settings.limits, proxy=settings.proxy)
    return httpx.AsyncClient(
        base_url=url,
        auth=auth,
        headers=merged,
        timeout=settings.timeout,
        follow_redirects=False,
        trust_env=settings.trust_env,
        event_hooks={"request": request_hooks, "response": response_hooks},
        **client_kwargs,  # type: ignore[arg-type]
    )


__all__ = ["build_client"]
