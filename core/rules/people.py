"""People the hub knows, masked in ticket text like hosts and numbers.

"Calendar not syncing for jdoe" and "… for asmith" are one complaint; the name only says
who hit it. Logins and e-mail local parts of the people the hub knows (reporters and
assignees of tickets, and Person records from the directory) become ``_user_``.

Only whole handles known to the hub are masked, never a guess from the shape of a word:
"mark" is a word unless someone's login is "mark".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..model import AnyRecordType, Person
from ..model.records import Ticket
from ..model.values import PersonRef

#: A word that may be a handle: letters, digits, dots, dashes, underscores, plus.
_HANDLE = re.compile(r"[\w.+-]+")
_EDGES = ".-+_"
#: What ``word.strip(_EDGES)`` leaves of each ``_HANDLE`` word: from its first letter or
#: digit to its last.
_CORE = re.compile(r"[^\W_](?:[\w.+-]*[^\W_])?")
#: Shorter handles ("it", "ab") are too likely to be words.
MIN_LENGTH = 3
PLACEHOLDER = " _user_ "


def handles_of(email: str | None, login: str | None = None) -> set[str]:
    """The handles a person is written as: their login and their e-mail's local part."""
    found: set[str] = set()
    if email and "@" in email:
        found.add(email.split("@", 1)[0].casefold())
    if login:
        # Directory logins are sometimes whole addresses or DOMAIN\\user.
        found.add(login.rsplit("\\", 1)[-1].split("@", 1)[0].casefold())
    return {h for h in found if len(h) >= MIN_LENGTH}


def handles_of_record(record: AnyRecordType) -> set[str]:
    """The handles a record names: a Person's own, a ticket's reporter's and assignee's."""
    if isinstance(record, Person):
        return handles_of(record.email, record.login)
    if isinstance(record, Ticket):
        people: Iterable[PersonRef | None] = (record.reporter, record.assignee)
        return {h for p in people if p is not None for h in handles_of(p.email)}
    return set()


class People:
    """A set of known handles, and the masking of them in text."""

    def __init__(self, handles: Iterable[str] = ()) -> None:
        self.handles: set[str] = set(handles)

    def __len__(self) -> int:
        return len(self.handles)

    def learn(self, handles: Iterable[str]) -> None:
        self.handles.update(handles)

    def mask(self, text: str, extra: set[str] | frozenset[str] = frozenset()) -> str:
        """``text`` with every known handle (and those in ``extra``) as ``_user_``."""
        known = self.handles
        if not known and not extra:
            return text
        # Most texts name nobody the hub knows: find out in C before a call per word.
        cores = _folded_cores(text)
        if known.isdisjoint(cores) and (not extra or extra.isdisjoint(cores)):
            return text

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            core = word.strip(_EDGES).casefold()
            if core in known or core in extra:
                return word.replace(word.strip(_EDGES), PLACEHOLDER)
            return word

        return _HANDLE.sub(replace, text)


def words_that_may_be_handles(text: str) -> set[str]:
    """The words of ``text`` that could be someone's handle (what to look up)."""
    return {w for w in _folded_cores(text) if len(w) >= MIN_LENGTH}


def _folded_cores(text: str) -> list[str]:
    """Every ``_HANDLE`` word of ``text`` as a handle is compared: edges stripped, folded."""
    if text.isascii():
        return _CORE.findall(text.casefold())
    # Folding all of a non-ASCII text could add marks that end a word: "İ" → "i̇".
    return [core.casefold() for core in _CORE.findall(text)]
