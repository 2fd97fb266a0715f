"""Whether a program's ``loss`` can train on its task's kind of targets, found before any run starts.

A supervised loss ``loss(p, y)`` sees class probabilities on a classification task (``p`` the
softmax, in (0, 1); ``y`` one-hot, 0 or 1) and real numbers on a regression (``p`` the model's output,
any sign; ``y`` the standardised target): see :func:`mlevolve.interpreter.standalone.supervised._objective`.
A loss written for one (``-(y * log(p + 1e-7))``, cross-entropy) is not finite on the other, so every
candidate of a run would fail with "the loss is not finite".  :func:`check_loss_fits` evaluates the
loss (NumPy, float64, no PyTorch) on the task's own train targets and a fixed set of predictions of
the kind the training loop passes, and refuses a loss that is not finite there, at its definition.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Program, Ref
from mlevolve.interpreter.primitives import NUMPY, NUMPY_ELEMENTWISE

__all__ = ["check_loss_fits", "loss_values"]

# Predictions of a regression probe: both signs, none equal to 0 or to a probe target's usual values.
_REGRESSION_P = np.array([-2.53, -1.31, -0.47, 0.21, 0.93, 1.77])
_ROWS = 64  # train targets probed
# Elementwise ops of the torch regimes that primitives.NUMPY (the NumPy regimes' table) lacks.
_TORCH_ONLY: dict[str, Callable[[Any], Any]] = {
    "softplus": lambda a: np.logaddexp(0.0, a), "erf": np.vectorize(math.erf, otypes=[np.float64]),
    "full": lambda a: np.asarray(a, float),
}


@cache
def _function(op: str, arity: int) -> Callable[..., Any] | None:
    """``op`` of ``arity`` arguments on float64 arrays: its template in :data:`primitives.NUMPY` made a
    function (the one source of the ops' NumPy meaning), or an op of ``_TORCH_ONLY``; None if neither."""
    if arity == 1 and op in _TORCH_ONLY:
        return _TORCH_ONLY[op]
    names = ("a", "b")[:arity]
    if op not in NUMPY_ELEMENTWISE or NUMPY[op].count("{") != arity:
        return None
    return eval(f"lambda {', '.join(names)}: {NUMPY[op].format(*names)}", {"np": np})  # type: ignore[no-any-return]


def loss_values(d: Definition, p: Any, y: Any) -> Any | None:
    """The body of loss ``d`` evaluated elementwise on the float64 arrays ``p`` and ``y`` (its two
    parameters, whatever it names them; broadcast); None when it uses an operation this evaluator does
    not know (then nothing is concluded).  ``noise`` draws from a fixed generator.  Iterative: a frame
    stack, as the code generator walks bodies."""
    assert d.body is not None and len(d.params) == 2
    rng = np.random.default_rng(0)
    frames: list[tuple[Expr, dict[str, Any], list[Any]]] = [(d.body, {d.params[0].name: p, d.params[1].name: y}, [])]
    result: Any = None
    with np.errstate(all="ignore"):
        while frames:
            node, scope, kids = frames[-1]
            children = node.children()
            if len(kids) < len(children):
                inner = {**scope, node.name: kids[0]} if isinstance(node, Let) and len(kids) == 1 else scope
                frames.append((children[len(kids)], inner, []))
                continue
            frames.pop()
            if isinstance(node, Num):
                value: Any = np.float64(node.value)
            elif isinstance(node, Ref):
                if node.name not in scope:
                    return None
                value = scope[node.name]
            elif isinstance(node, Let):
                value = kids[1]
            elif isinstance(node, Call) and node.op == "noise" and len(kids) == 1:
                value = rng.standard_normal(np.broadcast(kids[0], p, y).shape)
            elif isinstance(node, Call) and (function := _function(node.op, len(kids))) is not None:
                value = function(*kids)
            else:
                return None
            if frames:
                frames[-1][2].append(value)
            else:
                result = value
    return np.broadcast_to(np.asarray(result, np.float64), np.broadcast(p, y).shape)


def _probe(task: Any) -> tuple[Any, Any, str, str] | None:
    """Probe inputs ``(p, y)`` for a supervised task, what they are in words, and the usual fix; None
    for any other task (no loss of another kind depends on the problem)."""
    problem = getattr(task, "problem", None)
    y_train = np.asarray(getattr(task, "y_train", ()))[:_ROWS]
    if problem == "regression" and y_train.ndim == 1 and len(y_train):
        return (_REGRESSION_P[:, None], y_train.astype(np.float64)[None, :],
                "a regression: p is the model's output (any real number) and y the standardised target",
                "this loss expects class probabilities: run it on a classification task, or write a loss "
                "finite for every real p and y, e.g. square(p - y)")
    if problem == "classification" and y_train.ndim == 1 and len(y_train):
        n_classes = int(task.n_classes)
        logits = np.random.default_rng(0).standard_normal((len(y_train), n_classes))
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        y = np.eye(n_classes)[y_train.astype(np.int64)]
        return (p, y, "a classification: p is the softmax probability (in (0, 1)) and y the one-hot class (0 or 1)",
                "write a loss finite for p in (0, 1) and y in {0, 1}, e.g. -(y * log(p + 1e-7)), or run it on a "
                "regression task")
    return None


def check_loss_fits(program: Program, task: Any, task_name: str, file: str | None = None,
                    skip: frozenset[str] = frozenset()) -> None:
    """Raise :class:`MlevError` at the definition of ``program``'s loss (in ``file``) when, on ``task``
    (a supervised task), it is not finite for the targets and predictions the training loop gives it
    (see the module docstring); losses named in ``skip`` (evolved ones) are not checked."""
    probe = _probe(task)
    if probe is None:
        return
    p, y, what, hint = probe
    for d in program.definitions:
        if d.kind != "loss" or d.name in skip or d.body is None:
            continue
        values = loss_values(d, p, y)
        if values is None or np.isfinite(values).all():
            continue
        i, j = (int(k) for k in np.argwhere(~np.isfinite(values))[0])
        pv, yv = np.broadcast_to(p, values.shape)[i, j], np.broadcast_to(y, values.shape)[i, j]
        raise MlevError(f"loss '{d.name}' is not finite on task '{task_name}', {what}: e.g. {d.name}(p={pv:.3g}, "
                        f"y={yv:.3g}) = {values[i, j]}", d.span, hint, file)

