"""Output formats. Each lives in its own module here and exposes ``FORMAT`` (an ``OutputFormat``).

The CLI's ``--output-format`` choices and the config's allowed ``output-format`` values both come from
``FORMATS``, so a new format (``github``, ``sarif``) is enabled by adding its module: nothing else changes.

This package must stay light: the CLI imports it to build its option list, before any linting happens.
"""

from __future__ import annotations

from importlib import import_module

from wce_lint.report.base import OutputFormat, Renderer, SourceLines, ordered

# The order here is the order of the choices shown in ``--help``.
_FORMAT_MODULES = ("full", "concise", "json", "github", "sarif")


def _load() -> dict[str, OutputFormat]:
    formats: dict[str, OutputFormat] = {}
    for module_name in _FORMAT_MODULES:
        qualified = f"{__name__}.{module_name}"
        try:
            module = import_module(qualified)
        except ModuleNotFoundError as error:
            if error.name == qualified:  # not written yet: the format is simply not offered
                continue
            raise
        output_format: OutputFormat = module.FORMAT
        formats[output_format.name] = output_format
    return formats


FORMATS: dict[str, OutputFormat] = _load()

__all__ = ["FORMATS", "OutputFormat", "Renderer", "SourceLines", "ordered"]
