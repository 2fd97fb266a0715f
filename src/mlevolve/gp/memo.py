"""Facts of IR nodes computed once: the simplified body, the canonical text, and a run's per-node analyses.

IR expression nodes are immutable and compare and hash by their structural digest (``dsl/ir.py``), so
a fact of a node is a fact of every equal node.  Variation keeps most of a parent's nodes in its
child, and tournaments pick the same parents again and again, so the engine's hot path (the cache
key, the simplified size, bloat control, the operators' type and scope analysis) looks the same
nodes up many times.  :class:`Memo` is a bounded table of such facts that keeps the recently used
ones; :class:`NodeMemo` keys a node by its digest (one C-level look-up).
A program seen once (a fitted formula) is kept out of them: :func:`unseen_simplified_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from mlevolve.dsl.ir import COMMUTATIVE, Definition, Expr, Program
from mlevolve.dsl.printer import Formatted, format_definition, format_expr, format_program, method_lines
from mlevolve.dsl.simplify import (
    fold_float32,
    is_fixpoint,
    may_fold,
    runs_in_float32,
    shown_fold,
    simplify_definition,
    simplify_expr,
    simplify_program,
)
from mlevolve.dsl.traverse import definition_key, program_hash

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """``get(key, make)``: the value stored for ``key``, else ``make()`` stored; at most ``size``
    entries.  Two generations of plain dicts: a value is put in the young one, and found in the old
    one it moves to the young one; when the young one holds ``size / 2`` it becomes the old one
    (the old one is dropped).  So whatever was used within the last ``size / 2`` puts is kept, as a
    least-recently-used table would, for one dict look-up a hit."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._young: dict[Hashable, V] = {}  # by :meth:`slot` of the key
        self._old: dict[Hashable, V] = {}

    @staticmethod
    def slot(key: K) -> Hashable:
        """What the tables are keyed by: the key itself."""
        return key

    def peek(self, key: K) -> V | None:
        """The value stored for ``key``, or None."""
        slot = self.slot(key)
        value = self._young.get(slot)
        if value is None:
            value = self._old.get(slot)
            if value is not None:
                self._store(slot, value)
        return value

    def put(self, key: K, value: V) -> None:
        self._store(self.slot(key), value)

    def _store(self, slot: Hashable, value: V) -> None:
        young = self._young
        young[slot] = value
        if len(young) * 2 >= self.size:
            self._old, self._young = young, {}

    def get(self, key: K, make: Callable[[], V]) -> V:
        value = self.peek(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def __len__(self) -> int:
        return len(self._young) + len(self._old)


class NodeMemo(Memo[Expr, V]):
    """A :class:`Memo` of IR nodes, keyed by their structural digest (``bytes``, whose hash is
    computed once and in C): the same table as keying by the node (nodes are equal exactly when
    their digests are), for a cheaper look-up."""

    @staticmethod
    def slot(key: Expr) -> Hashable:
        return key.digest

    # :meth:`Memo.peek` and :meth:`Memo.put` with :meth:`slot` inlined (a fold asks them at every node).
    def peek(self, key: Expr) -> V | None:
        slot = key.digest
        value = self._young.get(slot)
        if value is None:
            value = self._old.get(slot)
            if value is not None:
                self._store(slot, value)
        return value

    def put(self, key: Expr, value: V) -> None:
        self._store(key.digest, value)


class Identity(Generic[V]):
    """``get(obj, make)``: the value stored for this very object, else ``make()`` stored; at most
    ``size`` entries (all dropped when full).  For definitions: a program's definitions that
    variation did not touch are the parent's own objects (``Program.replace`` keeps them), so one
    look-up by identity finds their facts, where hashing a definition by value would cost about as
    much as making them.  An entry holds its object, so the object's ``id`` is not reused while it
    is stored."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._table: dict[int, tuple[object, V]] = {}

    def get(self, obj: object, make: Callable[[], V]) -> V:
        entry = self._table.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        value = make()
        if len(self._table) >= self.size:
            self._table.clear()
        self._table[id(obj)] = (obj, value)
        return value


_SIMPLIFIED: Memo[Expr, Expr] = NodeMemo(16384)
_PASSED: Memo[Expr, Expr] = NodeMemo(1 << 16)


def simplified(expr: Expr) -> Expr:
    """:func:`~mlevolve.dsl.simplify.simplify_expr` of ``expr``, memoised by digest, each pass's node
    results too (a subtree seen before, a parent's in a child, is not walked again); ``expr`` itself
    when it is already simple (as ``simplify_expr`` returns it)."""
    out = _SIMPLIFIED.get(expr, lambda: simplify_expr(expr, memo=_PASSED))
    return expr if out == expr else out


_SIMPLE_DEFINITIONS: Identity[Definition] = Identity()


def _simplified_definition(d: Definition) -> Definition:
    return _SIMPLE_DEFINITIONS.get(d, lambda: simplify_definition(d, simplified, _simplified_definition))


def simplified_program(program: Program) -> Program:
    """:func:`~mlevolve.dsl.simplify.simplify_program` with each body's simplification memoised
    (the same program, definition for definition), and each definition's (:class:`Identity`)."""
    return simplify_program(program, simplified, _simplified_definition)


_SIMPLIFIED32: Memo[Expr, Expr] = NodeMemo(4096)
_PASSED32: Memo[Expr, Expr] = NodeMemo(1 << 14)


def _simplified32(expr: Expr) -> Expr:
    """:func:`simplified` with constants folded in float32 (:func:`~mlevolve.dsl.simplify.fold_float32`)."""
    out = _SIMPLIFIED32.get(expr, lambda: simplify_expr(expr, memo=_PASSED32, folding=fold_float32))
    return expr if out == expr else out


_STORED_DEFINITIONS: Identity[Definition] = Identity()


def _stored_definition(d: Definition) -> Definition:
    """:func:`_simplified_definition` of ``d`` as the archive stores it: a body that runs in float32 and whose
    constants may fold (:func:`~mlevolve.dsl.simplify.may_fold`) folded in float32, so that the stored text
    computes what the program does; any other the cache key's own (the same result, already made)."""
    if not runs_in_float32(d.kind):
        return _simplified_definition(d)
    return _STORED_DEFINITIONS.get(d, lambda: simplify_definition(d, _simplified32) if d.body is not None and
                                   may_fold(d.body) else _simplified_definition(d))


def stored_program(program: Program, simple: Program | None = None) -> Program:
    """The simplified program the archive stores (its ``simplified`` text): :func:`simplified_program` of
    ``program`` (``simple``, where the caller has it), but for a body that runs in float32 (a torch kind) with
    its constants folded in float32, where they fold only to what the generated code computes bit for bit
    (:func:`~mlevolve.dsl.simplify.float32_value`).  It is what is shown of it, and what the cache key hashes
    (:func:`cache_key`); FEC and sizes read :func:`simplified_program` (float64 folding everywhere).
    ``simple`` itself where no such body may fold (the same program)."""
    if simple is None:
        simple = simplified_program(program)
    definitions = tuple(_stored_definition(d) for d in program.definitions)  # (each memoised, as simple's are)
    if all(a is b for a, b in zip(definitions, simple.definitions, strict=True)):
        return simple
    if all(a is b for a, b in zip(definitions, program.definitions, strict=True)):
        return program
    return program.with_definitions(definitions)


_KEYS: Identity[str] = Identity()


def _definition_key(d: Definition) -> str:
    return _KEYS.get(d, lambda: definition_key(d, COMMUTATIVE, _definition_key))


def program_key(program: Program) -> str:
    """:func:`~mlevolve.dsl.traverse.program_hash` of ``program`` (the same hash), each definition's
    part memoised (:class:`Identity`)."""
    return program_hash(program, COMMUTATIVE, _definition_key)


def cache_key(program: Program, simple: Program | None = None) -> str:
    """The cache key of ``program``: :func:`program_key` of its :func:`stored_program` (``simple``: its
    :func:`simplified_program`, where the caller has it), so programs share a key, and so a score, only where
    they compute the same values in the precision they run in.  The key of a body that runs in float64 (a
    formula's, a learner's) is that of its simplified program; a float32 body's constants fold in float32, and
    only to what its generated code computes: folded in float64, ``x * log(0.9)`` and ``x * -0.10536051565782628``
    were one activation, where torch computes two (``log`` of a float32 0.9 is not that literal rounded)."""
    return program_key(stored_program(program, simple))


_TEXT: Memo[Expr, str] = NodeMemo(16384)
_FORMATTED: Memo[Expr, Formatted] = NodeMemo(1 << 16)


def expr_text(expr: Expr) -> str:
    """:func:`~mlevolve.dsl.printer.format_expr` of ``expr``, memoised by digest, each node's text
    too (a child's text reuses every subtree it shares with its parent)."""
    return _TEXT.get(expr, lambda: format_expr(expr, _FORMATTED))


_DEFINITION_TEXT: Identity[str] = Identity()
_METHOD_LINES: Identity[list[str]] = Identity()


def _method_lines(m: Definition) -> list[str]:
    return _METHOD_LINES.get(m, lambda: method_lines(m, expr_text))


def _definition_text(d: Definition) -> str:
    return _DEFINITION_TEXT.get(d, lambda: format_definition(d, expr_text, _method_lines))


def program_text(program: Program) -> str:
    """:func:`~mlevolve.dsl.printer.format_program` of ``program`` (the same text), its bodies printed
    by :func:`expr_text`, each definition's and learner method's text memoised (:class:`Identity`)."""
    return format_program(program, expr_text, _definition_text)


def unseen_simplified_text(program: Program, text: str | None = None, simple: Expr | None = None) -> str:
    """``program_text(stored_program(program))``, the same text (``simplified_program``'s where no body runs in
    float32: a fitted formula's or learner's), for a program whose nodes are
    new and will not be seen again: a formula with fitted constants (every node above a literal is
    new).  Simplified and printed without the tables, which its nodes would only fill, pushing out
    the reused ones (measured: with them, the search's own simplification cost twice as much).
    ``text``: ``format_program(program)``, where the caller has it: the answer when simplification
    leaves ``program`` as it is (``simplify_program`` then returns it), so it is not printed again.
    ``simple``: a body of ``program`` known to be a fixpoint of the simplifier (``Outcome.simple``: a
    fitted formula's folded body), kept as it is instead of being walked again (the same result).  Any other
    body is first asked whether it is a fixpoint (:func:`~mlevolve.dsl.simplify.is_fixpoint`, the rules' dispatch
    at each node without a pass's rebuilding: about 40% of a walk's cost) and walked only where a rule applies: 77-81%
    of a quartic run's fitted bodies that the fold leaves are fixpoints (RESULTS.md, "Stop 57")."""
    def definition(d: Definition) -> Definition:  # (a float32 body's constants folded in float32: stored_program)
        folding = shown_fold(d.kind)
        return simplify_definition(d, lambda e: e if e is simple or is_fixpoint(e, folding=folding) else
                                   simplify_expr(e, folding=folding))

    made = simplify_program(program, definition=definition)
    if made is program and text is not None:
        return text
    return format_program(made)
