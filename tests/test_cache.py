"""The content-hash cache: faithful, invalidated by anything a finding depends on, ignored when unusable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wce_lint import cache as cache_module
from wce_lint.cache import CACHE_DIR, Cache, decode_diagnostic, encode_diagnostic
from wce_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, RelatedLocation, Severity
from wce_lint.engine import lint_paths
from wce_lint.settings import Settings

NEGATIVE_POS_WEIGHT = textwrap.dedent(
    """\
    import tensorflow as tf


    def loss(labels, logits):
        return tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=-2.0)
    """
)


def _diagnostic(**changes: object) -> Diagnostic:
    values: dict[str, object] = dict(
        code="WCE101",
        rule="probabilities-as-logits",
        message="`logits` receives the output of `tf.sigmoid` (line 3) — «ünïcode» \ud800 kept",
        path="src/train loop/step.py",
        start=Position(7, 4),
        end=Position(9, 0),
        severity=Severity.WARNING,
        help="pass the raw scores",
        fix=Fix(
            "drop the activation",
            (Edit(Position(7, 4), Position(7, 15), ""), Edit(Position(8, 0), Position(8, 1), "x\n")),
            Applicability.SAFE,
        ),
        related=(
            RelatedLocation("sigmoid applied here", Position(3, 8), Position(3, 20)),
            RelatedLocation("assigned to `p`", Position(4, 0), Position(4, 1)),
        ),
    )
    values.update(changes)
    return Diagnostic(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "diagnostic",
    [
        _diagnostic(),
        _diagnostic(fix=None, help=None, related=(), severity=Severity.ERROR),
        _diagnostic(fix=Fix("no edits", ())),
    ],
)
def test_a_diagnostic_survives_the_round_trip_through_json(diagnostic: Diagnostic) -> None:
    stored = json.dumps(encode_diagnostic(diagnostic))
    assert decode_diagnostic(json.loads(stored)) == diagnostic


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"code": "WCE101"},  # fields missing
        {**encode_diagnostic(_diagnostic()), "unknown": 1},
        {**encode_diagnostic(_diagnostic()), "severity": "fatal"},
        {**encode_diagnostic(_diagnostic()), "start": {"line": "7", "column": 4}},
        {**encode_diagnostic(_diagnostic()), "related": {"message": "x"}},
    ],
)
def test_malformed_entries_are_refused(data: object) -> None:
    with pytest.raises((TypeError, ValueError, KeyError)):
        decode_diagnostic(data)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "loss.py").write_text(NEGATIVE_POS_WEIGHT)
    (tmp_path / "pkg" / "plain.py").write_text("VALUE = 1\n")
    (tmp_path / "pkg" / "latin.py").write_bytes(b"x = '\xe9'\n")  # not UTF-8: WCE000
    return tmp_path


def _run(root: Path, settings: Settings | None = None, use_cache: bool = True):  # type: ignore[no-untyped-def]
    return lint_paths([root / "pkg"], settings or Settings(root=root), jobs=1, use_cache=use_cache)


def _codes(run) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    return [(Path(d.path).name, d.code, d.start.line) for d in run.diagnostics]


def test_a_warm_run_parses_nothing_and_finds_the_same(project: Path) -> None:
    cold = _run(project)
    assert _codes(cold) == [("latin.py", "WCE000", 1), ("loss.py", "WCE203", 5)]
    assert cold.files_parsed == 1
    warm = _run(project)
    assert warm.files_parsed == 0
    assert warm.diagnostics == cold.diagnostics


def test_the_folder_is_tagged_and_ignored_by_git_and_holds_json(project: Path) -> None:
    _run(project)
    folder = project / CACHE_DIR
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    (stored,) = folder.rglob("*.json")
    document = json.loads(stored.read_text())
    assert document["format"] == cache_module.FORMAT
    assert set(document["entries"]) == {str(project / "pkg" / name) for name in ("loss.py", "plain.py", "latin.py")}
    assert not list(folder.rglob(".tmp-*"))


def test_no_cache_neither_reads_nor_writes(project: Path) -> None:
    _run(project, use_cache=False)
    assert not (project / CACHE_DIR).exists()
    _run(project)
    (project / "pkg" / "loss.py").write_text("x = 1\n")
    assert _codes(_run(project, use_cache=False)) == [("latin.py", "WCE000", 1)]


def test_an_edited_file_is_linted_again(project: Path) -> None:
    _run(project)
    (project / "pkg" / "loss.py").write_text(NEGATIVE_POS_WEIGHT.replace("-2.0", "2.0"))
    rerun = _run(project)
    assert rerun.files_parsed == 1
    assert _codes(rerun) == [("latin.py", "WCE000", 1)]


def test_other_settings_do_not_share_entries(project: Path) -> None:
    _run(project)
    narrowed = _run(project, Settings(root=project, ignore=("WCE203",)))
    assert _codes(narrowed) == [("latin.py", "WCE000", 1)]
    per_file = Settings(root=project, per_file_ignores=(("pkg/loss.py", ("WCE203",)),))
    assert _codes(_run(project, per_file)) == [("latin.py", "WCE000", 1)]
    assert _codes(_run(project)) == [("latin.py", "WCE000", 1), ("loss.py", "WCE203", 5)]


def test_the_display_path_is_part_of_the_key(project: Path) -> None:
    settings = Settings(root=project)
    cache = Cache(settings, code="fixed")
    data = (project / "pkg" / "loss.py").read_bytes()
    assert cache.keys.key(data, "pkg/loss.py") != cache.keys.key(data, "./pkg/loss.py")
    assert cache.keys.key(data, "pkg/loss.py") == Cache(settings, code="fixed").keys.key(data, "pkg/loss.py")
    assert cache.keys.key(data, "pkg/loss.py") != Cache(settings, code="changed").keys.key(data, "pkg/loss.py")


def test_a_changed_wce_lint_is_a_miss(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(project)
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another build")
    assert _run(project).files_parsed == 1


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff garbage",
        b'{"format": 1, "entries": ',  # truncated
        b"[1, 2, 3]",
        b'{"format": 1, "entries": []}',
        b'{"format": 1, "entries": {"x": 1, "y": [1, 2, 3]}}',
        b"[" * 100_000,  # deeper than the JSON parser's recursion limit
    ],
)
def test_a_corrupt_cache_is_ignored(project: Path, content: bytes) -> None:
    expected = _codes(_run(project))
    for stored in (project / CACHE_DIR).rglob("*.json"):
        stored.write_bytes(content)
    assert _codes(_run(project)) == expected
    assert _run(project).files_parsed == 0  # rewritten whole


def test_entries_with_bad_diagnostics_are_misses(project: Path) -> None:
    expected = _codes(_run(project))
    (stored,) = (project / CACHE_DIR).rglob("*.json")
    document = json.loads(stored.read_text())
    for entry in document["entries"].values():
        entry[1] = [{"code": 5}] if entry[1] else entry[1]
    stored.write_text(json.dumps(document))
    rerun = _run(project)
    assert _codes(rerun) == expected
    assert rerun.files_parsed == 1


def test_an_unusable_cache_folder_is_no_cache(project: Path) -> None:
    (project / CACHE_DIR).write_text("a file where the folder should be")
    assert _codes(_run(project)) == [("latin.py", "WCE000", 1), ("loss.py", "WCE203", 5)]
    assert _run(project).files_parsed == 1


def test_a_run_over_some_files_keeps_the_entries_of_the_others(project: Path) -> None:
    _run(project)
    lint_paths([project / "pkg" / "plain.py"], Settings(root=project), jobs=1)
    assert _run(project).files_parsed == 0


def test_a_warm_run_does_not_import_the_parser(project: Path) -> None:
    _run(project)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from wce_lint.engine import lint_paths
        from wce_lint.settings import Settings
        root = Path({str(project)!r})
        run = lint_paths([root / "pkg"], Settings(root=root), jobs=1)
        assert run.files_parsed == 0 and len(run.diagnostics) == 2, run
        print(sorted(m for m in sys.modules if m.startswith(("libcst", "wce_lint.analysis"))))
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=project,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    ).stdout
    loaded = eval(output)  # a list of module names printed above
    assert "wce_lint.analysis.parse" not in loaded and "wce_lint.analysis.module" not in loaded
    assert "libcst" not in loaded, "a fully cached run must not pay LibCST's ~250 ms import"
