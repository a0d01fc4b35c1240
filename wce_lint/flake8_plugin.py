"""wce-lint as a flake8 plugin: the same rules, selected and suppressed by flake8's own options.

Registered as ``[project.entry-points."flake8.extension"] WCE = "wce_lint.flake8_plugin:Plugin"``, so
``flake8 --select WCE`` (or ``extend-select = WCE`` in a flake8 config) runs every stable rule; ``# noqa``,
``--extend-ignore`` and ``--per-file-ignores`` are flake8's. Preview rules run with ``--wce-preview`` (or
``wce-preview = true`` in the flake8 config).

flake8 hands the plugin the file's decoded lines (which also covers ``flake8 -``), so the engine is given
those lines rather than what is on disk. flake8 decides the plugin type from the constructor's parameters:
asking for ``tree`` makes this a tree plugin, run once per file — the engine parses with LibCST itself and
ignores the ``ast`` tree.
"""

from __future__ import annotations

import io
import tokenize
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Sequence

from wce_lint import __version__

if TYPE_CHECKING:
    import ast

    from wce_lint.settings import Settings


class Plugin:
    name = "wce-lint"
    version = __version__

    preview: ClassVar[bool] = False

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--wce-preview",
            action="store_true",
            default=False,
            parse_from_config=True,
            help="wce-lint: also run the preview rules (default: only the stable rules).",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.preview = bool(getattr(options, "wce_preview", False))

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        from wce_lint.engine import lint_source

        result = lint_source(_source_bytes(self.lines), self.filename, _settings(self.preview))
        for diagnostic in result.diagnostics:
            # flake8 wants a 0-based column (it adds one when printing), as the engine keeps it.
            yield diagnostic.start.line, diagnostic.start.column, f"{diagnostic.code} {diagnostic.message}", type(self)
        for error in result.internal_errors:
            raise RuntimeError(error)  # flake8 reports a plugin's exception with the plugin's name


def _settings(preview: bool) -> Settings:
    from wce_lint.settings import Settings

    # flake8 owns selection and ignores; wce-lint only decides whether preview rules exist at all.
    return Settings(preview=preview)


def _source_bytes(lines: Sequence[str]) -> bytes:
    """The lines encoded as the file declares (PEP 263), so the engine's decoding gives them back unchanged."""
    text = "".join(lines)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(text.encode("utf-8", "surrogateescape")).readline)
        return text.encode(encoding)
    except (SyntaxError, LookupError, UnicodeError):
        return text.encode("utf-8", "surrogateescape")
