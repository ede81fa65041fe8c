"""What a ``[connectors.<name>]`` table with ``type = "okta"`` may hold.

Unknown keys are refused, secrets are references (``env:NAME``), and every mistake is
reported at the key to change.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)

from itsmhub import (
    ConnectorSettings,
    Duration,
    Matches,
    NonEmptyStr,
    SecretReference,
    VendorHosts,
    errors_at,
)

from . import mapping_defaults as defaults
from .mapping_defaults import MatchKey

Scope = Annotated[
    str, Matches(r"^okta\.[A-Za-z]+\.(read|manage)$", "an Okta scope such as okta.users.read")
]
Attribute = Annotated[
    str, Matches(r"^[A-Za-z][A-Za-z0-9_]*$", "a profile attribute name such as department")
]


def _unique(values: list[str]) -> list[str]:
    twice = [
        ((index,), f"{value!r} is listed twice; remove one", value)
        for index, value in enumerate(values)
        if value in values[:index]
    ]
    if twice:
        raise errors_at("duplicate", twice)
    return values


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApiTokenAuth(_Section):
    """An SSWS API token."""

    method: Literal["api_token"] = Field(description="api_token: an SSWS API token")
    token: SecretReference = Field(
        description="reference to the API token, e.g. env:ITSMHUB_OKTA_TOKEN. Okta "
        "discourages API tokens for integrations: they carry their creator's admin rights "
        'and expire after 30 days unused; prefer method = "oauth"'
    )


class OAuthAuth(_Section):
    """An API service app signing its token requests with a private key (private_key_jwt)."""

    method: Literal["oauth"] = Field(description="oauth: an API service app (recommended)")
    client_id: NonEmptyStr = Field(description="the service app's client id")
    private_key: SecretReference = Field(
        description="reference to the PEM or JWK private key whose public key is registered "
        "on the service app"
    )
    key_id: NonEmptyStr | None = Field(
        None, description="the key's kid, if the app has several public keys"
    )
    scopes: Annotated[list[Scope], AfterValidator(_unique)] = Field(
        default_factory=lambda: list(defaults.OAUTH_SCOPES),
        min_length=1,
        description="scopes to request; they must also be granted to the app",
    )


OktaAuth = Annotated[ApiTokenAuth | OAuthAuth, Field(discriminator="method")]


class RateLimits(_Section):
    """Okta's per-minute buckets the hub paces itself under (0 leaves one unpaced).

    Buckets are org-wide: every integration of the org spends from them, so lower these
    to leave the others room."""

    users: int = Field(
        defaults.RATE_LIMITS_PER_MINUTE["users"], ge=0, description="GET /api/v1/users"
    )
    user: int = Field(
        defaults.RATE_LIMITS_PER_MINUTE["user"], ge=0, description="GET /api/v1/users/{id}…"
    )
    groups: int = Field(
        defaults.RATE_LIMITS_PER_MINUTE["groups"], ge=0, description="GET /api/v1/groups…"
    )
    devices: int = Field(
        defaults.RATE_LIMITS_PER_MINUTE["devices"], ge=0, description="GET /api/v1/devices…"
    )
    logs: int = Field(defaults.RATE_LIMITS_PER_MINUTE["logs"], ge=0, description="GET /api/v1/logs")


class OktaSettings(ConnectorSettings):
    """An Okta org, read for the people and devices that tickets concern."""

    type: Literal["okta"] = Field("okta", description="the connector kind")
    org_url: Annotated[
        HttpUrl, VendorHosts("*.okta.com", "*.oktapreview.com", "*.okta-emea.com")
    ] = Field(description="the org's root URL, e.g. https://acme.okta.com")
    auth: OktaAuth = Field(
        description='how to sign in: { method = "oauth", … } or { method = "api_token", … }'
    )
    match_people_by: Annotated[list[MatchKey], AfterValidator(_unique)] = Field(
        default_factory=lambda: list(defaults.MATCH_PEOPLE_BY),
        min_length=1,
        description="profile attributes that identify a ticket's person, tried in order",
    )
    department_attribute: Attribute = Field(
        defaults.DEPARTMENT_ATTRIBUTE,
        description="profile attribute read as the person's department (may be a custom one)",
    )
    sync_devices: bool = Field(
        True,
        description="also read devices (Okta Identity Engine orgs only); with oauth, needs "
        "the okta.devices.read scope",
    )

    system_log: bool = Field(
        True,
        description="poll the System Log between full reads, so deactivations, department "
        "moves, group and device changes arrive within a cycle; with oauth, needs "
        "okta.logs.read",
    )
    page_size: int = Field(
        defaults.PAGE_SIZE, ge=1, le=200, description="users and devices per page (limit)"
    )
    cache_ttl: Duration = Field(
        timedelta(hours=12),
        description="how long the enricher trusts a looked-up person, group list or device "
        "list before asking Okta again",
    )
    event_hook_secret: SecretReference | None = Field(
        None,
        description="reference to the Authorization value set on the Okta event hook; "
        "deliveries without it are refused (no value: event hooks are not accepted)",
    )
    rate_limits: RateLimits = Field(default_factory=RateLimits)

    @field_validator("org_url")
    @classmethod
    def _org_root(cls, url: HttpUrl) -> HttpUrl:
        host = url.host or ""
        label, _, domain = host.partition(".")
        if label.endswith("-admin"):
            raise ValueError(
                f"that is the admin console; use the org URL "
                f"{url.scheme}://{label.removesuffix('-admin')}.{domain}"
            )
        if url.path not in (None, "", "/") or url.query or url.fragment:
            raise ValueError(f"give the org's root URL, e.g. {url.scheme}://{host}, without a path")
        return url

    @model_validator(mode="after")
    def _scopes_cover_what_is_read(self) -> Self:
        if not isinstance(self.auth, OAuthAuth):
            return self
        needed = ["okta.users.read", "okta.groups.read"]
        needed += ["okta.devices.read"] if self.sync_devices else []
        needed += ["okta.logs.read"] if self.system_log else []
        missing = [scope for scope in needed if scope not in self.auth.scopes]
        if missing:
            why = {
                "okta.users.read": "people",
                "okta.groups.read": "people's groups",
                "okta.devices.read": "sync_devices = true",
                "okta.logs.read": "system_log = true",
            }
            raise errors_at(
                "missing_scope",
                [
                    (
                        ("auth", "oauth", "scopes"),
                        f"add {scope!r} (needed for {why[scope]})",
                        self.auth.scopes,
                    )
                    for scope in missing
                ],
            )
        return self
