"""Hub record ids: sortable by creation time, unique without coordination (ULID layout)."""

from __future__ import annotations

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Every 10-bit value as its two Crockford digits: a ULID is 13 look-ups (base64's
#: base32 encoder is pure Python before 3.13, and took twice as long).
_PAIRS = [_CROCKFORD[i >> 5] + _CROCKFORD[i & 31] for i in range(1024)]
_SHIFTS = tuple(range(120, -1, -10))


def new_id() -> str:
    """Return a 26-character ULID: 48 bits of milliseconds then 80 random bits."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return encode_ulid(value)


def encode_ulid(value: int) -> str:
    """The 26 Crockford base32 digits of a 128-bit ``value``, most significant first."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])
