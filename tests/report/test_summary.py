"""What a person sees after a run: the summary of ``evolve`` (full, ``--quiet``, ``--json``), the
comparison with the starting program and its spread over seeds (``--confirm``), programs grouped by
behaviour in ``best``, programs shown without the file's comments or stale task line, fast errors
(no PyTorch imported for a mistake in the file), and Ctrl-C.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.dsl.errors import MlevError
from mlevolve.gp.archive import Archive, Row
from mlevolve.report import data, summary
from mlevolve.results import (
    TIE_RTOL,
    Metric,
    answer,
    dumps,
    fitness_metric,
    scale_free,
    shown_program,
    tied,
    verdict,
)
from tests.conftest import ROOT, Capsys, cli, spawn
from tests.conftest import light_cli as _light

QUARTIC = str(ROOT / "examples" / "quartic.mlev")
LINEAR = str(ROOT / "examples" / "linear_regression.mlev")


# ------------------------------------------------------------------------------------------ the metric
@pytest.mark.parametrize(("metrics", "expected"), [
    ({"val_accuracy": 0.96, "val_loss": 0.2, "test_accuracy": 0.95, "fitness": 0.96},
     Metric("val_accuracy", True, "validation")),
    ({"val_mse": 0.5, "test_mse": 0.6, "fitness": -0.5, "train_seconds": 0.5}, Metric("val_mse", False, "validation")),
    ({"train_mse": 0.25, "test_mse": 0.3, "r2": 0.9, "fitness": -0.25}, Metric("train_mse", False, "training")),
    ({"val_return": 200.0, "test_return": 180.0, "train_return": 200.0, "fitness": 200.0},
     Metric("val_return", True, "validation")),
    ({"val_nll": 1.5, "test_nll": 1.6, "fitness": -1.5}, Metric("val_nll", False, "validation")),
    ({"val_mse": 0.0, "fitness": -0.0}, Metric("val_mse", False, "validation")),  # 0 == -0: the name decides
    ({"auc": 0.7, "fitness": 0.2}, Metric("fitness")),
])
def test_the_metric_behind_the_fitness_is_read_from_the_values(metrics: dict[str, Any], expected: Metric) -> None:
    assert fitness_metric(metrics) == expected


@given(st.floats(0.001, 1e6), st.floats(0.001, 1e6))
def test_the_verdict_follows_the_direction(start: float, best: float) -> None:
    lower = Metric("val_mse", False, "validation")
    text = verdict(lower, start, best)
    if tied(best, start):
        assert text.startswith("no gain")
    elif best < start:
        assert text.startswith("better than the start" if lower.gained(best, start) else "no better than the start")
    else:
        assert "worse than the start" in text.lower()
    accuracy = Metric("val_accuracy")
    assert verdict(accuracy, start, best).startswith("better") == accuracy.gained(best, start)


@pytest.mark.parametrize("start", [0.5, 1e-6, 123.0, -2.0])
@pytest.mark.parametrize("rel", [1e-15, -1e-15, 5e-10, -5e-10])
def test_a_difference_within_float_rounding_is_no_gain(start: float, rel: float) -> None:
    best = start * (1 + rel)
    a = answer({"val_accuracy": best, "fitness": best}, {"val_accuracy": start, "fitness": start},
               confirm=[(start, best), (start, best)])
    assert a["verdict"].startswith("no gain: the best found scores the same as the starting program")
    assert f"within float rounding: {TIE_RTOL:g} relative" in a["verdict"] or best == start
    assert (a["better"], a["tied"], a["confirm"]["better_on"]) == (False, True, 0)
    assert "no gain over the start's" in summary.one_line({**RESULT, "answer": a})
    lower = start - max(abs(start), 1.0) * 3e-9  # an accuracy ties at scale 1 (Metric.tie_scale)
    worse = answer({"val_accuracy": lower, "fitness": lower}, {"val_accuracy": start, "fitness": start})
    assert (worse["tied"], worse["better"]) == (False, False) and "worse than the start" in worse["verdict"].lower()


def test_r_squared_is_taken_when_reported_and_computed_from_the_split_variance_otherwise() -> None:
    mse = Metric("val_mse", False, "validation")
    assert scale_free(mse, {"val_mse": 0.5, "val_r2": 0.8}) == ("val_r2", 0.8)
    assert scale_free(mse, {"val_mse": 0.5}, {"val": 2.0}) == ("val_r2", 0.75)
    assert scale_free(mse, {"test_mse": 1.0}, {"test": 4.0}, "test") == ("test_r2", 0.75)
    assert scale_free(mse, {"val_mse": 0.5}, {}) is None  # no targets known for that split
    assert scale_free(Metric("val_accuracy"), {"val_accuracy": 0.9}, {"val": 1.0}) is None


# ------------------------------------------------------------------------------------------ golden text
RESULT: dict[str, Any] = {
    "candidates": 200, "replayed": 0, "evaluated": 120, "cache": 30, "fec": 40, "probe": 10,
    "failed": 12, "seconds": 3.5, "best_hash": "3f9a1c2b4d5e6f708192a3b4c5d6e7f8", "db": "runs/lr-linear.db",
    "next": api.next_commands("runs/lr-linear.db"),
    "answer": {**answer({"val_mse": 1.14, "fitness": -1.14}, {"val_mse": 3.8e-6, "fitness": -3.8e-6},
                        variances={"val": 1.3}),
               },
}
RESULT["answer"]["start"]["how"] = "the file's program, evaluated apart: the run started from random programs"
RESULT["answer"]["best"].update(hash=RESULT["best_hash"], seq=187,
                                program="learner linreg(state w: Vector)\n  predict(x: Vector) -> Scalar =\n"
                                        "    dot(w, x)\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n"
                                        "    w + w\n")

GOLDEN = """\
200 candidates (0 from the archive): evaluated 120, cache 30, fec 40, probe 10, failed 12
archive: runs/lr-linear.db  (search 3.5 s)

metric:  val_mse on the validation split (lower is better); fitness = -val_mse
start:   val_mse 3.8e-06  R² 0.999997   (the file's program, evaluated apart: the run started from random programs)
best:    val_mse 1.14  R² 0.12308   (hash 3f9a1c2b4d5e, candidate 187)
verdict: WORSE than the start (val_mse 1.14 higher, 3e+05 times the start's val_mse): the starting program beats \
everything this run found
spread:  one seed only; `--confirm N` (evolve or show) re-evaluates with N more seeds

best program:
    learner linreg(state w: Vector)
      predict(x: Vector) -> Scalar =
        dot(w, x)
      learn(x: Vector, y: Scalar, p: Scalar) -> Vector =
        w + w

next:
    mlevolve show runs/lr-linear.db --best --confirm 5
    mlevolve report runs/lr-linear.db -o runs/lr-linear.html
    mlevolve export runs/lr-linear.db --best -o runs/lr-linear.py"""


def test_golden_summary_of_a_run_far_below_its_start() -> None:
    assert "\n".join(summary.lines(RESULT)) == GOLDEN  # a learner's: no hurdle, no count of it
    assert summary.lines({**RESULT, "hurdle": 0})[0] == \
        "200 candidates (0 from the archive): evaluated 120, cache 30, fec 40, hurdle 0, probe 10, failed 12"
    assert summary.one_line(RESULT) == ("best val_mse 1.14 (WORSE than the start's 3.8e-06); hash 3f9a1c2b4d5e; "
                                        "200 candidates; archive runs/lr-linear.db")


def test_the_quiet_line_of_a_run_whose_start_failed() -> None:
    a = answer({"val_mse": 0.5, "fitness": -0.5}, None)
    assert summary.one_line({**RESULT, "answer": a}) == (
        "best val_mse 0.5 (the start has no val_mse to compare); hash 3f9a1c2b4d5e; 200 candidates; "
        "archive runs/lr-linear.db")


def test_golden_summary_of_a_gain_with_its_spread() -> None:
    a = answer({"val_accuracy": 0.9694, "test_accuracy": 0.95, "fitness": 0.9694},
               {"val_accuracy": 0.961, "test_accuracy": 0.9472, "fitness": 0.961},
               confirm=[(0.95, 0.96), (0.96, 0.955), (0.94, 0.96)])
    assert summary.side("val_accuracy", a["best"]) == "val_accuracy 0.9694  test_accuracy 0.95"
    assert a["verdict"] == "better than the start (val_accuracy 0.0084 higher)"
    counted = answer({"val_accuracy": 0.9694, "fitness": 0.9694}, {"val_accuracy": 0.961, "fitness": 0.961},
                     sizes={"val": 359})
    assert counted["verdict"] == ("no better than the start (val_accuracy 0.0084 higher, 3 more of 359 validation "
                                  "examples right: fewer than 6, within sampling noise)")  # ux81: it was "better"
    assert summary.spread_text(a) == ("over 3 more seeds (each a new draw of the task's data; training, if any, "
                                      "reseeded): val_accuracy of the best minus the start's +0.008333 ± 0.0126 "
                                      "(mean ± sd) (higher is better); the best was better on average: better on 2 of "
                                      "3, worse on 1 of 3")
    fittest = {"hash": "ab" * 32, "seq": 7, "size": 9, "fitness": 0.97, "metrics": {}}  # a --select rule chose it
    assert summary.spread_text({**a, "fittest": fittest}) == (
        "over 3 more seeds (each a new draw of the task's data; training, if any, reseeded): val_accuracy of the "
        "answer minus the start's +0.008333 ± 0.0126 (mean ± sd) (higher is better); the answer was better on average: "
        "better on 2 of 3, worse on 1 of 3")


def test_the_spread_of_a_lower_is_better_metric_says_its_direction() -> None:
    a = answer({"val_mse": 0.5, "fitness": -0.5}, {"val_mse": 0.7, "fitness": -0.7}, confirm=[(0.7, 0.5), (0.6, 0.65)])
    assert summary.spread_text(a) == ("over 2 more seeds (each a new draw of the task's data; training, if any, "
                                      "reseeded): val_mse of the best minus the start's -0.075 ± 0.177 (mean ± sd) "
                                      "(lower is better); the best was better on average: better on 1 of 2, worse on "
                                      "1 of 2")


def test_the_spread_of_an_rl_return_says_its_seeds_give_new_episodes() -> None:
    """A fresh user's pass: `--confirm` on cartpole said each seed was "a new draw of the task's data"; an RL task
    has none, a seed gives its episodes."""
    a = answer({"val_return": 80.0, "fitness": 80.0}, {"val_return": 60.0, "fitness": 60.0}, confirm=[(60, 80)])
    assert summary.spread_text(a) == ("over 1 more seed (each new episodes; training, if any, reseeded): val_return "
                                      "of the best minus the start's +20 (higher is better); the best was better on "
                                      "the one seed")  # one seed, not "1 more seeds"


@pytest.mark.parametrize(("best", "start"), [(0.998871, 0.998869), (1.0, 1.0 - 2 ** -52), (3e-6, 3.0000004e-6)])
def test_two_different_values_are_never_printed_alike(best: float, start: float) -> None:
    a = answer({"val_r2": best, "fitness": best}, {"val_r2": start, "fitness": start})
    assert summary.value(best, start) != summary.value(start, best)
    assert summary.side("val_r2", a["best"], a["start"]) != summary.side("val_r2", a["start"], a["best"])
    b_text, s_text = summary.one_line({**RESULT, "answer": a}).split(" (")[0], summary.value(start, best)
    assert s_text in summary.one_line({**RESULT, "answer": a}) and b_text.split()[-1] != s_text
    assert summary.value(0.5, 0.5) == summary.value(0.5) == "0.5"
    tested = answer({"train_r2": 1.0, "test_r2": 0.99999999157, "fitness": 1.0},
                    {"train_r2": 0.9, "test_r2": 0.99999999253, "fitness": 0.9})
    assert summary.side("train_r2", tested["best"], tested["start"]).endswith("test_r2 0.999999992")
    assert summary.side("train_r2", tested["start"], tested["best"]).endswith("test_r2 0.999999993")


def test_json_is_strict() -> None:
    text = dumps({"a": math.nan, "b": [math.inf, 1.5], "c": {"d": -math.inf}})
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}")) == {
        "a": None, "b": [None, 1.5], "c": {"d": None},
        "non_finite": {"a": "nan", "b[0]": "inf", "c.d": "-inf"}}


def test_an_rl_return_is_named_for_its_episodes_not_a_split() -> None:
    """An RL run's summary read "metric:  val_return on the validation split": its returns are of greedy episodes
    of their own seeds, no split of data (a fresh-user pass)."""
    from mlevolve.results import answer

    metrics = {"val_return": 88.8, "test_return": 84.3, "train_return": 50.0, "fitness": 88.8}
    assert answer(metrics, metrics, task="cartpole")["metric"]["description"] == \
        "val_return on the validation episodes (higher is better)"
    nll = {"val_nll": 2.3, "test_nll": 2.4, "fitness": -2.3}
    assert answer(nll, nll, task="moons2d")["metric"]["description"] == \
        "val_nll on the validation split (lower is better)"


def test_an_unnamed_fitness_says_what_it_measures() -> None:
    """A learner search's default fitness (``fitness=relative``) has no metric of its own: the summary said
    ``metric:  fitness (higher is better); fitness = fitness``; it says what the score is, from the task's option."""
    from mlevolve.results import FITNESS_READS, answer, fitness_reads

    assert fitness_reads("linear:fresh=1:fitness=relative") == FITNESS_READS["relative"]
    assert fitness_reads("affine:dim=3: fitness = squashed") == FITNESS_READS["squashed"]
    assert [fitness_reads(t) for t in ("linear", "linear:fitness=mse", "data.csv:target=y", None)] == [None] * 4
    described = answer({"fitness": 0.99}, {"fitness": 0.9}, task="linear:fresh=1:fitness=relative")["metric"]
    assert described["description"] == ("fitness: 1 - (2/pi) arctan(RMSE / RMS of the targets) of each validation "
                                         "task, averaged over the tasks; 1 is perfect, predicting 0 scores 0.5 "
                                         "(higher is better)")
    named = answer({"val_mse": 1.0, "fitness": -1.0}, None, task="linear:fitness=relative")["metric"]
    assert named["description"] == "val_mse on the validation split (lower is better)"  # a named metric: its name
    result = {"generations": 1, "candidates": 1, "evaluated": 1, "cache": 0, "fec": 0, "probe": 0, "failed": 0,
              "replayed": 0, "db": "r.db", "seconds": 1.0, "best_hash": "ab" * 8, "next": [],
              "answer": {**answer({"fitness": 0.99}, {"fitness": 0.9}, task="linear:fitness=squashed"),
                         "best": {"value": 0.99, "hash": "ab" * 8, "seq": 1, "program": "p"}}}
    metric = next(line for line in summary.lines(result) if line.startswith("metric:"))
    assert metric == f"metric:  fitness: {FITNESS_READS['squashed']} (higher is better)"  # no "fitness = fitness"


# ------------------------------------------------------------------------------------------ real runs
def test_the_readme_showcase_says_plainly_that_the_start_is_better(capsys: Capsys, tmp_path: Path) -> None:
    """`evolve linear_regression.mlev --evolve linreg.learn --init random` on the file's fixed tasks, scored by their
    MSE (``--task linear:fresh=0``; the command's default draws fresh tasks scored by the relative error:
    tests/gp/test_learner_search_defaults.py): the file's SGD beats what a short random-start run finds, and every
    output says so."""
    db = tmp_path / "lr.db"
    fixed = ("--task", "linear:fresh=0")
    code, out, _ = cli(capsys, "evolve", LINEAR, "--evolve", "linreg.learn", "--init", "random", "--budget", "40",
                       "--population", "8", "--db", str(db), *fixed)
    assert code == 0
    sgd = api.run(LINEAR)["val_mse"]  # the file's own program, scored apart with the run's seed
    lines = [line for line in out.splitlines() if not line.startswith("pruned:  pruned from ")]  # (gp.prune's)
    assert lines[3] == "metric:  val_mse on the validation split (lower is better); fitness = -val_mse"
    assert lines[4].startswith(f"start:   val_mse {sgd:.5g}  R² ")
    assert lines[4].endswith("(the file's program, evaluated apart: the run started from random programs)")
    assert lines[6].startswith("verdict: WORSE than the start") and "the starting program beats" in lines[6]
    with Archive.read(db) as archive:
        best = archive.best(1)[0]
    assert best.metrics["val_mse"] > 10 * sgd
    assert lines[5].startswith(f"best:    val_mse {best.metrics['val_mse']:.5g}")
    assert "# written by hand" not in out and "AutoML-Zero's first rediscovery" not in out
    # the same answer, quietly, as JSON, and in the report's data
    code, quiet, _ = cli(capsys, "evolve", LINEAR, "--evolve", "linreg.learn", "--init", "random", "--budget", "40",
                         "--population", "8", "--db", str(db), "--quiet", *fixed)
    pruned = api.best(db, n=1)[0]  # the best as shown: pruned (gp.prune), its candidate named
    assert pruned["pruned"] is not None and pruned["metrics"]["val_mse"] == best.metrics["val_mse"]
    assert quiet == (f"best val_mse {best.metrics['val_mse']:.5g} (WORSE than the start's {sgd:.5g}); "
                     f"hash {pruned['hash'][:12]} (pruned from {best.hash[:12]}); 40 candidates; archive {db}\n")
    code, text, _ = cli(capsys, "evolve", LINEAR, "--evolve", "linreg.learn", "--init", "random", "--budget", "40",
                        "--population", "8", "--db", str(db), "--json", *fixed)
    result = json.loads(text, parse_constant=lambda c: pytest.fail(c))
    assert result["answer"]["start"]["value"] == sgd and result["answer"]["better"] is False
    assert "#" not in result["best_program"] and "task linear\n" in result["best_program"]
    # best, show and the report's answer say it too
    code, listed, _ = cli(capsys, "best", str(db), "-n", "2")
    assert listed.startswith(f"start:   val_mse {sgd:.5g}  R² ") and "\nverdict: WORSE than the start" in listed
    code, shown, _ = cli(capsys, "show", str(db), "--best")
    assert "against the start:\n" in shown and "    WORSE than the start" in shown
    report = data.answer(data.load(db))
    assert report is not None and report["verdict"].startswith("WORSE than the start")
    assert result["answer"]["start"]["scale_free"]["value"] > 0.99  # SGD explains the linear targets


@pytest.mark.parametrize("task", ["koza_quartic", "nguyen5"])
def test_confirm_reevaluates_start_and_best_with_more_seeds(capsys: Capsys, tmp_path: Path, task: str) -> None:
    db = tmp_path / "q.db"
    result = api.evolve(QUARTIC, ["f"], task=task, budget=60, db=db, population=10, init="file", quiet=True,
                        confirm=2)
    a = result["answer"]
    assert a["confirm"]["seeds"] == 2 and a["confirm"]["failed"] == 0
    # the start is the file's program, candidate 0 (init file), as it was scored: its constants fitted (on
    # nguyen5 the quartic as written scores train R^2 about -85; fitted, about 0.14), the same metrics as
    # `run` of that program with each further seed
    fitted = ("; scored with its output linearly scaled (a + b * f), as every candidate's are, where `mlevolve run` "
              "scores it as written")  # the quartic has no literals: only the scaling changed it
    assert a["start"]["how"] == "candidate 0, the file's program" + (fitted if task == "nguyen5" else "")
    with Archive.read(db) as archive:
        start = archive.meta()["start"]
        scored_start = start["program"]
        assert scored_start == archive.get(start["hash"]).program
        pairs = archive.meta()["confirm"]["pairs"]
    starts = [api.run(api.parse(scored_start), task, seed=s)["train_r2"] for s in (1, 2)]
    assert [p[0] for p in pairs] == starts
    gains = [b - s for s, b in pairs]
    assert a["confirm"]["gain_mean"] == pytest.approx(sum(gains) / 2)
    one_seed = a["best"]["value"] - a["start"]["value"]
    assert abs(a["confirm"]["gain_mean"] - one_seed) < 0.5  # the spread tells of the same gain
    code, out, _ = cli(capsys, "show", str(db), "--best", "--confirm", "2")
    whose = "the answer" if out.startswith("answer:  ") else "the best"  # PySR's pick, where it is not the fittest
    assert code == 0 and ("over 2 more seeds (each a new draw of the task's data; training, if any, reseeded): "
                          f"train_r2 of {whose} minus") in out


# ------------------------------------------------------------------------------------------ grouping
PROGRAM = ("# written by hand\nalgorithm quartic\ntask koza_quartic\n\n"
           "# the target\nformula f(x: Scalar) -> Scalar =\n  {}\n")


def _row(seq: int, body: str, fitness: float, fingerprint: str | None, source: str = "evaluated") -> Row:
    return Row(seq, f"{seq:02d}" * 16, PROGRAM.format(body), fitness,
               {"val_mse": -fitness, "test_mse": 1.0, "fitness": fitness, "train_seconds": seq / 10}, None, None,
               source, fingerprint, "point", (), 1, 3, 0.1)


def test_best_groups_programs_of_the_same_behaviour(capsys: Capsys, tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    with Archive.for_run(db, {"program_hash": "p", "program_name": "quartic", "task": "nguyen4",
                              "evolve": ["f"]}) as archive:
        for row in (_row(0, "x * x", -0.5, "A"), _row(1, "x / abs(1.0) * x", -0.5, "A", "fec"),
                    _row(2, "max(x, x) * x", -0.5, "A", "fec"), _row(3, "x + x", -0.9, "B"),
                    _row(4, "x * x * x", -0.2, "C")):
            archive.add(row)
    code, out, _ = cli(capsys, "best", str(db), "-n", "5")
    assert code == 0
    assert out == ("#1  val_mse 0.2  hash 040404040404  (candidate 4, point, generation 1)\n"
                   "    val_mse 0.2, test_mse 1\n"
                   "    formula f(x: Scalar) -> Scalar =\n"
                   "      x * x * x\n\n"
                   "#2  val_mse 0.5  hash 000000000000  (candidate 0, point, generation 1)\n"
                   "    val_mse 0.5, test_mse 1\n"
                   "    + 2 more programs with the same behaviour: 010101010101, 020202020202\n"
                   "    formula f(x: Scalar) -> Scalar =\n"
                   "      x * x\n\n"
                   "#3  val_mse 0.9  hash 030303030303  (candidate 3, point, generation 1)\n"
                   "    val_mse 0.9, test_mse 1\n"
                   "    formula f(x: Scalar) -> Scalar =\n"
                   "      2.0 * x\n\n")  # x + x, shown simplified
    [shown] = api.show(db, "0101")
    assert shown["same"] == ["00" * 16, "02" * 16]  # the other programs of its behaviour
    assert shown["program"] == ("algorithm quartic\ntask nguyen4\n\nformula f(x: Scalar) -> Scalar =\n"
                                "  x * x\n")  # simplified x / abs(1.0) * x; no comment; the run's task


def test_a_pruned_best_is_listed_once_in_its_candidates_place(capsys: Capsys, tmp_path: Path) -> None:
    """`best` listed the pruned best and the candidate it came from as two behaviours (#1 the prune, #2 the
    candidate); now the prune stands for its candidate's behaviour, the candidate named by its pruned line, the
    candidate's others by a line of their own."""
    db = tmp_path / "p.db"
    with Archive.for_run(db, {"program_hash": "p", "program_name": "quartic", "task": "nguyen4",
                              "evolve": ["f"]}) as archive:
        for row in (_row(0, "x * x * x + 0.0 * x", -0.2, "A"), _row(1, "x * x * abs(x)", -0.2, "A", "fec"),
                    _row(2, "x * x", -0.5, "B")):
            archive.add(row)
        metrics = {"val_mse": 0.2, "test_mse": 1.0, "fitness": -0.2}
        archive.set_meta("pruned", {"from": "00" * 16, "from_seq": 0, "from_generation": 1, "from_fitness": -0.2,
                                    "from_metrics": metrics, "from_size": 7, "program": PROGRAM.format("x * x * x"),
                                    "hash": "ab" * 16, "fitness": -0.2, "metrics": metrics, "size": 5, "edits": 1,
                                    "evaluations": 3})
    code, out, _ = cli(capsys, "best", str(db), "-n", "5")
    assert code == 0
    assert out == ("#1  val_mse 0.2  hash abababababab  (the prune of candidate 0)\n"
                   "    val_mse 0.2, test_mse 1\n"
                   "    pruned from candidate 0 (hash 000000000000): 7 -> 5 nodes, val_mse 0.2 -> 0.2\n"
                   "    + 1 more program with its candidate's behaviour: 010101010101\n"
                   "    formula f(x: Scalar) -> Scalar =\n"
                   "      x * x * x\n\n"
                   "#2  val_mse 0.5  hash 020202020202  (candidate 2, point, generation 1)\n"
                   "    val_mse 0.5, test_mse 1\n"
                   "    formula f(x: Scalar) -> Scalar =\n"
                   "      x * x\n\n")
    [candidate] = api.show(db, "0000")  # the candidate itself: its group's others, not its prune
    assert candidate["same"] == ["01" * 16]  # not its prune, which its own line names:
    assert candidate["pruned"] == "pruned into abababababab, the run's fittest: 7 -> 5 nodes"
    assert [g.representative.hash[:2] for g in data.behaviours(data.load(db))] == ["ab", "02"]  # report, export


def test_programs_without_a_fingerprint_group_by_metrics_and_text(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with Archive.for_run(db, {"program_hash": "p", "program_name": "quartic", "task": "koza_quartic",
                              "evolve": ["f"]}) as archive:
        archive.add(_row(0, "x * x", -0.5, None))
        # the same text but a comment more: another hash, the same metrics, the same shown text
        archive.add(Row(1, "ff" * 16, PROGRAM.format("x * x  # again"), -0.5,
                        {"val_mse": 0.5, "test_mse": 1.0, "fitness": -0.5, "train_seconds": 9.0}, None, None,
                        "evaluated", None, "copy", (), 1, 3, 0.1))
        archive.add(_row(2, "x + x", -0.5, None))  # equal metrics, other text: another behaviour
    ranked = api.best(db, 5)
    assert [(c["hash"][:2], c["same"]) for c in ranked] == [("00", ["ff" * 16]), ("02", [])]


def test_shown_program_drops_comments_and_sets_the_task() -> None:
    text = PROGRAM.format("x * x  # a note")
    assert shown_program(text, task="nguyen4") == ("algorithm quartic\ntask nguyen4\n\n"
                                                   "formula f(x: Scalar) -> Scalar =\n  x * x\n")
    assert shown_program(text) == "algorithm quartic\n\nformula f(x: Scalar) -> Scalar =\n  x * x\n"
    assert shown_program(text, only=["f"]) == "formula f(x: Scalar) -> Scalar =\n  x * x\n"


# ------------------------------------------------------------------------------------------ fast errors
@pytest.mark.e2e
def test_a_syntax_error_in_evolve_is_reported_without_importing_torch(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mlev"
    bad.write_text("algorithm a\nformula f(x: Scalar) -> Scalar =\n  x * * x\n")
    code, checked, _ = _light(["check", str(bad)], tmp_path)
    lines = checked.splitlines()
    assert code == 2 and lines[0].startswith(f"{bad}:3:") and "error: unexpected" in lines[0]
    assert lines[1] == "      x * * x" and lines[2].strip().startswith("^")  # the source line and a caret
    for argv in (["evolve", str(bad), "--task", "nguyen4", "--db", str(tmp_path / "x.db")],
                 ["run", str(bad), "--task", "nguyen4"]):
        code, err, heavy = _light(argv, tmp_path)
        assert (code, err, heavy) == (2, checked, [])  # what `check` says, as fast: no PyTorch imported
    assert not (tmp_path / "x.db").exists()


@pytest.mark.e2e
def test_a_misspelt_kind_and_an_unknown_task_come_before_torch(tmp_path: Path) -> None:
    bad = tmp_path / "kind.mlev"
    bad.write_text("algorithm a\nfromula f(x: Scalar) -> Scalar =\n  x\n")
    code, err, heavy = _light(["evolve", str(bad), "--task", "nguyen4"], tmp_path)
    assert (code, heavy) == (2, [])
    assert err.splitlines()[:3] == [f"{bad}:2:1: error: unknown component kind 'fromula'",
                                    "    fromula f(x: Scalar) -> Scalar =", "    ^^^^^^^"]
    code, err, heavy = _light(["evolve", QUARTIC, "--task", "nguyen44"], tmp_path)
    assert (code, heavy) == (2, []) and "unknown task 'nguyen44'" in err


# ------------------------------------------------------------------------------ Ctrl-C and SIGTERM
@pytest.mark.parametrize("signum, said", [
    pytest.param(signal.SIGINT, "interrupted", marks=pytest.mark.slow, id="ctrl-c"),
    pytest.param(signal.SIGTERM, "stopped by SIGTERM", marks=pytest.mark.e2e, id="sigterm")])
def test_a_stopped_run_says_what_is_saved_and_how_to_resume(tmp_path: Path, signum: int, said: str) -> None:
    db = tmp_path / "i.db"
    argv = ["evolve", QUARTIC, "--evolve", "f", "--init", "random", "--budget", "1000000", "--population", "20",
            "--db", str(db), "--quiet"]
    proc = spawn([sys.executable, "-m", "mlevolve.cli", *argv], stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # even in a background job
    try:
        deadline = time.monotonic() + 120
        while _count(db) < 30:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signum and "Traceback" not in err  # 130 for Ctrl-C, 143 for SIGTERM
    saved = _count(db)
    assert err.splitlines() == [f"mlevolve evolve: {said}; {saved} candidates are saved in {db}",
                                "resume with the same command: mlevolve " + " ".join(argv)]


def _count(db: Path) -> int:
    try:
        with Archive.read(db) as archive:
            return archive.count()
    except (MlevError, sqlite3.Error):  # the writer has not made its tables yet
        return 0


def test_a_resumed_run_says_replayed_and_new_candidates_apart(tmp_path: Path) -> None:
    """The counts after 'N new' are this run's own; with the replayed ones they add up to the totals
    (the same totals as a fresh run of the whole budget: resuming is exact)."""
    import re

    db, quartic = tmp_path / "q.db", str(ROOT / "examples" / "quartic.mlev")
    first = api.evolve(quartic, budget=30, db=db, quiet=True)
    second = api.evolve(quartic, budget=60, db=db, quiet=True)
    fresh = api.evolve(quartic, budget=60, db=tmp_path / "fresh.db", quiet=True)
    sources = ("evaluated", "cache", "fec", "hurdle", "probe", "failed", "fit_evaluations")
    assert second["replayed_counts"] == {k: v for k, v in first.items() if k in sources and v}
    assert {k: second.get(k) for k in sources} == {k: fresh.get(k) for k in sources}
    head = summary.lines(second)[0]
    assert head.startswith("60 candidates: 30 replayed from the archive, 30 new (evaluated ")
    assert summary.lines({**second, "candidates": 6000, "replayed": 1264})[0].startswith(
        "6,000 candidates: 1,264 replayed from the archive, 4,736 new (")  # every count with its separators
    said = {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", head.split("new (")[1])}
    assert "hurdle" not in said and second["hurdle"] is None  # a formula's run has no hurdle
    for key in ("evaluated", "cache", "fec", "probe", "failed"):
        assert said[key] == second.get(key, 0) - first.get(key, 0), (key, head)
    assert f"fitting {second['fit_evaluations'] - first['fit_evaluations']} evaluations" in head
    assert summary.lines(first)[0].startswith("30 candidates (0 from the archive): evaluated ")
    assert first["replayed_counts"] == {}


def test_a_resumed_runs_replayed_counts_are_integers_when_its_one_archived_candidate_failed(tmp_path: Path) -> None:
    """The first replayed candidate, failed, is counted 1 (an int in --json), not True."""
    program = tmp_path / "neg.mlev"
    program.write_text("algorithm neg\ntask nguyen1\nformula f(x: Scalar) -> Scalar =\n  log(0.0 - x * x - 1.0)\n")
    db = tmp_path / "neg.db"
    api.evolve(str(program), budget=1, db=db, quiet=True, fit=False)
    again = api.evolve(str(program), budget=1, db=db, quiet=True, fit=False)
    counts = again["replayed_counts"]
    assert counts == {"probe": 1, "failed": 1} and all(type(v) is int for v in counts.values()), counts
    assert '"failed": 1' in json.dumps(counts)


@pytest.mark.parametrize(("metric", "start", "best", "variances", "is_tie"), [
    (Metric("train_r2", True, "training"), 0.0, 2e-16, None, True),  # relative alone called this a gain
    (Metric("val_accuracy", True, "validation"), 1e-300, 0.0, None, True),
    (Metric("val_accuracy", True, "validation"), 0.5, 0.5 + 1e-8, None, False),
    (Metric("val_mse", False, "validation"), 1e-300, 0.0, None, True),
    (Metric("val_mse", False, "validation"), 1e-25, 0.0, None, True),  # below TIE_RTOL * ERROR_FLOOR
    (Metric("val_mse", False, "validation"), 1e-6, 0.0, None, False),
    (Metric("val_mse", False, "validation"), 1e-10, 0.0, {"val": 1.0}, True),  # an R² of 1 - 1e-10: a tie
    (Metric("val_mse", False, "validation"), 1e-10, 0.0, {"val": 1e-6}, False),  # targets of scale 1e-3: a gain
    (Metric("val_mse", False, "validation"), 100.0, 100.0 * (1 - 1e-12), None, True),  # relative still
    (Metric("val_return", True, "validation"), 0.0, 1e-25, None, True),
])
def test_ties_have_an_absolute_floor_on_the_metrics_scale(
        metric: Metric, start: float, best: float, variances: dict[str, float] | None, is_tie: bool) -> None:
    """R², accuracy and AUC compare at scale 1; an error relative to the larger value, down to the target
    variance (an MSE) or ERROR_FLOOR; a tie is "no gain" in the verdict, the answer and the confirm counts."""
    assert metric.tied(best, start, variances) is is_tie
    assert verdict(metric, start, best, variances=variances).startswith("no gain") is is_tie
    key = metric.name
    a = answer({key: best, "fitness": best if metric.higher_is_better else -best},
               {key: start, "fitness": start if metric.higher_is_better else -start},
               variances=variances, confirm=[(start, best)] * 3)
    assert a["tied"] is is_tie and a["verdict"].startswith("no gain") is is_tie
    within = is_tie or a["verdict"].startswith("no better")  # a seed's count takes the verdict's rule (misc88)
    assert a["confirm"]["tied_on"] == (3 if within else 0)
    text = summary.spread_text(a)
    assert text is not None
    side = "the same" if best == start else "better" if metric.better(best, start) else "worse"
    assert text.endswith(f"the best was {side} on average, within noise on each of 3 seeds") if within else \
        "within noise" not in text


def test_shown_order_lists_the_smaller_of_tied_results_first() -> None:
    """A run of items tied with its first is one rank, smallest first; untied ranks keep their order."""
    from mlevolve.results import shown_order

    items = [("a", 1.0, 11), ("b", 1.0 - 1e-13, 5), ("c", 1.0 - 2e-13, 5), ("d", 0.9, 1), ("e", 0.9, 3)]
    order = shown_order(items, lambda x: x[1], lambda x: x[2], lambda x: 1.0)
    assert [x[0] for x in order] == ["b", "c", "a", "d", "e"]
    assert [x[0] for x in shown_order(items[:1], lambda x: x[1], lambda x: x[2], lambda x: 1.0)] == ["a"]


@given(st.lists(st.tuples(st.sampled_from([1.0, 1.0 - 1e-13, 1.0 - 5e-10, 1.0 - 2e-9, 0.5, 0.0, -3.0]),
                          st.integers(1, 6), st.integers(0, 5)), min_size=1, max_size=25))
def test_the_runs_best_is_the_first_of_shown_order(items: list[tuple[float, int, int]]) -> None:
    """What a search reports as its best as candidates arrive (``ShownBest``, by sequence number) is the
    first of ``shown_order`` over the distinct programs ranked by (fitness, earliest), as ``best`` lists
    them: among those tied with the fittest, the smallest (then the fitter, then the earliest).  A
    program (the third field) that arrives again counts once, at its first arrival."""
    from mlevolve.results import ShownBest, shown_order

    program = {}
    for i, (f, size, ident) in enumerate(items):  # a program has one fitness and size: its first arrival's
        program.setdefault(ident, (f, size, ident, i))
    arrivals = [(*program[ident][:3], i) for i, (_, _, ident) in enumerate(items)]
    tracker: Any = ShownBest(lambda x: x[0], lambda x: x[1], lambda x: 1.0, lambda x: x[2])
    for item in arrivals:
        tracker.add(item)
    firsts = sorted(program.values(), key=lambda x: (-x[0], x[3]))
    expected = shown_order(firsts, lambda x: x[0], lambda x: x[1], lambda x: 1.0)[0]
    assert tracker.best[2] == expected[2]
    assert tracker.anchor[2] == firsts[0][2]  # the search's own: the fittest, earliest


def test_the_smaller_of_two_tied_programs_is_shown_first(capsys: Capsys, tmp_path: Path) -> None:
    """best, show --best, the report's answer and export --best showed a size-11 program before a size-5 one
    tied with it within float rounding.  The archive's ranking follows the same rule (it ranked by fitness
    alone, so a run's summary named the size-11 program where ``best`` named the size-5 one)."""
    from dataclasses import replace

    from mlevolve.report import data

    db = tmp_path / "t.db"
    big = replace(_row(0, "x * x * (x / x) * x * x", -0.25, "A"), size=11)
    small = replace(_row(1, "x * x", -0.25 * (1 + 1e-12), "B"), size=5)
    with Archive.for_run(db, {"program_hash": "p", "program_name": "quartic", "task": "nguyen4",
                              "evolve": ["f"]}) as archive:
        for row in (big, small, _row(2, "x + x", -0.9, "C")):
            archive.add(row)
        assert [r.hash for r in archive.best(2)] == [small.hash, big.hash]  # the one order of everything shown
        assert [r.hash for r in archive.best(1)] == [small.hash]  # (it reads past n to the end of a tie)
    assert [c["hash"] for c in api.best(db, 3)] == [small.hash, big.hash, "02" * 16]
    assert api.show(db)[0]["hash"] == small.hash
    answer = data.answer(data.load(db))
    assert answer is not None and answer["best"]["hash"] == small.hash
    text, _ = api.export_program(db)
    assert text.rstrip().endswith("x * x")


def test_an_exported_program_writes_a_rate_the_search_drew_out_of_range_as_it_ran(tmp_path: Path) -> None:
    """A search draws literals from [-2, 2], so a found model may hold dropout(1.7), which ran as dropout(0.9)
    (the runtime clamps); ``export DB -o FILE.mlev`` writes the value it ran with, so the file checks (a person's
    dropout(1.7) is refused) and computes what the run did."""
    from dataclasses import replace

    found = ("algorithm nets\ntask iris\n\nmodel net() -> Layer =\n"
             "  seq(dense(8), dropout(1.7), dropout(-0.5), dropout(0.3))\n")
    with pytest.raises(MlevError, match="dropout rate must be in"):
        api.check(found)
    db = tmp_path / "m.db"
    with Archive.for_run(db, {"program_hash": "p", "program_name": "nets", "task": "iris",
                              "evolve": ["net"]}) as archive:
        archive.add(replace(_row(0, "x", -0.5, "A"), program=found))
    text, _ = api.export_program(db)
    assert "seq(dense(8), dropout(0.9), dropout(0.0), dropout(0.3))" in text
    api.check(text)


def test_constants_are_shown_to_a_few_digits_and_kept_whole(capsys: Capsys, tmp_path: Path) -> None:
    """``best``, ``show`` and the report show a fitted constant to ``SHOWN_DIGITS`` significant digits
    (``--digits N``: N; ``--digits 0``: every digit); the archive, ``--json``'s program and ``export``
    keep every digit, so the exported program is the one that ran, bit for bit."""
    from mlevolve.results import SHOWN_DIGITS, rounded, shown_program

    assert SHOWN_DIGITS == 4
    body = "0.39500000000000013 + -1.9912345678901233 * (x * x) + 1e-7 * x"
    db = tmp_path / "d.db"
    with Archive.for_run(db, {"program_hash": "p", "program_name": "quartic", "task": "nguyen4",
                              "evolve": ["f"]}) as archive:
        archive.add(_row(0, body, -0.5, "A"))
    short = "0.395 - 1.991 * (x * x) + 1e-7 * x"
    assert shown_program(PROGRAM.format(body), only=["f"], digits=4).strip().endswith(short)
    code, out, _ = cli(capsys, "best", str(db), "-n", "1")
    assert code == 0 and short in out and "0.39500000000000013" not in out
    code, out, _ = cli(capsys, "show", str(db), "--best", "--digits", "6")
    assert code == 0 and "0.395 - 1.99123 * (x * x)" in out
    code, out, _ = cli(capsys, "show", str(db), "--best", "--digits", "0")
    assert code == 0 and "0.39500000000000013 - 1.9912345678901233 * (x * x)" in out
    assert api.best(db, 1)[0]["stored"] == PROGRAM.format(body)  # the archive's text: every digit
    assert short in data.answer(data.load(db, digits=SHOWN_DIGITS))["best"]["program"]  # the report's
    code, out, err = cli(capsys, "best", str(db), "--digits", "-1")
    assert code == 2 and "argument --digits: invalid int value: '-1'" in err  # no sign: an integer's rule
    mlev = tmp_path / "found.mlev"
    code, _, _ = cli(capsys, "export", "--db", str(db), "--best", "-o", str(mlev))
    assert code == 0 and "0.39500000000000013 - 1.9912345678901233 * (x * x)" in mlev.read_text()
    # rounding is for display: integers (sizes) stay, and no digits (None, 0) is the program itself
    program = api.parse("algorithm a\n\nmodel m() -> Layer =\n  seq(dense(64), dropout(0.123456))\n")
    assert "dense(64), dropout(0.1235)" in api.format(rounded(program, 4))
    assert rounded(program, 0) is program and rounded(program, None) is program


@pytest.mark.parametrize(("best", "start", "added"), [
    ((0.99999, 0.999999973), (0.99997, 0.999999975),
     "; yet worse on the held-out test split (test_r2 0.99999997 against the start's 0.99999998)"),
    ((0.999999979, 0.999999973), (0.999999978, 0.999999975), None),  # a gain within GAIN_RTOL: "no better"
    ((0.99, 0.97), (0.98, 0.95), ""),  # better on both: nothing added
    ((0.99, 0.95), (0.98, 0.95 + 1e-12), ""),  # worse by float rounding only: a tie, nothing added
    ((0.98, 0.95), (0.99, 0.97), None)])  # worse on the fitting split: the verdict is no "better"
def test_a_gain_the_held_out_split_does_not_share_is_said(best: tuple[float, float], start: tuple[float, float],
                                                          added: str | None) -> None:
    """A fresh user's pass: "better than the start (train_r2 1.73e-09 higher)" of a formula fitting the data's rounding,
    18 nodes against 3, whose test_r2 fell; the verdict of a gain on the fitting split says where the held-out
    split disagrees (and a gain within :data:`GAIN_RTOL`, as that one was, is no better: nothing to add)."""
    def metrics(train: float, test: float) -> dict[str, float]:
        return {"train_r2": train, "test_r2": test, "fitness": train}

    verdict = answer(metrics(*best), metrics(*start))["verdict"]
    if added is None:
        assert not verdict.startswith("better") and "held-out" not in verdict
    else:
        assert re.match(r"better than the start \(train_r2 [0-9.e+-]+ higher", verdict)
        assert verdict.endswith(added or ")")



def test_a_gain_within_the_stated_threshold_is_no_better_than_the_start() -> None:
    """Found by a new user's pass: a best whose train_r2 was 2.9e-6 above the start's read "better than the start"
    (float32 training and fitting tolerance move a metric so far); a gain must exceed GAIN_RTOL, in every message
    that compares the best with the start: the verdict, the --quiet line, the confirmation's count, the report."""
    from mlevolve.results import GAIN_RTOL

    def r2(value: float) -> dict[str, float]:
        return {"train_r2": value, "fitness": value}

    a = answer(r2(0.9990029), r2(0.9990000), confirm=[(0.999, 0.9990029), (0.999, 0.9995)])
    assert a["verdict"] == ("no better than the start (train_r2 2.9e-06 higher, within the 1e-05 relative a gain "
                            "must exceed: relative to 1, the score's scale)")
    assert (a["better"], a["tied"], a["confirm"]["better_on"]) == (False, False, 1)
    assert "(no better than the start's 0.999)" in summary.one_line({**RESULT, "answer": a})
    mse = Metric("val_mse", False, "validation")  # at the split's variance: an MSE gain of GAIN_RTOL * variance
    assert verdict(mse, 1.0, 1.0 - 0.5 * GAIN_RTOL * 4.0, variances={"val": 4.0}).endswith(
        "a gain must exceed: relative to the validation targets' variance, 4)")  # qa107: it said no scale
    assert verdict(mse, 8.0, 8.0 - 0.5 * GAIN_RTOL * 8.0, variances={"val": 4.0}).endswith(
        "a gain must exceed: relative to the larger value)")
    assert verdict(mse, 1.0, 1.0 - 2.0 * GAIN_RTOL * 4.0, variances={"val": 4.0}).startswith("better than")
    assert answer(r2(0.9991), r2(0.999))["verdict"] == (
        "better than the start (train_r2 0.0001 higher)")


@pytest.mark.parametrize(("gain", "better"), [(1, False), (5, False), (6, True), (30, True)])
def test_an_accuracy_gain_of_a_few_examples_is_within_sampling_noise(gain: int, better: bool) -> None:
    """A 20-candidate run called "1 more of 359 validation examples right" better than the start (a fresh user's
    pass, ux81): a gain of fewer than NOISE_EXAMPLES examples is "no better", ``better`` false, in the one-line
    summary too; where the split's size is not known the gain is not counted, and the verdict is as before."""
    start, best = 300 / 359, (300 + gain) / 359
    a = answer({"val_accuracy": best, "fitness": best}, {"val_accuracy": start, "fitness": start}, sizes={"val": 359})
    examples = f"{gain} more of 359 validation examples right"
    assert a["better"] is better and a["tied"] is False
    assert a["verdict"] == (f"better than the start (val_accuracy {best - start:.4g} higher, {examples})" if better
                            else f"no better than the start (val_accuracy {best - start:.4g} higher, {examples}: "
                            "fewer than 6, within sampling noise)")
    line = summary.one_line({**RESULT, "answer": a})
    assert ("(better than the start's" if better else "(no better than the start's") in line
    unsized = answer({"val_accuracy": best, "fitness": best}, {"val_accuracy": start, "fitness": start})
    assert unsized["better"] is True and unsized["verdict"].startswith("better than the start")


def test_the_noise_rule_is_an_exact_mcnemar_test_at_its_level() -> None:
    """NOISE_EXAMPLES is the fewest examples k whose best case (k discordant examples, all the best's) an exact
    two-sided McNemar test (scipy's binomial test of k of k at 1/2) calls significant at NOISE_LEVEL."""
    from scipy.stats import binomtest

    from mlevolve.results import NOISE_EXAMPLES, NOISE_LEVEL

    assert NOISE_LEVEL == 0.05
    assert NOISE_EXAMPLES == min(k for k in range(1, 64) if binomtest(k, k, 0.5).pvalue < NOISE_LEVEL) == 6


def test_a_confirm_seed_within_noise_is_a_tie_as_the_verdict_says() -> None:
    """misc88: ``show DB --confirm N`` counted a seed "better" on any gain beyond TIE_RTOL, where the verdict's rule
    (GAIN_RTOL, and NOISE_EXAMPLES for an accuracy on a split of known size) calls it no better: 1 more of 359
    examples right was a win.  Each seed now takes the verdict's rule (results.beats), either way round, and a seed
    that neither side beats beyond noise is a tie, which the line says."""
    def acc(value: float) -> dict[str, float]:
        return {"val_accuracy": value, "fitness": value}

    n = 359
    start = 0.8
    pairs = [(start, start + 1 / n), (start, start + 10 / n), (start, start - 2 / n), (start, start - 10 / n)]
    a = answer(acc(start + 1 / n), acc(start), sizes={"val": n}, confirm=pairs)
    assert a["verdict"].startswith("no better than the start") and a["better"] is False
    assert (a["confirm"]["better_on"], a["confirm"]["tied_on"]) == (1, 2)
    text = summary.spread_text(a)
    assert text is not None and text.endswith("the best was worse on average: better on 1 of 4, within noise on 2 of "
                                              "4, worse on 1 of 4")
    unsized = answer(acc(start + 1 / n), acc(start), confirm=pairs)  # the split's size unknown: no example rule
    assert (unsized["confirm"]["better_on"], unsized["confirm"]["tied_on"]) == (2, 0)
    r2 = [(0.999, 0.999 + 2e-6), (0.999, 0.999 - 2e-6)]  # within GAIN_RTOL either way: ties, not a win or a loss
    b = answer({"train_r2": 0.999, "fitness": 0.999}, {"train_r2": 0.999, "fitness": 0.999}, confirm=r2)
    assert (b["confirm"]["better_on"], b["confirm"]["tied_on"]) == (0, 2)


def test_a_spread_within_noise_on_every_seed_still_says_the_mean_is_worse() -> None:
    """conf94 (qa93): ``show --best --confirm 5`` printed "-0.005014 ... the best was tied on 5 of 5": each seed's
    gap within the noise rule, yet the best worse on average.  The line says both."""
    n, start = 359, 0.8
    pairs = [(start, start - k / n) for k in (1, 2, 3, 0, 3)]
    a = answer({"val_accuracy": start - 1 / n, "fitness": start - 1 / n}, {"val_accuracy": start, "fitness": start},
               sizes={"val": n}, confirm=pairs)
    text = summary.spread_text(a)
    assert text is not None and text.endswith("; the best was worse on average, within noise on each of 5 seeds")
    assert summary.seed_counts({**a["confirm"], "gain_mean": 0.0}, True).startswith("the same on average")
    assert summary.seed_counts({**a["confirm"], "seeds": 1, "failed": 0, "better_on": 0, "tied_on": 1}, True) == \
        "worse on the one seed (within noise)"
    assert summary.seed_counts({"seeds": 4, "failed": 0, "better_on": 4, "tied_on": 0, "gain_mean": 0.1}, True) == \
        "better on each of 4 seeds"


def test_a_tie_says_its_gain_by_the_metrics_direction_and_what_its_tolerance_is_relative_to() -> None:
    """A fresh user's pass: a learner on targets of scale 1e12 tied its start (val_mse 1.6526e-15 against a best of
    1.6083e-15, both perfect fits) and the verdict said "a difference of -4.4e-17, within float rounding: 1e-09
    relative": a lower error read as a loss, and "relative" said to what.  It now says the gain as a gain (a lower
    error is +) and what TIE_RTOL is relative to, as the "no better" branch says what GAIN_RTOL is."""
    mse = Metric("val_mse", False, "validation")
    assert verdict(mse, 1.6526e-15, 1.6083e-15, variances={"val": 0.98}) == (
        "no gain: the best found scores the same as the starting program (a gain of +4.4e-17, within float "
        "rounding: 1e-09 relative to the validation targets' variance, 0.98)")
    assert verdict(mse, 1.6083e-15, 1.6526e-15, variances={"val": 0.98}).endswith(
        "(a gain of -4.4e-17, within float rounding: 1e-09 relative to the validation targets' variance, 0.98)")
    r2 = Metric("val_r2", True, "validation")  # a score: higher is a gain, at scale 1
    assert verdict(r2, 0.5, 0.5 + 3e-10).endswith("(a gain of +3e-10, within float rounding: 1e-09 relative to 1, "
                                                   "the score's scale)")
    assert verdict(mse, 8.0, 8.0 * (1 - 1e-12), variances={"val": 4.0}).endswith(
        "(a gain of +8e-12, within float rounding: 1e-09 relative to the larger value)")
    assert verdict(mse, 8.0, 8.0, variances={"val": 4.0}) == \
        "no gain: the best found scores the same as the starting program"  # no difference: nothing to say of one
