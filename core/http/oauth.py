"""OAuth 2.0 bearer tokens for a connector's client: obtained from a token endpoint with
the client credentials or password grant, cached until shortly before they expire,
refreshed with the refresh token when there is one, and fetched again once when the
vendor answers 401 (a token revoked before its time)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Generator, Mapping

import httpx

from ..errors import ConfigError, FatalError
from .errors import raise_for_status
from .redact import register_secret

Clock = Callable[[], float]
# Refresh a little before the stated expiry, so a token never dies in flight.
EXPIRY_MARGIN = 60.0


class OAuthFlow(httpx.Auth):
    """``Authorization: Bearer …`` from ``token_url``.

    ``grant`` is the form sent for a new token (``grant_type``, ``client_id``,
    ``client_secret``, and ``username``/``password`` for the password grant). With
    ``client_auth="basic"`` the client id and secret go in an HTTP Basic header instead
    of the form (RFC 6749 §2.3.1; Okta and Zendesk accept it). ``fix`` tells the admin
    what to check when the vendor refuses the grant.
    """

    requires_response_body = True

    def __init__(
        self,
        token_url: str,
        grant: Mapping[str, str],
        *,
        clock: Clock = time.time,
        client_auth: str = "body",
        fix: str = "check the OAuth client id and secret (and the user's password for the "
        "password grant) registered with the vendor",
        key: str = "auth",
    ) -> None:
        self.token_url = token_url
        self.grant = dict(grant)
        self.clock = clock
        self.client_auth = client_auth
        self.fix = fix
        self.key = key
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.expires_at = 0.0
        for name in ("client_secret", "password"):
            if self.grant.get(name):
                register_secret(self.grant[name])

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.access_token is None or self.clock() >= self.expires_at:
            yield from self._obtain()
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        response = yield request
        if response.status_code == 401:
            self.access_token = None
            yield from self._obtain()
            request.headers["Authorization"] = f"Bearer {self.access_token}"
            yield request

    def _obtain(self) -> Generator[httpx.Request, httpx.Response, None]:
        if self.refresh_token is not None:
            form = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
            response = yield self._token_request(form)
            if response.status_code == 200:
                self._store(response)
                return
            self.refresh_token = None  # expired or revoked: sign in again with the grant
        response = yield self._token_request(self.grant)
        if response.status_code in (400, 401):
            raise ConfigError(
                f"the vendor refused the OAuth {self.grant.get('grant_type')} grant "
                f"(HTTP {response.status_code})",
                key=self.key,
                fix=self.fix,
            )
        raise_for_status(response)
        self._store(response)

    def _token_request(self, form: Mapping[str, str]) -> httpx.Request:
        data = {k: v for k, v in form.items() if k not in ("client_id", "client_secret")}
        headers = {"Accept": "application/json"}
        client = (self.grant.get("client_id", ""), self.grant.get("client_secret", ""))
        if self.client_auth == "basic":
            token = base64.b64encode(":".join(client).encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        else:
            data |= {"client_id": client[0], "client_secret": client[1]}
        return httpx.Request("POST", self.token_url, data=data, headers=headers)

    def _store(self, response: httpx.Response) -> None:
        try:
            body = response.json()
            self.access_token = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise FatalError("the OAuth token answer holds no access_token") from None
        register_secret(self.access_token)
        self.refresh_token = body.get("refresh_token") or self.refresh_token
        register_secret(self.refresh_token)
        self.expires_at = self.clock() + float(body.get("expires_in", 1799)) - EXPIRY_MARGIN


__all__ = ["EXPIRY_MARGIN", "OAuthFlow"]
