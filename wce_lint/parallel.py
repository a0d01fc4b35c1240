"""Linting many files: the cache first, then the byte-level pre-check, then a process pool for the files that
need parsing.

Every file is read once in this process and looked up in the cache by its digest. A miss whose bytes contain
no rule's trigger word is linted right here (``lint_source`` stops at its own pre-check, without importing
LibCST). The files left need a parse; a handful of them (what pre-commit passes) are linted here too,
because a worker that starts by importing LibCST costs more than it saves. Larger runs go to a pool of
processes over all cores, in batches, largest files first so the last batches are short.

The pool only changes where a file is linted, never how: each file goes through ``engine.lint_source`` and
the results come back in the order of ``files``, so findings are identical with one process or many, cold
cache or warm. A worker that fails turns into internal errors for the files it held, never an exception.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from wce_lint.cache import Cache, KeyMaker

if TYPE_CHECKING:
    import multiprocessing.context

    from wce_lint.analysis.summary_store import SummaryStore

    from wce_lint.engine import FileResult
    from wce_lint.settings import Settings

# Below this many files to parse, one process is faster: each worker pays LibCST's import (~0.25 s) first.
PARALLEL_THRESHOLD = 20
# At most this many files per batch; fewer when there are few files, so every worker gets several batches.
MAX_BATCH = 16
BATCHES_PER_WORKER = 4


@dataclass(frozen=True)
class _Task:
    index: int
    path: str  # the display path: what the engine reports and the cache is keyed by
    size: int


def lint_many(
    files: Sequence[Path], settings: Settings, *, jobs: int | None = None, use_cache: bool = True
) -> list[FileResult]:
    """``engine.lint_file`` for each of ``files``, in order, through the cache and over ``jobs`` processes
    (default: every core this process may use)."""
    from wce_lint.analysis.project import reset

    reset()  # modules of the project are read afresh for each run

    cache = _open_cache(settings) if use_cache else None
    try:
        return _lint_many(files, settings, jobs, cache)
    finally:
        store_module = sys.modules.get("wce_lint.analysis.summary_store")  # (not imported by a cached run)
        if store_module is not None:
            store_module.activate(None)  # type: ignore[attr-defined]


def _lint_many(files: Sequence[Path], settings: Settings, jobs: int | None, cache: Cache | None) -> list[FileResult]:
    from wce_lint.engine import FileResult, lint_file, lint_source, needs_parse_at

    results: list[FileResult | None] = [None] * len(files)
    to_parse: list[_Task] = []
    for index, path in enumerate(files):
        display = str(path)
        data = _read(path)
        if data is None:  # not a regular file, or unreadable: the engine words the error
            results[index] = lint_file(path, settings)
            continue
        key = None
        if cache is not None:
            key = cache.keys.key(data, display)
            cached = cache.get(display, key)
            if cached is not None:
                results[index] = FileResult(cached)
                continue
        if needs_parse_at(data, display, settings.codes_for(display), settings.loss_api_triggers):
            to_parse.append(_Task(index, display, len(data)))
            continue
        result = lint_source(data, display, settings, may_parse=False)
        results[index] = result
        if cache is not None and key is not None and result.may_cache:
            cache.put(display, key, result.diagnostics, result.dependencies)

    store = None
    if cache is not None and to_parse:
        from wce_lint.analysis import summary_store

        store = summary_store.SummaryStore(cache.summaries, cache.keys.code)
        summary_store.activate(store)
    workers = _worker_count(jobs, len(to_parse))
    keys = cache.keys if cache is not None else None
    if workers <= 1:
        outcomes: Iterable[tuple[int, FileResult, str | None]] = _lint_batch(to_parse, settings, keys)
    else:
        outcomes = _lint_in_pool(to_parse, settings, keys, workers, store)
    learned = []
    for index, result, key in outcomes:
        results[index] = result
        if cache is not None and key is not None and result.may_cache:
            cache.put(str(files[index]), key, result.diagnostics, result.dependencies)
            if result.summaries is not None:
                learned.append(result.summaries)
    if cache is not None:
        if store is not None and (learned or cache.summaries is not None):
            cache.put_summaries(store.merged(learned))
        cache.save()
    return results  # type: ignore[return-value]  # every slot is filled above


def _open_cache(settings: Settings) -> Cache | None:
    try:
        return Cache(settings)
    except Exception:  # an unusable cache (odd root, unreadable package folder …) is no cache
        return None


def _read(path: Path | str) -> bytes | None:
    """The bytes of a regular file, or None (folder, FIFO, device, dangling link, permission …).

    One open and one fstat: half the cost of ``stat`` + ``open().read()`` on a warm run, where reading is
    most of the work. O_NONBLOCK so that opening a FIFO cannot hang; it changes nothing for regular files.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError):
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return None
        data = os.read(descriptor, status.st_size + 1)
        if len(data) <= status.st_size:
            return data  # one read: the whole file (the +1 shows that it did not grow meanwhile)
        chunks = [data]
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _worker_count(jobs: int | None, files_to_parse: int) -> int:
    if files_to_parse < PARALLEL_THRESHOLD:
        return 1
    if jobs is None:
        try:
            jobs = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            jobs = os.cpu_count() or 1
    return max(1, min(jobs, files_to_parse // MAX_BATCH + 1))


def _batches(tasks: list[_Task], workers: int) -> list[list[_Task]]:
    # Largest files first, so the pool ends on small batches and no worker idles while one finishes a giant.
    ordered = sorted(tasks, key=lambda task: (-task.size, task.index))
    size = max(1, min(MAX_BATCH, -(-len(ordered) // (workers * BATCHES_PER_WORKER))))
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


def _lint_in_pool(
    tasks: list[_Task], settings: Settings, keys: KeyMaker | None, workers: int, store: SummaryStore | None
) -> list[tuple[int, FileResult, str | None]]:
    # Imported here: multiprocessing costs tens of milliseconds that a cached or small run never needs.
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from wce_lint.engine import FileResult

    batches = _batches(tasks, workers)
    outcomes: list[tuple[int, FileResult, str | None]] = []
    context = _context()
    if context.get_start_method() == "fork":
        _import_analysis()
    executor = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(settings, keys, os.getpid(), store)
    )
    try:
        futures = [executor.submit(_lint_batch_in_worker, batch) for batch in batches]
        for batch, future in zip(batches, futures):
            try:
                outcomes.extend(future.result())
            except BrokenProcessPool:
                outcomes.extend(_lost(batch, "a worker process died (out of memory, or a crash in the parser)"))
            except Exception as error:  # e.g. a result that could not be sent back
                outcomes.extend(_lost(batch, f"{type(error).__name__}: {error}"))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return outcomes


def _import_analysis() -> None:
    """Forked workers inherit what this process has imported: LibCST and the analysis once, not per worker."""
    import importlib
    import pkgutil

    import wce_lint.analysis

    for module in pkgutil.iter_modules(wce_lint.analysis.__path__, "wce_lint.analysis."):
        importlib.import_module(module.name)


def _lost(batch: list[_Task], why: str) -> list[tuple[int, FileResult, str | None]]:
    from wce_lint.engine import FileResult

    return [(task.index, FileResult(internal_errors=[f"{task.path}: internal error: {why}"]), None) for task in batch]


def _context() -> multiprocessing.context.BaseContext:
    import multiprocessing
    import threading

    # fork starts a worker in a few milliseconds with the engine already imported; spawn re-imports Python's
    # startup and wce-lint in every worker. Forking a process that runs threads is unsafe, so only then, and
    # only where fork exists and is the platform's habit (Linux), do we use it.
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


# -- the worker side ---------------------------------------------------------------------------------
_worker_settings: Settings | None = None
_worker_keys: KeyMaker | None = None


def _start_worker(settings: Settings, keys: KeyMaker | None, parent: int, store: SummaryStore | None) -> None:
    global _worker_settings, _worker_keys
    _worker_settings, _worker_keys = settings, keys
    from wce_lint.analysis import summary_store

    summary_store.activate(store)  # (a copy: what a worker learns comes back in its results)
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """Leave when the main process is gone. Ctrl-C reaches the whole process group, but a main process
    killed alone (SIGTERM, OOM killer) would leave its workers waiting forever on the task queue, whose
    write end the sibling workers inherited."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="wce-lint-parent-watch", daemon=True).start()


def _lint_batch_in_worker(batch: list[_Task]) -> list[tuple[int, FileResult, str | None]]:
    assert _worker_settings is not None
    return list(_lint_batch(batch, _worker_settings, _worker_keys))


def _lint_batch(
    batch: Iterable[_Task], settings: Settings, keys: KeyMaker | None
) -> Iterable[tuple[int, FileResult, str | None]]:
    """Lint each file; the digest is computed from the bytes actually linted (the file may have changed
    since the main process hashed it), so the cache never pairs a result with other bytes."""
    from wce_lint.engine import FileResult, lint_file, lint_source

    for task in batch:
        try:
            data = _read(Path(task.path))
            if data is None:
                yield task.index, lint_file(Path(task.path), settings), None
                continue
            key = keys.key(data, task.path) if keys is not None else None
            yield task.index, lint_source(data, task.path, settings), key
        except Exception as error:  # the engine catches rule errors; this is for the parser and the engine
            message = f"{task.path}: internal error: {type(error).__name__}: {error}"
            yield task.index, FileResult(internal_errors=[message]), None
