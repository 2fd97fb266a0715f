"""Training runtime: the loops that train and score compiled programs.

This file is self-contained (torch, numpy and the standard library only) because every exported
script carries a verbatim copy of it: `mlevolve run` and `python exported.py` execute the same code.

Five loops, one per family of component kinds:

- ``train_supervised``: model + activation + loss + optimizer update rule + augment + schedule, in a
  deterministic minibatch loop.  The update rule sees all parameters as one flat vector.
- ``run_learner``: an AutoML-Zero learner trained online, one example at a time, vectorised across
  a family of tasks; validation is one vectorised call.
- ``run_formula``: a formula evaluated over all points at once.
- ``train_rl``: a policy-gradient (``pg_loss``) or DQN (``td_loss``) agent trained on an environment
  made by the task (gymnasium's API; this file never imports gymnasium), scored by its greedy return.
- ``train_generative``: a VAE (``vae_loss``) or RealNVP flow (``flow_loss``) fitted to 2-D or 64-D
  samples, scored by held-out negative log-likelihood.

A program that cannot be trained (NaN, explosion, too big, too slow, a runtime error) raises
``CandidateFailure``, which the evaluator records as data.
"""

import contextlib
import inspect
import math
import time
from collections.abc import Callable, Iterator, Sequence
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


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's and numpy's global generators seeded by ``seed`` and restored after.

    Library code that draws from the global generators (layer initialisation, ``nn.Dropout``,
    ``torch.randn_like``) then draws the same numbers for the same seed in every process, whatever
    ran before; the caller's generator state is left as it was.
    """
    numpy_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # torch.manual_seed less its lazy accelerator
        if torch.cuda.is_available():  # seeding, which records a stack trace per call (~1 ms)
            torch.cuda.manual_seed_all(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            np.random.set_state(numpy_state)


def check_finite(metrics: dict[str, Any], where: str) -> dict[str, Any]:
    """``metrics`` unchanged if every number in it is finite; else a :class:`CandidateFailure`
    naming the first non-finite one (a metric becomes a fitness only when it is a number)."""
    for name, value in metrics.items():
        if isinstance(value, float | int | np.floating | np.integer) and not math.isfinite(float(value)):
            raise CandidateFailure(f"the metric {name} is not finite ({float(value)})", where)
    return metrics


@dataclass
class Budget:
    """Limits on one evaluation; exceeding any is a recorded failure, not an error."""

    max_seconds: float = 120.0
    max_params: int = 2_000_000
    max_abs: float = 1e6  # a learner's predictions beyond this have exploded
    # A learner whose training prediction misses its target by more than this has diverged: it is
    # stopped at that example (AutoML-Zero's kMaxAbsError, Real et al. 2020), not after every step.
    max_error: float = 100.0


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
    """The split's metrics.  Non-finite outputs or metrics fail the candidate on the splits that select
    (train, val); on the test split, which must never influence selection, they leave its metrics out
    (with ``test_finite`` 0 beside them) instead."""
    with torch.no_grad():
        out = model(x)
    finite = bool(torch.isfinite(out).all())
    if n_classes and finite:
        metrics = {f"{split}_accuracy": float((out.argmax(1) == y).float().mean()),
                   f"{split}_loss": float(F.cross_entropy(out, y))}
    else:
        metrics = {f"{split}_mse": float(F.mse_loss(out[:, 0], y))} if finite else {}
    if split == "test":
        return metrics if finite and all(math.isfinite(v) for v in metrics.values()) else {"test_finite": 0.0}
    if not finite:  # NaN logits have no meaningful argmax
        raise CandidateFailure("the model's outputs are not finite", split)
    return check_finite(metrics, split)


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
    are counted exactly on the meta device, where nothing is allocated either.  A dense layer whose
    width (computed at run time) is not a whole number from 1 to ``budget.max_params`` fails here:
    a zero width would leave the layers after it uninitialised."""
    model = program.model()
    for m in model.modules():
        if isinstance(m, nn.Linear | nn.LazyLinear):
            _check_width(m.out_features, budget)
    bound = _param_bound(nn.Sequential(model, nn.LazyLinear(n_out)), n_in)
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
    _check_count(n_params, budget)


def _check_width(width: Any, budget: Budget) -> None:
    if isinstance(width, bool) or not isinstance(width, int | np.integer):
        raise CandidateFailure(f"a dense layer's width must be a whole number, got {width!r}", "model")
    if width < 1:
        raise CandidateFailure(f"a dense layer of {int(width):,} units is out of range (at least 1)", "model")
    if width > budget.max_params:  # at least one weight per unit
        raise CandidateFailure(f"a dense layer of {int(width):,} units: its parameters exceed the limit of "
                               f"{budget.max_params:,}", "model")


def _check_count(n_params: int, budget: Budget) -> None:
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
    _check_count(n_params, budget)

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
    """Random draws for a learner: normal(mean a, std |b|) or uniform(a, b), with trailing ``dims``.

    IEEE semantics whatever the bounds, as for every other operation of generated code: uniform is
    ``a + (b - a) * U[0, 1)`` (numpy's own formula), so reversed bounds draw from the same interval and
    infinite or NaN bounds give inf or NaN values instead of raising."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    lead = np.broadcast_shapes(a.shape, b.shape)
    a, b = a.reshape(a.shape + (1,) * len(dims)), b.reshape(b.shape + (1,) * len(dims))
    if law == "normal":
        return rng.normal(a, np.abs(b), lead + dims)
    u = rng.random(lead + dims)
    with np.errstate(all="ignore"):
        return a + (b - a) * u


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def run_learner(data: dict[str, Any], learner: LearnerProgram, *, seed: int = 0,
                budget: Budget | None = None) -> dict[str, Any]:
    """Train online over each example of every task at once, then validate (AutoML-Zero's protocol).

    ``data``: x_train (T, n, F), y_train (T, n), x_val, y_val, and ``classification`` (labels 0/1,
    predictions squashed by a sigmoid).  Fitness: validation accuracy, or minus validation MSE; with
    ``data["fitness"] == "squashed"`` (regression only), AutoML-Zero's squashed error instead: the
    mean over tasks of ``1 - (2/pi) * arctan(RMSE_t)``, in (0, 1], so one task that goes badly costs
    at most 1/T (Real et al. 2020, the ``FlipAndSquash`` of their evaluator); with ``"relative"`` the
    same squash of each task's RMSE over its targets' RMS (predicting 0 scores exactly 0.5 on any
    draw of tasks, so tasks drawn afresh per candidate add little noise to the fitness).
    ``val_mse`` is reported either way.  Raises :class:`CandidateFailure` for a diverging learner
    (see ``learner_predictions``).
    """
    budget = budget or Budget()
    started = time.perf_counter()
    pred = learner_predictions(data, learner, seed=seed, budget=budget)
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
        if data.get("fitness") in ("squashed", "relative"):
            error = per_task
            if data["fitness"] == "relative":  # each task's MSE over that of predicting 0
                error = per_task / np.maximum(np.mean(y_val**2, axis=-1), 1e-12)
            metrics["fitness"] = float(np.mean(1.0 - (2.0 / math.pi) * np.arctan(np.sqrt(error))))
    metrics["train_seconds"] = round(time.perf_counter() - started, 6)
    return check_finite(metrics, "validation")


def learner_predictions(data: dict[str, Any], learner: LearnerProgram, *, seed: int = 0,
                        budget: Budget | None = None) -> Any:
    """The learner's validation predictions (T, n_val), before any sigmoid, after online training.

    Raises :class:`CandidateFailure` at the first training example where a prediction is not finite
    or misses its target by more than ``budget.max_error`` (a diverging learner stops there, at
    "training step K of N", instead of running every step), and past ``budget.max_seconds``.
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
        n_steps = x_train.shape[1]
        for step, (x, y) in enumerate(zip(np.ascontiguousarray(x_train.transpose(1, 0, 2)),
                                          np.ascontiguousarray(y_train.T), strict=True), 1):
            p = learner.predict(*state, x, rng)
            if classify:
                p = _sigmoid(p)
            error = np.abs(np.asarray(p, np.float64) - y)
            if not (error <= budget.max_error).all():  # NaN compares False: caught here too
                worst = "not finite" if not np.isfinite(error).all() else f"off by {float(error.max()):.3g}"
                raise CandidateFailure(f"diverged: a prediction is {worst} (more than {budget.max_error:g} "
                                       "from its target)", f"training step {step} of {n_steps}")
            new = learner.learn(*state, x, y, p, rng)
            state = list(new) if len(shapes) > 1 else [new]
            if time.perf_counter() - started > budget.max_seconds:
                raise CandidateFailure(f"over the time budget of {budget.max_seconds:g} s", "training")
        # Validation in one call: every example at once, the final state broadcast over them.
        wide = [np.broadcast_to(s, shape)[:, None] for s, shape in zip(state, shapes, strict=True)]
        return np.broadcast_to(learner.predict(*wide, x_val, rng), y_val.shape)


# ------------------------------------------------------------------------------------------ formula
def run_formula(data: dict[str, Any], formula: Callable[..., Any]) -> dict[str, Any]:
    """Evaluate a formula on every point at once: MSE and R^2 on the training points (``train_mse``,
    ``train_r2``) and on fresh held-out points from the same range (``test_mse``, ``test_r2``).  The
    fitness is the training R^2 = 1 - MSE / var(y), scale-free so problems compare (a constant
    target, var 0, is scored 1 - MSE)."""
    metrics: dict[str, Any] = {}
    started = time.perf_counter()
    for split, prefix, r2 in (("train", "train_", "train_r2"), ("test", "test_", "test_r2")):
        x, y = np.asarray(data[f"x_{split}"], np.float64), np.asarray(data[f"y_{split}"], np.float64)
        with np.errstate(all="ignore"):
            pred = np.broadcast_to(formula(*x.T), y.shape)
            mse = float(np.mean((pred - y) ** 2))
        if not math.isfinite(mse):
            raise CandidateFailure("the formula is not finite on some points", split)
        var = float(np.var(y))
        metrics[f"{prefix}mse"] = mse
        metrics[r2] = 1.0 - mse / (var if var > 0 else 1.0)
    metrics["fitness"] = metrics["train_r2"]
    metrics["train_seconds"] = round(time.perf_counter() - started, 6)
    return metrics


# ------------------------------------------------------------------------------- reinforcement learning
@dataclass
class RLProgram:
    """A compiled RL objective: a policy-gradient loss or a temporal-difference loss (one of them)."""

    pg_loss: Callable[..., torch.Tensor] | None = None
    td_loss: Callable[..., torch.Tensor] | None = None


RL_HIDDEN = 64
RL_LEARNING_RATE = {"pg": 0.01, "td": 0.001}
RL_ENVS = 8  # episodes run side by side (one batched forward pass per step)
DQN_BATCH = 64
DQN_TARGET_EVERY = 50  # updates between copies of the Q-network to the target network
MAX_OBJECTIVE = 1e9  # an objective beyond this in magnitude has diverged


def _mlp(n_in: int, n_out: int, hidden: int = RL_HIDDEN) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, n_out))


def _step(loss: torch.Tensor, optimiser: torch.optim.Optimizer, params: Sequence[torch.Tensor], where: str) -> None:
    """One gradient step on a scalar objective; a non-finite or diverged one is a candidate failure."""
    if not torch.isfinite(loss):
        raise CandidateFailure("the objective is not finite", where)
    if abs(float(loss.detach())) > MAX_OBJECTIVE:
        raise CandidateFailure(f"the objective diverged (|loss| > {MAX_OBJECTIVE:g})", where)
    if not loss.requires_grad:
        raise CandidateFailure("the objective does not depend on the model", where)
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    optimiser.step()
    if not all(torch.isfinite(p).all() for p in params):
        raise CandidateFailure("the parameters are not finite", where)


def _episodes(envs: list[Any], seeds: list[int], act: Callable[[torch.Tensor], Any],
              observe: Callable[[list[tuple[Any, int, float, Any, bool]]], None] | None = None) -> list[dict[str, Any]]:
    """Run one episode in each env side by side; ``act`` maps a batch of observations to actions and
    ``observe`` sees each step's transitions (obs, action, reward, next obs, terminated)."""
    obs = [np.asarray(env.reset(seed=s)[0], np.float32) for env, s in zip(envs, seeds, strict=True)]
    runs: list[dict[str, Any]] = [{"obs": [], "act": [], "rew": []} for _ in envs]
    active = list(range(len(envs)))
    while active:
        actions = act(torch.as_tensor(np.stack([obs[i] for i in active])))
        transitions = []
        still = []
        for i, a in zip(active, actions, strict=True):
            nxt, reward, terminated, truncated, _ = envs[i].step(int(a))
            nxt = np.asarray(nxt, np.float32)
            runs[i]["obs"].append(obs[i])
            runs[i]["act"].append(int(a))
            runs[i]["rew"].append(float(reward))
            transitions.append((obs[i], int(a), float(reward), nxt, bool(terminated)))
            obs[i] = nxt
            if not (terminated or truncated):
                still.append(i)
        active = still
        if observe is not None:
            observe(transitions)
    return runs


def _greedy_return(envs: list[Any], net: nn.Module, seeds: list[int]) -> float:
    """Mean undiscounted return of greedy (argmax) episodes, in batches of ``len(envs)``."""
    totals: list[float] = []
    with torch.no_grad():
        for start in range(0, len(seeds), len(envs)):
            chunk = seeds[start:start + len(envs)]
            runs = _episodes(envs[:len(chunk)], chunk, lambda x: net(x).argmax(1).tolist())
            totals += [sum(r["rew"]) for r in runs]
    return float(np.mean(totals))


def _discounted(rewards: list[float], gamma: float) -> list[float]:
    out, running = [0.0] * len(rewards), 0.0
    for i in range(len(rewards) - 1, -1, -1):
        running = rewards[i] + gamma * running
        out[i] = running
    return out


def _train_pg(data: dict[str, Any], loss_fn: Callable[..., torch.Tensor], envs: list[Any], episodes: int,
              seed: int, budget: Budget, started: float) -> tuple[nn.Module, int, list[float]]:
    """REINFORCE-style training: batches of whole episodes, one update per batch."""
    policy, value = _mlp(data["obs_dim"], data["n_actions"]), _mlp(data["obs_dim"], 1)
    params = [*policy.parameters(), *value.parameters()]
    optimiser = torch.optim.Adam(params, lr=RL_LEARNING_RATE["pg"])
    sampler = torch.Generator().manual_seed(seed)

    def act(x: torch.Tensor) -> Any:
        return torch.multinomial(torch.softmax(policy(x), 1), 1, generator=sampler)[:, 0].tolist()

    returns: list[float] = []
    updates = 0
    for start in range(0, episodes, len(envs)):
        seeds = [seed * 100_003 + start + i for i in range(min(len(envs), episodes - start))]
        with torch.no_grad():
            runs = _episodes(envs[:len(seeds)], seeds, act)
        returns += [sum(r["rew"]) for r in runs]
        obs = torch.as_tensor(np.concatenate([np.stack(r["obs"]) for r in runs]))
        actions = torch.as_tensor([a for r in runs for a in r["act"]])
        ret = torch.as_tensor([g for r in runs for g in _discounted(r["rew"], data["gamma"])], dtype=torch.float32)
        logp_all = torch.log_softmax(policy(obs), 1)
        logp = logp_all.gather(1, actions[:, None])[:, 0]
        entropy = -(logp_all.exp() * logp_all).sum(1)
        v = value(obs)[:, 0]
        adv = ret - v.detach()
        adv = (adv - adv.mean()) / (adv.std() + 1e-8) if len(adv) > 1 else adv
        updates += 1
        _step(torch.broadcast_to(loss_fn(logp, ret, adv, v, entropy), logp.shape).mean(), optimiser, params,
              f"update {updates}, episode {start + len(seeds)}")
        if time.perf_counter() - started > budget.max_seconds:
            raise CandidateFailure(f"over the time budget of {budget.max_seconds:g} s", f"update {updates}")
    return policy, updates, returns


def _train_td(data: dict[str, Any], loss_fn: Callable[..., torch.Tensor], envs: list[Any], episodes: int,
              seed: int, budget: Budget, started: float) -> tuple[nn.Module, int, list[float]]:
    """DQN-style training: epsilon-greedy episodes, a replay buffer, one minibatch update per
    environment step, and a target network copied every ``DQN_TARGET_EVERY`` updates."""
    q = _mlp(data["obs_dim"], data["n_actions"])
    target = _mlp(data["obs_dim"], data["n_actions"])
    target.load_state_dict(q.state_dict())
    params = list(q.parameters())
    optimiser = torch.optim.Adam(params, lr=RL_LEARNING_RATE["td"])
    rng = np.random.default_rng(seed)
    replay: list[tuple[Any, int, float, Any, bool]] = []
    state = {"updates": 0, "epsilon": 1.0}

    def act(x: torch.Tensor) -> Any:
        greedy = q(x).argmax(1).numpy()
        explore = rng.random(len(greedy)) < state["epsilon"]
        return np.where(explore, rng.integers(0, data["n_actions"], len(greedy)), greedy).tolist()

    def update() -> None:
        if len(replay) < DQN_BATCH:
            return
        batch = [replay[i] for i in rng.integers(0, len(replay), DQN_BATCH)]
        obs = torch.as_tensor(np.stack([b[0] for b in batch]))
        actions = torch.as_tensor([b[1] for b in batch])
        reward = torch.as_tensor([b[2] for b in batch], dtype=torch.float32)
        nxt = torch.as_tensor(np.stack([b[3] for b in batch]))
        discount = torch.as_tensor([0.0 if b[4] else data["gamma"] for b in batch], dtype=torch.float32)
        with torch.enable_grad():
            q_sa = q(obs).gather(1, actions[:, None])[:, 0]
            with torch.no_grad():
                best = target(nxt).max(1).values
            state["updates"] += 1
            _step(torch.broadcast_to(loss_fn(q_sa, best, reward, discount), q_sa.shape).mean(), optimiser, params,
                  f"update {state['updates']}")
        if state["updates"] % DQN_TARGET_EVERY == 0:
            target.load_state_dict(q.state_dict())
        if time.perf_counter() - started > budget.max_seconds:
            raise CandidateFailure(f"over the time budget of {budget.max_seconds:g} s", f"update {state['updates']}")

    def observe(transitions: list[tuple[Any, int, float, Any, bool]]) -> None:
        replay.extend(transitions)
        for _ in transitions:  # one minibatch update per environment step
            update()

    returns: list[float] = []
    for start in range(0, episodes, len(envs)):
        state["epsilon"] = max(0.05, 1.0 - start / max(1.0, 0.5 * episodes))  # linear decay over the first half
        seeds = [seed * 100_003 + start + i for i in range(min(len(envs), episodes - start))]
        with torch.no_grad():
            runs = _episodes(envs[:len(seeds)], seeds, act, observe)
        returns += [sum(r["rew"]) for r in runs]
    return q, int(state["updates"]), returns


def train_rl(data: dict[str, Any], program: RLProgram, *, epochs: int = 10, seed: int = 0,
             budget: Budget | None = None) -> dict[str, Any]:
    """Train an agent on the environment ``data["make_env"]`` makes with the program's objective.

    ``pg_loss``: a softmax policy and a value network (two 64-64 tanh MLPs, one Adam) trained on
    batches of ``RL_ENVS`` whole episodes.  ``td_loss``: a DQN (replay, target network, epsilon
    greedy).  ``epochs`` times ``episodes_per_epoch`` training episodes.  Deterministic for a seed.
    Fitness: the mean return of greedy validation episodes; test episodes use other seeds.
    """
    budget = budget or Budget()
    started = time.perf_counter()
    torch.manual_seed(seed)
    envs = [data["make_env"]() for _ in range(RL_ENVS)]
    episodes = epochs * int(data["episodes_per_epoch"])
    if program.pg_loss is not None:
        net, updates, returns = _train_pg(data, program.pg_loss, envs, episodes, seed, budget, started)
    else:
        assert program.td_loss is not None
        net, updates, returns = _train_td(data, program.td_loss, envs, episodes, seed, budget, started)
    n_eval = int(data["eval_episodes"])
    metrics: dict[str, Any] = {
        "val_return": _greedy_return(envs, net, [10**6 + seed * 1000 + i for i in range(n_eval)]),
        "test_return": _greedy_return(envs, net, [2 * 10**6 + seed * 1000 + i for i in range(n_eval)]),
        "train_return": float(np.mean(returns[-RL_ENVS:])),
    }
    metrics["fitness"] = metrics["val_return"]
    metrics.update(episodes=episodes, steps=updates, params=sum(p.numel() for p in net.parameters()),
                   train_seconds=round(time.perf_counter() - started, 4))
    return check_finite(metrics, "validation")


# -------------------------------------------------------------------------------- generative models
@dataclass
class GenerativeProgram:
    """A compiled generative objective: a VAE loss or a normalizing-flow loss (one of them)."""

    vae_loss: Callable[..., torch.Tensor] | None = None
    flow_loss: Callable[..., torch.Tensor] | None = None


GEN_HIDDEN = 64
VAE_HIDDEN_PER_DIM = 4  # a wider VAE for high-dimensional data (see vae_hidden)
GEN_BATCH = 256
GEN_STEPS_PER_EPOCH = 50
GEN_LEARNING_RATE = 0.001
FLOW_LAYERS = 6
VAE_DECODER_STD = 0.2  # the decoder is N(recon, VAE_DECODER_STD² I); the held-out NLL assumes it
IW_SAMPLES = 128  # importance samples of the VAE's held-out NLL estimate
LOG_2PI = math.log(2 * math.pi)


def vae_hidden(dim: int) -> int:
    """The hidden width of the VAE's encoder and decoder for ``dim``-D data: 64 for 2-D, 256 for 64-D.

    A 64-unit VAE stays near the standard-normal baseline on the 64-D digits in the default budget;
    the flow's coupling networks keep ``GEN_HIDDEN`` (wider ones overfit the 1,078 digits and are slower).
    """
    return max(GEN_HIDDEN, VAE_HIDDEN_PER_DIM * dim)


class RealNVP(nn.Module):
    """Masked affine coupling layers with alternating masks (Dinh et al., 2017).

    ``forward`` maps data to the latent and returns z and log|dz/dx| per dimension (the Jacobian is
    triangular, so its log-determinant is the sum of these); scales are ``tanh``-bounded.
    """

    def __init__(self, dim: int = 2, layers: int = FLOW_LAYERS, hidden: int = GEN_HIDDEN) -> None:
        super().__init__()
        self.nets = nn.ModuleList(_mlp(dim, 2 * dim, hidden) for _ in range(layers))
        first = (torch.arange(dim) % 2).float()
        self.register_buffer("masks", torch.stack([first if k % 2 else 1 - first for k in range(layers)]))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logdet = torch.zeros_like(x)
        masks: torch.Tensor = self.masks  # type: ignore[assignment]
        for mask, net in zip(masks, self.nets, strict=True):
            s, t = net(x * mask).chunk(2, dim=1)
            s = torch.tanh(s) * (1 - mask)  # the masked coordinates pass through unchanged
            x = x * torch.exp(s) + t * (1 - mask)
            logdet = logdet + s
        return x, logdet


class VAE(nn.Module):
    """A Gaussian-encoder VAE with the latent size of the data; the decoder outputs the mean."""

    def __init__(self, dim: int = 2, hidden: int = GEN_HIDDEN) -> None:
        super().__init__()
        self.encoder = _mlp(dim, 2 * dim, hidden)
        self.decoder = _mlp(dim, dim, hidden)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decoder(z), mu, logvar


def _gaussian_logpdf(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Log-density of a diagonal Gaussian, summed over the last dimension."""
    return (-0.5 * (LOG_2PI + logvar + (x - mean) ** 2 / torch.exp(logvar))).sum(-1)


def _flow_nll(flow: RealNVP, x: torch.Tensor) -> float:
    z, logdet = flow(x)
    return float((0.5 * (z**2 + LOG_2PI) - logdet).sum(1).mean())


def _vae_nll(vae: VAE, x: torch.Tensor, k: int = IW_SAMPLES) -> float:
    """The importance-weighted estimate (Burda et al., 2016) of -log p(x) with ``k`` samples."""
    mu, logvar = vae.encoder(x).chunk(2, dim=1)
    z = mu + torch.exp(0.5 * logvar) * torch.randn((k, *mu.shape))
    dec_logvar = torch.full_like(x, 2 * math.log(VAE_DECODER_STD))
    log_w = (_gaussian_logpdf(x, vae.decoder(z), dec_logvar) + _gaussian_logpdf(z, torch.zeros_like(z),
             torch.zeros_like(z)) - _gaussian_logpdf(z, mu, logvar))
    return float(-(torch.logsumexp(log_w, 0) - math.log(k)).mean())


def train_generative(data: dict[str, Any], program: GenerativeProgram, *, epochs: int = 10, seed: int = 0,
                     budget: Budget | None = None) -> dict[str, Any]:
    """Fit a VAE or a RealNVP flow to ``data["x_train"]`` with the program's objective.

    The objective is elementwise (point x dimension); it is summed over dimensions and averaged over
    the batch.  An epoch is ``GEN_STEPS_PER_EPOCH`` Adam steps on shuffled batches of ``GEN_BATCH``.
    Deterministic for a seed.  Fitness: minus the validation NLL (nats per point); flows are scored
    exactly, VAEs by the importance-weighted estimate with ``IW_SAMPLES`` samples.  Any dimension
    works (2-D toys, 64-D ``digits_density``): the flow's masks alternate even/odd coordinates and
    the VAE is ``vae_hidden(dim)`` wide; the step count does not depend on the dimension (the
    default 500 steps take a few seconds per model on the 64-D digits on two CPU cores).
    """
    budget = budget or Budget()
    started = time.perf_counter()
    torch.manual_seed(seed)
    order_rng = np.random.default_rng(seed)
    x_train = torch.as_tensor(data["x_train"])
    dim = x_train.shape[1]
    model: RealNVP | VAE = RealNVP(dim) if program.flow_loss is not None else VAE(dim, vae_hidden(dim))
    params = list(model.parameters())
    optimiser = torch.optim.Adam(params, lr=GEN_LEARNING_RATE)
    order = torch.from_numpy(order_rng.permutation(len(x_train)))
    cursor, step = 0, 0
    for _ in range(epochs * GEN_STEPS_PER_EPOCH):
        if cursor + GEN_BATCH > len(order):
            order, cursor = torch.from_numpy(order_rng.permutation(len(x_train))), 0
        xb = x_train[order[cursor:cursor + GEN_BATCH]]
        cursor += GEN_BATCH
        if isinstance(model, RealNVP):
            assert program.flow_loss is not None
            z, logdet = model(xb)
            values = program.flow_loss(z, logdet)
        else:
            assert program.vae_loss is not None
            recon, mu, logvar = model(xb)
            values = program.vae_loss(xb, recon, mu, logvar)
        step += 1
        loss = torch.broadcast_to(values, xb.shape).sum() / len(xb)
        _step(loss, optimiser, params, f"step {step}")
        if time.perf_counter() - started > budget.max_seconds:
            raise CandidateFailure(f"over the time budget of {budget.max_seconds:g} s", f"step {step}")
    metrics: dict[str, Any] = {}
    with torch.no_grad():
        for split in ("val", "test"):
            x = torch.as_tensor(data[f"x_{split}"])
            nll = _flow_nll(model, x) if isinstance(model, RealNVP) else _vae_nll(model, x)
            if not math.isfinite(nll):
                raise CandidateFailure("the held-out NLL is not finite", split)
            metrics[f"{split}_nll"] = nll
    metrics["fitness"] = -metrics["val_nll"]
    metrics.update(params=sum(p.numel() for p in params), steps=step,
                   train_seconds=round(time.perf_counter() - started, 4))
    return check_finite(metrics, "validation")
