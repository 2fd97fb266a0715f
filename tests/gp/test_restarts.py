"""Restarts of regularized evolution (``restart_every``, ``--restart-every``): the population dropped and
seeded again from the initial programs every N finished candidates, budget, archive, cache and FEC going on.

An oracle of the epochs read from the archive (where the initial programs sit, whose children each child
is), the count of restarts, resume (a replayed run is the uninterrupted one; a reloaded parallel run
continues inside its epoch), the archive identity, and the one-line refusals of bad values.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve.dsl.errors import MlevError, SettingError
from mlevolve.gp.archive import Row
from mlevolve.gp.engine import EvolveConfig
from mlevolve.gp.search import regularized_evolution
from mlevolve.report.summary import lines as summary_lines
from tests.conftest import Capsys, usage_error
from tests.gp.test_diversity import QUARTIC, quartic_engine, run_quartic


def epochs_oracle(rows: list[Row], population: int, every: int) -> None:
    """What restarts mean, read from the archive of a run scored in order: the initial programs (operator
    ``random``: ``init`` random) are exactly the first ``population`` candidates of each epoch of ``every``,
    and every other candidate's parents are candidates of its own epoch, made before it."""
    for row in rows:
        epoch, into = divmod(row.seq, every)
        assert (row.operator == "random") == (into < population), (row.seq, row.operator)
        if row.operator != "random":
            earlier = {r.hash for r in rows[epoch * every:row.seq]}
            assert set(row.parents) <= earlier, (row.seq, row.parents)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(population=st.integers(4, 12), extra=st.integers(0, 15), budget=st.integers(20, 90))
def test_each_epoch_starts_from_new_initial_programs_and_breeds_only_within_itself(
        tmp_path_factory: pytest.TempPathFactory, population: int, extra: int, budget: int) -> None:
    every = population + extra
    config = EvolveConfig(budget=budget, population=population, init="random", seed=budget, restart_every=every)
    with quartic_engine(tmp_path_factory.mktemp("r"), config) as engine:
        regularized_evolution(engine)
        rows = list(engine.archive.rows())
        assert [r.seq for r in rows] == list(range(budget))
        epochs_oracle(rows, population, every)
        assert engine.restarts == (budget - 1) // every  # epochs begun, less the first
        assert engine.summary()["restarts"] == engine.restarts


def test_without_restarts_a_run_is_one_epoch_and_its_identity_is_unchanged(tmp_path: Path) -> None:
    config = EvolveConfig(budget=90, population=10, init="random", seed=3)
    assert "restart_every" not in config.identity()  # archives made before restarts existed still resume
    assert replace(config, restart_every=30).identity()["restart_every"] == 30
    with quartic_engine(tmp_path, config) as engine:
        regularized_evolution(engine)
        rows = list(engine.archive.rows())
        assert [r.seq for r in rows if r.operator == "random"] == list(range(10))
        assert engine.summary()["restarts"] is None


def test_the_first_epoch_is_the_run_without_restarts(tmp_path: Path) -> None:
    """Nothing before the first restart changes: a run restarting every N candidates equals the run without
    restarts on its first N rows (every column but the clock's), then leaves it (benchmarks/RESULTS.md leans
    on this: a seed solved within N candidates without restarts is solved alike with them)."""
    def columns(row: Row) -> tuple[object, ...]:
        metrics = {k: v for k, v in row.metrics.items() if not k.endswith("seconds")}  # clock readings
        return (row.seq, row.hash, row.program, row.fitness, metrics, row.source, row.operator, row.parents)

    config = EvolveConfig(budget=90, population=10, init="random", seed=5)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    with quartic_engine(tmp_path / "a", config) as engine:
        regularized_evolution(engine)
        plain = [columns(r) for r in engine.archive.rows()]
    with quartic_engine(tmp_path / "b", replace(config, restart_every=40)) as engine:
        regularized_evolution(engine)
        restarted = [columns(r) for r in engine.archive.rows()]
    assert restarted[:40] == plain[:40] and restarted[40:] != plain[40:]


def test_a_restarted_run_differs_from_one_without_and_resuming_with_another_interval_is_refused(
        tmp_path: Path) -> None:
    plain, restarted = tmp_path / "plain.db", tmp_path / "restarted.db"
    a = run_quartic(plain, budget=80)
    b = run_quartic(restarted, budget=80, restart_every=40)
    assert a["restarts"] is None and b["restarts"] == 1
    with pytest.raises(MlevError, match=r"other settings \(restart_every: archive has 40, now 60\)"):
        run_quartic(restarted, budget=80, restart_every=60)
    # a setting left out of the identity when off (restarts, the bandit) is compared as off, both ways: it said
    # "does not match this run at candidate #40" (another version of mlevolve), and "archive has None"
    for db, options, detail in ((restarted, {}, "restart_every: archive has 40, now 0"),
                                 (plain, {"restart_every": 40}, "restart_every: archive has 0, now 40"),
                                 (plain, {"bandit": True}, "bandit: archive has off, now on")):
        with pytest.raises(MlevError) as refused:
            run_quartic(db, budget=80, **options)
        assert refused.value.message == f"archive was made with other settings ({detail})"
    again = run_quartic(restarted, budget=120, restart_every=40)  # extended: replayed, then a third epoch
    assert again["restarts"] == 2 and again["replayed"] == 80
    # the summary's count is the run's, so it stands outside the bracket of what is new (it sat inside it)
    head = summary_lines(again)[0]
    assert head.startswith("120 candidates: 80 replayed from the archive, 40 new (") and head.endswith(
        "; 2 restarts in all (every 40)"), head
    assert summary_lines(b)[0].endswith("; 1 restart (every 40)") and "restart" not in summary_lines(a)[0]
    assert (again["restart_every"], b["restart_every"]) == (40, 40) and a["restart_every"] is None  # the value used


def test_a_parallel_run_resumes_inside_its_epoch(tmp_path: Path) -> None:
    """Without replay: the epoch and the restarts so far come from the count of archived candidates; a run
    that stopped on an epoch's boundary begins the next one with new initial programs."""
    config = EvolveConfig(budget=150, population=20, init="random", seed=6, restart_every=50)
    with quartic_engine(tmp_path, config, slots=3) as engine:
        regularized_evolution(engine)
        assert engine.seq == 150 and engine.restarts == 2  # the third epoch's end begins no fourth
    with quartic_engine(tmp_path, replace(config, budget=230), slots=3, replay=False) as engine:
        assert len(engine.resumed) == 150
        regularized_evolution(engine)
        rows = list(engine.archive.rows())
        assert engine.restarts == 4  # epochs begun at 150 and 200
    # The first 20 started after the resume are initial programs; at most 2 others were in flight when the
    # last of them started, so the first 18 to finish are surely initial programs, and 20 in all.
    assert all(r.operator == "random" for r in rows[150:168])
    assert sum(r.operator == "random" for r in rows[150:200]) == 20
    assert sum(r.operator == "random" for r in rows[:150]) == 60


@pytest.mark.parametrize(("argv", "message"), [
    (("--restart-every", "10"), "mlevolve evolve: error: --restart-every must be 0 (never) or at least the "
     "--population, 20, got 10\nhint: an epoch begins by scoring a whole new population: pass --restart-every 0 "
     "or 20 or more\n"),
    (("--restart-every", "100", "--algorithm", "nsga2"), "mlevolve evolve: error: --restart-every is a setting "
     "of --algorithm regularized; this run's is nsga2: it would be ignored\nhint: add --algorithm regularized, "
     "or drop --restart-every\n"),
    (("--restart-every", "0", "--algorithm", "islands"), "mlevolve evolve: error: --restart-every is a setting "
     "of --algorithm regularized; this run's is islands: it would be ignored\nhint: add --algorithm regularized, "
     "or drop --restart-every\n"),  # typed at its default: refused as any flag typed that would be ignored
])
def test_bad_restart_settings_are_one_line_errors(tmp_path: Path, capsys: Capsys, argv: tuple[str, ...],
                                                  message: str) -> None:
    db = tmp_path / "run.db"
    err = usage_error(capsys, "evolve", str(QUARTIC), "--evolve", "f", "--budget", "30", "--population", "20",
                      "--db", str(db), *argv)
    assert err == message
    assert not db.exists()


def test_bad_restart_settings_are_refused_by_the_api(tmp_path: Path) -> None:
    with pytest.raises(SettingError, match=r"error: restart_every must be at least 0, got -1"):
        run_quartic(tmp_path / "a.db", budget=30, restart_every=-1)
    with pytest.raises(SettingError, match=r"error: restart_every must be 0 \(never\) or at least the population, 20, "
                                           r"got 19\n"):
        run_quartic(tmp_path / "a.db", budget=30, restart_every=19)
    with pytest.raises(SettingError, match="restart_every is a setting of algorithm regularized"):
        run_quartic(tmp_path / "a.db", budget=30, restart_every=40, algorithm="mu_plus_lambda")
