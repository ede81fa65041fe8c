"""The connector boundary: nothing a connector raises ends a cycle uncaught.

An :class:`~itsmhub.ItsmhubError` says what the engine does next and passes as it is.
Anything else a connector or its client lets escape (a ``KeyError`` on an answer of an
unexpected shape, a ``JSONDecodeError`` on a truncated body, an httpx error raised
outside ``send_with_retries``) is wrapped here: a pydantic ``ValidationError`` is that
record's failure (dead-lettered), an httpx error is classified by the status table, and
the rest is :class:`~itsmhub.errors.UnexpectedAnswer`, retried with backoff and
dead-lettered when it keeps failing. Messages carry the exception's type and a short,
redacted excerpt, never a payload.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import httpx
from pydantic import ValidationError

from ..connector import Connector
from ..errors import ItsmhubError, RecordError, UnexpectedAnswer
from ..exchange import PullItem, PullRequest
from ..http import classify_exception, redact_text

T = TypeVar("T")
_EXCERPT = 160


def wrap(connector: Connector, method: str, exc: BaseException) -> ItsmhubError:
    """The itsmhub error an exception escaping ``connector.method`` stands for."""
    if isinstance(exc, ItsmhubError):
        return exc
    if isinstance(exc, httpx.HTTPError):
        return classify_exception(exc)
    where = f"{connector.name} ({connector.kind}): {method}"
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "record"
        return RecordError(
            f"{where}: the vendor's answer does not fit the model ({field}: {first['msg']})"
        )
    status = getattr(getattr(exc, "response", None), "status_code", None)
    excerpt = redact_text(str(exc))[:_EXCERPT]
    return UnexpectedAnswer(
        f"{where} failed on an answer it could not read ({type(exc).__name__}: {excerpt})",
        status=status,
    )


async def guarded(connector: Connector, method: str, call: Awaitable[T]) -> T:
    """Await ``call`` (a call of ``connector.method``), wrapping what escapes it."""
    try:
        return await call
    except ItsmhubError:
        raise
    except Exception as exc:  # the boundary: every other exception is wrapped
        raise wrap(connector, method, exc) from exc


async def guarded_items(connector: Connector, request: PullRequest) -> AsyncIterator[PullItem]:
    """``connector.pull(request)``, with what escapes it wrapped."""
    try:
        async for item in connector.pull(request):
            yield item
    except ItsmhubError:
        raise
    except Exception as exc:  # the boundary: every other exception is wrapped
        raise wrap(connector, f"pull {request.stream.name}", exc) from exc
