"""Forward-mode automatic differentiation of formulas (:mod:`mlevolve.interpreter.derivatives`,
``fit.forward_tangents``, ``fit.scaled_jacobian``) against central finite differences, and the
compiled kernel's transcription of the rules against the table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import mlevolve
from mlevolve.dsl.ir import Definition, Param, Program, Ref
from mlevolve.dsl.parse import parse
from mlevolve.dsl.traverse import preorder
from mlevolve.interpreter import derivatives, fit, formula_code, opcodes, primitives
from mlevolve.interpreter.derivatives import DERIVATIVES, partials, term
from mlevolve.interpreter.fit import FitOptions, fit_formula, forward_tangents, levenberg_marquardt, scaled_jacobian
from tests.interpreter.test_fastpath import SPEC, random_formulas

ELEMENTWISE = [op for op, code in opcodes.OPCODES.items() if code <= opcodes.OPCODES["sign"]]


def primitive(op: str) -> Any:
    """The primitive's NumPy template as a function of two arrays (the second unused by a unary op)."""
    return eval(f"lambda a0, a1: {primitives.NUMPY[op].format('a0', 'a1')}", {"np": np})


def test_every_primitive_a_formula_can_use_has_a_rule_of_its_arity() -> None:
    """A formula computes with Scalars only: its primitives are the elementwise ones over Scalars
    (those :func:`formula_code._instruction` admits), and each has a derivative rule."""
    def arity(op: str) -> int | None:
        return next((k for k in (1, 2) if opcodes.opcode(op, ("Scalar",) * k, "Scalar") is not None), None)

    usable = {op for op in primitives.NUMPY if arity(op) is not None}
    assert usable == set(ELEMENTWISE) == set(DERIVATIVES)
    for op, rule in DERIVATIVES.items():
        assert formula_code._instruction(op, (False,) * len(rule.partials)) is not None, op
        assert len(rule.partials) == arity(op), op
        assert rule.law.startswith("d"), op


def away_from_kinks(op: str, a: float, b: float) -> bool:
    """Whether ``(a, b)`` is inside ``op``'s differentiable domain, not within 1e-3 of a kink, a jump
    or a pole (where central differences mean nothing)."""
    near = {"abs": abs(a), "relu": abs(a), "sign": abs(a), "heaviside": abs(a), "min": abs(a - b),
            "max": abs(a - b), "log": a, "sqrt": a, "div": abs(b), "reciprocal": abs(a)}
    return near.get(op, 1.0) > 1e-3


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(DERIVATIVES)), st.floats(-4.0, 4.0), st.floats(-4.0, 4.0))
def test_each_rule_is_the_derivative_by_central_differences(op: str, a: float, b: float) -> None:
    assume(away_from_kinks(op, a, b))
    fn = primitive(op)
    with np.errstate(all="ignore"):
        value = fn(np.float64(a), np.float64(b))
        got = partials(op)(np.float64(a), np.float64(b), value)
    for k, arg in enumerate(got):
        h = 1e-6 * max(1.0, abs((a, b)[k]))
        up = fn(np.float64(a + h), np.float64(b)) if k == 0 else fn(np.float64(a), np.float64(b + h))
        down = fn(np.float64(a - h), np.float64(b)) if k == 0 else fn(np.float64(a), np.float64(b - h))
        want = (up - down) / (2 * h)
        assert math.isclose(float(arg), float(want), rel_tol=1e-5, abs_tol=1e-6 * (1 + abs(float(value)))), \
            (op, k, a, b, arg, want)


def test_the_conventions_at_kinks_jumps_and_infinite_slopes() -> None:
    def d(op: str, a: float, b: float = 0.0) -> tuple[float, ...]:
        fn = primitive(op)
        with np.errstate(all="ignore"):
            value = fn(np.float64(a), np.float64(b))
            return tuple(float(v) for v in partials(op)(np.float64(a), np.float64(b), value))

    assert d("abs", 0.0) == (0.0,) and d("abs", -0.0) == (0.0,) and d("abs", -2.0) == (-1.0,)
    assert d("relu", 0.0) == (0.0,) and d("relu", 1e-300) == (1.0,)
    assert d("sign", 0.0) == (0.0,) and d("heaviside", 0.0) == (0.0,)
    assert d("min", 1.0, 1.0) == (0.0, 1.0) and d("max", 1.0, 1.0) == (0.0, 1.0)  # a tie follows b, as the value
    assert d("min", 0.5, 1.0) == (1.0, 0.0) and d("max", 0.5, 1.0) == (0.0, 1.0)
    assert d("sqrt", 0.0) == (math.inf,)


def test_a_term_is_zero_when_either_factor_is() -> None:
    t = np.array([[0.0, 1.0, np.inf, np.nan, 2.0]])
    with np.errstate(all="ignore"):
        assert np.array_equal(term(np.array([np.inf, 0.0, 0.0, 0.0, 3.0]), t), [[0.0, 0.0, 0.0, 0.0, 6.0]])
        assert np.isnan(term(np.nan, np.array([[1.0]]))).all()  # a NaN partial on a live tangent stays NaN
        assert np.array_equal(term(np.nan, np.array([[0.0]])), [[0.0]])


def with_inputs(program: Program) -> tuple[Any, np.ndarray] | None:
    """The formula with its literals as trailing inputs (as the reference fit makes it) and their values."""
    d = program.definitions[0]
    assert d.body is not None
    nodes = preorder(d.body)
    sites = fit.literal_sites(d.body, nodes)
    if not sites:
        return None
    names = [f"theta{i}" for i in range(len(sites))]
    body = fit._substitute(d.body, sites, [Ref(n) for n in names])
    linear = formula_code.scalar_formula(Definition("formula", "f", (*d.params, *(Param(n, "Scalar") for n in names)),
                                                    "Scalar", body))
    assert linear is not None
    return linear, np.array([fit.constant_value(nodes[i]) for i in sites], np.float64)


def differences(fn: Any, theta: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Central, forward and backward differences of ``fn`` (theta -> (n,)) in each literal, each (n, p),
    step ``h`` relative to the literal."""
    central, forward, backward = [], [], []
    at = fn(theta)
    for j in range(len(theta)):
        step = h * max(1.0, abs(float(theta[j])))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        high, low = fn(up), fn(down)
        central.append((high - low) / (2 * step))
        forward.append((high - at) / step)
        backward.append((at - low) / step)
    return np.stack(central, axis=1), np.stack(forward, axis=1), np.stack(backward, axis=1)


def check_against_differences(linear: Any, theta: np.ndarray, x: np.ndarray, y: np.ndarray, scale: bool) -> int:
    """Where the formula's every intermediate value is finite at ``theta`` (else 0 entries compared), the
    AD Jacobian of the (scaled) residuals against central differences, entry by entry where
    central differences at two steps agree and so do the forward and backward ones (so no kink,
    jump or pole lies at the point or within a step, and the function is smooth enough there for
    differences to mean something); returns the entries compared."""
    columns, n = list(x.T), len(y)
    run = linear.function(0, rng=False)

    def residuals(th: np.ndarray) -> np.ndarray:
        pred = np.broadcast_to(np.asarray(run(*columns, *th), np.float64), (n,))
        if scale:
            a, b = fit.linear_scaling(pred, y)
            pred = a + b * pred
        return pred - y

    with np.errstate(divide="raise", over="raise", invalid="raise"):
        try:  # the chain rule's premise: every intermediate value finite (reciprocal(0.0) inside sign(x) / it,
            run(*columns, *theta)  # a removable singularity, has a derivative AD cannot see through the inf)
        except FloatingPointError:
            return 0
    with np.errstate(all="ignore"):
        pred, tangent, _ = forward_tangents(linear, columns, theta, n)
        if not np.isfinite(pred).all() or np.abs(pred).max() > 1e6:
            return 0
        if scale and not fit._var(pred) > 1e-6:
            return 0
        got = scaled_jacobian(pred, tangent, y) if scale else tangent.T
        coarse = differences(residuals, theta, 1e-5)[0]
        fine, forward, backward = differences(residuals, theta, 1e-6)
        size = 1.0 + float(np.abs(residuals(theta)).max())
        stable = np.isfinite(coarse) & np.isfinite(fine) & (np.abs(coarse - fine) <= 1e-4 * (np.abs(fine) + size))
        stable &= np.abs(forward - backward) <= 1e-5 * (np.abs(fine) + size)  # no kink at the point (vs atol below)
        stable &= np.isfinite(got) & (np.abs(coarse) < 1e6)
    assert np.allclose(got[stable], fine[stable], rtol=1e-4, atol=1e-4 * size), (got[stable], fine[stable])
    return int(stable.sum())


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 10**6), st.booleans())
def test_the_jacobian_of_random_formulas_is_the_central_differences(seed: int, scale: bool) -> None:
    program = next(random_formulas(1, seed))
    mlevolve.check(program)
    made = with_inputs(program)
    assume(made is not None)
    assert made is not None
    linear, theta = made
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, (20, len(program.definitions[0].params)))
    y = np.sin(x[:, 0]) + x[:, -1] ** 2
    check_against_differences(linear, theta, x, y, scale)


def test_random_formulas_compare_on_most_entries() -> None:
    """Not vacuous: over 200 random formulas most Jacobian entries are away from kinks and compared."""
    compared = 0
    for seed, program in enumerate(random_formulas(200, 31)):
        mlevolve.check(program)
        made = with_inputs(program)
        if made is None:
            continue
        x = np.random.default_rng(seed).uniform(-2.0, 2.0, (20, len(program.definitions[0].params)))
        compared += check_against_differences(*made, x, np.cos(x[:, 0]), seed % 2 == 0)
    assert compared >= 2000


def formula(body: str) -> Program:
    return mlevolve.check(parse(f"algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  {body}\n"))


@pytest.mark.parametrize("jit", [True, False])
def test_a_literal_that_cannot_move_a_value_has_derivative_zero_there(jit: bool,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``sqrt(c * x)`` at ``x = 0`` is 0 for every ``c``: its derivative there is 0 (strong zeros),
    not ``inf * 0``, and the fit proceeds (it would stop at a NaN Jacobian)."""
    if not jit:
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    x = np.linspace(0.0, 2.0, 21)
    made = with_inputs(formula("sqrt(0.5 * x)"))
    assert made is not None
    with np.errstate(all="ignore"):
        _, tangent, _ = forward_tangents(made[0], [x], made[1], 21)
    assert tangent[0, 0] == 0.0 and np.isfinite(tangent).all()
    fitted = fit_formula(formula("sqrt(0.5 * x) + 0.3 * x"), SPEC, x[:, None], np.sqrt(2.0 * x) + x,
                         FitOptions(scale=False))
    assert fitted.evaluations > 4  # LM went on past its first Jacobian
    body = fitted.program.definitions[0].body
    assert body is not None
    values = [fit.constant_value(n) for n in preorder(body) if fit.constant_value(n) is not None]
    assert values == pytest.approx([2.0, 1.0], rel=1e-6)


@pytest.mark.parametrize("jit", [True, False])
def test_a_non_finite_jacobian_column_falls_back_to_a_finite_difference(jit: bool,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``sqrt(x - c)`` at ``x = c``: the value 0 is finite, its slope in ``c`` infinite.  The column is
    replaced by a finite difference (backward: ``c + h`` puts ``x = 1`` outside the domain), so the
    literal moves to the right value, each difference counted as an evaluation (LM stopped at that
    Jacobian before, the literal stuck at 1.0)."""
    if not jit:
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    x = np.linspace(1.0, 3.0, 21)[:, None]
    program = formula("sqrt(x - 1.0)")
    y = np.sqrt(x[:, 0] - 0.5)
    short = fit_formula(program, SPEC, x, y, FitOptions(scale=False))
    assert short.evaluations == 2 * 10 + 1  # the start, then the whole LM budget (differences included)
    fitted = fit_formula(program, SPEC, x, y, FitOptions(scale=False, iterations=30))
    assert fitted.evaluations <= 2 * 30 + 2
    body = fitted.program.definitions[0].body
    assert body is not None
    assert [fit.constant_value(n) for n in preorder(body) if fit.constant_value(n) is not None] == \
        pytest.approx([0.5], rel=1e-9)


def test_levenberg_marquardt_counts_a_residual_and_a_jacobian_one_each() -> None:
    """At most ``2 * iterations`` calls, each Jacobian one call whatever the number of literals, and at
    most one Jacobian per accepted step (plus the first)."""
    x = np.linspace(-1.0, 1.0, 30)
    y = 2.0 * np.exp(0.5 * x) + np.sin(1.5 * x)
    calls = {"residuals": 0, "jacobian": 0}

    def residuals(th: np.ndarray) -> np.ndarray:
        calls["residuals"] += 1
        return np.asarray(th[0] * np.exp(th[1] * x) + np.sin(th[2] * x) + th[3] - y)

    def jacobian(th: np.ndarray) -> np.ndarray:
        calls["jacobian"] += 1
        return np.stack([np.exp(th[1] * x), th[0] * x * np.exp(th[1] * x), x * np.cos(th[2] * x), np.ones(30)], 1)

    theta0 = np.array([1.0, 1.0, 1.0, 0.0])
    theta, sse = levenberg_marquardt(residuals, jacobian, theta0, residuals(theta0), 2 * 10)
    calls["residuals"] -= 1  # the start's, made above
    assert calls["residuals"] + calls["jacobian"] <= 20 and 1 <= calls["jacobian"] <= 10
    assert sse < 1e-12 and theta == pytest.approx([2.0, 0.5, 1.5, 0.0], abs=1e-6)


kernel_module = pytest.importorskip("mlevolve.interpreter.formula_kernel")


def test_the_kernels_partials_are_the_tables_bit_for_bit() -> None:
    """The kernel's transcription of every rule, on a grid of IEEE corners and ordinary numbers,
    against the table's NumPy expression (``sin`` and ``cos`` through the C library's ``cos`` and
    ``sin`` on both sides: the kernel calls the C library, NumPy its own SIMD code)."""
    from tests.interpreter.test_kernel import LIBM, same_bits

    names = {**derivatives._NAMES, **{f"_libm_{k}": f for k, f in LIBM.items()}}
    matched = {"sin": ("_libm_cos(a0)",), "cos": ("-_libm_sin(a0)",)}
    corners = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e-300, -1e300, 700.0, -745.0, np.inf, -np.inf, np.nan, 3.0]
    a, b = (np.array(v, np.float64) for v in zip(*[(p, q) for p in corners for q in corners], strict=True))
    for op in DERIVATIVES:
        code = opcodes.OPCODES[op]
        with np.errstate(all="ignore"):
            value = primitive(op)(a, b)
            exprs = matched.get(op, DERIVATIVES[op].partials)
            want = eval(f"lambda a0, a1, v: ({', '.join(exprs)},)", names)(a, b, value)
            got = np.array([kernel_module._partials(code, p, q, v) for p, q, v in zip(a, b, value, strict=True)])
        for k, partial in enumerate(want):
            assert same_bits(np.broadcast_to(partial, a.shape), got[:, k]), op
