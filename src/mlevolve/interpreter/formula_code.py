"""A formula linearised without type inference, when every value in it is a Scalar.

:func:`fastpath.linearise` infers every node's type first (the type picks a primitive's NumPy
template and broadcast), which is most of its cost, and a search linearises each new formula
candidate (its probe, and again after constant fitting changes its literals).  In a formula whose
parameters are Scalars and whose every call is an elementwise primitive of one or two arguments
(``add`` ... ``max``, ``neg`` ... ``sign``: the ops that :func:`opcodes.opcode` maps from Scalars to
a Scalar), every node is a Scalar by induction, so the types are known without inferring them.
:func:`scalar_formula` then builds the very :class:`fastpath.Body` that ``linearise`` builds (the
same instructions, constants, registers and kernel encoding, in the same order; the test holds the
two equal over random formulas); any other formula returns None and takes ``linearise``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Ref
from mlevolve.dsl.types import type_str
from mlevolve.interpreter import opcodes, primitives

_SCALAR = "Scalar"


def scalar_formula(d: Definition) -> Any | None:
    """The :class:`fastpath.Body` of formula ``d`` (taking its parameters as inputs in order), or
    None when a value in it may not be a Scalar (a parameter of another type, a call of another
    primitive, a name that is not a parameter or a ``let``)."""
    made = scalar_formula_registers(d)
    return None if made is None else made[0]


def scalar_formula_registers(d: Definition) -> tuple[Any, tuple[int, ...]] | None:
    """:func:`scalar_formula`'s Body, and the register holding each node's value, by the node's
    preorder index in the body (a literal's: its constant; a name's: what it names)."""
    if d.body is None or d.result is None or type_str(d.result) != _SCALAR:
        return None
    if any(type_str(p.type) != _SCALAR for p in d.params):
        return None
    return _linearise(d.body, tuple(p.name for p in d.params))


@lru_cache(maxsize=8192)
def _linearise(body: Expr, params: tuple[str, ...]) -> tuple[Any, tuple[int, ...]] | None:
    """:func:`fastpath.linearise` of an all-Scalar ``body`` and each node's register (memoised per
    body: nodes are immutable and compared by digest), or None.  The same walk: iterative
    post-order over an explicit stack, registers numbered as met, then renumbered inputs,
    constants, temporaries."""
    from mlevolve.interpreter.fastpath import Body, _function  # fastpath imports this module lazily

    n_inputs = len(params)
    constants: list[Any] = []
    code: list[tuple[Any, tuple[str, int], tuple[str, int]]] = []
    ops: list[int] = []
    scope: dict[str, tuple[tuple[str, int], bool]] = {p: (("input", k), False) for k, p in enumerate(params)}
    frames: list[tuple[Expr, dict[str, tuple[tuple[str, int], bool]], list[tuple[tuple[str, int], bool]], int]] = [
        (body, scope, [], 0)]
    done: tuple[tuple[str, int], bool] = (("const", 0), False)
    where: list[tuple[str, int]] = [("const", 0)] * body.size  # each node's register, by preorder index
    counter = 0
    while frames:
        node, sc, kids, index = frames[-1]
        children = node.children()
        if len(kids) < len(children):
            child_scope = sc
            if isinstance(node, Let) and len(kids) == 1:
                child_scope = {**sc, node.name: kids[0]}
            counter += 1
            frames.append((children[len(kids)], child_scope, [], counter))
            continue
        frames.pop()
        if isinstance(node, Num):
            constants.append(float(node.value))
            done = (("const", len(constants) - 1), True)
        elif isinstance(node, Ref):
            found = sc.get(node.name)
            if found is None:
                return None
            done = found
        elif isinstance(node, Let):
            done = kids[1]
        elif isinstance(node, Call) and 1 <= len(kids) <= 2:
            made = _instruction(node.op, tuple(number for _, number in kids), _function)
            if made is None:
                return None
            first = kids[0][0]
            second = kids[1][0] if len(kids) > 1 else first
            code.append((made[0], first, second))
            ops.append(made[1])
            done = (("temp", len(code) - 1), False)
        else:
            return None
        where[index] = done[0]
        if frames:
            frames[-1][2].append(done)
    reg, number = done
    if number:  # a constant result is an np.float64 (as ``fastpath.linearise`` makes it)
        constants.append(np.float64(constants[reg[1]]))
        reg = ("const", len(constants) - 1)
    base = {"input": 0, "const": n_inputs, "temp": n_inputs + len(constants)}

    def numbered(r: tuple[str, int]) -> int:
        return base[r[0]] + r[1]

    instructions = tuple((fn, numbered(a), numbered(b)) for fn, a, b in code)
    # opcodes.encode and opcodes.ranks, built directly: every register a Scalar (rank 0)
    kernel = np.array([(op, i, j) for op, (_, i, j) in zip(ops, instructions, strict=True)], np.int64).reshape(-1, 3)
    ranks = np.zeros(n_inputs + len(constants) + len(code), np.int64)
    kernel.flags.writeable = ranks.flags.writeable = False
    return Body(n_inputs, tuple(constants), (), instructions, numbered(reg), kernel, ranks), \
        tuple(numbered(r) for r in where)


_INSTRUCTIONS: dict[tuple[str, tuple[bool, ...]], tuple[Any, tuple[Any, int] | None]] = {}


def _instruction(op: str, numbers: tuple[bool, ...], function: Any) -> tuple[Any, int] | None:
    """The NumPy function (``fastpath._function`` of the template with code generation's rules) and
    the opcode of ``op`` over Scalars whose arguments are literals where ``numbers`` says, or None
    when ``op`` is not an opcode from Scalars to a Scalar (exactly the elementwise primitives of that
    arity).  Memoised for the ``function`` it was made with (a test may swap the templates)."""
    found = _INSTRUCTIONS.get((op, numbers))
    if found is not None and found[0] is function:
        return found[1]
    arg_types = (_SCALAR,) * len(numbers)
    code_op = opcodes.opcode(op, arg_types, _SCALAR)
    expression = primitives.numpy_expression(op, arg_types, [f"a{k}" for k in range(len(numbers))], list(numbers))
    made = None if expression is None or code_op is None else (function(expression), code_op)
    _INSTRUCTIONS[(op, numbers)] = (function, made)
    return made
