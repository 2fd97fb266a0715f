"""The learner regime's loop: an AutoML-Zero learner trained online, one example at a time,
vectorised across a family of tasks; validation is one vectorised call (numpy only)."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.common import Budget, CandidateFailure


@dataclass
class LearnerProgram:
    """A compiled learner: its memory's types, and its methods (setup may be None: zeros)."""
    state_types: tuple[str, ...]
    predict: Callable[..., Any]
    learn: Callable[..., Any]
    setup: Callable[..., Any] | None = None


def draw(rng: np.random.Generator, law: str, a: Any, b: Any, *dims: int) -> Any:
    """Random draws for a learner: normal(mean a, std |b|) or uniform(a, b), with trailing ``dims``; uniform
    is ``a + (b - a) * U[0, 1)`` (numpy's formula), so any bounds work, with IEEE semantics (no error)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    lead = np.broadcast_shapes(a.shape, b.shape)
    a, b = a.reshape(a.shape + (1,) * len(dims)), b.reshape(b.shape + (1,) * len(dims))
    if law == "normal":
        return rng.normal(a, np.abs(b), lead + dims)
    u = rng.random(lead + dims)
    with np.errstate(all="ignore"):
        return a + (b - a) * u


def run_learner(data: dict[str, Any], learner: LearnerProgram, *, seed: int = 0,
                budget: Budget | None = None, pred: Any = None) -> dict[str, Any]:
    """Train online on all tasks at once, then validate (AutoML-Zero's protocol), or take ``pred``, the predictions.
    ``data``: x_train (T, n, F), y_train (T, n), x_val, y_val, ``classification`` (labels 0/1, through a sigmoid).
    Fitness: val accuracy, or -MSE; ``data["fitness"]`` "squashed": mean over tasks of 1 - (2/pi) arctan(RMSE_t)
    (AutoML-Zero's FlipAndSquash, Real et al. 2020); "relative": the same of RMSE_t / RMS(y_t) (0 scores 0.5)."""
    budget, started = budget or Budget(), time.perf_counter()
    pred = learner_predictions(data, learner, seed=seed, budget=budget) if pred is None else pred
    y_val = np.asarray(data["y_val"], np.float64)
    if not np.isfinite(pred).all() or np.abs(pred).max() > budget.max_abs:
        raise CandidateFailure("predictions are not finite or exploded", "validation")
    metrics: dict[str, Any] = {}
    if data.get("classification", False):
        accuracy = float(((pred > 0) == (y_val > 0.5)).mean())
        metrics.update(val_accuracy=accuracy, fitness=accuracy)
    else:
        per_task = np.mean((pred - y_val) ** 2, axis=-1)
        mse = float(np.mean(per_task))
        metrics.update(val_mse=mse, fitness=-mse)
        if data.get("fitness") in ("squashed", "relative"):  # relative: each task's MSE over that of predicting 0
            scale = np.maximum(np.mean(y_val**2, axis=-1), 1e-12) if data["fitness"] == "relative" else 1.0
            metrics["fitness"] = float(np.mean(1.0 - (2.0 / math.pi) * np.arctan(np.sqrt(per_task / scale))))
    return {**metrics, "train_seconds": round(time.perf_counter() - started, 6)}


def learner_predictions(data: dict[str, Any], learner: LearnerProgram, *, seed: int = 0,
                        budget: Budget | None = None) -> Any:
    """Validation predictions (T, n_val), pre-sigmoid, after online training; a :class:`CandidateFailure` at the
    first example predicted over ``budget.max_error`` off (or not finite), or past ``budget.max_seconds``."""
    budget, started = budget or Budget(), time.perf_counter()
    rng = np.random.default_rng(seed)
    x_train, y_train, x_val, y_val = (np.asarray(data[k], np.float64) for k in ("x_train", "y_train", "x_val", "y_val"))
    n_tasks, _, dim = x_train.shape
    classify = bool(data.get("classification", False))
    shapes = [{"Scalar": (n_tasks,), "Vector": (n_tasks, dim), "Matrix": (n_tasks, dim, dim)}[t]
              for t in learner.state_types]
    with np.errstate(all="ignore"):
        init = (0.0,) * len(shapes) if learner.setup is None else learner.setup(rng)  # no setup: zeros
        init = init if len(shapes) > 1 or learner.setup is None else (init,)
        state = [np.broadcast_to(np.asarray(v, np.float64), dims).copy() for v, dims in zip(init, shapes, strict=True)]
        for step, (x, y) in enumerate(zip(np.ascontiguousarray(x_train.transpose(1, 0, 2)),  # example i of each task
                                          np.ascontiguousarray(y_train.T), strict=True), 1):
            p = learner.predict(*state, x, rng)
            p = 1.0 / (1.0 + np.exp(-p)) if classify else p
            error = np.abs(np.asarray(p, np.float64) - y)
            if not (error <= budget.max_error).all():  # NaN compares False: caught here too
                far = f"off by {float(error.max()):.3g} (more than {budget.max_error:g} from its target)"
                raise CandidateFailure(f"diverged: a prediction is {far if np.isfinite(error).all() else 'not finite'}",
                                       f"training step {step} of {x_train.shape[1]}")
            new = learner.learn(*state, x, y, p, rng)
            state = list(new) if len(shapes) > 1 else [new]
            if time.perf_counter() - started > budget.max_seconds:
                raise CandidateFailure(f"over the time budget of {budget.max_seconds:g} s", "training")
        # Validation in one call: every example at once, the final state broadcast over them.
        wide = [np.broadcast_to(s, shape)[:, None] for s, shape in zip(state, shapes, strict=True)]
        return np.broadcast_to(learner.predict(*wide, x_val, rng), y_val.shape)
