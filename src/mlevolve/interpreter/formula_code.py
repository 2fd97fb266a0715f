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


def scalar_formula(d: Definition, memo: bool = True) -> Any | None:
    """The :class:`fastpath.Body` of formula ``d`` (taking its parameters as inputs in order), or
    None when a value in it may not be a Scalar (a parameter of another type, a call of another
    primitive, a name that is not a parameter or a ``let``).  ``memo``: as :func:`scalar_formula_registers`."""
    made = scalar_formula_registers(d, memo)
    return None if made is None else made[0]


def scalar_formula_registers(d: Definition, memo: bool = True) -> tuple[Any, tuple[int, ...]] | None:
    """:func:`scalar_formula`'s Body, and the register holding each node's value, by the node's
    preorder index in the body (a literal's: its constant; a name's: what it names).  ``memo``: kept in (and
    found in) the table of the last bodies (:data:`MEMO_SIZE`); False for a body made once, as a fitted
    formula's is (the caller knows): linearised anew and not kept, so it holds no table entry."""
    if d.body is None or d.result is None or type_str(d.result) != _SCALAR:
        return None
    if any(type_str(p.type) != _SCALAR for p in d.params):
        return None
    return (_linearise if memo else _linearise_once)(d.body, tuple(p.name for p in d.params))


# The bodies kept (:func:`_linearise`'s table): a candidate's body is linearised for its probe, then found again
# by its fit (twice); nothing else was found in it (stop 63, gc77: 1,000 fitted formula candidates, every hit
# but the fitted formulas' own at distance 0).  Each kept body is containers the cyclic collector walks (the
# body, its tuples, the IR tree of the key), so the table holds what is reused, with room for candidates in flight.
MEMO_SIZE = 256


def _linearise_once(body: Expr, params: tuple[str, ...]) -> tuple[Any, tuple[int, ...]] | None:
    """:func:`fastpath.linearise` of an all-Scalar ``body`` and each node's register, or None: see
    :func:`_linearise`, which memoises it.  The same order: post-order,
    constants and temporaries numbered as met, then registers numbered inputs, constants,
    temporaries.  Walked iteratively over an explicit stack; while walking, a register is its final
    number (an input or a constant: the inputs' count is known) or ``-1 - t`` for temporary ``t``."""
    from mlevolve.interpreter.fastpath import Body  # fastpath imports this module lazily

    n_inputs = len(params)
    constants: list[Any] = []
    code: list[tuple[Any, int, int, int]] = []  # (step, a, b, opcode)
    scope: dict[str, tuple[int, bool]] = {p: (k, False) for k, p in enumerate(params)}
    values: list[tuple[int, bool]] = []  # finished nodes' (register, is a literal), as a stack
    where = [0] * body.size  # each node's register, by preorder index
    # work items: (node, scope, stage, preorder index); stage 0 first visit, 1 children done (a let: its value)
    work: list[tuple[Expr, dict[str, tuple[int, bool]], int, int]] = [(body, scope, 0, 0)]
    instruction = _instruction
    while work:
        node, sc, stage, index = work.pop()
        if isinstance(node, Call):
            args = node.args
            if stage == 0:
                if not 1 <= len(args) <= 2:
                    return None
                work.append((node, sc, 1, index))
                if len(args) == 2:  # the first argument is visited first (preorder), so pushed last
                    work.append((args[1], sc, 0, index + 1 + args[0].size))
                work.append((args[0], sc, 0, index + 1))
                continue
            if len(args) == 2:
                second, first = values.pop(), values.pop()
            else:
                first = second = values.pop()
            made = instruction(node.op, (first[1], second[1])[:len(args)])
            if made is None:
                return None
            code.append((made[0], first[0], second[0], made[1]))
            done = (-len(code), False)
        elif isinstance(node, Num):
            constants.append(float(node.value))
            done = (n_inputs + len(constants) - 1, True)
        elif isinstance(node, Ref):
            found = sc.get(node.name)
            if found is None:
                return None
            done = found
        elif isinstance(node, Let):
            if stage == 0:
                work.append((node, sc, 1, index))
                work.append((node.value, sc, 0, index + 1))
                continue
            if stage == 1:  # the value is done: the body, in its scope
                bound = values.pop()
                work.append((node, sc, 2, index))
                work.append((node.body, {**sc, node.name: bound}, 0, index + 1 + node.value.size))
                continue
            done = values.pop()  # the body's value
        else:
            return None
        where[index] = done[0]
        values.append(done)
    reg, number = values[0]
    if number:  # a constant result is an np.float64 (as ``fastpath.linearise`` makes it)
        constants.append(np.float64(constants[reg - n_inputs]))
        reg = n_inputs + len(constants) - 1
    last = n_inputs + len(constants) - 1  # temporary t (``-1 - t`` while walking) is register last + 1 + t

    made = _body(Body, n_inputs, constants,
                 [(step, a if a >= 0 else last - a, b if b >= 0 else last - b, op) for step, a, b, op in code],
                 reg if reg >= 0 else last - reg)
    return made, tuple([r if r >= 0 else last - r for r in where])


_linearise = lru_cache(maxsize=MEMO_SIZE)(_linearise_once)
_linearise.__doc__ = """:func:`_linearise_once`, memoised per body (nodes are immutable and compared by digest),
the last :data:`MEMO_SIZE` kept."""


def _body(body_class: Any, n_inputs: int, constants: list[Any], code: list[tuple[Any, int, int, int]],
          result: int) -> Any:
    """The Body of ``code`` (``(step, a, b, opcode)`` over numbered registers) as ``fastpath.linearise`` makes
    it: ``opcodes.encode`` and ``opcodes.ranks`` built directly, every register a Scalar."""
    flat: list[int] = []
    for _, i, j, op in code:
        flat += (op, i, j)
    kernel = np.array(flat, np.int64).reshape(-1, 3)
    kernel.flags.writeable = False
    consts = opcodes.consts(constants)
    draws = opcodes.DRAWS
    return body_class._make(n_inputs, tuple(constants), (), tuple([step for step, *_ in code]),
                            tuple([(a, b) for _, a, b, _ in code]), result, kernel,
                            _scalar_ranks(n_inputs + len(constants) + len(code)), consts, (opcodes.RANK[_SCALAR],),
                            any([op in draws for *_, op in code]), None)  # no encoding: no learner's body


@lru_cache(maxsize=1024)
def _scalar_ranks(registers: int) -> Any:
    """The ranks of ``registers`` Scalar registers (``opcodes.RANK``), read only: one array shared by every Body of
    that many registers (each made its own before, a ``numpy.full`` a Body, about 1 µs)."""
    ranks = np.full(registers, opcodes.RANK[_SCALAR], np.int64)
    ranks.flags.writeable = False
    return ranks


_INSTRUCTIONS: dict[tuple[str, tuple[bool, ...]], tuple[Any, int] | None] = {}


def _instruction(op: str, numbers: tuple[bool, ...]) -> tuple[Any, int] | None:
    """The step (``fastpath.Step``: the op, its argument types, which arguments are literals, as
    ``numbers`` says) and the opcode of ``op`` over Scalars, or None when ``op`` is not an opcode from
    Scalars to a Scalar with a NumPy template (exactly the elementwise primitives of that arity).
    Memoised per (op, numbers)."""
    if (op, numbers) not in _INSTRUCTIONS:
        arg_types = (_SCALAR,) * len(numbers)
        code_op = opcodes.opcode(op, arg_types, _SCALAR)
        expression = primitives.numpy_expression(op, arg_types, [f"a{k}" for k in range(len(numbers))],
                                                 list(numbers))
        _INSTRUCTIONS[(op, numbers)] = None if expression is None or code_op is None else \
            ((op, arg_types, numbers), code_op)
    return _INSTRUCTIONS[(op, numbers)]


def refitted(made: tuple[Any, tuple[int, ...]], changes: dict[int, Expr],
             scaling: tuple[str, Expr, Expr] | None) -> Any | None:
    """The Body that :func:`scalar_formula` makes of a fitted formula, from the Body and registers
    ``made`` of the formula it was fitted from (no scaling of its own), without walking it again:
    ``changes`` maps the preorder index of each literal (a ``Num``, or a ``neg`` of one) to its new
    literal, and ``scaling`` is the form and the signed literals ``a``, ``b`` of the scaling put around it
    (``fit.signed_scaled``: ``"add"`` ``a + b * f``, ``"sub"`` ``a - |b| * f``, ``"rsub"`` ``b * f - |a|``), or
    None.  None when a literal changes form (``Num`` to ``neg`` or back) or the formula's value is a
    literal: then the caller linearises the fitted formula."""
    from mlevolve.interpreter.fastpath import Body

    body, where = made
    n_in, consts = body.n_inputs, list(body.constants)
    first = n_in + len(consts)
    if n_in <= body.result < first:
        return None  # a literal's value (a constant register of its own)
    for index, new in changes.items():
        value = _literal(new)
        if value is None or value[1] != (where[index] >= first):  # (a neg's register is its temporary)
            return None
        register = where[index + 1] if value[1] else where[index]
        consts[register - n_in] = value[0]
    if scaling is None:
        return Body._make(n_in, tuple(consts), (), body.steps, body.operands, body.result, body.kernel, body.ranks,
                          opcodes.consts(consts), body.result_ranks, body.draws,
                          body.encoding)
    form, first_literal, second_literal = scaling[0], _literal(scaling[1]), _literal(scaling[2])
    if first_literal is None or second_literal is None or body.kernel is None:
        return None
    (a, a_neg), (b, b_neg) = first_literal, second_literal
    if form == "sub":  # a - |b| * f: both written as Nums
        b_neg = False
    elif form == "rsub":  # b * f - |a|: a written as a Num, after the formula (post-order)
        a_neg = False
    # Literals are numbered as met: a, b, then the formula's ("add", "sub"); b, the formula's, then a ("rsub").
    # Instructions in post-order: a neg for each negative literal before the formula's code, then b * f, then
    # the scaling's add or sub.
    rsub = form == "rsub"
    new_first = first + 2
    pre = int(a_neg) + int(b_neg)

    def moved(r: int) -> int:  # the formula's registers after the scaling's constants (and negs)
        return r if r < n_in else r + (1 if rsub else 2) if r < first else new_first + pre + (r - first)

    a_register, b_register = (first + 1, n_in) if rsub else (n_in, n_in + 1)
    code: list[tuple[Any, int, int, int]] = []
    operand = {}
    for name, register, negative in (("a", a_register, a_neg), ("b", b_register, b_neg)):
        if negative:
            negation = _instruction("neg", (True,))
            if negation is None:
                return None
            code.append((negation[0], register, register, negation[1]))
            operand[name] = (new_first + len(code) - 1, False)
        else:
            operand[name] = (register, True)
    ops = body.kernel[:, 0]
    code += [(step, moved(i), moved(j), int(op))
             for step, (i, j), op in zip(body.steps, body.operands, ops, strict=True)]
    product = _instruction("mul", (operand["b"][1], False))
    if product is None:
        return None
    code.append((product[0], operand["b"][0], moved(body.result), product[1]))
    total = _instruction("sub" if form != "add" else "add",
                         (False, operand["a"][1]) if rsub else (operand["a"][1], False))
    if total is None:
        return None
    previous = new_first + len(code) - 1
    code.append((total[0], *((previous, operand["a"][0]) if rsub else (operand["a"][0], previous)), total[1]))
    values = [b, *consts, a] if rsub else [a, b, *consts]
    return _body(Body, n_in, values, code, new_first + len(code) - 1)


def _literal(node: Expr) -> tuple[float, bool] | None:
    """A literal's number as its ``Num`` holds it, and whether a ``neg`` wraps it; None if not one."""
    if isinstance(node, Num):
        return float(node.value), False
    if isinstance(node, Call) and node.op == "neg" and len(node.args) == 1 and isinstance(node.args[0], Num):
        return float(node.args[0].value), True
    return None
