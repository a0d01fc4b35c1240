"""``wce-lint server``: a Language Server Protocol server over stdio (the optional ``wce-lint[lsp]`` extra).

One concern per module:

* ``server``     the pygls server: document sync, debouncing, publishing, code actions, hover, config reload
* ``worker``     a child process that runs the engine, so that no document can crash or hang the server
* ``workspace``  the ``[tool.wce-lint]`` settings that apply to a document, cached until a config changes
* ``convert``    engine diagnostics and fixes → LSP diagnostics, text edits and hover text
* ``positions``  LibCST's code-point columns ↔ the client's position encoding (UTF-16 by default)
* ``noqa``       where an "add ``# noqa: CODE``" edit goes

Nothing here is imported by ``wce_lint.cli`` at start-up: ``wce-lint server`` imports ``server`` when asked.
"""
