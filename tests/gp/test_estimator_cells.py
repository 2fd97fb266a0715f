"""A bad cell is said as the user wrote it, at its place, by one rule for X and y, in fit, predict and score (a
fresh user's finding: a pandas nullable target's missing cell was said as NaN, where X's was ``<NA>``; and
``score`` left y to scikit-learn's "Input contains NaN", naming no cell)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlevolve.estimator import SymbolicRegressor


def _data(n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).uniform(1.0, 5.0, (n, 2))
    return x, x[:, 0] ** 2 / x[:, 1] + 0.5


@pytest.fixture(scope="module")
def model() -> SymbolicRegressor:
    x, y = _data()
    return SymbolicRegressor(budget=20, population=10).fit(pd.DataFrame(x, columns=["a", "b"]), y)


MISSING = "(a missing value: drop its row or fill it in first)"
INFINITE = "(an infinity: drop its row, or clip or transform its column)"
# (dtype of the column / target, the bad value, how it is said)
CELLS = [
    ("Float64", pd.NA, f"<NA> {MISSING}"), ("Int64", pd.NA, f"<NA> {MISSING}"),
    ("boolean", pd.NA, f"<NA> {MISSING}"), ("string", pd.NA, f"<NA> {MISSING}"),
    (float, np.nan, f"NaN {MISSING}"), (float, np.inf, f"inf {INFINITE}"), (object, None, f"None {MISSING}"),
    ("datetime64[ns]", pd.NaT, f"NaT {MISSING}"),
    (object, "x", "'x' is not a number (a number written as text is ASCII digits, as 1000 or 1e3, as in a data "
                  "file: no _ or other scripts' digits)"),
]


def _column(dtype: Any, values: np.ndarray, bad: Any, at: int) -> pd.Series:
    if dtype == "datetime64[ns]":  # a date is a bad cell too: a NaT is said as such where it comes first
        return pd.Series([pd.NaT] * len(values), dtype=dtype)
    made = {"Int64": np.round(values * 10), "boolean": values > 2, "string": [str(v) for v in values],
            object: list(values)}.get(dtype, values)
    column = pd.Series(made, dtype=dtype)
    column[at] = bad
    return column


def _said(where: str, how: str) -> str:
    kind = "numbers" if "not a number" in how else "finite numbers"
    return f"{where.split('[')[0]} must hold {kind}: {where}{':' if 'not a number' in how else ' is'} {how}"


@pytest.mark.parametrize(("dtype", "bad", "how"), CELLS)
def test_a_bad_cell_is_said_alike_in_x_and_y_in_fit_predict_and_score(model: SymbolicRegressor, dtype: Any,
                                                                       bad: Any, how: str) -> None:
    x, y = _data()
    at = 0 if dtype == "datetime64[ns]" else 5
    frame = pd.DataFrame({"a": _column(dtype, x[:, 0], bad, at), "b": _column(dtype, x[:, 1], bad, at)})
    target = _column(dtype, y, bad, at)
    xs = _said(f"X[{at}, 0] (column 'a')", how)
    ys = _said(f"y[{at}]", how)
    with pytest.raises(ValueError) as raised:
        SymbolicRegressor(budget=20).fit(frame, y)
    assert str(raised.value) == xs
    with pytest.raises(ValueError) as raised:
        SymbolicRegressor(budget=20).fit(x, target)  # a Series of the column's dtype: said as in X (was NaN)
    assert str(raised.value) == ys
    with pytest.raises(ValueError) as raised:
        model.predict(frame)
    assert str(raised.value) == xs
    with pytest.raises(ValueError) as raised:
        model.score(frame, y)
    assert str(raised.value) == xs
    with pytest.raises(ValueError) as raised:
        model.score(pd.DataFrame(x, columns=["a", "b"]), target)  # scikit-learn's "Input contains NaN" before
    assert str(raised.value) == ys


def test_an_exported_learner_regressor_says_a_bad_cell_alike(tmp_path: Any) -> None:
    """The exported learner's module carries the same check (its own copy): a nullable target's <NA> is said as
    written in fit and in score."""
    import mlevolve
    from tests.conftest import EXAMPLES, load_module

    path = tmp_path / "linreg.py"
    path.write_text(mlevolve.api.export_component(EXAMPLES / "linear_regression.mlev", "linreg"))
    module = load_module(path)
    x, y = _data()
    target = _column("Float64", y, pd.NA, 5)
    for call in (lambda: module.Linreg().fit(x, target), lambda: module.Linreg().fit(x, y).score(x, target)):
        with pytest.raises(ValueError) as raised:
            call()
        assert str(raised.value) == f"y must hold finite numbers: y[5] is <NA> {MISSING}"
