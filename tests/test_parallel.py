"""Findings are identical (same findings, same order) with one process or several, cold cache or warm, and a
failing worker becomes internal errors rather than an exception."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from wce_lint import parallel
from wce_lint.engine import RunResult, lint_paths
from wce_lint.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture (findings of every rule, syntax errors, bad encodings, fixes, traces) twice over,
    plus files the pre-check skips: enough files needing a parse for the pool to start."""
    root = tmp_path_factory.mktemp("tree")
    for copy in ("alpha", "beta"):
        shutil.copytree(FIXTURES, root / copy)
    for number in range(30):
        (root / "plain" / f"module_{number}.py").parent.mkdir(exist_ok=True)
        (root / "plain" / f"module_{number}.py").write_text(f"VALUE_{number} = {number}\n")
    return root


def _settings(root: Path) -> Settings:
    return Settings(preview=True, root=root)


def _run(root: Path, *, jobs: int, use_cache: bool) -> RunResult:
    return lint_paths([root], _settings(root), jobs=jobs, use_cache=use_cache)


def _facts(run: RunResult) -> tuple[list[object], list[str], int]:
    return run.diagnostics, run.internal_errors, run.files_seen


@pytest.fixture
def pool_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the worker count of every pool the run starts."""
    calls: list[int] = []
    original = parallel._lint_in_pool

    def spy(tasks, settings, keys, workers, store):  # type: ignore[no-untyped-def]
        calls.append(workers)
        return original(tasks, settings, keys, workers, store)

    monkeypatch.setattr(parallel, "_lint_in_pool", spy)
    return calls


def test_same_findings_in_same_order_for_one_or_two_processes_cold_and_warm(tree: Path, pool_calls: list[int]) -> None:
    shutil.rmtree(tree / ".wce_lint_cache", ignore_errors=True)
    sequential = _run(tree, jobs=1, use_cache=False)
    assert sequential.diagnostics, "the tree must produce findings for the comparison to mean anything"
    assert {d.code for d in sequential.diagnostics} >= {"WCE000", "WCE203"}
    assert not pool_calls

    two_processes = _run(tree, jobs=2, use_cache=False)
    assert pool_calls == [2]
    cold = _run(tree, jobs=2, use_cache=True)
    warm = _run(tree, jobs=2, use_cache=True)
    warm_sequential = _run(tree, jobs=1, use_cache=True)

    assert (tree / ".wce_lint_cache").is_dir()
    assert warm.files_parsed == 0 and warm_sequential.files_parsed == 0
    assert cold.files_parsed == sequential.files_parsed > parallel.PARALLEL_THRESHOLD
    for other in (two_processes, cold, warm, warm_sequential):
        assert _facts(other) == _facts(sequential)


def test_results_come_back_in_the_order_of_the_files(tree: Path) -> None:
    files = sorted(tree.rglob("*.py"), reverse=True)  # not the order the pool works in (largest first)
    results = parallel.lint_many(files, _settings(tree), jobs=2, use_cache=False)
    paths = [{d.path for d in result.diagnostics} for result in results]
    for file, found in zip(files, paths):
        assert found <= {str(file)}


def test_a_handful_of_files_stays_in_one_process(tree: Path, pool_calls: list[int]) -> None:
    files = sorted((tree / "alpha").rglob("*.py"))[: parallel.PARALLEL_THRESHOLD - 1]
    results = parallel.lint_many(files, _settings(tree), jobs=2, use_cache=False)
    assert len(results) == len(files)
    assert not pool_calls


def test_worker_count() -> None:
    assert parallel._worker_count(8, parallel.PARALLEL_THRESHOLD - 1) == 1
    assert parallel._worker_count(1, 1000) == 1
    assert parallel._worker_count(4, 1000) == 4
    assert 1 <= parallel._worker_count(None, 1000)


def test_batches_cover_every_file_once_largest_first() -> None:
    tasks = [parallel._Task(index, f"f{index}.py", size) for index, size in enumerate([5, 50, 1, 500, 20] * 9)]
    batches = parallel._batches(tasks, workers=2)
    flat = [task for batch in batches for task in batch]
    assert sorted(task.index for task in flat) == list(range(len(tasks)))
    assert flat[0].size == 500
    assert len(batches) >= 2 * parallel.BATCHES_PER_WORKER or max(map(len, batches)) == parallel.MAX_BATCH


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the patched engine reaches workers by fork")
def test_an_exception_in_a_worker_is_an_internal_error(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wce_lint.engine

    original = wce_lint.engine.lint_source
    # a file the pre-check lets through on its own bytes (the project fixtures' __init__ modules do not)
    victim = sorted(p for p in (tree / "beta").rglob("*.py") if "projects" not in p.parts)[0]

    def failing(data: bytes, path: str, settings: Settings, **options: bool):  # type: ignore[no-untyped-def]
        if path == str(victim):
            raise RuntimeError("boom")
        return original(data, path, settings, **options)

    monkeypatch.setattr(wce_lint.engine, "lint_source", failing)
    run = _run(tree, jobs=2, use_cache=False)
    assert run.internal_errors == [f"{victim}: internal error: RuntimeError: boom"]
    assert run.diagnostics  # the other files were linted


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the patched engine reaches workers by fork")
def test_a_dying_worker_is_reported_not_raised(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import wce_lint.engine

    original = wce_lint.engine.lint_source
    victim = sorted(p for p in (tree / "alpha").rglob("*.py") if "projects" not in p.parts)[0]

    def dying(data: bytes, path: str, settings: Settings, **options: bool):  # type: ignore[no-untyped-def]
        if path == str(victim):
            os._exit(3)  # what an out-of-memory kill or a crash in native code looks like to the pool
        return original(data, path, settings, **options)

    monkeypatch.setattr(wce_lint.engine, "lint_source", dying)
    run = _run(tree, jobs=2, use_cache=False)
    lost = [message for message in run.internal_errors if message.startswith(f"{victim}:")]
    assert lost and "worker process died" in lost[0]


def test_spawned_workers_give_the_same_findings(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fork is not used (macOS, Windows, a threaded caller), workers start fresh: settings and the
    cache's key maker must reach them by pickling."""
    import multiprocessing

    files = sorted((tree / "alpha").rglob("*.py"))
    expected = parallel.lint_many(files, _settings(tree), jobs=1, use_cache=False)
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 2)
    shutil.rmtree(tree / ".wce_lint_cache", ignore_errors=True)
    spawned = parallel.lint_many(files, _settings(tree), jobs=2, use_cache=True)
    assert [r.diagnostics for r in spawned] == [r.diagnostics for r in expected]
    assert [r.internal_errors for r in spawned] == [r.internal_errors for r in expected]
