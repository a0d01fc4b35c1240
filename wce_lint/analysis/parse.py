"""Parsing a module with LibCST's native parser, failures turned into WCE000 messages."""

from __future__ import annotations

import ast
import warnings

import libcst as cst

from wce_lint.analysis.module import ModuleContext
from wce_lint.analysis.subset import Subset


def _explain(text: str, error: cst.ParserSyntaxError | cst.CSTValidationError,
             tree: ast.Module | None) -> "ParseFailure":
    """Prefer CPython's diagnosis ("'(' was never closed", on the line of the bracket) to LibCST's, which
    often points at the first token it could not fit, lines later. Only runs on files that failed.
    ``tree``: CPython's AST when the caller already built one (then CPython accepts the file)."""
    try:
        if tree is None:
            with warnings.catch_warnings():  # CPython's warnings about the user's code are not ours to print
                warnings.simplefilter("ignore")
                compile(text, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as python_error:
        if python_error.lineno:
            return ParseFailure(f"syntax error: {python_error.msg}", python_error.lineno,
                                max((python_error.offset or 1) - 1, 0))
        python_accepts = False
    except (RecursionError, MemoryError, ValueError):
        python_accepts = False
    else:
        # Valid Python that LibCST cannot parse (e.g. thousands of implicitly concatenated strings): say
        # so instead of calling the user's code a syntax error.
        python_accepts = True
    if isinstance(error, cst.CSTValidationError):  # no position: LibCST refused to build a node
        reason, line, column = str(error), 1, 0
    else:
        reason = str(error.message).strip().splitlines()[0] if error.message else "invalid syntax"
        line, column = error.raw_line, error.raw_column
    # A tokenizer error stays a syntax error: compile() of decoded text accepts a few files that the
    # interpreter refuses when it runs them (a line continuation before a final CRLF).
    if python_accepts and not reason.startswith("tokenizer error"):
        return ParseFailure(f"LibCST cannot parse this file, though Python accepts it ({reason}); file skipped",
                            line, column)
    return ParseFailure(f"syntax error: {reason}", line, column)


class ParseFailure(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse(path: str, text: str, tree: ast.Module | None = None, subset: "Subset | None" = None) -> ModuleContext:
    """``tree``: CPython's AST of ``text`` if the caller already built it (positions use it). ``subset``: the
    part of ``text`` that can matter (``analysis/subset.py``), parsed instead of the whole when LibCST
    accepts it and sees it as it would see the whole file; otherwise the whole file is parsed, so that a
    failure is reported exactly as without the subset."""
    if subset is not None:
        try:
            module = cst.parse_module(subset.text)
        except (cst.ParserSyntaxError, cst.CSTValidationError, RecursionError):
            module = None
        # The default indent is detected on the first indented line, which may have been blanked; a module
        # that differs would print new nodes (fixes) differently.
        if module is not None and module.default_indent == subset.default_indent:
            try:
                return ModuleContext(path, text, module, subset.tree, parsed_text=subset.text)
            except RecursionError:
                raise ParseFailure("code nested too deeply to analyse") from None
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, cst.CSTValidationError) as error:  # the latter: "" b"" (str + bytes)
        raise _explain(text, error, tree) from None
    except RecursionError:
        raise ParseFailure("code nested too deeply to parse") from None
    try:
        return ModuleContext(path, text, module, tree)
    except RecursionError:
        raise ParseFailure("code nested too deeply to analyse") from None
