"""Functional-equivalence probes of the neural component kinds: each component run on fixed probe
tensors (an activation on a probe vector, a loss also on its gradient, on the task's kind of targets, an
optimizer for five steps, a schedule over [0, 1), an RL or generative objective with its gradients).  The evaluator
(:mod:`~mlevolve.interpreter.evaluator`) digests what these return; a component that is not finite
on them, an activation that is constant, or an objective with no gradient is rejected here.

Imported only when a program of a torch regime is probed, so formula and learner runs never load
PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from mlevolve.dsl.ir import Program
from mlevolve.dsl.kinds import idle
from mlevolve.interpreter import runtime
from mlevolve.interpreter.names import py_name

__all__ = ["component_parts"]

_PROBE_GEN = torch.Generator().manual_seed(12345)
_PROBE_X = torch.cat([torch.linspace(-4.0, 4.0, 33), torch.randn(31, generator=_PROBE_GEN)])
_PROBE_LOGITS = torch.randn(8, 4, generator=_PROBE_GEN)
_PROBE_Y = torch.nn.functional.one_hot(torch.arange(8) % 4, 4).float()
_PROBE_W = torch.randn(16, generator=_PROBE_GEN)
_PROBE_G = torch.randn(5, 16, generator=_PROBE_GEN)
_PROBE_LOGP = torch.log_softmax(torch.randn(16, 3, generator=_PROBE_GEN), 1)[:, 0]


def _randn(*shape: int, scale: float = 1.0) -> torch.Tensor:
    return scale * torch.randn(*shape, generator=_PROBE_GEN)


# Objectives' probe inputs, in parameter order: (tensor, whether the runtime differentiates through it).  The policy's
# entropy is differentiated, as an entropy bonus needs (standalone/rl.py's _train_pg): held without a gradient here,
# -entropy was rejected as not depending on the model, which `mlevolve run` trained (tests/interpreter/test_qa56n*).
_OBJECTIVE_INPUTS: dict[str, tuple[tuple[torch.Tensor, bool], ...]] = {
    "pg_loss": ((_PROBE_LOGP, True), (_randn(16, scale=5.0).abs(), False), (_randn(16), False),
                (_randn(16, scale=3.0), True), (-(_PROBE_LOGP.exp() * _PROBE_LOGP), True)),
    "td_loss": ((_randn(16), True), (_randn(16), False), ((_randn(16) > 0.5).float(), False),
                (0.9 * (_randn(16) > -1.0).float(), False)),
    "vae_loss": ((_randn(8, 2), False), (_randn(8, 2), True), (_randn(8, 2), True), (_randn(8, 2, scale=0.5), True)),
    "flow_loss": ((_randn(8, 2), True), (_randn(8, 2, scale=0.3), True)),
}


# The RL objectives also on returns and rewards of either sign, as Acrobot's and MountainCar's are, and on rewards
# other than 0 and 1, as the chain's trap is: on the inputs above alone, abs(ret) and square(reward) shared the
# fingerprints of ret and reward, and so their scores.  These only tell programs apart: a value not finite on them
# (log(ret), finite on CartPole's positive returns) rejects nothing, it is digested as a marker.  In float64, as
# real rewards make equal objectives round apart in float32 (q - (r + d * t) and q - r - d * t).
_SIGNED_GEN = torch.Generator().manual_seed(24680)
_SIGNED_INPUTS: dict[str, tuple[tuple[torch.Tensor, bool], ...]] = {
    "pg_loss": tuple((5.0 * torch.randn(16, generator=_SIGNED_GEN), False) if i == 1 else held
                     for i, held in enumerate(_OBJECTIVE_INPUTS["pg_loss"])),
    "td_loss": tuple((torch.randn(16, generator=_SIGNED_GEN), False) if i == 2 else held
                     for i, held in enumerate(_OBJECTIVE_INPUTS["td_loss"])),
}


def _probe_failure(reason: str) -> runtime.CandidateFailure:
    """A component failed on the probe inputs: the candidate is rejected before training."""
    return runtime.CandidateFailure(reason, "probe")


def _finite(value: Any, what: str) -> Any:
    if isinstance(value, torch.Tensor):
        if not torch.isfinite(value).all():
            raise _probe_failure(f"{what} is not finite on the probe inputs")
        return value.detach().numpy()
    if not np.all(np.isfinite(value)):
        raise _probe_failure(f"{what} is not finite on the probe inputs")
    return value


def _unused_activations(program: Program) -> frozenset[str]:
    """Activations the model never names (:func:`mlevolve.dsl.kinds.idle`, which ``check`` warns of): they never
    run in training, so they are not probed (a constant helper that nothing uses must not reject the program).
    With no model, the runtime's default model uses the activation, so none is unused."""
    kinds = {d.name: d.kind for d in program.definitions}
    return frozenset(i.name for i in idle(program) if kinds[i.name] == "activation")


def _probe_activation(fn: Callable[..., Any]) -> list[Any]:
    out = _finite(torch.broadcast_to(torch.as_tensor(fn(_PROBE_X)), _PROBE_X.shape), "the activation")
    if np.ptp(out) == 0:
        raise _probe_failure("the activation is constant")
    return [out]


def _loss_on(fn: Callable[..., Any], pred: torch.Tensor, target: torch.Tensor) -> list[Any]:
    """A loss's value (summed) and its gradient in the prediction ``pred``, on ``target``."""
    p = pred.clone().requires_grad_(True)
    value = fn(p, target).sum()
    grad = torch.autograd.grad(value, p, allow_unused=True)[0] if value.requires_grad else None
    parts = [_finite(value, "the loss"), _finite(grad if grad is not None else torch.zeros(()), "the loss gradient")]
    if grad is not None and not np.any(parts[1]):  # 0.0 * p: p in its graph, and no gradient from it
        raise _probe_failure("the loss does not depend on the prediction")
    return parts


def _probe_loss(fn: Callable[..., Any]) -> list[Any]:
    return _loss_on(fn, torch.softmax(_PROBE_LOGITS, dim=1), _PROBE_Y)


# A regression loss's probe: predictions of either sign against standardised targets, each (N, 1) as trained.  On the
# softmax and one-hot probe a regression task's losses that differ only for a negative prediction or a target other
# than 0 or 1 (square(relu(p) - square(y)) and square(p - y)) shared a fingerprint, and so the MSE's score.
_REGRESSION_GEN = torch.Generator().manual_seed(54321)
_PROBE_PRED = 1.5 * torch.randn(16, 1, generator=_REGRESSION_GEN, dtype=torch.float64)  # float64, as _SIGNED_INPUTS
_PROBE_TARGET = torch.randn(16, 1, generator=_REGRESSION_GEN, dtype=torch.float64)


def _probe_regression_loss(fn: Callable[..., Any]) -> list[Any]:
    return _loss_on(fn, _PROBE_PRED, _PROBE_TARGET)


# An update rule's learning rate at each probe step: none a literal of the grammar, and not one rate throughout.  At
# 0.01 each step, w - 0.01 * m shared the fingerprint of w - lr * m, and so its score, where a schedule sets another
# rate (mlp_digits.mlev's 0.05): a search there gave a rule that ignores the schedule the score of one that reads it.
_PROBE_LR = (0.0137, 0.0291, 0.0083, 0.0452, 0.0219)


def _probe_optimizer(fn: Callable[..., Any]) -> list[Any]:
    inputs, n_state = runtime._optimizer_signature(fn)
    w, state = _PROBE_W.clone(), [torch.zeros(16) for _ in range(n_state)]
    for step, (g, lr) in enumerate(zip(_PROBE_G, _PROBE_LR, strict=True), 1):
        extra = {"lr": torch.tensor(lr), "t": torch.tensor(float(step))}
        result = fn(w, g, *(extra[k] for k in inputs), *state)
        w, state = (result[0], list(result[1:])) if isinstance(result, tuple) else (result, [])
        w = torch.broadcast_to(torch.as_tensor(w), (16,))
    return [_finite(w, "the update rule")]


# A schedule's probe points: t = 0 and 31 fixed points drawn in (0, 1), not a regular grid.  On tenths, a cosine with
# 10 warm restarts, 0.025 * (1 + cos(62.83 * t)), read as the constant 0.05 and was given its score; and training
# reads t = (step - 1) / steps, below 1, so 1 is no point: 0.0002 / (1 - t), which trains, was rejected there.
_PROBE_T = np.concatenate([[0.0], np.sort(np.random.default_rng(12345).uniform(0.0, 1.0, 31))])


def _probe_schedule(fn: Callable[..., Any]) -> list[Any]:
    return [_finite(torch.as_tensor(fn(torch.tensor(t))), "the schedule") for t in _PROBE_T]


def _probe_augment(fn: Callable[..., Any]) -> list[Any]:
    return [_finite(torch.broadcast_to(torch.as_tensor(fn(_PROBE_X)), _PROBE_X.shape), "the augmentation")]


def _probe_objective(kind: str) -> Callable[[Callable[..., Any]], list[Any]]:
    """The probe of an RL or generative objective: its value and gradients on ``_OBJECTIVE_INPUTS``."""

    def probe(fn: Callable[..., Any]) -> list[Any]:
        inputs = [t.clone().requires_grad_(grad) for t, grad in _OBJECTIVE_INPUTS[kind]]
        value = torch.broadcast_to(torch.as_tensor(fn(*inputs)), inputs[0].shape).sum()
        wrt = [t for t in inputs if t.requires_grad]
        if not value.requires_grad:
            raise _probe_failure("the objective does not depend on the model")
        grads = torch.autograd.grad(value, wrt, allow_unused=True)
        parts = [_finite(value, "the objective"),
                 *(_finite(g if g is not None else torch.zeros_like(t), "the objective's gradient")
                   for g, t in zip(grads, wrt, strict=True))]
        if not any(np.any(g) for g in parts[1:]):  # 0.0 * z: the model's outputs in its graph, with no gradient
            raise _probe_failure("the objective does not depend on the model")
        if kind in _SIGNED_INPUTS:
            inputs = [t.double().requires_grad_(grad) for t, grad in _SIGNED_INPUTS[kind]]
            value = torch.broadcast_to(torch.as_tensor(fn(*inputs)), inputs[0].shape).sum()
            wrt = [t for t in inputs if t.requires_grad]
            grads = torch.autograd.grad(value, wrt, allow_unused=True)
            parts += [torch.nan_to_num(x.detach(), nan=-7.0e307).numpy() for x in
                      (value, *(g if g is not None else torch.zeros_like(t) for g, t in zip(grads, wrt, strict=True)))]
        return parts

    return probe


_PROBES = {"activation": _probe_activation, "loss": _probe_loss, "optimizer": _probe_optimizer,
           "schedule": _probe_schedule, "augment": _probe_augment,
           **{kind: _probe_objective(kind) for kind in _OBJECTIVE_INPUTS}}


def component_parts(program: Program, names: dict[str, Any], regression: bool = False) -> list[Any]:
    """The probe outputs of every probed definition of ``program``, whose compiled functions are in
    ``names`` (the generated code's namespace), in definition order; raises
    :class:`~mlevolve.interpreter.runtime.CandidateFailure` for a rejected component.  ``regression``: the task's
    targets are real numbers, and a loss is probed on such predictions and targets."""
    parts: list[Any] = []
    unused = _unused_activations(program)
    for d in program.definitions:
        probe = _probe_regression_loss if regression and d.kind == "loss" else _PROBES.get(d.kind)
        if probe is not None and d.name not in unused:
            parts.extend(probe(names[py_name(d.name)]))
    return parts
