"""A seeded corpus of realistic incidents for benchmarking recurrence detection.

    .venv/bin/python bench/rules_corpus.py 100000

``generate`` streams lightweight ``CorpusIncident`` items: a share of them belong to
recurring *patterns* (one real cause), the rest are one-off noise over the same services.
Each item carries its true ``pattern`` (``None`` for noise), so ``score`` can grade what a
detector found.

What makes it hard, as real service desks are:

- a cause is reported in several wordings: a component's synonyms × a symptom's verb or
  noun phrases, paraphrased (``SYNONYMS``), in different word orders, with and without a
  host or the person affected; some causes are worded with (almost) no word in common
  (``CAUSES``: "AP invoice run did not start" / "supplier payment file failed");
- people are named by login or e-mail local part, from the company's directory
  (``directory``), whose members also report the incidents;
- causes recur in bursts (a few days), or steadily (once or twice a week for months);
- noise includes many requests of one form about different things ("Install X on my
  laptop", "Access to the Y share"), which are not one cause;
- agents link some incidents of some causes to a problem they opened themselves
  (``CorpusIncident.problem``; ``agent_problems`` lists those problems).

Items come out in generation order, not by time: recurring and noise items are
interleaved at random. ``generate_sorted`` returns them sorted by ``created_at``.
"""

from __future__ import annotations

import random
import re
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rules_score import Score, score
from rules_vocabulary import (
    APPS,
    CAUSES,
    CODES,
    DEPARTMENTS,
    DETAILS,
    FIRST,
    HOURS,
    JIRA_PROJECTS,
    LAST,
    MORE_SYMPTOMS,
    N_FRAMES,
    NOISE_ACTIONS,
    NOISE_ADJECTIVES,
    NOISE_CONTEXTS,
    NOISE_FRAMES,
    NOISE_NOUNS,
    PREFIXES,
    REQUEST_DEVICES,
    REQUEST_FOLDERS,
    REQUEST_FORMS,
    REQUEST_SOFTWARE,
    SERVICE_WEIGHTS,
    SERVICES,
    SITES,
    SUFFIXES,
    SYMPTOMS,
    SYNONYMS,
    TCODES,
    V_FRAMES,
)

if TYPE_CHECKING:
    from itsmhub import Incident, Person, Problem

__all__ = [
    "DEFAULT_START",
    "CorpusIncident",
    "CorpusPerson",
    "Score",
    "agent_problems",
    "directory",
    "generate",
    "generate_sorted",
    "score",
    "truth_of",
]

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
MIN_PATTERN_SIZE = 3
#: Share of one-off noise that is a same-form request ("Install X on my laptop").
REQUEST_SHARE = 0.1
#: Share of patterns made from a hand-written cause (while unused ones remain).
CAUSE_SHARE = 0.1
#: Share of small patterns (≤ STEADY_MAX_SIZE) that recur steadily rather than in bursts.
STEADY_SHARE = 0.5
STEADY_MAX_SIZE = 40
#: Share of patterns an agent opened a problem for, and of their incidents linked to it.
MANAGED_SHARE = 0.3
AGENT_LINK_SHARE = 0.25

# ------------------------------------------------------------------------------- items


@dataclass(slots=True, frozen=True)
class CorpusPerson:
    """Someone in the company's directory (as Okta would list them)."""

    email: str
    login: str
    display_name: str

    def to_person(self) -> Person:
        from itsmhub import Person

        return Person(
            id=f"person-{self.login}",
            display_name=self.display_name,
            email=self.email,
            login=self.login,
        )


@dataclass(slots=True, frozen=True)
class CorpusIncident:
    """One generated incident; ``pattern`` is its true recurring cluster (None: noise);
    ``problem`` the id of the problem an agent linked it to, if any."""

    id: str
    system: str
    key: str
    title: str
    description: str
    service: str | None
    category: str | None
    reporter_email: str
    department: str
    device: str | None
    impact: int
    urgency: int
    created_at: datetime
    pattern: int | None
    problem: str | None = None

    def to_incident(self) -> Incident:
        """The neutral ``Incident`` for this item (hub id = ``id``)."""
        from itsmhub import ExternalRef, Impact, Incident, Link, LinkKind, PersonRef, Urgency

        links = (
            [Link(kind=LinkKind.CAUSED_BY, target_id=self.problem, origin=self.system)]
            if self.problem
            else []
        )
        return Incident(
            id=self.id,
            refs=[ExternalRef(system=self.system, remote_id=self.id, key=self.key)],
            links=links,
            title=self.title,
            description=self.description,
            reporter=PersonRef(email=self.reporter_email),
            service=self.service,
            category=self.category,
            impact=Impact(self.impact),
            urgency=Urgency(self.urgency),
            device_id=self.device,
            created_at=self.created_at,
            opened_at=self.created_at,
            custom={"department": self.department},
        )


@dataclass(slots=True)
class _Pattern:
    service: str
    category: str
    kind: str
    wordings: list[_Compiled]
    impact: int
    urgency: int
    bursts: list[tuple[float, float]]  # (start offset in seconds, mean spread in seconds)
    steady: tuple[float, float] | None  # (start offset, span) of a steady recurrence
    device_share: float
    managed: bool  # an agent opened a problem for it

    @property
    def start(self) -> float:
        return self.steady[0] if self.steady else min(begin for begin, _ in self.bursts)


_SLOT = re.compile(r"\{(\w+)\}")
_FIXED = re.compile(r"<(\w+)>")


def directory() -> list[CorpusPerson]:
    """The company's people: ``first.last@example.com``, login ``flast`` (``filast`` when
    taken, as directories do it)."""
    people: list[CorpusPerson] = []
    taken: set[str] = set()
    for first in FIRST:
        for last in LAST:
            login = next(
                candidate
                for size in range(1, len(first) + 1)
                if (candidate := f"{first[:size]}{last}") not in taken
            )
            taken.add(login)
            people.append(
                CorpusPerson(f"{first}.{last}@example.com", login, f"{first} {last}".title())
            )
    return people


def _fillers(rng: random.Random) -> dict[str, Callable[[], str]]:
    """Per-incident slot fillers, all drawing from ``rng``."""
    rnd = rng.random
    people = directory()
    host_kinds = ("lt-{:04d}.corp.example.com", "srv-db-{:02d}", "ws-{:04d}", "srv-app-{:02d}")

    def user() -> str:
        person = people[int(rnd() * len(people))]
        return person.login if rnd() < 0.6 else person.email.split("@")[0]

    def host() -> str:
        return host_kinds[int(rnd() * 4)].format(int(rnd() * 2000))

    def date() -> str:
        return f"2025-{int(rnd() * 12) + 1:02d}-{int(rnd() * 28) + 1:02d}"

    def code() -> str:
        if rnd() < 0.3:
            return f"0x{int(rnd() * 0xFFFFFFFF):08X}"
        return CODES[int(rnd() * len(CODES))]

    def pick(values: Sequence[str]) -> Callable[[], str]:
        return lambda: values[int(rnd() * len(values))]

    return {
        "host": host,
        "ip": lambda: f"10.{int(rnd() * 256)}.{int(rnd() * 256)}.{int(rnd() * 254) + 1}",
        "code": code,
        "user": user,
        "n": lambda: str(int(rnd() * 200) + 2),
        "pct": lambda: f"{int(rnd() * 100)}%",
        "ticket": lambda: f"INC{int(rnd() * 900000) + 10000:07d}",
        "date": date,
        "site": pick(SITES),
        "software": pick(REQUEST_SOFTWARE),
        "folder": pick(REQUEST_FOLDERS),
        "device": pick(REQUEST_DEVICES),
        "app": pick(APPS),
    }


def _fixed_value(name: str, rng: random.Random) -> str:
    """A value fixed for a whole pattern (the printer, the floor...)."""
    r = rng.randrange
    return {
        "floor": lambda: str(r(1, 12)),
        "room": lambda: f"{r(1, 12)}.{r(1, 40):02d}",
        "ap": lambda: f"AP-{r(1, 12)}F-{r(1, 30):02d}",
        "switch": lambda: f"sw-{rng.choice(SITES)[:3]}-{r(1, 60):02d}",
        "server": lambda: f"srv-{rng.choice(('db', 'app', 'fs', 'web'))}-{r(1, 40):02d}",
        "printer": lambda: f"PRN-{r(1, 12)}F-{r(1, 9):02d}",
        "site": lambda: rng.choice(SITES).title(),
        "share": lambda: rng.choice(("Finance", "Sales", "HR", "Projects", "Legal", "Board")),
        "tcode": lambda: rng.choice(TCODES),
        "app": lambda: rng.choice(APPS),
    }[name]()


_Compiled = tuple[str, tuple[Callable[[], str], ...]]


def _compile(template: str, fill: dict[str, Callable[[], str]]) -> _Compiled:
    """Turn ``"x {host} y"`` into a positional format string and its slot fillers."""
    names = _SLOT.findall(template)
    fmt = template.replace("{{", "\0").replace("}}", "\1")
    index = iter(range(len(names)))
    fmt = _SLOT.sub(lambda _m: "{" + str(next(index)) + "}", fmt)
    return fmt.replace("\0", "{{").replace("\1", "}}"), tuple(fill[name] for name in names)


def _render(compiled: _Compiled) -> str:
    fmt, funcs = compiled
    if not funcs:
        return fmt
    return fmt.format(*[f() for f in funcs])


def _paraphrase(phrase: str, rng: random.Random) -> str:
    """The phrase as written, or (half the time) another way of saying it."""
    others = SYNONYMS.get(phrase)
    return rng.choice(others) if others and rng.random() < 0.5 else phrase


def _forms(
    synonyms: list[str], verbs: tuple[str, ...], nouns: tuple[str, ...], rng: random.Random
) -> set[str]:
    """3–8 wordings of one (component, symptom) problem."""
    wanted = rng.randint(3, 8)
    forms: set[str] = set()
    for _ in range(60):
        comp = rng.choice(synonyms)
        if rng.random() < 0.65:
            verb = _paraphrase(rng.choice(verbs), rng)
            text = rng.choice(V_FRAMES).format(C=comp, V=verb)
        else:
            noun = _paraphrase(rng.choice(nouns), rng)
            text = rng.choice(N_FRAMES).format(C=comp, N=noun)
        if rng.random() < 0.5:
            text = text[0].upper() + text[1:]
        forms.add(text)
        if len(forms) >= wanted:
            break
    return forms


def _cadence(
    size: int, rng: random.Random, seconds: float
) -> tuple[list[tuple[float, float]], tuple[float, float] | None]:
    """Bursts of 3–12 incidents on average, each spread over hours to a few days; or, for
    some small patterns, a steady recurrence over 8–52 weeks (about once a week or two)."""
    if size <= STEADY_MAX_SIZE and rng.random() < STEADY_SHARE:
        span = min(seconds, rng.uniform(8, 52) * 7 * 86400.0, size * rng.uniform(5, 14) * 86400)
        return [], (rng.uniform(0, seconds - span), span)
    bursts = [
        (rng.uniform(0, seconds), rng.uniform(0.2, 2.5) * 86400.0)
        for _ in range(max(1, round(size / rng.uniform(3, 12))))
    ]
    return bursts, None


def _make_patterns(
    sizes: list[int], rng: random.Random, fill: dict[str, Callable[[], str]], seconds: float
) -> list[_Pattern]:
    """One pattern per size, each a distinct (service, component, symptom) problem, or a
    hand-written cause. Once a service runs out of distinct problems, its kind's
    MORE_SYMPTOMS give more, then another service's; only once all have run out (past
    3,400 patterns, more than a million incidents make) does a pattern repeat one at
    another site."""
    count = len(sizes)
    services = [s[0] for s in SERVICES]
    weights = [SERVICE_WEIGHTS.get(name, 1) for name in services]
    used: set[tuple[int, int, int]] = set()
    causes = list(CAUSES)
    rng.shuffle(causes)
    patterns: list[_Pattern] = []
    while len(patterns) < count:
        if causes and rng.random() < CAUSE_SHARE:
            service, wordings = causes.pop()
            s = services.index(service)
            forms = set(wordings)
            name, category, kind, _, _ = SERVICES[s]
        else:
            s = rng.choices(range(len(SERVICES)), weights)[0]
            name, category, kind, components, extra = SERVICES[s]
            symptoms = SYMPTOMS[kind] + extra
            c, y = rng.randrange(len(components)), rng.randrange(len(symptoms))
            site = ""
            if (s, c, y) in used:
                free = _free(s, used)
                if not free:  # the service's problems are taken: its more symptoms', else
                    # another service's (a smaller corpus never gets here: it is unchanged)
                    free = _free(s, used, more=True)
                    if not free:
                        open_services = [i for i in range(len(SERVICES)) if _free(i, used, True)]
                        if open_services:
                            weighted = [weights[i] for i in open_services]
                            s = rng.choices(open_services, weighted)[0]
                            free = _free(s, used, more=True)
                    name, category, kind, components, extra = SERVICES[s]
                    symptoms = SYMPTOMS[kind] + extra + MORE_SYMPTOMS[kind]
                if free:
                    c, y = rng.choice(free)
                else:  # every problem of every service is taken: one again at another site
                    site = f" at {rng.choice(SITES).title()} {rng.randrange(1, 99)}"
            used.add((s, c, y))
            fixed: dict[str, str] = {}

            def pin(text: str, fixed: dict[str, str] = fixed) -> str:
                return _FIXED.sub(lambda m: fixed.setdefault(m[1], _fixed_value(m[1], rng)), text)

            forms = _forms([pin(x) + site for x in components[c]], *symptoms[y], rng)
        bursts, steady = _cadence(sizes[len(patterns)], rng, seconds)
        patterns.append(
            _Pattern(
                service=name,
                category=category,
                kind=kind,
                wordings=[_compile(form, fill) for form in sorted(forms)],
                impact=rng.choice((1, 2, 2, 3)),
                urgency=rng.choice((1, 2, 2, 3)),
                bursts=bursts,
                steady=steady,
                device_share=0.8 if kind == "hardware" else 0.4,
                managed=rng.random() < MANAGED_SHARE,
            )
        )
    return patterns


def _free(
    service: int, used: set[tuple[int, int, int]], more: bool = False
) -> list[tuple[int, int]]:
    """The (component, symptom) problems of a service no pattern has taken yet; with
    ``more``, also those of the kind's MORE_SYMPTOMS (numbered after the others)."""
    _, _, kind, components, extra = SERVICES[service]
    symptoms = len(SYMPTOMS[kind]) + len(extra) + (len(MORE_SYMPTOMS[kind]) if more else 0)
    return [
        (c, y)
        for c in range(len(components))
        for y in range(symptoms)
        if (service, c, y) not in used
    ]


def _pattern_sizes(total: int, count: int, rng: random.Random) -> list[int]:
    """Split ``total`` over ``count`` patterns, each ≥ MIN_PATTERN_SIZE, heavy-tailed."""
    extra = total - MIN_PATTERN_SIZE * count
    weights = [min(rng.paretovariate(1.2) - 0.95, 20.0) for _ in range(count)]
    scale = extra / sum(weights)
    sizes = [MIN_PATTERN_SIZE + int(w * scale) for w in weights]
    for i in rng.choices(range(count), weights, k=total - sum(sizes)):
        sizes[i] += 1
    return sizes


def _key_maker(system: str, first: int) -> Callable[[str], str]:
    """A function giving the next human key in ``system``'s style for a service kind."""
    lower = system.lower()
    counters: dict[str, int] = {}
    if "jira" in lower:

        def jira(kind: str) -> str:
            project = JIRA_PROJECTS.get(kind, "OPS")
            counters[project] = number = counters.get(project, first) + 1
            return f"{project}-{number}"

        return jira
    state = [first]
    if "servicenow" in lower or "snow" in lower:

        def snow(_kind: str) -> str:
            state[0] += 1
            return f"INC{state[0]:07d}"

        return snow
    if "zendesk" in lower:

        def zendesk(_kind: str) -> str:
            state[0] += 1
            return str(state[0])

        return zendesk
    prefix = re.sub(r"[^A-Z]", "", system.upper())[:4] or "T"

    def other(_kind: str) -> str:
        state[0] += 1
        return f"{prefix}-{state[0]}"

    return other


# ----------------------------------------------------------------------------- generate


@dataclass(slots=True)
class _Setup:
    rng: random.Random
    fill: dict[str, Callable[[], str]]
    patterns: list[_Pattern]
    deck: array[int]
    recurring: int


def _setup(
    n: int, seed: int, seconds: float, recurring_share: float, systems: Sequence[str]
) -> _Setup:
    if n < 0:
        raise ValueError("n must be >= 0")
    if not systems:
        raise ValueError("systems must not be empty")
    rng = random.Random(seed)
    recurring = round(n * min(max(recurring_share, 0.0), 1.0))
    count = min(max(5, n // 300), recurring // MIN_PATTERN_SIZE)
    if count == 0:
        recurring = 0
    fill = _fillers(rng)
    sizes = _pattern_sizes(recurring, count, rng) if count else []
    patterns = _make_patterns(sizes, rng, fill, seconds)
    deck = array("I")
    for number, size in enumerate(sizes):
        deck.extend(array("I", [number]) * size)
    rng.shuffle(deck)
    return _Setup(rng, fill, patterns, deck, recurring)


def agent_problems(
    n: int,
    *,
    seed: int = 1,
    systems: Sequence[str] = ("jira", "servicenow", "zendesk"),
    start: datetime = DEFAULT_START,
    days: int = 365,
    recurring_share: float = 0.3,
) -> list[Problem]:
    """The problems agents opened themselves (in the second system, on the pattern's first
    day), which ``generate``'s items with a ``problem`` are linked to."""
    from itsmhub import ExternalRef, Problem

    setup = _setup(n, seed, days * 86400.0, recurring_share, systems)
    system = systems[min(1, len(systems) - 1)]
    problems = []
    for number, pattern in enumerate(setup.patterns):
        if not pattern.managed:
            continue
        opened = datetime.fromtimestamp(start.timestamp() + pattern.start, UTC)
        problems.append(
            Problem(
                id=_problem_id(number),
                refs=[ExternalRef(system=system, remote_id=_problem_id(number))],
                title=_render(pattern.wordings[0]),
                service=pattern.service,
                category=pattern.category,
                created_at=opened,
            )
        )
    return problems


def _problem_id(pattern: int) -> str:
    return f"prb-{pattern:06d}"


def generate(
    n: int,
    *,
    seed: int = 1,
    systems: Sequence[str] = ("jira", "servicenow", "zendesk"),
    start: datetime = DEFAULT_START,
    days: int = 365,
    recurring_share: float = 0.3,
) -> Iterator[CorpusIncident]:
    """Yield ``n`` incidents, the same ones for the same arguments.

    About ``recurring_share`` of them belong to ``max(5, n // 300)`` patterns (fewer when
    there are too few recurring items for ``MIN_PATTERN_SIZE`` each); pattern sizes are
    heavy-tailed; each recurs in bursts of a few days or steadily. The rest are noise.
    Items come in generation order (times are not sorted: see ``generate_sorted``); ids
    are ``inc-0000001``... in that order. Memory holds the patterns and one array of
    ``n * recurring_share`` pattern numbers, never the items.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    seconds = days * 86400.0
    setup = _setup(n, seed, seconds, recurring_share, systems)
    rng, fill, patterns, deck = setup.rng, setup.fill, setup.patterns, setup.deck
    rnd = rng.random
    people = [
        (person.email, DEPARTMENTS[int(rnd() * len(DEPARTMENTS))], f"lt-{int(rnd() * 9000):04d}")
        for person in directory()
    ]
    noise = _Noise(rng, fill)
    prefixes = [_compile(p, fill) for p in PREFIXES]
    suffixes = [_compile(s, fill) for s in SUFFIXES]
    details = [_compile(d, fill) for d in DETAILS]
    key_makers = [_key_maker(system, rng.randrange(100, 5000) * 10) for system in systems]
    width = max(7, len(str(n)))
    n_sys, n_people = len(systems), len(people)
    end = seconds - 1.0
    timestamp = start.timestamp()
    from_ts = datetime.fromtimestamp

    left_recurring = setup.recurring
    for i in range(n):
        problem = None
        if left_recurring and rnd() * (n - i) < left_recurring:
            left_recurring -= 1
            number: int | None = deck[left_recurring]
            p = patterns[number]
            title = _render(p.wordings[int(rnd() * len(p.wordings))])
            r = rnd()
            if r < 0.25:
                title = _render(prefixes[int(rnd() * len(prefixes))]) + title
            elif r < 0.45:
                title += _render(suffixes[int(rnd() * len(suffixes))])
            description = (
                f"{_render(p.wordings[int(rnd() * len(p.wordings))])}. "
                f"{_render(details[int(rnd() * len(details))])}"
            )
            if p.steady is not None:
                offset = p.steady[0] + rnd() * p.steady[1]
            elif rnd() < 0.1:  # a stray occurrence outside the bursts
                offset = rnd() * seconds
            else:
                begin, spread = p.bursts[int(rnd() * len(p.bursts))]
                offset = begin + rng.expovariate(1.0 / spread)
                if offset > end:
                    offset = end - rnd() * spread
            service, category, kind = p.service, p.category, p.kind
            impact = p.impact if rnd() < 0.8 else int(rnd() * 3) + 1
            urgency = p.urgency if rnd() < 0.8 else int(rnd() * 3) + 1
            device_share = p.device_share
            if p.managed and offset > p.start and rnd() < AGENT_LINK_SHARE:
                problem = _problem_id(number)
        else:
            number = None
            service, category, kind, title = noise.next()
            description = (
                f"{_render(details[int(rnd() * len(details))])} "
                f"{_render(details[int(rnd() * len(details))])}"
            )
            offset = noise.offset(days)
            impact = 3 if rnd() < 0.6 else 2
            urgency = 3 if rnd() < 0.5 else int(rnd() * 2) + 1
            device_share = 0.3
        if rnd() < 0.05:
            service = category = None
        email, department, laptop = people[int(rnd() * n_people)]
        s = int(rnd() * n_sys)
        yield CorpusIncident(
            id=f"inc-{i + 1:0{width}d}",
            system=systems[s],
            key=key_makers[s](kind),
            title=title,
            description=description,
            service=service,
            category=category,
            reporter_email=email,
            department=department,
            device=laptop if rnd() < device_share else None,
            impact=impact,
            urgency=urgency,
            created_at=from_ts(timestamp + offset, UTC),
            pattern=number,
            problem=problem,
        )


class _Noise:
    """One-off incidents and requests over the same services as the patterns."""

    def __init__(self, rng: random.Random, fill: dict[str, Callable[[], str]]) -> None:
        self.rnd = rng.random
        self.services = [
            (s[0], s[1], s[2], [syn for comp in s[3] for syn in comp if "<" not in syn])
            for s in SERVICES
        ]
        self.by_name = {s[0]: s for s in self.services}
        self.objects = [syn for s in self.services for syn in s[3]]
        self.contexts = [_compile(x, fill) for x in NOISE_CONTEXTS]
        self.requests = [(service, _compile(form, fill)) for service, form in REQUEST_FORMS]

    def next(self) -> tuple[str, str, str, str]:
        """(service, category, kind, title) of a one-off."""
        rnd = self.rnd
        if rnd() < REQUEST_SHARE:
            service, form = self.requests[int(rnd() * len(self.requests))]
            name, category, kind, _ = self.by_name[service]
            return name, category, kind, _render(form)
        name, category, kind, objects = self.services[int(rnd() * len(self.services))]
        if objects and rnd() < 0.5:
            obj = objects[int(rnd() * len(objects))]
        else:
            obj = (
                f"{NOISE_ADJECTIVES[int(rnd() * len(NOISE_ADJECTIVES))]} "
                f"{NOISE_NOUNS[int(rnd() * len(NOISE_NOUNS))]}"
            )
            if rnd() < 0.2:
                obj = f"{self.objects[int(rnd() * len(self.objects))]} {obj}"
        title = NOISE_FRAMES[int(rnd() * len(NOISE_FRAMES))].format(
            A=NOISE_ACTIONS[int(rnd() * len(NOISE_ACTIONS))],
            O=obj,
            X=_render(self.contexts[int(rnd() * len(self.contexts))]),
        )
        return name, category, kind, title

    def offset(self, days: int) -> float:
        """Seconds from the start: a working hour of any day."""
        rnd = self.rnd
        day = int(rnd() * days)
        return (day * 24 + HOURS[int(rnd() * len(HOURS))]) * 3600.0 + rnd() * 3600.0


def generate_sorted(n: int, **kwargs: Any) -> list[CorpusIncident]:
    """All of ``generate(n, **kwargs)`` in a list sorted by ``created_at`` (then id)."""
    return sorted(generate(n, **kwargs), key=lambda item: (item.created_at, item.id))


def truth_of(items: Iterable[CorpusIncident]) -> dict[str, int | None]:
    """Incident id → true pattern, the ``truth`` argument of ``score``."""
    return {item.id: item.pattern for item in items}


# --------------------------------------------------------------------------------- main


def main(argv: Sequence[str]) -> None:
    n = int(argv[0]) if argv else 100_000
    seed = int(argv[1]) if len(argv) > 1 else 1
    started = time.perf_counter()
    patterns: Counter[int] = Counter()
    recurring = linked = 0
    for item in generate(n, seed=seed):
        if item.pattern is not None:
            recurring += 1
            patterns[item.pattern] += 1
        linked += item.problem is not None
    elapsed = time.perf_counter() - started
    print(f"{n:,} incidents in {elapsed:.2f} s: {n / elapsed:,.0f} items/s")
    print(f"{len(patterns):,} patterns, {recurring / max(n, 1):.1%} recurring")
    print(f"{linked:,} incidents linked by agents to {len(agent_problems(n, seed=seed))} problems")
    if not patterns:
        return
    largest = patterns.most_common(1)[0][0]
    median = sorted(patterns.values())[len(patterns) // 2]
    print(f"pattern sizes: largest {patterns[largest]}, median {median}")
    sample = [item for item in generate(min(n, 20_000), seed=seed) if item.pattern is not None]
    for pattern, _ in Counter(item.pattern for item in sample).most_common(3):
        shown = [item for item in sample if item.pattern == pattern][:8]
        service = Counter(item.service for item in shown).most_common(1)[0][0]
        print(f"pattern {pattern} ({service}), from the first {min(n, 20_000):,}:")
        for item in shown:
            print(f"  {item.created_at:%Y-%m-%d %H:%M} {item.system:<10} {item.title}")
    noise = [item.title for item in generate(40, seed=seed) if item.pattern is None][:10]
    print("noise:", *(f"  {title}" for title in noise), sep="\n")


if __name__ == "__main__":
    main(sys.argv[1:])
