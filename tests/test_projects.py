"""Project fixtures: folders of modules that import each other (``fixtures/projects/<name>/``), with
``# expect:`` comments in any of them. The whole project is linted at once and each file alone (as
pre-commit passes only the changed files): both must give exactly the expected findings, and the same ones.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fixture_expectations import read_expectations
from wce_lint.analysis import project as project_index
from wce_lint.engine import lint_paths
from wce_lint.settings import Settings

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "projects"
NAMES = sorted(p.name for p in PROJECTS.iterdir() if p.is_dir())


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def _lint(root: Path, files: list[Path], jobs: int = 1) -> list:
    project_index.reset()
    run = lint_paths(files, Settings(preview=True, root=root), jobs=jobs, use_cache=False)
    assert not run.internal_errors, run.internal_errors
    return run.diagnostics


def _line_of(file: Path, text: str) -> int:
    return next(n for n, line in enumerate(file.read_text().splitlines(), 1) if text in line)


def _key(diagnostic) -> tuple:  # type: ignore[no-untyped-def]
    return (Path(diagnostic.path).resolve(), diagnostic.code, diagnostic.start.line, diagnostic.start.display_column)


@pytest.mark.parametrize("name", NAMES)
def test_whole_project_findings_are_exactly_the_expected_ones(name: str) -> None:
    root = PROJECTS / name
    found = {_key(d) for d in _lint(root, _files(root))}
    found_lines = {(path, code, line) for path, code, line, _ in found}
    missing, expected_lines = [], set()
    for file in _files(root):
        expected, _, nothing = read_expectations(file)
        assert expected or nothing, f"{file}: add `# expect: …` comments or `# expect: nothing`"
        for e in expected:
            expected_lines.add((file.resolve(), e.code, e.line))
            hit = (file.resolve(), e.code, e.line, e.column) in found if e.column is not None else (
                (file.resolve(), e.code, e.line) in found_lines)
            if not hit:
                missing.append((file.name, e.code, e.line, e.column))
    extra = sorted((p.name, c, l, col) for p, c, l, col in found if (p, c, l) not in expected_lines)
    assert not missing and not extra, f"\nmissing: {missing}\nunexpected: {extra}"


@pytest.mark.parametrize("name", NAMES)
def test_one_file_runs_give_what_the_whole_project_run_gives_for_that_file(name: str) -> None:
    root = PROJECTS / name
    whole = _lint(root, _files(root))
    for file in _files(root):
        alone = _lint(root, [file])
        mine = [d for d in whole if Path(d.path).resolve() == file.resolve()]
        assert [(d.code, d.start, d.message, d.related) for d in alone] == \
            [(d.code, d.start, d.message, d.related) for d in mine], file.name


def test_two_processes_give_what_one_gives() -> None:
    root = PROJECTS / NAMES[0]
    assert _lint(root, _files(root), jobs=1) == _lint(root, _files(root), jobs=2)


@pytest.mark.parametrize("name", NAMES)
def test_one_or_two_processes_cold_or_warm_give_the_same_findings(name: str, tmp_path: Path) -> None:
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)  # the cache is written under the project's root

    def run(jobs: int, use_cache: bool, parsed: int | None = None) -> list:
        project_index.reset()
        result = lint_paths(_files(root), Settings(preview=True, root=root), jobs=jobs, use_cache=use_cache)
        assert not result.internal_errors, result.internal_errors
        if parsed is not None:
            assert result.files_parsed == parsed
        return sorted(map(_key, result.diagnostics))

    reference = run(1, use_cache=False)
    assert reference  # every project fixture has findings to compare
    assert run(2, use_cache=True) == reference  # cold
    assert run(2, use_cache=True, parsed=0) == reference  # warm: every result from the cache
    assert run(1, use_cache=True, parsed=0) == reference


def test_trace_steps_in_another_module_name_that_module(tmp_path: Path) -> None:
    root = PROJECTS / "ganlab"
    train = root / "ganlab" / "train.py"
    diagnostics = _lint(root, [train])
    line = _line_of(train, "d_loss = adversarial_loss(validity, valid)")
    first = next(d for d in diagnostics if d.start.line == line)
    paths = {Path(step.path).name for step in first.related if step.path}
    assert "models.py" in paths  # `self.model = nn.Sequential(…)` lives there
    assert all(step.path is None or Path(step.path).exists() for step in first.related)


def test_a_changed_helper_invalidates_the_cached_result_of_its_caller(tmp_path: Path) -> None:
    root = tmp_path / "ganlab"
    shutil.copytree(PROJECTS / "ganlab", root)
    train = root / "ganlab" / "train.py"
    settings = Settings(preview=True, root=root)
    project_index.reset()
    before = lint_paths([train], settings, jobs=1, use_cache=True).diagnostics
    line = _line_of(train, "wrong = bce_logits(torch.sigmoid(scores), targets)")
    assert any(d.start.line == line for d in before)
    losses = root / "ganlab" / "losses.py"
    # the helper now applies the sigmoid itself, through the probability loss: probabilities are right there
    losses.write_text(losses.read_text().replace(
        "return F.binary_cross_entropy_with_logits(scores, targets)\n",
        "return F.binary_cross_entropy(scores, targets)\n", 1))
    after = lint_paths([train], settings, jobs=1, use_cache=True).diagnostics
    assert not any(d.start.line == line for d in after)


def test_a_file_the_pre_check_let_go_is_checked_again_when_a_module_it_imports_starts_to_matter(
        tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    heads = tmp_path / "pkg" / "heads.py"
    heads.write_text("def fit(w):\n    return w\n")  # names no loss: train.py cannot hold a finding
    train = tmp_path / "pkg" / "train.py"
    train.write_text("import torch\n\nfrom pkg.heads import fit\n\nfit(torch.tensor([-2.0]))\n")
    settings = Settings(preview=True, root=tmp_path)
    project_index.reset()
    assert lint_paths([train], settings, jobs=1, use_cache=True).diagnostics == []
    heads.write_text("from torch import nn\n\n\ndef fit(w):\n    return nn.BCEWithLogitsLoss(pos_weight=w)\n")
    project_index.reset()
    found = lint_paths([train], settings, jobs=1, use_cache=True).diagnostics
    assert [(d.code, d.start.line) for d in found] == [("WCE203", 5)]


def test_only_the_evaluator_follows_definitions() -> None:
    """Every analysis asks ``provenance.bindings`` what a name is bound to; rules ask the analyses."""
    package = Path(__file__).resolve().parent.parent / "wce_lint"
    callers = sorted(
        str(path.relative_to(package)) for path in package.rglob("*.py")
        if "reaching_definitions(" in path.read_text(encoding="utf-8") and path.name != "dataflow.py"
    )
    assert callers == ["analysis/provenance.py"]
    for rule in (package / "rules").glob("*.py"):
        assert "bindings(" not in rule.read_text(encoding="utf-8"), rule.name


def test_rules_and_analyses_ask_one_evaluator() -> None:
    """``evaluator.value_of`` is the one entry point: only its two domains (``provenance``, ``values``), their
    helpers (``keras_models``, ``tensor_calls``) and the evaluator itself call the domain functions."""
    import re

    package = Path(__file__).resolve().parent.parent / "wce_lint"
    callers = sorted(
        str(path.relative_to(package)) for path in package.rglob("*.py")
        if re.search(r"(?<![\w.])(origin_of|static_value)\(", path.read_text(encoding="utf-8"))
    )
    assert callers == ["analysis/evaluator.py", "analysis/keras_models.py", "analysis/provenance.py",
                       "analysis/tensor_calls.py", "analysis/values.py"]
    rules = [path.name for path in (package / "rules").glob("*.py") if "value_of(" in path.read_text(encoding="utf-8")]
    assert rules, "the rules ask the evaluator"


def test_recursive_helpers_give_the_same_findings_in_any_order(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'r'\n")
    (tmp_path / "helpers.py").write_text(
        "import torch.nn.functional as F\n\n\n"
        "def f(x, y, n):\n    if n:\n        return g(x, y, n - 1)\n"
        "    return F.binary_cross_entropy_with_logits(x, y)\n\n\n"
        "def g(x, y, n):\n    return f(x, y, n)\n")
    (tmp_path / "a.py").write_text("import torch\nfrom helpers import f, g\n\n"
                                   "loss = g(torch.sigmoid(torch.zeros(3)), torch.ones(3), 2)\n")
    (tmp_path / "b.py").write_text("import torch\nfrom helpers import f, g\n\n"
                                   "loss = f(torch.sigmoid(torch.zeros(3)), torch.ones(3), 1)\n")
    forward = _lint(tmp_path, [tmp_path / "a.py", tmp_path / "b.py"])
    backward = _lint(tmp_path, [tmp_path / "b.py", tmp_path / "a.py"])
    assert sorted(map(_key, forward)) == sorted(map(_key, backward))
    assert {Path(d.path).name for d in forward} == {"a.py", "b.py"}  # both calls reach the loss


def test_mutually_recursive_returns_give_the_same_findings_in_any_order(tmp_path: Path) -> None:
    # `even` and `odd` return each other's result; the sigmoid is on one path of `even` only. Whichever of
    # them is asked first, both calls are known to return probabilities — and one file's answers never
    # depend on what another file asked before (a guess made inside the cycle is not kept).
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'm'\n")
    (tmp_path / "heads.py").write_text(
        "import torch\n\n\n"
        "def even(x, n):\n    if n == 0:\n        return torch.sigmoid(x)\n    return odd(x, n - 1)\n\n\n"
        "def odd(x, n):\n    return even(x, n - 1)\n\n\n"
        "def flip(x, n):\n    if n == 0:\n        return x\n    return flop(x, n - 1)\n\n\n"
        "def flop(x, n):\n    return flip(torch.sigmoid(x), n - 1)\n")
    calls = ["F.binary_cross_entropy_with_logits(odd(x, 3), y)", "F.binary_cross_entropy_with_logits(even(x, 3), y)",
             "F.binary_cross_entropy_with_logits(flop(x, 3), y)", "F.binary_cross_entropy_with_logits(flip(x, 3), y)"]
    header = "import torch\nimport torch.nn.functional as F\nfrom heads import even, flip, flop, odd\n\n" \
             "x, y = torch.zeros(4, 1), torch.ones(4, 1)\n"
    (tmp_path / "a.py").write_text(header + "\n".join(calls) + "\n")
    (tmp_path / "b.py").write_text(header + "\n".join(reversed(calls)) + "\n")
    forward = _lint(tmp_path, [tmp_path / "a.py", tmp_path / "b.py"])
    backward = _lint(tmp_path, [tmp_path / "b.py", tmp_path / "a.py"])
    assert sorted(map(_key, forward)) == sorted(map(_key, backward))
    lines = {(Path(d.path).name, d.code, d.start.line) for d in forward}
    assert lines == {("a.py", "WCE101", 6), ("a.py", "WCE101", 7), ("b.py", "WCE101", 8), ("b.py", "WCE101", 9)}


def test_imports_in_parentheses_over_several_lines_are_seen_by_the_pre_check(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "heads.py").write_text("import torch\n\n\ndef head(x):\n    return torch.softmax(x, 1)\n")
    (tmp_path / "pkg" / "alias.py").write_text("from pkg.heads import head as classify  # re-exported\n")
    train = tmp_path / "pkg" / "train.py"
    train.write_text("import torch\n\nfrom pkg.alias import (\n    classify,  # a comment, with a comma\n)\n\n"
                     "def step(x, y):\n    return -(y * torch.log(classify(x))).sum()\n")
    project_index.reset()
    files = project_index.imported_project_files(train.read_bytes(), str(train))
    assert [f.name for f in files] == ["alias.py"]
    index = project_index.index_for(str(train))
    # alias.py names no activation itself: it matters through what it imports
    assert index is not None and index.may_matter(files[0], frozenset({"WCE502"}))
    found = _lint(tmp_path, [train])
    assert [(d.code, d.start.line) for d in found] == [("WCE502", 8)]


def test_a_parameter_checked_at_a_call_in_another_module_names_where_it_is_used() -> None:
    root = PROJECTS / "detector"
    train = root / "detector" / "train.py"
    found = {d.start.line: d.message for d in _lint(root, [train])}
    assert "(detector/losses.py:20)" in found[_line_of(train, "gamma=-2.0")]  # the focal factor, in losses.py
    assert "(detector/losses.py:32)" in found[_line_of(train, "beta=1.2")]  # the weighting, in losses.py


def test_a_value_passed_to_a_helper_taking_two_logs_of_it_is_one_finding(tmp_path: Path) -> None:
    # `bce` takes log(p) and log(1 - p): both are unstable for a sigmoid output, but the call passes one
    # value — one problem, one finding at the argument.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'l'\n")
    (tmp_path / "train.py").write_text(
        "import torch\n\n\n"
        "def bce(p, y):\n    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()\n\n\n"
        "x, y = torch.zeros(4, 1), torch.zeros(4, 1)\n"
        "loss = bce(torch.sigmoid(x), y)\n")
    found = [(d.code, d.start.line) for d in _lint(tmp_path, [tmp_path / "train.py"])]
    assert found == [("WCE501", 9)]


@pytest.mark.parametrize(("text", "matters"), [
    ("import jax.numpy as jnp\n\ndef nll(p):\n    return -jnp.log(p)\n", True),
    ("import torch\n\ndef nll(p):\n    return -p.log().mean()\n", True),
    ("import torch\n\ndef stable(p):\n    return torch.log1p(-p)\n", True),
    ("import torch.nn.functional as F\n\ndef head(x):\n    return F.log_softmax(x, 1)\n", True),
    ("import torch\n\ndef scores(p):\n    return torch.logit(p)\n", True),
    # `log` only inside other words: nothing here can change what a value is
    ("import logging\nimport jax\n\nlogger = logging.getLogger(__name__)\n\ndef both(a, b):\n"
     "    return jax.numpy.logical_and(a, b)  # see the catalog\n", False),
    ("import logging\n\ndef log(x):\n    return x\n", False),  # a log, but no tensor library
])
def test_a_module_matters_to_others_when_it_names_a_log_not_a_word_holding_log(
        tmp_path: Path, text: str, matters: bool) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'm'\n")
    module = tmp_path / "helpers.py"
    module.write_text(text)
    project_index.reset()
    index = project_index.index_for(str(module))
    assert index is not None and index.may_matter(module, frozenset({"WCE502"})) is matters
