"""Errors and limits shared by every training loop and task loader (standard library and numpy only); how a task
spec and a typed integer are read is :mod:`mlevolve.interpreter.standalone.spec`'s."""

import math
import re
import time
from dataclasses import dataclass
from typing import Any

import numpy as np


class CandidateFailure(Exception):
    """A program that failed to train or score: ``reason`` says what, ``where`` says when."""
    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(f"{reason} ({where})" if where else reason)
        self.reason, self.where = reason, where


def check_finite(metrics: dict[str, Any], where: str) -> dict[str, Any]:
    """``metrics`` unchanged if every number in it is finite; else a CandidateFailure naming the first that is not."""
    for name, value in metrics.items():
        if isinstance(value, float | int | np.floating | np.integer) and not math.isfinite(float(value)):
            raise CandidateFailure(f"the metric {name} is not finite ({float(value)})", where)
    return metrics


def with_r2(metrics: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """``metrics`` with SPLIT_r2 (1 - MSE / Var(y) of data["y_SPLIT"]) after a regression's SPLIT_mse that has none"""
    out, regression = dict[str, Any](), not (data.get("classification") or data.get("n_classes"))
    for key, value in metrics.items():
        out[key], split = value, key.removesuffix("_mse")
        y = np.asarray(data.get(f"y_{split}", ()), np.float64)  # every task's targets together, for a learner
        if regression and key != split and f"{split}_r2" not in metrics and y.size > 1 and np.var(y) > 0:
            out[f"{split}_r2"] = 1.0 - float(value) / float(np.var(y))  # as the library's summary computes R²
    return out


@dataclass
class Budget:
    """Limits on one evaluation; exceeding any is a recorded failure, not an error."""
    max_seconds: float = 300.0  # a search's default --timeout too (gp.backends.Resources)
    max_params: int = 2_000_000
    max_abs: float = 1e6  # a learner's predictions beyond this have exploded
    max_error: float = 100.0  # a learner's training prediction this far off has diverged (AutoML-Zero's kMaxAbsError)

    def check_time(self, started: float, where: str, done: int = 0, total: int = 0, unit: str = "steps") -> None:
        """Fail past ``max_seconds`` since ``started``, or from a twentieth of it on (2 s at least: not a warm-up's
        pace) where ``done`` of ``total`` at this pace would take over twice as long (``--epochs 1e8``: in seconds)."""
        took, most = time.perf_counter() - started, self.max_seconds
        pace = took / done * total if done and took > max(most / 20, 2.0) else 0.0
        if took > most or pace > 2 * most:
            why = "over" if took > most else f"{done:,} of {total:,} {unit} took {took:.3g} s: all would take about " \
                                             f"{pace:.3g} s, over"
            raise CandidateFailure(f"{why} the time budget of {most:g} s", where)


SEED_LIMIT = 2**63  # NumPy's and torch's generators take seeds in [0, 2**63)
DSL_KEYWORDS = ("algorithm", "task", "let", "in", "state", "setup", "predict", "learn")  # .mlev's: the parser's too
NUMBER = re.compile(r"[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))")  # ASCII, no 1_0
DECIMAL_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]+([eE][+-]?[0-9]+)?")  # 0,5 or 1,5e3: a number of a comma locale
GROUPED = re.compile(r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]*)?([eE][+-]?[0-9]+)?")  # 1,000 or 12,345.6: thousands


COMMA = "a number's decimal point is '.', and it has no thousands separator"  # a cell's, an option's, a literal's


def comma_fix(text: str) -> str | None:
    """``text``, a number written with a decimal comma (``0,5``) or thousands separators (``1,000``), as a number is
    read (``0.5``; ``1000``; both, named, where it may be either), or None where it is neither."""
    point, plain, comma, grouped = text.replace(",", "."), text.replace(",", ""), DECIMAL_COMMA.fullmatch(text), \
        GROUPED.fullmatch(text)
    return f"{point} (a decimal comma) or {plain} (a thousands separator)" if comma and grouped else \
        point if comma else plain if grouped else None
