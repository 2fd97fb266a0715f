"""The supervised regime's tasks: one dataset with fixed 60/20/20 train/validation/test splits
(stratified for classification), features standardised with the train mean/std.

Built in: sklearn's ``digits``, ``iris``, ``wine``, ``breast_cancer``, and 1,000-point ``moons``,
``circles`` and ``spirals``; or a user's ``file.csv:target=COLUMN`` / ``file.npz``, optionally
``:problem=classification|regression``.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.data import (
    PROBLEMS,
    _check_standardised,
    _detect,
    _sk_seed,
    _spirals,
    _split,
    _standardise,
    check_varies,
    datasets,
    file_spec,
    read_table,
)
from mlevolve.interpreter.standalone.spec import TaskError, parse_spec

SUPERVISED: dict[str, Callable[[np.random.Generator], tuple[Any, Any]]] = {
    "digits": lambda rng: datasets().load_digits(return_X_y=True),
    "iris": lambda rng: datasets().load_iris(return_X_y=True),
    "wine": lambda rng: datasets().load_wine(return_X_y=True),
    "breast_cancer": lambda rng: datasets().load_breast_cancer(return_X_y=True),
    "moons": lambda rng: datasets().make_moons(1000, noise=0.1, random_state=_sk_seed(rng)),
    "circles": lambda rng: datasets().make_circles(1000, noise=0.05, factor=0.5, random_state=_sk_seed(rng)),
    "spirals": _spirals,
}
USER_OPTIONS: dict[str, Any] = {"target": "", "problem": PROBLEMS}


def supervised(name: str, x: Any, y: Any, problem: str, rng: np.random.Generator,
               check: Callable[..., dict[str, Any]] | None = None) -> dict[str, Any]:
    """``x`` (float64, n x F) and ``y`` (n) split 60/20/20 and standardised: x_/y_ train, val and test
    (features float32; targets int64 class ids, or float32 for regression), ``n_classes`` (0 for
    regression), ``problem`` and ``name``.  Raises :class:`TaskError` for one class, a constant target or too few rows;
    a user's data is ``check``-ed after, given the rows of each split (:func:`checked` with its columns and rows'
    places in its file: passed in, so that a built-in task's script carries no check it never makes)."""
    labels = None
    if problem == "classification":
        classes, ids = np.unique(y, return_inverse=True)
        labels = ids.astype(np.int64).reshape(-1)
        if len(classes) < 2:
            raise TaskError(f"{name}: the target has only one class ({classes[0]})", "a classifier needs two or more")
    train, val, test = _split(labels, len(y), rng, name, measured=y.dtype.kind in "biuf")
    x_tr, x_va, x_te = _standardise(x[train], x[val], x[test])
    if labels is not None:
        ys, n_classes = [labels[train], labels[val], labels[test]], int(labels.max()) + 1
    else:
        yf = y.astype(np.float64)[:, None]
        check_varies(name, yf[:, 0])
        ys = [a[:, 0] for a in _standardise(yf[train], yf[val], yf[test])]
        n_classes = 0
    data = {"name": name, "problem": problem, "x_train": x_tr, "y_train": ys[0], "x_val": x_va, "y_val": ys[1],
            "x_test": x_te, "y_test": ys[2], "n_classes": n_classes}
    return data if check is None else check(data, rows=(train, val, test))


def supervised_task(spec: str, seed: int = 0) -> dict[str, Any]:
    """The built-in dataset ``spec`` names, split with the generator seeded by ``seed``."""
    name, _ = parse_spec(spec, {}, SUPERVISED, "a supervised task")
    rng = np.random.default_rng(seed)
    x, y = SUPERVISED[name](rng)
    return supervised(name, np.asarray(x, dtype=np.float64), np.asarray(y), "classification", rng)


def supervised_file(spec: str, seed: int = 0) -> dict[str, Any]:
    """The user's data file ``spec`` names (``file.csv:target=COLUMN`` or ``file.npz``, optionally
    ``:problem=classification|regression``), split with the generator seeded by ``seed``."""
    name, options = file_spec(spec, USER_OPTIONS, "a data file")
    x, y, columns, _, places = read_table(name, options["target"], options["problem"])
    return supervised(name, x, y, _detect(y, options["problem"], name), np.random.default_rng(seed),
                      lambda data, rows: checked(data, columns, rows, places))


def checked(data: dict[str, Any], columns: Sequence[str] = (), rows: Sequence[Any] = (),
            places: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """``data`` (from :func:`supervised`) unchanged, or :class:`TaskError` for a feature (named by ``columns``) or
    target column with a value beyond float32 once standardised (see ``_check_standardised``: ``rows``, ``places``)."""
    for part, what in (("x", "feature column"), ("y", "target column"))[:2 - bool(data["n_classes"])]:  # ids: no y
        _check_standardised([data[f"{part}_{split}"] for split in ("train", "val", "test")], data["name"], what,
                            columns if part == "x" else (), rows, places)
    return data
