"""Handlers of ``create_many``/``update_many``, ``job_statuses`` and ``webhooks``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import render
from .api import base_of, caller, json_body, support_of
from .errors import error
from .jobs import MAX_ITEMS
from .state import Webhook


async def _items(request: Request) -> list[dict[str, Any]] | Response:
    data = await json_body(request)
    if isinstance(data, Response):
        return data
    tickets = data.get("tickets")
    if not isinstance(tickets, list) or not all(isinstance(t, dict) for t in tickets):
        return error(400, "The request needs a tickets array")
    if len(tickets) > MAX_ITEMS:
        return error(400, f"Too many tickets: at most {MAX_ITEMS} per request")
    return tickets


async def create_many(request: Request) -> Response:
    items = await _items(request)
    if isinstance(items, Response):
        return items
    support = support_of(request)
    job = support.jobs.submit("bulk_create_tickets", items, caller(request))
    return JSONResponse({"job_status": render.job(job, base_of(request))})


async def update_many(request: Request) -> Response:
    """The per-ticket form: ``{"tickets": [{"id": …, …}, …]}``."""
    items = await _items(request)
    if isinstance(items, Response):
        return items
    if request.query_params.get("ids"):
        return error(400, "This emulator takes per-ticket values only (a tickets array with ids)")
    support = support_of(request)
    job = support.jobs.submit("bulk_update_tickets", items, caller(request))
    return JSONResponse({"job_status": render.job(job, base_of(request))})


async def job_status(request: Request) -> Response:
    support = support_of(request)
    job = support.jobs.get(request.path_params["job_id"])
    if job is None:
        return error(404)
    support.jobs.poll(job)
    return JSONResponse({"job_status": render.job(job, base_of(request))})


async def job_statuses(request: Request) -> Response:
    """``show_many``: the jobs still kept, each polled once."""
    support = support_of(request)
    wanted = [i for i in request.query_params.get("ids", "").split(",") if i][:100]
    jobs = [job for job in (support.jobs.get(i) for i in wanted) if job is not None]
    for job in jobs:
        support.jobs.poll(job)
    return JSONResponse({"job_statuses": [render.job(j, base_of(request)) for j in jobs]})


def _webhook(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "name": webhook.name,
        "status": webhook.status,
        "endpoint": webhook.endpoint,
        "http_method": "POST",
        "request_format": "json",
        "subscriptions": webhook.subscriptions,
        "created_at": render.stamp(webhook.created_at),
    }


async def create_webhook(request: Request) -> Response:
    """``POST /api/v2/webhooks``: an endpoint for ticket events (signed with a fresh
    secret unless the emulator was given one)."""
    data = await json_body(request)
    if isinstance(data, Response):
        return data
    spec = data.get("webhook")
    if not isinstance(spec, dict) or not str(spec.get("endpoint", "")).startswith("http"):
        return error(422, details={"endpoint": [{"description": "Endpoint is not a URL"}]})
    webhook = support_of(request).sender.register(
        str(spec["endpoint"]),
        name=str(spec.get("name") or "webhook"),
        subscriptions=[str(s) for s in spec.get("subscriptions") or []] or None,
    )
    return JSONResponse({"webhook": _webhook(webhook)}, status_code=201)


async def list_webhooks(request: Request) -> Response:
    hooks = support_of(request).account.webhooks.values()
    return JSONResponse({"webhooks": [_webhook(w) for w in hooks]})


async def signing_secret(request: Request) -> Response:
    webhook = support_of(request).account.webhooks.get(request.path_params["webhook_id"])
    if webhook is None:
        return error(404)
    return JSONResponse({"signing_secret": {"algorithm": "SHA256", "secret": webhook.secret}})


__all__ = [
    "create_many",
    "create_webhook",
    "job_status",
    "job_statuses",
    "list_webhooks",
    "signing_secret",
    "update_many",
]
