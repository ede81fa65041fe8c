"""Keep secrets out of logs and error messages.

Two layers, because neither is enough alone (OWASP Logging Cheat Sheet, "data to exclude"):

- **known values**: every secret itsmhub resolves is registered with :func:`register_secret`
  and masked wherever it appears, even echoed back inside a vendor's error body;
- **known shapes**: ``Authorization:`` and ``Cookie:`` headers, ``Bearer``/``Basic``/``SSWS``
  credentials, ``user:password@`` in URLs, and ``key=value`` / ``"key": "value"`` pairs whose
  key names a credential (token, password, secret, api_key, cookie, ...).

Control characters (CR/LF above all) are escaped, so a vendor string cannot forge log lines.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 4
"""Shorter values are not registered: masking every "abc" would shred the logs."""

_registry: set[str] = set()
_registry_lock = threading.Lock()
_registry_pattern: re.Pattern[str] | None = None


def register_secret(value: str | SecretStr | None) -> None:
    """Mask ``value`` (and its URL- and JSON-escaped forms) in every later log and error.

    Call it for each secret as soon as it is resolved. Registration is process-wide and
    permanent: a rotated-out token is still a secret.
    """
    global _registry_pattern
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    forms = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
    with _registry_lock:
        if forms <= _registry:
            return
        _registry.update(forms)
        _registry_pattern = None


def _known_values_pattern(extra: Iterable[str]) -> re.Pattern[str] | None:
    global _registry_pattern
    extra = [value for value in extra if value and len(value) >= MIN_SECRET_LENGTH]
    with _registry_lock:
        if not extra:
            if _registry_pattern is None and _registry:
                _registry_pattern = _alternation(_registry)
            return _registry_pattern
        return _alternation(_registry.union(extra))


def _alternation(values: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so a secret that contains another is masked whole.
    ordered = sorted(values, key=len, reverse=True)
    return re.compile("|".join(re.escape(value) for value in ordered))


# Key names that carry credentials. Deliberately broad: over-masking a log line costs little.
_KEY = r"[\w-]*?(?:authorization|token|password|passwd|secret|api[_-]?key|cookie|credential)[\w-]*"
_SCHEME = r"(?:Bearer|bearer|BEARER|Basic|BASIC|SSWS|ssws)"
_TOKEN68 = r"[A-Za-z0-9\-._~+/]+=*"
_ALREADY = re.escape(REDACTED)
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"

# Cookie headers hold several session values separated by "; ": mask to the end of the line.
# It also stops at an already escaped newline (backslash, "n"), so a second pass is a no-op.
_COOKIE_LINE = re.compile(r"(?i)\b((?:set-)?cookie)(\s*:\s*)(?:(?!\\[nr])[^\r\n])*")
# "token": "value" (JSON) and 'token': 'value' (Python repr).
_QUOTED_PAIR = re.compile(
    rf"(?i)([\"'])({_KEY})\1(\s*:\s*)(?P<value>{_ALREADY}|{_QUOTED}|[^\s,}}\]]+)"
)
# token=value, token: value, Authorization: Bearer value.
_BARE_PAIR = re.compile(
    rf"(?i)\b({_KEY})(\s*[=:]\s*)(?:{_ALREADY}|{_QUOTED}|(?:{_SCHEME}\s+)?(?:{_ALREADY}|[^\s,;&\"'}}\]]+))"
)
_SCHEME_TOKEN = re.compile(rf"\b({_SCHEME})\s+{_TOKEN68}")
_URL_USERINFO = re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_LINE = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r"}.get(char, f"\\x{ord(char):02x}")


def redact_text(text: str, secrets: Iterable[str] = (), *, keep_newlines: bool = False) -> str:
    """Mask registered secrets, ``secrets`` and credential-shaped substrings in ``text``.

    Control characters are escaped (``\\n``, ``\\r``, ``\\x1b``) so the result is one line;
    ``keep_newlines=True`` keeps CR/LF for tracebacks. Applying it twice changes nothing more.
    """
    known = _known_values_pattern(secrets)
    if known is not None:
        text = known.sub(REDACTED, text)
    text = _COOKIE_LINE.sub(rf"\1\2{REDACTED}", text)
    text = _QUOTED_PAIR.sub(lambda m: f"{m[1]}{m[2]}{m[1]}{m[3]}{_requote(m['value'])}", text)
    text = _BARE_PAIR.sub(rf"\1\2{REDACTED}", text)
    text = _SCHEME_TOKEN.sub(rf"\1 {REDACTED}", text)
    text = _URL_USERINFO.sub(f"{REDACTED}@", text)
    return (_CONTROL_LINE if keep_newlines else _CONTROL).sub(_escape_control, text)


def _requote(value: str) -> str:
    """The mask, in the same quotes as the value it replaces (so JSON stays JSON)."""
    quote_char = value[0] if value[:1] in {'"', "'"} and value != REDACTED else ""
    return f"{quote_char}{REDACTED}{quote_char}"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) through :func:`redact_text`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "itsmhub_redacted", False):  # already done at creation
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: still log, still redacted
            message = f"{record.msg} {record.args!r}"
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, keep_newlines=True)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, keep_newlines=True)
        record.itsmhub_redacted = True
        return True


_FILTER = RedactingFilter()
_hierarchies: set[str] = set()
"""Logger names whose whole hierarchy is redacted as records are created ("" = all)."""


def _covered(name: str) -> bool:
    return any(not top or name == top or name.startswith(f"{top}.") for top in _hierarchies)


def _install_record_factory() -> None:
    previous = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _covered(record.name):
            _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(redacting_factory)


def install_redaction(logger: logging.Logger | str = "itsmhub") -> RedactingFilter:
    """Redact every record of ``logger``'s hierarchy, including loggers created later;
    idempotent. Pass the root logger (or ``""``) to cover third-party loggers too.

    A logger's own filters never see records propagated from its children, so the filter
    is installed three ways: on the logger, on its handlers (which do see propagated
    records, third-party ones included), and in the log-record factory for every logger
    under it, so a record is clean from the moment it exists, whichever handler gets it.
    """
    if isinstance(logger, str):
        logger = logging.getLogger(logger or None)
    for target in (logger, *logger.handlers):
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
    with _registry_lock:
        if not _hierarchies:
            _install_record_factory()
        _hierarchies.add("" if logger is logging.getLogger() else logger.name)
    return _FILTER


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then its cause (or context), and so on; each exception once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def redact_exception(exc: BaseException) -> BaseException:
    """Redact, in place, the message of ``exc`` and of every exception chained to it; return
    ``exc``. For chaining third-party errors (``raise ours from redact_exception(theirs)``):
    their text, e.g. a vendor's reason echoed by a transport error, shows in tracebacks.
    Only plain-string arguments are rewritten (``OSError``'s errno tuples are left alone).
    """
    for link in exception_chain(exc):
        if link.args and all(isinstance(arg, str) for arg in link.args):
            link.args = tuple(redact_text(arg, keep_newlines=True) for arg in link.args)
    return exc


__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "RedactingFilter",
    "exception_chain",
    "install_redaction",
    "redact_exception",
    "redact_text",
    "register_secret",
]
