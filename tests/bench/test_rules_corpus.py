"""The recurrence corpus (bench/rules_corpus.py): seeded, realistic, and its scorer."""

from __future__ import annotations

import bisect
import importlib.util
import re
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from itsmhub import Impact, Incident, Priority

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load() -> ModuleType:
    # The corpus imports its vocabulary and scorer as siblings, as when run as a script.
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    path = BENCH / "rules_corpus.py"
    spec = importlib.util.spec_from_file_location("rules_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("rules_corpus", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


corpus = _load()
N = 3000


@pytest.fixture(scope="module")
def items() -> list:
    return list(corpus.generate(N, seed=1))


def normalise(title: str) -> str:
    return " ".join(re.sub(r"[^a-z]+", " ", title.lower()).split())


def test_same_seed_same_items_other_seed_other_items() -> None:
    first = list(corpus.generate(400, seed=7))
    assert first == list(corpus.generate(400, seed=7))
    assert [i.title for i in first] != [i.title for i in corpus.generate(400, seed=8)]


def test_counts_ids_and_share(items: list) -> None:
    assert len(items) == N
    assert len({item.id for item in items}) == N
    recurring = [item for item in items if item.pattern is not None]
    assert len(recurring) == round(N * 0.3)
    sizes = Counter(item.pattern for item in recurring)
    assert len(sizes) == max(5, N // 300)
    assert min(sizes.values()) >= corpus.MIN_PATTERN_SIZE


def test_tiny_and_empty_corpora() -> None:
    assert list(corpus.generate(0)) == []
    assert all(item.pattern is None for item in corpus.generate(5))
    assert list(corpus.generate(10, recurring_share=0.0)) != []


def test_keys_look_like_each_systems_keys(items: list) -> None:
    shapes = {
        "jira": r"[A-Z]+-\d+",
        "servicenow": r"INC\d{7}",
        "zendesk": r"[1-9]\d*",
    }
    by_system = defaultdict(list)
    for item in items:
        by_system[item.system].append(item.key)
    assert set(by_system) == set(shapes)
    for system, keys in by_system.items():
        assert all(re.fullmatch(shapes[system], key) for key in keys), system
        assert len(set(keys)) == len(keys), system
    other = list(corpus.generate(20, systems=("acme-desk",)))
    assert all(re.fullmatch(r"ACME-\d+", item.key) for item in other)


def test_times_are_aware_and_in_the_period(items: list) -> None:
    start = corpus.DEFAULT_START
    assert all(start <= item.created_at < start + timedelta(days=365) for item in items)
    assert all(item.created_at.tzinfo is UTC for item in items)
    later = datetime(2030, 6, 1, tzinfo=UTC)
    assert all(
        later <= item.created_at < later + timedelta(days=30)
        for item in corpus.generate(200, start=later, days=30)
    )
    ordered = corpus.generate_sorted(300, seed=2)
    assert [i.created_at for i in ordered] == sorted(i.created_at for i in ordered)


def test_patterns_recur_in_bursts(items: list) -> None:
    """Most recurring incidents have two more of their pattern in the 7 days before."""
    times = defaultdict(list)
    for item in items:
        if item.pattern is not None:
            times[item.pattern].append(item.created_at.timestamp())
    week = 7 * 86400
    hits = total = 0
    for stamps in times.values():
        stamps.sort()
        for i, stamp in enumerate(stamps):
            total += 1
            hits += i + 1 - bisect.bisect_left(stamps, stamp - week) >= 3
    assert hits / total > 0.6


def test_a_pattern_comes_in_several_wordings(items: list) -> None:
    forms = defaultdict(set)
    counts: Counter[int] = Counter()
    for item in items:
        if item.pattern is not None:
            forms[item.pattern].add(normalise(item.title))
            counts[item.pattern] += 1
    for pattern, count in counts.items():
        if count >= 10:
            assert len(forms[pattern]) >= 3, sorted(forms[pattern])


def test_patterns_of_one_service_are_different_problems(items: list) -> None:
    forms = defaultdict(set)
    service_of = {}
    for item in items:
        if item.pattern is not None and item.service is not None:
            forms[item.pattern].add(normalise(item.title))
            service_of[item.pattern] = item.service
    by_service = defaultdict(list)
    for pattern, service in service_of.items():
        by_service[service].append(pattern)
    for patterns in by_service.values():
        for i, a in enumerate(patterns):
            for b in patterns[i + 1 :]:
                assert not forms[a] & forms[b]


def test_noise_titles_rarely_repeat_and_share_the_services(items: list) -> None:
    noise = [item for item in items if item.pattern is None]
    titles = Counter(normalise(item.title) for item in noise)
    assert len(titles) / len(noise) > 0.95
    recurring_services = {item.service for item in items if item.pattern is not None}
    noise_services = {item.service for item in noise}
    assert recurring_services <= noise_services


def test_to_incident_builds_a_valid_record(items: list) -> None:
    for item in items[:50]:
        incident = item.to_incident()
        assert isinstance(incident, Incident)
        assert incident.id == item.id
        ref = incident.ref_for(item.system)
        assert ref is not None and (ref.remote_id, ref.key) == (item.id, item.key)
        assert incident.reporter is not None and incident.reporter.email == item.reporter_email
        assert incident.impact == Impact(item.impact)
        assert isinstance(incident.priority, Priority)
        assert incident.opened_at == incident.created_at == item.created_at
        assert (incident.service, incident.device_id) == (item.service, item.device)
        assert Incident.model_validate_json(incident.model_dump_json()) == incident


TRUTH = {"a1": 1, "a2": 1, "a3": 1, "b1": 2, "b2": 2, "b3": 2, "n1": None, "n2": None}


def test_score_of_a_perfect_detector() -> None:
    found = {key: ("x" if key[0] == "a" else "y") for key in TRUTH if key[0] != "n"}
    s = corpus.score(found, TRUTH)
    assert (s.precision, s.recall, s.pair_precision, s.pair_recall) == (1.0, 1.0, 1.0, 1.0)
    assert (s.flagged, s.found_clusters, s.true_patterns) == (6, 2, 2)
    assert s.f1 == 1.0


def test_score_of_a_detector_that_flags_nothing() -> None:
    s = corpus.score({key: None for key in TRUTH}, TRUTH)
    assert (s.flagged, s.recall, s.pair_recall, s.f1) == (0, 0.0, 0.0, 0.0)
    assert s.precision == 1.0  # nothing flagged, nothing wrongly flagged
    assert corpus.score({}, TRUTH) == s


def test_score_of_a_detector_that_lumps_everything_together() -> None:
    s = corpus.score(dict.fromkeys(TRUTH, "all"), TRUTH)
    # Patterns 1 and 2 tie at 3 members; the smaller pattern is the majority.
    assert (s.flagged, s.correct) == (8, 3)
    assert s.precision == 3 / 8
    assert s.recall == 3 / 6
    assert s.pair_precision == 6 / 28  # C(3,2) + C(3,2) of C(8,2)
    assert s.pair_recall == 1.0


def test_score_min_size_noise_majority_and_pairs_input() -> None:
    found = [("a1", "x"), ("a2", "x"), ("n1", "x"), ("b1", "y"), ("b2", "y")]
    s = corpus.score(found, TRUTH)
    # "y" has 2 members < min_size: not flagged. "x" is mostly pattern 1.
    assert (s.flagged, s.correct, s.found_clusters) == (3, 2, 1)
    assert (s.precision, s.recall) == (2 / 3, 2 / 6)
    assert (s.pair_precision, s.pair_recall) == (1 / 3, 1 / 6)
    assert corpus.score(found, TRUTH, min_size=2).flagged == 5

    noisy = corpus.score({"n1": "z", "n2": "z", "a3": "z"}, TRUTH)
    assert (noisy.flagged, noisy.correct, noisy.precision) == (3, 0, 0.0)
    assert "precision 0.000" in str(noisy)


def test_score_rejects_unknown_ids() -> None:
    with pytest.raises(ValueError, match="not in truth"):
        corpus.score({"zz": 1}, TRUTH)


def test_score_of_the_corpus_against_its_own_truth(items: list) -> None:
    truth = corpus.truth_of(items)
    s = corpus.score(truth, truth)
    assert (s.precision, s.recall, s.pair_precision, s.pair_recall) == (1.0, 1.0, 1.0, 1.0)
    by_service = corpus.score({i.id: i.service for i in items}, truth)
    assert by_service.precision < 0.3


def test_some_causes_recur_steadily_never_three_in_a_week(items: list) -> None:
    times = defaultdict(list)
    for item in items:
        if item.pattern is not None:
            times[item.pattern].append(item.created_at.timestamp())
    week, steady = 7 * 86400, 0
    for stamps in times.values():
        stamps.sort()
        spread = stamps[-1] - stamps[0] >= 6 * week
        busiest = max(i + 1 - bisect.bisect_left(stamps, s - week) for i, s in enumerate(stamps))
        steady += len(stamps) >= 4 and spread and busiest < 3
    assert steady >= 1


def test_people_named_in_titles_are_in_the_directory() -> None:
    people = corpus.directory()
    assert len({p.login for p in people}) == len(people)
    handles = {p.login for p in people} | {p.email.split("@")[0] for p in people}
    named = [
        word.strip("():")
        for item in corpus.generate(N, seed=3)
        if item.pattern is not None
        for word in item.title.split()
        if word.strip("():") in handles
    ]
    assert len(named) > N * 0.3 * 0.05


def test_same_form_requests_are_noise_about_different_things(items: list) -> None:
    installs = [i for i in items if i.title.startswith("Install ") and "laptop" in i.title]
    assert len(installs) >= 10
    assert all(i.pattern is None for i in installs)
    assert len({i.title for i in installs}) > len(installs) * 0.6


def test_agents_link_only_incidents_of_their_problem(items: list) -> None:
    problems = {p.id: p for p in corpus.agent_problems(N, seed=1)}
    linked = [item for item in items if item.problem is not None]
    assert linked and problems
    assert {item.problem for item in linked} <= set(problems)
    for item in linked:
        assert item.pattern is not None and item.problem == f"prb-{item.pattern:06d}"
        assert problems[item.problem].created_at <= item.created_at
        assert item.to_incident().links[0].target_id == item.problem


def test_a_million_incidents_make_distinct_problems_never_a_site_repeat() -> None:
    """Past the first 2,200 problems a pattern takes a symptom of MORE_SYMPTOMS or another
    service's problem; none repeats one "at <Site> <n>" (a million make 3,333 patterns)."""
    patterns = corpus._setup(1_000_000, 7, 365 * 86400.0, 0.3, ("a", "b", "c")).patterns
    assert len(patterns) == 3333
    assert not [p for p in patterns if re.search(r" at [A-Z][a-z]+ \d+", p.wordings[0][0])]
    # Each is its own problem: no two patterns of a service share a wording.
    seen: dict[tuple[str, str], int] = {}
    for number, pattern in enumerate(patterns):
        for fmt, _ in pattern.wordings:
            assert seen.setdefault((pattern.service, fmt), number) == number
    more = [
        phrase
        for symptoms in corpus.MORE_SYMPTOMS.values()
        for verbs, nouns in symptoms
        for phrase in (*verbs, *nouns)
        if "{" not in phrase
    ]
    assert any(phrase in fmt for p in patterns for fmt, _ in p.wordings for phrase in more)
