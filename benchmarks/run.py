"""Time wce-lint against ruff, fixit and the bare LibCST parse on two locally built corpora.

    python benchmarks/run.py                      # both corpora, 5 runs per row
    python benchmarks/run.py --corpus B --runs 7
    python benchmarks/run.py --fixit-files 0      # skip fixit (minutes per run)
    python benchmarks/run.py --corpus real dense --corpus-dir /tmp/corpus/ml   # the issue-16 rows
    python benchmarks/run.py --corpus projects --corpus-dir /tmp/corpus/ml    # pre-commit in a project

``--corpus-dir`` names a real corpus folder (``ml-4repos.tar.xz`` from the shared data unpacked, or the four
repositories cloned at the commits of its README); ``dense`` is a generated findings-dense file of 48k lines
(and 12k, 24k for the cost per 10k lines).

Corpus A is the running interpreter's standard library (copied, without site-packages); corpus B is generated
by ``benchmarks/corpus_b.py``. Both are built under ``--workdir`` (outside the repository by default, so the
repository's own ``[tool.wce-lint]`` config does not apply to them). Every row runs a command in a fresh
process and reports the median of ``--runs`` runs: wall time, CPU time (user + system of the process and its
children, from ``wait4``), peak memory (the largest resident set of the process tree: ``ru_maxrss``) and files
per second. See ``benchmarks/README.md`` for what each row means and the latest figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from typing import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus_b  # noqa: E402  (a sibling module, not a package)

# -- measuring one command -------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    cpu: float
    peak_mib: float


@dataclass
class Row:
    name: str
    files: int
    samples: list[Sample]
    note: str = ""
    scale: float = 1.0  # fixit runs on a subset: times are multiplied by files / subset

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(sample, attribute) for sample in self.samples)

    @property
    def wall(self) -> float:
        return self.median("wall") * self.scale

    @property
    def cpu(self) -> float:
        return self.median("cpu") * self.scale


# Runs the command from a small fresh interpreter and reports its rusage. Measuring from this process
# directly would be wrong: on Linux a child's ru_maxrss starts at the resident size of the process it was
# forked from (exec keeps the old memory's high-water mark), and this one grows while it builds corpora.
_LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.close(int(sys.argv[1]))
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
os.write(int(sys.argv[1]), json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]).encode())
"""


def run_once(command: list[str], cwd: Path, env: dict[str, str] | None = None, any_exit: bool = False) -> Sample:
    """Run ``command`` and measure it with ``wait4``: the rusage of that child includes its own reaped
    children (the worker processes), and its ``ru_maxrss`` is the largest of the tree."""
    import json

    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-S", "-c", _LAUNCHER, str(write_end), *command], cwd=cwd, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, pass_fds=(write_end,),
    )
    os.close(write_end)
    assert process.stderr is not None
    errors = process.stderr.read()
    report = b""
    while chunk := os.read(read_end, 65536):
        report += chunk
    os.close(read_end)
    process.wait()
    if not report:
        raise SystemExit(f"{' '.join(command)}: no measurement:\n{errors.decode(errors='replace')[-2000:]}")
    wall, cpu, maxrss_kib, code = json.loads(report)
    if code not in (0, 1) and not any_exit:  # 1: findings
        raise SystemExit(f"{' '.join(command)} exited with {code}:\n{errors.decode(errors='replace')[-2000:]}")
    return Sample(wall, cpu, maxrss_kib / 1024)


ONLY: tuple[str, ...] = ()  # --only: run just the rows whose name contains one of these words


def measure(
    name: str, command: list[str], cwd: Path, files: int, runs: int, *, before=None, env=None, note: str = "",
    any_exit: bool = False,
) -> Row | None:
    if ONLY and not any(word in name for word in ONLY):
        return None
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        samples.append(run_once(command, cwd, env, any_exit))
    row = Row(name, files, samples, note)
    print(f"  {name:<44} {row.wall:8.3f} s", file=sys.stderr, flush=True)
    return row


@dataclass
class Spec:
    """One row to measure: a command and what to do before each run of it."""

    name: str
    command: list[str]
    cwd: Path
    files: int
    before: Callable[[], None] | None = None
    env: dict[str, str] | None = None
    note: str = ""
    skip: bool = False


def measure_rounds(specs: list[Spec], runs: int) -> list[Row | None]:
    """Every selected row once per round, ``runs`` rounds; rows in the order of ``specs``."""
    chosen = [spec for spec in specs if not spec.skip and (not ONLY or any(word in spec.name for word in ONLY))]
    samples: dict[str, list[Sample]] = {spec.name: [] for spec in chosen}
    for _ in range(runs):
        for spec in chosen:
            if spec.before is not None:
                spec.before()
            samples[spec.name].append(run_once(spec.command, spec.cwd, spec.env))
    rows = []
    for spec in chosen:
        row = Row(spec.name, spec.files, samples[spec.name], spec.note)
        print(f"  {spec.name:<44} {row.wall:8.3f} s", file=sys.stderr, flush=True)
        rows.append(row)
    return rows


# -- the corpora -----------------------------------------------------------------------------------
def build_corpus_a(dest: Path) -> Path:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    marker = dest / ".built-from"
    if marker.exists() and marker.read_text() == str(stdlib):
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(stdlib, dest, ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"))
    marker.write_text(str(stdlib))
    return dest


def build_corpus_b(dest: Path, files: int) -> Path:
    marker = dest / ".built-files"
    if marker.exists() and marker.read_text() == str(files):
        return dest
    corpus_b.build(dest, files)
    marker.write_text(str(files))
    return dest


def python_files(root: Path) -> list[Path]:
    """The files wce-lint checks under ``root`` (its own discovery, so every tool is given the same count)."""
    from wce_lint.engine import discover
    from wce_lint.settings import Settings

    files, _ = discover([root], Settings(root=root))
    return files


def prechecked(root: Path, files: list[Path]) -> list[Path]:
    """The files the engine's byte-level pre-check lets through to the parser."""
    from wce_lint.engine import _rules_triggered
    from wce_lint.settings import Settings

    settings = Settings(root=root)
    return [file for file in files if _rules_triggered(file.read_bytes(), settings.codes_for(str(file)))]


DENSE_BLOCK = (
    "def loss_{i}(labels, scores):\n"
    "    \"\"\"A sigmoid before a loss that applies it itself.\"\"\"\n"
    "    probabilities = tf.sigmoid(scores)\n"
    "    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=probabilities)\n"
    "\n\n"
)  # 6 lines, one finding (WCE101)


def build_dense(dest: Path, lines: int) -> Path:
    """One module of ``lines`` lines holding a finding every 6 lines (48k lines: 8,000 findings)."""
    dest.mkdir(parents=True, exist_ok=True)
    file = dest / f"dense_{lines // 1000}k.py"
    text = "import tensorflow as tf\n\n\n" + "".join(DENSE_BLOCK.format(i=i) for i in range(lines // 6))
    if not file.exists() or file.read_text() != text:
        file.write_text(text)
    return file


def bench_dense(args: argparse.Namespace, python: str, env: dict[str, str]) -> list[Row]:
    """wce-lint on one findings-dense file against LibCST's bare parse of it, and the cost per 10k lines at
    three sizes (linear growth: the three should agree)."""
    folder = args.workdir / "dense"
    env = {**env, "WCE_LINT_TIME_LIMIT": "off"}  # the per-file limit would skip it on a loaded machine
    rows: list[Row] = []
    for lines in (12_000, 24_000, 48_000):
        file = build_dense(folder, lines)
        list_file = folder / f"{file.stem}.list"
        list_file.write_text(str(file))
        print(f"\ndense file: {file} — {lines} lines, {lines // 6} findings", file=sys.stderr)
        specs = [
            Spec(f"wce-lint --no-cache, {lines // 1000}k-line dense file",
                 [*wce_lint_command(python), file.name, "--no-cache", "--exit-zero", "-q", "--output-format",
                  "concise"], folder, 1, env=env, note=f"{lines // 6} findings"),
            Spec(f"LibCST parse of the {lines // 1000}k-line file (1 proc)",
                 [python, str(Path(__file__).resolve()), "_floor", str(list_file), "1"], folder, 1, env=env),
        ]
        rows += [row for row in measure_rounds(specs, args.dense_runs) if row is not None]
        rows[-1].note = f"{lines} lines"
        rows[-2].note = f"{lines} lines, {lines // 6} findings"
    return rows


# -- the floor: LibCST's parse alone, over all cores ---------------------------------------------
def floor_worker(list_file: Path, jobs: int) -> None:
    """``run.py _floor LIST JOBS``: parse every listed file with LibCST, nothing else, in a pool of ``jobs``
    forked processes (what wce-lint's pool does, minus the analysis)."""
    import multiprocessing

    paths = list_file.read_text().splitlines()
    chunk = max(1, min(16, len(paths) // (jobs * 4) or 1))
    if jobs <= 1:
        for path in paths:
            _parse(path)
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for _ in pool.imap_unordered(_parse, paths, chunksize=chunk):
            pass


def _parse(path: str) -> None:
    import libcst

    try:
        libcst.parse_module(Path(path).read_bytes().decode("utf-8"))
    except Exception:  # noqa: BLE001 - a syntax error costs its parse like any file
        pass


def ideal_floor(files: list[Path], cores: int) -> float:
    """Sum of the single-process parse times of ``files`` divided by ``cores``: no process start, no import."""
    import libcst

    total = 0.0
    for file in files:
        text = file.read_bytes().decode("utf-8", errors="replace")
        start = time.process_time()
        try:
            libcst.parse_module(text)
        except Exception:  # noqa: BLE001
            pass
        total += time.process_time() - start
    return total / cores


# -- one corpus ------------------------------------------------------------------------------------
def bench_corpus(label: str, root: Path, args: argparse.Namespace, python: str, env: dict[str, str]) -> list[Row]:
    files = python_files(root)
    parsed = prechecked(root, files)
    count = len(files)
    cores = os.cpu_count() or 1
    lines = sum(file.read_bytes().count(b"\n") for file in files)
    print(f"\ncorpus {label}: {root} — {count} files, {lines} lines, {len(parsed)} pass the pre-check",
          file=sys.stderr)
    wce = [*wce_lint_command(python), ".", "--exit-zero", "-q", "--output-format", "concise"]
    cache = root / ".wce_lint_cache"

    def drop_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    edited = parsed[0] if parsed else files[0]
    original = edited.read_bytes()
    list_file = Path(tempfile.mkstemp(suffix=".txt")[1])
    list_file.write_text("\n".join(str(file) for file in parsed))
    ruff = shutil.which("ruff", path=str(Path(python).parent)) or shutil.which("ruff")
    # One round runs every row once, in this order (cold fills the cache the warm rows read), and the rounds
    # repeat: on a shared machine whose speed drifts, every row then sees the same drift, so the ratios
    # between rows (what the targets are about) hold even when the seconds do not.
    specs = [
        Spec("wce-lint cold (empty cache)", wce, root, count, before=drop_cache, env=env),
        Spec("wce-lint warm (nothing changed)", wce, root, count, env=env),
        Spec("wce-lint warm, one file edited", wce, root, count, env=env, before=lambda: _touch_content(edited)),
        Spec("wce-lint --no-cache", [*wce, "--no-cache"], root, count, env=env),
        Spec("ruff check --no-cache --select F", [ruff or "ruff", "check", "--no-cache", "--select", "F",
             "--exit-zero", "-q", "."], root, count, skip=ruff is None),
        Spec(f"LibCST parse of pre-checked files ({cores} procs)",
             [python, str(Path(__file__).resolve()), "_floor", str(list_file), str(cores)],
             root, len(parsed), env=env, note=f"{len(parsed)} files"),
    ]
    run_once(wce, root, env)  # warm rows measured alone (--only warm) need a filled cache
    try:
        rows: list[Row | None] = measure_rounds(specs, args.runs)
    finally:
        edited.write_bytes(original)
        list_file.unlink()
    if not ONLY or any(word in "ideal" for word in ONLY):
        ideal = ideal_floor(parsed, cores)
        rows.append(Row(f"  ideal: Σ parse CPU / {cores} cores", len(parsed), [Sample(ideal, ideal * cores, 0.0)],
                        note="in-process, no start-up"))
    fixit = shutil.which("fixit", path=args.fixit_path) if args.fixit_path else shutil.which("fixit")
    if fixit and args.fixit_files > 0:
        # Run from outside the subset: fixit puts the project on sys.path, where a copied standard library
        # (corpus A) would shadow the real one.
        subset = root.parent / f"{root.name}-fixit-subset"
        shutil.rmtree(subset, ignore_errors=True)
        step = max(1, count // args.fixit_files)
        chosen = files[::step][: args.fixit_files]
        for file in chosen:
            target = subset / file.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
        row = measure(f"fixit lint (default rules; {len(chosen)}-file subset)", [fixit, "lint", str(subset)], root.parent,
                      count, args.fixit_runs, any_exit=True)
        if row is not None:
            row.scale = count / len(chosen)
            row.note = f"measured on {len(chosen)} files, times × {row.scale:.1f}"
            rows.append(row)
    return [row for row in rows if row is not None]


def build_projects(corpus: Path, dest: Path) -> Path:
    """The real corpus with each of its repositories made a project (a ``pyproject.toml`` at its top, as a
    clone's ``.git`` would be): imports of a repository's own modules are followed across files."""
    marker = dest / ".built-from"
    if not (marker.exists() and marker.read_text() == str(corpus)):
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(corpus, dest, ignore=shutil.ignore_patterns(".wce_lint_cache", "__pycache__"))
        for repository in (p for p in dest.iterdir() if p.is_dir()):
            if not any((repository / name).exists() for name in ("pyproject.toml", "setup.py", "setup.cfg", ".git")):
                (repository / "pyproject.toml").write_text("[project]\nname = 'benchmark'\n")
        marker.write_text(str(corpus))
    return dest


def bench_projects(root: Path, args: argparse.Namespace, python: str, env: dict[str, str]) -> list[Row]:
    """What a pre-commit hook costs: a few files of a project, each edited before every run, linted alone.
    The files are those of an evenly spaced sample of the candidates whose one-file run parses the most other
    modules of their project (counted here, in-process); the summaries stored by the warm-up run spare some
    of those parses."""
    candidates = prechecked(root, python_files(root))
    sample = candidates[:: max(1, len(candidates) // args.project_sample)]
    chosen = sorted(sample, key=lambda f: (-_modules_parsed_for(f, root), str(f)))[: args.project_files]
    originals = {file: file.read_bytes() for file in chosen}
    print(f"\ncorpus projects: {root} — {len(chosen)} files edited and linted one by one:", file=sys.stderr)
    for file in chosen:
        print(f"  {file.relative_to(root)}", file=sys.stderr)
    wce = [*wce_lint_command(python), "--exit-zero", "-q", "--output-format", "concise"]
    script = " && ".join(f"{' '.join(wce)} {file}" for file in chosen)

    edits = iter(range(1_000_000))

    def edit() -> None:  # new bytes every time (a toggle would be answered by the results cache)
        number = next(edits)
        for file, data in originals.items():
            file.write_bytes(data + f"# benchmark edit {number}\n".encode())

    whole = [*wce, "--no-cache", "."]
    specs = [
        Spec("whole projects, --no-cache", whole, root, len(python_files(root)), None, env),
        Spec("one file at a time, edited (stored summaries)", ["sh", "-c", script], root, len(chosen), edit, env),
        Spec("one file at a time, edited, --no-cache", ["sh", "-c", script.replace(" -q ", " -q --no-cache ")],
             root, len(chosen), edit, env),
    ]
    run_once(["sh", "-c", script], root, env)  # fills the cache: results and summaries
    try:
        rows = measure_rounds(specs, args.runs)
    finally:
        for file, data in originals.items():
            file.write_bytes(data)
    return [row for row in rows if row is not None]


def _modules_parsed_for(file: Path, root: Path) -> int:
    """How many other modules of its project a one-file run of ``file`` parses."""
    from wce_lint.analysis import project
    from wce_lint.engine import lint_file
    from wce_lint.settings import Settings

    parsed = []
    original = project._parse_file
    project._parse_file = lambda path, data: parsed.append(path) or original(path, data)  # type: ignore[assignment]
    try:
        project.reset()
        lint_file(file, Settings(root=root))
    finally:
        project._parse_file = original  # type: ignore[assignment]
    return len(parsed)


def wce_lint_command(python: str) -> list[str]:
    """The console script users run. Not ``python -m wce_lint``: that puts the working directory first on
    ``sys.path``, and inside corpus A the copied standard library would shadow the real one."""
    script = Path(python).parent / "wce-lint"
    if script.exists():
        return [str(script)]
    return [python, "-P", "-m", "wce_lint"]  # -P (3.11+): do not prepend the working directory


def _touch_content(file: Path) -> None:
    """Change one file's bytes (append or remove a trailing comment) so exactly one entry misses."""
    data = file.read_bytes()
    marker = b"# benchmark edit\n"
    file.write_bytes(data[: -len(marker)] if data.endswith(marker) else data + marker)


# -- the table ---------------------------------------------------------------------------------------
def print_table(label: str, rows: list[Row], runs: int) -> None:
    print(f"\n### Corpus {label}\n")
    print("| command | wall (s) | CPU (s) | peak RSS (MiB) | files/s | note |")
    print("|---|---:|---:|---:|---:|---|")
    for row in rows:
        peak = f"{row.median('peak_mib'):.0f}" if row.median("peak_mib") else "—"
        rate = row.files / row.wall if row.wall else 0.0
        runs_note = "" if len(row.samples) == runs else f"{len(row.samples)} run(s)"
        note = "; ".join(part for part in (row.note, runs_note) if part)
        print(f"| {row.name} | {row.wall:.3f} | {row.cpu:.2f} | {peak} | {rate:,.0f} | {note} |")
    print_targets(label, rows)


def print_targets(label: str, rows: list[Row]) -> None:
    """The targets (issue 16), as ratios of rows measured in the same rounds, each beside its target."""
    def row(prefix: str) -> Row | None:
        return next((r for r in rows if r.name.startswith(prefix)), None)

    def verdict(met: bool) -> str:
        return "met" if met else "MISSED"

    cold, warm, ruff = row("wce-lint cold"), row("wce-lint warm (nothing"), row("ruff")
    floor, fixit = row("LibCST parse"), row("fixit")
    print()
    if label.startswith("A"):
        if cold and ruff:
            ratio = cold.wall / ruff.wall
            print(f"- cold wall / `ruff check --no-cache --select F` wall: {ratio:.2f}× (target ≤ 1.5×: {verdict(ratio <= 1.5)})")
        return
    if label.startswith("projects"):
        stored, bare = row("one file at a time, edited (stored"), row("one file at a time, edited, --no-cache")
        if stored and bare:
            print(f"- edited files with stored summaries / without any cache: {stored.wall / bare.wall:.2f}× wall "
                  f"({stored.wall / stored.files:.2f} s vs {bare.wall / bare.files:.2f} s a file)")
        whole = row("whole projects")
        if whole:
            print(f"- whole projects, --no-cache: {whole.wall:.2f} s wall, {whole.cpu:.2f} s CPU (compare the real "
                  "corpus's `--no-cache` row: the same files without project markers)")
        return
    if label.startswith("dense"):
        per_10k = []
        for lines in (12, 24, 48):
            wce, bare = row(f"wce-lint --no-cache, {lines}k"), row(f"LibCST parse of the {lines}k")
            if wce and bare:
                per_10k.append(f"{wce.wall / lines * 10:.2f} s")
                if lines == 48:
                    ratio, peak = wce.wall / bare.wall, wce.median("peak_mib")
                    print(f"- 48k-line file with 8,000 findings / its bare parse: {ratio:.2f}× wall "
                          f"(target ≤ 2×: {verdict(ratio <= 2)}); peak memory {peak:.0f} MiB "
                          f"(target ≤ 400 MB: {verdict(peak * 1.048576 <= 400)})")
        if per_10k:
            print(f"- seconds per 10k lines at 12k / 24k / 48k lines: {' / '.join(per_10k)} (target: linear growth)")
        return
    if cold and floor:
        ratio = cold.wall / floor.wall
        print(f"- cold wall / bare whole-file LibCST parse of the same candidate files (2 procs) wall: {ratio:.2f}× "
              f"(target ≤ 0.7×: {verdict(ratio <= 0.7)}); CPU {cold.cpu / floor.cpu:.2f}×")
    if cold and fixit:
        ratio = fixit.wall / cold.wall
        print(f"- fixit wall (extrapolated from its subset) / cold wall: {ratio:.0f}× (target ≥ 100×: {verdict(ratio >= 100)})")
    if warm:
        print(f"- warm wall: {warm.wall:.3f} s (target ≤ 0.2 s: {verdict(warm.wall <= 0.2)})")


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_floor":
        floor_worker(Path(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description="wce-lint benchmarks (see benchmarks/README.md)")
    parser.add_argument("--corpus", nargs="+", choices=("A", "B", "real", "dense", "projects", "all"),
                        default=["all"], help="which corpora (all: A, B, dense, and real and projects when "
                        "--corpus-dir is given)")
    parser.add_argument("--project-files", type=int, default=8,
                        help="files of the projects corpus linted one by one per run (default 8)")
    parser.add_argument("--project-sample", type=int, default=60,
                        help="candidates of the projects corpus the files are chosen among (default 60)")
    parser.add_argument("--corpus-dir", type=Path, default=None,
                        help="a real corpus folder, e.g. ml-4repos.tar.xz unpacked (its ml/ folder)")
    parser.add_argument("--dense-runs", type=int, default=3, help="runs per dense-file row (default 3)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files-b", type=int, default=1600, help="modules in corpus B (default 1600)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "wce-lint-bench")
    parser.add_argument("--fixit-files", type=int, default=60, help="files in fixit's subset; 0 skips fixit")
    parser.add_argument("--fixit-runs", type=int, default=3)
    parser.add_argument("--fixit-path", default=None, help="a PATH-style folder list to find `fixit` in")
    parser.add_argument("--wce-lint-path", type=Path, default=None,
                        help="a folder holding another wce_lint package to time instead of the installed one")
    parser.add_argument("--only", nargs="+", default=(), metavar="WORD",
                        help="run only the rows whose name contains one of these words (e.g. warm ruff)")
    args = parser.parse_args()
    global ONLY
    ONLY = tuple(args.only)
    python = sys.executable
    env = dict(os.environ)
    if args.wce_lint_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.wce_lint_path), env.get("PYTHONPATH")]))
        sys.path.insert(0, str(args.wce_lint_path))
    args.workdir.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    load = os.getloadavg()[0]

    print(f"machine: {machine()}", file=sys.stderr)
    only, ONLY = ONLY, ()  # the --version row always runs
    version_row = measure("wce-lint --version", [*wce_lint_command(python), "--version"], args.workdir, 0,
                          max(args.runs, 5), env=env)
    assert version_row is not None
    ONLY = only
    tables = []
    chosen = set(args.corpus)
    if "all" in chosen:
        chosen = {"A", "B", "dense", *(("real", "projects") if args.corpus_dir else ())}
    if chosen & {"real", "projects"} and (args.corpus_dir is None or not args.corpus_dir.is_dir()):
        raise SystemExit("--corpus real/projects need --corpus-dir PATH (a folder), e.g. ml-4repos.tar.xz unpacked")
    if "projects" in chosen:
        projects = build_projects(args.corpus_dir.resolve(), args.workdir / "projects")
        tables.append((f"projects ({projects})", bench_projects(projects, args, python, env)))
    if "real" in chosen:
        real = args.corpus_dir.resolve()
        tables.append((f"real ({real})", bench_corpus("real", real, args, python, env)))
    if "dense" in chosen:
        tables.append(("dense (one generated file)", bench_dense(args, python, env)))
    if "A" in chosen:
        tables.append(("A (standard library)", bench_corpus("A", build_corpus_a(args.workdir / "stdlib"), args,
                                                             python, env)))
    if "B" in chosen:
        tables.append(("B (generated ML code)", bench_corpus(
            "B", build_corpus_b(args.workdir / "ml-corpus", args.files_b), args, python, env)))

    print(f"\nmachine: {machine()}; load average before the run: {load:.2f}")
    print(f"median of {args.runs} runs per row (fixit: {args.fixit_runs})\n")
    version_ms = version_row.wall * 1000
    print(f"`wce-lint --version`: {version_ms:.0f} ms wall, {version_row.median('peak_mib'):.0f} MiB "
          f"(target ≤ 100 ms: {'met' if version_ms <= 100 else 'MISSED'})")
    for label, rows in tables:
        print_table(label, rows, args.runs)


def compile_bytecode() -> None:
    """Write the timed package's bytecode, as ``pip install`` does for a regular install: an editable
    checkout run with PYTHONDONTWRITEBYTECODE set (as on some CI images) would recompile every module on
    every run, which no installed copy does."""
    import compileall

    import wce_lint

    compileall.compile_dir(str(Path(wce_lint.__file__).parent), quiet=1)


if __name__ == "__main__":
    main()
