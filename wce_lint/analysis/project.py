"""The project's own modules: where the project starts, which file an import names, and that file's
``ModuleContext``, parsed on demand (also for files not named on the command line) and kept for the run.

Installed third-party packages are never analysed: the API tables cover them. Only modules under the project
root are, so ``from pkg.models import D`` is followed when ``pkg/models.py`` (or ``src/pkg/models.py``) is
part of the project.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from wce_lint.analysis.module import ClassInfo, FunctionInfo, ModuleContext

ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# Modules larger than this are not parsed for their summaries (the performance budget of one import).
MAX_IMPORTED_BYTES = 2_000_000
MAX_MODULE_DEPTH = 32  # dotted parts of a module name worth looking up on disk

Symbol = Union["FunctionInfo", "ClassInfo"]


def find_root(path: Path) -> Path | None:
    """The closest folder above ``path`` holding a project marker."""
    folder = path if path.is_dir() else path.parent
    return _root_of(folder)


_ROOTS: dict[Path, Path | None] = {}  # folder → its project root: a tree's folders share their parents' answers


def _root_of(folder: Path) -> Path | None:
    found = _ROOTS.get(folder, _ROOTS)
    if found is _ROOTS:  # (not asked yet)
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            found = folder
        else:
            found = _root_of(folder.parent) if folder.parent != folder else None
        _ROOTS[folder] = found
    return found


class ProjectIndex:
    """Modules of one project, by dotted name, loaded at most once per run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._modules: dict[Path, ModuleContext | None] = {}
        self._source_roots = [root, *(p for p in (root / "src",) if p.is_dir())]
        # every file whose bytes decided something (loaded, or judged by `may_matter`), and module paths
        # looked for in the project's own packages and not found: what stored summaries depend on
        self._seen: dict[str, str] = {}
        self._packages: dict[str, bool] = {}
        self._pins: str | None = None
        self._resolved: dict[Path, Path] = {}  # (`Path.resolve` is a system call per part: asked 80k times)
        self._lookups: dict[tuple[str, bool], object] = {}
        self._stamps: dict[Path, tuple[int, int] | None] = {}
        self._files: dict[str, Path | None] = {}
        self._matters: dict[tuple[Path, frozenset[str]], bool] = {}

    def module_file(self, dotted: str) -> Path | None:
        if dotted in self._files:
            return self._files[dotted]
        found = self._files[dotted] = self._module_file(dotted)
        return found

    def _module_file(self, dotted: str) -> Path | None:
        parts = dotted.split(".")
        if len(parts) > MAX_MODULE_DEPTH or not all(part.isidentifier() for part in parts):
            return None  # `import a.a.a…` 20,000 levels deep names no file of any project
        absent = []
        for base in self._source_roots:
            candidate = base.joinpath(*parts)
            for file in (candidate.with_suffix(".py"), candidate / "__init__.py"):
                try:
                    if file.is_file():
                        self._note_absent(parts[0], absent)
                        return file
                except OSError:  # a name too long for the file system, a loop of links …
                    return None
                absent.append(file)
        self._note_absent(parts[0], absent)
        return None

    def _note_absent(self, package: str, files: list[Path]) -> None:
        """Module files looked for and missing in a package of the project (`pkg.extra` before `pkg/extra.py`
        is written) are dependencies too; a missing installed package (`torch.nn`) is not worth noting."""
        if not files:
            return
        known = self._packages.get(package)
        if known is None:
            known = self._packages[package] = any(
                (base / package).is_dir() or (base / f"{package}.py").is_file() for base in self._source_roots)
        if known:
            for file in files:
                # `pkg/extra.py` in the folder `pkg/`, `pkg/extra/__init__.py` beside it; not `pkg/losses/bce.py`
                # for a function `bce` of `pkg/losses.py` (every qualified name is looked for as a module)
                folder = file.parent.parent if file.name == "__init__.py" else file.parent
                if str(file) not in self._seen and folder.is_dir():
                    self._seen[str(file)] = ABSENT

    def pins(self) -> str:
        """The TensorFlow generation the project's dependency pins give ("-" for none), read once: what a
        module's summaries depend on besides the files (`tf_generation`)."""
        if self._pins is None:
            from wce_lint.analysis.tf_generation import _pins_in

            pinned = _pins_in(str(self.root))
            self._pins = pinned[0] if pinned is not None else "-"
        return self._pins

    def read_files(self) -> dict[str, str]:
        """Every file of the project the index read (path → digest, ``ABSENT`` for one looked for and missing),
        and the project's dependency pins, which decide a module's TensorFlow generation."""
        from wce_lint.analysis.tf_generation import _pin_files

        for pins in _pin_files(str(self.root)):
            if pins not in self._seen:
                self._bytes(Path(pins))
        return dict(self._seen)

    def _bytes(self, file: Path) -> bytes | None:
        data = _read(file)
        if data is not None:
            self._seen.setdefault(str(file), digest(data))
        return data

    def dotted_name(self, file: Path) -> str | None:
        """The dotted module name of a file of the project (``pkg/models.py`` → ``pkg.models``)."""
        resolved = file.resolve()
        for base in sorted(self._source_roots, key=lambda p: -len(p.parts)):
            try:
                relative = resolved.relative_to(base.resolve())
            except ValueError:
                continue
            parts = list(relative.with_suffix("").parts)
            if parts and parts[-1] == "__init__":
                parts.pop()
            return ".".join(parts) if parts else None
        return None

    def resolved(self, file: Path) -> Path:
        found = self._resolved.get(file)
        if found is None:
            found = self._resolved[file] = file.resolve()
        return found

    def load(self, file: Path) -> ModuleContext | None:
        """The module in ``file``, parsed once (again when the file changed on disk since)."""
        key = self.resolved(file)
        from wce_lint.cache import file_stamp

        stamp = file_stamp(key)
        if key in self._modules and self._stamps.get(key) == stamp:
            return self._modules[key]
        self._modules[key] = None  # an import cycle reaches this file again while it loads: unknown
        self._stamps[key] = stamp
        data = _read(key)
        context = _parse_file(key, data) if data is not None else None
        if data is not None:
            self._seen[str(key)] = digest(data)
        if context is not None:
            context.attach_project(self, key)
        self._modules[key] = context
        return context

    def may_matter(self, file: Path, codes: frozenset[str]) -> bool:
        """Whether a module of the project can hold something a rule follows — a loss, an activation, a log —
        judged on its bytes, as the pre-check does: it imports a tensor library and names one of them."""
        return self._may_matter(self.resolved(file), codes, set())

    def _may_matter(self, file: Path, codes: frozenset[str], visiting: set[Path]) -> bool:
        # A module that only re-exports or subclasses what another module of the project produces matters
        # too (`class Classifier(ClassifierBase)` whose base's forward ends in a softmax): follow its imports.
        key = (file, codes)
        verdict = self._matters.get(key)
        if verdict is not None:
            return verdict
        data = self._bytes(file)
        if data is None or file in visiting:
            return False  # a cycle: decided by the module that started it
        visiting.add(file)
        verdict = _may_produce(data) or any(
            self._may_matter(self.resolved(other), codes, visiting)
            for other in imported_project_files(data, str(file)))
        visiting.discard(file)
        self._matters[key] = verdict
        return verdict

    def owner_of(self, node: object) -> ModuleContext | None:
        """The loaded module holding ``node`` (a trace step into another file)."""
        for context in self._modules.values():
            if context is not None and context.statement_of(node) is not None:  # type: ignore[arg-type]
                return context
        return None


def _parse_file(file: Path, data: bytes) -> ModuleContext | None:
    """Parse a project module for its summaries; None when it cannot be parsed (no finding: it is reported,
    if at all, when it is linted itself)."""
    if len(data) > MAX_IMPORTED_BYTES:
        return None
    from wce_lint.engine import parse_for_analysis

    return parse_for_analysis(data, str(file))


def _read(file: Path) -> bytes | None:
    try:
        return file.read_bytes()
    except OSError:
        return None


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return MAX_IMPORTED_BYTES + 1


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


ABSENT = ""  # the digest of a file that does not exist (a module looked for and missing)


def file_digest(path: str) -> str:
    """The digest of the file at ``path`` now, ``ABSENT`` when it cannot be read: what a cached result or a
    stored summary is checked against."""
    try:
        with open(path, "rb") as stream:
            return digest(stream.read())
    except OSError:
        return ABSENT


# What a module must name (lower-cased) to matter to another: activations, logs, losses, layers that end in one.
PRODUCER_WORDS = (b"sigmoid", b"softmax", b"entropy", b"bce", b"focal", b"loss", b"expit", b"weight")
# A log is a name of its own (`torch.log`, `p.log()`, `log1p`, `log_softmax`, `logit`), not a part of one:
# `logging`, `logical_and`, `catalog` and `dialog` let 19 of flax's 53 modules through, only for those words.
LOG_WORD = re.compile(rb"(?<![a-z0-9_])log(?:1p|its?|_?softmax|_?sigmoid)?(?![a-z0-9_])")


def _may_produce(data: bytes) -> bool:
    from wce_lint.analysis.apis import FRAMEWORK_NAMES
    from wce_lint.engine import _imports_one_of

    lowered = data.lower()
    return (any(word in lowered for word in PRODUCER_WORDS) or LOG_WORD.search(lowered) is not None) and \
        _imports_one_of(FRAMEWORK_NAMES).search(data) is not None


_INDEXES: dict[Path, ProjectIndex] = {}


def index_for(path: str) -> ProjectIndex | None:
    """The project index of the file at ``path`` (one per project root and process)."""
    if not path or path == "-":
        return None
    file = Path(path)
    try:
        root = find_root(file.resolve())
    except OSError:
        return None
    if root is None:
        return None
    index = _INDEXES.get(root)
    if index is None:
        index = _INDEXES[root] = ProjectIndex(root)
    return index


@lru_cache(maxsize=1)
def _all_codes() -> frozenset[str]:
    from wce_lint.rules import REGISTRY

    return frozenset(REGISTRY)


def reset() -> None:
    """Forget every loaded module (a new run, or files changed on disk: the editor server calls it)."""
    _INDEXES.clear()
    _ROOTS.clear()


def resolve_symbol(module: "ModuleContext", names: frozenset[str],
                   constants: bool = False) -> tuple["ModuleContext", Symbol] | None:
    """The function or class of a project module that one of ``names`` (qualified) designates. ``constants``:
    also in a small module that names no producer (``data.py`` whose ``int_labels(n)`` returns
    ``torch.randint(…)``: what static values ask)."""
    project = getattr(module, "project", None)
    if project is None:
        return None
    found = None
    for name in names:
        symbol = project._lookups.get((name, constants), project)  # (the index itself: not asked yet)
        if symbol is project:
            symbol = project._lookups[(name, constants)] = _lookup(project, name, constants=constants)
        if symbol is None:
            continue
        if found is not None and found[1] is not symbol[1]:
            return None  # two possibilities
        found = symbol
    return found


def _lookup(project: ProjectIndex, qualified: str, hops: int = 0,
            constants: bool = False) -> tuple["ModuleContext", Symbol] | None:
    module_name, _, attribute = qualified.rpartition(".")
    if not module_name or hops > 3:
        return None
    file = project.module_file(module_name)
    if file is None or not (project.may_matter(file, _all_codes())
                            or (constants and _size(file) <= MAX_CONSTANTS_BYTES)):
        return None  # a module that names no loss, activation or log cannot change what a value is
    home = project.load(file)
    if home is None:
        return None
    if attribute in home.module_functions:
        return home, home.module_functions[attribute]
    if attribute in home.classes:
        return home, home.classes[attribute]
    # `from .models import D` in a package's __init__ re-exporting it: follow one more import
    for alias in home.imports.resolve_dotted(attribute):
        if alias != qualified:
            symbol = _lookup(project, alias, hops + 1, constants)
            if symbol is not None:
                return symbol
    return None


# -- the pre-check across modules ------------------------------------------------------------------
# `from a import b, c` and `from a import (\n    b,  # comment\n    c,\n)`
_FROM_IMPORT = re.compile(rb"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)?|[\w., \t]+)", re.MULTILINE)
_COMMENT = re.compile(rb"#[^\r\n]*")
_IMPORT = re.compile(rb"^[ \t]*import[ \t]+([\w.]+)", re.MULTILINE)


def imported_project_files(data: bytes, path: str) -> list[Path]:
    """The files of the project that ``data`` (the file at ``path``) imports, found by a look at its import
    lines (no parse): the pre-check lets a file through when one of them may hold a loss or an activation."""
    project = index_for(path)
    if project is None or b"import" not in data:
        return []
    here = project.dotted_name(Path(path)) or ""
    package = here if path.endswith("__init__.py") else here.rpartition(".")[0]
    files: list[Path] = []
    for match in _FROM_IMPORT.finditer(data):
        spec = match.group(1).decode("ascii", "replace")
        level = len(spec) - len(spec.lstrip("."))
        base = spec[level:]
        if level:
            parts = package.split(".") if package else []
            if level - 1 > len(parts):
                continue
            base = ".".join([*parts[: len(parts) - (level - 1)], *([base] if base else [])])
        listed = _COMMENT.sub(b"", match.group(2)).decode("ascii", "replace").strip("()")
        names = [n.strip() for n in listed.split(",")]
        candidates = [base] if base else []
        candidates += [f"{base}.{n.split()[0]}" if base else n.split()[0] for n in names if n]
        for candidate in candidates:
            file = project.module_file(candidate)
            if file is not None:
                files.append(file)
    for match in _IMPORT.finditer(data):
        file = project.module_file(match.group(1).decode("ascii", "replace"))
        if file is not None:
            files.append(file)
    return files


MAX_CONSTANTS_BYTES = 64_000  # a settings module read for its constants, whatever it imports


def resolve_value(module: "ModuleContext", names: frozenset[str], constants: bool = False):  # type: ignore[no-untyped-def]
    """(module, definition) of a module-level name of a project module bound exactly once, to a value.
    ``constants``: also from a small module that names no producer (``config.py`` holding ``POS_WEIGHT``)."""
    project = getattr(module, "project", None)
    if project is None or len(names) != 1:
        return None
    module_name, _, attribute = next(iter(names)).rpartition(".")
    file = project.module_file(module_name) if module_name else None
    if file is None:
        return None
    if not project.may_matter(file, _all_codes()) and not (constants and _size(file) <= MAX_CONSTANTS_BYTES):
        return None
    home = project.load(file)
    if home is None:
        return None
    definitions = home.definitions(home.module, attribute)
    if len(definitions) != 1 or definitions[0].value is None:
        return None
    return home, definitions[0]
