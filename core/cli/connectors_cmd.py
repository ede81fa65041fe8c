"""``itsmhub connectors check``: can each configured connector do its job?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..errors import ItsmhubError
from .context import run_engine
from .main import EXIT_FAILURE, cli, handle_errors
from .output import print_json, print_table

if TYPE_CHECKING:
    from ..config import Config
    from ..engine import Hub


@cli.group("connectors")
def connectors_group() -> None:
    """Work with the configured connectors."""


@connectors_group.command("check")
@click.option("--connector", "only", metavar="NAME", help="Check only this connector.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def check_command(ctx: click.Context, only: str | None, as_json: bool) -> None:
    """Check auth, reachability and permissions of every enabled connector.

    Says in plain words what is missing. Each call is tried once (no retries), so an
    unreachable system is reported at once. Exits 1 if any check fails.
    """

    async def work(hub: Hub) -> list[dict[str, Any]]:
        names = [hub.connector(only).name] if only else sorted(hub.connectors)
        return [await _check(hub, name) for name in names]

    results = run_engine(ctx.obj["config_path"], work, prepare=_answer_now)
    if as_json:
        print_json({"ok": all(r["ok"] for r in results), "connectors": results})
    else:
        rows = [
            (
                r["connector"],
                item["name"],
                "ok" if item["ok"] else "FAILED",
                item["detail"],
                item.get("fix") or "",
            )
            for r in results
            for item in r["items"]
        ]
        print_table(None, ["connector", "check", "result", "detail", "fix"], rows)
    if not all(r["ok"] for r in results):
        raise SystemExit(EXIT_FAILURE)


def _answer_now(config: Config) -> Config:
    """One attempt per call: a check reports what it finds now. Retrying a refused
    connection with backoff only delayed 'cannot connect' by 13 s."""
    http = config.http.model_copy(update={"max_attempts": 1})
    return config.model_copy(update={"http": http})


async def _check(hub: Hub, name: str) -> dict[str, Any]:
    try:
        result = await hub.connector(name).check()
    except ItsmhubError as exc:
        # A connector that cannot even run its check says why, as one failed item.
        item = {"name": "check", "ok": False, "detail": exc.message, "fix": exc.fix}
        return {"connector": name, "ok": False, "items": [item]}
    return result.model_dump(mode="json")
