"""What a ``[connectors.<name>]`` table with ``type = "servicenow"`` may hold.

Unknown keys are refused, secrets are references (``env:NAME``), and every mistake is
reported at the key to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ModelWrapValidatorHandler,
    field_validator,
    model_validator,
)

from itsmhub import (
    ConnectorSettings,
    ErrorLoc,
    Impact,
    IncidentStatus,
    KnownErrorStatus,
    Matches,
    NeutralFieldName,
    NonEmptyStr,
    ProblemStatus,
    ResolutionCode,
    SecretReference,
    Urgency,
    VendorHosts,
    complete_map,
    distinct_map,
    errors_at,
    validate_together,
)

from . import mapping_defaults as defaults

TableName = Annotated[
    str, Matches(r"^[a-z][a-z0-9_]*$", "a table name such as incident (a-z, 0-9, _)")
]
Column = Annotated[
    str, Matches(r"^[a-z][a-z0-9_]*$", "a column name such as u_root_cause (a-z, 0-9, _)")
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- authentication ------------------------------------------------------------------


class BasicAuth(_Section):
    """HTTP basic auth as a ServiceNow user (typically one with the ``itil`` role)."""

    method: Literal["basic"] = Field(description="basic: a user name and password")
    username: NonEmptyStr = Field(description="the integration user's user_name")
    password: SecretReference = Field(
        description="reference to the user's password, e.g. env:ITSMHUB_SNOW_PASSWORD"
    )


class OAuthAuth(_Section):
    """OAuth 2.0 against the instance's ``/oauth_token.do`` (an Application Registry entry)."""

    method: Literal["oauth"] = Field(description="oauth: tokens from /oauth_token.do")
    grant: Literal["password", "client_credentials"] = Field(
        description="password (works on every release; needs username and password) or "
        "client_credentials (newer releases, once enabled by the instance admin)"
    )
    client_id: NonEmptyStr = Field(description="the OAuth application's client id")
    client_secret: SecretReference = Field(
        description="reference to the OAuth application's client secret"
    )
    username: NonEmptyStr | None = Field(None, description="user name, for the password grant only")
    password: SecretReference | None = Field(
        None, description="reference to the user's password, for the password grant only"
    )

    @model_validator(mode="wrap")
    @classmethod
    def _grant_needs_its_keys(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        problems = _grant_problems(data) if isinstance(data, Mapping) else []
        return validate_together(handler, data, "grant_keys", problems)


def _grant_problems(data: Mapping[str, Any]) -> list[tuple[ErrorLoc, str, Any]]:
    """Keys the chosen grant needs or ignores, judged on the raw table (values never shown)."""
    given = [key for key in ("username", "password") if data.get(key) is not None]
    grant = data.get("grant")
    if grant == "password":
        return [
            ((key,), f"the password grant needs {key} = … as well; add it", given)
            for key in ("username", "password")
            if key not in given
        ]
    if grant == "client_credentials":
        return [
            (
                (key,),
                f"the client_credentials grant does not use {key}; remove it, "
                'or set grant = "password"',
                given,
            )
            for key in given
        ]
    return []


ServiceNowAuth = Annotated[BasicAuth | OAuthAuth, Field(discriminator="method")]


# --- tables and mapping --------------------------------------------------------------


class ServiceNowTables(_Section):
    """The tables records live in (change them for extended or scoped tables)."""

    incident: TableName = Field(defaults.INCIDENT_TABLE, description="table of incidents")
    problem: TableName = Field(defaults.PROBLEM_TABLE, description="table of problems")
    known_error_article: TableName | None = Field(
        defaults.KNOWN_ERROR_ARTICLE_TABLE,
        description="table of Known Error knowledge articles; used only with "
        "use_known_error_articles = true",
    )


_STATE = '"<state value>"'


class ServiceNowMapping(_Section):
    """How neutral values are written to ServiceNow (and, read backwards, from it).

    There is no priority map: ServiceNow derives priority from impact and urgency and
    refuses writes to it by default, so itsmhub writes impact and urgency only.
    """

    incident_states: Annotated[
        dict[IncidentStatus, NonEmptyStr], complete_map(IncidentStatus, "incident state", _STATE)
    ] = Field(
        default_factory=lambda: dict(defaults.INCIDENT_STATES),
        description="neutral incident status → incident.state value (1 New … 8 Canceled)",
    )
    problem_states: Annotated[
        dict[ProblemStatus, NonEmptyStr], complete_map(ProblemStatus, "problem state", _STATE)
    ] = Field(
        default_factory=lambda: dict(defaults.PROBLEM_STATES),
        description="neutral problem status → problem.state value (101 New … 107 Closed)",
    )
    known_error_article_states: Annotated[
        dict[KnownErrorStatus, NonEmptyStr],
        complete_map(KnownErrorStatus, "article workflow_state", '"<workflow state>"'),
    ] = Field(
        default_factory=lambda: dict(defaults.KNOWN_ERROR_ARTICLE_STATES),
        description="neutral known-error status → the article's workflow_state",
    )
    impact: Annotated[
        dict[Impact, NonEmptyStr],
        complete_map(Impact, "impact", '"<1, 2 or 3>"'),
        distinct_map("impact"),
    ] = Field(
        default_factory=lambda: dict(defaults.IMPACT),
        description="neutral impact (1 high … 3 low) → impact value",
    )
    urgency: Annotated[
        dict[Urgency, NonEmptyStr],
        complete_map(Urgency, "urgency", '"<1, 2 or 3>"'),
        distinct_map("urgency"),
    ] = Field(
        default_factory=lambda: dict(defaults.URGENCY),
        description="neutral urgency (1 high … 3 low) → urgency value",
    )
    incident_close_codes: dict[ResolutionCode, NonEmptyStr] = Field(
        default_factory=lambda: dict(defaults.INCIDENT_CLOSE_CODES),
        description="neutral resolution code → incident close_code; fixed and workaround "
        "are required, since rules tell a fix from a workaround by them",
    )
    problem_resolution_codes: dict[ResolutionCode, NonEmptyStr] = Field(
        default_factory=lambda: dict(defaults.PROBLEM_RESOLUTION_CODES),
        description="neutral resolution code → problem resolution_code",
    )
    categories: dict[NonEmptyStr, NonEmptyStr] = Field(
        default_factory=dict,
        description="neutral category → category value; categories without an entry are "
        "written as they are",
    )
    assignment_groups: dict[NonEmptyStr, NonEmptyStr] = Field(
        default_factory=dict,
        description="neutral assignment group → the sys_user_group's sys_id or exact name",
    )
    custom_fields: dict[NeutralFieldName, Column] = Field(
        default_factory=dict,
        description='neutral field name → column, e.g. { root_cause = "u_root_cause" }',
    )

    @field_validator("incident_close_codes")
    @classmethod
    def _fix_and_workaround(cls, codes: dict[ResolutionCode, str]) -> dict[ResolutionCode, str]:
        missing = [c for c in (ResolutionCode.FIXED, ResolutionCode.WORKAROUND) if c not in codes]
        if missing:
            raise errors_at(
                "incomplete_mapping",
                [
                    ((), f'no close_code for {c.value!r}; add {c.value} = "<close code>"', codes)
                    for c in missing
                ],
            )
        return codes


# --- the connector's table -----------------------------------------------------------


class ServiceNowSettings(ConnectorSettings):
    """A ServiceNow instance, read and written through the Table API."""

    type: Literal["servicenow"] = Field("servicenow", description="the connector kind")
    instance_url: Annotated[
        HttpUrl, VendorHosts("*.service-now.com", "*.servicenowservices.com")
    ] = Field(description="the instance's root URL, e.g. https://acme.service-now.com")
    auth: ServiceNowAuth = Field(
        description='how to sign in: { method = "basic", … } or { method = "oauth", … }'
    )
    tables: ServiceNowTables = Field(
        default_factory=ServiceNowTables, description="the tables records live in"
    )
    page_size: int = Field(
        10000,
        ge=1,
        le=10000,
        description="records per Table API page (sysparm_limit); lower it if pages with "
        "many fields hit the instance's transaction timeout",
    )
    use_known_error_articles: bool = Field(
        False,
        description="keep known errors as Known Error knowledge articles (tables."
        "known_error_article); false keeps them as problems flagged known_error",
    )
    mapping: ServiceNowMapping = Field(
        default_factory=ServiceNowMapping,
        description="value maps between neutral records and ServiceNow",
    )

    @field_validator("instance_url")
    @classmethod
    def _instance_root(cls, url: HttpUrl) -> HttpUrl:
        # A pasted form URL (…/now/nav/ui/classic/…) would break every API path.
        if url.path not in (None, "", "/") or url.query or url.fragment:
            raise ValueError(
                f"give the instance's root URL, e.g. {url.scheme}://{url.host}, without a path"
            )
        return url

    @model_validator(mode="after")
    def _articles_need_a_table(self) -> Self:
        if self.use_known_error_articles and self.tables.known_error_article is None:
            message = (
                "use_known_error_articles = true needs the articles' table; set "
                f'known_error_article = "{defaults.KNOWN_ERROR_ARTICLE_TABLE}"'
            )
            raise errors_at(
                "missing_alternative", [(("tables", "known_error_article"), message, None)]
            )
        return self
