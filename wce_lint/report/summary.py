"""The closing lines of a human-readable run: ruff's summary line and its ``--statistics`` table."""

from __future__ import annotations

import json
from collections import Counter
from typing import Sequence, TextIO

from wce_lint.diagnostics import Diagnostic
from wce_lint.report.base import is_safe_fix


def summary_line(diagnostics: Sequence[Diagnostic]) -> str:
    """``Found 3 errors.`` or ``All checks passed!``, as ruff words them."""
    count = len(diagnostics)
    if count == 0:
        return "All checks passed!"
    return f"Found {count} error{'s' if count != 1 else ''}."


def fixable_line(diagnostics: Sequence[Diagnostic]) -> str | None:
    """Ruff's ``[*] N fixable with the `--fix` option.``, and how many more ``--unsafe-fixes`` would apply."""
    safe = sum(1 for d in diagnostics if is_safe_fix(d))
    unsafe = sum(1 for d in diagnostics if d.fix is not None and not is_safe_fix(d))
    parts = []
    if safe:
        parts.append(f"[*] {safe} fixable with the `--fix` option.")
    if unsafe:
        parts.append(f"({unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the "
                     "`--unsafe-fixes` option.)")
    return " ".join(parts) or None


def statistics(diagnostics: Sequence[Diagnostic]) -> list[dict[str, object]]:
    """One row per code, most frequent first (ties by code), like ``ruff check --statistics``."""
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.rule for d in diagnostics}
    fixable = {d.code for d in diagnostics if is_safe_fix(d)}
    return [
        {"code": code, "name": names[code], "count": count, "fixable": code in fixable}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def render_statistics(diagnostics: Sequence[Diagnostic], out: TextIO, *, as_json: bool) -> None:
    rows = statistics(diagnostics)
    if as_json:
        json.dump(rows, out, indent=2)
        out.write("\n")
        return
    if not rows:
        return
    count_width = max(len(str(row["count"])) for row in rows)
    code_width = max(len(str(row["code"])) for row in rows)
    for row in rows:
        marker = "[*]" if row["fixable"] else "[ ]"
        out.write(f"{row['count']:>{count_width}}\t{row['code']:<{code_width}}\t{marker} {row['name']}\n")
