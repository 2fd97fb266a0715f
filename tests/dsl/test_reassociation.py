"""The reassociation rules for fitted programs (``simplify.REASSOCIATION``): each folds its literals
into one, keeps the value up to rounding (the real-number law in its comment), declines where the
folded constant would not be finite, and is kept out of the exact simplifier."""

from __future__ import annotations

import operator
import random
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.dsl.ir import Call, Definition, Expr, Num, Param, Program, Ref, const
from mlevolve.dsl.kinds import check_program
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.simplify import (
    FITTED_RULES,
    REASSOCIATION,
    RULES,
    Pat,
    Rule,
    _head,
    _table,
    constant_value,
    fold_constant,
    fold_fitted,
    folded_fitted,
    literal_chain,
    match,
    rewrite_node,
    simplify_expr,
)
from mlevolve.gp.generate import generate
from mlevolve.grammar.spec import load_grammar

SPEC = load_grammar()
SCALAR_SPEC = SPEC.restrict(frozenset({"Scalar"}))  # what a formula may compute with
ENV = {"x": "Scalar", "y": "Scalar"}
EPS = float(np.finfo(np.float64).eps)
PROPS = settings(max_examples=60, derandomize=True, deadline=None, database=None)
# literals and inputs well inside the float64 range, away from underflow; zero excluded (a divisor)
number = st.floats(1e-3, 1e3).flatmap(lambda v: st.sampled_from([v, -v]))
NAMES = ("c", "k", "m")


def build(pat: Pat, values: dict[str, float], swap: bool) -> Expr:
    """The pattern with its literal captures as literals, ``x`` as the input ``x`` (both argument orders
    of a commuting pattern: ``swap``)."""
    if pat.op is None:
        assert pat.name is not None
        return const(values[pat.name]) if pat.name in NAMES else Ref("x")
    args = [build(a, values, swap) for a in pat.args]
    if pat.commute and swap:
        args.reverse()
    return Call(pat.op, tuple(args))


_REAL = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv, "neg": operator.neg}
_MAGNITUDES = {**_REAL, "sub": operator.add, "neg": operator.pos}  # ``-`` as ``+``


def _evaluate(e: Expr, inputs: Mapping[str, float], ops: Mapping[str, Callable[..., Any]],
              leaf: Callable[[float], Any]) -> Any:
    """``e`` with each literal and input (by name) as ``leaf`` of its value, each call as ``ops`` of its op."""
    value = constant_value(e)
    if value is not None:
        return leaf(value)
    if isinstance(e, Ref):
        return leaf(inputs[e.name])
    assert isinstance(e, Call)
    return ops[e.op](*(_evaluate(arg, inputs, ops, leaf) for arg in e.args))


def exact(e: Expr, inputs: Mapping[str, float]) -> Fraction:
    """The expression's value in exact rational arithmetic (the real-number law's side)."""
    return Fraction(_evaluate(e, inputs, _REAL, Fraction))


def magnitude(e: Expr, inputs: Mapping[str, float]) -> float:
    """The expression evaluated on the magnitudes of its literals and inputs, with ``-`` as ``+``: the
    scale of the rounding errors of a few float64 operations (Higham 2002, ch. 3; a product's is its own value's)."""
    return float(_evaluate(e, inputs, _MAGNITUDES, abs))


def floating(e: Expr, inputs: Mapping[str, float]) -> float:
    """The expression in float64, operation by operation, as the NumPy backend computes it."""
    return float(_evaluate(e, inputs, _REAL, np.float64))


@pytest.mark.parametrize("rule", REASSOCIATION, ids=lambda r: r.name)
@PROPS
@given(c=number, k=number, m=number, x=number, swap=st.booleans())
def test_each_rule_folds_its_literals_and_keeps_the_value_up_to_rounding(rule: Rule, c: float, k: float, m: float,
                                                                         x: float, swap: bool) -> None:
    node = build(rule.pattern, {"c": c, "k": k, "m": m}, swap)
    step = rewrite_node(node, REASSOCIATION)
    literals = sum(1 for n in _nodes(node) if isinstance(n, Num))
    if step is None:  # declined only where it would not shrink (a negative literal made of positive ones)
        new = rule.rewrite(_captures(rule, node))
        assert new is None or new.size >= node.size
        return
    new, name = step
    gathered = {r.name: r for r in REASSOCIATION}[name].keeps_size  # a lone literal moved to the front
    assert new.size < node.size or (gathered and new.size == node.size)
    folded = sum(1 for n in _nodes(new) if isinstance(n, Num))
    assert folded < literals or rule.name == "mul-neg-lit" or gathered  # two literals (or more) made one; a neg
    # dropped; or (a rule before this one) the literal of x * c moved in front
    truth = exact(node, {"x": x})
    bound = 8 * EPS * magnitude(node, {"x": x})
    assert abs(Fraction(floating(new, {"x": x})) - truth) <= Fraction(bound)
    assert abs(Fraction(floating(node, {"x": x})) - truth) <= Fraction(bound)


def _nodes(e: Expr) -> list[Expr]:
    out, stack = [], [e]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.children())
    return out


def _captures(rule: Rule, node: Expr) -> dict[str, Expr]:
    from mlevolve.dsl.simplify import match

    bound = match(rule.pattern, node)
    assert bound is not None
    return bound


@pytest.mark.parametrize(("text", "expected"), [
    ("0.5 + 134351945.728 * (1.4886274918928728e-8 * x)", "0.5 + 1.9999999999999998 * x"),
    ("2.0 * (x * 3.0)", "6.0 * x"),
    ("x * 2.0 / 4.0", "0.5 * x"),
    ("1.0 + (x + 2.0)", "3.0 + x"),
    ("1.0 + 2.0 * (x + 3.0)", "7.0 + 2.0 * x"),
    ("1.0 + (2.0 + x) * 3.0", "7.0 + 3.0 * x"),
    ("3.0 / (2.0 * x)", "1.5 / x"),
    ("x / 2.0 / 4.0", "x / 8.0"),
    ("1.0 + 2.0 * (3.0 * (4.0 * x))", "1.0 + 24.0 * x"),
    ("0.5 + 2.0 * (x * x + 1.0)", "2.5 + 2.0 * (x * x)"),
    ("x * (2.0 * y)", "2.0 * (x * y)"),  # one literal: gathered in front, where a scale b * (...) folds it
    ("x * -0.977 * (x * sin(y))", "-0.977 * (x * x * sin(y))"),
    ("1.5 + 2.0 * (x * -0.977 * (x * sin(y)))", "1.5 + -1.954 * (x * x * sin(y))"),  # (RULES make it 1.5 - ...)
    ("3.0 + 2.0 * (x * x + 0.5 + sin(y))", "4.0 + 2.0 * (x * x + sin(y))"),
    ("x * (y * z)", "x * (y * z)"),  # no literal: nothing to fold
    ("2.0 * (x * y)", "2.0 * (x * y)"),  # the literal in front already
])
def test_chains_of_literals_fold_into_one(text: str, expected: str) -> None:
    env = {"x": "Scalar", "y": "Scalar", "z": "Scalar"}
    assert format_expr(simplify_expr(parse_expr(text, env), REASSOCIATION)) == expected


def test_a_fold_that_would_overflow_or_underflow_is_declined() -> None:
    env = {"x": "Scalar"}
    for text in ("1e300 * (1e300 * x)", "1e-300 * (1e-300 * x)", "1.7e308 + (1.7e308 + x)",
                 "2.0 * x / 0.0", "3.0 / (0.0 * x)", "1.5 * (x / 0.0)", "3.0 / (0.0 / x)"):  # (no ZeroDivisionError)
        e = parse_expr(text, env)
        assert simplify_expr(e, REASSOCIATION) == e


def test_the_exact_simplifier_never_reassociates() -> None:
    """Reassociation changes the last bits: the cache key's simplifier (``RULES``) keeps chains."""
    assert not {r.name for r in REASSOCIATION} & {r.name for r in RULES}
    e = parse_expr("2.0 * (3.0 * x)", {"x": "Scalar"})
    assert simplify_expr(e) == e


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 6))
def test_literal_chain_is_a_necessary_condition_for_a_fold(seed: int, depth: int) -> None:
    """Where ``literal_chain`` finds nothing, the rules fold no literals (they may only move a lone one
    to the front of its product or sum, or drop a zero term), so skipping them loses no fold; the
    folded formula type-checks and is never larger."""
    body = simplify_expr(generate(SCALAR_SPEC, "Scalar", random.Random(seed), env=ENV, max_depth=depth,
                                  method="grow"))
    folded = simplify_expr(body, FITTED_RULES)
    if literal_chain(body):
        assert fold_fitted(body) == folded
    else:
        assert fold_fitted(body) is body
        assert _nonzero_literals(folded) == _nonzero_literals(body)
    assert folded.size <= body.size
    params = (Param("x", "Scalar"), Param("y", "Scalar"))
    check_program(Program("t", (Definition("formula", "f", params, "Scalar", folded),)), SPEC)


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 6), a=st.floats(-9, 9), b=st.floats(-9, 9))
def test_a_fold_that_ran_leaves_what_the_exact_simplifier_leaves_as_it_is(seed: int, depth: int, a: float,
                                                                         b: float) -> None:
    """``folded_fitted`` says its result is a fixpoint only where the fold ran; then the exact simplifier
    (``RULES``, a subset of the fitted rules) returns that very node, so the archive's simplified text of a
    folded formula is its text (``gp.memo.unseen_simplified_text`` skips the walk).  The bodies are not
    simplified first (as a fitted formula is not), so a claim made where the fold was skipped fails here."""
    raw = generate(SCALAR_SPEC, "Scalar", random.Random(seed), env=ENV, max_depth=depth, method="grow")
    body = Call("add", (const(a), Call("mul", (const(b), raw))))  # a fit's scaling, over an unsimplified f
    folded, settled = folded_fitted(body)
    assert folded == fold_fitted(body)
    assert settled == literal_chain(body)
    if settled:
        assert simplify_expr(folded) is folded
        assert simplify_expr(folded, FITTED_RULES) is folded
    else:
        assert folded is body


def _nonzero_literals(e: Expr) -> list[float]:
    return sorted(abs(n.value) for n in _nodes(e) if isinstance(n, Num) and n.value != 0)


TREES = ["c * x * (k * x)", "x * (c * (x * k))", "c * (x * (k * x))", "x * c * k", "(x * c) * (x * (k * x))"]


@pytest.mark.parametrize("op", ["*", "+"])
@pytest.mark.parametrize("tree", TREES)
@PROPS
@given(c=number, k=number, x=number)
def test_literals_anywhere_in_a_product_or_sum_are_collected(op: str, tree: str, c: float, k: float,
                                                             x: float) -> None:
    """``mul-collect-lit`` / ``add-collect-lit``: the tree's literals multiplied (added) into one in
    front, its other operands in order; the value within rounding of the exact one."""
    text = tree.replace("*", op).replace("c", repr(c)).replace("k", repr(k))
    node = parse_expr(text, {"x": "Scalar"})
    new = simplify_expr(node, REASSOCIATION)
    assert sum(1 for n in _nodes(new) if isinstance(n, Num)) == 1 and new.size < node.size
    truth = exact(node, {"x": x})
    bound = 8 * EPS * magnitude(node, {"x": x})
    assert abs(Fraction(floating(new, {"x": x})) - truth) <= Fraction(bound)


def _instances(pat: Pat, fill: dict[str, Expr]) -> Expr:
    """The node ``pat`` describes, its captures taken from ``fill`` (one node per name)."""
    if pat.value is not None:
        return Num(pat.value)
    if pat.op is None:
        assert pat.name is not None
        return fill[pat.name]
    return Call(pat.op, tuple(_instances(a, fill) for a in pat.args))


_NOT_LITERALS = [Ref("x"), parse_expr("-y"), parse_expr("x * 2.0"), parse_expr("x + 3.0"), parse_expr("x / 4.0"),
                 parse_expr("-(x * 2.0)"), parse_expr("2.0 - x"), parse_expr("x * y"), parse_expr("x + y"),
                 parse_expr("x * y * 5.0"), parse_expr("x - y")]
_SOME_LITERALS = [Num(2.0), const(-3.0), Num(0.5), const(-1.0), Num(4), Num(1.0), Num(0.0)]


@pytest.mark.parametrize("rule", [r for r in FITTED_RULES if r.literals or r.admits or r.admits_below],
                         ids=lambda r: r.name)
def test_a_rule_declines_where_a_capture_it_names_a_literal_is_not_one(rule: Rule) -> None:
    """``Rule.literals``, ``Rule.admits`` and ``Rule.admits_below`` are what the dispatch's gate reads as
    necessary conditions (``simplify._fits``, ``_Dispatch.shape``, ``_Dispatch.narrow``): for every filling
    of the rule's pattern in which one of those captures is no literal (a name, ``neg`` of a name, a product
    or sum with or without a literal, in either order of a commuting pattern), or whose arguments' heads
    ``admits`` refuses, or whose heads two levels down ``admits_below`` refuses, the rule gives nothing;
    and where the rule applies, the gate lets it through (``rewrite_node`` with this rule alone finds
    its rewrite): it fails if the gate forgets that ``neg`` of a number is a literal, or if a collect
    rule's gate counts one literal too few (checked)."""
    values = _table(FITTED_RULES).values
    assert all(any(a.op is None and a.value is None and a.name == n for a in rule.pattern.args) for n in rule.literals)
    names = sorted(_names(rule.pattern))
    rng = random.Random(rule.name)
    pool = _NOT_LITERALS + _SOME_LITERALS
    applied = 0
    for trial in range(400):
        fill = {n: rng.choice(pool) for n in names}
        if trial % 4 == 0:  # the named captures all literals (a collect rule's second operand), the rest anything
            fill.update({n: rng.choice(_SOME_LITERALS) for n in (("b",) if rule.admits else ())})
            fill.update({n: rng.choice(_SOME_LITERALS) for n in rule.literals})
        node = _instances(rule.pattern, fill)
        for candidate in (node, Call(node.op, node.args[::-1])) if isinstance(node, Call) and rule.pattern.commute \
                else (node,):
            bound = match(rule.pattern, candidate)
            if bound is None:
                continue
            new = rule.rewrite(bound)
            heads = tuple(_head(a, values) for a in candidate.args)
            below = tuple(tuple(_head(g, values) for g in a.args) if isinstance(a, Call) else ()
                          for a in candidate.args)
            refused = (rule.admits is not None and not rule.admits(heads)) or \
                (rule.admits_below is not None and not rule.admits_below(heads, below))
            if refused or any(constant_value(bound[n]) is None for n in rule.literals):
                assert new is None, (rule.name, format_expr(candidate))
            elif new is not None and new.size < candidate.size and fold_constant(candidate) is None:
                assert rewrite_node(candidate, (rule,)) == (new, rule.name), (rule.name, format_expr(candidate))
                applied += 1
    assert applied > 0, rule.name


def _names(pat: Pat) -> set[str]:
    out = {pat.name} if pat.name is not None and pat.op is None and pat.value is None else set()
    for a in pat.args:
        out |= _names(a)
    return out


# -- GATHERING: literals across * / neg (+ - neg) collected into one (issue 15) ----------------------------------
ENV4 = {n: "Scalar" for n in "adxy"}


@pytest.mark.parametrize(("text", "expected"), [
    ("0.5066 * (a * (1.974 / d * x) * y)", "1.0000284000000002 * (a * x * y / d)"),  # a numerator under a product
    ("1.428 * (a / (1.428 / (y / d)) * x)", "a * y * x / d"),  # a denominator's division under a product: c / c
    ("1.974 / d * x * 0.5066 * a", "1.0000284000000002 * (x / d * a)"),
    ("-(a * 2.0) / -(4.0 / y)", "0.5 * (a * y)"),  # negations: a product's sign
    ("2.0 * (a / (3.0 * d))", "0.6666666666666666 * (a / d)"),
    ("2.0 * x / (a * 4.0)", "0.5 * (x / a)"),
    ("2.0 / (x * (4.0 / a))", "0.5 * (a / x)"),
    ("-(2.0 * x) * 3.0", "-6.0 * x"),
    ("0.5 * (x * (2.0 * y))", "x * y"),  # a coefficient of 1.0 dropped
    ("-(0.5 * (x * (2.0 * y)))", "-(x * y)"),
    ("-(2.0 - x) - 5.0", "x - 7.0"),  # a sum's terms, subtracted or negated
    ("2.0 - (x - 3.0) + y", "5.0 - x + y"),
    ("(x - 1.5) + (2.5 - y)", "1.0 + (x - y)"),
    ("1.5 - (x + (y + 1.5))", "-(x + y)"),  # a constant term of 0.0 dropped
    ("0.0 + a * x", "a * x"),  # a zero term (a fit's intercept of 0): SIGNED_ZERO, now found by literal_chain
])
def test_literals_across_inverse_ops_fold_into_one(text: str, expected: str) -> None:
    e = parse_expr(text, ENV4)
    assert literal_chain(e)
    assert format_expr(fold_fitted(e)) == expected


@pytest.mark.parametrize("text", ["2.0 / 0.0 * x * 3.0", "x / (0.0 * y) * 2.0 / 3.0", "1e300 * (x / 1e-300)",
                                  "1e-300 * (x / 1e300)", "2.0 * (x / 0.0)"])
def test_a_gather_that_would_not_be_finite_or_underflow_is_declined(text: str) -> None:
    e = parse_expr(text, ENV4)
    from mlevolve.dsl.simplify import GATHERING

    assert simplify_expr(e, GATHERING) == e


GATHER_TREES = ["c * (a * (k / d * x) * y)", "c * (a / (k / (y / d)) * x)", "-(a * c) / -(k / y)", "c / (x * (k / a))",
                "a / c / (k * d) * x", "(c - x) - (y + k)", "-(c - x) - k", "c - (x - (y - k))", "(x - c) + (k - y)"]


@pytest.mark.parametrize("tree", GATHER_TREES)
@PROPS
@given(c=number, k=number, a=number, d=number, x=number, y=number)
def test_gathering_keeps_the_value_within_the_stated_bound(tree: str, c: float, k: float, a: float, d: float, x: float,
                                                           y: float) -> None:
    """Each GATHERING fold leaves one literal where two were, and the value within 2 gamma_k of the exact one,
    relatively for a product, against the sum of the terms' magnitudes for a sum (the bound in simplify.py)."""
    from mlevolve.dsl.simplify import GATHERING

    node = parse_expr(tree.replace("c", repr(c)).replace("k", repr(k)), ENV4)
    new = simplify_expr(node, FITTED_RULES)
    assert any(r.name in {g.name for g in GATHERING} for r in FITTED_RULES)
    assert sum(1 for n in _nodes(new) if isinstance(n, Num)) <= 1 and new.size < node.size
    inputs = {"a": a, "d": d, "x": x, "y": y}
    truth = exact(node, inputs)
    ops = sum(1 for n in _nodes(node) if isinstance(n, Call) and n.op != "neg")
    gamma = Fraction(ops * EPS / 2) / (1 - Fraction(ops * EPS / 2))
    scale = Fraction(magnitude(node, inputs))
    assert abs(Fraction(floating(new, inputs)) - truth) <= 2 * gamma * scale
    assert abs(Fraction(floating(node, inputs)) - truth) <= gamma * scale

