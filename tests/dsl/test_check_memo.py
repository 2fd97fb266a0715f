"""The checker's memoised signature match (``check.signature``): the same types and errors as an
unmemoised match, and value-dependent checks (a size literal's range) made on every use."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.dsl import check
from mlevolve.dsl.check import infer
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.types import SCALAR, VECTOR
from mlevolve.gp.generate import generate
from mlevolve.grammar.spec import GrammarSpec, load_grammar


class Unmemoised:
    """The grammar's primitives behind an object with no ``__dict__``: the checker cannot memoise on it."""

    __slots__ = ("spec",)

    def __init__(self, spec: GrammarSpec) -> None:
        self.spec = spec

    def overloads(self, op: str) -> Any:
        return self.spec.overloads(op)

    @property
    def literals(self) -> Any:
        return self.spec.literals

    @property
    def by_op(self) -> Any:
        return self.spec.by_op


def outcome(expr: Any, env: dict[str, Any], prims: Any) -> Any:
    try:
        return infer(expr, env, prims)
    except MlevError as err:
        return str(err)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 5))
def test_memoised_types_are_the_unmemoised_ones(seed: int, depth: int) -> None:
    spec = load_grammar()
    env = {"x": VECTOR, "s": SCALAR}
    rng = random.Random(seed)
    expr = generate(spec, rng.choice([SCALAR, VECTOR]), rng, env=env, max_depth=depth, method="grow")
    want = outcome(expr, env, Unmemoised(spec))
    assert outcome(expr, env, spec) == want  # cold memo
    assert outcome(expr, env, spec) == want  # warm memo


@pytest.mark.parametrize("text", ["dot(x, 1.0)", "matmul(x, x)", "sigmoid(x, x)", "nope(x)", "x(s)"])
def test_errors_are_the_unmemoised_ones_before_and_after_a_match(text: str) -> None:
    spec = load_grammar()
    env = {"x": VECTOR, "s": SCALAR}
    infer(parse_expr("dot(x, x) + s * 2.0"), env, spec)  # warm the memo with matches
    got = outcome(parse_expr(text), env, spec)
    assert isinstance(got, str) and got == outcome(parse_expr(text), env, Unmemoised(spec))


def test_a_size_literal_is_range_checked_on_every_use() -> None:
    spec = load_grammar()
    ok = parse_expr("dense(64)")
    infer(ok, {}, spec)
    assert check.signature("dense", ("Int",), (True,), spec) is not None  # memoised by its type, not its value
    for bad in ("dense(0)", "dense(99999999999)"):
        with pytest.raises(MlevError, match="out of range"):
            infer(parse_expr(bad), {}, spec)
    infer(ok, {}, spec)
