"""Programs sent to workers as tokens (``gp/wire.py``): rebuilt equal, at any depth, without the parser."""

from __future__ import annotations

import pickle
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve import parse_file
from mlevolve.dsl.ir import Call, Let, Num, Ref, Tup
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program
from mlevolve.gp.generate import ramped_half_and_half
from mlevolve.gp.wire import Decoder, encode, encode_expr
from mlevolve.grammar.spec import load_grammar
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.mlev"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_comes_back_equal_field_for_field(path: object) -> None:
    program = parse_file(path)  # type: ignore[arg-type]
    back = Decoder().program(pickle.loads(pickle.dumps(encode(program))))
    assert back == program  # digests of the bodies, and every other field that compares
    assert format_program(back) == format_program(program)  # comments too
    assert all(d.span is None for d in back.definitions)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["Scalar", "Vector", "Matrix"]))
def test_random_bodies_round_trip_through_one_decoder(seed: int, result: str) -> None:
    spec, rng = load_grammar(), random.Random(seed)
    env = {"x": "Scalar", "v": "Vector", "m": "Matrix"}
    decoder = Decoder(size=64)  # small: evictions happen between bodies
    for _ in range(5):
        body = ramped_half_and_half(spec, result, rng, env=env, min_depth_=1, max_depth=6)
        back = decoder.expr(pickle.loads(pickle.dumps(encode_expr(body))))
        assert back == body and back.size == body.size and back.depth == body.depth


def test_a_subtree_seen_before_is_reused_not_rebuilt() -> None:
    x = Ref("x")
    parent = Call("add", (Call("mul", (x, Num(2.0))), x))
    child = Call("sub", (parent.args[0], Num(1.0)))
    decoder = Decoder()
    first = decoder.expr(encode_expr(parent))
    second = decoder.expr(encode_expr(child))
    assert second.args[0] is first.args[0]  # type: ignore[union-attr]


def test_literals_keep_their_kind() -> None:
    body = Tup((Num(3, is_int=True), Num(3.0), Num(0.5), Let("y", Ref("x"), Ref("y"))))
    back = Decoder().expr(encode_expr(body))
    assert isinstance(back, Tup)
    three, three_float = back.items[0], back.items[1]
    assert isinstance(three, Num) and three.is_int and type(three.value) is int
    assert isinstance(three_float, Num) and not three_float.is_int and type(three_float.value) is float
    assert back == body


def test_a_deep_tree_is_encoded_and_rebuilt_without_recursion() -> None:
    body = parse(f"algorithm a\nformula f(x: Scalar) -> Scalar = {'neg(' * 5000}x{')' * 5000}\n").definitions[0].body
    assert body is not None
    back = Decoder().expr(encode_expr(body))
    assert back == body and back.depth == 5001


@pytest.mark.parametrize(("tokens", "why"), [
    ((("C", "add", 2, 3), "x"), "token 0: a child is missing"),
    ((("C", "add", 1, 3), "x", "y"), "token 0: its children take 1 tokens, not 2"),  # a length that does not match
    (("x", "y"), "2 tokens encode 1 expressions"),
    ((("Q", 1),), "token 0: unknown tag 'Q'"),
])
def test_tokens_that_encode_no_expression_are_refused(tokens: tuple[object, ...], why: str) -> None:
    """Refused with the ValueError the decoder's contract names, each saying why (a missing child was an IndexError)."""
    with pytest.raises(ValueError, match=f"^{re.escape(why)}$"):
        Decoder().expr(tokens)


class _RaisesAtItsFirstCall:
    """A stand-in evaluator whose candidate raises the library's error at the place of its body's first call, as
    code generation does for a primitive with no implementation (``codegen``: ``node.span``)."""

    def evaluate(self, program: object, key: str, quick: bool = False) -> object:
        from mlevolve.dsl.errors import MlevError
        from mlevolve.dsl.traverse import walk

        body = program.definitions[0].body  # type: ignore[attr-defined]
        call = next(n for n in walk(body) if isinstance(n, Call))
        raise MlevError(f"'{call.op}' has no torch implementation", call.span, "a hint")


def test_a_candidate_s_failure_reads_the_same_from_a_worker_s_rebuilt_program_as_in_process() -> None:
    """A worker rebuilds a candidate from the wire (no spans: no source text); in process the backend scores the
    coordinator's IR, whose nodes kept from the starting program carry that file's places.  A failure raised at a
    node's place was ``<input>:3:5: error: ...`` in process (a place in the starting program's text, not in the
    candidate's) and ``error: ...`` from a worker: the archive's reason differed with ``--workers``.  Its reason is
    its message alone, from either."""
    from mlevolve.gp.backends import Request, outgoing, run_request

    program = parse_file(ROOT / "examples" / "quartic.mlev")
    request = Request(0, "evaluate", "", "k", parsed=program)
    here = run_request(_RaisesAtItsFirstCall(), outgoing(request, 0, parsed=True))
    there = run_request(_RaisesAtItsFirstCall(), outgoing(request, 0))
    assert here == there
    assert re.fullmatch(r"MlevError: '\w+' has no torch implementation", here.failure.reason), here.failure
