"""A wall-clock limit for a whole search (``--max-time``, ``evolve(max_time=)``, ``SymbolicRegressor(max_time=)``).

The engine is driven with a stub clock that an evaluator advances by one second per candidate it scores, so where a
limited run stops is known exactly, with no sleep: every algorithm starts its candidates through
``Engine.budget_left``, which reads the clock; in process one candidate is in flight at a time, so a limit of 10.5 s
stops every algorithm after its eleventh scored candidate.  Then: a limit longer than the run changes no archive row; a
run stopped by the clock and resumed (by replay, as a run scored in order is) ends row for row as the unlimited one;
each call goes at least one candidate past its archive; the summary's lines; the settings' golden errors; the CLI;
and one end-to-end run with ``--workers 2``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlevolve import check, parse_file
from mlevolve.api import evolve
from mlevolve.gp.archive import Archive
from mlevolve.gp.engine import Engine, EvolveConfig
from mlevolve.gp.search import ALGORITHMS
from mlevolve.grammar.spec import load_grammar
from mlevolve.report import summary as shown
from mlevolve.results import Failure, Outcome
from tests.conftest import ROOT, Capsys, archive_count, archive_rows, run_mlevolve, usage_error

QUARTIC = ROOT / "examples" / "quartic.mlev"
COLUMNS = ("seq", "hash", "program", "fitness", "metrics", "failure", "source", "fingerprint", "operator", "parents",
           "generation", "size")


class Ticking:
    """An evaluator answering at once whose every fingerprint (one per candidate not answered by the cache or by
    an equal program in flight) moves the stub clock on by ``step`` seconds."""

    supports_hurdle = False

    def __init__(self, step: float = 1.0) -> None:
        self.now = 0.0
        self.step = step
        self.scored = 0

    def clock(self) -> float:
        return self.now

    def fingerprint(self, program: Any, key: str) -> tuple[str, None]:
        self.now += self.step
        self.scored += 1
        return key[:8], None

    def evaluate(self, program: Any, key: str, quick: bool = False) -> Outcome:
        return Outcome({"fitness": int(key[:6], 16) / 2**24})


def config(algorithm: str, budget: int = 80, **kw: Any) -> EvolveConfig:
    return EvolveConfig(algorithm=algorithm, budget=budget, population=12, init="random", fit=False, **kw)


def search(db: Path, cfg: EvolveConfig, evaluator: Ticking | None = None) -> Engine:
    """One call of the run of ``cfg`` on archive ``db`` (resumed where it holds candidates), in process."""
    evaluator = evaluator or Ticking()
    with Archive.for_run(db, {"algorithm": cfg.algorithm}) as archive:
        engine = Engine(check(parse_file(QUARTIC)), ["f"], load_grammar(), evaluator, archive, cfg,
                        clock=evaluator.clock)
        ALGORITHMS[cfg.algorithm](engine)
    return engine


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_every_algorithm_stops_at_the_time_limit(tmp_path: Path, algorithm: str) -> None:
    """10.5 s at one second per scored candidate: the eleventh passes the limit, and no candidate starts after it
    (a generational algorithm cut mid-generation), the summary saying the limit and the budget it fell short of."""
    evaluator = Ticking()
    engine = search(tmp_path / "t.db", config(algorithm, max_time=10.5), evaluator)
    assert evaluator.scored == 11
    assert engine.timed_out and engine.seq < 80 and archive_count(tmp_path / "t.db") == engine.seq
    assert engine.summary()["time_limit"] == {"max_time": 10.5, "budget": 80}


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_a_limit_longer_than_the_run_changes_nothing(tmp_path: Path, algorithm: str) -> None:
    limited = search(tmp_path / "limited.db", config(algorithm, max_time=1e9))
    search(tmp_path / "free.db", config(algorithm))
    assert archive_rows(tmp_path / "limited.db", COLUMNS) == archive_rows(tmp_path / "free.db", COLUMNS)
    assert len(archive_rows(tmp_path / "free.db")) == 80
    assert not limited.timed_out and limited.summary()["time_limit"] is None


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_calls_with_a_limit_reach_the_budget_as_one_unlimited_run(tmp_path: Path, algorithm: str) -> None:
    """Each call of a limited run gets a fresh allowance and goes on where the last stopped (a replay: what it
    archived is a prefix of the seed's run); the calls end, at the budget, with the archive of one unlimited run."""
    db = tmp_path / "calls.db"
    counts = []
    while not counts or counts[-1] < 80:
        search(db, config(algorithm, max_time=20.5))
        counts.append(archive_count(db))
    assert len(counts) > 2 and counts == sorted(set(counts))  # each call got further
    search(tmp_path / "free.db", config(algorithm))
    assert archive_rows(db, COLUMNS) == archive_rows(tmp_path / "free.db", COLUMNS)


def test_resumed_without_a_limit_it_ends_as_the_unlimited_run(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    assert search(db, config("mu_plus_lambda", max_time=14.5)).timed_out  # stopped inside its second generation
    resumed = search(db, config("mu_plus_lambda"))
    assert not resumed.timed_out and resumed.seq == 80
    search(tmp_path / "free.db", config("mu_plus_lambda"))
    assert archive_rows(db, COLUMNS) == archive_rows(tmp_path / "free.db", COLUMNS)


def test_each_call_goes_one_candidate_past_its_archive(tmp_path: Path) -> None:
    """A limit shorter than one candidate: the first call scores one, the next one more (its replay of the first
    is not enough), so the same command always progresses."""
    db = tmp_path / "one.db"
    for held in (1, 2, 3):
        engine = search(db, config("regularized", max_time=0.5), Ticking(step=100.0))
        assert engine.timed_out and archive_count(db) == held


class Failing(Ticking):
    """A :class:`Ticking` evaluator whose first ``failures`` scored candidates fail (a random formula's NaN)."""

    def __init__(self, failures: float, step: float = 100.0) -> None:
        super().__init__(step)
        self.failures = failures

    def evaluate(self, program: Any, key: str, quick: bool = False) -> Outcome:
        if self.scored <= self.failures:
            return Outcome({}, Failure("NaN loss", "training"))
        return super().evaluate(program, key, quick)


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
@pytest.mark.parametrize(("failures", "scored"), [(0, 1), (4, 5), (math.inf, 12)])
def test_a_limit_waits_for_a_first_success_within_a_population(tmp_path: Path, algorithm: str, failures: float,
                                                              scored: int) -> None:
    """A limit shorter than one candidate whose first candidates fail: the run goes on until one has succeeded
    (a fit then has a formula, fix63: SymbolicRegressor(max_time=0.1) raised after one failed formula), and where
    every one fails, stops after a population's worth (12 here) rather than at the budget."""
    evaluator = Failing(failures)
    engine = search(tmp_path / "f.db", config(algorithm, max_time=0.5), evaluator)
    assert engine.timed_out and evaluator.scored == scored == archive_count(tmp_path / "f.db")
    assert (engine.best is None) == (failures == math.inf)


def test_a_resumed_run_that_held_a_success_stops_after_one(tmp_path: Path) -> None:
    """The success may be the archive's own: a resumed call whose new candidates fail still stops after one."""
    db = tmp_path / "held.db"
    search(db, config("regularized", budget=3))
    engine = search(db, config("regularized", max_time=0.5), Failing(math.inf))
    assert engine.timed_out and archive_count(db) == 4


def test_a_reloaded_run_stops_at_the_limit_and_resumes(tmp_path: Path) -> None:
    """The parallel backends' resume (a reload, not a replay) is limited alike and goes on from its archive."""
    db = tmp_path / "reload.db"

    def call(cfg: EvolveConfig) -> Engine:
        evaluator = Ticking()
        with Archive.for_run(db, {"reload": True}) as archive:
            engine = Engine(check(parse_file(QUARTIC)), ["f"], load_grammar(), evaluator, archive, cfg,
                            clock=evaluator.clock, replay=False)
            ALGORITHMS[cfg.algorithm](engine)
        return engine

    assert call(config("regularized", max_time=9.5)).timed_out
    first = archive_count(db)
    assert 10 <= first < 80
    assert call(config("regularized", max_time=9.5)).timed_out and archive_count(db) > first
    assert not call(config("regularized")).timed_out and archive_count(db) == 80


def _slow_pass(monkeypatch: pytest.MonkeyPatch, clock: Ticking, seconds: float = 1.0) -> None:
    """Make a resumed run's pass over its archive take ``seconds`` of ``clock`` a row, whichever way it goes:
    a replay (a run scored in order: ``Engine.start``) or a reload (a parallel one: ``RunRecord.reload``) reads
    each row's outcome through ``stored_outcome``."""
    import mlevolve.gp.engine as engine_module
    import mlevolve.gp.record as record

    read = record.stored_outcome

    def slow_read(row: Any) -> Any:
        clock.now += seconds
        return read(row)

    monkeypatch.setattr(record, "stored_outcome", slow_read)
    monkeypatch.setattr(engine_module, "stored_outcome", slow_read)


@pytest.mark.parametrize("replay", [True, False], ids=["serial-replay", "parallel-reload"])
def test_a_resumed_runs_pass_over_its_archive_is_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          replay: bool) -> None:
    """A resumed run's pass over its archive (30 rows at a stub second each: 30 s) is start-up on both paths, the
    clock starting with the first candidate the archive does not hold: a 9.5 s limit scores ten new candidates at a
    second each.  The serial replay was counted, a limit shorter than it scoring one a call (qa70: a quartic run's
    20,000 candidates replayed in about 14 s, ``--max-time 2`` scored one); a parallel run's reload, its rows'
    programs left unparsed (gp.record.Reloaded), was start-up already (qa62)."""
    db = tmp_path / "resumed.db"
    evaluator = Ticking()

    def call(cfg: EvolveConfig) -> Engine:
        with Archive.for_run(db, {"replay": replay}) as archive:
            engine = Engine(check(parse_file(QUARTIC)), ["f"], load_grammar(), evaluator, archive, cfg,
                            clock=evaluator.clock, replay=replay)
            ALGORITHMS[cfg.algorithm](engine)
        return engine

    call(config("regularized", budget=30))
    assert archive_count(db) == 30
    _slow_pass(monkeypatch, evaluator)
    before, began = evaluator.scored, evaluator.now
    assert call(config("regularized", max_time=9.5)).timed_out
    assert evaluator.now - began >= 30 + 10  # the pass's 30 stub seconds, then the limit's
    assert evaluator.scored - before == 10 and archive_count(db) >= 40


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process-replay", "process-pool-reload"])
def test_a_resume_under_a_limit_shorter_than_its_pass_runs_to_its_budget(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        workers: int) -> None:
    """On the backends the command uses (in process, replayed; a process pool of two workers, reloaded), a resume
    whose pass over its archive (40 rows: 40 stub seconds) outlasts its limit (9.5 s) on a clock that nothing else
    moves scores every new candidate its budget allows, as an unlimited one does, and says no time limit."""
    from mlevolve.gp.backends import InProcess, ProcessPool
    from tests.gp.test_parallel import KeyEvaluator, KeyFactory

    db = tmp_path / f"{workers}.db"
    clock = Ticking()

    def call(cfg: EvolveConfig) -> Engine:
        backend = InProcess(KeyEvaluator) if workers == 1 else ProcessPool(KeyFactory(), workers=workers, timeout=60)
        try:
            with Archive.for_run(db, {"workers": workers}) as archive:
                engine = Engine(check(parse_file(QUARTIC)), ["f"], load_grammar(), KeyEvaluator(), archive, cfg,
                                backend=backend, clock=clock.clock, replay=workers == 1)
                ALGORITHMS[cfg.algorithm](engine)
        finally:
            backend.close()
        return engine

    call(config("regularized", budget=40))
    _slow_pass(monkeypatch, clock)
    engine = call(config("regularized", budget=100, max_time=9.5))
    assert clock.now == 40.0  # the pass moved the clock past the limit
    assert (engine.seq, archive_count(db), engine.timed_out, engine.summary()["time_limit"]) == (100, 100, False, None)


def test_the_summary_says_where_it_stopped(tmp_path: Path) -> None:
    """Through the API on the real clock: a limit of a microsecond stops a 2,000-candidate run early; the summary,
    its lines and the one-line summary say so; the archive serves ``best`` and a resume with no limit reaches the
    budget."""
    from mlevolve.api import best
    from mlevolve.api import report as report_of

    db = tmp_path / "q.db"
    result = evolve(QUARTIC, ["f"], db=db, budget=2000, population=20, quiet=True, max_time=1e-6)
    n = result["candidates"]
    assert 1 <= n < 2000 and result["time_limit"] == {"max_time": 1e-6, "budget": 2000}
    assert f"stopped at the time limit of 1e-06 s after {n:,} of 2,000 candidates: the same command resumes it " \
        "with a fresh allowance" in shown.lines(result)
    assert shown.one_line(result).endswith(f"{n:,} candidate{'s' * (n > 1)} of 2,000, stopped at the time limit; "
                                           f"archive {db}")
    assert best(db)[0]["hash"]  # the archive serves best as any run's
    report = report_of(db, db.with_suffix(".html"))
    assert report["state"] == "finished at the time limit of 1e-06 s, before the budget of 2,000"
    resumed = evolve(QUARTIC, ["f"], db=db, budget=n + 5, population=20, quiet=True)
    assert resumed["candidates"] == n + 5 and resumed["time_limit"] is None
    assert report_of(db, db.with_suffix(".html"))["state"] == "finished"


def test_a_long_limit_leaves_the_api_runs_archive_as_it_was(tmp_path: Path) -> None:
    args: dict[str, Any] = {"budget": 120, "population": 20, "init": "random", "quiet": True}
    evolve(QUARTIC, ["f"], db=tmp_path / "a.db", **args)
    result = evolve(QUARTIC, ["f"], db=tmp_path / "b.db", max_time=1e6, **args)
    assert result["time_limit"] is None
    assert archive_rows(tmp_path / "a.db", COLUMNS) == archive_rows(tmp_path / "b.db", COLUMNS)


@pytest.mark.parametrize(("value", "said"), [
    (0, "error: max_time must be a positive, finite number of seconds, got 0"),
    (-1.0, "error: max_time must be a positive, finite number of seconds, got -1"),
    (math.nan, "error: max_time must be a positive, finite number of seconds, got nan"),
    (math.inf, "error: max_time must be a positive, finite number of seconds, got inf"),
    ("60", "error: max_time must be an int or float, got '60'"),
])
def test_the_apis_bad_values(value: Any, said: str) -> None:
    from mlevolve.dsl.errors import SettingError

    with pytest.raises(SettingError) as err:
        evolve(QUARTIC, ["f"], max_time=value)
    assert str(err.value).startswith(said)


@pytest.mark.parametrize(("value", "first"), [
    ("0", "mlevolve evolve: error: --max-time must be a positive, finite number of seconds, got 0"),
    ("1e400", "mlevolve evolve: error: argument --max-time: invalid float value: '1e400'"),
    ("-1", "mlevolve evolve: error: argument --max-time: invalid float value: '-1'"),
    ("nan", "mlevolve evolve: error: argument --max-time: invalid float value: 'nan'"),
    ("inf", "mlevolve evolve: error: argument --max-time: invalid float value: 'inf'"),
    ("ten", "mlevolve evolve: error: argument --max-time: invalid float value: 'ten'"),
])
def test_the_commands_bad_values(capsys: Capsys, value: str, first: str) -> None:
    err = usage_error(capsys, "evolve", str(QUARTIC), "--max-time", value)
    lines = err.splitlines()
    assert lines[0] == first and len(lines) == 2
    if value == "1e400":  # it said "got inf" (fix63): the value typed, and why it is none
        assert lines[1] == "hint: 1e400 is too large: a float64 is at most about 1.8e308; run `mlevolve evolve --help`"
    elif "invalid float" in first:
        assert lines[1].startswith("hint: a number is ASCII digits with an optional fraction and exponent")
    else:
        assert lines[1] == ("hint: the search's wall-clock limit, e.g. 60 or 0.5; leave it out for no limit (the "
                            "budget alone ends the run)")


def test_the_estimators_max_time(tmp_path: Path) -> None:
    """scikit-learn's conventions: stored as given, checked in ``fit`` (a ValueError in its words); a NumPy number is
    taken; a short limit ends the fit early, ``summary_`` saying so, and a fit with the same ``db`` goes on."""
    from sklearn.base import clone

    from mlevolve import SymbolicRegressor

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, (60, 2))
    y = X[:, 0] ** 2 / X[:, 1]
    model = SymbolicRegressor(budget=1000, max_time=np.float64(1e-6), db=tmp_path / "sr.db", prune=False)
    assert clone(model).max_time == model.max_time
    model.fit(X, y)
    n = model.summary_["candidates"]
    assert n < 1000 and model.summary_["time_limit"] == {"max_time": 1e-6, "budget": 1000}
    again = SymbolicRegressor(budget=n + 3, db=tmp_path / "sr.db", prune=False).fit(X, y)
    assert again.summary_["candidates"] == n + 3 and again.summary_["time_limit"] is None
    for bad in (0, -2.0, math.nan, math.inf):
        with pytest.raises(ValueError, match=r"^max_time must be a positive, finite number of seconds"):
            SymbolicRegressor(budget=5, max_time=bad).fit(X, y)


@pytest.mark.parametrize("seed", [0, 18])
def test_a_short_limit_still_fits_a_formula(seed: int) -> None:
    """Seeds whose first random formula fails on this data (a log or sqrt of a negative): a limit shorter than one
    candidate fitted nothing and raised (a GridSearchCV score of NaN); the search now goes on to its first success."""
    from mlevolve import SymbolicRegressor

    X = np.random.default_rng(0).uniform(-5, 5, (40, 2))
    model = SymbolicRegressor(budget=500, max_time=1e-6, random_state=seed, prune=False).fit(X, X[:, 0] ** 2 - X[:, 1])
    assert model.summary_["candidates"] > 1 and np.isfinite(model.predict(X)).all()


@pytest.mark.e2e
def test_two_workers_stop_at_the_time_limit_and_resume(tmp_path: Path) -> None:
    """``mlevolve evolve --workers 2 --max-time``: the candidates in flight finish, the summary line says where it
    stopped, the archive is one ``best`` reads, and the same command without the limit goes on to the budget."""
    db = tmp_path / "w.db"
    args = ("evolve", str(QUARTIC), "--init", "random", "--db", str(db), "--workers", "2")
    done = run_mlevolve(*args, "--budget", "5000", "--max-time", "0.5")
    assert done.returncode == 0, done.stderr
    n = archive_count(db)
    assert 1 <= n < 5000
    assert f"stopped at the time limit of 0.5 s after {n:,} of 5,000 candidates" in done.stdout
    assert run_mlevolve("best", str(db)).returncode == 0
    resumed = run_mlevolve(*args, "--budget", str(n + 20))
    assert resumed.returncode == 0, resumed.stderr
    assert archive_count(db) == n + 20 and "stopped at the time limit" not in resumed.stdout


def test_the_clock_starts_once_the_workers_are_ready(tmp_path: Path) -> None:
    """A process pool starts its workers in the background; their start (here 100 stub seconds) was counted in the
    limit, a run ending with the first candidates however long its limit.  With a limit the engine waits for them
    (``wait_ready``) before its clock starts, so 10.5 s still scores eleven candidates; without one it never waits
    (the pool's first requests go to the first worker ready)."""
    from mlevolve.gp.backends import InProcess

    class Starting(InProcess):
        def __init__(self, evaluator: Ticking) -> None:
            super().__init__(lambda: evaluator)
            self.evaluator, self.waited = evaluator, 0

        def wait_ready(self) -> None:
            self.waited += 1
            self.evaluator.now += 100.0

    for limit, scored, waited in ((10.5, 11, 1), (None, 80, 0)):
        evaluator = Ticking()
        backend = Starting(evaluator)
        cfg = config("regularized", max_time=limit)
        with Archive.for_run(tmp_path / f"{limit}.db", {"algorithm": cfg.algorithm}) as archive:
            engine = Engine(check(parse_file(QUARTIC)), ["f"], load_grammar(), evaluator, archive, cfg, backend=backend,
                            clock=evaluator.clock)
            ALGORITHMS[cfg.algorithm](engine)
        assert (evaluator.scored if limit else engine.seq, backend.waited) == (scored, waited)


def test_the_wait_for_the_workers_is_not_in_the_searchs_seconds(tmp_path: Path) -> None:
    """A limited run waits for its workers before its clock starts; the summary's ``seconds`` (the search's time,
    ``search X s``) leaves that wait out as the limit does: a fork server's start (2.8 s of a 4.2 s ``--max-time 3``
    run) was counted there.  Bounded without reading a duration: the run began after ``before``, and its
    ``seconds`` is at most the time since less the wait (a sleep of at least 1 s)."""
    import time

    from mlevolve.gp.backends import InProcess

    class Starting(InProcess):
        def wait_ready(self) -> None:
            time.sleep(1.0)

    evaluator = Ticking()
    cfg = config("regularized", max_time=10.5)
    before = time.perf_counter()
    with Archive.for_run(tmp_path / "w.db", {"algorithm": cfg.algorithm}) as archive:
        engine = Engine(check(parse_file(QUARTIC)), ["f"], load_grammar(), evaluator, archive, cfg,
                        backend=Starting(lambda: evaluator), clock=evaluator.clock)
        ALGORITHMS[cfg.algorithm](engine)
        seconds = engine.summary()["seconds"]
    assert evaluator.scored == 11
    assert seconds <= round(time.perf_counter() - before - 1.0, 3) + 0.001
