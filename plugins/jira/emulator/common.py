"""What every route needs: the site, who is calling, the JSON body, and refusals."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .errors import error
from .model import Issue
from .state import Site, SiteError

USER_KEY = "jira.user"
NO_ISSUE = "Issue does not exist or you do not have permission to see it."


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def actor(request: Request) -> str:
    """The account the request's credentials prove (the gate put it in the scope)."""
    return str(request.scope.get(USER_KEY) or site_of(request).api_user.account_id)


async def body_of(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise SiteError(400, ["No content to map due to end-of-input"])
    try:
        return json.loads(raw)
    except ValueError:
        raise SiteError(
            400, ["Unexpected character in the request body: it is not JSON."]
        ) from None


async def object_of(request: Request) -> dict[str, Any]:
    data = await body_of(request)
    if not isinstance(data, dict):
        raise SiteError(400, ["The request body must be a JSON object."])
    return data


def issue_or_404(request: Request) -> Issue:
    found = site_of(request).issue(request.path_params["issueIdOrKey"])
    if found is None:
        raise SiteError(404, [NO_ISSUE])
    return found


def refusal(exc: SiteError) -> JSONResponse:
    return error(exc.status, exc.messages, exc.errors)


def integer(
    request: Request, name: str, default: int, *, low: int = 0, high: int | None = None
) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SiteError(400, [f"The value '{raw}' of {name} is not a number."]) from None
    value = max(low, value)
    return min(value, high) if high is not None else value


def paging(request: Request, default: int, high: int) -> tuple[int, int]:
    """``startAt`` and ``maxResults`` of a paged list, the page capped at ``high``."""
    return integer(request, "startAt", 0), integer(request, "maxResults", default, low=1, high=high)


__all__ = [
    "NO_ISSUE",
    "USER_KEY",
    "actor",
    "body_of",
    "integer",
    "issue_or_404",
    "object_of",
    "paging",
    "refusal",
    "site_of",
]
