"""Depth is no limit: programs thousands of nodes deep parse, check, print, round-trip and hash with
a recursion limit far below their depth, which proves that every traversal is iterative."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from mlevolve.dsl.check import infer
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Let, Num, Program, Ref
from mlevolve.dsl.kinds import check_program
from mlevolve.dsl.parse import parse, parse_expr
from mlevolve.dsl.printer import format_expr, format_program
from mlevolve.dsl.traverse import canonical_hash, parents, preorder, program_hash, replace_at
from mlevolve.grammar.spec import load_grammar

SPEC = load_grammar()
ACT = "algorithm deep\n\nactivation f(x: Tensor) -> Tensor =\n  {body}\n"


@contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    """Run with ``sys.setrecursionlimit(limit)`` (under plain pytest the stack is ~35 frames deep here);
    should a runner's own frames leave less than 100 frames of headroom, the limit is raised to that."""
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back  # type: ignore[assignment]
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, depth + 100))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def nested_calls(n: int) -> str:
    return "sin(" * n + "x" + ")" * n


def left_sum(n: int) -> str:
    return " + ".join(["x"] * n)


def right_sub(n: int) -> str:
    return "x - (" * (n - 1) + "x" + ")" * (n - 1)


def nested_lets(n: int) -> str:
    lines = ["let a0 = x in"] + [f"let a{i} = a{i - 1} * 2.0 in" for i in range(1, n)]
    return "\n  ".join([*lines, f"a{n - 1}"])


def nested_negs(n: int) -> str:
    return "-" * n + "x"


def let_in_value(n: int) -> str:
    # let a = (let a = (... x ...) in a) in a: lets nested in the *value* position.
    return "(let a = " * n + "x" + " in a)" * n


BODIES: dict[str, Callable[[int], str]] = {
    "nested_calls": nested_calls,
    "left_sum": left_sum,
    "right_sub": right_sub,
    "nested_lets": nested_lets,
    "nested_negs": nested_negs,
    "let_in_value": let_in_value,
}


def _exercise(text: str, n: int) -> None:
    program = parse(text, "deep.mlev")
    body = program.definitions[0].body
    assert body is not None
    assert body.depth >= n
    # Checking, printing, the round trip.
    assert check_program(program, SPEC) is program
    printed = format_program(program)
    again = parse(printed)
    assert again == program
    assert format_program(again) == printed
    assert format_program(parse(printed)) == printed
    # Hashes: content hashes, Python's hash and equality.
    assert program_hash(again) == program_hash(program)
    assert again.definitions[0].body is not None
    assert canonical_hash(again.definitions[0].body) == canonical_hash(body)
    assert hash(again.definitions[0].body) == hash(body)
    assert hash(again.definitions[0]) == hash(program.definitions[0])
    assert hash(again) == hash(program)
    # Traversals.
    nodes = preorder(body)
    assert len(nodes) == body.size == len(parents(body)) == len(infer(body, {"x": "Tensor"}, SPEC))
    leaf = len(nodes) - 1
    changed = replace_at(body, leaf, Num(1.0))
    assert changed != body and changed.size == body.size and changed.depth == body.depth
    assert replace_at(changed, leaf, nodes[leaf]) == body


@pytest.mark.parametrize("shape", list(BODIES))
def test_thousand_deep(shape: str) -> None:
    text = ACT.format(body=BODIES[shape](1000))
    with recursion_limit(200):
        _exercise(text, 1000)


@pytest.mark.parametrize("shape", list(BODIES))
def test_three_thousand_deep(shape: str) -> None:
    text = ACT.format(body=BODIES[shape](3000))
    with recursion_limit(200):
        _exercise(text, 3000)


def test_deep_shapes_are_what_they_say() -> None:
    e = parse_expr(left_sum(4))
    assert e == Call("add", (Call("add", (Call("add", (Ref("x"), Ref("x"))), Ref("x"))), Ref("x")))
    e = parse_expr(right_sub(3))
    assert e == Call("sub", (Ref("x"), Call("sub", (Ref("x"), Ref("x")))))
    assert format_expr(e) == "x - (x - x)"
    e = parse_expr(nested_lets(2))
    assert isinstance(e, Let) and isinstance(e.body, Let) and e.body.body == Ref("a1")
    assert format_expr(parse_expr(nested_negs(3))) == "---x"
    assert parse_expr(let_in_value(1)) == Let("a", Ref("x"), Ref("a"))


def test_deep_error_is_reported_not_a_recursion_error() -> None:
    # An unbound name at the bottom of 3,000 nested calls.
    text = ACT.format(body="sin(" * 3000 + "y" + ")" * 3000)
    with recursion_limit(200):
        program = parse(text, "deep.mlev")
        with pytest.raises(MlevError) as info:
            check_program(program, SPEC)
        rendered = info.value.located("deep.mlev").render(text)
    assert rendered.splitlines()[0] == "deep.mlev:4:12003: error: in activation 'f': unknown name 'y'"
    assert rendered.splitlines()[-1] == "hint: names in scope: x"
    # A syntax error at the very end of a deep nest.
    with recursion_limit(200), pytest.raises(MlevError, match="never closed: the file ends first"):
        parse(ACT.format(body="sin(" * 3000 + "x" + ")" * 2999))


def test_deep_comments_are_kept() -> None:
    n = 1000
    lines = ["let a0 = x in"]
    for i in range(1, n):
        lines.append(f"# step {i}" if i % 100 == 0 else "")
        lines.append(f"let a{i} = a{i - 1} + x in")
    text = ACT.format(body="\n  ".join(line for line in [*lines, f"a{n - 1}"] if line))
    with recursion_limit(200):
        program = parse(text)
        printed = format_program(program)
        assert parse(printed) == program
    assert printed.count("# step") == 9
    assert "  # step 500\n  let a500 = a499 + x in" in printed


def test_deep_ir_built_by_hand() -> None:
    e = Ref("x")
    for _ in range(3000):
        e = Call("neg", (e,))
    with recursion_limit(200):
        assert e.depth == 3001 and e.size == 3001
        assert parse_expr(format_expr(e)) == e
        assert canonical_hash(e) != canonical_hash(e.args[0])  # type: ignore[union-attr]
        assert e != e.args[0]  # type: ignore[union-attr]
        program = Program("p", ())
        assert format_program(program) == "algorithm p\n"


def nested_tuples(depth: int) -> tuple[object, ...]:
    value: tuple[object, ...] = ()
    for _ in range(depth):
        value = (value,)
    return value


def test_the_lowered_limit_is_in_force() -> None:
    def down(k: int) -> int:
        return 0 if k == 0 else 1 + down(k - 1)

    with recursion_limit(200):
        assert sys.getrecursionlimit() < 1000
        assert down(50) == 50
        with pytest.raises(RecursionError):
            down(1000)
        with pytest.raises(RecursionError):
            str(nested_tuples(1000))  # Python's own tuple repr recurses: the limit bites
