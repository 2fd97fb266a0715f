"""The discovery benchmarks' ``--quick`` modes run in CI (slow marker): the rediscovery of linear regression
(``benchmarks/discovery/linear_regression.py``) and the symbolic-regression peers (``benchmarks/peers.py``,
with whichever peer engines are installed).  They check that the scripts run end to end on the current code
and report what they claim to, not their numbers (those are benchmarks, in benchmarks/RESULTS.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def test_the_linear_regression_rediscovery_quick_mode_runs_every_setting_and_search() -> None:
    script = ROOT / "benchmarks" / "discovery" / "linear_regression.py"
    done = subprocess.run([sys.executable, str(script), "--quick", "--jobs", "2", "--results", "ci_check"], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "az: ERT(random) / ERT(evolution) = " in done.stdout
    written = ROOT / "benchmarks" / "discovery" / "results_ci_check.quick.json"
    try:
        result = json.loads(written.read_text())
    finally:
        written.unlink(missing_ok=True)
    assert result["quick"] is True and result["seeds"] == [0, 1]
    runs = result["runs"]
    assert set(runs) == {"az", "showcase", "showcase-fresh"} and set(runs["az"]) == {"regularized", "random"}
    for run in (r for by_alg in runs.values() for rs in by_alg.values() for r in rs):
        assert run["success"] == (float(run["best_unseen_mse"]) <= 1e-3)  # re-tested on unseen tasks ("inf": JSON)


def test_the_showcase_restart_setting_runs_the_showcase_with_restarts() -> None:
    """``showcase-restart`` (named only): the showcase with ``restart_every`` 2,000, its runs' restarts reported."""
    script = ROOT / "benchmarks" / "discovery" / "linear_regression.py"
    done = subprocess.run([sys.executable, str(script), "--quick", "--seeds", "1", "--settings", "showcase-restart",
                           "--results", "ci_check_restart"], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "showcase-restart: 'linear', --restart-every 2000" in done.stdout
    written = ROOT / "benchmarks" / "discovery" / "results_ci_check_restart.quick.json"
    try:
        result = json.loads(written.read_text())
    finally:
        written.unlink(missing_ok=True)
    (run,) = result["runs"]["showcase-restart"]["regularized"]
    assert run["restarts"] == 0 and run["budget"] == 150  # a run with restarts on reports them; 150 < 2,000


def test_the_symbolic_regression_peers_quick_mode_compares_the_installed_engines() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "peers.py"), "--quick",
                           "--engines", "mlevolve-equal,mlevolve-nofit,deap,gplearn,operon"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    for engine in ("mlevolve-equal", "mlevolve-nofit", "deap"):  # always installed; gplearn and Operon: the bench extra
        assert f"total {engine}: " in done.stdout and f"\n{engine:14} nguyen1 " in done.stdout
