"""Learner search (issue 15, item 3): a diverging learner stops at its first bad prediction, the
squashed and fresh-task fitness of learner families, and the insert/remove-one-operation mutations."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlevolve
from mlevolve.dsl.check import check_expr
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.traverse import preorder
from mlevolve.dsl.types import SCALAR, VECTOR
from mlevolve.gp.generate import ramped_half_and_half
from mlevolve.gp.operators import (
    MUTATION_WEIGHTS,
    MUTATIONS,
    Site,
    choose_mutation,
    insert_operation,
    perturb_constant,
    remove_operation,
)
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.evaluate import Settings
from mlevolve.interpreter.evaluator import ProgramEvaluator, fresh_seed
from mlevolve.interpreter.tasks import Family, load_task
from tests.conftest import ROOT

SPEC = load_grammar()
LINEAR_OPS = load_grammar(ROOT / "benchmarks" / "discovery" / "linear_ops.toml")

TEMPLATE = """\
algorithm a
task linear

learner l(state w: Vector)
  predict(x: Vector) -> Scalar =
    dot(w, x)
  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =
    {learn}
"""


def learner(learn: str) -> mlevolve.Program:
    return mlevolve.parse(TEMPLATE.format(learn=learn))


# ------------------------------------------------------------------------------ early divergence
def test_a_diverging_learner_stops_at_its_first_bad_prediction() -> None:
    result = mlevolve.run(learner("w + 10.0 * (y - p) * x"), "linear", seed=0)
    assert result["failure"] is not None
    reason, where = result["failure"]["reason"], result["failure"]["where"]
    assert reason.startswith("diverged: a prediction is off by") and "more than 100" in reason
    step = int(where.split("training step ")[1].split(" of ")[0])
    assert where.endswith("of 100") and step < 20  # lr 10 explodes within a few examples, not after 100


def test_a_nan_prediction_is_a_divergence() -> None:
    """A NaN is no distance from its target: 'a prediction is not finite (more than 100 from its target)' read as if
    it were (a fresh-user pass); the compiled kernel and the NumPy path (an exported script's) say it alike."""
    for jit in ("0", "1"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("MLEVOLVE_NO_JIT", jit)
            result = mlevolve.run(learner("w + fill(0.0 / 0.0)"), "linear", seed=0)
        assert result["failure"]["reason"] == "diverged: a prediction is not finite"
        assert result["failure"]["where"] == "training step 2 of 100"  # w is 0 for the first prediction


def test_a_converging_learner_is_untouched() -> None:
    result = mlevolve.run(ROOT / "examples" / "linear_regression.mlev", "linear", seed=0)
    assert result["failure"] is None and result["val_mse"] < 1e-3


# ------------------------------------------------------------------------------ fitness
def test_squashed_fitness_is_automl_zeros() -> None:
    plain = mlevolve.run(learner("w"), "linear", seed=3)
    squashed = mlevolve.run(learner("w"), "linear:fitness=squashed", seed=3)
    data = load_task("linear", 3)
    assert isinstance(data, Family)
    per_task = np.mean(np.asarray(data.y_val, np.float64) ** 2, axis=1)  # w = 0 predicts 0
    expected = float(np.mean(1 - 2 / math.pi * np.arctan(np.sqrt(per_task))))
    assert squashed["fitness"] == pytest.approx(expected, rel=1e-9)
    assert squashed["val_mse"] == pytest.approx(plain["val_mse"]) == pytest.approx(float(per_task.mean()))
    assert plain["fitness"] == -plain["val_mse"]


def test_relative_fitness_scores_predicting_zero_one_half_on_any_tasks() -> None:
    for seed in range(3):
        assert mlevolve.run(learner("w"), "linear:fitness=relative", seed=seed)["fitness"] == pytest.approx(0.5)
    sgd = mlevolve.run(learner("w + 0.1 * (y - p) * x"), "linear:fitness=relative", seed=0)["fitness"]
    hebb = mlevolve.run(learner("w + 0.01 * y * x"), "linear:fitness=relative", seed=0)["fitness"]
    assert 0.5 < hebb < sgd < 1.0


@pytest.mark.parametrize("spec", ["linear:fitness=rmse", "linear:fresh=2", "projected_digits:fitness=squashed"])
def test_bad_fitness_options_are_user_errors(spec: str) -> None:
    with pytest.raises(MlevError, match="option f"):
        load_task(spec)


def test_a_classification_familys_one_fitness_is_named_accuracy() -> None:
    """``projected_digits`` is scored by validation accuracy, and its one ``fitness=`` says so (it was named
    ``mse``, the regression families' default, for the same accuracy)."""
    plain = mlevolve.run(learner("w + 0.1 * (y - p) * x"), "projected_digits", seed=0)
    named = mlevolve.run(learner("w + 0.1 * (y - p) * x"), "projected_digits:fitness=accuracy", seed=0)
    assert named["fitness"] == plain["fitness"] == plain["val_accuracy"]
    with pytest.raises(MlevError, match="must be accuracy"):
        load_task("projected_digits:fitness=mse")


def _evaluator(task: str, seed: int) -> ProgramEvaluator:
    return ProgramEvaluator(load_task(task, seed), task, SPEC, Settings(seed=seed), frozenset({"learner"}))


def _score(ev: ProgramEvaluator, program: mlevolve.Program, key: str) -> float:
    outcome = ev.evaluate(program, key)
    assert outcome.failure is None
    return float(outcome.metrics["fitness"])


def test_a_memoriser_beats_w_on_fixed_tasks_but_not_on_fresh_ones() -> None:
    """``w - c * x`` ends at w = -c * sum(x): it knows nothing of y, but a c tuned on a run's fixed
    tasks beats doing nothing (``w``) there, every time it is scored.  With ``fresh=1`` a candidate
    is scored on tasks drawn for it (by its key), where the same memoriser loses to ``w`` on average:
    what it fitted is gone, and a lucky draw does not pass to its children."""
    seed = 0
    fixed = _evaluator("linear", seed)
    w_fixed = _score(fixed, learner("w"), "w")
    gains = {}
    for c in np.round(np.linspace(-0.2, 0.2, 41), 3):
        text = f"w - {c} * x" if c >= 0 else f"w + {-c} * x"
        gains[text] = _score(fixed, learner(text), text) - w_fixed
    best = max(gains, key=gains.__getitem__)
    assert gains[best] > 0, "the fixed tasks of seed 0 have a memoriser that beats w"
    fresh = []
    for k in range(20):  # the tasks that fresh=1 scores the candidate `best` on, if its key were this
        tasks_seed = fresh_seed(seed, f"{best}#{k}")
        a = mlevolve.run(learner(best), "linear", seed=tasks_seed)["fitness"]
        b = mlevolve.run(learner("w"), "linear", seed=tasks_seed)["fitness"]
        fresh.append(a - b)
    assert float(np.mean(fresh)) < 0, fresh
    assert _evaluator("linear:fresh=1", seed).scoring_task(best).x_train.shape == fixed.task.x_train.shape


def test_fresh_tasks_are_deterministic_and_differ_by_key() -> None:
    ev = _evaluator("linear:fresh=1", 7)
    a, b = ev.scoring_task("k1"), ev.scoring_task("k2")
    assert isinstance(a, Family) and isinstance(b, Family) and a.fresh == 1
    assert np.array_equal(a.x_train, ev.scoring_task("k1").x_train)
    assert not np.array_equal(a.x_train, b.x_train)
    assert fresh_seed(7, "k1") == fresh_seed(7, "k1") != fresh_seed(8, "k1")
    fixed = _evaluator("linear", 7)
    assert fixed.scoring_task("k1") is fixed.task


def test_the_hand_written_learner_wins_under_fresh_squashed_fitness() -> None:
    ev = _evaluator("linear:fresh=1:fitness=squashed", 1)
    sgd = _score(ev, learner("w + 0.1 * (y - p) * x"), "sgd")
    assert sgd > 0.99 and sgd > _score(ev, learner("w"), "w") + 0.3


# ------------------------------------------------------------------------------ insert / remove
LEARN_ENV = {"w": VECTOR, "x": VECTOR, "y": SCALAR, "p": SCALAR}
PROPS = settings(max_examples=200, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(seed=st.integers(0, 10**6), grammar=st.sampled_from(["base", "linear_ops"]))
def test_insert_and_remove_children_type_check(seed: int, grammar: str) -> None:
    spec = (SPEC if grammar == "base" else LINEAR_OPS).restrict(frozenset({"Scalar", "Vector"}))
    site = Site(spec, LEARN_ENV, VECTOR, max_depth=8, max_size=32)
    rng = random.Random(seed)
    parent = ramped_half_and_half(spec, VECTOR, rng, env=LEARN_ENV, min_depth_=1, max_depth=4)
    for op in (insert_operation, remove_operation):
        child = op(parent, site, rng)
        if child is None:
            continue
        check_expr(child, LEARN_ENV, spec, VECTOR)
        assert site.fits(child) and child != parent
        calls = sum(isinstance(n, Call) and bool(n.args) for n in preorder(child))
        before = sum(isinstance(n, Call) and bool(n.args) for n in preorder(parent))
        if op is insert_operation:
            assert calls == before + 1  # exactly one operation more
        else:
            assert calls < before


def test_remove_unwraps_or_replaces_by_a_leaf() -> None:
    site = Site(LINEAR_OPS, LEARN_ENV, VECTOR)
    rng = random.Random(0)
    children = [remove_operation(parse_expr("w + 0.1 * x"), site, rng) for _ in range(60)]
    assert {format_expr(c) for c in children if c is not None} == {"w", "0.1 * x", "w + x"}
    scalar = Site(LINEAR_OPS, LEARN_ENV, SCALAR)
    leaf = remove_operation(parse_expr("dot(w, x)"), scalar, rng)
    assert leaf is not None and leaf.size == 1


def test_remove_is_twice_as_likely_as_insert() -> None:
    assert set(MUTATION_WEIGHTS) <= set(MUTATIONS)
    rng = random.Random(0)
    counts = {"insert": 0, "remove": 0}
    for _ in range(20_000):
        name = choose_mutation(rng)
        if name in counts:
            counts[name] += 1
    assert 1.8 < counts["remove"] / counts["insert"] < 2.2


def test_perturb_constant_never_writes_neg_in_a_grammar_without_it() -> None:
    az = load_grammar(ROOT / "benchmarks" / "discovery" / "automl_zero_linear.toml")
    site = Site(az, LEARN_ENV, VECTOR)
    rng = random.Random(1)
    for _ in range(300):
        child = perturb_constant(parse_expr("w + 0.1 * x"), site, rng)
        assert child is not None
        check_expr(child, LEARN_ENV, az, VECTOR)
        assert all(not (isinstance(n, Call) and n.op == "neg") for n in preorder(child))
