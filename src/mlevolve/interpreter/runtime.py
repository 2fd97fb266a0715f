"""Training runtime: the loops that train and score compiled programs.

This file is self-contained (torch, numpy and the standard library only) because every exported
script carries a verbatim copy of it: `mlevolve run` and `python exported.py` execute the same code.

Three loops, one per family of component kinds:

- ``train_supervised``: model + activation + loss + optimizer update rule + augment + schedule, in a
  deterministic minibatch loop.  The update rule sees all parameters as one flat vector.
- ``run_learner``: an AutoML-Zero learner trained online, one example at a time, vectorised across
  a family of tasks; validation is one vectorised call.
- ``run_formula``: a formula evaluated over all points at once.

A program that cannot be trained (NaN, explosion, too big, too slow, a runtime error) raises
``CandidateFailure``, which the evaluator records as data.
"""

import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class CandidateFailure(Exception):
    """A program that failed to train or score: ``reason`` says what, ``where`` says when."""

    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(f"{reason} ({where})" if where else reason)
        self.reason = reason
        self.where = where


@dataclass
class Budget:
    """Limits on one evaluation; exceeding any is a recorded failure, not an error."""

    max_seconds: float = 120.0
    max_params: int = 2_000_000
    max_abs: float = 1e6  # a learner's predictions beyond this have exploded


# ---------------------------------------------------------------------------------------- layers
class Lambda(nn.Module):
    """An elementwise function (an `activation`) used as a layer."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


class Residual(nn.Module):
    """x + f(x); when f changes the width, x goes through a linear projection first."""

    def __init__(self, f: nn.Module) -> None:
        super().__init__()
        self.f = f
        self.proj: nn.Module | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.f(x)
        if y.shape[-1] == x.shape[-1]:
            return x + y
        if self.proj is None:  # created on the first (shape-finding) call, before training starts
            self.proj = nn.LazyLinear(y.shape[-1])
        projected: torch.Tensor = self.proj(x)
        return projected + y


class LayerNorm(nn.Module):
    """Layer normalisation over the last dimension, without learned scale (width-agnostic)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, x.shape[-1:])


def dropout(p: float) -> nn.Module:
    return nn.Dropout(min(max(float(p), 0.0), 0.9))


# ------------------------------------------------------------------------------ default components
def default_model(act: Callable[[torch.Tensor], torch.Tensor] = torch.relu) -> nn.Module:
    """Two hidden layers of 64 with the given activation (relu unless the program defines one)."""
    return nn.Sequential(nn.LazyLinear(64), Lambda(act), nn.LazyLinear(64), Lambda(act))


def adam(w: torch.Tensor, g: torch.Tensor, lr: torch.Tensor, t: torch.Tensor, m: torch.Tensor,
         v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The default update rule: Adam (Kingma & Ba, 2015) with its usual constants."""
    m2 = 0.9 * m + 0.1 * g
    v2 = 0.999 * v + 0.001 * g * g
    mhat = m2 / (1 - 0.9**t)
    vhat = v2 / (1 - 0.999**t)
    return w - lr * mhat / (torch.sqrt(vhat) + 1e-8), m2, v2


@dataclass
class SupervisedProgram:
    """The components of a supervised training run; None means the documented default."""

    model: Callable[[], nn.Module]
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    optimizer: Callable[..., Any] = adam
    schedule: Callable[[torch.Tensor], Any] | None = None
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None

    def learning_rate(self, progress: float) -> torch.Tensor:
        if self.schedule is None:  # Adam's customary rate; 0.01 for any other update rule
            return torch.tensor(0.001 if self.optimizer is adam else 0.01)
        return torch.as_tensor(self.schedule(torch.tensor(progress)), dtype=torch.float32)


def _optimizer_signature(fn: Callable[..., Any]) -> tuple[list[str], int]:
    """Which of (lr, t) the update rule takes, and how many state tensors follow them."""
    names = list(inspect.signature(fn).parameters)[2:]
    inputs = [n for n in names if n in ("lr", "t")]
    return inputs, len(names) - len(inputs)


def _objective(out: torch.Tensor, y: torch.Tensor, loss: Callable[..., torch.Tensor] | None,
               n_classes: int) -> torch.Tensor:
    if n_classes:
        if loss is None:
            return F.cross_entropy(out, y)
        p = torch.softmax(out, dim=1)
        return loss(p, F.one_hot(y, n_classes).to(p.dtype)).sum() / out.shape[0]
    pred = out[:, 0]
    if loss is None:
        return F.mse_loss(pred, y)
    return loss(pred[:, None], y[:, None]).sum() / out.shape[0]


def _metrics(model: nn.Module, x: torch.Tensor, y: torch.Tensor, n_classes: int, split: str) -> dict[str, float]:
    with torch.no_grad():
        out = model(x)
    if n_classes:
        return {f"{split}_accuracy": float((out.argmax(1) == y).float().mean()),
                f"{split}_loss": float(F.cross_entropy(out, y))}
    return {f"{split}_mse": float(F.mse_loss(out[:, 0], y))}


_NO_PARAMS = (nn.Sequential, Lambda, LayerNorm, nn.Dropout, nn.Identity, nn.ReLU, nn.Tanh)


def _param_bound(model: nn.Module, n_in: int) -> int | None:
    """An upper bound on the parameters of an unbuilt model, from its layers alone (None: unknown layers).

    Only dense layers change the width, so no layer sees more than the widest of the input and the
    dense outputs; a residual may add one projection of that size.
    """
    modules = list(model.modules())
    widest = max([n_in] + [m.out_features for m in modules if isinstance(m, nn.Linear | nn.LazyLinear)])
    bound = 0
    for m in modules:
        if isinstance(m, nn.Linear | nn.LazyLinear):
            bound += (widest + 1) * m.out_features
        elif isinstance(m, Residual):
            bound += (widest + 1) * widest
        elif isinstance(m, nn.BatchNorm1d | nn.LazyBatchNorm1d):
            bound += 2 * widest
        elif not isinstance(m, _NO_PARAMS):
            return None
    return bound


def _check_size(program: SupervisedProgram, n_in: int, n_out: int, budget: Budget) -> None:
    """Fail a model that is too big before allocating it.  Lazy layers allocate nothing until their
    first call, so a cheap bound from the layer list settles most models; otherwise the parameters
    are counted exactly on the meta device, where nothing is allocated either."""
    bound = _param_bound(nn.Sequential(program.model(), nn.LazyLinear(n_out)), n_in)
    if bound is not None and bound <= budget.max_params:
        return
    try:
        with torch.device("meta"):
            probe = nn.Sequential(program.model(), nn.LazyLinear(n_out))
            probe.eval()
            probe(torch.empty(2, n_in))
            n_params = sum(p.numel() for p in probe.parameters())
    except (NotImplementedError, RuntimeError):
        return  # an op without a meta kernel: the count after the real build still guards
    if n_params > budget.max_params:
        raise CandidateFailure(f"{n_params:,} parameters exceed the limit of {budget.max_params:,}", "model")


def train_supervised(data: dict[str, Any], program: SupervisedProgram, *, epochs: int = 10, batch_size: int = 64,
                     seed: int = 0, budget: Budget | None = None) -> dict[str, Any]:
    """Train a network on ``data`` (arrays x_/y_ train, val, test; n_classes, 0 for regression).

    Deterministic for a seed on CPU.  Returns validation and test metrics, the fitness (validation
    accuracy, or minus validation MSE), the parameter count, steps and seconds.
    """
    budget = budget or Budget()
    n_classes = int(data["n_classes"])
    split = {k: torch.as_tensor(data[k]) for k in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")}
    x_train, y_train = split["x_train"], split["y_train"]
    _check_size(program, x_train.shape[1], max(n_classes, 1), budget)
    started = time.perf_counter()
    torch.manual_seed(seed)
    order_rng = np.random.default_rng(seed)
    model = nn.Sequential(program.model(), nn.LazyLinear(max(n_classes, 1)))
    with torch.no_grad():  # one call fixes the lazy layers' shapes
        model.eval()
        model(x_train[:2])
    params = list(model.parameters())
    n_params = sum(p.numel() for p in params)
    if n_params > budget.max_params:
        raise CandidateFailure(f"{n_params:,} parameters exceed the limit of {budget.max_params:,}", "model")

    # All parameters live in one flat vector, so the update rule runs once per step on all of them.
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    offset = 0
    for p in params:
        p.data = flat[offset:offset + p.numel()].view_as(p)
        offset += p.numel()
    inputs, n_state = _optimizer_signature(program.optimizer)
    state = [torch.zeros_like(flat) for _ in range(n_state)]

    n = x_train.shape[0]
    steps_per_epoch = math.ceil(n / batch_size)
    total = epochs * steps_per_epoch
    step = 0
    for epoch in range(epochs):
        model.train()
        order = torch.from_numpy(order_rng.permutation(n))
        for start in range(0, n, batch_size):
            where = f"epoch {epoch + 1}, step {step + 1}"
            batch = order[start:start + batch_size]
            xb, yb = x_train[batch], y_train[batch]
            if program.augment is not None:
                xb = program.augment(xb)
            loss = _objective(model(xb), yb, program.loss, n_classes)
            if not torch.isfinite(loss):
                raise CandidateFailure("the loss is not finite", where)
            for p in params:
                p.grad = None
            if not loss.requires_grad:
                raise CandidateFailure("the loss does not depend on the prediction", where)
            loss.backward()  # type: ignore[no-untyped-call]
            grad = torch.cat([p.grad.reshape(-1) if p.grad is not None else torch.zeros(p.numel())
                              for p in params])
            step += 1
            with torch.no_grad():
                extra = {"lr": program.learning_rate((step - 1) / total), "t": torch.tensor(float(step))}
                result = program.optimizer(flat, grad, *(extra[k] for k in inputs), *state)
                new, state = (result[0], list(result[1:])) if isinstance(result, tuple) else (result, [])
                flat.copy_(torch.broadcast_to(new, flat.shape))
                if not torch.isfinite(flat).all():
                    raise CandidateFailure("the parameters are not finite", where)
            if time.perf_counter() - started > budget.max_seconds:
                raise CandidateFailure(f"over the time budget of {budget.max_seconds:g} s", where)

    model.eval()
    metrics: dict[str, Any] = {}
    metrics.update(_metrics(model, split["x_val"], split["y_val"], n_classes, "val"))
    metrics.update(_metrics(model, split["x_test"], split["y_test"], n_classes, "test"))
    metrics["fitness"] = metrics["val_accuracy"] if n_classes else -metrics["val_mse"]
    metrics.update(params=n_params, steps=step, train_seconds=round(time.perf_counter() - started, 4))
    return metrics


# ------------------------------------------------------------------------------------------ learner
@dataclass
class LearnerProgram:
    """A compiled learner: its memory's types, and its methods (setup may be None: zeros)."""

    state_types: tuple[str, ...]
    predict: Callable[..., Any]
    learn: Callable[..., Any]
    setup: Callable[..., Any] | None = None


def _shape(t: str, n_tasks: int, dim: int) -> tuple[int, ...]:
    return {"Scalar": (n_tasks,), "Vector": (n_tasks, dim), "Matrix": (n_tasks, dim, dim)}[t]


def draw(rng: np.random.Generator, law: str, a: Any, b: Any, *dims: int) -> Any:
    """Random draws for a learner: normal(mean a, std |b|) or uniform(a, b), with trailing ``dims``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    lead = np.broadcast_shapes(a.shape, b.shape)
    a, b = a.reshape(a.shape + (1,) * len(dims)), b.reshape(b.shape + (1,) * len(dims))
    if law == "normal":
        return rng.normal(a, np.abs(b), lead + dims)
    return rng.uniform(a, b, lead + dims)


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def run_learner(data: dict[str, Any], learner: LearnerProgram, *, seed: int = 0,
                budget: Budget | None = None) -> dict[str, Any]:
    """Train online over each example of every task at once, then validate (AutoML-Zero's protocol).

    ``data``: x_train (T, n, F), y_train (T, n), x_val, y_val, and ``classification`` (labels 0/1,
    predictions squashed by a sigmoid).  Fitness: validation accuracy, or minus validation MSE.
    """
    budget = budget or Budget()
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    x_train, y_train = np.asarray(data["x_train"], np.float64), np.asarray(data["y_train"], np.float64)
    x_val, y_val = np.asarray(data["x_val"], np.float64), np.asarray(data["y_val"], np.float64)
    n_tasks, _, dim = x_train.shape
    classify = bool(data.get("classification", False))
    shapes = [_shape(t, n_tasks, dim) for t in learner.state_types]
    with np.errstate(all="ignore"):
        if learner.setup is not None:
            init = learner.setup(rng)
            init = init if len(shapes) > 1 else (init,)
            state = [np.broadcast_to(np.asarray(s, np.float64), shape).copy()
                     for s, shape in zip(init, shapes, strict=True)]
        else:
            state = [np.zeros(shape) for shape in shapes]
        # Example i of every task, as contiguous (T, F) and (T,) arrays.
        for x, y in zip(np.ascontiguousarray(x_train.transpose(1, 0, 2)), np.ascontiguousarray(y_train.T),
                        strict=True):
            p = learner.predict(*state, x, rng)
            if classify:
                p = _sigmoid(p)
            new = learner.learn(*state, x, y, p, rng)
            state = list(new) if len(shapes) > 1 else [new]
            if time.perf_counter() - started > budget.max_seconds:
                raise CandidateFailure(f"over the time budget of {budget.max_seconds:g} s", "training")
        # Validation in one call: every example at once, the final state broadcast over them.
        wide = [np.broadcast_to(s, shape)[:, None] for s, shape in zip(state, shapes, strict=True)]
        pred = np.broadcast_to(learner.predict(*wide, x_val, rng), y_val.shape)
    if not np.isfinite(pred).all() or np.abs(pred).max() > budget.max_abs:
        raise CandidateFailure("predictions are not finite or exploded", "validation")
    metrics: dict[str, Any] = {}
    if classify:
        accuracy = float(((pred > 0) == (y_val > 0.5)).mean())
        metrics.update(val_accuracy=accuracy, fitness=accuracy)
    else:
        mse = float(np.mean((pred - y_val) ** 2))
        metrics.update(val_mse=mse, fitness=-mse)
    metrics["train_seconds"] = round(time.perf_counter() - started, 6)
    return metrics


# ------------------------------------------------------------------------------------------ formula
def run_formula(data: dict[str, Any], formula: Callable[..., Any]) -> dict[str, Any]:
    """Evaluate a formula on every point at once: MSE on the training and the held-out points."""
    metrics: dict[str, Any] = {}
    started = time.perf_counter()
    for split in ("train", "test"):
        x, y = np.asarray(data[f"x_{split}"], np.float64), np.asarray(data[f"y_{split}"], np.float64)
        with np.errstate(all="ignore"):
            pred = np.broadcast_to(formula(*x.T), y.shape)
            mse = float(np.mean((pred - y) ** 2))
        if not math.isfinite(mse):
            raise CandidateFailure("the formula is not finite on some points", split)
        metrics[f"{'val' if split == 'train' else 'test'}_mse"] = mse
    metrics["fitness"] = -metrics["val_mse"]
    metrics["train_seconds"] = round(time.perf_counter() - started, 6)
    return metrics
