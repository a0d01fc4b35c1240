"""The content-hash cache: a file whose bytes, path and effective rules have not changed since the last run
is not read by the analysis again; its findings come back from ``.wce_lint_cache/`` in the project root.

Layout: ``.wce_lint_cache/<version>/<settings fingerprint>.json``, one JSON document per configuration (so
alternating ``--select`` runs keep each other warm), loaded once and written once per run, atomically
(temporary file + ``os.replace``). Each entry is keyed by the display path and stores the digest of
everything its findings depend on: the file's bytes, the path (diagnostics carry it), the rules enabled for
that path, the settings fingerprint and the code of wce-lint itself. A mismatch is a miss.

The folder is safe to delete, holds a ``CACHEDIR.TAG`` and a ``.gitignore`` so backups and git skip it, and
is never trusted: JSON only (never pickle), and anything unreadable or malformed is silently a miss.

This module must stay light: a fully cached run imports neither LibCST nor ``wce_lint.analysis``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import types
import typing
from pathlib import Path
from typing import Any, Callable, Iterable

from wce_lint import __version__
from wce_lint.diagnostics import Diagnostic
if typing.TYPE_CHECKING:
    from wce_lint.settings import Settings

CACHE_DIR = ".wce_lint_cache"
# Bumped when the layout of this file's JSON changes; part of every digest. 2: a result's dependencies are
# a prefix of one of a few chains of (path, digest) pairs — what one process had read when it finished the
# file: its results share most of theirs — and the stored summaries (``analysis.summary_store``).
FORMAT = 2
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by wce-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


# -- what a result depends on ---------------------------------------------------------------------
def code_fingerprint() -> str:
    """wce-lint's version plus the size and mtime of its own modules.

    The version alone is not enough while wce-lint itself is being developed (or patched in place): a rule
    edited under an unchanged version must not be answered from the cache. Stat-ing the package's few
    dozen files costs well under a millisecond.
    """
    package = Path(__file__).parent
    parts = [__version__, str(FORMAT)]
    stack = [package]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in ("__pycache__", "runtime"):  # the runtime checker changes no finding
                    stack.append(Path(entry.path))
            elif entry.name.endswith(".py"):
                try:
                    stat = entry.stat()
                except OSError:
                    continue
                parts.append(f"{entry.path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


class KeyMaker:
    """Computes a file's cache digest. One per run: the settings-wide part is hashed once."""

    def __init__(self, settings: Settings, code: str | None = None) -> None:
        self.settings = settings
        self.code = code or code_fingerprint()
        self._prefix_bytes = f"{self.code}\0{settings.fingerprint()}\0".encode()
        self._prefix = hashlib.sha256(self._prefix_bytes)  # copied per file: the shared part is hashed once
        # Without per-file ignores every path gets the same rules: compute them once.
        self._shared_codes = None if settings.per_file_ignores else _joined(settings.codes())

    def __getstate__(self) -> dict[str, Any]:  # hash objects do not pickle (spawned workers get a copy)
        return {name: value for name, value in vars(self).items() if name != "_prefix"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._prefix = hashlib.sha256(self._prefix_bytes)

    def codes(self, path: str) -> bytes:
        if self._shared_codes is not None:
            return self._shared_codes
        return _joined(self.settings.codes_for(path))

    def key(self, data: bytes, path: str) -> str:
        digest = self._prefix.copy()
        digest.update(self.codes(path))
        digest.update(b"\0")
        digest.update(path.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        if self.settings.tensorflow_version == "auto":
            # The TensorFlow generation may come from the project's dependency pins, outside the file.
            from wce_lint.analysis.tf_generation import pin_fingerprint

            digest.update(pin_fingerprint(path, str(self.settings.root)))
            digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()[:32]


def _joined(codes: Iterable[str]) -> bytes:
    return ",".join(sorted(codes)).encode()


# -- the store ------------------------------------------------------------------------------------
class Cache:
    """Entries ``display path → [digest, [diagnostic, …]]``, read once at the start of a run."""

    def __init__(self, settings: Settings, code: str | None = None) -> None:
        self.keys = KeyMaker(settings, code)
        self.folder = Path(settings.root) / CACHE_DIR
        self.file = self.folder / __version__ / f"{settings.fingerprint()}.json"
        self._entries: dict[str, list[Any]] = {}
        self._changed: dict[str, list[Any]] = {}
        self._loaded_stamp: tuple[int, int] | None = None
        self._digests: dict[str, str] = {}  # digests of dependencies, read at most once per run
        # the stored summaries of the project's modules (``analysis.summary_store``), kept as read until
        # ``put_summaries`` replaces them
        self.summaries: Any = None
        self._summaries_changed = False
        self._chains: list[Any] = []  # the chains of (path, digest) pairs the loaded entries are prefixes of
        self._held: dict[int, int] = {}  # chain → how many of its first pairs still hold (checked once a run)
        self._load()

    def _load(self) -> None:
        document = _read_entries(self.file)
        if document is not None:
            self._entries, self.summaries, self._chains = document
            self._loaded_stamp = file_stamp(self.file)

    def put_summaries(self, summaries: dict[str, Any]) -> None:
        if summaries != self.summaries:
            self.summaries = summaries
            self._summaries_changed = True

    def get(self, path: str, key: str) -> list[Diagnostic] | None:
        """The cached diagnostics of ``path`` if its digest is ``key``; None on a miss (or a bad entry)."""
        entry = self._entries.get(path)
        if entry is None or entry[0] != key:
            return None
        if len(entry) > 2 and not self._unchanged(entry[2]):
            return None  # a module of the project it imports has changed
        try:
            return [decode_diagnostic(item) for item in entry[1]]
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            return None  # written by a buggy or foreign version: recompute

    def _unchanged(self, dependencies: Any) -> bool:
        """Whether every module a cached result depends on still has the digest it had. A stored result's
        dependencies are a prefix of a chain: each chain is checked once, as far as it holds."""
        if isinstance(dependencies, list) and len(dependencies) == 2 and all(type(i) is int for i in dependencies):
            number, size = dependencies
            return 0 <= number < len(self._chains) and 0 <= size <= self._holding_prefix(number)
        pairs = _pairs_of(dependencies, self._chains)
        return pairs is not None and all(self._digest(path) == expected for path, expected in pairs)

    def _holding_prefix(self, number: int) -> int:
        """How many pairs at the start of chain ``number`` still hold (-1 for a malformed chain)."""
        held = self._held.get(number)
        if held is None:
            chain = self._chains[number]
            held = -1 if chain is None else next(
                (i for i, (path, expected) in enumerate(chain) if self._digest(path) != expected), len(chain))
            self._held[number] = held
        return held

    def _digest(self, path: str) -> str:
        current = self._digests.get(path)
        if current is None:
            from wce_lint.analysis.project import file_digest

            current = self._digests[path] = file_digest(path)
        return current

    def put(self, path: str, key: str, diagnostics: Iterable[Diagnostic],
            dependencies: dict[str, str] | None = None) -> None:
        entry: list[Any] = [key, [encode_diagnostic(diagnostic) for diagnostic in diagnostics]]
        if dependencies:
            entry.append(dict(dependencies))
        self._entries[path] = entry
        self._changed[path] = entry

    def save(self) -> None:
        """Write the entries if anything changed; failures (read-only tree, full disk …) are ignored."""
        if not self._changed and not self._summaries_changed:
            return
        try:
            self._save()
        except (OSError, ValueError):
            pass

    def _save(self) -> None:
        entries, chains = self._entries, self._chains
        if self._loaded_stamp != file_stamp(self.file):
            # Another run wrote meanwhile: keep what it learnt about files this run did not touch.
            entries, _, chains = _read_entries(self.file) or ({}, None, [])
            entries.update(self._changed)
        resolved = {path: _pairs_of(entry[2], chains) if len(entry) > 2 else None for path, entry in entries.items()}
        kept: list[list[tuple[str, str]]] = []
        stored = {}
        for path in sorted(entries, key=lambda p: -len(resolved[p] or ())):  # longest first: the chains
            entry, dependencies = entries[path], resolved[path]
            if len(entry) > 2:
                if dependencies is None:
                    continue  # unreadable: a miss anyway
                entry = [*entry[:2], [_chain_of(dependencies, kept), len(dependencies)]]
            stored[path] = entry
        _prepare_folder(self.folder)
        self.file.parent.mkdir(exist_ok=True)
        document: dict[str, Any] = {"format": FORMAT, "version": __version__, "entries": stored,
                                    "dependencies": [[list(pair) for pair in chain] for chain in kept]}
        if self.summaries is not None:
            document["summaries"] = self.summaries
        import tempfile  # only when writing: its import costs ~30 ms that a warm run does not need
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.file.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, separators=(",", ":"))
            os.replace(temporary, self.file)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
        self._entries, self._chains, self._held = stored, kept, {}
        self._changed = {}
        self._summaries_changed = False
        self._loaded_stamp = file_stamp(self.file)


def file_stamp(file: Path) -> tuple[int, int] | None:
    """(modification time, size) of a file, None when it cannot be read: enough to see it changed."""
    try:
        stat = file.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _chain_of(dependencies: list[tuple[str, str]], chains: list[list[tuple[str, str]]]) -> int:
    """The chain ``dependencies`` is a prefix of, added when none is (``chains`` come longest first)."""
    size = len(dependencies)
    for number, chain in enumerate(chains):
        if len(chain) >= size and (not size or chain[size - 1] == dependencies[-1]) and chain[:size] == dependencies:
            return number
    chains.append(list(dependencies))
    return len(chains) - 1


def _pairs_of(dependencies: Any, chains: list[Any]) -> list[tuple[str, str]] | None:
    """The (path, digest) pairs of an entry's dependencies: a dict (this run's) or [chain, length], a prefix of
    one of ``chains`` (as stored); None when malformed."""
    if isinstance(dependencies, dict):
        return list(dependencies.items())
    if not (isinstance(dependencies, list) and len(dependencies) == 2 and all(type(i) is int for i in dependencies)):
        return None
    number, size = dependencies
    chain = chains[number] if 0 <= number < len(chains) else None
    if chain is None or not 0 <= size <= len(chain):
        return None
    return chain[:size]


def _read_entries(file: Path) -> tuple[dict[str, list[Any]], Any, list[Any]] | None:
    """(the results by path, the stored summaries as found: checked by their reader, the chains of dependency
    pairs the results are prefixes of) of a cache document."""
    try:
        document = json.loads(file.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    entries = document.get("entries")
    chains = document.get("dependencies", [])
    if not isinstance(entries, dict) or not isinstance(chains, list):
        return None
    return {
        path: entry
        for path, entry in entries.items()
        # [digest, diagnostics] or [digest, diagnostics, [chain, length]] (modules of the project)
        if isinstance(entry, list) and len(entry) in (2, 3) and isinstance(entry[0], str) and isinstance(entry[1], list)
    }, document.get("summaries"), [_chain(chain) for chain in chains]


def _chain(chain: Any) -> list[tuple[str, str]] | None:
    """A stored chain of (path, digest) pairs, checked once here (not per result); None when malformed: the
    results that use it are misses."""
    if not isinstance(chain, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair) for pair in chain):
        return None
    return [(pair[0], pair[1]) for pair in chain]


def _prepare_folder(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    for name, text in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", "# Created by wce-lint.\n*\n")):
        marker = folder / name
        if not marker.exists():
            marker.write_text(text, encoding="utf-8")


# -- Diagnostic ⇄ JSON ----------------------------------------------------------------------------
# Driven by the dataclasses' own type hints, so a field added to Diagnostic, Fix, Edit … is carried without
# touching this module (and a type this codec cannot carry fails loudly in tests/test_cache.py).
def encode_diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    return _encode(diagnostic)  # type: ignore[no-any-return]


def decode_diagnostic(data: Any) -> Diagnostic:
    return _decode(Diagnostic, data)  # type: ignore[no-any-return]


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [_encode(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in the cache")


_DECODERS: dict[Any, Callable[[Any], Any]] = {}


def _decode(annotation: Any, data: Any) -> Any:
    return _decoder(annotation)(data)


def _decoder(annotation: Any) -> Callable[[Any], Any]:
    """A function turning JSON data into a value of ``annotation``, built once per type (a warm run decodes
    every cached finding, so the type dispatch is done ahead, not per value)."""
    decoder = _DECODERS.get(annotation)
    if decoder is None:
        decoder = _DECODERS[annotation] = _build_decoder(annotation)
    return decoder


def _build_decoder(annotation: Any) -> Callable[[Any], Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        arms = [arm for arm in typing.get_args(annotation) if arm is not type(None)]
        if len(arms) != 1 or len(typing.get_args(annotation)) != 2:
            raise TypeError(f"cannot read {annotation!r} from the cache")
        inner = _decoder(arms[0])
        return lambda data: None if data is None else inner(data)
    if origin in (tuple, list):
        arguments = typing.get_args(annotation)
        if origin is tuple and (len(arguments) != 2 or arguments[1] is not Ellipsis):
            raise TypeError(f"cannot read {annotation!r} from the cache")
        item = _decoder(arguments[0])
        container = tuple if origin is tuple else list

        def sequence(data: Any) -> Any:
            if not isinstance(data, list):
                raise ValueError("expected a list")
            return container(item(element) for element in data)

        return sequence
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        hints = typing.get_type_hints(annotation)
        cls = annotation
        kinds = {field.name: hints[field.name] for field in dataclasses.fields(annotation)}
        if all(kind in (str, int, bool) for kind in kinds.values()):  # Position: the most frequent by far

            def flat(data: Any) -> Any:
                if type(data) is not dict:
                    raise ValueError("expected an object")
                for name, value in data.items():
                    if type(value) is not kinds[name]:  # KeyError: unknown field
                        raise ValueError(f"expected {kinds[name].__name__}")
                return cls(**data)

            return flat
        fields = {field.name: _decoder(hints[field.name]) for field in dataclasses.fields(annotation)}

        def instance(data: Any) -> Any:
            if not isinstance(data, dict):
                raise ValueError("expected an object")
            return cls(**{name: fields[name](value) for name, value in data.items()})  # KeyError: unknown

        return instance
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    if annotation in (str, int, bool):
        kind = annotation

        def scalar(data: Any) -> Any:
            if type(data) is not kind:
                raise ValueError(f"expected {kind.__name__}")
            return data

        return scalar
    if annotation is float:
        return lambda data: float(data) if type(data) in (int, float) else _fail("expected a number")
    raise TypeError(f"cannot read {annotation!r} from the cache")


def _fail(message: str) -> Any:
    raise ValueError(message)
