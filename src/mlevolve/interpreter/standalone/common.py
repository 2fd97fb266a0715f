"""Errors and limits shared by every training loop and task loader (standard library and numpy only)."""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


class CandidateFailure(Exception):
    """A program that failed to train or score: ``reason`` says what, ``where`` says when."""

    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(f"{reason} ({where})" if where else reason)
        self.reason = reason
        self.where = where


class TaskError(Exception):
    """A task that cannot be loaded (an unknown name or option, a bad data file); ``hint``: how to fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message + (f" (hint: {hint})" if hint else ""))
        self.message = message
        self.hint = hint


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
    max_error: float = 100.0  # a learner's training prediction this far off has diverged (AutoML-Zero's kMaxAbsError)


def parse_spec(spec: str, defaults: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A task spec ``NAME[:key=value...]`` as its name and ``defaults`` updated with its options, each of
    its default's type (``1e3`` is 1000); raises :class:`TaskError` (unknown) or ``ValueError`` (not a number)."""
    name, *parts = spec.split(":")
    options = dict(defaults)
    for key, _, value in (part.partition("=") for part in parts):
        if key.strip() not in defaults:
            raise TaskError(f"unknown option '{key.strip()}' in task spec '{spec}'", f"options: {', '.join(defaults)}")
        options[key.strip()] = int(float(value)) if isinstance(defaults[key.strip()], int) else value.strip()
    return name.strip(), options
