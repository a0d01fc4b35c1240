"""``--output-format sarif``: validated against the official SARIF 2.1.0 schema (tests/data, copied from
OASIS' errata 01), with the fields GitHub code scanning relies on checked one by one."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from wce_lint import __version__
from wce_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, RelatedLocation
from wce_lint.report import FORMATS, SourceLines
from wce_lint.report.sarif import FINGERPRINT_KEY, sarif_log
from wce_lint.rules import REGISTRY

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
# The schema says which draft it is written in (draft-04); use the validator for that draft.
Validator = jsonschema.validators.validator_for(SCHEMA)

TRAINING_STEP = """\
import tensorflow as tf

POS_WEIGHT = -2.0


def train_step(model, optimizer, features, labels):
    with tf.GradientTape() as tape:
        logits = model(features, training=True)
        loss = tf.reduce_mean(
            tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=POS_WEIGHT)
        )
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def eval_loss(labels, logits):
    return tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=-3.0)
"""


def validate(document: dict[str, Any]) -> None:
    Validator(SCHEMA, format_checker=Validator.FORMAT_CHECKER).validate(document)


def run_sarif(project: Path, *paths: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "wce_lint", "--no-cache", "--output-format", "sarif", *(paths or (".",))],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode in (0, 1), completed.stderr
    assert "Traceback" not in completed.stderr
    return json.loads(completed.stdout)  # stdout holds the document and nothing else


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the config search stops here
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAINING_STEP, encoding="utf-8")
    return tmp_path


def results(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["runs"][0]["results"]


# -- the document as the CLI prints it -------------------------------------------------------------
def test_cli_output_is_valid_sarif(project: Path) -> None:
    document = run_sarif(project)
    validate(document)
    assert document["version"] == "2.1.0"
    assert len(results(document)) == 2


def test_driver_lists_every_rule_with_its_documentation(project: Path) -> None:
    driver = run_sarif(project)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "wce-lint"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == list(REGISTRY)
    for descriptor in driver["rules"]:
        rule = REGISTRY[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert "## What it does" not in descriptor["fullDescription"]["text"]
        assert descriptor["help"]["markdown"] == rule.doc.strip()
        assert descriptor["help"]["text"]
        expected = "warning" if rule.preview or rule.severity.value == "warning" else "error"
        assert descriptor["defaultConfiguration"]["level"] == expected


def test_result_points_at_the_finding_with_one_based_region(project: Path) -> None:
    document = run_sarif(project)
    driver_rules = document["runs"][0]["tool"]["driver"]["rules"]
    second = results(document)[1]  # eval_loss's `-3.0`
    assert second["ruleId"] == "WCE203"
    assert driver_rules[second["ruleIndex"]]["id"] == "WCE203"
    assert second["level"] == "error"
    assert "negative (-3.0)" in second["message"]["text"]
    location = second["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/train.py", "uriBaseId": "%SRCROOT%"}
    (number, line), = [(n, text) for n, text in enumerate(TRAINING_STEP.splitlines(), 1) if "-3.0" in text]
    column = line.index("-3.0") + 1  # 1-based; the end column is the one just past `-3.0`
    assert location["region"] == {"startLine": number, "startColumn": column, "endLine": number, "endColumn": column + 4}
    base = document["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file://") and base.endswith("/")


def test_trace_becomes_related_locations(project: Path) -> None:
    first = results(run_sarif(project))[0]  # pos_weight=POS_WEIGHT, bound on line 3
    related = first["relatedLocations"]
    assert [step["physicalLocation"]["region"]["startLine"] for step in related] == [3]
    assert related[0]["physicalLocation"]["artifactLocation"]["uri"] == "src/train.py"
    assert related[0]["message"]["text"]


def test_uri_is_relative_to_the_config_root_not_the_working_directory(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.wce-lint]\n", encoding="utf-8")
    document = run_sarif(project / "src", "train.py")
    uri = results(document)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "src/train.py"


# -- fingerprints ----------------------------------------------------------------------------------
def fingerprints(document: dict[str, Any]) -> list[str]:
    return [result["partialFingerprints"][FINGERPRINT_KEY] for result in results(document)]


def test_fingerprints_are_stable_across_runs_and_line_shifts(project: Path) -> None:
    before = run_sarif(project)
    assert fingerprints(run_sarif(project)) == fingerprints(before)

    shifted = TRAINING_STEP.replace("import tensorflow as tf\n", "import tensorflow as tf\nimport os\n\n\n", 1)
    (project / "src" / "train.py").write_text(shifted, encoding="utf-8")
    after = run_sarif(project)
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results(after)]
    assert lines == [r["locations"][0]["physicalLocation"]["region"]["startLine"] + 3 for r in results(before)]
    assert fingerprints(after) == fingerprints(before)


def test_fingerprint_changes_when_the_finding_itself_changes(project: Path) -> None:
    """The negative case: a fingerprint that ignored the code would call a new finding an old one."""
    before = fingerprints(run_sarif(project))
    (project / "src" / "train.py").write_text(TRAINING_STEP.replace("pos_weight=-3.0", "pos_weight=-4.0"))
    after = fingerprints(run_sarif(project))
    assert after[0] == before[0]
    assert after[1] != before[1]


def test_identical_findings_in_one_file_get_distinct_fingerprints(project: Path) -> None:
    line = "    return tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=-3.0)\n"
    (project / "src" / "train.py").write_text(TRAINING_STEP + "\n\ndef again(labels, logits):\n" + line)
    found = fingerprints(run_sarif(project))
    assert len(found) == 3 and len(set(found)) == 3


# -- fixes and hostile paths (rendered directly) ---------------------------------------------------
SOURCE = "import tensorflow as tf\nloss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=tf.sigmoid(x))\n"


def fixable_diagnostic(path: str) -> Diagnostic:
    start = SOURCE.splitlines()[1].index("tf.sigmoid(x)")
    return Diagnostic(
        code="WCE203",
        rule="negative-pos-weight",
        message="a 100% hostile message: with, commas\nand: newlines",
        path=path,
        start=Position(2, start),
        end=Position(2, start + len("tf.sigmoid(x)")),
        help="pass the raw scores",
        fix=Fix(
            "drop the sigmoid",
            (Edit(Position(2, start), Position(2, start + len("tf.sigmoid(")), ""),
             Edit(Position(2, start + len("tf.sigmoid(x")), Position(2, start + len("tf.sigmoid(x)")), "")),
            Applicability.UNSAFE,
        ),
        related=(RelatedLocation("defined here", Position(1, 0), Position(1, 23)),),
    )


def apply_replacements(text: str, replacements: list[dict[str, Any]]) -> str:
    lines = text.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        return sum(len(lines[i]) for i in range(line - 1)) + column - 1

    for replacement in sorted(
        replacements, key=lambda r: (r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]), reverse=True
    ):
        region = replacement["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        text = text[:start] + replacement["insertedContent"]["text"] + text[end:]
    return text


def test_fix_is_a_valid_sarif_fix_that_applies(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    document = sarif_log([fixable_diagnostic(str(path))], sources=SourceLines({str(path): SOURCE}), root=tmp_path)
    validate(document)
    (result,) = results(document)
    (fix,) = result["fixes"]
    assert fix["description"]["text"] == "drop the sigmoid"
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "model.py", "uriBaseId": "%SRCROOT%"}
    assert apply_replacements(SOURCE, change["replacements"]) == SOURCE.replace("tf.sigmoid(x)", "x")
    assert result["message"]["text"].endswith("help: pass the raw scores")


def test_hostile_file_names_are_uri_encoded(tmp_path: Path) -> None:
    name = "my data, 100%#1?.py"
    document = sarif_log([fixable_diagnostic(str(tmp_path / "dir" / name))], sources=SourceLines(), root=tmp_path)
    validate(document)
    uri = results(document)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert " " not in uri and "#" not in uri and "?" not in uri
    assert unquote(uri) == f"dir/{name}"


def test_file_outside_the_root_gets_an_absolute_uri(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "x.py"
    document = sarif_log([fixable_diagnostic(str(elsewhere))], sources=SourceLines(), root=tmp_path / "project")
    location = results(document)[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": elsewhere.as_uri()}


def test_format_is_registered_and_machine_readable() -> None:
    assert FORMATS["sarif"].machine_readable
    out = io.StringIO()
    FORMATS["sarif"].render([], out, sources=SourceLines())
    document = json.loads(out.getvalue())
    validate(document)
    assert results(document) == []


# -- the validator has teeth -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "breakage",
    [
        "wrong version",
        "unknown level",
        "zero-based line",
        "message without text",
        "rule index as string",
    ],
)
def test_schema_rejects_a_broken_document(tmp_path: Path, breakage: str) -> None:
    path = tmp_path / "model.py"
    document = sarif_log([fixable_diagnostic(str(path))], sources=SourceLines({str(path): SOURCE}), root=tmp_path)
    validate(document)
    broken = copy.deepcopy(document)
    result = results(broken)[0]
    if breakage == "wrong version":
        broken["version"] = "2.0.0"
    elif breakage == "unknown level":
        result["level"] = "fatal"
    elif breakage == "zero-based line":
        result["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    elif breakage == "message without text":
        result["message"] = {}
    elif breakage == "rule index as string":
        result["ruleIndex"] = "0"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_real_fix_applies_like_the_cli_fix(project: Path) -> None:
    """A rule's own fix (WCE401: `targets=` is TF1's `labels=`), applied from SARIF, gives what --fix writes."""
    fixable = (
        "import tensorflow as tf\n\n\ndef loss_fn(labels, logits):\n"
        "    return tf.nn.weighted_cross_entropy_with_logits(targets=labels, logits=logits, pos_weight=2.0)\n"
    )
    path = project / "src" / "train.py"
    path.write_text(fixable, encoding="utf-8")
    document = run_sarif(project)
    validate(document)
    fixed = [result for result in results(document) if "fixes" in result]
    assert fixed, "WCE401 offers a safe fix for `targets=`"
    (change,) = fixed[0]["fixes"][0]["artifactChanges"]
    from_sarif = apply_replacements(fixable, change["replacements"])
    subprocess.run([sys.executable, "-m", "wce_lint", "--no-cache", "--fix", "src/train.py"], cwd=project,
                   capture_output=True, timeout=120)
    assert from_sarif == path.read_text(encoding="utf-8") != fixable
