"""A candidate that fails in the hurdle's short training (it raises, or its short-run fitness is not finite) is a
failure, counted once: as a failed training (``evaluated``), as a failure in the full training is, never as one the
hurdle stopped.  It was counted both as ``hurdle`` and as ``failed`` on the progress line, in the summary and in the
report, so a run whose candidates all failed showed as many "hurdle" stops as failures."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pytest

from mlevolve import check, parse_file
from mlevolve.gp.archive import Archive
from mlevolve.gp.engine import Engine, EvolveConfig
from mlevolve.gp.progress import Progress
from mlevolve.gp.search import ALGORITHMS
from mlevolve.grammar.spec import load_grammar
from mlevolve.report import data
from mlevolve.report.summary import lines
from mlevolve.results import Outcome, counted_source
from tests.conftest import ROOT

QUARTIC = ROOT / "examples" / "quartic.mlev"
BUDGET = 60


class Hurdled:
    """A stand-in evaluator with a hurdle: by its key a candidate's short training raises (``mode`` "raise"), gives
    a fitness that is not finite ("inf"), or a fitness below or above the others (the hurdle stops or passes it)."""

    supports_hurdle = True

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def fingerprint(self, program: Any, key: str) -> tuple[None, None]:
        return None, None

    def evaluate(self, program: Any, key: str, quick: bool = False) -> Outcome:
        value = int(key[:6], 16) / 2**24
        if quick and (self.mode == "all" or (self.mode == "some" and value < 0.3)):
            raise FloatingPointError("the loss diverged in the short training")
        if quick and self.mode == "some" and value < 0.5:
            return Outcome({"fitness": -math.inf})  # not finite: a failure once the hurdle's window is full
        return Outcome({"fitness": value})


def _run(tmp_path: Path, mode: str) -> tuple[list[str], dict[str, Any], list[Any]]:
    """Run a search of BUDGET candidates with :class:`Hurdled`; its progress lines, summary and archived rows."""
    stream = io.StringIO()
    config = EvolveConfig(budget=BUDGET, population=10, init="random", fit=False, hurdle_warmup=5)
    with Archive.for_run(tmp_path / f"{mode}.db", {"test": mode}) as archive:
        engine = Engine(check(parse_file(QUARTIC)), ["f"], load_grammar(), Hurdled(mode), archive, config,
                        Progress(BUDGET, stream=stream))
        ALGORITHMS["regularized"](engine)
        summary = engine.summary()
    with Archive.read(tmp_path / f"{mode}.db") as archive:
        rows = list(archive.rows())
    return stream.getvalue().splitlines(), summary, rows


def test_a_run_whose_every_candidate_fails_in_the_hurdle_counts_failures_not_hurdle_stops(tmp_path: Path) -> None:
    """Golden lines: every candidate failed in the short training: the hurdle stopped none."""
    shown, summary, rows = _run(tmp_path, "all")
    cached = sum(r.source == "cache" for r in rows)
    assert shown[-1].startswith(
        f"[    {BUDGET}/{BUDGET}] fittest -  cache {cached}  fec 0  hurdle 0  probe 0  failed {BUDGET}  (")
    assert {r.source for r in rows} <= {"evaluated", "cache"} and all(r.failure for r in rows)
    result = {"hurdle": 0, **summary, "db": "r.db", "seconds": 1.0, "replayed": 0, "answer": None, "failures": []}
    head = lines(result)[0]  # a hurdled run's summary holds a hurdle count, 0 too (api.evolve)
    assert head == (f"{BUDGET} candidates (0 from the archive): evaluated {BUDGET - cached}, cache {cached}, fec 0, "
                    f"hurdle 0, probe 0, failed {BUDGET}")


def test_each_candidate_is_counted_under_one_step_and_a_hurdle_stop_has_a_fitness(tmp_path: Path) -> None:
    """Candidates that fail in the short training (raising, or a fitness that is not finite), that the hurdle stops
    and that it passes: the steps' counts add up to the candidates, on the progress line, in the summary and in the
    report's counts, and every candidate counted as a hurdle stop has its short run's fitness."""
    shown, summary, rows = _run(tmp_path, "some")
    by_source = {s: sum(r.source == s for r in rows) for s in ("evaluated", "cache", "fec", "hurdle", "probe")}
    failed = sum(r.fitness is None for r in rows)
    assert by_source["hurdle"] > 0 and failed > 0 and sum(by_source.values()) == BUDGET
    assert all(r.fitness is not None and r.failure is None for r in rows if r.source == "hurdle")
    assert any("not a finite number" in (r.failure or "") for r in rows if r.source == "evaluated")  # via checked
    assert shown[-1].startswith(f"[    {BUDGET}/{BUDGET}] fittest ")
    assert f"  hurdle {by_source['hurdle']}  probe {by_source['probe']}  failed {failed}  (" in shown[-1]
    assert {k: summary.get(k, 0) for k in by_source} == by_source and summary["failed"] == failed
    counts = data.counts(data.load(tmp_path / "some.db"))
    assert {k: counts[k] for k in by_source} == by_source and counts["failed"] == failed


@pytest.mark.parametrize(("source", "failed", "counted"), [
    ("hurdle", True, "evaluated"), ("hurdle", False, "hurdle"), ("evaluated", True, "evaluated"),
    ("probe", True, "probe"), ("cache", True, "cache"), ("fec", True, "fec")])
def test_only_a_failure_in_the_hurdle_changes_step(source: str, failed: bool, counted: str) -> None:
    assert counted_source(source, failed) == counted


def test_an_older_archives_failures_in_the_hurdle_read_as_failed_trainings(tmp_path: Path) -> None:
    """An archive written before the fix holds such failures as ``hurdle``: read, they count as the fix counts."""
    with Archive.for_run(tmp_path / "old.db", {"test": "old"}) as archive:
        archive.store(0, "a" * 64, "algorithm a\n", None, {}, "FloatingPointError: diverged", "training", "hurdle",
                      None, "init", (), 0, 1, 0.1, 0.0, None)
        archive.store(1, "b" * 64, "algorithm b\n", 0.25, {"quick_fitness": 0.25, "hurdle": 0.5}, None, None,
                      "hurdle", None, "init", (), 0, 1, 0.1, 0.0, None)
    with Archive.read(tmp_path / "old.db") as archive:
        assert [r.source for r in archive.rows()] == ["evaluated", "hurdle"]
