"""The settings that apply to an open document: the nearest ``[tool.wce-lint]`` above its real path.

Found exactly as ``wce-lint PATH`` finds them (``wce_lint.config.discover_config``), so the editor and the
command line agree. Loaded settings are cached per folder until a configuration file changes
(``invalidate``). A configuration that cannot be used is reported once and the defaults apply meanwhile, so
a half-typed ``pyproject.toml`` never leaves the user without diagnostics.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from wce_lint.config import STANDALONE_NAMES, ConfigError, build_settings, discover_config
from wce_lint.settings import Settings

CONFIG_NAMES = frozenset((*STANDALONE_NAMES, "pyproject.toml"))


class DocumentSettings(NamedTuple):
    settings: Settings
    error: str | None  # why the configuration was not used (then ``settings`` are the defaults)


def is_config_file(path: str) -> bool:
    return PurePosixPath(path.replace(os.sep, "/")).name in CONFIG_NAMES


class WorkspaceSettings:
    def __init__(self, fallback_root: Path | None = None) -> None:
        # Where the defaults' globs are relative to for a document outside every configured project.
        self.fallback_root = fallback_root
        self._by_folder: dict[str, DocumentSettings] = {}

    def invalidate(self) -> None:
        self._by_folder.clear()

    def for_path(self, path: str) -> DocumentSettings:
        folder = os.path.dirname(os.path.abspath(path))
        cached = self._by_folder.get(folder)
        if cached is None:
            cached = self._by_folder[folder] = self._load(folder)
        return cached

    def _load(self, folder: str) -> DocumentSettings:
        try:
            config = discover_config(Path(folder))
            settings = build_settings(config)
        except ConfigError as error:
            return DocumentSettings(Settings(root=Path(folder)), str(error))
        if config.path is None:
            root = self.fallback_root if self.fallback_root is not None else Path(folder)
            # No configuration: the defaults, with globs relative to the workspace (the CLI uses its cwd).
            return DocumentSettings(Settings(root=root), None)
        return DocumentSettings(settings, None)


def is_excluded(settings: Settings, path: str) -> bool:
    """Whether ``path`` or a folder holding it (inside the project) matches ``exclude``/``extend-exclude``:
    the pre-commit hook's ``--force-exclude`` behaviour, which is what an editor wants for generated or
    vendored files the project chose not to lint."""
    target = Path(path)
    if settings.is_excluded(target):
        return True
    relative = PurePosixPath(settings.relative(target))
    if relative.is_absolute():
        return False
    return any(settings.is_excluded(settings.root / parent) for parent in relative.parents if str(parent) != ".")
