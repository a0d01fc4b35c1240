"""Hostile files: each one is linted cleanly, reported as one WCE000, or skipped with a message — never a
traceback, never a hang.

Most cases run in-process through ``lint_source`` / ``lint_paths``; the filesystem oddities (FIFO, symlink
loops, a folder named ``x.py``, an unreadable file …) also go through the real CLI in a subprocess with a
timeout, in every output format that quotes source lines, because a reporter that opens a FIFO hangs too.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.cli_helpers import TIMEOUT, no_traceback, run_wce_lint
from wce_lint import timelimit
from wce_lint.engine import discover, lint_file, lint_paths, lint_source
from wce_lint.settings import Settings

NEGATIVE = (
    "import tensorflow as tf\n"
    "\n"
    "\n"
    "def loss_fn(x, y):\n"
    "    return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)\n"
)
FINDING_LINE = 5
FINDING_COLUMN = NEGATIVE.splitlines()[4].index("-2.0")
# One function holding a loss call; repeated to make files of any size that pass the pre-check.
UNIT = (
    "def loss_{i}(x, y):\n"
    "    w = tf.constant([1.0, 2.0, 3.0])\n"
    "    return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=2.0) * w\n\n"
)


def settings(root: Path | None = None) -> Settings:
    return Settings(preview=True, root=root) if root is not None else Settings(preview=True)


def generated(size: int) -> bytes:
    """A module of at least ``size`` bytes made of functions that call a loss."""
    parts = ["import tensorflow as tf\n\n\n"]
    total, index = 0, 0
    while total < size:
        part = UNIT.format(i=index)
        parts.append(part)
        total += len(part)
        index += 1
    return "".join(parts).encode()


def only(result_diagnostics: list, code: str = "WCE000"):  # type: ignore[no-untyped-def]
    assert [d.code for d in result_diagnostics] == [code], [(d.code, d.message) for d in result_diagnostics]
    return result_diagnostics[0]


# -- bytes that are odd but valid -------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n", b"\r\n", b"\r", b"\x0c", b"\t\n", b"   "])
def test_empty_and_whitespace_only_files_are_clean(data: bytes) -> None:
    result = lint_source(data, "empty.py", settings())
    assert result.diagnostics == [] and result.internal_errors == []


def test_bom_file_reports_at_the_same_place_as_without_bom() -> None:
    result = lint_source(b"\xef\xbb\xbf" + NEGATIVE.encode(), "bom.py", settings())
    finding = only(result.diagnostics, "WCE203")
    assert (finding.start.line, finding.start.column) == (FINDING_LINE, FINDING_COLUMN)


@pytest.mark.parametrize(
    "name, transform",
    [
        ("crlf", lambda text: text.replace("\n", "\r\n")),
        ("cr", lambda text: text.replace("\n", "\r")),
        # (never "\r" right before an empty line ending in "\n": that would be one "\r\n")
        ("mixed", lambda text: "".join(line + ("\r\n", "\n", "\r")[i % 3] for i, line in enumerate(text.split("\n")))),
        ("form feeds", lambda text: text.replace("\n\n\n", "\n\x0c\n\x0c\n")),
        ("no final newline", lambda text: text.rstrip("\n")),
    ],
)
def test_line_endings_and_form_feeds_keep_positions(name: str, transform) -> None:  # type: ignore[no-untyped-def]
    result = lint_source(transform(NEGATIVE).encode(), f"{name}.py", settings())
    assert result.internal_errors == []
    finding = only(result.diagnostics, "WCE203")
    assert (finding.start.line, finding.start.column) == (FINDING_LINE, FINDING_COLUMN)


def test_tab_indentation_counts_a_tab_as_one_column() -> None:
    text = NEGATIVE.replace("    return", "\treturn")
    result = lint_source(text.encode(), "tabs.py", settings())
    finding = only(result.diagnostics, "WCE203")
    assert (finding.start.line, finding.start.column) == (FINDING_LINE, text.splitlines()[4].index("-2.0"))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_noqa_lines_line_up_with_form_feeds_and_any_line_ending(newline: str) -> None:
    # str.splitlines() would also split at \f, \v, \x1c and U+2028, shifting every later line: the noqa
    # comment on line 7 would then be read for line 8 and the wrong finding suppressed.
    lines = [
        "import tensorflow as tf",
        "\x0c",
        "# a form feed \x0c inside a comment, a vertical tab \x0b and a separator \x1c and \u2028 too",
        "",
        "",
        "def losses(x, y):",
        "    a = tf.nn.weighted_cross_entropy_with_logits(y, x, -1.0)  # noqa: WCE203",
        "    b = tf.nn.weighted_cross_entropy_with_logits(y, x, -1.0)",
        "\x0c    c = tf.nn.weighted_cross_entropy_with_logits(y, x, -1.0)  # noqa",
        "    d = tf.nn.weighted_cross_entropy_with_logits(y, x, -1.0)",
        "    return a, b, c, d",
        "",
    ]
    text = newline.join(lines)
    result = lint_source(text.encode(), "ff.py", settings())
    assert result.internal_errors == []
    assert [(d.code, d.start.line) for d in result.diagnostics] == [("WCE203", 8), ("WCE203", 10)]


# -- bytes that are not Python text -------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, data, cause",
    [
        ("nul", NEGATIVE.encode().replace(b"def", b"d\x00ef"), "NUL byte"),
        ("only nul", b"\x00", "NUL byte"),
        ("latin-1 without declaration", "# caf\xe9\nx = 1\n".encode("latin-1"), "not valid utf-8"),
        ("latin-1 late", (NEGATIVE + "# na\xefve\n").encode("latin-1"), "not valid utf-8"),
        ("invalid utf-8", b"x = '\xff\xfe\xfd'\n", "not valid utf-8"),
        ("truncated utf-8", "x = '\u20ac'\n".encode()[:-4], "not valid utf-8"),
        ("unknown cookie", b"# -*- coding: klingon -*-\nx = 1\n", "encoding"),
        ("lying cookie", b"# coding: ascii\nx = '\xe9'\n", "not valid ascii"),
        ("utf-16", NEGATIVE.encode("utf-16"), ""),
        ("binary", bytes(range(256)) * 8, ""),
    ],
)
def test_undecodable_bytes_are_one_wce000_naming_the_cause(name: str, data: bytes, cause: str) -> None:
    result = lint_source(data, "bad.py", settings())
    assert result.internal_errors == []
    finding = only(result.diagnostics)
    assert cause.lower() in finding.message.lower()


@pytest.mark.parametrize(
    "snippet, cause",
    [
        ('x = "" b"bytes"', "cannot mix bytes and nonbytes literals"),  # LibCST raised CSTValidationError
        ("x = b'a' f'{y}'", "cannot mix bytes and nonbytes literals"),
        ("def f(:\n    pass", "invalid syntax"),
        ("x = (1,\n", "was never closed"),
        # A line continuation before a final CRLF: LibCST's tokenizer refuses it with no useful position
        # (reported on line 1), as the interpreter does running the file (compile() of the bytes accepts it).
        ("x = 1\n\\\r\n", "after a line continuation"),
    ],
)
def test_syntax_errors_found_while_building_the_tree_are_one_wce000(snippet: str, cause: str) -> None:
    result = lint_source((NEGATIVE + snippet).encode(), "bad.py", settings())
    assert result.internal_errors == []
    finding = only(result.diagnostics)
    assert finding.message.startswith("syntax error: ") and cause in finding.message, finding.message
    if "continuation" not in cause:
        assert finding.start.line == 6


def test_linting_prints_no_python_warnings() -> None:
    # The engine asks CPython's parser first; "invalid escape sequence" (a SyntaxWarning from Python 3.12)
    # and the like would otherwise be printed for the user's files, on every run.
    import warnings

    data = (NEGATIVE + "s = '\\P \\d'\nif s is 'x':\n    assert (s, 'never empty')\n").encode()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = lint_source(data, "warn.py", settings())
        broken = lint_source(data + b"z = 1if 1else 2\n(\n", "broken.py", settings())  # warns, then fails
    assert [str(w.message) for w in caught] == []
    only(result.diagnostics, "WCE203")
    only(broken.diagnostics)


def test_latin_1_with_a_declaration_is_linted() -> None:
    data = ("# -*- coding: latin-1 -*-\n" + NEGATIVE + "# na\xefve\n").encode("latin-1")
    finding = only(lint_source(data, "latin.py", settings()).diagnostics, "WCE203")
    assert finding.start.line == FINDING_LINE + 1


# -- sizes and depths ---------------------------------------------------------------------------------
def test_five_thousand_nested_parentheses_are_one_wce000() -> None:
    data = NEGATIVE.encode() + b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n"
    started = time.perf_counter()
    result = lint_source(data, "nested.py", settings())
    assert time.perf_counter() - started < 30
    assert result.internal_errors == []
    finding = only(result.diagnostics)
    assert "nested" in finding.message and finding.start.line == 6


@pytest.mark.parametrize("opener, closer", [("[", "]"), ("{", "}"), ("f(", ")"), ("-", "")])
def test_deep_nesting_of_other_kinds_never_crashes(opener: str, closer: str) -> None:
    for depth in (150, 199, 250, 1000):
        data = NEGATIVE.encode() + f"x = {opener * depth}1{closer * depth}\n".encode()
        result = lint_source(data, "nested.py", settings())
        assert result.internal_errors == [], (depth, result.internal_errors)
        codes = sorted(d.code for d in result.diagnostics)
        assert codes in (["WCE203"], ["WCE000"]), (depth, codes)


# Bracket-free chains: LibCST's native parser recursed once per level and crashed the whole process
# (SIGSEGV or a memory blow-up) above ~5,000 levels, where CPython's parser accepts some of them. Run in a
# subprocess with an address-space cap, so that a regression fails this test instead of killing pytest or
# exhausting the machine's memory.
LOSS_HEADER = "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits\n"  # passes the pre-check
CHAINS = {
    "unary": lambda n: "x = " + "-" * n + "1\n",
    "not": lambda n: "x = " + "not " * n + "1\n",
    "ternary": lambda n: "x = " + "1 if y else " * n + "1\n",
    "lambda": lambda n: "x = " + "lambda: " * n + "1\n",
    "power": lambda n: "x = " + "2**" * n + "2\n",
    "attribute": lambda n: "x = y" + ".a" * n + "\n",
    "binary": lambda n: "x = " + "1+" * n + "1\n",
    "subscript": lambda n: "x = y" + "[0]" * n + "\n",
    "call": lambda n: "x = y" + "()" * n + "\n",
    "elif": lambda n: "if x:\n    pass\n" + "elif x:\n    pass\n" * n,
    "and": lambda n: "x = " + "a and " * n + "b\n",
    "or": lambda n: "x = " + "a or " * n + "b\n",
    "import": lambda n: "import " + ".".join(["a"] * n) + "\n",
    "from-import": lambda n: "from " + ".".join(["a"] * n) + " import b\n",
}


def _capped_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def test_bracket_free_chains_of_20000_levels_are_one_wce000_each(project: Path) -> None:
    for name, build in CHAINS.items():
        (project / f"{name}.py").write_text(LOSS_HEADER + build(20_000), encoding="utf-8")
    result = run_wce_lint(project, "--no-cache", "--output-format", "concise", preexec_fn=_capped_memory)
    no_traceback(result)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    lines = result.stdout.splitlines()[:-1]
    assert sorted(line.split(":")[0] for line in lines) == sorted(f"{name}.py" for name in CHAINS)
    assert all(" WCE000 " in line and "too" in line for line in lines), lines


def test_a_one_megabyte_line_is_linted() -> None:
    line = "s = '" + "a" * 1_000_000 + "'; tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)"
    data = ("import tensorflow as tf\n" + line + "\n").encode()
    result = lint_source(data, "long.py", settings())
    finding = only(result.diagnostics, "WCE203")
    assert (finding.start.line, finding.start.column) == (2, line.index("-2.0"))


def test_ten_megabytes_without_a_loss_are_not_even_parsed() -> None:
    data = b"x = 1\n" * (10 * 1024 * 1024 // 6)
    started = time.perf_counter()
    result = lint_source(data, "big.py", settings())
    assert result.diagnostics == [] and not result.parsed
    assert time.perf_counter() - started < 10


def test_ten_megabytes_with_losses_are_refused_up_front_with_a_wce000() -> None:
    # LibCST's native parser cannot be interrupted by the time limit (and parses this at well under
    # 1 MB/s): a file that size would overrun the limit, so it is refused before parsing, quickly.
    data = generated(10 * 1024 * 1024)
    started = time.perf_counter()
    result = lint_source(data, "big.py", settings())
    elapsed = time.perf_counter() - started
    finding = only(result.diagnostics)
    assert "too large" in finding.message and "10.5 MB" in finding.message and "file skipped" in finding.message
    assert not result.parsed
    assert elapsed < 10


def test_the_time_limit_stops_a_slow_file_with_a_clear_wce000(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(timelimit.ENVIRONMENT_VARIABLE, "0.05")
    monkeypatch.setattr(timelimit, "BYTES_PER_SECOND", 10**12)  # let the file past the size cap
    data = generated(150_000)  # about a second to parse and analyse, far more than 0.05 s
    before = signal.getsignal(signal.SIGALRM)
    started = time.perf_counter()
    result = lint_source(data, "slow.py", settings())
    elapsed = time.perf_counter() - started
    finding = only(result.diagnostics)
    assert finding.message == "analysis took longer than 0.05 s; file skipped"
    assert (finding.start.line, finding.start.column) == (1, 0)
    assert result.internal_errors == []
    # The alarm is disarmed and the previous handler is back.
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == before
    assert elapsed < 60
    # The next file is linted normally.
    monkeypatch.delenv(timelimit.ENVIRONMENT_VARIABLE)
    only(lint_source(NEGATIVE.encode(), "next.py", settings()).diagnostics, "WCE203")


def test_the_time_limit_respects_per_file_ignores_of_wce000(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(timelimit.ENVIRONMENT_VARIABLE, "0.05")
    monkeypatch.setattr(timelimit, "BYTES_PER_SECOND", 10**12)
    ignoring = Settings(preview=True, per_file_ignores=(("slow.py", ("WCE000",)),))
    result = lint_source(generated(150_000), "slow.py", ignoring)
    assert result.diagnostics == [] and result.internal_errors == []


def test_the_time_limit_is_a_no_op_outside_the_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(timelimit.ENVIRONMENT_VARIABLE, "0.001")
    monkeypatch.setattr(timelimit, "BYTES_PER_SECOND", 10**12)
    outcome: list[object] = []

    def work() -> None:
        try:
            outcome.append(lint_source(NEGATIVE.encode(), "thread.py", settings()))
        except BaseException as error:  # pragma: no cover - the assertion below shows it
            outcome.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(TIMEOUT)
    assert len(outcome) == 1 and not isinstance(outcome[0], BaseException), outcome
    only(outcome[0].diagnostics, "WCE203")  # type: ignore[attr-defined]


def test_the_time_limit_leaves_a_running_alarm_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(timelimit.ENVIRONMENT_VARIABLE, "0.001")
    monkeypatch.setattr(timelimit, "BYTES_PER_SECOND", 10**12)
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 1000)
        result = lint_source(NEGATIVE.encode(), "alarm.py", settings())
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    only(result.diagnostics, "WCE203")  # no limit applied: the other timer was running
    assert 900 < remaining <= 1000 and fired == []


@pytest.mark.parametrize(
    "value, expected",
    [(None, timelimit.DEFAULT_SECONDS), ("", timelimit.DEFAULT_SECONDS), ("2.5", 2.5), ("0", None),
     ("off", None), ("None", None), ("-1", None), ("nan", None), ("inf", None),
     ("ten", timelimit.DEFAULT_SECONDS)],
)
def test_time_limit_setting(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: float | None) -> None:
    if value is None:
        monkeypatch.delenv(timelimit.ENVIRONMENT_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(timelimit.ENVIRONMENT_VARIABLE, value)
    assert timelimit.limit_seconds() == expected


def test_without_a_limit_there_is_no_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    assert timelimit.size_refusal(10**9, None) is None
    assert timelimit.size_refusal(6_000_000, 60) is None
    assert "6.0 MB" in (timelimit.size_refusal(6_000_001, 60) or "")


def test_the_time_limit_through_the_cli(project: Path) -> None:
    (project / "slow.py").write_bytes(generated(20_000))
    result = run_wce_lint(project, "--no-cache", "slow.py", env={timelimit.ENVIRONMENT_VARIABLE: "0.01"})
    no_traceback(result)
    assert result.returncode == 1
    assert result.stdout.startswith("slow.py:1:1: WCE000 file too large to analyse within the time limit")


NEGATIVE_TAIL = NEGATIVE.split("\n\n\n", 1)[1].encode()  # the function with pos_weight=-2.0


def test_a_size_refusal_is_not_cached(project: Path) -> None:
    """The size cap comes from the time limit, an environment setting the cache key does not hold: the
    next run, with another limit and the cache on, must analyse the file."""
    (project / "slow.py").write_bytes(generated(20_000) + NEGATIVE_TAIL)
    first = run_wce_lint(project, "slow.py", "--output-format", "concise", env={timelimit.ENVIRONMENT_VARIABLE: "0.01"})
    no_traceback(first)
    assert "WCE000 file too large to analyse within the time limit" in first.stdout
    second = run_wce_lint(project, "slow.py", "--output-format", "concise", env={timelimit.ENVIRONMENT_VARIABLE: "off"})
    no_traceback(second)
    assert "WCE000" not in second.stdout and "WCE203" in second.stdout


def test_a_verdict_of_the_time_limit_is_not_cached(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the limit on a loaded machine says nothing about the file's bytes: not cached."""
    from wce_lint.parallel import lint_many

    path = project / "slow.py"
    path.write_bytes(generated(150_000) + NEGATIVE_TAIL)
    monkeypatch.setenv(timelimit.ENVIRONMENT_VARIABLE, "0.05")
    monkeypatch.setattr(timelimit, "BYTES_PER_SECOND", 10**12)  # let the file past the size cap
    [first] = lint_many([path], settings(project))
    assert only(first.diagnostics).message == "analysis took longer than 0.05 s; file skipped"
    monkeypatch.delenv(timelimit.ENVIRONMENT_VARIABLE)
    [second] = lint_many([path], settings(project))
    assert [d.code for d in second.diagnostics] == ["WCE203"]
    assert (project / ".wce_lint_cache").is_dir()  # the cache was in use all along


# -- the filesystem -----------------------------------------------------------------------------------
def _hostile_tree(root: Path) -> dict[str, str | None]:
    """Writes the hostile tree; returns each file's expected concise finding (None: no finding)."""
    (root / "empty.py").write_bytes(b"")
    (root / "bom.py").write_bytes(b"\xef\xbb\xbf")
    (root / "nul.py").write_bytes(b"import tensorflow as tf\x00\n")
    (root / "latin1.py").write_bytes("# caf\xe9\n".encode("latin-1"))
    (root / "badutf8.py").write_bytes(b"x = '\xff'\n")
    (root / "crlf.py").write_bytes(NEGATIVE.replace("\n", "\r\n").encode())
    (root / "cr.py").write_bytes(NEGATIVE.replace("\n", "\r").encode())
    (root / "nested.py").write_bytes(NEGATIVE.encode() + b"x = " + b"(" * 5000 + b")" * 5000 + b"\n")
    (root / "loop_a.py").symlink_to("loop_b.py")
    (root / "loop_b.py").symlink_to("loop_a.py")
    (root / "dangling.py").symlink_to("nowhere.py")
    os.mkfifo(root / "pipe.py")
    (root / "folder.py").mkdir()
    (root / "folder.py" / "inner.py").write_text(NEGATIVE, encoding="utf-8")
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to("..", target_is_directory=True)  # a folder loop
    column = FINDING_COLUMN + 1
    return {
        "badutf8.py": "badutf8.py:1:6: WCE000 bytes are not valid utf-8",
        "cr.py": f"cr.py:{FINDING_LINE}:{column}: WCE203 ",
        "crlf.py": f"crlf.py:{FINDING_LINE}:{column}: WCE203 ",
        "dangling.py": "dangling.py:1:1: WCE000 broken symbolic link: No such file or directory",
        "folder.py/inner.py": f"folder.py/inner.py:{FINDING_LINE}:{column}: WCE203 ",
        "latin1.py": "latin1.py:1:6: WCE000 bytes are not valid utf-8",
        "loop_a.py": "loop_a.py:1:1: WCE000 broken symbolic link: Too many levels of symbolic links",
        "loop_b.py": "loop_b.py:1:1: WCE000 broken symbolic link: Too many levels of symbolic links",
        "nested.py": "nested.py:6:205: WCE000 syntax error: too many nested parentheses",
        "nul.py": "nul.py:1:24: WCE000 source contains a NUL byte",
        "pipe.py": "pipe.py:1:1: WCE000 not a regular file (FIFO, socket or device)",
        "empty.py": None,
        "bom.py": None,
    }


@pytest.mark.parametrize("output_format", ["concise", "full", "github", "json", "sarif"])
def test_hostile_tree_through_the_cli_never_hangs_or_crashes(project: Path, output_format: str) -> None:
    expected = _hostile_tree(project)
    result = run_wce_lint(project, "--no-cache", "--output-format", output_format)
    no_traceback(result)
    assert result.returncode == 1, result.stderr
    if output_format == "json":
        findings = sorted((item["filename"], item["code"]) for item in json.loads(result.stdout))
        wanted = sorted((str(project / name), line.split(" ")[1]) for name, line in expected.items() if line)
        assert findings == wanted
    elif output_format == "concise":
        lines = result.stdout.splitlines()
        for name, line in expected.items():
            matching = [out for out in lines if out.startswith(name + ":")]
            assert matching == ([] if line is None else matching[:1]) and (line is None or matching[0].startswith(line)), (
                name, matching)
        assert lines[-1] == f"Found {sum(1 for line in expected.values() if line)} errors."
    else:
        for name, line in expected.items():
            assert (name in result.stdout) == (line is not None), name


def test_a_folder_named_x_py_given_explicitly_is_walked(project: Path) -> None:
    (project / "folder.py").mkdir()
    (project / "folder.py" / "inner.py").write_text(NEGATIVE, encoding="utf-8")
    run = lint_paths([project / "folder.py"], settings(project), use_cache=False)
    assert [(Path(d.path).name, d.code) for d in run.diagnostics] == [("inner.py", "WCE203")]
    # lint_file on it (the engine's contract for anything discovery hands over) is one WCE000.
    finding = only(lint_file(project / "folder.py", settings(project)).diagnostics)
    assert finding.message == "is a directory, not a Python file"


def test_a_file_deleted_between_discovery_and_read(project: Path) -> None:
    from wce_lint.parallel import lint_many

    for name in ("a.py", "b.py", "c.py"):
        (project / name).write_text(NEGATIVE, encoding="utf-8")
    files, messages = discover([project], settings(project))
    assert [path.name for path in files] == ["a.py", "b.py", "c.py"] and messages == []
    (project / "b.py").unlink()
    finding = only(lint_file(project / "b.py", settings(project)).diagnostics)
    assert finding.message == "cannot read file: No such file or directory"
    results = lint_many(files, settings(project), jobs=1, use_cache=False)
    assert [[d.code for d in result.diagnostics] for result in results] == [["WCE203"], ["WCE000"], ["WCE203"]]
    assert all(result.internal_errors == [] for result in results)


def test_a_file_that_cannot_be_read_in_process(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated EACCES, so this runs whatever the user (root reads anything).
    secret = project / "secret.py"
    secret.write_text(NEGATIVE, encoding="utf-8")

    def guarded(real):  # type: ignore[no-untyped-def]
        def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
            if not isinstance(file, int) and os.fspath(file) == os.fspath(secret):
                raise PermissionError(13, "Permission denied", os.fspath(file))
            return real(file, *args, **kwargs)

        return guarded_open

    # Every way the engine may open a file: os.open (low level), open() and Path.read_bytes (io.open).
    monkeypatch.setattr(os, "open", guarded(os.open))
    monkeypatch.setattr(builtins, "open", guarded(builtins.open))
    monkeypatch.setattr(io, "open", guarded(io.open))
    run = lint_paths([project], settings(project), use_cache=False)
    finding = only(run.diagnostics)
    assert finding.message == "cannot read file: Permission denied" and run.internal_errors == []


def _without_file_capabilities() -> None:
    """In the child: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set, so that root is
    denied a chmod 000 file after exec like any user (prctl(PR_CAPBSET_DROP))."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_an_unreadable_file_through_the_cli(project: Path) -> None:
    secret = project / "secret.py"
    secret.write_text(NEGATIVE, encoding="utf-8")
    (project / "train.py").write_text(NEGATIVE, encoding="utf-8")
    locked = project / "locked"
    locked.mkdir()
    (locked / "hidden.py").write_text(NEGATIVE, encoding="utf-8")
    secret.chmod(0)
    locked.chmod(0)
    extra = {}
    if os.geteuid() == 0:
        if not sys.platform.startswith("linux"):
            pytest.skip("running as root, where chmod 000 does not stop reading, and no prctl to drop that right")
        extra["preexec_fn"] = _without_file_capabilities
    try:
        result = run_wce_lint(project, "--no-cache", "--output-format", "full", **extra)
        concise = run_wce_lint(project, "--no-cache", "--output-format", "concise", **extra)
    finally:
        secret.chmod(stat.S_IRUSR | stat.S_IWUSR)
        locked.chmod(stat.S_IRWXU)
    no_traceback(result)
    no_traceback(concise)
    assert concise.returncode == 1
    assert concise.stdout.splitlines()[0] == "secret.py:1:1: WCE000 cannot read file: Permission denied"
    assert concise.stdout.splitlines()[1].startswith(f"train.py:{FINDING_LINE}:")
    assert "cannot read file: Permission denied" in result.stdout
    # An unreadable folder is skipped with a warning (there is no file to report a finding on).
    assert "wce-lint: warning: ./locked: cannot list folder (Permission denied)" in concise.stderr.splitlines()


# -- real trees ------------------------------------------------------------------------------------------
# The standard library is linted in tests/test_real_code.py. The test environment's whole site-packages
# (TensorFlow, Keras, JAX, SciPy, NumPy, LibCST, pip … about 19,000 files) takes several minutes on two
# cores, so it is opt-in: `pytest -m realtrees` runs it (the default run leaves it out, as it does `fuzz`).
@pytest.mark.realtrees
def test_site_packages_lint_without_internal_errors() -> None:
    import sysconfig

    purelib = Path(sysconfig.get_paths()["purelib"])
    started = time.perf_counter()
    run = lint_paths([purelib], Settings(preview=True), use_cache=False)
    elapsed = time.perf_counter() - started
    file_errors = [d for d in run.diagnostics if d.code == "WCE000"]
    print(f"\nsite-packages: {run.files_seen} files, {run.files_parsed} parsed, {len(run.diagnostics)} findings "
          f"({len(file_errors)} WCE000), {len(run.internal_errors)} internal errors, {elapsed:.0f} s")
    assert run.files_seen > 1000 and run.files_parsed > 100
    assert run.internal_errors == [], run.internal_errors[:10]
    # None of the engine's own guards may fire on real code (time limit, size cap, depth).
    guards = [d for d in file_errors if "file skipped" in d.message or "too deeply" in d.message or "too long" in d.message]
    assert guards == [], [(d.path, d.message) for d in guards]


def test_valid_python_that_libcst_cannot_parse_is_not_called_a_syntax_error() -> None:
    """LibCST gives up on thousands of implicitly concatenated strings, which CPython accepts."""
    strings = " ".join(['"a"'] * 5000)
    data = f"{NEGATIVE}\nx = ({strings})\n".encode()
    finding = only(lint_source(data, "strings.py", settings()).diagnostics)
    assert finding.message.startswith("LibCST cannot parse this file, though Python accepts it (")
    assert "syntax error" not in finding.message
    compile(data, "strings.py", "exec")  # the premise: CPython accepts it
