"""What is shown of a body that runs in float32 (every torch kind: activations, losses, optimizers, schedules,
augmentations, RL and generative objectives) computes what the evaluated program computes, bit for bit: its
constants are folded in float32, and only where the generated code computes the folded literal itself
(``simplify.float32_value``: correctly rounded ops alone), never in float64 as the cache key folds them
(``log(0.9)`` folded to -0.10536051565782628 is not ``torch.log`` of a float32 0.9).  The oracle: random
programs full of constant subexpressions, compiled by the real code generator before and after
``simplify_shown`` (what ``best``, ``show``, the report and ``export`` print) and ``gp.memo.stored_program``
(the archive's simplified text), run on float32 inputs of every special value; the cache key is unchanged."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from mlevolve import api
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Program
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.simplify import (
    SHOWN_RULES,
    float32_value,
    fold_constant,
    fold_float32,
    may_fold,
    numpy_value,
    simplify_definition,
    simplify_expr,
    simplify_program,
    simplify_shown,
)
from mlevolve.gp.engine import Engine
from mlevolve.gp.memo import cache_key, program_key, simplified_program, stored_program
from mlevolve.interpreter.codegen import compile_program
from mlevolve.interpreter.evaluate import namespace
from mlevolve.interpreter.names import py_name
from mlevolve.results import shown_program
from tests.dsl.test_simplify import SPEC, X, Y, same_bits

LITERALS = ("0.9", "0.1", "0.2", "0.3", "2.0", "0.5", "3.0", "1e-8", "0.999", "7.25", "1e30", "0.0", "-0.0",
            "1.0", "-1.5", "1e-30", "0.7")
UNARY = ("log", "exp", "sqrt", "square", "reciprocal", "sin", "cos", "tanh", "sigmoid", "abs", "relu", "sign",
         "heaviside")
BINARY = ("+", "-", "*", "/", "min", "max")
# each float32 kind's signature here: its parameters (the first Tensor one shapes the constants) and result
HEADS = {
    "activation": ("activation f(x: Tensor) -> Tensor", ("x",)),
    "loss": ("loss l(p: Tensor, y: Tensor) -> Tensor", ("p", "y")),
    "optimizer": ("optimizer o(w: Tensor, g: Tensor, lr: Scalar, t: Scalar) -> Tensor", ("w", "g", "lr", "t")),
    "schedule": ("schedule s(t: Scalar) -> Scalar", ("t",)),
}


def constant(rng: random.Random, depth: int) -> str:
    """A random expression of literals alone (a constant subexpression)."""
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(LITERALS)
    if rng.random() < 0.45:
        return f"{rng.choice(UNARY)}({constant(rng, depth - 1)})"
    op = rng.choice(BINARY)
    a, b = constant(rng, depth - 1), constant(rng, depth - 1)
    return f"{op}({a}, {b})" if op in ("min", "max") else f"({a} {op} {b})"


def body(rng: random.Random, names: tuple[str, ...], depth: int) -> str:
    """A random expression over ``names`` with constant subexpressions in it."""
    if depth == 0 or rng.random() < 0.15:
        return rng.choice(names) if rng.random() < 0.5 else constant(rng, rng.randint(1, 3))
    if rng.random() < 0.3:
        return f"{rng.choice(UNARY)}({body(rng, names, depth - 1)})"
    op = rng.choice(BINARY)
    a = body(rng, names, depth - 1)
    b = constant(rng, rng.randint(0, 3)) if rng.random() < 0.5 else body(rng, names, depth - 1)
    pair = (a, b) if rng.random() < 0.5 else (b, a)
    return f"{op}({pair[0]}, {pair[1]})" if op in ("min", "max") else f"({pair[0]} {op} {pair[1]})"


def program(kind: str, seed: int) -> Program:
    """A random checked program of one ``kind`` definition (drawn again where it does not check: ``min`` and
    ``max`` take no Scalar beside a Tensor)."""
    head, names = HEADS[kind]
    rng = random.Random(seed)
    tensors = tuple(n for n in names if n not in ("lr", "t")) or names
    while True:
        expr = body(rng, tensors if rng.random() < 0.5 else names, rng.randint(1, 4))
        if kind != "schedule":  # a Tensor result: the body (a constant, maybe) with a Tensor parameter
            expr = f"({expr}) {rng.choice('+-*/')} {rng.choice(tensors)}"
        try:
            return api.check(parse(f"algorithm a\n\n{head} =\n  {expr}\n"))
        except MlevError:
            continue


def outputs(p: Program, kind: str) -> list[torch.Tensor]:
    """The definition's values as the generated code computes them on float32 inputs of every special value."""
    fn = namespace(compile_program(p, SPEC))[py_name(p.definitions[0].name)]
    x, y = (torch.tensor(v, dtype=torch.float32) for v in (X, Y))
    with torch.no_grad():
        if kind == "schedule":
            got = [fn(torch.tensor(float(v), dtype=torch.float32)) for v in X[:13]]
        elif kind == "optimizer":
            got = [fn(x, y, 0.01, 3.0)]
        else:
            got = [fn(x, y) if kind == "loss" else fn(x)]
    return [torch.as_tensor(g).double() for g in got]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(same_bits(u.numpy(), v.numpy()) for u, v in zip(a, b, strict=True))


@pytest.mark.parametrize("kind", list(HEADS))
def test_the_shown_and_stored_programs_compute_the_evaluated_ones_bits(kind: str) -> None:
    folded = 0
    for seed in range(250):
        p = program(kind, seed)
        before = outputs(p, kind)
        for shown in (simplify_shown(p), stored_program(p)):
            api.check(parse(format_program(shown)))  # it reads back
            assert same(before, outputs(parse(format_program(shown)), kind)), (seed, format_program(p),
                                                                              format_program(shown))
            folded += shown != p
            assert shown.definitions[0].body.size <= p.definitions[0].body.size  # never larger
        assert simplify_shown(simplify_shown(p)) == simplify_shown(p)  # a fixpoint
        assert stored_program(stored_program(p)) == stored_program(p)
        assert program_key(simplified_program(p)) == program_key(simplified_program(parse(format_program(p))))
    assert folded > 50  # (the programs fold: the oracle tests something)


@pytest.mark.parametrize("kind", list(HEADS))
def test_stored_program_is_the_float32_simplification(kind: str) -> None:
    """``stored_program`` skips the float32 simplification where nothing may fold (``may_fold``): the same
    program as simplifying every body so; and where nothing may fold, float64 and float32 folding agree."""
    for seed in range(150):
        p = program(kind, seed)
        full = simplify_program(p, definition=lambda d: simplify_definition(
            d, lambda e: simplify_expr(e, folding=fold_float32)))
        assert stored_program(p) == full
        body = p.definitions[0].body
        assert body is not None
        if not may_fold(body):
            assert simplify_expr(body, folding=fold_float32) == simplify_expr(body, folding=fold_constant)
            assert simplify_expr(body, SHOWN_RULES, folding=fold_float32) == simplify_expr(body, SHOWN_RULES)


def test_log_of_a_literal_stays_and_exact_ops_fold_to_their_float32() -> None:
    text = ("algorithm a\n\nactivation f(x: Tensor) -> Tensor =\n  x * log(0.9) + (0.1 + 0.2) * x\n\n"
            "formula g(x: Scalar) -> Scalar =\n  x * log(0.9)\n")
    shown = shown_program(text)
    assert "x * log(0.9) + 0.30000001192092896 * x" in shown  # float32: 0.1 + 0.2 rounds so
    assert "x * -0.10536051565782628" in shown  # a formula runs in float64: folded as before
    assert float32_value("log", [0.9]) is None and numpy_value("log", [0.9]) == -0.10536051565782628
    assert float32_value("add", [0.1, 0.2]) == float(np.float32(0.1) + np.float32(0.2))
    assert float32_value("mul", [1e-30, 1e-30]) is None  # an underflow: a kernel may flush it
    assert float32_value("min", [0.0, -0.0]) is None  # a tie of zeros torch breaks otherwise
    assert float32_value("add", [3e38, 3e38]) is None  # an overflow in float32 (not in float64) stays


@pytest.mark.parametrize(("body", "shown"), [
    ("relu(0.1) / x", "relu(0.1) / x"),  # 0.1 / x is x.reciprocal() * 0.1 in torch: another number
    ("sqrt(0.9) * x", "sqrt(0.9) * x"),  # torch's float32 sqrt is not correctly rounded
    ("0.5 / -3.0 * x", "-0.1666666716337204 * x"),  # 0.5 / tmp: (-3.0).reciprocal() * 0.5, as the code does
    ("x / (0.1 + 0.2)", "x / 0.30000001192092896"),
    ("0.5 / (0.1 + 0.2) * x", "0.5 / (0.1 + 0.2) * x"),  # folded, the divisor would be a number: IEEE division
    ("let a = 0.1 + 0.2 in a / x", "let a = 0.1 + 0.2 in\n  a / x"),  # a number bound: a / x is another division
    ("-0.5 / -(-x)", "-0.5 / x"),
    ("-(0.5 / -x)", "-(0.5 / -x)"),  # 0.5 / x is x.reciprocal() * 0.5: (-x)'s reciprocal stays apart
])
def test_what_the_generated_code_computes_decides_the_shown_form(body: str, shown: str) -> None:
    p = api.check(parse(f"algorithm a\n\nactivation f(x: Tensor) -> Tensor =\n  {body}\n"))
    got = simplify_shown(p)
    assert format_program(got).endswith(f"=\n  {shown}\n")
    assert same(outputs(p, "activation"), outputs(got, "activation"))


def test_the_cache_key_folds_a_float32_body_as_it_runs_and_sizes_still_fold_in_float64() -> None:
    """Two activations that float64 folding makes one compute different float32 values, so they have two cache
    keys (two scores); FEC and sizes read the float64 folding, unchanged.  A formula, which runs in float64,
    keeps one key for both."""
    a = api.check(parse("algorithm a\n\nactivation f(x: Tensor) -> Tensor =\n  x * log(0.9)\n"))
    b = api.check(parse("algorithm a\n\nactivation f(x: Tensor) -> Tensor =\n  x * -0.10536051565782628\n"))
    assert not same(outputs(a, "activation"), outputs(b, "activation"))
    assert cache_key(a) != cache_key(b) and Engine.key(a) == cache_key(a)
    assert program_key(simplified_program(a)) == program_key(simplified_program(b))  # the float64 folding
    assert stored_program(a) == a and simplify_shown(a) == a
    assert cache_key(api.check(parse("algorithm a\n\nactivation f(x: Tensor) -> Tensor =\n  x * (0.5 + 0.25)\n"))) \
        == cache_key(api.check(parse("algorithm a\n\nactivation f(x: Tensor) -> Tensor =\n  x * 0.75\n")))
    f, g = (api.check(parse(f"algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  x * {c}\n"))
            for c in ("log(0.9)", "-0.10536051565782628"))
    assert cache_key(f) == cache_key(g) == program_key(simplified_program(f))


def test_a_models_constants_fold_to_what_its_layers_are_given() -> None:
    """A model runs in float32 too: ``dropout(0.1 + 0.2 * 0.5)`` is given a float32 tensor's value."""
    p = api.check(parse("algorithm a\n\nmodel net() -> Layer =\n  seq(dense(8), dropout(0.1 + 0.2 * 0.5), "
                        "dropout(0.5 / -(-0.3)))\n"))
    shown = simplify_shown(p)
    assert "dropout(0.20000000298023224)" in format_program(shown)

    def rates(q: Program) -> list[object]:
        return [getattr(layer, "p", None) for layer in namespace(compile_program(q, SPEC))["net"]()]

    assert rates(shown) == rates(p) == [None, 0.20000000298023224, 0.9]
