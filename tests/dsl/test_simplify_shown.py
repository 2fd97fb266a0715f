"""The shown form's simplifier (``simplify.simplify_shown``, what ``best``, ``show``, the report and ``export``
print): the exact laws kept out of the cache key (``SHOWN_ONLY``) give the same bits on numpy (float64,
through the real code generator) and torch (float32), inf, NaN and signed zeros included; a learner's dead
memory updates (``dead_updates``) leave every prediction, so every metric, as it was, bit for bit."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.dsl.ir import Call, Expr, Ref
from mlevolve.dsl.kinds import LEARNER_MEMORY
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_expr, format_program
from mlevolve.dsl.simplify import (
    ALIAS_LET,
    RULES,
    SHOWN_ONLY,
    SHOWN_RULES,
    Rule,
    dead_updates,
    simplify_expr,
    simplify_shown,
)
from mlevolve.gp.generate import generate
from mlevolve.results import shown_program
from tests.dsl.test_simplify import (
    PROPS,
    SPEC,
    X,
    Y,
    bound,
    instantiate_pattern,
    rewritten,
    same_bits,
    same_values,
    shrinks,
    small,
)

_TORCH: dict[str, Callable[..., Any]] = {"neg": torch.neg, "mul": torch.mul, "div": torch.div, "abs": torch.abs,
                                         "square": torch.square, "exp": torch.exp}


def torch_values(e: Expr, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if isinstance(e, Ref):
        return {"x": x, "y": y}[e.name]
    assert isinstance(e, Call), e
    return _TORCH[e.op](*[torch_values(a, x, y) for a in e.args])


@pytest.mark.parametrize("rule", SHOWN_ONLY, ids=[r.name for r in SHOWN_ONLY])
@PROPS
@given(x=small, y=small, c=st.floats(1.0, 10.0), swap=st.booleans())
def test_each_shown_rule_keeps_every_bit_on_numpy(rule: Rule, x: Expr, y: Expr, c: float, swap: bool) -> None:
    before = instantiate_pattern(rule.pattern, bound(rule, x, y, c), swap)
    after = rewritten(rule, before)
    assert after is not None and shrinks(rule, before, after)
    assert same_values(before, after), (rule.law, format_expr(before), format_expr(after))


@pytest.mark.parametrize("rule", SHOWN_ONLY, ids=[r.name for r in SHOWN_ONLY])
@pytest.mark.parametrize("swap", [False, True])
def test_each_shown_rule_keeps_every_bit_on_torch_float32(rule: Rule, swap: bool) -> None:
    before = instantiate_pattern(rule.pattern, bound(rule, Ref("x"), Ref("y"), 2.0), swap)
    after = rewritten(rule, before)
    assert after is not None
    x, y = (torch.tensor(v, dtype=torch.float32) for v in (X, Y))  # every pair of special values, in float32
    assert same_bits(torch_values(before, x, y).double(), torch_values(after, x, y).double()), rule.law


def test_the_shown_rules_are_not_the_cache_keys() -> None:
    """Kept out of RULES on purpose (module comment): the cache key's simplifier leaves their patterns."""
    assert not set(SHOWN_ONLY) & set(RULES) and SHOWN_RULES == RULES + SHOWN_ONLY + (ALIAS_LET,)
    for rule in SHOWN_ONLY:
        before = instantiate_pattern(rule.pattern, bound(rule, Ref("x"), Ref("y"), 2.0), False)
        assert simplify_expr(before) == before
        assert simplify_expr(before, SHOWN_RULES).size < before.size


def test_the_laws_that_would_flip_a_zero_or_a_nan_are_not_shown_rules() -> None:
    """|sqrt(x)| is not sqrt(x) (sqrt(-0.0) = -0.0), nor |relu(x)| relu(x) everywhere: left as they are."""
    for text in ("abs(sqrt(x))", "abs(relu(x))", "abs(sigmoid(x))", "-(y * x)", "-(y / x)"):
        body = parse(f"algorithm t\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  {text}\n").definitions[0].body
        assert body is not None and simplify_expr(body, SHOWN_RULES) == body, text


LEARNER = """algorithm a
task linear

learner l(state w: Vector, state b: Scalar, state m: Vector)
  predict(x: Vector) -> Scalar =
    {predict}
  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Scalar, Vector) =
    {learn}
"""


def learner(predict: str, learn: str) -> Any:
    return parse(LEARNER.format(predict=predict, learn=learn))


def learn_text(program: Any) -> str:
    return format_expr(program.definitions[0].method("learn").body)


@pytest.mark.parametrize(("predict", "learn", "expected"), [
    # m is read by no prediction, nor by the update of w or b: its update goes
    ("dot(w, x) + b", "(w + (y - p) * x, b + 0.1 * (y - p), m + w * dot(m, m))",
     "(w + (y - p) * x, b + 0.1 * (y - p), m)"),
    # w reads m, and predict reads w: every update is live
    ("dot(w, x)", "(w + b * m, b + 1.0, 0.5 * m)", "(w + b * m, b + 1.0, 0.5 * m)"),
    # predict reads b alone, b's update reads w: m's update is dead, w's and b's are kept
    ("b", "(w + x, b + dot(w, x), m - x)", "(w + x, b + dot(w, x), m)"),
    ("b", "(w + x, b + 1.0, m - x)", "(w, b + 1.0, m)"),
    # a dead update that draws random numbers is kept (the draws of the live ones would shift)
    ("b", "(uniform_vector(0.0, 1.0), b + 1.0, m - x)", "(uniform_vector(0.0, 1.0), b + 1.0, m)"),
    # a let: its value counts as read by every update (conservative); the let goes once nothing reads it
    ("b", "let s = dot(x, x) in (w + s * x, b + s, m + x)", "let s = dot(x, x) in (w, b + s, m)"),
    # (m is read by a let value: counted live, its update kept, though only w's dead update read s)
    ("b", "let s = dot(m, x) in (w + s * x, b + 1.0, m + x)", "(w, b + 1.0, m + x)"),
    ("b", "let s = dot(w, x) in (w + s * x, b, m + x)", "let s = dot(w, x) in (w + s * x, b, m)"),
    ("b", "let s = dot(x, x) in (w + s * x, b, m + x)", "(w, b, m)"),
    # an item whose name a let binds keeps its update: the item's name there reads the let (m would be a Scalar,
    # not the memory item; newuser36's shadow3), and a same-typed let would return the let, not the item
    ("b", "let m = y - p in (w + m * x, b, m * x)", "let m = y - p in (w, b, m * x)"),
    ("b", "let w = m + x in (w, b + 1.0, m)", "let w = m + x in (w, b + 1.0, m)"),
])
def test_dead_updates_examples(predict: str, learn: str, expected: str) -> None:
    got = simplify_shown(learner(predict, learn))
    assert learn_text(got) == expected


def test_a_single_item_learner_whose_predictions_ignore_it_keeps_it_unchanged() -> None:
    program = parse("algorithm a\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    0.1\n"
                    "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n"
                    "    (y - 1.48) * (y * x) + (p * w + p * x)\n")
    assert learn_text(simplify_shown(program)) == "w"
    kept = parse("algorithm a\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
                 "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    -(-0.275 * (w + y * x))\n")
    assert learn_text(simplify_shown(kept)) == "0.275 * (w + y * x)"
    assert dead_updates(kept.definitions[0]) is kept.definitions[0]


def test_the_shown_program_uses_the_shown_simplifier() -> None:
    text = ("algorithm a\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    0.5\n"
            "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    -(-2.0 * w) + x\n")
    assert shown_program(text).endswith("learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w\n")



@pytest.mark.parametrize("only", [None, ["f", "l"]])
def test_a_shown_program_has_no_hand_written_comment_whether_or_not_its_body_was_simplified(
        only: list[str] | None) -> None:
    """docs/report.md: a shown program drops the file's comments (they describe the file's program, and an evolved
    body keeps its seed's).  Those among a header's parameters, after its ``)`` and inside a body's lines were kept,
    and then only where the simplifier left the body as it was: ``# fourth`` shown on an unchanged body, gone from a
    simplified one (a fresh user's finding, stop 64).  Every comment field, a learner's method's too."""
    text = ("# head\nalgorithm a\n# task\ntask digits\n\n# above\nformula f(x: Scalar,  # param\n"
            "    y: Scalar)  # after paren\n    -> Scalar =  # header\n  let a = x * x in  # square\n"
            "  a * a +  # fourth\n    x  # rest\n\nformula g(x: Scalar) -> Scalar =\n  x * 1.0 +  # simplified\n"
            "    x\n\nlearner l(state w: Vector)  # learner\n  # method\n  predict(x: Vector)  # p\n"
            "      -> Scalar =\n    dot(w,  # inline\n      x)\n"
            "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w  # end\n# footer\n")
    shown = shown_program(text, only=only)
    assert "#" not in shown, shown
    assert "a * a + x" in shown and "x * 1.0" not in shown  # f's body as written, g's simplified


_MEMORY = {"w": "Vector", "b": "Scalar", "m": "Vector"}
_LEARNER_SPEC = SPEC.restrict(frozenset(str(t) for t in LEARNER_MEMORY))


def _body(type_: str, env: dict[str, str], rng: random.Random, depth: int) -> str:
    return format_expr(generate(_LEARNER_SPEC, type_, rng, env=env, max_depth=depth, method="grow"))


def _metrics(program: Any) -> dict[str, Any]:
    out = api.run(program, "linear:n_tasks=3", seed=7)
    return {k: v for k, v in out.items() if k != "train_seconds"}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(
        x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
        for x, y in ((a[k], b[k]) for k in a))


@PROPS
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 4))
def test_removing_dead_updates_keeps_every_metric_bit_for_bit(seed: int, depth: int) -> None:
    """Random learners of three memory items whose ``predict`` reads a random subset of them (and
    ``learn`` anything): the shown program scores exactly as the program does, failures included."""
    rng = random.Random(seed)
    seen = {k: t for k, t in _MEMORY.items() if rng.random() < 0.5}
    predict = _body("Scalar", {"x": "Vector", **seen}, rng, depth)
    env = {"x": "Vector", "y": "Scalar", "p": "Scalar", **_MEMORY}
    learn = "(" + ", ".join(_body(t, env, rng, depth) for t in _MEMORY.values()) + ")"
    program = api.check(learner(predict, learn))
    shown = simplify_shown(program)
    api.check(shown)
    assert shown.definitions[0].method("learn").body.size <= program.definitions[0].method("learn").body.size
    assert _same(_metrics(program), _metrics(shown)), format_program(shown)
    assert simplify_shown(shown) == shown  # a fixpoint

