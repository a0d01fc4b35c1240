"""The loss-API table as data: the built-in entries, the config's own entries, and their validation."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.cli_helpers import no_traceback, run_wce_lint
from wce_lint.analysis.apis import (
    LOSS_TRIGGERS,
    LossAPIError,
    api_from_entry,
    apis_from_table,
    builtin_apis,
    loss_api,
    use_user_apis,
)
from wce_lint.analysis.loss_api_table import ENTRIES
from wce_lint.engine import lint_source, needs_parse
from wce_lint.settings import Settings

MMDET = {
    "expects": "logits",
    "family": "sigmoid",
    "prediction": "pred",
    "labels": "target",
    "signature": ["pred", "target", "weight", "gamma", "alpha", "reduction", "avg_factor"],
}


def test_every_builtin_entry_names_where_its_signature_was_read() -> None:
    apis = builtin_apis()
    assert len(apis) == len(ENTRIES)
    for api in apis:
        assert api.source, f"{api.names[0]}: no source"
        assert any(word in api.source for word in ("inspect", "published")), api.source


def test_every_builtin_name_passes_the_pre_check() -> None:
    # A name without a trigger word would never be parsed: its file is skipped before any rule runs.
    for api in builtin_apis():
        for name in api.names:
            assert any(t.decode() in name for t in LOSS_TRIGGERS), name


@pytest.mark.parametrize(
    "name",
    ["torch.nn.NLLLoss", "torch.nn.functional.kl_div", "optax.kl_divergence", "sklearn.metrics.log_loss",
     "keras.metrics.BinaryCrossentropy", "tensorflow_addons.losses.SigmoidFocalCrossEntropy",
     "kornia.losses.focal_loss", "segmentation_models_pytorch.losses.DiceLoss", "timm.loss.SoftTargetCrossEntropy",
     "torch.nn.MultiLabelSoftMarginLoss", "keras.losses.KLDivergence"],
)
def test_the_new_library_apis_are_in_the_table(name: str) -> None:
    assert loss_api(frozenset({name})) is not None


def test_signature_markers_follow_python() -> None:
    api = api_from_entry("lib.loss", {**MMDET, "signature": ["pred", "target", "*", "reduction", "**kwargs"],
                                      "required": ["pred"]})
    assert api.signature.positional == ("pred", "target")
    assert api.signature.keyword_only == ("reduction",)
    assert api.signature.var_keyword and not api.signature.var_positional
    assert api.signature.required == ("pred",)
    assert api.framework == "lib" and api.display == "lib.loss" and not api.is_class


def test_a_call_signature_makes_a_loss_class() -> None:
    api = api_from_entry("lib.Loss", {**MMDET, "signature": ["reduction"], "call-signature": ["pred", "target"],
                                      "display": "lib.Loss"})
    assert api.is_class and api.call_parameters.positional == ("pred", "target")


@pytest.mark.parametrize(
    ("change", "key", "fragment"),
    [
        ({"expects": "logit"}, "expects", "expected one of logits, probabilities, log-probabilities, from_logits"),
        ({"family": "binary"}, "family", "expected one of sigmoid, softmax, sparse, other"),
        ({"prediction": "logits"}, "prediction", '"logits" is not in the signature'),
        ({"labels": 3}, "labels", "expected a parameter name, got 3"),
        ({"signature": "pred, target"}, "signature", "expected a list of parameter names"),
        ({"signature": ["pred", "target", "pred"]}, "signature", 'parameter "pred" listed twice'),
        ({"required": ["pos_weight"]}, "required", '"pos_weight" is not in the signature'),
        ({"pos-weight": "pw"}, "pos-weight", '"pw" is not in the signature'),
        ({"focal": "yes"}, "focal", "expected a boolean"),
        ({"expectz": "logits"}, "expectz", 'did you mean "expects"?'),
        ({"expects": "from_logits"}, "expects", "needs a `from_logits` parameter"),
        ({"call-required": ["pred"]}, "call-required", "needs a call-signature"),
    ],
)
def test_bad_entries_name_the_key(change: dict, key: str, fragment: str) -> None:
    with pytest.raises(LossAPIError) as caught:
        api_from_entry("mmdet.models.losses.sigmoid_focal_loss", {**MMDET, **change})
    assert caught.value.key == key
    assert fragment in caught.value.message


@pytest.mark.parametrize("missing", ["expects", "family", "prediction", "labels", "signature"])
def test_required_keys(missing: str) -> None:
    entry = {k: v for k, v in MMDET.items() if k != missing}
    with pytest.raises(LossAPIError) as caught:
        apis_from_table({"lib.loss": entry})
    assert caught.value.key == f'"lib.loss".{missing}'


def test_a_name_must_be_qualified() -> None:
    with pytest.raises(LossAPIError, match="is not a qualified name"):
        apis_from_table({"lib loss": MMDET})


# -- through the engine and the command line --------------------------------------------------------
TRAIN = """\
import torch
from mylib.losses import weighted_bce


def step(model, x, y):
    scores = model(x)
    return weighted_bce(torch.sigmoid(scores), y, pos_weight=2.0)
"""
MYLIB = {"expects": "logits", "family": "sigmoid", "prediction": "pred", "labels": "target",
         "signature": ["pred", "target", "pos_weight"], "pos-weight": "pos_weight"}


def test_a_users_api_is_checked_like_a_builtin_one() -> None:
    settings = Settings(select=("WCE101",), loss_apis=apis_from_table({"mylib.losses.weighted_bce": MYLIB}))
    # `weighted_bce` holds no built-in trigger word: the config's names reach the pre-check
    assert not needs_parse(TRAIN.encode(), Settings(select=("WCE101",)).codes())
    assert needs_parse(TRAIN.encode(), settings.codes(), settings.loss_api_triggers)
    try:
        found = lint_source(TRAIN.encode(), "train.py", settings).diagnostics
        assert [(d.code, d.start.line) for d in found] == [("WCE101", 7)]
        assert "`pred` of `weighted_bce`" in found[0].message
        assert lint_source(TRAIN.encode(), "train.py", Settings(select=("WCE101",))).diagnostics == []
    finally:
        use_user_apis(())


def test_a_users_entry_replaces_the_builtin_one() -> None:
    # e.g. a project that wraps torch's BCELoss so that it takes logits
    entry = {"expects": "logits", "family": "sigmoid", "prediction": "input", "labels": "target",
             "signature": ["input", "target"]}
    source = "import torch\nimport torch.nn.functional as F\n\nloss = F.binary_cross_entropy(torch.sigmoid(s), y)\n"
    settings = Settings(loss_apis=apis_from_table({"torch.nn.functional.binary_cross_entropy": entry}))
    try:
        assert [d.code for d in lint_source(source.encode(), "a.py", settings).diagnostics] == ["WCE101"]
        assert lint_source(source.encode(), "a.py", Settings()).diagnostics == []
    finally:
        use_user_apis(())


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(table), encoding="utf-8")
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    return tmp_path


def test_cli_reads_loss_apis_from_pyproject(tmp_path: Path) -> None:
    project = _project(tmp_path, """\
        [tool.wce-lint.loss-apis."mylib.losses.weighted_bce"]
        expects = "logits"
        family = "sigmoid"
        prediction = "pred"
        labels = "target"
        signature = ["pred", "target", "pos_weight"]
        """)
    result = run_wce_lint(project, "--no-cache", ".")
    no_traceback(result)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "train.py:7:25: WCE101" in result.stdout


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('expects = "logit"\nfamily = "sigmoid"\nprediction = "pred"\nlabels = "target"\nsignature = ["pred", "target"]',
         'loss-apis."mylib.losses.weighted_bce".expects: expected one of logits, probabilities, '
         'log-probabilities, from_logits, got "logit"'),
        ('expects = "logits"\nfamily = "sigmoid"\nprediction = "pred"\nlabels = "target"',
         'loss-apis."mylib.losses.weighted_bce".signature: missing'),
    ],
)
def test_cli_bad_entry_exits_2_naming_the_key(tmp_path: Path, body: str, message: str) -> None:
    project = _project(tmp_path, '[tool.wce-lint.loss-apis."mylib.losses.weighted_bce"]\n' + body + "\n")
    result = run_wce_lint(project, "--no-cache", ".")
    no_traceback(result)
    assert result.returncode == 2
    assert "pyproject.toml: [tool.wce-lint] " + message in result.stderr


def test_cli_loss_apis_must_be_tables(tmp_path: Path) -> None:
    project = _project(tmp_path, '[tool.wce-lint]\nloss-apis = ["mylib.losses.weighted_bce"]\n')
    result = run_wce_lint(project, "--no-cache", ".")
    no_traceback(result)
    assert result.returncode == 2
    assert "loss-apis: expected a table of [loss-apis.\"qualified.name\"] tables" in result.stderr


def test_cli_users_apis_reach_worker_processes_and_the_cache(tmp_path: Path) -> None:
    project = _project(tmp_path, """\
        [tool.wce-lint.loss-apis."mylib.losses.weighted_bce"]
        expects = "logits"
        family = "sigmoid"
        prediction = "pred"
        labels = "target"
        signature = ["pred", "target", "pos_weight"]
        """)
    for index in range(30):  # above the parallel threshold: linted in a process pool
        (project / f"step_{index}.py").write_text(TRAIN, encoding="utf-8")
    for _ in range(2):  # cold, then from the cache
        result = run_wce_lint(project, ".")
        no_traceback(result)
        assert result.stdout.count(": WCE101 ") == 31, result.stdout[-2000:]
