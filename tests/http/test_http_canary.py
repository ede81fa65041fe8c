"""The canary test (sync-guarantees B.3): credentials never reach logs or error messages.

Every credential carries one canary string. The test drives success, 401, 429-then-retry,
an exhausted 5xx, a dropped connection, and errors whose bodies echo the credentials back,
captures every log record of every logger at DEBUG plus every exception's text and
traceback, and requires zero hits.
"""

from __future__ import annotations

import base64
import logging
import traceback

import httpx
import pytest
import respx

from itsmhub.errors import ItsmhubError
from itsmhub.http import HttpSettings, build_client, install_redaction, send_with_retries
from itsmhub_jira.dialect import JIRA

BASE_URL = "https://acme.atlassian.net"
CANARY = "CANARY7f3a9c2e"
PASSWORD = f"pw-{CANARY}-Zx"
BEARER = f"tok.{CANARY}.sig"
BASIC = base64.b64encode(f"agent@example.com:{PASSWORD}".encode()).decode()
FORBIDDEN = [CANARY, BASIC, PASSWORD, BEARER]


def _routes(router: respx.MockRouter) -> None:
    router.get("/ok").mock(return_value=httpx.Response(200, json={"ok": True}))
    router.get("/unauthorized").mock(
        return_value=httpx.Response(401, json={"errorMessages": [f"Bad token {BEARER}"]})
    )
    limited = iter(
        [
            httpx.Response(429, headers={"Retry-After": "1"}, json={"errorSummary": PASSWORD}),
            httpx.Response(200),
        ]
        * 2  # once per client
    )
    router.get("/limited").mock(side_effect=lambda request: next(limited))
    router.post("/echo").mock(
        return_value=httpx.Response(
            400,
            json={
                "errorMessages": [f"Invalid token {BEARER}", f"Authorization: Basic {BASIC}"],
                "errors": {"password": PASSWORD, "note": f"you sent {PASSWORD}"},
            },
        )
    )
    router.get("/servicenow-echo").mock(
        return_value=httpx.Response(
            403, json={"error": {"message": "ACL", "detail": f"user pw {PASSWORD}"}}
        )
    )
    router.get("/flaky").mock(
        return_value=httpx.Response(503, json={"error": f"bearer {BEARER} rejected"})
    )
    router.post("/dropped").mock(side_effect=httpx.RemoteProtocolError(f"peer said {BEARER}"))


async def _drive(client: httpx.AsyncClient, settings: HttpSettings) -> list[BaseException]:
    async def no_sleep(seconds: float) -> None:
        return None

    errors: list[BaseException] = []
    calls = [
        ("GET", "/ok"),
        ("GET", "/unauthorized"),
        ("GET", "/limited"),
        ("POST", "/echo"),
        ("GET", "/servicenow-echo"),
        ("GET", "/flaky"),
        ("POST", "/dropped"),
    ]
    for method, path in calls:
        try:
            await send_with_retries(
                client, method, path, settings=settings, sleep=no_sleep, json={"q": 1}
            )
        except ItsmhubError as exc:
            errors.append(exc)
            # Code that logs a failure with its traceback must stay clean too.
            logging.getLogger("itsmhub.engine").exception("cycle step failed: %s", exc)
    return errors


def _exception_texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    fix = getattr(exc, "fix", None)
    return [*texts, fix] if fix else texts


@pytest.mark.anyio
@pytest.mark.usefixtures("isolated_redaction")
async def test_credentials_never_reach_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: httpx's, tenacity's, everyone's records
    install_redaction("itsmhub")  # as the CLI's logging set-up does, for the whole hierarchy
    settings = HttpSettings(max_attempts=3)
    errors: list[BaseException] = []
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        _routes(router)
        # Both clients exist before the first request, as in the daemon, where every
        # connector's client is built (and its credentials registered) at start-up.
        async with (
            build_client(
                settings, base_url=BASE_URL, auth=("agent@example.com", PASSWORD), dialect=JIRA
            ) as basic_client,
            build_client(
                settings,
                base_url=BASE_URL,
                headers={"Authorization": f"Bearer {BEARER}"},
                dialect=JIRA,
            ) as bearer_client,
        ):
            errors += await _drive(basic_client, settings)
            errors += await _drive(bearer_client, settings)
        # The credentials did go out on the wire: the test is not vacuous.
        sent = [call.request.headers.get("Authorization", "") for call in router.calls]
        assert f"Basic {BASIC}" in sent
        assert f"Bearer {BEARER}" in sent

    assert len(errors) == 10  # 5 failing calls per client
    assert len(caplog.records) > 20
    haystacks = [caplog.text]
    for record in caplog.records:
        haystacks.append(record.getMessage())
        haystacks.extend(str(value) for value in vars(record).values())
    for exc in errors:
        haystacks.extend(_exception_texts(exc))
    for needle in FORBIDDEN:
        leaks = [hay for hay in haystacks if needle in hay]
        assert not leaks, f"{needle!r} leaked into: {leaks[0][:300]!r}"
    # ... while the messages still say what happened.
    assert any("vendor says: Invalid token [REDACTED]" in str(exc) for exc in errors)
    assert any("retrying in 1.0 s" in record.getMessage() for record in caplog.records)
