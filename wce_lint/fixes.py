"""Applying fixes: text splices at the edits' positions, all fixes of a file together, verified by a
re-parse, repeated until nothing changes, and written atomically.

A file is only written when its text changed and the result parses; the bytes outside the edited spans are
kept as they were (line endings and encoding included).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from wce_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position
from wce_lint.settings import Settings
from wce_lint.source import UnreadableSource, decode

MAX_PASSES = 10  # fixes may enable others (ruff iterates too); stop if they never converge


@dataclass
class FixResult:
    original: bytes
    fixed: bytes
    diagnostics: list[Diagnostic] = field(default_factory=list)  # what remains after fixing
    fixed_count: int = 0
    internal_errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def is_applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability == Applicability.SAFE)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    index = 0
    while True:
        # LibCST counts "\r\n", "\r" and "\n" as line ends.
        next_break = min((i for i in (text.find("\n", index), text.find("\r", index)) if i != -1), default=-1)
        if next_break == -1:
            return starts
        end = next_break + (2 if text.startswith("\r\n", next_break) else 1)
        starts.append(end)
        index = end


def _offset(starts: list[int], position: Position) -> int:
    return starts[position.line - 1] + position.column


def apply_edits(text: str, fixes: list[Fix]) -> tuple[str, int]:
    """Splice every non-overlapping fix into ``text``; a fix whose edits overlap an earlier one waits for the
    next pass. Returns the new text and how many fixes were applied."""
    starts = _line_starts(text)
    accepted: list[tuple[int, int, str]] = []
    applied = 0
    for fix in fixes:
        spans = sorted((_offset(starts, e.start), _offset(starts, e.end), e.content) for e in fix.edits)
        if any(a < d and c < b or (a == b == c == d) for a, b, _ in spans for c, d, _ in accepted):
            continue
        accepted.extend(spans)
        applied += 1
    for start, end, content in sorted(accepted, reverse=True):
        text = text[:start] + content + text[end:]
    return text, applied


def parses(text: str) -> bool:
    """Whether LibCST parses ``text``: a fix whose result does not is never written."""
    import libcst as cst

    try:
        cst.parse_module(text)
    except Exception:  # any failure means: do not write this
        return False
    return True


def fix_source(data: bytes, path: str, settings: Settings, *, unsafe: bool = False) -> FixResult:
    from wce_lint.engine import NOTEBOOK_SUFFIX, lint_source

    if path.lower().endswith(NOTEBOOK_SUFFIX):  # the fixed cells are written back into the JSON
        from wce_lint.notebook import fix_notebook

        return fix_notebook(data, path, settings, unsafe=unsafe)

    result = FixResult(data, data)
    first = lint_source(data, path, settings)
    result.internal_errors = list(first.internal_errors)
    result.diagnostics = first.diagnostics
    try:
        source = decode(data)
    except UnreadableSource:
        return result
    text = source.text
    diagnostics = first.diagnostics
    for _ in range(MAX_PASSES):
        fixes = [d.fix for d in diagnostics if is_applicable(d.fix, unsafe)]
        if not fixes:
            break
        candidate, applied = apply_edits(text, fixes)  # type: ignore[arg-type]
        if candidate == text or not parses(candidate):
            break  # a fix that would not re-parse is never written; its finding stays reported
        text = candidate
        result.fixed_count += applied
        encoded = _encode(text, source.encoding, data)
        relint = lint_source(encoded, path, settings)
        diagnostics = relint.diagnostics
        result.internal_errors = list(relint.internal_errors)
        result.fixed = encoded
    result.diagnostics = diagnostics
    return result


def _encode(text: str, encoding: str, original: bytes) -> bytes:
    # decode() drops a UTF-8 BOM; put it back so the file's bytes outside the edits are unchanged.
    if encoding == "utf-8-sig" or original.startswith(b"\xef\xbb\xbf"):
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder and rename it over the original, keeping its mode
    (and its owner, where allowed). A symbolic link is followed, so the link stays and its target is fixed;
    a read-only file is refused (PermissionError) even where the folder would allow the rename."""
    path = Path(os.path.realpath(path))
    status = os.stat(path)
    mode = stat.S_IMODE(status.st_mode)
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, "the file is read-only", str(path))
    folder = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".wce-lint-tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        if hasattr(os, "chown") and (status.st_uid, status.st_gid) != (os.geteuid(), os.getegid()):
            try:
                os.chown(temporary, status.st_uid, status.st_gid)
            except OSError:  # not allowed to give the file away: it is ours now, as with any editor
                pass
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    import difflib

    from wce_lint.engine import NOTEBOOK_SUFFIX

    if path.lower().endswith(NOTEBOOK_SUFFIX):  # a diff of the JSON would be unreadable: one per changed cell
        from wce_lint.notebook import cell_diff

        return cell_diff(path, before, after)

    old = before.decode("utf-8", errors="replace").splitlines(keepends=True)
    new = after.decode("utf-8", errors="replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, fromfile=f"a/{path}", tofile=f"b/{path}"))


def edit(start: tuple[int, int], end: tuple[int, int], content: str) -> Edit:
    """Convenience for tests: positions as (line, 0-based column)."""
    return Edit(Position(*start), Position(*end), content)
