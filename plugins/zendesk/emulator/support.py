"""One emulated Zendesk Support account with everything that acts on it: the ticket desk,
the background jobs, the webhook sender, the toolkit controls, and the defaults a fresh
account starts with (its rate limits and the exports' one-minute embargo)."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from starlette.datastructures import Headers

from itsmhub.emulation import Controls, EmulatorClock, Faults, Lag, RateLimitRule

from .errors import rate_headers
from .export import EMBARGO_SECONDS
from .hooks import Post, Sender, http_post
from .jobs import Jobs
from .state import Account, User
from .tickets import Desk

DEFAULT_CREDENTIALS: Mapping[str, str] = {
    "email": "admin@example.com",
    "api_token": "zendesk-emulator-token",
    "oauth_token": "zendesk-emulator-oauth-token",
    "client_id": "itsmhub",
    "client_secret": "itsmhub-secret",
    "webhook_secret": "zendesk-emulator-signing-secret",
}


@dataclass
class Limits:
    """The rate limits a fresh account applies (None: not limited)."""

    account: int | None = 700
    """Requests a minute for the whole account (Enterprise; vendor-apis.md §4.4)."""
    incremental: int | None = 10
    """Requests a minute shared by the incremental exports."""


@dataclass
class Support:
    """The account and its machinery; ``build_app`` serves it."""

    clock: Callable[[], datetime] = field(default_factory=EmulatorClock)
    credentials: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CREDENTIALS))
    limits: Limits = field(default_factory=Limits)
    post: Post = http_post
    faults: Faults | None = None

    def __post_init__(self) -> None:
        given = {**DEFAULT_CREDENTIALS, **self.credentials}
        self.controls = Controls(
            clock=self.clock, faults=self.faults or Faults(), lag=Lag(EMBARGO_SECONDS)
        )
        self.controls.rate_limits.headers = rate_headers
        self.account = Account(
            clock=self.clock,
            controls=self.controls,
            agent=("Integration Admin", given["email"]),
            api_token=given["api_token"],
            oauth_token=given["oauth_token"],
            oauth_client=(given["client_id"], given["client_secret"]),
            webhook_secret=given["webhook_secret"],
        )
        self.desk = Desk(self.account)
        self.jobs = Jobs(self.account, self.desk)
        self.sender = Sender(self.account, self.post)
        self._defaults()

    def _defaults(self) -> None:
        self.controls.lag.seconds = EMBARGO_SECONDS
        rules = self.controls.rate_limits
        if self.limits.account is not None:
            rules.add(RateLimitRule(limit=self.limits.account, reason="account"))
        if self.limits.incremental is not None:
            rules.add(
                RateLimitRule(
                    limit=self.limits.incremental,
                    path="/api/v2/incremental/*",
                    reason="incremental",
                )
            )

    def reset(self) -> None:
        """An empty account (its agent only) with the default limits, embargo and no faults."""
        self.controls.reset()
        self.account.reset()
        self.sender.deliveries.clear()
        self._defaults()

    def authenticate(self, headers: Headers) -> str | None:
        """The agent an ``{email}/token:{token}`` basic header or a bearer token proves."""
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        user: User | None = None
        if scheme.lower() == "basic":
            user = self._token_user(credential)
        elif scheme.lower() == "bearer" and (
            credential == self.account.oauth_token or self.account.oauth.user_for(credential)
        ):
            user = self.account.agent
        return str(user.id) if user is not None else None

    def _token_user(self, credential: str) -> User | None:
        try:
            login, _, token = base64.b64decode(credential).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        email, suffix, _ = login.partition("/token")
        if not suffix or not hmac.compare_digest(token.encode(), self.account.api_token.encode()):
            return None
        user = self.account.user_by_email(email)
        return user if user is not None and user.role != "end-user" else None


__all__ = ["DEFAULT_CREDENTIALS", "Limits", "Support"]
