"""The compiled learner interpreter: a whole learner evaluation in one numba-compiled call.

A search scores a learner candidate by training it online (AutoML-Zero's protocol: setup, then per
example predict, a divergence check, learn; then validation predictions) on a family of tasks.
The NumPy fast path (:mod:`~mlevolve.interpreter.fastpath` driven by
:func:`standalone.learner.learner_predictions`) makes about 40 NumPy calls per training step, each
costing ~1 us of overhead on arrays of 10 x 4 numbers.  Here the same linearised bodies, encoded as
integer instructions (:mod:`~mlevolve.interpreter.opcodes`), run in one ``@numba.njit(cache=True, error_model="numpy")``
interpreter over preallocated registers (flat ``float64`` buffers, a register's slot sized by its rank:
1, DIM or DIM*DIM numbers per task; in training one buffer holds the memory, the task's examples laid
out step by step, predict's and learn's registers, so a step moves windows instead of copying its
inputs), all tasks at once, with no allocation per instruction.

Numbers.  Each opcode computes its NumPy template's IEEE operations in the same order: scalar
broadcasting, ``reciprocal`` = ``1.0 / x``, ``sigmoid`` = ``1 / (1 + exp(-x))``, ``heaviside(x, 0)``,
``np.minimum``/``np.maximum``'s NaN and signed-zero rules (``relu`` = ``maximum(x, 0.0)``), ``std`` as
``np.std`` (population: mean, squared deviations, mean, sqrt), reductions in NumPy's pairwise
summation order (``np.add.reduce`` over a C-ordered axis: ``0.0 + pairwise``, 8 accumulators from 8
items, halves above 128); the random draws take numba's ``numpy.random.Generator`` (NumPy's PCG64
streams and algorithms, bit for bit), as many numbers in the same order as the NumPy loop draws.
Three things differ in the last bits, so the two paths agree to a bound, not bit for bit
(``tests/interpreter/test_kernel.py`` states and checks the bounds):

- ``exp``, ``log``, ``sin``, ``cos``, ``tanh`` (and so ``sigmoid`` and a classifier's squashing) call the C
  library's functions (LLVM lowers them to libm); NumPy calls its own SIMD implementations where the
  CPU has them (AVX-512 here): up to a few ulp apart.
- ``matmul`` sums each row's products in the pairwise order of ``dot``; NumPy calls BLAS (OpenBLAS,
  with fused multiply-adds and its own order): within the usual dot-product error bound.
- ``transpose`` makes a C-ordered copy; NumPy makes a view, and a later reduction sums it in memory
  order, not in the kernel's order.

A learner whose values are sensitive (near the divergence threshold, or chaotic) can therefore fail
on one path and not on the other, or fail at another step.  Each path is deterministic: the same
program, data and install give the same numbers every time, so a run is reproducible for a given
install and path (``MLEVOLVE_NO_JIT=1`` selects the NumPy path, the reference).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from mlevolve.interpreter import compiling
from mlevolve.interpreter.compiling import compile_seconds as compile_seconds  # a note when a kernel compiles; its time

compiling.register()

# Opcodes: the numbering of :data:`opcodes.OPCODES` (the test holds the two to each other).
ADD, SUB, MUL, DIV, MIN, MAX = 0, 1, 2, 3, 4, 5
NEG, ABS, RECIPROCAL, EXP, LOG, SQRT, SQUARE, SIN, COS, TANH, SIGMOID, RELU, HEAVISIDE, SIGN = range(6, 20)
DOT, OUTER, MATMUL_MV, MATMUL_MM, TRANSPOSE, NORM_V, NORM_M, MEAN_V, MEAN_M, STD_V, STD_M, FILL, ROWS, COLS = (
    range(20, 34))
GAUSSIAN_VECTOR, UNIFORM_VECTOR, GAUSSIAN_MATRIX, UNIFORM_MATRIX = range(34, 38)

_PW_BLOCKSIZE = 128
# An index as unsigned: numba then adds no wraparound (``i + len`` when ``i < 0``) to the access.  Every
# offset here is non-negative, so the element read is the same; without the select an offset + i is affine
# in i, and LLVM vectorises the loops (a Vector op over 10 tasks: ~10x fewer cycles, measured).  Only
# ever at an index: uint64 mixed with int64 in arithmetic gives float64.
_ix = np.uint64


@numba.njit(cache=True, error_model="numpy")
def _block(buf: Any, start: int, n: int) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise sum of at most 128 items (``pairwise_sum`` of numpy/_core/src/umath/loops_utils.h.src)."""
    if n < 8:
        res: float = -0.0
        for i in range(n):
            res += buf[_ix(start + i)]
        return res
    r0, r1, r2, r3 = buf[_ix(start)], buf[_ix(start + 1)], buf[_ix(start + 2)], buf[_ix(start + 3)]
    r4, r5, r6, r7 = buf[_ix(start + 4)], buf[_ix(start + 5)], buf[_ix(start + 6)], buf[_ix(start + 7)]
    i = 8
    while i < n - (n % 8):
        r0 += buf[_ix(start + i)]
        r1 += buf[_ix(start + i + 1)]
        r2 += buf[_ix(start + i + 2)]
        r3 += buf[_ix(start + i + 3)]
        r4 += buf[_ix(start + i + 4)]
        r5 += buf[_ix(start + i + 5)]
        r6 += buf[_ix(start + i + 6)]
        r7 += buf[_ix(start + i + 7)]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += buf[_ix(start + i)]
        i += 1
    return res


@numba.njit(cache=True, error_model="numpy")
def _half(m: int) -> int:  # pragma: no cover - compiled
    half = m // 2
    return half - half % 8


@numba.njit(cache=True, error_model="numpy")
def _pairwise(buf: Any, start: int, n: int) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise sum of ``buf[start:start+n]``: blocks of up to 128 items, above that the sum of
    the two halves (the first a multiple of 8 long), each summed the same way.  Iterative: the
    recursion's tree walked with an explicit stack of pending halves and partial sums."""
    if n <= _PW_BLOCKSIZE:
        return _block(buf, start, n)
    # frames: (start, n, state) with state 0 = not begun, 1 = left half summed (its sum in sums)
    starts = np.empty(64, np.int64)
    sizes = np.empty(64, np.int64)
    states = np.empty(64, np.int64)
    sums = np.empty(64)
    depth = 0
    starts[0], sizes[0], states[0] = start, n, 0
    result = 0.0
    while depth >= 0:
        s0, m, stage = starts[depth], sizes[depth], states[depth]
        half = m // 2
        half -= half % 8
        if m <= _PW_BLOCKSIZE or stage == 2:
            value = _block(buf, s0, m) if m <= _PW_BLOCKSIZE else sums[depth]
            depth -= 1
            if depth < 0:
                result = value
            elif states[depth] == 0:  # a left half done: keep it, go right
                sums[depth] = value
                states[depth] = 1
                starts[depth + 1], sizes[depth + 1], states[depth + 1] = starts[depth] + _half(sizes[depth]), \
                    sizes[depth] - _half(sizes[depth]), 0
                depth += 1
            else:  # a right half done: the parent's sum is complete
                sums[depth] = sums[depth] + value
                states[depth] = 2
        else:  # begin: the left half first
            depth += 1
            starts[depth], sizes[depth], states[depth] = s0, half, 0
    return result


@numba.njit(cache=True, error_model="numpy")
def _sum(buf: Any, start: int, n: int) -> float:  # pragma: no cover - compiled
    """``np.add.reduce`` over ``n`` C-ordered items: the identity, then the pairwise sum."""
    if n <= _PW_BLOCKSIZE:
        return 0.0 + _block(buf, start, n)
    return 0.0 + _pairwise(buf, start, n)


@numba.njit(cache=True, error_model="numpy")
def _binary(op: int, x: float, y: float) -> float:  # pragma: no cover - compiled
    if op == ADD:
        return x + y
    if op == SUB:
        return x - y
    if op == MUL:
        return x * y
    if op == DIV:
        return x / y
    if x != x:  # np.minimum / np.maximum: a NaN operand wins (the first if both)
        return x
    if y != y:
        return y
    if op == MIN:
        return x if x < y else y
    return x if x > y else y  # MAX; on a tie (0.0 and -0.0) the second operand, as NumPy


@numba.njit(cache=True, error_model="numpy")
def _unary(op: int, x: float) -> float:  # pragma: no cover - compiled
    if op == NEG:
        return -x
    if op == ABS:
        return abs(x)
    if op == RECIPROCAL:
        return 1.0 / x
    if op == EXP:
        return math.exp(x)
    if op == LOG:
        return math.log(x)
    if op == SQRT:
        return math.sqrt(x)
    if op == SQUARE:
        return x * x
    if op == SIN:
        return math.sin(x)
    if op == COS:
        return math.cos(x)
    if op == TANH:
        return math.tanh(x)
    if op == SIGMOID:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:  # relu, heaviside, sign: NaN stays NaN
        return x
    if op == RELU:
        return x if x > 0.0 else 0.0
    if op == HEAVISIDE:
        return 1.0 if x > 0.0 else 0.0
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)  # SIGN


@numba.njit(cache=True, error_model="numpy")
def _unary_span(op: int, regs: Any, o: int, oa: int, m: int) -> None:  # pragma: no cover - compiled
    """``regs[o + i] = _unary(op, regs[oa + i])`` for ``i < m``, the case chosen once for the span, not per
    number: the four cases of plain arithmetic get a loop each (these vectorise); the C library's
    functions and relu/heaviside/sign share one loop through :func:`_unary` (a loop for each would
    cost compile time for cases that are a few percent of a run).  Each number by the same operation."""
    if op == NEG:
        for i in range(m):
            regs[_ix(o + i)] = -regs[_ix(oa + i)]
    elif op == ABS:
        for i in range(m):
            regs[_ix(o + i)] = abs(regs[_ix(oa + i)])
    elif op == RECIPROCAL:
        for i in range(m):
            regs[_ix(o + i)] = 1.0 / regs[_ix(oa + i)]
    elif op == SQUARE:
        for i in range(m):
            x = regs[_ix(oa + i)]
            regs[_ix(o + i)] = x * x
    else:
        for i in range(m):
            regs[_ix(o + i)] = _unary(op, regs[_ix(oa + i)])


@numba.njit(cache=True, error_model="numpy")
def _layout(ranks: Any, dim: int, batch: int, shared_from: int, shared_to: int) -> Any:  # pragma: no cover
    """Each register's slot in its body's buffer and its batch stride.  A register holds ``batch``
    values (one per task, or per task and example), each of 1, DIM or DIM*DIM numbers, stored one
    after another; registers ``shared_from`` to ``shared_to`` (the rng, constants, zeros) hold one
    value for the whole batch (stride 0).  Returns (offsets with the buffer's size last, strides)."""
    off = np.empty(ranks.shape[0] + 1, np.int64)
    stride = np.empty(ranks.shape[0], np.int64)
    total = 0
    for r in range(ranks.shape[0]):
        size = 1 if ranks[r] == 0 else (dim if ranks[r] == 1 else dim * dim)
        off[r] = total
        stride[r] = 0 if shared_from <= r < shared_to else size
        total += size if stride[r] == 0 else size * batch
    off[ranks.shape[0]] = total
    return off, stride


@numba.njit(cache=True, error_model="numpy")
def _run(code: Any, ranks: Any, off: Any, stride: Any, kinds: Any, regs: Any, dim: int, batch: int,
         per_task: int, scratch: Any, rng: Any) -> None:  # pragma: no cover - compiled
    """Run a body's instructions over a batch; instruction k writes register ``len(ranks) - len(code) + k``
    (a temporary: ``batch`` values).  A Scalar operand of an elementwise op is broadcast (element stride 0).

    ``kinds``: how each register's value varies over the batch, as NumPy's shapes say it: 0 one value
    for all (a constant: shape ()), 1 one per task (``per_task`` consecutive rows: (T,) in training,
    (T, 1) in validation), 2 one per row ((T, m) in validation).  Values are stored for every row
    anyway; the kind fixes how many numbers a draw takes from ``rng``: one set per distinct value of
    its arguments, in NumPy's C order (:func:`standalone.learner.draw`)."""
    first = ranks.shape[0] - code.shape[0]
    for k in range(code.shape[0]):
        op, a, b = code[k, 0], code[k, 1], code[k, 2]
        out = first + k
        o, n = off[out], stride[out]
        oa, ob, ba, bb = off[a], off[b], stride[a], stride[b]
        kinds[out] = max(kinds[a], kinds[b])
        # Rows that hold one value: computed once, at the first, then copied (as NumPy computes a (T, 1) value once).
        rows = batch if kinds[out] == 0 else (per_task if kinds[out] == 1 else 1)
        if op >= GAUSSIAN_VECTOR:
            if rng is not None:  # None: a program that draws nothing (this code is then not even compiled)
                gauss = op in (GAUSSIAN_VECTOR, GAUSSIAN_MATRIX)
                for g in range(batch // rows):
                    r0 = g * rows
                    av, bv = regs[_ix(oa + r0 * ba)], regs[_ix(ob + r0 * bb)]
                    for e in range(n):
                        value = rng.normal(av, abs(bv)) if gauss else av + (bv - av) * rng.random()
                        for r in range(r0, r0 + rows):
                            regs[_ix(o + r * n + e)] = value
            continue
        if op <= MAX:
            sa = 0 if ranks[a] == 0 else 1
            sb = 0 if ranks[b] == 0 else 1
            if rows == 1 and ba == n and bb == n and (n == 1 or (sa == 1 and sb == 1)):  # no broadcast: flat
                m = batch * n
                if op == ADD:
                    for i in range(m):
                        regs[_ix(o + i)] = regs[_ix(oa + i)] + regs[_ix(ob + i)]
                elif op == SUB:
                    for i in range(m):
                        regs[_ix(o + i)] = regs[_ix(oa + i)] - regs[_ix(ob + i)]
                elif op == MUL:
                    for i in range(m):
                        regs[_ix(o + i)] = regs[_ix(oa + i)] * regs[_ix(ob + i)]
                elif op == DIV:
                    for i in range(m):
                        regs[_ix(o + i)] = regs[_ix(oa + i)] / regs[_ix(ob + i)]
                else:
                    for i in range(m):
                        regs[_ix(o + i)] = _binary(op, regs[_ix(oa + i)], regs[_ix(ob + i)])
                continue
            if n == 1:  # Scalars: one number per row, the op chosen once
                if op == ADD:
                    for t in range(0, batch, rows):
                        regs[_ix(o + t)] = regs[_ix(oa + t * ba)] + regs[_ix(ob + t * bb)]
                elif op == SUB:
                    for t in range(0, batch, rows):
                        regs[_ix(o + t)] = regs[_ix(oa + t * ba)] - regs[_ix(ob + t * bb)]
                elif op == MUL:
                    for t in range(0, batch, rows):
                        regs[_ix(o + t)] = regs[_ix(oa + t * ba)] * regs[_ix(ob + t * bb)]
                elif op == DIV:
                    for t in range(0, batch, rows):
                        regs[_ix(o + t)] = regs[_ix(oa + t * ba)] / regs[_ix(ob + t * bb)]
                else:
                    for t in range(0, batch, rows):
                        regs[_ix(o + t)] = _binary(op, regs[_ix(oa + t * ba)], regs[_ix(ob + t * bb)])
            elif (sa == 0 or sb == 0) and op <= MUL:  # Scalar op Vector (or Matrix): the Scalar read once a row
                for t in range(0, batch, rows):
                    po, pa, pb = o + t * n, oa + t * ba, ob + t * bb
                    if sa == 0:
                        x = regs[_ix(pa)]
                        if op == ADD:
                            for i in range(n):
                                regs[_ix(po + i)] = x + regs[_ix(pb + i)]
                        elif op == SUB:
                            for i in range(n):
                                regs[_ix(po + i)] = x - regs[_ix(pb + i)]
                        else:
                            for i in range(n):
                                regs[_ix(po + i)] = x * regs[_ix(pb + i)]
                    else:
                        y = regs[_ix(pb)]
                        if op == ADD:
                            for i in range(n):
                                regs[_ix(po + i)] = regs[_ix(pa + i)] + y
                        elif op == SUB:
                            for i in range(n):
                                regs[_ix(po + i)] = regs[_ix(pa + i)] - y
                        else:
                            for i in range(n):
                                regs[_ix(po + i)] = regs[_ix(pa + i)] * y
            else:
                for t in range(0, batch, rows):
                    po, pa, pb = o + t * n, oa + t * ba, ob + t * bb
                    if op == ADD:
                        for i in range(n):
                            regs[_ix(po + i)] = regs[_ix(pa + i * sa)] + regs[_ix(pb + i * sb)]
                    elif op == SUB:
                        for i in range(n):
                            regs[_ix(po + i)] = regs[_ix(pa + i * sa)] - regs[_ix(pb + i * sb)]
                    elif op == MUL:
                        for i in range(n):
                            regs[_ix(po + i)] = regs[_ix(pa + i * sa)] * regs[_ix(pb + i * sb)]
                    else:
                        for i in range(n):
                            regs[_ix(po + i)] = _binary(op, regs[_ix(pa + i * sa)], regs[_ix(pb + i * sb)])
        elif op <= SIGN:
            if rows == 1 and ba == n:  # one flat span
                _unary_span(op, regs, o, oa, batch * n)
                continue
            for t in range(0, batch, rows):
                _unary_span(op, regs, o + t * n, oa + t * ba, n)
        elif op == DOT and dim < 8:  # a sum of fewer than 8 items: NumPy's (-0.0 + each in turn, then 0.0 +)
            for t in range(0, batch, rows):
                pa, pb = oa + t * ba, ob + t * bb
                acc = -0.0
                for i in range(dim):
                    acc += regs[_ix(pa + i)] * regs[_ix(pb + i)]
                regs[_ix(o + t * n)] = 0.0 + acc
        elif op == MATMUL_MV and dim < 8:  # the same sum per row
            for t in range(0, batch, rows):
                po, pa, pb = o + t * n, oa + t * ba, ob + t * bb
                for e in range(dim):
                    acc = -0.0
                    for j in range(dim):
                        acc += regs[_ix(pa + e * dim + j)] * regs[_ix(pb + j)]
                    regs[_ix(po + e)] = 0.0 + acc
        else:
            m = 1 if ranks[a] == 0 else (dim if ranks[a] == 1 else dim * dim)  # the first operand's size
            for t in range(0, batch, rows):
                po, pa, pb = o + t * n, oa + t * ba, ob + t * bb
                if op in (DOT, MATMUL_MV, MATMUL_MM, NORM_V, NORM_M, MEAN_V, MEAN_M, STD_V, STD_M):
                    for e in range(n):  # each output number: the items to sum into scratch, then one sum
                        count = dim
                        if op == DOT:
                            for i in range(dim):
                                scratch[i] = regs[_ix(pa + i)] * regs[_ix(pb + i)]
                        elif op == MATMUL_MV:
                            for j in range(dim):
                                scratch[j] = regs[_ix(pa + e * dim + j)] * regs[_ix(pb + j)]
                        elif op == MATMUL_MM:
                            row, col = e // dim, e % dim
                            for j in range(dim):
                                scratch[j] = regs[_ix(pa + row * dim + j)] * regs[_ix(pb + j * dim + col)]
                        elif op == NORM_V or op == NORM_M:  # noqa: SIM109 (compiled: plain comparisons)
                            count = m
                            for i in range(m):
                                scratch[i] = regs[_ix(pa + i)] * regs[_ix(pa + i)]
                        else:  # mean, std: the values themselves
                            count = m
                            for i in range(m):
                                scratch[i] = regs[_ix(pa + i)]
                        total = _sum(scratch, 0, count)
                        if op == NORM_V or op == NORM_M:  # noqa: SIM109
                            total = math.sqrt(total)
                        elif op == MEAN_V or op == MEAN_M:  # noqa: SIM109
                            total = total / m
                        elif op == STD_V or op == STD_M:  # noqa: SIM109  (np.std: deviations from the mean)
                            mean = total / m
                            for i in range(m):
                                d = regs[_ix(pa + i)] - mean
                                scratch[i] = d * d
                            total = math.sqrt(_sum(scratch, 0, m) / m)
                        regs[_ix(po + e)] = total
                elif op == OUTER:
                    for i in range(dim):
                        for j in range(dim):
                            regs[_ix(po + i * dim + j)] = regs[_ix(pa + i)] * regs[_ix(pb + j)]
                elif op == TRANSPOSE:
                    for i in range(dim):
                        for j in range(dim):
                            regs[_ix(po + i * dim + j)] = regs[_ix(pa + j * dim + i)]
                elif op == FILL:
                    for i in range(dim):
                        regs[_ix(po + i)] = regs[_ix(pa)] * 1.0
                elif op == ROWS:
                    for i in range(dim):
                        for j in range(dim):
                            regs[_ix(po + i * dim + j)] = regs[_ix(pa + j)]
                else:  # COLS
                    for i in range(dim):
                        for j in range(dim):
                            regs[_ix(po + i * dim + j)] = regs[_ix(pa + i)]
        if rows > 1:
            for g in range(0, batch, rows):
                for r in range(g + 1, g + rows):
                    for i in range(n):
                        regs[_ix(o + r * n + i)] = regs[_ix(o + g * n + i)]


@numba.njit(cache=True, error_model="numpy")
def _body(code: Any, ranks: Any, consts: Any, n_inputs: int, dim: int, batch: int) -> Any:  # pragma: no cover
    """A body's buffer for ``batch`` values, its constants written (zeros are zero), with its layout and
    its registers' kinds (all 0: the driver sets its inputs')."""
    n_zeros = ranks.shape[0] - code.shape[0] - n_inputs - consts.shape[0]
    off, stride = _layout(ranks, dim, batch, n_inputs - 1, n_inputs + consts.shape[0] + n_zeros)
    regs = np.zeros(off[-1])
    for c in range(consts.shape[0]):
        regs[off[n_inputs + c]] = consts[c]
    return regs, off, stride, np.zeros(ranks.shape[0], np.int64)


@numba.njit(cache=True, error_model="numpy")
def decoded(encoding: Any, n_results: int) -> Any:  # pragma: no cover - compiled
    """A body's :attr:`fastpath.Body.encoding` (``[n, *n rows of 3, *ranks, *n_results result registers]``)
    as (code (n, 3), ranks, result registers), views of it; an empty encoding (no setup) as three empty arrays."""
    end = encoding.shape[0]
    if end == 0:
        return encoding.reshape((0, 3)), encoding, encoding
    n = encoding[0]
    return encoding[1:1 + 3 * n].reshape((n, 3)), encoding[1 + 3 * n:end - n_results], encoding[end - n_results:]


@numba.njit(cache=True, error_model="numpy")
def learner_kernel(setup: Any, s_consts: Any, predict: Any, p_consts: Any, learn: Any, l_consts: Any,
                   state_ranks: Any, x_train: Any, y_train: Any, x_val: Any,
                   classify: bool, max_error: float, rng: Any, start: int, carry: Any) -> Any:  # pragma: no cover
    """Train every task online and predict its validation examples, as
    :func:`standalone.learner.learner_predictions` does: each step runs over all tasks at once.

    ``setup``/``predict``/``learn``: each body's :attr:`fastpath.Body.encoding` (:func:`decoded`: its
    code (:mod:`opcodes`), registers' ranks and result registers: setup and learn one per memory item,
    predict one; setup's empty when there is none), its inputs numbered as :func:`fastpath.linearise`
    numbers them (setup: rng; predict: the memory, x, rng; learn: the memory, x, y, p, rng);
    ``*_consts``: its constants; ``state_ranks``: the memory items' ranks (0 Scalar, 1 Vector, 2
    Matrix).  Few arguments, as numba's unboxing of each is a call's fixed cost.
    ``x_train`` (T, n, F), ``y_train`` (T, n), ``x_val`` (T, m, F), C-contiguous
    float64; ``rng``: the ``numpy.random.Generator`` the draws take from (setup's, then each step's
    predict and learn, then validation's, as the NumPy loop draws); None for a program drawing nothing.
    ``start`` and ``carry`` (``float64``, empty for neither): with ``start`` 0 and a ``carry`` of the
    memory's size plus one number per memory item, the memory and its items' kinds after the last
    training step are written there (before validation); with ``start`` > 0, training begins at step
    ``start`` from the memory and kinds ``carry`` holds (setup is not run): what a run of the same
    program on the first ``start`` examples of the same tasks wrote (the same numbers, as the steps
    before ``start`` read nothing else; a program that draws has no carry: its generator moved on).
    Returns (validation predictions (T, m), the first diverging step (1-based; n + 1 when none), the
    largest error at that step, whether one was not finite); the predictions are valid only when no
    step diverged.
    """
    n_tasks, n_train, dim = x_train.shape
    n_val = x_val.shape[1]
    n_state = state_ranks.shape[0]
    has_setup = setup.shape[0] > 0
    s_code, s_ranks, s_result = decoded(setup, n_state)
    p_code, p_ranks, p_results = decoded(predict, 1)
    p_result = p_results[0]
    l_code, l_ranks, l_result = decoded(learn, n_state)
    scratch = np.zeros(dim * dim)
    # The memory, as the first registers of predict and learn hold it: item k for every task, in turn.
    st_off, st_stride = _layout(state_ranks, dim, n_tasks, 0, 0)
    n_mem = st_off[-1]
    state = np.zeros(n_mem)
    if start > 0:  # carried over: the memory and its kinds after step ``start`` of the same tasks
        for q in range(n_mem):
            state[q] = carry[q]
    elif has_setup:  # setup reads no data: one start, broadcast to every task
        s_regs, s_off, s_stride, s_kinds = _body(s_code, s_ranks, s_consts, 1, dim, 1)
        _run(s_code, s_ranks, s_off, s_stride, s_kinds, s_regs, dim, 1, 1, scratch, rng)
        for k in range(n_state):
            size = st_stride[k]
            src = s_off[s_result[k]]
            for t in range(n_tasks):
                for q in range(size):
                    state[st_off[k] + t * size + q] = s_regs[src + q]
    # One buffer for training: the memory (as ``state`` holds it), x_train and y_train step-major (step i's
    # x of every task one after another: the registers' own layout), the p learn is given, then predict's
    # and learn's own registers (rng, constants, temporaries).  Each step moves only its x and y windows
    # (offsets) and copies learn's results into the memory.
    p_off, p_stride = _layout(p_ranks, dim, n_tasks, n_state + 1, p_ranks.shape[0] - p_code.shape[0])
    l_off, l_stride = _layout(l_ranks, dim, n_tasks, n_state + 3, l_ranks.shape[0] - l_code.shape[0])
    x_at = n_mem
    y_at = x_at + n_tasks * n_train * dim
    p_in = y_at + n_tasks * n_train
    p_base = p_in + n_tasks
    l_base = p_base + p_off[-1]
    regs = np.zeros(l_base + l_off[-1])
    for r in range(p_off.shape[0]):
        p_off[r] += p_base
    for r in range(l_off.shape[0]):
        l_off[r] += l_base
    for k in range(n_state):  # the memory: read where it is held
        p_off[k], l_off[k] = st_off[k], st_off[k]
    l_off[n_state + 2] = p_in  # p (x, y and p: strides as laid out, dim and 1)
    at = x_at + start * n_tasks * dim  # (the steps before ``start`` are not run: their windows never read)
    for i in range(start, n_train):
        for t in range(n_tasks):
            for q in range(dim):
                regs[_ix(at)] = x_train[t, i, q]
                at += 1
            regs[_ix(y_at + i * n_tasks + t)] = y_train[t, i]
    for q in range(n_mem):
        regs[q] = state[q]
    for c in range(p_consts.shape[0]):
        regs[_ix(p_off[n_state + 2 + c])] = p_consts[c]
    for c in range(l_consts.shape[0]):
        regs[_ix(l_off[n_state + 4 + c])] = l_consts[c]
    p_kinds = np.zeros(p_ranks.shape[0], np.int64)
    l_kinds = np.zeros(l_ranks.shape[0], np.int64)
    # The memory's kinds: per task after setup (broadcast) or zeros; a learn may make an item one value.
    state_kinds = np.ones(n_state, np.int64)
    if start > 0:
        for k in range(n_state):
            state_kinds[k] = int(carry[n_mem + k])
    p_kinds[n_state] = 1  # x
    l_kinds[n_state] = 1  # x
    l_kinds[n_state + 1] = 1  # y
    p_at, p_step = p_off[p_result], p_stride[p_result]
    # A learn whose results include memory items out of place (a swap): its results staged before they land.
    staged = False
    for k in range(n_state):
        if l_result[k] < n_state and l_result[k] != k:
            staged = True
    new_state = np.zeros(n_mem if staged else 0)
    for i in range(start, n_train):
        p_off[n_state] = l_off[n_state] = x_at + i * n_tasks * dim
        l_off[n_state + 1] = y_at + i * n_tasks
        for k in range(n_state):  # (an element loop: a slice assignment costs more than these steps)
            p_kinds[k] = state_kinds[k]
        _run(p_code, p_ranks, p_off, p_stride, p_kinds, regs, dim, n_tasks, 1, scratch, rng)
        worst = 0.0
        nonfinite = False
        diverged = False
        for t in range(n_tasks):
            value = regs[_ix(p_at + t * p_step)]
            if classify:
                value = 1.0 / (1.0 + math.exp(-value))
            regs[_ix(p_in + t)] = value
            error = abs(value - y_train[t, i])
            if not error <= max_error:  # NaN compares False: caught here too
                diverged = True
                if error != error or error == math.inf:
                    nonfinite = True
                elif error > worst:
                    worst = error
        if diverged:
            return np.zeros((n_tasks, n_val)), i + 1, worst, nonfinite
        for k in range(n_state):
            l_kinds[k] = state_kinds[k]
        l_kinds[n_state + 2] = p_kinds[p_result]
        _run(l_code, l_ranks, l_off, l_stride, l_kinds, regs, dim, n_tasks, 1, scratch, rng)
        target = new_state if staged else regs
        for k in range(n_state):
            state_kinds[k] = l_kinds[l_result[k]]
            size = st_stride[k]
            src, step = l_off[l_result[k]], l_stride[l_result[k]]
            if src != st_off[k] or step != size:  # (learn's result is this item unchanged: nothing to copy)
                for t in range(n_tasks):
                    for q in range(size):
                        target[_ix(st_off[k] + t * size + q)] = regs[_ix(src + t * step + q)]
            elif staged:
                for q in range(size * n_tasks):
                    target[_ix(st_off[k] + q)] = regs[_ix(src + q)]
        if staged:
            for q in range(n_mem):
                regs[q] = new_state[q]
    for q in range(n_mem):
        state[q] = regs[q]
    if start == 0 and carry.shape[0] == n_mem + n_state:  # the memory and kinds handed on (see ``carry``)
        for q in range(n_mem):
            carry[q] = state[q]
        for k in range(n_state):
            carry[n_mem + k] = state_kinds[k]
    # Validation: each task's examples at once, with its final memory (a program that draws: every task's
    # at once, its draws in NumPy's order over the whole (T, m) batch).  Task by task, the registers take
    # m values, not T * m: they stay in the cache (T * m values each, ~100 KB a register at AutoML-Zero's
    # size, cost more in memory traffic and page faults than the arithmetic); each number is computed
    # by the same operations either way.
    chunk = n_val if rng is None else n_tasks * n_val
    per_chunk = chunk // n_val  # tasks in a chunk
    v_regs, v_off, v_stride, v_kinds = _body(p_code, p_ranks, p_consts, n_state + 2, dim, chunk)
    pred = np.empty((n_tasks, n_val))
    xv = x_val.reshape(-1)  # (T, m, F) in C order: the register's layout
    one_task = per_chunk == 1
    if one_task:  # a chunk is one task: its memory is one value for all its rows, held once (stride 0, as a
        for k in range(n_state):  # constant's); every read of it reads that value, as each row's copy held it
            v_stride[k] = 0
    for t0 in range(0, n_tasks, per_chunk):
        for k in range(n_state):  # the memory broadcast over each task's examples: (T, 1, ...)
            v_kinds[k] = 1
        v_kinds[n_state] = 2  # x: (T, m, F)
        for k in range(n_state):
            size = st_stride[k]
            if one_task:
                for q in range(size):
                    v_regs[_ix(v_off[k] + q)] = state[_ix(st_off[k] + t0 * size + q)]
                continue
            for t in range(t0, t0 + per_chunk):
                for j in range(n_val):
                    for q in range(size):
                        v_regs[_ix(v_off[k] + ((t - t0) * n_val + j) * size + q)] = state[_ix(st_off[k] + t * size + q)]
        at, first = v_off[n_state], t0 * n_val * dim
        for q in range(chunk * dim):
            v_regs[_ix(at + q)] = xv[_ix(first + q)]
        _run(p_code, p_ranks, v_off, v_stride, v_kinds, v_regs, dim, chunk, n_val, scratch, rng)
        at, step = v_off[p_result], v_stride[p_result]
        for t in range(t0, t0 + per_chunk):
            for j in range(n_val):
                pred[t, j] = v_regs[_ix(at + ((t - t0) * n_val + j) * step)]
    return pred, n_train + 1, 0.0, False


@numba.njit(cache=True, error_model="numpy")
def regression_errors(pred: Any, y_val: Any, relative: bool) -> Any:  # pragma: no cover - compiled
    """What :func:`fastpath.learner_metrics` computes of a regression learner's validation predictions
    ``pred`` (T, m) and targets ``y_val`` (T, m), both C-ordered ``float64``, in one call and by the same
    IEEE operations in the same order as its NumPy calls: (``np.abs(pred).max()`` (NaN when one is NaN),
    the validation MSE ``np.add.reduce(per_task) / T``, and ``sqrt`` of each task's error (T,): its MSE,
    or with ``relative`` that over ``np.maximum(np.add.reduce(y * y) / m, 1e-12)``), each task's MSE being
    ``np.add.reduce((pred - y) ** 2, axis=-1) / m`` (the pairwise sums of :func:`_sum`).  The arctangent of
    the squashed fitness is left to NumPy (its SIMD ``arctan`` and the C library's differ in the last bits)."""
    n_tasks, n_val = pred.shape
    worst = 0.0
    for t in range(n_tasks):
        for j in range(n_val):
            a = abs(pred[t, j])
            if a > worst or a != a:  # a NaN stays (no later value compares above it)
                worst = a
    items = np.empty(n_val)
    per_task = np.empty(n_tasks)
    root = np.empty(n_tasks)
    for t in range(n_tasks):
        for j in range(n_val):
            d = pred[t, j] - y_val[t, j]
            items[j] = d * d
        per_task[t] = _sum(items, 0, n_val) / n_val
        error = per_task[t]
        if relative:
            for j in range(n_val):
                items[j] = y_val[t, j] * y_val[t, j]
            error = error / _binary(MAX, _sum(items, 0, n_val) / n_val, 1e-12)
        root[t] = math.sqrt(error)
    return worst, _sum(per_task, 0, n_tasks) / n_tasks, root


def validation_errors(pred: Any, y_val: Any, relative: bool) -> tuple[float, float, Any]:
    """:func:`regression_errors` of ``pred`` and ``y_val`` as the loop's arrays hold them (any float
    dtype: the task's targets converted once, :func:`_as_float`)."""
    run: Any = regression_errors  # numba's Dispatcher: its __call__ is untyped
    return run(np.ascontiguousarray(pred, dtype=np.float64), _as_float(y_val), relative)  # type: ignore[no-any-return]


_F64: dict[int, tuple[Any, Any]] = {}  # id(array) -> (the array, its float64 C-ordered copy): the task's, reused


def _as_float(array: Any) -> Any:
    """``array`` as a C-ordered ``float64`` array: itself when it is one, else a copy, kept for the
    next call with the same array (a run's task arrays are converted once, not per candidate)."""
    if isinstance(array, np.ndarray) and array.dtype == np.float64 and array.flags.c_contiguous:
        return array
    held = _F64.get(id(array))
    if held is not None and held[0] is array:
        return held[1]
    converted = np.ascontiguousarray(array, dtype=np.float64)
    if len(_F64) >= 16:
        _F64.clear()
    _F64[id(array)] = (array, converted)
    return converted


# No setup: an empty encoding, read-only as a body's is, so that numba compiles one specialisation for both.
_NO_SETUP = np.zeros(0, np.int64)
_NO_SETUP.flags.writeable = False
_EMPTY = np.zeros(0)
_RANK = {"Scalar": 0, "Vector": 1, "Matrix": 2}


def encoded(methods: Any, state_types: tuple[str, ...]) -> tuple[tuple[Any, ...], bool] | None:
    """The kernel's arguments for a learner's bodies (:class:`fastpath.Body` by method: each body's
    ``encoding`` and ``consts``, then the memory's ranks) and whether it draws random numbers, or None
    when a body has no encoding or its results do not fit the memory (then the NumPy path scores it)."""
    memory = _memory(state_types)
    if memory is None:
        return None
    ranks, state_ranks = memory
    args: list[Any] = []
    draws = False
    for kind in ("setup", "predict", "learn"):
        body = methods.get(kind)
        if body is None:
            if kind != "setup":
                return None
            args += (_NO_SETUP, _EMPTY)
            continue
        if body.encoding is None or body.consts is None or body.result_ranks is None:
            return None
        if body.result_ranks != (ranks if kind != "predict" else (0,)):
            return None
        draws = draws or body.draws
        args += (body.encoding, body.consts)
    return (*args, state_ranks), draws


_MEMORY: dict[tuple[str, ...], Any] = {}


def _memory(state_types: tuple[str, ...]) -> tuple[tuple[int, ...], Any] | None:
    """A memory's ranks, and the ranks as an array (made once per memory, shared: the kernel never
    writes it; writable, as warm()'s, for one specialisation), or None: a type the kernel lacks."""
    made = _MEMORY.get(state_types)
    if made is None and state_types not in _MEMORY:
        ranks = tuple(_RANK.get(t, -1) for t in state_types)
        if -1 not in ranks:
            made = (ranks, np.array(ranks, np.int64))
        _MEMORY[state_types] = made
    return made


def predictions(data: dict[str, Any], program: tuple[tuple[Any, ...], bool], max_error: float,
                seed: int = 0, start: int = 0, carry: Any = _EMPTY) -> tuple[Any, int, float, bool]:
    """The kernel on ``data`` (the learner loop's dict of arrays) for ``program`` (:func:`encoded`),
    its draws from ``numpy.random.default_rng(seed)`` as the NumPy loop's (a program that draws nothing
    is given None: numba then compiles, loads and unboxes no generator): (validation predictions
    (T, m), the first diverging step or n + 1, the largest error there, whether one was not finite).
    ``start`` and ``carry`` (a ``float64`` array of :func:`carry_size`): the memory handed on from a run
    on the first ``start`` training examples, or (``start`` 0) to write it to; see :func:`learner_kernel`."""
    args, draws = program
    run: Any = learner_kernel  # numba's Dispatcher: its __call__ is untyped
    return run(*args, *_task_args(data), float(max_error),  # type: ignore[no-any-return]
               np.random.default_rng(seed) if draws else None, start, carry)  # (numba boxes the scalars)


def carry_size(program: tuple[tuple[Any, ...], bool], data: dict[str, Any]) -> int:
    """The numbers :func:`learner_kernel`'s ``carry`` holds for ``program`` on ``data``'s tasks: each
    memory item's values for every task (1, F or F*F numbers a task), then one kind per item."""
    state_ranks = program[0][6]  # one array per memory's types (_memory): few, and each held below
    n_tasks, _, dim = data["x_train"].shape
    key = (id(state_ranks), n_tasks, dim)
    held = _CARRY.get(key)
    if held is None or held[0] is not state_ranks:
        if len(_CARRY) >= 4096:
            _CARRY.clear()
        sizes = (1, int(dim), int(dim) * int(dim))
        held = _CARRY[key] = (state_ranks, int(n_tasks) * sum(sizes[int(r)] for r in state_ranks) + len(state_ranks))
    return held[1]


# carry_size by (the memory's ranks array, tasks, features), the array held (its id not reused while kept)
_CARRY: dict[tuple[int, int, int], tuple[Any, int]] = {}


# The kernel's task arguments by the arrays they were made of (held, so an id is not reused while kept):
# a run's probe data and task data alternate, so both stay.
_TASKS: dict[tuple[int, int, int, bool], tuple[Any, tuple[Any, Any, Any, bool]]] = {}


def _task_args(data: dict[str, Any]) -> tuple[Any, Any, Any, bool]:
    """The kernel's task arguments of ``data``: x_train, y_train, x_val as C-ordered float64, and whether
    it classifies; made once for the same arrays (:func:`_as_float`'s copies, kept)."""
    arrays = (data["x_train"], data["y_train"], data["x_val"])
    classify = bool(data.get("classification", False))
    key = (id(arrays[0]), id(arrays[1]), id(arrays[2]), classify)
    held = _TASKS.get(key)
    if held is not None:
        return held[1]
    made = (_as_float(arrays[0]), _as_float(arrays[1]), _as_float(arrays[2]), classify)
    if len(_TASKS) >= 4:  # a fresh task per candidate: no reuse to keep
        _TASKS.clear()
    _TASKS[key] = (arrays, made)
    return made


def warm() -> None:
    """Compile (or load from numba's cache) the kernel's two specialisations, for learners that draw
    and learners that do not, on a one-task learner ``predict = dot(w, x)``, ``learn = w``: what the
    first learner of a process would otherwise wait for.  The learner regime's kernel (``Regime.kernels``): the
    formulas' are :func:`formula_kernel.warm`'s (``regimes.warm_kernels`` warms both, as CI does first)."""
    predict = _encoding([DOT, 0, 1], [1, 1, 0, 0], 3)  # registers: w, x, rng, dot(w, x)
    learn = _encoding([], [1, 1, 0, 0, 0], 0)  # w, x, y, p, rng: w unchanged
    program = (_NO_SETUP, _EMPTY, predict, np.zeros(0), learn, np.zeros(0), np.ones(1, np.int64))
    data = {"x_train": np.ones((1, 2, 2)), "y_train": np.zeros((1, 2)), "x_val": np.ones((1, 2, 2))}
    run: Any = learner_kernel
    for rng in (None, np.random.default_rng(0)):
        run(*program, data["x_train"], data["y_train"], data["x_val"], False, 100.0, rng, 0, _EMPTY)
    for relative in (False, True):
        validation_errors(np.zeros((1, 2)), np.ones((1, 2)), relative)


def _encoding(code: list[int], ranks: list[int], *results: int) -> Any:
    """A body's encoding as :func:`fastpath.linearise` makes it (read-only; see :func:`decoded`): for :func:`warm`."""
    encoding = np.array([len(code) // 3, *code, *ranks, *results], np.int64)
    encoding.flags.writeable = False
    return encoding
