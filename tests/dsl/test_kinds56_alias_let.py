"""A ``let`` of a name (``let a = b in e``) is inlined in what is shown (``simplify.ALIAS_LET``, a rule of
``SHOWN_RULES`` only): the same values on every input, shadowing respected both ways (an inner ``let a`` hides the
alias, an inner ``let b`` would capture it: declined), the cache key's simplifier untouched, and a learner's prune,
which reads ``let q = dot(w, x)`` as ``let q = p``, shows no such alias (kinds56, item 1)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.dsl.ir import Expr, Let, Ref
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.simplify import ALIAS_LET, RULES, SHOWN_RULES, simplify_expr
from mlevolve.dsl.traverse import walk
from mlevolve.gp.archive import Archive
from tests.dsl.test_simplify import PROPS, same_values

NAMES = ("x", "y", "a", "b")


def _body(text: str) -> Expr:
    body = parse(f"algorithm t\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  {text}\n").definitions[0].body
    assert body is not None
    return body


def _shown(text: str) -> str:
    return format_expr(simplify_expr(_body(text), SHOWN_RULES))


@pytest.mark.parametrize(("text", "expected"), [
    ("let q = y in q * x", "y * x"),
    ("let q = y in let q = x in q", "x"),  # the inner let hides the alias in its body
    ("let q = y in (let q = q + x in q) * q", "(let q = y + x in q) * y"),  # ... but not in its value
    ("let q = y in let y = x in q * y", "y * x"),  # the inner let y would capture: inlined after it goes
    ("let q = y in let y = x * x in q * y", "let q = y in let y = x * x in q * y"),  # captured: kept
    ("let q = x in q + q", "2.0 * x"),  # the rules apply to what the inlining makes
    ("let q = q0 in q", "q0"),
])
def test_alias_lets_are_inlined_where_shown(text: str, expected: str) -> None:
    text = text.replace("q0", "x")
    expected = expected.replace("q0", "x")
    assert _shown(text) == expected


def test_the_alias_rule_is_shown_only() -> None:
    """Out of the cache key's rules: a run's keys, and so its trajectory, are as before."""
    assert ALIAS_LET not in RULES and ALIAS_LET in SHOWN_RULES
    body = _body("let q = y in q * x")
    assert simplify_expr(body) == body


def _random_lets(rng: random.Random, depth: int, bound: list[str]) -> str:
    """A Scalar expression of ``bound`` names with lets of names of :data:`NAMES` (aliases half the time), so that
    lets shadow the parameters and each other, and an alias's target is rebound inside its scope."""
    roll = rng.random()
    if depth <= 0 or roll < 0.2:
        return rng.choice(bound) if rng.random() < 0.8 else f"{rng.randint(1, 3)}.5"
    if roll < 0.6:
        name = rng.choice(NAMES)
        value = rng.choice(bound) if rng.random() < 0.5 else _random_lets(rng, depth - 1, bound)
        inner = _random_lets(rng, depth - 1, sorted({*bound, name}))
        return f"(let {name} = {value} in {inner})"
    op = rng.choice(["+", "-", "*", "/"])
    return f"({_random_lets(rng, depth - 1, bound)} {op} {_random_lets(rng, depth - 1, bound)})"


def _captured(let: Let) -> bool:
    """Whether an inner ``let`` of the alias's target has a read of the alias in its body (where inlining declines)."""
    assert isinstance(let.value, Ref)
    return any(isinstance(n, Let) and n.name == let.value.name and any(
        isinstance(r, Ref) and r.name == let.name for r in walk(n.body)) for n in walk(let.body))


@PROPS
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 5))
def test_inlining_aliases_keeps_every_value_with_shadowing_both_ways(seed: int, depth: int) -> None:
    """Property: random nests of lets (names shadowing parameters and lets, aliases among them) compute the same
    bits after the shown simplifier as before (the real code generator, on every pair of special inputs); it is a
    fixpoint, never larger, and an alias it leaves is one an inner let would capture."""
    body = _body(_random_lets(random.Random(seed), depth, ["x", "y"]))
    shown = simplify_expr(body, SHOWN_RULES)
    assert shown.size <= body.size
    assert simplify_expr(shown, SHOWN_RULES) == shown
    assert same_values(body, shown), (format_expr(body), format_expr(shown))
    for n in walk(shown):
        if isinstance(n, Let) and isinstance(n.value, Ref):
            assert _captured(n), format_expr(shown)


PREDICTING = """algorithm a
task linear

learner l(state w: Vector)
  predict(u: Vector) -> Scalar =
    dot(w, u)
  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =
    let q = dot(x, w) in w + 0.1 * (y - q) * x
"""


def test_a_pruned_learner_shows_no_alias_of_its_prediction(tmp_path: Path) -> None:
    """End to end: the prune reads ``dot(x, w)`` as ``p`` (``let q = p in ..``); what it keeps and what ``best``
    shows read ``p`` itself."""
    db = tmp_path / "r.db"
    api.evolve(parse(PREDICTING), ["l.learn"], task="linear", budget=2, db=db, quiet=True)
    with Archive.read(db) as archive:
        shown = archive.meta()["pruned"]["program"]
    assert shown is not None and "y - p" in shown and "let q" not in shown, shown
    best = api.best(db, n=1)
    assert "let q" not in str(best) and "y - p" in str(best)
