"""Hub record ids: sortable by creation time, unique without coordination (ULID layout)."""

from __future__ import annotations

import base64
import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: RFC 4648 base32 letters to Crockford's, so the C base32 encoder spells ULIDs.
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD.encode())


def new_id() -> str:
    """Return a 26-character ULID: 48 bits of milliseconds then 80 random bits."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return encode_ulid(value)


def encode_ulid(value: int) -> str:
    """The 26 Crockford base32 digits of a 128-bit ``value``, most significant first.

    Padded to 160 bits (32 digits), the first 6 digits are zeros: the rest is the ULID.
    """
    digits = base64.b32encode(value.to_bytes(20, "big")).translate(_TO_CROCKFORD)
    return digits[6:].decode()
