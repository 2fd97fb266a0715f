"""Errors and limits shared by every training loop and task loader (standard library and numpy only)."""

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.spelling import did_you_mean


class CandidateFailure(Exception):
    """A program that failed to train or score: ``reason`` says what, ``where`` says when."""
    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(f"{reason} ({where})" if where else reason)
        self.reason, self.where = reason, where


class TaskError(Exception):
    """A task that cannot be loaded (bad name, option or data file); ``hint``: its fix; ``where``: FILE[:LINE[:COL]]"""
    def __init__(self, message: str, hint: str = "", where: str = "") -> None:  # ``message`` starts with ``where``
        self.message, self.hint, self.where = f"{where}: {message}" if where else message, hint, where
        super().__init__(self.message + (f" (hint: {hint})" if hint else ""))


def check_finite(metrics: dict[str, Any], where: str) -> dict[str, Any]:
    """``metrics`` unchanged if every number in it is finite; else a CandidateFailure naming the first that is not."""
    for name, value in metrics.items():
        if isinstance(value, float | int | np.floating | np.integer) and not math.isfinite(float(value)):
            raise CandidateFailure(f"the metric {name} is not finite ({float(value)})", where)
    return metrics


@dataclass
class Budget:
    """Limits on one evaluation; exceeding any is a recorded failure, not an error."""
    max_seconds: float = 300.0  # a search's default --timeout too (gp.backends.Resources)
    max_params: int = 2_000_000
    max_abs: float = 1e6  # a learner's predictions beyond this have exploded
    max_error: float = 100.0  # a learner's training prediction this far off has diverged (AutoML-Zero's kMaxAbsError)


SEED_LIMIT = 2**63  # NumPy's and torch's generators take seeds in [0, 2**63)
OPTION_RANGES = {"n_tasks": (1, 10_000), "dim": (1, 4_096), "n_train": (1, 1_000_000), "n_val": (1, 1_000_000),
                 "n_test": (1, 1_000_000), "fresh": (0, 1)}  # every integer task option (the library's too)
DSL_KEYWORDS = ("algorithm", "task", "let", "in", "state", "setup", "predict", "learn")  # .mlev's: the parser's too
NUMBER = re.compile(r"[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))")  # ASCII, no 1_0
SPEC_WORDS = {  # every task-spec loader's words, the library's too: {0} key, {1} spec, {2} name, {3}/{4} kind, {5}
    "twice": ("option '{0}' is given twice in task spec '{1}'", "give each option once"),  # options, {6} did you mean
    "empty": ("option '{0}' has no value in task spec '{1}'", "write it as NAME:key=value, or leave the option out"),
    "unknown": ("unknown option '{0}' for task '{2}'{3}", "{6}options{4}: {5}"),  # {3} ", a formula task", {4} " of"
    "nameless": ("task spec '{1}' leaves {0} name out", "write NAME:key=value, e.g. data.csv:target=y"),
    "=": ("option '{0}' runs into another in task spec '{1}'", "separate options with ':', as in NAME:a=1:b=2")}
RANGE_WORDS = ("option {key}={value} of task '{name}' must be an integer from {lo:,} to {hi:,}",
               "write e.g. {name}:{key}={default}")  # a numeric option outside OPTION_RANGES, the library's too
CHOICE_WORDS = ("option {key}={value} of task '{name}'{kind} must be {of}", "{mean}" + RANGE_WORDS[1])  # library's too


def parse_spec(spec: str, defaults: dict[str, Any], names: Any = None, kind: str = "") -> tuple[str, Any]:
    """``NAME[:key=value...]``: a name in ``names`` (if any), ``defaults`` updated (tuple: a choice); else TaskError"""
    name, *parts = (part.strip() for part in spec.split(":"))
    if not name or not all(part.partition("=")[0].strip() for part in parts):  # ":target=y", "nguyen1:", "a::b=1"
        raise TaskError(*(t.format("an option's" if name else "the task's", spec) for t in SPEC_WORDS["nameless"]))
    if names is not None and name not in names:  # a script loads the kind of task it was exported for
        why = ": this script loads built-in tasks, not data files" if name.lower().endswith((".csv", ".npz")) else ""
        hint = f"{did_you_mean(name, names)}its tasks: {', '.join(sorted(names))}; another: mlevolve export --task TASK"
        raise TaskError(f"unknown task '{name}'{why}", hint)
    options, given = {k: v[0] if isinstance(v, tuple) else v for k, v in defaults.items()}, dict[str, Any]()
    for key, _, value in (map(str.strip, part.partition("=")) for part in parts):
        why = "unknown" if key not in options else "twice" if key in given else "="[:"=" in value] if value else "empty"
        if why:
            raise TaskError(*(t.format(f"{key}={value}" if why == "unknown" else key, spec, name, kind and f", {kind}",
                                       kind and f" of {kind}", ", ".join(defaults) or "none",
                                       did_you_mean(key, defaults)) for t in SPEC_WORDS[why]))
        given[key] = options[key] = int_option(key, value, name, defaults[key]) if key in OPTION_RANGES else value
        if isinstance(choices := defaults[key], tuple) and value not in choices:  # e.g. problem=, fitness=
            raise TaskError(*(w.format(key=key, value=value, name=name, kind=kind and f", {kind},", default=choices[0]
                                       or choices[1], of=" or ".join(filter(None, choices)),
                                       mean=did_you_mean(value, filter(None, choices))) for w in CHOICE_WORDS))
    return name, options


def int_option(key: str, value: Any, name: str, default: int) -> int:  # ASCII digits or 1e3 (or an int) in range
    lo, hi = OPTION_RANGES[key]
    if not lo <= (number := float(value) if re.fullmatch(r"[0-9]+([eE]\+?[0-9]+)?", str(value)) else math.nan) <= hi:
        raise TaskError(*map(str.format_map, RANGE_WORDS, [locals()] * 2))  # its {key}, {value}, {lo}... as said
    return int(number)
