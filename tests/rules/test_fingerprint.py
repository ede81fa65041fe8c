"""Fingerprints: details masked, words kept, signatures stable and comparable."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsmhub.rules.fingerprint import fingerprint, jaccard, normalize, similarity_tokens


@pytest.mark.parametrize(
    ("title", "tokens"),
    [
        ("VPN drops on lt-0423.corp.example.com", ("vpn", "drops", "_host_")),
        ("vpn drops on srv-db-17 since 10:42", ("vpn", "drops", "_host_", "_time_")),
        ("SAP login fails from 10.2.3.4:443", ("sap", "login", "fails", "_ip_")),
        ("Error 0x80070005 for jdoe@example.com", ("error", "_code_", "_email_")),
        ("See INC0012345 and OPS-123 and #4711", ("see", "_ticket_")),
        ("Backup failed 2026-11-02T10:00Z", ("backup", "failed", "_date_")),
        ("Disk at 97% on /dev/sda1", ("disk", "_num_", "dev")),
        ("Portal https://intranet.example.com/x?y=1 is down", ("portal", "_url_", "down")),
        (
            "Job 3f2b8c1e-0d4a-4b5e-9f00-1a2b3c4d5e6f did not run",
            ("job", "_uuid_", "did", "not", "run"),
        ),
    ],
)
def test_details_are_masked_and_words_kept(title: str, tokens: tuple[str, ...]) -> None:
    assert normalize(title) == tokens


def test_case_stopwords_and_repeats_do_not_matter() -> None:
    assert normalize("URGENT: The VPN is down, VPN down again!!") == ("vpn", "down")


def test_placeholders_do_not_weigh_in_similarity() -> None:
    with_host = fingerprint("VPN drops every few minutes on lt-0423")
    without = fingerprint("vpn drops every few minutes")
    assert with_host.token_set == without.token_set
    assert with_host.signature == without.signature
    assert similarity_tokens(("_host_", "_num_")) == {"_host_", "_num_"}


def test_signatures_estimate_jaccard() -> None:
    a = fingerprint("mailbox full cannot send or receive mail outlook")
    b = fingerprint("mailbox full cannot receive mail outlook web")
    c = fingerprint("printer offline on the third floor")
    exact = jaccard(a.token_set, b.token_set)
    agree = sum(x == y for x, y in zip(a.signature[::4], b.signature[::4], strict=True))
    assert abs(agree / 64 - exact) < 0.25
    assert a.signature != c.signature
    assert jaccard(frozenset(), frozenset()) == 1.0


def test_signatures_are_stable_across_processes() -> None:
    """Stored signatures must match ones computed later, in another process."""
    code = (
        "from itsmhub.rules.fingerprint import fingerprint;"
        "print(fingerprint('VPN drops on lt-0423').signature.hex())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert other == fingerprint("VPN drops on lt-0423").signature.hex()


@pytest.mark.parametrize(
    "tokens",
    [set(), {"vpn"}, {"vpn", "drops", "_host_"}, {f"w{i}" for i in range(40)}, {"ünïcode"}],
)
def test_signatures_are_datasketchs_minhash(tokens: set[str]) -> None:
    """Signatures stored before the hub computed them itself must still compare."""
    from datasketch import MinHash

    from itsmhub.rules.fingerprint import MINHASH_SEED, PERMUTATIONS, signature

    minhash = MinHash(num_perm=PERMUTATIONS, seed=MINHASH_SEED)
    if tokens:
        minhash.update_batch(sorted(t.encode() for t in tokens))
    assert signature(tokens) == minhash.hashvalues.astype("<u4").tobytes()


def test_a_signature_is_pinned() -> None:
    """The value an earlier version stored for this title (guards datasketch's seeds too)."""
    from itsmhub.rules.fingerprint import fingerprint

    stored = "e8ee256f63fd89880a0af66bcc0f331b4614d42fa003766a"
    assert fingerprint("VPN drops on lt-0423").signature.hex().startswith(stored)


def test_computing_facts_does_not_import_scipy() -> None:
    """SciPy (which datasketch imports) costs every process half a second."""
    code = (
        "import sys; from itsmhub.rules.fingerprint import fingerprints;"
        "fingerprints(['VPN drops on lt-0423']); print('scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_signatures_in_bulk_equal_one_at_a_time() -> None:
    from itsmhub.rules.fingerprint import fingerprint, fingerprints, signature, signatures

    sets = [frozenset(), frozenset({"vpn"}), frozenset({"vpn", "drops", "_host_"})]
    assert signatures(sets) == [signature(s) for s in sets]
    titles = ["VPN drops on lt-0423", "Printer jams", "12345"]
    assert fingerprints(titles) == [fingerprint(t) for t in titles]


_DETAIL_ALPHABET = "aAbf09 .-:/@#xXTZ_+\n\t\u00a0"
_DETAIL_PIECES = [
    "2026-01-02", "10:00", "a.b.c", "x", "INC0012345", " ", "  ", "\n", "OPS-12", "0x1f",
    "https://a.b/c", "j@x.org", "deadbeefdead", "1.2.3.4:80", "T10:00Z", "12/3/2024", "lt-0423",
]  # fmt: skip


@settings(max_examples=500)
@given(
    st.text(alphabet=_DETAIL_ALPHABET, max_size=60)
    | st.text(max_size=40)
    | st.lists(st.sampled_from(_DETAIL_PIECES), max_size=12).map("".join)
)
def test_masking_word_by_word_masks_what_the_whole_pattern_masks(text: str) -> None:
    """``mask_details`` sends only suspicious words through the alternation: same result."""
    from itsmhub.rules.fingerprint import _DETAILS, _placeholder, mask_details

    assert mask_details(text) == _DETAILS.sub(_placeholder, text)
