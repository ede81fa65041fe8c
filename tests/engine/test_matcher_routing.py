"""The safe condition matcher and the routing rules built on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from itsmhub import Incident, PersonRef, Problem
from itsmhub.config import Config
from itsmhub.engine.routing import Router
from itsmhub.rules import Conditions
from itsmhub.rules.builtin import RoutingSettings
from itsmhub.rules.matcher import explain, matches

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
VPN = Incident(
    title="VPN drops every hour on host vpn-gw-03",
    service="vpn",
    priority=2,
    tags=["dig-later", "engineering"],
    reporter=PersonRef(display_name="Ada", email="ada@example.com"),
    created_at=NOW - timedelta(days=2),
    custom={"region": "emea"},
)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"service": "VPN"}, True),  # string equality ignores case
        ({"service": ["wifi", "vpn"]}, True),
        ({"service": {"not_in": ["vpn"]}}, False),
        ({"title": {"matches": r"(?i)vpn.*host"}}, True),
        ({"priority": {"lte": 2}}, True),
        ({"priority": {"gt": 2}}, False),
        ({"tags": {"contains": "dig-later"}}, True),
        ({"created_at": {"within": "7d"}}, True),
        ({"created_at": {"within": "1d"}}, False),
        ({"assignee": {"exists": False}}, True),
        ({"reporter.email": "ada@example.com"}, True),
        ({"custom.region": "emea"}, True),
        ({"custom.missing": {"exists": True}}, False),
        ({"status": "new", "service": "vpn"}, True),
        ({"status": "resolved", "service": "vpn"}, False),
    ],
)
def test_matcher(when: dict, expected: bool) -> None:
    assert matches(Conditions.model_validate(when), VPN, NOW) is expected


def test_explain_says_which_tests_held() -> None:
    conditions = Conditions.model_validate({"service": "vpn", "priority": {"gt": 2}})
    assert explain(conditions, VPN, NOW) == [("service eq 'vpn'", True), ("priority gt 2", False)]


def routing(**rules: dict) -> Router:
    config = Config.model_construct(
        connectors={n: _Enabled() for n in ("zendesk", "jira", "servicenow")},
        rules={
            name: RoutingSettings.model_validate({"type": "routing", **r})
            for name, r in rules.items()
        },
    )
    return Router(config)


class _Enabled:
    enabled = True


def test_routes_follow_source_kind_and_conditions() -> None:
    router = routing(
        eng={
            "from": "zendesk",
            "to": ["jira"],
            "when": {"tags": {"contains": "engineering"}},
            "target": {"jira": {"project": "OPS"}},
        },
        problems={"from": "servicenow", "to": ["jira"], "kinds": ["problem"]},
    )
    [route] = router.routes_for(VPN, "zendesk", NOW)
    assert (route.rule, route.target, route.options) == ("eng", "jira", {"project": "OPS"})
    assert router.routes_for(VPN, "servicenow", NOW) == []
    assert router.routes_for(Problem(title="p"), "servicenow", NOW)[0].target == "jira"
    assert router.routes_for(VPN.model_copy(update={"tags": []}), "zendesk", NOW) == []


def test_changes_flow_back_unless_the_rule_is_one_way() -> None:
    both = routing(r={"from": "zendesk", "to": ["jira"]})
    assert both.flows("zendesk", "jira") and both.flows("jira", "zendesk")
    one_way = routing(r={"from": "zendesk", "to": ["jira"], "both_ways": False})
    assert one_way.flows("zendesk", "jira") and not one_way.flows("jira", "zendesk")
    assert one_way.flows("jira", "servicenow")  # no rule joins them: records stay in step
