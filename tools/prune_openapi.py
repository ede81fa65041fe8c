"""Cut a vendor's OpenAPI description down to the operations a plugin uses.

The vendors' full descriptions live outside the repository (``../shared/specs``); a fresh
clone keeps only these pruned copies, so that every test runs anywhere. A manifest (TOML,
beside the output) names the source, the operations kept, and the relaxations applied,
each with the vendor documentation that justifies it::

    source = "../shared/specs/zendesk-support.yaml"   # relative to the repository root
    output = "zendesk-support.pruned.json"            # relative to the manifest
    server = "https://example.zendesk.com"
    operations = ["GET /api/v2/tickets/{ticket_id}", "POST /api/v2/tickets"]

    [[relaxations]]
    pointer = "/components/schemas/TicketObject/properties/problem_id"
    merge = { nullable = true }
    why = "the live API returns problem_id: null on tickets without a problem (…)"

    # Answers the vendor documents for every endpoint but describes on none (a 429):
    [[every_operation]]
    responses = { "429" = { description = "Rate limited" } }
    why = "any endpoint may answer 429 with Retry-After (the vendor's rate-limit page)"

Run it from the repository root::

    python tools/prune_openapi.py plugins/*/emulator/openapi/manifest.toml

The output keeps the operations, every component they reference (transitively), the
source's ``info`` and the relaxations (under ``x-itsmhub``), in a stable order.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def load_spec(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        return json.loads(path.read_text())
    import yaml

    class Loader(yaml.SafeLoader):
        """PyYAML's safe loader, plus the ``=`` value tag Zendesk's description uses."""

    Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: "=")
    return yaml.load(path.read_text(), Loader=Loader)  # noqa: S506 (a SafeLoader subclass)


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _resolve(spec: dict[str, Any], pointer: str) -> Any:
    node: Any = spec
    for part in pointer.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _place(target: dict[str, Any], pointer: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("#/").split("/")]
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def prune(spec: dict[str, Any], operations: list[str]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for operation in operations:
        method, _, path = operation.partition(" ")
        item = spec["paths"].get(path)
        if item is None or method.lower() not in item:
            raise SystemExit(f"{operation}: not in the source description")
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k not in METHODS})
        kept[method.lower()] = item[method.lower()]
    out: dict[str, Any] = {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "paths": dict(sorted(paths.items())),
    }
    if "security" in spec:
        out["security"] = spec["security"]
    pending: set[str] = set()
    _refs(out, pending)
    if "securitySchemes" in spec.get("components", {}):
        out.setdefault("components", {})["securitySchemes"] = spec["components"]["securitySchemes"]
    done: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in done:
            continue
        done.add(ref)
        try:
            value = _resolve(spec, ref)
        except KeyError:
            # Okta's no-examples variant keeps refs to the examples it removed, inside
            # `example` values that validation never reads; leave those dangling.
            if ref.startswith("#/components/examples/"):
                continue
            raise
        _place(out, ref, value)
        _refs(value, pending)
    return out


def relax(spec: dict[str, Any], relaxations: list[dict[str, Any]]) -> None:
    for relaxation in relaxations:
        node = _resolve(spec, relaxation["pointer"])
        node.update(relaxation.get("merge", {}))
        for key in relaxation.get("remove", []):
            node.pop(key, None)


def answer_everywhere(spec: dict[str, Any], additions: list[dict[str, Any]]) -> None:
    """Add responses to every operation that does not describe that status itself."""
    for addition in additions:
        for item in spec["paths"].values():
            for method in METHODS:
                if method in item:
                    responses = item[method].setdefault("responses", {})
                    for status, response in addition["responses"].items():
                        responses.setdefault(str(status), response)


def build(manifest_path: Path) -> Path:
    manifest = tomllib.loads(manifest_path.read_text())
    source = ROOT / manifest["source"]
    spec = load_spec(source)
    pruned = prune(spec, manifest["operations"])
    relaxations = manifest.get("relaxations", [])
    relax(pruned, relaxations)
    everywhere = manifest.get("every_operation", [])
    answer_everywhere(pruned, everywhere)
    relaxations = relaxations + [
        {
            "pointer": f"every operation: responses {', '.join(map(str, e['responses']))}",
            "why": e["why"],
        }
        for e in everywhere
    ]
    pruned["servers"] = [{"url": manifest["server"]}]
    pruned["x-itsmhub"] = {
        "source": manifest["source"],
        "version": spec["info"].get("version"),
        "made-by": "tools/prune_openapi.py " + str(manifest_path.relative_to(ROOT)),
        "relaxations": [{"pointer": r["pointer"], "why": r["why"]} for r in relaxations],
    }
    output = manifest_path.parent / manifest["output"]
    output.write_text(json.dumps(pruned, indent=1, sort_keys=False) + "\n")
    return output


def main(argv: list[str]) -> int:
    for name in argv or []:
        print(build(Path(name).resolve()).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
