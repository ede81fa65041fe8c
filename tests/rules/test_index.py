"""The similarity index: clusters by title within a block and a window, never all pairs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from itsmhub.rules.fingerprint import fingerprint
from itsmhub.rules.index import SimilarityIndex

T0 = datetime(2026, 3, 1, tzinfo=UTC)
WEEK = timedelta(days=7)


def add(index: SimilarityIndex, title: str, at: timedelta, block: tuple[str, ...] = ("vpn",)):
    fp = fingerprint(title)
    return index.add(block, fp.text, fp.signature, T0 + at)


def test_similar_titles_share_a_cluster_within_a_block() -> None:
    index = SimilarityIndex(0.7, WEEK)
    first = add(index, "VPN drops every few minutes on lt-0423", timedelta(0))
    assert first.new
    same = add(index, "vpn drops every few minutes on lt-0117", timedelta(hours=1))
    assert (same.cluster, same.similarity, same.new) == (first.cluster, 1.0, False)
    close = add(index, "VPN drops every few minutes for jdoe", timedelta(hours=2))
    assert close.cluster == first.cluster and 0.7 <= close.similarity < 1
    other = add(index, "Printer offline on floor 3", timedelta(hours=3))
    assert other.new and other.cluster != first.cluster
    elsewhere = add(index, "VPN drops every few minutes", timedelta(hours=4), block=("wifi",))
    assert elsewhere.new, "another block never matches"


def test_a_title_still_in_the_window_is_found_across_a_generation_change() -> None:
    index = SimilarityIndex(0.7, WEEK)
    add(index, "Mailbox full cannot receive mail", timedelta(0))
    recent = add(index, "Teams calls drop after a few minutes", timedelta(days=6))
    # Past one window since the first title the generations rotate; the 6-day-old title
    # is still within the window and must be found in the older generation.
    add(index, "Printer offline on floor 3", timedelta(days=7, hours=1))
    later = add(
        index, "teams calls drop after a few minutes in meetings", timedelta(days=7, hours=12)
    )
    assert later.cluster == recent.cluster
    expired = add(index, "Mailbox full cannot receive mail!", timedelta(days=7, hours=13))
    assert expired.new, "older than the window: forgotten"


def test_pinned_titles_outlive_the_window() -> None:
    index = SimilarityIndex(0.7, WEEK)
    pinned = add(index, "SAP login timeout after 30 seconds", timedelta(0))
    fp = fingerprint("SAP login timeout after 30 seconds")
    assert index.pin(("vpn",), fp.text)
    months = add(index, "SAP login timeout after 45 seconds", timedelta(days=90))
    assert months.cluster == pinned.cluster, "an exact repeat finds its pinned cluster"
    similar = fingerprint("SAP login timeout again after 20 seconds")
    found = index.nearest_pinned(("vpn",), similar.text, similar.signature)
    assert found is not None and found[0] == pinned.cluster
