"""Which TensorFlow generation a file is written for: 1.x graph code or 2.x.

``targets=`` and ``dim=`` are the TF 1.x spellings and are right in TF 1.x code, so the signature a
``tf.nn.…`` call is judged against, and the functions fixes may name, depend on the generation. It is, in
this order:

1. the ``tensorflow-version`` setting (``"1"`` or ``"2"``; ``"auto"``, the default, goes on);
2. evidence in the file: TF1-only APIs reached through ``import tensorflow as tf`` (``tf.placeholder``,
   ``tf.Session``, ``tf.log``, ``tf.train.AdamOptimizer``, ``tf.layers``, ``tf.contrib`` … — each checked
   absent from TensorFlow 2.21 and present in ``tf.compat.v1``) against TF2-only ones (``tf.function``,
   ``tf.GradientTape``). ``tf.keras`` counts for TF2 only when nothing says TF1: it existed in TF 1.x too.
   A file with both kinds is *mixed*: no TF1 spelling is then reported;
3. the project's dependency pins (``tensorflow<2``, ``tensorflow-gpu==1.*`` in pyproject.toml, requirements
   files, setup.py, setup.cfg of the project root — the nearest folder above the file holding
   pyproject.toml, setup.py, setup.cfg or .git). Files are read as text, never executed;
4. else TensorFlow 2.

``tf.compat.v1.…`` names are neither: that module exists in both generations and keeps TF1's signatures.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # LibCST only for annotations: the cache asks for the pins (pin_fingerprint) without parsing anything.
    import libcst as cst

    from wce_lint.analysis.apis import LossAPI
    from wce_lint.analysis.module import ModuleContext
    from wce_lint.settings import Settings

# The engine puts the run's settings in each module's cache under this key (ModuleContext has no settings).
SETTINGS_KEY = "run.settings"

TF1, TF2 = "1", "2"
VERSIONS = ("1", "2", "auto")

# Verified with TensorFlow 2.21: none of these exist under `tf.`, all exist under `tf.compat.v1.`.
_TF1_NAMES = frozenset({
    "placeholder", "placeholder_with_default", "sparse_placeholder", "Session", "InteractiveSession", "log",
    "variable_scope", "variable_op_scope", "get_variable", "global_variables_initializer",
    "initialize_all_variables", "local_variables_initializer", "to_float", "to_int32", "to_int64",
    "random_normal", "random_uniform", "truncated_normal", "reset_default_graph", "get_default_graph",
    "set_random_seed", "trainable_variables", "global_variables", "get_collection", "add_to_collection",
    "ConfigProto", "GPUOptions", "RunOptions", "squared_difference", "log1p", "div",
})
_TF1_PREFIXES = ("layers.", "contrib.", "app.", "flags.", "logging.", "GraphKeys.", "nn.rnn_cell.",
                 "summary.FileWriter", "train.Saver", "losses.")
_TF1_TRAIN = re.compile(r"train\.\w*Optimizer$")
_TF2_NAMES = frozenset({"function", "GradientTape"})


def evidence_words() -> tuple[str, ...]:
    """Lower-cased words a statement holding TF1/TF2 evidence contains: the subset parse keeps such
    statements, since the generation they decide changes what every TensorFlow loss call accepts."""
    words = {f".{name.lower()}" for name in _TF1_NAMES | _TF2_NAMES}
    words |= {f"import {name.lower()}" for name in _TF1_NAMES | _TF2_NAMES}
    words |= {f".{prefix.lower()}" for prefix in _TF1_PREFIXES}
    words |= {"optimizer", ".keras"}
    return tuple(sorted(words))


@dataclass(frozen=True)
class Generation:
    version: str | None  # TF1, TF2, or None when the file shows both
    reason: str  # what decided, for messages: "the file uses `tf.placeholder` (line 3)"

    @property
    def is_tf1(self) -> bool:
        return self.version == TF1

    @property
    def is_tf2(self) -> bool:
        return self.version == TF2


def settings_of(module: ModuleContext) -> Settings:
    settings = module.cache.get(SETTINGS_KEY)
    if settings is None:
        from wce_lint.settings import Settings

        settings = Settings()
    return settings  # type: ignore[return-value]


def generation(module: ModuleContext) -> Generation:
    """The file's TensorFlow generation (memoised per module)."""
    cached = module.cache.get("tf_generation")
    if cached is None:
        cached = module.cache["tf_generation"] = _decide(module)
    return cached  # type: ignore[return-value]


def api_for_generation(module: ModuleContext, api: LossAPI) -> LossAPI:
    """``api`` as the file's generation defines it: TF 1.x (or mixed) code gets TF 1.x's signatures."""
    if api.tf1 is None or generation(module).is_tf2:
        return api
    from wce_lint.analysis.apis import tf1_counterpart

    return tf1_counterpart(api)


def _decide(module: ModuleContext) -> Generation:
    settings = settings_of(module)
    configured = getattr(settings, "tensorflow_version", "auto")
    if configured in (TF1, TF2):
        return Generation(configured, f"`tensorflow-version = \"{configured}\"` in the configuration")
    tf1, tf2, keras = _file_evidence(module)
    if tf1 is not None and tf2 is not None:
        return Generation(None, f"the file uses TF1 APIs ({_describe(module, tf1)}) and TF2 APIs "
                                f"({_describe(module, tf2)})")
    if tf1 is not None:
        return Generation(TF1, f"the file uses {_describe(module, tf1)}, a TF1-only API")
    if tf2 is not None:
        return Generation(TF2, f"the file uses {_describe(module, tf2)}, a TF2-only API")
    pinned = project_pin(module.path, str(settings.root))
    if pinned is not None:
        return Generation(pinned[0], pinned[1])
    if keras is not None:
        return Generation(TF2, f"the file uses {_describe(module, keras)} and nothing TF1-only")
    return Generation(TF2, "nothing in the file or the project's dependencies says TF1, so TensorFlow 2 is assumed")


def _describe(module: ModuleContext, evidence: tuple[str, cst.CSTNode]) -> str:
    spelled, node = evidence
    try:
        return f"`{spelled}`, line {module.line(node)}"
    except KeyError:
        return f"`{spelled}`"


def _kind(name: str) -> str | None:
    if not name.startswith("tensorflow.") or name.startswith("tensorflow.compat."):
        return None
    rest = name[len("tensorflow."):]
    if rest in _TF1_NAMES or rest.startswith(_TF1_PREFIXES) or _TF1_TRAIN.match(rest):
        return TF1
    if rest in _TF2_NAMES:
        return TF2
    if rest.startswith("keras."):
        return "keras"
    return None


def _file_evidence(module: ModuleContext) -> tuple[tuple[str, cst.CSTNode] | None, ...]:
    """The first TF1-only, TF2-only and tf.keras use in the file, as (spelling, node)."""
    import libcst as cst

    found: dict[str, tuple[str, cst.CSTNode]] = {}
    callees: list[cst.BaseExpression] = [site.node.func for site in module.calls]
    # `@tf.function` is a decorator, not a call; `with tf.Session() as s` and `tf.GradientTape()` are calls.
    for function in module.functions.values():
        callees.extend(d.decorator for d in getattr(function.node, "decorators", ()))
    for callee in callees:
        if not isinstance(callee, (cst.Name, cst.Attribute)):
            continue
        for name in module.qualified_names(callee):
            kind = _kind(name)
            if kind is not None and kind not in found:
                found[kind] = (module.code(callee), callee)
        if len(found) == 3:
            break
    return found.get(TF1), found.get(TF2), found.get("keras")


# -- dependency pins ------------------------------------------------------------------------------------
# `tensorflow`, `tensorflow-gpu`, `tensorflow_cpu`, … followed by its version specifiers.
_REQUIREMENT = re.compile(
    r"""(?<![\w.-])tensorflow(?:[-_](?:gpu|cpu|macos|intel))?(?![\w.-])\s*(?:\[[^\]]*\])?\s*"""
    r"""(?P<spec>(?:(?:===|==|~=|!=|<=|>=|<|>|\^|~)\s*[\w.*+!-]+\s*,?\s*)+)""",
    re.IGNORECASE,
)
_POETRY = re.compile(r"""^\s*tensorflow(?:[-_](?:gpu|cpu))?\s*=\s*["'{]\s*(?:version\s*=\s*["'])?(?P<spec>[^"'}]+)""",
                     re.IGNORECASE | re.MULTILINE)
_CLAUSE = re.compile(r"(===|==|~=|!=|<=|>=|<|>|\^|~)?\s*v?(\d+(?:\.(?:\d+|\*))*)")


def _major_of(spec: str) -> str | None:
    """TF1 when every version ``spec`` admits is 1.x, TF2 when every one is ≥ 2, else None."""
    says: set[str] = set()
    for clause in spec.split(","):
        match = _CLAUSE.match(clause.strip())
        if not match:
            continue
        operator, parts = match.group(1) or "==", match.group(2).split(".")
        major, zeros = int(parts[0]), all(part == "0" for part in parts[1:])
        if operator in ("==", "===", "~=", "^", "~") and major >= 1:
            says.add(TF1 if major == 1 else TF2)
        elif operator == "<" and (major <= 1 or (major == 2 and zeros)):
            says.add(TF1)  # <2, <2.0, <1.15
        elif operator == "<=" and major <= 1:
            says.add(TF1)
        elif operator in (">=", ">") and major >= 2:
            says.add(TF2)
    return says.pop() if len(says) == 1 else None


def _pin_files(root: str) -> list[str]:
    names = ["pyproject.toml", "setup.py", "setup.cfg"]
    try:
        names += sorted(n for n in os.listdir(root) if n.startswith("requirements") and n.endswith((".txt", ".in")))
    except OSError:
        return []
    folder = os.path.join(root, "requirements")
    if os.path.isdir(folder):
        try:
            names += sorted(os.path.join("requirements", n) for n in os.listdir(folder) if n.endswith((".txt", ".in")))
        except OSError:
            pass
    return [os.path.join(root, n) for n in names if os.path.isfile(os.path.join(root, n))]


@lru_cache(maxsize=256)
def _pins_in(root: str) -> tuple[str, str] | None:
    verdicts: list[tuple[str, str]] = []
    for path in _pin_files(root):
        try:
            with open(path, "rb") as handle:
                text = handle.read(1_000_000).decode("utf-8", "replace")
        except OSError:
            continue
        lines = [line.split("#", 1)[0] for line in text.splitlines()]  # comments are not pins
        body = "\n".join(lines)
        for match in (*_REQUIREMENT.finditer(body), *_POETRY.finditer(body)):
            major = _major_of(match.group("spec"))
            if major is not None:
                shown = " ".join(match.group(0).split()).rstrip(",")
                verdicts.append((major, f"{os.path.relpath(path, root)} pins `{shown}`"))
    majors = {major for major, _ in verdicts}
    if len(majors) != 1:
        return None  # no pin, or pins that disagree (a TF1 and a TF2 requirements file)
    major = majors.pop()
    return major, next(reason for m, reason in verdicts if m == major)


@lru_cache(maxsize=1024)
def project_root(folder: str) -> str | None:
    """The nearest folder at or above ``folder`` holding pyproject.toml, setup.py, setup.cfg or .git (the
    project index's own search, so both agree on what the project is)."""
    from pathlib import Path

    from wce_lint.analysis.project import find_root

    root = find_root(Path(os.path.abspath(folder)))
    return str(root) if root is not None else None


def project_pin(path: str, root_hint: str | None = None) -> tuple[str, str] | None:
    """(generation, reason) from the dependency pins of the project holding ``path``, or None.

    ``path`` is as the engine displays it (relative to the working directory); when no such file exists
    there it is taken relative to ``root_hint`` (the configuration's folder), as tests lint fixtures."""
    absolute = os.path.abspath(path)
    if not os.path.exists(absolute) and root_hint and not os.path.isabs(path):
        absolute = os.path.join(os.path.abspath(root_hint), path)
    root = project_root(os.path.dirname(absolute))
    return _pins_in(root) if root is not None else None


def pin_fingerprint(path: str, root_hint: str | None = None) -> bytes:
    """What the cache key must hold so that editing the project's pins re-lints its files."""
    pinned = project_pin(path, root_hint)
    return pinned[0].encode() if pinned is not None else b"-"
