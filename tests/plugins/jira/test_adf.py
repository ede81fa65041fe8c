"""ADF ⇄ text: what each node reads as, what text becomes, and stable round trips."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from itsmhub import normalize_text
from itsmhub_jira.adf import to_adf, to_text


def doc(*content: dict) -> dict:
    return {"type": "doc", "version": 1, "content": list(content)}


def para(*inline: dict) -> dict:
    return {"type": "paragraph", "content": list(inline)}


def text(value: str, *marks: dict) -> dict:
    node: dict = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return node


def test_paragraphs_breaks_and_marks_read_as_text() -> None:
    adf = doc(
        para(
            text("Gateway "),
            text("down", {"type": "strong"}),
            {"type": "hardBreak"},
            text("see "),
            text("runbook", {"type": "link", "attrs": {"href": "https://wiki/x"}}),
        ),
        {"type": "paragraph"},
        para(text("run "), text("systemctl restart", {"type": "code"})),
    )
    assert (
        to_text(adf) == "Gateway **down**\nsee [runbook](https://wiki/x)\n\nrun `systemctl restart`"
    )


def test_lists_headings_code_and_quotes_read_as_markdown_like_text() -> None:
    adf = doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Impact")]},
        {
            "type": "bulletList",
            "content": [
                {
                    "type": "listItem",
                    "content": [
                        para(text("VPN")),
                        {
                            "type": "orderedList",
                            "content": [{"type": "listItem", "content": [para(text("Berlin"))]}],
                        },
                    ],
                },
                {"type": "listItem", "content": [para(text("Mail"))]},
            ],
        },
        {"type": "codeBlock", "attrs": {"language": "sh"}, "content": [text("ping gw\n\nexit")]},
        {"type": "blockquote", "content": [para(text("user: it is slow"))]},
        {"type": "rule"},
    )
    assert to_text(adf) == (
        "## Impact\n\n- VPN\n  1. Berlin\n- Mail\n\n```sh\nping gw\n\nexit\n```\n\n"
        "> user: it is slow\n\n---"
    )


def test_mentions_emoji_cards_and_media_degrade_to_their_text() -> None:
    adf = doc(
        para(
            {"type": "mention", "attrs": {"id": "712020:abc", "text": "@Grace Hopper"}},
            text(" fixed it "),
            {"type": "emoji", "attrs": {"shortName": ":tada:", "text": "🎉"}},
            text(" "),
            {"type": "inlineCard", "attrs": {"url": "https://status.example.com"}},
        ),
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "1"}}]},
        {"type": "panel", "attrs": {"panelType": "info"}, "content": [para(text("FYI"))]},
        {
            "type": "table",
            "content": [
                {
                    "type": "tableRow",
                    "content": [
                        {"type": "tableCell", "content": [para(text("a"))]},
                        {"type": "tableCell", "content": [para(text("b"))]},
                    ],
                }
            ],
        },
    )
    assert to_text(adf) == (
        "@Grace Hopper fixed it 🎉 https://status.example.com\n\n[attachment]\n\nFYI\n\na | b"
    )


def test_text_becomes_structured_adf() -> None:
    adf = to_adf("# Outage\n\n- one\n- two\n\nsee https://x.io and **now**")
    kinds = [block["type"] for block in adf["content"]]
    assert kinds == ["heading", "bulletList", "paragraph"]
    link = adf["content"][2]["content"][1]
    assert link == {
        "type": "text",
        "text": "https://x.io",
        "marks": [{"type": "link", "attrs": {"href": "https://x.io"}}],
    }
    assert adf["content"][2]["content"][-1]["marks"] == [{"type": "strong"}]


def test_text_that_only_looks_structured_stays_a_paragraph() -> None:
    for source in ("1. one\n3. three", "- a\n  more text", "> a\n\n\nb", "``` not a fence"):
        adf = to_adf(source)
        assert to_text(adf) == normalize_text(source)


def test_empty_and_plain_values() -> None:
    assert to_text(None) == "" and to_text("plain  \r\ntext") == "plain\ntext"
    assert to_adf("") == doc()
    assert to_text(doc({"type": "paragraph"})) == ""


ALPHABET = st.sampled_from([*"ab -#*_`[]()>.1\n\n:/~", "https://x.io", "```", "@", "é"])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_text_round_trips_exactly(source: str) -> None:
    assert to_text(to_adf(source)) == normalize_text(source)


@settings(max_examples=100, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_adf_read_back_is_stable(source: str) -> None:
    once = to_text(to_adf(source))
    assert to_text(to_adf(once)) == once
