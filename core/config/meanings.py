"""What rule keys mean, for the configuration reference, where a settings field carries
no description of its own. A field's own ``description`` wins; ``(rule type, key)``
entries win over the key alone (``window`` means something else in each rule type).
"""

from __future__ import annotations

_WHEN = (
    "conditions: `field = value`, `field = [a, b]`, or a table of tests (see above); "
    "every one must hold"
)

BY_KEY: dict[str, str] = {
    "enabled": "false keeps the rule in the config but switches it off",
    "description": "what the rule is for, in words (shown by `itsmhub rules explain`)",
    "when": _WHEN,
    "create_in": "the connector the problem is opened in",
    "target": "fields of the record opened in create_in (e.g. a Jira project or issue type)",
}

BY_RULE: dict[tuple[str, str], str] = {
    ("routing", "kinds"): "the record kinds that are copied",
    ("routing", "when"): f"which records are copied; {_WHEN}",
    ("linking", "method"): "native: the tools' own links; references: keys and URLs in "
    "text; same_field: equal fields within the window; similar_title: titles at least "
    "threshold alike within the window",
    ("linking", "kinds"): "the record kinds it links",
    ("linking", "link_kind"): "the kind of link it writes",
    ("linking", "window"): "how far apart two tickets may be opened to be linked",
    ("linking", "when"): f"which tickets it considers; {_WHEN}",
    ("recurrence", "when"): f"which incidents count; {_WHEN}",
    ("recurrence", "window"): "the span within which threshold incidents make a pattern",
    ("follow_up", "trigger"): "what opens a problem: a major incident resolved without a "
    "root cause, an incident resolved with a workaround, or a tag",
    ("follow_up", "when"): f"which incidents it considers; {_WHEN}",
    ("known_error_feedback", "similarity"): "how alike an incident's title must be to the "
    "known error's, 0–1",
    ("known_error_feedback", "window"): "incidents opened this long ago or later are matched",
}


def meaning(rule_type: str | None, key: str) -> str:
    """The meaning of ``key`` in a ``[rules.<name>]`` table of ``rule_type``, or ``""``."""
    head = key.split(".", 1)[0]
    return BY_RULE.get((rule_type or "", head)) or BY_KEY.get(head, "")
