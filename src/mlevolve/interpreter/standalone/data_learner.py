"""The learner regime's tasks: an AutoML-Zero style family of T small tasks, vectorised across
tasks: ``linear``, ``affine``, ``teacher`` (regression) and ``projected_digits`` (binary, labels
0.0/1.0).  Options ``n_tasks`` (10), ``dim`` (4; 16 for projected_digits), ``n_train`` (100),
``n_val`` (100), ``fresh`` (0) and ``fitness`` (``mse``).  A user's CSV/NPZ file is one task
(:func:`learner_file`).
"""

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.data import (
    PROBLEMS,
    _detect,
    _number,
    _standardise,
    check_group,
    file_spec,
    header_error,
    read_table,
)
from mlevolve.interpreter.standalone.data_supervised import checked, supervised
from mlevolve.interpreter.standalone.spec import TaskError, package, parse_spec
from mlevolve.interpreter.standalone.spelling import counted


def _teacher(rng: np.random.Generator, x: Any) -> Any:
    t, _, f = x.shape
    w1 = rng.normal(0.0, 1.0 / math.sqrt(f), (t, f, TEACHER_HIDDEN))
    b1 = rng.normal(size=(t, 1, TEACHER_HIDDEN))
    w2 = rng.normal(size=(t, TEACHER_HIDDEN))
    return np.einsum("tnh,th->tn", np.tanh(x @ w1 + b1), w2)


TEACHER_HIDDEN = 8
FAMILIES: dict[str, Callable[..., Any]] = {  # name: the target function of a task's inputs x ~ N(0, 1)
    "linear": lambda rng, x: np.einsum("tnf,tf->tn", x, rng.normal(size=(x.shape[0], x.shape[2]))),
    "affine": lambda rng, x: FAMILIES["linear"](rng, x) + rng.normal(size=(x.shape[0], 1)), "teacher": _teacher}
PROJECTED_DIGITS = "projected_digits"  # a family of its own loader: binary tasks from sklearn's digits
FAMILY_OPTIONS: dict[str, Any] = {"n_tasks": 10, "dim": 4, "n_train": 100, "n_val": 100, "fresh": 0,
                                  "fitness": ("mse", "squashed", "relative")}  # fitness: see run_learner
MAX_FAMILY_VALUES = 50_000_000  # n_tasks x (n_train + n_val) x dim at most, checked before anything is allocated


def family_options(name: str) -> dict[str, Any]:
    """The default options of family ``name`` (``projected_digits`` has 16 features, and its tasks being
    classifications, one fitness: the validation accuracy, named so)."""
    if name == PROJECTED_DIGITS:
        return {**FAMILY_OPTIONS, "dim": 16, "fitness": ("accuracy",)}
    return dict(FAMILY_OPTIONS)


def family(name: str, rng: np.random.Generator, n_tasks: int, dim: int, n_train: int, n_val: int) -> dict[str, Any]:
    """``n_tasks`` tasks of family ``name`` (any), each of ``n_train`` + ``n_val`` examples of ``dim`` features."""
    if name == PROJECTED_DIGITS:
        return _projected_digits(rng, n_tasks, dim, n_train, n_val)
    return _synthetic(name, rng, n_tasks, dim, n_train, n_val)


def _synthetic(name: str, rng: np.random.Generator, n_tasks: int, dim: int, n_train: int, n_val: int) -> dict[str, Any]:
    x = rng.normal(size=(n_tasks, n_train + n_val, dim)).astype(np.float32).astype(np.float64)
    y = FAMILIES[name](rng, x).astype(np.float32)
    return _family(name, "regression", x.astype(np.float32), y, n_train)


def synthetic_arrays(name: str, rng: np.random.Generator, n_tasks: int, dim: int, n_train: int,
                     n_val: int) -> dict[str, Any]:
    """The arrays of :func:`_synthetic`'s draw (the same draws from ``rng``, the same values) as the
    learner loop and the compiled interpreter take them: ``x_train`` (T, n, F), ``y_train`` (T, n),
    ``x_val``, ``y_val``, each ``float64`` and C-ordered, holding the float32 values exactly (a
    candidate's fresh tasks are then converted once, not per use).  ``rng.normal(size=s)`` is
    ``0.0 + 1.0 * z`` of ``rng.standard_normal(size=s)``'s numbers ``z`` (NumPy's ``random_normal``):
    the same numbers, the sign of a zero aside, which ``+= 0.0`` gives back; 8% faster."""
    x = rng.standard_normal(size=(n_tasks, n_train + n_val, dim))
    x += 0.0
    x = x.astype(np.float32).astype(np.float64)
    y = FAMILIES[name](rng, x).astype(np.float32).astype(np.float64)
    return {"x_train": np.ascontiguousarray(x[:, :n_train]), "y_train": np.ascontiguousarray(y[:, :n_train]),
            "x_val": np.ascontiguousarray(x[:, n_train:]), "y_val": np.ascontiguousarray(y[:, n_train:])}


def _projected_digits(rng: np.random.Generator, n_tasks: int, dim: int, n_train: int, n_val: int) -> dict[str, Any]:
    """Random class pairs of sklearn digits; n is capped by the smallest pair, the same for every task."""
    x_all, y_all = package("sklearn.datasets", PROJECTED_DIGITS).load_digits(return_X_y=True)
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
    return _family(PROJECTED_DIGITS, "classification", np.stack(xs), np.stack(ys), n_train)


def _family(name: str, problem: str, x: Any, y: Any, n_train: int) -> dict[str, Any]:
    """x (T, n, F), y (T, n) as the loop takes them: ``n_train`` examples per task train, the rest validate."""
    return {"name": name, "problem": problem, "x_train": x[:, :n_train], "y_train": y[:, :n_train],
            "x_val": x[:, n_train:], "y_val": y[:, n_train:], "classification": problem == "classification"}


def check_family_size(name: str, o: dict[str, Any]) -> None:
    """TaskError if family ``name`` with options ``o`` would hold more than :data:`MAX_FAMILY_VALUES` values."""
    if (total := o["n_tasks"] * (o["n_train"] + o["n_val"]) * o["dim"]) > MAX_FAMILY_VALUES:
        raise TaskError(f"task '{name}' would hold n_tasks x (n_train + n_val) x dim = {total:,} values, more than "
                        f"the {MAX_FAMILY_VALUES:,} allowed", "lower n_tasks, n_train, n_val or dim")


def learner_task(spec: str, seed: int = 0) -> dict[str, Any]:
    """The family ``spec`` names, drawn from ``seed`` (``fitness``: see ``run_learner``; ``fresh``: the evaluator's)."""
    name, options = parse_spec(spec, FAMILY_OPTIONS, FAMILIES, "a learner family")
    check_family_size(name, options)
    fitness, fresh = options.pop("fitness"), options.pop("fresh")
    return {**_synthetic(name, np.random.default_rng(seed), **options), "fitness": fitness, "fresh": fresh}


def digits_task(spec: str, seed: int = 0) -> dict[str, Any]:
    """``projected_digits[:key=value...]``, drawn with the generator seeded by ``seed`` (see ``learner_task``)."""
    _, options = parse_spec(spec, family_options(PROJECTED_DIGITS), {PROJECTED_DIGITS}, "a learner family")
    check_family_size(PROJECTED_DIGITS, options)
    fitness, fresh = options.pop("fitness"), options.pop("fresh")
    return {**_projected_digits(np.random.default_rng(seed), **options), "fitness": fitness, "fresh": fresh}


LEARNER_FILE_OPTIONS = {"target": "", "problem": PROBLEMS, "fitness": ("", "mse", "squashed", "relative", "accuracy"),
                        "group": ""}  # "": the data's (mse, or accuracy: a classification's one, as projected_digits')


def learner_file(spec: str, seed: int = 0) -> dict[str, Any]:
    """The user's data file ``spec`` names (``file.csv:target=COLUMN`` or ``file.npz``, optionally
    ``:problem=...``, ``:fitness=...`` and ``:group=COLUMN``) as one task, or with ``group`` one task
    per label of that column (text or numbers): each read, validated, split and standardised as a supervised
    file is (60/20/20 with the generator seeded by ``seed``), its train rows the online training
    examples and its validation and test rows the validation examples; tasks of unequal size are cut
    to the smallest.  A classification needs exactly two classes (the loop's labels are 0.0/1.0)."""
    name, options = file_spec(spec, LEARNER_FILE_OPTIONS, "a data file for a learner")
    x, y, columns, labels, places = read_table(name, options["target"], options["problem"], labels=options["group"])
    problem = _detect(y, options["problem"], name)
    groups, group = {name: np.arange(len(y))}, options["group"]
    if group:
        check_group(name, group, options["target"], columns)  # an .npz file's (a CSV's is checked as it is read)
        j = columns.index(group)
        ids, x = x[:, j], np.delete(x, j, axis=1)
        if not x.shape[1]:
            raise header_error(name, "no feature columns besides the target and the group", "add a feature")
        if not labels:  # an .npz file's column of numbers
            labels, ids = [f"{v:.15g}" for v in np.unique(ids)], np.unique(ids, return_inverse=True)[1]
        value = [_number(label) for label in labels]  # tasks in order: numbers by value, then text
        order = sorted(range(len(labels)), key=lambda k: (value[k] is None, value[k] or 0, labels[k]))
        groups = {f"{name} (group {group}={labels[k]})": np.flatnonzero(ids == k) for k in order}
        if len(rows := min(groups.values(), key=len)) < 4:  # a column of measurements, not of task labels
            few = next(k for k, v in groups.items() if v is rows)
            raise TaskError(f"{few}: {counted(len(rows), 'row')}; group={group} has {len(groups):,} values in "
                            f"{len(ids):,} rows", "group= names a column of task labels, each value on 4 rows at least "
                            "(a task is split 60/20/20 into train/validation/test)", option="group")
    rng = np.random.default_rng(seed)
    named = [c for c in columns if c != group]  # x's columns: the group's taken out
    tasks = [supervised(label, x[kept], y[kept], problem, rng,  # (check called inside: kept is this group's rows)
                        lambda data, rows: checked(data, named, rows, [places[i] for i in kept]))  # noqa: B023
             for label, kept in groups.items()]
    # A hint offers a problem= only where this data loads so: a regression numbers, a classification two per task
    as_numbers = ", or state problem=regression" if y.dtype.kind in "biuf" else ""
    most = max(t["n_classes"] for t in tasks)
    if problem == "classification" and options["fitness"] not in ("", "accuracy"):  # mse too: of class scores, none
        raise TaskError(f"{name}: fitness={options['fitness']} is a regression error; the target holds classes",
                        ("write fitness=accuracy or drop the option (a classifier's one fitness: its validation "
                         "accuracy)" if most == 2 else f"keep two classes ({most:,} here: a learner classifies two) "
                         "and drop the option") + as_numbers, option="fitness")
    if problem == "regression" and options["fitness"] == "accuracy":
        two = all(len(np.unique(y[kept])) == 2 for kept in groups.values())  # as problem=classification reads them
        raise TaskError(f"{name}: fitness=accuracy is a classifier's; the target is a regression",
                        "write fitness=mse, squashed or relative, or drop the option (a regression's default: minus "
                        "its validation MSE)" + ", or state problem=classification" * two, option="fitness")
    if most > 2:
        raise TaskError(f"{name}: a learner classifies two classes; the target has {most}", "keep two classes"
                        + as_numbers)
    n_train = min(len(t["y_train"]) for t in tasks)
    n_val = min(len(t["y_val"]) + len(t["y_test"]) for t in tasks)
    xs = np.stack([np.concatenate([t["x_train"][:n_train], t["x_val"], t["x_test"]])[:n_train + n_val] for t in tasks])
    ys = np.stack([np.concatenate([t["y_train"][:n_train], t["y_val"], t["y_test"]])[:n_train + n_val]
                   for t in tasks]).astype(np.float32)
    return {**_family(name, problem, xs, ys, n_train), "fitness": options["fitness"] or "mse", "fresh": 0,
            "text_labels": y.dtype.kind not in "biuf"}  # (a summary's note on classes read from numbers)
