"""The registry of offline tasks that mlevolve trains and scores evolved programs on.

Three kinds of task, one per kind of program:

* ``supervised``: one dataset with fixed 60/20/20 train/validation/test splits (stratified for
  classification).  Features are float32, standardised with the train mean/std; classification
  labels are int64 ids ``0..n_classes-1``; regression targets are float32, standardised with the
  train mean/std.  Built in: sklearn's ``digits``, ``iris``, ``wine``, ``breast_cancer``, and
  1,000-point ``moons`` (noise 0.1), ``circles`` (noise 0.05, factor 0.5) and ``spirals`` (two
  interleaved two-turn spirals, Gaussian noise sd 0.03).  User data: ``file.csv:target=COLUMN``
  or ``file.npz`` (arrays ``X`` and ``y``), optionally ``:problem=classification|regression``;
  every cell is a finite number or (in a target of class labels) text, a missing value is an error
  at its ``FILE:ROW:COLUMN`` (docs/data.md).
* ``learner``: an AutoML-Zero style family of T small tasks, for learner programs vectorised
  across tasks: ``linear``, ``affine``, ``teacher`` (regression) and ``projected_digits``
  (binary, labels 0.0/1.0).  Options ``n_tasks`` (10), ``dim`` (4; 16 for projected_digits),
  ``n_train`` (100), ``n_val`` (100).
* ``formula``: symbolic regression points: ``koza_quartic`` and ``nguyen1`` .. ``nguyen8``
  (Uy et al. 2011), 20 training points and 100 held-out test points drawn uniformly on the
  benchmark's range.  Options ``n_train``, ``n_test``.
* ``control``: a reinforcement-learning environment for ``pg_loss``/``td_loss`` programs: the
  gymnasium classic-control ``cartpole``, ``acrobot`` and ``mountaincar`` (gymnasium is imported
  only when one is made) and ``chain``, a small tabular chain MDP in numpy.  Fitness is the mean
  undiscounted return of greedy evaluation episodes.
* ``density``: distributions for ``vae_loss``/``flow_loss`` programs.  The 2-D toys ``moons2d``,
  ``circles2d``, ``gaussians8`` and ``spirals2d``: 2,000 train, 1,000 validation and 1,000 test
  points standardised with the train mean/std.  ``digits_density``: sklearn's 1,797 8x8 digits as
  64-D points, the integer pixels 0..16 dequantised with uniform noise U[0, 1) (so they have a
  density), split 60/20/20 stratified by digit (1,078/359/360) and standardised with the scalar
  mean/std of all train pixels (one number each, so pixels keep their relative scale).  Fitness is
  minus the held-out negative log-likelihood in nats per standardised point (per image for the
  digits: summed over the 64 dimensions), exact for a flow, an importance-weighted estimate for a
  VAE.

A spec is ``NAME`` or ``NAME:key=value:key=value``; keyword arguments to :func:`load_task` are
options too and win over the spec's.  Numeric options are integers inside :data:`OPTION_RANGES`.
The same seed always gives identical arrays.  Every bad input raises :class:`MlevError`.
"""

from __future__ import annotations

import csv
import hashlib
import math
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mlevolve.dsl.errors import MlevError


class _Datasets:
    """``sklearn.datasets``, imported on first use: naming or checking a task stays light (no scikit-learn)."""

    def __getattr__(self, name: str) -> Any:
        from sklearn import datasets as module

        return getattr(module, name)


datasets = _Datasets()

TaskKind = Literal["supervised", "learner", "formula", "control", "density"]
Problem = Literal["classification", "regression", "control", "density"]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

MAX_CLASSES = 20  # an integer-valued target with at most this many distinct values is a classification


@dataclass(frozen=True)
class TaskInfo:
    """One row of :func:`list_tasks`: what a task is, for people."""

    name: str
    kind: TaskKind
    problem: Problem
    description: str
    size: str  # human text, e.g. "1,797 x 64, 10 classes"


@dataclass(frozen=True)
class Supervised:
    """One dataset with fixed train/validation/test splits (60/20/20, stratified for classification)."""

    name: str
    problem: Problem
    x_train: F32
    y_train: npt.NDArray[Any]  # int64 class ids, or float32 standardised targets; shape (n,)
    x_val: F32
    y_val: npt.NDArray[Any]
    x_test: F32
    y_test: npt.NDArray[Any]
    n_classes: int  # 0 for regression

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.problem == "classification" else 1


@dataclass(frozen=True)
class Family:
    """A batch of T small tasks for learner programs; classification is binary with labels 0.0/1.0."""

    name: str
    problem: Problem
    x_train: F32  # (T, n_train, F)
    y_train: F32  # (T, n_train)
    x_val: F32  # (T, n_val, F)
    y_val: F32  # (T, n_val)
    # The search's fitness (options ``fitness=`` and ``fresh=``): "mse" (minus the validation MSE),
    # "squashed" (AutoML-Zero's squashed error) or "relative" (the same, of each task's error
    # relative to predicting 0), see ``runtime.run_learner``; with ``fresh`` = 1 each
    # candidate is scored on tasks drawn anew from the family (``ProgramEvaluator``), so that no
    # program can gain by fitting the particular tasks of a run.
    fitness: str = "mse"
    fresh: int = 0


@dataclass(frozen=True)
class Points:
    """Symbolic regression: training and held-out points of a formula of ``n_vars`` variables."""

    name: str
    x_train: F64  # (n, n_vars)
    y_train: F64  # (n,)
    x_test: F64
    y_test: F64
    n_vars: int


@dataclass(frozen=True)
class Control:
    """A reinforcement-learning environment: its size, discount and episode budget.

    ``env_id`` is a gymnasium id, or empty for the built-in chain MDP of ``chain_length`` states.
    An epoch of training is ``episodes_per_epoch`` episodes; fitness averages ``eval_episodes``.
    """

    name: str
    env_id: str
    obs_dim: int
    n_actions: int
    max_steps: int
    gamma: float
    episodes_per_epoch: int
    eval_episodes: int
    chain_length: int = 0

    def make(self) -> Any:
        """A fresh environment with gymnasium's ``reset(seed=)`` / ``step(action)`` interface."""
        return make_env(self.env_id, self.max_steps, self.chain_length)


@dataclass(frozen=True)
class Density:
    """Samples of a distribution for density estimation, standardised with the train mean/std."""

    name: str
    x_train: F32  # (n, 2) for the 2-D toys, (n, 64) for digits_density
    x_val: F32
    x_test: F32


Task = Supervised | Family | Points | Control | Density
OptionValue = int | str

# ---------------------------------------------------------------------------------------------
# The table: supervised datasets, learner families and formulas are rows of data.


def _spirals(rng: np.random.Generator, n: int = 1000, turns: float = 2.0, noise: float = 0.03) -> tuple[F64, I64]:
    """Two interleaved spirals r = t, angle = 2π·turns·t (+π for class 1), plus Gaussian noise."""
    y = np.arange(n, dtype=np.int64) % 2
    t = rng.uniform(0.05, 1.0, n)
    angle = 2 * np.pi * turns * t + np.pi * y
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) + rng.normal(0.0, noise, (n, 2))
    return x, y


def _sk_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


_SUPERVISED: dict[str, tuple[Callable[[np.random.Generator], tuple[Any, Any]], str, str]] = {
    "digits": (lambda rng: datasets.load_digits(return_X_y=True), "8x8 handwritten digits", "1,797 x 64, 10 classes"),
    "iris": (lambda rng: datasets.load_iris(return_X_y=True), "Fisher's iris flowers", "150 x 4, 3 classes"),
    "wine": (lambda rng: datasets.load_wine(return_X_y=True), "wine cultivars", "178 x 13, 3 classes"),
    "breast_cancer": (
        lambda rng: datasets.load_breast_cancer(return_X_y=True),
        "Wisconsin breast cancer diagnosis",
        "569 x 30, 2 classes",
    ),
    "moons": (
        lambda rng: datasets.make_moons(1000, noise=0.1, random_state=_sk_seed(rng)),
        "two interleaving half circles, noise 0.1",
        "1,000 x 2, 2 classes",
    ),
    "circles": (
        lambda rng: datasets.make_circles(1000, noise=0.05, factor=0.5, random_state=_sk_seed(rng)),
        "two concentric circles, noise 0.05, factor 0.5",
        "1,000 x 2, 2 classes",
    ),
    "spirals": (_spirals, "two interleaved spirals (2 turns), noise sd 0.03", "1,000 x 2, 2 classes"),
}

TEACHER_HIDDEN = 8


def _linear(rng: np.random.Generator, x: F64) -> F64:
    w = rng.normal(size=(x.shape[0], x.shape[2]))
    y: F64 = np.einsum("tnf,tf->tn", x, w)
    return y


def _affine(rng: np.random.Generator, x: F64) -> F64:
    return _linear(rng, x) + rng.normal(size=(x.shape[0], 1))


def _teacher(rng: np.random.Generator, x: F64) -> F64:
    t, _, f = x.shape
    w1 = rng.normal(0.0, 1.0 / math.sqrt(f), (t, f, TEACHER_HIDDEN))
    b1 = rng.normal(size=(t, 1, TEACHER_HIDDEN))
    w2 = rng.normal(size=(t, TEACHER_HIDDEN))
    y: F64 = np.einsum("tnh,th->tn", np.tanh(x @ w1 + b1), w2)
    return y


_FAMILIES: dict[str, tuple[Callable[[np.random.Generator, F64], F64] | None, str]] = {
    "linear": (_linear, "y = w·x, w ~ N(0, 1) per task, x ~ N(0, 1)"),
    "affine": (_affine, "y = w·x + b, w, b ~ N(0, 1) per task, x ~ N(0, 1)"),
    "teacher": (
        _teacher,
        f"y = tanh(x W1 + b1)·w2, a random 2-layer tanh teacher per task, {TEACHER_HIDDEN} hidden; "
        "W1 ~ N(0, 1/F), b1, w2 ~ N(0, 1), x ~ N(0, 1)",
    ),
    "projected_digits": (
        None,
        "binary digits: a random pair of classes per task, pixels projected by a random N(0, 1) matrix, standardised",
    ),
}

_FORMULAS: dict[str, tuple[Callable[[F64], F64], float, float, str]] = {
    "koza_quartic": (lambda x: x**4 + x**3 + x**2 + x, -1.0, 1.0, "x^4 + x^3 + x^2 + x (Koza)"),
    "nguyen1": (lambda x: x**3 + x**2 + x, -1.0, 1.0, "x^3 + x^2 + x"),
    "nguyen2": (lambda x: x**4 + x**3 + x**2 + x, -1.0, 1.0, "x^4 + x^3 + x^2 + x"),
    "nguyen3": (lambda x: x**5 + x**4 + x**3 + x**2 + x, -1.0, 1.0, "x^5 + x^4 + x^3 + x^2 + x"),
    "nguyen4": (lambda x: x**6 + x**5 + x**4 + x**3 + x**2 + x, -1.0, 1.0, "x^6 + x^5 + x^4 + x^3 + x^2 + x"),
    "nguyen5": (lambda x: np.sin(x**2) * np.cos(x) - 1, -1.0, 1.0, "sin(x^2) cos(x) - 1"),
    "nguyen6": (lambda x: np.sin(x) + np.sin(x + x**2), -1.0, 1.0, "sin(x) + sin(x + x^2)"),
    "nguyen7": (lambda x: np.log(x + 1) + np.log(x**2 + 1), 0.0, 2.0, "log(x + 1) + log(x^2 + 1)"),
    "nguyen8": (lambda x: np.sqrt(x), 0.0, 4.0, "sqrt(x)"),
}

CHAIN_TRAP_REWARD = 0.1


class ChainMDP:
    """A chain of ``length`` states, starting at the left end; action 1 moves right, action 0 left.

    Reaching the right end pays 1 and ends the episode; moving left from the start pays
    ``CHAIN_TRAP_REWARD`` and ends it (a trap a greedy learner must look past).  Observations are
    one-hot states; an episode is truncated after ``max_steps`` steps.  Deterministic.
    """

    def __init__(self, length: int, max_steps: int) -> None:
        self.length = length
        self.max_steps = max_steps
        self.state = 0
        self.t = 0

    def _obs(self) -> F32:
        obs = np.zeros(self.length, np.float32)
        obs[self.state] = 1.0
        return obs

    def reset(self, seed: int | None = None) -> tuple[F32, dict[str, Any]]:
        self.state, self.t = 0, 0
        return self._obs(), {}

    def step(self, action: int) -> tuple[F32, float, bool, bool, dict[str, Any]]:
        self.t += 1
        if action == 0 and self.state == 0:
            return self._obs(), CHAIN_TRAP_REWARD, True, False, {}
        self.state = max(0, self.state + (1 if action == 1 else -1))
        done = self.state == self.length - 1
        return self._obs(), 1.0 if done else 0.0, done, self.t >= self.max_steps and not done, {}


def make_env(env_id: str, max_steps: int, chain_length: int = 0) -> Any:
    """A gymnasium classic-control environment (imported here, only when needed) or the chain MDP."""
    if not env_id:
        return ChainMDP(chain_length, max_steps)
    import gymnasium

    return gymnasium.make(env_id, max_episode_steps=max_steps)


# name: (gymnasium id, obs dim, actions, max steps, gamma, episodes per epoch, eval episodes, chain length, text)
_CONTROL: dict[str, tuple[str, int, int, int, float, int, int, int, str]] = {
    "cartpole": ("CartPole-v1", 4, 2, 200, 0.99, 40, 10, 0,
                 "gymnasium CartPole-v1 capped at 200 steps; mean return of 10 greedy episodes"),
    "acrobot": ("Acrobot-v1", 6, 3, 200, 0.99, 40, 10, 0,
                "gymnasium Acrobot-v1 capped at 200 steps; mean return of 10 greedy episodes"),
    "mountaincar": ("MountainCar-v0", 2, 3, 200, 0.99, 40, 10, 0,
                    "gymnasium MountainCar-v0 (200 steps); mean return of 10 greedy episodes"),
    "chain": ("", 8, 2, 20, 0.9, 20, 5, 8,
              f"tabular 8-state chain MDP (goal pays 1, a trap at the start {CHAIN_TRAP_REWARD}); mean return of "
              "5 greedy episodes"),
}


def _gaussians8(rng: np.random.Generator, n: int) -> F64:
    """A mixture of 8 Gaussians (sd 0.1) evenly spaced on the circle of radius 2."""
    angle = 2 * np.pi * rng.integers(0, 8, n) / 8
    centres = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    out: F64 = centres + rng.normal(0.0, 0.1, (n, 2))
    return out


_DENSITY_SIZE = (2000, 1000, 1000)
_DENSITY: dict[str, tuple[Callable[[np.random.Generator, int], F64], str]] = {
    "moons2d": (lambda rng, n: datasets.make_moons(n, noise=0.05, random_state=_sk_seed(rng))[0],
                "two moons, noise 0.05"),
    "circles2d": (lambda rng, n: datasets.make_circles(n, noise=0.05, factor=0.5, random_state=_sk_seed(rng))[0],
                  "two concentric circles, noise 0.05, factor 0.5"),
    "gaussians8": (_gaussians8, "8 Gaussians (sd 0.1) on a circle of radius 2"),
    "spirals2d": (lambda rng, n: _spirals(rng, n)[0], "two interleaved spirals (2 turns), noise sd 0.03"),
}
_DENSITY_METRIC = ("fitness: minus held-out NLL in nats per standardised point (flow: exact; "
                   "VAE: importance-weighted, 128 samples)")
DIGITS_DENSITY = "digits_density"
DIGITS_DENSITY_SPLIT = (1078, 359, 360)  # 60/20/20 of sklearn's 1,797 digits, stratified by digit
_DIGITS_DENSITY_DESC = (
    "sklearn 8x8 digits as 64-D points: pixels 0..16 dequantised with U[0, 1) noise, 60/20/20 split "
    "stratified by digit, standardised with the scalar mean/std of all train pixels; fitness: minus "
    "held-out NLL in nats per standardised image (summed over the 64 dimensions; divide by 64 for "
    "nats per dimension; flow: exact; VAE: importance-weighted, 128 samples)"
)

_FAMILY_DEFAULTS: dict[str, OptionValue] = {"n_tasks": 10, "dim": 4, "n_train": 100, "n_val": 100,
                                             "fresh": 0, "fitness": "mse"}
LEARNER_FITNESS = ("mse", "squashed", "relative")
_FORMULA_DEFAULTS: dict[str, OptionValue] = {"n_train": 20, "n_test": 100}
_USER_DEFAULTS: dict[str, OptionValue] = {"target": "", "problem": ""}


def _defaults(name: str) -> dict[str, OptionValue]:
    if name == "projected_digits":
        return {**_FAMILY_DEFAULTS, "dim": 16}
    if name in _FAMILIES:
        return dict(_FAMILY_DEFAULTS)
    if name in _FORMULAS:
        return dict(_FORMULA_DEFAULTS)
    return {}


def _family_size(name: str) -> str:
    d = _defaults(name)
    kind = "binary" if name == "projected_digits" else "regression"
    return f"{d['n_tasks']} tasks x ({d['n_train']} train + {d['n_val']} val) x {d['dim']} features, {kind}"


_INFOS: dict[str, TaskInfo] = {
    **{
        name: TaskInfo(name, "supervised", "classification", desc, size)
        for name, (_, desc, size) in _SUPERVISED.items()
    },
    **{
        name: TaskInfo(
            name,
            "learner",
            "classification" if name == "projected_digits" else "regression",
            desc,
            _family_size(name),
        )
        for name, (_, desc) in _FAMILIES.items()
    },
    **{
        name: TaskInfo(
            name, "formula", "regression", f"{desc} on [{lo:g}, {hi:g}]", "20 train + 100 test points, 1 var"
        )
        for name, (_, lo, hi, desc) in _FORMULAS.items()
    },
    **{
        name: TaskInfo(name, "control", "control", row[8], f"{row[1]} observations, {row[2]} actions")
        for name, row in _CONTROL.items()
    },
    **{
        name: TaskInfo(name, "density", "density", f"{desc}; {_DENSITY_METRIC}",
                       f"{sum(_DENSITY_SIZE):,} x 2 (" + "/".join(f"{n:,}" for n in _DENSITY_SIZE) + ")")
        for name, (_, desc) in _DENSITY.items()
    },
    DIGITS_DENSITY: TaskInfo(DIGITS_DENSITY, "density", "density", _DIGITS_DENSITY_DESC,
                             "1,797 x 64 (" + "/".join(f"{n:,}" for n in DIGITS_DENSITY_SPLIT) + ")"),
}


# ---------------------------------------------------------------------------------------------
# Public API


def list_tasks() -> list[TaskInfo]:
    """Every built-in task: supervised, learner families, formulas, control, then density."""
    return list(_INFOS.values())


def task_info(spec: str) -> TaskInfo:
    """The row of a built-in task, or a description of a user data file (which is read to describe it)."""
    name, _ = _parse_spec(spec)
    if name in _INFOS:
        return _INFOS[name]
    data = load_task(spec)
    assert isinstance(data, Supervised)
    n = len(data.y_train) + len(data.y_val) + len(data.y_test)
    return TaskInfo(name, "supervised", data.problem, f"user data from {name}", _size(n, data))


def check_task_name(spec: str, span: Any = None) -> None:
    """Raise :class:`MlevError` (at ``span``) unless ``spec`` names a built-in task or a data file:
    what a program's ``task`` line is checked against, with no data loaded."""
    name, _ = _parse_spec(spec)
    if name not in _INFOS and not _looks_like_file(name):
        raise MlevError(f"unknown task '{name}'", span, "known tasks: " + ", ".join(_INFOS) + ", or a .csv/.npz file")


def load_task(spec: str, seed: int = 0, **options: OptionValue) -> Task:
    """Load the task named by ``spec`` (``NAME[:key=value...]``); ``options`` override the spec's options."""
    name, spec_options = _parse_spec(spec)
    check_task_name(spec)
    rng = np.random.default_rng(seed)
    if name in _SUPERVISED:
        _options(name, {**spec_options, **options}, {})
        x, y = _SUPERVISED[name][0](rng)
        return _supervised(name, np.asarray(x, dtype=np.float64), np.asarray(y), "classification", rng)
    if name in _FAMILIES:
        given = dict(_options(name, {**spec_options, **options}, _defaults(name)))
        fitness = str(given.pop("fitness"))
        if fitness not in LEARNER_FITNESS or (fitness != "mse" and name == "projected_digits"):
            allowed = "mse" if name == "projected_digits" else " or ".join(LEARNER_FITNESS)
            raise MlevError(f"option fitness={fitness} of task '{name}' must be {allowed}",
                            hint="squashed: AutoML-Zero's squashed error; relative: the same of RMSE / RMS(y); "
                                 "both for regression families")
        ints = _int_options(name, given)
        fresh = ints.pop("fresh")
        family = _family(name, rng, **ints)
        return replace(family, fitness=fitness, fresh=fresh)
    if name in _FORMULAS:
        opts = _int_options(name, _options(name, {**spec_options, **options}, _FORMULA_DEFAULTS))
        return _points(name, rng, opts["n_train"], opts["n_test"])
    if name in _CONTROL:
        _options(name, {**spec_options, **options}, {})
        env_id, obs_dim, n_actions, max_steps, gamma, per_epoch, n_eval, length, _ = _CONTROL[name]
        return Control(name, env_id, obs_dim, n_actions, max_steps, gamma, per_epoch, n_eval, length)
    if name in _DENSITY:
        _options(name, {**spec_options, **options}, {})
        x = np.asarray(_DENSITY[name][0](rng, sum(_DENSITY_SIZE)), np.float64)
        a, b = _DENSITY_SIZE[0], _DENSITY_SIZE[0] + _DENSITY_SIZE[1]
        x_train, x_val, x_test = _standardise(x[:a], x[a:b], x[b:])
        return Density(name, x_train, x_val, x_test)
    if name == DIGITS_DENSITY:
        _options(name, {**spec_options, **options}, {})
        return _digits_density(rng)
    return _user_data(name, _options(name, {**spec_options, **options}, _USER_DEFAULTS), rng)


# ---------------------------------------------------------------------------------------------
# Specs and options


def _parse_spec(spec: str) -> tuple[str, dict[str, OptionValue]]:
    name, *parts = spec.split(":")
    options: dict[str, OptionValue] = {}
    for part in parts:
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise MlevError(
                f"bad option '{part}' in task spec '{spec}'",
                hint="write options as NAME:key=value, e.g. data.csv:target=y",
            )
        options[key.strip()] = value.strip()
    return name.strip(), options


def _looks_like_file(name: str) -> bool:
    return Path(name).suffix.lower() in (".csv", ".npz") or "/" in name or Path(name).exists()


def _options(
    name: str, given: Mapping[str, OptionValue], defaults: Mapping[str, OptionValue]
) -> dict[str, OptionValue]:
    for key, value in given.items():
        if key not in defaults:
            takes = "options: " + ", ".join(defaults) if defaults else "it takes no options"
            raise MlevError(f"unknown option '{key}={value}' for task '{name}'", hint=takes)
    return {**defaults, **given}


# The allowed range of every numeric task option, and the most values a learner family may hold
# (n_tasks x (n_train + n_val) x dim): what a task can allocate is bounded before it allocates.
OPTION_RANGES: dict[str, tuple[int, int]] = {
    "n_tasks": (1, 10_000), "dim": (1, 4_096), "n_train": (1, 1_000_000), "n_val": (1, 1_000_000),
    "n_test": (1, 1_000_000), "fresh": (0, 1),
}
MAX_FAMILY_VALUES = 50_000_000


def _int_options(name: str, options: Mapping[str, OptionValue]) -> dict[str, int]:
    """The options as integers, each inside its :data:`OPTION_RANGES` range (``1e3`` is 1000)."""
    out: dict[str, int] = {}
    for key, value in options.items():
        lo, hi = OPTION_RANGES[key]
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str):
            try:
                number = int(value)
            except ValueError:
                as_float = _number(value)
                if as_float is not None and math.isfinite(as_float) and as_float == round(as_float):
                    number = int(as_float)
        if number is None or not lo <= number <= hi:
            raise MlevError(f"option {key}={value} of task '{name}' must be an integer from {lo:,} to {hi:,}",
                            hint=f"write e.g. {name}:{key}={_defaults(name).get(key, lo)}")
        out[key] = number
    if "n_tasks" in out:
        total = out["n_tasks"] * (out["n_train"] + out["n_val"]) * out["dim"]
        if total > MAX_FAMILY_VALUES:
            raise MlevError(f"task '{name}' would hold n_tasks x (n_train + n_val) x dim = {total:,} values, more "
                            f"than the {MAX_FAMILY_VALUES:,} allowed", hint="lower n_tasks, n_train, n_val or dim")
    return out


# ---------------------------------------------------------------------------------------------
# Builders


def _split(y: I64 | None, n: int, rng: np.random.Generator) -> tuple[I64, I64, I64]:
    """Indices of a 60/20/20 split, stratified by ``y`` when given."""
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if y is not None else [np.arange(n)]
    parts: tuple[list[I64], list[I64], list[I64]] = ([], [], [])
    for group in groups:
        group = rng.permutation(group)
        a = round(0.6 * len(group))
        b = a + round(0.2 * len(group))
        for part, chunk in zip(parts, (group[:a], group[a:b], group[b:]), strict=True):
            part.append(chunk)
    train, val, test = (rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts)
    return train, val, test


def _standardise(train: F64, *others: F64, name: str = "data", what: str = "column") -> list[F32]:
    """``train`` and ``others`` (rows x columns, float64) standardised with the train mean/std, as float32.

    Each column is first divided by its train max-abs, so numbers up to float64's limit (about 1e308)
    give no overflow in the variance; a column whose train values are all equal is only centred.
    Raises :class:`MlevError` naming ``name`` and the column (``what`` 1-based) when a standardised
    value is beyond float32 (a val/test value ~1e38 train standard deviations away).
    """
    scale = np.max(np.abs(train), axis=0) if len(train) else np.ones(train.shape[1:])
    scale = np.where(scale > 0, scale, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = train / scale
        mean = scaled.mean(axis=0)
        std = scaled.std(axis=0)
        std = np.where(std < 1e-12, 1.0, std)
        out = [((a / scale - mean) / std).astype(np.float32) for a in (train, *others)]
    for part in out:
        bad = np.argwhere(~np.isfinite(part))
        if len(bad):
            column = int(bad[0][-1]) + 1 if part.ndim > 1 else 1
            raise MlevError(f"{name}: {what} {column}: a value is too far from the train values to standardise "
                            "(beyond float32 range in train standard deviations)",
                            hint="rescale the column or drop the outlying row")
    return out


def _supervised(name: str, x: F64, y: npt.NDArray[Any], problem: Problem, rng: np.random.Generator) -> Supervised:
    n = len(y)
    if problem == "classification":
        classes, ids = np.unique(y, return_inverse=True)
        labels: I64 | None = ids.astype(np.int64).reshape(-1)
        if len(classes) < 2:
            raise MlevError(
                f"{name}: the target has only one class ({classes[0]})", hint="a classifier needs two or more"
            )
    else:
        labels = None
    train, val, test = _split(labels, n, rng)
    if min(len(train), len(val), len(test)) == 0:
        per = f" in {int(labels.max()) + 1} classes" if labels is not None else ""
        raise MlevError(
            f"{name}: too few rows ({n}{per}) to split into train/validation/test",
            hint="give at least a few rows per class",
        )
    x_tr, x_va, x_te = _standardise(x[train], x[val], x[test], name=name, what="feature column")
    if labels is not None:
        ys: list[npt.NDArray[Any]] = [labels[train], labels[val], labels[test]]
        n_classes = int(labels.max()) + 1
    else:
        yf = y.astype(np.float64)[:, None]
        ys = [a[:, 0] for a in _standardise(yf[train], yf[val], yf[test], name=name, what="target column")]
        n_classes = 0
    return Supervised(name, problem, x_tr, ys[0], x_va, ys[1], x_te, ys[2], n_classes)


def _family(name: str, rng: np.random.Generator, n_tasks: int, dim: int, n_train: int, n_val: int) -> Family:
    if name == "projected_digits":
        return _projected_digits(rng, n_tasks, dim, n_train, n_val)
    target = _FAMILIES[name][0]
    assert target is not None
    x = rng.normal(size=(n_tasks, n_train + n_val, dim)).astype(np.float32).astype(np.float64)
    y = target(rng, x).astype(np.float32)
    x32 = x.astype(np.float32)
    return Family(name, "regression", x32[:, :n_train], y[:, :n_train], x32[:, n_train:], y[:, n_train:])


def _projected_digits(rng: np.random.Generator, n_tasks: int, dim: int, n_train: int, n_val: int) -> Family:
    """Random class pairs of sklearn digits; n is capped by the smallest pair, the same for every task."""
    x_all, y_all = datasets.load_digits(return_X_y=True)
    pairs = [rng.choice(10, size=2, replace=False) for _ in range(n_tasks)]
    available = min(int(np.isin(y_all, pair).sum()) for pair in pairs)
    if n_train + n_val > available:
        n_train = max(1, round(available * n_train / (n_train + n_val)))
        n_val = available - n_train
    xs, ys = [], []
    for pair in pairs:
        rows = rng.choice(np.flatnonzero(np.isin(y_all, pair)), size=n_train + n_val, replace=False)
        projected = x_all[rows] @ rng.normal(size=(x_all.shape[1], dim))
        xs.append(np.concatenate(_standardise(projected[:n_train], projected[n_train:])))
        ys.append((y_all[rows] == pair[1]).astype(np.float32))
    x, y = np.stack(xs), np.stack(ys)
    return Family("projected_digits", "classification", x[:, :n_train], y[:, :n_train], x[:, n_train:], y[:, n_train:])


def _digits_density(rng: np.random.Generator) -> Density:
    """sklearn's digits, dequantised (pixel + U[0, 1)), split 60/20/20 by digit and standardised.

    Dequantisation turns the integer pixels into a continuous density on [0, 17)^64 whose
    likelihood is finite (constant pixels become uniform on [0, 1) rather than a point mass).  The
    standardisation is one scalar mean/std over all train pixels, not per pixel: per-pixel scaling
    would blow the near-constant border pixels' dequantisation noise up to unit variance.
    """
    x, y = datasets.load_digits(return_X_y=True)
    x = np.asarray(x, np.float64) + rng.uniform(0.0, 1.0, x.shape)
    train, val, test = _split(np.asarray(y, np.int64), len(y), rng)
    mean, std = float(x[train].mean()), float(x[train].std())  # one scalar each: pixels keep their relative scale
    x_train, x_val, x_test = (((x[rows] - mean) / std).astype(np.float32) for rows in (train, val, test))
    return Density(DIGITS_DENSITY, x_train, x_val, x_test)


def _points(name: str, rng: np.random.Generator, n_train: int, n_test: int) -> Points:
    formula, lo, hi, _ = _FORMULAS[name]
    x_train = rng.uniform(lo, hi, (n_train, 1))
    x_test = rng.uniform(lo, hi, (n_test, 1))
    return Points(name, x_train, formula(x_train[:, 0]), x_test, formula(x_test[:, 0]), 1)


def _size(n: int, data: Supervised) -> str:
    kind = f"{data.n_classes} classes" if data.problem == "classification" else "regression"
    return f"{n:,} x {data.n_features}, {kind}"


# ---------------------------------------------------------------------------------------------
# User data
#
# One rule for every cell, features and targets alike: a cell holds a finite number, or (in a
# target of class labels only) text.  A missing value (an empty cell, ``nan``, ``NA``, ...) is an
# error at its ``FILE:ROW:COLUMN`` wherever it is, never a number or a class of its own.

MISSING = frozenset({"", "na", "n/a", "nan", "-nan", "+nan", "null", "none", "nil", "missing", "?", ".",
                     "#n/a", "#n/a n/a", "#na", "<na>", "-1.#ind", "1.#ind", "-1.#qnan", "1.#qnan"})
_MISSING_HINT = "mlevolve does not impute: fill the cell in or drop its row"


def _user_data(path: str, options: Mapping[str, OptionValue], rng: np.random.Generator) -> Supervised:
    forced = str(options["problem"])
    if forced not in ("", "classification", "regression"):
        raise MlevError(f"option problem={forced} must be 'classification' or 'regression'")
    file = Path(path)
    if not file.is_file():
        raise MlevError(f"no such file: {path}", hint="a task is a built-in name or an existing .csv/.npz file")
    suffix = file.suffix.lower()
    if suffix == ".csv":
        x, y = _read_csv(file, str(options["target"]), forced)
    elif suffix == ".npz":
        if options["target"]:
            raise MlevError(
                f"option target= applies to CSV files, not {path}", hint="an .npz file holds arrays X and y"
            )
        x, y = _read_npz(file, forced)
    else:
        raise MlevError(f"unsupported data file: {path}", hint="use a .csv (with a header row) or an .npz (X and y)")
    return _supervised(path, x, y, _detect(y, forced), rng)


def data_source(spec: str) -> tuple[str, str] | None:
    """``(absolute path, SHA-256 of its bytes)`` of the user data file a task spec names, or None for
    a built-in task: what identifies the data a run was scored on, wherever it is run from."""
    name, _ = _parse_spec(spec)
    if name in _INFOS or not _looks_like_file(name):
        return None
    file = Path(name)
    if not file.is_file():
        raise MlevError(f"no such file: {name}", hint="a task is a built-in name or an existing .csv/.npz file")
    try:
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError as err:
        raise MlevError(f"cannot read {name}: {err.strerror}", hint="a task is a built-in name or a .csv/.npz file") \
            from None
    return str(file.resolve()), digest


def _detect(y: npt.NDArray[Any], forced: str) -> Problem:
    """Stated, or detected: text labels and at most ``MAX_CLASSES`` distinct integers are classes."""
    if forced == "regression":
        return "regression"
    if forced == "classification" or y.dtype.kind not in "biuf":
        return "classification"
    yf = y.astype(np.float64)
    if np.all(yf == np.round(yf)) and len(np.unique(yf)) <= MAX_CLASSES:
        return "classification"
    return "regression"


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _cell_fault(cell: str) -> tuple[str, str] | None:
    """Why a cell is not a finite number (message, hint), or None if it is one."""
    text = cell.strip()
    if text.casefold() in MISSING:
        return (f"'{text}' is a missing value" if text else "the cell is empty (a missing value)"), _MISSING_HINT
    value = _number(text)
    if value is None:
        return f"'{text}' is not a number", "every cell must hold a number, except a target of class labels"
    if not math.isfinite(value):
        return f"'{text}' is not a finite number", "every number must be finite"
    return None


def _target_fault(cell: str, forced: str) -> tuple[str, str] | None:
    """Why a target cell is bad (message, hint), or None: text is a class label unless stated otherwise."""
    fault = _cell_fault(cell)
    if fault is None or (fault[0].endswith("is not a number") and forced != "regression"):
        return None
    return fault if forced != "regression" else (fault[0], "problem=regression needs a number in every target cell")


def _target(cells: list[str], forced: str, where: Callable[[int], tuple[str, str]]) -> npt.NDArray[Any]:
    """Target cells as float64 numbers, or as text class labels (stripped; numbers in a column stated
    to be labels are written canonically, so ``1`` and ``1.0`` are one class).

    ``where(i)`` gives the file location and name of cell ``i`` for the :class:`MlevError` raised for
    a missing value, a non-finite number, or (unless the problem is stated) a column that mixes
    numbers and text.
    """
    numbers: list[float | None] = []
    for i, cell in enumerate(cells):
        fault = _target_fault(cell, forced)
        if fault is not None:
            file, name = where(i)
            raise MlevError(f"{name}: {fault[0]}", file=file, hint=fault[1])
        numbers.append(_number(cell) if _cell_fault(cell) is None else None)  # None: text, a class label
    text = [i for i, v in enumerate(numbers) if v is None]
    if not text:
        return np.array(numbers, dtype=np.float64)
    if forced == "classification":
        return np.array([cell.strip() if v is None else repr(v) for cell, v in zip(cells, numbers, strict=True)])
    numeric = [i for i, v in enumerate(numbers) if v is not None]
    if numeric:
        odd = text[0] if len(numeric) >= len(text) else numeric[0]
        file, name = where(odd)
        kind = "is not a number" if odd in text else "is a number"
        raise MlevError(f"{name}: '{cells[odd].strip()}' {kind}, unlike most of the column "
                        f"({len(numeric)} numbers, {len(text)} text)", file=file,
                        hint="fix the cell, or add :problem=classification to read every cell as a class label")
    return np.array([cell.strip() for cell in cells])


def _read_csv(file: Path, target: str, forced: str) -> tuple[F64, npt.NDArray[Any]]:
    """Features (float64, file order without the target) and target cells of a CSV with a header."""
    if not target:
        raise MlevError(f"{file}: which column is the target?", hint=f"write {file}:target=COLUMN")
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            header_line = reader.line_num
            rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise MlevError(f"cannot read {file}: {err}") from None
    if not header:
        raise MlevError(f"{file}: empty file, expected a header row of column names")
    seen: dict[str, int] = {}
    for j, column in enumerate(header):
        if column in seen:
            raise MlevError(f"column name '{column}' appears twice: columns {seen[column] + 1} and {j + 1}",
                            file=f"{file}:{header_line}:{j + 1}", hint="give every column its own name")
        seen[column] = j
    if target not in header:
        raise MlevError(f"{file}: no column named '{target}'", hint="columns: " + ", ".join(header))
    if not rows:
        raise MlevError(f"{file}: empty dataset, the file has a header but no data rows")
    if len(header) < 2:
        raise MlevError(f"{file}: no feature columns besides the target '{target}'")
    t = header.index(target)
    x = np.empty((len(rows), len(header) - 1))
    for i, (line, row) in enumerate(rows):
        if len(row) != len(header):
            raise MlevError(f"{file}: row {line} has {len(row)} cells, the header has {len(header)}")
        for j, cell in enumerate(row):  # the first bad cell in file order, target or feature
            fault = _target_fault(cell, forced) if j == t else _cell_fault(cell)
            if fault is not None:
                name = f"target column '{target}'" if j == t else f"column '{header[j]}'"
                raise MlevError(f"{name}: {fault[0]}", file=f"{file}:{line}:{j + 1}", hint=fault[1])
            if j != t:
                x[i, j if j < t else j - 1] = float(cell)
    y = _target([row[t] for _, row in rows], forced,
                lambda i: (f"{file}:{rows[i][0]}:{t + 1}", f"target column '{target}'"))
    return x, y


def _read_npz(file: Path, forced: str) -> tuple[F64, npt.NDArray[Any]]:
    """``X`` (rows x features, finite numbers) and ``y`` (numbers or text labels) of an .npz file."""
    try:
        with np.load(file, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise MlevError(f"cannot read {file}: {err}") from None
    for key in ("X", "y"):
        if key not in arrays:
            raise MlevError(
                f"{file}: no array named '{key}'", hint="arrays in the file: " + (", ".join(arrays) or "none")
            )
        if not isinstance(arrays[key], np.ndarray):
            raise MlevError(f"{file}: member '{key}' is not a NumPy array (not in .npy format)",
                            hint="write the file with numpy.savez(path, X=..., y=...)")
    x, y = arrays["X"], arrays["y"]
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if x.ndim != 2 or y.ndim != 1:
        raise MlevError(f"{file}: X must be 2-D (rows x features) and y 1-D, got shapes {x.shape} and {y.shape}")
    if len(x) != len(y):
        raise MlevError(f"{file}: X has {len(x)} rows but y has {len(y)}", hint="X and y need one row per example")
    if len(y) == 0 or x.shape[1] == 0:
        raise MlevError(f"{file}: empty dataset, X has shape {x.shape}")
    if x.dtype.kind not in "biuf":
        raise MlevError(f"{file}: X must be numeric, got dtype {x.dtype}")
    x = x.astype(np.float64)
    bad = np.argwhere(~np.isfinite(x))
    if len(bad):
        r, c = bad[0]
        what = "a missing value" if np.isnan(x[r, c]) else "not a finite number"
        raise MlevError(f"X row {r + 1}, column {c + 1} is {x[r, c]}, {what}", file=str(file),
                        hint=_MISSING_HINT if what.startswith("a missing") else "every number must be finite")
    if y.dtype.kind not in "biufUS":
        raise MlevError(f"{file}: y must hold numbers or strings, got dtype {y.dtype}")
    cells = [str(v) for v in (y.astype(np.float64) if y.dtype.kind in "biuf" else y.astype(str)).tolist()]
    return x, _target(cells, forced, lambda i: (str(file), f"y row {i + 1}"))


_KIND_OF: dict[str, type] = {"supervised": Supervised, "learner": Family, "formula": Points, "rl": Control,
                             "generative": Density}
_TASK_KIND: dict[str, TaskKind] = {"supervised": "supervised", "learner": "learner", "formula": "formula",
                                   "rl": "control", "generative": "density"}


def check_task_fits(compiled: Any, task: Task, task_name: str) -> None:
    """A program of one category (``compiled.category``, see :mod:`mlevolve.interpreter.codegen`) needs
    a task of the matching kind, and a formula one input per variable: raises :class:`MlevError`.

    Here, beside the task registry, so the check needs no PyTorch and a misfit is reported at once.
    """
    wanted = _KIND_OF[compiled.category]
    if not isinstance(task, wanted):
        kind = _TASK_KIND[compiled.category]
        names = ", ".join(t.name for t in list_tasks() if t.kind == kind)
        raise MlevError(f"a {compiled.category} program cannot run on task '{task_name}'",
                        hint=f"{kind} tasks: {names}")
    if isinstance(task, Points) and task.n_vars != compiled.n_inputs:
        raise MlevError(f"the formula takes {compiled.n_inputs} input(s) but task '{task_name}' has {task.n_vars}",
                        hint="give the formula one Scalar parameter per input variable")


def arrays(task: Task) -> dict[str, Any]:
    """The plain arrays (and flags) the runtime loops take, from any kind of task."""
    out: dict[str, Any] = {f.name: getattr(task, f.name) for f in fields(task)}
    if isinstance(task, Family):
        out["classification"] = task.problem == "classification"
    if isinstance(task, Control):
        out["make_env"] = task.make
    return out


# ---------------------------------------------------------------------------------------------
# A formula on the user's data


def _csv_header(file: Path) -> list[str]:
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            return [h.strip() for h in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise MlevError(f"cannot read {file}: {err}") from None


def load_points(spec: str, inputs: tuple[str, ...], seed: int = 0) -> Points:
    """A formula task from the user's data file ``spec`` (``file.csv:target=COLUMN`` or ``file.npz``,
    whose X columns are named ``x0, x1, ...``): the columns are mapped to the formula's parameters
    ``inputs`` by name.  Read and validated by the supervised CSV/NPZ reader, split as it splits
    (training and validation rows are the training points, test rows the held-out points); targets
    and inputs are kept in their own units (a formula is fitted in them).

    Raises MlevError naming the missing or extra columns."""
    name, options = _parse_spec(spec)
    opts = _options(name, options, _USER_DEFAULTS)
    file = Path(name)
    if not file.is_file():
        raise MlevError(f"no such file: {name}", hint="a task is a built-in name or an existing .csv/.npz file")
    suffix = file.suffix.lower()
    if suffix == ".csv":
        x, y = _read_csv(file, str(opts["target"]), "regression")
        columns = [h for h in _csv_header(file) if h != opts["target"]]
    elif suffix == ".npz":
        x, y = _read_npz(file, "regression")
        columns = [f"x{j}" for j in range(x.shape[1])]
    else:
        raise MlevError(f"unsupported data file: {name}", hint="use a .csv (with a header row) or an .npz (X and y)")
    missing = [p for p in inputs if p not in columns]
    extra = [c for c in columns if c not in inputs]
    if missing or extra:
        parts = ([f"no column for parameter(s) {', '.join(missing)}"] if missing else []) + \
                ([f"column(s) {', '.join(extra)} not used by the formula"] if extra else [])
        raise MlevError(f"{name}: {'; '.join(parts)}",
                        hint=f"the formula's parameters are named after the columns: {', '.join(columns)}")
    yf = np.asarray(y, np.float64)
    order = [columns.index(p) for p in inputs]
    train, val, test = _split(None, len(yf), np.random.default_rng(seed))
    fit_rows = np.concatenate([train, val])
    xs = np.asarray(x, np.float64)[:, order]
    return Points(name, xs[fit_rows], yf[fit_rows], xs[test], yf[test], len(inputs))


def is_data_file(spec: str) -> bool:
    """Whether the task ``spec`` names a user's data file rather than a built-in task."""
    name = _parse_spec(spec)[0]
    return name not in _INFOS and _looks_like_file(name)
