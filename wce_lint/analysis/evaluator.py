"""The one question every rule and analysis module asks of an expression: what is it at this point?

``value_of(module, node, at)`` is the abstract value of ``node`` read at statement ``at`` — the product of
two abstract domains, each computed by its own memoised component over the same reach layer (``reach``),
call resolution (``callees``) and summaries:

- ``origin`` (``provenance``): what the values *are* — an activation's output (which one, complemented or
  not), log-probabilities, raw scores, a clip, one-hot labels, a model or layer (last activation, output
  width), a loss object, a tuple or dict of such values, an instance of a project class, a parameter;
- ``static`` (``values``): what is known of them as numbers — elements, shape, dtype.

The facts that need both domains are answered here, once (``one_hot``, ``binary_targets``):
before, rules and analysis modules combined the two components each in their own way. Components are read
lazily, so asking for the origin never folds numbers; each component memoises per (node, statement, calling
context), and this object keeps nothing of its own — a value computed inside a recursion cycle and forgotten
there (``provenance``'s journal) is never kept stale here. Unknown is ``None`` in each component; rules stay
silent on it.

Only the two components, their helpers (``keras_models`` for container models, ``tensor_calls`` for calls
that fold to numbers) and this module call ``origin_of``/``static_value`` (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.analysis.provenance import MODEL, MODEL_OUTPUT, ONE_HOT, Origin, origin_of
from wce_lint.analysis.reach import CallFrame
from wce_lint.analysis.values import Value, static_value

CLASS_ID_SOURCES = frozenset({"argmax", "randint"})  # static values that are class ids by construction


@dataclass(frozen=True)
class AbstractValue:
    """What ``node`` is at ``at`` (``frame``: the call being followed, when ``node`` is in a callee)."""

    module: ModuleContext
    node: cst.BaseExpression | None
    at: StatementInfo | None
    frame: CallFrame | None = None
    depth: int = 0

    # The two domains.
    @property
    def origin(self) -> Origin | None:
        return origin_of(self.module, self.node, self.at, self.depth)

    @property
    def static(self) -> Value | None:
        return static_value(self.module, self.node, self.at, self.depth, self.frame)

    # Facts of one domain, named once.
    @property
    def integer(self) -> int | None:
        """A whole number the code fixes (``3``, ``-1``, ``NUM_CLASSES``, ``cfg.n`` folded): a width, an axis."""
        static = self.static
        if static is None or static.scalar is None or not float(static.scalar).is_integer():
            return None
        return int(static.scalar)

    @property
    def called(self) -> Origin | None:
        """What calling this value gives, whatever it is called with: the output of a model or layer with a
        known last activation (``Net()`` whose ``forward`` ends in a sigmoid); None otherwise."""
        callee = self.origin
        if callee is None or callee.kind != MODEL:
            return None
        return Origin(MODEL_OUTPUT, self.node, callee.activation, callee.api, trace=callee.trace,  # type: ignore[arg-type]
                      units=callee.units, units_node=callee.units_node)

    # Facts of both domains.
    @property
    def one_hot(self) -> "OneHot | None":
        """Labels of mutually exclusive classes: a ``one_hot(...)`` output (whichever domain knows it) or
        literal rows with exactly one 1 over at least two columns; None when not, or not known."""
        static = self.static
        origin = None
        if static is None or static.source not in CLASS_ID_SOURCES | {"reduction"}:
            origin = self.origin  # (`argmax(one_hot(y))` is class ids, whatever the origin says)
            if origin is None or origin.kind != ONE_HOT:
                origin = None
        if origin is not None or (static is not None and static.source == "one_hot"):
            return OneHot("one_hot", origin)
        return OneHot("literal", None) if one_hot_rows(static) else None

    @property
    def binary_targets(self) -> bool:
        """A one-hot, or a literal tensor of 0s and 1s (GAN real/fake labels)."""
        origin = self.origin
        if origin is not None and origin.kind == ONE_HOT:
            return True
        static = self.static
        if static is None or static.elements is None or not static.elements or static.source == "random":
            return False
        return all(x in (0.0, 1.0) for x in static.elements) and static.rank is not None and static.rank >= 1


@dataclass(frozen=True)
class OneHot:
    how: str  # "one_hot": the output of a one_hot(...) call; "literal": literal rows with a single 1
    origin: Origin | None  # the one_hot call, for the trace, when the origin domain knows it


def value_of(module: ModuleContext, node: cst.BaseExpression | None, at: StatementInfo | None, *,
             frame: CallFrame | None = None, depth: int = 0) -> AbstractValue:
    """The abstract value of ``node`` as read at statement ``at``."""
    return AbstractValue(module, node, at, frame, depth)


def one_hot_rows(value: Value | None) -> bool:
    """A literal whose every row (last axis, length ≥ 2) holds exactly one 1 and 0 elsewhere."""
    if value is None or value.elements is None or value.shape is None or len(value.shape) < 2:
        return False
    if value.source == "random":
        return False
    width = value.shape[-1]
    if not isinstance(width, int) or width < 2 or not value.elements:
        return False
    rows = [value.elements[i:i + width] for i in range(0, len(value.elements), width)]
    return all(all(x in (0.0, 1.0) for x in row) and sum(row) == 1 for row in rows)
