"""The engine's per-candidate shortcuts (issue 14 item 3) give exactly what the plain code gives.

Each shortcut is held to a plain reference over random programs and their mutants: the simplifier's
rule dispatch to trying every rule in order, the memoised canonical text to ``format_program``,
``replace_at``'s walk by subtree sizes to rebuilding from the preorder and parent lists (and so the
operators' rebuilding up a view's parents, ``preorder_parents`` and ``replace_slot``), the IR's
one-call digests to the incremental BLAKE2b they replace, ``slot_body`` to ``slots``, the memo
tables to a plain dict, generation's tabled options to a cold table, ``weighted_choice`` to
``random.choices`` and the operators' tabled weighted options to a cold site.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import struct
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.api.programs import _program
from mlevolve.dsl import traverse
from mlevolve.dsl.ir import Call, Expr, Num, Param, Program, Ref, const, with_children
from mlevolve.dsl.kinds import replace_slot, slot_body, slots
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.simplify import (
    FITTED_RULES,
    REASSOCIATION,
    RULES,
    SIGNED_ZERO,
    Rule,
    match,
    rewrite_node,
    simplify_program,
)
from mlevolve.dsl.traverse import parents, preorder, preorder_parents, program_hash, replace_at, walk
from mlevolve.dsl.types import TupleType, type_str
from mlevolve.gp import archive as archive_module
from mlevolve.gp import generate as gen
from mlevolve.gp.archive import Archive
from mlevolve.gp.engine import Engine, EvolveConfig
from mlevolve.gp.memo import (
    Identity,
    Memo,
    NodeMemo,
    program_key,
    program_text,
    simplified_program,
    stored_program,
    unseen_simplified_text,
)
from mlevolve.gp.operators import MUTATION_WEIGHTS, MUTATIONS, Site, _View, choose_mutation
from mlevolve.gp.record import FAILED, FitnessLex, FitnessSize, HallOfFame, RunRecord
from mlevolve.gp.scheduler import Job
from mlevolve.grammar.spec import load_grammar
from mlevolve.results import Failure, Outcome
from tests.conftest import ROOT, load_module, run_child

EXAMPLES = [(ROOT / "examples" / "quartic.mlev", "f"), (ROOT / "examples" / "linear_regression.mlev", "linreg.learn"),
            (ROOT / "examples" / "mlp_digits.mlev", "act")]


def _chain(tmp_path: Path, example: Path, slot: str, n: int = 150) -> list[Program]:
    """Random programs of ``slot`` and a chain of their mutants and crossovers (sharing subtrees)."""
    spec = load_grammar()
    program = _program(example, spec)
    archive = Archive.for_run(tmp_path / "o.db", {"run": "overhead"})
    engine = Engine(program, [slot], spec, None, archive, EvolveConfig(seed=5))  # type: ignore[arg-type]
    rng = random.Random(1)
    pool = [engine.random_program() for _ in range(12)]
    out = list(pool)
    for _ in range(n):
        child, _ = engine.vary(rng.choice(pool), rng.choice(pool) if rng.random() < 0.3 else None)
        pool[rng.randrange(len(pool))] = child
        out.append(child)
    archive.close()
    return out


def _rewrite_plain(node: Expr, rules: tuple[Rule, ...] = RULES) -> tuple[Expr, str] | None:
    """``rewrite_node`` as it was: constant folding, dead lets, then every rule of ``rules`` in order."""
    from mlevolve.dsl.simplify import _dead_let, fold_constant

    folded = fold_constant(node)
    if folded is not None and folded != node:
        return folded, "fold"
    dead = _dead_let(node)
    if dead is not None:
        return dead, "dead-let"
    for rule in rules:
        bound = match(rule.pattern, node)
        if bound is None:
            continue
        new = rule.rewrite(bound)
        if new is not None and (new.size < node.size or (rule.keeps_size and new.size == node.size)):
            return new, rule.name
    return None


def _parents_plain(expr: Expr) -> list[tuple[int, int]]:
    """``parents`` as it was: a walk of its own, children pushed by a generator."""
    out: list[tuple[int, int]] = []
    stack: list[tuple[Expr, int, int]] = [(expr, -1, 0)]
    while stack:
        node, parent, position = stack.pop()
        index = len(out)
        out.append((parent, position))
        kids = node.children()
        stack.extend((kids[j], index, j) for j in reversed(range(len(kids))))
    return out


def _replace_slot_plain(program: Program, name: str, body: Expr) -> Program:
    """``replace_slot`` as it was: the definition found by name, then every one of that name replaced."""
    owner, _, method = name.partition(".")
    d = program.get(owner)
    assert d is not None
    if not method:
        return program.replace(d.replace_body(body))
    return program.replace(d.with_methods(tuple(m.replace_body(body) if m.kind == method else m for m in d.methods)))


def _replace_plain(expr: Expr, index: int, new: Expr) -> Expr:
    nodes, up = preorder(expr), _parents_plain(expr)
    current, i = new, index
    while up[i][0] >= 0:
        parent, position = up[i]
        kids = list(nodes[parent].children())
        kids[position] = current
        current, i = with_children(nodes[parent], tuple(kids)), parent
    return current


@pytest.mark.parametrize(("example", "slot"), EXAMPLES, ids=lambda v: getattr(v, "stem", v))
def test_shortcuts_equal_the_plain_code(tmp_path: Path, example: Path, slot: str) -> None:
    seen = 0
    for program in _chain(tmp_path, example, slot):
        assert program_text(program) == format_program(program)
        simple = simplified_program(program)
        assert simple == simplify_program(program)
        assert program_text(simple) == format_program(simple)
        # the text stored: a float32 body's constants folded in float32 (the activation's), else the key's own
        stored = stored_program(program, simple)
        assert stored == stored_program(program) and (stored is simple or slot == "act")
        assert unseen_simplified_text(program) == format_program(stored)
        assert unseen_simplified_text(program, format_program(program)) == format_program(stored)
        assert program_key(simple) == program_hash(simple) and program_key(program) == program_hash(program)
        for s in slots(program):
            assert slot_body(program, s.name) is s.body
        body = slot_body(program, slot)
        nodes, up = preorder_parents(body)
        assert up == parents(body) == _parents_plain(body) and all(
            a is b for a, b in zip(nodes, preorder(body), strict=True))
        view = _View(nodes, [], [], up, [], [], [], False)  # (what ``replaced`` reads of a view)
        for i, node in enumerate(walk(body)):
            assert rewrite_node(node) == _rewrite_plain(node)
            new = Num(float(i))
            assert replace_at(body, i, new) == _replace_plain(body, i, new) == view.replaced(i, new)
            assert view.kids(i) == [j for j in range(i + 1, i + node.size) if up[j][0] == i]
            seen += 1
        changed = replace_slot(program, slot, new)
        assert changed == _replace_slot_plain(program, slot, new) and slot_body(changed, slot) is new
    assert seen > 500
    with pytest.raises(KeyError):
        slot_body(program, "no_such_slot")
    with pytest.raises(IndexError):
        replace_at(body, body.size, Num(1.0))


@pytest.mark.parametrize(("example", "slot"), [*EXAMPLES, (ROOT / "examples" / "adam.mlev", "adam")],
                         ids=lambda v: getattr(v, "stem", v))
def test_a_childs_view_derived_from_its_parents_is_the_view_made_anew(tmp_path: Path, example: Path, slot: str) -> None:
    """``_View._derive`` (a child's types, scopes, parents, levels and binders from its parent's view,
    only the new subtree and its ancestors typed) gives what ``_View._make`` gives, node for node (the
    very objects), for children of every operator, over chains of mutants and crossovers."""
    from mlevolve.gp.operators import _View

    spec = load_grammar()
    program = _program(example, spec)
    archive = Archive.for_run(tmp_path / "v.db", {"run": "views"})
    engine = Engine(program, [slot], spec, None, archive, EvolveConfig(seed=7))  # type: ignore[arg-type]
    site = engine.sites[slot]
    rng = random.Random(2)
    pool = [program, program, *(engine.random_program() for _ in range(8))]  # the file's: with lets, if any
    derived = made_anew = 0
    for _ in range(400):
        child, _ = engine.vary(rng.choice(pool), rng.choice(pool) if rng.random() < 0.3 else None)
        pool[rng.randrange(len(pool))] = child
        body = slot_body(child, slot)
        view = _View._derive(body, site)
        made = _View._make(body, site)
        if view is None:
            made_anew += 1
            continue
        derived += 1
        assert len(view.nodes) == len(made.nodes) and all(a is b for a, b in zip(view.nodes, made.nodes, strict=True))
        assert (view.types, view.up, view.levels, view.binders, view.typed_nodes, view.lets) == (
            made.types, made.up, made.levels, made.binders, made.typed_nodes, made.lets)
        assert [dict(e) for e in view.scopes] == [dict(e) for e in made.scopes]
    archive.close()
    # adam's own body has lets: its children (most of the pool, soon) are made anew
    assert (derived > 10 and made_anew > 100) if slot == "adam" else derived > 150


def test_the_rule_gate_lets_equal_arguments_through() -> None:
    """The dispatch gate asks the rules whose root captures one name twice (``add-same``, ``min-same``,
    ``max-same``) only of a node whose two arguments are equal: where they are, the rule still applies,
    as trying every rule in order finds (and where they differ, none applies that the plain way finds)."""
    from mlevolve.dsl.parse import parse_expr

    for text in ("x + x", "min(y, y)", "max(x * 2.0, x * 2.0)", "sin(x) + sin(x)", "x + y", "min(x, y)",
                 "max(x, x + 1.5)", "x + -y", "0.0 + x", "(x + x) * 1.0"):
        node = parse_expr(text)
        assert rewrite_node(node) == _rewrite_plain(node), text
    assert rewrite_node(parse_expr("x + x")) is not None and rewrite_node(parse_expr("x + y")) is None


# Literals the rules ask about (zeros of both signs, ones, powers of two, tiny and huge) and others.
_LITERALS = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, 4.0, -0.25, 3.0, -1.5, 1e-45, 3.5e38, 1e300, -7.25]


@pytest.mark.parametrize("rules", [RULES, FITTED_RULES, REASSOCIATION, SIGNED_ZERO],
                         ids=["exact", "fitted", "reassociation", "signed-zero"])
def test_the_two_level_gate_asks_what_trying_every_rule_finds(tmp_path: Path, rules: tuple[Rule, ...]) -> None:
    """The simplifier's dispatch (``_Dispatch``: a call's shape, then its arguments' arguments' heads)
    leaves out only rules that cannot match: at every node of chains of formula and learner mutants, with
    their literals redrawn from values the rules ask about (and their negations, ``neg`` of a literal:
    as a fitted formula's are), ``rewrite_node`` finds the rewrite that trying every rule in order finds,
    for the exact rules, a fitted formula's and each part of those."""
    rng = random.Random(11)
    seen = fired = 0
    for example, slot in EXAMPLES[:2]:
        for program in _chain(tmp_path, example, slot, n=80):
            body = slot_body(program, slot)
            sites = [i for i, n in enumerate(walk(body)) if isinstance(n, Num)]
            for _ in range(3):
                varied = body
                for i in reversed(sites):  # (a later site first: the earlier ones keep their indices)
                    if rng.random() < 0.7:
                        varied = replace_at(varied, i, const(rng.choice(_LITERALS)) if rng.random() < 0.5
                                            else Num(abs(rng.choice(_LITERALS))))
                for node in walk(varied):
                    got = rewrite_node(node, rules)
                    assert got == _rewrite_plain(node, rules), node
                    seen += 1
                    fired += got is not None
    assert seen > 3000 and fired > 50


def test_a_scored_program_is_told_apart_as_its_text_is(tmp_path: Path) -> None:
    """``RunRecord._scored_as`` (an outcome's program against the one a job scored, without printing
    the scored one where the two are unequal programs) answers what comparing their texts answers, for
    the program itself, an equal copy and other programs; a job not scored here never matches."""
    chain = _chain(tmp_path, ROOT / "examples" / "quartic.mlev", "f", n=60)
    record = RunRecord(Archive.for_run(tmp_path / "s.db", {"run": "t"}))
    rng = random.Random(4)
    for scored in chain:
        copy = Program(scored.name, tuple(scored.definitions), scored.task)
        for other in (scored, copy, simplified_program(scored), rng.choice(chain)):
            text = format_program(other)
            for parsed in (other, None):
                job = Job(scored, "k", "init", (), 0, 1, scored, 0.0, scored)
                assert record._scored_as(job, text, parsed) == (text == format_program(scored))
            unscored = Job(scored, "k", "init", (), 0, 1, scored, 0.0)
            assert not record._scored_as(unscored, text, other)
    record.archive.close()


_FINITE = st.floats(allow_nan=False, allow_infinity=False)
_EDGES = st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, -1e-308, 1e-308, math.inf, -math.inf,
                          math.nan])


def _same_float(got: float | None, expected: float) -> bool:
    """Bit for bit, or both NaN (a NaN's payload aside)."""
    return got is not None and (struct.pack("<d", got) == struct.pack("<d", expected) or
                                (got != got and expected != expected))


def _numpys(op: str, *values: float) -> float:
    """``op`` of ``values`` by NumPy alone (``_UNARY``, ``_BINARY``: what ``numpy_value`` asked before its Python
    shortcuts)."""
    import numpy as np

    from mlevolve.dsl.simplify import _BINARY, _UNARY

    with np.errstate(all="ignore"):
        return _BINARY[op](*values) if len(values) == 2 else _UNARY[op](*values)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(["add", "sub", "mul", "div", "min", "max"]), st.one_of(_FINITE, _EDGES),
       st.one_of(_FINITE, _EDGES, st.sampled_from([1.5, -2.0])))
def test_folding_with_python_floats_is_numpys_float64(op: str, a: float, b: float) -> None:
    """``numpy_value``'s Python arithmetic (add, sub, mul; div by a nonzero divisor; min and max but at a tie
    or a NaN) gives NumPy's float64 result bit for bit (overflow, underflow, infinities and signed zeros
    included), as its NumPy path does; so for equal arguments and for ``a`` against ``-a`` (ties, ``0.0``
    against ``-0.0`` among them)."""
    from mlevolve.dsl.simplify import numpy_value

    assert _same_float(numpy_value(op, [a, b]), _numpys(op, a, b)), (op, a, b)
    for x, y in ((a, a), (a, -a), (-a, a)):
        assert _same_float(numpy_value(op, [x, y]), _numpys(op, x, y)), (op, x, y)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(["neg", "abs", "square", "reciprocal", "relu", "sign", "heaviside", "exp", "log", "sqrt",
                        "sin", "cos", "tanh", "sigmoid"]), st.one_of(_FINITE, _EDGES))
def test_unary_folding_with_python_floats_is_numpys_float64(op: str, a: float) -> None:
    """``numpy_value``'s Python arithmetic for one argument (neg, abs, square; reciprocal of a nonzero number;
    relu, sign and heaviside of a nonzero one) gives NumPy's float64 result bit for bit, as its NumPy path does."""
    from mlevolve.dsl.simplify import numpy_value

    assert _same_float(numpy_value(op, [a]), _numpys(op, a)), (op, a)


def test_digests_are_the_incremental_blake2b() -> None:
    """A node's digest: BLAKE2b-128 of its tag, payload length, payload and children's digests fed in
    turn (archives made before the one-call digest keep their hashes)."""
    x = Call("add", (Num(2.0), Call("sin", (Num(1.5, is_int=False),))))
    for node in walk(x):
        h = hashlib.blake2b(b"C" if isinstance(node, Call) else b"N", digest_size=16)
        payload = node.op.encode() if isinstance(node, Call) else struct.pack("<d?", float(node.value), node.is_int)
        h.update(struct.pack("<I", len(payload)))
        h.update(payload)
        for child in node.children():
            h.update(child.digest)
        assert node.digest == h.digest()


def test_call_digest_from_its_tabled_head_is_the_incremental_one() -> None:
    """``Call`` keeps its digest's head per op: the digest is the incremental BLAKE2b at every arity
    and on every build of an op (cold and warm table), and a bad op is refused however many good
    ones were built."""
    leaf = Num(0.5)
    for round_ in range(2):
        for arity in range(4):
            for op in ("f", "add", f"g{arity}"):
                node = Call(op, (leaf,) * arity)
                h = hashlib.blake2b(b"C", digest_size=16)
                h.update(struct.pack("<I", len(op.encode())))
                h.update(op.encode())
                for child in node.children():
                    h.update(child.digest)
                assert node.digest == h.digest(), (round_, op, arity)
                assert (node.size, node.depth) == (1 + arity, 2 if arity else 1)
        for bad in ("1x", "a-b", "é"):
            with pytest.raises(ValueError, match="not an identifier"):
                Call(bad, (leaf,))


def _incremental(tag: bytes, payload: bytes) -> bytes:
    h = hashlib.blake2b(tag, digest_size=16)
    h.update(struct.pack("<I", len(payload)))
    h.update(payload)
    return h.digest()


def test_leaf_digests_are_the_incremental_blake2b() -> None:
    """A literal's and a name's digest, made without ``_digest`` (a name's kept per name), are the
    incremental BLAKE2b of their tag and payload, at size 1 and depth 1; a bad name is refused
    however often good ones were built."""
    rng = random.Random(3)
    values = [(0.0, False), (-0.0, False), (1.0, True), (2**60, True), (3, False), (1e-300, False)]
    values += [(rng.uniform(0, 1e6), False) for _ in range(50)]
    for value, is_int in values:
        node = Num(value, is_int=is_int)
        exact = str(int(value)).encode() if is_int else b""
        assert node.digest == _incremental(b"N", struct.pack("<d?", float(abs(value)), is_int) + exact)
        assert (node.size, node.depth, node.canon != b"") == (1, 1, True)
    for _ in range(2):  # the second round: every name found in the table
        for name in ("x", "w", "theta0", "state_1"):
            ref = Ref(name)
            assert ref.digest == _incremental(b"R", name.encode()) and (ref.size, ref.depth) == (1, 1)
        for bad in ("1x", "a b", "é", ""):
            with pytest.raises(ValueError, match="not an identifier"):
                Ref(bad)


def test_memo_tables_keep_what_a_dict_keeps_while_recent() -> None:
    rng = random.Random(0)
    memo: Memo[int, int] = Memo(64)
    nodes: NodeMemo[str] = NodeMemo(64)
    for _ in range(2000):
        k = rng.randrange(100)
        assert memo.get(k, lambda k=k: k * k) == k * k
        node = Num(float(k))
        assert nodes.get(node, lambda k=k: str(k)) == str(k)
        assert nodes.peek(Num(float(k))) == str(k)  # an equal node, another object
        assert len(memo) <= 64 and len(nodes) <= 64
    assert memo.peek(10_000) is None


def test_generation_draws_the_same_from_a_warm_table() -> None:
    """The options tabled per grammar give the draws a cold table gives (same RNG stream)."""
    spec = load_grammar()
    env = {"x": "Scalar", "w": "Vector"}
    cold = []
    for seed in range(30):
        gen._TABLES.pop(spec, None)
        cold.append(gen.generate(spec, "Scalar", random.Random(seed), env=env, max_depth=5, method="grow"))
    warm = [gen.generate(spec, "Scalar", random.Random(seed), env=env, max_depth=5, method="grow")
            for seed in range(30)]
    assert warm == cold and len(set(warm)) > 10


def test_identity_table_finds_the_object_itself_only() -> None:
    table: Identity[str] = Identity(size=4)
    a, b = [1], [1]  # equal, distinct objects
    assert table.get(a, lambda: "a") == "a"
    assert table.get(a, lambda: "again") == "a"
    assert table.get(b, lambda: "b") == "b"  # equal is not the same
    for i in range(8):  # full: the table starts over, and stays small
        table.get([i], lambda: "x")
    assert len(table._table) <= 4
    assert table.get(a, lambda: "made anew") == "made anew"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(1e-9, 1e6), min_size=1, max_size=40), st.integers(0, 2**32 - 1), st.integers(1, 30))
def test_weighted_choice_is_random_choices(weights: list[float], seed: int, draws: int) -> None:
    """The same element and the same RNG state after as ``random.choices(..., cum_weights=...)[0]``,
    draw after draw (weights accumulated as ``choices`` accumulates them)."""
    population = list(range(len(weights)))
    cum = list(itertools.accumulate(weights))
    mine, theirs = random.Random(seed), random.Random(seed)
    for _ in range(draws):
        assert gen.weighted_choice(mine, population, cum) == theirs.choices(population, weights=weights)[0]
    assert mine.getstate() == theirs.getstate()


@pytest.mark.parametrize(("example", "slot"), EXAMPLES, ids=lambda v: getattr(v, "stem", v))
@pytest.mark.parametrize("op", ["point", "wrap", "insert"])
def test_operators_tabled_options_draw_what_a_cold_site_draws(tmp_path: Path, example: Path, slot: str,
                                                              op: str) -> None:
    """``point``, ``wrap`` and ``insert`` with their weighted options tabled at the site (``Site.points``,
    ``Site.wrappers``) make the child and leave the RNG where a site made anew for each draw does."""
    spec = load_grammar()
    engine = Engine(_program(example, spec), [slot], spec, None,  # type: ignore[arg-type]
                    Archive.for_run(tmp_path / "t.db", {"run": "tables"}), EvolveConfig(seed=5))
    site = engine.sites[slot]
    bodies = [slot_body(p, slot) for p in _chain(tmp_path, example, slot, n=60)]
    made = 0
    for k, body in enumerate(bodies * 3):  # the first pass fills the site's tables, the later ones read them
        cold = Site(site.spec, site.env, site.result, site.max_depth, site.max_size, site.regrow_depth)
        r1, r2 = random.Random(k), random.Random(k)
        child = MUTATIONS[op](body, site, r1)
        assert child == MUTATIONS[op](body, cold, r2) and r1.getstate() == r2.getstate()
        made += child is not None
    engine.archive.close()
    assert made > 50 and (site.points if op == "point" else site.wrappers)


def test_choose_mutation_draws_what_weights_would_draw() -> None:
    names = list(MUTATIONS)
    weights = [MUTATION_WEIGHTS.get(n, 1.0) for n in names]
    for seed in range(50):
        r1, r2 = random.Random(seed), random.Random(seed)
        assert [choose_mutation(r1) for _ in range(20)] == [r2.choices(names, weights=weights)[0] for _ in range(20)]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_archive_json_is_json_dumps(value: object) -> None:
    """The archive's encoder made once writes what ``json.dumps`` writes (NaN, infinities, escapes)."""
    assert archive_module._dumps(value) == json.dumps(value)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False), st.integers(1, 500), st.booleans(), st.booleans())
def test_fitness_set_directly_is_deaps(score: float, size: int, nsga2: bool, failed: bool) -> None:
    """The run record's fitness is DEAP's ``Fitness((score, size))``: the same weighted values, and
    it compares, orders and reads back as DEAP's does."""
    outcome = Outcome({} if failed else {"fitness": score}, Failure("x", "probe") if failed else None)
    made = RunRecord.fitness(SimpleNamespace(nsga2=nsga2), outcome, size)  # type: ignore[arg-type]
    kind = FitnessSize if nsga2 else FitnessLex
    plain = kind((FAILED if failed else score, float(size)))
    assert type(made) is kind and made.wvalues == plain.wvalues and made.values == plain.values
    assert made.valid and not made > plain and not made < plain and made == plain


def test_hall_of_fame_shortcut_keeps_deaps_hall(tmp_path: Path) -> None:
    """Candidates that cannot enter the hall of fame skip DEAP's ``update``: the hall (and the best)
    is what ``update`` on every candidate makes."""
    rng = random.Random(3)
    record = RunRecord(Archive.for_run(tmp_path / "a.db", {"run": "t"}))
    plain = HallOfFame(10, similar=lambda a, b: a.hash == b.hash)
    program = _program(ROOT / "examples" / "quartic.mlev", load_grammar())
    for _ in range(400):
        score = rng.choice([0.5, 0.25, rng.random()])
        job = Job(program, f"k{rng.randrange(60)}", "init", (), 0, rng.randrange(1, 9), program, 0.0)
        made = record.add(job, Outcome({"fitness": score}), "evaluated", None, False, None)
        plain.update([made])
        assert [c.seq for c in record.hall_of_fame] == [c.seq for c in plain]
    record.archive.close()


def test_parameter_texts_kept_per_tuple_are_the_plain_ones() -> None:
    """``definition_key``'s signature and the printer's parameter list, kept per tuple by identity,
    equal the plain join for fresh tuples (whose ids the dropped ones' may reuse) past the table's
    size, and for equal tuples of other parameters."""
    rng = random.Random(5)
    types = ["Scalar", "Vector", "Matrix", TupleType(("Scalar", "Vector"))]
    for _ in range(5000):
        params = tuple(Param(rng.choice("xyzw"), rng.choice(types), rng.random() < 0.3)
                       for _ in range(rng.randrange(4)))
        for _ in range(2):  # made, then found
            assert traverse.param_texts(params) == (
                ",".join(f"{'state ' if p.state else ''}{p.name}:{type_str(p.type)}" for p in params),
                ", ".join(f"{'state ' if p.state else ''}{p.name}: {type_str(p.type)}" for p in params))
    assert len(traverse._PARAM_TEXTS) <= 4096


@settings(max_examples=300, deadline=None)
@given(n=st.sampled_from([1, 5, 21, 22, 85, 86, 87, 100, 1000, 1024, 1025]), k=st.integers(1, 40),
       scores=st.lists(st.sampled_from([0.0, 1.0, 0.5, -1.5, float("nan"), float("-inf")]), min_size=1, max_size=8),
       seed=st.integers(0, 2**32))
def test_the_tournament_draws_and_wins_as_max_of_random_sample(n: int, k: int, scores: list[float], seed: int) -> None:
    """The written-out set path of ``random.sample`` asks the generator for the same bits and picks the same
    winner (the first of equal scores, NaN and -inf among them) as ``max(rng.sample(...), key=score)``."""
    from collections import deque
    from operator import attrgetter

    from mlevolve.gp.search import tournament

    population = deque(SimpleNamespace(score=scores[i % len(scores)], i=i) for i in range(n))
    plain, written = random.Random(seed), random.Random(seed)
    for _ in range(3):  # the generator's state after each draw matters as much as the winner
        expected = max(plain.sample(population, min(k, n)), key=attrgetter("score"))
        assert tournament(written, population, k) is expected  # type: ignore[arg-type]
        assert written.getstate() == plain.getstate()


def test_a_fitted_formulas_stored_text_is_walked_only_where_a_rule_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    """``unseen_simplified_text`` of fitted formulas (random formulas through ``fit_formula`` on a quartic's
    points, as the evaluator hands them over: text, and the folded body where the fold ran) is the plain
    simplifier's text, program for program; the walk runs only where ``is_fixpoint`` finds a rule that applies,
    and both kinds occur (a literal fitted negative, ``x + -0.8``, is one the walk rewrites)."""
    import numpy as np

    from mlevolve.dsl.simplify import is_fixpoint
    from mlevolve.gp import memo
    from mlevolve.interpreter.fit import fit_formula
    from tests.interpreter.test_fastpath import random_formulas

    spec = load_grammar()
    x = np.linspace(-1.0, 1.0, 20)[:, None]
    y = x[:, 0] ** 4 + x[:, 0] ** 3 + x[:, 0] ** 2 + x[:, 0]
    walked: list[Expr] = []
    plain = memo.simplify_expr
    monkeypatch.setattr(memo, "simplify_expr", lambda e, **kw: walked.append(e) or plain(e, **kw))
    kinds = {True: 0, False: 0}
    for program in random_formulas(150, 3):
        if program.definitions[0].params != (Param("x0", "Scalar"),):
            continue
        fitted = fit_formula(program, spec, x, y)
        text = format_program(fitted.program)
        body = fitted.program.definitions[0].body
        assert body is not None
        walked.clear()
        got = memo.unseen_simplified_text(fitted.program, text, fitted.simple)
        assert got == format_program(simplify_program(fitted.program))
        fixpoint = body is fitted.simple or is_fixpoint(body)
        assert walked == ([] if fixpoint else [body])
        assert (got is text) == fixpoint  # a fixpoint's text is the one given, not printed again
        kinds[fixpoint] += 1
    assert min(kinds.values()) >= 3, kinds


def test_the_variation_benchmark_replays_what_it_recorded() -> None:
    """``benchmarks/vary_speed.py`` replays a run's ``vary`` calls and finds the same children every time."""
    import sys

    done = run_child([sys.executable, str(ROOT / "benchmarks" / "vary_speed.py"), "--budget", "150", "--skip",
                      "20", "--repeats", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "vary, " in done.stdout and "children " in done.stdout


def test_the_recording_benchmark_replays_what_it_recorded() -> None:
    """``benchmarks/record_speed.py`` replays a run's ``RunRecord.add`` calls into fresh archives and records the
    same rows and statistics every time."""
    import sys

    done = run_child([sys.executable, str(ROOT / "benchmarks" / "record_speed.py"), "--budget", "150", "--skip", "20",
                      "--repeats", "2", "--instant"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "RunRecord.add, 130 calls" in done.stdout and "recorded " in done.stdout


def test_the_overhead_benchmarks_stages_split_the_overhead_and_are_put_back() -> None:
    """``benchmarks/overhead.py --stages``: every stage of ``STAGES`` and "other" timed per candidate (what the
    stages leave of the overhead, never less than nothing beyond the clocks' rounding), the collector's passes
    counted, and every function it timed put back as it was after the run."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("overhead_benchmark", ROOT / "benchmarks" / "overhead.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules["overhead_benchmark"] = script  # (its dataclasses look their module up there)
    try:
        spec.loader.exec_module(script)
        from mlevolve.gp import backends, engine, record

        before = (engine.Engine.offspring, engine.simplified_program, engine.cache_key, backends._with_simplified,
                  record.RunRecord.add)
        got = script.measure("formula", 120, instant=True, stages=True)
        after = (engine.Engine.offspring, engine.simplified_program, engine.cache_key, backends._with_simplified,
                 record.RunRecord.add)
    finally:
        del sys.modules["overhead_benchmark"]
    assert after == before
    labels = [label for label, _, _ in script.STAGES]
    assert list(got["stages"]) == [*labels, "other"]
    medians = {label: m for label, (m, _) in got["stages"].items()}
    means = {label: m for label, (_, m) in got["stages"].items()}
    assert all(means[label] > 0 for label in labels)  # (an instant outcome carries no program: a call that returns)
    assert medians["other"] > -5 and means["other"] > -5  # µs: the stages lie inside the overhead
    assert sum(means.values()) == pytest.approx(got["mean"], rel=1e-6, abs=1e-3)
    collector, passes = got["collector"]
    assert collector >= 0 and len(passes) == 3 and all(isinstance(n, int) and n >= 0 for n in passes)


def test_the_overhead_benchmarks_cold_sweep_counts_as_evaluation() -> None:
    """``benchmarks/overhead.py --cold``: the instant evaluator's sweep of memory before each evaluation is timed as
    the evaluation's (so subtracted from the overhead); without a sweep nothing is."""
    script = load_module(ROOT / "benchmarks" / "overhead.py")
    plain = script.measure("learner", 40, instant=True)
    cold = script.measure("learner", 40, instant=True, sweep=1 << 22)
    assert plain["evaluation_mean"] == 0.0 and plain["candidates"] == cold["candidates"] == 40
    assert cold["evaluation_mean"] > 0.0  # µs a candidate: the sweeps' CPU, not the engine's
