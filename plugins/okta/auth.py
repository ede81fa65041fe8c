"""How the connector signs in: an ``SSWS`` API token, or an API service app's OAuth 2.0
token obtained with ``private_key_jwt`` (a JWT the app signs with its private key), which
is what Okta requires for service apps asking for Okta API scopes (vendor-apis.md §5.1).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from itsmhub import ConfigError, ConnectorContext, OAuthFlow, register_secret

from .settings import ApiTokenAuth, OAuthAuth, OktaSettings

TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105  (a URL path, not a secret)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300  # seconds; Okta refuses assertions valid for more than an hour


class SswsAuth(httpx.Auth):
    """``Authorization: SSWS <token>``."""

    def __init__(self, token: str) -> None:
        register_secret(token)
        self._header = f"SSWS {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def load_private_key(text: str) -> tuple[Any, str]:
    """A PEM or JWK private key, and the JWS algorithm it signs with (RS256 or ES256)."""
    text = text.strip()
    try:
        if text.startswith("{"):
            jwk = json.loads(text)
            algorithm = (
                jwt.algorithms.RSAAlgorithm
                if jwk.get("kty") == "RSA"
                else jwt.algorithms.ECAlgorithm
            )
            key = algorithm.from_jwk(jwk)
        else:
            key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError, KeyError, jwt.PyJWTError) as exc:
        raise ConfigError(
            f"the private key cannot be read ({type(exc).__name__})",
            key="auth.private_key",
            fix="give an unencrypted PEM (PKCS#8 or PKCS#1) or a JWK with its private part",
        ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        return key, "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key, "ES256"
    raise ConfigError(
        "the private key is neither RSA nor EC",
        key="auth.private_key",
        fix="Okta service apps take RSA or EC (P-256) keys",
    )


class PrivateKeyJwtFlow(OAuthFlow):
    """The client credentials grant, the client authenticated by a signed JWT assertion
    (RFC 7523) instead of a secret; a fresh assertion (new ``jti``) for every token."""

    def __init__(
        self,
        token_url: str,
        *,
        client_id: str,
        private_key: Any,
        algorithm: str,
        scopes: Sequence[str],
        key_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            token_url,
            {"grant_type": "client_credentials", "client_id": client_id},
            clock=clock,
            fix="check client_id, that the service app's public key matches private_key "
            "(and key_id), and that the scopes are granted to the app",
        )
        self.client_id = client_id
        self.private_key = private_key
        self.algorithm = algorithm
        self.scopes = " ".join(scopes)
        self.key_id = key_id

    def assertion(self) -> str:
        now = int(self.clock())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": uuid.uuid4().hex,
        }
        headers = {"kid": self.key_id} if self.key_id else None
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers=headers)

    def _token_request(self, form: Mapping[str, str]) -> httpx.Request:
        if form.get("grant_type") != "client_credentials":
            return super()._token_request(form)
        data = {
            "grant_type": "client_credentials",
            "scope": self.scopes,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": self.assertion(),
        }
        return httpx.Request(
            "POST", self.token_url, data=data, headers={"Accept": "application/json"}
        )


def make_auth(settings: OktaSettings, context: ConnectorContext) -> httpx.Auth:
    """The configured way to sign in, with its secret resolved now."""
    auth = settings.auth
    if isinstance(auth, ApiTokenAuth):
        return SswsAuth(context.resolve_secret(auth.token).get_secret_value())
    assert isinstance(auth, OAuthAuth)
    key, algorithm = load_private_key(context.resolve_secret(auth.private_key).get_secret_value())
    return PrivateKeyJwtFlow(
        str(settings.org_url).rstrip("/") + TOKEN_PATH,
        client_id=auth.client_id,
        private_key=key,
        algorithm=algorithm,
        scopes=auth.scopes,
        key_id=auth.key_id,
        clock=lambda: context.clock().timestamp(),
    )
