"""Iterative traversals of the IR: preorder listing, addressing by preorder index, rewriting, and
the canonical content hash used as the cache key.

Nodes are addressed by their preorder index (0 is the root): the checker's ``infer`` returns types
in the same order, so ``preorder(e)[i]`` has type ``infer(e, ...)[i]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from mlevolve.dsl.ir import COMMUTATIVE, Definition, Expr, Param, Program, canonical_node, with_children
from mlevolve.dsl.types import type_str

R = TypeVar("R")


class NodeMemo(Protocol[R]):
    """A table of per-node results (``gp.memo.Memo``): ``peek`` a node's result or None, ``put`` one."""

    def peek(self, key: Expr) -> R | None: ...

    def put(self, key: Expr, value: R) -> None: ...


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node, in preorder."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children()))


def preorder(expr: Expr) -> list[Expr]:
    return list(walk(expr))


def parents(expr: Expr) -> list[tuple[int, int]]:
    """For each node in preorder: its parent's preorder index (-1 for the root) and its position
    among that parent's children."""
    return preorder_parents(expr)[1]


def preorder_parents(expr: Expr) -> tuple[list[Expr], list[tuple[int, int]]]:
    """``(preorder(expr), parents(expr))`` in one walk (the operators' analysis of a body needs both)."""
    nodes: list[Expr] = []
    out: list[tuple[int, int]] = []
    stack: list[tuple[Expr, int, int]] = [(expr, -1, 0)]
    pop, push, visit, link = stack.pop, stack.append, nodes.append, out.append
    while stack:
        node, parent, position = pop()
        index = len(out)
        visit(node)
        link((parent, position))
        kids = node.children()
        for j in range(len(kids) - 1, -1, -1):  # (a loop, not a generator: two or three children at most)
            push((kids[j], index, j))
    return nodes, out


def replace_at(expr: Expr, index: int, new: Expr) -> Expr:
    """``expr`` with the subtree at preorder ``index`` replaced by ``new``; shares the rest.

    Walks down from the root by subtree sizes (a child's preorder span is its ``size``), so the cost
    is the path's, not the tree's.  Raises ``IndexError`` for an index outside ``expr``."""
    if not 0 <= index < expr.size:
        raise IndexError(f"preorder index {index} outside a tree of {expr.size} nodes")
    path: list[tuple[Expr, int]] = []
    node, at = expr, 0
    while at != index:
        at += 1
        for position, kid in enumerate(node.children()):
            if index < at + kid.size:
                path.append((node, position))
                node = kid
                break
            at += kid.size
    current = new
    for parent, position in reversed(path):
        kids = list(parent.children())
        kids[position] = current
        current = with_children(parent, tuple(kids))
    return current


def fold(expr: Expr, combine: Callable[[Expr, list[R]], R], memo: NodeMemo[R] | None = None) -> R:
    """Post-order fold without recursion: ``combine(node, results of its children)``, bottom up.
    With ``memo``, a node's result depends on that node alone: a node found there is not walked
    again, and every result is stored."""
    done: list[R] = []
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    push, pop, emit = stack.append, stack.pop, done.append
    while stack:
        node, expanded = pop()
        kids = node.children()
        if not expanded:
            if memo is not None and (hit := memo.peek(node)) is not None:
                emit(hit)
                continue
            if kids:
                push((node, True))
                for k in reversed(kids):
                    push((k, False))
                continue
        if kids:
            n = len(done) - len(kids)
            parts = done[n:]
            del done[n:]
        else:
            parts = []
        result = combine(node, parts)
        if memo is not None:
            memo.put(node, result)
        emit(result)
    return done[0]


def canonical_digest(expr: Expr, commutative: frozenset[str] = COMMUTATIVE) -> bytes:
    """A content hash equal for programs that differ only in the order of commutative arguments
    or in the spelling of constants (``2`` and ``2.0``).  For the default commutative ops every
    node holds it (``expr.canon``, computed on first use and kept)."""
    if commutative == COMMUTATIVE:
        return expr.canon
    return fold(expr, lambda node, parts: canonical_node(node, parts, commutative))


def canonical_hash(expr: Expr, commutative: frozenset[str] = COMMUTATIVE) -> str:
    return canonical_digest(expr, commutative).hex()


_PARAM_TEXTS: dict[int, tuple[tuple[Param, ...], str, str]] = {}


def param_texts(params: tuple[Param, ...]) -> tuple[str, str]:
    """A parameter list as :func:`definition_key`'s signature (``a:Scalar,state w:Vector``) and as
    printed (``a: Scalar, state w: Vector``), kept per parameter tuple by identity: the engine keys and
    prints a child's definitions, simplified or varied, which keep their parent's tuple, once or twice a
    candidate.  Tuple and parameters are immutable and an entry holds its tuple, so its ``id`` is not
    reused while kept; at most 4,096 entries."""
    entry = _PARAM_TEXTS.get(id(params))
    if entry is not None and entry[0] is params:
        return entry[1], entry[2]
    parts = [(f"{'state ' if p.state else ''}{p.name}", type_str(p.type)) for p in params]
    key, shown = ",".join(f"{n}:{t}" for n, t in parts), ", ".join(f"{n}: {t}" for n, t in parts)
    if len(_PARAM_TEXTS) >= 4096:
        _PARAM_TEXTS.clear()
    _PARAM_TEXTS[id(params)] = (params, key, shown)
    return key, shown


def definition_key(d: Definition, commutative: frozenset[str] = COMMUTATIVE,
                   method: Callable[[Definition], str] | None = None) -> str:
    """One definition's part of :func:`program_hash`: its signature and canonical body hash, its
    methods' keys (``method``: a method's key, by default this function)."""
    sig = param_texts(d.params)[0]
    body = canonical_hash(d.body, commutative) if d.body is not None else ""
    methods = ";".join(method(m) if method is not None else definition_key(m, commutative) for m in d.methods)
    return f"{d.kind} {d.name}({sig})->{type_str(d.result) if d.result else ''}={body}[{methods}]"


def program_hash(program: Program, commutative: frozenset[str] = COMMUTATIVE,
                 key: Callable[[Definition], str] | None = None) -> str:
    """The canonical hash of a whole program's content (its name, task and comments excluded).
    ``key``: a definition's :func:`definition_key` for these ``commutative`` ops (a memoised one:
    ``gp.memo.program_key``)."""
    keys = sorted(key(d) if key is not None else definition_key(d, commutative) for d in program.definitions)
    return hashlib.blake2b("\n".join(keys).encode(), digest_size=16).hexdigest()
