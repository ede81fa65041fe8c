"""Atlassian Document Format (ADF) to and from the hub's plain text.

Jira keeps descriptions and comments as ADF documents (vendor-apis.md §2.5). The hub keeps
text (``itsmhub.normalize_text``), written in a small Markdown-like dialect that both
directions share:

=====================  ===========================================
ADF                    text
=====================  ===========================================
paragraph, hardBreak   lines; blocks are separated by a blank line
heading (level n)      ``#`` × n, a space, the heading
bulletList             ``- item`` (nested lists indented by two spaces)
orderedList            ``1. item``
codeBlock              a ```` ``` ```` fence (with the language after it)
blockquote             ``> `` before each line
rule                   ``---``
text marks             ``**strong**``, ``_em_``, ```code```, ``~~strike~~``,
                       ``[text](url)`` (a bare URL when text and URL agree)
mention, emoji, card   their text (``@Grace Hopper``, ``:smile:``, the URL)
=====================  ===========================================

Anything else degrades to its text (panels, tables, expands) or to ``[attachment]``
(media). The round trip is stable: for any text, ``to_text(to_adf(text))`` is the text as
``normalize_text`` gives it, because :func:`to_adf` only builds a structure whose text
reads back exactly as it was, and falls back to plain paragraphs otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from itsmhub import normalize_text

Node = dict[str, Any]

# --- ADF → text ----------------------------------------------------------------------


def to_text(doc: Any) -> str:
    """The text of an ADF document (a plain string is taken as it is)."""
    if doc is None:
        return ""
    if isinstance(doc, str):
        return normalize_text(doc)
    if not isinstance(doc, dict):
        return ""
    return normalize_text(_blocks(doc.get("content") or []))


def _blocks(nodes: Iterable[Any]) -> str:
    rendered = (_block(n) for n in nodes if isinstance(n, dict))
    return "\n\n".join(text for text in rendered if text)


def _block(node: Node) -> str:
    kind = node.get("type")
    content = node.get("content") or []
    attrs = node.get("attrs") or {}
    if kind == "paragraph":
        return _inline(content)
    if kind == "heading":
        level = attrs.get("level") if isinstance(attrs.get("level"), int) else 1
        text = _inline(content)
        return f"{'#' * max(1, min(6, level))} {text}" if text else ""
    if kind in ("bulletList", "orderedList"):
        return "\n".join(_list(node, 0))
    if kind == "codeBlock":
        language = attrs.get("language") or ""
        code = "".join(str(n.get("text", "")) for n in content if isinstance(n, dict))
        return f"```{language}\n{code}\n```" if code else f"```{language}\n```"
    if kind == "blockquote":
        inner = _blocks(content)
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if kind == "rule":
        return "---"
    if kind in ("mediaSingle", "mediaGroup", "media"):
        return "[attachment]"
    if kind == "table":
        return "\n".join(_row(row) for row in content if isinstance(row, dict))
    if kind in ("expand", "nestedExpand") and attrs.get("title"):
        return "\n\n".join(t for t in (str(attrs["title"]), _blocks(content)) if t)
    # panels, decision and task lists, layouts and unknown blocks: what they contain
    return (
        _blocks(content)
        if any("content" in n for n in content if isinstance(n, dict))
        else (_inline(content))
    )


def _row(row: Node) -> str:
    cells = [_blocks(cell.get("content") or []) for cell in row.get("content") or []]
    return " | ".join(cell.replace("\n", " ") for cell in cells)


def _list(node: Node, depth: int) -> list[str]:
    lines: list[str] = []
    ordered = node.get("type") == "orderedList"
    start = (node.get("attrs") or {}).get("order", 1)
    number = start if isinstance(start, int) else 1
    indent = "  " * depth
    for item in node.get("content") or []:
        if not isinstance(item, dict):
            continue
        marker = f"{number}." if ordered else "-"
        number += 1
        first = True
        for child in item.get("content") or []:
            if not isinstance(child, dict):
                continue
            if child.get("type") in ("bulletList", "orderedList"):
                if first:
                    lines.append(f"{indent}{marker}")
                    first = False
                lines += _list(child, depth + 1)
                continue
            text = _block(child)
            for line in text.split("\n") if text else [""]:
                lines.append(f"{indent}{marker} {line}" if first else f"{indent}  {line}")
                first = False
        if first:
            lines.append(f"{indent}{marker}")
    return lines


def _inline(nodes: Iterable[Any]) -> str:
    return "".join(_inline_node(n) for n in nodes if isinstance(n, dict))


def _inline_node(node: Node) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return _marked(str(node.get("text", "")), node.get("marks") or [])
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        text = str(attrs.get("text") or "")
        return text if text.startswith("@") else f"@{text or attrs.get('id', 'someone')}"
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return str(attrs.get("url") or "")
    if kind == "date" and str(attrs.get("timestamp", "")).isdigit():
        stamp = datetime.fromtimestamp(int(attrs["timestamp"]) / 1000, UTC)
        return stamp.strftime("%Y-%m-%d")
    if kind == "status":
        return str(attrs.get("text") or "")
    return _inline(node.get("content") or [])


def _marked(text: str, marks: list[Any]) -> str:
    kinds = {m.get("type"): m.get("attrs") or {} for m in marks if isinstance(m, dict)}
    if not text:
        return ""
    if "code" in kinds:
        text = f"`{text}`"
    else:
        if "strike" in kinds:
            text = f"~~{text}~~"
        if "em" in kinds:
            text = f"_{text}_"
        if "strong" in kinds:
            text = f"**{text}**"
    href = kinds.get("link", {}).get("href") if "link" in kinds else None
    if href:
        return text if text == href else f"[{text}]({href})"
    return text


# --- text → ADF ----------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6}) (\S.*)$")
_ITEM = re.compile(r"^(?P<indent>(?:  )*)(?P<marker>-|\d{1,9}\.)(?: (?P<text>.*))?$")
_FENCE = re.compile(r"^```([^`\s]*)$")
_INLINE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<href>https?://[^\s)]+)\)"
    r"|(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)\]])"
    r"|\*\*(?P<strong>\S(?:[^\n]*?\S)?)\*\*"
    r"|~~(?P<strike>\S(?:[^\n]*?\S)?)~~"
    r"|(?<![\w_])_(?P<em>[^\s_](?:[^\n_]*?[^\s_])?)_(?![\w_])"
)


def to_adf(text: str) -> Node:
    """An ADF document for ``text`` (``{"type":"doc","version":1,"content":[…]}``)."""
    content: list[Node] = []
    for kind, lines in _split(normalize_text(text).split("\n")):
        content.append(_code(lines) if kind == "code" else _block_of(lines))
    return {"type": "doc", "version": 1, "content": content}


def _split(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Blocks of lines: fenced code blocks (which may hold blank lines) and the rest,
    separated by blank lines."""
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not current and _FENCE.match(line):
            end = _fence_end(lines, index)
            # A fence around one blank line would read back without it (ADF has no
            # empty text): such a block stays text.
            if end is not None and (end == index + 1 or "\n".join(lines[index + 1 : end])):
                blocks.append(("code", lines[index : end + 1]))
                index = end + 2  # past the closing fence and the blank line after it
                continue
        if line == "":
            if current:
                blocks.append(("text", current))
            current = []
        else:
            current.append(line)
        index += 1
    if current:
        blocks.append(("text", current))
    return blocks


def _fence_end(lines: list[str], start: int) -> int | None:
    """The closing fence of a code block opened at ``start``, if the block ends there
    (the closing fence is followed by a blank line or the end of the text)."""
    for index in range(start + 1, len(lines)):
        if lines[index] == "```":
            after = lines[index + 1] if index + 1 < len(lines) else ""
            return index if after == "" else None
    return None


def _code(lines: list[str]) -> Node:
    language = _FENCE.match(lines[0])[1]  # type: ignore[index]
    code = "\n".join(lines[1:-1])
    node: Node = {"type": "codeBlock"}
    if language:
        node["attrs"] = {"language": language}
    if code:
        node["content"] = [{"type": "text", "text": code}]
    return node


def _block_of(lines: list[str]) -> Node:
    """The richest block whose text reads back as ``lines``; a paragraph otherwise."""
    original = "\n".join(lines)
    for build in (_heading, _rule, _list_block, _quote):
        node = build(lines)
        if node is not None and _block(node) == original:
            return node
    return _paragraph(lines)


def _paragraph(lines: list[str]) -> Node:
    content: list[Node] = []
    for number, line in enumerate(lines):
        if number:
            content.append({"type": "hardBreak"})
        content += _inline_nodes(line)
    return {"type": "paragraph", "content": content} if content else {"type": "paragraph"}


def _heading(lines: list[str]) -> Node | None:
    match = _HEADING.match(lines[0]) if len(lines) == 1 else None
    if match is None:
        return None
    return {
        "type": "heading",
        "attrs": {"level": len(match[1])},
        "content": _inline_nodes(match[2]),
    }


def _rule(lines: list[str]) -> Node | None:
    return {"type": "rule"} if lines == ["---"] else None


def _quote(lines: list[str]) -> Node | None:
    if not all(line == ">" or line.startswith("> ") for line in lines):
        return None
    inner = "\n".join(line[2:] for line in lines)
    content = to_adf(inner)["content"]
    return {"type": "blockquote", "content": content} if content else None


def _list_block(lines: list[str]) -> Node | None:
    items = [_ITEM.match(line) for line in lines]
    if not all(items):
        return None
    parsed = [(len(m["indent"]) // 2, m["marker"], m["text"] or "") for m in items if m]
    node, used = _list_at(parsed, 0, 0)
    return node if node is not None and used == len(parsed) else None


def _list_at(items: list[tuple[int, str, str]], start: int, depth: int) -> tuple[Node | None, int]:
    """A list of the items at ``depth`` from ``start``, with deeper items nested in the
    item before them; returns the list and where it ended."""
    if start >= len(items) or items[start][0] != depth:
        return None, start
    ordered = items[start][1] != "-"
    node: Node = {"type": "orderedList" if ordered else "bulletList", "content": []}
    if ordered:
        node["attrs"] = {"order": int(items[start][1][:-1])}
    index = start
    while index < len(items) and items[index][0] == depth:
        _, marker, text = items[index]
        if (marker != "-") != ordered:
            return None, index
        item: Node = {"type": "listItem", "content": [_paragraph([text])] if text else []}
        index += 1
        if index < len(items) and items[index][0] == depth + 1:
            nested, index = _list_at(items, index, depth + 1)
            if nested is None:
                return None, index
            item["content"].append(nested)
        if not item["content"]:
            item["content"] = [{"type": "paragraph"}]
        node["content"].append(item)
    return node, index


def _inline_nodes(line: str) -> list[Node]:
    """Text nodes (with marks) for one line; plain text if the marks would not read back."""
    nodes: list[Node] = []
    position = 0
    for match in _INLINE.finditer(line):
        if match.start() > position:
            nodes.append({"type": "text", "text": line[position : match.start()]})
        nodes.append(_marked_node(match))
        position = match.end()
    if position < len(line):
        nodes.append({"type": "text", "text": line[position:]})
    if _inline(nodes) != line:
        return [{"type": "text", "text": line}] if line else []
    return nodes


def _marked_node(match: re.Match[str]) -> Node:
    if match["code"] is not None:
        return {"type": "text", "text": match["code"], "marks": [{"type": "code"}]}
    if match["label"] is not None:
        link = {"type": "link", "attrs": {"href": match["href"]}}
        return {"type": "text", "text": match["label"], "marks": [link]}
    if match["url"] is not None:
        link = {"type": "link", "attrs": {"href": match["url"]}}
        return {"type": "text", "text": match["url"], "marks": [link]}
    for mark in ("strong", "strike", "em"):
        if match[mark] is not None:
            return {"type": "text", "text": match[mark], "marks": [{"type": mark}]}
    raise AssertionError("unreachable: every alternative of _INLINE is handled")


__all__ = ["to_adf", "to_text"]
