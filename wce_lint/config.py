"""Loading and validating wce-lint's configuration, and merging it with the command line.

Where the configuration comes from
    * ``--config FILE``: a ``pyproject.toml`` is read for its ``[tool.wce-lint]`` table (which must exist);
      any other file (``wce-lint.toml``, ``.wce-lint.toml``, ``ci.toml`` …) holds the keys at its top level.
    * otherwise the nearest configuration found walking up from the first path (or the working directory):
      in each folder ``.wce-lint.toml``, then ``wce-lint.toml``, then a ``pyproject.toml`` that has a
      ``[tool.wce-lint]`` table (one without it is passed over, as ruff does). The walk stops after the
      repository root (the folder holding ``.git`` or ``.hg``) so a project never picks up a stranger's config.
    * none found: the defaults, with globs relative to the working directory.

Globs (``exclude``, ``per-file-ignores``) are relative to the folder holding the config file. The file is
only parsed as TOML; nothing in it is executed, and nothing else is read.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from wce_lint.settings import DEFAULT_EXCLUDE, Settings

SECTION = "tool.wce-lint"
STANDALONE_NAMES = (".wce-lint.toml", "wce-lint.toml")
_VCS_MARKERS = (".git", ".hg")

SELECTOR_HELP = "a rule code (WCE203), a rule name (negative-pos-weight), a code prefix (WCE2) or ALL"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file, the key and what is allowed."""


@dataclass(frozen=True)
class FileConfig:
    """The validated contents of a config file, keys in snake_case; absent keys are absent."""

    path: Path | None
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()


@dataclass(frozen=True)
class Overrides:
    """What the command line says; ``None`` means "not given", so the file's value stands."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    preview: bool | None = None
    output_format: str | None = None


# -- discovery -------------------------------------------------------------------------------------
def find_config_file(start: Path) -> Path | None:
    """The nearest configuration file at or above ``start`` (a file or a folder, existing or not)."""
    folder = Path(start).absolute()
    if not folder.is_dir():
        folder = folder.parent
    for candidate_folder in (folder, *folder.parents):
        for name in STANDALONE_NAMES:
            if (candidate_folder / name).is_file():
                return candidate_folder / name
        pyproject = candidate_folder / "pyproject.toml"
        if pyproject.is_file() and _has_section(pyproject):
            return pyproject
        if any((candidate_folder / marker).exists() for marker in _VCS_MARKERS):
            return None
    return None


def _has_section(pyproject: Path) -> bool:
    try:
        data = pyproject.read_bytes()
    except OSError:
        return False
    # Most pyproject.toml files never mention us: skip parsing them (and their own TOML mistakes).
    if b"wce-lint" not in data:
        return False
    return _section(_parse(pyproject, data), pyproject) is not None


# -- loading ---------------------------------------------------------------------------------------
def load_config(path: Path) -> FileConfig:
    """Read and validate one config file; ``ConfigError`` says what is wrong and where."""
    path = Path(path).absolute()
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # reading a FIFO would block forever
            raise ConfigError(f"{_display(path)}: cannot read config file: not a regular file")
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{_display(path)}: cannot read config file: {error.strerror or error}") from None
    document = _parse(path, data)
    if _is_pyproject(path):
        table = _section(document, path)
        if table is None:
            raise ConfigError(f"{_display(path)}: no [{SECTION}] table in this pyproject.toml")
        where = f"{_display(path)}: [{SECTION}]"
    else:
        table = document
        where = _display(path) + ":"
    return FileConfig(path=path, values=_validate(table, where))


def discover_config(start: Path, explicit: Path | None = None) -> FileConfig:
    """``--config FILE`` when given, else the nearest config above ``start``, else the defaults."""
    if explicit is not None:
        return load_config(explicit)
    found = find_config_file(start)
    return load_config(found) if found is not None else FileConfig(path=None)


def _is_pyproject(path: Path) -> bool:
    return path.name == "pyproject.toml"


def _parse(path: Path, data: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{_display(path)}: not a TOML file (TOML must be UTF-8)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{_display(path)}: invalid TOML: {error}") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays and tables
        raise ConfigError(f"{_display(path)}: invalid TOML: nested too deeply") from None


def _section(document: Mapping[str, Any], path: Path) -> dict[str, Any] | None:
    tool = document.get("tool")
    if not isinstance(tool, dict) or "wce-lint" not in tool:
        return None
    table = tool["wce-lint"]
    if not isinstance(table, dict):
        raise ConfigError(f"{_display(path)}: [{SECTION}] must be a table, got {_show(table)}")
    return table


def _display(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


# -- validation ------------------------------------------------------------------------------------
def _selectors(value: Any, where: str) -> tuple[str, ...]:
    items = _strings(value, where)
    for item in items:
        problem = selector_problem(item)
        if problem:
            raise ConfigError(f"{where}: {problem}")
    return items


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: expected a list of strings, got {_show(value)}")
    return tuple(value)


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected a boolean (true or false), got {_show(value)}")
    return value


def _output_format(value: Any, where: str) -> str:
    from wce_lint.report import FORMATS

    if not isinstance(value, str) or value not in FORMATS:
        raise ConfigError(f"{where}: expected one of {', '.join(FORMATS)}, got {_show(value)}")
    return value


def _per_file_ignores(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of glob = [codes], got {_show(value)}")
    return tuple((pattern, _selectors(codes, f"{where}.{json.dumps(pattern)}")) for pattern, codes in value.items())


def _tensorflow_version(value: Any, where: str) -> str:
    from wce_lint.analysis.tf_generation import VERSIONS

    if not isinstance(value, str) or value not in VERSIONS:
        raise ConfigError(f"{where}: expected one of {', '.join(json.dumps(v) for v in VERSIONS)}, got {_show(value)}")
    return value


def _loss_apis(value: Any, where: str) -> tuple[Any, ...]:
    """``[tool.wce-lint.loss-apis."qualified.name"]`` tables: validated like the built-in table."""
    from wce_lint.analysis.apis import LossAPIError, apis_from_table

    if not isinstance(value, dict):
        raise ConfigError(f'{where}: expected a table of [loss-apis."qualified.name"] tables, got {_show(value)}')
    try:
        return apis_from_table(value)
    except LossAPIError as error:
        raise ConfigError(f"{where}.{error.key}: {error.message}") from None


def _producers(value: Any, where: str) -> tuple[Any, ...]:
    """``[tool.wce-lint.producers."qualified.name"]``: functions or layers whose output is an activation's."""
    from wce_lint.analysis.producers import producers_from_table

    try:
        return producers_from_table(value)
    except ValueError as error:
        key, _, message = str(error).partition(": ")
        raise ConfigError(f"{where}{'.' + key if key else ''}: {message}") from None


_VALIDATORS = {
    "select": _selectors,
    "extend-select": _selectors,
    "ignore": _selectors,
    "per-file-ignores": _per_file_ignores,
    "exclude": _strings,
    "extend-exclude": _strings,
    "preview": _boolean,
    "output-format": _output_format,
    "tensorflow-version": _tensorflow_version,
    "loss-apis": _loss_apis,
    "producers": _producers,
}
ALLOWED_KEYS = tuple(_VALIDATORS)


def _validate(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in table.items():
        validator = _VALIDATORS.get(key)
        if validator is None:
            guess = _closest(key.replace("_", "-"), ALLOWED_KEYS)
            raise ConfigError(
                f"{where} unknown key {json.dumps(key)} (allowed: {', '.join(ALLOWED_KEYS)}"
                + (f"; did you mean {json.dumps(guess)}?)" if guess else ")")
            )
        values[key.replace("-", "_")] = validator(value, f"{where} {key}")
    return values


def selector_problem(selector: str) -> str | None:
    """Why ``selector`` selects no rule, with a suggestion; None when it is fine."""
    from wce_lint.selection import UnknownSelector, expand

    try:
        expand(selector)
        return None
    except UnknownSelector:
        guess = closest_rule(selector)
        return f"unknown rule selector {json.dumps(selector)} (expected {SELECTOR_HELP}" + (
            f"; did you mean {json.dumps(guess)}?)" if guess else ")"
        )


def closest_rule(selector: str) -> str | None:
    """The rule code or name that ``selector`` most likely misspells."""
    from wce_lint.rules import REGISTRY

    if selector.strip().upper().startswith("WCE"):
        return _closest(selector.strip().upper(), REGISTRY)
    return _closest(selector.strip().lower(), [rule.name for rule in REGISTRY.values()])


def _closest(word: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _show(value: Any) -> str:
    """A value as it would be spelled in TOML (strings quoted, booleans lowercase)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):  # dates and times
        return str(value)


# -- merging ---------------------------------------------------------------------------------------
def build_settings(config: FileConfig, overrides: Overrides = Overrides()) -> Settings:
    """The run's settings: the file's values, then the command line on top (ruff's precedence).

    ``--select`` on the command line replaces the file's ``select``, ``extend-select`` and ``ignore``, as
    in ruff (``--select WCE203`` runs WCE203 even if the file ignores it). Without it, ``--extend-select``
    and ``--ignore`` add to the file's lists, and a rule named by ``--extend-select`` is re-enabled even
    when the file ignores it.
    """
    values = config.values
    if overrides.select is not None:
        select: tuple[str, ...] | None = overrides.select
        extend_select = overrides.extend_select
        ignore = overrides.ignore
    else:
        select = values.get("select")
        extend_select = (*values.get("extend_select", ()), *overrides.extend_select)
        ignore = (*_ignore_minus(values.get("ignore", ()), overrides.extend_select), *overrides.ignore)
    return Settings(
        select=select,
        extend_select=tuple(extend_select),
        ignore=tuple(ignore),
        per_file_ignores=values.get("per_file_ignores", ()),
        exclude=values.get("exclude", DEFAULT_EXCLUDE),
        extend_exclude=values.get("extend_exclude", ()),
        preview=overrides.preview if overrides.preview is not None else values.get("preview", False),
        output_format=overrides.output_format or values.get("output_format"),
        tensorflow_version=values.get("tensorflow_version", "auto"),
        loss_apis=values.get("loss_apis", ()),
        producers=values.get("producers", ()),
        root=config.root,
        config_path=config.path,
    )


def _ignore_minus(ignore: Iterable[str], reenabled: Iterable[str]) -> tuple[str, ...]:
    """The file's ignore list with the command line's ``--extend-select`` codes taken back out of it."""
    reenabled = tuple(reenabled)
    ignore = tuple(ignore)
    if not reenabled or not ignore:
        return ignore
    from wce_lint.selection import expand_all

    # Ignores may be prefixes; spelled out as codes, the re-enabled ones can be removed exactly.
    return tuple(sorted(expand_all(ignore) - expand_all(reenabled)))


def split_selectors(values: Iterable[str]) -> tuple[str, ...]:
    """``--select A,B --select C`` → ``("A", "B", "C")``."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())
