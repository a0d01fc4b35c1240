"""The rule registry: code → rule. Adding a rule means adding its module to ``_RULE_MODULES``."""

from __future__ import annotations

from importlib import import_module

from wce_lint.rule import Rule

_RULE_MODULES = (
    "wce000_syntax_error",
    "wce203_negative_pos_weight",
)


def _load() -> dict[str, Rule]:
    registry: dict[str, Rule] = {}
    for module_name in _RULE_MODULES:
        rule = import_module(f"{__name__}.{module_name}").RULE
        if rule.code in registry:
            raise RuntimeError(f"duplicate rule code {rule.code}")
        registry[rule.code] = rule
    return dict(sorted(registry.items()))


REGISTRY: dict[str, Rule] = _load()
