"""The rule registry: code → rule, built from every ``wceNNN_<name>`` module in this package."""

from __future__ import annotations

import pkgutil
import re
from importlib import import_module

from wce_lint.rule import Rule

_RULE_MODULE = re.compile(r"wce\d{3}_\w+")


def _load() -> dict[str, Rule]:
    registry: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(__path__):
        if not _RULE_MODULE.fullmatch(info.name):
            continue
        rule = import_module(f"{__name__}.{info.name}").RULE
        if rule.code in registry:
            raise RuntimeError(f"duplicate rule code {rule.code}")
        if not info.name.startswith(rule.code.lower() + "_"):
            raise RuntimeError(f"rule module {info.name} defines {rule.code}")
        registry[rule.code] = rule
    return dict(sorted(registry.items()))


REGISTRY: dict[str, Rule] = _load()
