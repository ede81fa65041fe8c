"""Service requests filed as incidents: tickets that ask for something, not report a fault.

Problem management looks for the causes of failures. A help desk also files requests as
incidents: "Install Stata on my PC", "Access to the Finance share", "question about the
room speakerphone". Many alike requests, even the same one word for word, are no
recurring fault, so the recurrence rule leaves them out.

A title *asks* when one of its clauses (the title, or what follows a ":" or " - ", past
tags such as "Re:" or "[Berlin]") opens with a request: a verb of the service catalogue
("install", "set up", "order", "reset"…), a need ("need", "please", "can you") or a
question ("how do I", "question"). It *reports a failure* when it holds a symptom: a
negation ("not", "can't", "never") or a word that says something went wrong ("fails",
"error", "slow", "stuck"…). A ticket is a request when it asks and reports no failure:
"please install Zoom" is one, "please help, Zoom crashes" is not, and a title that only
describes ("files show a red cross in Explorer") is no request either.

The words are general English of service desks, not any one company's; a rule adds its
own (``request_words``, ``symptom_words``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Negations: "does not sync", "can't connect", "no sound", "never arrives".
NEGATIONS = (
    "not", "no", "never", "nothing", "none", "nobody", "cannot", "unable", "without", "cant",
    "wont", "dont", "doesnt", "isnt", "didnt", "couldnt", "wasnt", "arent", "havent",
)  # fmt: skip
#: Stems of words that say something went wrong, each at the start of a word ("fail":
#: "fails", "failed", "failure"); a stem ending in "$" is a whole word only ("down", not
#: "download").
FAILURE_STEMS = (
    # breaking and stopping
    "fail", "error", "err$", "crash", "broke", "break", "down$", "dead", "die$", "dies$",
    "stop$", "stops$", "stopped", "stuck", "freez", "frozen", "hang$", "hangs$", "hung$",
    "abort", "collaps", "bug$", "bugs$", "fault", "defect", "problem", "issue$", "issues$",
    "trouble", "outage", "corrupt", "damag", "crack", "malfunction", "glitch",
    "regression", "unexpected", "shut down", "shuts down", "shutdown", "quits", "locks up",
    # slowness and instability
    "slow", "sluggish", "lag$", "laggy", "latency", "crawl", "delay", "behind$",
    "forever$", "ages$", "poor", "timeout", "time out", "times out", "timed out",
    "intermittent", "flaky", "unstable", "unusable", "unresponsive", "responding",
    "random", "repeated", "constant", "keeps", "loop", "pending", "skew",
    # connection and access
    "drop$", "drops$", "dropped", "dropping", "disconnect", "offline",
    "unreachable", "unavailable", "inaccessible", "lost", "lose$", "loses", "losing",
    "loss$", "missing", "gone$", "vanish", "disappear", "denied", "deny", "denies",
    "refus", "reject", "block", "forbidden", "locked", "lockout", "expir", "invalid",
    "revoked", "kicked", "logged out", "logs out", "ignor",
    # wrong results
    "wrong", "incorrect", "empty", "blank", "black$", "white screen", "duplicat", "twice",
    "mismatch", "garbled", "bounce", "undeliver", "warning", "exceed", "full$", "quota",
    "leak",
    # devices
    "jam$", "jams$", "jammed", "jamming", "flicker", "overheat", "hot$", "noise", "noisy",
    "loud", "drain", "faded", "low$", "dump$", "bsod", "bluescreen", "blue screen",
)  # fmt: skip


#: How a request opens: catalogue verbs, needs, questions (whole words).
REQUEST_OPENINGS = (
    # the service catalogue's verbs
    "install", "uninstall", "reinstall", "set up", "setup", "configure", "create", "add",
    "remove", "delete", "rename", "move", "copy", "change", "update", "upgrade", "order",
    "replace", "return", "book", "cancel", "reset", "unlock", "extend", "transfer",
    "archive", "migrate", "merge", "export", "import", "approve", "sign", "share",
    "restore", "recover", "provide", "grant", "give", "enable", "disable", "renew", "buy",
    "purchase", "assign", "activate", "register", "schedule", "prepare", "clean up",
    "check", "review", "fix", "make", "send", "scan", "translate", "duplicate",
    "hide", "publish", "download", "upload", "convert", "join",
    # needs and wishes
    "need", "please", "pls", "kindly", "request", "requesting",
    "requested", "want", "would like", "i would like", "i'd like", "looking for",
    "access to", "access for", "permission", "permissions", "licence for", "license for",
    "quote for", "new", "another", "additional", "extra",
    # questions
    "question", "query", "how", "what", "where", "when", "who", "which", "why", "can i",
    "could i", "can you", "could you", "can we", "is it possible", "info", "information",
)  # fmt: skip
#: What may stand before a title's first clause and says nothing of it: reply and
#: forward marks, tags in brackets, urgency and priority marks.
_TAGS = re.compile(
    r"^(?:\s*(?:(?:re|fw|fwd|aw|wg|sv)\s*:|\[[^\]]*\]|\(?urgent\)?\b|\bp[1-5]\b|"
    r"asap\b|important\b|help\b)\s*[:\-–]?\s*)+",
    re.IGNORECASE,
)
#: A plea for help with a fault ("Outlook crashes - please help") asks for nothing.
_PLEA = re.compile(r"\b(?:please\s+help|help\s+please)\b", re.IGNORECASE)
#: Where a clause starts inside a title: after a colon, or a dash between spaces.
_CLAUSES = re.compile(r":\s+|\s[-–]\s")


_WORD = re.compile(r"[a-z]+")
#: What may stand around a clause's first word: punctuation, quotes.
_EDGE = ".,;!?'\"()[]{}"


def _phrases(words: Iterable[str]) -> dict[int, frozenset[str]]:
    """Phrases by their number of words, casefolded, single spaces."""
    by_size: dict[int, set[str]] = {}
    for phrase in words:
        parts = phrase.casefold().replace("'", "").split()
        if parts:
            by_size.setdefault(len(parts), set()).add(" ".join(parts))
    return {size: frozenset(found) for size, found in sorted(by_size.items())}


class Requests:
    """Which titles ask for something rather than report a failure (see the module).

    Set lookups over a title's words, not one regular expression of every word: a
    million titles a dry-run, at a few microseconds each."""

    def __init__(self, request_words: Iterable[str] = (), symptom_words: Iterable[str] = ()):
        self._openings = _phrases([*REQUEST_OPENINGS, *request_words])
        self._first_words = frozenset(
            phrase.split()[0] for phrases in self._openings.values() for phrase in phrases
        )
        stems = [*FAILURE_STEMS, *symptom_words]
        phrases = _phrases(w.removesuffix("$") for w in stems if " " in w.strip())
        self._symptom_phrases = {size: words for size, words in phrases.items() if size > 1}
        single = [w.casefold().strip() for w in stems if " " not in w.strip()]
        self._whole = frozenset(
            [*NEGATIONS, *(w.removesuffix("$") for w in single if w.endswith("$"))]
        )
        stems = sorted(w for w in single if not w.endswith("$"))
        #: Stems by their first letters: most words' first letters begin none.
        self._lead = min((len(w) for w in stems), default=1)
        self._by_lead: dict[str, tuple[str, ...]] = {}
        for stem in stems:
            lead = stem[: self._lead]
            self._by_lead[lead] = (*self._by_lead.get(lead, ()), stem)

    def reports_failure(self, title: str) -> bool:
        """Whether the title names a symptom of something that went wrong."""
        return self._fails(_words(title))

    def asks(self, title: str) -> bool:
        """Whether one of the title's clauses opens with a request."""
        return self._asks(title)

    def is_request(self, title: str) -> bool:
        """Whether the ticket asks for something and reports no failure."""
        words = _words(title)
        # No clause can open with a request if no word of the title may open one.
        if self._first_words.isdisjoint(words):
            return False
        return not self._fails(words) and self._asks(title)

    def _fails(self, words: list[str]) -> bool:
        whole, by_lead, lead = self._whole, self._by_lead, self._lead
        for word in words:
            if word in whole:
                return True
            candidates = by_lead.get(word[:lead])
            if candidates is not None and word.startswith(candidates):
                return True
        for size, phrases in self._symptom_phrases.items():
            for start in range(len(words) - size + 1):
                if " ".join(words[start : start + size]) in phrases:
                    return True
        return False

    def _asks(self, title: str) -> bool:
        text = _TAGS.sub("", title.replace("’", "'"), count=1).casefold()
        if "help" in text:
            text = _PLEA.sub("", text)
        for clause in _CLAUSES.split(text):
            words = [w.strip(_EDGE).replace("'", "") for w in clause.split(None, 4)[:4]]
            for size, phrases in self._openings.items():
                if len(words) >= size and " ".join(words[:size]) in phrases:
                    return True
        return False


def _words(title: str) -> list[str]:
    """The title's words, casefolded, without apostrophes ("can't": "cant")."""
    return _WORD.findall(title.casefold().replace("'", "").replace("’", ""))
