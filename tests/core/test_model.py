from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from itsmhub import (
    PRIORITY_MATRIX,
    Comment,
    ExternalRef,
    Impact,
    Incident,
    KnownError,
    KnownErrorStatus,
    Link,
    LinkKind,
    Person,
    Priority,
    Problem,
    RecordKind,
    Urgency,
    new_id,
    parse_record,
    priority_for,
)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        Incident(title="x", created_at=datetime(2026, 1, 1, 12, 0))


def test_aware_timestamps_are_stored_in_utc() -> None:
    cet = timezone(timedelta(hours=1))
    incident = Incident(title="x", opened_at=datetime(2026, 1, 1, 13, 0, tzinfo=cet))
    assert incident.opened_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert incident.opened_at.tzinfo is UTC


def test_timestamps_parse_vendor_strings_with_offsets() -> None:
    incident = Incident.model_validate({"title": "x", "created_at": "2021-01-18T23:45:00.000+0100"})
    assert incident.created_at == datetime(2021, 1, 18, 22, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        (1, 1, 1),
        (1, 2, 2),
        (2, 1, 2),
        (1, 3, 3),
        (2, 2, 3),
        (3, 1, 3),
        (2, 3, 4),
        (3, 2, 4),
        (3, 3, 5),
    ],
)
def test_priority_matrix_is_itil(impact: int, urgency: int, priority: int) -> None:
    assert priority_for(Impact(impact), Urgency(urgency)) is Priority(priority)
    assert Incident(title="x", impact=impact, urgency=urgency).priority is Priority(priority)


def test_matrix_covers_every_combination() -> None:
    assert len(PRIORITY_MATRIX) == len(Impact) * len(Urgency)


def test_explicit_priority_is_kept_for_tools_that_only_have_priority() -> None:
    incident = Incident(title="x", priority=Priority.P1)
    assert incident.priority is Priority.P1
    assert incident.impact is None


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        Incident(title="x", severity="high")  # type: ignore[call-arg]
    assert info.value.errors()[0]["type"] == "extra_forbidden"


def test_empty_title_is_refused() -> None:
    with pytest.raises(ValidationError):
        Incident(title="")


def test_tags_are_a_sorted_set() -> None:
    assert Incident(title="x", tags=["vpn", "dig-later", "vpn"]).tags == ["dig-later", "vpn"]


def test_a_record_has_one_ref_per_system() -> None:
    refs = [ExternalRef(system="jira", remote_id="1"), ExternalRef(system="jira", remote_id="2")]
    with pytest.raises(ValidationError, match="one per system"):
        Incident(title="x", refs=refs)


def test_ref_and_link_lookups() -> None:
    problem = Problem(title="VPN concentrator leaks memory")
    incident = Incident(
        title="VPN drops",
        refs=[ExternalRef(system="zendesk", remote_id="4711", key="4711")],
        links=[Link(kind=LinkKind.CAUSED_BY, target_id=problem.id, origin="zendesk")],
    )
    assert incident.ref_for("zendesk") == ExternalRef(
        system="zendesk", remote_id="4711", key="4711"
    )
    assert incident.ref_for("jira") is None
    assert [link.target_id for link in incident.links_of(LinkKind.CAUSED_BY)] == [problem.id]


def test_value_types_are_frozen() -> None:
    ref = ExternalRef(system="jira", remote_id="10001")
    with pytest.raises(ValidationError):
        ref.remote_id = "x"  # type: ignore[misc]


def test_assignment_is_validated() -> None:
    incident = Incident(title="x")
    with pytest.raises(ValidationError):
        incident.resolved_at = datetime(2026, 1, 1)  # naive


def test_parse_record_picks_the_class_by_kind() -> None:
    records = [
        Incident(title="a", created_at=NOW),
        Problem(title="b", impact=2, urgency=2),
        KnownError(title="c", status=KnownErrorStatus.PUBLISHED, workaround="restart"),
        Person(display_name="Ada Lovelace", email="ada@example.com"),
    ]
    for record in records:
        again = parse_record(record.model_dump_json())
        assert type(again) is type(record)
        assert again == record
    assert parse_record({"kind": "device", "name": "LT-0042"}).kind is RecordKind.DEVICE


def test_published_known_error_needs_a_workaround() -> None:
    with pytest.raises(ValidationError, match="needs a workaround"):
        KnownError(title="x", status=KnownErrorStatus.PUBLISHED)


def test_comment_keeps_author_and_visibility() -> None:
    comment = Comment.model_validate(
        {
            "body": "rebooted the gateway",
            "visibility": "public",
            "author": {"display_name": "Ada", "email": "ada@example.com"},
            "created_at": "2026-11-23T09:00:00Z",
        }
    )
    assert comment.visibility.value == "public"
    assert comment.author is not None and comment.author.display_name == "Ada"


def test_ids_are_unique_and_time_ordered() -> None:
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 26 for i in ids)
    first = new_id()
    assert first[:10] <= new_id()[:10]  # the first 10 characters encode milliseconds


@pytest.mark.parametrize("value", [0, 1, 31, 32, 2**80 - 1, 1_764_579_000_000 << 80, 2**128 - 1])
def test_ulids_spell_the_value_in_crockford_base32(value: int) -> None:
    from itsmhub.model.ids import _CROCKFORD, encode_ulid

    digits, rest = [], value
    for _ in range(26):
        rest, digit = divmod(rest, 32)
        digits.append(_CROCKFORD[digit])
    assert encode_ulid(value) == "".join(reversed(digits))


def test_status_openness() -> None:
    from itsmhub import IncidentStatus, ProblemStatus

    assert IncidentStatus.ON_HOLD.is_open and not IncidentStatus.RESOLVED.is_open
    assert ProblemStatus.FIX_IN_PROGRESS.is_open and not ProblemStatus.CLOSED.is_open
    assert KnownErrorStatus.PUBLISHED.is_open and not KnownErrorStatus.FIXED.is_open
