"""Who may read the live pages: loopback peers when no token is set; with a token, only
requests carrying it (``Authorization: Bearer …``), wherever they come from.

A token is required as soon as the pages are bound beyond loopback (``PagesSettings``);
the check is still made here, per request, so a page is never served to a remote peer
without one, whatever the bind address. With a token set, loopback peers need it too: a
reverse proxy on the same host would otherwise pass every outside request as loopback.
"""

from __future__ import annotations

import hmac
import ipaddress

from pydantic import SecretStr
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


class BearerGuard:
    """ASGI middleware: 401 for a request that may not read the pages."""

    def __init__(self, app: ASGIApp, token: SecretStr | None) -> None:
        self.app = app
        self._token = token.get_secret_value().encode() if token is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            response = PlainTextResponse(
                "401: these pages need a bearer token (Authorization: Bearer <token>)",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="itsmhub"'},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        if self._token is None:
            client = scope.get("client")
            return is_loopback(client[0] if client else None)
        given = _bearer(scope)
        # Constant time: how much of a guess was right must not show in the timing.
        return given is not None and hmac.compare_digest(given, self._token)


def _bearer(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, credentials = value.partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                return credentials.strip()
    return None
