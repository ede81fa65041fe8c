"""The built-in rule types and their settings: routing, linking, recurrence, follow-up,
and known-error feedback. Their settings are validated here; they act from the rules
engine on."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, Field, JsonValue, field_validator, model_validator

from ..durations import Duration
from ..model import LinkKind, RecordKind
from .base import RuleSettings, RuleType
from .conditions import Conditions, FieldPath
from .facts import FACT_FIELDS

_FACT_HINT = ", ".join(sorted(FACT_FIELDS))


def _fact_path(path: str) -> str:
    if path not in FACT_FIELDS:
        raise ValueError(
            f"rules of this type cannot test {path!r} (they read ticket facts, not whole "
            f"records); use one of: {_FACT_HINT}"
        )
    return path


def _fact_conditions(conditions: Conditions) -> Conditions:
    for path in conditions.root:
        _fact_path(path)
    return conditions


#: A field rules other than routing can read (they work on ticket facts).
FactPath = Annotated[FieldPath, AfterValidator(_fact_path)]
FactConditions = Annotated[Conditions, AfterValidator(_fact_conditions)]


class RoutingSettings(RuleSettings):
    """Mirror records of one system into others, e.g. Zendesk incidents → Jira OPS."""

    source: str = Field(alias="from", description="the connector records come from")
    to: list[str] = Field(min_length=1, description="connectors that receive a copy")
    kinds: list[RecordKind] = Field(default_factory=lambda: [RecordKind.INCIDENT])
    when: Conditions = Field(default_factory=Conditions)
    both_ways: bool = Field(True, description="sync later changes back from the copies")
    target: dict[str, dict[str, JsonValue]] = Field(
        default_factory=dict,
        description="per receiving connector, where copies go (e.g. project, issue type)",
    )

    @model_validator(mode="after")
    def _no_self_route(self) -> Self:
        if self.source in self.to:
            raise ValueError(f"a rule cannot route {self.source!r} to itself")
        unknown = set(self.target) - set(self.to)
        if unknown:
            raise ValueError(f"target names connectors not in 'to': {sorted(unknown)}")
        return self

    def referenced_connectors(self) -> dict[str, str]:
        refs = {"from": self.source}
        refs.update({f"to[{i}]": name for i, name in enumerate(self.to)})
        return refs


class LinkMethod(StrEnum):
    NATIVE = "native"  # the tools' own links: problem_id, issue links
    REFERENCES = "references"  # OPS-123, INC0012345, #4711, URLs of known instances
    SAME_FIELD = "same_field"  # same service, person or device within the window
    SIMILAR_TITLE = "similar_title"


class LinkingSettings(RuleSettings):
    method: LinkMethod
    kinds: list[RecordKind] = Field(default_factory=lambda: [RecordKind.INCIDENT])
    link_kind: LinkKind = LinkKind.RELATED
    fields: list[FactPath] = Field(default_factory=list, description="for same_field")
    window: Duration = timedelta(days=1)
    threshold: float = Field(0.8, gt=0, le=1, description="similarity needed, 0–1")
    across_systems: bool = Field(
        True, description="only link tickets first filed in different tools"
    )
    when: FactConditions = Field(default_factory=Conditions)

    @model_validator(mode="after")
    def _fields_for_same_field(self) -> Self:
        if self.method is LinkMethod.SAME_FIELD and not self.fields:
            raise ValueError("method 'same_field' needs fields, e.g. fields = ['service']")
        return self


class RecurrenceSettings(RuleSettings):
    """N matching incidents within a window and no open problem → open a problem."""

    when: FactConditions = Field(default_factory=Conditions)
    fingerprint: list[FactPath] = Field(
        default_factory=lambda: ["title", "service"],
        description="fields whose normalised values group incidents",
    )
    threshold: int = Field(3, ge=2, description="how many incidents make a burst")
    window: Duration = Field(timedelta(days=7), description="the window a burst fits in")
    similarity: float = Field(0.7, gt=0, le=1, description="title word similarity (Jaccard)")
    semantic: bool = Field(True, description="compare meaning (embeddings), not only words")
    semantic_similarity: float = Field(
        0.82,
        gt=0,
        le=1,
        description="cosine of title and description embeddings needed (raised in a "
        "service crowded with recent incidents)",
    )
    exemplar_similarity: float = Field(
        0.9,
        gt=0,
        le=1,
        description="cosine to an exemplar of a problem needed to be linked by it (at "
        "least semantic_similarity)",
    )
    steady: bool = Field(True, description="also open problems for slow, steady recurrences")
    steady_threshold: int = Field(4, ge=2, description="how many incidents make a steady one")
    steady_window: Duration = Field(
        timedelta(days=90), description="the window a steady recurrence fits in"
    )
    steady_weeks: int = Field(3, ge=2, description="in how many different weeks, at least")
    exemplars: int = Field(
        30, ge=0, le=1000, description="wordings remembered per problem to compare with (0: none)"
    )
    count_requests: bool = Field(
        False,
        description="count requests too (a title that asks for something and names no "
        "failure: 'Install Zoom on my laptop'); by default they are left out",
    )
    request_words: list[str] = Field(
        default_factory=list,
        description="more words a request opens with, beside the built-in ones",
    )
    symptom_words: list[str] = Field(
        default_factory=list,
        description="more words that say something went wrong, beside the built-in ones",
    )
    create_in: str = Field(description="the connector the problem is opened in")
    target: dict[str, JsonValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _horizons(self) -> Self:
        if not self.steady:
            return self
        if self.steady_window <= self.window:
            raise ValueError(
                f"steady_window ({self.steady_window.days} days) must be longer than window "
                f"({self.window.days} days): a steady recurrence is the slow one; or set "
                "steady = false"
            )
        weeks = self.steady_window.days // 7 + 1
        if self.steady_weeks > weeks:
            raise ValueError(
                f"steady_weeks = {self.steady_weeks} cannot fit in steady_window "
                f"({self.steady_window.days} days, {weeks} weeks at most)"
            )
        if self.steady_weeks > self.steady_threshold:
            raise ValueError(
                f"steady_weeks ({self.steady_weeks}) needs at least as many incidents: "
                f"raise steady_threshold (now {self.steady_threshold})"
            )
        return self

    @property
    def memory(self) -> timedelta:
        """How long an incident is remembered: the longest horizon."""
        return self.steady_window if self.steady else self.window

    @property
    def gap(self) -> timedelta:
        """How long a lone incident waits for a similar one: a steady recurrence's usual
        gap (its window over its count), at least the burst window."""
        if not self.steady:
            return self.window
        return max(self.window, self.steady_window / (self.steady_threshold - 1))

    def referenced_connectors(self) -> dict[str, str]:
        return {"create_in": self.create_in}


class FollowUpTrigger(StrEnum):
    MAJOR_WITHOUT_ROOT_CAUSE = "major_without_root_cause"
    RESOLVED_WITH_WORKAROUND = "resolved_with_workaround"
    TAGGED = "tagged"


class FollowUpSettings(RuleSettings):
    """One incident that must not be forgotten opens a problem (dig-later, workaround)."""

    trigger: FollowUpTrigger
    tag: str | None = Field(None, description="for trigger 'tagged', e.g. 'dig-later'")
    when: FactConditions = Field(default_factory=Conditions)
    create_in: str
    target: dict[str, JsonValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _tag_for_tagged(self) -> Self:
        if self.trigger is FollowUpTrigger.TAGGED and not self.tag:
            raise ValueError("trigger 'tagged' needs tag, e.g. tag = 'dig-later'")
        return self

    def referenced_connectors(self) -> dict[str, str]:
        return {"create_in": self.create_in}


class KnownErrorFeedbackSettings(RuleSettings):
    """A known error's workaround reaches matching incidents as an internal note, once."""

    similarity: float = Field(0.7, gt=0, le=1)
    window: Duration = timedelta(days=30)
    note: str = Field(
        "Known error {key}: {title}\n\nWorkaround:\n{workaround}",
        description="the internal note; {key}, {title}, {workaround}, {url} are filled in",
    )
    resolve_on_fix: bool = Field(
        False, description="resolve linked open incidents when the problem is fixed"
    )

    @field_validator("note")
    @classmethod
    def _known_placeholders(cls, note: str) -> str:
        try:
            note.format(key="", title="", workaround="", url="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"unknown placeholder {exc}; use {{key}}, {{title}}, {{workaround}}, {{url}}"
            ) from None
        return note


def _rule_type(name: str, settings: type[RuleSettings], doc: str) -> type[RuleType]:
    return type(
        f"{settings.__name__.removesuffix('Settings')}Rule",
        (RuleType,),
        {"type": name, "settings_model": settings, "description": doc},
    )


BUILTIN_RULE_TYPES: tuple[type[RuleType], ...] = (
    _rule_type("routing", RoutingSettings, "mirror records from one system into others"),
    _rule_type("linking", LinkingSettings, "link the same issue seen in several tools"),
    _rule_type("recurrence", RecurrenceSettings, "open a problem for recurring incidents"),
    _rule_type("follow_up", FollowUpSettings, "open a problem for one incident that needs it"),
    _rule_type(
        "known_error_feedback",
        KnownErrorFeedbackSettings,
        "send a known error's workaround to matching incidents",
    ),
)
