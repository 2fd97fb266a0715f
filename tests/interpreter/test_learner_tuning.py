"""Literal tuning of learners (issue 15, item 2 "and, where it helps, of learners"): each literal of
an evolved learner method is tuned on a log-scale grid, the tuned text written back, every training
run spent counted in ``fit_evaluations``."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlevolve
from mlevolve.dsl.kinds import slots
from mlevolve.dsl.printer import format_expr, format_program
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.evaluate import Settings
from mlevolve.interpreter.evaluator import ProgramEvaluator
from mlevolve.interpreter.fit import LearnerTuning, learner_literals, tune_learner
from mlevolve.interpreter.tasks import load_task
from tests.conftest import EXAMPLES

SPEC = load_grammar()
TEMPLATE = """\
algorithm a
task linear

learner l(state w: Vector)
  predict(x: Vector) -> Scalar =
    {predict}
  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =
    {learn}
"""


def learner(learn: str, predict: str = "dot(w, x)") -> mlevolve.Program:
    return mlevolve.parse(TEMPLATE.format(learn=learn, predict=predict))


def evaluator(tune: tuple[str, ...] = ("l.learn",)) -> ProgramEvaluator:
    return ProgramEvaluator(load_task("linear", 0), "linear", SPEC, Settings(seed=0), frozenset({"learner"}),
                            tuning=LearnerTuning(tune))


def body(program: mlevolve.Program, name: str = "l.learn") -> str:
    return format_expr(next(s.body for s in slots(program) if s.name == name))


def test_a_diverging_sgd_step_is_tuned_into_the_working_band_and_written_back() -> None:
    program = learner("w + 5.0 * (y - p) * x")
    assert mlevolve.run(program, "linear", seed=0)["failure"] is not None  # diverges as written
    outcome = evaluator().evaluate(program, "k")
    assert outcome.failure is None and outcome.parsed is not None
    (_, _, step), = learner_literals(outcome.parsed, ("l.learn",))
    assert 0.05 <= step <= 0.3, step  # SGD works for a step in about [0.05, 0.3] on `linear`
    assert body(outcome.parsed) == f"w + {step:g} * (y - p) * x"
    assert outcome.metrics["val_mse"] < 1e-4
    # the text written back reproduces the score when run as is
    again = mlevolve.run(mlevolve.parse(outcome.program), "linear", seed=0)
    assert again["fitness"] == outcome.metrics["fitness"]


def test_each_training_run_of_the_tuning_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    import mlevolve.interpreter.evaluator as module

    runs: list[object] = []
    real = module.evaluate_compiled

    def counting(*args: object) -> object:
        runs.append(args[0])
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "evaluate_compiled", counting)
    outcome = evaluator().evaluate(learner("w + 5.0 * (y - p) * x"), "k")
    # one training run as written, then one per grid point of each sweep: fit_evaluations counts them
    assert outcome.metrics["fit_evaluations"] == len(runs) - 1 > len(LearnerTuning(()).factors)


def test_tuning_is_deterministic_and_sign_keeping() -> None:
    program = learner("w - 3.0 * (p - y) * x")
    first, second = evaluator().evaluate(program, "k"), evaluator().evaluate(program, "k")
    timeless = [{k: v for k, v in o.metrics.items() if k != "train_seconds"} for o in (first, second)]
    assert timeless[0] == timeless[1] and first.program == second.program
    (_, _, step), = learner_literals(first.parsed, ("l.learn",))
    assert 0.05 <= step <= 0.3


def test_only_the_evolved_methods_are_tuned_and_large_bodies_are_scored_as_written() -> None:
    fixed_predict = learner("w + 5.0 * (y - p) * x", predict="1.0 * dot(w, x)")
    out = evaluator(("l.learn",)).evaluate(fixed_predict, "k")
    assert body(out.parsed, "l.predict") == "1.0 * dot(w, x)"  # the user's fixed method is never changed
    many = learner("w + 0.5 * (y - p) * 0.1 * x * 0.3")  # three literals > max_literals = 2
    out = evaluator().evaluate(many, "k")
    assert out.metrics.get("fit_evaluations") == 0 and out.parsed == many
    zero = learner("w + 0.0 * x")  # zero has no log scale
    assert tune_learner(zero, lambda p: 0.0, LearnerTuning(("l.learn",)), 0.0) == (zero, 0.0, 0)


def test_a_variant_that_scores_no_better_leaves_the_program_itself() -> None:
    program = learner("w + 0.1 * (y - p) * x")
    best, score, spent = tune_learner(program, lambda p: -1.0, LearnerTuning(("l.learn",)), 0.0)
    assert best is program and score == 0.0 and spent == len(LearnerTuning(()).factors)
    values = []

    def score_of(p: mlevolve.Program) -> float:
        (_, _, v), = learner_literals(p, ("l.learn",))
        values.append(v)
        return -abs(v - 0.0316)

    best, _, _ = tune_learner(program, score_of, LearnerTuning(("l.learn",)), -1.0)
    assert values[:6] == [0.001, 0.00316, 0.01, 0.0316, 0.316, 1.0]  # the grid, rounded to 4 digits
    assert values[6] == 0.0158  # the stability check: 0.0316 shrank from 0.1, so it is checked at half
    # it improved, so a second sweep: the grid around 0.0316, less what was scored; no better, so no third
    assert values[7:] == [0.000316]  # (0.0316 * 0.0316 = 0.0009986 is the grid's 0.001, within 1%)
    assert [v for _, _, v in learner_literals(best, ("l.learn",))] == [0.0316]
    assert learner_literals(mlevolve.parse(format_program(best)), ("l.learn",)) == \
        learner_literals(best, ("l.learn",))  # the text reads back as the tuned program


def test_tuning_sweeps_again_while_a_sweep_improves() -> None:
    """One pass tunes the first literal with the second at its old value; the second pass tunes it
    again with the second's new value (coordinate search), and stops when a pass finds nothing."""
    program = learner("w + 1.0 * (y - p) * x * 1.0")
    calls: list[tuple[float, ...]] = []

    def score_of(p: mlevolve.Program) -> float:
        v1, v2 = (v for _, _, v in learner_literals(p, ("l.learn",)))
        calls.append((v1, v2))
        return -abs(v1 - v2) - 2.0 * abs(v2 - 0.01)  # best: v2 = 0.01, then v1 = v2

    def tuned(sweeps: int) -> list[float]:
        best, _, _ = tune_learner(program, score_of, LearnerTuning(("l.learn",), sweeps=sweeps), -1.98)
        return [v for _, _, v in learner_literals(best, ("l.learn",))]

    assert tuned(1) == [1.0, 0.01]  # one pass: the first literal was tuned against v2 = 1
    calls.clear()
    assert tuned(3) == [0.01, 0.01]
    assert len(calls) == len(set(calls))  # no variant is scored twice


def test_tuning_stops_a_margin_inside_the_edge_of_stability() -> None:
    """The score of a step keeps improving up to the edge where the learner diverges (here 0.5); the
    grid's best, 0.316, is within a factor 2 of it (0.632 fails), so tuning keeps 0.1, whose double
    does not fail.  With ``margin=1`` (off) it stands on the edge.  The check moves the literal on
    in the direction tuning moved it, and costs one training run per value checked."""
    edge = 0.5
    checked: list[float] = []

    def score_of(p: mlevolve.Program) -> float | None:
        (_, _, v), = learner_literals(p, ("l.learn",))
        checked.append(v)
        return None if v > edge else -abs(v - edge)  # better and better up to the edge, then diverges

    program = learner("w + 0.001 * (y - p) * x")

    def tuned(margin: float) -> tuple[float, int]:
        checked.clear()
        best, _, spent = tune_learner(program, score_of, LearnerTuning(("l.learn",), margin=margin), -1.0)
        assert spent == len(checked)  # every training run counted, the checks' too
        (_, _, v), = learner_literals(best, ("l.learn",))
        return v, spent

    assert tuned(1.0)[0] == 0.316
    step, spent = tuned(2.0)
    assert step == 0.1 and 0.632 in checked and 0.2 in checked  # 0.316 refused; 0.1 checked at 0.2
    assert spent > tuned(1.0)[1]
    # a literal that shrank is checked shrunk further (a divisor: the step is its reciprocal)
    shrink: list[float] = []

    def divisor(p: mlevolve.Program) -> float | None:
        (_, _, v), = learner_literals(p, ("l.learn",))
        shrink.append(v)
        return None if v < 1.0 / edge else -abs(v - 1.0 / edge)

    best, _, _ = tune_learner(learner("w + (y - p) * x / 1000.0"), divisor, LearnerTuning(("l.learn",)), -1e9)
    (_, _, v), = learner_literals(best, ("l.learn",))
    assert v == 10.0 and 1.58 in shrink  # 3.162 (edge 2) refused: 1.581 diverges


def test_a_learner_search_tunes_by_default_reports_the_cost_and_no_fit_turns_it_off(tmp_path: Path) -> None:
    import mlevolve.api as api
    from mlevolve.gp.archive import Archive

    args = {"evolve": ["linreg.learn"], "init": "random", "population": 20, "quiet": True, "budget": 60}
    summary = api.evolve(EXAMPLES / "linear_regression.mlev", db=tmp_path / "t.db", **args)
    with Archive.read(tmp_path / "t.db") as archive:
        scored = [r for r in archive.rows() if r.source == "evaluated"]  # a failed candidate's tuning counts too
    assert summary["fit_evaluations"] == sum(r.metrics.get("fit_evaluations", 0) for r in scored) > 0
    assert any(r.failure is not None and r.metrics.get("fit_evaluations", 0) > 0 for r in scored)
    plain = api.evolve(EXAMPLES / "linear_regression.mlev", db=tmp_path / "p.db", fit=False, **args)
    assert plain["fit_evaluations"] is None


def test_a_resumed_tuned_learner_run_equals_an_uninterrupted_one(tmp_path: Path) -> None:
    import mlevolve.api as api
    from tests.conftest import archive_rows

    args = {"evolve": ["linreg.learn"], "init": "random", "population": 20, "quiet": True, "seed": 3}
    whole = api.evolve(EXAMPLES / "linear_regression.mlev", budget=80, db=tmp_path / "whole.db", **args)
    api.evolve(EXAMPLES / "linear_regression.mlev", budget=40, db=tmp_path / "part.db", **args)
    resumed = api.evolve(EXAMPLES / "linear_regression.mlev", budget=80, db=tmp_path / "part.db", **args)
    assert archive_rows(tmp_path / "part.db") == archive_rows(tmp_path / "whole.db")
    for key in ("fit_evaluations", "best_fitness", "best_hash", "evaluated", "cache", "fec"):
        assert resumed.get(key) == whole.get(key), key


def test_a_tuned_learner_run_carries_the_tuned_program_and_tunes_it_again_from_there(tmp_path: Path) -> None:
    """Lamarckian learner tuning (``Engine._carried``): a learner candidate carries the program its
    outcome scored, literals tuned, into the search; so that program (a neutral child of the tuned
    parent behaves as it does) has a fingerprint of its own and is scored and tuned again from the
    tuned literals, where the proposed program's neutral children were FEC hits answered with the
    parent's first outcome.  A cache or FEC hit carries the tuned program too; a formula run carries the
    program as proposed (Baldwinian)."""
    from mlevolve.gp.archive import Archive
    from mlevolve.gp.engine import Engine, EvolveConfig

    program = learner("w + 0.001 * (y - p) * x")
    with Archive.for_run(tmp_path / "l.db", {"test": "lamarck"}) as archive:
        engine = Engine(program, ["l.learn"], SPEC, evaluator(), archive, EvolveConfig(init="file", budget=10))
        first = engine.submit(program, "init", (), 0)
        assert first.source == "evaluated" and first.outcome.parsed is not None
        assert first.program == first.outcome.parsed != program  # the tuned program, carried
        (_, _, step), = learner_literals(first.program, ("l.learn",))
        assert step != 0.001
        again = engine.submit(learner("w + 0.001 * ((y - p) * x)"), "mutate", (first.hash,), 1)
        assert again.source == "fec" and again.program == first.program  # as the proposed one: the tuned
        same = engine.submit(program, "copy", (first.hash,), 1)
        assert same.source == "cache" and same.program == first.program
        child = engine.submit(first.program, "mutate", (first.hash,), 1)
        assert child.source == "evaluated"  # not an FEC hit of the proposed program's fingerprint
        assert child.fingerprint != first.fingerprint
        assert child.outcome.metrics["fit_evaluations"] > 0 and child.score >= first.score
    formula = mlevolve.check(mlevolve.parse_file(EXAMPLES / "quartic.mlev"))
    from mlevolve.interpreter.fit import FitOptions

    fitted = ProgramEvaluator(load_task("koza_quartic", 0), "koza_quartic", SPEC, Settings(seed=0),
                              frozenset({"formula"}), fit=FitOptions())
    with Archive.for_run(tmp_path / "f.db", {"test": "baldwin"}) as archive:
        engine = Engine(formula, ["f"], SPEC, fitted, archive, EvolveConfig(init="file", budget=10))
        assert engine.submit(formula, "init", (), 0).program is formula  # as proposed



def test_a_carried_candidate_has_the_size_of_the_program_it_carries(tmp_path: Path) -> None:
    """A tuned learner run carries an FEC hit's twin program (``Engine._carried``): the candidate's size,
    which parsimony and MAP-Elites read, is that program's, not the size of the hit as proposed (a
    13-node neutral child carried the 9-node tuned twin as size 13)."""
    from mlevolve.gp.archive import Archive
    from mlevolve.gp.engine import Engine, EvolveConfig
    from mlevolve.gp.record import Candidate
    from mlevolve.gp.search import regularized_evolution

    program = learner("w + 0.001 * (y - p) * x")
    with Archive.for_run(tmp_path / "twin.db", {"test": "carried size"}) as archive:
        engine = Engine(program, ["l.learn"], SPEC, evaluator(), archive, EvolveConfig(init="file", budget=10))
        first = engine.submit(program, "init", (), 0)
        hit = engine.submit(learner("w + 0.001 * (y - p + p - p) * x"), "mutate", (first.hash,), 1)
        assert hit.source == "fec" and hit.program == first.program
        assert hit.size == first.size == engine.size(first.program) == 9
        assert hit.fitness.wvalues == first.fitness.wvalues  # parsimony reads the carried size
    seen: list[Candidate] = []
    with Archive.for_run(tmp_path / "run.db", {"test": "carried sizes"}) as archive:
        config = EvolveConfig(init="random", population=10, budget=100, seed=0)
        engine = Engine(program, ["l.learn"], SPEC, evaluator(), archive, config,
                        progress=lambda _engine, candidate, _stored: seen.append(candidate))
        regularized_evolution(engine)
    assert len(seen) == 100 and sum(c.source == "fec" for c in seen) > 10
    assert [(c.source, c.size) for c in seen] == [(c.source, engine.size(c.program)) for c in seen]
