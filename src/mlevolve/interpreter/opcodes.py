"""The compiled learner interpreter's instruction set: one opcode per primitive signature, as data.

:mod:`mlevolve.interpreter.kernel` runs a learner's linearised bodies (:class:`fastpath.Body`) as
integer instructions.  This table says which primitives it implements, keyed exactly as
:data:`primitives.NUMPY` (a production id such as ``matmul(Matrix,Vector)`` first, then the op), with
the argument and result ranks each entry accepts (0 Scalar, 1 Vector, 2 Matrix).  Each opcode's
kernel computes the NumPy template's numbers (see the kernel's docstring for the few that differ in
the last bits); the random draws take numba's ``numpy.random.Generator``, whose streams are NumPy's.
A body that uses anything else (a grammar's own primitive) has no encoding, and its program is
scored by the NumPy fast path: decided once, when the body is linearised.  No numba here: encoding
needs none.

An encoded body is an ``int64`` array ``[opcode, a, b]`` per instruction (operand registers in the
body's numbering; instruction k writes register ``first_temp + k``) plus the rank of every register.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

_RANK = {"Scalar": 0, "Vector": 1, "Matrix": 2}
_ELEMENTWISE_BINARY = ("add", "sub", "mul", "div", "min", "max")
_ELEMENTWISE_UNARY = ("neg", "abs", "reciprocal", "exp", "log", "sqrt", "square", "sin", "cos", "tanh",
                      "sigmoid", "relu", "heaviside", "sign")
# Structural ops: key -> ((argument ranks), result rank), the one signature each implements.
_STRUCTURAL: dict[str, tuple[tuple[int, ...], int]] = {
    "dot": ((1, 1), 0), "outer": ((1, 1), 2), "matmul(Matrix,Vector)": ((2, 1), 1),
    "matmul(Matrix,Matrix)": ((2, 2), 2), "transpose": ((2,), 2), "norm(Vector)": ((1,), 0),
    "norm(Matrix)": ((2,), 0), "mean(Vector)": ((1,), 0), "mean(Matrix)": ((2,), 0), "std(Vector)": ((1,), 0),
    "std(Matrix)": ((2,), 0), "fill": ((0,), 1), "rows": ((1,), 2), "cols": ((1,), 2),
    # draws: normal(mean a, std |b|) or uniform a + (b - a) U[0, 1), DIM or DIM x DIM of them per value of (a, b)
    "gaussian_vector": ((0, 0), 1), "uniform_vector": ((0, 0), 1), "gaussian_matrix": ((0, 0), 2),
    "uniform_matrix": ((0, 0), 2),
}

#: The opcode of each key of :data:`primitives.NUMPY` the kernel implements (its numbering is the kernel's).
OPCODES: dict[str, int] = {key: code for code, key in
                           enumerate((*_ELEMENTWISE_BINARY, *_ELEMENTWISE_UNARY, *_STRUCTURAL))}
#: The opcodes that draw random numbers.
DRAWS: frozenset[int] = frozenset(OPCODES[k] for k in ("gaussian_vector", "uniform_vector", "gaussian_matrix",
                                                       "uniform_matrix"))
#: The rank of each type the kernel holds.
RANK: dict[str, int] = _RANK
#: Keys of :data:`primitives.NUMPY` the kernel leaves to NumPy (none of the base grammar).
FALLBACK: frozenset[str] = frozenset()


@lru_cache(maxsize=4096)
def opcode(op: str, arg_types: tuple[str, ...], result: str) -> int | None:
    """The opcode of ``op`` over ``arg_types`` giving ``result``, or None when the kernel lacks it
    (by production id first, then by op, as :func:`primitives.template` looks templates up).
    Memoised: a grammar has few signatures."""
    ranks = tuple(_RANK.get(t, -1) for t in arg_types)
    out = _RANK.get(result, -1)
    if out < 0 or any(r < 0 for r in ranks):
        return None
    key = f"{op}({','.join(arg_types)})"
    if key not in OPCODES:
        key = op
    code = OPCODES.get(key)
    if code is None:
        return None
    if key in _STRUCTURAL:
        return code if _STRUCTURAL[key] == (ranks, out) else None
    if key in _ELEMENTWISE_UNARY:
        return code if ranks == (out,) else None
    # binary elementwise: equal ranks, or a Scalar meeting the other operand's rank
    return code if len(ranks) == 2 and out == max(ranks) and min(ranks) in (0, out) else None


def encode(ops: Sequence[int], operands: Sequence[tuple[int, int]]) -> np.ndarray:
    """The instructions as an ``(n, 3)`` read-only ``int64`` array of rows ``[opcode, a, b]``."""
    flat: list[int] = []
    for code, (a, b) in zip(ops, operands, strict=True):
        flat += (code, a, b)
    array = np.array(flat, np.int64).reshape(-1, 3)
    array.flags.writeable = False
    return array


def ranks(types: Sequence[str]) -> np.ndarray:
    """The registers' ranks (0 Scalar, 1 Vector, 2 Matrix) as a read-only ``int64`` array."""
    array = np.array([_RANK[t] for t in types], np.int64)
    array.flags.writeable = False
    return array


def consts(values: Sequence[float]) -> np.ndarray:
    """A body's constants as the kernels take them: a writable ``float64`` array, strides ``(8,)`` even when
    empty (as ``reshape(-1)`` makes them; NumPy 2 gives a bare empty array strides ``(0,)``), made
    without that view where there are values (a body is made per candidate: the view costs a third)."""
    array = np.array(values, np.float64)
    return array if values else array.reshape(-1)
