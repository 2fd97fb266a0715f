"""Facts of IR nodes computed once: the simplified body, the canonical text, and a run's per-node analyses.

IR expression nodes are immutable and compare and hash by their structural digest (``dsl/ir.py``), so
a fact of a node is a fact of every equal node.  Variation keeps most of a parent's nodes in its
child, and tournaments pick the same parents again and again, so the engine's hot path (the cache
key, the simplified size, bloat control, the operators' type and scope analysis) looks the same
nodes up many times.  :class:`Memo` is a bounded least-recently-used table of such facts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from mlevolve.dsl.ir import Expr, Program
from mlevolve.dsl.printer import Formatted, format_expr, format_program
from mlevolve.dsl.simplify import simplify_expr, simplify_program

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """``get(key, make)``: the value stored for ``key``, else ``make()`` stored; at most ``size``
    entries, the least recently used dropped first."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._table: OrderedDict[K, V] = OrderedDict()

    def peek(self, key: K) -> V | None:
        """The value stored for ``key`` (now the most recently used), or None."""
        value = self._table.get(key)
        if value is not None:
            self._table.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._table[key] = value
        if len(self._table) > self.size:
            self._table.popitem(last=False)

    def get(self, key: K, make: Callable[[], V]) -> V:
        value = self.peek(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value


_SIMPLIFIED: Memo[Expr, Expr] = Memo(16384)
_PASSED: Memo[Expr, Expr] = Memo(1 << 16)


def simplified(expr: Expr) -> Expr:
    """:func:`~mlevolve.dsl.simplify.simplify_expr` of ``expr``, memoised by digest, each pass's node
    results too (a subtree seen before, a parent's in a child, is not walked again); ``expr`` itself
    when it is already simple (as ``simplify_expr`` returns it)."""
    out = _SIMPLIFIED.get(expr, lambda: simplify_expr(expr, memo=_PASSED))
    return expr if out == expr else out


def simplified_program(program: Program) -> Program:
    """:func:`~mlevolve.dsl.simplify.simplify_program` with each body's simplification memoised
    (the same program, definition for definition)."""
    return simplify_program(program, simplified)


_TEXT: Memo[Expr, str] = Memo(16384)
_FORMATTED: Memo[Expr, Formatted] = Memo(1 << 16)


def expr_text(expr: Expr) -> str:
    """:func:`~mlevolve.dsl.printer.format_expr` of ``expr``, memoised by digest, each node's text
    too (a child's text reuses every subtree it shares with its parent)."""
    return _TEXT.get(expr, lambda: format_expr(expr, _FORMATTED))


def program_text(program: Program) -> str:
    """:func:`~mlevolve.dsl.printer.format_program` of ``program`` (the same text), its bodies printed
    by :func:`expr_text`."""
    return format_program(program, expr_text)
