"""Small helpers shared by rule modules: how rules phrase what they found. No analysis lives here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

    from wce_lint.analysis.calls import LossCall
    from wce_lint.analysis.module import ModuleContext


def api_as_written(module: "ModuleContext", loss: "LossCall") -> str:
    """The loss API the way the user spelled it (``tf.nn.weighted_cross_entropy_with_logits``); for a loss
    object, the class it was built from (``nn.BCEWithLogitsLoss``), not the variable holding it. For a
    call of a helper that passes its parameters on to a loss, the loss as the helper spells it."""
    if loss.written is not None:
        return loss.written
    return module.code((loss.constructor or loss.anchor).func)


def format_number(number: float) -> str:
    return str(number) if isinstance(number, int) else repr(float(number))


def describe_elements(elements: tuple[float, ...], limit: int = 6) -> str:
    shown = ", ".join(format_number(x) for x in elements[:limit])
    return f"[{shown}{', …' if len(elements) > limit else ''}]"


def short_code(module: "ModuleContext", node: "cst.CSTNode", limit: int = 40) -> str:
    text = " ".join(module.code(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def axis_edit(framework: str, code: str, edit: str) -> str:
    """How to write ``expand``/``squeeze`` of the last axis of ``code`` (a short expression, or the parameter's
    name when the argument is long) in the user's framework."""
    if framework == "torch" or framework == "torchvision":
        return f"{code}.unsqueeze(-1)" if edit == "expand" else f"{code}.squeeze(-1)"
    if framework == "optax":
        return f"{code}[..., None]" if edit == "expand" else f"jnp.squeeze({code}, -1)"
    return f"tf.expand_dims({code}, -1)" if edit == "expand" else f"tf.squeeze({code}, -1)"
