"""Property tests of the typed generator, the checker, the printer/parser pair and the canonical hash.

Every test draws a seed, a type, an environment, a depth and a method, generates with
``mlevolve.gp.generate.generate`` and checks one law.  Across the type-parametrised tests below,
several thousand expressions and a few hundred whole programs are generated per run.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve.dsl.check import check_expr, fits, infer
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Param, Program, Ref, Tup, with_children
from mlevolve.dsl.kinds import check_program
from mlevolve.dsl.parse import KEYWORDS, parse, parse_expr
from mlevolve.dsl.printer import format_expr, format_program
from mlevolve.dsl.traverse import COMMUTATIVE, canonical_hash, fold, parents, preorder, program_hash, replace_at, walk
from mlevolve.dsl.types import INT, LAYER, MATRIX, SCALAR, TENSOR, VECTOR, TupleType, Type
from mlevolve.gp.generate import generate, min_depth, ramped_half_and_half
from mlevolve.grammar.spec import GrammarSpec, load_grammar

SPEC = load_grammar()
TYPES = list(SPEC.types)

PROPS = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Identifiers, keywords excepted; some shadow primitive names (a variable may be called `relu`).
names = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from("abcxyz_"), st.text(alphabet="abcxyz_019", max_size=4),
) | st.sampled_from(["relu", "dense", "seq", "t", "w", "x", "inx", "lets", "learner", "state_"])
names = names.filter(lambda n: n not in KEYWORDS)
envs = st.dictionaries(names, st.sampled_from(TYPES), max_size=4)
seeds = st.integers(0, 2**32 - 1)
depths = st.integers(1, 6)
methods = st.sampled_from(["grow", "full"])


def _gen(type_: str, seed: int, env: Mapping[str, Type], depth: int, method: str, spec: GrammarSpec = SPEC) -> Expr:
    return generate(spec, type_, random.Random(seed), env=env, max_depth=depth, method=method)  # type: ignore[arg-type]


def _buildable(type_: str, env: Mapping[str, Type], depth: int, spec: GrammarSpec = SPEC) -> bool:
    return min_depth(spec, type_, env) <= depth


def swap_all_commutative(expr: Expr, ops: frozenset[str] = COMMUTATIVE) -> Expr:
    """``expr`` with the two arguments of every binary commutative call swapped (iterative)."""
    def swap(node: Expr, kids: list[Expr]) -> Expr:
        if isinstance(node, Call) and node.op in ops and len(kids) == 2:
            kids = [kids[1], kids[0]]
        return with_children(node, tuple(kids)) if kids else node

    return fold(expr, swap)


# ------------------------------------------------------------------------------------------ (a)


@pytest.mark.parametrize("type_", TYPES)
@PROPS
@given(seed=seeds, env=envs, depth=depths, method=methods)
def test_generation_succeeds_within_depth(type_: str, seed: int, env: dict[str, str], depth: int, method: str) -> None:
    need = min_depth(SPEC, type_, env)
    if need <= depth:
        expr = _gen(type_, seed, env, depth, method)
        assert 1 <= expr.depth <= depth
        assert expr.size == len(preorder(expr))
        # Every name used is one of the environment's, and every literal is a valid one.
        for node in walk(expr):
            if isinstance(node, Ref):
                assert node.name in env
            if isinstance(node, Num):
                assert node.value >= 0 and math.isfinite(node.value)
        # Every draw comes from the rng: the same seed gives the same expression.
        assert _gen(type_, seed, env, depth, method) == expr
    else:
        with pytest.raises(MlevError, match="too shallow"):
            _gen(type_, seed, env, depth, method)


# ------------------------------------------------------------------------------------------ (b)


@pytest.mark.parametrize("type_", TYPES)
@PROPS
@given(seed=seeds, env=envs, depth=depths, method=methods)
def test_generated_expressions_have_the_requested_type(
    type_: str, seed: int, env: dict[str, str], depth: int, method: str
) -> None:
    if not _buildable(type_, env, depth):
        return
    expr = _gen(type_, seed, env, depth, method)
    types = infer(expr, env, SPEC)
    assert len(types) == expr.size
    assert fits(expr, types[0], type_), (format_expr(expr), types[0])
    assert fits(expr, check_expr(expr, env, SPEC, type_), type_)
    # Each node's inferred type is the result of a production of the grammar (or a leaf's type).
    for node, t in zip(preorder(expr), types, strict=True):
        if isinstance(node, Call):
            assert any(p.result == t and len(p.args) == len(node.args) for p in SPEC.overloads(node.op))


# ------------------------------------------------------------------------------------------ (c)


@pytest.mark.parametrize("type_", TYPES)
@PROPS
@given(seed=seeds, env=envs, depth=depths, method=methods)
def test_print_parse_round_trip(type_: str, seed: int, env: dict[str, str], depth: int, method: str) -> None:
    if not _buildable(type_, env, depth):
        return
    expr = _gen(type_, seed, env, depth, method)
    text = format_expr(expr)
    back = parse_expr(text)
    assert back == expr, text
    assert format_expr(back) == text
    assert back.size == expr.size and back.depth == expr.depth


# ------------------------------------------------------------------------------------------ (d)


@pytest.mark.parametrize("type_", TYPES)
@PROPS
@given(seed=seeds, env=envs, depth=depths, method=methods, pick=st.integers(0, 10**6))
def test_canonical_hash_is_stable(
    type_: str, seed: int, env: dict[str, str], depth: int, method: str, pick: int
) -> None:
    if not _buildable(type_, env, depth):
        return
    expr = _gen(type_, seed, env, depth, method)
    h = canonical_hash(expr)
    back = parse_expr(format_expr(expr))
    assert canonical_hash(back) == h
    assert hash(back) == hash(expr)
    # Swapping the arguments of every commutative op changes nothing...
    swapped = swap_all_commutative(expr)
    assert canonical_hash(swapped) == h
    assert canonical_hash(expr, SPEC.commutative_ops) == canonical_hash(swapped, SPEC.commutative_ops)
    # ... and so does swapping at a single commutative node, wherever it is.
    nodes = preorder(expr)
    comm = [i for i, n in enumerate(nodes) if isinstance(n, Call) and n.op in COMMUTATIVE and len(n.args) == 2]
    if comm:
        i = comm[pick % len(comm)]
        node = nodes[i]
        assert isinstance(node, Call)
        one = replace_at(expr, i, Call(node.op, node.args[::-1]))
        assert canonical_hash(one) == h
        assert check_expr(one, env, SPEC) == infer(expr, env, SPEC)[0]  # the checker agrees: still well typed
    # A non-commutative op distinguishes its argument order.
    a, b = expr, Num(1.5)
    if canonical_hash(a) != canonical_hash(b):
        assert canonical_hash(Call("sub", (a, b))) != canonical_hash(Call("sub", (b, a)))
    assert canonical_hash(Call("add", (a, b))) == canonical_hash(Call("add", (b, a)))


def test_canonical_hash_identifies_constant_spellings() -> None:
    assert canonical_hash(parse_expr("x * 2")) == canonical_hash(parse_expr("x * 2.0"))
    assert canonical_hash(parse_expr("x * 2")) == canonical_hash(parse_expr("2.0 * x"))
    assert canonical_hash(parse_expr("x * 2")) != canonical_hash(parse_expr("x * 3"))
    assert canonical_hash(parse_expr("x - y")) != canonical_hash(parse_expr("y - x"))
    assert canonical_hash(parse_expr("let a = x in a")) != canonical_hash(parse_expr("let b = x in b"))


# ------------------------------------------------------------------------------------------ (e)

# What each kind of definition computes with (a subset of what the checker allows for that kind).
_KIND_TYPES = {
    "tensor": frozenset({SCALAR, TENSOR}),
    "scalar": frozenset({SCALAR}),
    "model": frozenset({LAYER, INT, SCALAR}),
    "learner": frozenset({SCALAR, VECTOR, MATRIX}),
}


def restrict(spec: GrammarSpec, types: frozenset[str]) -> GrammarSpec:
    keep = tuple(t for t in spec.types if t in types)
    prods = tuple(p for p in spec.productions if p.result in keep and all(a in keep for a in p.args))
    lits = {t: lit for t, lit in spec.literals.items() if t in keep}
    return GrammarSpec(keep, prods, lits, spec.variable_weight, spec.name)


_SUB = {k: restrict(SPEC, v) for k, v in _KIND_TYPES.items()}


def _body(
    rng: random.Random, spec: GrammarSpec, env: dict[str, Type], result: Type, lets: int, depth: int
) -> Expr:
    """A body of type ``result``, under a chain of ``lets`` bindings of random types."""
    bindings: list[tuple[str, Expr]] = []
    scope = dict(env)
    for k in range(lets):
        t = rng.choice(spec.types)
        name = f"v{k}"
        bindings.append((name, ramped_half_and_half(spec, t, rng, env=scope, max_depth=depth)))
        scope[name] = t
    if isinstance(result, TupleType):
        body: Expr = Tup(tuple(ramped_half_and_half(spec, str(t), rng, env=scope, max_depth=depth)
                               for t in result.items))
    else:
        body = ramped_half_and_half(spec, result, rng, env=scope, max_depth=depth)
    for name, value in reversed(bindings):
        body = Let(name, value, body)
    return body


def _params(*pairs: tuple[str, Type], state: bool = False) -> tuple[Param, ...]:
    return tuple(Param(n, t, state) for n, t in pairs)


@st.composite
def programs(draw: st.DrawFn) -> Program:
    rng = random.Random(draw(seeds))
    depth = draw(st.integers(2, 5))

    def lets() -> int:
        return draw(st.integers(0, 2))

    defs: list[Definition] = []
    act = draw(st.booleans())
    if act:
        p = _params(("x", TENSOR))
        defs.append(Definition("activation", "act", p, TENSOR, _body(rng, _SUB["tensor"], {"x": TENSOR}, TENSOR,
                                                                       lets(), depth)))
    if draw(st.booleans()):
        p = _params(("p", TENSOR), ("y", TENSOR))
        defs.append(Definition("loss", "lossf", p, TENSOR,
                               _body(rng, _SUB["tensor"], {"p": TENSOR, "y": TENSOR}, TENSOR, lets(), depth)))
    if draw(st.booleans()):
        p = _params(("x", TENSOR))
        defs.append(Definition("augment", "aug", p, TENSOR,
                               _body(rng, _SUB["tensor"], {"x": TENSOR}, TENSOR, lets(), depth)))
    if draw(st.booleans()):
        p = _params(("t", SCALAR))
        defs.append(Definition("schedule", "sched", p, SCALAR,
                               _body(rng, _SUB["scalar"], {"t": SCALAR}, SCALAR, lets(), depth)))
    n_inputs = draw(st.integers(1, 3))
    inputs = {f"x{i}": SCALAR for i in range(n_inputs)}
    defs.append(Definition("formula", "f", _params(*inputs.items()), SCALAR,
                           _body(rng, _SUB["scalar"], dict(inputs), SCALAR, lets(), depth)))
    if draw(st.booleans()):
        env: dict[str, Type] = {"act": LAYER} if act else {}
        defs.append(Definition("model", "net", (), LAYER, _body(rng, _SUB["model"], env, LAYER, 0, depth)))
    if draw(st.booleans()):
        n_state = draw(st.integers(0, 2))
        state = [(f"m{i}", TENSOR) for i in range(n_state)]
        extra = [("lr", SCALAR)] if draw(st.booleans()) else []
        p = _params(("w", TENSOR), ("g", TENSOR), *extra, *state)
        result: Type = TupleType((TENSOR,) * (n_state + 1)) if n_state else TENSOR
        env = {q.name: q.type for q in p}
        defs.append(Definition("optimizer", "opt", p, result, _body(rng, _SUB["tensor"], env, result, lets(), depth)))
    if draw(st.booleans()):
        memory_types = draw(st.lists(st.sampled_from([SCALAR, VECTOR, MATRIX]), min_size=1, max_size=2))
        memory = {f"s{i}": t for i, t in enumerate(memory_types)}
        state_t: Type = memory_types[0] if len(memory_types) == 1 else TupleType(tuple(memory_types))
        sub = _SUB["learner"]
        methods = []
        if draw(st.booleans()):
            methods.append(Definition("setup", "setup", (), state_t, _body(rng, sub, dict(memory), state_t, 0, depth)))
        methods.append(Definition("predict", "predict", _params(("x", VECTOR)), SCALAR,
                                  _body(rng, sub, {**memory, "x": VECTOR}, SCALAR, lets(), depth)))
        learn_env = {**memory, "x": VECTOR, "y": SCALAR, "p": SCALAR}
        methods.append(Definition("learn", "learn", _params(("x", VECTOR), ("y", SCALAR), ("p", SCALAR)), state_t,
                                  _body(rng, sub, learn_env, state_t, lets(), depth)))
        defs.append(Definition("learner", "lrn", _params(*memory.items(), state=True), None, None, tuple(methods)))
    rng.shuffle(defs)
    task = draw(st.one_of(st.none(), names, st.sampled_from(["my task", "in", "digits-2", "a # b"])))
    return Program(draw(names), tuple(defs), task)


@PROPS
@given(program=programs())
def test_whole_programs_round_trip_and_check(program: Program) -> None:
    assert check_program(program, SPEC) is program
    text = format_program(program)
    back = parse(text)
    assert back == program, text
    assert format_program(back) == text
    assert check_program(back, SPEC) is back
    assert program_hash(back) == program_hash(program)
    for d, e in zip(program.definitions, back.definitions, strict=True):
        if d.body is not None:
            assert e.body is not None and canonical_hash(e.body) == canonical_hash(d.body)


# ------------------------------------------------------------------------------------------ custom grammars


def _every_depth_works(
    spec: GrammarSpec, type_: str, env: Mapping[str, Type] | None = None, up_to: int = 8, typed: bool = True
) -> None:
    """Generation of ``type_`` fails below its least depth and succeeds (well typed) at and above it.

    ``typed=False`` skips the type check: the checker types every literal as Scalar or Int (see
    ``test_checker_types_literals_of_custom_types``)."""
    need = min_depth(spec, type_, env)
    assert not math.isinf(need)
    for depth in range(1, int(need)):
        with pytest.raises(MlevError, match="too shallow"):
            generate(spec, type_, random.Random(0), env=env, max_depth=depth)
    for depth in range(int(need), int(need) + up_to):
        for seed in range(25):
            for method in ("grow", "full"):
                expr = generate(spec, type_, random.Random(seed), env=env, max_depth=depth, method=method)
                assert expr.depth <= depth
                if typed:
                    assert fits(expr, infer(expr, dict(env or {}), spec)[0], type_)
                assert parse_expr(format_expr(expr)) == expr


def test_terminal_only_types_named_like_base_literals() -> None:
    # Scalar: literals only (a range with negatives, but no `neg`); Int: literals only; Unit: only a
    # zero-argument production; Pair: built from them.
    spec = GrammarSpec.from_dict({
        "types": ["Scalar", "Int", "Unit", "Pair"],
        "literals": {"Scalar": {"uniform": [-3.0, 3.0]}, "Int": {"choices": [4, 8]}},
        "op": {"unit": {"sig": [" -> Unit"]}, "pair": {"sig": ["Scalar, Int, Unit -> Pair", "Pair, Pair -> Pair"]}},
    })
    assert dict(spec.min_depth) == {"Scalar": 1, "Int": 1, "Unit": 1, "Pair": 2}
    for t in spec.types:
        _every_depth_works(spec, t)
    assert {format_expr(generate(spec, "Int", random.Random(s))) for s in range(40)} == {"4", "8"}


def test_terminal_only_types() -> None:
    spec = GrammarSpec.from_dict({
        "types": ["Lit", "Zero", "Uni", "Top"],
        "literals": {
            "Lit": {"choices": [1.0, 2.5]},
            "Uni": {"uniform": [-3.0, 3.0]},  # negative draws with no `neg` production
        },
        "op": {
            "z": {"sig": [" -> Zero"]},
            "z2": {"sig": [" -> Zero"], "weight": 0.0},
            "f": {"sig": ["Lit, Zero, Uni -> Top", "Top, Top -> Top"]},
        },
    })
    assert dict(spec.min_depth) == {"Lit": 1, "Zero": 1, "Uni": 1, "Top": 2}
    for t in spec.types:
        _every_depth_works(spec, t, typed=False)
    # A terminal-only type at any depth is a single leaf.
    for seed in range(50):
        for t in ("Lit", "Zero", "Uni"):
            assert generate(spec, t, random.Random(seed), max_depth=6, method="full").depth == 1
    values = {generate(spec, "Lit", random.Random(s)).value for s in range(50)}  # type: ignore[union-attr]
    assert values == {1.0, 2.5}
    assert all(generate(spec, "Uni", random.Random(s)).value >= 0 for s in range(50))  # type: ignore[union-attr]
    zeros = {format_expr(generate(spec, "Zero", random.Random(s))) for s in range(50)}
    assert zeros == {"z()"}  # the zero-weight production is never drawn while another has weight


def test_only_deep_route_to_termination() -> None:
    # T0 needs T1 needs ... needs T9, the only type with a literal; every type also recurses on itself.
    n = 10
    ops: dict[str, dict[str, object]] = {}
    for k in range(n - 1):
        ops[f"down{k}"] = {"sig": [f"T{k + 1} -> T{k}"], "weight": 0.01}
        ops[f"rec{k}"] = {"sig": [f"T{k}, T{k} -> T{k}"], "weight": 50.0}
    ops["grow9"] = {"sig": [f"T{n - 1}, T{n - 1} -> T{n - 1}"], "weight": 5.0}
    spec = GrammarSpec.from_dict({"types": [f"T{k}" for k in range(n)], "literals": {f"T{n - 1}": {"choices": [1]}},
                                  "op": ops})
    assert [spec.min_depth[f"T{k}"] for k in range(n)] == [n - k for k in range(n)]
    for k in range(n):
        _every_depth_works(spec, f"T{k}", up_to=2, typed=False)
    # A variable in scope shortens the route.
    assert min_depth(spec, "T0", {"v": "T5"}) == 6
    _every_depth_works(spec, "T0", {"v": "T5"}, up_to=2, typed=False)
    # Without literals (a zero-argument production at the bottom) the checker agrees with the generator.
    ops[f"leaf{n - 1}"] = {"sig": [f" -> T{n - 1}"]}
    spec = GrammarSpec.from_dict({"types": [f"T{k}" for k in range(n)], "op": ops})
    for k in range(n):
        _every_depth_works(spec, f"T{k}", up_to=2)


def test_checker_types_literals_of_custom_types() -> None:
    spec = GrammarSpec.from_dict({"types": ["Prob", "Out"], "literals": {"Prob": {"choices": [0.5]}},
                                  "op": {"bern": {"sig": ["Prob -> Out"]}}})
    expr = generate(spec, "Out", random.Random(0), max_depth=2, method="full")
    assert format_expr(expr) == "bern(0.5)"
    assert check_expr(expr, {}, spec) == "Out"


def test_unbuildable_type_is_a_user_error() -> None:
    spec = GrammarSpec.from_dict({"types": ["A", "Ghost"], "literals": {"A": {"choices": [1.0]}}})
    assert math.isinf(spec.min_depth["Ghost"])
    for gen in (generate, ramped_half_and_half):
        with pytest.raises(MlevError, match="cannot build a Ghost"):
            gen(spec, "Ghost", random.Random(0))
        with pytest.raises(MlevError, match="cannot build a Nope"):
            gen(spec, "Nope", random.Random(0))
        with pytest.raises(MlevError, match="cannot build"):
            gen(spec, TupleType(("A", "A")), random.Random(0))


@pytest.mark.parametrize("type_", TYPES)
def test_ramped_respects_max_depth(type_: str) -> None:
    need = int(SPEC.min_depth[type_])
    for max_depth in range(1, 6):
        for seed in range(30):
            if max_depth < need:
                with pytest.raises(MlevError, match="too shallow"):
                    ramped_half_and_half(SPEC, type_, random.Random(seed), max_depth=max_depth)
            else:
                expr = ramped_half_and_half(SPEC, type_, random.Random(seed), max_depth=max_depth)
                assert expr.depth <= max_depth


def test_parents_and_preorder_agree_on_generated() -> None:
    rng = random.Random(7)
    for _ in range(100):
        expr = generate(SPEC, TENSOR, rng, env={"x": TENSOR}, max_depth=5)
        nodes = preorder(expr)
        for i, (parent, position) in enumerate(parents(expr)):
            if parent >= 0:
                assert nodes[parent].children()[position] is nodes[i]


@given(p=st.integers(-10**6, 10**6), q=st.integers(1, 12))
def test_a_simple_fractions_float_reads_as_that_fraction(p: int, q: int) -> None:
    """:func:`simple_fraction` gives back a fraction of the least denominator whose float is the value, for any float
    of a fraction p/q with q <= 12 that needs more than 6 significant digits, and never one whose float differs."""
    from fractions import Fraction

    from mlevolve.dsl.printer import simple_fraction

    value = p / q
    found = simple_fraction(value)
    if found is not None:
        assert found[0] / found[1] == value and found[1] <= q
    digits = len(repr(abs(value)).split("e")[0].replace(".", "").strip("0"))
    if digits > 6 and abs(value) < 1e6:
        assert found is not None and Fraction(*found) == Fraction(p, q)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_simple_fraction_names_only_a_fraction_whose_float_is_the_value(value: float) -> None:
    from mlevolve.dsl.printer import simple_fraction

    found = simple_fraction(value)
    assert found is None or found[0] / found[1] == value
