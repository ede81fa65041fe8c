"""Fingerprints of ticket titles: what stays when the details that vary are masked.

"VPN drops on lt-0423.corp.example.com since 10:42" and "vpn drops on lt-0117 since 9:05"
are the same complaint. A fingerprint keeps the words and replaces hosts, addresses, ids,
dates and numbers by placeholders; similarity is the Jaccard index of two fingerprints'
token sets, estimated at scale with MinHash (the same signatures ``datasketch`` computes)
and found with locality sensitive hashing, so no rule ever compares all pairs.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: MinHash permutations per signature, and rows per LSH band: a band is 4 rows, so an
#: index can use up to PERMUTATIONS // ROWS = 16 bands (see ``bands_for``).
PERMUTATIONS = 64
ROWS = 4
MAX_BANDS = PERMUTATIONS // ROWS
#: Fixed, so that a signature stored today matches one computed next year.
MINHASH_SEED = 20261123

# One pass, first alternative wins: so URLs and e-mail addresses go before the host names
# inside them, and hosts before the numbers inside them. Ticket keys are upper case
# (OPS-123), so they are told apart from host names (srv-db-17) before case is folded.
_DETAILS = re.compile(
    "|".join(
        f"(?P<{name}>{pattern})"
        for name, pattern in (
            ("url", r"https?://\S+"),
            ("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
            ("uuid", r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b"),
            ("ip", r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"),
            ("code", r"\b0[xX][0-9a-fA-F]+\b"),
            ("ticket", r"\b(?:[A-Z][A-Z0-9]+-\d+|(?:INC|PRB|KB|CHG|RITM|TASK|REQ)\d{5,})\b|#\d+\b"),
            (
                "date",
                r"\b\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2})?[Zz]?)?\b"
                r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",
            ),
            ("time", r"\b\d{1,2}:\d{2}(?::\d{2})?\b"),
            ("host", r"\b[\w-]+(?:\.[\w-]+){2,}\b|\b[A-Za-z]+(?:-[A-Za-z0-9]+)*-\d[\w-]*\b"),
            ("hex", r"\b[0-9a-fA-F]{12,}\b"),
            ("num", r"\b\w*\d\w*\b"),
        )
    )
)
_WORD = re.compile(r"[a-z_]+")
#: What every alternative of ``_DETAILS`` needs somewhere in the text: a digit, "@", "#",
#: "://", a dot inside a word, or a run of hex letters (uuids, long hex). A text without
#: any (most descriptions) skips the eleven-way alternation, which costs ~0.5 µs a char.
_MAY_HOLD_DETAILS = re.compile(r"[\d@#]|://|[\w-]\.[\w-]|[0-9a-fA-F]{8}")
_GAPS = re.compile(r"(\s+)")


def mask_details(text: str) -> str:
    """``text`` with hosts, numbers, addresses… as placeholders (see ``_DETAILS``).

    Only the words that may hold a detail go through the alternation. No detail spans
    whitespace but a date followed by its time after one space, so the text is cut at
    every other gap, and the pieces without a suspicious word are kept as they are.
    """
    if not _MAY_HOLD_DETAILS.search(text):
        return text
    parts = _GAPS.split(text)  # words at even indexes, the gaps between them at odd ones
    out: list[str] = []
    piece: list[str] = []
    suspicious = False
    for index in range(0, len(parts), 2):
        word = parts[index]
        word_suspicious = bool(word) and _MAY_HOLD_DETAILS.search(word) is not None
        piece.append(word)
        suspicious = suspicious or word_suspicious
        gap = parts[index + 1] if index + 1 < len(parts) else None
        if gap is None:
            break
        if word_suspicious and gap == " ":
            piece.append(gap)  # the date may go on with its time
            continue
        joined = "".join(piece)
        out.append(_DETAILS.sub(_placeholder, joined) if suspicious else joined)
        out.append(gap)
        piece, suspicious = [], False
    joined = "".join(piece)
    out.append(_DETAILS.sub(_placeholder, joined) if suspicious else joined)
    return "".join(out)


def _placeholder(match: re.Match[str]) -> str:
    # Placeholders cannot collide with real words (or stopwords): "_host_", "_num_".
    return f" _{match.lastgroup}_ "


#: Words that say nothing about what broke.
STOPWORDS = frozenset(
    """a an and are as at be been but by can could does for from has have i in is it
    its me my of on or our please since so that the their there this to too user users
    was we were when with working works again still urgent asap help issue issues problem
    problems reports reported reporting ticket hi hello""".split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A title's masked tokens (in first-seen order) and their MinHash signature."""

    tokens: tuple[str, ...]
    signature: bytes

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    @property
    def token_set(self) -> frozenset[str]:
        return similarity_tokens(self.tokens)


def normalize(title: str) -> tuple[str, ...]:
    """The title's words with variable details masked, stopwords dropped, each word once."""
    text = mask_details(title).casefold()
    seen: dict[str, None] = {}
    for word in _WORD.findall(text):
        if len(word) > 1 and word not in STOPWORDS:
            seen.setdefault(word, None)
    return tuple(seen)


def fingerprint(title: str) -> Fingerprint:
    """Masked tokens for people to read; the signature covers the words alone, since one
    wording names a host and the next does not."""
    tokens = normalize(title)
    return Fingerprint(tokens, signature(similarity_tokens(tokens)))


def similarity_tokens(tokens: tuple[str, ...]) -> frozenset[str]:
    """The tokens two titles are compared on: the words, or the placeholders if no word."""
    words = frozenset([token for token in tokens if token[0] != "_"])
    return words or frozenset(tokens)


#: MinHash's universal hashing works modulo this Mersenne prime, and keeps 32 bits.
_MERSENNE_PRIME = (1 << 61) - 1
_MAX_HASH = (1 << 32) - 1


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` of each permutation ``(h * a + b) % prime``, drawn from MINHASH_SEED
    exactly as ``datasketch.MinHash`` draws them (a test pins the two together), so that
    signatures stored by earlier versions still compare. Not imported from datasketch:
    it brings SciPy, over half a second for every process that computes facts."""
    import numpy as np

    generator = np.random.RandomState(MINHASH_SEED)
    pairs = [
        (
            generator.randint(1, _MERSENNE_PRIME, dtype=np.uint64),
            generator.randint(0, _MERSENNE_PRIME, dtype=np.uint64),
        )
        for _ in range(PERMUTATIONS)
    ]
    a, b = np.array(pairs, dtype=np.uint64).T
    return a, b


def _hash32(token: bytes) -> int:
    """The token's 32-bit hash: the first four bytes of its SHA-1, little-endian."""
    return int.from_bytes(hashlib.sha1(token, usedforsecurity=False).digest()[:4], "little")


def signature(tokens: Iterable[str]) -> bytes:
    """The MinHash signature of a token set, as PERMUTATIONS little-endian uint32 values."""
    return signatures([tokens])[0]


def signatures(token_sets: Sequence[Iterable[str]]) -> list[bytes]:
    """:func:`signature` of many token sets, hashed as one array: a few microseconds a
    set, where one MinHash object each cost about a millisecond of NumPy set-up."""
    if not token_sets:
        return []
    import numpy as np

    a, b = _permutations()
    hashes: list[int] = []
    starts: list[int] = []
    filled: list[int] = []
    for index, tokens in enumerate(token_sets):
        encoded = [token.encode() for token in tokens]
        if encoded:
            starts.append(len(hashes))
            filled.append(index)
            hashes += [_hash32(token) for token in encoded]
    values = np.full((len(token_sets), PERMUTATIONS), _MAX_HASH, dtype=np.uint64)
    if hashes:
        hv = np.array(hashes, dtype=np.uint64).reshape(-1, 1)
        permuted = np.bitwise_and((hv * a + b) % np.uint64(_MERSENNE_PRIME), np.uint64(_MAX_HASH))
        values[filled] = np.minimum.reduceat(permuted, starts, axis=0)
    packed = values.astype("<u4")
    return [row.tobytes() for row in packed]


def fingerprints(titles: Sequence[str]) -> list[Fingerprint]:
    """:func:`fingerprint` of many titles, their signatures computed together."""
    tokens = [normalize(title) for title in titles]
    signed = signatures([similarity_tokens(t) for t in tokens])
    return [Fingerprint(t, s) for t, s in zip(tokens, signed, strict=True)]


def bands_for(threshold: float, *, recall: float = 0.9) -> int:
    """How many LSH bands make two titles at exactly ``threshold`` candidates with
    probability ``recall`` (more similar ones more surely). Fewer bands, less work per
    title: at 0.7, 9 bands instead of 16 cut a million-incident dry-run by a fifth."""
    per_band = threshold**ROWS
    if per_band >= 1:
        return 1
    needed = math.log(1 - recall) / math.log(1 - per_band)
    return max(1, min(MAX_BANDS, math.ceil(needed)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """The exact similarity of two token sets (1.0 for two empty ones)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
