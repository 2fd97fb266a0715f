"""The cancellation laws (``simplify.CANCELLATION``): each holds in real arithmetic wherever both sides are defined
(checked in exact rationals), each is false somewhere in floating point (so it is in no simplifier of candidates,
only in the prune's scored edits, ``gp.prune.edits``)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.dsl.ir import Call, Expr, Num, Ref
from mlevolve.dsl.simplify import CANCELLATION, FITTED_RULES, RULES, Pat, Rule, match

EXACT = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
         "neg": lambda a: -a}
nonzero = st.fractions(-1000, 1000, max_denominator=1000).filter(bool)


def build(pat: Pat, swap: bool) -> Expr:
    """The pattern with its captures as the inputs of their names, its literals as literals (a commuting pattern's
    arguments swapped)."""
    if pat.op is None and pat.value is not None:  # a product by 0: 0.0 * y
        return Num(pat.value)
    if pat.op is None:
        assert pat.name is not None
        return Ref(pat.name)
    args = [build(a, swap) for a in pat.args]
    return Call(pat.op, tuple(reversed(args) if pat.commute and swap else args))


def value(e: Expr, env: dict[str, object]) -> object:
    """``e`` on ``env``: exact for Fractions, IEEE double for NumPy floats."""
    if isinstance(e, Ref):
        return env[e.name]
    if isinstance(e, Num):  # in the inputs' arithmetic: exact, or IEEE double
        return Fraction(e.value) if isinstance(next(iter(env.values())), Fraction) else np.float64(e.value)
    assert isinstance(e, Call)
    return EXACT[e.op](*(value(a, env) for a in e.args))  # type: ignore[operator]


def rewritten(rule: Rule, swap: bool) -> tuple[Expr, Expr]:
    node = build(rule.pattern, swap)
    bound = match(rule.pattern, node)
    assert bound is not None
    new = rule.rewrite(bound)
    assert new is not None and new.size < node.size
    return node, new


@pytest.mark.parametrize("rule", CANCELLATION, ids=lambda r: r.name)
@settings(max_examples=40, derandomize=True, deadline=None, database=None)
@given(x=nonzero, y=nonzero, swap=st.booleans())
def test_each_cancellation_holds_in_real_arithmetic(rule: Rule, x: Fraction, y: Fraction, swap: bool) -> None:
    node, new = rewritten(rule, swap)
    env = {"x": x, "y": y}
    assert value(node, env) == value(new, env)


@pytest.mark.parametrize("rule", CANCELLATION, ids=lambda r: r.name)
def test_each_cancellation_is_false_in_floating_point_and_kept_out_of_the_simplifiers(rule: Rule) -> None:
    node, new = rewritten(rule, False)
    found = []
    with np.errstate(all="ignore"):
        for x, y in ((1e20, 1.0), (0.0, 1.0), (np.inf, 1.0), (1e300, 1e300), (1.0, np.inf)):  # 0 * inf: NaN
            env = {"x": np.float64(x), "y": np.float64(y)}
            a, b = value(node, env), value(new, env)
            if not (a == b or (np.isnan(a) and np.isnan(b))):  # type: ignore[call-overload]
                found.append((x, y))
    assert found, "a law of floating point belongs in RULES"
    assert rule not in RULES and rule not in FITTED_RULES
