"""Where a recurrence dry-run's false pairs come from: which true labels share its problems.

    .venv/bin/python bench/rules_errors.py 1000000   # the store bench/rules_dryrun.py seeds
    .venv/bin/python bench/rules_errors.py --seed 11 100000 '{"count_requests": true}'

Replays the seeded store (as ``rules_dryrun.py`` does, recurrence settings as JSON), then
counts the pairs of incidents sharing a found problem by what they truly are: one
pattern (right), two patterns (split by whether either repeats another "at <Site> <n>",
as the generator once did past its distinct problems), a pattern and noise, or noise,
telling the requests of one form ("Install X on my laptop") from other one-offs; and
prints the problems with the most false pairs, with the patterns' wordings.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from math import comb
from pathlib import Path
from typing import Any

import anyio
import rules_dryrun
from rules_corpus import _setup, generate, score
from rules_vocabulary import REQUEST_FORMS

_SITE = re.compile(r" at ([A-Z][a-z]+) (\d+)")
_SLOT = re.compile(r"\\\{(software|folder|device|app)\\\}")
_REQUEST = re.compile(
    "^(?:" + "|".join(_SLOT.sub(".+", re.escape(form)) for _, form in REQUEST_FORMS) + ")$"
)


async def _found(folder: Path, recurring: dict[str, Any]) -> dict[str, str]:
    """Incident → the problem the recurrence rule put it under, over the whole store."""
    import shutil

    from itsmhub.engine.rules_run import replay
    from itsmhub.rules.proposals import AddLink, AnyProposal, CreateProblem
    from itsmhub.rules.session import RuleSession

    shutil.copyfile(folder / "rules.db", folder / "run.db")
    found: dict[str, str] = {}

    def record(proposal: AnyProposal) -> None:
        if proposal.rule != "recurring":
            return
        if isinstance(proposal, CreateProblem):
            found.update(dict.fromkeys(proposal.members, proposal.problem_id))
        elif isinstance(proposal, AddLink):
            found[proposal.record_id] = proposal.target_id

    async with rules_dryrun.open_hub(folder, recurring=recurring) as hub:
        await replay(hub, RuleSession(hub.config), since=None, now=rules_dryrun.NOW, sink=record)
    return found


def _pair_kind(one: Any, other: Any, sites: dict[int, tuple[str, str] | None]) -> str:
    if isinstance(one, str) or isinstance(other, str):
        return "–".join(sorted(x if isinstance(x, str) else "pattern" for x in (one, other)))
    a, b = sites[one], sites[other]
    if a is None and b is None:
        return "two patterns"
    if a is None or b is None:
        return "two patterns: one and a site repeat of it"
    return "two patterns: site repeats" + (" at one site" if a[0] == b[0] else "")


def main(argv: list[str]) -> None:
    seed = rules_dryrun.SEED
    if argv[:1] == ["--seed"]:
        seed, argv = int(argv[1]), argv[2:]
    rules_dryrun.SEED = seed
    count = int(argv[0])
    recurring = json.loads(argv[1]) if len(argv) > 1 else {}
    folder = rules_dryrun.seeded(count)
    saved = json.loads((folder / "truth.json").read_text())
    linked = set(saved["linked"])  # people's links: not graded
    truth = {k: v for k, v in saved["truth"].items() if k not in linked}
    found = {k: v for k, v in anyio.run(_found, folder, recurring).items() if k not in linked}
    print(score(found, truth))
    patterns = _setup(count, seed, 365 * 86400.0, 0.3, rules_dryrun.SYSTEMS).patterns
    sites = {n: (m[1], m[2]) if (m := _SITE.search(p.wordings[0][0])) else None
             for n, p in enumerate(patterns)}  # fmt: skip
    titles = {i.id: i.title for i in generate(count, seed=seed, systems=rules_dryrun.SYSTEMS)
              if i.id in found}  # fmt: skip
    sizes = Counter(truth.values())
    members: dict[str, Counter[Any]] = defaultdict(Counter)
    for incident, problem in found.items():
        label: Any = truth[incident]
        if label is None or sizes[label] < 3:
            label = "request" if _REQUEST.match(titles[incident]) else "one-off"
        members[problem][label] += 1
    kinds: Counter[str] = Counter()
    worst = []
    for problem, labels in members.items():
        if sum(labels.values()) < 3:
            continue
        items = list(labels.items())
        for i, (one, n) in enumerate(items):
            if isinstance(one, str):
                kinds[f"{one}–{one}"] += comb(n, 2)
            for other, m in items[i + 1 :]:
                kinds[_pair_kind(one, other, sites)] += n * m
        right = sum(comb(n, 2) for label, n in items if not isinstance(label, str))
        worst.append((comb(sum(labels.values()), 2) - right, problem, labels))
    total = sum(comb(sum(labels.values()), 2) for _, _, labels in worst)
    print(f"{total:,} pairs share a problem; false ones by kind, as a share of all:")
    for kind, pairs in kinds.most_common():
        print(f"  {pairs / total:6.1%}  {kind}")
    for false, problem, labels in sorted(worst, key=lambda w: -w[0])[:5]:
        print(f"{problem}: {false:,} false pairs of {sum(labels.values())} incidents")
        for label, n in labels.most_common(3):
            shown = label if isinstance(label, str) else patterns[label].wordings[0][0]
            print(f"  {n:5} {shown}")


if __name__ == "__main__":
    main(sys.argv[1:])
