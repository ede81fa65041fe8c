"""Resolves ``env:``, ``file:`` and ``credential:`` secret references."""

from __future__ import annotations

import os

from ..hookspecs import hookimpl
from ..secrets import SecretRef, builtin_secret


@hookimpl(trylast=True)
def resolve_secret(ref: SecretRef) -> str | None:
    return builtin_secret(ref, os.environ)
