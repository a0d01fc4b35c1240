"""discover → pre-check → parse → analyse → run rules → suppress → sort.

The engine imports LibCST and the analysis layer only for files that pass the byte-level pre-check, so a
run over files that cannot contain a loss call (or a fully cached run) never pays for them.
"""

from __future__ import annotations

import gc
import os
import re
import sys
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from wce_lint.diagnostics import Diagnostic, Position, RelatedLocation, Severity
from wce_lint.rule import Rule
from wce_lint.rules import REGISTRY
from wce_lint.settings import Settings
from wce_lint.source import SourceText, UnreadableSource, decode, has_skip_file_comment

if TYPE_CHECKING:
    import ast

PYTHON_SUFFIXES = (".py", ".pyi")
NOTEBOOK_SUFFIX = ".ipynb"  # read by wce_lint.notebook: the code cells form one module
SYNTAX_ERROR = "WCE000"
# Deeper bracket nesting than this is refused before parsing: the native parser would exhaust the stack.
MAX_NESTING = 200


@dataclass
class FileResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    parsed: bool = False
    # Modules of the project the analysis read (path → digest): a cached result holds while they are unchanged.
    dependencies: dict[str, str] = field(default_factory=dict)
    # Empty summaries of other modules' callees learned meanwhile, with what they depend on (summary_store).
    summaries: tuple[dict[str, str], dict[str, list[str]]] | None = None
    # False when the verdict depends on this run's circumstances (the time limit, on a loaded machine), not
    # only on the file's bytes and the config: such a result must not be cached.
    cacheable: bool = True

    @property
    def may_cache(self) -> bool:
        return self.cacheable and not self.internal_errors


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    files_seen: int = 0
    files_parsed: int = 0
    messages: list[str] = field(default_factory=list)  # files skipped, with why
    missing: list[str] = field(default_factory=list)  # paths named on the command line that do not exist


# -- discovery -------------------------------------------------------------------------------------
def discover(paths: Sequence[Path], settings: Settings, *, force_exclude: bool = False) -> tuple[list[Path], list[str]]:
    """Python files under ``paths``. Files named explicitly are kept even when excluded, unless
    ``force_exclude`` (what the pre-commit hook uses). Returns the files and messages about skipped paths."""
    found: dict[str, Path] = {}
    messages: list[str] = []
    for path in paths:
        if not path.exists() and not path.is_symlink():
            continue  # reported by lint_paths as a usage error
        if path.is_dir():
            if force_exclude and settings.is_excluded(path):
                continue
            for file in _walk(path, settings, messages):
                found.setdefault(str(file), file)
        else:
            if force_exclude and settings.is_excluded(path):
                continue
            found.setdefault(str(path), path)
    return list(found.values()), messages


def _walk(root: Path, settings: Settings, messages: list[str]) -> Iterator[Path]:
    seen_dirs: set[tuple[int, int]] = set()

    def on_error(error: OSError) -> None:
        messages.append(f"{error.filename}: cannot list folder ({error.strerror})")

    for folder, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=True):
        try:
            stat = os.stat(folder)
            key = (stat.st_dev, stat.st_ino)
        except OSError:
            dirnames[:] = []
            continue
        if key in seen_dirs:  # a symlink loop: each real folder is visited once
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        base = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not settings.is_excluded(base / d))
        for name in sorted(filenames):
            if name.endswith(PYTHON_SUFFIXES) or name.endswith(NOTEBOOK_SUFFIX):
                candidate = base / name
                if not settings.is_excluded(candidate):
                    yield candidate


# -- one file --------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _triggers(codes: frozenset[str]) -> tuple[bytes, ...]:
    """The rules' trigger words, lower-cased, without those that contain another: a looser test (run on
    the lower-cased bytes) with fewer words (`focal`, `Focal`, `FOCAL` become one). Each absent word costs
    a scan of the whole file, and most files contain none of them."""
    lowered = {t.lower() for code in codes for t in REGISTRY[code].triggers}
    return tuple(sorted(t for t in lowered if not any(other != t and other in t for other in lowered)))


Extra = tuple[tuple[bytes, ...], tuple[bytes, ...]]  # (words, modules) of the config's own loss APIs


def needs_parse(data: bytes, codes: frozenset[str], extra: Extra = ((), ())) -> bool:
    """The byte-level pre-check: whether any rule of ``codes`` may fire on ``data`` (only then is it parsed).
    ``extra``: ``Settings.loss_api_triggers``, what the config's own loss APIs add."""
    return bool(_rules_triggered(data, codes, extra))


def needs_parse_at(data: bytes, path: str, codes: frozenset[str], extra: Extra = ((), ())) -> bool:
    """The pre-check for a file of a project: its own bytes, or an import of a module that passes it."""
    return bool(_rules_triggered(data, codes, extra)) or bool(_rules_through_imports(data, path, codes))


def _rules_through_imports(data: bytes, path: str, codes: frozenset[str]) -> list[Rule]:
    """A file whose bytes name no loss may still pass a model's output, or a number, to a helper of another
    module: when it imports a module of the project that passes the pre-check, every rule may fire — also
    one whose tensor-library import the file lacks (``focal_loss(x, y, gamma=-1)`` needs no ``import torch``
    here: the imported module has it)."""
    if b"import" not in data:
        return []
    rules = [REGISTRY[code] for code in sorted(codes) if code != SYNTAX_ERROR]
    if not rules:
        return []
    from wce_lint.analysis.project import imported_project_files, index_for

    project = index_for(path)
    if project is None:
        return []
    if any(project.may_matter(file, codes) for file in imported_project_files(data, path)):
        return rules
    return []


def _precheck_dependencies(data: bytes, path: str) -> dict[str, str]:
    """The files of the project the pre-check of a file read through its imports (path → digest)."""
    if b"import" not in data:
        return {}
    from wce_lint.analysis.project import imported_project_files, index_for

    project = index_for(path)
    if project is None or not imported_project_files(data, path):
        return {}
    return project.read_files()


def _rules_triggered(data: bytes, codes: frozenset[str], extra: Extra = ((), ())) -> list[Rule]:
    # `bytes in bytes` is a fast substring search; a regex alternation is many times slower on big files.
    lowered = data.lower()
    words, modules = extra
    user_api = bool(words) and any(word in data for word in words)
    if not user_api and not any(trigger in lowered for trigger in _triggers(codes)):
        return []
    return [
        rule
        for rule in (REGISTRY[code] for code in sorted(codes))
        if rule.code != SYNTAX_ERROR
        and (any(trigger in data for trigger in rule.triggers) or (user_api and _about_loss_calls(rule)))
        and (not rule.requires or _imports_one_of(rule.requires).search(data) is not None
             or (user_api and bool(modules) and _imports_one_of(modules).search(data) is not None))
    ]


def _about_loss_calls(rule: Rule) -> bool:
    """Rules triggered by loss API names: those a user's own loss API must reach too."""
    from wce_lint.analysis.apis import LOSS_TRIGGERS

    return LOSS_TRIGGERS[0] in rule.triggers


@lru_cache(maxsize=None)
def _imports_one_of(modules: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """A line importing one of ``modules`` (or a submodule, or a module whose name starts with one, such as
    ``torchvision``). Looser than Python's grammar on purpose: it only has to let every real import through."""
    names = b"|".join(re.escape(module) for module in modules)
    return re.compile(rb"\b(?:import|from)\b[^\r\n]*?(?<![\w.])(?:" + names + rb")")


def _file_error(path: str, message: str, line: int = 1, column: int = 0) -> Diagnostic:
    rule = REGISTRY[SYNTAX_ERROR]
    return Diagnostic(
        code=rule.code,
        rule=rule.name,
        message=message,
        path=path,
        start=Position(max(line, 1), max(column, 0)),
        end=Position(max(line, 1), max(column, 0)),
    )


_BRACKETS = re.compile(r"[^()\[\]{}]+")


def _max_nesting(text: str) -> int:
    """Deepest bracket nesting (brackets in strings and comments count too: a cheap upper bound)."""
    depth = deepest = 0
    for char in _BRACKETS.sub("", text):
        if char in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif char in ")]}" and depth:
            depth -= 1
    return deepest


# LibCST's native parser also recurses once per level of a bracket-free chain (unary `-`/`not`, `lambda`,
# `**`, `x if c else …`, attribute/subscript/call chains, `and`/`or`, dotted import names) and crashes the
# process (SIGSEGV, or a memory blow-up) somewhere above ~5,000 levels. CPython refuses nested code long before
# that (RecursionError/MemoryError near 3,000 levels at the default recursion limit); the chains its tree keeps
# flat (`and`/`or`, dotted import names) are measured on that tree when the text hints at a long one.
MAX_CHAIN = 2500
_BOOLEAN_WORDS = re.compile(rb"\b(?:and|or)\b")
_DOTTED_RUN = re.compile(r"(?:\.\s*[^\W\d]\w*\s*){%d}" % MAX_CHAIN)


def _python_refusal(
    text: str, *, syntax_errors: bool = True, data: bytes = b""
) -> tuple[tuple[str, int, int] | None, ast.Module | None]:
    """Why CPython's parser refuses ``text`` (None: it accepts it), and its AST when it has one (the
    positions of findings are computed from it). With ``syntax_errors=False`` only a refusal for depth
    counts: LibCST gives its own verdict on syntax, and knows syntax newer than this interpreter's."""
    import ast
    import threading
    import warnings

    limit = sys.getrecursionlimit()
    # The depth CPython accepts grows with the recursion limit (a host process may have raised it).
    clamp = limit > 1000 and threading.current_thread() is threading.main_thread()
    try:
        if clamp:
            depth, frame = 0, sys._getframe()
            while frame is not None:
                depth, frame = depth + 1, frame.f_back
            sys.setrecursionlimit(max(1000, depth + 100))
        with warnings.catch_warnings():  # "invalid escape sequence" and the like are not ours to print
            warnings.simplefilter("ignore")
            tree = compile(text, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        if not syntax_errors:
            return None, None
        return (f"syntax error: {error.msg}", error.lineno or 1, max((error.offset or 1) - 1, 0)), None
    except (RecursionError, MemoryError):
        return ("code nested too deeply to parse", 1, 0), None
    except ValueError:  # NUL bytes: refused earlier by decode()
        return None, None
    finally:
        if clamp:
            sys.setrecursionlimit(limit)
    if len(_BOOLEAN_WORDS.findall(data)) > MAX_CHAIN or _DOTTED_RUN.search(text):
        for node in ast.walk(tree):
            if isinstance(node, ast.BoolOp):
                chain, what = len(node.values) - 1, "`and`/`or` operators in a row"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                chain, what = max(name.count(".") for name in names), "dots in a dotted name"
            else:
                continue
            if chain > MAX_CHAIN:
                return (f"{chain} {what}: too long to parse", node.lineno, node.col_offset), None
    return None, tree


def lint_source(data: bytes, path: str, settings: Settings, *, may_parse: bool = True) -> FileResult:
    """Check one file's bytes. ``path`` is used for display, per-file ignores and the cache.
    ``may_parse=False``: the caller's pre-check (``needs_parse``) already said no rule can fire, so only
    what needs no parse is checked (the encoding)."""
    from wce_lint.timelimit import TimeLimitExceeded, limit_seconds, time_limit

    seconds = limit_seconds()
    started = time.monotonic()
    # The cyclic collector would walk LibCST's tree (hundreds of thousands of nodes in a large file) again
    # and again while the parse and the analysis allocate: a quarter of the time on a 12k-line file. The
    # tree holds no cycles that outlive the file; the collector runs again as soon as it is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with time_limit(seconds):
            return _lint_source(data, path, settings, seconds, may_parse)
    except TimeLimitExceeded:  # partial findings are dropped: the file is reported as not analysed
        message = f"analysis took longer than {seconds:g} s; file skipped"
    except SystemError:
        # The alarm fired inside CPython's own compile(): it reports the interrupted C code as a SystemError.
        if seconds is None or time.monotonic() - started < seconds:
            raise
        message = f"analysis took longer than {seconds:g} s; file skipped"
    except RecursionError:  # e.g. the position of a finding in a module holding a ~1,000-level expression
        message = "code nested too deeply to analyse; file skipped"
    finally:
        if collecting:
            gc.enable()
    if SYNTAX_ERROR not in settings.codes_for(path):
        return FileResult(cacheable=False)
    return FileResult([_file_error(path, message)], cacheable=False)


def _lint_source(data: bytes, path: str, settings: Settings, seconds: float | None, may_parse: bool) -> FileResult:
    if path.lower().endswith(NOTEBOOK_SUFFIX):
        return _lint_notebook(data, path, settings, seconds)
    result = FileResult()
    if has_skip_file_comment(data):
        return result
    codes = settings.codes_for(path)
    try:
        source = decode(data)
    except UnreadableSource as error:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(_file_error(path, error.message, error.line, error.column))
        return result
    return _lint_text(data, source, path, settings, seconds, may_parse)


def _lint_notebook(data: bytes, path: str, settings: Settings, seconds: float | None) -> FileResult:
    """The notebook's code cells as one module, its findings placed in their cells (``wce_lint.notebook``)."""
    from wce_lint.notebook import NotebookError, read_notebook

    codes = settings.codes_for(path)
    try:
        notebook = read_notebook(data)
        incomplete = notebook.incomplete_cell()
    except NotebookError as error:
        errors = [_file_error(path, error.message, error.line, error.column)] if SYNTAX_ERROR in codes else []
        return FileResult(errors)
    if notebook.skips_file or not notebook.is_python:
        return FileResult()
    if incomplete is not None:
        cell, why = incomplete
        end = Position(len(cell.lines), len(cell.lines[-1]), cell.index)
        message = f"syntax error: {why} (each cell must be complete code: Jupyter runs it alone)"
        return FileResult([replace(_file_error(path, message), start=end, end=end)] if SYNTAX_ERROR in codes else [])
    module = notebook.module.encode("utf-8")
    # The pre-check runs on the module, not on the JSON, whose escapes (`\t`, `\u…`) may split a trigger.
    result = _lint_text(module, SourceText(notebook.module, "utf-8"), path, settings, seconds, True)
    result.diagnostics = [notebook.to_cells(diagnostic) for diagnostic in result.diagnostics]
    return result


def _lint_text(
    data: bytes, source: SourceText, path: str, settings: Settings, seconds: float | None, may_parse: bool
) -> FileResult:
    result = FileResult()
    codes = settings.codes_for(path)
    rules = _rules_triggered(data, codes, settings.loss_api_triggers) if may_parse else []
    if may_parse and len(rules) < len(codes) - (SYNTAX_ERROR in codes):
        # what an imported module of the project holds may trigger the others
        through = _rules_through_imports(data, path, codes)
        if through:
            rules = through  # every rule: what the file passes to that module decides
    if not rules:
        # the verdict rests on the modules of the project it imports, too: one that starts to name a loss
        # (or is written where none was) makes it a file to analyse
        result.dependencies = _precheck_dependencies(data, path)
        return result
    from wce_lint.timelimit import size_refusal

    too_large = size_refusal(len(data), seconds)  # LibCST's native parser cannot be interrupted
    if too_large is not None:
        result.cacheable = False  # the limit comes from the environment, which the cache key does not hold
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(_file_error(path, too_large))
        return result
    # LibCST's native parser overflows its stack on very deep nesting (a crash, not an exception);
    # CPython's own parser refuses more than 200 levels of brackets cleanly, so ask it first.
    refusal, tree = _python_refusal(source.text, syntax_errors=_max_nesting(source.text) > MAX_NESTING, data=data)
    if refusal is not None:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(_file_error(path, *refusal))
        return result
    from wce_lint.analysis.parse import ParseFailure, parse

    try:
        context = parse(path, source.text, tree,
                        _subset(source.text, tree, path, rules, settings.loss_api_triggers[0]))
    except ParseFailure as error:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(_file_error(path, error.message, error.line, error.column))
        return result
    result.parsed = True
    from wce_lint.analysis.apis import use_user_apis
    from wce_lint.analysis.tf_generation import SETTINGS_KEY

    use_user_apis(settings.loss_apis)  # before the project's summaries are computed: they ask the table
    from wce_lint.analysis.producers import use_user_producers

    use_user_producers(settings.producers)
    project = _attach_project(context, path)
    from wce_lint.analysis.summaries import call_site_trace
    from wce_lint.suppression import is_suppressed

    context.cache[SETTINGS_KEY] = settings  # what analysis reads from the run (tensorflow-version, root)
    from wce_lint.analysis import summary_store

    store = summary_store.active()
    if store is not None:
        store.begin_file()

    for rule in rules:
        try:
            findings = list(rule.check(context))
        except RecursionError:
            result.internal_errors.append(f"{path}: {rule.code} gave up: expression nested too deeply")
            continue
        except Exception as error:  # a bug in a rule must not stop the run over other files
            result.internal_errors.append(f"{path}: internal error in {rule.code}: {type(error).__name__}: {error}")
            continue
        for finding in findings:
            span = context.range(finding.node)
            first, last = context.logical_line_range(finding.node)
            if is_suppressed(rule.code, context.lines, first, last):  # lines split on first use
                continue
            result.diagnostics.append(
                Diagnostic(
                    code=rule.code,
                    rule=rule.name,
                    message=finding.message,
                    path=path,
                    start=Position(span.start.line, span.start.column),
                    end=Position(span.end.line, span.end.column),
                    severity=finding.severity or rule.severity,
                    help=finding.help,
                    fix=finding.fix,
                    related=tuple(_related(context, step) for step in (*finding.trace,
                                                                         *call_site_trace(context, finding.node))),
                )
            )
    result.diagnostics.sort(key=Diagnostic.sort_key)
    if project is not None:
        result.dependencies = project.read_files()  # loaded or judged, and modules looked for and missing
        if store is not None:
            result.dependencies.update(store.relied_on())
            if not result.internal_errors:
                result.summaries = store.settle(project)
    return result


# Set to "1" to give LibCST every file whole (the reference the subset is tested against: identical findings).
WHOLE_FILE_VARIABLE = "WCE_LINT_WHOLE_FILE"


def _subset(text: str, tree: ast.Module | None, path: str, rules: list[Rule],  # type: ignore[no-untyped-def]
            extra_words: tuple[bytes, ...] = ()):
    """The statements of ``text`` that can matter to ``rules``, the rest blanked (None: parse it whole)."""
    if tree is None or os.environ.get(WHOLE_FILE_VARIABLE, "") not in ("", "0"):
        return None
    from wce_lint.analysis.subset import relevant_subset

    triggers = [word.decode("ascii") for word in _triggers(frozenset(rule.code for rule in rules))]
    # the config's own loss APIs name their calls with words of their own
    triggers.extend(word.decode("utf-8", "replace").lower() for word in extra_words)
    if "tensorflow" in text:  # the statements that decide the file's TensorFlow generation matter too
        from wce_lint.analysis.tf_generation import evidence_words

        triggers.extend(evidence_words())
    return relevant_subset(text, tree, triggers, _project_imports(path))


def _project_imports(path: str):  # type: ignore[no-untyped-def]
    """Whether an import binds a module of the project that the analysis would follow (one that passes
    ``ProjectIndex.may_matter``, as ``project.resolve_symbol`` requires); None when the file belongs to no
    project."""
    from wce_lint.analysis.project import _all_codes, index_for

    project = index_for(path)
    if project is None:
        return None
    here = project.dotted_name(Path(path)) or ""
    package = here if path.endswith("__init__.py") else here.rpartition(".")[0]
    codes = _all_codes()

    def is_project(module: str, names: tuple[str, ...], level: int) -> bool:
        if level:
            parts = package.split(".") if package else []
            if level - 1 > len(parts):
                return False
            module = ".".join([*parts[: len(parts) - (level - 1)], *([module] if module else [])])
        # what `resolve_symbol` looks up: the module itself (`import a.b` → `a.b.f`), or a submodule imported
        # by name (`from a import b` → `a.b.f`)
        candidates = [module] if module else []
        candidates += [f"{module}.{name}" if module else name for name in names]
        for candidate in candidates:
            file = project.module_file(candidate)
            if file is not None and project.may_matter(file, codes):
                return True
        return False

    return is_project


def _related(context, step) -> RelatedLocation:  # type: ignore[no-untyped-def]
    """A trace step, in this file or in another module of the project (then with that file's path)."""
    other, span = context.locate(step.node)
    return RelatedLocation(step.message, *_positions(span), path=other)


def _attach_project(context, path: str):  # type: ignore[no-untyped-def]
    """Let the analysis see the project's other modules (imports of them, summaries of their functions)."""
    from wce_lint.analysis.project import index_for

    project = index_for(path)
    if project is not None:
        context.attach_project(project, Path(path).resolve())
    return project


def parse_for_analysis(data: bytes, path: str):  # type: ignore[no-untyped-def]
    """A module of the project parsed for what other files ask of it (summaries), with the same guards as a
    linted file; None when it cannot be read or parsed safely (its own lint run reports why)."""
    try:
        source = decode(data)
    except UnreadableSource:
        return None
    from wce_lint.timelimit import size_refusal

    if size_refusal(len(data), None) is not None:
        return None
    refusal, tree = _python_refusal(source.text, syntax_errors=True, data=data)
    if refusal is not None:
        return None
    from wce_lint.analysis.parse import ParseFailure, parse

    try:
        return parse(path, source.text, tree)
    except ParseFailure:
        return None


def _positions(span: object) -> tuple[Position, Position]:
    return Position(span.start.line, span.start.column), Position(span.end.line, span.end.column)  # type: ignore[attr-defined]


def lint_file(path: Path, settings: Settings) -> FileResult:
    display = str(path)
    try:
        if path.is_dir():
            return FileResult([_file_error(display, "is a directory, not a Python file")])
        if not path.is_file():
            try:
                os.stat(path)
            except OSError as error:  # gone since discovery, a dangling link or a link loop: say which
                what = "broken symbolic link" if path.is_symlink() else "cannot read file"
                return FileResult([_file_error(display, f"{what}: {error.strerror or error}")])
            return FileResult([_file_error(display, "not a regular file (FIFO, socket or device)")])
        data = path.read_bytes()
    except OSError as error:
        return FileResult([_file_error(display, f"cannot read file: {error.strerror or error}")])
    return lint_source(data, display, settings)


# -- many files ------------------------------------------------------------------------------------
def lint_paths(
    paths: Sequence[Path],
    settings: Settings,
    *,
    force_exclude: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
) -> RunResult:
    files, messages = discover(paths, settings, force_exclude=force_exclude)
    missing = [str(path) for path in paths if not path.exists() and not path.is_symlink()]
    run = RunResult(messages=messages, files_seen=len(files), missing=missing)
    for result in _lint_many(files, settings, jobs=jobs, use_cache=use_cache):
        run.diagnostics.extend(result.diagnostics)
        run.internal_errors.extend(result.internal_errors)
        run.files_parsed += result.parsed
    run.diagnostics.sort(key=Diagnostic.sort_key)
    return run


def _lint_many(files: list[Path], settings: Settings, *, jobs: int | None, use_cache: bool) -> Iterable[FileResult]:
    from wce_lint.parallel import lint_many  # imports the engine: import it only when used

    return lint_many(files, settings, jobs=jobs, use_cache=use_cache)


def severity_of(diagnostic: Diagnostic) -> Severity:
    return diagnostic.severity


if __name__ == "__main__":  # pragma: no cover - a debugging aid
    print(lint_paths([Path(p) for p in sys.argv[1:]], Settings()))
