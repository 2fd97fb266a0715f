"""Compiled formulas (:mod:`mlevolve.interpreter.formula_kernel`, :mod:`~mlevolve.interpreter.formula_code`)
against the NumPy fast path, the reference.

Oracles, over random formulas of the base grammar (``test_fastpath.random_formulas``: 1-4 inputs,
lets, depth up to 6) on points with the IEEE corners:

1. Linearising without type inference (``formula_code.scalar_formula``) gives ``fastpath.linearise``'s
   very Body (instructions, constants, registers, kernel encoding) wherever it applies.
2. The kernel's values equal the NumPy path's bit for bit (NaN in the same places) once the NumPy
   path computes ``exp``, ``log``, ``sin``, ``cos``, ``tanh`` with the C library as the kernel does
   (``test_kernel.MATCHED``); with NumPy's own SIMD functions each differs by at most 4 ulp
   (``test_kernel``, per opcode), which a chain of operations may amplify (bounded below).
3. The compiled fit gives the reference fit's program and evaluation count exactly, under the same
   matching: every other difference (the LM loop, the reductions' order, the solve, signed zeros)
   would show.  Weighted fits too (random weights of at least 0: zeros, and ratios up to 1e12), where
   every mean, residual and Jacobian row differs from the unweighted one.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlevolve
from mlevolve.dsl.ir import Call, Definition, Expr, Num, Param, Program, Ref, const
from mlevolve.dsl.kinds import slots
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.traverse import preorder, replace_at
from mlevolve.interpreter import derivatives, fastpath, fit, formula_code, primitives
from mlevolve.interpreter.fastpath import compiled_formula, interpret, linearise
from mlevolve.interpreter.fit import FitOptions, _substitute, fit_formula, literal_sites
from tests.conftest import run_child
from tests.interpreter.test_fastpath import SPEC, random_formulas

formula_kernel = pytest.importorskip("mlevolve.interpreter.formula_kernel")
from tests.interpreter.test_fastpath import _fields  # noqa: E402
from tests.interpreter.test_kernel import LIBM, MATCHED, same_bits  # noqa: E402 - needs numba too

_X = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, -1e300, 700.0, -745.0, 1e-8, 0.25, -0.75, 2.0])


@pytest.fixture
def matched(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The NumPy path with the C library's transcendentals (what the kernel calls)."""
    names = {"np": np, **{f"_libm_{k}": f for k, f in LIBM.items()}}

    def function(expression: str) -> Any:
        return eval(f"lambda a0, a1, DIM, rng: {expression}", names)

    fastpath.clear_memos()  # (linearise's memo, and each instruction's function: made from the patched tables)
    formula_code._linearise.cache_clear()
    derivatives.partials.cache_clear()
    monkeypatch.setattr(primitives, "NUMPY", {**primitives.NUMPY, **MATCHED})
    monkeypatch.setattr(fastpath, "_function", function)
    monkeypatch.setattr(derivatives, "DERIVATIVES", {**derivatives.DERIVATIVES, **MATCHED_DERIVATIVES})
    monkeypatch.setattr(derivatives, "_NAMES", names)
    yield
    monkeypatch.undo()
    fastpath.clear_memos()
    formula_code._linearise.cache_clear()
    derivatives.partials.cache_clear()


# The derivative rules that call a transcendental, as the kernel computes them (the C library's).
MATCHED_DERIVATIVES = {"sin": derivatives.Rule(("_libm_cos(a0)",), "d sin(a) = cos(a) da"),
                       "cos": derivatives.Rule(("-_libm_sin(a0)",), "d cos(a) = -sin(a) da")}


def reference_body(program: Program) -> Any:
    slot = slots(program)[0]
    params = tuple(p.name for p in program.definitions[0].params)
    return linearise(slot.body, params, tuple(slot.env.items()), SPEC, slot.types)


def test_linearising_without_types_gives_linearises_body() -> None:
    made = 0
    for program in random_formulas(400, seed=21):
        mlevolve.check(program)
        got = formula_code.scalar_formula(program.definitions[0])
        if got is None:  # a Vector or Matrix somewhere (a let of one): linearise's alone
            continue
        made += 1
        want = reference_body(program)
        assert _fields(got) == _fields(want), format_program(program)
    assert made >= 200


def test_the_kernels_constants_are_the_bodys_own_values_in_one_array_type() -> None:
    """``formula_kernel.prepare`` hands the kernel each body's ``consts`` array, not a copy made per body: it holds
    the body's constants bit for bit, as a writable 1-D C-ordered float64 array (the one signature numba compiled),
    whichever way the body was made (the typed linearisation, the Scalar one, a refit's)."""
    from mlevolve.interpreter import formula_kernel

    seen = 0
    for program in random_formulas(300, seed=22):
        mlevolve.check(program)
        for body in (reference_body(program), formula_code.scalar_formula(program.definitions[0])):
            prepared = None if body is None else formula_kernel.prepare(body)
            if prepared is None:
                continue
            consts = prepared[1]
            want = np.array(body.constants, np.float64)
            assert consts.dtype == np.float64 and consts.ndim == 1 and consts.flags.c_contiguous
            assert consts.flags.writeable and np.array_equal(consts.view(np.int64), want.view(np.int64))
            seen += 1
    assert seen >= 300



def test_scalar_bodies_of_as_many_registers_share_one_read_only_ranks_array() -> None:
    """``formula_code._body`` gives every Body of n registers the one read-only ranks array (all Scalar), equal to
    the ranks ``fastpath.linearise`` makes; no Body can write to it."""
    by_size: dict[int, Any] = {}
    shared = 0
    for program in random_formulas(300, seed=23):
        mlevolve.check(program)
        body = formula_code.scalar_formula(program.definitions[0])
        want = reference_body(program)
        if body is None or want is None or body.ranks is None:
            continue
        assert not body.ranks.flags.writeable and np.array_equal(body.ranks, want.ranks)
        held = by_size.setdefault(len(body.ranks), body.ranks)
        assert held is body.ranks
        shared += 1
    assert shared >= 250 and len(by_size) < shared / 4  # (bodies of the same size met again: shared)

def test_a_body_with_other_types_is_left_to_linearise() -> None:
    """(Formulas compute with Scalars only, so these come from elsewhere: a grammar of its own.)"""
    vector = Definition("formula", "f", (Param("v", "Vector"),), "Scalar", Call("mean", (Ref("v"),)))
    assert formula_code.scalar_formula(vector) is None
    reduced = Definition("formula", "f", (Param("x", "Scalar"),), "Scalar", Call("mean", (Call("fill", (Ref("x"),)),)))
    assert formula_code.scalar_formula(reduced) is None
    unbound = Definition("formula", "f", (Param("x", "Scalar"),), "Scalar", Call("add", (Ref("x"), Ref("y"))))
    assert formula_code.scalar_formula(unbound) is None


def columns(arity: int) -> list[np.ndarray]:
    return [np.roll(_X, 3 * k) for k in range(arity)]


def value_pairs(n: int, seed: int) -> Iterator[tuple[Program, np.ndarray, np.ndarray]]:
    """Each random formula that has a compiled form, with its values on the NumPy path and compiled."""
    for program in random_formulas(n, seed):
        interpreted = interpret(mlevolve.check(program), SPEC)
        fast = compiled_formula(interpreted)
        if fast is None:
            continue
        inputs = columns(len(program.definitions[0].params))
        with np.errstate(all="ignore"):
            want, got = np.broadcast_to(interpreted.instantiate(0)(*inputs), _X.shape), fast(*inputs)
        yield program, want, got


def check_values(n: int, seed: int) -> int:
    ran = 0
    for program, want, got in value_pairs(n, seed):
        ran += 1
        assert same_bits(want, got), (format_program(program), want, got)
    return ran


@pytest.mark.usefixtures("matched")
def test_random_formulas_give_the_numpy_paths_values() -> None:
    assert check_values(1000, seed=22) >= 500


@pytest.mark.slow
@pytest.mark.usefixtures("matched")
def test_ten_thousand_formulas_give_the_numpy_paths_values() -> None:
    assert check_values(10_000, seed=23) >= 5_000


def test_against_numpys_own_transcendentals_values_agree_to_the_last_bits() -> None:
    """Each transcendental is within 4 ulp of NumPy's; a chain of operations may amplify that (``exp``
    of a large value, a difference of near-equal values), so: the same non-finite places always,
    and finite values within a relative 1e-9 for nearly every formula."""
    n, close = 0, 0
    for _, want, got in value_pairs(300, seed=24):
        n += 1
        with np.errstate(all="ignore"):
            close += bool(np.allclose(want, got, rtol=1e-9, atol=1e-300, equal_nan=True))
    assert n >= 150 and close >= 0.97 * n, (n, close)


def points(arity: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, (25, arity))
    y = x[:, 0] ** 3 - 0.5 * x[:, -1] + np.sin(2.0 * x[:, 0]) + 0.1 * rng.standard_normal(25)
    return x, y


def random_weights(n: int, seed: int) -> np.ndarray:
    """``n`` weights of at least 0 as a weighted fit takes them: about one in six 0 (a row that counts for
    nothing, its residual and Jacobian row times 0), the rest spread over 12 decades (1e-6 to 1e6), some
    positive always."""
    rng = np.random.default_rng(seed)
    w = 10.0 ** rng.uniform(-6.0, 6.0, n)
    w[rng.random(n) < 1 / 6] = 0.0
    w[rng.integers(n)] = rng.uniform(0.5, 2.0)
    return w


def check_fits(n: int, seed: int, monkeypatch: pytest.MonkeyPatch, options: FitOptions = fit.FitOptions(),  # noqa: B008
               programs: Iterator[Program] | None = None, weighted: bool = False) -> int:
    """Fit each random formula (or each of ``programs``) by the kernel and by NumPy
    (``MLEVOLVE_NO_JIT=1``), weighted by :func:`random_weights` when ``weighted``: the same program and count;
    returns how many the kernel fitted."""
    compiled = 0
    calls: list[int] = []
    real = formula_kernel.fit_numbers

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(formula_kernel, "fit_numbers", counted)
    for k, program in enumerate(random_formulas(n, seed) if programs is None else programs):
        mlevolve.check(program)
        x, y = points(len(program.definitions[0].params), k)
        w = random_weights(len(y), seed + k) if weighted else None
        before = len(calls)
        got = fit_formula(program, SPEC, x, y, options, w)
        compiled += len(calls) > before
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
        want = fit_formula(program, SPEC, x, y, options, w)
        monkeypatch.delenv("MLEVOLVE_NO_JIT")
        assert (got.program, got.evaluations) == (want.program, want.evaluations), \
            (format_program(program), format_program(got.program),
             format_program(want.program), got.evaluations, want.evaluations)
        if k % 3 == 0 and got.program is not program:  # refitted in place: its scaling stripped, then made anew
            again = fit_formula(got.program, SPEC, x, y, options, w)
            monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
            reference = fit_formula(got.program, SPEC, x, y, options, w)
            monkeypatch.delenv("MLEVOLVE_NO_JIT")
            assert (again.program, again.evaluations) == (reference.program, reference.evaluations)
    return compiled


@pytest.mark.usefixtures("matched")
def test_random_fits_give_the_reference_fits_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert formula_kernel._BAD == fit._BAD  # the residual standing for a non-finite output, in both
    assert check_fits(300, seed=25, monkeypatch=monkeypatch) >= 150


@pytest.mark.usefixtures("matched")
def test_random_weighted_fits_give_the_reference_fits_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_fits(300, seed=37, monkeypatch=monkeypatch, weighted=True) >= 150


@pytest.mark.usefixtures("matched")
def test_weighted_fits_without_scaling_or_tuning_give_the_reference_fits_numbers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_fits(60, seed=38, monkeypatch=monkeypatch, options=FitOptions(scale=False), weighted=True) >= 30
    assert check_fits(60, seed=39, monkeypatch=monkeypatch, options=FitOptions(tune=False, iterations=3),
                      weighted=True) >= 30


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10**6))
@pytest.mark.usefixtures("matched")
def test_a_weighted_fit_of_any_formula_gives_the_reference_fits_numbers(monkeypatch: pytest.MonkeyPatch,
                                                                        seed: int) -> None:
    """(The fixture patches tables that every example reads alike: one setting up serves them all.)"""
    check_fits(1, seed=seed, monkeypatch=monkeypatch, weighted=True)


@pytest.mark.parametrize("weighted", [False, True])
def test_fits_on_points_made_once_give_the_numbers_of_points_made_per_fit(weighted: bool) -> None:
    """The evaluator makes a task's :class:`fit.FitPoints` once and passes them to every fit: each of many random
    formulas (restarts included) fitted on one shared ``FitPoints`` comes back as fitted on points made per call,
    the same program and count; and the points are copies, so the caller's arrays changing afterwards changes no
    fit."""
    x, y = points(1, 5)
    w = random_weights(len(y), 5) if weighted else None
    shared, other = fit.fit_points(x, y, w), fit.fit_points(x, np.cos(3.0 * y), w)
    fitted = moved = 0
    for program in random_formulas(300, seed=53):
        if len(program.definitions[0].params) != 1:
            continue
        got = fit_formula(program, SPEC, x, y, fit.FitOptions(), w, shared)
        want = fit_formula(program, SPEC, x, y, fit.FitOptions(), w)
        assert (got.program, got.evaluations) == (want.program, want.evaluations), format_program(program)
        fitted += got.program is not program
        moved += fit_formula(program, SPEC, x, y, fit.FitOptions(), w, other).program != got.program
    assert fitted >= 30 and moved >= 30  # (the points passed are the ones fitted: other targets, other fits)
    kept = [array.copy() for array in shared[:3]]
    x += 1.0
    y *= 2.0
    if w is not None:
        w += 1.0
    assert all(np.array_equal(a, b) for a, b in zip(shared[:3], kept, strict=True))
    assert shared.floor == fit.gradient_floor(kept[1], None if w is None else kept[2])


@pytest.mark.usefixtures("matched")
def test_fits_without_scaling_or_tuning_give_the_reference_fits_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_fits(60, seed=26, monkeypatch=monkeypatch, options=FitOptions(scale=False)) >= 30
    assert check_fits(60, seed=27, monkeypatch=monkeypatch, options=FitOptions(tune=False, iterations=3)) >= 30


def on_poles(n: int, seed: int) -> Iterator[Program]:
    """Random formulas with every literal at 0.0, a pole of ``reciprocal``, ``div``, ``log`` and the
    constant branch of the scaling (``0.0 * x``): where forward-mode columns fall back to finite
    differences (``fit.needs_difference``)."""
    for program in random_formulas(n, seed):
        d = program.definitions[0]
        assert d.body is not None
        nodes = preorder(d.body)
        body = fit._substitute(d.body, literal_sites(d.body, nodes), [Num(0.0)] * len(literal_sites(d.body, nodes)))
        yield program.replace(d.replace_body(body))


@pytest.mark.usefixtures("matched")
def test_fits_with_finite_difference_columns_give_the_reference_fits_numbers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[int] = []
    real = fit.difference_columns

    def counted(*args: Any) -> Any:
        used.append(1)
        return real(*args)

    monkeypatch.setattr(fit, "difference_columns", counted)
    assert check_fits(300, seed=35, monkeypatch=monkeypatch, programs=on_poles(300, 35)) >= 150
    assert len(used) >= 10  # the NumPy path's Jacobians that took differences (the kernel's are compared)
    assert check_fits(100, seed=36, monkeypatch=monkeypatch, options=FitOptions(scale=False),
                      programs=on_poles(100, 36)) >= 50
    before = len(used)
    assert check_fits(200, seed=40, monkeypatch=monkeypatch, programs=on_poles(200, 40), weighted=True) >= 100
    assert len(used) >= before + 5


@pytest.mark.slow
@pytest.mark.usefixtures("matched")
def test_ten_thousand_fits_give_the_reference_fits_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_fits(10_000, seed=28, monkeypatch=monkeypatch) >= 5_000


@pytest.mark.slow
@pytest.mark.usefixtures("matched")
def test_ten_thousand_weighted_fits_give_the_reference_fits_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_fits(10_000, seed=41, monkeypatch=monkeypatch, weighted=True) >= 5_000


def scaling_form(body: Expr | None) -> str:
    """Which form of ``fit.signed_scaled`` a fitted body has: ``a + b * f``, ``a - b * f``, ``b * f - a``."""
    if isinstance(body, Call) and len(body.args) == 2:
        left, right = body.args
        if body.op == "add" and isinstance(right, Call) and right.op == "mul":
            return "add"
        if body.op == "sub" and isinstance(left, Num) and isinstance(right, Call) and right.op == "mul":
            return "sub"
        if body.op == "sub" and isinstance(right, Num) and isinstance(left, Call) and left.op == "mul":
            return "rsub"
    return "other"


def check_refitted(n: int, seed: int) -> int:
    """The Body a fit makes of its fitted formula is the one linearising the fitted formula gives
    (scaled, with either sign of each scaling literal, so in each form of ``fit.signed_scaled``, and
    unscaled: every fourth without scaling)."""
    made = 0
    forms: set[str] = set()
    for k, program in enumerate(random_formulas(n, seed)):
        mlevolve.check(program)
        x, y = points(len(program.definitions[0].params), k)
        fitted = fit_formula(program, SPEC, x, y, fit.FitOptions(scale=k % 4 != 0))
        if fitted.body is None:
            continue
        made += 1
        want = formula_code.scalar_formula(fitted.program.definitions[0])
        assert _fields(fitted.body) == _fields(want), (format_program(program),
                                                       format_program(fitted.program))
        forms.add(scaling_form(fitted.program.definitions[0].body))
    assert {"add", "sub", "rsub"} <= forms, forms  # (each form of the scaling made and checked)
    return made


def test_a_fits_body_is_the_fitted_formula_linearised() -> None:
    # (109 of 400: a fit whose literals fold (``simplify.REASSOCIATION``) makes no Body, None)
    assert check_refitted(400, seed=29) >= 100


@pytest.mark.slow
def test_ten_thousand_fits_bodies_are_the_fitted_formulas_linearised() -> None:
    assert check_refitted(10_000, seed=30) >= 2_000


def test_a_fit_by_the_kernel_recovers_the_constants() -> None:
    x = np.linspace(-1.0, 1.0, 30)[:, None]
    y = 1.3 + 2.5 * np.exp(0.7 * x[:, 0])
    program = mlevolve.check(parse("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  exp(0.2 * x)\n"))
    fitted = fit_formula(program, SPEC, x, y)
    body = fitted.program.definitions[0].body
    assert body is not None
    split = fit.split_scaling(body)
    assert split is not None and np.isclose(split[1], 1.3) and np.isclose(split[2], 2.5)
    nodes = preorder(split[0])
    assert [fit.constant_value(nodes[i]) for i in literal_sites(split[0])] == pytest.approx([0.7])
    assert fitted.evaluations > 3


def test_no_jit_fits_on_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(formula_kernel, "fit_numbers", lambda *a: calls.append(1))
    monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    program = mlevolve.check(parse("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  1.5 * x * x\n"))
    x = np.linspace(-1.0, 1.0, 20)[:, None]
    assert fit_formula(program, SPEC, x, 3.0 * x[:, 0] ** 2 + 1.0).program != program
    assert calls == [] and compiled_formula(interpret(program, SPEC)) is None


def test_warm_compiles_what_formulas_call() -> None:
    """``warm`` (run by CI and the test session first, through ``regimes.warm_kernels``) compiles the signatures a
    formula's fit and probe use, and nothing else."""
    program = mlevolve.check(parse("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  sin(x) * 2.0 + x\n"))
    x = np.linspace(-1.0, 1.0, 20)[:, None]
    fit_formula(program, SPEC, x, x[:, 0] ** 2)
    fit_formula(program, SPEC, x, x[:, 0] ** 2, w=np.linspace(0.0, 3.0, 20))  # weighted: the same signature
    compiled_formula(interpret(program, SPEC))(x[:, 0])  # type: ignore[misc]
    kernels = (formula_kernel.evaluate, formula_kernel.fit_numbers)
    used = {fn: list(fn.signatures) for fn in kernels}
    formula_kernel.warm()
    assert {fn: list(fn.signatures) for fn in kernels} == used


def test_a_scaled_formulas_inner_part_is_found_in_every_order() -> None:
    inner = parse("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  sin(x) * x\n").definitions[0].body
    assert inner is not None
    a, b = const(-1.5), const(2.0)
    for add_args in ((0, 1), (1, 0)):
        for mul_args in ((0, 1), (1, 0)):
            product = Call("mul", tuple((b, inner)[i] for i in mul_args))
            body = Call("add", tuple((a, product)[i] for i in add_args))
            found = fit._split(body)
            assert found is not None and found[:3] == (inner, -1.5, 2.0)
            assert preorder(body)[found[3]] == inner


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6))
def test_substituting_literals_in_one_pass_equals_replacing_them_one_by_one(seed: int) -> None:
    program = next(random_formulas(1, seed))
    body = program.definitions[0].body
    assert body is not None
    sites = literal_sites(body)
    rng = random.Random(seed)
    new = [const(round(rng.uniform(-9, 9), 3)) for _ in sites]
    want = body
    for index, replacement in sorted(zip(sites, new, strict=True), key=lambda p: -p[0]):
        want = replace_at(want, index, replacement)
    assert _substitute(body, sites, new) == want
    nodes = preorder(body)  # every literal is one site: a Num, or the neg of one (not both)
    assert sum(isinstance(n, Num) for n in nodes) == len(sites)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), st.integers(150, 300), st.integers(2, 200))
def test_the_kernels_scaling_of_a_prediction_whose_variance_underflows_is_the_references(seed: int, power: int,
                                                                                       n: int) -> None:
    """A prediction near 1e-154 and below has a variance below float64's least normal number: both scalings divide
    it by its largest magnitude first (a column near 1e-150 squared was scored as a constant: a fresh-user pass).
    The kernel's (a, b) is the reference's, bit for bit, and a true line is found."""
    rng = np.random.default_rng(seed)
    pred = rng.uniform(-1.0, 1.0, n) * 10.0 ** -power
    y = 2.0 * pred * 10.0 ** power + 0.5
    want = fit.linear_scaling(pred, y)
    dev, scratch = np.empty(n), np.empty(n)
    assert formula_kernel._scaling(pred, y, np.empty(0), 0.0, dev, scratch) == want
    w = random_weights(n, seed)
    assert formula_kernel._scaling(pred, y, w, float(np.add.reduce(w)), dev, scratch) == fit.linear_scaling(pred, y, w)
    if np.ptp(pred) > 0:
        assert want[1] == pytest.approx(2.0 * 10.0 ** power, rel=1e-9) and want[0] == pytest.approx(0.5, abs=1e-9)


def _quartic_evaluator() -> Any:
    from mlevolve.interpreter.evaluate import Settings
    from mlevolve.interpreter.evaluator import ProgramEvaluator
    from mlevolve.interpreter.tasks import load_task

    return ProgramEvaluator(load_task("koza_quartic", 0), "koza_quartic", SPEC, Settings(seed=0, threads=1),
                            frozenset({"formula"}), fit=FitOptions())


def test_a_fitted_formula_scored_is_linearised_without_a_table_entry() -> None:
    """A fitted formula is a new body, scored once: the table of bodies keeps the candidate's own (its probe's
    Body, found again by its fit) and not the fitted one's, and the score is the fitted formula's as
    linearised and run anew (stop 63, gc77: the cyclic collector walked such entries)."""
    from mlevolve.interpreter.evaluate import evaluate_compiled

    program = mlevolve.check(parse("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  2.0 + 3.0 * (x * x)\n"))
    ev = _quartic_evaluator()
    formula_code._linearise.cache_clear()
    assert ev.fingerprint(program, "k")[1] is None
    outcome = ev.evaluate(program, "k")
    assert outcome.parsed is not None and outcome.parsed != program  # fitted: its scaling's literals new
    held = formula_code._linearise.cache_info()
    assert (held.currsize, held.hits) == (1, 1)  # the candidate's body, found by its fit; no fitted one
    assert formula_code.scalar_formula(program.definitions[0]) is ev.compile(program, "k").formula
    want = evaluate_compiled(interpret(outcome.parsed, SPEC), ev.task, ev.settings)
    timing = {"fit_evaluations", "train_seconds"}
    assert {k: v for k, v in outcome.metrics.items() if k not in timing} == \
        {k: v for k, v in want.metrics.items() if k not in timing}


def test_a_body_made_once_is_kept_by_no_table_and_the_table_keeps_the_last_bodies() -> None:
    """``memo=False`` linearises the same Body without keeping it; with the memo the table keeps the last
    ``MEMO_SIZE`` bodies (the last found again, the same object) and lets an older one go."""
    import gc
    import weakref

    def formula(k: int) -> Definition:
        return Definition("formula", "f", (Param("x", "Scalar"),), "Scalar", Call("add", (Ref("x"), const(k + 0.5))))

    formula_code._linearise.cache_clear()
    once = formula_code.scalar_formula(formula(0), memo=False)
    assert _fields(once) == _fields(formula_code.scalar_formula(formula(0)))
    assert formula_code._linearise.cache_info().currsize == 1  # (the memo's call above, not the one made once)
    first = weakref.ref(formula_code.scalar_formula(formula(1)))
    for k in range(2, formula_code.MEMO_SIZE + 2):
        last = formula_code.scalar_formula(formula(k))
    assert formula_code.scalar_formula(formula(formula_code.MEMO_SIZE + 1)) is last
    gc.collect()
    assert first() is None
    formula_code._linearise.cache_clear()


def test_the_kernels_answers_for_a_body_keep_it_alive_no_longer_than_its_holder() -> None:
    """``prepare`` is made once per body and kept on it (the probe's and the fit's take the same), and neither
    it nor ``function`` keeps the body in a table: a body dropped by its candidate is freed at once, by reference
    count (before, two tables of 4,096 bodies held them for the cyclic collector to walk)."""
    import gc
    import weakref

    d = Definition("formula", "f", (Param("x", "Scalar"),), "Scalar", Call("mul", (Ref("x"), const(1.25))))
    body = formula_code.scalar_formula(d)
    formula_code._linearise.cache_clear()  # (the table of bodies let go of it: only the kernel's answers remain)
    prepared = formula_kernel.prepare(body)
    assert prepared is not None and formula_kernel.prepare(body) is prepared
    run = formula_kernel.function(body)
    assert run is not None and np.array_equal(run(_X), _X * 1.25, equal_nan=True)
    held = weakref.ref(body)
    gc.disable()
    try:
        del body, run
        assert held() is None
    finally:
        gc.enable()


COMPILES = """
import json
import numba
from numba.core import event

seen = []


class Seen(event.Listener):
    def on_start(self, ev):
        seen.append(ev.data["dispatcher"].py_func.__module__ + "." + ev.data["dispatcher"].__name__)

    def on_end(self, ev):  # a numba Listener must define it: only the compiles' starts are counted
        return None


event.register("numba:compile", Seen())
from mlevolve.interpreter import formula_kernel
formula_kernel.warm()
print(json.dumps(seen))
"""
ROOT = Path(__file__).resolve().parents[2]
INLINED = ("_registers", "_run", "_forward", "_partials", "_term", "_scaled_jacobian", "_needs_difference", "_solve",
           "_cube")


@pytest.mark.slow
def test_a_cold_formula_warm_up_compiles_each_kernel_function_once_and_no_error_messages(tmp_path: Path) -> None:
    """With a fresh numba cache, warming the formula kernels compiles each of their functions once, none of the
    helpers inlined into their one caller (each a library of its own, LLVM-compiled again inside every caller), and
    nothing of numba's string functions: an array slice copy (``regs[:n] = x``) compiles a shape-mismatch message,
    about 4 of the 24 CPU seconds this warm-up took (stop 66)."""
    done = run_child([sys.executable, "-c", COMPILES], capture_output=True, text=True, timeout=600,
                     env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    ours = [name for name in seen if name.startswith("mlevolve.interpreter.formula_kernel.")]
    assert "mlevolve.interpreter.formula_kernel.fit_numbers" in ours and len(ours) == len(set(ours))
    assert not {f"mlevolve.interpreter.formula_kernel.{name}" for name in INLINED} & set(ours)
    assert not [name for name in seen if name.startswith("numba.cpython.unicode")]
