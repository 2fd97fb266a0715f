"""The registry of the tasks mlevolve trains and scores programs on: names, descriptions, option
checking, and users' data files read by the standalone reader in the library's words (the loaders,
which exported scripts carry, are :mod:`mlevolve.interpreter.standalone`'s ``data_*`` modules; the
rules of a data file have one owner, ``standalone.data.read_table``).

One kind of task per training regime (:mod:`mlevolve.interpreter.regimes`), named like it:

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
* ``rl``: a reinforcement-learning environment for ``pg_loss``/``td_loss`` programs: the
  gymnasium classic-control ``cartpole``, ``acrobot`` and ``mountaincar`` (gymnasium is imported
  only when one is made) and ``chain``, a small tabular chain MDP in numpy.  Fitness is the mean
  undiscounted return of greedy evaluation episodes.
* ``generative``: distributions for ``vae_loss``/``flow_loss`` programs.  The 2-D toys ``moons2d``,
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

import contextlib
import functools
import hashlib
import os
import re
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt

from mlevolve.dsl.errors import KIND_USE, MlevError, closest, csv_header, did_you_mean, file_kind, headerless
from mlevolve.dsl.types import with_article
from mlevolve.interpreter.standalone import data as _data
from mlevolve.interpreter.standalone.data import MAX_CLASSES, _detect, read_table
from mlevolve.interpreter.standalone.data_control import CHAIN_TRAP_REWARD, CONTROL, ChainMDP, control_task, make_env
from mlevolve.interpreter.standalone.data_density import (
    DENSITY,
    DENSITY_SIZE,
    DIGITS_DENSITY,
    DIGITS_DENSITY_SPLIT,
    density_task,
)
from mlevolve.interpreter.standalone.data_formula import (
    FILE_OPTIONS,
    FORMULA_OPTIONS,
    FORMULAS,
    file_points,
    points,
)
from mlevolve.interpreter.standalone.data_learner import FAMILIES as _SYNTHETIC
from mlevolve.interpreter.standalone.data_learner import (
    FAMILY_OPTIONS,
    LEARNER_FILE_OPTIONS,
    MAX_FAMILY_VALUES,
    PROJECTED_DIGITS,
    TEACHER_HIDDEN,
    check_family_size,
    family,
    family_options,
    learner_file,
)
from mlevolve.interpreter.standalone.data_supervised import SUPERVISED, USER_OPTIONS, checked, supervised
from mlevolve.interpreter.standalone.spec import (
    OPTION_RANGES,
    TaskError,
    parse_spec,
    spec_name,
    spec_options,
    split_spec,
    task_hint,
)
from mlevolve.messages import counted

__all__ = ["CHAIN_TRAP_REWARD", "DIGITS_DENSITY", "LEARNER_FITNESS", "MAX_CLASSES", "MAX_FAMILY_VALUES",
           "OPTION_RANGES", "ChainMDP", "Control", "Density",
           "Family", "Points", "Supervised", "Task", "TaskInfo", "arrays", "check_task_fits", "check_task_kind",
           "check_task_name",
           "data_source", "is_data_file", "list_tasks", "load_learner_data", "load_points", "load_task", "make_env",
           "search_spec", "spec_beside", "spec_checked", "task_info", "task_options"]

TaskKind = Literal["supervised", "learner", "formula", "rl", "generative"]  # the regimes' names
Problem = Literal["classification", "regression", "control", "density"]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
OptionValue = int | str | None  # None: a data file's n_train left out (every row)
Defaults = Mapping[str, Any]  # a tuple: the option takes one of its values, the first default
FAMILIES = (*_SYNTHETIC, PROJECTED_DIGITS)  # every learner family
LEARNER_FITNESS: tuple[str, ...] = FAMILY_OPTIONS["fitness"]  # a learner's option fitness= (run_learner)


class _Record:
    """A task as the library holds it: typed fields, made from a loader's dict (:meth:`of`), and the
    dict the regime's loop takes back (:meth:`arrays`)."""

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        """The record of a loader's dict; a field the dict lacks takes its default (``text_labels``: a built-in's)."""
        return cls(**{name: data[name] for name in _field_names(cls) if name in data})

    def arrays(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _field_names(type(self), loops=True)}


_FIELDS: dict[tuple[type, bool], tuple[str, ...]] = {}
_ABOUT = {"about": True}  # a field's metadata: what the library says of the task, which no training loop takes


def _field_names(cls: type, loops: bool = False) -> tuple[str, ...]:
    """A record class's field names (with ``loops``: those the training loops take, not :data:`_ABOUT` ones), found
    once (``dataclasses.fields`` costs more than the dict it feeds)."""
    names = _FIELDS.get((cls, loops))
    if names is None:
        names = _FIELDS[cls, loops] = tuple(f.name for f in fields(cls) if not (loops and f.metadata.get("about")))
    return names


@dataclass(frozen=True)
class Supervised(_Record):
    """One dataset with fixed train/validation/test splits (60/20/20, stratified for classification):
    features float32 (n, F); targets int64 class ids or float32 standardised values, shape (n,)."""

    name: str
    problem: Problem
    x_train: F32
    y_train: npt.NDArray[Any]
    x_val: F32
    y_val: npt.NDArray[Any]
    x_test: F32
    y_test: npt.NDArray[Any]
    n_classes: int  # 0 for regression
    # a user's file whose target held text: classes, which no problem= reads as numbers (the summary's, not the loop's)
    text_labels: bool = field(default=False, metadata=_ABOUT)

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.problem == "classification" else 1


@dataclass(frozen=True)
class Family(_Record):
    """A batch of T small tasks for learner programs; classification is binary with labels 0.0/1.0."""

    name: str
    problem: Problem
    x_train: F32  # (T, n_train, F)
    y_train: F32  # (T, n_train)
    x_val: F32  # (T, n_val, F)
    y_val: F32  # (T, n_val)
    # The search's fitness (options ``fitness=`` and ``fresh=``): "mse" (minus the validation MSE),
    # "squashed" (AutoML-Zero's squashed error) or "relative" (the same, of each task's error
    # relative to predicting 0), see ``run_learner``; with ``fresh`` = 1 each candidate is scored on
    # tasks drawn anew from the family (``ProgramEvaluator``), so that no program can gain by
    # fitting the particular tasks of a run.
    fitness: str = "mse"
    fresh: int = 0
    text_labels: bool = field(default=False, metadata=_ABOUT)  # a user's file whose target held text (Supervised's)

    def arrays(self) -> dict[str, Any]:
        return {**super().arrays(), "classification": self.problem == "classification"}


@dataclass(frozen=True)
class Points(_Record):
    """Symbolic regression: training and held-out points of a formula of ``n_vars`` variables, and each point's
    weight (a data file's ``weight=`` column: above 0, not all equal) or None (unweighted: every point counts 1)."""

    name: str
    x_train: F64  # (n, n_vars)
    y_train: F64  # (n,)
    x_test: F64
    y_test: F64
    n_vars: int
    w_train: F64 | None = None  # (n,)
    w_test: F64 | None = None


@dataclass(frozen=True)
class Control(_Record):
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

    def arrays(self) -> dict[str, Any]:
        return {**super().arrays(), "make_env": self.make}


@dataclass(frozen=True)
class Density(_Record):
    """Samples of a distribution for density estimation, standardised with the train mean/std."""

    name: str
    x_train: F32  # (n, 2) for the 2-D toys, (n, 64) for digits_density
    x_val: F32
    x_test: F32


Task = Supervised | Family | Points | Control | Density


@dataclass(frozen=True)
class TaskInfo:
    """One row of :func:`list_tasks`: what a task is, for people."""

    name: str
    kind: TaskKind
    problem: Problem
    description: str
    size: str  # human text, e.g. "1,797 x 64, 10 classes"


@contextlib.contextmanager
def _task_errors() -> Iterator[None]:
    """A loader's :class:`TaskError` as the library's :class:`MlevError` (same message and hint)."""
    try:
        yield
    except TaskError as err:  # a place in a data file is the error's location (FILE:LINE:COLUMN: error: ...)
        what = err.message[len(err.where) + 2:] if err.where else err.message  # (the message after "WHERE: ")
        said = MlevError(what, hint=err.hint or None, file=err.where or None)
        said.option, said.param = err.option, getattr(err, "param", "")
        raise said from None


def _standardise(train: Any, *others: Any, name: str = "data", what: str = "column") -> list[Any]:
    """:func:`mlevolve.interpreter.standalone.data._standardise`, checked: a value beyond float32 is an
    :class:`MlevError` naming ``name`` and the column (``what``, 1-based)."""
    with _task_errors():
        return _data._check_standardised(_data._standardise(train, *others), name, what)


# ---------------------------------------------------------------------------------------------
# What each task is, for people: (description, size) by name, beside the loaders' tables.

_SUPERVISED_TEXT = {
    "digits": ("8x8 handwritten digits", "1,797 x 64, 10 classes"),
    "iris": ("Fisher's iris flowers", "150 x 4, 3 classes"),
    "wine": ("wine cultivars", "178 x 13, 3 classes"),
    "breast_cancer": ("Wisconsin breast cancer diagnosis", "569 x 30, 2 classes"),
    "moons": ("two interleaving half circles, noise 0.1", "1,000 x 2, 2 classes"),
    "circles": ("two concentric circles, noise 0.05, factor 0.5", "1,000 x 2, 2 classes"),
    "spirals": ("two interleaved spirals (2 turns), noise sd 0.03", "1,000 x 2, 2 classes"),
}
_FAMILY_TEXT = {
    "linear": "y = w·x, w ~ N(0, 1) per task, x ~ N(0, 1)",
    "affine": "y = w·x + b, w, b ~ N(0, 1) per task, x ~ N(0, 1)",
    "teacher": f"y = tanh(x W1 + b1)·w2, a random 2-layer tanh teacher per task, {TEACHER_HIDDEN} hidden; "
               "W1 ~ N(0, 1/F), b1, w2 ~ N(0, 1), x ~ N(0, 1)",
    "projected_digits": "digits: a random pair of classes per task, pixels projected by a random N(0, 1) "
                        "matrix, standardised",
}
_FORMULA_TEXT = {
    "koza_quartic": "x^4 + x^3 + x^2 + x (Koza)", "nguyen1": "x^3 + x^2 + x", "nguyen2": "x^4 + x^3 + x^2 + x",
    "nguyen3": "x^5 + x^4 + x^3 + x^2 + x", "nguyen4": "x^6 + x^5 + x^4 + x^3 + x^2 + x",
    "nguyen5": "sin(x^2) cos(x) - 1", "nguyen6": "sin(x) + sin(x + x^2)", "nguyen7": "log(x + 1) + log(x^2 + 1)",
    "nguyen8": "sqrt(x)",
}
_CONTROL_TEXT = {
    "cartpole": "gymnasium CartPole-v1 capped at 200 steps; mean return of 10 greedy episodes",
    "acrobot": "gymnasium Acrobot-v1 capped at 200 steps; mean return of 10 greedy episodes",
    "mountaincar": "gymnasium MountainCar-v0 (200 steps); mean return of 10 greedy episodes",
    "chain": f"tabular 8-state chain MDP (goal pays 1, a trap at the start {CHAIN_TRAP_REWARD}; deterministic: "
             "test_return is val_return); mean return of 5 greedy episodes",
}
_DENSITY_TEXT = {
    "moons2d": "two moons, noise 0.05", "circles2d": "two concentric circles, noise 0.05, factor 0.5",
    "gaussians8": "8 Gaussians (sd 0.1) on a circle of radius 2",
    "spirals2d": "two interleaved spirals (2 turns), noise sd 0.03",
}
_DENSITY_METRIC = ("fitness: minus held-out NLL in nats per standardised point (flow: exact; "
                   "VAE: importance-weighted, 128 samples)")
_DIGITS_DENSITY_DESC = (
    "sklearn 8x8 digits as 64-D points: pixels 0..16 dequantised with U[0, 1) noise, 60/20/20 split "
    "stratified by digit, standardised with the scalar mean/std of all train pixels; fitness: minus "
    "held-out NLL in nats per standardised image (summed over the 64 dimensions; divide by 64 for "
    "nats per dimension; flow: exact; VAE: importance-weighted, 128 samples)"
)


def _defaults(name: str) -> dict[str, OptionValue]:
    if name in FAMILIES:
        return family_options(name)
    if name in FORMULAS:
        return dict(FORMULA_OPTIONS)
    return {}


def _family_size(name: str) -> str:
    d = _defaults(name)
    kind = "binary" if name == "projected_digits" else "regression"
    return f"{d['n_tasks']:,} tasks x ({d['n_train']:,} train + {d['n_val']:,} val) x {d['dim']:,} features, {kind}"


_INFOS: dict[str, TaskInfo] = {
    **{name: TaskInfo(name, "supervised", "classification", *_SUPERVISED_TEXT[name]) for name in SUPERVISED},
    **{name: TaskInfo(name, "learner", "classification" if name == "projected_digits" else "regression",
                      _FAMILY_TEXT[name], _family_size(name)) for name in FAMILIES},
    **{name: TaskInfo(name, "formula", "regression", f"{_FORMULA_TEXT[name]} on [{lo:g}, {hi:g}]",
                      "20 train + 100 test points, 1 var") for name, (_, lo, hi) in FORMULAS.items()},
    **{name: TaskInfo(name, "rl", "control", f"{_CONTROL_TEXT[name]}; gamma {row[4]:g}",
                      f"{row[1]} observations, {row[2]} actions") for name, row in CONTROL.items()},
    **{name: TaskInfo(name, "generative", "density", f"{_DENSITY_TEXT[name]}; {_DENSITY_METRIC}",
                      f"{sum(DENSITY_SIZE):,} x 2 (" + "/".join(f"{n:,}" for n in DENSITY_SIZE) + ")")
       for name in DENSITY},
    DIGITS_DENSITY: TaskInfo(DIGITS_DENSITY, "generative", "density", _DIGITS_DENSITY_DESC,
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


def check_task_name(spec: str, span: Any = None, kind: str | None = None) -> None:
    """Raise :class:`MlevError` (at ``span``) unless ``spec`` names a built-in task or a data file:
    what a program's ``task`` line is checked against, with no data loaded; ``kind``, the program's regime's name
    where it is known, ranks the hint's closest task (:func:`_closest_task`)."""
    name, _ = _parse_spec(spec)
    if spec.strip()[:1] in ("'", '"') and not Path(name).exists():  # in quotes of its own: what parse_spec refuses
        try:  # first, in the words and with the mended spec of every script (one source of both)
            parse_spec(spec, {})
        except TaskError as err:
            raise MlevError(err.message, span, err.hint) from None
    if name not in _INFOS and not _looks_like_file(name):
        mended = task_hint(name, _INFOS)  # its options after another mark than ':': said first
        hint = mended if mended.startswith("options follow") else _closest_task(name, kind)
        raise MlevError(f"unknown task '{name}'", span,
                        hint + "known tasks: " + ", ".join(_INFOS) + ", or a .csv/.npz file")


def _stem(name: str) -> str:
    """A task name's leading letters, its stem: ``moons`` of ``moons2d`` and of ``moons_density``."""
    return re.match(r"[a-z]*", name.casefold())[0]  # type: ignore[index]  # [a-z]* always matches


def _closest_task(name: str, kind: str | None) -> str:
    """The "did you mean" of an unknown task ``name`` for a program of regime ``kind`` (None: unknown): a task of
    that kind whose name shares the stem (:func:`_stem`) first (``moons_density`` for a density program:
    ``moons2d``, not the nearer spelling ``digits_density``, another kind's data), then the closest spelling among
    that kind's tasks, then among all (:func:`did_you_mean`)."""
    ours = [n for n, info in _INFOS.items() if info.kind == kind]
    stem = _stem(name)
    same = [n for n in ours if len(stem) >= 3 and _stem(n) == stem]
    if same:
        return f"did you mean {closest(name, same, 0.0)!r}? "
    return did_you_mean(name, ours) or did_you_mean(name, _INFOS)



def read_digits() -> tuple[np.ndarray, np.ndarray]:
    """``sklearn.datasets.load_digits(return_X_y=True)``: the same arrays, read from the file
    scikit-learn ships without importing scikit-learn (about a second of imports per process; the
    exported scripts, which import it anyway, call scikit-learn)."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
    if path is None or not path.is_file():  # not where scikit-learn keeps it: ask scikit-learn
        x, y = SUPERVISED["digits"](np.random.default_rng(0))
        return x, y
    data = np.loadtxt(path, delimiter=",")
    return data[:, :-1], data[:, -1].astype(int, copy=False)

def load_task(spec: str, seed: int = 0, **options: OptionValue) -> Task:
    """Load the task named by ``spec`` (``NAME[:key=value...]``); ``options`` override the spec's options.

    The options are checked here; the loaders are the standalone ``data_*`` modules'.  A learner
    family's spec is parsed and checked once (:func:`_family_plan`): a draw of its tasks for another
    seed (``fresh=1`` draws one per candidate) is then array generation only."""
    if not options:
        plan = _family_plan(spec)
        if plan is not None:
            name, ints, fitness, fresh = plan
            with _task_errors():
                data = family(name, np.random.default_rng(seed), **ints)
            return Family.of({**data, "fitness": fitness, "fresh": fresh})
    name, opts = task_options(spec, None, **options)
    rng = np.random.default_rng(seed)
    with _task_errors():
        if name in SUPERVISED:
            x, y = read_digits() if name == "digits" else SUPERVISED[name](rng)
            return Supervised.of(supervised(name, np.asarray(x, dtype=np.float64), np.asarray(y), "classification",
                                            rng))
        if name in FAMILIES:
            ints = _ints(opts, leave=("fitness", "fresh"))
            return Family.of({**family(name, rng, **ints), "fitness": opts["fitness"], "fresh": opts["fresh"]})
        if name in FORMULAS:
            return Points.of(points(name, rng, **_ints(opts)))
        if name in CONTROL:
            return Control.of(control_task(name))
        if name in DENSITY or name == DIGITS_DENSITY:
            return Density.of(density_task(name, seed))
        forced = str(opts["problem"])
        x, y, columns, places = _read_user_data(name, str(opts["target"]), forced)
        return Supervised.of({**supervised(name, x, y, _detect(y, forced, name), rng,
                                           lambda data, rows: checked(data, columns, rows, places)),
                              "text_labels": y.dtype.kind not in "biuf"})


# A data file's options by the kind of program reading it (a formula's columns are its parameters; a learner
# reads the file as one task, or one per group); any other program's: USER_OPTIONS.
_FILE_TABLES: Mapping[str, tuple[Defaults, str]] = {"formula": (FILE_OPTIONS, "a data file for a formula"),
                                                    "learner": (LEARNER_FILE_OPTIONS, "a data file for a learner")}


def task_options(spec: str, kind: str | None = None, **overrides: OptionValue) -> tuple[str, dict[str, OptionValue]]:
    """The name of task ``spec`` and its options (``overrides`` over the spec's), checked as a program of regime
    ``kind`` ("formula", "learner": a data file has options of their own for these; None: any other) takes them,
    no data read: a built-in task's name or a file's, each option one its task takes, given once, with a value it
    takes (an integer in its range, one of its choices; integers as ``int``; :func:`spec_checked`), then that a
    data file is there.  The one check of a task spec: the
    loaders run it before they load, and ``mlevolve check`` on a program's task line
    (:func:`mlevolve.api.check_task_line`), so a task line that check passes loads.  Raises :class:`MlevError`."""
    name, options = spec_checked(spec, kind, **overrides)
    if name not in _INFOS:
        _data_file(name)
    return name, options


def spec_checked(spec: str, kind: str | None = None, **overrides: OptionValue) -> tuple[str, dict[str, OptionValue]]:
    """:func:`task_options` but for a data file's existence: a spec's name and options as written (a task line's,
    before its path is read from its file's folder).  Raises :class:`MlevError`."""
    name, given = _parse_spec(spec)
    check_task_name(spec)
    given = {**given, **overrides}
    with _task_errors():
        if name in FAMILIES:
            ints, fitness, fresh = _family_options(name, given)
            return name, {**ints, "fitness": fitness, "fresh": fresh}
        table, what = _table(name, kind)
        return name, _options(name, given, table, what)


def _table(name: str, kind: str | None) -> tuple[Defaults, str]:
    """The options task ``name`` takes (a data file's: as a program of regime ``kind`` reads it; see
    :func:`task_options`), and what it is, in words ("a formula task")."""
    if name in FAMILIES:
        return _defaults(name), "a learner family"
    if name in FORMULAS:
        return _defaults(name), "a formula task"
    for names, what in ((SUPERVISED, "a supervised task"), (CONTROL, "a control task"),
                        ((*DENSITY, DIGITS_DENSITY), "a density task")):
        if name in names:
            return {}, what
    return _FILE_TABLES.get(kind or "", (USER_OPTIONS, "a data file"))


SAMPLE_OPTIONS = frozenset({"n_tasks", "n_train", "n_val", "n_test", "fresh"})
"""The task options that say how many points or tasks are drawn, not what they are drawn from (a function, a family
of a dimension, a dataset's target): a meta run's held-out split must differ from the others in more than these."""


def canonical_spec(spec: str, kind: str | None = None) -> str:
    """Task ``spec`` by its one name: the task's name and the options ``spec`` gives other than at their
    defaults, in the order of the task's own options, each value as read (checked by :func:`task_options` with
    ``kind``; named by :func:`~mlevolve.interpreter.standalone.spec.spec_name`, an exported script's namer):
    ``nguyen1 : n_train = 3e1`` is ``nguyen1:n_train=30``, and ``nguyen1:n_train=20`` (the default) is
    ``nguyen1``, as ``data.csv:target=y:problem=regression`` for a formula is ``data.csv:target=y``, so one task
    is stored, shown, exported and kept out of another split under one name whatever the spelling.  Raises
    :class:`MlevError` as :func:`task_options` does."""
    name, _ = task_options(spec, kind)
    with _task_errors():
        return spec_name(spec, dict(_table(name, kind)[0]))


# A learner search's task (``mlevolve evolve``, :func:`mlevolve.api.evolve`; not ``run``, not a meta level's inner
# runs): a synthetic family's spec that gives neither ``fresh=`` nor ``fitness=`` is searched with these, each
# candidate on tasks drawn afresh and scored by the squashed error relative to predicting 0, so that no program
# can gain by memorising a run's fixed tasks (benchmarks/RESULTS.md, "Fresh tasks and restarts together").  Either
# option given keeps what is given: ``linear:fresh=0`` searches the fixed tasks by their MSE, as before.
SEARCH_OPTIONS: Mapping[str, OptionValue] = {"fresh": 1, "fitness": "relative"}


def search_spec(spec: str, kind: str | None = "learner") -> str:
    """The one name (:func:`canonical_spec`) of the task a learner search of ``spec`` runs on: ``spec``'s, with
    :data:`SEARCH_OPTIONS` added where it names a synthetic family (``linear``, ``affine``, ``teacher``) and gives
    neither of them (``linear`` is ``linear:fresh=1:fitness=relative``; ``linear:fitness=mse`` stays ``linear``).
    Another family (``projected_digits``, whose one fitness is the MSE) or a user's data file is left as given.
    Raises :class:`MlevError` as :func:`canonical_spec` does."""
    name = canonical_spec(spec, kind)
    if _parse_spec(spec)[0] not in _SYNTHETIC or SEARCH_OPTIONS.keys() & _parse_spec(spec)[1].keys():
        return name
    return canonical_spec(name + "".join(f":{key}={value}" for key, value in SEARCH_OPTIONS.items()), kind)


def _data_file(name: str) -> Path:
    """The path of data file ``name`` (not a built-in task's), or :class:`MlevError` in the library's words when
    it is a folder or missing (a script's reader words it for a script: another script for a built-in task), or
    one of the project's text files (:func:`~mlevolve.dsl.errors.file_kind`)."""
    file = Path(name)
    if not file.is_file():
        message, hint = _data.not_a_file(name, "a built-in task's name has no suffix (`mlevolve tasks` lists them); "
                                         "a data file's is .csv or .npz")
        raise MlevError(message, hint=hint)
    if (kind := file_kind(file)) is not None:  # a program or TOML file saved as .csv: read as one, not as rows
        raise MlevError(f"{kind}, not a data file", file=name,
                        hint=f"{KIND_USE[kind]}; a task's data file is a CSV with a header row, or an NPZ")
    return file


def _family_options(name: str, given: Mapping[str, OptionValue]) -> tuple[dict[str, int], str, int]:
    """A learner family's checked options: the loader's integers, the fitness, ``fresh``."""
    ints = _options(name, given, _defaults(name), "a learner family")
    fitness = str(ints.pop("fitness"))
    with _task_errors():
        check_family_size(name, ints)
    fresh = ints.pop("fresh")
    return ints, fitness, fresh


@functools.lru_cache(maxsize=64)
def _family_plan(spec: str) -> tuple[str, dict[str, int], str, int] | None:
    """A learner family's spec parsed and checked: (name, loader options, fitness, fresh); None for
    any other task (and for a spec in error, which :func:`load_task` then reports as always).
    The loader options are not to be changed (the same dict is returned for the same spec)."""
    try:
        name, given = _parse_spec(spec)
        if name not in FAMILIES:
            return None
        with _task_errors():
            return (name, *_family_options(name, given))
    except MlevError:
        return None


def _size(n: int, data: Supervised) -> str:
    kind = f"{data.n_classes:,} classes" if data.problem == "classification" else "regression"
    return f"{n:,} x {data.n_features}, {kind}"


def check_task_fits(compiled: Any, task: Task, task_name: str, formula: Any = None) -> None:
    """A program of one regime (``compiled.regime``, see :mod:`mlevolve.interpreter.regimes`) needs a
    task of the regime's type, and a formula one input per variable: raises :class:`MlevError` (a
    formula's at ``formula``, its definition's span, when given).

    Here, beside the task registry, so the check needs no PyTorch and a misfit is reported at once.
    """
    regime = compiled.regime
    if not isinstance(task, regime.task):
        raise _misfit(regime, task_name)
    if isinstance(task, Points) and task.n_vars != compiled.n_inputs:
        raise MlevError(f"the formula takes {counted(compiled.n_inputs, 'input')} but task '{task_name}' has "
                        f"{task.n_vars}",
                        formula, hint="give the formula one Scalar parameter per input variable")


def _misfit(regime: Any, task_name: str, span: Any = None, files: bool | None = None) -> MlevError:
    """The error of a program of ``regime`` given task ``task_name`` of another kind, with the tasks it takes, the
    closest first where one is near (``moons`` for a generative program: ``did you mean 'moons2d'?``), and a data
    file where ``files`` (None: where the regime loads users' data files; an exported script for a built-in task
    loads none)."""
    names = [t.name for t in list_tasks() if t.kind == regime.name]
    if files is None:
        files = any(loader.names is None for loader in regime.loaders)
    return MlevError(f"{with_article(regime.label)} program cannot run on task '{task_name}'", span,
                     hint=f"{did_you_mean(task_name.split(':')[0].strip(), names)}{regime.label} tasks: "
                     f"{', '.join(names)}{', or a data file: data.csv:target=y or data.npz' if files else ''}")


def check_task_kind(regime: Any, spec: str, span: Any = None) -> None:
    """Raise :class:`MlevError` (at ``span``) when ``spec`` names a task that a program of ``regime``
    (:class:`~mlevolve.interpreter.regimes.Regime`) cannot run on: a built-in task of another kind, or a
    data file where the regime loads none.  Reads no data (what ``mlevolve check`` runs); the loaded
    task is checked again, fully, by :func:`check_task_fits`."""
    name, _ = _parse_spec(spec)
    info = _INFOS.get(name)
    if info is None and not _looks_like_file(name):  # unknown: the hint's closest task is of the program's kind
        check_task_name(spec, span, regime.name)
    if info is not None and info.kind != regime.name:
        raise _misfit(regime, spec, span)
    if info is None and _looks_like_file(name) and not any(loader.names is None for loader in regime.loaders):
        raise _misfit(regime, spec, span)


def arrays(task: Task) -> dict[str, Any]:
    """The plain arrays (and flags) the training loops take, from any kind of task (its ``arrays()``)."""
    return task.arrays()


# ---------------------------------------------------------------------------------------------
# Specs and options


def _parse_spec(spec: str) -> tuple[str, dict[str, OptionValue]]:
    """``NAME[:key=value...]`` as the name and its options (checked against the task's own later:
    :func:`_options`); refused as every exported script's loader refuses it, in the same words and order
    (:func:`~mlevolve.interpreter.standalone.spec.split_spec`): the spec's form before its options' names."""
    with _task_errors():
        try:
            name, typed = split_spec(spec)
        except TaskError as err:  # target=y:m: a column holding ':', unquoted; the file's columns said where it has
            if spec.strip()[:1] in ("'", '"'):  # "'a:b.csv':target=y": in quotes of its own, first, as a script says
                parse_spec(spec, {})
            if "a value holding ':'" in err.hint and (columns := _columns_of(spec)):
                err.hint += f"; {columns[0]}'s columns: {', '.join(columns[1])}"
            raise
    return name, dict(typed)


def _columns_of(spec: str) -> tuple[str, list[str]] | None:
    """The CSV file a task spec starts with and its header's column names, or None where none can be read or the file
    has no header (its first row all numbers: data, by the reader's header rule, ``standalone.data._read_csv``)."""
    for end in (m.end() for m in re.finditer(r"\.csv(?=\s*:)", spec, re.IGNORECASE)):
        if (names := csv_header(name := spec[:end].strip())) is None:
            continue
        return (name, names) if names and not headerless(names) else None
    return None


def _looks_like_file(name: str) -> bool:
    """Whether a task name is a file's: a built-in task's name has no suffix (``data.txt`` is a missing file)."""
    return bool(Path(name).suffix) or "/" in name or Path(name).exists()


def _options(name: str, given: Mapping[str, OptionValue], defaults: Defaults, kind: str = "") -> dict[str, Any]:
    """``defaults`` updated by ``given``, checked key by key as every exported script checks them
    (:func:`~mlevolve.interpreter.standalone.spec.spec_options`): an option ``kind`` (say "a formula task") does
    not take is refused, naming the kind and its options; a default that is a tuple is its first value, and a given
    value one of them; an integer option is an ``int`` in its :data:`OPTION_RANGES` range, by the scripts' rule
    (:func:`~mlevolve.interpreter.standalone.spec.int_option`: ASCII digits, ``1e3`` is 1000)."""
    with _task_errors():
        return spec_options(name, dict(given), dict(defaults), kind)


# ---------------------------------------------------------------------------------------------
# User data
#
# One rule for every cell, features and targets alike: a cell holds a finite number, or text only
# in a target of class labels or a learner's group= column of task labels.  A missing value (an empty
# cell, ``nan``, ``NA``, ...) is an error at its ``FILE:ROW:COLUMN`` wherever it is, never a number or
# a class of its own.

def _read_user_data(path: str, target: str, problem: str
                    ) -> tuple[F64, npt.NDArray[Any], list[str], list[tuple[str, str]]]:
    """Features, targets, feature names and each row's place of a user's data file, every cell checked: the standalone
    reader's (:func:`~mlevolve.interpreter.standalone.data.read_table`, the one owner of the rules, which
    exported scripts embed), its :class:`TaskError` an :class:`MlevError` at the same place in the same words."""
    with _task_errors():  # a missing file or a folder too, in the reader's words
        x, y, columns, _, places = read_table(path, target, problem)
        return x, y, columns, places


def data_source(spec: str) -> tuple[str, str] | None:
    """``(absolute path, SHA-256 of its bytes)`` of the user data file a task spec names, or None for
    a built-in task: what identifies the data a run was scored on, wherever it is run from."""
    name, _ = _parse_spec(spec)
    if name in _INFOS or not _looks_like_file(name):
        return None
    file = _data_file(name)
    try:
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError as err:
        raise MlevError(f"cannot read {name}: {err.strerror}", hint=_data.UNREADABLE) from None
    return str(file.resolve()), digest


def load_learner_data(spec: str, seed: int = 0) -> Family:
    """A learner's task from the user's data file ``spec``: the file as one task of the family kind
    (see ``data_learner.learner_file``), every cell checked as for a supervised file; ``fitness=``
    as for the regression families.  Raises :class:`MlevError`."""
    task_options(spec, "learner")
    with _task_errors():  # every cell checked, in the library's words
        return Family.of(learner_file(spec, seed))


def load_points(spec: str, inputs: tuple[str, ...], seed: int = 0) -> Points:
    """A formula task from the user's data file ``spec`` (``file.csv:target=COLUMN`` or ``file.npz``,
    whose X columns are named ``x0, x1, ...``; a CSV's ``:weight=COLUMN`` weights its rows, that column no
    input): the columns are mapped to the formula's parameters ``inputs`` by name.  Read and validated by the
    supervised CSV/NPZ reader, split as it splits
    (training and validation rows are the training points, test rows the held-out points); targets
    and inputs are kept in their own units (a formula is fitted in them).

    Raises MlevError naming the missing or extra columns."""
    name, opts = task_options(spec, "formula")  # the rest: file_points's
    with _task_errors():
        return Points.of(file_points(name, str(opts["target"]), inputs, seed, _int(opts, "n_train"),
                                     str(opts["weight"])))


def _int(options: Mapping[str, OptionValue], key: str) -> int | None:
    """Integer option ``key`` of a checked table (:func:`task_options`: an option with a range is an ``int``, or
    None for a data file's n_train left out, every row).  Raises TypeError for text: a table not checked (a bug)."""
    value = options[key]
    if isinstance(value, str):
        raise TypeError(f"task option {key}={value!r} was not checked to an integer")
    return value


def _ints(options: Mapping[str, OptionValue], leave: Container[str] = ()) -> dict[str, int]:
    """The integer options of a checked table (:func:`_int`) but those in ``leave`` (a family's fitness= and
    fresh=, which its loader does not take): a learner family's or a formula task's, none of which is None (only a
    data file's n_train is).  Raises TypeError for one that is not an integer."""
    ints: dict[str, int] = {}
    for key in options:
        if key not in leave:
            value = _int(options, key)
            if value is None:
                raise TypeError(f"task option {key} is every row, which only a data file's n_train takes")
            ints[key] = value
    return ints


def data_file_of(spec: str) -> str | None:
    """The user's data file the task ``spec`` names, as written (``data.csv`` of ``data.csv:target=y``), or None
    for a built-in task."""
    name = _parse_spec(spec)[0]
    return name if name not in _INFOS and _looks_like_file(name) else None


def spec_beside(spec: str, folder: str | Path) -> str:
    """Task ``spec`` with its data file's relative path read from ``folder`` (a ``.mlev`` file's, whose task line
    it is): ``data/h.csv:target=y`` in ``sub/p.mlev`` is ``sub/data/h.csv:target=y``; a built-in task, an absolute
    path, a folder of ``.`` or a spec that names no file (its own error stands) is ``spec`` as given."""
    try:
        name = data_file_of(spec)
    except MlevError:
        return spec
    head = spec.lstrip()
    if name is None or Path(name).is_absolute() or Path(folder) == Path() or not head.startswith(name):
        return spec
    return tidy_path(Path(folder) / name) + head[len(name):]


def tidy_path(path: str | Path) -> str:
    """``path`` as shown and read once joined to a file's folder: ``bad/../data/h.csv`` is ``data/h.csv``
    (:func:`os.path.normpath`) where both name the same file (a folder that is a link may not), else as joined;
    never a path the user typed, which is named as typed."""
    joined = str(path)
    tidy = os.path.normpath(joined)
    return tidy if os.path.realpath(tidy) == os.path.realpath(joined) else joined


def is_data_file(spec: str) -> bool:
    """Whether the task ``spec`` names a user's data file rather than a built-in task."""
    return data_file_of(spec) is not None
