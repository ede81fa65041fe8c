"""An OAuth 2.0 token endpoint for emulators: client credentials, password and refresh
token grants, with tokens that expire on the emulator's clock."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Refuse = Callable[[str], Response]


def rfc6749_refusal(description: str) -> Response:
    """The standard refusal: 401 ``{"error": "invalid_client", "error_description": …}``."""
    return JSONResponse({"error": "invalid_client", "error_description": description}, 401)


@dataclass
class OAuthServer:
    """Issues and checks bearer tokens.

    ``clients`` maps client ids to secrets; ``users`` (name → password) enables the
    password grant. The client authenticates with form fields or HTTP Basic, as RFC 6749
    §2.3.1 allows. ``refuse`` shapes a refusal as the vendor does.
    """

    clients: dict[str, str]
    clock: Callable[[], datetime]
    users: dict[str, str] = field(default_factory=dict)
    lifetime: int = 1799
    refuse: Refuse = rfc6749_refusal
    default_scope: str = ""
    """The scope a token answer names when the request asked for none."""
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        self.tokens.clear()
        self.refresh_tokens.clear()

    def user_for(self, token: str) -> str | None:
        """Who a bearer token stands for, or None if unknown or expired."""
        user, expires = self.tokens.get(token, ("", 0.0))
        return user if user and expires > self.clock().timestamp() else None

    def issue(self, user: str, scope: str = "") -> dict[str, object]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.tokens[access] = (user, self.clock().timestamp() + self.lifetime)
        self.refresh_tokens[refresh] = user
        body: dict[str, object] = {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
        }
        if scope:
            body["scope"] = scope
        return body

    async def token_endpoint(self, request: Request) -> Response:
        """``POST`` with a form (or JSON) body naming the grant."""
        form = await _form(request)
        client, secret = _client_credentials(request, form)
        if not client or self.clients.get(client) != secret:
            return self.refuse("the client id or secret is wrong")
        grant = form.get("grant_type", "")
        user: str | None = None
        if grant == "client_credentials":
            user = client
        elif grant == "password":
            name = form.get("username", "")
            if self.users.get(name) == form.get("password") and name:
                user = name
        elif grant == "refresh_token":
            user = self.refresh_tokens.get(form.get("refresh_token", ""))
        if user is None:
            return self.refuse(f"the {grant or 'missing'} grant was refused")
        return JSONResponse(self.issue(user, form.get("scope") or self.default_scope))


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}


def _client_credentials(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return client, secret
    return form.get("client_id", ""), form.get("client_secret", "")
