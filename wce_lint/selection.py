"""Turning user selectors (``WCE1``, ``WCE101``, ``probabilities-as-logits``, ``ALL``) into rule codes."""

from __future__ import annotations

from typing import Iterable

from wce_lint.rule import Rule
from wce_lint.rules import REGISTRY


class UnknownSelector(ValueError):
    pass


def rule_for(selector: str) -> Rule | None:
    """The rule a full code or kebab-case name designates, if any."""
    selector = selector.strip()
    if selector.upper() in REGISTRY:
        return REGISTRY[selector.upper()]
    for rule in REGISTRY.values():
        if rule.name == selector.lower():
            return rule
    return None


def expand(selector: str) -> set[str]:
    """All codes a selector designates; a prefix such as ``WCE1`` designates a group."""
    selector = selector.strip()
    if selector.upper() == "ALL":
        return set(REGISTRY)
    rule = rule_for(selector)
    if rule is not None:
        return {rule.code}
    codes = {code for code in REGISTRY if code.startswith(selector.upper())}
    if not codes or not selector.upper().startswith("WCE"):
        raise UnknownSelector(selector)
    return codes


def expand_all(selectors: Iterable[str]) -> set[str]:
    codes: set[str] = set()
    for selector in selectors:
        codes |= expand(selector)
    return codes


def enabled_codes(
    select: Iterable[str] | None,
    extend_select: Iterable[str],
    ignore: Iterable[str],
    preview: bool,
) -> frozenset[str]:
    """The effective rule set, like ruff: ``select`` replaces the default, ``extend-select`` adds to it.

    Preview rules run only with ``preview`` on, unless selected by their exact code or name.
    """
    explicitly_named = {
        rule.code for sel in [*(select or ()), *extend_select] if (rule := rule_for(sel)) is not None
    }
    chosen = expand_all(select) if select is not None else set(REGISTRY)
    chosen |= expand_all(extend_select)
    chosen -= expand_all(ignore)
    return frozenset(
        code for code in chosen if preview or not REGISTRY[code].preview or code in explicitly_named
    )
