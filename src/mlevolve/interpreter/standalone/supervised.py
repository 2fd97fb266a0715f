"""The supervised regime's training loop: a network trained by minibatches and scored on held-out data.

``train_supervised`` trains model + activation + loss + optimizer update rule + augment + schedule
in a deterministic minibatch loop; the update rule sees all parameters as one flat vector.  The
layers and defaults here are what the generated code of a supervised program calls.  A program
that cannot be trained (NaN, explosion, too big, too slow) raises ``CandidateFailure``.
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

from mlevolve.interpreter.standalone.common import Budget, CandidateFailure, check_finite


class Lambda(nn.Module):
    """An elementwise function (an `activation`) used as a layer."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:  # Lambda(act), not Lambda(): named as torch's layers are
        return getattr(self.fn, "__name__", repr(self.fn))


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
    return F.mse_loss(out[:, 0], y) if loss is None else loss(out[:, 0, None], y[:, None]).sum() / out.shape[0]


def _metrics(model: nn.Module, x: torch.Tensor, y: torch.Tensor, n_classes: int, split: str) -> dict[str, float]:
    """The split's metrics.  Non-finite outputs or metrics fail the candidate on the splits that select (train,
    val); on the test split, which must never influence selection, they leave its metrics out (``test_finite`` 0)."""
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


def check_size(data: dict[str, Any], program: SupervisedProgram, budget: Budget) -> None:
    """Fail (:class:`CandidateFailure`) a model too big for ``budget`` before it is trained: what the
    library runs before :func:`train_supervised` (see ``_check_size``)."""
    _check_size(program, int(data["x_train"].shape[1]), max(int(data["n_classes"]), 1), budget)


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
    """Train a network on ``data`` (arrays x_/y_ train, val, test; n_classes, 0 for regression), deterministic
    for a seed on CPU.  Returns validation and test metrics, the fitness (validation accuracy, or minus validation
    MSE), the parameter count, steps and seconds."""
    budget = budget or Budget()
    n_classes = int(data["n_classes"])
    split = {k: torch.as_tensor(data[k]) for k in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")}
    x_train, y_train = split["x_train"], split["y_train"]
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

    n, step = x_train.shape[0], 0
    total = epochs * math.ceil(n / batch_size)  # steps
    for epoch in range(epochs):
        model.train()
        order = torch.from_numpy(order_rng.permutation(n))
        for start in range(0, n, batch_size):
            where = f"epoch {epoch + 1}, step {step + 1}"
            batch = order[start:start + batch_size]
            xb, yb = x_train[batch], y_train[batch]
            if program.augment is not None:
                xb = program.augment(xb)
            loss = _objective(out := model(xb), yb, program.loss, n_classes)
            if not torch.isfinite(loss):  # the first not finite: the augmented batch, the model's outputs, the loss
                raise CandidateFailure("the augmentation's output is not finite" if not torch.isfinite(xb).all() else
                                       "the model's outputs are not finite" if not torch.isfinite(out).all() else
                                       "the loss is not finite", where)
            for p in params:
                p.grad = None
            if not loss.requires_grad:
                raise CandidateFailure("the loss does not depend on the prediction", where)
            loss.backward()  # type: ignore[no-untyped-call]
            grad = torch.cat([p.grad.reshape(-1) if p.grad is not None else torch.zeros(p.numel()) for p in params])
            if step == 0 and not grad.any():  # 0.0 * p: the prediction in its graph, and no gradient from it
                raise CandidateFailure("the loss does not depend on the prediction", where)
            step += 1
            with torch.no_grad():
                extra = {"lr": program.learning_rate((step - 1) / total), "t": torch.tensor(float(step))}
                if "lr" in inputs and not 0.0 <= (rate := float(extra["lr"])) < math.inf:  # ascent, or no finite step
                    why = "finite number" if rate == math.inf else "number of at least 0"  # torch refuses < 0 and NaN
                    raise CandidateFailure(f"the schedule's learning rate is {rate:.3g} at progress t = "
                                           f"{(step - 1) / total:.3g}: a rate is a {why}", where)
                result = program.optimizer(flat, grad, *(extra[k] for k in inputs), *state)
                new, state = (result[0], list(result[1:])) if isinstance(result, tuple) else (result, [])
                flat.copy_(torch.broadcast_to(new, flat.shape))
                if not torch.isfinite(flat).all():
                    raise CandidateFailure("the parameters are not finite", where)
            budget.check_time(started, where, step, total)

    model.eval()
    metrics: dict[str, Any] = {**_metrics(model, split["x_val"], split["y_val"], n_classes, "val"),
                               **_metrics(model, split["x_test"], split["y_test"], n_classes, "test")}
    metrics["fitness"] = metrics["val_accuracy"] if n_classes else -metrics["val_mse"]
    metrics.update(params=n_params, steps=step, train_seconds=round(time.perf_counter() - started, 4))
    return metrics
