"""The formula regime's tasks: symbolic-regression points.  Built in: ``koza_quartic`` and
``nguyen1`` .. ``nguyen8`` (Uy et al. 2011), ``n_train`` (20) training and ``n_test`` (100)
held-out points drawn uniformly on the benchmark's range; or a user's ``file.csv:target=COLUMN`` /
``file.npz``, whose columns are the formula's inputs by name (training and validation rows of the
60/20/20 split are the training points, test rows the held-out points; values in their own units).
A CSV's ``weight=COLUMN`` weights each row (scikit-learn's ``sample_weight``): the fit, the fitness and the
metrics are then weighted least squares, weighted MSE and R² (``w_train``, ``w_test``).
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.common import DSL_KEYWORDS
from mlevolve.interpreter.standalone.data import _split, check_varies, file_spec, header_error, read_table
from mlevolve.interpreter.standalone.spec import MIN_TRAIN_POINTS, TaskError, parse_spec, spec_value
from mlevolve.interpreter.standalone.spelling import did_you_mean, listed

# name: (target function, low, high of the input's range)
FORMULAS: dict[str, tuple[Callable[[Any], Any], float, float]] = {
    "koza_quartic": (lambda x: x**4 + x**3 + x**2 + x, -1.0, 1.0),
    "nguyen1": (lambda x: x**3 + x**2 + x, -1.0, 1.0),
    "nguyen2": (lambda x: x**4 + x**3 + x**2 + x, -1.0, 1.0),
    "nguyen3": (lambda x: x**5 + x**4 + x**3 + x**2 + x, -1.0, 1.0),
    "nguyen4": (lambda x: x**6 + x**5 + x**4 + x**3 + x**2 + x, -1.0, 1.0),
    "nguyen5": (lambda x: np.sin(x**2) * np.cos(x) - 1, -1.0, 1.0),
    "nguyen6": (lambda x: np.sin(x) + np.sin(x + x**2), -1.0, 1.0),
    "nguyen7": (lambda x: np.log(x + 1) + np.log(x**2 + 1), 0.0, 2.0),
    "nguyen8": (lambda x: np.sqrt(x), 0.0, 4.0),
}
FORMULA_OPTIONS = {"n_train": 20, "n_test": 100}
FILE_OPTIONS: dict[str, Any] = {"target": "", "problem": ("regression",), "n_train": None, "weight": ""}  # None: all
WEIGHT_NAMES = ("w", "weight", "weights", "sample_weight", "sample_weights", "wt")  # a column ``weight=`` may mean
MIN_FILE_ROWS = 7  # a formula's data file's fewest rows: _split holds out 2 of 7 (test_r2 is measured on 2 at least)
POINT_MAX_ABS = 1e150  # a formula is fitted in the data's own units: its squared error overflows near 1e154
POINT_MIN_VARIANCE = float(np.finfo(np.float64).tiny)  # and one below float64's least normal number lost its digits


def _points(name: str, x_train: Any, y_train: Any, x_test: Any, y_test: Any, *weights: Any) -> dict[str, Any]:
    """The points as the formula loop takes them: x (n, n_vars), y (n) and weights (n; none: 1 each); TaskError"""
    if len(y_train) < MIN_TRAIN_POINTS:
        raise TaskError(f"{name}: {len(y_train):,} training points for a formula: its linear scaling (a + b * f) fits "
                        f"{MIN_TRAIN_POINTS - 1} exactly, so every formula would score train_r2 1",
                        f"give n_train={MIN_TRAIN_POINTS} at least", option="n_train")
    return {"name": name, "x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test,
            "n_vars": x_train.shape[1], "w_train": (*weights, None)[0], "w_test": (*weights, None, None)[1]}


def points(name: str, rng: np.random.Generator, n_train: int, n_test: int) -> dict[str, Any]:
    """``n_train`` and ``n_test`` points of the built-in formula ``name``, uniform on its range."""
    formula, lo, hi = FORMULAS[name]
    x_train = rng.uniform(lo, hi, (n_train, 1))
    x_test = rng.uniform(lo, hi, (n_test, 1))
    return _points(name, x_train, formula(x_train[:, 0]), x_test, formula(x_test[:, 0]))


def file_points(path: str, target: str, inputs: Sequence[str], seed: int = 0, n_train: int | None = None,
                weight: str = "") -> dict[str, Any]:
    """The points of a user's data file, its columns mapped to the formula's parameters ``inputs``; ``n_train`` of its
    fitting rows (None: all), drawn with ``seed`` (gplearn's ``max_samples``); ``weight``: the weights' column or ""."""
    x, y, columns, *_ = read_table(path, target, "regression", POINT_MAX_ABS, weight=weight, params=inputs)
    x, y, columns, w = _weights(path, weight, x, y, columns)
    missing, extra = [p for p in inputs if p not in columns], [c for c in columns if c not in inputs]
    if missing or extra:  # the library's too (tasks.load_points)
        odd = [repr(c) for c in extra if not (c.isidentifier() and c.isascii()) or c in DSL_KEYWORDS]
        left = x[:, columns.index(extra[0])] if (missing, len(extra)) == ([target], 1) else None  # the one column
        meant = f": target={spec_value(extra[0])}" if left is not None and np.ptp(left) else ""  # the one left over
        # (target= naming a parameter's column is the mistake to tell first: the column left over may be the target,
        # whatever its name, so renaming it is no fix)
        weighty = next((c for c in extra if c.casefold() in WEIGHT_NAMES), "") * (not missing and not weight)  # w
        others = [c for c in extra if c != weighty]
        raise header_error(path, "; ".join([f"no column for {listed('parameter', missing)}"] * bool(missing) + [
            f"{listed('column', extra)} not used by the formula"] * bool(extra)),
            f"add :weight={spec_value(weighty)} to weight the rows by it" + f"; drop {listed('column', others)} from "
            "the file, or name a parameter after it" * bool(others) if weighty else
            f"target= is the column to predict, not the parameter {target}{meant}" if target in missing else
            f"rename {listed('column', odd)} in the file: a parameter's name is ASCII letters, digits, _, not a "
            "keyword" if odd else
            f"{did_you_mean(missing[0], extra) if missing else ''}the formula's parameters are named after the "
            f"columns: {', '.join(columns)}", weighty or next((c for c in extra if repr(c) in odd), extra[0] if extra
            else ""), **({"option": "target"} if target in missing else {"param": missing[0]} if missing else {}))
    if len(y) < MIN_FILE_ROWS:  # _split holds out 2 rows of 7, 1 of 4 to 6 (and of 8, which takes one of validation's)
        held = len(y) - round(0.6 * len(y)) - round(0.2 * len(y))
        raise TaskError(f"{path}: too few rows ({len(y)}) for a formula: the 20% held out for test_r2 would be {held}",
                        "give at least 7 rows (test_r2 is measured on 2 at least)")
    yf, (train, val, test) = np.asarray(y, np.float64), _split(None, len(y), np.random.default_rng(seed), path)
    if len(test) < 2:  # 8 rows split 5/2/1: validation's rows are fitting rows too, so one is held out instead
        val, test = val[:-1], np.concatenate([test, val[-1:]])
    fit_rows = np.concatenate([train, val])
    if n_train is not None and len(fit_rows) < n_train:  # more rows asked for than it has
        raise TaskError(f"{path}: n_train={n_train} is more than its {len(fit_rows):,} fitting rows ({len(y):,} rows, "
                        f"{len(test):,} held out for test_r2)", f"n_train={len(fit_rows)} or less, or leave it out to "
                        "use every row", option="n_train")
    keep = np.random.default_rng([seed, 1]).choice(len(fit_rows), n_train or len(fit_rows), replace=False)
    drawn = f" (the {len(keep):,} of {len(fit_rows):,} that n_train={n_train} drew)" * (len(keep) < len(fit_rows))
    fit_rows = fit_rows[np.sort(keep)]  # a draw of its own: the held-out rows are the same with any n_train
    check_varies(path, yf[fit_rows], "every fitting row" + drawn, drawn and "a larger n_train draws rows it varies on")
    if not np.var(yf[fit_rows]) >= POINT_MIN_VARIANCE:  # in its own units: near 1e-160 a squared error underflows
        raise TaskError(f"{path}: the target varies too little for float64 to square ({np.ptp(yf):.2g})",
                        "errors are computed in the target's own units: multiply it by a power of 10")
    check_varies(path, yf[test], f"every held-out row ({len(test):,} of {len(y):,}: the 20% test_r2 is measured on)")
    xs = np.asarray(x, np.float64)[:, [columns.index(p) for p in inputs]]
    if low := [p for p, c in zip(inputs, xs[fit_rows].T, strict=True) if np.ptp(c) and np.var(c) < POINT_MIN_VARIANCE]:
        raise TaskError(f"{path}: {listed('column', low)} var{'ies' if len(low) == 1 else 'y'} too little for "
                        "float64 to square (the output's linear scaling would underflow)",
                        "a formula is fitted in the data's own units: multiply them by a power of 10")
    return _points(path, xs[fit_rows], yf[fit_rows], xs[test], yf[test], *(() if w is None else (w[fit_rows], w[test])))


def _weights(path: str, weight: str, x: Any, y: Any, columns: list[str]) -> tuple[Any, Any, list[str], Any]:
    """x, y, columns without column ``weight`` and its rows of weight 0, and the weights divided by the largest one's
    power of two (exact: weights w and w * 2**k are one task, and no weighted sum overflows; None: all equal, the
    unweighted run bit for bit, as a common weight changes no least-squares fit); every weight 0: TaskError"""
    if not weight:
        return x, y, columns, None
    j = columns.index(weight)  # (the reader refused a weight= naming no feature column)
    w, x, columns = np.asarray(x[:, j], np.float64), np.delete(x, j, axis=1), [c for c in columns if c != weight]
    if not w.any():
        raise TaskError(f"{path}: every weight in column '{weight}' is 0", "a weight of 0 leaves its row out: give "
                        "the rows to fit a positive weight", option="weight")
    kept = (w := np.ldexp(w, -np.frexp(w.max())[1])) > 0  # (2**-1075 of the largest or less: 0)
    if not kept.all():
        x, y, w = x[kept], y[kept], w[kept]
    return x, y, columns, None if bool((w == w[0]).all()) else w


def formula_task(spec: str, seed: int = 0) -> dict[str, Any]:
    """The points of the built-in formula ``spec`` names, drawn with the generator seeded by ``seed``."""
    name, options = parse_spec(spec, FORMULA_OPTIONS, FORMULAS, "a formula task")
    return points(name, np.random.default_rng(seed), **options)


def formula_file(spec: str, seed: int = 0, inputs: Sequence[str] = ()) -> dict[str, Any]:
    """The points of the user's data file ``spec`` names, whose columns are the formula's ``inputs``."""
    name, options = file_spec(spec, FILE_OPTIONS, "a data file for a formula")
    return file_points(name, options["target"], inputs, seed, options["n_train"], options["weight"])
