"""The package's Python read as syntax trees, for the tests that check its shape."""

import ast
import gc
from pathlib import Path


def parse(path: Path) -> ast.Module:
    """`ast.parse` with the garbage collector held off for the length of the parse.

    CPython 3.11 keeps the AST constructor's recursion counter once per interpreter, not per call
    (python/cpython#106905, #95185). A collection during a parse runs finalizers; one that logs an exception
    formats a traceback, and 3.11's traceback module calls `ast.parse` itself (its caret anchors,
    traceback.py `_extract_caret_anchors_from_line_segment`), which leaves the outer parse's counter wrong:
    `SystemError: AST constructor recursion depth mismatch`. CI hit it once in test_structure, while SQLAlchemy's
    pool finalized a connection of a Dagster instance an earlier test in the same worker had closed."""
    source = path.read_text()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source)
    finally:
        if enabled:
            gc.enable()
