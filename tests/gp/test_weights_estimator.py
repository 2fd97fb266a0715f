"""``SymbolicRegressor.fit(X, y, sample_weight=w)`` with weights that differ: a weighted search, whose weights decide
its formula; and a weighted run's exported script, which reproduces its weighted metrics."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import r2_score

from mlevolve import SymbolicRegressor
from mlevolve.api import best
from tests.conftest import run_child, run_mlevolve


def _two_regimes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points of two regimes on one range: y = x² on the even rows, y = sin(3x) on the odd ones."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (80, 1))
    first = np.arange(80) % 2 == 0
    return X, np.where(first, X[:, 0] ** 2, np.sin(3 * X[:, 0])), first


def test_the_heavy_regime_wins_a_weighted_search(tmp_path: Path) -> None:
    X, y, first = _two_regimes()
    weights = np.where(first, 100.0, 1.0)
    weighted = SymbolicRegressor(budget=300, population=30, db=tmp_path / "w.db").fit(X, y, sample_weight=weights)
    plain = SymbolicRegressor(budget=300, population=30).fit(X, y)
    assert r2_score(y[first], weighted.predict(X[first])) > 0.99  # the heavy rows' x², found under their weight
    assert r2_score(y[first], plain.predict(X[first])) < 0.9  # unweighted, a compromise of the two
    assert weighted.score(X, y, sample_weight=weights) == r2_score(y, weighted.predict(X), sample_weight=weights)
    header = (tmp_path / "w.db.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "x0,y,sample_weight"  # the weights as the data file's weight= column


@pytest.mark.parametrize("k", [-900, 3, 1000])
def test_weights_a_power_of_two_apart_fit_the_same_program(tmp_path: Path, k: int) -> None:
    """A weighted fit under sample_weight w and w * 2**k finds the same program with the same metrics: only the
    weights' ratios count, and the reader divides them by the largest one's power of two, exactly (weights near
    1e300 were refused beyond 1e150)."""
    X, y, first = _two_regimes()
    w = np.where(first, 5.0, 0.75)
    fits = [SymbolicRegressor(budget=60, population=10, random_state=3, db=tmp_path / f"{i}.db").fit(
        X, y, sample_weight=weights) for i, weights in enumerate((w, np.ldexp(w, k)))]
    assert fits[1].program_ == fits[0].program_
    assert _no_seconds(fits[1].metrics_) == _no_seconds(fits[0].metrics_)


def _no_seconds(metrics: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in metrics.items() if "seconds" not in key}


def test_a_weighted_runs_exported_script_gives_its_weighted_metrics(tmp_path: Path) -> None:
    X, y, first = _two_regimes()
    data = tmp_path / "d.csv"
    w = np.where(first, 5.0, 0.5)
    data.write_text("x,y,w\n" + "".join(f"{a!r},{b!r},{c!r}\n" for a, b, c in zip(X[:, 0].tolist(), y.tolist(),
                                                                                  w.tolist(), strict=True)))
    program = tmp_path / "f.mlev"
    program.write_text("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  x\n", encoding="utf-8")
    db, script = tmp_path / "r.db", tmp_path / "s.py"
    for argv in (("evolve", str(program), "--task", f"{data}:target=y:weight=w", "--budget", "40", "--db", str(db),
                  "--quiet"), ("export", str(db), "--best", "-o", str(script))):
        assert run_mlevolve(*argv).returncode == 0
    metrics = best(db, digits=0)[0]["metrics"]
    ran = json.loads(run_child([sys.executable, str(script), "--json"], capture_output=True, text=True,
                               check=True, timeout=120).stdout)
    for key in ("train_mse", "train_r2", "test_mse", "test_r2"):
        assert ran[key] == metrics[key], key
