"""Invariants of the IR: frozen, slotted nodes; digest equality that ignores spans; constructor
validation; and the traversal helpers ``preorder``, ``parents`` and ``replace_at``."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle

import pytest

from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Param, Program, Ref, Span, Tup, const, with_children
from mlevolve.dsl.parse import parse, parse_expr
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.traverse import parents, preorder, replace_at, walk
from mlevolve.dsl.types import TupleType, flatten, type_str

X, Y = Ref("x"), Ref("y")


def samples() -> list[Expr]:
    return [Num(1.5), Num(3, True), X, Call("relu", (X,)), Call("layernorm"), Let("a", X, Ref("a")), Tup((X, Y))]


# ------------------------------------------------------------------------------------------ frozen and slotted


@pytest.mark.parametrize("node", samples(), ids=lambda n: type(n).__name__)
def test_nodes_are_frozen(node: Expr) -> None:
    field = dataclasses.fields(node)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(node, field, getattr(node, field))
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.span = Span(1, 1, 1, 1)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.digest = b""  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del node.span  # type: ignore[misc]


@pytest.mark.parametrize("node", samples(), ids=lambda n: type(n).__name__)
def test_nodes_are_slotted(node: Expr) -> None:
    assert not hasattr(node, "__dict__")
    assert "__slots__" in type(node).__dict__
    with pytest.raises((AttributeError, TypeError)):
        node.extra = 1  # type: ignore[union-attr]


def test_other_ir_records_are_frozen_and_slotted() -> None:
    span = Span(1, 2, 3, 4)
    param = Param("x", "Tensor")
    d = Definition("activation", "f", (param,), "Tensor", X)
    program = Program("p", (d,))
    for record, field in ((span, "line"), (param, "name"), (d, "name"), (program, "name")):
        assert not hasattr(record, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(record, field, "z")
    with pytest.raises(dataclasses.FrozenInstanceError):
        TupleType(("Tensor", "Tensor")).items = ()  # type: ignore[misc]


# ------------------------------------------------------------------------------------------ equality and spans


def test_spans_take_no_part_in_equality() -> None:
    a = parse_expr("x + relu(y * 2.0)")
    b = parse_expr("\n\n     x   +\n relu( y*2.0 )")
    assert a.span != b.span
    assert a == b and hash(a) == hash(b)
    assert a.digest == b.digest
    assert len({a, b}) == 1
    assert Ref("x", Span(1, 1, 1, 1)) == Ref("x", Span(9, 9, 9, 9)) == Ref("x")


def test_program_equality_ignores_spans_and_comments() -> None:
    one = parse("algorithm p\nformula f(x: Scalar) -> Scalar =\n  x * x\n")
    two = parse("# a comment\n\n\nalgorithm p\n\n# about f\nformula f(x: Scalar) -> Scalar = x*x # eol\n")
    assert one.definitions[0].span != two.definitions[0].span
    assert two.comments == ("# a comment",) and two.definitions[0].comments == ("# about f",)
    assert one == two and hash(one) == hash(two)
    assert one.definitions[0].params == two.definitions[0].params  # Param spans are excluded too
    assert one != parse("algorithm q\nformula f(x: Scalar) -> Scalar =\n  x * x\n")
    assert one != parse("algorithm p\nformula f(x: Scalar) -> Scalar =\n  x * 2.0\n")
    assert one != parse("algorithm p\ntask t\nformula f(x: Scalar) -> Scalar =\n  x * x\n")


def test_equality_is_structural() -> None:
    assert Call("f", (X, Y)) == Call("f", (Ref("x"), Ref("y")))
    assert Call("f", (X, Y)) != Call("f", (Y, X))
    assert Call("f", (X,)) != Call("g", (X,))
    assert Call("f") != Ref("f")
    assert Let("a", X, Y) != Let("b", X, Y)
    assert Tup((X, Y)) != Call("tup", (X, Y))
    assert Tup((X, Y, X)) != Tup((X, Y))
    assert Num(2.0) == Num(2) != Num(2, True)  # a float literal and an int literal differ
    assert Num(2.0, True) == Num(2, True)
    assert Num(0.1) != Num(0.2)
    assert X != "x" and X != 0
    # Different spellings of the same tree are the same node.
    assert parse_expr("((x))") == X
    assert parse_expr("x - -y") == Call("sub", (X, Call("neg", (Y,))))


def test_size_and_depth() -> None:
    e = parse_expr("f(a, g(b, c), let z = a in z)")
    assert e.size == 8
    assert e.depth == 3
    assert X.size == 1 and X.depth == 1
    assert Tup((X, Call("neg", (X,)))).depth == 3


# ------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize("value", [-1.0, -1e-300, -5, math.nan, math.inf, -math.inf])
def test_num_rejects_negative_and_non_finite(value: float) -> None:
    with pytest.raises(ValueError, match="finite and non-negative"):
        Num(value)


def test_num_validation() -> None:
    with pytest.raises(ValueError, match="must be whole"):
        Num(2.5, True)
    with pytest.raises(ValueError, match="finite and non-negative"):
        Num(10**400, True)  # too large for a float: a ValueError, not an OverflowError
    zero = Num(-0.0)  # normalised: it would print as `-0.0`, which reads back as neg(0.0)
    assert zero == Num(0.0) and math.copysign(1.0, zero.value) == 1.0
    assert parse_expr(format_expr(zero)) == zero
    assert Num(0) == Num(0.0)
    # Integer literals beyond 2**53 are not rounded to a double for equality: they print differently.
    big = 2**60
    assert Num(big + 1, True) != Num(big, True)
    assert parse_expr(str(big + 1)) == Num(big + 1, True) != parse_expr(str(big))


@pytest.mark.parametrize("name", ["", "1x", "a b", "x-y", "x.y"])
def test_names_must_be_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="not an identifier"):
        Ref(name)
    with pytest.raises(ValueError, match="not an identifier"):
        Call(name, (X,))
    with pytest.raises(ValueError, match="not an identifier"):
        Let(name, X, X)


@pytest.mark.parametrize("items", [(), (Ref("x"),)])
def test_tup_needs_two_items(items: tuple[Expr, ...]) -> None:
    with pytest.raises(ValueError, match="at least two items"):
        Tup(items)


def test_const() -> None:
    assert const(2.5) == Num(2.5)
    assert const(-2.5) == Call("neg", (Num(2.5),))
    assert format_expr(const(-2.5)) == "-2.5"
    assert const(0.0) == Num(0.0)


def test_types() -> None:
    t = TupleType(("Tensor", "Tensor"))
    assert str(t) == type_str(t) == "(Tensor, Tensor)"
    assert type_str("Scalar") == "Scalar"
    assert flatten(t) == ("Tensor", "Tensor") and flatten("Scalar") == ("Scalar",)
    assert TupleType(("Tensor", "Tensor")) == t and hash(TupleType(("Tensor", "Tensor"))) == hash(t)


def test_copy_and_pickle_preserve_equality() -> None:
    e = parse_expr("let a = x * 2.0 in (relu(a), -a / 3)")
    assert copy.copy(e) == e and copy.deepcopy(e) == e
    back = pickle.loads(pickle.dumps(e))
    assert back == e and format_expr(back) == format_expr(e)


# ------------------------------------------------------------------------------------------ traversals


TREE = parse_expr("f(a, g(b, c), h(d))")  # preorder: f a g b c h d


def test_preorder_and_walk() -> None:
    names = [n.op if isinstance(n, Call) else n.name for n in preorder(TREE)]  # type: ignore[union-attr]
    assert names == ["f", "a", "g", "b", "c", "h", "d"]
    assert list(walk(TREE)) == preorder(TREE)
    assert preorder(X) == [X]
    gen = walk(TREE)
    assert next(gen) is TREE  # lazy: a generator


def test_parents() -> None:
    assert parents(TREE) == [(-1, 0), (0, 0), (0, 1), (2, 0), (2, 1), (0, 2), (5, 0)]
    assert parents(X) == [(-1, 0)]
    nodes = preorder(TREE)
    for i, (parent, position) in enumerate(parents(TREE)):
        if parent >= 0:
            assert nodes[parent].children()[position] is nodes[i]


def test_replace_at() -> None:
    new = Num(7.0)
    assert replace_at(TREE, 0, new) is new
    assert format_expr(replace_at(TREE, 3, new)) == "f(a, g(7.0, c), h(d))"
    assert format_expr(replace_at(TREE, 2, new)) == "f(a, 7.0, h(d))"
    assert format_expr(replace_at(TREE, 6, X)) == "f(a, g(b, c), h(x))"
    assert format_expr(TREE) == "f(a, g(b, c), h(d))"  # the original is untouched
    # The rest of the tree is shared, not copied.
    out = replace_at(TREE, 3, new)
    assert isinstance(out, Call) and isinstance(TREE, Call)
    assert out.args[0] is TREE.args[0] and out.args[2] is TREE.args[2]
    assert out.args[1].children()[1] is TREE.args[1].children()[1]
    # Ancestors keep their spans.
    assert out.span == TREE.span and out.args[1].span == TREE.args[1].span
    # Through a let and a tuple.
    e = parse_expr("let a = x in (a, y)")
    assert format_expr(replace_at(e, 4, Num(1.0))) == "let a = x in (a, 1.0)"
    assert format_expr(replace_at(e, 1, Y)) == "let a = y in (a, y)"
    with pytest.raises(IndexError):
        replace_at(TREE, 7, new)


def test_with_children() -> None:
    assert with_children(X, ()) is X
    assert with_children(Num(1.0), ()) == Num(1.0)
    call = parse_expr("f(a, b)")
    assert with_children(call, (Y, X)) == Call("f", (Y, X))
    assert with_children(call, (Y, X)).span == call.span
    assert with_children(Let("a", X, X), (Y, Y)) == Let("a", Y, Y)
    assert with_children(Tup((X, X)), (Y, Y, Y)) == Tup((Y, Y, Y))


# ------------------------------------------------------------------------------------------ definitions and programs

SOURCE = """\
algorithm p

activation act(x: Tensor) -> Tensor =
  relu(x)

learner l(state w: Vector)
  predict(x: Vector) -> Scalar =
    dot(w, x)
  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =
    w + 0.1 * (y - p) * x
"""


def test_definition_helpers() -> None:
    program = parse(SOURCE)
    act = program.get("act")
    assert act is not None and act.kind == "activation"
    assert program.get("nope") is None
    new = act.replace_body(parse_expr("tanh(x)"))
    assert new.body == parse_expr("tanh(x)") and act.body == parse_expr("relu(x)")
    assert (new.kind, new.name, new.params, new.result) == (act.kind, act.name, act.params, act.result)
    assert new.span == act.span
    learner = program.get("l")
    assert learner is not None and learner.body is None and learner.result is None
    predict = learner.method("predict")
    assert predict is not None and predict.body == parse_expr("dot(w, x)")
    assert learner.method("setup") is None
    assert [p.state for p in learner.params] == [True]


def test_program_replace() -> None:
    program = parse(SOURCE)
    act = program.get("act")
    assert act is not None
    changed = program.replace(act.replace_body(parse_expr("tanh(x)")))
    assert changed != program
    assert [d.name for d in changed.definitions] == ["act", "l"]  # order kept
    assert changed.definitions[1] is program.definitions[1]
    assert changed.get("act").body == parse_expr("tanh(x)")  # type: ignore[union-attr]
    assert program.get("act").body == parse_expr("relu(x)")  # type: ignore[union-attr]
    # A definition of an unknown name changes nothing.
    ghost = Definition("activation", "ghost", (Param("x", "Tensor"),), "Tensor", X)
    assert program.replace(ghost) == program
    # Replacing with an equal definition gives an equal program.
    assert program.replace(act) == program


def test_digests_are_the_ones_archives_were_made_with() -> None:
    """The structural and canonical digests of a fixed expression, pinned: cache keys and archive
    hashes are made of them, so a faster way of computing them must give the same bytes."""
    e = parse_expr("let a = min(x, 2.5) in a * neg(3) + sin(a) - x / (1 - x)")
    assert e.digest.hex() == "cafd28c7441851c10af0727a98c07dd1"
    assert e.canon.hex() == "defed21344f9a0ff6f98659e9983fd98"


def test_canonical_digest_on_first_use_is_the_fold_of_canonical_nodes() -> None:
    """``canon`` is computed on first use (children first, iteratively) and kept; whichever node is
    asked first, every node's equals the bottom-up fold of :func:`canonical_node`."""
    from mlevolve.dsl.ir import canonical_node
    from mlevolve.dsl.traverse import fold

    text = "let a = min(x, 2.5) in max(a * neg(3), a) + sin(a + a) - x / (1 - x) * (y + x)"
    for first in range(parse_expr(text).size):
        e = parse_expr(text)
        nodes = preorder(e)
        _ = nodes[first].canon  # a subtree first: the rest filled later, from it
        for node in nodes:
            assert node.canon == fold(node, lambda n, parts: canonical_node(n, parts))
    deep: Expr = Ref("x")
    for _ in range(5000):  # no recursion on first use, however deep
        deep = Call("add", (deep, Num(1.0)))
    assert len(deep.canon) == 16
