"""What the runtime checker reports: the same codes and names as the static rules (RULES.md).

One ``noqa`` vocabulary serves both checkers, so a runtime finding carries the catalog's code and its
kebab-case name, and prints as ``WCE301 labels-logits-shape-mismatch: …`` like the CLI's concise format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Literal

Severity = Literal["error", "warning"]

# The subset of the catalog (RULES.md) that can be decided from real tensors, plus the two runtime-only
# codes. Names must match the catalog exactly: users select rules by either spelling.
RULE_NAMES: dict[str, str] = {
    "WCE101": "probabilities-as-logits",
    "WCE102": "logits-as-probabilities",
    "WCE104": "log-probabilities-expected",
    "WCE203": "negative-pos-weight",
    "WCE204": "degenerate-pos-weight",
    "WCE301": "labels-logits-shape-mismatch",
    "WCE302": "pos-weight-not-broadcastable",
    "WCE303": "integer-labels",
    "WCE304": "labels-out-of-range",
    "WCE305": "sparse-dense-mismatch",
    "WCE306": "single-class-softmax",
    "WCE503": "focal-parameter-range",
    "WCE601": "non-finite-input",
    "WCE602": "reference-mismatch",
}


@dataclass(frozen=True)
class Finding:
    """One problem found in real tensors (or in a loss function compared to TensorFlow's)."""

    code: str
    name: str
    message: str
    severity: Severity = "error"
    # The API's own parameter name the finding is about: "labels", "logits", "pos_weight", "y_true",
    # "y_pred", "alpha", "gamma", "sample_weight", or "loss_fn" for compare_to_reference.
    argument: str = ""
    help: str | None = None

    def __str__(self) -> str:
        text = f"{self.code} {self.name}: {self.message}"
        if self.severity == "warning":
            text += " [warning]"
        return text


def make_finding(
    code: str, message: str, *, argument: str, severity: Severity = "error", help: str | None = None
) -> Finding:
    return Finding(code=code, name=RULE_NAMES[code], message=message, severity=severity, argument=argument, help=help)


def format_findings(findings: Iterable[Finding]) -> str:
    return "\n".join(f"  {finding}" for finding in findings)


class WCELossError(ValueError):
    """Raised by ``check()`` and by ``guard(mode="raise")``; ``.findings`` holds what was found.

    ``WCELossError(findings, context)`` (positional) builds the message from the findings.
    """

    # AutoGraph re-raises an exception escaping a traced tf.function as a new instance of the same type
    # only when that type's __init__ is Exception.__init__ (called with the longer message); for any other
    # type it raises StagingError instead (tensorflow/python/autograph/pyct/error_utils.py,
    # create_exception). Keeping Exception.__init__ keeps this type, and ``findings`` is then recovered
    # from the original error, which AutoGraph leaves as ``__context__``.
    __init__ = Exception.__init__

    def __new__(cls, findings: Iterable[Finding] | str = (), context: str = "") -> WCELossError:
        self = super().__new__(cls, findings, context)
        self._context = context
        if isinstance(findings, str):
            self._findings = None
            self._message = findings
        else:
            self._findings = list(findings)
            head = f"{context}: " if context else ""
            count = len(self._findings)
            self._message = (f"{head}{count} cross-entropy problem{'s' if count != 1 else ''} found\n"
                             + format_findings(self._findings))
        return self

    @property
    def findings(self) -> list[Finding]:
        error: BaseException | None = self
        seen: set[int] = set()
        while error is not None and id(error) not in seen:
            seen.add(id(error))
            own = getattr(error, "_findings", None) if isinstance(error, WCELossError) else None
            if own is not None:
                return own
            error = error.__cause__ or error.__context__
        return []

    def __str__(self) -> str:
        return self._message

    def __reduce__(self) -> tuple[Any, ...]:
        if self._findings is not None:
            return (type(self), (self._findings, self._context))
        return (type(self), (self._message,))


class WCELossWarning(UserWarning):
    """Issued for warning-level findings, and for every finding under ``guard(mode="warn")``."""
