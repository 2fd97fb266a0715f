"""The one immutable IR of mlevolve programs.

Every stage of the pipeline (parser, checker, printer, generator, GP operators, compiler) reads and
builds these nodes and nothing else.  The IR's grammar, in BNF::

    program    ::= Program(name, task?, definition*)
    definition ::= Definition(kind, name, param*, result?, body?, method*)   # methods: learners only
    param      ::= Param(name, type, state?)
    expr       ::= Num(value, is_int)          # a non-negative literal; -2 is Call("neg", (Num(2),))
                 | Ref(name)                   # a variable, parameter or definition name
                 | Call(op, expr*)             # a primitive: op names a production of the typed grammar
                 | Let(name, expr, expr)       # let name = value in body
                 | Tup(expr*)                  # a tuple, at least two items
    type       ::= str | TupleType(type*)      # "Scalar", "Vector", ... and tuples of them

Nodes are frozen and slotted.  Each expression node computes, once and from its children's, a
structural digest, its size (node count) and depth (its canonical digest on first use); equality and
hashing compare digests, so they are O(1) and never recurse, whatever the depth of the tree.  Source
spans take no part in equality.
"""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass, field
from typing import TypeAlias, TypeVar

from mlevolve.dsl.types import Type


@dataclass(frozen=True, slots=True)
class Span:
    """A region of source text: 1-based line and column of its first and last character."""

    line: int
    column: int
    end_line: int
    end_column: int

    def join(self, other: Span | None) -> Span:
        if other is None:
            return self
        return Span(self.line, self.column, other.end_line, other.end_column)


_blake2b = hashlib.blake2b
_K = TypeVar("_K", str, float)


def _digest(tag: bytes, payload: bytes, children: tuple[Expr, ...]) -> bytes:
    """BLAKE2b-128 of the tag, the payload's length (4 bytes, little-endian) and the payload, then the
    children's digests (one call over the joined bytes: the same digest as feeding them in turn).
    The head (tag, length, payload) of an op or a name is kept in a small table: nodes are built by
    the thousand per second from a few dozen ops and names."""
    head = _HEADS.get((tag, payload))
    if head is None:
        head = tag + len(payload).to_bytes(4, "little") + payload
        if tag != b"N":  # a literal's value: too many to keep
            if len(_HEADS) >= 4096:
                _HEADS.clear()
            _HEADS[(tag, payload)] = head
    if len(children) == 2:  # most nodes: no list to join
        return _blake2b(head + children[0].digest + children[1].digest, digest_size=16).digest()
    return _blake2b(head + b"".join([c.digest for c in children]), digest_size=16).digest()


_HEADS: dict[tuple[bytes, bytes], bytes] = {}


# Ops whose two arguments commute, for the canonical digest (the base grammar declares the same).
COMMUTATIVE = frozenset({"add", "mul", "min", "max", "dot"})


def canonical_node(node: _Node, parts: list[bytes], commutative: frozenset[str] = COMMUTATIVE) -> bytes:
    """One node's canonical digest from its children's: the arguments of a commutative op in digest
    order, constants normalised (12 significant digits, ``2`` and ``2.0`` alike, one zero)."""
    if isinstance(node, Call):
        head = _CANON_HEADS.get(node.op)
        if head is None:
            head = _keep(_CANON_HEADS, node.op, b"C" + node.op.encode() + b"/")
        if len(parts) == 2 and parts[1] < parts[0] and node.op in commutative:
            parts = [parts[1], parts[0]]
    elif isinstance(node, Num):
        value = float(node.value)
        head = _CANON_NUMBERS.get(value)
        if head is None:
            head = _keep(_CANON_NUMBERS, value, b"N" + repr(float(f"{value:.12g}") + 0.0).encode())
    elif isinstance(node, Ref):
        head = b"R" + node.name.encode()
    elif isinstance(node, Let):
        head = b"L" + node.name.encode()
    else:
        head = b"T"
    return _blake2b(head + b"".join(parts), digest_size=16).digest()


class _Node:
    """Shared behaviour of expression nodes: digest-based equality, size and depth."""

    __slots__ = ()
    digest: bytes
    _canon: bytes  # b"" until first used
    size: int
    depth: int

    def children(self) -> tuple[Expr, ...]:
        return ()

    def _finish(self, tag: bytes, payload: bytes) -> None:
        kids = self.children()
        size, depth = 1, 0
        for k in kids:
            size += k.size
            if k.depth > depth:
                depth = k.depth
        setattr_ = object.__setattr__
        setattr_(self, "digest", _digest(tag, payload, kids))
        setattr_(self, "_canon", b"")  # made on first use (:attr:`canon`)
        setattr_(self, "size", size)
        setattr_(self, "depth", depth + 1)

    @property
    def canon(self) -> bytes:
        """The canonical digest (:func:`canonical_node`, with the default commutative ops), computed
        on first use and kept: only a cache key reads it, and most nodes built (a rewrite's
        intermediate nodes, a fitted formula's) never reach one."""
        return self._canon or _fill_canon(self)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.digest == self.digest

    def __hash__(self) -> int:
        return int.from_bytes(self.digest[:8], "little")

    # Immutable: copies are the node itself.  Pickled as canonical text, which the iterative
    # printer and parser handle at any depth (recursive pickling would not).
    def __copy__(self) -> _Node:
        return self

    def __deepcopy__(self, memo: object) -> _Node:
        return self

    def __repr__(self) -> str:  # the printer is iterative; a generated repr would recurse
        from mlevolve.dsl.printer import format_expr

        return f"<{type(self).__name__} {format_expr(self)}>"  # type: ignore[arg-type]

    def __reduce__(self) -> tuple[object, tuple[str]]:
        from mlevolve.dsl.printer import format_expr

        return _from_text, (format_expr(self),)  # type: ignore[arg-type]


# Heads of canonical digests, by op and by literal value (a few dozen ops; literals repeat: 1.0, 0.5, ...).
_CANON_HEADS: dict[str, bytes] = {}
_CALL_HEADS: dict[str, bytes] = {}  # a call's digest head by op (``Call.__post_init__``)
_REF_DIGESTS: dict[str, bytes] = {}  # a name's digest by name (``Ref.__post_init__``)
_CANON_NUMBERS: dict[float, bytes] = {}


def _keep(table: dict[_K, bytes], key: _K, head: bytes) -> bytes:
    """``head`` stored under ``key`` in ``table`` (emptied when it holds 4,096), and returned."""
    if len(table) >= 4096:
        table.clear()
    table[key] = head
    return head


def _fill_canon(root: _Node) -> bytes:
    """Set ``_canon`` of ``root`` and of every node below it that lacks it, children first, and
    return ``root``'s.  The nodes that lack it are listed parents first (an explicit stack: depth is
    no limit; the walk stops at a node that has it, as all below such a node do), then made in
    reverse, so each node's children are done before it (a node listed twice, under two parents, is
    made at its later place, after both)."""
    setattr_ = object.__setattr__
    stack: list[_Node] = [root]
    order: list[_Node] = []
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend([k for k in node.children() if not k._canon])
    for node in reversed(order):
        if not node._canon:  # (a node listed twice: made already)
            setattr_(node, "_canon", canonical_node(node, [k._canon for k in node.children()]))
    return root._canon


def _leaf(node: _Node, digest: bytes) -> None:
    """Set a leaf's facts (``_Node._finish`` with no children): its digest, no canonical digest yet,
    size 1 and depth 1."""
    setattr_ = object.__setattr__
    setattr_(node, "digest", digest)
    setattr_(node, "_canon", b"")
    setattr_(node, "size", 1)
    setattr_(node, "depth", 1)


def _from_text(text: str) -> Expr:
    from mlevolve.dsl.parse import parse_expr

    return parse_expr(text)


def _name_ok(name: str) -> bool:
    """A name is an ASCII identifier, as the grammar reads them (Python would NFKC-normalise others,
    so two different names could become one in generated code)."""
    return name.isidentifier() and name.isascii()


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Num(_Node):
    """A numeric literal.  Literals are never negative: the printer and parser agree on ``neg``."""

    value: float
    is_int: bool = False
    span: Span | None = field(default=None, compare=False, repr=False)
    digest: bytes = field(init=False, repr=False, compare=False)
    _canon: bytes = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)
    depth: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            finite = math.isfinite(self.value)
        except OverflowError:  # an int too large for a float
            finite = False
        if not (finite and self.value >= 0):
            raise ValueError(f"a literal must be finite and non-negative, got {self.value!r}")
        if self.value == 0 and math.copysign(1.0, self.value) < 0:
            object.__setattr__(self, "value", 0.0)  # -0.0 would print as `-0.0`, which reads back as neg(0.0)
        if self.is_int and self.value != int(self.value):
            raise ValueError(f"an integer literal must be whole, got {self.value!r}")
        exact = str(int(self.value)).encode() if self.is_int else b""  # ints beyond 2**53 are not doubles
        payload = struct.pack("<d?", float(self.value), self.is_int) + exact
        _leaf(self, _blake2b(b"N" + len(payload).to_bytes(4, "little") + payload, digest_size=16).digest())


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Ref(_Node):
    """A name: a parameter, a let-bound variable, learner state, or (in models) an activation."""

    name: str
    span: Span | None = field(default=None, compare=False, repr=False)
    digest: bytes = field(init=False, repr=False, compare=False)
    _canon: bytes = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)
    depth: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A name's digest depends on the name alone: kept per name (checked once), as ``_digest`` makes it.
        digest = _REF_DIGESTS.get(self.name)
        if digest is None:
            if not _name_ok(self.name):
                raise ValueError(f"not an identifier: {self.name!r}")
            digest = _keep(_REF_DIGESTS, self.name, _digest(b"R", self.name.encode(), ()))
        _leaf(self, digest)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Call(_Node):
    """An application of a primitive, by its surface name (``add``, ``sigmoid``, ``dense``...)."""

    op: str
    args: tuple[Expr, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)
    digest: bytes = field(init=False, repr=False, compare=False)
    _canon: bytes = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)
    depth: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Most nodes built are calls, of a few dozen ops: the head of the digest (which ``_digest``
        # would make from b"C" and the op) is kept by op, found only for a name that was checked.
        op = self.op
        head = _CALL_HEADS.get(op)
        if head is None:
            if not _name_ok(op):
                raise ValueError(f"not an identifier: {op!r}")
            payload = op.encode()
            head = _keep(_CALL_HEADS, op, b"C" + len(payload).to_bytes(4, "little") + payload)
        args = self.args
        size, depth = 1, 0
        for k in args:
            size += k.size
            if k.depth > depth:
                depth = k.depth
        setattr_ = object.__setattr__
        if len(args) == 2:  # the same bytes as _digest(b"C", op, args)
            setattr_(self, "digest", _blake2b(head + args[0].digest + args[1].digest, digest_size=16).digest())
        else:
            setattr_(self, "digest", _blake2b(head + b"".join([c.digest for c in args]), digest_size=16).digest())
        setattr_(self, "_canon", b"")
        setattr_(self, "size", size)
        setattr_(self, "depth", depth + 1)

    def children(self) -> tuple[Expr, ...]:
        return self.args


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Let(_Node):
    """``let name = value in body``: ``name`` is bound in ``body`` only."""

    name: str
    value: Expr
    body: Expr
    span: Span | None = field(default=None, compare=False, repr=False)
    digest: bytes = field(init=False, repr=False, compare=False)
    _canon: bytes = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)
    depth: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _name_ok(self.name):
            raise ValueError(f"not an identifier: {self.name!r}")
        self._finish(b"L", self.name.encode())

    def children(self) -> tuple[Expr, ...]:
        return (self.value, self.body)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Tup(_Node):
    """A tuple of two or more values (the result of an optimizer or a multi-state learner)."""

    items: tuple[Expr, ...]
    span: Span | None = field(default=None, compare=False, repr=False)
    digest: bytes = field(init=False, repr=False, compare=False)
    _canon: bytes = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)
    depth: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.items) < 2:
            raise ValueError("a tuple needs at least two items")
        self._finish(b"T", b"")

    def children(self) -> tuple[Expr, ...]:
        return self.items


Expr: TypeAlias = Num | Ref | Call | Let | Tup


def with_children(node: Expr, kids: tuple[Expr, ...]) -> Expr:
    """A copy of ``node`` with new children (same arity), keeping its span."""
    if isinstance(node, Call):
        return Call(node.op, kids, node.span)
    if isinstance(node, Let):
        return Let(node.name, kids[0], kids[1], node.span)
    if isinstance(node, Tup):
        return Tup(kids, node.span)
    return node


def const(value: float) -> Expr:
    """A Scalar constant of any sign: negative values, ``-0.0`` among them, become ``neg`` of a literal."""
    if value < 0 or (value == 0 and math.copysign(1.0, value) < 0):
        return Call("neg", (Num(-value),))
    return Num(value)


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter of a definition or method; ``state`` marks a learner's memory."""

    name: str
    type: Type
    state: bool = False
    span: Span | None = field(default=None, compare=False, repr=False)
    type_span: Span | None = field(default=None, compare=False, repr=False)  # where its type is written


@dataclass(frozen=True, slots=True)
class Definition:
    """A named component: ``KIND NAME(PARAMS) -> RESULT = BODY``.

    A learner has no result or body of its own; it holds ``setup``/``predict``/``learn`` methods,
    each a Definition whose kind is the method name.
    """

    kind: str
    name: str
    params: tuple[Param, ...]
    result: Type | None
    body: Expr | None
    methods: tuple[Definition, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)
    comments: tuple[str, ...] = field(default=(), compare=False, repr=False)  # leading, kept by `fmt`
    # Comments inside the body: (k, text) is printed before the k-th line of its `let` chain.
    body_comments: tuple[tuple[int, str], ...] = field(default=(), compare=False, repr=False)
    # End-of-line comments: (k, text) ends the k-th line of its `let` chain (the body's: the chain's length; the
    # header's: -1).
    trailing: tuple[tuple[int, str], ...] = field(default=(), compare=False, repr=False)
    # Comments among the parameters, where a header spans lines: (k, whole, text), a whole-line one printed above
    # parameter k (k = the count of parameters: before the closing parenthesis), an end-of-line one ending parameter
    # k's line (k = -1: the opening parenthesis's); the header is then printed one parameter a line to keep them.
    param_comments: tuple[tuple[int, bool, str], ...] = field(default=(), compare=False, repr=False)
    # Comments inside a line of the body's `let` chain, where the source spans lines: (k, n, whole, text) sits
    # after the n-th token of the k-th line (parentheses not counted: the only tokens the printer may add or drop;
    # 0 < n < the line's tokens), where the printer breaks that line, a whole-line one on a line of its own.
    inline_comments: tuple[tuple[int, int, bool, str], ...] = field(default=(), compare=False, repr=False)
    # Comments `fmt` cannot print where they were written, for its warnings: (line, column, why), 1-based.
    moved_comments: tuple[tuple[int, int, str], ...] = field(default=(), compare=False, repr=False)
    # Comments after the header's closing parenthesis and before its `=`: (k, whole, text) follows its `)` (k = 0),
    # its `->` (1) or its result type (2); the header then breaks there, a whole-line one on a line of its own.
    header_comments: tuple[tuple[int, bool, str], ...] = field(default=(), compare=False, repr=False)

    def method(self, name: str) -> Definition | None:
        for m in self.methods:  # (a loop, not ``next`` of a generator: variation asks it of every parent)
            if m.kind == name:
                return m
        return None

    def replace_body(self, body: Expr) -> Definition:
        """This definition with ``body`` (``dataclasses.replace``, built directly because the engine does it for
        every candidate).  The comments written inside the old body (``body_comments``, ``inline_comments``, the
        body's ``trailing`` ones) are kept only where ``body`` is the same body: placed by line and token, they
        would end unrelated lines of a new one (a mutant's, a fitted or expanded one); the header's are kept."""
        inside, inline, trailing = self.body_comments, self.inline_comments, self.trailing
        if (inside or inline or trailing) and not (body is self.body or body == self.body):
            inside, inline, trailing = (), (), tuple(c for c in trailing if c[0] == -1)
        return Definition(self.kind, self.name, self.params, self.result, body, self.methods, self.span,
                          self.comments, inside, trailing, self.param_comments,
                          inline, self.moved_comments, self.header_comments)

    def with_methods(self, methods: tuple[Definition, ...]) -> Definition:
        """This learner with ``methods`` (everything else kept)."""
        return Definition(self.kind, self.name, self.params, self.result, self.body, methods, self.span,
                          self.comments, self.body_comments, self.trailing, self.param_comments,
                          self.inline_comments, self.moved_comments, self.header_comments)


@dataclass(frozen=True, slots=True)
class Program:
    """One ``.mlev`` file: ``algorithm NAME``, an optional default task, and its definitions."""

    name: str
    definitions: tuple[Definition, ...]
    task: str | None = None
    span: Span | None = field(default=None, compare=False, repr=False)
    comments: tuple[str, ...] = field(default=(), compare=False, repr=False)  # before the definitions
    footer: tuple[str, ...] = field(default=(), compare=False, repr=False)  # after them
    task_span: Span | None = field(default=None, compare=False, repr=False)  # where the task line names it
    file: str | None = field(default=None, compare=False, repr=False)  # the file it was parsed from, for errors
    # End-of-line comments of the `algorithm` line (0) and the `task` line (1).
    trailing: tuple[tuple[int, str], ...] = field(default=(), compare=False, repr=False)
    task_comments: tuple[str, ...] = field(default=(), compare=False, repr=False)  # whole-line, above the task line
    # A program a person wrote (False: read back from an archive, which a search made): a written literal out of
    # its primitive's range is refused (dsl.check.check_ranges), an evolved one runs clamped.
    written: bool = field(default=True, compare=False, repr=False)
    # The text it was parsed from (universal newlines, no byte-order mark), which its spans point into: what a
    # warning about it shows under its place (:class:`~mlevolve.dsl.errors.RenderedWarning`).  None: built, or read
    # back from its wire form.
    source: str | None = field(default=None, compare=False, repr=False)

    def get(self, name: str) -> Definition | None:
        for d in self.definitions:  # (a loop, not ``next`` of a generator: variation asks it of every parent)
            if d.name == name:
                return d
        return None

    def replace(self, definition: Definition) -> Program:
        """This program with the definition of the same name swapped for ``definition``."""
        defs = tuple(definition if d.name == definition.name else d for d in self.definitions)
        return self.with_definitions(defs)

    def with_definitions(self, definitions: tuple[Definition, ...]) -> Program:
        """This program with ``definitions`` (everything else kept: ``dataclasses.replace``, built directly)."""
        return Program(self.name, definitions, self.task, self.span, self.comments, self.footer, self.task_span,
                       self.file, self.trailing, self.task_comments, self.written, self.source)
