"""Import resolution: which qualified names a dotted expression can stand for.

We resolve imports ourselves instead of using LibCST's ``QualifiedNameProvider``: for the question rules ask
("is this callee ``tensorflow.nn.sigmoid``?") a table of the module's imports is enough, and building it is a
small fraction of the cost of the scope analysis the provider runs on every node.
"""

from __future__ import annotations

import libcst as cst

# Spellings of one API collapse to one canonical name. Order matters: longest prefixes first.
_CANONICAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tensorflow.compat.v1.keras.", "keras."),
    ("tensorflow.compat.v2.keras.", "keras."),
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("optax.losses.", "optax."),
    ("torch.nn.modules.loss.", "torch.nn."),
    ("torch.nn.modules.activation.", "torch.nn."),
)


def canonical(qualified_name: str) -> str:
    for prefix, replacement in _CANONICAL_PREFIXES:
        if qualified_name.startswith(prefix):
            return replacement + qualified_name[len(prefix):]
    if qualified_name in ("tensorflow.keras", "tf_keras"):
        return "keras"
    return qualified_name


def dotted_name(expression: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None (calls, subscripts, …)."""
    parts: list[str] = []
    while isinstance(expression, cst.Attribute):
        parts.append(expression.attr.value)
        expression = expression.value
    if not isinstance(expression, cst.Name):
        return None
    parts.append(expression.value)
    return ".".join(reversed(parts))


def _module_path(node: cst.BaseExpression) -> str | None:
    return dotted_name(node)


class ImportTable:
    """Local names bound by import statements, each to the set of qualified names it may denote."""

    def __init__(self) -> None:
        self._aliases: dict[str, set[str]] = {}
        # `from .models import D as Disc`: (local name, level, module or "", imported name), bound to
        # qualified names by ``bind_relative`` once the module's own package is known (the project index).
        self.relative: list[tuple[str, int, str, str]] = []

    def _bind(self, local: str, qualified: str) -> None:
        self._aliases.setdefault(local, set()).add(qualified)

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _module_path(alias.name)
                if full is None:
                    continue
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self._bind(alias.asname.name.value, full)
                else:
                    # `import tensorflow.compat.v1` binds `tensorflow`; attribute access spells the rest.
                    head = full.split(".")[0]
                    self._bind(head, head)
            return
        if node.relative:
            if not isinstance(node.names, cst.ImportStar):
                base = _module_path(node.module) if node.module is not None else ""
                for alias in node.names:
                    name = _module_path(alias.name)
                    if name is None or base is None:
                        continue
                    local = name
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        local = alias.asname.name.value
                    self.relative.append((local, len(node.relative), base, name))
            return  # a module of the project itself: resolved by the project index, if there is one
        if node.module is None:
            return
        base = _module_path(node.module)
        if base is None or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _module_path(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self._bind(local, f"{base}.{name}")

    def bind_relative(self, package: str) -> None:
        """Resolve the relative imports of a module of ``package`` (its dotted package name)."""
        parts = package.split(".") if package else []
        for local, level, module, name in self.relative:
            if level - 1 > len(parts):
                continue  # beyond the top-level package
            base = parts[: len(parts) - (level - 1)]
            if module:
                base = [*base, *module.split(".")]
            if base:
                self._bind(local, ".".join([*base, name]))

    def is_imported(self, local: str) -> bool:
        return local in self._aliases

    def resolve_dotted(self, dotted: str) -> frozenset[str]:
        head, _, rest = dotted.partition(".")
        targets = self._aliases.get(head)
        if not targets:
            return frozenset()
        return frozenset(canonical(f"{target}.{rest}" if rest else target) for target in targets)

    def qualified_names(self, expression: cst.BaseExpression) -> frozenset[str]:
        """Every canonical qualified name ``expression`` may denote; empty when it is not an import."""
        dotted = dotted_name(expression)
        if dotted is None:
            return frozenset()
        return self.resolve_dotted(dotted)
