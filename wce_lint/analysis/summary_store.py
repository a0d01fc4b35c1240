"""Summaries kept across runs, by content hash: what calls of another module's functions do *not* do.

A one-file run (what pre-commit does) parses every project module its calls lead to, to learn the callees'
summaries — and in library-shaped code most of them say nothing: no parameter reaches a loss slot or a
``log()``, no loss object is invoked, no focal loss or class-balanced weighting is there. Those empty
answers are stored in the results cache (``cache.py``), each with the digest of every project file the
index had read when it was learned, and a later run skips the call — and the parse of the callee's
module — while every one of those files is unchanged (a file that did not exist must still not exist).

Only empty answers are stored: a summary that says something is recomputed from the parsed module,
because findings need the callee's syntax (the argument's slot, the trace into the helper). Each fact is
a question some analysis asks of *every* call of a module, answered the same wherever it is asked:

- ``summaries``: the callee (``callees.callee_of``, else the ``__init__`` that ``initializer_of`` runs) has
  final, empty slot sinks, log sinks and loss-parameter uses (``summaries``, ``logs``);
- ``foreign``: the module the callee lives in has no hand-written focal loss and no class-balanced
  weighting (``parameters.foreign_calls``, for WCE503/WCE504);
- ``loss_object``: the value an imported attribute names (``losses.criterion``) is not a loss object
  (``calls``: is ``module.attr(…)`` the invocation of one?).

Facts are keyed by the callee's qualified names as the importing module resolves them (a function of the
names alone, given the files), learned during a file's analysis and settled at its end, when the
summaries are final (``settle``), so nothing computed inside an unfinished fixed point is ever stored.
The dependency set is deliberately large (every file the project index read in this process, a superset
of what the answer read: memoised summaries of other modules are reused without being read again), and
the code fingerprint and settings are part of the cache document the facts live in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wce_lint.analysis.module import FunctionInfo, ModuleContext
    from wce_lint.analysis.project import ProjectIndex

SUMMARIES, FOREIGN, LOSS_OBJECT = "summaries", "foreign", "loss_object"
KINDS = (SUMMARIES, FOREIGN, LOSS_OBJECT)


def key_of(project: ProjectIndex, names: frozenset[str]) -> str:
    """A callee's key: its qualified names within its project (two projects may both have `pkg.losses`), and
    the TensorFlow generation the project's pins give (a pin written later changes the callee's APIs)."""
    return f"{project.root}|{project.pins()}|{'|'.join(sorted(names))}"


class SummaryStore:
    """The stored facts of one cache document, checked lazily, and what this process learns meanwhile.

    On disk (the ``summaries`` member of the cache document): ``{"files": [[path, digest], …], "sets":
    [[[file index, …], {kind: [key, …]}], …]}`` — a set of facts shares one list of dependencies."""

    def __init__(self, stored: Any = None, code: str = "") -> None:
        self.code = code  # wce-lint's own fingerprint: facts learned by other code are not facts
        self._files: list[tuple[str, str]] = []
        self._sets: list[tuple[tuple[int, ...], dict[str, list[str]]]] = []
        self._facts: dict[tuple[str, str], list[int]] = {}  # (kind, key) → indexes of the sets holding it
        self._valid: dict[int, bool] = {}
        self._digests: dict[str, str] = {}
        self._pending: list[tuple[str, str, Any]] = []
        self._used: set[int] = set()  # the sets whose facts the file being analysed relied on
        self._read(stored)

    # -- reading -----------------------------------------------------------------------------------
    def _read(self, stored: Any) -> None:
        """Anything malformed is ignored: the cache is never trusted."""
        if not isinstance(stored, dict) or stored.get("code") != self.code:
            return
        files, sets = stored.get("files"), stored.get("sets")
        if not isinstance(files, list) or not isinstance(sets, list):
            return
        if not all(isinstance(f, list) and len(f) == 2 and all(isinstance(p, str) for p in f) for f in files):
            return
        self._files = [(path, digest) for path, digest in files]
        for entry in sets:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list)
                    and isinstance(entry[1], dict)):
                continue
            indexes = entry[0]
            if not all(isinstance(i, int) and 0 <= i < len(self._files) for i in indexes):
                continue
            facts = {kind: [k for k in keys if isinstance(k, str)] for kind, keys in entry[1].items()
                     if kind in KINDS and isinstance(keys, list)}
            number = len(self._sets)
            self._sets.append((tuple(indexes), facts))
            for kind, keys in facts.items():
                for key in keys:
                    self._facts.setdefault((kind, key), []).append(number)

    def knows(self, kind: str, key: str) -> bool:
        """Whether ``kind`` is stored as empty for the callee ``key``, with every dependency unchanged."""
        for number in self._facts.get((kind, key), ()):
            if self._holds(number):
                self._used.add(number)
                return True
        return False

    def _holds(self, number: int) -> bool:
        valid = self._valid.get(number)
        if valid is None:
            valid = self._valid[number] = all(
                self.digest(path) == digest for path, digest in (self._files[i] for i in self._sets[number][0]))
        return valid

    def digest(self, path: str) -> str:
        found = self._digests.get(path)
        if found is None:
            from wce_lint.analysis.project import file_digest

            found = self._digests[path] = file_digest(path)
        return found

    # -- learning ----------------------------------------------------------------------------------
    def expect(self, kind: str, key: str, target: Any) -> None:
        """A question of ``kind`` about the callee ``names`` was answered from ``target`` (for ``summaries``:
        (module, function) or None; ``foreign``: the callee's module; ``loss_object``: True when the answer
        was empty). Whether it is a fact is decided at ``settle``."""
        self._pending.append((kind, key, target))

    def begin_file(self) -> None:
        """What a file cut short (time limit, internal error) noted is neither settled nor relied on."""
        self._pending = []
        self._used = set()

    def relied_on(self) -> dict[str, str]:
        """The files the stored facts used for the file being analysed depend on: its result depends on them
        too (a module whose parse a fact saved is not among the modules the analysis read)."""
        return {path: digest for number in sorted(self._used) for path, digest in
                (self._files[i] for i in self._sets[number][0])}

    def settle(self, project: ProjectIndex) -> tuple[dict[str, str], dict[str, list[str]]] | None:
        """The facts learned while one file was analysed, with what they depend on; None when none."""
        facts: dict[str, set[str]] = {}
        for kind, key, target in self._pending:
            if _empty(kind, target):
                facts.setdefault(kind, set()).add(key)
        self._pending = []
        for kind in list(facts):
            facts[kind] = {key for key in facts[kind] if not self.knows(kind, key)}
            if not facts[kind]:
                del facts[kind]
        if not facts:
            return None
        return project.read_files(), {kind: sorted(keys) for kind, keys in facts.items()}

    # -- writing -----------------------------------------------------------------------------------
    def merged(self, learned: list[tuple[dict[str, str], dict[str, list[str]]]]) -> dict[str, Any]:
        """The document to store: the facts read whose files are unchanged, plus ``learned``."""
        files: dict[tuple[str, str], int] = {}
        sets: dict[tuple[int, ...], dict[str, set[str]]] = {}

        def add(dependencies: list[tuple[str, str]], facts: dict[str, list[str]]) -> None:
            indexes = tuple(sorted(files.setdefault(pair, len(files)) for pair in dependencies))
            into = sets.setdefault(indexes, {})
            for kind, keys in facts.items():
                into.setdefault(kind, set()).update(keys)

        for number, (indexes, facts) in enumerate(self._sets):
            if self._holds(number):  # (a stale set is dropped, asked about or not: the store stays bounded)
                add([self._files[i] for i in indexes], facts)
        for dependencies, facts in _folded(learned):
            add(sorted(dependencies), facts)
        return {
            "code": self.code,
            "files": [list(pair) for pair in sorted(files, key=files.__getitem__)],
            "sets": [[list(indexes), {kind: sorted(keys) for kind, keys in facts.items()}]
                     for indexes, facts in sets.items()],
        }


def _folded(learned: list[tuple[dict[str, str], dict[str, list[str]]]]
            ) -> list[tuple[frozenset[tuple[str, str]], dict[str, list[str]]]]:
    """The learned sets, each folded into a larger one holding all its files when there is one: a fact holds
    under more dependencies too, and one process's sets grow file after file (what it read so far), so a run
    stores about one set per process instead of one per file."""
    folded: list[tuple[frozenset[tuple[str, str]], dict[str, list[str]]]] = []
    for dependencies, facts in sorted(((frozenset(d.items()), f) for d, f in learned), key=lambda e: -len(e[0])):
        into = next((kept for kept in folded[-8:] if dependencies <= kept[0]), None)  # (the largest come first)
        if into is None:
            folded.append((dependencies, {kind: list(keys) for kind, keys in facts.items()}))
        else:
            for kind, keys in facts.items():
                into[1].setdefault(kind, []).extend(keys)
    return folded


def _empty(kind: str, target: Any) -> bool:
    if kind == SUMMARIES:
        return target is None or _quiet(*target)
    if kind == FOREIGN:
        return target is None or (
            target.cache.get("focal.functions") == [] and target.cache.get("class_balance.weightings") == [])
    return target is True


def _quiet(home: ModuleContext, function: FunctionInfo) -> bool:
    """The three summaries of ``function`` were computed, are final (only final ones are memoised) and empty."""
    identity = id(function.node)
    return all(home.cache.get((kind, identity)) == [] for kind in ("sinks", "log_sinks", "loss_parameter_uses"))


_ACTIVE: SummaryStore | None = None


def active() -> SummaryStore | None:
    """The store of this run, when the run uses the cache."""
    return _ACTIVE


def activate(store: SummaryStore | None) -> None:
    global _ACTIVE
    _ACTIVE = store


def skips(kind: str, module: ModuleContext, names: frozenset[str]) -> bool:
    """Whether a call of ``names`` (a callee of another project module) is known to answer ``kind`` with
    nothing: the caller skips it, and with it the parse of the callee's module."""
    store = _ACTIVE
    project = module.project
    return store is not None and bool(names) and project is not None and store.knows(kind, key_of(project, names))


def expect(kind: str, module: ModuleContext, names: frozenset[str], target: Any) -> None:
    """Note the answer of ``kind`` for a callee of another project module, to be stored if it is empty."""
    store = _ACTIVE
    if store is None or not names or module.project is None:
        return
    from wce_lint.analysis.calls import of_the_project

    if of_the_project(module, names):
        store.expect(kind, key_of(module.project, names), target)
