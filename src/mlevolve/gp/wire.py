"""Programs as a worker process receives them: flat tuples of tokens, rebuilt without the parser.

A candidate's canonical text is what the archive stores, but reading it back in a worker costs the
Lark parser's fixed overhead for every candidate (about 0.3 ms for the quartic's few lines, where
its instant evaluation costs microseconds).  The coordinator sends the IR instead, as plain tuples
that pickle in C (:func:`encode`), and the worker rebuilds the nodes (:func:`decode`).

An expression is encoded in prefix order, one token per node:

- a ``float`` is ``Num(value)``, a ``str`` is ``Ref(name)``;
- ``("N", value, is_int)`` is any other literal (an int, or a whole number marked ``is_int``);
- ``("C", op, arity, length)`` is a ``Call``, ``("L", name, length)`` a ``Let`` (value, then body)
  and ``("T", arity, length)`` a ``Tup``; ``length`` counts the node's tokens, its own included,
  so a subtree is the slice ``tokens[i:i + length]``.

The coordinator memoises each node's tokens by digest (a child shares most of its parent's
subtrees, so only the changed path is encoded anew); the worker memoises each subtree's node by
its tokens (:class:`Decoder`), so a subtree it has seen before, a parent's in its child, the
program's fixed definitions, is one dictionary look-up, and only new nodes are built.  Encoding
and decoding are iterative, for trees of any depth.  Spans and node identity are not carried: a
decoded program is equal (digest for digest) to the encoded one, with no source positions.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Program, Ref, Tup
from mlevolve.gp.memo import Memo, NodeMemo

Tokens: TypeAlias = tuple[Any, ...]
# (kind, name, params, result, body tokens or None, methods, comments, body comments)
WireDefinition: TypeAlias = tuple[Any, ...]
# (name, task, comments, footer, definitions)
WireProgram: TypeAlias = tuple[Any, ...]

_TOKENS: Memo[Expr, Tokens] = NodeMemo(1 << 15)


def _header(node: Expr, length: int) -> Any:
    if isinstance(node, Call):
        return ("C", node.op, len(node.args), length)
    if isinstance(node, Let):
        return ("L", node.name, length)
    assert isinstance(node, Tup)
    return ("T", len(node.items), length)


def _leaf(node: Num | Ref) -> Any:
    if isinstance(node, Ref):
        return node.name
    if type(node.value) is float and not node.is_int:
        return node.value
    return ("N", node.value, node.is_int)


def encode_expr(expr: Expr) -> Tokens:
    """``expr``'s tokens in prefix order (see the module docstring), memoised by node digest."""
    done = _TOKENS.peek(expr)
    if done is not None:
        return done
    made: dict[bytes, Tokens] = {}  # this walk's nodes (the memo may drop one while a big tree is walked)
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if node.digest in made:
            continue
        if not expanded:
            found = _TOKENS.peek(node)
            if found is not None:
                made[node.digest] = found
            elif isinstance(node, Num | Ref):
                made[node.digest] = (_leaf(node),)
            else:
                stack.append((node, True))
                stack.extend((k, False) for k in node.children())
            continue
        tokens: Tokens = ()
        for kid in node.children():
            tokens += made[kid.digest]
        tokens = (_header(node, 1 + len(tokens)), *tokens)
        made[node.digest] = tokens
        _TOKENS.put(node, tokens)
    return made[expr.digest]


def _definition(d: Definition) -> WireDefinition:
    return (d.kind, d.name, d.params, d.result, None if d.body is None else encode_expr(d.body),
            tuple(_definition(m) for m in d.methods), d.comments, d.body_comments, d.trailing, d.param_comments,
            d.inline_comments, d.header_comments)


def encode(program: Program) -> WireProgram:
    """``program`` as a worker receives it: its definitions' fields, bodies as tokens."""
    return (program.name, program.task, program.comments, program.footer,
            tuple(_definition(d) for d in program.definitions), program.trailing, program.task_comments)


def _length(token: Any) -> int:
    return token[-1] if type(token) is tuple and token[0] != "N" else 1


class Decoder:
    """A worker's side: rebuilds programs from :func:`encode`'s tuples, keeping the nodes it built
    (at most ``size`` subtrees, by their tokens)."""

    def __init__(self, size: int = 1 << 15) -> None:
        self._nodes: Memo[Any, Expr] = Memo(size)

    def expr(self, tokens: Tokens) -> Expr:
        """The expression ``tokens`` encodes (``ValueError`` for tokens that encode none)."""
        nodes = self._nodes
        out: list[Expr] = []
        work: list[tuple[int, bool]] = [(0, False)]
        while work:
            i, expanded = work.pop()
            token = tokens[i]
            if type(token) is not tuple or token[0] == "N":
                node = nodes.peek(token)
                if node is None:
                    node = self._leaf(token)
                    nodes.put(token, node)
                out.append(node)
                continue
            tag, length = token[0], token[-1]
            if tag not in ("C", "L", "T"):
                raise ValueError(f"token {i}: unknown tag {tag!r}")
            if not expanded:
                found = nodes.peek(tokens[i:i + length])
                if found is not None:
                    out.append(found)
                    continue
                work.append((i, True))
                starts, j = [], i + 1
                for _ in range(token[2] if tag == "C" else 2 if tag == "L" else token[1]):
                    if j >= len(tokens):  # the tokens end before this node's children do
                        raise ValueError(f"token {i}: a child is missing")
                    starts.append(j)
                    j += _length(tokens[j])
                if j != i + length:
                    raise ValueError(f"token {i}: its children take {j - i - 1} tokens, not {length - 1}")
                work.extend((s, False) for s in reversed(starts))
                continue
            if tag == "C":
                arity = token[2]
                kids = tuple(out[len(out) - arity:]) if arity else ()
                del out[len(out) - arity:]
                built: Expr = Call(token[1], kids)
            elif tag == "L":
                value, body = out[-2], out[-1]
                del out[-2:]
                built = Let(token[1], value, body)
            else:
                arity = token[1]
                items = tuple(out[len(out) - arity:])
                del out[len(out) - arity:]
                built = Tup(items)
            nodes.put(tokens[i:i + length], built)
            out.append(built)
        if len(out) != 1 or _length(tokens[0]) != len(tokens):
            raise ValueError(f"{len(tokens)} tokens encode {len(out)} expressions")
        return out[0]

    @staticmethod
    def _leaf(token: Any) -> Expr:
        if type(token) is float:
            return Num(token)
        if type(token) is str:
            return Ref(token)
        return Num(token[1], token[2])

    def definition(self, wire: WireDefinition) -> Definition:
        kind, name, params, result, body, methods, comments, body_comments, trailing, among, inline, header = wire
        return Definition(kind, name, params, result, None if body is None else self.expr(body),
                          tuple(self.definition(m) for m in methods), None, comments, body_comments, trailing,
                          among, inline, (), header)

    def program(self, wire: WireProgram) -> Program:
        """The program ``wire`` encodes (equal to the encoded one; no spans)."""
        name, task, comments, footer, definitions, trailing, task_comments = wire
        return Program(name, tuple(self.definition(d) for d in definitions), task, None, comments, footer,
                       trailing=trailing, task_comments=task_comments)
