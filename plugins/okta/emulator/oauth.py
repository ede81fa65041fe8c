"""The org authorization server's token endpoint (``/oauth2/v1/token``) for API service
apps: the client credentials grant, with the client signing a JWT assertion
(``private_key_jwt``, what Okta requires for Okta API scopes) or, as the toolkit's
:class:`~itsmhub.emulation.OAuthServer` offers, a client secret."""

from __future__ import annotations

from urllib.parse import parse_qsl

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from itsmhub.emulation import rfc6749_refusal

from .directory import org_of

TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105  (a URL path, not a secret)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]


async def token(request: Request) -> Response:
    org = org_of(request)
    form = dict(parse_qsl((await request.body()).decode(errors="replace")))
    assertion = form.get("client_assertion")
    if assertion is None:
        return await org.oauth.token_endpoint(request)
    if form.get("client_assertion_type") != JWT_BEARER:
        return rfc6749_refusal("client_assertion_type must be " + JWT_BEARER)
    if form.get("grant_type") != "client_credentials":
        return rfc6749_refusal("service apps use the client_credentials grant")
    try:
        claimed = jwt.decode(assertion, options={"verify_signature": False})
        client = str(claimed["iss"])
        key = org.service_app_keys[client]
        claims = jwt.decode(
            assertion,
            key,
            algorithms=ALGORITHMS,
            audience=str(request.url.replace(query="")),
            issuer=client,
            # Times are checked against the org's clock, which tests and demos may set.
            options={
                "require": ["exp", "iat", "jti", "sub", "aud", "iss"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
        now = org.clock().timestamp()
        if not float(claims["iat"]) - 60 <= now < float(claims["exp"]) <= now + 3600:
            raise jwt.InvalidTokenError("expired, not yet valid, or valid for over an hour")
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return rfc6749_refusal("The client_assertion token is invalid.")
    if claims["sub"] != client or claims["jti"] in org.assertions_seen:
        return rfc6749_refusal("The client_assertion token is invalid (subject or replay).")
    org.assertions_seen.add(claims["jti"])
    body = org.oauth.issue(client, form.get("scope", ""))
    body.pop("refresh_token", None)  # the client credentials grant gets none
    return JSONResponse(body)
