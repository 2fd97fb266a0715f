"""The discovery benchmarks' ``--quick`` modes run in CI (slow marker): the rediscovery of linear regression
(``benchmarks/discovery/linear_regression.py``) and the symbolic-regression peers (``benchmarks/peers.py``,
with whichever peer engines are installed).  They check that the scripts run end to end on the current code
and report what they claim to, not their numbers (those are benchmarks, in benchmarks/RESULTS.md)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from mlevolve.gp.archive import Archive
from tests.conftest import ROOT, run_child

pytestmark = pytest.mark.slow
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def test_the_linear_regression_rediscovery_quick_mode_runs_every_setting_and_search(tmp_path: Path) -> None:
    script = ROOT / "benchmarks" / "discovery" / "linear_regression.py"
    done = run_child([sys.executable, str(script), "--quick", "--jobs", "2", "--results", "ci_check",
                      "--out-dir", str(tmp_path / "out")], cwd=ROOT, env=ENV, capture_output=True, text=True,
                     timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "az: ERT(random) / ERT(evolution) = " in done.stdout
    written = tmp_path / "out" / "results_ci_check.quick.json"  # --out-dir: created, and said
    assert f"raw results: {written}\n" in done.stdout
    result = json.loads(written.read_text())
    assert result["quick"] is True and result["seeds"] == [0, 1]
    runs = result["runs"]
    assert set(runs) == {"az", "showcase", "showcase-fixed"} and set(runs["az"]) == {"regularized", "random"}
    for run in (r for by_alg in runs.values() for rs in by_alg.values() for r in rs):
        assert run["success"] == (float(run["best_unseen_mse"]) <= 1e-3)  # re-tested on unseen tasks ("inf": JSON)
    # showcase: the README's command as it runs (a learner search's defaults); showcase-fixed: as it ran before them;
    # az: its configuration's task, and the default restarts of its population of 1,000
    ran = {(name, r["task"], r["restart_every"]) for name, by_alg in runs.items() for r in by_alg["regularized"]}
    assert ran == {("showcase", "linear:fresh=1:fitness=relative", 2000), ("showcase-fixed", "linear", 0),
                   ("az", "linear:fresh=1:fitness=relative", 20_000)}


def test_the_named_restart_settings_run_the_showcase_with_restarts_on_the_chosen_seeds(tmp_path: Path) -> None:
    """``showcase-restart`` and ``showcase-restart-fresh`` (named only): the showcase with ``restart_every``
    2,000, on the file's fixed tasks and on fresh tasks per candidate (the default's options spelled out);
    ``--seed-list`` runs its seeds in order."""
    script = ROOT / "benchmarks" / "discovery" / "linear_regression.py"
    done = run_child([sys.executable, str(script), "--quick", "--seed-list", "3,1", "--jobs", "2", "--settings",
                      "showcase-restart,showcase-restart-fresh", "--keep-db", str(tmp_path),
                      "--results", "ci_check_restart", "--out-dir", str(tmp_path)], cwd=ROOT, env=ENV,
                     capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "showcase-restart: --task 'linear:fresh=0', --restart-every 2000" in done.stdout
    assert "showcase-restart-fresh: --task 'linear:fresh=1:fitness=relative', --restart-every 2000" in done.stdout
    result = json.loads((tmp_path / "results_ci_check_restart.quick.json").read_text())
    assert result["seeds"] == [3, 1] and set(result["runs"]) == {"showcase-restart", "showcase-restart-fresh"}
    for name, task in (("showcase-restart", "linear"), ("showcase-restart-fresh", "linear:fresh=1:fitness=relative")):
        runs = result["runs"][name]["regularized"]
        assert [r["seed"] for r in runs] == [3, 1]  # in the order given, not 0 to N - 1
        for run in runs:
            assert run["restarts"] == 0 and run["budget"] == 150  # a run with restarts on reports them; 150 < 2,000
            with Archive.read(tmp_path / f"linreg-{name}-regularized-{run['seed']}-150.db") as archive:
                meta = archive.meta()  # what the search ran with, not only what the row says
            assert (meta["task"], meta["restart_every"], meta["seed"]) == (task, 2000, run["seed"])
    for args, said in ((["--seed-list", "1", "--seeds", "2"], "--seed-list names the seeds itself"),
                       (["--seed-list", "1", "--first-seed", "2"], "--seed-list names the seeds itself"),
                       (["--seed-list", ","], "--seed-list names no seed"),
                       (["--seed-list", "3,1,3"], "--seed-list: seed 3 is named twice")):
        refused = run_child([sys.executable, str(script), "--quick", *args], cwd=ROOT, env=ENV,
                            capture_output=True, text=True, timeout=600)
        assert refused.returncode == 2 and said in refused.stderr and "Traceback" not in refused.stderr, refused.stderr


def test_linear_regression_both_keeps_its_archives_on_request_and_replaces_them_on_a_rerun(tmp_path: Path) -> None:
    script = ROOT / "benchmarks" / "discovery" / "linear_regression_both.py"
    kept = tmp_path / "kept" / "dbs"  # created, parents too
    command = [sys.executable, str(script), "--seeds", "1", "--budget", "12", "--keep-db", str(kept),
               "--out", str(tmp_path / "rows.jsonl")]
    for budget in ("12", "9"):  # the rerun, with a smaller budget, replaces the archive (it does not resume it)
        command[5] = budget
        done = run_child(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        with Archive.read(kept / "s0.db") as archive:
            assert archive.count() == int(budget)
    row = json.loads((tmp_path / "rows.jsonl").read_text())
    assert row["seed"] == 0 and row["budget"] == 9


def test_linear_regression_both_runs_the_chosen_seeds_with_the_chosen_tasks_and_population(tmp_path: Path) -> None:
    script = ROOT / "benchmarks" / "discovery" / "linear_regression_both.py"
    done = run_child([sys.executable, str(script), "--seed-list", "3,1", "--budget", "6", "--population", "4",
                      "--task", "linear:fresh=1:fitness=relative", "--keep-db", str(tmp_path),
                      "--out", str(tmp_path / "rows.jsonl")], cwd=ROOT, env=ENV, capture_output=True, text=True,
                     timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert [r["seed"] for r in rows] == [3, 1]  # in the order given, not 0 to N - 1
    assert {(r["task"], r["population"]) for r in rows} == {("linear:fresh=1:fitness=relative", 4)}
    assert sorted(p.name for p in tmp_path.glob("s*.db")) == ["s1.db", "s3.db"]
    with Archive.read(tmp_path / "s3.db") as archive:  # what the search ran with, not only what the row says
        meta = archive.meta()
    assert (meta["task"], meta["population"], meta["seed"]) == ("linear:fresh=1:fitness=relative", 4, 3)
    # restarts by default, as mlevolve evolve's: every 20 x the population
    assert meta["restart_every"] == 80 and {(r["restart_every"], r["restarts"]) for r in rows} == {(80, 0)}
    empty = run_child([sys.executable, str(script), "--seed-list", ","], cwd=ROOT, env=ENV, capture_output=True,
                      text=True, timeout=600)
    assert empty.returncode == 2 and "--seed-list names no seed" in empty.stderr and "Traceback" not in empty.stderr
    twice = run_child([sys.executable, str(script), "--seed-list", "1,2,1"], cwd=ROOT, env=ENV,
                      capture_output=True, text=True, timeout=600)
    assert twice.returncode == 2 and "--seed-list: seed 1 is named twice" in twice.stderr, twice.stderr


def test_the_symbolic_regression_peers_quick_mode_compares_the_installed_engines() -> None:
    done = run_child([sys.executable, str(ROOT / "benchmarks" / "peers.py"), "--quick",
                      "--engines", "mlevolve-equal,mlevolve-nofit,deap,gplearn,operon"], cwd=ROOT, env=ENV,
                     capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    for engine in ("mlevolve-equal", "mlevolve-nofit", "deap"):  # always installed; gplearn and Operon: the bench extra
        assert f"total {engine}: " in done.stdout and f"\n{engine:14} nguyen1 " in done.stdout
    # qa107: the totals read as at "2000 evaluations" where the mlevolve arm spends ~15x: each names its own
    assert re.search(r"^total mlevolve-nofit: \d+/4 recovered \(\d+%\), [\d,]+ evaluations used a run$", done.stdout,
                     re.MULTILINE), done.stdout


def test_linear_regression_both_restarts_its_population_on_request(tmp_path: Path) -> None:
    script = ROOT / "benchmarks" / "discovery" / "linear_regression_both.py"
    done = run_child([sys.executable, str(script), "--seed-list", "2", "--budget", "30", "--population", "10",
                      "--restart-every", "10", "--keep-db", str(tmp_path), "--out", str(tmp_path / "rows.jsonl")],
                     cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (row,) = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert (row["restart_every"], row["restarts"]) == (10, 2)  # at 10 and 20 of 30 candidates
    with Archive.read(tmp_path / "s2.db") as archive:
        assert archive.meta()["restart_every"] == 10


def test_diagnose_both_reads_kept_archives_and_judges_each_best_by_its_unseen_mse(tmp_path: Path) -> None:
    folder = ROOT / "benchmarks" / "discovery"
    done = run_child([sys.executable, str(folder / "linear_regression_both.py"), "--seed-list", "2", "--budget",
                      "15", "--keep-db", str(tmp_path)], cwd=ROOT, env=ENV, capture_output=True, text=True,
                     timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = tmp_path / "diagnosis.jsonl"
    done = run_child([sys.executable, str(folder / "diagnose_both.py"), str(tmp_path), "--at", "10", "--window",
                      "8", "--top", "2", "--out", str(out)], cwd=ROOT, env=ENV, capture_output=True, text=True,
                     timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (row["seed"], row["candidates"], row["window"]) == (2, 15, 8)
    assert row["since_last_improvement"] == 15 - row["last_improvement"] and len(row["window_top"]) <= 2
    for best in (row["best"], row["best_at_10"]):
        unseen, start = best["unseen_mse"], row["start"]["unseen_mse"]
        kind = ("diverges on unseen" if unseen is None else "solved" if unseen <= 1e-3
                else "memoriser" if unseen >= start else "plateau")
        assert best["kind"] == kind and best["shown"].startswith("learner linreg")
    assert row["best_at_10"]["seq"] <= 10 <= row["best"]["seq"] or row["best_at_10"] == row["best"]
    done = run_child([sys.executable, str(folder / "diagnose_both.py"), str(tmp_path), "--at", "16"], cwd=ROOT,
                     env=ENV, capture_output=True, text=True, timeout=600)
    assert json.loads(done.stdout)["best_at_16"] is None  # not reached by a run of 15 (it was the run's best)
    (tmp_path / "none").mkdir()
    for args, said in (([tmp_path / "none"], "none: no archive sSEED.db"),
                       ([tmp_path / "absent"], "absent: no such folder"),
                       ([out], "diagnosis.jsonl: a file, not a folder"),
                       ([tmp_path, "--seed-list", "2,2"], "--seed-list: seed 2 is named twice"),
                       ([tmp_path, "--seed-list", "3"], "--seed-list: seed 3 has no archive s3.db"),
                       ([tmp_path, "--out", tmp_path / "no" / "o.jsonl"], f"no folder {tmp_path / 'no'}")):  # first
        done = run_child([sys.executable, str(folder / "diagnose_both.py"), *map(str, args)], cwd=ROOT, env=ENV,
                         capture_output=True, text=True, timeout=600)
        assert (done.returncode, done.stdout) == (2, "") and said in done.stderr.splitlines()[0], done.stderr
