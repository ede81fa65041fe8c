"""The CLI starts fast: `itsmhub --help` and every TAB of shell completion import only
click, pydantic and itsmhub's own light modules; the store, the engine and the HTTP stack
load when a command needs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: Packages that cost a second together and no command needs before it runs.
HEAVY = ("sqlalchemy", "alembic", "aiosqlite", "asyncpg", "httpx", "rich", "tenacity", "uvicorn")
#: itsmhub's own modules that pull them in.
HEAVY_OWN = ("itsmhub.store", "itsmhub.engine", "itsmhub.emulation")

_PROBE = """
import json, sys
{setup}
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(setup: str) -> tuple[set[str], set[str]]:
    """The modules loaded at the first JSON line ``setup`` prints, and at the end."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(setup=setup)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ITSMHUB_CONFIG": os.devnull},
    )
    dumps = [line for line in result.stdout.splitlines() if line.startswith('["')]
    return set(json.loads(dumps[0])), set(json.loads(dumps[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(tuple(HEAVY_OWN)))


def test_import_help_and_completion_load_no_heavy_module() -> None:
    """In one fresh process: importing the CLI, then --help and a completion."""
    setup = """
import os
import itsmhub.cli
print(json.dumps(sorted(sys.modules)))
from itsmhub.cli import cli
for args, env in ((["--help"], {}), (["status", "--help"], {}),
                  ([], {"_ITSMHUB_COMPLETE": "bash_complete", "COMP_WORDS": "itsmhub st",
                        "COMP_CWORD": "1"})):
    os.environ.update(env)
    try:
        cli.main(args, prog_name="itsmhub", complete_var="_ITSMHUB_COMPLETE")
    except SystemExit:
        pass
"""
    imported, after = _modules_after(setup)
    assert _heavy(imported) == [], "import itsmhub.cli"
    assert _heavy(after) == [], "--help and completion"
