"""Checking an emulator's answers against the vendor's own OpenAPI description.

An emulator is judged by the real API: every answer it gives for an operation the vendor
describes must validate against that description (the pruned copy a plugin keeps, made by
``tools/prune_openapi.py``). Wrap the emulator's transport so every call a test makes is
checked::

    contract = OpenAPIContract.load(Path(".../zendesk-support.pruned.json"))
    transport = contract.checking(httpx.ASGITransport(app=emulator_app))
    ...                                   # run connector tests through ``transport``
    assert contract.checked               # it did check something
    contract.raise_for_violations()       # every answer validated

Needs ``openapi-core`` (a test dependency of itsmhub).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


@dataclass
class OpenAPIContract:
    """A vendor description and what checking against it found."""

    spec: dict[str, Any]
    checked: Counter[str] = field(default_factory=Counter)
    """Operations validated, by ``"METHOD /path/template"``."""
    violations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from openapi_core import Config, OpenAPI

        # Vendor descriptions fail openapi-core's strict check of the description itself
        # (e.g. a default outside its enum) while validating messages fine.
        self._api = OpenAPI.from_dict(self.spec, config=Config(spec_validator_cls=None))
        self._server = str(self.spec["servers"][0]["url"]).rstrip("/")

    @classmethod
    def load(cls, path: Path) -> OpenAPIContract:
        return cls(json.loads(path.read_text()))

    @property
    def relaxations(self) -> list[dict[str, str]]:
        return list(self.spec.get("x-itsmhub", {}).get("relaxations", []))

    def validate(self, request: httpx.Request, response: httpx.Response) -> None:
        """Record a violation if ``response`` does not fit the described operation; answers
        to paths the description does not have (``/_emulator``) are not checked."""
        from openapi_core.templating.paths.exceptions import PathNotFound
        from openapi_core.testing import MockRequest, MockResponse

        path = request.url.path
        mock_request = MockRequest(
            self._server,
            request.method.lower(),
            path,
            args=dict(request.url.params),
            headers=dict(request.headers),
            data=request.content or None,
            content_type=request.headers.get("content-type", "application/json"),
        )
        content_type = response.headers.get("content-type", "application/json").split(";")[0]
        mock_response = MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=content_type,
        )
        errors = list(self._api.iter_response_errors(mock_request, mock_response))
        if errors and isinstance(errors[0], PathNotFound):
            return
        self.checked[f"{request.method} {path}"] += 1
        for error in errors:
            detail = _detail(error)
            self.violations.append(f"{request.method} {path} -> {response.status_code}: {detail}")

    def raise_for_violations(self) -> None:
        if self.violations:
            listed = "\n  ".join(self.violations[:20])
            raise AssertionError(
                f"{len(self.violations)} answers do not match the vendor's description:\n  "
                + listed
            )

    def checking(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        """A transport that sends through ``inner`` and validates every answer."""
        return _CheckingTransport(inner, self)


def _detail(error: BaseException) -> str:
    causes = []
    current: BaseException | None = error
    while current is not None and len(causes) < 4:
        nested = getattr(current, "schema_errors", None)
        if nested:
            causes += [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in nested[:3]]
            break
        causes.append(str(current))
        current = current.__cause__
    return "; ".join(causes)[:500]


class _CheckingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, contract: OpenAPIContract) -> None:
        self.inner = inner
        self.contract = contract

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        checked = httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )
        self.contract.validate(request, checked)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=body,
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
