"""The simplifier stops after a pass known to reach its fixpoint: the same result as passes until
one changes nothing, on random programs with random literals (0, 1, -1, signed zeros, and values
whose folding overflows to infinities or NaN, which stay unfolded; a literal itself is finite),
with and without the engine's memo."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve.dsl.ir import Call, Expr, Num, const, with_children
from mlevolve.dsl.parse import parse, parse_expr
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.simplify import (
    FITTED_RULES,
    RULES,
    Rule,
    _pass,
    fold_constant,
    fold_float32,
    is_fixpoint,
    simplify_expr,
    simplify_program,
)
from mlevolve.dsl.traverse import fold, preorder, replace_at
from mlevolve.gp import memo
from mlevolve.gp.generate import generate
from mlevolve.gp.memo import NodeMemo, simplified
from mlevolve.grammar.spec import load_grammar

SPEC = load_grammar()
SCALAR_SPEC = SPEC.restrict(frozenset({"Scalar"}))
PROPS = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])
ENV = {"x": "Scalar", "y": "Scalar"}
SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, 1e308, -1e308, 5e-324]
literal = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=False, allow_infinity=False))


def reference(expr: Expr, rules: tuple[Rule, ...] = RULES) -> Expr:
    """Passes until one changes nothing: the simplifier's definition."""
    while True:
        new, _ = _pass(expr, rules)
        if new == expr:
            return new
        expr = new


def with_literals(expr: Expr, values: list[float]) -> Expr:
    """``expr`` with its literals replaced by ``values`` in turn (cycled), as a fit writes them."""
    it = iter(values * (expr.size // max(1, len(values)) + 1))

    def combine(node: Expr, kids: list[Expr]) -> Expr:
        if isinstance(node, Num):
            return const(next(it))
        return with_children(node, tuple(kids)) if kids else node

    return fold(expr, combine)


@PROPS
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 7), type_=st.sampled_from(["Scalar", "Vector"]),
       values=st.lists(literal, min_size=1, max_size=6))
def test_one_settled_pass_gives_what_passes_to_a_fixpoint_give(seed: int, depth: int, type_: str,
                                                              values: list[float]) -> None:
    spec = SCALAR_SPEC if type_ == "Scalar" else SPEC
    body = with_literals(generate(spec, type_, random.Random(seed), env={**ENV, "v": "Vector"}, max_depth=depth,
                                  method="grow"), values)
    expected = reference(body)
    got = simplify_expr(body)
    assert got == expected
    assert _pass(got, RULES)[0] == got  # a fixpoint
    assert simplified(body) == expected  # the engine's memoised simplifier agrees


def test_a_rewrite_that_makes_a_reducible_node_below_it_is_not_taken_as_settled() -> None:
    # neg-add-neg makes a sum below the node it rewrites: (-x) + (-0) -> -(x + 0), where x + 0 reduces.
    # (Both are laws up to a zero's sign, of FITTED_RULES, where add-neg comes first and takes every such
    # sum; a rule table of these two shows the case.)
    rules = tuple(r for r in FITTED_RULES if r.name in ("add-pos-zero", "neg-add-neg"))
    body = parse_expr("-x + -0")
    first, settled = _pass(body, rules)
    assert first == parse_expr("-(x + 0)") and not settled
    assert simplify_expr(body, rules) == reference(body, rules) == parse_expr("-x")


def test_a_pass_result_the_memo_knows_to_reduce_further_is_reduced() -> None:
    """With a memo, a pass's unsettled result that the memo holds (seen before as an input) is not taken as the
    answer where the memo says it reduces: ``-(x + 0)``, made by neg-add-neg from ``-x + -0`` after it was simplified
    on its own to ``-x``, still gives ``-x`` (a guard for any shortcut that reads a pass's result from the memo)."""
    rules = tuple(r for r in FITTED_RULES if r.name in ("add-pos-zero", "neg-add-neg"))
    table = NodeMemo[Expr](64)
    assert simplify_expr(parse_expr("-(x + 0)"), rules, table) == parse_expr("-x")
    assert simplify_expr(parse_expr("-x + -0"), rules, table) == parse_expr("-x")


@PROPS
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 7), type_=st.sampled_from(["Scalar", "Vector"]),
       values=st.lists(literal, min_size=1, max_size=6), fitted=st.booleans(), float32=st.booleans())
def test_is_fixpoint_says_whether_simplifying_changes_nothing(seed: int, depth: int, type_: str, values: list[float],
                                                               fitted: bool, float32: bool) -> None:
    """``is_fixpoint`` is True exactly where ``simplify_expr`` gives the expression back, and then that very node
    (what ``gp.memo.unseen_simplified_text`` relies on when it skips the walk): on random bodies with random
    literals, on their simplified forms (fixpoints), and on those with their literals written anew, as a fit
    writes them into a candidate (every sign rule of a literal turned negative: ``x + -0.8``), for the cache key's
    rules and folding, the fitted rules and the float32 folding of what is shown of a torch body."""
    spec = SCALAR_SPEC if type_ == "Scalar" else SPEC
    rules = FITTED_RULES if fitted else RULES
    folding = fold_float32 if float32 else fold_constant
    body = with_literals(generate(spec, type_, random.Random(seed), env={**ENV, "v": "Vector"}, max_depth=depth,
                                  method="grow"), values)
    simple = simplify_expr(body, rules, folding=folding)
    for expr in (body, simple, with_literals(simple, [-v for v in values])):
        again = simplify_expr(expr, rules, folding=folding)
        assert is_fixpoint(expr, rules, folding) == (again == expr)
        if is_fixpoint(expr, rules, folding):
            assert again is expr
    assert is_fixpoint(simple, rules, folding)


@pytest.mark.parametrize(("text", "fixpoint"), [
    ("x + -0.8", False),  # add-neg: a fitted literal turned negative
    ("x - 0.8", True),
    ("3.45 + -3.94 * cos(x)", False),  # add-neg-mul
    ("3.45 - 3.94 * cos(x)", True),
    ("exp(x) * (x - -0.5)", False),  # sub-neg, below the root
    ("exp(2.0)", False),  # a constant folds
    ("exp(1000.0)", True),  # ...but not to an overflow
    ("x + -0.0", False),  # add-zero
    ("x + 0.0", True),  # (not at x = -0.0)
])
def test_is_fixpoint_on_fitted_forms(text: str, fixpoint: bool) -> None:
    expr = parse_expr(text)
    assert is_fixpoint(expr) is fixpoint
    assert (simplify_expr(expr) == expr) is fixpoint


def test_is_fixpoint_has_no_recursion_limit() -> None:
    deep = parse_expr("x")
    for i in range(3000):
        deep = Call("add", (deep, Num(float(i + 1)))) if i % 2 else Call("sin", (deep,))
    assert is_fixpoint(deep)
    assert not is_fixpoint(Call("sin", (Call("add", (deep, const(-1.0))),)))


def _clear_engine_memo() -> None:
    """Empties the engine's memo tables of simplification (each test's draws start from the same state)."""
    for table in (memo._SIMPLIFIED, memo._PASSED):
        table._young.clear()
        table._old.clear()
    memo._SIMPLE_DEFINITIONS._table.clear()


FORMULA = parse("algorithm a\n\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  x\n")


@PROPS
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 6), values=st.lists(literal, min_size=1, max_size=6),
       edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 2**32 - 1), st.integers(0, 3)), min_size=1,
                      max_size=4))
def test_a_childs_memoised_simplification_is_the_plain_one(seed: int, depth: int, values: list[float],
                                                            edits: list[tuple[int, int, int]]) -> None:
    """The engine's memoised ``simplified_program`` of a child (its parent with one subtree replaced, the parent's
    nodes in the memo: what variation makes) is ``simplify_program``'s very result, the same text and digest, edit
    after edit; so is its body's ``simplified``.  On random bodies with random literals (folds, overflows left
    unfolded, signed zeros), each edit a random site given a random subtree of the parent or a new one."""
    _clear_engine_memo()
    rng = random.Random(seed)
    body = with_literals(generate(SCALAR_SPEC, "Scalar", rng, env=ENV, max_depth=depth, method="grow"), values)
    program = FORMULA.with_definitions((dataclasses.replace(FORMULA.definitions[0], body=body),))
    for site, draw, kind in edits:
        parent = program.definitions[0].body
        assert parent is not None
        memo.simplified_program(program)  # the parent's nodes, simplified, in the memo
        nodes = preorder(parent)
        if kind == 0:  # a subtree of the parent's own elsewhere (a crossover's kind of child)
            new = nodes[draw % len(nodes)]
        else:
            new = with_literals(generate(SCALAR_SPEC, "Scalar", random.Random(draw), env=ENV, max_depth=kind,
                                         method="grow"), values[::-1])
        child = replace_at(parent, site % len(nodes), new)
        program = program.with_definitions((dataclasses.replace(program.definitions[0], body=child),))
        expected = simplify_program(program)
        got = memo.simplified_program(program)
        assert format_program(got) == format_program(expected)
        assert got.definitions[0].body == expected.definitions[0].body  # the same digest
        assert (got is program) == (expected is program)
        assert memo.simplified(child) == simplify_expr(child)
