"""Pull and push timed apart: where a record's time goes in one cycle.

.venv/bin/python bench/engine_phases.py 300
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import anyio

HERE = Path(__file__).resolve().parent


def main(count: int) -> None:
    from itsmhub.config import validate_config
    from itsmhub.engine import Hub, Pusher, pull_stream
    from itsmhub.model import RecordKind
    from itsmhub.plugins import load_plugins

    sys.path.insert(0, str(HERE))
    plugins = load_plugins(
        environ={"ITSMHUB_LOAD_PLUGINS": "", "ITSMHUB_PLUGIN_MODULES": "bench_connectors"}
    )
    with tempfile.TemporaryDirectory() as folder:
        data = {
            "store": {"url": f"sqlite:///{folder}/bench.db"},
            "connectors": {
                "source": {"type": "bench", "records": count},
                "sink": {"type": "bench"},
            },
            "rules": {"copy": {"type": "routing", "from": "source", "to": ["sink"]}},
        }
        config, issues = validate_config(data, plugins, config_dir=Path(folder))
        assert config is not None, issues

        async def run() -> None:
            async with Hub.open(config, plugins) as hub:
                started = time.perf_counter()
                await pull_stream(hub, "source", RecordKind.INCIDENT)
                pulled = time.perf_counter()
                await Pusher(hub, "sink").run()
                pushed = time.perf_counter()
            print(f"pull {(pulled - started) / count * 1000:.1f} ms per record")
            print(f"push {(pushed - pulled) / count * 1000:.1f} ms per record")

        anyio.run(run)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
