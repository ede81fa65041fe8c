"""The encoded-query parser: operators, AND/OR/NQ, ordering and ignored terms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from itsmhub_servicenow.emulator.query import parse, parse_term

FIELDS = ("number", "state", "short_description", "sys_updated_on", "assigned_to", "impact")
ROWS = [
    {"number": "INC1", "state": "1", "short_description": "VPN down", "impact": "1",
     "sys_updated_on": "2026-01-01 10:00:00", "assigned_to": ""},
    {"number": "INC2", "state": "2", "short_description": "Email slow", "impact": "2",
     "sys_updated_on": "2026-01-02 10:00:00", "assigned_to": "abc"},
    {"number": "INC3", "state": "10", "short_description": "vpn flaps", "impact": "3",
     "sys_updated_on": "2026-01-03 10:00:00", "assigned_to": "abc"},
]  # fmt: skip


def numbers(query: str) -> list[str]:
    return [row["number"] for row in parse(query, FIELDS).apply(ROWS)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["INC1", "INC2", "INC3"]),
        ("state=2", ["INC2"]),
        ("state!=2", ["INC1", "INC3"]),
        ("short_descriptionLIKEvpn", ["INC1", "INC3"]),
        ("short_descriptionNOT LIKEvpn", ["INC2"]),
        ("short_descriptionSTARTSWITHemail", ["INC2"]),
        ("short_descriptionENDSWITHdown", ["INC1"]),
        ("stateIN1,10", ["INC1", "INC3"]),
        ("stateNOT IN1,10", ["INC2"]),
        ("assigned_toISEMPTY", ["INC1"]),
        ("assigned_toISNOTEMPTY", ["INC2", "INC3"]),
        ("state>1", ["INC2", "INC3"]),  # numeric, not lexical: "10" > "1"
        ("state>=2", ["INC2", "INC3"]),
        ("state<10", ["INC1", "INC2"]),
        ("state<=2", ["INC1", "INC2"]),
        ("sys_updated_on>2026-01-01 10:00:00", ["INC2", "INC3"]),
        ("sys_updated_on>=2026-01-02 10:00:00", ["INC2", "INC3"]),
        ("sys_updated_onBETWEEN2026-01-01 12:00:00@2026-01-03 10:00:00", ["INC2", "INC3"]),
        ("state=1^ORstate=2", ["INC1", "INC2"]),
        ("short_descriptionLIKEvpn^impact=3", ["INC3"]),
        ("state=1^ORstate=2^impact=2", ["INC2"]),
        ("state=1^NQstate=10", ["INC1", "INC3"]),
        ("state=1^impact=2^NQnumber=INC3", ["INC3"]),
    ],
)
def test_operators(query: str, expected: list[str]) -> None:
    assert numbers(query) == expected


def test_invalid_terms_are_ignored() -> None:
    assert numbers("bogus=1^state=2") == ["INC2"]
    assert numbers("nonsense") == ["INC1", "INC2", "INC3"]
    assert numbers("state=2^ORbogus=1") == ["INC2"]
    assert numbers("sys_updated_onBETWEENx") == ["INC1", "INC2", "INC3"]
    assert numbers("ORDERBYbogus") == ["INC1", "INC2", "INC3"]


def test_ordering() -> None:
    assert numbers("ORDERBYDESCsys_updated_on") == ["INC3", "INC2", "INC1"]
    assert numbers("ORDERBYassigned_to^ORDERBYDESCnumber") == ["INC1", "INC3", "INC2"]
    assert numbers("ORDERBYDESCstate") == ["INC3", "INC2", "INC1"]


def test_keyset_paging_query() -> None:
    at = "2026-01-02 10:00:00"
    assert numbers(f"sys_updated_on>{at}^ORsys_updated_on={at}") == ["INC2", "INC3"]
    # ^OR binds tighter than ^, so "after (X, key)" needs ^NQ.
    assert numbers(f"sys_updated_on>{at}^NQsys_updated_on={at}^number>INC2") == ["INC3"]
    assert numbers(f"sys_updated_on>{at}^NQsys_updated_on={at}^number>INC1") == ["INC2", "INC3"]


def test_parse_term_splits_field_and_operator() -> None:
    assert parse_term("stateIN1,2") is not None
    term = parse_term("short_description=a=b")
    assert term is not None and (term.field, term.op, term.value) == (
        "short_description",
        "=",
        "a=b",
    )
    assert parse_term("state<=3").op == "<="  # type: ignore[union-attr]
    assert parse_term("stateNOT IN1").op == "NOT IN"  # type: ignore[union-attr]
    assert parse_term("Bad=1") is None


values = st.text(alphabet="abcxyz019 -:", max_size=8)


@given(value=values, operand=values)
def test_equality_and_inequality_partition(value: str, operand: str) -> None:
    row = [{"number": "X", "state": value}]
    eq = parse(f"state={operand}", FIELDS).apply(row)
    ne = parse(f"state!={operand}", FIELDS).apply(row)
    assert len(eq) + len(ne) == 1


@given(st.lists(st.sampled_from(["1", "2", "10", "3"]), max_size=6), st.sampled_from(["1", "2"]))
def test_or_is_union_of_terms(states: list[str], a: str) -> None:
    rows = [{"number": str(i), "state": s} for i, s in enumerate(states)]
    union = parse(f"state={a}^ORstate=10", FIELDS).apply(rows)
    assert union == [r for r in rows if r["state"] in (a, "10")]


@given(st.lists(st.sampled_from(["1", "2", "10", "3"]), max_size=6))
def test_greater_and_less_equal_partition_numbers(states: list[str]) -> None:
    rows = [{"number": str(i), "state": s} for i, s in enumerate(states)]
    above = parse("state>2", FIELDS).apply(rows)
    below = parse("state<=2", FIELDS).apply(rows)
    assert sorted(r["number"] for r in above + below) == sorted(r["number"] for r in rows)


def test_sys_ids_compare_as_strings() -> None:
    rows = [{"number": "a", "sys_id": "9" * 32}, {"number": "b", "sys_id": "1e5" + "0" * 29}]
    fields = ("number", "sys_id")
    assert [r["number"] for r in parse("sys_id>2", fields).apply(rows)] == ["a"]
    assert [r["number"] for r in parse("ORDERBYsys_id", fields).apply(rows)] == ["b", "a"]
