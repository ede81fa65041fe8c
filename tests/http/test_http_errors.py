"""The status → error table, vendor error bodies, and transport failures."""

from __future__ import annotations

import ssl

import httpx
import pytest

from itsmhub.errors import (
    Action,
    ConfigError,
    FatalError,
    RateLimited,
    RecordError,
    TransientError,
)
from itsmhub.http import (
    STATUS_RESOLUTIONS,
    VendorDialect,
    classify,
    classify_exception,
    is_replay_safe,
    raise_for_status,
    resolve_status,
    summarize_error_body,
    texts,
)
from itsmhub.http.vendor_errors import MAX_VENDOR_MESSAGE

NOW = 1_780_000_000.0

# Error statuses each vendor documents for the endpoints itsmhub calls
# (vendor-apis.md §2.2/§2.7, §3.2/§3.7, §4.4/§4.6, §5.5/§5.6; Jira webhook retries §2.8).
VENDOR_ERROR_STATUSES = {
    "jira": {400, 401, 403, 404, 409, 413, 422, 429, 503},
    "servicenow": {400, 401, 403, 404, 405, 406, 415, 429, 500, 502, 503},
    "zendesk": {401, 404, 409, 422, 429, 503},
    "okta": {400, 401, 403, 404, 429},
    "http-retry-family": {408, 425, 500, 502, 503, 504},
}


@pytest.mark.parametrize("vendor", sorted(VENDOR_ERROR_STATUSES))
def test_every_documented_status_has_an_explicit_entry(vendor: str) -> None:
    missing = VENDOR_ERROR_STATUSES[vendor] - set(STATUS_RESOLUTIONS)
    assert not missing, f"{vendor} documents {sorted(missing)}, absent from the table"


@pytest.mark.parametrize(
    ("status", "action", "error"),
    [
        (400, Action.DEAD_LETTER, RecordError),
        (401, Action.PAUSE_CONNECTOR, ConfigError),
        (403, Action.DEAD_LETTER, RecordError),
        (404, Action.DEAD_LETTER, RecordError),
        (405, Action.STOP, FatalError),
        (408, Action.RETRY, TransientError),
        (409, Action.DEAD_LETTER, RecordError),
        (413, Action.DEAD_LETTER, RecordError),
        (422, Action.DEAD_LETTER, RecordError),
        (425, Action.RETRY, TransientError),
        (429, Action.RETRY, RateLimited),
        (500, Action.RETRY, TransientError),
        (502, Action.RETRY, TransientError),
        (503, Action.RETRY, TransientError),
        (504, Action.RETRY, TransientError),
        (302, Action.PAUSE_CONNECTOR, ConfigError),
        (418, Action.DEAD_LETTER, RecordError),  # unmapped 4xx: dead-letter, never drop
        (599, Action.RETRY, TransientError),  # unmapped 5xx
        (304, Action.STOP, FatalError),  # unexpected without a conditional request
    ],
)
def test_status_resolution(status: int, action: Action, error: type) -> None:
    resolution = resolve_status(status)
    assert resolution is not None
    assert resolution.action is action
    classified = classify(httpx.Response(status, request=_request()), now=NOW)
    assert type(classified) is error
    assert classified.action is action


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_success_is_not_an_error(status: int) -> None:
    response = httpx.Response(status, request=_request())
    assert classify(response) is None
    assert raise_for_status(response) is response


def test_overrides_change_one_status_only() -> None:
    overrides = {404: None}
    assert classify(httpx.Response(404, request=_request()), overrides=overrides) is None
    assert isinstance(
        classify(httpx.Response(400, request=_request()), overrides=overrides), RecordError
    )


def _request(
    method: str = "GET", url: str = "https://acme.atlassian.net/rest/api/3/issue/X-1?jql=secret"
) -> httpx.Request:
    return httpx.Request(method, url)


def test_message_names_method_host_path_status_but_not_the_query() -> None:
    error = classify(httpx.Response(404, request=_request()), now=NOW)
    assert isinstance(error, RecordError)
    assert error.status == 404
    assert str(error).startswith(
        "GET https://acme.atlassian.net/rest/api/3/issue/X-1 failed: HTTP 404 Not Found"
    )
    assert "jql" not in str(error)


def test_message_carries_the_vendor_request_id() -> None:
    response = httpx.Response(500, headers={"X-Request-Id": "abc123"}, request=_request())
    assert "request id abc123" in str(classify(response, now=NOW))


def test_a_plugin_dialect_names_its_request_id_header_and_error_shape() -> None:
    dialect = VendorDialect(
        name="acme",
        error_texts=lambda body: texts(body.get("problems"), "text"),
        request_id_headers=("X-Acme-Trace",),
    )
    request = _request()
    request.extensions["itsmhub.dialect"] = dialect
    body = {"problems": [{"text": "quota exceeded"}]}
    response = httpx.Response(400, json=body, headers={"X-Acme-Trace": "t-9"}, request=request)
    message = str(classify(response, now=NOW))
    assert "vendor says: quota exceeded" in message and "request id t-9" in message


def test_503_with_retry_after_is_rate_limited() -> None:
    response = httpx.Response(503, headers={"Retry-After": "12"}, request=_request())
    error = classify(response, now=NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 12
    assert error.status == 503


def test_a_reset_header_alone_does_not_make_a_503_wait() -> None:
    # ServiceNow sends its hourly window's reset on every response; a blip must not wait an hour.
    response = httpx.Response(
        503, headers={"X-RateLimit-Reset": str(int(NOW) + 3000)}, request=_request()
    )
    error = classify(response, now=NOW)
    assert type(error) is TransientError
    assert error.retry_after is None


def test_429_without_headers_is_rate_limited_with_no_wait_said() -> None:
    error = classify(httpx.Response(429, request=_request()), now=NOW)
    assert isinstance(error, RateLimited)
    assert error.retry_after is None
    assert is_replay_safe(error)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "error": {"message": "Rate limit exceeded", "detail": "100 per hour"},
                "status": "failure",
            },
            "Rate limit exceeded; 100 per hour",
        ),
        (
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"requester": [{"description": "Requester: Email is invalid"}]},
            },
            "RecordInvalid; Record validation errors; requester: Requester: Email is invalid",
        ),
        ({"error": "Couldn't authenticate you"}, "Couldn't authenticate you"),
        (
            {"errors": [{"title": "Forbidden", "detail": "Missing scope tickets:write"}]},
            "Forbidden; Missing scope tickets:write",
        ),
        ({"errors": {"summary": "required"}}, "summary: required"),
        ({"message": "Something broke"}, "Something broke"),
        ({"unrelated": "shape"}, None),
        (["not", "an", "object"], None),
    ],
    ids=["error-object", "error-details", "error-text", "errors-list", "errors-map", "message",
         "unknown", "list"],
)  # fmt: skip
def test_generic_error_shapes(body: object, expected: str | None) -> None:
    assert summarize_error_body(body) == expected


def test_vendor_message_is_in_the_error_and_redacted_and_truncated() -> None:
    long = "x" * 1000
    body = {"message": f"bad Authorization: Bearer abc.def.ghi {long}"}
    error = classify(httpx.Response(400, json=body, request=_request()), now=NOW)
    assert "vendor says: bad Authorization: [REDACTED]" in str(error)
    assert "abc.def.ghi" not in str(error)
    said = str(error).split("vendor says: ", 1)[1]
    assert len(said) <= MAX_VENDOR_MESSAGE


def test_html_and_oversized_bodies_are_never_quoted() -> None:
    html = httpx.Response(502, text="<html>Bad gateway secret-ish</html>", request=_request())
    assert "html" not in str(classify(html, now=NOW)).lower()
    huge = httpx.Response(400, json={"message": "x" * 70_000}, request=_request())
    assert "vendor says" not in str(classify(huge, now=NOW))


def test_a_response_without_a_request_still_classifies() -> None:
    error = classify(httpx.Response(500), now=NOW)
    assert str(error).startswith("HTTP request failed: HTTP 500")


@pytest.mark.parametrize(
    ("exc", "error", "replay_safe"),
    [
        (httpx.ConnectTimeout("slow"), TransientError, True),
        (httpx.PoolTimeout("busy"), TransientError, True),
        (httpx.ConnectError("refused"), TransientError, True),
        (httpx.ReadTimeout("slow"), TransientError, False),
        (httpx.WriteTimeout("slow"), TransientError, False),
        (httpx.RemoteProtocolError("dropped"), TransientError, False),
        (httpx.ReadError("reset by peer"), TransientError, False),
        (httpx.UnsupportedProtocol("ftp"), ConfigError, False),
        (httpx.LocalProtocolError("bad header"), FatalError, False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_transport_failures(exc: httpx.HTTPError, error: type, replay_safe: bool) -> None:
    exc.request = _request("POST")
    classified = classify_exception(exc)
    assert type(classified) is error
    assert is_replay_safe(classified) is replay_safe
    # Nothing answered: the message spells out scheme, host and port, default or not.
    assert str(classified).startswith(
        "POST https://acme.atlassian.net:443/rest/api/3/issue/X-1 failed: "
    )


def test_a_tls_verification_failure_is_a_config_error() -> None:
    try:
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed: self-signed")
        except ssl.SSLError as inner:
            raise httpx.ConnectError("certificate verify failed") from inner
    except httpx.ConnectError as exc:
        classified = classify_exception(exc)
    assert isinstance(classified, ConfigError)
    assert classified.fix is not None
    assert "ca_bundle" in classified.fix
