"""redact_text, the secret registry, and the logging filter."""

from __future__ import annotations

import logging
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from itsmhub.http import (
    REDACTED,
    RedactingFilter,
    install_redaction,
    redact_exception,
    redact_text,
    register_secret,
)

SENSITIVE_KEYS = [
    "authorization",
    "token",
    "access_token",
    "refresh_token",
    "api_token",
    "password",
    "secret",
    "client_secret",
    "api_key",
    "cookie",
    "set-cookie",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-123", "Authorization: [REDACTED]"),
        ("authorization=Basic dXNlcjpwYXNz", "authorization=[REDACTED]"),
        ("sent Bearer eyJhbGciOi.x.y to jira", "sent Bearer [REDACTED] to jira"),
        ("header SSWS 00aBcD1234", "header SSWS [REDACTED]"),
        ("Basic dXNlcjpwYXNz", "Basic [REDACTED]"),
        ('{"password": "hunter2", "a": 1}', '{"password": "[REDACTED]", "a": 1}'),
        ('{"Access_Token":"x\\"y", "b": 2}', '{"Access_Token":"[REDACTED]", "b": 2}'),
        ("{'client_secret': 's3', 'id': 'x'}", "{'client_secret': '[REDACTED]', 'id': 'x'}"),
        ('{"api_key": 12345}', '{"api_key": [REDACTED]}'),
        ("GET /x?access_token=abc&page=2", "GET /x?access_token=[REDACTED]&page=2"),
        ("PASSWORD=hunter2 user=bob", "PASSWORD=[REDACTED] user=bob"),
        ("Cookie: sid=1; csrf=2", "Cookie: [REDACTED]"),
        ("Set-Cookie: sid=1; HttpOnly", "Set-Cookie: [REDACTED]"),
        ("https://bob:hunter2@proxy:3128/", "https://[REDACTED]@proxy:3128/"),
        ("line one\r\nforged: entry", "line one\\r\\nforged: entry"),
        ("bell\x07 escape\x1b[31m", "bell\\x07 escape\\x1b[31m"),
        ("tab\tstays", "tab\tstays"),
        ("nothing to hide here", "nothing to hide here"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_keep_newlines_is_for_tracebacks() -> None:
    assert redact_text("a\nb token=x", keep_newlines=True) == f"a\nb token={REDACTED}"


def test_registered_secrets_are_masked_in_every_form() -> None:
    secret = "Reg!stered s3cret/value"
    register_secret(SecretStr(secret))
    assert redact_text(f"echo: {secret}.") == f"echo: {REDACTED}."
    assert "s3cret" not in redact_text("url /x?q=Reg%21stered%20s3cret%2Fvalue")
    assert "s3cret" not in redact_text('{"k": "Reg!stered s3cret\\/value"}'.replace("\\/", "/"))


def test_short_values_are_not_registered() -> None:
    register_secret("abc")
    register_secret(None)
    register_secret("")
    assert redact_text("abc abc") == "abc abc"


def test_the_longest_secret_is_masked_whole() -> None:
    assert redact_text("xx longsecret99 yy", secrets=["longsecret", "longsecret99"]) == (
        f"xx {REDACTED} yy"
    )


_TOKEN_CHARS = string.ascii_letters + string.digits + "-._~+/"
_VALUES = st.text(alphabet=_TOKEN_CHARS, min_size=4, max_size=40).map(lambda v: "Zq9" + v)
_NOISE = st.text(
    alphabet=string.ascii_letters + string.digits + " .,:;/-_\n\r\t{}\"'=", max_size=40
)


@given(secret=_VALUES, before=_NOISE, after=_NOISE)
def test_a_given_secret_never_survives(secret: str, before: str, after: str) -> None:
    out = redact_text(before + secret + after, secrets=[secret])
    assert secret not in out


@given(
    key=st.sampled_from(SENSITIVE_KEYS), value=_VALUES, style=st.integers(0, 4), case=st.booleans()
)
def test_sensitive_keys_never_show_their_value(
    key: str, value: str, style: int, case: bool
) -> None:
    key = key.upper() if case else key
    text = [
        f"{key}={value}",
        f"{key}: {value}",
        f'{{"{key}": "{value}"}}',
        f"{{'{key}': '{value}'}}",
        f"?{key}={value}&x=1",
    ][style]
    assert value not in redact_text(f"before {text} after")


@given(scheme=st.sampled_from(["Bearer", "Basic", "SSWS", "bearer"]), value=_VALUES)
def test_credentials_after_an_auth_scheme_never_show(scheme: str, value: str) -> None:
    assert value not in redact_text(f"sent {scheme} {value} upstream")


@given(text=st.text(max_size=200))
def test_output_is_one_line_and_redacting_twice_changes_nothing(text: str) -> None:
    once = redact_text(text)
    assert "\n" not in once
    assert "\r" not in once
    assert redact_text(once) == once


def _record(msg: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("itsmhub.test", logging.INFO, __file__, 1, msg, args, exc_info)


def test_filter_redacts_the_formatted_message() -> None:
    record = _record("calling with %s and %r", "Bearer abcdefgh123", {"password": "hunter2"})
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "calling with Bearer [REDACTED] and {'password': '[REDACTED]'}"
    assert "hunter2" not in record.getMessage()


def test_filter_redacts_tracebacks_but_keeps_their_lines() -> None:
    try:
        raise ValueError("bad token=abc123secret")
    except ValueError:
        import sys

        record = _record("failed", exc_info=sys.exc_info())
    RedactingFilter().filter(record)
    assert record.exc_text is not None
    assert "abc123secret" not in record.exc_text
    assert "\n" in record.exc_text
    assert "abc123secret" not in logging.Formatter().format(record)


def test_filter_survives_bad_format_arguments() -> None:
    record = _record("two %s %s", "only-one token=zzzz9")
    assert RedactingFilter().filter(record)
    assert "zzzz9" not in record.getMessage()


@pytest.mark.usefixtures("isolated_redaction")
def test_install_redaction_covers_the_hierarchy() -> None:
    parent = logging.getLogger("itsmhub.testtree")
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    parent.addHandler(handler)
    try:
        installed = install_redaction(parent)
        assert installed in parent.filters
        assert installed in handler.filters
        assert install_redaction(parent) is installed
        assert parent.filters.count(installed) == 1
        # A child created after installation is covered from the record's creation on.
        late_child = logging.getLogger("itsmhub.testtree.late")
        late_child.warning("login with password=%s", "pw-9999")
        assert seen == ["login with password=[REDACTED]"]
        # Loggers outside the hierarchy are left alone.
        outsider = logging.getLogger("elsewhere.testtree")
        record = outsider.makeRecord(
            outsider.name, logging.INFO, __file__, 1, "password=x1", (), None
        )
        assert record.getMessage() == "password=x1"
    finally:
        parent.removeHandler(handler)
        parent.removeFilter(installed)


def test_redact_exception_cleans_the_whole_chain() -> None:
    try:
        try:
            raise OSError(104, "Connection reset")
        except OSError as inner:
            raise ValueError("peer said Bearer abcdefgh1234") from inner
    except ValueError as exc:
        outer = exc
    assert redact_exception(outer) is outer
    assert str(outer) == "peer said Bearer [REDACTED]"
    assert isinstance(outer.__cause__, OSError)
    assert outer.__cause__.errno == 104
