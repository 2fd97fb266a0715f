"""Compiled formulas: a formula evaluated on all its points, and its constants fitted, in one
numba-compiled call each.

A formula candidate is evaluated on its points for its FEC probe, and with constant fitting on
(:mod:`~mlevolve.interpreter.fit`) up to twenty more times inside Levenberg-Marquardt (trial steps,
and Jacobians by forward-mode automatic differentiation); both run here.  (Its score, on the
training and test points, stays on the NumPy path, which ``mlevolve run`` and an export reproduce
bit for bit.)  On the NumPy fast path each evaluation costs one NumPy call
per instruction (~1 µs each on a few dozen points) and each LM step a few dozen more for its
reductions, the normal equations and the linear solve, so fitting took ~2 ms a candidate.  Here a
formula's linearised body (:class:`fastpath.Body`, already encoded as ``[opcode, a, b]`` rows for the
learner kernel, :mod:`~mlevolve.interpreter.opcodes`) runs over a register file of one row of
points per register, and :func:`fit_numbers` runs the whole fit (the starting point, every LM step
and Jacobian, the final linear scaling) without returning to Python.  A Jacobian is one pass,
:func:`_forward`: each instruction's values, then its tangents (``(registers, p, n)``, a literal's
register its own unit row) by the chain rule with :func:`_partials`, the rules of
:data:`derivatives.DERIVATIVES` transcribed (the same IEEE operations, strong zeros), skipping the
instructions no literal reaches; then through the scaling as ``fit.scaled_jacobian``; then the
columns ``fit.needs_difference`` picks are replaced by finite differences (:func:`_differences`).
A weighted fit (a formula data file's ``weight=``, ``SymbolicRegressor.fit``'s ``sample_weight``) runs
here too, through the same functions: its weights an array, empty for an unweighted fit (the reference's
``w=None``: the operations it ran before weights, with no multiplication by ones), so one compiled
signature serves both.

What it takes: a body whose every register is a Scalar and whose every instruction is an
elementwise opcode (``add`` ... ``sign``), which is every formula of the base grammar; anything else
(a grammar's own primitive) stays on the NumPy path.

Numbers. The fit here is the reference loop of :func:`fit.levenberg_marquardt` and
:func:`fit.fit_formula` operation for operation: the same IEEE operations in the same order, NumPy's
reductions as NumPy sums them (``np.add.reduce`` of a 1-D array: ``0.0`` plus the pairwise sum,
:func:`kernel._sum`; ``(n, p, p).sum(axis=0)`` and ``(n, p).sum(axis=0)``: rows added in turn to
``0.0``, except that for ``p = 1`` NumPy sees one contiguous axis and sums it pairwise), the linear
solve and the step control in the same double arithmetic as the Python floats there (``x ** 3`` as
the C library's ``pow``). The Jacobian likewise (:func:`fit.forward_tangents`,
:func:`fit.scaled_jacobian`: partials, chain-rule terms and sums in the same order; the Jacobian
laid out C-ordered in both, so ``J^T J`` adds its rows in turn). So the fitted literals, the scaling
and the count of evaluations are the reference's bit for bit, *except* through the transcendental
opcodes: ``exp``, ``log``, ``sin``, ``cos``, ``tanh`` (and ``sigmoid``; and the derivatives of
``sin`` and ``cos``, ``cos`` and ``-sin``) call the C library here and NumPy's SIMD code there, up
to a few ulp apart (see :mod:`~mlevolve.interpreter.kernel`), and an LM trajectory, a chain of
accept/reject decisions, can amplify those ulps into another local optimum.
``tests/interpreter/test_formula_kernel.py`` holds both: bit-identical values and fits with the C
library's functions swapped into the NumPy path, and values within a relative 1e-9 of NumPy's own
for nearly every formula (each transcendental is within 4 ulp, ``tests/interpreter/test_kernel.py``;
a chain of operations can amplify that). Each path is deterministic; ``MLEVOLVE_NO_JIT=1`` selects
the NumPy path, the reference.

Compile time (a fresh install's first formula run compiles these, then loads them from numba's cache).  numba
compiles each ``njit`` function as a library of its own and links it, LLVM-compiled again, into each caller's:
a helper called from one place only is ``inline="always"`` (no library of its own), while a helper called from
several places stays a function (inlined, each copy would be typed again: all of them inlined took the warm-up
from 15 to 25 CPU seconds).  No array slice copies or array expressions (``regs[:n] = x``, ``theta + step``):
loops, the same operations, since a slice copy compiles numba's shape-mismatch message (its string functions),
about 4 CPU seconds.  Stop 66 in ``benchmarks/RESULTS.md`` has the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numba
import numpy as np

from mlevolve.interpreter import kernel as _k
from mlevolve.interpreter.kernel import ADD, DIV, MAX, MIN, MUL, SIGN, SUB, _binary, _sum, _unary

NEG, ABS, RECIPROCAL, EXP, LOG, SQRT, SQUARE = _k.NEG, _k.ABS, _k.RECIPROCAL, _k.EXP, _k.LOG, _k.SQRT, _k.SQUARE
SIN, COS, TANH, SIGMOID, HEAVISIDE = _k.SIN, _k.COS, _k.TANH, _k.SIGMOID, _k.HEAVISIDE

if TYPE_CHECKING:
    from mlevolve.interpreter.fastpath import Body

_BAD = 1e100  # as fit._BAD: a residual standing for a non-finite output
_EPS = 2.220446049250313e-16  # as fit.EPS
_LEAST_NORMAL = 2.2250738585072014e-308  # as fit.LEAST_NORMAL
_FD_STEP = 1.4901161193847656e-08  # as fit.FD_STEP
ELEMENTWISE_LAST = SIGN  # opcodes 0..SIGN are elementwise (binary up to MAX, then unary)


@numba.njit(cache=True, error_model="numpy")
def _step(op: int, a: int, b: int, out: int, regs: Any, n: int) -> None:  # pragma: no cover - compiled
    """One instruction: row ``out`` of ``regs`` from rows ``a`` and ``b`` (one row of ``n`` points per
    register); the four arithmetic ops in loops of their own (no dispatch per point)."""
    if op == ADD:
        for i in range(n):
            regs[out, i] = regs[a, i] + regs[b, i]
    elif op == SUB:
        for i in range(n):
            regs[out, i] = regs[a, i] - regs[b, i]
    elif op == MUL:
        for i in range(n):
            regs[out, i] = regs[a, i] * regs[b, i]
    elif op == DIV:
        for i in range(n):
            regs[out, i] = regs[a, i] / regs[b, i]
    elif op <= MAX:
        for i in range(n):
            regs[out, i] = _binary(op, regs[a, i], regs[b, i])
    else:
        for i in range(n):
            regs[out, i] = _unary(op, regs[a, i])


@numba.njit(cache=True, error_model="numpy", inline="always")
def _run(code: Any, first: int, regs: Any, n: int) -> None:  # pragma: no cover - compiled
    """Instruction ``k`` of ``code`` writes row ``first + k`` of ``regs`` (one row of ``n`` points per register)."""
    for k in range(code.shape[0]):
        _step(code[k, 0], code[k, 1], code[k, 2], first + k, regs, n)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _partials(op: int, a: float, b: float, v: float) -> Any:  # pragma: no cover - compiled
    """``(d op / d a, d op / d b)`` at arguments ``a``, ``b`` and value ``v``: the rules of
    :data:`derivatives.DERIVATIVES`, the same IEEE operations (the second 0.0 for a unary op)."""
    if op == ADD:
        return 1.0, 1.0
    if op == SUB:
        return 1.0, -1.0
    if op == MUL:
        return b, a
    if op == DIV:
        return 1.0 / b, -v / b
    if op == MIN:
        return (1.0, 0.0) if a < b else (0.0, 1.0)
    if op == MAX:
        return (1.0, 0.0) if a > b else (0.0, 1.0)
    if op == NEG:
        return -1.0, 0.0
    if op == RECIPROCAL:
        return -(v * v), 0.0
    if op == EXP:
        return v, 0.0
    if op == LOG:
        return 1.0 / a, 0.0
    if op == SQRT:
        return 0.5 / v, 0.0
    if op == SQUARE:
        return 2.0 * a, 0.0
    if op == SIN:
        return math.cos(a), 0.0
    if op == COS:
        return -math.sin(a), 0.0
    if op == TANH:
        return 1.0 - v * v, 0.0
    if op == SIGMOID:
        return v * (1.0 - v), 0.0
    if op in (HEAVISIDE, SIGN):
        return 0.0, 0.0
    if a != a:  # abs (np.sign), relu (np.heaviside): NaN stays NaN
        return a, 0.0
    if op == ABS:
        return (1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0)), 0.0
    return (1.0 if a > 0.0 else 0.0), 0.0  # RELU


@numba.njit(cache=True, error_model="numpy", inline="always")
def _term(partial: float, tangent: float) -> float:  # pragma: no cover - compiled
    """:func:`derivatives.term`: ``partial * tangent``, 0 where either is 0 (strong zeros)."""
    return partial * tangent if tangent != 0.0 and partial != 0.0 else 0.0


@numba.njit(cache=True, error_model="numpy", inline="always")
def _forward(code: Any, first: int, regs: Any, tangents: Any, active: Any, reach: Any, lost: Any,
             n: int) -> None:  # pragma: no cover - compiled
    """:func:`_run` with tangents, in one pass (:func:`fit.forward_tangents`): each instruction's values,
    then, when an operand is ``active`` (a literal reaches it), its tangents ``tangents[out, j, i]`` by
    the chain rule and ``lost[out, j]``: whether a value that literal ``j`` reaches (``reach[out, j]``)
    was not finite on some point; an inactive register's stay the zeros and False they were made."""
    p = tangents.shape[1]
    for k in range(code.shape[0]):
        op, a, b, out = code[k, 0], code[k, 1], code[k, 2], first + k
        _step(op, a, b, out, regs, n)
        if not active[out]:
            continue
        bad = not _finite(regs[out])
        for j in range(p):
            lost[out, j] = lost[a, j] or lost[b, j] or (reach[out, j] and bad)
        unary = op > MAX
        for i in range(n):
            da, db = _partials(op, regs[a, i], regs[b, i], regs[out, i])
            for j in range(p):
                t = _term(da, tangents[a, j, i])
                if not unary:
                    t = t + _term(db, tangents[b, j, i])
                tangents[out, j, i] = t


@numba.njit(cache=True, error_model="numpy", inline="always")
def _registers(code: Any, consts: Any, x: Any) -> Any:  # pragma: no cover - compiled
    """A register file: the inputs' rows (``x``: (inputs, n)), each constant's row, then the temporaries'."""
    n_in, n = x.shape[0], x.shape[1]
    first = n_in + consts.shape[0]
    regs = np.empty((first + code.shape[0], n))
    for r in range(n_in):  # (loops, not regs[:n_in] = x: numba's slice copy compiles a shape-error message, ~4 s)
        for i in range(n):
            regs[r, i] = x[r, i]
    for c in range(consts.shape[0]):
        regs[n_in + c, :] = consts[c]
    return regs


@numba.njit(cache=True, error_model="numpy")
def evaluate(code: Any, consts: Any, result: int, x: Any) -> Any:  # pragma: no cover - compiled
    """The formula's value on every point: (n,) float64 from ``x`` (inputs, n) C-ordered."""
    regs = _registers(code, consts, x)
    _run(code, x.shape[0] + consts.shape[0], regs, x.shape[1])
    return regs[result].copy()


@numba.njit(cache=True, error_model="numpy")
def _finite(a: Any) -> bool:  # pragma: no cover - compiled
    for i in range(a.shape[0]):  # noqa: SIM110 - a loop, which numba compiles to one
        if not math.isfinite(a[i]):
            return False
    return True


@numba.njit(cache=True, error_model="numpy")
def _sum_squares(r: Any, scratch: Any) -> float:  # pragma: no cover - compiled
    """``np.add.reduce(r ** 2)`` (``scratch``: a buffer as long as ``r``)."""
    for i in range(r.shape[0]):
        scratch[i] = r[i] * r[i]
    return _sum(scratch, 0, r.shape[0])


@numba.njit(cache=True, error_model="numpy")
def _mean(a: Any, w: Any, total: float, scratch: Any) -> float:  # pragma: no cover - compiled
    """``fit._mean``: the mean of ``a`` (n,), weighted by ``w`` (n,) of sum ``total`` (``np.add.reduce(w * a) /
    np.add.reduce(w)``), unweighted when ``w`` is empty (fit's None: ``np.add.reduce(a) / n``).  ``scratch``: a
    buffer of n, which may be ``a`` itself."""
    n: int = a.shape[0]
    if w.shape[0] == 0:
        return _sum(a, 0, n) / n
    for i in range(n):
        scratch[i] = w[i] * a[i]
    return _sum(scratch, 0, n) / total


@numba.njit(cache=True, error_model="numpy")
def _constant(var: float, pred: Any) -> bool:  # pragma: no cover - compiled
    """:func:`fit.constant_prediction`: ``var`` not finite, or ``sqrt(var) <= n * EPS * max|pred|``."""
    if not math.isfinite(var):
        return True
    top = 0.0
    for i in range(pred.shape[0]):
        v = abs(pred[i])
        if v > top:
            top = v
    return bool(math.sqrt(var) <= pred.shape[0] * _EPS * top)


@numba.njit(cache=True, error_model="numpy")
def _scaling(pred: Any, y: Any, w: Any, total: float, dev: Any, scratch: Any) -> Any:  # pragma: no cover - compiled
    """:func:`fit.linear_scaling`: Keijzer's ``(a, b)``, ``(mean y, 0)`` for a ``pred`` constant up to
    rounding; weighted least squares by ``w`` (n,) of sum ``total``, unweighted when ``w`` is empty
    (:func:`_mean`); ``dev``, ``scratch``: buffers as long as ``pred``."""
    n = pred.shape[0]
    pred_mean = _mean(pred, w, total, scratch)
    for i in range(n):
        dev[i] = pred[i] - pred_mean
        scratch[i] = dev[i] * dev[i]
    var = _mean(scratch, w, total, scratch)
    y_mean = _mean(y, w, total, scratch)
    top = 0.0
    if not _LEAST_NORMAL <= var < math.inf:  # under- or overflowed (rare: its largest magnitude looked for only then)
        for i in range(n):
            top = max(top, abs(pred[i]))
    if 0.0 < top < math.inf:  # scaled by its largest magnitude
        for i in range(n):
            dev[i] = pred[i] / top
        pred_mean = _mean(dev, w, total, scratch)
        for i in range(n):
            dev[i] = dev[i] - pred_mean
            scratch[i] = dev[i] * dev[i]
        var = _mean(scratch, w, total, scratch)
        if not math.isfinite(var) or math.sqrt(var) <= n * _EPS:  # _constant of pred / top, whose max is 1
            return y_mean, 0.0
        for i in range(n):
            scratch[i] = dev[i] * (y[i] - y_mean)
        b = _mean(scratch, w, total, scratch) / var
        return y_mean - b * pred_mean, b / top
    if _constant(var, pred):
        return y_mean, 0.0
    for i in range(n):
        scratch[i] = dev[i] * (y[i] - y_mean)
    b = _mean(scratch, w, total, scratch) / var
    return y_mean - b * pred_mean, b


@numba.njit(cache=True, error_model="numpy")
def _predict(code: Any, first: int, regs: Any, site_reg: Any, site_sign: Any,
             theta: Any) -> None:  # pragma: no cover - compiled
    """Run the formula with literal ``j`` (register ``site_reg[j]``) set to ``site_sign[j] * theta[j]``."""
    n = regs.shape[1]
    for j in range(site_reg.shape[0]):
        regs[site_reg[j], :] = site_sign[j] * theta[j]
    _run(code, first, regs, n)


@numba.njit(cache=True, error_model="numpy")
def _residuals(pred: Any, y: Any, w: Any, root: Any, total: float, scale: bool, out: Any, dev: Any,
               scratch: Any) -> None:  # pragma: no cover - compiled
    """``fit_formula``'s residuals of ``pred`` into ``out``: scaled when ``scale`` (weighted by ``w`` of sum
    ``total``), each times ``root`` (``sqrt(w)``; nothing when empty, unweighted), all ``_BAD`` when not finite."""
    n = y.shape[0]
    if not _finite(pred):
        out[:] = _BAD
        return
    if scale:
        a, b = _scaling(pred, y, w, total, dev, scratch)
        for i in range(n):
            out[i] = (a + b * pred[i]) - y[i]
    else:
        for i in range(n):
            out[i] = pred[i] - y[i]
    if root.shape[0] != 0:
        for i in range(n):
            out[i] = out[i] * root[i]
    if not _finite(out):
        out[:] = _BAD


@numba.njit(cache=True, error_model="numpy")
def _all_finite(jac: Any) -> bool:  # pragma: no cover - compiled
    for i in range(jac.shape[0]):
        for j in range(jac.shape[1]):
            if not math.isfinite(jac[i, j]):
                return False
    return True


@numba.njit(cache=True, error_model="numpy", inline="always")
def _cube(v: float) -> float:  # pragma: no cover - compiled
    """Python's ``v ** 3``: the C library's ``pow`` of ``|v|``, negated for a negative ``v`` (CPython's float_pow)."""
    return -math.pow(-v, 3.0) if v < 0.0 else math.pow(v, 3.0)


@numba.njit(cache=True, error_model="numpy")
def _jacobian(code: Any, first: int, result: int, regs: Any, tangents: Any, active: Any, reach: Any, lost: Any,
              site_reg: Any, site_sign: Any, theta: Any, y: Any, w: Any, root: Any, total: float, scale: bool,
              jac: Any, work: Any) -> bool:  # pragma: no cover - compiled
    """The Jacobian (n, p) of the residuals at ``theta`` into ``jac`` by forward-mode automatic
    differentiation, one pass (:func:`_forward`), then through the scaling when ``scale``, as
    ``fit.scaled_jacobian`` (one evaluation; weighted by ``w`` of sum ``total``), each row times ``root``
    (``sqrt(w)``; nothing when empty, as :func:`_residuals`); returns whether the scaling took its constant
    branch (False without scaling).  ``work``: three buffers of n."""
    n = y.shape[0]
    p = theta.shape[0]
    for j in range(p):
        regs[site_reg[j], :] = site_sign[j] * theta[j]
    _forward(code, first, regs, tangents, active, reach, lost, n)
    pred = regs[result]
    constant = False
    if not scale:
        for j in range(p):
            for i in range(n):
                jac[i, j] = tangents[result, j, i]
    else:
        constant = _scaled_jacobian(pred, tangents[result], y, w, total, jac, work)
    if root.shape[0] != 0 and not constant:  # (a constant branch's zeros times sqrt(w) >= 0 are the same zeros)
        for i in range(n):
            for j in range(p):
                jac[i, j] = jac[i, j] * root[i]
    return constant


@numba.njit(cache=True, error_model="numpy", inline="always")
def _scaled_jacobian(pred: Any, tangent: Any, y: Any, w: Any, total: float, jac: Any,
                     work: Any) -> bool:  # pragma: no cover - compiled
    """``fit.scaled_jacobian`` of ``pred`` (n,) and its ``tangent`` (p, n) into ``jac`` (n, p), weighted by ``w``
    of sum ``total`` (unweighted when empty); returns whether the scaling took its constant branch (``jac`` zeros).
    ``work``: three buffers of n."""
    n, p = pred.shape[0], tangent.shape[0]
    dev, yc, scratch = work[0], work[1], work[2]
    pred_mean = _mean(pred, w, total, scratch)
    for i in range(n):
        dev[i] = pred[i] - pred_mean
        scratch[i] = dev[i] * dev[i]
    var = _mean(scratch, w, total, scratch)
    if _constant(var, pred):
        jac[:, :] = 0.0
        return True
    y_mean = _mean(y, w, total, scratch)
    for i in range(n):
        yc[i] = y[i] - y_mean
        scratch[i] = dev[i] * yc[i]
    b = _mean(scratch, w, total, scratch) / var
    tc = np.empty(n)
    for j in range(p):
        t_mean = _mean(tangent[j], w, total, scratch)
        for i in range(n):
            tc[i] = tangent[j, i] - t_mean
            scratch[i] = tc[i] * yc[i]
        cross = _mean(scratch, w, total, scratch)
        for i in range(n):
            scratch[i] = dev[i] * tc[i]
        db = (cross - 2.0 * b * _mean(scratch, w, total, scratch)) / var
        for i in range(n):
            jac[i, j] = b * tc[i] + dev[i] * db
    return False


@numba.njit(cache=True, error_model="numpy", inline="always")
def _needs_difference(jac: Any, tangent: Any, lost: Any, constant: bool, j: int) -> bool:  # pragma: no cover
    """:func:`fit.needs_difference` for column ``j``: ``tangent`` (p, n) and ``lost`` (p,) the output's."""
    n = jac.shape[0]
    zero = True
    for i in range(n):
        if not math.isfinite(jac[i, j]):
            return True
        if jac[i, j] != 0.0:
            zero = False
    if not zero:
        return False
    if lost[j]:
        flat = True
        for i in range(n):
            if tangent[j, i] != 0.0:
                flat = False
        if flat:
            return True
    if constant:
        for i in range(n):
            if not math.isfinite(tangent[j, i]) or tangent[j, i] != tangent[j, 0]:
                return True
    return False


@numba.njit(cache=True, error_model="numpy")
def _differences(code: Any, first: int, result: int, regs: Any, tangent: Any, lost: Any, constant: bool,
                 site_reg: Any, site_sign: Any, theta: Any, r: Any, y: Any, w: Any, root: Any, total: float,
                 scale: bool, jac: Any, allowed: int, shifted: Any, dev: Any,
                 scratch: Any) -> int:  # pragma: no cover - compiled
    """:func:`fit.difference_columns` of the columns :func:`_needs_difference` picks, in ``jac``, of the residuals
    of :func:`_residuals` (weighted as there); returns the residual evaluations spent (at most ``allowed``).
    ``shifted``, ``dev``, ``scratch``: buffers of n."""
    n, p = jac.shape[0], jac.shape[1]
    spent = 0
    trial = np.empty(p)
    for j in range(p):
        if not _needs_difference(jac, tangent, lost, constant, j):
            continue
        for sign in (1.0, -1.0):
            if spent >= allowed:
                return spent
            size = abs(theta[j])
            step = sign * _FD_STEP * (size if size > 1.0 else 1.0)
            for k in range(p):
                trial[k] = theta[k]
            trial[j] = theta[j] + step
            taken = trial[j] - theta[j]
            _predict(code, first, regs, site_reg, site_sign, trial)
            _residuals(regs[result], y, w, root, total, scale, shifted, dev, scratch)
            spent += 1
            bad = True
            for i in range(n):
                if shifted[i] != _BAD:
                    bad = False
            if bad:
                continue
            for i in range(n):
                jac[i, j] = (shifted[i] - r[i]) / taken
            break
    return spent


@numba.njit(cache=True, error_model="numpy")
def _normal(jac: Any, res: Any) -> Any:  # pragma: no cover - compiled
    """``(J^T J, J^T r)`` summed as NumPy's ``sum(axis=0)`` sums them (module docstring)."""
    n, p = jac.shape[0], jac.shape[1]
    a = np.zeros((p, p))
    g = np.zeros(p)
    if p == 1:
        col = np.empty(n)
        for row in range(n):
            col[row] = jac[row, 0] * jac[row, 0]
        a[0, 0] = _sum(col, 0, n)
        for row in range(n):
            col[row] = jac[row, 0] * res[row]
        g[0] = _sum(col, 0, n)
        return a, g
    for row in range(n):
        for i in range(p):
            for k in range(p):
                a[i, k] = a[i, k] + jac[row, i] * jac[row, k]
            g[i] = g[i] + jac[row, i] * res[row]
    return a, g


@numba.njit(cache=True, error_model="numpy", inline="always")
def _solve(a: Any, b: Any) -> Any:  # pragma: no cover - compiled
    """:func:`fit._solve`: Gaussian elimination with partial pivoting; (x, False) when singular."""
    n = b.shape[0]
    m = np.empty((n, n + 1))
    for r in range(n):
        for c in range(n):
            m[r, c] = a[r, c]
        m[r, n] = b[r]
    for col in range(n):
        pivot = col
        for r in range(col + 1, n):  # Python's max: the first of the largest
            if abs(m[r, col]) > abs(m[pivot, col]):
                pivot = r
        if m[pivot, col] == 0.0 or not math.isfinite(m[pivot, col]):
            return b, False
        if pivot != col:
            for c in range(n + 1):
                m[col, c], m[pivot, c] = m[pivot, c], m[col, c]
        for r in range(col + 1, n):
            f = m[r, col] / m[col, col]
            if f != 0.0:
                for c in range(n + 1):
                    m[r, c] = m[r, c] - f * m[col, c]
    out = np.zeros(n)
    for r in range(n - 1, -1, -1):
        s = 0.0
        for c in range(r + 1, n):
            s += m[r, c] * out[c]
        out[r] = (m[r, n] - s) / m[r, r]
    return out, _finite(out)


@numba.njit(cache=True, error_model="numpy")
def fit_numbers(code: Any, consts: Any, result: int, site_reg: Any, site_sign: Any, x: Any, y: Any, w: Any,
                scale: bool, max_evaluations: int, floor: float) -> Any:  # pragma: no cover - compiled
    """The numbers of :func:`fit.fit_formula` (its NumPy path, ``_fit_numpy``): from the literals at
    ``site_reg`` (registers; the literal is ``site_sign * `` the register's value) and points ``x``
    (inputs, n), ``y`` (n,), with at most ``max_evaluations`` LM evaluations (0: no tuning) and the gradient's
    ``floor`` (``fit.gradient_floor(y, w)``).  ``w`` (n,): the points' weights, at least 0, a weighted least-squares
    fit (the scaling's means and variance weighted, each residual and Jacobian row times ``sqrt(w)``, the unscaled
    sum of squares ``sum(w * (pred - y)^2)``), as ``_fit_numpy``'s ``w``; empty (shape (0,)): unweighted, as its
    None (the same operations as before weights: no multiplication by ones).

    Returns ``(ok, theta, sse, calls, a, b, unscaled)``: ``ok`` False when the formula is not finite
    at its start (nothing else is then meaningful); the best literals and their sum of squared
    (scaled) residuals; the formula evaluations spent; the final scaling of ``theta``'s output and
    its unscaled sum of squares (both 0 unless ``scale``)."""
    n_in, n = x.shape[0], y.shape[0]
    first = n_in + consts.shape[0]
    regs = _registers(code, consts, x)
    p = site_reg.shape[0]
    # buffers: current residuals, trial residuals, deviations, scratch; the Jacobian's three
    r_cur, r_new, dev, scratch = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    work = np.empty((3, n))
    root = np.empty(w.shape[0])  # sqrt(w), as fit's np.sqrt(w) (both correctly rounded)
    for i in range(w.shape[0]):
        root[i] = math.sqrt(w[i])
    total = _sum(w, 0, w.shape[0])  # np.add.reduce(w), the denominator of every weighted mean
    theta0 = np.empty(p)
    for j in range(p):
        theta0[j] = site_sign[j] * consts[site_reg[j] - n_in]
    calls = 1
    _predict(code, first, regs, site_reg, site_sign, theta0)
    _residuals(regs[result], y, w, root, total, scale, r_cur, dev, scratch)
    best_theta, best_sse = theta0, _sum_squares(r_cur, scratch)
    all_bad = True
    for i in range(n):
        if r_cur[i] != _BAD:
            all_bad = False
    if not _finite(r_cur) or all_bad:
        return False, best_theta, best_sse, calls, 0.0, 0.0, 0.0
    if max_evaluations > 0 and best_sse > 0:
        # levenberg_marquardt(residuals, jacobian, theta0, start, max_evaluations, floor=floor)
        theta = theta0.copy()
        sse = best_sse
        spent = 0
        if max_evaluations >= 2:
            # tangents: a literal's register has its sign in its own row; registers no literal reaches stay 0
            tangents = np.zeros((regs.shape[0], p, n))
            active = np.zeros(regs.shape[0], np.bool_)
            reach = np.zeros((regs.shape[0], p), np.bool_)  # which literals reach each register
            lost = np.zeros((regs.shape[0], p), np.bool_)  # ... through a value not finite on some point
            for j in range(p):
                tangents[site_reg[j], j, :] = site_sign[j]
                active[site_reg[j]] = True
                reach[site_reg[j], j] = True
            for k in range(code.shape[0]):
                active[first + k] = active[code[k, 1]] or active[code[k, 2]]
                for j in range(p):
                    reach[first + k, j] = reach[code[k, 1], j] or reach[code[k, 2], j]
            jac = np.empty((n, p))
            constant = _jacobian(code, first, result, regs, tangents, active, reach, lost, site_reg, site_sign,
                                 theta, y, w, root, total, scale, jac, work)
            calls += 1
            spent += 1
            extra = _differences(code, first, result, regs, tangents[result], lost[result], constant, site_reg,
                                 site_sign, theta, r_cur, y, w, root, total, scale, jac, max_evaluations - spent - 1,
                                 r_new, dev, scratch)
            calls += extra
            spent += extra
            if _all_finite(jac):
                a, g = _normal(jac, r_cur)
                top = a[0, 0]
                for i in range(1, p):
                    if a[i, i] > top:
                        top = a[i, i]
                mu = 1e-3 * top
                nu = 2.0
                while spent + 1 <= max_evaluations and mu > 0 and math.isfinite(mu):
                    gmax = abs(g[0])
                    for i in range(1, p):
                        if abs(g[i]) > gmax:
                            gmax = abs(g[i])
                    if gmax <= 1e-15 * (floor + sse):
                        break
                    damped = np.empty((p, p))
                    for i in range(p):
                        for k in range(p):
                            damped[i, k] = a[i, k] + (mu if i == k else 0.0)
                    minus_g = np.empty(p)
                    for i in range(p):
                        minus_g[i] = -g[i]
                    step, solved = _solve(damped, minus_g)
                    if not solved:
                        mu *= nu
                        nu *= 2.0
                        continue
                    trial = np.empty(p)
                    for i in range(p):
                        trial[i] = theta[i] + step[i]
                    calls += 1
                    _predict(code, first, regs, site_reg, site_sign, trial)
                    _residuals(regs[result], y, w, root, total, scale, r_new, dev, scratch)
                    spent += 1
                    sse_new = _sum_squares(r_new, scratch)
                    predicted = 0.0
                    for i in range(p):
                        predicted += step[i] * (mu * step[i] - g[i])
                    rho = (sse - sse_new) / predicted if predicted > 0 else -1.0
                    if math.isfinite(sse_new) and sse_new < sse and rho > 0:
                        theta, sse = trial, sse_new
                        r_cur, r_new = r_new, r_cur
                        if spent + 2 > max_evaluations:
                            break
                        constant = _jacobian(code, first, result, regs, tangents, active, reach, lost, site_reg,
                                             site_sign, theta, y, w, root, total, scale, jac, work)
                        calls += 1
                        spent += 1
                        extra = _differences(code, first, result, regs, tangents[result], lost[result], constant,
                                             site_reg, site_sign, theta, r_cur, y, w, root, total, scale, jac,
                                             max_evaluations - spent - 1, r_new, dev, scratch)
                        calls += extra
                        spent += extra
                        if not _all_finite(jac):
                            break
                        a, g = _normal(jac, r_cur)
                        factor = 1.0 - _cube(2.0 * rho - 1.0)
                        mu *= factor if factor > 1.0 / 3.0 else 1.0 / 3.0  # Python's max(1/3, factor)
                        nu = 2.0
                    else:
                        length = 0.0
                        for i in range(p):
                            length += step[i] * step[i]
                        squares = np.empty(p)
                        for i in range(p):
                            squares[i] = theta[i] * theta[i]
                        if math.sqrt(length) <= 1e-15 * (1.0 + math.sqrt(_sum(squares, 0, p))):
                            break
                        mu *= nu
                        nu *= 2.0
        if sse < best_sse:
            best_theta, best_sse = theta, sse
    a_out, b_out, unscaled = 0.0, 0.0, 0.0
    if scale:
        calls += 1
        _predict(code, first, regs, site_reg, site_sign, best_theta)
        pred = regs[result]
        a_out, b_out = _scaling(pred, y, w, total, dev, scratch)
        for i in range(n):
            r_new[i] = pred[i] - y[i]
        if w.shape[0] == 0:
            unscaled = _sum_squares(r_new, scratch)
        else:  # np.add.reduce(w * (pred - y) ** 2)
            for i in range(n):
                scratch[i] = w[i] * (r_new[i] * r_new[i])
            unscaled = _sum(scratch, 0, n)
    return True, best_theta, best_sse, calls, a_out, b_out, unscaled


def prepare(body: Body) -> tuple[np.ndarray, np.ndarray, int] | None:
    """A formula's linearised body as this kernel takes it, ``(code, constants, result register)``,
    or None when it does not run here: a register that is not a Scalar, an instruction that is not
    elementwise, a tuple result.  Made once per body and kept on it (bodies are immutable; a candidate's
    probe and its fit take the same one): no table holds the body, so it goes when its candidate does."""
    found = body.__dict__.get(_PREPARED, _UNSET)
    if found is not _UNSET:
        return found  # type: ignore[no-any-return]
    code, ranks = body.kernel, body.ranks
    prepared = None
    if code is not None and ranks is not None and not ranks.any() and isinstance(body.result, int) \
            and bool((code[:, 0] <= ELEMENTWISE_LAST).all()):
        consts = body.consts  # (the body's own float64 array, read only here: not made again per body)
        prepared = (code, np.array(body.constants, np.float64) if consts is None else consts, body.result)
    body.__dict__[_PREPARED] = prepared  # (as ``cached_property`` keeps a value: Body is a frozen dataclass)
    return prepared


_PREPARED = "_formula_kernel_prepared"  # the key of :func:`prepare`'s answer in a body's ``__dict__``
_UNSET = object()


def function(body: Body) -> Callable[..., Any] | None:
    """The formula as a function of its input columns, as :meth:`fastpath.Body.function` makes it,
    evaluated here when every input is a 1-D float64 array of one length (the points of a task),
    else by that NumPy function; None when the body does not run here (:func:`prepare`).  Made anew
    per call (a closure, under a microsecond): a search asks once per body, for its probe, and a table of
    them held bodies seen once for the cyclic collector to walk (stop 63, gc77)."""
    prepared = prepare(body)
    return None if prepared is None else _function(body, *prepared)


def _function(body: Body, code: np.ndarray, consts: np.ndarray, result: int) -> Callable[..., Any]:
    n_inputs = body.n_inputs

    def run(*columns: Any) -> Any:
        if n_inputs and len(columns) == n_inputs:
            first = columns[0]
            if all(isinstance(c, np.ndarray) and c.dtype == np.float64 and c.ndim == 1 and c.shape == first.shape
                   for c in columns):
                return evaluate(code, consts, result, np.array(columns, np.float64))
        return body.function(0, rng=False)(*columns)

    return run


def warm() -> None:
    """Compile (or load from numba's cache) :func:`evaluate` and :func:`fit_numbers` for the one
    signature every formula takes (a read-only ``int64`` code array, as :func:`opcodes.encode` makes
    it; weights a writable float64 array, empty for an unweighted fit, so weighted and unweighted fits share
    it): what the first formula of a process would otherwise wait for."""
    code = np.array([[2, 0, 1]], np.int64)  # x * c
    code.flags.writeable = False
    consts, y = np.array([2.0]), np.linspace(0.0, 1.0, 8)
    x = np.array([np.linspace(-1.0, 1.0, 8)])
    evaluate(code, consts, 2, x)
    fit_numbers(code, consts, 2, np.array([1], np.int64), np.array([1.0]), x, y, np.empty(0), True, 20, 1.0)
