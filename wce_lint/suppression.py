"""``# noqa`` comments: blanket (``# noqa``) or by code or rule name (``# noqa: WCE101, negative-pos-weight``)."""

from __future__ import annotations

import re
from typing import Sequence

from wce_lint.selection import rule_for

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[\w\-]+(?:[\s,]+[\w\-]+)*))?", re.IGNORECASE)

ALL = frozenset({"*"})


def noqa_codes(line: str) -> frozenset[str] | None:
    """What a line's noqa comment suppresses: ``ALL``, a set of codes, or None when it has none."""
    match = _NOQA.search(line)
    if match is None:
        return None
    listed = match.group("codes")
    if not listed:
        return ALL
    codes = set()
    for item in re.split(r"[\s,]+", listed.strip()):
        rule = rule_for(item)
        codes.add(rule.code if rule else item.upper())
    return frozenset(codes)


def is_suppressed(code: str, lines: Sequence[str], first_line: int, last_line: int) -> bool:
    """True when any line of the finding's logical line (1-based, inclusive) has a matching noqa."""
    for number in range(first_line, min(last_line, len(lines)) + 1):
        codes = noqa_codes(lines[number - 1])
        if codes is not None and (codes is ALL or code in codes):
            return True
    return False
