"""The loss-API table: qualified names, signatures, and which parameter holds logits, labels, weights.

Data, not code paths: rules ask "what is bound to the logits slot?" and never count positions. The built-in
entries live in ``loss_api_table``, in the very format users write under
``[tool.wce-lint.loss-apis."qualified.name"]``; both go through ``api_from_entry``, which validates them.
The table is built on first use (``LOSS_APIS``, ``API_BY_NAME``, ``API_BY_COMPILE_STRING`` are computed
lazily), so the CLI's start-up never pays for it. ``tensorflow.compat.v1`` keeps its own signatures
(``targets=``, ``dim=``), and a TF2 entry names its TF1 counterpart (``tf1``) for TF 1.x code.

A run's own entries (from the config) are installed with ``use_user_apis``; they take precedence over the
built-in entry of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

# What the prediction slot expects.
LOGITS = "logits"
PROBABILITIES = "probabilities"
LOG_PROBABILITIES = "log-probabilities"
FROM_LOGITS = "from_logits"  # Keras & co.: logits iff from_logits=True
EXPECTS = (LOGITS, PROBABILITIES, LOG_PROBABILITIES, FROM_LOGITS)

# Loss families, by how they read labels.
SIGMOID = "sigmoid"  # independent binary problems: labels same shape as logits, in [0, 1]
SOFTMAX = "softmax"  # one distribution per row: labels same shape as logits
SPARSE = "sparse"  # integer class ids: labels rank = logits rank - 1
OTHER = "other"  # labels read in a way the label rules do not model (KL targets, sklearn class labels)
FAMILIES = (SIGMOID, SOFTMAX, SPARSE, OTHER)


@dataclass(frozen=True)
class Signature:
    positional: tuple[str, ...]  # parameters that may be passed by position, in order
    keyword_only: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    var_positional: bool = False  # *args: extra positional arguments are accepted
    var_keyword: bool = False  # **kwargs: any keyword is accepted

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.positional) | frozenset(self.keyword_only)


@dataclass(frozen=True)
class LossAPI:
    names: tuple[str, ...]  # canonical qualified names (see names.canonical)
    display: str  # how messages name it
    framework: str  # tensorflow | keras | torch | optax | torchvision | kornia | smp | timm | sklearn | …
    family: str
    expects: str
    logits: str  # parameter of the predictions (at call time for loss objects)
    labels: str
    signature: Signature  # the function, or the loss object's constructor
    call_signature: Signature | None = None  # the loss object's __call__/forward, for classes
    pos_weight: str | None = None
    sample_weight: str | None = None  # a per-example weight parameter
    class_weight: str | None = None  # a per-class weight parameter (torch CrossEntropyLoss(weight=))
    element_weight: str | None = None  # torch BCE weight: rescales each element / batch element
    casts_labels: bool = False  # Keras and tf.compat.v1.losses cast labels to the logits' dtype
    focal: bool = False
    compile_strings: tuple[str, ...] = ()  # Keras names accepted by compile(loss=...)
    metric: bool = False  # a Keras metric (compile(metrics=[…])), read like the loss of the same name
    from_logits_default: bool = False  # the value of `from_logits` when it is not passed
    log_target: str | None = None  # torch KLDiv: the flag saying the target is log-probabilities
    targets_are: str | None = None  # what the labels slot must hold when the API says so (optax KL: probabilities)
    tf1: str | None = None  # the qualified name whose signature this name had in TF 1.x
    source: str = ""  # where the signature was read, with the library's version

    @property
    def is_class(self) -> bool:
        return self.call_signature is not None

    @property
    def call_parameters(self) -> Signature:
        return self.call_signature or self.signature


# -- entries: the format users write, validated -------------------------------------------------------
class LossAPIError(ValueError):
    """An entry of the table is unusable; ``key`` names the offending key (``signature``, ``expects`` …)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message


_STRING_KEYS = ("display", "framework", "source", "tf1")
_PARAMETER_KEYS = ("pos-weight", "sample-weight", "class-weight", "element-weight", "log-target")
_BOOLEAN_KEYS = ("casts-labels", "focal", "metric", "from-logits-default")
_LIST_KEYS = ("signature", "required", "call-signature", "call-required", "aliases", "compile-strings")
ENTRY_KEYS = ("expects", "family", "prediction", "labels", "targets-are", *_LIST_KEYS, *_STRING_KEYS,
              *_PARAMETER_KEYS, *_BOOLEAN_KEYS)
REQUIRED_KEYS = ("expects", "family", "prediction", "labels", "signature")


def _show(value: Any) -> str:
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return str(value)


def _identifier(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.isidentifier():
        raise LossAPIError(key, f"expected a parameter name, got {_show(value)}")
    return value


def _signature(items: Any, key: str, required: Any, required_key: str) -> Signature:
    """``["pred", "target", "*", "reduction", "**kwargs"]`` → a Signature (Python's own markers)."""
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise LossAPIError(key, f"expected a list of parameter names, got {_show(items)}")
    positional: list[str] = []
    keyword_only: list[str] = []
    var_positional = var_keyword = False
    for item in items:
        if item.startswith("**"):
            _identifier(item[2:], key) if item[2:] else None
            var_keyword = True
        elif item.startswith("*"):
            if item[1:]:
                _identifier(item[1:], key)
                var_positional = True
            if keyword_only or var_positional and item == "*":
                raise LossAPIError(key, f"{_show(item)} given twice")
            keyword_only.append("")  # a marker, removed below
        else:
            name = _identifier(item, key)
            if name in positional or name in keyword_only:
                raise LossAPIError(key, f"parameter {_show(name)} listed twice")
            (keyword_only if keyword_only else positional).append(name)
    keyword_only = [name for name in keyword_only if name]
    names = set(positional) | set(keyword_only)
    if required is None:
        required = []
    if not isinstance(required, list) or not all(isinstance(item, str) for item in required):
        raise LossAPIError(required_key, f"expected a list of parameter names, got {_show(required)}")
    for name in required:
        if name not in names:
            raise LossAPIError(required_key, f"{_show(name)} is not in the signature")
    return Signature(tuple(positional), tuple(keyword_only), tuple(required), var_positional, var_keyword)


def api_from_entry(name: str, entry: Mapping[str, Any]) -> LossAPI:
    """One table entry (built-in or from the user's config) as a LossAPI; ``LossAPIError`` names the bad key.

    Keys: ``expects`` (logits | probabilities | log-probabilities | from_logits), ``family`` (sigmoid |
    softmax | sparse | other), ``prediction`` and ``labels`` (parameter names), ``signature`` (the function's
    parameters, or the constructor's for a loss class), ``call-signature`` (a loss class's ``__call__`` /
    ``forward``: its presence makes the entry a class; ``prediction``/``labels`` then name its parameters),
    ``required``/``call-required``, ``aliases`` (other qualified names of the same API), ``display``,
    ``framework``, ``pos-weight``/``sample-weight``/``class-weight``/``element-weight``/``log-target``
    (parameter names), ``casts-labels``/``focal``/``metric``/``from-logits-default`` (booleans),
    ``compile-strings``, ``targets-are``, ``tf1``, ``source``.
    """
    if not isinstance(name, str) or not name or not all(part.isidentifier() for part in name.split(".")):
        raise LossAPIError("", f"{_show(name)} is not a qualified name (module.function or module.Class)")
    if not isinstance(entry, Mapping):
        raise LossAPIError("", f"expected a table, got {_show(entry)}")
    for key in entry:
        if key not in ENTRY_KEYS:
            import difflib

            guess = difflib.get_close_matches(key.replace("_", "-"), ENTRY_KEYS, n=1)
            raise LossAPIError(key, f"unknown key (allowed: {', '.join(ENTRY_KEYS)}"
                                    + (f"; did you mean {_show(guess[0])}?)" if guess else ")"))
    for key in REQUIRED_KEYS:
        if key not in entry:
            raise LossAPIError(key, "missing (every entry needs " + ", ".join(REQUIRED_KEYS) + ")")
    expects = entry["expects"]
    if expects not in EXPECTS:
        raise LossAPIError("expects", f"expected one of {', '.join(EXPECTS)}, got {_show(expects)}")
    family = entry["family"]
    if family not in FAMILIES:
        raise LossAPIError("family", f"expected one of {', '.join(FAMILIES)}, got {_show(family)}")
    signature = _signature(entry["signature"], "signature", entry.get("required"), "required")
    call_signature = None
    if "call-signature" in entry:
        call_signature = _signature(entry["call-signature"], "call-signature", entry.get("call-required"),
                                    "call-required")
    elif "call-required" in entry:
        raise LossAPIError("call-required", "needs a call-signature")
    slots = call_signature or signature
    strings: dict[str, Any] = {}
    for key in _STRING_KEYS:
        if key in entry and (not isinstance(entry[key], str) or not entry[key]):
            raise LossAPIError(key, f"expected a non-empty string, got {_show(entry[key])}")
        strings[key] = entry.get(key)
    for key in ("prediction", "labels"):
        value = _identifier(entry[key], key)
        if value not in slots.names and not slots.var_keyword:
            where = "call-signature" if call_signature else "signature"
            raise LossAPIError(key, f"{_show(value)} is not in the {where}")
    parameters: dict[str, str | None] = {}
    for key in _PARAMETER_KEYS:
        value = entry.get(key)
        if value is not None:
            _identifier(value, key)
            # weights and flags are constructor options for classes, arguments for functions — except
            # Keras' sample_weight, given at call time
            holders = (signature, slots) if key == "sample-weight" else (signature,)
            if not any(value in holder.names for holder in holders):
                raise LossAPIError(key, f"{_show(value)} is not in the signature")
        parameters[key] = value
    flags: dict[str, bool] = {}
    for key in _BOOLEAN_KEYS:
        value = entry.get(key, False)
        if not isinstance(value, bool):
            raise LossAPIError(key, f"expected a boolean (true or false), got {_show(value)}")
        flags[key] = value
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("aliases", "compile-strings"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise LossAPIError(key, f"expected a list of strings, got {_show(value)}")
        lists[key] = tuple(value)
    for alias in lists["aliases"]:
        if not all(part.isidentifier() for part in alias.split(".")):
            raise LossAPIError("aliases", f"{_show(alias)} is not a qualified name")
    targets_are = entry.get("targets-are")
    if targets_are is not None and targets_are != PROBABILITIES:
        raise LossAPIError("targets-are", f"expected \"probabilities\", got {_show(targets_are)}")
    if expects == FROM_LOGITS and "from_logits" not in signature.names and not signature.var_keyword:
        raise LossAPIError("expects", "\"from_logits\" needs a `from_logits` parameter in the signature")
    return LossAPI(
        names=(name, *lists["aliases"]),
        display=strings["display"] or name,
        framework=strings["framework"] or name.split(".")[0],
        family=family,
        expects=expects,
        logits=entry["prediction"],
        labels=entry["labels"],
        signature=signature,
        call_signature=call_signature,
        pos_weight=parameters["pos-weight"],
        sample_weight=parameters["sample-weight"],
        class_weight=parameters["class-weight"],
        element_weight=parameters["element-weight"],
        casts_labels=flags["casts-labels"],
        focal=flags["focal"],
        compile_strings=lists["compile-strings"],
        metric=flags["metric"],
        from_logits_default=flags["from-logits-default"],
        log_target=parameters["log-target"],
        targets_are=targets_are,
        tf1=strings["tf1"],
        source=strings["source"] or "",
    )


def apis_from_table(table: Mapping[str, Any]) -> tuple[LossAPI, ...]:
    """Every entry of a ``loss-apis`` table; ``LossAPIError`` is raised with the entry's name in the key."""
    apis = []
    for name, entry in table.items():
        try:
            apis.append(api_from_entry(name, entry))
        except LossAPIError as error:
            key = f"{_show(name)}.{error.key}" if error.key else _show(name)
            raise LossAPIError(key, error.message) from None
    return tuple(apis)


# -- the table, built on first use --------------------------------------------------------------------
class _Table:
    def __init__(self, apis: Iterable[LossAPI]) -> None:
        self.apis = tuple(apis)
        self.by_name = {name: api for api in self.apis for name in api.names}
        self.by_compile_string = {
            string: api for api in self.apis if not api.is_class for string in api.compile_strings
        }


_BUILTIN: _Table | None = None
_ACTIVE: _Table | None = None
_ACTIVE_USER: tuple[LossAPI, ...] = ()


def builtin_apis() -> tuple[LossAPI, ...]:
    global _BUILTIN
    if _BUILTIN is None:
        from wce_lint.analysis.loss_api_table import ENTRIES

        _BUILTIN = _Table(apis_from_table(ENTRIES))
    return _BUILTIN.apis


def _active() -> _Table:
    global _ACTIVE
    if _ACTIVE is None:
        builtin = builtin_apis()
        user_names = {name for api in _ACTIVE_USER for name in api.names}
        # A user's entry replaces the built-in one of the same name (all of its spellings).
        kept = tuple(api for api in builtin if not user_names.intersection(api.names))
        _ACTIVE = _Table((*_ACTIVE_USER, *kept))
    return _ACTIVE


def use_user_apis(apis: tuple[LossAPI, ...]) -> None:
    """Install the run's own entries (from the config); cheap when they are already installed."""
    global _ACTIVE, _ACTIVE_USER
    if apis != _ACTIVE_USER:
        _ACTIVE_USER = apis
        _ACTIVE = None


def __getattr__(name: str) -> Any:
    # PEP 562: the tables are built when first read, not when this module is imported.
    if name == "LOSS_APIS":
        return _active().apis
    if name == "API_BY_NAME":
        return _active().by_name
    if name == "API_BY_COMPILE_STRING":
        return _active().by_compile_string
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def loss_api(qualified_names: frozenset[str]) -> LossAPI | None:
    """The API any of ``qualified_names`` designates (all spellings of one API share one entry)."""
    by_name = _active().by_name
    for name in qualified_names:
        api = by_name.get(name)
        if api is not None:
            return api
    return None


def tf1_counterpart(api: LossAPI) -> LossAPI:
    """The API as TF 1.x defined it under the same name (``tf.nn.weighted_cross_entropy_with_logits`` took
    ``targets=``), or ``api`` itself."""
    if api.tf1 is None:
        return api
    return _active().by_name.get(api.tf1, api)


def compile_string_api(string: str) -> LossAPI | None:
    return _active().by_compile_string.get(string)


# Keywords an API does not take but users write, with what was meant. TF1 spellings renamed in TF2 first.
RENAMED_IN_TF2: dict[str, str] = {"targets": "labels", "dim": "axis"}
KEYWORD_ADVICE: dict[str, str] = {
    "weights": "per-example weights multiply the loss it returns; per-class positive weights go to `pos_weight`",
    "class_weights": "per-class positive weights go to `pos_weight`; per-class weights to `model.fit(class_weight=…)`",
    "class_weight": "per-class weights go to `model.fit(class_weight=…)` or torch `CrossEntropyLoss(weight=…)`",
    "sample_weight": "multiply the returned per-example loss by the weights instead",
    "pos_weight": "use `tf.nn.weighted_cross_entropy_with_logits` or torch `BCEWithLogitsLoss(pos_weight=…)` on logits",
    "from_logits": "`tf.nn` ops and PyTorch losses always take logits (or always probabilities): drop it",
}
# A keyword users write for a required parameter of another name ("did you mean `pos_weight=`?").
CLOSE_MATCHES: dict[str, str] = {"weights": "pos_weight", "class_weights": "pos_weight", "weight": "pos_weight",
                                 "pos_weights": "pos_weight", "target": "labels", "label": "labels",
                                 "logit": "logits", "inputs": "input", "targets": "target"}

# Words whose presence in a file's bytes means a loss call may be there (the engine's pre-check).
# Every built-in loss API name holds one of them (cross_entropy, Crossentropy, CrossEntropyLoss, BCELoss,
# focal, NLLLoss, kl_div …); "entropy" alone would also let through every file about random numbers.
# tests/test_precheck.py checks that every built-in name holds one.
LOSS_TRIGGERS: tuple[bytes, ...] = (b"ross_entropy", b"rossentropy", b"rossEntropy", b"BCELoss", b"BCEWith", b"focal",
                                    b"Focal", b"NLLLoss", b"nll_loss", b"KLDiv", b"kl_div", b"SoftMargin",
                                    b"soft_margin", b"kl_divergence", b"log_loss", b"DiceLoss", b"JaccardLoss")

# Every rule needs a tensor library imported by the file: a loss API is only recognised through an import
# of its framework, and hand-written losses are written with one. So a file is parsed only when a line
# imports one of these (rule.requires), which also keeps out ordinary files that merely say "beta", "gamma",
# "sigmoid" or "focal" ("Focal Fossa") or mention numpy in a comment.
FRAMEWORK_NAMES: tuple[bytes, ...] = (b"numpy", b"torch", b"tensorflow", b"keras", b"tf_keras", b"jax", b"optax",
                                      b"scipy", b"flax", b"mlx", b"paddle", b"mxnet", b"sklearn", b"kornia",
                                      b"segmentation_models_pytorch", b"timm")


def user_triggers(apis: Iterable[LossAPI]) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """(trigger words, modules) a user's entries add to the pre-check: each name's last part, and its top-level
    package (a file that imports ``mmdet`` and calls ``sigmoid_focal_loss`` must be parsed)."""
    words = {name.rpartition(".")[2].encode() for api in apis for name in api.names}
    modules = {name.split(".")[0].encode() for api in apis for name in api.names}
    return tuple(sorted(words)), tuple(sorted(modules))
