"""The simplifier: every rule preserves values (IEEE, inf and NaN included), results type-check,
simplification is idempotent and never grows a program, and depth is no limit."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Param, Program, Ref, const
from mlevolve.dsl.kinds import check_program
from mlevolve.dsl.parse import parse, parse_expr
from mlevolve.dsl.printer import format_expr, format_program
from mlevolve.dsl.simplify import (
    RULES,
    Pat,
    Rule,
    constant_value,
    fold_constant,
    match,
    simplify_expr,
    simplify_program,
)
from mlevolve.dsl.traverse import walk
from mlevolve.gp.generate import generate
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.codegen import compile_program
from mlevolve.interpreter.evaluate import instantiate
from tests.conftest import EXAMPLE_FILES

SPEC = load_grammar()
SCALAR_SPEC = SPEC.restrict(frozenset({"Scalar"}))  # what a formula may compute with
PROPS = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])

# Inputs where a rule must not apply if it is unsafe: infinities, NaN, signed zeros, huge and tiny.
SPECIAL = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1.0, -1.0, 1e308, -1e308, 5e-324, 2.5, -0.75, 3.0])
X, Y = (a.ravel() for a in np.meshgrid(SPECIAL, SPECIAL))
ENV = {"x": "Scalar", "y": "Scalar"}


def formula(body: Expr) -> Program:
    params = (Param("x", "Scalar"), Param("y", "Scalar"))
    return Program("t", (Definition("formula", "f", params, "Scalar", body),))


def values(body: Expr) -> Any:
    """The formula's outputs on every pair of special inputs, computed by the real code generator."""
    program = check_program(formula(body), SPEC)
    fn = instantiate(compile_program(program, SPEC))
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(fn(X, Y), np.float64), X.shape)


def bits(a: Any) -> tuple[Any, Any]:
    """NaN where, and the bits of every other value: equal bits, or both NaN (any payload)."""
    a = np.asarray(a, np.float64)
    nan = np.isnan(a)
    return nan, np.where(nan, 0.0, a).view(np.int64)


def same_bits(a: Any, b: Any) -> bool:
    (na, ba), (nb, bb) = bits(a), bits(b)
    return bool(np.array_equal(na, nb) and np.array_equal(ba, bb))


def same_values(a: Expr, b: Expr) -> bool:
    """The same outputs bit for bit on every pair of special inputs: NaN matches NaN (any payload), and
    -0.0 does not match 0.0 (``1 / x`` tells them apart: the simplifier's policy)."""
    return same_bits(values(a), values(b))


def instantiate_pattern(pat: Pat, captures: dict[str, Expr], swap: bool) -> Expr:
    if pat.value is not None:
        return const(pat.value)
    if pat.op is None:
        assert pat.name is not None
        return captures[pat.name]
    if pat.op == "neg" and len(pat.args) == 1 and pat.args[0].value is not None and pat.args[0].op is None:
        return Call("neg", (Num(pat.args[0].value),))
    args = [instantiate_pattern(a, captures, swap) for a in pat.args]
    if pat.commute and swap:
        args.reverse()
    return Call(pat.op, tuple(args))


def names_in(pat: Pat) -> set[str]:
    out = {pat.name} if pat.name and pat.op is None else set()
    for a in pat.args:
        out |= names_in(a)
    return out


small = st.builds(lambda seed, depth: generate(SCALAR_SPEC, "Scalar", random.Random(seed), env=ENV, max_depth=depth,
                                                method="grow"),
                  st.integers(0, 2**32 - 1), st.integers(1, 3))


# A rule's captures: x, y (and a, b) any subtree, c a literal; a rule that needs c > 0 declines otherwise.
# (c: a literal that is a normal float32, the rules' condition for min(x, x - c) on the torch backend)
positive = st.floats(min_value=1.2e-38, max_value=3.4e38, allow_nan=False, allow_infinity=False)


# The power-of-two rules' literals: c with 1 <= |c| <= 1e30 (c * k a finite float32), times k = 2 (inside a
# product) or over k = 0.5.
_POWER = {"mul-pow2": 2.0, "mul-div-pow2": 0.5}


def rewritten(rule: Rule, before: Expr) -> Expr | None:
    """``rule``'s rewrite of ``before`` where its pattern matches there, else None."""
    found = match(rule.pattern, before)
    return rule.rewrite(found) if found is not None else None


def bound(rule: Rule, x: Expr, y: Expr, c: float, swap_ab: bool = False) -> dict[str, Expr]:
    if rule.name in _POWER:  # (a literal x is constant folding's)
        c, x = min(c if c >= 1.0 else 1.0 + c, 1e30), (Ref("x") if constant_value(x) is not None else x)
    captures = {"x": x, "y": y, "z": x, "a": y if swap_ab else x, "b": x if swap_ab else y, "c": const(c),
                "k": const(_POWER.get(rule.name, 2.0))}
    assert names_in(rule.pattern) <= set(captures)
    return captures


def shrinks(rule: Rule, before: Expr, after: Expr) -> bool:
    return after.size < before.size or (rule.keeps_size and after.size == before.size)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
@PROPS
@given(x=small, y=small, c=positive, swap=st.booleans())
def test_each_rule_preserves_values_on_special_inputs(rule: Rule, x: Expr, y: Expr, c: float, swap: bool) -> None:
    captures = bound(rule, x, y, c)
    before = instantiate_pattern(rule.pattern, captures, swap)
    after = rewritten(rule, before)
    assert after is not None and shrinks(rule, before, after)
    assert same_values(before, after), (rule.law, format_expr(before), format_expr(after))


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_each_rule_fires_on_its_pattern(rule: Rule) -> None:
    before = instantiate_pattern(rule.pattern, bound(rule, Ref("x"), Ref("y"), 3.0), False)
    after = simplify_expr(before)
    assert shrinks(rule, before, after) and after != before and same_values(before, after)


@PROPS
@given(body=st.builds(lambda seed, depth: generate(SCALAR_SPEC, "Scalar", random.Random(seed), env=ENV, max_depth=depth,
                                                   method="grow"), st.integers(0, 2**32 - 1), st.integers(1, 7)))
def test_simplify_preserves_values_types_is_idempotent_and_never_grows(body: Expr) -> None:
    simple = simplify_expr(body)
    assert simple.size <= body.size
    assert simplify_expr(simple) == simple
    check_program(formula(simple), SPEC)  # the checker accepts it
    assert same_values(body, simple), (format_expr(body), format_expr(simple))


@pytest.mark.parametrize("type_", ["Tensor", "Vector"])
@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 6))
def test_simplified_bodies_of_other_types_type_check(type_: str, seed: int, depth: int) -> None:
    if type_ == "Tensor":  # an activation (torch backend)
        elementwise = SPEC.restrict(frozenset({"Scalar", "Tensor"}))
        body = generate(elementwise, "Tensor", random.Random(seed), env={"x": "Tensor"}, max_depth=depth,
                        method="grow")
        text = f"algorithm t\n\nactivation a(x: Tensor) -> Tensor =\n  {format_expr(body)}\n"
    else:  # a learner's learn method over Vector/Scalar/Matrix values
        env = {"w": "Vector", "x": "Vector", "y": "Scalar", "p": "Scalar"}
        memory = SPEC.restrict(frozenset({"Scalar", "Vector", "Matrix"}))
        body = generate(memory, "Vector", random.Random(seed), env=env, max_depth=depth, method="grow")
        text = ("algorithm t\n\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
                f"  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = {format_expr(body)}\n")
    program = check_program(parse(text), SPEC)
    simple = simplify_program(program)
    check_program(simple, SPEC)
    assert simplify_program(simple) == simple


def test_whole_example_programs_still_check_after_simplifying() -> None:
    for path in EXAMPLE_FILES:
        program = check_program(parse(path.read_text()), SPEC)
        simple = simplify_program(program)
        check_program(simple, SPEC)
        assert simplify_program(simple) == simple


def test_learner_bodies_are_simplified_and_check() -> None:
    text = ("algorithm l\n\nlearner lin(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x) * 1.0\n"
            "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + --(0.01 * (y - p) * x)\n")
    program = check_program(parse(text), SPEC)
    simple = check_program(simplify_program(program), SPEC)
    learner = simple.definitions[0]
    predict, learn = learner.method("predict"), learner.method("learn")
    assert predict is not None and learn is not None and predict.body is not None and learn.body is not None
    assert format_expr(predict.body) == "dot(w, x)"
    assert format_expr(learn.body) == "w + 0.01 * (y - p) * x"


@pytest.mark.parametrize(("text", "expected"), [
    ("max(min(x, x), min(x, x))", "x"),
    ("x / abs(1.0)", "x"),
    ("x * 1 + 0", "x + 0"),  # not x: at x = -0.0, x + 0 is +0.0
    ("x * 1 - 0", "x"),
    ("x * 1 + -0.0", "x"),
    ("--x", "x"),
    ("2 * 3 + x", "6.0 + x"),
    ("0 - 2", "-2.0"),
    ("x - -y", "x + y"),
    ("let a = x * 2 in y", "y"),
    ("let a = x * 2 in a - 0", "let a = x * 2 in a"),
    ("exp(1000.0) * x", "exp(1000.0) * x"),  # folding would make inf: the overflow stays in the program
    ("log(0.0 - 1.0) + x", "log(-1.0) + x"),  # NaN is not folded either
    ("x - x", "x - x"),  # not 0: inf - inf is NaN
    ("x / x", "x / x"),  # not 1: 0/0 and inf/inf are NaN
    ("x * 0", "x * 0"),  # not 0: inf * 0 is NaN
    ("3.0 - 3.0 + x", "0.0 + x"),  # folding a finite constant x - x is safe (0.0 + x is not x at -0.0)
    ("3.0 - 3.0 - x", "0.0 - x"),  # not -x: at x = 0.0, 0.0 - x is +0.0
    ("-0.0 - x", "-x"),  # -0.0 - x is -x exactly
    ("3.0 + -1.99 * x", "3.0 - 1.99 * x"),
    ("y - x * -2.5", "y + 2.5 * x"),
    ("y + x / -2.5", "y - x / 2.5"),
    ("2.53 * (2.0 * x)", "5.06 * x"),
    ("(x * 4.0) * -1.5", "-6.0 * x"),
    ("1.5 * (x / 0.5)", "3.0 * x"),
    ("0.5 * (2.0 * x)", "0.5 * (2.0 * x)"),  # not x: 2.0 * x overflows where x does not
    ("2.53 * (3.0 * x)", "2.53 * (3.0 * x)"),  # 3 is no power of two: two roundings
    ("2.53 * (x / 2.0)", "2.53 * (x / 2.0)"),  # x / 2 loses bits where it is subnormal
    ("1.5 * (x / 0.0)", "1.5 * (x / 0.0)"),  # no power of two (and no ZeroDivisionError: a run crashed on it)
])
def test_examples(text: str, expected: str) -> None:
    assert format_expr(simplify_expr(parse_expr(text))) == expected


def test_folding_refuses_non_finite_results() -> None:
    assert fold_constant(parse_expr("exp(710.0)")) is None
    assert fold_constant(parse_expr("0.0 / 0.0")) is None
    folded = fold_constant(parse_expr("sigmoid(0.0)"))
    assert folded is not None and format_expr(folded) == "0.5"


def test_dead_let_with_a_random_draw_is_kept() -> None:
    expr = parse_expr("let r = gaussian_vector(0.0, 1.0) in w")
    assert simplify_expr(expr) == expr


def test_a_thousand_deep_program_simplifies_without_recursion() -> None:
    body: Expr = Ref("x")
    for i in range(1000):
        body = Call("sub", (Call("mul", (body, Num(1.0))), Num(0.0))) if i % 2 else Call("neg", (Call("neg", (body,)),))
    assert body.depth > 1000
    assert simplify_expr(body) == Ref("x")
    deep_let: Expr = Ref("x")
    for i in range(1000):
        deep_let = Let(f"v{i}", Num(float(i)), deep_let)
    assert simplify_expr(deep_let) == Ref("x")


def test_simplify_program_keeps_an_unchanged_program_identical() -> None:
    program = parse("algorithm q\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  x * x + x\n")
    assert simplify_program(program) is program
    changed = parse("algorithm q\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  x * x + x * 1\n")
    out = simplify_program(changed)
    assert format_program(out) == format_program(program)
    assert all(isinstance(n, Call | Ref) for d in out.definitions if d.body for n in walk(d.body))


def test_engine_cache_key_is_the_simplified_programs_hash() -> None:
    from mlevolve.gp.engine import Engine

    head = "algorithm q\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  "
    assert Engine.key(parse(head + "x * 1 + --x\n")) == Engine.key(parse(head + "x + x\n"))
    assert Engine.key(parse(head + "x - x\n")) != Engine.key(parse(head + "0.0\n"))


def test_an_archive_made_before_the_simplified_column_still_reads_and_resumes(tmp_path: Any) -> None:
    import sqlite3

    from mlevolve.gp.archive import _SCHEMA, SCHEMA_VERSION, Archive, Row

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA.replace(",\n    simplified TEXT", ""))
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    conn.execute("INSERT INTO candidates VALUES (0, 'ab', 'algorithm a\n', 1.0, '{}', NULL, NULL, 'evaluated', "
                 "NULL, 'init', '[]', 0, 1, 0.1, 0.0)")
    conn.commit()
    conn.close()
    with Archive.read(path) as archive:
        rows = list(archive.rows())
        assert len(rows) == 1 and rows[0].simplified is None
    with Archive.for_run(path, {"schema_version": SCHEMA_VERSION}) as archive:
        archive.add(Row(1, "cd", "algorithm b\n", 2.0, {}, None, None, "evaluated", None, "init", (), 0, 1, 0.1,
                        simplified="algorithm b\n"))
        assert [r.simplified for r in archive.rows()] == [None, "algorithm b\n"]
