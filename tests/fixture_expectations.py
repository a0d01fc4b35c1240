"""Reading the inline expectations of fixture files.

``# expect: WCE101`` (or ``# expect: WCE101 col=12, WCE203``) on the line of a finding; ``# xfail: WCE101``
records a known false negative (the finding must still be absent: when it starts to fire, promote it);
a file expecting nothing says so with ``# expect: nothing``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_EXPECT = re.compile(r"#\s*(expect|xfail):\s*(?P<body>[^#]*)")
_ITEM = re.compile(r"(?P<code>WCE\d{3})(?:\s+col=(?P<col>\d+))?")


@dataclass(frozen=True)
class Expectation:
    code: str
    line: int
    column: int | None  # 1-based, as users see it


def read_expectations(path: Path) -> tuple[set[Expectation], set[Expectation], bool]:
    """(expected findings, known false negatives, whether the file says it expects nothing)."""
    return text_expectations(path.read_text(encoding="utf-8", errors="replace"))


def text_expectations(text: str) -> tuple[set[Expectation], set[Expectation], bool]:
    """``read_expectations`` for a text (e.g. a notebook cell's source), lines counted from 1."""
    expected: set[Expectation] = set()
    xfails: set[Expectation] = set()
    nothing = False
    for number, line in enumerate(text.splitlines(), 1):
        for match in _EXPECT.finditer(line):
            body = match.group("body").strip()
            if body.lower().startswith("nothing"):
                nothing = True
                continue
            target = expected if match.group(1) == "expect" else xfails
            for item in _ITEM.finditer(body):
                column = int(item.group("col")) if item.group("col") else None
                target.add(Expectation(item.group("code"), number, column))
    return expected, xfails, nothing
