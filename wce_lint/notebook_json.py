"""A notebook's JSON text: where each cell's ``source`` is, where a character of a source lies in the text,
and replacing sources token by token so that every other byte stays as it was.

The text has been accepted by ``json.loads`` before anything here runs: the scanner only follows the
structure (strings, brackets, commas, colons) and resolves a repeated key as ``json`` does, the last one
winning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any


@dataclass
class SourceToken:
    """Where a cell's ``source`` value lies in the JSON text: the whole value, and each string in it."""

    start: int
    end: int
    strings: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of each string token
    is_list: bool = False


def text_position(text: str, token: SourceToken, source: str, line: int, column: int) -> tuple[int, int] | None:
    """Where character ``column`` of line ``line`` (1-based) of ``source`` lies in ``text``: (1-based line,
    0-based column); escapes such as ``\\"`` or ``\\u00e9`` before it count with their full width."""
    if not token.strings:
        return None
    starts = _line_offsets(source)
    offset = starts[min(max(line, 1), len(starts)) - 1] + max(column, 0)
    consumed = 0
    for number, (start, end) in enumerate(token.strings):
        length = len(json.loads(text[start:end]))
        if offset < consumed + length or number == len(token.strings) - 1:
            raw = _raw_offset(text, start, end, offset - consumed)
            return text.count("\n", 0, raw) + 1, raw - (text.rfind("\n", 0, raw) + 1)
        consumed += length
    return None


def replace_sources(text: str, tokens: dict[int, SourceToken], sources: dict[int, str]) -> str:
    """``text`` with the ``source`` of each cell (1-based) in ``sources`` replaced; raises AssertionError if
    the result would decode to anything but the same document with those sources."""
    ensure_ascii = _writes_ascii_escapes(text)
    replacements = [
        (tokens[index].start, tokens[index].end, _source_json(text, tokens[index], source, ensure_ascii))
        for index, source in sources.items()
    ]
    written = text
    for start, end, content in sorted(replacements, reverse=True):
        written = written[:start] + content + written[end:]
    _check_only_sources_changed(text, written, sources)
    return written


def _source_json(text: str, token: SourceToken, source: str, ensure_ascii: bool) -> str:
    if not token.is_list:
        return json.dumps(source, ensure_ascii=ensure_ascii)
    old_tokens = [text[start:end] for start, end in token.strings]
    old = [json.loads(raw) for raw in old_tokens]
    new = re.findall(r"[^\n]*\n|[^\n]+$", source)  # lines with their "\n", as Jupyter writes them
    if not old_tokens:
        return "[" + ", ".join(json.dumps(line, ensure_ascii=ensure_ascii) for line in new) + "]"
    # The list keeps its layout: the whitespace after `[`, between items and before `]` is copied.
    opening = text[token.start + 1 : token.strings[0][0]]
    closing = text[token.strings[-1][1] : token.end - 1]
    separator = text[token.strings[0][1] : token.strings[1][0]] if len(old_tokens) > 1 else "," + opening
    pieces: list[str] = []
    for tag, old_start, old_end, new_start, new_end in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.extend(old_tokens[old_start:old_end])  # unchanged lines keep their exact escapes
        else:
            pieces.extend(json.dumps(line, ensure_ascii=ensure_ascii) for line in new[new_start:new_end])
    if not pieces:
        return "[]"
    return "[" + opening + separator.join(pieces) + closing + "]"


def _check_only_sources_changed(text: str, written_text: str, sources: dict[int, str]) -> None:
    written = json.loads(written_text.lstrip("\ufeff"))
    before = json.loads(text.lstrip("\ufeff"))
    for index, source in sources.items():
        cell = written["cells"][index - 1]
        value = cell["source"]
        if ("".join(value) if isinstance(value, list) else value) != source:
            raise AssertionError(f"cell {index}: the written source is not the fixed one")
        cell["source"] = before["cells"][index - 1]["source"] = None
    if written != before:
        raise AssertionError("writing the fixed sources changed another part of the notebook")


_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


def scan_sources(text: str) -> dict[int, SourceToken]:
    """The span of each cell's ``source`` value (cell numbers 1-based), from the JSON tokens. The text was
    accepted by ``json.loads`` already, so only the structure is followed; a repeated key is resolved as
    ``json`` does (the last one wins)."""
    found: dict[int, SourceToken] = {}
    # Each frame: [kind, key or index of the child being read, expecting a key, path of the container].
    stack: list[list[Any]] = []
    current: SourceToken | None = None
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if not stack:
            if token == "{":
                stack.append(["{", None, True, ()])
            continue
        frame = stack[-1]
        kind = frame[0]
        if token in "{[":
            path = (*frame[3], frame[1])
            if _is_source_path(path) and token == "[":
                current = found[path[1] + 1] = SourceToken(match.start(), -1, is_list=True)
            stack.append([token, None if token == "{" else 0, token == "{", path])
        elif token in "}]":
            stack.pop()
            if token == "]" and current is not None and _is_source_path(frame[3]):
                current.end = match.end()
                current = None
        elif token == ":":
            frame[2] = False
        elif token == ",":
            if kind == "{":
                frame[2] = True
            else:
                frame[1] += 1
        elif kind == "{" and frame[2]:
            frame[1] = json.loads(token)
            if frame[3] == () and frame[1] == "cells":
                found.clear()  # a repeated "cells" key: only the last counts
        else:
            path = (*frame[3], frame[1])
            if _is_source_path(path) and token.startswith('"'):
                found[path[1] + 1] = SourceToken(match.start(), match.end(), [(match.start(), match.end())])
            elif kind == "[" and current is not None and _is_source_path(frame[3]) and token.startswith('"'):
                current.strings.append((match.start(), match.end()))
    return found


def _is_source_path(path: tuple[Any, ...]) -> bool:
    return len(path) == 3 and path[0] == "cells" and isinstance(path[1], int) and path[2] == "source"


def _raw_offset(text: str, start: int, end: int, characters: int) -> int:
    """The offset in ``text`` of the ``characters``-th decoded character of the JSON string token
    ``text[start:end]`` (escapes count as the one character they stand for)."""
    position, seen = start + 1, 0
    while position < end - 1 and seen < characters:
        if text[position] == "\\":
            if text[position + 1] == "u":
                code = int(text[position + 2 : position + 6], 16)
                following = text[position + 6 : position + 8]
                position += 12 if 0xD800 <= code < 0xDC00 and following == "\\u" else 6
            else:
                position += 2
        else:
            position += 1
        seen += 1
    return position


def _writes_ascii_escapes(text: str) -> bool:
    """Whether the notebook's writer escaped non-ASCII characters (``\\u00e9``) rather than writing them."""
    if any(ord(char) > 127 for char in text.lstrip("\ufeff")):
        return False
    return re.search(r"\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F])[0-9a-fA-F]{2}", text) is not None


def _line_offsets(text: str) -> list[int]:
    return [0, *(match.end() for match in re.finditer(r"\r\n|\r|\n", text))]
