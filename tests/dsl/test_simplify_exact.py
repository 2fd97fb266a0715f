"""The simplifier's min/max absorption, ``min(x, x - c)`` and ``x + x -> 2.0 * x`` rules (stop 27), its zero
rules (``x + -0.0``, ``x - 0.0``, ``-0.0 - x``), negated factors added (``a + -c * f -> a - c * f``) and
powers of two folded (``c * (2.0 * x)``) give the same bits, signed zeros and NaN included, on the numpy
backend (float64, through the real code generator) and on torch (float32), whose ``minimum``/``maximum``
break ties of signed zeros otherwise.  (Every rule of RULES is held to the same bits on numpy by
``test_simplify``; the laws kept apart for their zeros' sign, SIGNED_ZERO, are shown to need it here.)"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from mlevolve.dsl.ir import Call, Expr, Num, Ref, const
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.simplify import FITTED_RULES, RULES, SIGNED_ZERO, Rule, fold_fitted, simplify_expr
from tests.dsl.test_simplify import (
    PROPS,
    X,
    Y,
    bound,
    instantiate_pattern,
    positive,
    rewritten,
    same_bits,
    small,
    values,
)

NEW = ("min-absorb", "min-absorb-right", "max-absorb", "max-absorb-right", "min-sub-lit", "max-sub-lit",
       "min-add-lit", "max-add-lit", "add-same", "add-zero", "sub-zero", "zero-sub", "add-neg-mul", "add-neg-div",
       "add-neg-div-right", "sub-neg-mul", "sub-neg-div", "sub-neg-div-right", "mul-pow2", "mul-div-pow2")
BY_NAME = {r.name: r for r in RULES}

_TORCH: dict[str, Callable[..., Any]] = {"min": torch.minimum, "max": torch.maximum, "add": torch.add,
                                         "sub": torch.sub, "mul": torch.mul, "neg": torch.neg,
                                         "div": torch.div}


def torch_values(e: Expr, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``e`` over x, y in float32 as the torch backend computes it (a literal is a Python float)."""
    if isinstance(e, Ref):
        return {"x": x, "y": y}[e.name]
    assert isinstance(e, Call), e
    args = [a.value if isinstance(a, Num) else torch_values(a, x, y) for a in e.args]
    if isinstance(args[0], float):  # a literal first: the op with its arguments swapped where that is the same
        return _TORCH[e.op](torch.full_like(x, args[0]), *args[1:])
    return _TORCH[e.op](*args)


@pytest.mark.parametrize("name", NEW)
@PROPS
@given(x=small, y=small, c=positive, swap=st.booleans(), swap_ab=st.booleans())
def test_each_new_rule_keeps_every_bit_on_numpy(name: str, x: Expr, y: Expr, c: float, swap: bool,
                                                 swap_ab: bool) -> None:
    rule = BY_NAME[name]
    before = instantiate_pattern(rule.pattern, bound(rule, x, y, c, swap_ab), swap)
    after = rewritten(rule, before)
    assert after is not None
    assert same_bits(values(before), values(after)), (rule.law, format_expr(before), format_expr(after))


@pytest.mark.parametrize("name", NEW)
@PROPS
@given(c=positive, swap=st.booleans(), swap_ab=st.booleans())
def test_each_new_rule_keeps_every_bit_on_torch_float32(name: str, c: float, swap: bool, swap_ab: bool) -> None:
    rule = BY_NAME[name]
    before = instantiate_pattern(rule.pattern, bound(rule, Ref("x"), Ref("y"), c, swap_ab), swap)
    after = rewritten(rule, before)
    assert after is not None
    x, y = (torch.tensor(v, dtype=torch.float32) for v in (X, Y))  # every pair of special values, in float32
    assert same_bits(torch_values(before, x, y).double(), torch_values(after, x, y).double()), rule.law


def test_the_forms_that_break_ties_differently_are_not_rules() -> None:
    """min(x, min(-x, x)) has no two-argument form with the same bits: at x = 0.0 numpy gives 0.0 and
    min(x, -x) -0.0 (min(-x, x) is 0.0 in numpy but -0.0 in a torch scalar); and a c that is 0 in float32."""
    kept = parse_expr("min(x, min(-x, x))")
    assert simplify_expr(kept) == kept
    with np.errstate(all="ignore"):
        assert math.copysign(1, np.minimum(0.0, np.minimum(-0.0, 0.0))) == 1
        assert math.copysign(1, np.minimum(0.0, -0.0)) == -1


@pytest.mark.parametrize(("text", "expected"), [
    ("min(x, min(x, -x))", "min(x, -x)"),
    ("min(min(-x, x), x)", "min(-x, x)"),
    ("max(y, max(y, x))", "max(y, x)"),
    ("min(x, x - 0.5)", "x - 0.5"),
    ("min(x - 0.5, x)", "x - 0.5"),
    ("max(x, x - 0.5)", "x"),
    ("min(x, 0.5 + x)", "x"),
    ("max(x + 0.5, x)", "x + 0.5"),
    ("min(x, x - 1e300)", "min(x, x - 1e300)"),  # inf in float32: torch's x - c would be -inf, NaN at -inf
    ("min(x, x + 1e-300)", "min(x, x + 1e-300)"),  # 0 in float32: min(-0.0, +0.0), a tie of signed zeros
    ("x + x", "2.0 * x"),
    ("sin(y) + sin(y)", "2.0 * sin(y)"),
])
def test_shown_forms(text: str, expected: str) -> None:
    assert format_expr(simplify_expr(parse_expr(text))) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("0.75 * (x + x)", "1.5 * x"),
    ("x * 0.5 * 2.0 + x", "2.0 * x"),
    ("(x + x) * 0.75 + 1.0", "1.0 + 1.5 * x"),  # (a sum's lone literal gathered in front)
])
def test_a_fitted_doubling_folds_into_its_factor(text: str, expected: str) -> None:
    assert format_expr(fold_fitted(parse_expr(text))) == expected


def test_a_random_body_keeps_its_bits_through_the_new_rules() -> None:
    rng = random.Random(27)
    for _ in range(20):
        c = const(rng.choice([0.5, 3.0, 1e-300, 2e-38]))
        body = Call("min", (Ref("x"), Call("sub", (Ref("x"), c))))
        body = Call("add", (body, body))
        assert same_bits(values(body), values(simplify_expr(body)))


@pytest.mark.parametrize("rule", SIGNED_ZERO, ids=[r.name for r in SIGNED_ZERO])
def test_the_laws_up_to_a_zeros_sign_are_not_exact_rules(rule: Rule) -> None:
    """Each law of SIGNED_ZERO flips the sign of a zero result somewhere (so that 1 / it is inf for -inf):
    it is no rule of RULES (whose results keep every bit), only of FITTED_RULES (scored again)."""
    before = instantiate_pattern(rule.pattern, bound(rule, Ref("x"), Ref("y"), 3.0), False)
    after = rewritten(rule, before)
    assert after is not None and rule not in RULES and rule in FITTED_RULES
    a, b = values(before), values(after)
    assert np.array_equal(a, b, equal_nan=True) and not same_bits(a, b)  # equal but for a zero's sign
    assert simplify_expr(before) != after
