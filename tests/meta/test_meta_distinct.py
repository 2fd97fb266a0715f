"""A meta population holds no generator twice (``mlevolve.meta.evolve.unique``/``distinct``): the elites
and the children are distinct by digest (weights, rules, operators), and where no repeat is drawn the
population is what it was before the rule (the same draws)."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mlevolve.grammar.spec import load_grammar
from mlevolve.meta import vary
from mlevolve.meta.evolve import REDRAWS, Scored, distinct, unique
from tests.meta.test_meta import SCALAR, _meta_run, _result


@dataclass(frozen=True)
class Spec:
    """A stand-in generator: only its digest matters here."""

    digest: str
    label: str = ""


def test_unique_keeps_each_digest_at_its_first_place_whatever_the_name() -> None:
    base = load_grammar()
    renamed = replace(base, name="generator")  # the name is not content: the same digest
    other = vary.perturb_weights(base, random.Random(0), SCALAR)
    assert renamed.digest == base.digest and other.digest != base.digest
    assert unique([base, other, renamed, other]) == [base, other]


def test_distinct_without_a_repeat_is_the_plain_population_with_the_same_draws() -> None:
    fresh = iter(Spec(str(k)) for k in range(10, 20))
    calls = []

    def make() -> Spec:
        calls.append(1)
        return next(fresh)

    out = distinct([Spec("a"), Spec("b")], 5, make)  # type: ignore[list-item, arg-type]
    assert [s.digest for s in out] == ["a", "b", "10", "11", "12"] and len(calls) == 3


def test_distinct_drops_a_repeated_child_and_draws_again() -> None:
    draws = iter([Spec("a"), Spec("c"), Spec("c"), Spec("b"), Spec("d")])
    out = distinct([Spec("a"), Spec("b")], 4, lambda: next(draws))  # type: ignore[list-item, arg-type]
    assert [s.digest for s in out] == ["a", "b", "c", "d"]
    assert next(draws, None) is None  # all five drawn: a, the second c and b were dropped


def test_distinct_drops_a_repeated_elite() -> None:
    out = distinct([Spec("a", "first"), Spec("a", "second")], 2, lambda: Spec("z"))  # type: ignore[list-item, arg-type]
    assert [(s.digest, s.label) for s in out] == [("a", "first"), ("z", "")]


def test_distinct_keeps_a_repeat_after_redraws_in_a_row_so_the_population_fills() -> None:
    calls = itertools.count()

    def make() -> Spec:
        next(calls)
        return Spec("a")

    out = distinct([Spec("a")], 3, make)  # type: ignore[list-item, arg-type]
    assert [s.digest for s in out] == ["a", "a", "a"]
    assert next(calls) == 2 * (REDRAWS + 1)  # each slot: REDRAWS dropped, then the repeat kept


@given(st.lists(st.integers(0, 5), max_size=6), st.lists(st.integers(0, 12), max_size=40), st.integers(1, 8))
def test_distinct_property(first: list[int], draws: list[int], size: int) -> None:
    """Whatever the elites and draws: the elites come first, without repeats, in order; no digest
    twice; each child is the first draw after the previous child's that is not already there."""

    def stream() -> itertools.chain[int]:
        return itertools.chain(draws, itertools.count(100))  # never runs dry

    elites = unique([Spec(str(k)) for k in first])  # type: ignore[list-item]
    drawn = stream()
    out = distinct([Spec(str(k)) for k in first], size, lambda: Spec(str(next(drawn))))  # type: ignore[list-item, arg-type]
    assert out[:len(elites)] == elites and len(out) == max(size, len(elites))
    assert len({s.digest for s in out}) == len(out)
    seen, rest = {s.digest for s in elites}, map(str, stream())
    for child in out[len(elites):]:
        want = next(d for d in rest if d not in seen)
        assert child.digest == want
        seen.add(want)


def test_offspring_never_holds_one_generator_twice(tmp_path: Path) -> None:
    """Two copies of the best (as a population that held a repeat ranks them) are one elite; the
    second elite is the next generator, and no child repeats an elite or another child."""
    run = _meta_run(tmp_path, elitism=2, population=6, protect=0)
    base = load_grammar()
    other = vary.perturb_weights(base, random.Random(3), SCALAR)
    ranked = [Scored(base, [_result(0.9)]), Scored(base, [_result(0.9)]), Scored(other, [_result(0.5)])]
    for seed in range(20):
        children = run.offspring(ranked, [], random.Random(seed), 1)  # type: ignore[attr-defined]
        assert [c.digest for c in children[:2]] == [base.digest, other.digest]
        assert len({c.digest for c in children}) == 6
    run.archive.close()  # type: ignore[attr-defined]
