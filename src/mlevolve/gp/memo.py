"""Facts of IR nodes computed once: the simplified body, and a run's per-node analyses.

IR expression nodes are immutable and compare and hash by their structural digest (``dsl/ir.py``), so
a fact of a node is a fact of every equal node.  Variation keeps most of a parent's nodes in its
child, and tournaments pick the same parents again and again, so the engine's hot path (the cache
key, the simplified size, bloat control, the operators' type and scope analysis) looks the same
nodes up many times.  :class:`Memo` is a bounded least-recently-used table of such facts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Generic, TypeVar

from mlevolve.dsl.ir import Definition, Expr, Program
from mlevolve.dsl.simplify import simplify_expr

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """``get(key, make)``: the value stored for ``key``, else ``make()`` stored; at most ``size``
    entries, the least recently used dropped first."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._table: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, make: Callable[[], V]) -> V:
        table = self._table
        value = table.get(key)
        if value is not None:
            table.move_to_end(key)
            return value
        value = make()
        table[key] = value
        if len(table) > self.size:
            table.popitem(last=False)
        return value


_SIMPLIFIED: Memo[Expr, Expr] = Memo(16384)


def simplified(expr: Expr) -> Expr:
    """:func:`~mlevolve.dsl.simplify.simplify_expr` of ``expr``, memoised by its digest; ``expr``
    itself when it is already simple (as ``simplify_expr`` returns it)."""
    out = _SIMPLIFIED.get(expr, lambda: simplify_expr(expr))
    return expr if out == expr else out


def _definition(d: Definition) -> Definition:
    body = simplified(d.body) if d.body is not None else None
    methods = tuple(_definition(m) for m in d.methods)
    if body is d.body and all(a is b for a, b in zip(methods, d.methods, strict=True)):
        return d
    return replace(d, body=body, methods=methods, body_comments=() if body != d.body else d.body_comments)


def simplified_program(program: Program) -> Program:
    """:func:`~mlevolve.dsl.simplify.simplify_program` with each body's simplification memoised
    (the same program, definition for definition)."""
    definitions = tuple(_definition(d) for d in program.definitions)
    if all(a is b for a, b in zip(definitions, program.definitions, strict=True)):
        return program
    return replace(program, definitions=definitions)
