"""Which titles are requests filed as incidents ("Install Stata on my PC"): they ask for
something and name no failure (issue 13; the rule's side is in test_recurrence_causes)."""

from __future__ import annotations

import pytest

from itsmhub.rules.builtin import RecurrenceSettings
from itsmhub.rules.requests import Requests


@pytest.mark.parametrize(
    "title",
    [
        "Install Zoom on my laptop",
        "Please install Visio",
        "Re: [Lyon] Access to the Finance share",
        "question about the room speakerphone",
        "Order a docking station for my desk",
        "conference speaker: clean up for the audit",
        "Request - set up a mailbox rule",
        "URGENT - can you reset my badge",
        "How do I configure the VPN profile?",
        "new starter: add to the Sales distribution list",
    ],
)
def test_a_title_that_asks_and_names_no_failure_is_a_request(title: str) -> None:
    assert Requests().is_request(title)


@pytest.mark.parametrize(
    "title",
    [
        "Outlook crashes on start - please help",
        "VPN keeps disconnecting",
        "files show a red cross in Explorer",  # describes, asks for nothing
        "Need help: VPN won't connect",
        "please check, the payroll run failed",
        "Install of Office stuck at 40%",
        "question: printer on floor 3 jams on every job",
        "Teams calls drop every Monday",
    ],
)
def test_a_title_that_reports_a_failure_or_only_describes_is_no_request(title: str) -> None:
    assert not Requests().is_request(title)


def test_a_rule_adds_its_own_words() -> None:
    assert not Requests().is_request("beantrage Zugang zum Finanzlaufwerk")
    assert Requests(request_words=["beantrage"]).is_request("beantrage Zugang zum Laufwerk")
    assert Requests().is_request("please replace the toner - printer kaputt")
    assert not Requests(symptom_words=["kaputt"]).is_request("please replace: printer kaputt")


def test_request_settings_default_to_leaving_requests_out() -> None:
    settings = RecurrenceSettings(type="recurrence", create_in="x")
    assert settings.count_requests is False
    assert settings.request_words == [] and settings.symptom_words == []
