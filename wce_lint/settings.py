"""The effective configuration of a run, after the config file and the command line are merged."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
import re
from fnmatch import fnmatchcase, translate
from functools import lru_cache
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
    ".ipynb_checkpoints",  # Jupyter's autosaved copies of every notebook
    "__pypackages__",
    "__pycache__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
)


@lru_cache(maxsize=64)
def _split_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """Globs on a bare name, compiled into one regex (matched against each file or folder name), and globs
    on a relative path."""
    cleaned = tuple(p.rstrip("/") for p in patterns)
    names = [p for p in cleaned if "/" not in p]
    name_regex = re.compile("|".join(f"(?:{translate(p)})" for p in names)) if names else None
    return name_regex, tuple(p for p in cleaned if "/" in p)


@lru_cache(maxsize=16)
def _absolute_root(root: Path) -> str:
    return os.path.abspath(root)


@lru_cache(maxsize=64)
def _codes(select: tuple[str, ...] | None, extend_select: tuple[str, ...], ignore: tuple[str, ...],
           preview: bool) -> frozenset[str]:
    return enabled_codes(select, extend_select, ignore, preview)


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
    tensorflow_version: str = "auto"  # "1" | "2" | "auto" (see analysis/tf_generation.py)
    loss_apis: tuple = ()  # the config's own loss-API entries (analysis.apis.LossAPI)
    producers: tuple = ()  # the config's own producers: (qualified name, activation, "function" | "layer")
    # Globs are relative to the folder holding the config file (or the working directory).
    root: Path = field(default_factory=Path.cwd)
    config_path: Path | None = None

    def codes(self) -> frozenset[str]:
        return _codes(self.select, self.extend_select, self.ignore, self.preview)

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
        # abspath, not resolve(): no system call per file, and a symlinked file keeps its own name.
        absolute = os.path.abspath(path)
        root = _absolute_root(self.root)
        if absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep):
            return Path(os.path.relpath(absolute, root)).as_posix()
        return Path(path).as_posix()

    def is_excluded(self, path: Path) -> bool:
        """True when ``path`` (a file or folder) matches ``exclude`` or ``extend-exclude``."""
        name_regex, path_patterns = _split_patterns((*self.exclude, *self.extend_exclude))
        if name_regex is not None and name_regex.match(path.name):
            return True
        if not path_patterns:
            return False
        relative = self.relative(path)
        parts = PurePosixPath(relative).parts
        for pattern in path_patterns:
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

    @property
    def loss_api_triggers(self) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
        """(words, modules) the config's loss APIs add to the pre-check."""
        if not self.loss_apis:
            return (), ()
        from wce_lint.analysis.apis import user_triggers

        return user_triggers(self.loss_apis)

    def fingerprint(self) -> str:
        """A digest of everything that changes findings (used as part of the cache key)."""
        data = asdict(self)
        for key in ("root", "config_path", "output_format", "exclude", "extend_exclude"):
            data.pop(key)
        data["codes"] = sorted(self.codes())
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]
