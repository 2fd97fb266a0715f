"""Verdicts that compare like with like (a new user's findings, stop 36): on tasks drawn per candidate the summary,
`best`, `show` and the report compare a program with the start on the same tasks, or say they could not; a worse
score is weighed by its distance from perfect; a view of an archive's first candidates leaves its prune alone."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlevolve.api as api
from mlevolve.dsl.errors import MlevError
from mlevolve.gp.archive import Archive
from mlevolve.report import data
from mlevolve.results import APART, Metric, answer, shown_metric, verdict
from tests.conftest import ROOT

LEARNER = ROOT / "examples" / "linear_regression.mlev"


def _meta(db: Path) -> dict[str, Any]:
    with Archive.read(db) as archive:
        return archive.meta()


# ------------------------------------------------------------------------------------------ the words
def test_a_worse_score_is_weighed_by_its_distance_from_perfect() -> None:
    accuracy = Metric("val_accuracy", True, "validation")
    said = verdict(accuracy, 0.976, 0.952, examples=1000)
    assert said == ("WORSE than the start (val_accuracy 0.024 lower, 24 fewer of 1,000 validation examples right, "
                    "2 times the start's 1 - val_accuracy): the starting program beats everything this run found")
    fitness = answer({"fitness": 0.95009}, {"fitness": 0.99986}, task="linear:fresh=1:fitness=relative")
    assert fitness["verdict"].startswith(
        "WORSE than the start (fitness 0.04977 lower, 356 times the start's 1 - fitness)")
    plain = answer({"fitness": 0.95009}, {"fitness": 0.99986}, task="linear")  # a fitness that reads no bound
    assert plain["verdict"] == "slightly worse than the start (fitness 0.04977 lower)"


def test_a_negative_log_likelihood_is_weighed_by_the_likelihood_ratio_not_a_ratio_of_values() -> None:
    """A flow run's verdict read "val_nll +5.346, 3.1 times the start's val_nll": an NLL has no natural zero (a
    density's is negative where it exceeds 1), so 0.01 against 0.02 nats read as 2 times and WORSE.  Its difference
    d in nats per example is the log of a likelihood ratio, exp(d), WORSE beyond 1.05 as every factor is."""
    nll = Metric("val_nll", False, "validation")
    assert verdict(nll, 0.01, 0.02, of_best=False) == (
        "slightly worse than the start (val_nll 0.01 higher, the start's likelihood 1.01 times the best's per example)")
    assert verdict(nll, -1.2, -1.1, of_best=False) == (
        "WORSE than the start (val_nll 0.1 higher, the start's likelihood 1.11 times the best's per example)")
    assert verdict(nll, 1.72, 7.066, of_best=False).startswith(
        "WORSE than the start (val_nll 5.346 higher, the start's likelihood 210 times the best's per example)")
    assert verdict(nll, 2.0, 1.5) == "better than the start (val_nll 0.5 lower)"


def test_only_the_runs_best_is_said_to_lose_to_the_start_for_the_whole_run() -> None:
    one = answer({"val_mse": 2.0, "fitness": -2.0}, {"val_mse": 1.0, "fitness": -1.0}, of_best=False)
    assert one["verdict"] == "WORSE than the start (val_mse 1 higher, 2 times the start's val_mse)"
    assert answer({"val_mse": 2.0, "fitness": -2.0}, {"val_mse": 1.0, "fitness": -1.0})["verdict"].endswith(
        ": the starting program beats everything this run found")
    apart = answer({"val_mse": 2.0, "fitness": -2.0}, {"val_mse": 1.0, "fitness": -1.0}, apart=True)
    assert apart["verdict"].endswith(APART)


@given(x=st.floats(-1e6, 1e6, allow_nan=False), digits=st.integers(1, 8))
def test_a_number_is_never_shown_as_a_round_number_it_is_not(x: float, digits: int) -> None:
    text = shown_metric(x, digits)
    assert math.isclose(float(text), x, rel_tol=10.0 ** (1 - digits), abs_tol=0.0) or "e" in text
    if "e" not in text and float(text).is_integer():
        assert float(text) == x or len(text.replace("-", "").replace(".", "")) >= 17
    assert shown_metric(0.999998, 5) == "0.999998" and shown_metric(1.0, 5) == "1"


# ------------------------------------------------------------------------------------------ the commands
@pytest.fixture(scope="module")
def no_edit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A learner search on tasks drawn per candidate whose prune kept no edit of its best (the finding's case)."""
    db = tmp_path_factory.mktemp("alike") / "t.db"
    result = api.evolve(LEARNER, ["linreg.learn"], "teacher", budget=40, seed=4, db=db, quiet=True)
    record = _meta(db)["pruned"]
    assert record["program"] is None and record["tasks"] == 100 and not record.get("failure")
    return db, result


def test_best_show_and_the_report_give_the_summarys_verdict(no_edit: tuple[Path, dict[str, Any]]) -> None:
    db, result = no_edit
    [listed] = api.best(db, n=1)
    [shown] = api.show(db)
    report = data.answer(data.load(db))
    assert report is not None
    for got in (listed["answer"], shown["answer"], report):
        assert (got["verdict"], got["gain"]) == (result["answer"]["verdict"], result["answer"]["gain"])
    assert listed["pruned"].endswith(f"where it scores fitness {shown_metric(_meta(db)['pruned']['from_fitness'])})")
    # the report's answer gave the common draw's fitness and its counts the own draw's, for one hash, unexplained
    own = f"fitness {shown_metric(listed['fitness'])} on its own draw"
    note = f"scored on the prune's 100 common tasks, as the start; {own}"
    assert report["best"]["note"] == result["answer"]["best"]["note"] == note
    assert report["best"]["pruned"] == result["answer"]["best"]["pruned"] == listed["pruned"]
    assert report["best"]["source"] != "pruned"


def test_another_candidate_is_compared_with_the_start_as_the_run_scored_both(
        no_edit: tuple[Path, dict[str, Any]]) -> None:
    db, _ = no_edit
    meta = _meta(db)
    other = next(c for c in api.best(db, n=10) if c["hash"] != meta["pruned"]["from"] and c["fitness"] is not None)
    [shown] = api.show(db, other["hash"][:12])
    assert shown["answer"]["start"]["value"] == meta["start"]["metrics"]["fitness"]  # its own draw's, not the common
    assert shown["answer"]["start"]["how"].endswith("as the run scored it, on tasks drawn for it")
    assert shown["answer"]["verdict"].endswith(APART) and "beats everything" not in shown["answer"]["verdict"]


def test_without_a_prune_the_verdict_says_the_draws_differ(tmp_path: Path) -> None:
    result = api.evolve(LEARNER, ["linreg.learn"], "linear", budget=2, db=tmp_path / "n.db", quiet=True, prune=False)
    assert result["answer"]["verdict"].endswith(APART)
    fixed = api.evolve(LEARNER, ["linreg.learn"], "linear:fresh=0", budget=2, db=tmp_path / "f.db", quiet=True,
                       prune=False)
    assert APART not in fixed["answer"]["verdict"]  # the same tasks for every candidate


def test_the_files_program_as_the_run_tuned_it_is_named_so(tmp_path: Path) -> None:
    result = api.evolve(LEARNER, ["linreg.learn"], "affine", budget=1, db=tmp_path / "a.db", quiet=True)
    best = result["answer"]["best"]
    assert best["seq"] == 0 and best["note"] == "the file's program as the run tuned its literals"
    assert not result["answer"]["verdict"].startswith("no gain")


def test_a_view_of_an_archives_first_candidates_leaves_its_prune_alone(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    whole = api.evolve(LEARNER, ["linreg.learn"], "linear", budget=400, seed=2, init="random", db=db, quiet=True)
    kept = _meta(db)["pruned"]
    view = api.evolve(LEARNER, ["linreg.learn"], "linear", budget=30, seed=2, init="random", db=db, quiet=True)
    assert view["best_hash"] != whole["best_hash"] and view["prune_cost"] > 0  # the view's best, pruned apart
    assert _meta(db)["pruned"] == kept  # the archive's stays its whole run's
    [first] = api.best(db, n=1)
    assert first["hash"] == whole["best_hash"]
    assert view["prune_cost"] == view["prune_evaluations"]  # a view's prune is its own, not added to the archive's
    named = view["next"][0].split()[3]  # `mlevolve show DB HASH ...`: a hash the archive holds (the view's candidate)
    assert api.show(db, named)[0]["hash"].startswith(named)


def test_a_program_file_passed_as_an_archive_is_named_so(tmp_path: Path) -> None:
    for read in (lambda: api.best(LEARNER), lambda: api.report(LEARNER, tmp_path / "r.html")):
        with pytest.raises(MlevError, match=r"this is a \.mlev program"):
            read()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 1000), budget=st.integers(1, 60),
       task=st.sampled_from(["linear", "affine", "teacher", "linear:fresh=0", "projected_digits:fresh=1"]),
       init=st.sampled_from(["file", "random"]), prune=st.booleans())
def test_every_command_gives_the_summarys_verdict_of_the_best(tmp_path_factory: pytest.TempPathFactory, seed: int,
                                                              budget: int, task: str, init: str, prune: bool) -> None:
    """Whatever the run (tasks drawn per candidate or fixed, pruned or not, from the file or random programs): the
    summary, `best`, `show --best` and the report give the run's best one verdict, one gain and one start value."""
    db = tmp_path_factory.mktemp("every") / "e.db"
    result = api.evolve(LEARNER, ["linreg.learn"], task, budget=budget, seed=seed, init=init, db=db, quiet=True,
                        prune=prune)
    if result["best_hash"] is None:  # every candidate failed (a random program): no best, no verdict anywhere
        assert api.best(db, n=1) == [] and data.answer(data.load(db)) is None
        return
    [listed] = api.best(db, n=1)
    [shown] = api.show(db)
    report = data.answer(data.load(db))
    assert report is not None
    want = result["answer"]
    for got in (listed["answer"], shown["answer"], report):
        assert (got["verdict"], got["gain"], got["start"]["value"]) == (want["verdict"], want["gain"],
                                                                       want["start"]["value"])


# ------------------------------------------------------------------------------------------ a start tuned
def test_a_verdict_against_a_tuned_start_says_so_with_both_values() -> None:
    """A learner run said "no gain: nothing found beat the starting program" where the start it compared with had its
    literals tuned (val_mse 1.4414) and the file's program as written scored 1.6315: the best read as no better
    than the file's program.  A verdict that is not a gain now names what it compares with, and both values."""
    mse = Metric("val_mse", False, "validation")
    tuned = ("its literals tuned", 1.6315)
    assert verdict(mse, 1.4414, 1.4414, same_program=True, written=tuned) == \
        "no gain: nothing found beat the starting program with its literals tuned (val_mse 1.4414; as written 1.6315)"
    assert verdict(mse, 1.4414, 1.4414 * (1 + 1e-12), written=tuned).startswith(
        "no gain: the best found scores the same as the starting program with its literals tuned (val_mse 1.4414; "
        "as written 1.6315) (a gain of")
    assert verdict(mse, 1.4414, 3.0, written=("its literals tuned", None)).startswith(
        "WORSE than the start with its literals tuned (val_mse 1.4414; as written it fails) (val_mse 1.559 higher")
    assert verdict(mse, 1.4414, 1.0, written=tuned) == "better than the start (val_mse 0.4414 lower)"  # as before
    assert verdict(mse, 1.4414, 1.4414, same_program=True, written=(tuned[0], 1.44140001)).endswith(
        "(val_mse 1.4414; as written 1.44140001)")  # never two values that read the same


def test_a_runs_no_gain_over_its_tuned_start_reads_alike_everywhere(tmp_path: Path) -> None:
    from mlevolve.report.summary import one_line

    db = tmp_path / "t.db"
    result = api.evolve(LEARNER, ["linreg.learn"], "affine:fresh=0", budget=5, db=db, quiet=True, prune=False)
    start = _meta(db)["start"]
    assert start["tuned"] == "its literals tuned" and start["written_metrics"]["val_mse"] > start["metrics"]["val_mse"]
    tuned = f"{start['metrics']['val_mse']:.5g}; as written {start['written_metrics']['val_mse']:.5g}"
    said = f"no gain: nothing found beat the starting program with its literals tuned (val_mse {tuned})"
    assert result["answer"]["verdict"] == said
    assert result["answer"]["start"]["as_written"] == start["written_metrics"]["val_mse"]
    report = data.answer(data.load(db))
    assert report is not None and report["verdict"] == said
    assert api.best(db, n=1)[0]["answer"]["verdict"] == api.show(db)[0]["answer"]["verdict"] == said
    assert f"(no gain over the start's {start['metrics']['val_mse']:.5g} with its literals tuned (as written " \
           f"{start['written_metrics']['val_mse']:.5g}));" in one_line(result)
