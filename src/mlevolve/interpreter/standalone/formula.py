"""The formula regime's loop: a formula evaluated over all points at once (numpy only)."""

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.common import CandidateFailure


def _float64(values: Any, name: str) -> Any:
    """``values``, the formula's input ``name``, as float64 in its shape (a number as a NumPy number), as mlevolve
    computes a formula: a list is an array, and integers are not multiplied and divided as integers (which
    overflow silently: 100000 ** 4) nor float32 in float32.  Raises TypeError where they are not real numbers
    (text, None, complex, a ragged list), naming the input."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as err:  # a ragged list
        raise TypeError(f"formula input {name} must be real numbers (an array, a list or a number); {err}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"formula input {name} must be real numbers (an array, a list or a number), got "
                        f"{type(values).__name__} of dtype {array.dtype}")
    return array.astype(np.float64)[()]


def run_formula(data: dict[str, Any], formula: Callable[..., Any]) -> dict[str, Any]:
    """Evaluate a formula on every point at once: MSE and R^2 on the training points (``train_mse``,
    ``train_r2``) and on fresh held-out points from the same range (``test_mse``, ``test_r2``).  The
    fitness is the training R^2 = 1 - MSE / var(y), scale-free so problems compare (a constant
    target, var 0, is scored 1 - MSE); weighted (``w_train``, ``w_test``): as scikit-learn's, ``sample_weight=w``."""
    metrics, started = dict[str, Any](), time.perf_counter()
    with np.errstate(all="ignore"):  # np.mean and np.var spelled out below: the same sums, without their bookkeeping
        for split in ("train", "test"):  # (a formula of the points has their shape: broadcast only a constant)
            x, y = np.asarray(data[f"x_{split}"], np.float64), np.asarray(data[f"y_{split}"], np.float64)
            error = (f if getattr(f := formula(*x.T), "shape", None) == y.shape else np.broadcast_to(f, y.shape)) - y
            if (w := data.get(f"w_{split}")) is None:
                mse = float(np.add.reduce(error * error, axis=None) / y.size)
                var = float(np.add.reduce(np.square(y - np.add.reduce(y, axis=None) / y.size), axis=None) / y.size)
            else:
                mse, var = weighted_mean(error * error, w), weighted_mean(np.square(y - weighted_mean(y, w)), w)
            if not math.isfinite(mse):  # (finite values far from the target: their squares overflow)
                raise CandidateFailure("the formula is not finite on some points" if not np.isfinite(f).all() else
                                       "its squared error overflows float64 (finite, but far from the target)", split)
            metrics.update({f"{split}_mse": mse, f"{split}_r2": 1.0 - mse / (var if var > 0 else 1.0)})
    return {**metrics, "fitness": metrics["train_r2"], "train_seconds": round(time.perf_counter() - started, 6)}


def weighted_mean(v: Any, w: Any) -> float:
    """``sum(w * v) / sum(w)`` of ``v`` and weights ``w`` (n,): of squared errors, scikit-learn's weighted MSE"""
    return float(np.add.reduce(w * v, axis=None) / np.add.reduce(w, axis=None))
