"""Every primitive of the base grammar against an oracle written here, independently of its template.

- torch backend (the neural kinds: Scalar is a 0-d tensor, Tensor any shape): values and gradients,
  both sides through ``torch.autograd.grad``, plus the constant-argument forms (literals are lifted
  to tensors where torch needs them).
- numpy backend (learners and formulas, batched over leading axes: Scalar (T,), Vector (T, F),
  Matrix (T, F, F)): values against a per-task loop of plain Python/NumPy arithmetic, including the
  scalar-broadcast forms and mixed leading axes; random draws for shape and, seeded, statistics.
- layers, built through a model program: output shapes, parameter counts and values.
- the tables themselves: every production has a template in the backend its types need.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import warnings
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import torch

import mlevolve
from mlevolve.dsl.check import ARG_RANGES
from mlevolve.dsl.ir import Call, Expr, Num, Ref
from mlevolve.grammar.spec import Production, load_grammar
from mlevolve.interpreter import primitives, runtime
from mlevolve.interpreter.codegen import compile_program, function_lines
from mlevolve.interpreter.evaluate import instantiate

SPEC = load_grammar()
TORCH_TYPES = frozenset({"Scalar", "Tensor", "Int", "Layer"})
NUMPY_TYPES = frozenset({"Scalar", "Vector", "Matrix"})
POSITIVE = frozenset({"log", "sqrt", "reciprocal", "div"})  # ops fed inputs in [0.5, 2] (defined, no poles)


def types_of(p: Production) -> frozenset[str]:
    return frozenset({*p.args, p.result})


def torch_productions() -> list[Production]:
    return [p for p in SPEC.productions if types_of(p) <= {"Scalar", "Tensor"}]


def numpy_productions() -> list[Production]:
    return [p for p in SPEC.productions if types_of(p) <= NUMPY_TYPES]


def compile_fn(prod: Production, backend: str, args: Sequence[Expr] | None = None, dim: int = 0) -> Callable[..., Any]:
    """``def f(a0, a1, ...): return op(a0, a1, ...)`` through the code generator, executed over the runtime."""
    names = [f"a{i}" for i in range(len(prod.args))]
    env = dict(zip(names, prod.args, strict=True))
    body = Call(prod.op, tuple(args) if args is not None else tuple(Ref(n) for n in names))
    tail = ("rng",) if backend == "numpy" else ()
    lines = function_lines("f", names, body, env, SPEC, backend, "test", tail=tail)  # type: ignore[arg-type]
    namespace = dict(vars(runtime))
    namespace["DIM"] = dim
    exec("\n".join(lines), namespace)
    fn: Callable[..., Any] = namespace["f"]
    return fn


# ------------------------------------------------------------------------------------ torch oracles
def _erf(a: torch.Tensor) -> torch.Tensor:
    """erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, by Simpson's rule on 401 points (differentiable)."""
    s = torch.linspace(0.0, 1.0, 401, dtype=a.dtype)
    w = torch.ones(401, dtype=a.dtype)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    f = torch.exp(-((a[..., None] * s) ** 2))
    return 2.0 / math.sqrt(math.pi) * a * (f * w).sum(-1) / (3.0 * 400)


def _zero_grad_step(a: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    return values.to(a.dtype)  # no graph: the expected gradient is zero


TORCH_ORACLE: dict[str, Callable[..., torch.Tensor]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a + (-b),
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a * b ** -1.0,
    "neg": lambda a: 0.0 - a,
    "min": lambda a, b: torch.where(a < b, a, b),
    "max": lambda a, b: torch.where(a > b, a, b),
    "abs": lambda a: torch.where(a >= 0, a, -a),
    "reciprocal": lambda a: a ** -1.0,
    "exp": lambda a: math.e ** a,
    "log": lambda a: torch.log2(a) * math.log(2.0),
    "sqrt": lambda a: a ** 0.5,
    "square": lambda a: a * a,
    "sin": lambda a: torch.cos(a - math.pi / 2),
    "cos": lambda a: torch.sin(a + math.pi / 2),
    "tanh": lambda a: (1.0 - math.e ** (-2.0 * a)) / (1.0 + math.e ** (-2.0 * a)),
    "sigmoid": lambda a: 1.0 / (1.0 + math.e ** (-a)),
    "relu": lambda a: torch.where(a > 0, a, torch.zeros_like(a)),
    "heaviside": lambda a: _zero_grad_step(a, a.detach() > 0),
    "sign": lambda a: _zero_grad_step(a, (a.detach() > 0).double() - (a.detach() < 0).double()),
    "softplus": lambda a: torch.log(1.0 + math.e ** a),
    "erf": _erf,
    # in its inputs' precision, float32 at least (codegen's constant dtype: a Scalar's where no Tensor is given)
    "full": lambda a: a.to(torch.promote_types(a.dtype, torch.float32)),
}


def torch_inputs(prod: Production, gen: torch.Generator, shape: tuple[int, ...] = (6, 5)) -> list[torch.Tensor]:
    out = []
    for t in prod.args:
        size = () if t == "Scalar" else shape
        if prod.op in POSITIVE:
            x = 0.5 + 1.5 * torch.rand(size, generator=gen, dtype=torch.float64)
        else:
            x = torch.randn(size, generator=gen, dtype=torch.float64)
        out.append(x.requires_grad_(True))
    return out


def grads(out: torch.Tensor, inputs: list[torch.Tensor], cotangent: torch.Tensor) -> list[torch.Tensor]:
    if not out.requires_grad:
        return [torch.zeros_like(x) for x in inputs]
    got = torch.autograd.grad(out, inputs, cotangent.to(out.dtype), allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for x, g in zip(inputs, got, strict=True)]


def test_the_torch_oracle_covers_every_torch_production() -> None:
    ops = {p.op for p in torch_productions()} - {"noise"}
    assert ops <= set(TORCH_ORACLE), sorted(ops - set(TORCH_ORACLE))


@pytest.mark.parametrize("prod", torch_productions(), ids=lambda p: p.id)
def test_torch_primitive_value_and_gradient(prod: Production) -> None:
    if prod.op == "noise":
        pytest.skip("random: see test_noise")
    gen = torch.Generator().manual_seed(zlib.crc32(prod.id.encode()))
    inputs = torch_inputs(prod, gen)
    fn = compile_fn(prod, "torch")
    got = torch.as_tensor(fn(*inputs))
    copies = [x.detach().clone().requires_grad_(True) for x in inputs]
    want = TORCH_ORACLE[prod.op](*copies)
    assert got.shape == want.shape == (() if set(prod.args) == {"Scalar"} else (6, 5))
    assert got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-9)
    cotangent = torch.randn(got.shape, generator=gen, dtype=torch.float64)
    for g_got, g_want in zip(grads(got, inputs, cotangent), grads(want, copies, cotangent), strict=True):
        torch.testing.assert_close(g_got, g_want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("prod", [p for p in torch_productions() if "Scalar" in p.args], ids=lambda p: p.id)
def test_torch_primitive_with_literal_scalars(prod: Production) -> None:
    """Scalar arguments as literals: numbers that torch functions must accept (lifted to tensors)."""
    value = 0.75
    gen = torch.Generator().manual_seed(1)
    inputs = torch_inputs(prod, gen)
    args = [Num(value) if t == "Scalar" else Ref(f"a{i}") for i, t in enumerate(prod.args)]
    got = torch.as_tensor(compile_fn(prod, "torch", args)(*inputs)).double()
    oracle_args = [torch.tensor(value, dtype=torch.float64) if t == "Scalar" else x
                   for t, x in zip(prod.args, inputs, strict=True)]
    want = TORCH_ORACLE[prod.op](*oracle_args).double()
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("op", ["exp", "sqrt", "reciprocal", "relu", "heaviside", "sign", "abs", "square", "sigmoid"])
@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_integer_literal_in_a_scalar_position(op: str, backend: str) -> None:
    """``exp(3)``: an Int literal may stand for a Scalar; the result is the real-valued one."""
    prod = next(p for p in SPEC.overloads(op) if p.args == ("Scalar",))
    fn = compile_fn(prod, backend, [Num(3, is_int=True)])
    got = float(fn(torch.tensor(0.0)) if backend == "torch" else fn(np.zeros(T), None))
    want = float(TORCH_ORACLE[op](torch.tensor(3.0, dtype=torch.float64)))
    assert got == pytest.approx(want, rel=1e-6)


def test_constant_subexpressions_are_lifted_without_warnings() -> None:
    """``relu(full(2.0))``: a constant that is already a tensor is passed through, not copied with a warning."""
    program = mlevolve.check("algorithm c\nactivation a(x: Tensor) -> Tensor =\n"
                             "  x * relu(full(2.0)) + full(exp(0.5 * 2.0)) + min(full(sqrt(4.0)), full(3.0))\n")
    namespace = dict(vars(runtime))
    exec(compile_program(program, SPEC).source, namespace)
    x = torch.randn(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = namespace["a"](x)
    torch.testing.assert_close(y, x * 2.0 + math.e + 2.0)


def test_heaviside_is_zero_at_zero_in_both_backends() -> None:
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    tprod = next(p for p in SPEC.overloads("heaviside") if p.args == ("Tensor",))
    y = compile_fn(tprod, "torch")(x)
    assert y.tolist() == [0.0, 0.0, 1.0]
    (g,) = torch.autograd.grad(y.sum(), x)  # a step has a zero gradient, and must not raise
    assert g.tolist() == [0.0, 0.0, 0.0]
    nprod = next(p for p in SPEC.overloads("heaviside") if p.args == ("Vector",))
    assert compile_fn(nprod, "numpy")(np.array([-1.0, 0.0, 2.0]), None).tolist() == [0.0, 0.0, 1.0]


def test_noise() -> None:
    prod = next(p for p in SPEC.overloads("noise"))
    fn = compile_fn(prod, "torch")
    x = torch.full((400, 250), 7.0)
    torch.manual_seed(0)
    a = fn(x)
    torch.manual_seed(0)
    b = fn(x * -3.0)
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, b)  # depends on the seed and the shape only, not on the values
    assert abs(float(a.mean())) < 0.01 and abs(float(a.std()) - 1.0) < 0.01
    assert not torch.equal(a, fn(x))  # fresh draws each call


# ------------------------------------------------------------------------------------ numpy oracles
def _sign(a: float) -> float:
    return float((a > 0) - (a < 0))


SCALAR_FN: dict[str, Callable[..., float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "min": lambda a, b: a if a < b else b,
    "max": lambda a, b: a if a > b else b,
    "abs": lambda a: a if a >= 0 else -a,
    "reciprocal": lambda a: 1.0 / a,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "square": lambda a: a * a,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + math.exp(-a)),
    "relu": lambda a: a if a > 0 else 0.0,
    "heaviside": lambda a: 1.0 if a > 0 else 0.0,
    "sign": _sign,
}

F = 4  # features (DIM) in the numpy tests
T = 3  # tasks
N = 5  # examples, for the mixed leading axes (T, 1) against (T, N)

TASK_FN: dict[str, Callable[..., Any]] = {
    "dot": lambda u, v: sum(float(a) * float(b) for a, b in zip(u, v, strict=True)),
    "outer": lambda u, v: np.array([[a * b for b in v] for a in u]),
    "matmul(Matrix,Vector)": lambda m, v: np.array([sum(m[i, j] * v[j] for j in range(F)) for i in range(F)]),
    "matmul(Matrix,Matrix)": lambda a, b: np.array(
        [[sum(a[i, k] * b[k, j] for k in range(F)) for j in range(F)] for i in range(F)]),
    "transpose": lambda m: np.array([[m[j, i] for j in range(F)] for i in range(F)]),
    "norm(Vector)": lambda v: math.sqrt(sum(x * x for x in v)),
    "norm(Matrix)": lambda m: math.sqrt(sum(x * x for x in m.ravel())),
    "mean(Vector)": lambda v: statistics.fmean(v),
    "mean(Matrix)": lambda m: statistics.fmean(m.ravel()),
    "std(Vector)": lambda v: statistics.pstdev(v),
    "std(Matrix)": lambda m: statistics.pstdev(m.ravel()),
    "fill": lambda s: np.array([s] * F),
    "rows": lambda v: np.array([list(v)] * F),  # every row is v
    "cols": lambda v: np.array([[x] * F for x in v]),  # every column is v
}
RANDOM_OPS = frozenset({"gaussian_vector", "uniform_vector", "gaussian_matrix", "uniform_matrix"})
TRAILING = {"Scalar": (), "Vector": (F,), "Matrix": (F, F)}


def task_oracle(prod: Production, *args: Any) -> Any:
    """One task's result: elementwise ops element by element (scalars broadcast), the rest by formula."""
    if prod.id in TASK_FN:
        return TASK_FN[prod.id](*args)
    if prod.op in TASK_FN:
        return TASK_FN[prod.op](*args)
    fn = SCALAR_FN[prod.op]
    arrays = np.broadcast_arrays(*[np.asarray(a, np.float64) for a in args])
    out = np.empty(arrays[0].shape)
    for idx in np.ndindex(out.shape):
        out[idx] = fn(*(float(a[idx]) for a in arrays))
    return out


def numpy_inputs(prod: Production, leads: Sequence[tuple[int, ...]], rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for t, lead in zip(prod.args, leads, strict=True):
        shape = lead + TRAILING[t]
        out.append(rng.uniform(0.5, 2.0, shape) if prod.op in POSITIVE else rng.normal(size=shape))
    return out


def check_numpy(prod: Production, args: list[Any], got: Any, lead: tuple[int, ...]) -> None:
    got = np.asarray(got)
    assert got.shape == lead + TRAILING[prod.result], prod.id
    full = [np.broadcast_to(np.asarray(a), lead + TRAILING[t]) for a, t in zip(args, prod.args, strict=True)]
    for idx in np.ndindex(lead):
        want = task_oracle(prod, *(a[idx] for a in full))
        np.testing.assert_allclose(got[idx], want, rtol=1e-12, atol=1e-12, err_msg=f"{prod.id} at {idx}")


def test_the_numpy_oracle_covers_every_numpy_production() -> None:
    for p in numpy_productions():
        assert p.op in RANDOM_OPS or p.id in TASK_FN or p.op in TASK_FN or p.op in SCALAR_FN, p.id


@pytest.mark.parametrize("prod", [p for p in numpy_productions() if p.op not in RANDOM_OPS], ids=lambda p: p.id)
def test_numpy_primitive_batched_over_tasks(prod: Production) -> None:
    rng = np.random.default_rng(zlib.crc32(prod.id.encode()))
    args = numpy_inputs(prod, [(T,)] * len(prod.args), rng)
    with np.errstate(all="raise"):
        got = compile_fn(prod, "numpy", dim=F)(*args, np.random.default_rng(0))
    check_numpy(prod, args, got, (T,))


@pytest.mark.parametrize("prod", [p for p in numpy_productions() if p.op not in RANDOM_OPS], ids=lambda p: p.id)
def test_numpy_primitive_with_mixed_leading_axes(prod: Production) -> None:
    """Validation calls predict with state (T, 1, ...) against examples (T, N, ...): axes broadcast."""
    rng = np.random.default_rng(7)
    leads = [(T, 1)] + [(T, N)] * (len(prod.args) - 1)
    args = numpy_inputs(prod, leads, rng)
    got = compile_fn(prod, "numpy", dim=F)(*args, None)
    lead = np.broadcast_shapes(*leads)
    check_numpy(prod, args, got, lead)
    if len(prod.args) == 2:  # and the other way round
        leads = [(T, N), (T, 1)]
        args = numpy_inputs(prod, leads, rng)
        check_numpy(prod, args, compile_fn(prod, "numpy", dim=F)(*args, None), (T, N))


@pytest.mark.parametrize("prod", [p for p in numpy_productions() if "Scalar" in p.args and p.op not in RANDOM_OPS],
                         ids=lambda p: p.id)
def test_numpy_primitive_with_literal_scalars(prod: Production) -> None:
    """``add(0.75, v)``, ``div(m, 0.75)``...: a literal scalar broadcasts without gaining axes."""
    rng = np.random.default_rng(3)
    args = numpy_inputs(prod, [(T,)] * len(prod.args), rng)
    exprs = [Num(0.75) if t == "Scalar" else Ref(f"a{i}") for i, t in enumerate(prod.args)]
    got = compile_fn(prod, "numpy", exprs, dim=F)(*args, None)
    values = [np.full((T,), 0.75) if t == "Scalar" else a for t, a in zip(prod.args, args, strict=True)]
    lead = (T,) if any(t != "Scalar" for t in prod.args) or prod.result != "Scalar" else ()
    if lead:
        check_numpy(prod, values, np.broadcast_to(got, (T, *TRAILING[prod.result])), (T,))
    else:
        assert float(got) == pytest.approx(task_oracle(prod, *[0.75] * len(prod.args)), rel=1e-12)


@pytest.mark.parametrize("op", sorted(RANDOM_OPS))
def test_random_draws_batched_shapes_and_statistics(op: str) -> None:
    prod = next(p for p in SPEC.overloads(op))
    dim = 150
    size = dim if prod.result == "Vector" else dim * dim
    a = np.array([0.0, 2.0, -1.0])
    b = np.array([1.0, -0.5, 3.0]) if op.startswith("gaussian") else np.array([1.0, 3.0, 0.0])
    fn = compile_fn(prod, "numpy", dim=dim)
    out = fn(a, b, np.random.default_rng(0))
    assert out.shape == ((T,) + (dim,) * (1 if prod.result == "Vector" else 2))
    assert np.array_equal(out, fn(a, b, np.random.default_rng(0)))  # the seed fixes the draws
    assert not np.array_equal(out, fn(a, b, np.random.default_rng(1)))
    for t in range(T):
        sample = out[t].ravel()
        if op.startswith("gaussian"):  # mean a, standard deviation |b|
            assert abs(sample.mean() - a[t]) < 5 * abs(b[t]) / math.sqrt(size)
            assert abs(sample.std() / abs(b[t]) - 1.0) < 5 / math.sqrt(size)
        else:  # uniform between a and b
            lo, hi = min(a[t], b[t]), max(a[t], b[t])
            assert lo <= sample.min() and sample.max() <= hi
            assert abs(sample.mean() - (lo + hi) / 2) < 5 * (hi - lo) / math.sqrt(12 * size)
    # Literal arguments: one draw of the element shape, broadcasting against any batch.
    const = compile_fn(prod, "numpy", [Num(0.0), Num(1.0)], dim=4)(a, b, np.random.default_rng(0))
    assert np.broadcast_shapes(np.shape(const), (T,) + TRAILING[prod.result]) == (T,) + TRAILING[prod.result]


# ------------------------------------------------------------------------------------------- layers
LAYER_PROGRAM = """algorithm layers
activation act(x: Tensor) -> Tensor =
  sin(x)
model net() -> Layer =
  {body}
"""


def build_layer(body: str, written: bool = True) -> torch.nn.Module:
    """The model of ``body``; ``written=False``: as a search made it (an archive's), whose literals run clamped."""
    program = mlevolve.check(dataclasses.replace(mlevolve.parse(LAYER_PROGRAM.format(body=body)), written=written))
    built = instantiate(compile_program(program, SPEC))
    torch.manual_seed(0)
    module: torch.nn.Module = built.model()
    return module


def run_layer(body: str, x: torch.Tensor, train: bool = False, written: bool = True
              ) -> tuple[torch.nn.Module, torch.Tensor]:
    module = build_layer(body, written)
    module.train(train)
    with torch.no_grad():
        y = module(x)
    return module, y


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


X = torch.randn(5, 8, generator=torch.Generator().manual_seed(0))


def linear(layer: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    return x @ layer.weight.T + layer.bias  # type: ignore[operator]


@pytest.mark.parametrize(("body", "width", "count"), [
    ("dense(16)", 16, 8 * 16 + 16),
    ("seq(dense(16), relu_layer())", 16, 144),
    ("seq(dense(16), tanh_layer(), dense(4))", 4, 144 + 16 * 4 + 4),
    ("seq(dense(16), act, dense(4), identity())", 4, 144 + 68),
    ("residual(dense(8))", 8, 8 * 8 + 8),
    ("residual(dense(16))", 16, 144 + 144),  # the width changes: a projection of x is learned too
    ("residual(seq(dense(8), relu_layer()))", 8, 72),
    ("layernorm()", 8, 0),
    ("batchnorm()", 8, 16),
    ("dropout(0.5)", 8, 0),
    ("identity()", 8, 0),
    ("relu_layer()", 8, 0),
    ("tanh_layer()", 8, 0),
    ("act", 8, 0),
])
def test_layer_shapes_and_parameter_counts(body: str, width: int, count: int) -> None:
    module, y = run_layer(body, X)
    assert y.shape == (5, width)
    assert n_params(module) == count


def test_layer_values() -> None:
    m, y = run_layer("dense(16)", X)
    torch.testing.assert_close(y, linear(m, X))
    m, y = run_layer("seq(dense(16), relu_layer())", X)
    torch.testing.assert_close(y, torch.clamp(linear(m[0], X), min=0.0))
    m, y = run_layer("seq(dense(16), tanh_layer(), dense(4))", X)
    torch.testing.assert_close(y, linear(m[2], torch.tanh(linear(m[0], X))))
    m, y = run_layer("seq(dense(16), act, dense(4), identity())", X)
    torch.testing.assert_close(y, linear(m[2], torch.sin(linear(m[0], X))))
    _, y = run_layer("act", X)
    torch.testing.assert_close(y, torch.sin(X))
    m, y = run_layer("residual(dense(8))", X)
    torch.testing.assert_close(y, X + linear(m.f, X))
    m, y = run_layer("residual(dense(16))", X)
    assert m.proj is not None
    torch.testing.assert_close(y, linear(m.proj, X) + linear(m.f, X))
    _, y = run_layer("identity()", X)
    assert torch.equal(y, X)
    _, y = run_layer("relu_layer()", X)
    assert torch.equal(y, torch.where(X > 0, X, 0.0))
    _, y = run_layer("tanh_layer()", X)
    torch.testing.assert_close(y, torch.tanh(X))


def test_layernorm_normalises_each_row_without_learned_scale() -> None:
    _, y = run_layer("layernorm()", X * 3.0 + 1.0)
    mean = X.mean(1, keepdim=True)
    var = ((X - mean) ** 2).mean(1, keepdim=True)
    torch.testing.assert_close(y, (X - mean) / torch.sqrt(var + 1e-5 / 9.0), rtol=1e-4, atol=1e-4)
    _, wide = run_layer("layernorm()", torch.randn(3, 40))  # width-agnostic
    assert wide.shape == (3, 40)


def test_batchnorm_normalises_each_feature_in_training() -> None:
    x = X * 4.0 - 2.0
    module, y = run_layer("batchnorm()", x, train=True)
    torch.testing.assert_close(y.mean(0), torch.zeros(8), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.var(0, unbiased=False), torch.ones(8), atol=1e-3, rtol=0)
    module.eval()
    with torch.no_grad():
        assert not torch.allclose(module(x), y)  # evaluation uses the running statistics


@pytest.mark.parametrize(("p", "clamped"), [("0.5", 0.5), ("0.0", 0.0), ("5.0", 0.9), ("neg(1.0)", 0.0),
                                             ("0.5 + 1.0", 0.9)])
def test_dropout_probability_is_clamped(p: str, clamped: float) -> None:
    """In a program a search made (literals drawn from [-2, 2], or arithmetic) a rate out of [0, 0.9] runs
    clamped, so the candidate never fails on it; a person's literal out of it is refused (tests/dsl/test_errors.py)."""
    x = torch.ones(200, 50)
    module, y = run_layer(f"dropout({p})", x, train=True, written=False)
    assert module.p == pytest.approx(clamped)
    kept = y != 0
    if clamped:
        torch.testing.assert_close(y[kept], torch.full_like(y[kept], 1.0 / (1.0 - clamped)))
        assert abs(1.0 - float(kept.float().mean()) - clamped) < 0.02
    else:
        assert torch.equal(y, x)
    module.eval()
    with torch.no_grad():
        assert torch.equal(module(x), x)  # identity at evaluation


@pytest.mark.parametrize(("op", "position"), sorted(ARG_RANGES))
def test_a_written_argument_range_is_the_range_the_runtime_clamps_to(op: str, position: int) -> None:
    """The checker's range of a literal argument (``ARG_RANGES``) is exactly what the runtime keeps: a value at
    either end runs as written, one beyond runs as the end; so a file is refused exactly where it would have
    been silently changed."""
    low, high, _, _ = ARG_RANGES[(op, position)]
    layer = {"dropout": lambda p: runtime.dropout(p).p}[op]  # each ranged argument's runtime
    for value, kept in ((low, low), (high, high), (low - 1e-9, low), (high + 1e-9, high), (-2.0, low), (2.0, high)):
        assert layer(value) == kept, value
    for text, refused in ((repr(low), False), (repr(high), False), (repr(high + 0.01), True), (f"neg({high})", True)):
        body = f"{op}({text})"
        if refused:
            with pytest.raises(mlevolve.MlevError, match="must be in"):
                build_layer(body)
        else:
            build_layer(body)
        build_layer(body, written=False)  # a search's program: never refused


# ----------------------------------------------------------------------------------------- tables
def backends_needed(p: Production) -> list[str]:
    types = types_of(p)
    return [name for name, allowed in (("torch", TORCH_TYPES), ("numpy", NUMPY_TYPES)) if types <= allowed]


@pytest.mark.parametrize("prod", SPEC.productions, ids=lambda p: p.id)
def test_every_production_has_a_template_in_the_backend_its_types_need(prod: Production) -> None:
    needed = backends_needed(prod)
    assert needed, f"{prod} mixes torch-only and numpy-only types: no backend can compute it"
    for backend in needed:
        table = primitives.TORCH if backend == "torch" else primitives.NUMPY
        assert primitives.template(table, prod.op, prod.args) is not None, f"{prod.id} has no {backend} template"


def test_scalar_productions_are_in_both_tables() -> None:
    """Schedules compute on Scalars with torch, formulas with numpy: pure-Scalar ops need both."""
    for p in SPEC.productions:
        if types_of(p) == {"Scalar"}:
            assert backends_needed(p) == ["torch", "numpy"]


@pytest.mark.parametrize("table_name", ["TORCH", "NUMPY"])
def test_every_template_key_names_a_production(table_name: str) -> None:
    """No stale entries: each key is an op of the grammar or the id of one of its productions."""
    table: dict[str, str] = getattr(primitives, table_name)
    ids = {p.id for p in SPEC.productions}
    ops = {p.op for p in SPEC.productions}
    for key in table:
        assert key in ops or key in ids, key
    assert ops >= primitives.TORCH_LIFT
    assert ops >= primitives.NUMPY_BROADCAST
