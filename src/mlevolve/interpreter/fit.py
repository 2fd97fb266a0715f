"""Constant fitting for formulas and learners: linear scaling and literal tuning, written back into
the program.

Before a formula candidate is scored in a search, two cheap fits run on its training points:

1. **Literal tuning.**  Every numeric literal of the formula becomes a parameter, tuned by
   Levenberg-Marquardt (:func:`levenberg_marquardt`, a bit-reproducible loop) for a few iterations
   from its current value, as Operon and PySR tune theirs (Kommenda et al. 2020, "Parameter
   identification for symbolic regression using nonlinear least squares").
2. **Linear scaling** (Keijzer 2003, "Improving symbolic regression with interval arithmetic and
   linear scaling"): the output ``f`` is replaced by ``a + b * f`` with ``a, b`` the closed-form
   least-squares fit, ``b = cov(f, y) / var(f)`` and ``a = mean(y) - b * mean(f)``.  Inside the
   literal tuning the residuals are those of the scaled output (variable projection), so literals
   are tuned for shape and the scaling absorbs offset and gain.

The Jacobian of the (scaled) residuals in the literals is exact, by forward-mode automatic
differentiation: one pass over the formula's linearised body carries each register's value and
its derivatives in every literal (:func:`forward_tangents`, the rules of each primitive as data in
:mod:`~mlevolve.interpreter.derivatives`, with their conventions at kinks and jumps), then the
chain rule through the closed-form scaling (:func:`scaled_jacobian`).  Both run, in a search, as
one numba-compiled call (:mod:`~mlevolve.interpreter.formula_kernel`: the start, every LM step and
Jacobian, the final scaling), the numbers of the NumPy loop here operation for operation except
through the transcendental primitives (see there); without numba, or with ``MLEVOLVE_NO_JIT=1``,
this module's NumPy loop runs (the reference).

Where forward mode gets a column wrong or cannot give it, the column falls back to a finite
difference (:func:`needs_difference`, :func:`difference_columns`): a column not finite (an infinite
slope, ``sqrt(x - c)`` at ``x = c``), a literal whose tangent the strong zeros cut at an infinite
intermediate (``sign(x) / reciprocal(c)`` at ``c = 0``: the value is ``sign(x) * c``, smooth, the
tangent 0), and a literal that would give a constant prediction a shape (``c * x`` at ``c = 0``, the
scaling's constant branch).  Without it such a literal, a Levenberg-Marquardt step of zero in its
direction, never moved off the pole it started on.

The result is a program whose text holds the tuned literals and the scaling as an explicit
``a + b * (...)`` (its signs written as the simplifier writes them, ``a - b * f`` and ``b * f - a``:
:func:`signed_scaled`), so the archived program reproduces its score when run or exported as is.  A
formula that already has that form, in any spelling the simplifier leaves (``b * f - a``, ``a - b * f``:
:func:`split_scaling`), has its ``a`` and ``b`` refitted in place (never nested).  Its
chains of literals are then folded into one (``a + b * (c * x)`` as ``a + (b * c) * x``:
:func:`~mlevolve.dsl.simplify.fold_fitted`, exact in real arithmetic only), so the evaluator scores
the folded program, the one shown.

Cost is counted as Operon counts it (``residual_evaluations + jacobian_evaluations``): every
evaluation of the formula on the training points (the starting point, each LM trial step, the
final scaling's prediction) counts 1, and so does each Jacobian (one forward pass with tangents:
it costs about ``1 + p`` value passes of arithmetic for ``p`` literals, counted as one evaluation,
as a reverse- or forward-mode Jacobian is in Operon and in Kommenda et al.), and so does each
finite-difference column that replaces a forward-mode one (one evaluation of the formula at a
shifted literal, as a trial step; a backward difference, tried where the forward one is not finite,
one more), within the same budget.  Levenberg-Marquardt gets ``2 * FitOptions.iterations`` such
evaluations: ``iterations`` iterations of one Jacobian and
one trial step each (a rejected step costs its trial only).  The total is the candidate's
``fit_evaluations`` metric, which the engine sums into its summary (with, for a formula not finite at
its own literals, one evaluation per restart tried, :func:`restarts`): about 2 + 2 * iterations at
most (22 with the default 10 iterations; it was 35-65 with finite-difference Jacobians, which cost
one evaluation per literal).  A run's ``--budget`` counts candidates, each scored once after its
fit, so a fitted run evaluates formulas ``candidates + fit_evaluations`` times in all
(docs/evolve.md).

**Learners** (:func:`tune_learner`) have no closed form and no cheap residuals: a learner's score is
a whole online training run.  Each literal of its evolved methods is tuned in turn by a few-point
grid on a log scale (the literal times each of :attr:`LearnerTuning.factors`, sign kept), keeping
the best-scoring value that keeps a margin to the edge of stability (:attr:`LearnerTuning.margin`)
(and again, while a pass improved: :attr:`LearnerTuning.sweeps`), when the
methods hold at most :attr:`LearnerTuning.max_literals` literals
(a small body: a promising structure, and a bounded cost).  Why: a learning rule works only for a
narrow band of its step size (SGD's ``w + c * (y - p) * x`` for ``c`` in about [0.05, 0.3] on the
``linear`` family, Real et al. 2020's rediscovery), so untuned, every partial step toward it (``w +
y * x``, ``w + (y - p) * x``) scores far worse than ``w`` itself and evolution cannot climb to it;
tuned, each step scores better than the last (``w`` 2.9, ``w + 0.01 * y * x`` 0.19, ``w + 0.1 * (y
- p) * x`` 4e-6 MSE on the fixed tasks).  Each grid point is one training run, counted in
``fit_evaluations`` like a formula's evaluations; a diverging one stops at its first diverging
prediction, so it is cheap.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from mlevolve.dsl.ir import Call, Definition, Expr, Num, Param, Program, Ref, const, with_children
from mlevolve.dsl.kinds import replace_slot, slot_body
from mlevolve.dsl.simplify import constant_value, folded_fitted
from mlevolve.dsl.traverse import preorder, replace_at
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter.derivatives import partials, term
from mlevolve.interpreter.fastpath import Body, compiled_kernel, formula_function

F64 = npt.NDArray[np.float64]
_BAD = 1e100  # a residual standing for a non-finite output: LM steps away from it


@dataclass(frozen=True)
class FitOptions:
    """What to fit: ``scale`` (linear scaling), ``tune`` (literals by LM, at most ``iterations``
    LM iterations, each costing at most two formula evaluations: one Jacobian, by forward-mode
    automatic differentiation in one pass, and one trial step; a budget of ``2 * iterations``)."""

    scale: bool = True
    tune: bool = True
    iterations: int = 10


@dataclass(frozen=True)
class Fitted:
    """The fitted program and the formula evaluations spent fitting it (a Jacobian counting one); ``body``: its
    linearised formula (:class:`fastpath.Body`) when the fit could make it without walking the
    program again (``formula_code.refitted``), else None; ``simple``: the fitted formula's body where it
    is known to be a fixpoint of the simplifier (folded by ``fold_fitted``'s rules, which hold
    :data:`~mlevolve.dsl.simplify.RULES`: ``simplify_expr(simple) is simple``), else None."""

    program: Program
    evaluations: int
    body: Body | None = field(default=None, compare=False)
    simple: Expr | None = field(default=None, compare=False)


def _formula(program: Program) -> Definition:
    found = next((d for d in program.definitions if d.kind == "formula"), None)
    if found is None or found.body is None:
        raise ValueError("not a formula program")
    return found


def literal_sites(body: Expr, nodes: list[Expr] | None = None) -> list[int]:
    """Preorder indices of the literals of ``body``: a ``Num``, or ``neg`` of one (one signed literal,
    whose ``Num`` follows it in preorder and is not a site of its own).  ``nodes``: ``preorder(body)``
    when the caller has it."""
    out: list[int] = []
    skip = -1
    for i, node in enumerate(preorder(body) if nodes is None else nodes):
        if i == skip:
            continue
        if isinstance(node, Num):
            out.append(i)
        elif constant_value(node) is not None:  # neg(Num)
            out.append(i)
            skip = i + 1
    return out


def _substitute(body: Expr, sites: list[int], new: list[Expr]) -> Expr:
    """``body`` with the subtree at each preorder index of ``sites`` replaced by the matching item
    of ``new``, rebuilt in one iterative pass; subtrees holding no site are shared, not rebuilt."""
    table = dict(zip(sites, new, strict=True))
    if not table:
        return body
    ordered = sorted(table)

    def touched(index: int, size: int) -> bool:  # a site within [index, index + size)
        k = bisect_left(ordered, index)
        return k < len(ordered) and ordered[k] < index + size

    # frames: (node, its preorder index, the preorder index of its next child, its rebuilt children)
    frames: list[tuple[Expr, int, list[int], list[Expr]]] = [(body, 0, [1], [])]
    done: Expr = body
    while frames:
        node, index, cursor, kids = frames[-1]
        children = node.children()
        if index in table:
            frames.pop()
            done = table[index]
        elif not touched(index, node.size):
            frames.pop()
            done = node
        elif len(kids) < len(children):
            child = children[len(kids)]
            frames.append((child, cursor[0], [cursor[0] + 1], []))
            cursor[0] += child.size
            continue
        else:
            frames.pop()
            done = with_children(node, tuple(kids))
        if frames:
            frames[-1][3].append(done)
    return done


def split_scaling(body: Expr) -> tuple[Expr, float, float] | None:
    """``(f, a, b)`` with ``body`` equal to ``a + b * f`` (``a``, ``b`` numbers), where ``body`` is ``f``
    under a chain of affine steps with literal coefficients: ``c + g``, ``g + c``, ``c - g``, ``g - c``,
    ``-g``, ``c * g``, ``g * c`` and ``g / c`` (``c`` a literal, :func:`constant_value`; ``c`` not 0
    in a product or quotient), so every spelling the simplifier leaves of a scaling (``b * f - a``,
    ``a - b * f``, ``f * b + a``, ``-(b * f) + a``...) is seen, as is one nested in another.  ``f`` is
    the first node below the chain that is not such a step.  None where ``body`` is no such step.
    Equal in real arithmetic: a chain of one step over ``a + b * f``'s two literals (``+``, ``-``,
    ``*``, sign changes) gives ``a`` and ``b`` exactly, a longer chain or a division may round."""
    found = _split(body)
    return None if found is None else found[:3]


def _affine_step(node: Expr) -> tuple[int, float, float] | None:
    """``(i, p, q)`` where ``node`` is ``p + q * node.args[i]`` by one affine step with a literal
    coefficient (:func:`split_scaling`'s list), else None."""
    if not isinstance(node, Call):
        return None
    args = node.args
    if node.op == "neg" and len(args) == 1 and constant_value(node) is None:
        return 0, 0.0, -1.0
    if len(args) != 2 or node.op not in ("add", "sub", "mul", "div"):
        return None
    for i in (0, 1) if node.op != "div" else (0,):
        c = constant_value(args[1 - i])  # the literal coefficient; args[i] the rest
        if c is None or not math.isfinite(c):
            continue
        if node.op == "add":
            return i, c, 1.0
        if node.op == "sub":
            return (i, -c, 1.0) if i == 0 else (i, c, -1.0)
        if c != 0.0:
            return (i, 0.0, c) if node.op == "mul" else (i, 0.0, 1.0 / c)
    return None


def _split(body: Expr) -> tuple[Expr, float, float, int] | None:
    """:func:`split_scaling`'s ``(f, a, b)`` and the preorder index of ``f`` in ``body``."""
    a, b, at, node = 0.0, 1.0, 0, body
    while (step := _affine_step(node)) is not None:
        i, p, q = step
        # body = a + b * node = a + b * (p + q * g) = (a + b * p) + (b * q) * g
        a2, b2 = a + b * p if p != 0.0 else a, b * q
        if not (math.isfinite(a2) and math.isfinite(b2) and b2 != 0.0):
            break
        assert isinstance(node, Call)
        at += 1 + sum(arg.size for arg in node.args[:i])
        a, b, node = a2, b2, node.args[i]
    return None if node is body else (node, a, b, at)


def scaled(body: Expr, a: float, b: float) -> Expr:
    """``a + b * body``."""
    return _line_of(const(a), const(b), body)


def _line_of(a: Expr, b: Expr, body: Expr) -> Call:
    """``a + b * body`` of the literal nodes ``a`` and ``b``."""
    return Call("add", (a, Call("mul", (b, body))))


def signed_scaled(body: Expr, a: float, b: float) -> tuple[Expr, str]:
    """``a + b * body`` (:func:`scaled`) with its signs written where the simplifier puts them, and which form
    it has: ``"add"``, ``a + b * f`` (``a`` not negative, ``b`` positive); ``"sub"``, ``a - |b| * f`` (``a`` not
    negative, ``b`` negative); ``"rsub"``, ``b * f - |a|`` (``a`` negative; ``b`` keeps its sign:
    ``-2.0 * f - 1.5``).  The same value as :func:`scaled` bit for bit on every input, by IEEE sign symmetry
    (``x + (-y)`` is ``x - y``, ``(-b) * f`` is ``-(b * f)``) and commutative addition.  Why: written as
    :func:`scaled`, half the fitted formulas of a quartic run were rewritten by the simplifier for these signs
    alone before their simplified text was stored (RESULTS.md, "Stop 53").  A ``-0.0`` intercept keeps the
    ``"add"`` form."""
    form = _signed_form(a, b)
    if form == "rsub":
        return Call("sub", (Call("mul", (const(b), body)), Num(-a))), form
    if form == "sub":
        return Call("sub", (Num(a), Call("mul", (Num(-b), body)))), form
    return scaled(body, a, b), form


def _signed_form(a: float, b: float) -> str:
    """Which form :func:`signed_scaled` writes ``a + b * f`` in: ``"rsub"``, ``"sub"`` or ``"add"``."""
    if a < 0.0:
        return "rsub"
    if b < 0.0 and math.copysign(1.0, a) > 0.0:
        return "sub"
    return "add"


# NumPy's mean, variance and sum of a 1-D float64 array without their Python wrappers (which cost
# more than the arithmetic on a few dozen points): the same reductions in the same order, so the
# same bits (``tests/interpreter/test_fastpath.py`` holds them to NumPy's).  With weights ``w`` (n,), above 0 (a
# data file's ``weight=``, scikit-learn's ``sample_weight``): the weighted mean ``sum(w * a) / sum(w)`` and the
# weighted variance about it, ``numpy.average``'s (the unweighted reductions untouched: those runs keep their bits).
Weights = F64 | None


def _sum(a: F64) -> float:
    return float(np.add.reduce(a))


def _mean(a: F64, w: Weights = None) -> float:
    if w is not None:
        return float(np.add.reduce(w * a) / np.add.reduce(w))
    return float(np.add.reduce(a) / a.shape[0])


def _var(a: F64, w: Weights = None) -> float:
    if w is not None:
        return _mean(np.square(a - _mean(a, w)), w)
    n = a.shape[0]
    return float(np.add.reduce(np.square(a - np.add.reduce(a) / n)) / n)


def _all_finite(a: F64) -> bool:
    return bool(np.logical_and.reduce(np.isfinite(a), axis=None))


EPS = 2.220446049250313e-16  # the float64 machine epsilon, 2**-52
FD_STEP = 1.4901161193847656e-08  # sqrt(EPS), 2**-26: the relative step of a finite-difference column


def constant_prediction(var: float, pred: F64) -> bool:
    """Whether a prediction ``pred`` (n,) of variance ``var`` is constant up to rounding, so that
    :func:`linear_scaling` gives it slope 0: ``var`` not finite, or ``sqrt(var) <= n * EPS *
    max|pred|``.  Why that bound: the computed mean of ``n`` values is within ``n * EPS * max|pred|``
    of the true one whatever the order of summation (Higham 2002, "Accuracy and stability of
    numerical algorithms", eq. 4.4, crudely), so a spread no larger than that can be the rounding of
    the mean alone; a constant formula such as ``1.89`` has a computed variance of about ``(EPS *
    1.89)^2``, which an absolute floor (``1e-300``, the rule before) took for signal and scaled by
    ``b = cov / var``, two rounding errors divided (``1.5745566 + 0.5 * 1.89``).  Relative, it also
    keeps a formula whose values are all tiny (``1e-160`` and varying), which that floor collapsed.
    A genuine relative spread below ``n * EPS`` (``1e-13`` on 500 points) is below what a formula's
    float64 arithmetic resolves anyway.  The compiled kernel (``formula_kernel._constant``) does the
    same operations."""
    if not math.isfinite(var):
        return True
    top = float(np.max(np.abs(pred))) if pred.shape[0] else 0.0
    return bool(math.sqrt(var) <= pred.shape[0] * EPS * top)


LEAST_NORMAL = 2.2250738585072014e-308  # float64's least normal number


def linear_scaling(pred: F64, y: F64, w: Weights = None) -> tuple[float, float]:
    """Keijzer's closed-form ``(a, b)`` minimising ``sum((a + b * pred - y)^2)``; ``(mean y, 0)``
    when ``pred`` is constant up to rounding (:func:`constant_prediction`).  ``pred`` and ``y``:
    (n,) float64; ``w`` (n,), the rows' weights (above 0) or None: weighted least squares, ``sum(w * (a + b * pred
    - y)^2)``, its means and variance weighted (``b = cov_w(pred, y) / var_w(pred)``, ``a = mean_w(y) - b *
    mean_w(pred)``; an integer weight k is the row given k times).  A ``pred`` whose variance is below float64's
    least normal number (values near 1e-154
    and below: ``a * a`` of a column near 1e-150) or beyond float64 (values near 1e154 and above: ``a * a`` of a
    column near 1e100) is scaled by its largest magnitude first, and ``b`` by it after: its variance had
    underflowed to 0, or overflowed, and a formula of it was scored as a constant."""
    var = _var(pred, w)
    top = float(np.max(np.abs(pred))) if not LEAST_NORMAL <= var < math.inf and pred.shape[0] else 0.0  # only there
    if 0.0 < top < math.inf:
        scaled = pred / top
        a, b = _line(scaled, y, _var(scaled, w), w)
        return a, b / top
    return _line(pred, y, var, w)


def _line(pred: F64, y: F64, var: float, w: Weights = None) -> tuple[float, float]:
    """:func:`linear_scaling` of ``pred`` of (weighted) variance ``var``, as it is."""
    if constant_prediction(var, pred):
        return _mean(y, w), 0.0
    pred_mean, y_mean = _mean(pred, w), _mean(y, w)
    b = _mean((pred - pred_mean) * (y - y_mean), w) / var
    return y_mean - b * pred_mean, b


def _solve(a: list[list[float]], b: list[float]) -> list[float] | None:
    """``x`` with ``a x = b`` by Gaussian elimination with partial pivoting, in Python floats (a
    fixed order of operations); None when ``a`` is singular."""
    n = len(b)
    m = [[*row, rhs] for row, rhs in zip(a, b, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if not m[pivot][col] or not math.isfinite(m[pivot][col]):
            return None
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            if f:
                m[r] = [u - f * v for u, v in zip(m[r], m[col], strict=True)]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (m[r][n] - sum(m[r][c] * out[c] for c in range(r + 1, n))) / m[r][r]
    return out if all(math.isfinite(v) for v in out) else None


Repair = Callable[[F64, F64, F64, int], tuple[F64, int]]


def levenberg_marquardt(residuals: Callable[[F64], F64], jacobian: Callable[[F64], F64], theta0: F64, r0: F64,
                        max_evaluations: int, repair: Repair | None = None, floor: float = 1.0) -> tuple[F64, float]:
    """Minimise ``sum(residuals(theta)^2)`` from ``theta0`` (whose residuals are ``r0``) by
    Levenberg-Marquardt with Nielsen's damping update (Madsen, Nielsen & Tingleff 2004, "Methods for
    non-linear least squares problems", Algorithm 3.16), ``jacobian(theta)`` giving the (n, p)
    Jacobian of the residuals at ``theta``.  At most ``max_evaluations`` calls in all, each residual
    evaluation counting 1 and each Jacobian 1 (as Operon counts them: ``2 * k`` is ``k`` iterations of
    one Jacobian and one trial step); the loop stops, besides, at the first non-finite Jacobian.
    ``repair(jac, theta, r, allowed)``, when given, runs after each Jacobian and returns it with some
    columns replaced (finite differences, :func:`difference_columns`) and the residual evaluations
    that took, at most ``allowed`` (what the budget leaves after one trial step), counted like
    any other.  Returns the best ``(theta, sum of squares)`` found.  The loop ends where the gradient's largest
    component is at most ``1e-15 * (floor + sse)``: ``floor`` is :func:`gradient_floor` of the targets, so the
    test is relative to their scale (a target of size 1e-9, whose gradient is 1e-18 of a target of size 1's,
    is fitted as that one is; with ``floor`` 1 for every target, it stopped before its first step).

    Written here rather than calling ``scipy.optimize.least_squares(method="lm")`` because a fit
    must be bit-reproducible (a resumed run replays the search exactly): SciPy's MINPACK gave a
    different fit of the same formula about once in 80 calls on a loaded machine (measured), and
    this loop's arithmetic has a fixed order (NumPy elementwise operations and sums along a fixed
    axis, the linear solve in Python floats)."""
    p = len(theta0)
    theta, r = np.array(theta0, np.float64), r0
    sse = _sum(r**2)
    spent = 0

    def normal(jac: F64, res: F64) -> tuple[list[list[float]], list[float]]:
        a = (jac[:, :, None] * jac[:, None, :]).sum(axis=0)  # J^T J, rows added in order
        g = (jac * res[:, None]).sum(axis=0)  # J^T r
        return a.tolist(), g.tolist()

    if max_evaluations < 2:
        return theta, sse
    jac = jacobian(theta)
    spent += 1
    if repair is not None:
        jac, extra = repair(jac, theta, r, max_evaluations - spent - 1)
        spent += extra
    if not _all_finite(jac):
        return theta, sse
    a, g = normal(jac, r)
    mu = 1e-3 * max(a[i][i] for i in range(p))
    nu = 2.0
    while spent + 1 <= max_evaluations and mu > 0 and math.isfinite(mu):
        if max(abs(v) for v in g) <= 1e-15 * (floor + sse):
            break
        step = _solve([[v + (mu if i == k else 0.0) for k, v in enumerate(row)] for i, row in enumerate(a)],
                      [-v for v in g])
        if step is None:
            mu *= nu
            nu *= 2.0
            continue
        trial = theta + np.array(step, np.float64)
        r_new = residuals(trial)
        spent += 1
        sse_new = _sum(r_new**2)
        predicted = sum(s * (mu * s - gi) for s, gi in zip(step, g, strict=True))  # 2 * (L(0) - L(step))
        rho = (sse - sse_new) / predicted if predicted > 0 else -1.0
        if math.isfinite(sse_new) and sse_new < sse and rho > 0:
            theta, r, sse = trial, r_new, sse_new
            if spent + 2 > max_evaluations:
                break  # no budget for another Jacobian and step
            jac = jacobian(theta)
            spent += 1
            if repair is not None:
                jac, extra = repair(jac, theta, r, max_evaluations - spent - 1)
                spent += extra
            if not _all_finite(jac):
                break
            a, g = normal(jac, r)
            mu *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
            nu = 2.0
        else:
            if math.sqrt(sum(s * s for s in step)) <= 1e-15 * (1.0 + float(np.sqrt(np.sum(theta**2)))):
                break  # the step vanished: converged
            mu *= nu
            nu *= 2.0
    return theta, sse


def gradient_floor(y: F64, w: Weights = None) -> float:
    """The scale below which an LM fit of targets ``y`` (n,) takes a gradient for zero (:func:`levenberg_marquardt`'s
    ``floor``): their total sum of squares about the mean, ``n * var(y)``, the squared error of a scaled formula
    that explains nothing, and at most 1 (the absolute floor of targets of that scale and larger, as before).  A
    gradient scales as the targets' square, so a floor of 1 for targets of size 1e-9 stopped every fit at its
    start.  With weights ``w`` (n,): the weighted total sum of squares, ``sum(w) * var_w(y)``."""
    if w is not None:
        return min(1.0, _sum(w) * _var(y, w))
    return min(1.0, float(y.shape[0]) * _var(y))


class FitPoints(NamedTuple):
    """A formula task's training points as every fit of a run takes them (:func:`fit_points`), made once per task
    rather than once per candidate: ``columns`` (vars, n), the inputs C-ordered as the compiled kernel reads them;
    ``y`` (n,) and ``w`` (n,) float64 copies (``w`` empty, (0,), when unweighted: the kernel's one signature);
    ``floor``, :func:`gradient_floor` of the targets; ``y_mean``, their unweighted mean (the scaling's tolerance);
    ``y_spread``, their unweighted standard deviation (the tolerance of an intercept, dropped below it).
    Why: made per fit, these copies and reductions cost about half of a small formula's compiled fit call
    (RESULTS.md, "Stop 62")."""

    columns: F64
    y: F64
    w: F64
    floor: float
    y_mean: float
    y_spread: float = 0.0  # their unweighted standard deviation (an intercept negligible against it is 0)


def fit_points(x: F64, y: F64, w: Weights = None) -> FitPoints:
    """:class:`FitPoints` of the points ``x`` (n, vars), ``y`` (n,) and weights ``w`` (n,) or None; copies, so the
    caller's arrays may change afterwards without changing them."""
    return FitPoints(np.array(np.asarray(x, np.float64).T, order="C"), np.array(y, np.float64),
                     np.empty(0) if w is None else np.array(w, np.float64), gradient_floor(y, w), _mean(y),
                     float(np.std(y)) if len(y) else 0.0)


def forward_tangents(body: Body, columns: list[F64], theta: F64, n: int) -> tuple[F64, F64, npt.NDArray[np.bool_]]:
    """The value (n,) of the formula ``body`` on input ``columns`` (each (n,)) with literals ``theta``
    (p,) as its trailing inputs, its tangent (p, n): the derivative of the value on each point in
    each literal, in one forward pass over the body (forward-mode automatic differentiation), and
    ``lost`` (p,): whether a value that literal reaches was not finite on some point (there the chain
    rule may have lost the derivative: :func:`needs_difference`).

    Each register carries its value, computed by the body's NumPy functions (the fast path's
    numbers), and its tangent; an instruction's tangent is the chain rule over its operands'
    tangents with the partial derivatives of :data:`derivatives.DERIVATIVES` (strong zeros,
    :func:`derivatives.term`).  A register no literal reaches keeps the zero tangent (the same
    array), and an instruction on two such is not differentiated.  The compiled kernel
    (``formula_kernel._forward``) does the same operations in the same order."""
    p = len(theta)
    zero = np.zeros((p, n))
    none = np.zeros(p, np.bool_)
    regs: list[Any] = [*columns, *theta, *body.constants]
    tangents: list[F64] = [zero] * len(columns) + [np.eye(p)[j][:, None] * np.ones(n) for j in range(p)] + \
        [zero] * len(body.constants)
    # which literals reach each register, and which of those passed a non-finite value on the way
    reach: list[npt.NDArray[np.bool_]] = [none] * len(columns) + [np.eye(p, dtype=np.bool_)[j] for j in range(p)] \
        + [none] * len(body.constants)
    lost: list[npt.NDArray[np.bool_]] = [none] * len(regs)
    for (fn, i, j), (op, arg_types, _) in zip(body.code, body.steps, strict=True):
        value = fn(regs[i], regs[j], 0, None)
        regs.append(value)
        if tangents[i] is zero and tangents[j] is zero:
            tangents.append(zero)
            reach.append(none)
            lost.append(none)
            continue
        reached = reach[i] | reach[j]
        reach.append(reached)
        lost.append(lost[i] | lost[j] | (reached & (not bool(np.isfinite(value).all()))))
        partial = partials(op)(regs[i], regs[j], value)
        tangent = term(partial[0], tangents[i])
        if len(arg_types) == 2:
            tangent = tangent + term(partial[1], tangents[j])
        tangents.append(tangent)
    assert isinstance(body.result, int)
    out = np.broadcast_to(np.asarray(regs[body.result], np.float64), (n,))
    return out, np.broadcast_to(tangents[body.result], (p, n)), lost[body.result]


def needs_difference(jac: F64, tangent: F64, lost: npt.NDArray[np.bool_], constant: bool) -> list[int]:
    """The columns of the Jacobian ``jac`` (n, p) that forward-mode differentiation got wrong or could
    not give, to be replaced by finite differences (:func:`difference_columns`), from the output's
    tangent (p, n), ``lost`` (:func:`forward_tangents`) and ``constant`` (whether the scaling took
    its constant branch: the prediction constant up to rounding, :func:`constant_prediction`).

    Column ``j`` when it is not finite on some point (an infinite slope, ``sqrt`` at 0), or when it
    is zero on every point and either

    - its tangent is zero on every point and a value literal ``j`` reaches was not finite: the
      strong zeros of :func:`derivatives.term` took ``0 * inf`` as 0, which is right for a value no
      literal moves but loses the derivative of a removable singularity (``sign(x) /
      reciprocal(c)`` is ``sign(x) * c``, smooth in ``c``, whose tangent at ``c = 0`` passes
      ``reciprocal(0) = inf``); or
    - the scaling took its constant branch while literal ``j`` would change the prediction's
      shape (its tangent not the same finite number on every point): ``c * x`` at ``c = 0`` is
      constant, its scaled residuals ``y - mean(y)``, and any ``c != 0`` gives the least-squares
      line, so the residuals jump and the zero derivative of the constant branch holds no step.

    A zero column that is exact stays: a literal the scaling absorbs (``f + c``), a constant formula
    (``1.89``), a literal on a flat branch (``relu`` below 0, ``sign``), none of which a finite
    difference would move and each of which would cost an evaluation per Jacobian."""
    out = []
    for j in range(jac.shape[1]):
        column = jac[:, j]
        if not _all_finite(column):
            out.append(j)
        elif not column.any():
            t = tangent[j]
            if (lost[j] and not t.any()) or (constant and not (_all_finite(t) and bool((t == t[0]).all()))):
                out.append(j)
    return out


def difference_columns(jac: F64, columns: list[int], theta: F64, r: F64, residuals: Callable[[F64], F64],
                       allowed: int) -> tuple[F64, int]:
    """``jac`` (n, p) with each of ``columns`` replaced by the forward difference of the residuals
    ``(residuals(theta + h e_j) - r) / h`` (``r``: the residuals at ``theta``; ``h = FD_STEP *
    max(1, |theta_j|)``, the step actually taken, ``(theta_j + h) - theta_j``), or the backward one
    where the residuals at ``theta + h e_j`` are not finite (all ``_BAD``); a column whose residuals
    are not finite either way stays as it was.  At most ``allowed`` residual evaluations, taken in
    order of the columns (forward, then backward); returns the Jacobian (a copy when a column
    changed) and the evaluations spent, each counting one, as a trial step does.  The compiled
    kernel (``formula_kernel._differences``) does the same operations."""
    spent, copied = 0, False
    for j in columns:
        for sign in (1.0, -1.0):
            if spent >= allowed:
                return jac, spent
            size = abs(float(theta[j]))
            step = sign * FD_STEP * (size if size > 1.0 else 1.0)
            trial = np.array(theta, np.float64)
            trial[j] = theta[j] + step
            taken = float(trial[j] - theta[j])
            shifted = residuals(trial)
            spent += 1
            if bool(np.all(shifted == _BAD)):
                continue
            if not copied:
                jac, copied = np.array(jac, np.float64, order="C"), True
            jac[:, j] = (shifted - r) / taken
            break
    return jac, spent


def scaled_jacobian(pred: F64, tangent: F64, y: F64, w: Weights = None) -> F64:
    """The (n, p) Jacobian of the scaled residuals ``a + b * pred - y`` in the literals, from the
    output ``pred`` (n,) and its tangent (p, n), the scaling ``(a, b)`` being Keijzer's closed form
    of ``pred`` (:func:`linear_scaling`), differentiated through: with ``dev = pred - mean(pred)``,
    ``yc = y - mean(y)``, ``var = mean(dev^2)``, the residual is ``b * dev - yc`` and for each
    literal's tangent ``t`` (``tc = t - mean(t)``)

        d b = (mean(tc * yc) - 2 b mean(dev * tc)) / var,     d r = b * tc + dev * d b

    (the exact derivative of the variable-projection residual, Golub & Pereyra 1973; what the
    finite differences of the scaled residuals approximated).  A constant ``pred`` (the
    ``(mean y, 0)`` branch of :func:`linear_scaling`, whose residuals do not depend on it there):
    zeros (:func:`needs_difference` says which of them a finite difference replaces).  With weights ``w`` (n,):
    every mean and the variance weighted (the scaling is :func:`linear_scaling`'s weighted one); the rows are the
    residuals' own, not yet multiplied by ``sqrt(w)`` (:func:`_fit_numpy` does that)."""
    p, n = tangent.shape
    var = _var(pred, w)
    if constant_prediction(var, pred):
        return np.zeros((n, p))
    dev, yc = pred - _mean(pred, w), y - _mean(y, w)
    b = _mean(dev * yc, w) / var
    cols = []
    for j in range(p):
        tc = tangent[j] - _mean(tangent[j], w)
        db = (_mean(tc * yc, w) - 2.0 * b * _mean(dev * tc, w)) / var
        cols.append(b * tc + dev * db)
    return np.stack(cols, axis=1)


class _Numbers(NamedTuple):
    """What a fit computes (by NumPy, :func:`_fit_numpy`, or compiled, ``formula_kernel.fit_numbers``):
    ``ok`` False when the formula is not finite at its start; the best literals ``theta`` and their
    sum of squared (scaled) residuals ``sse``; the formula evaluations spent; the final scaling
    ``(a, b)`` of ``theta``'s output and its unscaled sum of squares (0 without scaling)."""

    ok: bool
    theta: F64
    sse: float
    calls: int
    a: float
    b: float
    unscaled: float


def _fit_numpy(run: Callable[..., Any], body: Body | None, x: F64, y: F64, theta0: F64, scale: bool,
               budget: int, w: Weights = None) -> _Numbers:
    """The reference fit: ``run(*columns, *theta)`` is the formula with its literals as trailing inputs
    (after the columns of ``x``), ``body`` its linearised form (None: no tuning); at most ``budget``
    LM evaluations (0: no tuning), each residual evaluation and each Jacobian
    (:func:`forward_tangents`, one pass) counting one.  With weights ``w`` (n,), above 0: weighted least squares,
    the scaling weighted (:func:`linear_scaling`) and each residual and Jacobian row times ``sqrt(w)``, so that
    the sums of squares LM minimises and reports are ``sum(w * r^2)``."""
    columns = list(np.asarray(x, np.float64).T)
    n = len(y)
    calls = 0
    root = None if w is None else np.sqrt(w)

    def predict(theta: F64) -> F64:
        nonlocal calls
        calls += 1
        return np.broadcast_to(np.asarray(run(*columns, *theta), np.float64), y.shape)

    def residuals(theta: F64) -> F64:
        pred = predict(theta)
        if not _all_finite(pred):
            return np.full(y.shape, _BAD)
        if scale:
            a, b = linear_scaling(pred, y, w)
            pred = a + b * pred
        r = pred - y if root is None else (pred - y) * root
        return r if _all_finite(r) else np.full(y.shape, _BAD)

    made: list[Any] = []  # the last Jacobian's tangent, lost flags and whether its scaling was constant

    def jacobian(theta: F64) -> F64:
        nonlocal calls
        calls += 1
        assert body is not None
        pred, tangent, lost = forward_tangents(body, columns, theta, n)
        made[:] = [tangent, lost, scale and constant_prediction(_var(pred, w), pred)]
        # (C order, as np.stack makes it: J^T J sums the rows in turn, not each column pairwise)
        jac = scaled_jacobian(pred, tangent, y, w) if scale else np.ascontiguousarray(tangent.T)
        return jac if root is None else jac * root[:, None]

    def repair(jac: F64, theta: F64, r: F64, allowed: int) -> tuple[F64, int]:
        wrong = needs_difference(jac, *made)
        return difference_columns(jac, wrong, theta, r, residuals, allowed) if wrong else (jac, 0)

    start = residuals(theta0)
    best_theta, best_sse = theta0, _sum(start**2)
    if not _all_finite(start) or np.all(start == _BAD):
        return _Numbers(False, best_theta, best_sse, calls, 0.0, 0.0, 0.0)
    if budget > 0 and best_sse > 0 and body is not None:
        theta, sse = levenberg_marquardt(residuals, jacobian, theta0, start, budget, repair, gradient_floor(y, w))
        if sse < best_sse:  # fitting is an improvement, never a failure: else the start stays
            best_theta, best_sse = theta, sse
    a = b = unscaled = 0.0
    if scale:
        pred = predict(best_theta)
        a, b = linear_scaling(pred, y, w)
        unscaled = _sum((pred - y) ** 2) if w is None else _sum(w * (pred - y) ** 2)
    return _Numbers(True, best_theta, best_sse, calls, a, b, unscaled)


def _formula_kernel() -> ModuleType | None:
    """:mod:`~mlevolve.interpreter.formula_kernel` when the compiled interpreter is available
    (``fastpath.compiled_kernel``: numba installed, ``MLEVOLVE_NO_JIT`` unset), else None."""
    if compiled_kernel() is None:
        return None
    from mlevolve.interpreter import formula_kernel

    return formula_kernel


def _fit_compiled(kernel: ModuleType, d: Definition, offset: int, nodes: list[Expr], sites: list[int],
                  points: FitPoints, scale: bool, budget: int) -> _Numbers | None:
    """The fit by the compiled kernel of the subtree at preorder ``offset`` of ``d``'s body (whose
    nodes are ``nodes``, literals at ``sites``): on ``d``'s own linearised body (its instructions
    after that subtree's are run and not read), or None when the kernel does not run it.  On ``points``
    (:func:`fit_points`), weighted as :func:`_fit_numpy` (an empty ``w``: unweighted, the kernel's one signature)."""
    from mlevolve.interpreter.formula_code import scalar_formula_registers

    made = scalar_formula_registers(d)
    prepared = None if made is None else kernel.prepare(made[0])
    if made is None or prepared is None:
        return None
    body, where = made
    code, consts, _ = prepared
    site_reg, site_sign = [], []
    for i in sites:  # a Num, or neg of the Num after it in preorder
        negated = not isinstance(nodes[i], Num)
        site_reg.append(where[offset + i + (1 if negated else 0)])
        site_sign.append(-1.0 if negated else 1.0)
    if not all(body.n_inputs <= r < body.n_inputs + len(consts) for r in site_reg):
        return None  # (each literal has its constant register: a guard, never seen)
    ok, theta, sse, calls, a, b, unscaled = kernel.fit_numbers(
        code, consts, where[offset], np.array(site_reg, np.int64), np.array(site_sign, np.float64),
        points.columns, points.y, points.w, scale, budget, points.floor)
    return _Numbers(bool(ok), theta, float(sse), int(calls), float(a), float(b), float(unscaled))


def has_literals(program: Program) -> bool:
    """Whether ``program``'s formula holds a numeric literal (one :func:`fit_formula` can tune)."""
    body = _formula(program).body
    return body is not None and any(constant_value(n) is not None for n in preorder(body))


def restarts(theta: F64) -> list[F64]:
    """The starting literals tried, in this order, when a formula is not finite on its training
    points at its own literals ``theta`` (p,): each literal at 0 moved to 1 (the pole of ``x / c``,
    ``log(c)``, ``reciprocal(c)``); then, besides, each literal clipped to [-1, 1] (``exp(1000.0)``,
    ``c ** 400``: an overflow); then their magnitudes (``log(-2.0)``, ``sqrt(-c)``: outside the
    domain).  A start equal to one before it (or to ``theta``) is left out.

    Why these: SymbolicRegression.jl (PySR) restarts its constant optimiser from perturbed constants,
    ``c * (1 + 0.5 * randn)``; a relative perturbation cannot leave a pole at 0 nor bring ``exp(1000)``
    into range, and a random one would need a generator per candidate.  These starts are fixed, so a
    fit stays deterministic.  Each costs one formula evaluation (:func:`fit_formula` counts it)."""
    zero_moved = np.where(theta == 0.0, 1.0, theta)
    unit = np.where(theta == 0.0, 1.0, np.clip(theta, -1.0, 1.0))
    out: list[F64] = []
    for start in (zero_moved, unit, np.abs(unit)):
        if not any(np.array_equal(start, seen) for seen in (theta, *out)):
            out.append(start)
    return out


def fit_formula(program: Program, spec: GrammarSpec, x: F64, y: F64, options: FitOptions = FitOptions(),
                w: Weights = None, points: FitPoints | None = None) -> Fitted:
    """Tune the literals of ``program``'s formula and scale its output on points ``x`` (n, vars),
    ``y`` (n,), weighted by ``w`` (n,, above 0; None: unweighted) as weighted least squares; returns the fitted
    program (the input itself when nothing improved) and the
    number of formula evaluations spent (each residual evaluation and each Jacobian counting one).
    Never raises for a bad candidate: a formula that is not finite on the points at its literals is
    fitted from the first of :func:`restarts` at which it is (its literals replaced), and comes back
    unchanged when it is finite at none (every start tried counting one evaluation).

    The fitted formula's chains of literals are folded into one (``a + b * (c * x)`` as
    ``a + (b * c) * x``, by :func:`~mlevolve.dsl.simplify.fold_fitted`): equal in real arithmetic, not
    bit for bit, so the program returned is the one to score (the evaluator scores it).

    Runs on the compiled kernel (:mod:`~mlevolve.interpreter.formula_kernel`, the same numbers but
    through ``exp``, ``log``, ``sin``, ``cos``, ``tanh``: see there) when it is available and encodes
    the formula, else on NumPy (the reference, ``MLEVOLVE_NO_JIT=1``); weighted or not alike.  ``points``:
    :func:`fit_points` of ``x``, ``y``, ``w`` when the caller fits many formulas on the same points (the
    evaluator), else None (made here): the same numbers either way."""
    points = fit_points(x, y, w) if points is None else points
    fitted, ok = _fit_once(program, spec, x, y, options, w, points)
    if ok or not options.tune:
        return fitted
    d = _formula(program)
    assert d.body is not None
    existing = _split(d.body) if options.scale else None
    inner = existing[0] if existing is not None else d.body
    nodes = preorder(inner)
    sites = literal_sites(inner, nodes)
    spent = fitted.evaluations
    if not sites:
        return fitted
    theta = np.array([constant_value(nodes[i]) for i in sites], np.float64)
    for start in restarts(theta):
        moved = _substitute(inner, sites, [const(float(v)) for v in start])
        body = moved if existing is None else scaled(moved, existing[1], existing[2])
        again, ok = _fit_once(program.replace(d.replace_body(body)), spec, x, y, options, w, points)
        spent += again.evaluations
        if ok:
            return Fitted(again.program, spent, again.body, again.simple)
    return Fitted(program, spent)


def _fit_once(program: Program, spec: GrammarSpec, x: F64, y: F64, options: FitOptions, w: Weights,
              points: FitPoints) -> tuple[Fitted, bool]:
    """:func:`fit_formula` from the program's own literals, and whether the formula was finite there."""
    d = _formula(program)
    assert d.body is not None
    existing = _split(d.body) if options.scale else None
    inner, offset = (existing[0], existing[3]) if existing is not None else (d.body, 0)
    nodes = preorder(inner)
    sites = literal_sites(inner, nodes) if options.tune else []
    budget = 2 * max(1, options.iterations) if sites and len(y) >= len(sites) else 0  # a residual and a Jacobian each
    with np.errstate(all="ignore"):  # overflow in a candidate is data (a bad fit), never a warning
        numbers = None
        kernel = _formula_kernel()
        if kernel is not None:
            numbers = _fit_compiled(kernel, d, offset, nodes, sites, points, options.scale, budget)
        if numbers is None:
            theta0 = np.array([constant_value(nodes[i]) for i in sites], np.float64)
            taken = {p.name for p in d.params}
            names = [f"theta{i}" for i in range(len(sites))]
            while taken & set(names):
                names = [n + "_" for n in names]
            body = _substitute(inner, sites, [Ref(n) for n in names])
            params = (*d.params, *(Param(n, "Scalar") for n in names))
            with_inputs = Definition("formula", d.name, params, "Scalar", body)
            # Evaluated by the fast path (no code generated): the same numbers as the generated code.
            from mlevolve.interpreter.formula_code import scalar_formula

            linear = scalar_formula(with_inputs)
            fn = formula_function(Program(program.name, (with_inputs,)), spec) if linear is None else \
                linear.function(0, rng=False)
            # (a formula computes with Scalars, so it always has its linear form; without one, no derivatives)
            numbers = _fit_numpy(fn, linear, x, y, theta0, options.scale, budget if linear is not None else 0, w)
        if not numbers.ok:
            return Fitted(program, numbers.calls), False
        literals = [const(float(v)) for v in numbers.theta]
        if any(new != nodes[i] for i, new in zip(sites, literals, strict=True)):
            fitted = _substitute(inner, sites, literals)
        else:  # every literal as it was (the same node): nothing to rebuild
            fitted = inner
        wrapper: tuple[str, Expr, Expr] | None = None  # the scaling's form and its literals a, b (signed_scaled)
        flat = False  # the formula replaced by its intercept
        if options.scale:
            a, b = numbers.a, numbers.b
            scale_tol = 1e-9 * (1.0 + abs(points.y_mean))
            identity = abs(a) <= scale_tol and abs(b - 1.0) <= 1e-9
            if abs(a) <= 1e-9 * points.y_spread:  # an intercept that moves the MSE by under 1e-18 of the targets'
                a = 0.0  # variance (a fit's 1.776e-15) is 0, which the fold drops (0.0 + b * f is b * f, SIGNED_ZERO;
                # the program is scored again): no row of the report shows it
            # An existing scaling was stripped above: the fresh (a, b) is least squares, so no worse than it.
            better = numbers.sse < numbers.unscaled and np.isfinite(a) and np.isfinite(b)
            if b == 0.0 and better:  # constant (up to rounding) on the points: the model is a = mean(y) alone
                fitted, flat = const(a), True
            elif b != 0.0 and not identity and better:  # the wrapper holds the scaled tree's own literals
                first, second = const(a), const(b)
                fitted, wrapper = _line_of(first, second, fitted), ("add", first, second)
        folded, settled = folded_fitted(fitted) if sites or wrapper is not None else (fitted, False)
        if folded != fitted:  # its literals moved: the Body is made from the program (fold_fitted's rules)
            fitted, flat = folded, True
        elif wrapper is not None:  # not folded: the scaling's signs where the simplifier puts them (the same bits)
            assert isinstance(fitted, Call) and isinstance(fitted.args[1], Call)
            form = _signed_form(numbers.a, numbers.b)
            if form != "add":  # ("add": signed_scaled's tree is scaled's, the one made above)
                fitted = signed_scaled(fitted.args[1].args[1], numbers.a, numbers.b)[0]
            wrapper = (form, wrapper[1], wrapper[2])  # (const(a), const(b), as made above)
        if fitted == d.body:
            return Fitted(program, numbers.calls), True
        linearised = None
        if existing is None and not flat:  # the fitted formula's Body from its own, when only literals changed
            from mlevolve.interpreter.formula_code import refitted, scalar_formula_registers

            made = scalar_formula_registers(d)
            if made is not None:
                linearised = refitted(made, dict(zip(sites, literals, strict=True)), wrapper)
        simple = fitted if settled else None  # (a fold that ran left a fixpoint)
        return Fitted(program.replace(d.replace_body(fitted)), numbers.calls, linearised, simple), True


def formula_points(data: dict[str, Any]) -> tuple[F64, F64, Weights]:
    """The training points of a formula task's arrays (``tasks.arrays``): x (n, vars), y (n,) and their weights (n,)
    or None (unweighted)."""
    w = data.get("w_train")
    return (np.asarray(data["x_train"], np.float64), np.asarray(data["y_train"], np.float64),
            None if w is None else np.asarray(w, np.float64))


@dataclass(frozen=True)
class LearnerTuning:
    """Which learner literals to tune, and how (:func:`tune_learner`).

    ``slots``: the evolved methods (``learner.method``) whose literals are tuned; a literal in a
    method the run keeps fixed is the user's and never changes.  ``factors``: the grid, as
    multipliers of a literal's current value (a log scale from 1/100 to 10 in half decades: the
    SGD band [0.05, 0.3] is 0.8 decades wide, so some point lands in it from any start in [0.005,
    3]).  ``max_literals``: a candidate with more literals than this (or none) is scored as written.
    ``digits``: tuned values are rounded to this many significant digits (the text a person reads)
    and scored as rounded.  ``sweeps``: the most passes over the literals; another is made only
    when one improved the score.  Why more than one: one pass tunes each literal with the later
    ones at their old values (measured, the showcase's seed 4 stalled 9,500 candidates on ``(0.03167 + (y
    - p) * 0.1618) * x + w``, its bias ``0.03167`` tuned while the step was still ``0.00512``; a second
    pass takes it to ``0.0003167``, validation MSE 0.024 to 2.3e-6), and a best value at the grid's
    edge is not the literal's best (the next pass's grid goes on past it).  ``margin``: a value
    that scores better is taken only if the learner with that literal moved on by this factor, in
    the direction tuning moved it, does not fail (:func:`_inside_edge`; 1: off); else the next best
    value of the grid is tried.  Why: the best-scoring step is at the edge of stability, which
    diverges on tasks the search never saw."""

    slots: tuple[str, ...]
    factors: tuple[float, ...] = (0.01, 0.0316, 0.1, 0.316, 3.16, 10.0)
    max_literals: int = 2
    digits: int = 4
    sweeps: int = 3
    margin: float = 2.0


def learner_literals(program: Program, names: tuple[str, ...]) -> list[tuple[str, int, float]]:
    """``(slot, preorder index, value)`` of every nonzero literal in the slots ``names`` of ``program``
    (zero has no log scale; it stays as written)."""
    out = []
    for name in names:
        try:
            body = slot_body(program, name)
        except KeyError:
            continue
        out += [(name, i, value) for i, value in _body_literals(body)]
    return out


@lru_cache(maxsize=4096)
def _body_literals(body: Expr) -> tuple[tuple[int, float], ...]:
    """``(preorder index, value)`` of each nonzero literal site of ``body`` (:func:`literal_sites`),
    memoised per body (nodes are immutable and compared by digest): a candidate's unchanged
    method, and the variants tuning makes of one, are not walked again."""
    nodes = _nodes(body)
    values = ((i, constant_value(nodes[i])) for i in literal_sites(body))
    return tuple((i, float(value)) for i, value in values if value)


@lru_cache(maxsize=4096)
def _nodes(body: Expr) -> tuple[Expr, ...]:
    """The nodes of ``body`` in preorder, memoised per body."""
    return tuple(preorder(body))


def _set_literal(program: Program, name: str, index: int, value: float) -> Program:
    """``program`` with the literal at preorder ``index`` of slot ``name`` (a ``Num`` or ``neg`` of one)
    set to ``value``, of the literal's own sign, in the literal's own form (a ``Num`` never gains a
    ``neg``: a grammar may have none)."""
    body = slot_body(program, name)
    node = _nodes(body)[index]
    new = Num(value) if isinstance(node, Num) else const(value)
    return replace_slot(program, name, replace_at(body, index, new))


def _near(value: float, scored: set[float]) -> bool:
    """Whether ``value`` is within 1% of one of ``scored``: the same grid point (the factors are half
    decades rounded, so ``0.0316 * 0.0316`` is ``0.0009986``, the grid's ``0.001``)."""
    return any(abs(value - v) <= 0.01 * abs(v) for v in scored)


def tune_learner(program: Program, score: Callable[[Program], float | None], options: LearnerTuning,
                 start: float | None) -> tuple[Program, float | None, int]:
    """Tune the literals of ``program``'s evolved learner methods (``options.slots``) one after another
    on a log-scale grid (see the module docstring), keeping each literal's best value; then again,
    each grid around the literal's new value, while a sweep over the literals improved the score (at
    most ``options.sweeps`` sweeps; coordinate search).  A value already scored with the other
    literals as they are (or within 1% of it) is not scored again.  Of a literal's values that
    score better, the best that stays ``options.margin`` inside the edge of stability is taken
    (:func:`_inside_edge`: one more training run per value checked, counted in the evaluations).

    ``score(program)`` trains and scores a variant, the higher the better, None for a failure (a
    diverging learner); ``start`` is the program's own score as written.  Returns ``(best program,
    its score, evaluations spent)``; the program itself (the same object) when no variant scored
    higher, or when it has no literal or more than ``options.max_literals``.  Deterministic: the
    grid and the order of literals are fixed."""
    sites = learner_literals(program, options.slots)
    if not sites or len(sites) > options.max_literals:
        return program, start, 0
    best, best_score, spent = program, start, 0
    values = [value for _, _, value in sites]
    tried = [{value} for value in values]  # each literal's values scored with the others as they are now
    for _ in range(options.sweeps):
        improved = False
        for k, (name, index, _) in enumerate(sites):  # tuning one literal keeps the others' places (same form)
            centre = values[k]
            better: list[tuple[float, int, float, Program]] = []  # (score, grid order, value, variant)
            for factor in options.factors:
                trial_value = float(f"{centre * factor:.{options.digits}g}")
                if not math.isfinite(trial_value) or trial_value == 0.0 or _near(trial_value, tried[k]):
                    continue
                tried[k].add(trial_value)
                trial = _set_literal(best, name, index, trial_value)
                result = score(trial)
                spent += 1
                if result is not None and math.isfinite(result) and (best_score is None or result > best_score):
                    better.append((result, len(better), trial_value, trial))
            for result, _, trial_value, trial in sorted(better, key=lambda b: (-b[0], b[1])):  # best first
                stable, cost = _inside_edge(trial, name, index, trial_value, centre, score, options)
                spent += cost
                if stable:
                    best, best_score, values[k] = trial, result, trial_value
                    # the other literals' scores were taken with this one's old value: try them again
                    improved = True
                    tried = [t if j == k else {values[j]} for j, t in enumerate(tried)]
                    break
        if not improved:
            break
    return best, best_score, spent


def _inside_edge(trial: Program, name: str, index: int, value: float, old: float,
                 score: Callable[[Program], float | None], options: LearnerTuning) -> tuple[bool, int]:
    """Whether a tuned literal ``value`` (moved from ``old``) stays a factor ``options.margin`` inside
    the edge of stability in the direction it moved: the learner with the literal moved on by that
    factor (``value * margin`` when it grew in magnitude, ``value / margin`` when it shrank) does not
    fail.  Returns ``(verdict, training runs spent)``: none when ``options.margin`` is 1 (off).

    Why: a learner's score on its tasks keeps improving as a step grows until, just past the best
    value, it diverges; the grid's best is then at the edge, where it diverges on some tasks the
    search never saw (measured, the showcase's seed 8: ``w + 0.3265 * ((y - p) * x ...)``, MSE 2e-12
    on its 10 tasks, diverging on about 1 task in 1,000).  A step half the largest stable one is the
    classical safe choice (gradient descent on a quadratic is stable below ``2 / L`` and fastest at
    ``1 / L``)."""
    if options.margin == 1.0:
        return True, 0
    beyond = value * options.margin if abs(value) > abs(old) else value / options.margin
    beyond = float(f"{beyond:.{options.digits}g}")
    if not math.isfinite(beyond) or beyond == 0.0:
        return False, 0
    result = score(_set_literal(trial, name, index, beyond))
    return result is not None and math.isfinite(result), 1
