"""A configuration file is data, never code, and never a way out of the project.

* Values that look like code are only ever compared as strings: the CLI runs under an audit hook
  (``sys.addaudithook``) that records every file opened, every folder listed, every code object executed
  and every process started; none of it may come from the config.
* Globs (``exclude``, ``per-file-ignores``) are matched against paths, never opened: ``../../etc/passwd``
  in a glob makes the linter read nothing outside the project.
* Hostile patterns (unbalanced ``[``, ``**/**/…`` repeated, backtracking bait, 100,000 characters) and
  10,000 ``per-file-ignores`` entries finish quickly and correctly.
* A config that is not TOML (or nested too deeply for the TOML reader, or not a regular file) stops the
  run with exit 2 and a one-line message naming the file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import wce_lint
from tests.cli_helpers import TIMEOUT, decoded, no_traceback

NEGATIVE = (
    "import tensorflow as tf\n"
    "\n"
    "\n"
    "def loss_fn(x, y):\n"
    "    return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)\n"
)
CANARY = "wce_canary_5f1d"

# Runs the CLI under an audit hook and dumps what it saw as JSON (path in $AUDIT_LOG).
RUNNER = textwrap.dedent(
    """
    import json, os, sys

    CANARY = sys.argv.pop(1)
    LOG = os.environ["AUDIT_LOG"]
    events = []

    def _path(value):
        return os.fsdecode(value) if isinstance(value, (str, bytes, os.PathLike)) else repr(value)

    def _mentions_canary(code):
        stack = [code]
        while stack:
            item = stack.pop()
            if isinstance(item, str) and CANARY in item:
                return True
            if hasattr(item, "co_consts"):
                stack.extend(item.co_consts)
                stack.extend(item.co_names)
        return False

    def hook(event, args):
        if event == "open":
            events.append(["open", _path(args[0])])
        elif event in ("os.scandir", "os.listdir"):
            events.append([event, _path(args[0] if args[0] is not None else ".")])
        elif event == "exec":
            if _mentions_canary(args[0]):
                events.append(["exec-canary", repr(args[0])])
        elif event == "compile":
            source = args[0]
            if isinstance(source, bytes):
                source = source.decode("utf-8", "replace")
            if isinstance(source, str) and CANARY in source:
                events.append(["compile-canary", source[:200]])
        elif event.startswith(("subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                               "socket.", "urllib.", "ctypes.", "pty.", "webbrowser.", "os.kill")):
            events.append(["process-or-network", event, repr(args)[:200]])

    sys.addaudithook(hook)
    from wce_lint.cli import main
    try:
        main(sys.argv[1:])
    finally:
        with open(LOG, "w") as stream:
            json.dump(events, stream)
    """
)


def run_cli(cwd: Path, *args: str, audit: Path | None = None) -> subprocess.CompletedProcess[str]:
    if audit is None:
        command = [sys.executable, "-m", "wce_lint", *args]
        env = None
    else:
        command = [sys.executable, "-c", RUNNER, CANARY, *args]
        env = {**os.environ, "AUDIT_LOG": str(audit)}
    return decoded(subprocess.run(command, cwd=cwd, capture_output=True, timeout=TIMEOUT, env=env))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / ".git").mkdir()  # bounds the config search
    (root / "train.py").write_text(NEGATIVE, encoding="utf-8")
    (root / "pkg").mkdir()
    (root / "pkg" / "model.py").write_text(NEGATIVE, encoding="utf-8")
    return root


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


# -- values that look like code, globs that point outside ----------------------------------------------
def test_config_values_are_never_executed_and_globs_never_opened(project: Path, tmp_path: Path) -> None:
    trap = tmp_path / "PWNED"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(NEGATIVE, encoding="utf-8")
    code_like = [
        f"__import__('os').system('touch {trap}')  # {CANARY}",
        f"$(touch {trap}) `touch {trap}` ; touch {trap} # {CANARY}",
        f"{{{{ self.__init__.__globals__ }}}} %(x)s {{0.__class__}} {CANARY}",
        f"exec(compile('open(\"{trap}\", \"w\")', 'x', 'exec'))  # {CANARY}",
    ]
    escaping = ["../../etc/passwd", "/etc/passwd", "/etc/shadow", "../outside/*", "../outside/secret.py", "/**"]
    (project / "pyproject.toml").write_text(
        "[tool.wce-lint]\n"
        f"exclude = [{', '.join(toml_string(v) for v in [*code_like, *escaping])}]\n"
        f"extend-exclude = [{', '.join(toml_string(v) for v in code_like)}]\n"
        "[tool.wce-lint.per-file-ignores]\n"
        + "".join(f"{toml_string(pattern)} = [\"WCE203\"]\n" for pattern in [*code_like, *escaping]),
        encoding="utf-8",
    )
    log = tmp_path / "audit.json"
    result = run_cli(project, "--no-cache", "--output-format", "full", ".", audit=log)
    no_traceback(result)
    # The findings are still there: nothing in the config matched the project's files.
    assert result.returncode == 1, result.stderr
    assert "train.py:5:" in result.stdout.replace("\\", "/") and "pkg/model.py:5:" in result.stdout.replace("\\", "/")
    assert not trap.exists()
    events = json.loads(log.read_text())
    assert [e for e in events if e[0] in ("exec-canary", "compile-canary", "process-or-network")] == []
    allowed = [str(project), str(log), *{os.path.abspath(p) for p in sys.path if p},
               sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(wce_lint.__file__)]
    touched = {os.path.abspath(os.path.join(project, e[1])) for e in events if e[0] in ("open", "os.scandir", "os.listdir")}
    strays = sorted(p for p in touched if not any(p == a or p.startswith(a.rstrip(os.sep) + os.sep) for a in allowed))
    assert strays == [], strays
    assert not [p for p in touched if "passwd" in p or "shadow" in p or p.startswith(str(outside))]
    # And what it did read in the project: the config and the two Python files.
    opened = sorted(os.path.relpath(p, project) for p in touched if p.startswith(str(project) + os.sep))
    assert set(opened) <= {"pyproject.toml", "train.py", os.path.join("pkg", "model.py"), ".git", "pkg"}, opened


def test_keys_and_values_that_look_like_code_are_rejected_as_data(project: Path, tmp_path: Path) -> None:
    trap = tmp_path / "PWNED"
    system = f"__import__('os').system('touch {trap}')"
    opener = f"exec(\"open('{trap}', 'w')\")"
    cases = [
        f"{toml_string(system)} = 1\n",
        f"select = [{toml_string(system)}]\n",
        f"output-format = {toml_string(opener)}\n",
        f"preview = {toml_string(system)}\n",
        "per-file-ignores = [\"../../etc/passwd\"]\n",
        f"exclude = {{ {toml_string(system)} = 1 }}\n",
    ]
    for body in cases:
        (project / "pyproject.toml").write_text("[tool.wce-lint]\n" + body, encoding="utf-8")
        result = run_cli(project, "--no-cache", ".")
        no_traceback(result)
        assert result.returncode == 2, (body, result.stdout, result.stderr)
        assert result.stderr.startswith("wce-lint: error: pyproject.toml: [tool.wce-lint]"), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert not trap.exists()


# -- hostile globs ----------------------------------------------------------------------------------------
HOSTILE_GLOBS = [
    "[", "[!", "[]", "]", "[]]", "[!]", "[z-a]", "\\", "\\\\", "{", "}", "{a,b}", "?" * 300,
    "**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/nope",
    "**/" * 2000 + "nope",
    "*" * 5000 + "nope",
    "a*" * 300 + "b",  # backtracking bait for a naive matcher, against a file named a…a.py
    "x" * 100_000,
    "\u0000", "\U0001f600*", "pkg/\u2028", "../" * 500 + "*",
]


def test_hostile_glob_patterns_are_matched_quickly_and_harmlessly(project: Path) -> None:
    (project / ("a" * 200 + ".py")).write_text(NEGATIVE, encoding="utf-8")
    globs = ", ".join(toml_string(g) for g in HOSTILE_GLOBS)
    (project / "pyproject.toml").write_text(
        "[tool.wce-lint]\n"
        f"exclude = [{globs}]\n"
        f"extend-exclude = [{globs}]\n"
        "[tool.wce-lint.per-file-ignores]\n" + "".join(f"{toml_string(g)} = [\"ALL\"]\n" for g in HOSTILE_GLOBS),
        encoding="utf-8",
    )
    started = time.perf_counter()
    result = run_cli(project, "--no-cache", "--output-format", "concise", ".")
    elapsed = time.perf_counter() - started
    no_traceback(result)
    assert result.returncode == 1, result.stderr
    reported = sorted(line.split(":")[0] for line in result.stdout.splitlines()[:-1])
    assert reported == sorted(["a" * 200 + ".py", "pkg/model.py", "train.py"])
    assert elapsed < 60


def test_hostile_patterns_in_process() -> None:
    from wce_lint.settings import Settings

    settings = Settings(exclude=tuple(HOSTILE_GLOBS), per_file_ignores=tuple((g, ("ALL",)) for g in HOSTILE_GLOBS))
    started = time.perf_counter()
    for name in ("train.py", "a" * 200 + ".py", "pkg/model.py", "../../etc/passwd", "\\x", "x[y"):
        assert not settings.is_excluded(Path(name)), name
        assert settings.codes_for(name), name
    # An unbalanced "[" is no error: fnmatch takes it literally, so it matches a file of that very name.
    assert settings.is_excluded(Path("[")) and settings.codes_for("[") == frozenset()
    assert time.perf_counter() - started < 30


def test_ten_thousand_per_file_ignores(project: Path) -> None:
    for index in range(100):
        (project / "pkg" / f"module_{index}.py").write_text(NEGATIVE if index % 3 == 0 else "x = 1\n", encoding="utf-8")
    patterns = [f"generated/part_{i}/**/*.py" for i in range(5_000)]
    patterns += [f"*_{i}_suffix.py" for i in range(4_999)]
    patterns.append("pkg/module_0.py")  # the one that matches
    (project / "pyproject.toml").write_text(
        "[tool.wce-lint.per-file-ignores]\n" + "".join(f"{toml_string(p)} = [\"WCE203\"]\n" for p in patterns),
        encoding="utf-8",
    )
    started = time.perf_counter()
    result = run_cli(project, "--no-cache", "--output-format", "concise", ".")
    elapsed = time.perf_counter() - started
    no_traceback(result)
    assert result.returncode == 1, result.stderr
    reported = {line.split(":")[0] for line in result.stdout.splitlines()[:-1]}
    expected = {f"pkg/module_{i}.py" for i in range(3, 100, 3)} | {"pkg/model.py", "train.py"}
    assert reported == expected
    assert elapsed < 90, elapsed


# -- files that are not TOML -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content, message",
    [
        (b"[tool.wce-lint]\nselect = [\n", "pyproject.toml: invalid TOML: "),
        (b"[tool.wce-lint]\nselect = ['WCE2'\n[tool.wce-lint]\n", "pyproject.toml: invalid TOML: "),
        (b"[tool.wce-lint]\nexclude = " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "pyproject.toml: invalid TOML: nested too deeply"),
        (b"[tool.wce-lint]\n\xff\xfe\x00 binary", "pyproject.toml: not a TOML file (TOML must be UTF-8)"),
        (b"# wce-lint\n<?xml version='1.0'?><project/>\n", "pyproject.toml: invalid TOML: "),
        (b"tool = 'wce-lint'\n[tool]\n", "pyproject.toml: invalid TOML: "),
    ],
    ids=["unclosed", "duplicate table", "deep", "binary", "xml", "redefined"],
)
def test_pyproject_that_is_not_toml_exits_2_naming_the_file(project: Path, content: bytes, message: str) -> None:
    (project / "pyproject.toml").write_bytes(content)
    result = run_cli(project, "--no-cache", ".")
    no_traceback(result)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith(f"wce-lint: error: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


def test_pyproject_without_our_table_is_passed_over_even_if_broken(project: Path) -> None:
    # The documented rule (config.py, README "Configuration"): a pyproject.toml that never mentions
    # wce-lint is not ours and is not parsed, so its own TOML mistakes are not our error.
    (project / "pyproject.toml").write_bytes(b"[project\nname = \n\xff")
    result = run_cli(project, "--no-cache", ".")
    no_traceback(result)
    assert result.returncode == 1 and result.stderr == ""


@pytest.mark.parametrize("kind", ["not toml", "fifo", "folder", "missing", "deep"])
def test_explicit_config_that_cannot_be_used_exits_2(project: Path, kind: str) -> None:
    path = project / "ci.toml"
    if kind == "not toml":
        path.write_bytes(b"select = WCE203\n")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "deep":
        path.write_bytes(b"x = " + b"{a = " * 20_000 + b"1" + b"}" * 20_000 + b"\n")
    result = run_cli(project, "--no-cache", "--config", "ci.toml", ".")  # a FIFO must not hang (timeout)
    no_traceback(result)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "ci.toml" in result.stderr and result.stderr.startswith("wce-lint: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
