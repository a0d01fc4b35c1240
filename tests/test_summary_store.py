"""Summaries kept across runs (``analysis/summary_store.py``): a callee of another module whose summary said
nothing is not looked up again — nor its module parsed — while the files it depended on are unchanged, and
the findings are exactly those of a run without any cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from wce_lint.analysis import project as project_index
from wce_lint.cache import CACHE_DIR
from wce_lint.engine import lint_paths
from wce_lint.settings import Settings

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "projects"

QUIET = """import torch

from pkg.helpers import mean_score


def summarize(values):
    # reaches no loss and takes no log (nor does the helper it calls): its summary is empty
    return mean_score(values) + torch.sigmoid(values).mean().item()
"""
HELPERS = """def mean_score(values):
    return values.mean().item()
"""
LOSSES = """import torch.nn.functional as F


def bce_logits(scores, targets):
    return F.binary_cross_entropy_with_logits(scores, targets)
"""
TRAIN = """import torch

from pkg import quiet
from pkg.losses import bce_logits

z, y = torch.zeros(4, 1), torch.zeros(4, 1)
p = torch.sigmoid(z)
print(quiet.summarize(p))
loss = bce_logits(p, y)
"""


@pytest.fixture()
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The project modules parsed for their summaries, by file name."""
    parsed: list[str] = []
    original = project_index._parse_file

    def spy(file: Path, data: bytes):  # type: ignore[no-untyped-def]
        parsed.append(file.name)
        return original(file, data)

    monkeypatch.setattr(project_index, "_parse_file", spy)
    return parsed


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "quiet.py").write_text(QUIET)
    (root / "pkg" / "helpers.py").write_text(HELPERS)
    (root / "pkg" / "losses.py").write_text(LOSSES)
    train = root / "pkg" / "train.py"
    train.write_text(TRAIN)
    return train


def _findings(root: Path, files: list[Path], use_cache: bool = True, jobs: int = 1) -> list[tuple]:
    project_index.reset()
    run = lint_paths(files, Settings(preview=True, root=root), jobs=jobs, use_cache=use_cache)
    assert not run.internal_errors, run.internal_errors
    return sorted((Path(d.path).name, d.code, d.start.line, d.start.column, d.message) for d in run.diagnostics)


def _edit(file: Path, line: str = "# an edit\n") -> None:
    file.write_text(file.read_text() + line)


def test_an_empty_summary_stored_spares_the_parse_of_its_module(tmp_path: Path, parses: list[str]) -> None:
    train = _project(tmp_path)
    reference = _findings(tmp_path, [train], use_cache=False)
    assert [(name, code, line) for name, code, line, _, _ in reference] == [("train.py", "WCE101", 9)]
    parses.clear()
    assert _findings(tmp_path, [train]) == reference  # cold: learns that `quiet.summarize` reaches nothing
    assert "quiet.py" in parses
    parses.clear()
    _edit(train)  # the result of train.py is stale now; the summaries of the modules it calls are not
    assert _findings(tmp_path, [train]) == reference
    assert "quiet.py" not in parses and "losses.py" in parses  # a summary that says something is recomputed


def test_a_changed_callee_makes_its_stored_summary_and_the_callers_result_stale(
        tmp_path: Path, parses: list[str]) -> None:
    train = _project(tmp_path)
    _findings(tmp_path, [train])
    _edit(train)
    parses.clear()
    assert _findings(tmp_path, [train]) and "quiet.py" not in parses  # the stored summary was used
    # train.py and quiet.py are unchanged since; the helper `summarize` calls now hands what it is given to a
    # loss expecting logits (train.py never imports helpers.py: only the stored summary depends on it)
    (tmp_path / "pkg" / "helpers.py").write_text(
        "import torch\n" + LOSSES + "\n\ndef mean_score(values):\n    return bce_logits(values, values)\n")
    found = _findings(tmp_path, [train])
    assert found == _findings(tmp_path, [train], use_cache=False)
    assert ("train.py", "WCE101", 8) in [(name, code, line) for name, code, line, _, _ in found]


def test_a_module_written_where_an_import_found_none_makes_stored_summaries_stale(tmp_path: Path) -> None:
    train = _project(tmp_path)
    train.write_text(TRAIN.replace("from pkg import quiet\n", "from pkg import quiet, extra\n")
                     + "extra.fit(p)\n")
    assert _findings(tmp_path, [train]) == _findings(tmp_path, [train], use_cache=False)
    (tmp_path / "pkg" / "extra.py").write_text(LOSSES + "\n\ndef fit(scores):\n    return bce_logits(scores, scores)\n")
    found = _findings(tmp_path, [train])
    assert found == _findings(tmp_path, [train], use_cache=False)
    assert ("train.py", "WCE101", 10) in [(name, code, line) for name, code, line, _, _ in found]


def test_stored_summaries_that_cannot_be_read_are_no_summaries(tmp_path: Path, parses: list[str]) -> None:
    train = _project(tmp_path)
    reference = _findings(tmp_path, [train])
    documents = list((tmp_path / CACHE_DIR).rglob("*.json"))
    assert len(documents) == 1
    document = json.loads(documents[0].read_text())
    assert document["summaries"]["sets"]  # what the first run learnt is there
    for broken in ({"files": "x", "sets": []}, {"code": document["summaries"]["code"], "files": [[1, 2]], "sets": [[[7], {}]]},
                   [], {"code": "another version of wce-lint", **{k: v for k, v in document["summaries"].items()
                                                              if k != "code"}}):
        documents[0].write_text(json.dumps({**document, "summaries": broken}))
        _edit(train)
        parses.clear()
        assert _findings(tmp_path, [train]) == reference
        assert "quiet.py" in parses  # nothing usable was stored: the module is read again


@pytest.mark.parametrize("name", sorted(p.name for p in PROJECTS.iterdir() if p.is_dir()))
def test_project_fixtures_give_the_same_findings_with_stored_summaries_and_edited_files(
        name: str, tmp_path: Path) -> None:
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    files = sorted(root.rglob("*.py"))
    reference = _findings(root, files, use_cache=False)
    assert _findings(root, files, jobs=2) == reference  # learns the summaries, in two processes
    for file in files:  # every result is stale now, every stored summary is not: each file alone
        _edit(file)
    assert _findings(root, files) == reference
    for file in files:
        _edit(file, "# a second edit\n")
        assert _findings(root, [file]) == _findings(root, [file], use_cache=False), file


def test_results_share_chains_of_dependencies_and_a_broken_pair_is_a_miss(
        tmp_path: Path, parses: list[str]) -> None:
    train = _project(tmp_path)
    evaluate = tmp_path / "pkg" / "evaluate.py"
    evaluate.write_text(TRAIN)
    reference = _findings(tmp_path, [train, evaluate])
    (stored,) = (tmp_path / CACHE_DIR).rglob("*.json")
    document = json.loads(stored.read_text())
    chains = document["dependencies"]
    references = [document["entries"][str(file)][2] for file in (train, evaluate)]
    # one process read the project once: both results are prefixes of one chain of (path, digest) pairs
    assert len(chains) == 1 and all(chain == 0 for chain, _ in references)
    longest = max(size for _, size in references)
    assert {path for path, _ in chains[0][:longest]} >= {str(tmp_path / "pkg" / name)
                                                         for name in ("quiet.py", "losses.py")}
    parses.clear()
    assert _findings(tmp_path, [train, evaluate]) == reference and parses == []  # warm: nothing parsed
    chains[0][0] = ["only one part"]
    stored.write_text(json.dumps(document))
    assert _findings(tmp_path, [train, evaluate]) == reference
    assert "losses.py" in parses  # both results used the broken chain: recomputed


def test_two_projects_with_the_same_module_names_keep_their_own_summaries(tmp_path: Path) -> None:
    quiet_train = _project(tmp_path / "a")
    loud_train = _project(tmp_path / "b")
    (tmp_path / "b" / "pkg" / "helpers.py").write_text(  # b's `summarize` reaches a loss through its helper
        "import torch\n" + LOSSES + "\n\ndef mean_score(values):\n    return bce_logits(values, values)\n")
    files = [quiet_train, loud_train]
    reference = _findings(tmp_path, files, use_cache=False)
    assert [(name, line) for name, code, line, _, _ in reference if code == "WCE101"].count(("train.py", 8)) == 1
    assert _findings(tmp_path, files) == reference
    for file in files:
        _edit(file)
    assert _findings(tmp_path, files) == reference


def test_stored_summaries_whose_files_changed_are_dropped(tmp_path: Path) -> None:
    train = _project(tmp_path)
    _findings(tmp_path, [train])
    (stored,) = (tmp_path / CACHE_DIR).rglob("*.json")
    quiet = str(tmp_path / "pkg" / "quiet.py")

    def quiet_digests() -> set[str]:
        summaries = json.loads(stored.read_text())["summaries"]
        return {summaries["files"][i][1] for indexes, _ in summaries["sets"] for i in indexes
                if summaries["files"][i][0] == quiet}

    before = quiet_digests()
    assert len(before) == 1
    _edit(tmp_path / "pkg" / "quiet.py", "# quiet.py changes: what was learnt from it no longer holds\n")
    other = tmp_path / "pkg" / "other.py"  # a run that never asks about `quiet.summarize`
    other.write_text("import torch\nfrom torch import nn\n\nnn.BCEWithLogitsLoss()(torch.zeros(2), torch.ones(2))\n")
    _findings(tmp_path, [other])
    assert not quiet_digests() & before
