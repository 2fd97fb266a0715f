"""The typed variation operators of ``mlevolve.gp.operators``.

Bulk laws, over every kind of slot (activation, loss, schedule, learner methods with one and two
state variables, model, formula, and an optimizer whose body is a tuple): random parents from ramped
half-and-half on the kind's restricted grammar, some wrapped in a ``let`` (some of those shadowing a
parameter), plus the bodies of the example programs; every mutation and the crossover applied about
thirty thousand times in all.  Every child that is not None type-checks against the slot's
environment, result type and allowed types, fits the site's depth and size limits, differs from its
parent, and survives ``parse_expr(format_expr(child))``.

Then one test per operator on hand-written expressions: the factor and sign flip of
``perturb_constant``, integer widths, ``swap_arguments`` and commutative ops, ``let`` scoping of
hoist and crossover (with shadowing), ``point_mutation``'s signature, and determinism.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlevolve
from mlevolve.dsl.check import check_expr, infer
from mlevolve.dsl.ir import COMMUTATIVE, Call, Expr, Let, Num, Ref, Tup
from mlevolve.dsl.kinds import KINDS, slots
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.simplify import simplify_expr
from mlevolve.dsl.traverse import preorder
from mlevolve.dsl.types import INT, LAYER, MATRIX, SCALAR, TENSOR, VECTOR, TupleType, Type
from mlevolve.gp.generate import min_depth, ramped_half_and_half
from mlevolve.gp.operators import (
    CROSSOVERS,
    MUTATIONS,
    Site,
    hoist,
    perturb_constant,
    point_mutation,
    shrink,
    subtree_crossover,
    subtree_regrow,
    swap_arguments,
    wrap,
)
from mlevolve.grammar.spec import load_grammar
from tests.conftest import ROOT

SPEC = load_grammar()
OPERATORS = [*MUTATIONS, *CROSSOVERS]

PROPS = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Case:
    """A slot kind's site and the types its bodies may compute with."""

    name: str
    site: Site
    allowed: frozenset[str]


def _case(name: str, kind: str, env: Mapping[str, Type], result: Type) -> Case:
    types = KINDS[kind].types
    return Case(name, Site(SPEC.restrict(types), dict(env), result), types)


CASES = {c.name: c for c in (
    _case("activation", "activation", {"x": TENSOR}, TENSOR),
    _case("loss", "loss", {"p": TENSOR, "y": TENSOR}, TENSOR),
    _case("schedule", "schedule", {"t": SCALAR}, SCALAR),
    _case("predict", "learner", {"w": VECTOR, "x": VECTOR}, SCALAR),
    _case("learn", "learner", {"w": VECTOR, "x": VECTOR, "y": SCALAR, "p": SCALAR}, VECTOR),
    _case("learn2", "learner", {"w": VECTOR, "m": MATRIX, "x": VECTOR, "y": SCALAR, "p": SCALAR},
          TupleType((VECTOR, MATRIX))),
    _case("model", "model", {"act": LAYER}, LAYER),
    _case("formula", "formula", {"x": SCALAR, "y": SCALAR}, SCALAR),
    _case("optimizer", "optimizer", {"w": TENSOR, "g": TENSOR, "lr": SCALAR, "t": SCALAR, "m": TENSOR, "v": TENSOR},
          TupleType((TENSOR, TENSOR, TENSOR))),
)}


def _example_parents() -> dict[str, list[Expr]]:
    """The bodies of the example programs, by the case whose site is theirs."""
    by_case: dict[str, list[Expr]] = {}
    which = {"activation": "activation", "loss": "loss", "schedule": "schedule", "model": "model",
             "optimizer": "optimizer", "learn": "learn", "predict": "predict", "formula": "formula"}
    for path in sorted((ROOT / "examples").glob("*.mlev")):
        for slot in slots(mlevolve.check(mlevolve.parse_file(path))):
            case = CASES.get(which.get(slot.kind, ""))
            if case is None:
                continue
            if all(case.site.env.get(n) == t for n, t in slot.env.items()) and case.site.result == slot.result:
                by_case.setdefault(case.name, []).append(slot.body)
    return by_case


EXAMPLES = _example_parents()


def test_the_examples_supply_parents() -> None:
    assert {"activation", "loss", "schedule", "model", "optimizer", "learn", "predict", "formula"} <= set(EXAMPLES)
    assert any(isinstance(b, Let) for b in EXAMPLES["optimizer"])  # adam and momentum bind names with let


def _body(case: Case, rng: random.Random, env: Mapping[str, Type]) -> Expr:
    site = case.site

    def one(t: Type) -> Expr:
        return ramped_half_and_half(site.spec, t, rng, env=env, min_depth_=2, max_depth=4)

    if isinstance(site.result, TupleType):
        return Tup(tuple(one(t) for t in site.result.items))
    return one(site.result)


def random_parent(case: Case, rng: random.Random) -> Expr:
    """Ramped half-and-half, or one time in three a ``let`` around it: ``let a = ...`` or a ``let``
    that shadows a parameter with a value of another (or the same) type."""
    site = case.site
    if rng.random() < 2 / 3:
        return _body(case, rng, site.env)
    types = [t for t in site.spec.types if t in case.allowed and min_depth(site.spec, t, site.env) <= 3]
    t = rng.choice(types)
    name = rng.choice(["a", "a", *site.env])
    value = ramped_half_and_half(site.spec, t, rng, env=site.env, min_depth_=1, max_depth=3)
    return Let(name, value, _body(case, rng, {**site.env, name: t}))


def assert_valid_child(case: Case, parent: Expr, child: Expr, op: str = "") -> None:
    site = case.site
    where = f"{op}: {format_expr(parent)} -> {format_expr(child)}"
    check_expr(child, site.env, site.spec, site.result, case.allowed)
    assert site.fits(child), where
    # the size limit reads the simplified body (bloat control); the raw one may carry as much again
    assert child.depth <= site.max_depth and simplify_expr(child).size <= site.max_size, where
    assert child.size <= 2 * site.max_size, where
    assert child != parent, where
    text = format_expr(child)
    back = parse_expr(text)
    assert back == child, where
    assert format_expr(back) == text, where


# ------------------------------------------------------------------------------------------- bulk


PARENTS_PER_CASE = 420  # x 8 operators x 9 cases: about 30,000 applications


@pytest.mark.parametrize("name", list(CASES))
def test_every_operator_on_many_parents(name: str) -> None:
    case = CASES[name]
    rng = random.Random(f"bulk-{name}")
    examples = EXAMPLES.get(name, [])
    made: Counter[str] = Counter()
    tried = 0
    for k in range(PARENTS_PER_CASE):
        a = examples[k % len(examples)] if examples and k % 10 == 0 else random_parent(case, rng)
        b = random_parent(case, rng)
        check_expr(a, case.site.env, case.site.spec, case.site.result, case.allowed)  # the parents are valid
        for op in OPERATORS:
            tried += 1
            child = CROSSOVERS[op](a, b, case.site, rng) if op in CROSSOVERS else MUTATIONS[op](a, case.site, rng)
            if child is None:
                continue
            made[op] += 1
            assert_valid_child(case, a, child, op)
            if op == "hoist":
                assert child.size < a.size  # a proper subtree replaces its ancestor
            elif op == "wrap":
                assert child.size > a.size
            elif op in ("shrink", "regrow"):
                assert child.depth <= case.site.max_depth
            elif op == "point":
                assert child.size == a.size and child.depth == a.depth
    assert tried == PARENTS_PER_CASE * len(OPERATORS)
    # Every operator applies to a fair share of parents of every kind.
    for op in OPERATORS:
        assert made[op] >= PARENTS_PER_CASE // 20, (name, op, made)


@PROPS
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(list(CASES)), op=st.sampled_from(OPERATORS))
def test_any_operator_any_seed(seed: int, name: str, op: str) -> None:
    case = CASES[name]
    rng = random.Random(seed)
    a, b = random_parent(case, rng), random_parent(case, rng)
    for _ in range(5):
        child = CROSSOVERS[op](a, b, case.site, rng) if op in CROSSOVERS else MUTATIONS[op](a, case.site, rng)
        if child is not None:
            assert_valid_child(case, a, child, op)


@PROPS
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(list(CASES)), op=st.sampled_from(OPERATORS))
def test_operators_are_deterministic(seed: int, name: str, op: str) -> None:
    case = CASES[name]
    a, b = random_parent(case, random.Random(seed)), random_parent(case, random.Random(seed + 1))

    def apply(rng: random.Random) -> Expr | None:
        return CROSSOVERS[op](a, b, case.site, rng) if op in CROSSOVERS else MUTATIONS[op](a, case.site, rng)

    r1, r2 = random.Random(seed), random.Random(seed)
    assert apply(r1) == apply(r2)
    assert r1.getstate() == r2.getstate()  # and they drew the same numbers


def test_limits_are_respected_with_tight_sites() -> None:
    """A site with small limits: every child still fits, and operators decline rather than overflow."""
    case = CASES["formula"]
    tight = Case("tight", Site(case.site.spec, case.site.env, SCALAR, max_depth=4, max_size=9), case.allowed)
    rng = random.Random(7)
    declined = 0
    for _ in range(300):
        parent = ramped_half_and_half(tight.site.spec, SCALAR, rng, env=tight.site.env, min_depth_=2, max_depth=4)
        if not tight.site.fits(parent):
            continue
        for op in MUTATIONS:
            child = MUTATIONS[op](parent, tight.site, rng)
            if child is None:
                declined += 1
            else:
                assert_valid_child(tight, parent, child, op)
    assert declined > 0


# ----------------------------------------------------------------------------------- perturb_constant


FORMULA = CASES["formula"]
MODEL = CASES["model"]


def _children(fn: object, expr: Expr, case: Case, seeds: int = 400, donor: Expr | None = None) -> list[Expr]:
    out = []
    for seed in range(seeds):
        rng = random.Random(seed)
        child = fn(expr, donor, case.site, rng) if donor is not None else fn(expr, case.site, rng)  # type: ignore[operator]
        if child is not None:
            assert_valid_child(case, expr, child)
            out.append(child)
    return out


def _literal(expr: Expr) -> tuple[float, bool]:
    """The value of a literal or of ``neg`` of one, and whether it is negated."""
    if isinstance(expr, Call) and expr.op == "neg":
        inner = expr.args[0]
        assert isinstance(inner, Num)
        return inner.value, True
    assert isinstance(expr, Num)
    return expr.value, False


@PROPS
@given(value=st.floats(1e-3, 1e3), negated=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_perturb_constant_multiplies_by_half_to_double(value: float, negated: bool, seed: int) -> None:
    value = float(f"{value:.4g}")
    literal = Call("neg", (Num(value),)) if negated else Num(value)
    parent = Call("mul", (Ref("x"), literal))
    child = perturb_constant(parent, FORMULA.site, random.Random(seed))
    if child is None:  # the factor rounded to 1
        return
    assert_valid_child(FORMULA, parent, child)
    assert isinstance(child, Call) and child.op == "mul" and child.args[0] == Ref("x")
    new, _ = _literal(child.args[1])
    ratio = new / value
    assert 0.5 * (1 - 1e-3) <= ratio <= 2 * (1 + 1e-3)  # U[0.5, 2], rounded to 4 significant digits
    assert float(f"{new:.4g}") == new


def test_perturb_constant_flips_the_sign_about_one_time_in_ten() -> None:
    for parent_text, negated in (("x * 2.0", False), ("x * -2.0", True)):
        parent = parse_expr(parent_text)
        children = _children(perturb_constant, parent, FORMULA, seeds=2000)
        flipped = [c for c in children if _literal(c.args[1])[1] != negated]  # type: ignore[union-attr]
        assert 0.06 * len(children) < len(flipped) < 0.14 * len(children)
        for c in flipped:
            lit = c.args[1]  # type: ignore[union-attr]
            if negated:  # the neg is unwrapped: a plain literal again, not neg(neg(...))
                assert isinstance(lit, Num)
            else:  # wrapped in one neg of a non-negative literal
                assert isinstance(lit, Call) and lit.op == "neg" and isinstance(lit.args[0], Num)
            assert 1.0 <= _literal(lit)[0] <= 4.0


def test_perturb_constant_on_zero_and_without_literals() -> None:
    assert all(perturb_constant(parse_expr("sin(x) + y"), FORMULA.site, random.Random(s)) is None for s in range(50))
    # 0.0 times anything is 0.0: only the sign flip of a negated zero changes anything
    assert _children(perturb_constant, parse_expr("x + 0.0"), FORMULA, seeds=200) == []
    assert {format_expr(c) for c in _children(perturb_constant, parse_expr("x + -0.0"), FORMULA, seeds=300)} \
        == {"x + 0.0"}


@PROPS
@given(width=st.integers(1, 4096), seed=st.integers(0, 2**32 - 1))
def test_perturb_constant_keeps_int_literals_whole_and_positive(width: int, seed: int) -> None:
    parent = Call("seq", (Call("dense", (Num(width, is_int=True),)), Ref("act")))
    child = perturb_constant(parent, MODEL.site, random.Random(seed))
    if child is None:
        return
    assert_valid_child(MODEL, parent, child)
    assert isinstance(child, Call) and child.args[1] == Ref("act")
    dense = child.args[0]
    assert isinstance(dense, Call) and dense.op == "dense"
    (num,) = dense.args
    assert isinstance(num, Num) and num.is_int and num.value == int(num.value)
    assert max(1, round(width * 0.5)) <= num.value <= round(width * 2)
    assert num.value >= 1


def test_perturb_constant_never_makes_a_zero_width() -> None:
    parent = parse_expr("seq(dense(1), act, dense(1))")
    children = _children(perturb_constant, parent, MODEL, seeds=300)
    assert children
    widths = {n.value for c in children for n in preorder(c) if isinstance(n, Num)}
    assert widths <= {1, 2} and 2 in widths
    assert all(n.is_int for c in children for n in preorder(c) if isinstance(n, Num))


# ------------------------------------------------------------------------------------ swap_arguments


def test_swap_never_swaps_a_commutative_op() -> None:
    commutative = COMMUTATIVE | SPEC.commutative_ops
    assert {"add", "mul", "min", "max", "dot"} <= commutative
    for case_name, text in (("formula", "max(x, y) + min(x * y, y)"), ("predict", "dot(w, x) * mean(w)"),
                            ("activation", "max(x, sin(x)) * min(x, 2.0 + x)")):
        case = CASES[case_name]
        expr = parse_expr(text)
        assert all(isinstance(n, Call) and n.op in commutative for n in preorder(expr) if isinstance(n, Call)
                   and len(n.args) == 2)
        assert _children(swap_arguments, expr, case, seeds=100) == []


def test_swap_exchanges_the_arguments_of_non_commutative_ops() -> None:
    assert {format_expr(c) for c in _children(swap_arguments, parse_expr("x - y"), FORMULA)} == {"y - x"}
    parent = parse_expr("(x - y) * (y / x)")
    children = {format_expr(c) for c in _children(swap_arguments, parent, FORMULA)}
    assert children == {"(y - x) * (y / x)", "(x - y) * (x / y)"}  # never the product's arguments
    # equal arguments are not swapped (the child would be its parent); nor are differently typed ones
    assert _children(swap_arguments, parse_expr("x - x"), FORMULA) == []
    assert _children(swap_arguments, parse_expr("x - 2.0"), CASES["activation"]) == []
    layers = {format_expr(c) for c in _children(swap_arguments, parse_expr("seq(dense(8), act)"), MODEL)}
    assert layers == {"seq(act, dense(8))"}


# ------------------------------------------------------------------------------- let scoping


def free_names(expr: Expr) -> set[str]:
    """The names ``expr`` reads but does not bind (an independent recursive implementation)."""
    if isinstance(expr, Ref):
        return {expr.name}
    if isinstance(expr, Let):
        return free_names(expr.value) | (free_names(expr.body) - {expr.name})
    out: set[str] = set()
    for kid in expr.children():
        out |= free_names(kid)
    return out


def _texts(children: list[Expr]) -> set[str]:
    return {format_expr(c) for c in children}


def test_hoist_never_moves_a_let_bound_name_out_of_its_let() -> None:
    parent = parse_expr("let a = x * 2.0 in a + x")
    children = _children(hoist, parent, FORMULA, seeds=1000)
    assert all("a" not in free_names(c) for c in children)
    assert _texts(children) == {
        "x * 2.0", "x", "2.0",  # from the let's value (or the body's x, a parameter): fine at the root
        "let a = x in a + x", "let a = 2.0 in a + x",
        "let a = x * 2.0 in a", "let a = x * 2.0 in x",
    }


def test_hoist_respects_a_let_that_shadows_a_parameter() -> None:
    """In the body, `x` is the let's; hoisting `sin(x)` to the root would silently read the parameter."""
    parent = parse_expr("let x = exp(x) in sin(x) + 1.0")
    children = _texts(_children(hoist, parent, FORMULA, seeds=1000))
    assert children == {
        "exp(x)", "x", "1.0",
        "let x = x in sin(x) + 1.0",
        "let x = exp(x) in sin(x)", "let x = exp(x) in x", "let x = exp(x) in 1.0", "let x = exp(x) in x + 1.0",
    }
    assert "sin(x) + 1.0" not in children and "sin(x)" not in children


def test_crossover_never_moves_a_let_bound_name_out_of_its_let() -> None:
    donor = parse_expr("let a = x * 2.0 in a + x")
    children = _children(subtree_crossover, parse_expr("x * 3.0"), FORMULA, seeds=1000, donor=donor)
    assert all("a" not in free_names(c) for c in children)
    texts = _texts(children)
    assert "(let a = x * 2.0 in a + x) * 3.0" in texts  # the whole let moves, with its binding
    assert "x * (x * 2.0)" in texts
    assert not any("a + x" in t and "let" not in t for t in texts)


def test_crossover_keeps_parameters_and_let_bound_names_apart() -> None:
    shadowing = parse_expr("let x = exp(x) in sin(x) + 1.0")
    plain = parse_expr("x * 3.0")
    # The let-bound x of the donor never lands where x is the parameter...
    into_plain = _texts(_children(subtree_crossover, plain, FORMULA, seeds=1000, donor=shadowing))
    assert not any("sin(x)" in t and not t.startswith(("let", "(let")) and "(let" not in t for t in into_plain)
    # ...and the donor's parameter x never lands in the body, where x is the let's.
    into_let = _texts(_children(subtree_crossover, shadowing, FORMULA, seeds=2000, donor=plain))
    assert into_let == {
        "x * 3.0", "x", "3.0",
        "let x = x * 3.0 in sin(x) + 1.0", "let x = x in sin(x) + 1.0", "let x = 3.0 in sin(x) + 1.0",
        "let x = exp(x * 3.0) in sin(x) + 1.0", "let x = exp(3.0) in sin(x) + 1.0",
        "let x = exp(x) in 3.0", "let x = exp(x) in 3.0 + 1.0", "let x = exp(x) in sin(3.0) + 1.0",
        "let x = exp(x) in sin(x) + 3.0",
    }


def test_operators_inside_lets_use_the_names_in_scope() -> None:
    """Regrow, wrap and point mutation may use a let-bound name, but only inside its let."""
    case = CASES["optimizer"]
    adam = next(b for b in EXAMPLES["optimizer"] if isinstance(b, Let) and b.name == "m2"
                and isinstance(b.body, Let))
    used_let_names = 0
    for fn in (subtree_regrow, wrap, point_mutation, shrink):
        for child in _children(fn, adam, case, seeds=300):
            assert free_names(child) <= set(case.site.env)
            used_let_names += any(isinstance(n, Ref) and n.name in ("m2", "v2", "mhat", "vhat")
                                  for n in preorder(child))
    assert used_let_names > 0


# -------------------------------------------------------------------------------- point_mutation


def _label(node: Expr) -> tuple[object, ...]:
    """A node without its children."""
    if isinstance(node, Call):
        return ("call", node.op, len(node.args))
    if isinstance(node, Let):
        return ("let", node.name)
    if isinstance(node, Tup):
        return ("tup", len(node.items))
    if isinstance(node, Num):
        return ("num", node.value, node.is_int)
    return ("ref", node.name)


def _differences(a: Expr, b: Expr) -> list[int]:
    na, nb = preorder(a), preorder(b)
    assert len(na) == len(nb)
    return [i for i, (x, y) in enumerate(zip(na, nb, strict=True)) if _label(x) != _label(y)]


@pytest.mark.parametrize("name", list(CASES))
def test_point_mutation_keeps_the_signature(name: str) -> None:
    case = CASES[name]
    rng = random.Random(f"point-{name}")
    changed = 0
    for _ in range(150):
        parent = random_parent(case, rng)
        child = point_mutation(parent, case.site, rng)
        if child is None:
            continue
        changed += 1
        assert_valid_child(case, parent, child)
        (i,) = _differences(parent, child)  # exactly one node changed, in place: same shape
        old, new = preorder(parent)[i], preorder(child)[i]
        t_old = infer(parent, case.site.env, case.site.spec)[i]
        t_new = infer(child, case.site.env, case.site.spec)[i]
        assert t_old == t_new
        if isinstance(old, Call) and old.args:
            assert isinstance(new, Call) and new.op != old.op and new.args == old.args
            sig_old = [p for p in SPEC.overloads(old.op) if p.result == t_old]
            sig_new = [p for p in SPEC.overloads(new.op) if p.result == t_new]
            assert {p.args for p in sig_new} & {p.args for p in sig_old} or old.op in COMMUTATIVE \
                or new.op in COMMUTATIVE
        else:
            assert new.size == 1 or (isinstance(new, Call) and not new.args)
    assert changed > 30


def test_point_mutation_by_hand() -> None:
    act = CASES["activation"]
    children = _texts(_children(point_mutation, parse_expr("sin(x) * 2.0"), act, seeds=600))
    # sin -> another Tensor -> Tensor op; mul(Tensor, Scalar) -> sub or div; a leaf -> another leaf
    assert "cos(x) * 2.0" in children and "sin(x) / 2.0" in children and "sin(x) - 2.0" in children
    for text in children:
        child = parse_expr(text)
        assert child.size == 4 and child.depth == 3
    assert _children(point_mutation, parse_expr("seq(dense(8), act)"), MODEL, seeds=300)
    for child in _children(point_mutation, parse_expr("seq(dense(8), act)"), MODEL, seeds=300):
        assert isinstance(child, Call) and child.op == "seq" and len(child.args) == 2


# -------------------------------------------------------------------------------- other operators


def test_hoist_shrink_regrow_wrap_by_hand() -> None:
    parent = parse_expr("sin(x * y) + cos(y)")
    hoisted = _texts(_children(hoist, parent, FORMULA, seeds=400))
    assert {"x * y", "sin(x * y)", "cos(y)", "x", "y"} <= hoisted
    assert all(parse_expr(t).size < parent.size for t in hoisted)
    shrunk = _children(shrink, parent, FORMULA, seeds=400)
    assert shrunk and all(c.depth <= parent.depth for c in shrunk)
    wrapped = _children(wrap, parent, FORMULA, seeds=400)
    assert wrapped and all(c.size > parent.size for c in wrapped)
    # the wrapped subtree survives intact in the child
    subtrees = set(preorder(parent))
    assert all(any(n in subtrees and n.size >= 1 for n in preorder(c)) for c in wrapped)
    regrown = _children(subtree_regrow, parent, FORMULA, seeds=400)
    assert len(_texts(regrown)) > 50


def test_a_leaf_body_can_still_vary() -> None:
    for name, text in (("activation", "x"), ("model", "act"), ("formula", "y"), ("schedule", "0.05")):
        case = CASES[name]
        total = 0
        for op in MUTATIONS:
            total += len(_children(MUTATIONS[op], parse_expr(text), case, seeds=30))
        assert total > 0, name


def test_tuple_roots_are_never_replaced_whole() -> None:
    case = CASES["optimizer"]
    rng = random.Random(3)
    for _ in range(200):
        parent = random_parent(case, rng)
        for op in OPERATORS:
            child = CROSSOVERS[op](parent, parent, case.site, rng) if op in CROSSOVERS \
                else MUTATIONS[op](parent, case.site, rng)
            if child is None:
                continue
            root = child.body if isinstance(child, Let) else child
            while isinstance(root, Let):
                root = root.body
            assert isinstance(root, Tup) and len(root.items) == 3


def test_int_type_only_where_the_kind_allows_it() -> None:
    assert INT in MODEL.allowed and INT not in FORMULA.allowed


@PROPS
@given(name=st.sampled_from(sorted(CASES)), seed=st.integers(0, 2**32 - 1), wrap_in=st.integers(0, 3))
def test_view_free_names_are_free_refs_of_each_node(name: str, seed: int, wrap_in: int) -> None:
    """The view's free names of every node (one bottom-up pass, for crossover, hoist and remove) are
    :func:`free_refs` of that node (a walk of its subtree), on random bodies put inside ``let``s
    that bind, shadow and rebind their names."""
    from mlevolve.gp.operators import _View, free_refs

    case = CASES[name]
    rng = random.Random(seed)
    body = _body(case, rng, case.site.env)
    names = sorted(case.site.env)
    for k in range(wrap_in):  # let n = <a name or the body> in <the body>: shadowing and reuse
        bound = rng.choice(names)
        body = Let(bound, Ref(rng.choice(names)) if k % 2 else body, body)
    view = _View(preorder(body), [], [], [], [], [], [], False)
    for j, node in enumerate(view.nodes):
        assert view.free(j) == free_refs(node)
    for example in EXAMPLES["optimizer"]:  # adam and momentum: real lets
        view = _View(preorder(example), [], [], [], [], [], [], False)
        assert [view.free(j) for j in range(len(view.nodes))] == [free_refs(n) for n in view.nodes]
