"""What a ``[connectors.<name>]`` table with ``type = "zendesk"`` may hold.

Unknown keys are refused, secrets are references (``env:NAME``), and every mistake is
reported at the key to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ModelWrapValidatorHandler,
    PositiveInt,
    field_validator,
    model_validator,
)

from itsmhub import (
    ConnectorSettings,
    EmailAddress,
    ErrorLoc,
    IncidentStatus,
    KnownErrorStatus,
    Matches,
    NeutralFieldName,
    NonEmptyStr,
    Priority,
    ProblemStatus,
    SecretReference,
    VendorHosts,
    complete_map,
    errors_at,
    validate_together,
)

from . import mapping_defaults as defaults
from .mapping_defaults import TicketPriority, TicketStatus

Subdomain = Annotated[
    str, Matches(r"^[a-z0-9][a-z0-9-]*$", "a subdomain such as acme (for acme.zendesk.com)")
]
Tag = Annotated[str, Matches(r"^[^\sA-Z,]+$", "a Zendesk tag: lower case, no spaces or commas")]

_KINDS = ("incident", "problem", "known_error")
_TICKET = '"<ticket status>"'


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ZendeskStatuses(_Section):
    """The ticket status each neutral status is written as, per kind of record."""

    incident: Annotated[
        dict[IncidentStatus, TicketStatus], complete_map(IncidentStatus, "ticket status", _TICKET)
    ] = Field(
        default_factory=lambda: dict(defaults.INCIDENT_STATUSES),
        description="neutral incident status → ticket status (new, open, pending, hold, "
        "solved, closed)",
    )
    problem: Annotated[
        dict[ProblemStatus, TicketStatus], complete_map(ProblemStatus, "ticket status", _TICKET)
    ] = Field(
        default_factory=lambda: dict(defaults.PROBLEM_STATUSES),
        description="neutral problem status → status of the problem ticket",
    )
    known_error: Annotated[
        dict[KnownErrorStatus, TicketStatus],
        complete_map(KnownErrorStatus, "ticket status", _TICKET),
    ] = Field(
        default_factory=lambda: dict(defaults.KNOWN_ERROR_STATUSES),
        description="neutral known-error status → status of the tagged problem ticket",
    )


class ZendeskReadStatuses(_Section):
    """The neutral status each ticket status reads as, per kind of record."""

    incident: Annotated[
        dict[TicketStatus, IncidentStatus],
        complete_map(TicketStatus, "incident status", '"<incident status>"'),
    ] = Field(
        default_factory=lambda: dict(defaults.READ_INCIDENT_STATUSES),
        description="ticket status → neutral incident status; every ticket status needs one",
    )
    problem: Annotated[
        dict[TicketStatus, ProblemStatus],
        complete_map(TicketStatus, "problem status", '"<problem status>"'),
    ] = Field(
        default_factory=lambda: dict(defaults.READ_PROBLEM_STATUSES),
        description="ticket status → neutral problem status; every ticket status needs one",
    )
    known_error: Annotated[
        dict[TicketStatus, KnownErrorStatus],
        complete_map(TicketStatus, "known-error status", '"<known-error status>"'),
    ] = Field(
        default_factory=lambda: dict(defaults.READ_KNOWN_ERROR_STATUSES),
        description="ticket status → neutral known-error status; every ticket status needs one",
    )


class ZendeskMapping(_Section):
    """How neutral values are written to Zendesk, and how Zendesk values are read."""

    statuses: ZendeskStatuses = Field(
        default_factory=ZendeskStatuses, description="writing: neutral → ticket status"
    )
    read_statuses: ZendeskReadStatuses = Field(
        default_factory=ZendeskReadStatuses, description="reading: ticket status → neutral"
    )
    priorities: Annotated[
        dict[Priority, TicketPriority],
        complete_map(Priority, "ticket priority", '"<ticket priority>"'),
    ] = Field(
        default_factory=lambda: dict(defaults.PRIORITIES),
        description="writing: neutral priority (1 = P1 … 5 = P5) → urgent, high, normal or low",
    )
    read_priorities: Annotated[
        dict[TicketPriority, Priority], complete_map(TicketPriority, "priority", "<1 to 5>")
    ] = Field(
        default_factory=lambda: dict(defaults.READ_PRIORITIES),
        description="reading: ticket priority → neutral priority (1 to 5)",
    )
    known_error_tag: Tag = Field(
        defaults.KNOWN_ERROR_TAG, description="tag marking a problem ticket as a known error"
    )
    custom_fields: dict[NeutralFieldName, PositiveInt] = Field(
        default_factory=dict,
        description="neutral field name → ticket field id, e.g. { root_cause = 360001234567 }",
    )
    group_ids: dict[NonEmptyStr, PositiveInt] = Field(
        default_factory=dict, description="neutral assignment group → Zendesk group id"
    )

    @model_validator(mode="after")
    def _round_trip(self) -> Self:
        problems = [
            (("read_statuses", kind, *loc), message, value)
            for kind in _KINDS
            for loc, message, value in _mismatches(
                getattr(self.statuses, kind), getattr(self.read_statuses, kind)
            )
        ]
        problems += [
            (("read_priorities", *loc), message, value)
            for loc, message, value in _mismatches(self.priorities, self.read_priorities)
        ]
        if problems:
            raise errors_at("mapping_round_trip", problems)
        return self


def _mismatches(
    write: Mapping[Any, Enum], read: Mapping[Any, Enum]
) -> list[tuple[ErrorLoc, str, Any]]:
    """Zendesk values that would not read back as what itsmhub wrote (an endless echo)."""
    found: list[tuple[ErrorLoc, str, Any]] = []
    for neutral, remote in write.items():
        back = read[remote]
        if write[back] != remote:
            message = (
                f"{remote.value!r} reads as {back.value!r}, which is written as "
                f"{write[back].value!r}; read {remote.value!r} as {neutral.value!r} so "
                "what itsmhub writes reads back unchanged"
            )
            found.append(((remote.value,), message, back.value))
    return found


class ZendeskSettings(ConnectorSettings):
    """A Zendesk Support account, reached with an agent's API token or an OAuth token."""

    type: Literal["zendesk"] = Field("zendesk", description="the connector kind")
    subdomain: Subdomain | None = Field(
        None, description="the account's subdomain, e.g. acme for https://acme.zendesk.com"
    )
    url: Annotated[HttpUrl | None, VendorHosts("*.zendesk.com")] = Field(
        None,
        description="the account's root URL instead of subdomain, e.g. https://acme.zendesk.com",
    )
    email: EmailAddress | None = Field(
        None, description="email of the agent the API token belongs to (with api_token only)"
    )
    api_token: SecretReference | None = Field(
        None,
        description="reference to an API token (Admin Center → Apps and integrations → "
        "Zendesk API), e.g. env:ITSMHUB_ZENDESK_TOKEN; needs email",
    )
    oauth_token: SecretReference | None = Field(
        None, description="reference to an OAuth access token, instead of api_token"
    )
    webhook_secret: SecretReference | None = Field(
        None,
        description="reference to the webhook's signing secret, checked against each "
        "delivery's X-Zendesk-Webhook-Signature; without it, webhook deliveries are refused",
    )
    page_size: Annotated[int, Field(ge=1, le=1000)] = Field(
        1000,
        description="tickets and ticket events per incremental export page (per_page); "
        "1000 is Zendesk's maximum, and the export's rate limit makes every page count",
    )
    requests_per_minute: PositiveInt = Field(
        200,
        description="the account's API rate limit, which itsmhub paces itself to: Team 200, "
        "Growth and Professional 400, Enterprise 700, Enterprise Plus or the High Volume "
        "API add-on 2500",
    )
    export_requests_per_minute: PositiveInt = Field(
        10,
        description="the incremental exports' own limit, shared by the ticket and the ticket "
        "event export: 10 a minute (30 with the High Volume API add-on)",
    )
    sync_comments: bool = Field(
        True,
        description="read comments through the ticket event export; it shares the exports' "
        "rate limit with the ticket export and, a ticket having several audits, makes most "
        "of a backfill's calls (144 of 194 for 50,000 tickets in the benchmark)",
    )
    mapping: ZendeskMapping = Field(
        default_factory=ZendeskMapping, description="value maps between neutral records and Zendesk"
    )

    @property
    def base_url(self) -> str:
        """The account's root URL, without a trailing slash."""
        if self.url is not None:
            return str(self.url).rstrip("/")
        return f"https://{self.subdomain}.zendesk.com"

    def instance_hosts(self) -> list[str]:
        """The account's host, whether configured as a subdomain or a URL."""
        host = urlsplit(self.base_url).hostname
        return [host] if host else []

    @field_validator("url")
    @classmethod
    def _account_root(cls, url: HttpUrl | None) -> HttpUrl | None:
        # A pasted agent URL (…/agent/tickets/42) would break every API path.
        if url is not None and (url.path not in (None, "", "/") or url.query or url.fragment):
            raise ValueError(
                f"give the account's root URL, e.g. {url.scheme}://{url.host}, without a path"
            )
        return url

    @model_validator(mode="wrap")
    @classmethod
    def _exactly_one_of_each(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        problems = _alternatives(data) if isinstance(data, Mapping) else []
        return validate_together(handler, data, "exclusive_keys", problems)


def _alternatives(data: Mapping[str, Any]) -> list[tuple[ErrorLoc, str, Any]]:
    """Mistakes in which of the alternative keys are given, judged on the raw table.

    Each problem's input is the list of keys given, never their values: a token pasted
    by mistake must not reach an error message.
    """
    given = [
        key
        for key in ("subdomain", "url", "api_token", "oauth_token", "email")
        if data.get(key) is not None
    ]
    host = [key for key in given if key in ("subdomain", "url")]
    token = [key for key in given if key in ("api_token", "oauth_token")]
    problems: list[tuple[ErrorLoc, str, Any]] = []
    if not host:
        message = 'give subdomain = "acme" (for https://acme.zendesk.com), or url = "https://…"'
        problems.append((("subdomain",), message + " instead", given))
    elif len(host) == 2:
        problems.append((("url",), "give subdomain or url, not both; remove one", given))
    if not token:
        message = 'give api_token = "env:…" (with email), or oauth_token = "env:…" instead'
        problems.append((("api_token",), message, given))
    elif len(token) == 2:
        message = "give api_token or oauth_token, not both; remove one"
        problems.append((("oauth_token",), message, given))
    elif token == ["api_token"] and "email" not in given:
        message = 'api_token needs the email of its agent; add email = "…"'
        problems.append((("email",), message, given))
    elif token == ["oauth_token"] and "email" in given:
        problems.append((("email",), "email is used with api_token only; remove it", given))
    return problems
