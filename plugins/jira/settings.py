"""What a ``[connectors.<name>]`` table with ``type = "jira"`` may hold.

Unknown keys are refused, secrets are references (``env:NAME``), and every mistake is
reported at the key to change.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, Self
from uuid import UUID

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
    EmailAddress,
    IncidentStatus,
    KnownErrorStatus,
    Matches,
    NeutralFieldName,
    NonEmptyStr,
    Priority,
    ProblemStatus,
    RecordKind,
    ResolutionCode,
    SecretReference,
    VendorHosts,
    complete_map,
    distinct_map,
    errors_at,
)

from . import mapping_defaults as defaults

ProjectKey = Annotated[
    str, Matches(r"^[A-Z][A-Z0-9_]+$", "a project key such as OPS (upper-case letters, digits, _)")
]
CustomFieldId = Annotated[
    str, Matches(r"^customfield_[0-9]+$", "a Jira field id such as customfield_10050")
]
Label = Annotated[str, Matches(r"^\S{1,200}$", "a Jira label: no spaces, at most 200 characters")]

_STATUS = '"<status name>"'


def _unique(keys: list[str]) -> list[str]:
    twice = [
        ((index,), f"project {key} is listed twice; remove one", key)
        for index, key in enumerate(keys)
        if key in keys[:index]
    ]
    if twice:
        raise errors_at("duplicate", twice)
    return keys


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JiraIssueTypes(_Section):
    """The Jira issue type that holds each kind of record."""

    incident: NonEmptyStr = Field(
        defaults.ISSUE_TYPES[RecordKind.INCIDENT], description="issue type of incidents"
    )
    problem: NonEmptyStr = Field(
        defaults.ISSUE_TYPES[RecordKind.PROBLEM], description="issue type of problems"
    )
    known_error: NonEmptyStr = Field(
        defaults.ISSUE_TYPES[RecordKind.KNOWN_ERROR],
        description="issue type of known errors; they differ from problems by "
        "mapping.known_error_label",
    )


class JiraStatuses(_Section):
    """The Jira status each neutral status is written as, per kind of record."""

    incident: Annotated[
        dict[IncidentStatus, NonEmptyStr], complete_map(IncidentStatus, "Jira status", _STATUS)
    ] = Field(
        default_factory=lambda: dict(defaults.INCIDENT_STATUSES),
        description="neutral incident status → Jira status name; every status needs one",
    )
    problem: Annotated[
        dict[ProblemStatus, NonEmptyStr], complete_map(ProblemStatus, "Jira status", _STATUS)
    ] = Field(
        default_factory=lambda: dict(defaults.PROBLEM_STATUSES),
        description="neutral problem status → Jira status name; every status needs one",
    )
    known_error: Annotated[
        dict[KnownErrorStatus, NonEmptyStr], complete_map(KnownErrorStatus, "Jira status", _STATUS)
    ] = Field(
        default_factory=lambda: dict(defaults.KNOWN_ERROR_STATUSES),
        description="neutral known-error status → Jira status name; every status needs one",
    )


class JiraMapping(_Section):
    """How neutral values are written to Jira (and, read backwards, from it)."""

    issue_types: JiraIssueTypes = Field(
        default_factory=JiraIssueTypes, description="issue type per kind of record"
    )
    statuses: JiraStatuses = Field(
        default_factory=JiraStatuses,
        description="status names per kind; a name shared by several neutral statuses "
        "reads as the first of them in lifecycle order",
    )
    priorities: Annotated[
        dict[Priority, NonEmptyStr],
        complete_map(Priority, "Jira priority", '"<priority name>"'),
        # Priorities are read back by name: a shared name would turn a P5 into a P4.
        distinct_map("Jira priority"),
    ] = Field(
        default_factory=lambda: dict(defaults.PRIORITIES),
        description="neutral priority (1 = P1 … 5 = P5) → Jira priority name",
    )
    link_type: NonEmptyStr = Field(
        defaults.LINK_TYPE, description="issue link type from an incident to its problem"
    )
    duplicate_link_type: NonEmptyStr = Field(
        defaults.DUPLICATE_LINK_TYPE,
        description="issue link type from a duplicate to the issue it duplicates",
    )
    related_link_type: NonEmptyStr = Field(
        defaults.RELATED_LINK_TYPE, description="issue link type of related issues"
    )
    resolutions: Annotated[
        dict[ResolutionCode, NonEmptyStr],
        complete_map(ResolutionCode, "Jira resolution", '"<resolution name>"'),
    ] = Field(
        default_factory=lambda: dict(defaults.RESOLUTIONS),
        description="neutral resolution code → Jira resolution name; a name shared by "
        "several codes reads as the first of them",
    )
    known_error_label: Label = Field(
        defaults.KNOWN_ERROR_LABEL, description="label marking a problem issue as a known error"
    )
    custom_fields: dict[NeutralFieldName, CustomFieldId] = Field(
        default_factory=dict,
        description='neutral field name → Jira field id, e.g. { root_cause = "customfield_10050" }',
    )
    marker_label_prefix: Label = Field(
        defaults.MARKER_LABEL_PREFIX,
        description="prefix of the label that carries itsmhub's correlation marker on the "
        "issues it creates",
    )


class JiraRouteOptions(BaseModel):
    """Where a routing rule puts copies in Jira: ``target.jira = { project = "SUP" }``."""

    model_config = ConfigDict(extra="forbid")

    project: ProjectKey = Field(description="one of the connector's projects")


class JiraSettings(ConnectorSettings):
    """A Jira Cloud site, reached with an Atlassian account's email and API token."""

    type: Literal["jira"] = Field("jira", description="the connector kind")
    site_url: Annotated[HttpUrl, VendorHosts("*.atlassian.net", "api.atlassian.com")] = Field(
        description="the site's root URL, e.g. https://acme.atlassian.net"
    )
    email: EmailAddress = Field(
        description="email of the Atlassian account the API token belongs to"
    )
    api_token: SecretReference = Field(
        description="reference to that account's API token, e.g. env:ITSMHUB_JIRA_TOKEN "
        "(created at id.atlassian.com → Security → API tokens)"
    )
    cloud_id: UUID | None = Field(
        None,
        description="the site's cloud id, needed only for scoped API tokens, whose calls go "
        "through https://api.atlassian.com/ex/jira/<cloud_id>; "
        "https://<site>.atlassian.net/_edge/tenant_info shows it",
    )
    projects: Annotated[list[ProjectKey], AfterValidator(_unique)] = Field(
        min_length=1, description='keys of the projects to sync, e.g. ["OPS", "SUP"]'
    )
    webhook_secret: SecretReference | None = Field(
        None,
        description="reference to the secret set on the Jira admin webhook, checked against "
        "each delivery's X-Hub-Signature; without it, webhook deliveries are refused",
    )
    mapping: JiraMapping = Field(
        default_factory=JiraMapping, description="value maps between neutral records and Jira"
    )
    page_size: int = Field(
        100,
        ge=1,
        le=100,
        description="issues per search page; Jira returns at most 100 with a full field list",
    )
    search_lag: Duration = Field(
        timedelta(minutes=5),
        description="how long a write may take to show in JQL search (the index lag): "
        "each pull re-reads this far behind its watermark, and a lost create is searched "
        "for again after it; at least one minute",
    )
    backfill_partitions: int = Field(
        4,
        ge=1,
        le=16,
        description="time slices a backfill range is split into and read concurrently",
    )

    @field_validator("site_url")
    @classmethod
    def _site_root(cls, url: HttpUrl) -> HttpUrl:
        # A pasted browser URL (…/jira/servicedesk/projects/OPS) would break every API path.
        if url.path not in (None, "", "/") or url.query or url.fragment:
            raise ValueError(
                f"give the site's root URL, e.g. {url.scheme}://{url.host}, without a path"
            )
        return url

    @field_validator("search_lag")
    @classmethod
    def _at_least_a_minute(cls, lag: timedelta) -> timedelta:
        # JQL dates have minute precision; a shorter overlap could miss a minute's writes.
        if lag < timedelta(minutes=1):
            raise ValueError("give at least 1m: Jira's search index lags by seconds to minutes")
        return lag

    @model_validator(mode="after")
    def _gateway_needs_cloud_id(self) -> Self:
        if self.site_url.host == "api.atlassian.com" and self.cloud_id is None:
            message = (
                'site_url https://api.atlassian.com needs cloud_id = "<uuid>"; '
                "or set site_url to https://<site>.atlassian.net"
            )
            raise errors_at("missing_alternative", [(("cloud_id",), message, None)])
        return self
