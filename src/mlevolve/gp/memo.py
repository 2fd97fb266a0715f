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

from mlevolve.dsl.ir import Definition, Expr, Program, with_children
from mlevolve.dsl.simplify import rewrite_node

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
_PASSED: Memo[Expr, Expr] = Memo(1 << 16)


def _pass(expr: Expr) -> Expr:
    """One bottom-up pass of the simplifier, as ``dsl.simplify._pass`` makes it: each node rebuilt
    from its children's results, then rewritten (``rewrite_node``) while a rule applies.  A node's
    result depends on that node alone, so it is memoised by digest, and a subtree seen before (a
    parent's, in a child) is not walked again."""
    done: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        kids = node.children()
        if not expanded:
            hit = _PASSED.peek(node)
            if hit is not None:
                done.append(hit)
                continue
            if kids:
                stack.append((node, True))
                stack.extend((k, False) for k in reversed(kids))
                continue
        parts = done[len(done) - len(kids):] if kids else []
        if kids:
            del done[len(done) - len(kids):]
        out = node
        if any(a is not b for a, b in zip(parts, kids, strict=True)):
            out = with_children(node, tuple(parts))
        while (step := rewrite_node(out)) is not None:
            out = step[0]
        _PASSED.put(node, out)
        done.append(out)
    return done[0]


def _simplify(expr: Expr) -> Expr:
    """:func:`~mlevolve.dsl.simplify.simplify_expr` with the default rules, by memoised passes."""
    while True:
        new = _pass(expr)
        if new == expr:
            return new
        expr = new


def simplified(expr: Expr) -> Expr:
    """:func:`~mlevolve.dsl.simplify.simplify_expr` of ``expr`` (the same tree: the property test in
    ``tests/gp/test_engine.py`` holds them equal), memoised by digest; ``expr`` itself when it is
    already simple (as ``simplify_expr`` returns it)."""
    out = _SIMPLIFIED.get(expr, lambda: _simplify(expr))
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
