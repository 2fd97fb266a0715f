"""The fast path (IR interpreted over the primitive tables) against the generated code: the oracle.

Random formulas (1-4 inputs) and learners (setup, predict, learn over every memory type) drawn by the
typed generator from the base grammar are run both ways on the same inputs and must give the same
numbers bit for bit (``np.array_equal`` with NaNs in the same places, the same value types and
shapes) or fail with the same exception: each primitive's function is made from the same template
text with the same broadcast rules, so no ulp bound is needed.  The evaluator must then score formulas
and learners (probe, fitting, training) without generating or compiling any code.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlevolve
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Param, Program, Ref, Tup
from mlevolve.dsl.kinds import KINDS, replace_slot, slots
from mlevolve.dsl.types import MATRIX, SCALAR, VECTOR, TupleType, Type
from mlevolve.gp.generate import generate
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.interpreter import evaluator as evaluator_module
from mlevolve.interpreter import fit as fit_module
from mlevolve.interpreter import runtime
from mlevolve.interpreter.codegen import Compiled, compile_program
from mlevolve.interpreter.evaluate import Settings, instantiate
from mlevolve.interpreter.evaluator import DEFAULT_FIT, ProgramEvaluator
from mlevolve.interpreter.fastpath import formula_function, interpret
from mlevolve.interpreter.fit import FitOptions, fit_formula
from mlevolve.interpreter.tasks import Family, Points, arrays, load_task
from tests.conftest import ROOT, run_child

SPEC = load_grammar()
FORMULA_SPEC = SPEC.restrict(KINDS["formula"].types)
LEARNER_SPEC = SPEC.restrict(KINDS["learner"].types)
# Learner skeletons: every memory type, one and several states, with and without setup.
LEARNERS = [mlevolve.check(text) for text in (
    "algorithm a\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
    "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.1 * (y - p) * x\n",
    "algorithm a\nlearner l(state s: Scalar)\n  setup() -> Scalar = 1.0\n  predict(x: Vector) -> Scalar = s\n"
    "  learn(x: Vector, y: Scalar, p: Scalar) -> Scalar = s + y\n",
    "algorithm a\nlearner l(state m: Matrix, state v: Vector)\n  setup() -> (Matrix, Vector) = (m, v)\n"
    "  predict(x: Vector) -> Scalar = dot(v, matmul(m, x))\n"
    "  learn(x: Vector, y: Scalar, p: Scalar) -> (Matrix, Vector) = (m, v + x)\n",
    "algorithm a\nlearner l(state w: Vector, state s: Scalar, state m: Matrix)\n"
    "  setup() -> (Vector, Scalar, Matrix) = (w, s, m)\n  predict(x: Vector) -> Scalar = s\n"
    "  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Scalar, Matrix) = (w, s, m)\n",
)]
# Probe values with the IEEE corners: zeros, signs, tiny and huge magnitudes, so NaN and inf appear.
_X = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, -1e300, 700.0, -745.0, 1e-8])


def random_body(spec: GrammarSpec, result: Type, env: Mapping[str, Type], rng: random.Random, depth: int) -> Expr:
    """A random body of type ``result`` (a tuple of random items for a tuple type, as the engine makes
    them), under up to two random ``let``s whose names it may use, as hand-written bodies have."""
    lets: list[tuple[str, Expr]] = []
    scope = dict(env)
    while len(lets) < 2 and rng.random() < 0.3:
        t = rng.choice([t for t in spec.types if t in (SCALAR, VECTOR, MATRIX)])
        name = f"t{len(lets)}"
        lets.append((name, generate(spec, t, rng, env=scope, max_depth=rng.randint(3, 4))))
        scope[name] = t
    items = result.items if isinstance(result, TupleType) else (result,)
    made = [generate(spec, str(t), rng, env=scope, max_depth=rng.randint(1, depth),
                     method=rng.choice(["grow", "full"])) for t in items]
    body: Expr = Tup(tuple(made)) if len(made) > 1 else made[0]
    for name, value in reversed(lets):
        body = Let(name, value, body)
    return body


def random_formulas(n: int, seed: int) -> Iterator[Program]:
    rng = random.Random(seed)
    for _ in range(n):
        params = tuple(Param(f"x{k}", "Scalar") for k in range(rng.randint(1, 4)))
        body = random_body(FORMULA_SPEC, SCALAR, {p.name: p.type for p in params}, rng, 6)
        yield Program("f", (Definition("formula", "f", params, "Scalar", body),))


def random_learners(n: int, seed: int) -> Iterator[Program]:
    rng = random.Random(seed)
    for _ in range(n):
        program = rng.choice(LEARNERS)
        for slot in slots(program):
            program = replace_slot(program, slot.name, random_body(LEARNER_SPEC, slot.result, slot.env, rng, 5))
        yield program


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    """("value", result) or ("error", (type, message)): a failure is compared as a result."""
    try:
        with np.errstate(all="ignore"):
            return "value", fn()
    except Exception as err:  # the candidate's failure: compared by type and message
        return "error", (type(err).__name__, str(err))


def same(a: Any, b: Any) -> bool:
    """Bit-identical results: the same type, shape and bytes (so NaNs in the same places, signed zeros alike)."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return type(a) is type(b) and len(a) == len(b) and all(same(u, v) for u, v in zip(a, b, strict=True))
    if type(a) is not type(b) or np.shape(a) != np.shape(b):
        return False
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def agree(want: tuple[str, Any], got: tuple[str, Any]) -> bool:
    """The same value bit for bit, or the same failure."""
    return want[0] == got[0] and (same(want[1], got[1]) if want[0] == "value" else want == got)


def check_formulas(n: int, seed: int) -> None:
    columns = [np.roll(_X, k) for k in range(4)]
    for program in random_formulas(n, seed):
        mlevolve.check(program)
        generated, fast = instantiate(compile_program(program, SPEC)), formula_function(program, SPEC)
        arity = len(program.definitions[0].params)
        for inputs in (columns[:arity], [np.float64(c[3]) for c in columns[:arity]]):
            want, got = outcome(lambda: generated(*inputs)), outcome(lambda: fast(*inputs))  # noqa: B023
            assert agree(want, got), (mlevolve.format_program(program), want, got)


def check_learners(n: int, seed: int) -> None:
    data = arrays(load_task("linear", seed=0))
    small = {**data, "x_train": data["x_train"][:4, :12], "y_train": data["y_train"][:4, :12],
             "x_val": data["x_val"][:4, :5], "y_val": data["y_val"][:4, :5]}
    dim = int(small["x_train"].shape[-1])
    budget = runtime.Budget(max_error=1e300)  # train through large errors: more of each program runs
    for program in random_learners(n, seed):
        mlevolve.check(program)
        generated, fast = instantiate(compile_program(program, SPEC), dim), interpret(program, SPEC).instantiate(dim)
        want = outcome(lambda: runtime.learner_predictions(small, generated, seed=3, budget=budget))  # noqa: B023
        got = outcome(lambda: runtime.learner_predictions(small, fast, seed=3, budget=budget))  # noqa: B023
        assert agree(want, got), (mlevolve.format_program(program), want, got)
        # each method alone, on the same state: the result types (np.float64 constants, tuples) agree too
        rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
        shapes = {"Scalar": (4,), "Vector": (4, dim), "Matrix": (4, dim, dim)}  # memory of 4 tasks
        state = [np.full(shapes[t], 0.5) for t in generated.state_types]
        x, y = small["x_train"][:, 0].astype(np.float64), small["y_train"][:, 0].astype(np.float64)
        calls: list[tuple[Callable[..., Any], Callable[..., Any], tuple[Any, ...]]] = [
            (generated.predict, fast.predict, (*state, x)), (generated.learn, fast.learn, (*state, x, y, y))]
        if generated.setup is not None:
            calls.append((generated.setup, fast.setup, ()))
        for want_fn, got_fn, args in calls:
            want, got = outcome(lambda: want_fn(*args, rng_a)), outcome(lambda: got_fn(*args, rng_b))  # noqa: B023
            assert agree(want, got), (mlevolve.format_program(program), want, got)


def test_the_compiled_kernels_load_where_numba_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba is a dependency: the kernels' tests skip (``importorskip``) only where it is missing, and the run
    falls back to NumPy on any ImportError of the kernels (:func:`fastpath.compiled_kernel`), so a kernel that no
    longer imports would be skipped tests and a slower run, never a failure: here it is one."""
    import importlib
    import importlib.util

    from mlevolve.interpreter import fastpath

    assert importlib.util.find_spec("numba") is not None, "numba, a dependency of mlevolve, is not installed"
    for name in ("mlevolve.interpreter.kernel", "mlevolve.interpreter.formula_kernel"):
        importlib.import_module(name)  # its ImportError, if any, fails this test
    monkeypatch.delenv("MLEVOLVE_NO_JIT", raising=False)
    assert fastpath.compiled_kernel() is importlib.import_module("mlevolve.interpreter.kernel")


def test_random_formulas_give_the_generated_codes_numbers() -> None:
    check_formulas(300, seed=1)


def test_random_learners_give_the_generated_codes_numbers() -> None:
    check_learners(150, seed=1)


@pytest.mark.slow
def test_ten_thousand_formulas_give_the_generated_codes_numbers() -> None:
    check_formulas(10_000, seed=2)


@pytest.mark.slow
def test_ten_thousand_learners_give_the_generated_codes_numbers() -> None:
    check_learners(10_000, seed=2)


@pytest.mark.parametrize("text", [
    "formula f(x: Scalar) -> Scalar =\n  1.5",
    "formula f(x: Scalar) -> Scalar =\n  let a = 2.0 in a",
    "formula f(x: Scalar, y: Scalar) -> Scalar =\n  let a = 1.0 / 0.0 in let b = x - a in b * y",
    "formula f(x: Scalar) -> Scalar =\n  reciprocal(0.0) + x",
    "learner l(state w: Vector, state s: Scalar)\n  setup() -> (Vector, Scalar) = let a = 3.0 in (w + a, a)\n"
    "  predict(x: Vector) -> Scalar = let k = 0.5 in dot(w, x) * k + s\n"
    "  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Scalar) = let e = y - p in (w + 0.1 * e * x, 2.0)",
    # a constant result after temporaries (which must keep their registers)
    "learner l(state w: Vector)\n  predict(x: Vector) -> Scalar = let a = matmul(outer(x, x), x) in 0.5\n"
    "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = let b = norm(outer(w, x)) in w + 0.1 * (y - p) * x",
    "learner l(state m: Matrix)\n  setup() -> Matrix = gaussian_matrix(0.0, 1.0) + m\n"
    "  predict(x: Vector) -> Scalar = mean(matmul(m, x)) + std(uniform_vector(0.0, 1.0))\n"
    "  learn(x: Vector, y: Scalar, p: Scalar) -> Matrix = m - 0.001 * (p - y) * outer(x, fill(std(m)))",
])
def test_lets_constants_and_draws_give_the_generated_codes_numbers(text: str) -> None:
    """Lets (of numbers too), constant results (np.float64), a let-bound tuple, random draws."""
    program = mlevolve.check("algorithm a\n" + text + "\n")
    if program.definitions[0].kind == "formula":
        n = len(program.definitions[0].params)
        generated, fast = instantiate(compile_program(program, SPEC)), formula_function(program, SPEC)
        for inputs in ([_X] * n, [2.0] * n):
            assert agree(outcome(lambda: generated(*inputs)), outcome(lambda: fast(*inputs)))  # noqa: B023
    else:
        data = arrays(load_task("linear", seed=0))
        generated_learner = instantiate(compile_program(program, SPEC), 4)
        want = outcome(lambda: runtime.learner_predictions(data, generated_learner, seed=5))
        got = outcome(lambda: runtime.learner_predictions(data, interpret(program, SPEC).instantiate(4), seed=5))
        assert want[0] == "value" and agree(want, got)


def quartic_points() -> Points:
    rng = np.random.default_rng(0)
    x_train, x_test = rng.uniform(-1, 1, (20, 2)), rng.uniform(-1, 1, (20, 2))
    f = lambda x: x[:, 0] ** 4 + 0.3 * x[:, 1]  # noqa: E731
    return Points("p", x_train, f(x_train), x_test, f(x_test), 2)


def test_fitting_by_the_fast_path_fits_as_the_generated_code_did(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")  # the NumPy fit (the compiled one: test_formula_kernel.py)
    task = quartic_points()
    programs = [p for p in random_formulas(80, seed=4) if len(p.definitions[0].params) == 2][:25]
    fast = [fit_formula(p, SPEC, task.x_train, task.y_train, FitOptions()) for p in programs]
    monkeypatch.setattr(fit_module, "formula_function", lambda p, spec: instantiate(compile_program(p, spec)))
    generated = [fit_formula(p, SPEC, task.x_train, task.y_train, FitOptions()) for p in programs]
    assert [(f.program, f.evaluations) for f in fast] == [(g.program, g.evaluations) for g in generated]
    assert any(f.program is not p for f, p in zip(fast, programs, strict=True))  # some were fitted


def test_cheap_tasks_are_scored_with_no_generated_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Probe, fitting and training of formulas and learners: the same numbers as through generated
    code (scored first, before code generation and ``exec`` are made to fail)."""
    formula = next(p for p in random_formulas(50, seed=6) if len(p.definitions[0].params) == 2)
    formula = mlevolve.check(formula)
    learner = LEARNERS[0]
    runs = [(quartic_points(), formula, DEFAULT_FIT), (load_task("linear", seed=0), learner, None)]
    evaluators = [ProgramEvaluator(task, "t", SPEC, Settings(), frozenset({p.definitions[0].kind}), fit=fit)
                  for task, p, fit in runs]
    assert all(e.cheap for e in evaluators)

    def score(e: ProgramEvaluator, p: Program) -> Any:
        e._compiled.clear()
        out = e.evaluate(p, "k")
        return e.fingerprint(p, "k"), out.metrics.pop("train_seconds", None) is not None, out.metrics, out.program

    def generated_scores() -> list[Any]:
        monkeypatch.setattr(evaluator_module, "interpret", lambda p, spec: compile_program(p, spec))
        monkeypatch.setattr(fit_module, "formula_function", lambda p, spec: instantiate(compile_program(p, spec)))
        try:
            return [score(e, p) for e, (_, p, _) in zip(evaluators, runs, strict=True)]
        finally:
            monkeypatch.undo()

    want = generated_scores()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("code was generated or executed on the fast path")

    monkeypatch.setattr(evaluator_module, "compile_program", refuse)
    monkeypatch.setattr("mlevolve.interpreter.evaluate.namespace", refuse)
    got = [score(e, p) for e, (_, p, _) in zip(evaluators, runs, strict=True)]
    assert got == want and all(fp[1] is None and fp[0] is not None for fp, *_ in got)


def test_only_formula_and_learner_tasks_are_cheap() -> None:
    program = mlevolve.check(mlevolve.parse_file(ROOT / "examples" / "mlp_digits.mlev"))
    supervised = ProgramEvaluator(load_task("digits", seed=0), "digits", SPEC, Settings(), frozenset({"model"}))
    assert not supervised.cheap
    assert isinstance(supervised.compile(program, "k"), Compiled)
    family = load_task("linear", seed=0)
    assert isinstance(family, Family)
    assert ProgramEvaluator(family, "linear", SPEC, Settings(), frozenset({"learner"})).cheap


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=80))
def test_fittings_reductions_are_numpys_bit_for_bit(values: list[float]) -> None:
    """fit.py's wrapper-free mean, variance, sum and finiteness: the bits of NumPy's own."""
    a = np.array(values, np.float64)
    with np.errstate(all="ignore"):
        pairs = [(fit_module._mean(a), float(np.mean(a))), (fit_module._var(a), float(np.var(a))),
                 (fit_module._sum(a), float(np.sum(a)))]
    assert all(np.array([x]).tobytes() == np.array([y]).tobytes() for x, y in pairs), pairs
    assert fit_module._all_finite(a) == bool(np.all(np.isfinite(a)))
    assert fit_module._all_finite(np.stack([a, a])) == bool(np.all(np.isfinite(a)))


def test_a_deep_formula_runs_with_no_recursion() -> None:
    """Linearising and running are loops (DESIGN: no recursion limits): a 3,000-deep formula."""
    body: Expr = Ref("x")
    for k in range(3000):
        body = Call(("mul", "add", "sub")[k % 3], (body, Num((1.0, 0.25, 0.5)[k % 3])))
    program = Program("f", (Definition("formula", "f", (Param("x", "Scalar"),), "Scalar", body),))
    x = np.linspace(-1.0, 1.0, 5)
    got = formula_function(program, SPEC)(x)
    assert same(got, instantiate(compile_program(program, SPEC))(x)) and np.allclose(got, x - 250.0)


def test_the_fast_path_touches_no_global_generator() -> None:
    """Why the evaluator need not seed NumPy's and torch's global generators for it: a learner that
    draws gives the same numbers whatever their state, and leaves them as they were."""
    import torch

    program = mlevolve.check("algorithm a\nlearner l(state w: Vector)\n"
                             "  setup() -> Vector = gaussian_vector(0.0, 1.0)\n"
                             "  predict(x: Vector) -> Scalar = dot(w, x) + mean(uniform_vector(0.0, 0.1))\n"
                             "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.1 * (y - p) * x\n")
    data = arrays(load_task("linear", seed=0))
    results = []
    with runtime.seeded(0):  # the test's own seeds, the caller's state restored after
        for seed in (1, 2):
            np.random.seed(seed)
            torch.manual_seed(seed)
            before = (np.random.get_state()[1].copy(), torch.random.get_rng_state().clone())
            results.append(runtime.learner_predictions(data, interpret(program, SPEC).instantiate(4), seed=7))
            after = (np.random.get_state()[1], torch.random.get_rng_state())
            assert np.array_equal(after[0], before[0]) and torch.equal(after[1], before[1])
    assert same(results[0], results[1])


@pytest.mark.e2e
@pytest.mark.parametrize(("example", "evolve"), [("quartic.mlev", "f"), ("linear_regression.mlev", "linreg.learn")])
def test_a_formula_or_learner_search_never_imports_torch(example: str, evolve: str, tmp_path: Any) -> None:
    """The fast path, its probes, fitting and the in-process scoring of a cheap run are NumPy only: a
    search over formulas or learners pays no PyTorch import (1.5-2 s per process)."""
    import sys

    from tests.conftest import environment

    probe = ("import sys, mlevolve.api as api\n"
             f"api.evolve({str(ROOT / 'examples' / example)!r}, evolve=[{evolve!r}], budget=60, init='random',"
             f" population=20, db={str(tmp_path / 'run.db')!r}, quiet=True)\n"
             "print('torch' in sys.modules)\n")
    done = run_child([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                     env=environment())
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False"]


@pytest.mark.parametrize("text", ["dot(x, 1.0)", "x + y", "let a = x in dot(a, z)", "let a = 1.0 in dot(x, a)",
                                  "(x, (x, x))"])
def test_an_ill_typed_body_fails_with_the_checkers_error(text: str) -> None:
    """The fast path types bodies itself (memoised per signature); where a body is ill-typed it
    raises the type checker's own error, the same with and without lets (its two walks)."""
    from mlevolve.dsl.check import infer
    from mlevolve.dsl.errors import MlevError
    from mlevolve.dsl.parse import parse_expr
    from mlevolve.interpreter.fastpath import linearise

    body = parse_expr(text)
    with pytest.raises(MlevError) as want:
        infer(body, {"x": VECTOR}, LEARNER_SPEC, LEARNER_SPEC_TYPES)
    with pytest.raises(MlevError) as got:
        linearise(body, ("x",), (("x", VECTOR),), LEARNER_SPEC, LEARNER_SPEC_TYPES, rng=True)
    assert str(got.value) == str(want.value)


LEARNER_SPEC_TYPES = KINDS["learner"].types


def _with_literals(body: Expr, rng: random.Random) -> Expr:
    """``body`` with every literal given a new value (the same shape: what tuning and fitting make)."""
    from mlevolve.dsl.traverse import preorder, replace_at

    for index, node in enumerate(preorder(body)):
        if isinstance(node, Num):
            body = replace_at(body, index, Num(float(f"{rng.uniform(0.0, 5.0):.3g}")))
    return body


def _fields(body: Any) -> tuple[Any, ...]:
    arrays = tuple(None if a is None else (a.dtype, a.shape, a.tolist())
                   for a in (body.kernel, body.ranks, body.consts))
    return (body.n_inputs, tuple(map(repr, body.constants)), body.zeros, body.steps, body.operands, body.result,
            body.result_ranks, body.draws, arrays)


@pytest.mark.parametrize("kind", ["formula", "learner"])
def test_a_body_made_from_a_template_of_its_shape_is_the_body_linearised_anew(kind: str) -> None:
    """Bodies that differ only in their literals' values are made from the first one linearised
    (``fastpath._SKELETONS``): the same body as linearising anew, and the same numbers."""
    from mlevolve.interpreter import fastpath

    rng = random.Random(3)
    programs = list(random_formulas(60, seed=8) if kind == "formula" else random_learners(40, seed=8))
    made = 0
    for program in programs:
        for slot in slots(program):
            spec = SPEC
            d = program.definitions[0]
            if kind == "formula":
                params: tuple[str, ...] = tuple(p.name for p in d.params)
            else:
                method = next(m for m in d.methods if f"{d.name}.{m.kind}" == slot.name)
                if method.kind == "setup":
                    continue
                params = (*(p.name for p in d.params), *(p.name for p in method.params))
            args = (params, tuple(slot.env.items()), spec, slot.types, (), kind == "learner")
            fastpath.clear_memos()
            fastpath.linearise(slot.body, *args)  # the template
            variant = _with_literals(slot.body, rng)
            via_template = fastpath.linearise(variant, *args)
            made += variant != slot.body and bool(fastpath._SKELETONS)
            fastpath.clear_memos()
            assert _fields(via_template) == _fields(fastpath.linearise(variant, *args))
    assert made >= 20
    fastpath.clear_memos()


def _metrics_outcome(fn: Callable[[], dict[str, Any]]) -> tuple[Any, ...]:
    try:
        with np.errstate(all="ignore"):
            metrics = fn()
    except runtime.CandidateFailure as err:
        return "error", str(err)
    metrics.pop("train_seconds", None)
    return "value", {k: float(v).hex() for k, v in metrics.items()}, list(metrics)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("fitness", ["mse", "squashed", "relative", "classification"])
def test_learner_metrics_are_the_learner_loops_bit_for_bit(fitness: str, jit: bool,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``fastpath.learner_metrics`` (fewer NumPy calls; with ``jit`` a regression's reductions in one
    compiled call, ``kernel.regression_errors``) gives the metrics of ``run_learner`` given the
    predictions: the same numbers to the last bit, keys in the same order, the same failures."""
    from mlevolve.interpreter.fastpath import compiled_kernel, learner_metrics

    monkeypatch.setenv("MLEVOLVE_NO_JIT", "0" if jit else "1")
    if jit and compiled_kernel() is None:
        pytest.skip("numba is not installed")
    from mlevolve.interpreter.standalone.learner import LearnerProgram

    rng = np.random.default_rng(5)
    # AutoML-Zero's size, and 300 validation examples (pairwise sums of more than 128 items)
    families = [arrays(load_task("linear", seed=0)), arrays(load_task("linear:n_tasks=3:n_val=300", seed=1))]
    loop_given_predictions = LearnerProgram((), print, print)  # never run: the predictions are given
    for k in range(300):
        data = families[k % 2]
        shape = data["y_val"].shape
        pred = data["y_val"] + rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 3)
        if k % 10 == 1:
            pred[rng.integers(shape[0]), rng.integers(shape[1])] = rng.choice([np.nan, np.inf, -np.inf, 2e6])
        case = {**data, "fitness": fitness}
        if k % 6 == 4:  # a task whose targets are all zero (relative: the 1e-12 floor)
            case["y_val"] = data["y_val"].copy()
            case["y_val"][0] = 0.0
        if fitness == "classification":
            case.update(classification=True, y_val=(data["y_val"] > 0).astype(np.float64))
        want = _metrics_outcome(lambda: runtime.run_learner(case, loop_given_predictions, pred=pred))  # noqa: B023
        got = _metrics_outcome(lambda: learner_metrics(case, pred))  # noqa: B023
        assert got == want, (k, got, want)


def test_a_learner_methods_held_body_is_the_one_linearised_anew() -> None:
    """A method's body held by its identity (a child's untouched methods) is what linearising it anew
    gives; a learner rebuilt around the same method objects finds them, and ``clear_memos`` forgets them."""
    import dataclasses

    from mlevolve.interpreter.fastpath import _METHOD_BODIES, clear_memos

    def fields(body: Any) -> list[Any]:
        values = [getattr(body, f.name) for f in dataclasses.fields(body)]
        return [v.tolist() if isinstance(v, np.ndarray) else v for v in values]

    for program in random_learners(40, 7):
        d = program.definitions[0]
        first = interpret(program, LEARNER_SPEC).methods
        assert first is not None and all(id(m) in _METHOD_BODIES for m in d.methods)
        rebuilt = program.with_definitions((d.with_methods(d.methods),))
        again = interpret(rebuilt, LEARNER_SPEC).methods
        assert again is not None and all(again[k] is first[k] for k in first)
        clear_memos()
        assert not _METHOD_BODIES
        fresh = interpret(program, LEARNER_SPEC).methods
        assert fresh is not None
        assert {k: fields(b) for k, b in fresh.items()} == {k: fields(b) for k, b in first.items()}


def test_new_bodies_share_their_steps_and_operand_pairs() -> None:
    """Linearising keeps no tuple of its own per instruction: equal steps (op, argument types, which are
    numbers) and equal operand pairs are one object across bodies, so a search's young
    objects, which the cyclic collector walks, do not grow by two tuples an instruction (measured: a
    collector pass over half the objects)."""
    from mlevolve.interpreter.fastpath import clear_memos

    clear_memos()
    steps: dict[Any, Any] = {}
    pairs: dict[Any, Any] = {}
    shared = 0
    for program in random_learners(60, 11):
        methods = interpret(program, LEARNER_SPEC).methods
        assert methods is not None
        for body in methods.values():
            for step, pair in zip(body.steps, body.operands, strict=True):
                shared += step in steps
                assert steps.setdefault(step, step) is step
                assert pairs.setdefault(pair, pair) is pair
    assert shared >= 50
    clear_memos()


def test_an_instructions_memoised_function_is_the_one_its_template_makes() -> None:
    """``_step_function`` is memoised per step: every step of random formulas and learners gets the very
    function made from its template anew (``_function`` keeps one per expression, so the same object);
    the oracle tests above then hold its numbers to the generated code's."""
    from mlevolve.interpreter import fastpath

    steps = set()
    for program in [*random_formulas(60, seed=11), *random_learners(30, seed=12)]:
        compiled = interpret(mlevolve.check(program), SPEC)
        bodies = [compiled.formula] if compiled.formula is not None else list((compiled.methods or {}).values())
        steps.update(step for body in bodies if body is not None for step in body.steps)
    assert len(steps) > 40
    for step in steps:
        assert fastpath._step_function(*step) is fastpath._step_function.__wrapped__(*step), step


def _reference_run_formula(data: dict[str, Any], formula: Callable[..., Any]) -> dict[str, Any]:
    """``run_formula`` as it was written before its reductions were spelled out: NumPy's mean and var."""
    metrics: dict[str, Any] = {}
    for split in ("train", "test"):
        x, y = np.asarray(data[f"x_{split}"], np.float64), np.asarray(data[f"y_{split}"], np.float64)
        with np.errstate(all="ignore"):
            pred = np.broadcast_to(formula(*x.T), y.shape)
            mse = float(np.mean((pred - y) ** 2))
        if not np.isfinite(mse):
            return {"failure": split}
        var = float(np.var(y))
        metrics.update({f"{split}_mse": mse, f"{split}_r2": 1.0 - mse / (var if var > 0 else 1.0)})
    return {**metrics, "fitness": metrics["train_r2"]}


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.sampled_from(["array", "constant", "huge"]))
def test_formula_scoring_is_numpys_mean_and_var_bit_for_bit(seed: int, n: int, form: str) -> None:
    """The formula loop's spelled-out reductions (``standalone.formula.run_formula``) give the metrics
    ``np.mean`` and ``np.var`` gave, bit for bit, on random points of any scale, for a formula of the
    points, a constant one (broadcast) and one that overflows (the same failure)."""
    from mlevolve.interpreter.standalone.formula import CandidateFailure, run_formula

    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-8, 8)
    data = {f"{v}_{split}": rng.normal(size=(m, 1) if v == "x" else m) * scale
            for split, m in (("train", n), ("test", n + 7)) for v in ("x", "y")}
    weight = rng.normal()
    formula = {"array": lambda x: weight * x * x + np.sin(x), "constant": lambda x: np.float64(weight),
               "huge": lambda x: np.exp(x * 1e3)}[form]
    want = _reference_run_formula(data, formula)
    try:
        got = run_formula(data, formula)
    except CandidateFailure as failure:
        assert want == {"failure": failure.where}
        return
    got.pop("train_seconds")
    assert {k: np.float64(v).tobytes() for k, v in got.items()} == {k: np.float64(v).tobytes() for k, v in want.items()}


def test_a_body_s_constants_are_the_array_the_kernels_take_even_when_there_are_none() -> None:
    """Every encoded body's ``consts`` is a writable, C-ordered, one-dimensional ``float64`` array of its
    constants with strides ``(8,)``, the empty one too (NumPy 2 gives a bare empty array strides ``(0,)``;
    ``opcodes.consts`` makes them as ``reshape(-1)`` did, without the view where there are values); and the
    encoding holds the code and ranks that ``kernel`` and ``ranks`` view.  Linearised anew and from a template
    (the second pass)."""
    from mlevolve.interpreter.fastpath import clear_memos

    clear_memos()
    programs = list(random_learners(80, seed=5))
    empty = full = 0
    for _ in range(2):
        for program in programs:
            methods = interpret(program, SPEC).methods
            assert methods is not None
            for body in methods.values():
                if body.encoding is None:
                    continue
                c = body.consts
                assert c.dtype == np.float64 and c.shape == (len(body.constants),) and c.strides == (8,)
                assert c.flags.writeable and c.flags.c_contiguous and c.tolist() == [float(v) for v in body.constants]
                assert body.encoding.tolist() == [len(body.steps), *body.kernel.ravel().tolist(),
                                                  *body.ranks.tolist(), *body.results]
                assert body.kernel.base is body.encoding and body.ranks.base is body.encoding
                empty, full = empty + (not body.constants), full + bool(body.constants)
    assert empty and full


def test_a_body_is_made_of_exactly_its_fields() -> None:
    """``Body._make`` refuses a wrong count of values (a field left unset or shifted would be a wrong program)."""
    from mlevolve.interpreter.fastpath import Body

    body = interpret(next(iter(random_learners(1, seed=5))), SPEC).methods["predict"]  # type: ignore[index]
    values = [getattr(body, name) for name in Body.__dataclass_fields__]
    assert vars(Body._make(*values)) == vars(body)
    for wrong in (values[:-1], [*values, None]):
        with pytest.raises(TypeError, match="fields"):
            Body._make(*wrong)
