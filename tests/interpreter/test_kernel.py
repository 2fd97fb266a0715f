"""The compiled learner interpreter (numba, :mod:`mlevolve.interpreter.kernel`) against the NumPy fast path.

Two oracles, because the kernel and NumPy differ in the last bits in exactly three places (the
kernel's docstring): NumPy's SIMD ``exp``/``log``/``sin``/``cos``/``tanh`` against the C library's
(which the compiled code calls), NumPy's BLAS ``matmul`` (fused multiply-adds, its own order) against
the kernel's pairwise sum of each row's products, and a reduction over NumPy's transposed *view*
(summed in memory order) against the kernel's C-ordered transpose.

1. Per primitive: every opcode on random batched operands with the IEEE corners (zeros of both
   signs, NaN, infinities, huge and tiny magnitudes) against its NumPy template: bit-identical
   (NaN where NumPy has NaN), except the transcendentals within ``ULP`` ulp of NumPy's and
   ``matmul`` within the dot-product error bound ``2 n eps sum|a_ij b_j|`` (both sums are within
   ``n eps sum|a b|`` of the exact one, Higham, *Accuracy and Stability*, 3.1).
2. Whole learners: random programs of the base grammar trained by the kernel and by the NumPy fast
   path *with those three primitives computed as the kernel computes them* (libm through ctypes,
   ``matmul`` as ``np.add.reduce`` of the products, ``transpose`` copied C-ordered): the same
   validation predictions bit for bit (NaN in the same places) and the same failure, message and
   step included.  So every other difference (registers, steps, the divergence rule, validation,
   broadcasting, summation order, signed zeros) would show.  Against the plain NumPy path the
   outcomes agree for most programs; where a program is chaotic or near the divergence threshold the
   last-bit differences can change its failure step (measured and bounded below).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import mlevolve
from mlevolve.dsl.ir import Program
from mlevolve.interpreter import fastpath, opcodes, primitives, runtime
from mlevolve.interpreter.fastpath import compiled_kernel, interpret
from mlevolve.interpreter.standalone import learner as learner_module
from mlevolve.interpreter.tasks import arrays, load_task
from tests.conftest import ROOT
from tests.interpreter.test_fastpath import LEARNER_SPEC, LEARNERS, SPEC, random_learners

kernel = pytest.importorskip("mlevolve.interpreter.kernel")

ULP = 4  # NumPy's AVX-512 exp/log/tanh vs glibc's: measured at most 3 ulp apart (tanh), 1 for exp and log
TRANSCENDENTAL = ("exp", "log", "sin", "cos", "tanh", "sigmoid")
_CORNERS = np.array([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e-300, -1e300, 700.0, -745.0, 0.5, 3.0])

_LIBM = ctypes.CDLL(ctypes.util.find_library("m"))
for _name in ("exp", "log", "sin", "cos", "tanh"):
    getattr(_LIBM, _name).restype = ctypes.c_double
    getattr(_LIBM, _name).argtypes = [ctypes.c_double]


def _libm(name: str) -> Callable[[Any], Any]:
    """The C library's ``name`` elementwise (what the compiled kernel calls), as a NumPy function."""
    ufunc = np.frompyfunc(getattr(_LIBM, name), 1, 1)
    return lambda x: np.asarray(ufunc(x), np.float64)


LIBM = {name: _libm(name) for name in ("exp", "log", "sin", "cos", "tanh")}


def operands(rank: int, batch: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """``batch`` random values of ``rank`` (shape (batch,), (batch, dim), (batch, dim, dim)), a quarter
    of the numbers IEEE corners, the rest of magnitudes 1e-3 to 1e3."""
    shape = (batch,) + (dim,) * rank
    values = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)
    corners = rng.random(shape) < 0.25
    values[corners] = rng.choice(_CORNERS, int(corners.sum()))
    return values


def run_op(key: str, arg_types: tuple[str, ...], result: str, args: list[np.ndarray], dim: int) -> np.ndarray:
    """One instruction of opcode ``key`` run by the kernel over a batch of operands."""
    code = opcodes.opcode(key.split("(")[0], arg_types, result)
    assert code is not None, key
    types = [*arg_types, result] if len(arg_types) == 2 else [arg_types[0], arg_types[0], result]
    ranks = opcodes.ranks(types)
    batch = args[0].shape[0]
    off, stride = kernel._layout(ranks, dim, batch, 0, 0)
    regs = np.zeros(off[-1])
    for r, value in enumerate(args if len(args) == 2 else [args[0], args[0]]):
        regs[off[r]:off[r + 1]] = value.reshape(-1)
    instr = np.array([[code, 0, 1]], np.int64)
    with np.errstate(all="ignore"):
        kinds = np.ones(3, np.int64)  # every operand one value per row (as NumPy's (batch, ...) arrays)
        rng = np.random.default_rng(7)
        kernel._run(instr, ranks, off, stride, kinds, regs, dim, batch, 1, np.zeros(dim * dim), rng)
    return regs[off[2]:off[3]].reshape((batch,) + (dim,) * ("Scalar", "Vector", "Matrix").index(result))


def numpy_op(op: str, arg_types: tuple[str, ...], args: list[np.ndarray], dim: int) -> np.ndarray:
    """The same by the NumPy template, as the fast path runs it."""
    names = [f"a{k}" for k in range(len(args))]
    expression = primitives.numpy_expression(op, arg_types, names, [False] * len(args))
    assert expression is not None
    fn = fastpath._function(expression)
    with np.errstate(all="ignore"):
        return np.asarray(fn(args[0], args[-1], dim, np.random.default_rng(7)), np.float64)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values (signed zeros alike) and NaN in the same places (a NaN's payload is not compared)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    nan = np.isnan(a)
    return a.shape == b.shape and bool((nan == np.isnan(b)).all()) and \
        np.ascontiguousarray(np.where(nan, 0.0, a)).tobytes() == np.ascontiguousarray(np.where(nan, 0.0, b)).tobytes()


def kernel_productions() -> Iterator[tuple[str, tuple[str, ...], str]]:
    for production in LEARNER_SPEC.productions:
        if production.op not in opcodes.FALLBACK:
            yield production.op, tuple(str(t) for t in production.args), str(production.result)


def test_the_opcode_table_is_the_kernels_numbering_and_covers_the_learner_grammar() -> None:
    for key, code in opcodes.OPCODES.items():
        assert getattr(kernel, key.split("(")[0].upper() + ("_" + "".join(
            t[0] for t in key[key.index("(") + 1:-1].split(",")) if "(" in key else "")) == code, key
    for production in LEARNER_SPEC.productions:
        args = tuple(str(t) for t in production.args)
        code = opcodes.opcode(production.op, args, str(production.result))
        assert (code is None) == (production.op in opcodes.FALLBACK), production


@pytest.mark.parametrize("dim", [1, 4, 9])
def test_every_opcode_computes_its_numpy_templates_numbers(dim: int) -> None:
    """Bit for bit, except the transcendentals (``ULP``) and matmul (the dot-product bound)."""
    rng = np.random.default_rng(dim)
    for op, arg_types, result in kernel_productions():
        ranks = [("Scalar", "Vector", "Matrix").index(t) for t in arg_types]
        args = [operands(r, 64, dim, rng) for r in ranks]
        if op in ("log", "sqrt"):  # mostly in the domain
            args = [np.where(rng.random(args[0].shape) < 0.8, np.abs(args[0]), args[0])]
        got, want = run_op(op, arg_types, result, args, dim), numpy_op(op, arg_types, args, dim)
        with np.errstate(all="ignore"):
            check(op, arg_types, args, got, want, dim)


def check(op: str, arg_types: tuple[str, ...], args: list[np.ndarray], got: np.ndarray, want: np.ndarray,
          dim: int) -> None:
    """One opcode's numbers against NumPy's (see :func:`test_every_opcode_computes_its_numpy_templates_numbers`)."""
    eps = np.finfo(np.float64).eps
    if op in TRANSCENDENTAL:
        finite = np.isfinite(want)
        assert same_bits(got[~finite], want[~finite]), op
        ulps = np.abs(got[finite] - want[finite]) / np.spacing(np.abs(want[finite]))
        assert ulps.max(initial=0.0) <= ULP, (op, arg_types)
    elif op == "matmul":
        a, b = args
        products = np.abs(a) @ (np.abs(b) if b.ndim == 3 else np.abs(b)[..., None])
        bound = 2 * dim * eps * (products if b.ndim == 3 else products[..., 0])
        finite = np.isfinite(bound) & np.isfinite(want)
        assert (np.abs(got - want)[finite] <= bound[finite]).all(), (op, arg_types)
    else:
        assert same_bits(got, want), (op, arg_types)


def test_reductions_follow_numpys_pairwise_order_on_long_axes() -> None:
    """Above 8 items NumPy sums with 8 accumulators, above 128 by halves: the kernel does the same."""
    rng = np.random.default_rng(0)
    for dim in (7, 8, 15, 16, 100, 129, 300, 1000):
        v = rng.standard_normal((3, dim)) * 10.0 ** rng.integers(-8, 8, (3, dim))
        for op in ("mean", "norm", "std"):
            got = run_op(op, ("Vector",), "Scalar", [v], dim)
            assert same_bits(got, numpy_op(op, ("Vector",), [v], dim)), (op, dim)



def test_a_unary_span_computes_each_number_as_the_scalar_op_does() -> None:
    """``_unary_span`` (the case chosen once a span) against ``_unary`` number by number, for every unary
    opcode: IEEE corners, subnormals and random magnitudes, at an offset, the neighbours left alone."""
    rng = np.random.default_rng(5)
    values = np.concatenate([_CORNERS, [5e-324, -5e-324, 2.2e-308, -1e-310],
                             rng.standard_normal(40) * 10.0 ** rng.integers(-6, 6, 40)])
    m, at, out = values.shape[0], 3, values.shape[0] + 7
    for op in range(kernel.NEG, kernel.SIGN + 1):
        regs = np.full(2 * m + 10, 42.0)
        regs[at:at + m] = values
        with np.errstate(all="ignore"):
            kernel._unary_span(op, regs, out, at, m)
            want = np.array([kernel._unary(op, float(x)) for x in values])
        assert same_bits(regs[out:out + m], want), op
        assert same_bits(regs[at:at + m], values), op  # the operand unchanged
        assert (regs[:at] == 42.0).all() and (regs[at + m:out] == 42.0).all() and (regs[out + m:] == 42.0).all(), op

# --- whole learners ---------------------------------------------------------------------------------------------

MATCHED = {  # the NumPy templates of the three primitives, computed as the kernel computes them
    "exp": "_libm_exp({0})", "log": "_libm_log({0})", "sin": "_libm_sin({0})", "cos": "_libm_cos({0})",
    "tanh": "_libm_tanh({0})", "sigmoid": "1.0 / (1.0 + _libm_exp(-{0}))",
    "matmul(Matrix,Vector)": "np.add.reduce({0} * {1}[..., None, :], -1)",
    "matmul(Matrix,Matrix)": "np.add.reduce(np.ascontiguousarray({0}[..., :, None, :] * "
                             "np.swapaxes({1}, -1, -2)[..., None, :, :]), -1)",
    "transpose": "np.ascontiguousarray(np.swapaxes({0}, -1, -2))",
}


class _MatchedNumpy:
    """``numpy`` for the learner loop, its ``exp`` the C library's (a classifier's squashing)."""

    def __getattr__(self, name: str) -> Any:
        return LIBM["exp"] if name == "exp" else getattr(np, name)


@pytest.fixture
def matched(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    names = {"np": np, "draw": learner_module.draw, **{f"_libm_{k}": f for k, f in LIBM.items()}}

    def function(expression: str) -> Callable[..., Any]:
        fn: Callable[..., Any] = eval(f"lambda a0, a1, DIM, rng: {expression}", names)
        return fn

    fastpath.clear_memos()
    monkeypatch.setattr(primitives, "NUMPY", {**primitives.NUMPY, **MATCHED})
    monkeypatch.setattr(fastpath, "_function", function)
    monkeypatch.setattr(learner_module, "np", _MatchedNumpy())
    yield
    monkeypatch.undo()
    fastpath.clear_memos()


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        with np.errstate(all="ignore"):
            return "value", fn()
    except runtime.CandidateFailure as err:
        return "error", str(err)


def small_data(classify: bool) -> dict[str, Any]:
    data = arrays(load_task("linear", seed=0))
    small = {**data, "x_train": data["x_train"][:4, :12], "y_train": data["y_train"][:4, :12],
             "x_val": data["x_val"][:4, :5], "y_val": data["y_val"][:4, :5]}
    if classify:
        small.update(classification=True, y_train=(small["y_train"] > 0).astype(np.float64),
                     y_val=(small["y_val"] > 0).astype(np.float64))
    return small


def both(program: Program, data: dict[str, Any], budget: runtime.Budget,
         monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[str, Any], tuple[str, Any], bool]:
    """(NumPy path's outcome, kernel's outcome, whether the kernel ran it) for one program."""
    interpreted = interpret(program, SPEC)
    by_kernel = interpreted._encoded is not None
    got = outcome(lambda: interpreted.learner_predictions(data, seed=3, budget=budget))
    monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    want = outcome(lambda: interpreted.learner_predictions(data, seed=3, budget=budget))
    monkeypatch.delenv("MLEVOLVE_NO_JIT")
    return want, got, by_kernel


def agree(want: tuple[str, Any], got: tuple[str, Any]) -> bool:
    return want[0] == got[0] and (same_bits(want[1], got[1]) if want[0] == "value" else want == got)


def check_learners(n: int, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    ran = 0
    for k, program in enumerate(random_learners(n, seed)):
        mlevolve.check(program)
        data = small_data(classify=k % 5 == 4)
        for budget in (runtime.Budget(), runtime.Budget(max_error=1e300)):
            want, got, by_kernel = both(program, data, budget, monkeypatch)
            ran += by_kernel
            assert agree(want, got), (mlevolve.format(program), want, got)
    assert ran >= n  # most programs draw nothing: the kernel ran them


@pytest.mark.usefixtures("matched")
def test_random_learners_give_the_numpy_paths_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    check_learners(300, seed=11, monkeypatch=monkeypatch)


@pytest.mark.slow
@pytest.mark.usefixtures("matched")
def test_ten_thousand_learners_give_the_numpy_paths_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    check_learners(10_000, seed=12, monkeypatch=monkeypatch)


def test_against_plain_numpy_outcomes_differ_only_in_the_last_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """With NumPy's own exp, BLAS and views: the same failures (and steps) for nearly every program,
    and predictions within a relative 1e-9 where both succeed, for nearly every program."""
    n, same_outcome, close = 200, 0, 0
    data = small_data(classify=False)
    for program in random_learners(n, seed=13):
        want, got, _ = both(mlevolve.check(program), data, runtime.Budget(), monkeypatch)
        same_outcome += want[0] == got[0] and (want[0] == "value" or want == got)
        if want[0] == got[0] == "value":
            close += bool(np.allclose(want[1], got[1], rtol=1e-9, atol=0.0, equal_nan=True))
        else:
            close += want == got
    assert same_outcome >= 0.97 * n and close >= 0.95 * n, (same_outcome, close)


def test_no_jit_takes_the_numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    program = mlevolve.check(mlevolve.parse_file(ROOT / "examples" / "linear_regression.mlev"))
    interpreted = interpret(program, SPEC)
    data = arrays(load_task("linear", seed=0))
    calls: list[int] = []
    real = kernel.predictions

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(kernel, "predictions", counted)
    jit = interpreted.learner_predictions(data)
    assert calls == [1] and compiled_kernel() is kernel
    monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    assert compiled_kernel() is None
    reference = interpreted.learner_predictions(data)
    assert calls == [1]  # not called again
    assert np.allclose(jit, reference, rtol=1e-12) and float(np.mean((reference - data["y_val"]) ** 2)) < 1e-3


def test_draws_take_numpys_streams() -> None:
    """numba's Generator gives NumPy's numbers; the kernel draws as many, in the same order, as the
    NumPy loop: one set per distinct value of the arguments (shared, per task, per example)."""
    program = mlevolve.check("algorithm a\nlearner l(state w: Vector, state s: Scalar)\n"
                             "  setup() -> (Vector, Scalar) = (gaussian_vector(0.0, 1.0), 0.5)\n"
                             "  predict(x: Vector) -> Scalar = dot(w, x) + mean(uniform_vector(s, dot(x, x)))"
                             " + std(gaussian_vector(s, 0.1))\n"
                             "  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Scalar) = "
                             "(w + 0.1 * (y - p) * x + mean(uniform_matrix(0.0, 0.01)), 0.25)\n")
    interpreted = interpret(program, SPEC)
    assert interpreted._encoded is not None
    data = arrays(load_task("linear", seed=0))
    want = runtime.learner_predictions(data, interpreted.instantiate(4), seed=1)
    got = interpreted.learner_predictions(data, seed=1)
    assert same_bits(got, want)
    assert not same_bits(interpreted.learner_predictions(data, seed=2), want)


def test_divergence_is_reported_at_the_numpy_paths_step() -> None:
    program = mlevolve.check("algorithm a\nlearner l(state w: Vector)\n"
                             "  predict(x: Vector) -> Scalar = dot(w, x)\n"
                             "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 3.0 * (y - p) * x\n")
    interpreted = interpret(program, SPEC)
    data = arrays(load_task("linear", seed=0))
    got = outcome(lambda: interpreted.learner_predictions(data))
    want = outcome(lambda: runtime.learner_predictions(data, interpreted.instantiate(4)))
    assert got[0] == "error" and got == want and "training step" in got[1] and math.isfinite(len(got[1]))


def test_two_specialisations_serve_every_learner() -> None:
    """warm() compiles what every learner uses: one specialisation for learners that draw, one for the
    rest (with or without setup), so a process compiles or loads the kernel at most twice."""
    kernel.warm()
    data = small_data(classify=False)
    programs = [*LEARNERS, *random_learners(30, seed=5)]
    for program in programs:
        outcome(lambda: interpret(mlevolve.check(program), SPEC).learner_predictions(data))  # noqa: B023
    assert len(kernel.learner_kernel.signatures) == 2


@pytest.mark.parametrize("learn", ["(v, w)", "(v, w + x)", "(w + x, w)", "(v, v)", "(w, v + 0.5 * (y - p) * x)"])
def test_a_learn_that_moves_memory_items_gives_the_numpy_paths_numbers(learn: str) -> None:
    """Results that are memory items out of place (a swap) land as the NumPy loop's new state does:
    all read before any is written."""
    program = mlevolve.check("algorithm a\nlearner l(state w: Vector, state v: Vector)\n"
                             "  setup() -> (Vector, Vector) = (fill(0.25), fill(-1.0))\n"
                             "  predict(x: Vector) -> Scalar = dot(w, x) - 0.5 * dot(v, x)\n"
                             f"  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Vector) = {learn}\n")
    interpreted = interpret(program, SPEC)
    assert interpreted._encoded is not None
    data = small_data(classify=False)
    got = outcome(lambda: interpreted.learner_predictions(data, budget=runtime.Budget(max_error=1e300)))
    want = outcome(lambda: runtime.learner_predictions(data, interpreted.instantiate(4),
                                                       budget=runtime.Budget(max_error=1e300)))
    assert got[0] == "value" and agree(want, got), (want, got)


def test_training_resumed_from_a_prefix_run_is_the_full_run_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run on the first 10 training examples of the tasks, marked ``fastpath.PREFIX_OF`` (the FEC
    probe's data), hands its memory to the next run of the same learner on the full tasks, which
    then starts at step 11: the same predictions, failure and step as a run from the start, for
    learners with setup, swapping learns and divergence, regression and classification; learners
    that draw are run from the start (their generator has moved on)."""
    resumed = 0
    real = kernel.predictions

    def counted(*args: Any) -> Any:
        nonlocal resumed
        resumed += len(args) > 4 and args[4] > 0
        return real(*args)

    monkeypatch.setattr(kernel, "predictions", counted)
    programs = [*LEARNERS, *random_learners(80, seed=11)]
    data = arrays(load_task("linear", seed=0))
    for classify in (False, True):
        full = {**data, "x_train": data["x_train"][:4, :30], "y_train": data["y_train"][:4, :30],
                "x_val": data["x_val"][:4, :5], "y_val": data["y_val"][:4, :5]}
        if classify:
            full.update(classification=True, y_train=(full["y_train"] > 0).astype(np.float64),
                        y_val=(full["y_val"] > 0).astype(np.float64))
        prefix = {**full, "x_train": np.ascontiguousarray(full["x_train"][:, :10]),
                  "y_train": np.ascontiguousarray(full["y_train"][:, :10]), fastpath.PREFIX_OF: full}
        for program in programs:
            want = outcome(lambda: interpret(program, SPEC).learner_predictions(full, seed=3))  # noqa: B023
            interpreted = interpret(program, SPEC)
            before = resumed
            first = outcome(lambda: interpreted.learner_predictions(prefix, seed=3))  # noqa: B023
            got = outcome(lambda: interpreted.learner_predictions(full, seed=3))  # noqa: B023
            assert got[0] == want[0] and (same_bits(got[1], want[1]) if got[0] == "value" else got == want), program
            encoded = interpreted._encoded
            carried = first[0] == "value" and encoded is not None and not encoded[1]
            assert resumed - before == carried
    assert resumed >= 40  # most of these learners were resumed, so the equality above was tested


def test_a_resumed_training_needs_the_same_tasks_seed_and_threshold() -> None:
    """The memory handed on is used only for the full tasks' own arrays (by identity), the same
    seed, divergence threshold and problem; any other run starts from step 1."""
    program = LEARNERS[0]
    full = {**arrays(load_task("linear", seed=0))}
    prefix = {**full, "x_train": np.ascontiguousarray(full["x_train"][:, :10]),
              "y_train": np.ascontiguousarray(full["y_train"][:, :10]), fastpath.PREFIX_OF: full}
    other = {**full, "x_train": full["x_train"].copy()}
    want = interpret(program, SPEC).learner_predictions(full)
    interpreted = interpret(program, SPEC)
    interpreted.learner_predictions(prefix)
    carried = interpreted.__dict__["_carried"]
    assert carried[0] is full["x_train"] and carried[3] == 10
    carried[4][:] = 0.0  # a tampered memory shows wherever it is used
    assert same_bits(interpreted.learner_predictions(other), want)
    assert same_bits(interpreted.learner_predictions(full, seed=1), want)  # draws nothing: the seed changes nothing
    assert same_bits(interpreted.learner_predictions(full, budget=runtime.Budget(max_error=50.0)), want)
    assert not same_bits(interpreted.learner_predictions(full), want)  # the same arrays: the (tampered) memory


def test_a_learner_is_given_to_the_kernel_as_one_encoding_per_body() -> None:
    """Each body reaches the kernel as one read-only array (its code, ranks and result registers) and its
    constants: 15 arguments a call, not 22 (numba unboxes each, a call's fixed cost); the kernel's views
    of it are the body's ``kernel``, ``ranks`` and results, and ``kernel``/``ranks`` share its memory."""
    programs = [*LEARNERS, *random_learners(40, seed=3)]
    seen = 0
    for text in programs:
        interpreted = interpret(mlevolve.check(text), SPEC)
        program = interpreted._encoded
        if program is None or interpreted.methods is None:
            continue
        seen += 1
        args = program[0]
        assert len(args) == 7 and args[6].tolist() == [opcodes.RANK[t] for t in interpreted.state_types]
        for i, kind in enumerate(("setup", "predict", "learn")):
            body = interpreted.methods.get(kind)
            if body is None:
                assert args[2 * i].shape == (0,) and args[2 * i + 1].shape == (0,)
                continue
            assert args[2 * i] is body.encoding and args[2 * i + 1] is body.consts
            assert not body.encoding.flags.writeable and body.kernel.base is body.ranks.base is body.encoding
            code, ranks, results = kernel.decoded(body.encoding, len(body.results))
            assert np.array_equal(code, body.kernel) and np.array_equal(ranks, body.ranks)
            assert tuple(results.tolist()) == body.results
    assert seen >= 20
