"""The output formats, on hand-built diagnostics (no engine, no subprocess)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from wce_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, RelatedLocation, Severity
from wce_lint.report import FORMATS, SourceLines
from wce_lint.report.base import ordered
from wce_lint.report.summary import render_statistics, statistics, summary_line
from wce_lint.rules import REGISTRY

SOURCE = "import tensorflow as tf\nw = -2.0\nloss = wce(labels=y, logits=x, pos_weight=w)\n"


def diagnostic(
    *,
    path: str = "train.py",
    start: tuple[int, int] = (3, 42),
    end: tuple[int, int] = (3, 43),
    code: str = "WCE203",
    rule: str = "negative-pos-weight",
    message: str = "pos_weight is negative",
    help: str | None = None,
    fix: Fix | None = None,
    related: tuple[RelatedLocation, ...] = (),
) -> Diagnostic:
    return Diagnostic(
        code=code,
        rule=rule,
        message=message,
        path=path,
        start=Position(*start),
        end=Position(*end),
        severity=Severity.ERROR,
        help=help,
        fix=fix,
        related=related,
    )


def render(name: str, diagnostics: list[Diagnostic], sources: SourceLines | None = None) -> str:
    out = io.StringIO()
    FORMATS[name].render(diagnostics, out, sources=sources or SourceLines({"train.py": SOURCE}))
    return out.getvalue()


SAFE = Fix("replace it", (Edit(Position(3, 42), Position(3, 43), "2.0"),), Applicability.SAFE)
UNSAFE = Fix("replace it", (Edit(Position(3, 42), Position(3, 43), "2.0"),), Applicability.UNSAFE)


# -- the registry of formats -----------------------------------------------------------------------
def test_the_formats_of_this_issue_are_registered_in_order() -> None:
    assert list(FORMATS)[:3] == ["full", "concise", "json"]
    assert [FORMATS[name].machine_readable for name in ("full", "concise", "json")] == [False, False, True]
    for name, output_format in FORMATS.items():
        assert output_format.name == name


# -- concise ---------------------------------------------------------------------------------------
def test_concise_uses_one_based_columns() -> None:
    assert render("concise", [diagnostic()]) == "train.py:3:43: WCE203 pos_weight is negative\n"


def test_safe_fixes_are_marked_and_unsafe_ones_are_not() -> None:
    assert render("concise", [diagnostic(fix=SAFE)]) == "train.py:3:43: WCE203 [*] pos_weight is negative\n"
    assert render("concise", [diagnostic(fix=UNSAFE)]) == "train.py:3:43: WCE203 pos_weight is negative\n"


def test_findings_are_ordered_by_path_line_column_code() -> None:
    findings = [
        diagnostic(path="b.py", start=(1, 0)),
        diagnostic(path="a.py", start=(2, 5), code="WCE203"),
        diagnostic(path="a.py", start=(2, 5), code="WCE000", rule="syntax-error"),
        diagnostic(path="a.py", start=(1, 9)),
    ]
    lines = render("concise", findings, SourceLines({})).splitlines()
    assert [line.split(" ")[0] + line.split(" ")[1] for line in lines] == [
        "a.py:1:10:WCE203",
        "a.py:2:6:WCE000",
        "a.py:2:6:WCE203",
        "b.py:1:1:WCE203",
    ]
    assert ordered(reversed(findings)) == ordered(findings)


# -- full ------------------------------------------------------------------------------------------
def test_full_underlines_the_span_and_adds_notes_help_and_fix() -> None:
    related = (RelatedLocation("`w` is bound to -2.0 here", Position(2, 0), Position(2, 8)),)
    text = render("full", [diagnostic(help="use a positive weight", fix=UNSAFE, related=related)])
    assert text == (
        "train.py:3:43: WCE203 pos_weight is negative\n"
        "  |\n"
        "3 | loss = wce(labels=y, logits=x, pos_weight=w)\n"
        "  | " + " " * len("loss = wce(labels=y, logits=x, pos_weight=") + "^ WCE203\n"
        "  |\n"
        "  = note: train.py:2:1: `w` is bound to -2.0 here\n"
        "  = help: use a positive weight\n"
        "  = fix (unsafe): replace it\n"
        "\n"
    )


def test_full_caret_stays_under_the_span_after_tabs_and_wide_characters() -> None:
    line = "\tx = f('猫猫', pos_weight=-1)"
    column = line.index("-1")
    sources = SourceLines({"t.py": line + "\n"})
    text = render("full", [diagnostic(path="t.py", start=(1, column), end=(1, column + 2))], sources)
    rows = text.splitlines()
    shown, underline = rows[2], rows[3]
    assert shown == "1 |     x = f('猫猫', pos_weight=-1)"
    # Each 猫 takes two terminal cells, so the caret is two cells right of the character index.
    assert underline.index("^") == shown.index("-1") + 2
    assert underline.endswith("^^ WCE203")


def test_full_spans_over_several_lines_underline_each_line() -> None:
    source = "loss = wce(\n    labels=y,\n    logits=x,\n)\n"
    sources = SourceLines({"m.py": source})
    text = render("full", [diagnostic(path="m.py", start=(1, 7), end=(4, 1))], sources)
    rows = text.splitlines()
    assert rows[1:10] == [
        "  |",
        "1 | loss = wce(",
        "  |        ^^^^",
        "2 |     labels=y,",
        "  |     ^^^^^^^^^",
        "3 |     logits=x,",
        "  |     ^^^^^^^^^",
        "4 | )",
        "  | ^ WCE203",
    ]


def test_full_elides_the_middle_of_a_long_span() -> None:
    source = "".join(f"line{i}\n" for i in range(1, 21))
    text = render("full", [diagnostic(path="m.py", start=(2, 0), end=(19, 3))], SourceLines({"m.py": source}))
    assert "   ..." in text.splitlines()  # under the two-digit gutter
    assert "line10" not in text
    assert "19 | line19" in text


def test_full_without_source_prints_the_header_only() -> None:
    sources = SourceLines({})
    text = render("full", [diagnostic(path="does/not/exist.py", code="WCE000", rule="syntax-error")], sources)
    assert text == "does/not/exist.py:3:43: WCE000 pos_weight is negative\n\n"


def test_zero_width_span_gets_one_caret() -> None:
    text = render("full", [diagnostic(start=(2, 4), end=(2, 4), code="WCE000", rule="syntax-error")])
    assert "  |     ^ WCE000\n" in text


# -- json ------------------------------------------------------------------------------------------
def test_json_is_shaped_like_ruffs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    related = (RelatedLocation("bound here", Position(2, 0), Position(2, 8)),)
    document = json.loads(render("json", [diagnostic(help="use a positive weight", fix=SAFE, related=related)]))
    assert document == [
        {
            "code": "WCE203",
            "rule": "negative-pos-weight",
            "message": "pos_weight is negative",
            "severity": "error",
            "filename": os.path.join(str(tmp_path), "train.py"),
            "cell": None,  # a notebook's cell, as in ruff
            "location": {"row": 3, "column": 43},
            "end_location": {"row": 3, "column": 44},
            "help": "use a positive weight",
            "fix": {
                "applicability": "safe",
                "message": "replace it",
                "edits": [
                    {"content": "2.0", "cell": None, "location": {"row": 3, "column": 43}, "end_location": {"row": 3, "column": 44}}
                ],
            },
            "related": [
                {
                    "message": "bound here",
                    "filename": os.path.join(str(tmp_path), "train.py"),
                    "cell": None,
                    "location": {"row": 2, "column": 1},
                    "end_location": {"row": 2, "column": 9},
                }
            ],
            "url": REGISTRY["WCE203"].url,
            "noqa_row": 3,
        }
    ]


def test_json_of_nothing_is_an_empty_array_and_wce000_has_no_noqa_row() -> None:
    assert json.loads(render("json", [])) == []
    (entry,) = json.loads(render("json", [diagnostic(code="WCE000", rule="syntax-error")]))
    assert entry["noqa_row"] is None and entry["fix"] is None and entry["related"] == []


def test_json_is_sorted_whatever_the_input_order() -> None:
    findings = [diagnostic(path="b.py"), diagnostic(path="a.py", start=(9, 0)), diagnostic(path="a.py", start=(1, 0))]
    rows = [(Path(d["filename"]).name, d["location"]["row"]) for d in json.loads(render("json", findings))]
    assert rows == [("a.py", 1), ("a.py", 9), ("b.py", 3)]


# -- sources ---------------------------------------------------------------------------------------
def test_source_lines_split_where_python_does(tmp_path: Path) -> None:
    # A form feed is whitespace to Python, not a line break: line 3 must stay line 3.
    path = tmp_path / "m.py"
    path.write_bytes(b"a = 1\r\n\x0cb = 2\rc = 3\n")
    sources = SourceLines()
    assert sources.lines(str(path)) == ["a = 1", "\x0cb = 2", "c = 3", ""]
    assert sources.line(str(path), 3) == "c = 3"
    assert sources.line(str(path), 99) is None


def test_source_lines_of_undecodable_or_missing_files_are_none(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(b"x = '\xe9'\n")
    sources = SourceLines()
    assert sources.lines(str(path)) is None
    assert sources.lines(str(tmp_path / "missing.py")) is None


# -- summary and statistics ------------------------------------------------------------------------
def test_summary_line_words() -> None:
    assert summary_line([]) == "All checks passed!"
    assert summary_line([diagnostic()]) == "Found 1 error."
    assert summary_line([diagnostic(), diagnostic()]) == "Found 2 errors."


def test_statistics_orders_by_count_then_code_and_marks_safe_fixes() -> None:
    findings = [
        diagnostic(code="WCE000", rule="syntax-error"),
        diagnostic(code="WCE203", fix=SAFE),
        diagnostic(code="WCE203"),
        diagnostic(code="WCE101", rule="probabilities-as-logits"),
    ]
    assert [(row["code"], row["count"], row["fixable"]) for row in statistics(findings)] == [
        ("WCE203", 2, True),
        ("WCE000", 1, False),
        ("WCE101", 1, False),
    ]
    out = io.StringIO()
    render_statistics(findings, out, as_json=False)
    assert out.getvalue().splitlines()[0] == "2\tWCE203\t[*] negative-pos-weight"
