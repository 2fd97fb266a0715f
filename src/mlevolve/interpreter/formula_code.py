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
    if d.body is None or d.result is None or type_str(d.result) != _SCALAR:
        return None
    if any(type_str(p.type) != _SCALAR for p in d.params):
        return None
    return _linearise(d.body, tuple(p.name for p in d.params))


@lru_cache(maxsize=8192)
def _linearise(body: Expr, params: tuple[str, ...]) -> Any | None:
    """:func:`fastpath.linearise` of an all-Scalar ``body`` (memoised per body: nodes are immutable
    and compared by digest), or None.  The same walk: iterative post-order over an explicit stack,
    registers numbered as met, then renumbered inputs, constants, temporaries."""
    from mlevolve.interpreter.fastpath import Body, _function  # fastpath imports this module lazily

    n_inputs = len(params)
    constants: list[Any] = []
    code: list[tuple[Any, tuple[str, int], tuple[str, int]]] = []
    ops: list[int] = []
    scope: dict[str, tuple[tuple[str, int], bool]] = {p: (("input", k), False) for k, p in enumerate(params)}
    frames: list[tuple[Expr, dict[str, tuple[tuple[str, int], bool]], list[tuple[tuple[str, int], bool]]]] = [
        (body, scope, [])]
    done: tuple[tuple[str, int], bool] = (("const", 0), False)
    while frames:
        node, sc, kids = frames[-1]
        children = node.children()
        if len(kids) < len(children):
            child_scope = sc
            if isinstance(node, Let) and len(kids) == 1:
                child_scope = {**sc, node.name: kids[0]}
            frames.append((children[len(kids)], child_scope, []))
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
            # an opcode from Scalars to a Scalar: exactly the elementwise primitives of that arity
            arg_types = (_SCALAR,) * len(kids)
            code_op = opcodes.opcode(node.op, arg_types, _SCALAR)
            expression = primitives.numpy_expression(node.op, arg_types, [f"a{k}" for k in range(len(kids))],
                                                     [number for _, number in kids])
            if expression is None or code_op is None:
                return None
            first = kids[0][0]
            second = kids[1][0] if len(kids) > 1 else first
            code.append((_function(expression), first, second))
            ops.append(code_op)
            done = (("temp", len(code) - 1), False)
        else:
            return None
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
    kernel = opcodes.encode(ops, [(i, j) for _, i, j in instructions])
    ranks = opcodes.ranks([_SCALAR] * (n_inputs + len(constants) + len(code)))
    return Body(n_inputs, tuple(constants), (), instructions, numbered(reg), kernel, ranks)
