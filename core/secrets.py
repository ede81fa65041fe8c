"""Secret references: config names where a secret lives, never the secret itself.

A reference is ``scheme:target``. Built in: ``env:NAME`` (an environment variable),
``file:PATH`` (a file's content, trailing newline removed; relative paths are relative to
the config file) and ``credential:NAME`` (systemd's ``$CREDENTIALS_DIRECTORY/NAME``).
Plugins answer other schemes through the ``resolve_secret`` hook.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SecretStr,
    ValidationInfo,
)

from .errors import ConfigError

_REF = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*):(?P<target>.+)$", re.DOTALL)


class SecretRef(BaseModel):
    """Where a secret lives. Safe to print: it holds no secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scheme: str
    target: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.target}"

    def describe(self) -> str:
        """Where this reference looks, in words for an error message."""
        if self.scheme == "env":
            return f"environment variable {self.target}"
        if self.scheme == "file":
            return f"file {self.target}"
        if self.scheme == "credential":
            return f"systemd credential {self.target} ($CREDENTIALS_DIRECTORY)"
        return f"{self.scheme}: secret backend"


def parse_secret_ref(value: Any, info: ValidationInfo) -> SecretRef:
    """Parse ``scheme:target``; refuse a value that looks like a pasted secret."""
    if isinstance(value, SecretRef):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a secret reference string such as 'env:NAME' or 'file:PATH'")
    match = _REF.match(value.strip())
    if match is None or match["scheme"] in {"http", "https"}:
        raise ValueError(
            "expected a secret reference such as 'env:JIRA_API_TOKEN' or "
            "'file:/run/secrets/jira_token', not the secret itself: "
            "config files must never hold secrets"
        )
    scheme, target = match["scheme"], match["target"]
    if scheme == "env" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", target):
        raise ValueError(f"'env:{target}' is not a valid environment variable name")
    if scheme == "file":
        path = Path(target).expanduser()
        config_dir = (info.context or {}).get("config_dir")
        if not path.is_absolute() and config_dir is not None:
            path = Path(config_dir) / path
        target = str(path)
    return SecretRef(scheme=scheme, target=target)


SecretReference = Annotated[
    SecretRef,
    BeforeValidator(parse_secret_ref),
    PlainSerializer(str, return_type=str),
]
"""The field type for secrets in settings models: validates and prints as ``scheme:target``."""


def builtin_secret(ref: SecretRef, environ: dict[str, str] | Any) -> str | None:
    """Resolve the built-in schemes; ``None`` when absent or not a built-in scheme."""
    if ref.scheme == "env":
        value = environ.get(ref.target)
        return value if value else None
    if ref.scheme == "file":
        return _read_secret_file(Path(ref.target))
    if ref.scheme == "credential":
        directory = environ.get("CREDENTIALS_DIRECTORY")
        if not directory:
            return None
        return _read_secret_file(Path(directory) / ref.target)
    return None


def _read_secret_file(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except PermissionError:
        raise ConfigError(
            f"cannot read secret file {path}: permission denied",
            fix=f"let the user running itsmhub read {path} (e.g. chmod 0400 and chown)",
        ) from None
    # A trailing newline is an editor's habit, never part of a token.
    text = text.rstrip("\r\n")
    return text or None


def reveal(value: SecretStr | None) -> str | None:
    """The one sanctioned way to read a resolved secret, so uses are easy to find."""
    return value.get_secret_value() if value is not None else None
