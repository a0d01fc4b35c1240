"""Positions computed one statement at a time must equal LibCST's own ``PositionProvider`` on the whole
module, for every node the analysis records, with CPython's AST (the fast path) and without it."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

import wce_lint.analysis.positions as positions
from wce_lint.analysis.module import ModuleContext

ROOT = Path(__file__).resolve().parent.parent

TRICKY = {
    "decorators": '''\
import functools

# a comment above the decorators

@functools.lru_cache(maxsize=None)
# between decorators
@staticmethod

def f(x):
    return x
''',
    "parenthesized_decorator": '''\
@(
    lambda f: f
)
def g():
    pass
''',
    "semicolons_and_suites": "a = 1; b = 2\nif a: c = 3; d = 4\nelse: e = 5\nwhile b: break\n",
    "crlf": "import torch\r\nif True:\r\n    x = torch.ones(3)\r\n    # trailing comment\r\n\r\ny = x\r\n",
    "lone_cr": "x = 1\rif x:\r    y = 2\r",
    "no_final_newline": "def f():\n    return 1\n\nz = f()",
    "no_final_newline_nested": "class A:\n    def f(self):\n        return (1 +\n            2)",
    "tabs": "class A:\n\tdef f(self):\n\t\tif self:\n\t\t\treturn 1\n\t\treturn 2\n",
    "mixed_indents": "if 1:\n  if 2:\n        x = 1\n        y = (\n    3)\n  z = 2\n",
    "backslash": "x = 1 + \\\n    2\nif x \\\n        and True:\n    pass\n",
    "form_feed": "x = 1\n\x0c\ndef f():\n    return x\n",
    "elif_chain": "if a:\n    x = 1\nelif b:\n    x = 2\nelif c:\n    # note\n    x = 3\nelse:\n    x = 4\n",
    "try": (
        "try:\n    a = 1\nexcept ValueError as e:\n    b = 2\nexcept (KeyError, TypeError):\n    pass\n"
        "else:\n    c = 3\nfinally:\n    d = 4\n"
    ),
    "match": (
        "match p:\n    case [x, y]:\n        z = x\n    case {'k': v} if v:\n        z = v\n"
        "    case _:\n        z = 0\n"
    ),
    "async": "async def f():\n    async with a as b:\n        async for x in b:\n            await x\n",
    "block_footer_comments": "def f():\n    x = 1\n    # dangling comment\n\n# dedented comment\ny = 2\n",
    "header_comments": "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n\n'''doc'''\nimport os\n",
    "for_else": "for i in range(3):\n    pass\nelse:\n    j = 1\nwhile False:\n    pass\nelse:\n    k = 2\n",
    "with_items": "with open(a) as f, open(b) as g:\n    x = (f,\n         g)\n",
    "nested_classes": (
        "class A:\n    class B:\n        x: int = 1\n\n"
        "        def f(self, y=[\n            1]):\n            return y\n"
    ),
    "lambda_default": "f = lambda x=(1,\n    2): x\n",
}


def _check(text: str, tree: ast.Module | None) -> int:
    module = cst.parse_module(text)
    context = ModuleContext("t.py", text, module, tree)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = {id(node): node for node in expected}
    checked = 0
    for key in context._statement_of_node:
        node = nodes.get(key)
        if node is None:
            continue
        assert context.range(node) == expected[node], (type(node).__name__, module.code_for_node(node))
        checked += 1
    return checked


def _tree(text: str) -> ast.Module:
    return compile(text, "t.py", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_layouts(name: str) -> None:
    text = TRICKY[name]
    assert _check(text, _tree(text)) > 0
    assert _check(text, None) > 0  # the fallback path


def test_every_fixture() -> None:
    files = sorted((ROOT / "fixtures").rglob("*.py")) + [ROOT / "wce_lint" / "analysis" / "positions.py"]
    checked = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = _tree(text)
            cst.parse_module(text)
        except (SyntaxError, ValueError, cst.ParserSyntaxError):  # the WCE000 fixtures
            continue
        checked += _check(text, tree)
    assert checked > 10_000


def test_the_fast_path_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the AST, no unit of ordinary code falls back to regenerating its top-level statement."""
    def refuse(self: object, index: int) -> None:
        raise AssertionError("fell back to the top-level statement")

    monkeypatch.setattr(positions.Positions, "_top_level_spans", refuse)
    for name, text in TRICKY.items():
        if name != "parenthesized_decorator":  # the AST puts that decorator on its expression's line
            _check(text, _tree(text))


def test_a_tree_that_disagrees_falls_back() -> None:
    """A wrong AST (here: of other code) must cost time, never give a wrong position."""
    text = TRICKY["elif_chain"]
    assert _check(text, _tree("x = 1\n\n\ndef f():\n    pass\n")) > 0
    assert _check(text, _tree("\n\n" + text)) > 0


def test_the_fast_spelling_of_dotted_names_equals_libcst_codegen() -> None:
    """``ModuleContext.code`` spells plain dotted names itself; it must give LibCST's text exactly."""
    from wce_lint.analysis.module import _plain_dotted

    checked = 0
    for path in sorted((ROOT / "fixtures").rglob("*.py")):
        try:
            module = cst.parse_module(path.read_text(encoding="utf-8"))
        except cst.ParserSyntaxError:
            continue
        for node in _all_nodes(module):
            text = _plain_dotted(node)
            if text is not None:
                assert text == module.code_for_node(node)
                checked += 1
    assert checked > 1_000
    for odd in ("(a).b", "a . b", "(a.b)", "a.\\\n b", "f(x).y"):
        assert _plain_dotted(cst.parse_expression(odd)) is None


def _all_nodes(module: cst.Module) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.append(node)
            return True

    module.visit(Collect())
    return found
