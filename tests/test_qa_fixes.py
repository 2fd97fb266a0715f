"""Regression tests for the faults a QA engineer found trying mlevolve as a new user."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.tasks import _standardise, load_task

ROOT = Path(__file__).resolve().parents[1]


def _csv(path: Path, rows: list[tuple[float, float, float]]) -> str:
    path.write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{y!r}\n" for a, b, y in rows))
    return str(path)


# ------------------------------------------------------------------------------ 1: huge finite numbers
@pytest.mark.parametrize("column", [0, 2])
def test_numbers_near_the_float64_limit_are_standardised_not_zeroed(tmp_path: Path, column: int) -> None:
    rng = np.random.default_rng(0)
    rows = [tuple(float(v) for v in rng.uniform(-1, 1, 3)) for _ in range(40)]
    big = 1e307 if column == 0 else 1e300
    rows = [tuple(v * big if j == column else v for j, v in enumerate(r)) for r in rows]
    spec = _csv(tmp_path / "huge.csv", rows) + ":target=y:problem=regression"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning escapes
        task = load_task(spec)
    for name in ("x_train", "x_val", "x_test", "y_train", "y_val", "y_test"):
        assert np.all(np.isfinite(getattr(task, name))), name
    values = task.x_train[:, 0] if column == 0 else task.y_train
    assert float(np.std(values)) == pytest.approx(1.0, rel=1e-4)  # standardised, not all zero
    assert float(np.mean(values)) == pytest.approx(0.0, abs=1e-4)


def test_a_value_too_far_out_to_standardise_is_refused_naming_the_file_and_column() -> None:
    train = np.array([[1.0, 1e-300], [2.0, -1e-300], [3.0, 0.0]])
    val = np.array([[2.0, 1e300]])  # 1e300 / 1e-300: beyond float32 in train standard deviations
    with pytest.raises(MlevError, match=r"far.csv: feature column 2: a value is too far"):
        _standardise(train, val, name="far.csv", what="feature column")
