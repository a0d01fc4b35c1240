"""The effective configuration of a run, after the config file and the command line are merged."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from wce_lint.selection import enabled_codes, expand_all

# Folders never worth descending into (ruff's defaults, plus the usual virtualenv names).
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".eggs",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".wce_lint_cache",
    "__pypackages__",
    "__pycache__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
)


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    preview: bool = False
    output_format: str | None = None
    # Globs are relative to the folder holding the config file (or the working directory).
    root: Path = field(default_factory=Path.cwd)
    config_path: Path | None = None

    def codes(self) -> frozenset[str]:
        return enabled_codes(self.select, self.extend_select, self.ignore, self.preview)

    def codes_for(self, path: str) -> frozenset[str]:
        """The enabled codes minus the per-file ignores matching ``path``."""
        codes = self.codes()
        if not self.per_file_ignores:
            return codes
        relative = self.relative(path)
        name = PurePosixPath(relative).name
        for pattern, ignored in self.per_file_ignores:
            if fnmatchcase(relative, pattern) or fnmatchcase(name, pattern):
                codes = codes - expand_all(ignored)
        return codes

    def relative(self, path: str | Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except (ValueError, OSError):
            return Path(path).as_posix()

    def is_excluded(self, path: Path) -> bool:
        """True when ``path`` (a file or folder) matches ``exclude`` or ``extend-exclude``."""
        relative = self.relative(path)
        parts = PurePosixPath(relative).parts
        for pattern in (*self.exclude, *self.extend_exclude):
            pattern = pattern.rstrip("/")
            if fnmatchcase(path.name, pattern) or fnmatchcase(relative, pattern):
                return True
            # "fixtures/**" should exclude the folder itself as well as what is inside it.
            if pattern.endswith("/**") and fnmatchcase(relative, pattern[:-3]):
                return True
            if "/" in pattern and any(
                fnmatchcase("/".join(parts[: i + 1]), pattern) for i in range(len(parts))
            ):
                return True
        return False

    def fingerprint(self) -> str:
        """A digest of everything that changes findings (used as part of the cache key)."""
        data = asdict(self)
        for key in ("root", "config_path", "output_format", "exclude", "extend_exclude"):
            data.pop(key)
        data["codes"] = sorted(self.codes())
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]
