"""Lint files twice — LibCST given only the statements that can matter, and given the whole file — and say
where the results differ (codes, positions, messages, related locations, fixes, internal errors)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from wce_lint.engine import WHOLE_FILE_VARIABLE, lint_source
from wce_lint.fixes import fix_source
from wce_lint.settings import Settings


@contextmanager
def whole_files(whole: bool) -> Iterator[None]:
    previous = os.environ.get(WHOLE_FILE_VARIABLE)
    os.environ[WHOLE_FILE_VARIABLE] = "1" if whole else "0"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[WHOLE_FILE_VARIABLE]
        else:
            os.environ[WHOLE_FILE_VARIABLE] = previous


def differences(path: Path, settings: Settings, *, fixes: bool = True) -> list[str]:
    """What differs between the two ways of linting ``path`` (empty: identical)."""
    data = path.read_bytes()
    results = {}
    for whole in (True, False):
        with whole_files(whole):
            lint = lint_source(data, str(path), settings)
            fixed = fix_source(data, str(path), settings, unsafe=True) if fixes and lint.diagnostics else None
        results[whole] = (lint, fixed)
    (whole_lint, whole_fix), (subset_lint, subset_fix) = results[True], results[False]
    found = []
    if whole_lint.diagnostics != subset_lint.diagnostics:
        only_whole = [d for d in whole_lint.diagnostics if d not in subset_lint.diagnostics]
        only_subset = [d for d in subset_lint.diagnostics if d not in whole_lint.diagnostics]
        found.append(f"{path}: findings differ; whole file only: {only_whole}; subset only: {only_subset}")
    if whole_lint.internal_errors != subset_lint.internal_errors:
        found.append(f"{path}: internal errors differ: {whole_lint.internal_errors} vs {subset_lint.internal_errors}")
    if whole_lint.parsed != subset_lint.parsed:
        found.append(f"{path}: parsed {whole_lint.parsed} vs {subset_lint.parsed}")
    if whole_fix is not None and subset_fix is not None:
        if whole_fix.fixed != subset_fix.fixed or whole_fix.diagnostics != subset_fix.diagnostics:
            found.append(f"{path}: --fix gives other bytes or other remaining findings")
    return found
