"""``guard()``: validate every TensorFlow/Keras cross-entropy call made inside a block, function or test.

While at least one guard is active anywhere, the loss entry points of the catalog are replaced by
validating wrappers (module attributes for the functions, ``__call__`` on Keras's ``LossFunctionWrapper``
for the Loss classes); the last guard to exit puts the originals back, even when the block raised. The
replacement is process-wide, but validation is per thread: a call is checked only in a thread that is
inside a guard, with that thread's innermost mode, so guarding one thread never slows or breaks another.

What is wrapped (each where it exists in the installed versions):

* ``tf.nn.weighted_cross_entropy_with_logits``, ``sigmoid_cross_entropy_with_logits``,
  ``softmax_cross_entropy_with_logits``, ``sparse_softmax_cross_entropy_with_logits``, and the same in
  ``tf.compat.v1.nn`` (plus its ``softmax_cross_entropy_with_logits_v2``);
* ``tf.compat.v1.losses.sigmoid_cross_entropy``, ``softmax_cross_entropy``, ``sparse_softmax_cross_entropy``
  (their ``weights`` are checked as per-example weights);
* ``binary_crossentropy``, ``categorical_crossentropy``, ``sparse_categorical_crossentropy``,
  ``binary_focal_crossentropy``, ``categorical_focal_crossentropy`` in ``keras.losses`` and
  ``tf.keras.losses``;
* ``keras.losses.LossFunctionWrapper.__call__``, which every Keras Loss class named in the catalog
  (``BinaryCrossentropy``, ``CategoricalCrossentropy``, ``SparseCategoricalCrossentropy``,
  ``BinaryFocalCrossentropy``, ``CategoricalFocalCrossentropy``) inherits — and which also serves the loss
  strings of ``model.compile(loss="binary_crossentropy")``.

Limits: a name bound before the guard was entered (``from tensorflow.nn import
weighted_cross_entropy_with_logits as wce``) keeps the original function and is not checked. Inside
``tf.function`` (and ``model.fit``), checks run once per trace on what is static — see ``validation``.
A call made by another wrapped call (Keras's loss calling ``tf.nn.sigmoid_cross_entropy_with_logits``) is
not checked twice.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import warnings
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, Literal, TypeVar, overload

from wce_lint.runtime._tensors import tensorflow
from wce_lint.runtime.apis import LOSSES, LossSpec
from wce_lint.runtime.findings import Finding, WCELossError, WCELossWarning
from wce_lint.runtime.validation import add_graph_assertions, raise_findings, validate_call

Mode = Literal["raise", "warn", "log"]
MODES = ("raise", "warn", "log")
logger = logging.getLogger("wce_lint.runtime")

F = TypeVar("F", bound=Callable[..., Any])

_TF_NN_OPS = (
    ("weighted_cross_entropy_with_logits", "weighted_cross_entropy_with_logits"),
    ("sigmoid_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits"),
    ("softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits"),
    ("softmax_cross_entropy_with_logits_v2", "softmax_cross_entropy_with_logits"),
    ("sparse_softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits"),
)
# tf.compat.v1.losses: labels under their TF1 names, per-example ``weights`` (default 1.0).
_TF_V1_LOSSES = ("sigmoid_cross_entropy", "softmax_cross_entropy", "sparse_softmax_cross_entropy")
_KERAS_FUNCTIONS = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
)
# Keyword arguments of the wrapped APIs that validation reads.
_FORWARDED_KWARGS = ("from_logits", "alpha", "gamma", "apply_class_balancing", "label_smoothing", "axis",
                     "ignore_class")


@dataclass(frozen=True)
class _Settings:
    mode: Mode
    graph_asserts: bool


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.stack: list[_Settings] = []
        self.depth = 0  # > 0 while a wrapped call runs: its inner wrapped calls are not re-checked


_thread = _ThreadState()
_lock = threading.RLock()
_active_guards = 0


@dataclass
class _Patch:
    owner: Any  # a module or a class
    attribute: str
    original: Any
    replacement: Any
    owned_attribute: bool  # the owner had the attribute in its own __dict__ (else it was inherited)

    def install(self) -> None:
        setattr(self.owner, self.attribute, self.replacement)

    def uninstall(self) -> None:
        # Only undo our own replacement: if someone re-patched the attribute meanwhile, theirs stays.
        current = vars(self.owner).get(self.attribute) if isinstance(self.owner, type) else \
            getattr(self.owner, self.attribute, None)
        if current is not self.replacement:
            return
        if self.owned_attribute:
            setattr(self.owner, self.attribute, self.original)
        else:
            delattr(self.owner, self.attribute)


_patches: list[_Patch] = []


def _current_settings() -> _Settings | None:
    if not _thread.stack or _thread.depth:
        return None
    return _thread.stack[-1]


def _report(findings: list[Finding], settings: _Settings, api: str) -> None:
    if not findings:
        return
    if settings.mode == "raise":
        raise_findings(findings, context=api)
    elif settings.mode == "warn":
        for finding in findings:
            warnings.warn(f"{api}: {finding}", WCELossWarning, stacklevel=4)
    else:
        for finding in findings:
            logger.warning("%s: %s", api, finding)


def _check(spec: LossSpec, api: str, settings: _Settings, labels: Any, logits: Any, pos_weight: Any,
           kwargs: dict[str, Any], squeezable_rank: bool = False) -> None:
    try:
        findings = validate_call(labels, logits, pos_weight, loss=spec, squeezable_rank=squeezable_rank,
                                 **kwargs)
    except TypeError:
        return  # arguments the API itself rejects: let the original call raise its own error
    except Exception as error:  # noqa: BLE001 - a checker bug must never break the user's training step
        warnings.warn(f"wce-lint could not validate {api}: {type(error).__name__}: {error}", RuntimeWarning,
                      stacklevel=4)
        return
    _report(findings, settings, api)
    if settings.graph_asserts and not tensorflow().executing_eagerly():
        add_graph_assertions(spec, labels, logits, pos_weight, **kwargs)


def _first(arguments: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if arguments.get(name) is not None:
            return arguments[name]
    return None


def _wrap_function(original: Callable[..., Any], spec: LossSpec, api: str) -> Callable[..., Any]:
    try:
        signature: inspect.Signature | None = inspect.signature(original)
    except (TypeError, ValueError):  # pragma: no cover - every wrapped API has a signature today
        signature = None

    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        settings = _current_settings()
        if settings is None or signature is None:
            return original(*args, **kwargs)
        _thread.depth += 1
        try:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                bound = None  # the original raises its own TypeError below
            if bound is not None:
                bound.apply_defaults()
                arguments = dict(bound.arguments)
                # TF1 spelled labels "targets"; tf.compat.v1.losses names them after their kind.
                labels = _first(arguments, ("labels", "targets", "y_true", "multi_class_labels", "onehot_labels"))
                logits = _first(arguments, ("logits", "y_pred"))
                options = {key: arguments[key] for key in _FORWARDED_KWARGS if arguments.get(key) is not None}
                if "axis" not in options and arguments.get("dim") is not None:
                    options["axis"] = arguments["dim"]
                if spec.keras:
                    options.setdefault("from_logits", False)
                if spec.weights_argument == "weights" and arguments.get("weights") is not None:
                    options["weights"] = arguments["weights"]
                if labels is not None and logits is not None:
                    _check(spec, api, settings, labels, logits, arguments.get("pos_weight"), options)
            return original(*args, **kwargs)
        finally:
            _thread.depth -= 1

    guarded.__wce_lint_guarded__ = True  # type: ignore[attr-defined]
    return guarded


def _wrap_loss_call(original_call: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original_call)
    def __call__(self: Any, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        settings = _current_settings()
        name = getattr(getattr(self, "fn", None), "__name__", None)
        spec = LOSSES.get(name) if isinstance(name, str) else None
        if settings is None or spec is None or not spec.keras:
            return original_call(self, y_true, y_pred, sample_weight)
        _thread.depth += 1
        try:
            fn_kwargs = getattr(self, "_fn_kwargs", {}) or {}
            options = {key: fn_kwargs[key] for key in _FORWARDED_KWARGS if fn_kwargs.get(key) is not None}
            options.setdefault("from_logits", False)
            if sample_weight is not None:
                options["sample_weight"] = sample_weight
            api = f"keras.losses.{type(self).__name__}"
            # Loss.__call__ squeezes/expands y_true by one size-1 axis before the loss function runs.
            _check(spec, api, settings, y_true, y_pred, None, options, squeezable_rank=True)
            return original_call(self, y_true, y_pred, sample_weight)
        finally:
            _thread.depth -= 1

    __call__.__wce_lint_guarded__ = True  # type: ignore[attr-defined]
    return __call__


def _collect_patches() -> list[_Patch]:
    tf = tensorflow()
    patches: list[_Patch] = []
    for module_name, module in (("tf.nn", tf.nn), ("tf.compat.v1.nn", tf.compat.v1.nn)):
        for attribute, loss in _TF_NN_OPS:
            original = getattr(module, attribute, None)
            if original is None:
                continue
            replacement = _wrap_function(original, LOSSES[loss], f"{module_name}.{attribute}")
            patches.append(_Patch(module, attribute, original, replacement, True))
    for attribute in _TF_V1_LOSSES:
        original = getattr(tf.compat.v1.losses, attribute, None)
        if original is not None:
            replacement = _wrap_function(original, LOSSES[attribute], f"tf.compat.v1.losses.{attribute}")
            patches.append(_Patch(tf.compat.v1.losses, attribute, original, replacement, True))
    keras_modules: list[tuple[str, Any]] = []
    try:
        import keras

        keras_modules.append(("keras.losses", keras.losses))
    except ImportError:  # pragma: no cover - tensorflow>=2.16 always brings keras
        keras = None  # type: ignore[assignment]
    try:
        keras_modules.append(("tf.keras.losses", tf.keras.losses))
    except (ImportError, AttributeError, ValueError):  # pragma: no cover - tf.keras needs keras installed
        pass
    for module_name, module in keras_modules:
        for attribute in _KERAS_FUNCTIONS:
            original = getattr(module, attribute, None)
            if original is None:
                continue
            replacement = _wrap_function(original, LOSSES[attribute], f"{module_name}.{attribute}")
            patches.append(_Patch(module, attribute, original, replacement, True))
    for cls in _loss_call_owners(keras_modules):
        original_call = cls.__call__
        patches.append(_Patch(cls, "__call__", vars(cls).get("__call__", original_call),
                              _wrap_loss_call(original_call), "__call__" in vars(cls)))
    return patches


_KERAS_LOSS_CLASSES = ("BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
                       "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy")


def _loss_call_owners(keras_modules: list[tuple[str, Any]]) -> list[type]:
    """The classes whose ``__call__`` to wrap: Keras's (private) ``LossFunctionWrapper`` base when the Loss
    classes share it — it also serves ``compile(loss="binary_crossentropy")`` — else each class itself."""
    owners: dict[int, type] = {}
    for _, module in keras_modules:
        for name in _KERAS_LOSS_CLASSES:
            cls = getattr(module, name, None)
            if not isinstance(cls, type):
                continue
            base = next((klass for klass in cls.__mro__ if klass.__name__ == "LossFunctionWrapper"), cls)
            owners[id(base)] = base
    return list(owners.values())


def _install() -> None:
    global _patches
    patches = _collect_patches()
    installed: list[_Patch] = []
    try:
        for patch in patches:
            patch.install()
            installed.append(patch)
    except BaseException:
        for patch in reversed(installed):
            patch.uninstall()
        raise
    _patches = installed


def _uninstall() -> None:
    global _patches
    for patch in reversed(_patches):
        patch.uninstall()
    _patches = []


def is_active() -> bool:
    """Whether the wrappers are installed (some thread is inside a guard)."""
    with _lock:
        return _active_guards > 0


class Guard:
    """A context manager and decorator; reusable and re-entrant (state lives per thread, not here)."""

    def __init__(self, mode: Mode = "raise", *, graph_asserts: bool = False) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.settings = _Settings(mode, graph_asserts)

    def __enter__(self) -> Guard:
        global _active_guards
        with _lock:
            if _active_guards == 0:
                _install()
            _active_guards += 1
        _thread.stack.append(self.settings)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        global _active_guards
        _thread.stack.pop()
        with _lock:
            _active_guards -= 1
            if _active_guards == 0:
                _uninstall()

    def __call__(self, function: F) -> F:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"guard(mode={self.settings.mode!r}, graph_asserts={self.settings.graph_asserts})"


@overload
def guard(mode: Mode = "raise", *, graph_asserts: bool = False) -> Guard: ...


@overload
def guard(mode: F) -> F: ...


def guard(mode: Any = "raise", *, graph_asserts: bool = False) -> Any:
    """Validate every TensorFlow/Keras cross-entropy call made while the guard is active.

    ``mode="raise"``: error-level findings raise ``WCELossError`` before the loss runs (warning-level ones
    are issued as ``WCELossWarning``); ``"warn"``: every finding becomes a ``WCELossWarning``; ``"log"``:
    every finding is logged on the ``wce_lint.runtime`` logger at WARNING level.
    ``graph_asserts=True`` also adds run-time ``tf.debugging`` assertions to traced graphs.

    Use as ``with guard(): ...``, as ``@guard()`` / ``@guard("warn")``, or bare ``@guard``.
    """
    if callable(mode):  # bare @guard
        return Guard("raise")(mode)
    return Guard(mode, graph_asserts=graph_asserts)


__all__ = ["guard", "Guard", "is_active", "WCELossError", "WCELossWarning", "MODES"]
