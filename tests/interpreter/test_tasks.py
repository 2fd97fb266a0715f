"""Tests of the offline task registry: built-in datasets, learner families, formulas and user data."""

from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.tasks import (
    Family,
    Points,
    Supervised,
    TaskInfo,
    list_tasks,
    load_task,
    task_info,
)

SUPERVISED = ["digits", "iris", "wine", "breast_cancer", "moons", "circles", "spirals"]
FAMILIES = ["linear", "affine", "teacher", "projected_digits"]
FORMULAS = ["koza_quartic"] + [f"nguyen{i}" for i in range(1, 9)]
CONTROL = ["cartpole", "acrobot", "mountaincar", "chain"]
DENSITY = ["moons2d", "circles2d", "gaussians8", "spirals2d", "digits_density"]


def supervised(spec: str, seed: int = 0) -> Supervised:
    task = load_task(spec, seed=seed)
    assert isinstance(task, Supervised)
    return task


def family(spec: str, seed: int = 0, **options: int | str) -> Family:
    task = load_task(spec, seed=seed, **options)
    assert isinstance(task, Family)
    return task


def points(spec: str, seed: int = 0) -> Points:
    task = load_task(spec, seed=seed)
    assert isinstance(task, Points)
    return task


def arrays(task: Supervised | Family | Points) -> dict[str, np.ndarray]:
    return {k: v for k, v in vars(task).items() if isinstance(v, np.ndarray)}


def write_csv(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# ---------------------------------------------------------------------------------------------
# The table


def test_list_tasks_covers_every_task() -> None:
    infos = list_tasks()
    assert [t.name for t in infos] == SUPERVISED + FAMILIES + FORMULAS + CONTROL + DENSITY
    kinds = {t.name: t.kind for t in infos}
    assert {kinds[n] for n in SUPERVISED} == {"supervised"}
    assert {kinds[n] for n in FAMILIES} == {"learner"}
    assert {kinds[n] for n in FORMULAS} == {"formula"}
    assert {kinds[n] for n in CONTROL} == {"rl"}
    assert {kinds[n] for n in DENSITY} == {"generative"}
    assert all(t.description and t.size for t in infos)
    assert task_info("digits") == TaskInfo(
        "digits", "supervised", "classification", "8x8 handwritten digits", "1,797 x 64, 10 classes"
    )
    assert task_info("projected_digits").problem == "classification"


def test_the_apis_and_the_commands_task_lists_are_plain_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``api.tasks()`` handed out the TaskInfo objects, which ``json.dumps`` refuses (a fresh user's pass); every
    API answer is plain values, and ``mlevolve tasks --json`` prints the same list."""
    from mlevolve import api
    from mlevolve.cli import main

    rows = api.tasks()
    assert rows[0] == {"name": "digits", "kind": "supervised", "problem": "classification",
                       "description": "8x8 handwritten digits", "size": "1,797 x 64, 10 classes"}
    assert [r["name"] for r in rows] == [t.name for t in list_tasks()]
    assert main(["tasks", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == rows
    assert main(["tasks"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:3] == ["digits", "supervised", "classification"]
    assert task_info("linear").problem == "regression"


@pytest.mark.parametrize("name", SUPERVISED + FAMILIES + FORMULAS)
def test_every_task_loads_with_the_kind_its_info_says(name: str) -> None:
    expected = {"supervised": Supervised, "learner": Family, "formula": Points}[task_info(name).kind]
    assert isinstance(load_task(name), expected)


# ---------------------------------------------------------------------------------------------
# Supervised


@pytest.mark.parametrize(
    ("name", "n", "f", "k"),
    [("digits", 1797, 64, 10), ("iris", 150, 4, 3), ("wine", 178, 13, 3), ("breast_cancer", 569, 30, 2)]
    + [(name, 1000, 2, 2) for name in ("moons", "circles", "spirals")],
)
def test_supervised_shapes_and_dtypes(name: str, n: int, f: int, k: int) -> None:
    d = supervised(name)
    assert d.problem == "classification" and d.n_classes == k and d.n_outputs == k and d.n_features == f
    sizes = [len(d.y_train), len(d.y_val), len(d.y_test)]
    assert sum(sizes) == n
    assert sizes == pytest.approx([0.6 * n, 0.2 * n, 0.2 * n], abs=k)
    for x, y in ((d.x_train, d.y_train), (d.x_val, d.y_val), (d.x_test, d.y_test)):
        assert x.dtype == np.float32 and x.shape == (len(y), f)
        assert y.dtype == np.int64 and y.ndim == 1
        assert set(np.unique(y)) == set(range(k))


def test_stratified_split_keeps_class_balance() -> None:
    iris = supervised("iris")
    assert np.bincount(iris.y_train).tolist() == [30, 30, 30]
    assert np.bincount(iris.y_val).tolist() == [10, 10, 10]
    assert np.bincount(iris.y_test).tolist() == [10, 10, 10]
    digits = supervised("digits", seed=3)
    total = np.bincount(digits.y_train) + np.bincount(digits.y_val) + np.bincount(digits.y_test)
    assert np.all(np.abs(np.bincount(digits.y_train) - 0.6 * total) <= 1)
    assert np.all(np.abs(np.bincount(digits.y_val) - 0.2 * total) <= 1)


def test_features_are_standardised_with_train_statistics() -> None:
    d = supervised("wine")
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(d.x_train.std(axis=0), 1.0, atol=1e-4)
    assert not np.allclose(d.x_val.mean(axis=0), 0.0, atol=1e-5)  # val uses the train statistics, not its own
    digits = supervised("digits")
    varying = digits.x_train.std(axis=0) > 0
    np.testing.assert_allclose(digits.x_train.std(axis=0)[varying], 1.0, atol=1e-4)
    assert np.all(np.isfinite(digits.x_test))  # constant pixels do not divide by zero


@pytest.mark.parametrize("name", ["iris", "moons", "spirals"])
def test_supervised_is_fixed_per_seed_and_differs_across_seeds(name: str) -> None:
    a, b, c = supervised(name, seed=5), supervised(name, seed=5), supervised(name, seed=6)
    for key, value in arrays(a).items():
        np.testing.assert_array_equal(value, arrays(b)[key])
    assert not np.array_equal(a.x_train, c.x_train)


def test_spirals_are_two_balanced_interleaved_arms() -> None:
    d = supervised("spirals")
    y = np.concatenate([d.y_train, d.y_val, d.y_test])
    assert np.bincount(y).tolist() == [500, 500]
    # Not linearly separable: a least-squares linear classifier stays near chance.
    x = np.concatenate([d.x_train, d.x_val, d.x_test]).astype(np.float64)
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.linalg.lstsq(design, y - 0.5, rcond=None)[0]
    assert np.mean((design @ w > 0) == (y == 1)) < 0.7


# ---------------------------------------------------------------------------------------------
# Learner families


@pytest.mark.parametrize("name", FAMILIES)
def test_family_shapes_and_dtypes(name: str) -> None:
    f = family(name)
    dim = 16 if name == "projected_digits" else 4
    assert f.x_train.shape == (10, 100, dim) and f.x_val.shape == (10, 100, dim)
    assert f.y_train.shape == (10, 100) and f.y_val.shape == (10, 100)
    assert all(a.dtype == np.float32 for a in arrays(f).values())
    assert f.problem == ("classification" if name == "projected_digits" else "regression")


def test_family_options_from_keywords_and_spec() -> None:
    f = family("linear", n_tasks=3, dim=7, n_train=11, n_val=5)
    assert f.x_train.shape == (3, 11, 7) and f.x_val.shape == (3, 5, 7)
    g = family("teacher:dim=2:n_tasks=4")
    assert g.x_train.shape == (4, 100, 2)
    h = family("affine:dim=2", dim=3)  # keywords win over the spec
    assert h.x_train.shape[2] == 3


def test_linear_family_is_exactly_linear() -> None:
    f = family("linear", seed=2)
    for t in range(10):
        x = np.concatenate([f.x_train[t], f.x_val[t]]).astype(np.float64)
        y = np.concatenate([f.y_train[t], f.y_val[t]]).astype(np.float64)
        w, *_ = np.linalg.lstsq(x, y, rcond=None)
        assert np.max(np.abs(x @ w - y)) < 1e-5 * (1 + np.max(np.abs(y)))
        w_train, *_ = np.linalg.lstsq(f.x_train[t].astype(np.float64), f.y_train[t].astype(np.float64), rcond=None)
        np.testing.assert_allclose(w_train, w, atol=1e-5)  # one w per task, shared by train and val


def test_affine_family_needs_its_bias_and_teacher_is_nonlinear() -> None:
    f = family("affine", seed=1)
    x, y = f.x_train[0].astype(np.float64), f.y_train[0].astype(np.float64)
    with_bias = np.hstack([x, np.ones((len(x), 1))])
    assert np.max(np.abs(with_bias @ np.linalg.lstsq(with_bias, y, rcond=None)[0] - y)) < 1e-4
    assert np.max(np.abs(x @ np.linalg.lstsq(x, y, rcond=None)[0] - y)) > 1e-2
    t = family("teacher", seed=1)
    assert float(np.std(t.y_train)) > 0.1 and np.all(np.isfinite(t.y_train))
    per_task = [np.hstack([t.x_train[i], np.ones((100, 1))]).astype(np.float64) for i in range(10)]
    residuals = [np.linalg.lstsq(a, t.y_train[i], rcond=None)[0] @ a.T - t.y_train[i] for i, a in enumerate(per_task)]
    assert max(float(np.max(np.abs(r))) for r in residuals) > 1e-2


def test_family_is_fixed_per_seed_and_draws_new_weights_per_seed() -> None:
    for name in FAMILIES:
        a, b, c = family(name, seed=4), family(name, seed=4), family(name, seed=9)
        for key, value in arrays(a).items():
            np.testing.assert_array_equal(value, arrays(b)[key])
        assert not np.array_equal(a.y_train, c.y_train)
    # Same x would still give different y: the weights are drawn from the seed as well.
    w4 = np.linalg.lstsq(family("linear", seed=4).x_train[0], family("linear", seed=4).y_train[0], rcond=None)[0]
    w9 = np.linalg.lstsq(family("linear", seed=9).x_train[0], family("linear", seed=9).y_train[0], rcond=None)[0]
    assert not np.allclose(w4, w9)


def test_projected_digits_tasks_are_binary_and_standardised() -> None:
    f = family("projected_digits", seed=1)
    for t in range(10):
        assert set(np.unique(f.y_train[t])) == {0.0, 1.0}
        assert set(np.unique(f.y_val[t])) <= {0.0, 1.0}
        np.testing.assert_allclose(f.x_train[t].mean(axis=0), 0.0, atol=1e-4)
        np.testing.assert_allclose(f.x_train[t].std(axis=0), 1.0, atol=1e-3)
    small = family("projected_digits", n_tasks=2, dim=5, n_train=30, n_val=20)
    assert small.x_train.shape == (2, 30, 5) and small.x_val.shape == (2, 20, 5)
    capped = family("projected_digits", n_tasks=3, n_train=1000, n_val=1000)  # only ~350 examples per pair
    assert capped.x_train.shape[1] == capped.x_val.shape[1] and 340 <= capped.x_train.shape[1] * 2 <= 370


# ---------------------------------------------------------------------------------------------
# Formulas

FORMULA_DEFS: dict[str, tuple[Callable[[Any], Any], float, float]] = {
    "koza_quartic": (lambda x: x**4 + x**3 + x**2 + x, -1, 1),
    "nguyen1": (lambda x: x**3 + x**2 + x, -1, 1),
    "nguyen2": (lambda x: x**4 + x**3 + x**2 + x, -1, 1),
    "nguyen3": (lambda x: x**5 + x**4 + x**3 + x**2 + x, -1, 1),
    "nguyen4": (lambda x: x**6 + x**5 + x**4 + x**3 + x**2 + x, -1, 1),
    "nguyen5": (lambda x: np.sin(x**2) * np.cos(x) - 1, -1, 1),
    "nguyen6": (lambda x: np.sin(x) + np.sin(x + x**2), -1, 1),
    "nguyen7": (lambda x: np.log(x + 1) + np.log(x**2 + 1), 0, 2),
    "nguyen8": (lambda x: np.sqrt(x), 0, 4),
}


@pytest.mark.parametrize("name", FORMULAS)
def test_formula_targets_equal_the_formula(name: str) -> None:
    formula, lo, hi = FORMULA_DEFS[name]
    p = points(name)
    assert p.n_vars == 1 and p.x_train.shape == (20, 1) and p.x_test.shape == (100, 1)
    assert all(a.dtype == np.float64 for a in arrays(p).values())
    assert p.y_train.shape == (20,) and p.y_test.shape == (100,)
    np.testing.assert_allclose(p.y_train, formula(p.x_train[:, 0]), rtol=1e-12)
    np.testing.assert_allclose(p.y_test, formula(p.x_test[:, 0]), rtol=1e-12)
    for x in (p.x_train, p.x_test):
        assert lo <= x.min() and x.max() <= hi
    assert not set(p.x_train[:, 0]) & set(p.x_test[:, 0])


def test_formula_points_are_fixed_per_seed() -> None:
    np.testing.assert_array_equal(points("nguyen5", seed=1).x_train, points("nguyen5", seed=1).x_train)
    assert not np.array_equal(points("nguyen5", seed=1).x_train, points("nguyen5", seed=2).x_train)
    p = load_task("koza_quartic:n_train=7", n_test=3)
    assert isinstance(p, Points) and p.x_train.shape == (7, 1) and p.x_test.shape == (3, 1)


# ---------------------------------------------------------------------------------------------
# User data


def all_rows(d: Supervised) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([d.x_train, d.x_val, d.x_test]), np.concatenate([d.y_train, d.y_val, d.y_test])


def test_csv_regression_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    lines = ["a, target ,b"] + [f"{ai},{2 * ai - 3 * bi + 1},{bi}" for ai, bi in zip(a, b, strict=True)]
    path = write_csv(tmp_path / "reg.csv", "\n".join(lines) + "\n\n")
    d = supervised(f"{path}:target=target")
    assert d.problem == "regression" and d.n_classes == 0 and d.n_outputs == 1 and d.n_features == 2
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (30, 10, 10)
    assert d.y_train.dtype == np.float32 and d.x_train.dtype == np.float32
    assert abs(float(d.y_train.mean())) < 1e-5 and abs(float(d.y_train.std()) - 1) < 1e-4
    x, y = all_rows(d)
    design = np.hstack([x, np.ones((len(x), 1))]).astype(np.float64)
    coef = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)[0]
    assert np.max(np.abs(design @ coef - y)) < 1e-4  # y is still the same linear function of (a, b)
    assert coef[0] > 0 > coef[1]  # columns kept in file order, target removed from the middle
    info = task_info(f"{path}:target=target")
    assert (info.kind, info.problem, info.size) == ("supervised", "regression", "50 x 2, regression")


def test_csv_string_labels_and_forced_problem(tmp_path: Path) -> None:
    rows = [f"{i},{'big' if i >= 20 else 'small'}" for i in range(40)]
    path = write_csv(tmp_path / "cls.csv", "\n".join(["value,size", *rows]))
    d = supervised(f"{path}:target=size")
    assert d.problem == "classification" and d.n_classes == 2
    x, y = all_rows(d)
    assert x[y == 0, 0].min() > x[y == 1, 0].max()  # 'big' (class 0) has the larger values
    assert np.bincount(d.y_train).tolist() == [12, 12]
    rows = [f"{i},{i % 3},{0.5 + i % 2}" for i in range(40)]
    path = write_csv(tmp_path / "num.csv", "\n".join(["value,digit,half", *rows]))
    small_ints = supervised(f"{path}:target=digit")
    assert small_ints.problem == "classification" and small_ints.n_classes == 3
    forced = supervised(f"{path}:target=digit:problem=regression")
    assert forced.problem == "regression" and forced.y_train.dtype == np.float32
    assert supervised(f"{path}:target=value").problem == "regression"  # 40 distinct integers > 20
    assert supervised(f"{path}:target=half").problem == "regression"  # not integer-valued
    forced_cls = load_task(path, target="half", problem="classification")
    assert isinstance(forced_cls, Supervised) and forced_cls.n_classes == 2 and forced_cls.n_features == 2


def test_npz_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 3))
    path = tmp_path / "data.npz"
    np.savez(path, X=x, y=(x[:, 0] > 0).astype(np.int32))
    d = supervised(str(path))
    assert d.problem == "classification" and d.n_classes == 2 and d.n_features == 3
    xs, ys = all_rows(d)
    assert np.all((xs[:, 0] > xs[ys == 0, 0].max()) == (ys == 1))
    np.savez(path, X=x, y=x @ np.array([1.0, 2.0, 3.0]))
    assert supervised(str(path)).problem == "regression"
    np.savez(path, X=x[:, 0], y=np.array(["a", "b", "c"] * 20))
    s = supervised(str(path))
    assert s.n_classes == 3 and s.n_features == 1
    assert np.bincount(s.y_train).tolist() == [12, 12, 12]
    np.testing.assert_array_equal(supervised(str(path), seed=1).x_train, supervised(str(path), seed=1).x_train)
    assert not np.array_equal(supervised(str(path), seed=1).x_train, supervised(str(path), seed=2).x_train)


# ---------------------------------------------------------------------------------------------
# Bad input

CSV_OK = "a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n11,12,1\n13,14,0\n15,16,1\n17,18,0\n19,20,1\n"


def bad_cases(tmp: Path) -> list[tuple[str, str, str | None]]:
    """(spec, message fragment, hint fragment)."""
    ok = write_csv(tmp / "ok.csv", CSV_OK)
    cases: list[tuple[str, str, str | None]] = [
        ("no_such_task", "unknown task 'no_such_task'", "digits, iris"),
        (str(tmp / "missing.csv") + ":target=y", "no such file", None),
        (ok, "which column is the target", "target=y, or target= another of its columns: a, b, y"),
        (f"{ok}:target=label", "no column named 'label'", "columns: a, b, y"),
        (f"{ok}:target=y:foo=bar", "unknown option 'foo' for task", "options of a data file: target, problem"),
        (f"{ok}:target=y:foo", "option 'foo' has no value", "key=value"),
        (f"{ok}:target=y:problem=banana", "problem=banana", None),
        ("digits:foo=bar", "unknown option 'foo' for task 'digits', a supervised task", "task: none"),
        ("linear:foo=bar", "unknown option 'foo' for task 'linear', a learner family",
         "n_tasks, dim, n_train, n_val"),
        ("linear:n_tasks=0", "n_tasks=0 of task 'linear' must be an integer from 1 to 10,000", "linear:n_tasks=10"),
        ("nguyen1:n_train=two", "n_train=two", None),
        (write_csv(tmp / "cell.csv", "a,b,y\n1,2,0\n3,x,1\n") + ":target=y", "column 'b': 'x' is not a number",
         "every cell must hold a number"),
        (write_csv(tmp / "nan.csv", "a,b,y\n1,2,0\n3,4,1\nnan,4,1\n") + ":target=y", "'nan' is a missing value",
         "does not impute"),
        (
            write_csv(tmp / "ragged.csv", "a,b,y\n1,2,0\n3,4\n") + ":target=y",
            "row has 2 cells, the header has 3",
            None,
        ),
        (write_csv(tmp / "header.csv", "a,b,y\n") + ":target=y", "empty dataset", None),
        (write_csv(tmp / "blank.csv", "") + ":target=y", "empty file", None),
        (write_csv(tmp / "only.csv", "y\n1\n2\n") + ":target=y", "no feature columns", None),
        (write_csv(tmp / "noy.csv", "a,y\n1,0\n2,\n") + ":target=y", "target column 'y': the cell is empty", None),
        (write_csv(tmp / "one.csv", "a,y\n1,0\n2,0\n3,0\n4,0\n5,0\n") + ":target=y",
         "the target is 0 on every row (5 rows): read as classes, one class", None),
        (write_csv(tmp / "tiny.csv", "a,y\n1,0\n2,1\n") + ":target=y", "too few rows (2 in 2 classes)", None),
        (
            write_csv(tmp / "labels.csv", "a,y\n1,cat\n2,3\n") + ":target=y:problem=regression",
            "target column 'y': 'cat' is not a number",
            None,
        ),
        (write_csv(tmp / "data.txt", "a,y\n") + ":target=y", "unsupported data file", None),
    ]
    np.savez(tmp / "noy.npz", X=np.zeros((5, 2)))
    np.savez(tmp / "lower.npz", x=np.zeros((5, 2)), y=np.zeros(5))  # the names are X and y: the hint says so
    np.savez(tmp / "ragged.npz", X=np.zeros((5, 2)), y=np.zeros(4))
    np.savez(tmp / "empty.npz", X=np.zeros((0, 2)), y=np.zeros(0))
    np.savez(tmp / "cube.npz", X=np.zeros((5, 2, 3)), y=np.zeros(5))
    np.savez(tmp / "scalar.npz", X=np.zeros((1, 2)), y=np.float64(1.0))
    np.savez(tmp / "strx.npz", X=np.array([["a"]] * 5), y=np.zeros(5))
    np.savez(tmp / "infx.npz", X=np.array([[1.0, 2.0], [3.0, np.inf]]), y=np.zeros(2))
    np.savez(tmp / "stry.npz", X=np.zeros((5, 1)), y=np.array(list("abcde")))
    (tmp / "junk.npz").write_text("not a zip")
    np.save(tmp / "single.npy", np.zeros(3))
    (tmp / "single.npy").rename(tmp / "single.npz")  # a .npy file renamed: np.load returns an array, no archive
    (tmp / "blank.npz").write_bytes(b"")
    np.savez(tmp / "objects.npz", X=np.array([[1], [2]], dtype=object), y=np.zeros(2))
    with zipfile.ZipFile(tmp / "raw.npz", "w") as archive:
        archive.writestr("X.npy", b"not npy data")
    cases += [
        (str(tmp / "single.npz"), "not an NPZ archive: it is one array (numpy.save)", "numpy.savez(path, X="),
        (str(tmp / "blank.npz"), "not an NPZ archive: it is empty", "numpy.savez"),
        (str(tmp / "objects.npz"), "an array holds Python objects (dtype object)", None),
        (str(tmp / "raw.npz"), "member 'X' is not a NumPy array", "numpy.savez"),
        (str(tmp / "noy.npz"), "no array named 'y'", "arrays in the file: X"),
        (str(tmp / "lower.npz"), "no array named 'X'", "save the features as X and the target as y (numpy.savez(file, "
                                                        "X=X, y=y)); arrays in the file: x, y"),
        (str(tmp / "ragged.npz"), "X has 5 rows but y has 4", None),
        (str(tmp / "empty.npz"), "empty.npz: empty dataset: X is 0 x 2", "save at least a row and a feature"),
        (str(tmp / "cube.npz"), "X must be 2-D (rows x features) and y 1-D (or one column); X is 5 x 2 x 3, y is 5",
         "numpy.savez(file, X=X.reshape(len(y), -1), y=y)"),  # shapes as the message's rows x features, not tuples
        (str(tmp / "scalar.npz"), "X is 1 x 2, y is one number", None),
        (str(tmp / "strx.npz"), "X must be numeric", None),
        (str(tmp / "infx.npz"), "X row 2, column 2 is inf, not a finite number", None),
        (str(tmp / "stry.npz") + ":problem=regression", "y row 1: 'a' is not a number", "regression needs a number"),
        (str(tmp / "noy.npz") + ":target=y", "target= applies to CSV files", None),
        (str(tmp / "junk.npz"), "not an NPZ archive: it is not a ZIP file", "numpy.savez"),
    ]
    return cases


def test_an_npz_target_of_one_column_reads_as_its_1d_form(tmp_path: Path) -> None:
    """docs/data.md: ``y`` is one value per row, 1-D or of shape (rows, 1), the form scikit-learn's ``y[:, None]``
    and many exports have; any other 2-D ``y`` is refused."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    np.savez(tmp_path / "flat.npz", X=x, y=y)
    np.savez(tmp_path / "column.npz", X=x, y=y[:, None])
    np.savez(tmp_path / "two.npz", X=x, y=np.stack([y, y], axis=1))
    flat, column = (load_task(str(tmp_path / f"{n}.npz:problem=regression")) for n in ("flat", "column"))
    for split in ("x_train", "y_train", "y_test"):
        assert np.array_equal(np.asarray(getattr(flat, split)), np.asarray(getattr(column, split)))
    with pytest.raises(MlevError, match=r"y 1-D \(or one column\); X is 40 x 2, y is 40 x 2"):
        load_task(str(tmp_path / "two.npz:problem=regression"))


def test_bad_input_raises_mlev_error(tmp_path: Path) -> None:
    for spec, message, hint in bad_cases(tmp_path):
        with pytest.raises(MlevError) as info:
            load_task(spec)
        assert type(info.value) is MlevError, spec
        assert message in info.value.message, (spec, info.value.message)
        assert "\n" not in info.value.message
        if hint is not None:
            assert info.value.hint is not None and hint in info.value.hint, (spec, info.value.hint)


def test_bad_keyword_options_and_unknown_info() -> None:
    with pytest.raises(MlevError, match="unknown option 'hidden'"):
        load_task("teacher", hidden=3)
    with pytest.raises(MlevError, match="must be an integer from 1 to 4,096"):
        load_task("linear", dim=-1)
    with pytest.raises(MlevError, match="unknown task 'cifar10'") as info:
        task_info("cifar10")
    assert info.value.hint is not None and all(t.name in info.value.hint for t in list_tasks())


def test_a_learner_takes_a_data_file_as_one_task(tmp_path: Path) -> None:
    from mlevolve import api
    from mlevolve.interpreter.factory import load_task_for
    from mlevolve.interpreter.tasks import Family

    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 3))
    rows = [f"{a:.6f},{b:.6f},{c:.6f},{a - 2 * b:.6f},{int(a > 0) + int(b > 0)}" for a, b, c in x]
    path = write_csv(tmp_path / "d.csv", "\n".join(["a,b,c,y,k", *rows]))
    program = api.check(api.parse_file(Path(__file__).parents[2] / "examples" / "linear_regression.mlev"))
    task = load_task_for(program, f"{path}:target=y:fitness=relative", seed=2)
    assert isinstance(task, Family) and task.problem == "regression" and task.fitness == "relative"
    assert task.x_train.shape == (1, 30, 4) and task.x_val.shape == (1, 20, 4)  # 60% online, 40% validate
    assert task.y_train.dtype == np.float32 and abs(float(task.x_train[0, :, 0].mean())) < 1e-6  # standardised
    # the same split and scaling as a supervised program gets from the file (validation then test rows)
    sup = load_task(f"{path}:target=y", seed=2)
    assert isinstance(sup, Supervised)
    assert np.array_equal(task.x_val[0], np.concatenate([sup.x_val, sup.x_test]))
    with pytest.raises(MlevError, match=r"a learner classifies two classes; the target has 3"):
        load_task_for(program, f"{path}:target=k", seed=2)
    with pytest.raises(MlevError, match=r"unknown option 'dim'"):
        load_task_for(program, f"{path}:target=y:dim=4", seed=2)


def test_family_spec_parsed_once_draws_the_same_tasks() -> None:
    """A family spec is parsed and checked once (``fresh=1`` draws one task batch per candidate); the
    draw equals the one made by the uncached path (options given as arguments), for every seed."""
    import numpy as np

    from mlevolve.interpreter.tasks import _family_plan, load_task

    for seed in (0, 7, 2**62):
        cached = load_task("linear:fresh=1:fitness=relative:n_tasks=3", seed)
        plain = load_task("linear", seed, fresh="1", fitness="relative", n_tasks="3")
        assert type(cached) is type(plain)
        for field in ("x_train", "y_train", "x_val", "y_val"):
            assert np.array_equal(getattr(cached, field), getattr(plain, field))
        assert (cached.fitness, cached.fresh, cached.name) == (plain.fitness, plain.fresh, plain.name)
    assert _family_plan.cache_info().hits >= 2
    assert _family_plan("koza_quartic") is None and _family_plan("linear:bogus=1") is None


def test_a_learner_takes_one_task_per_value_of_a_group_column(tmp_path: Path) -> None:
    from mlevolve import api
    from mlevolve.interpreter.factory import load_task_for
    from mlevolve.interpreter.tasks import Family

    rng = np.random.default_rng(4)
    rows = [f"{g},{a:.6f},{b:.6f},{(g + 1) * a - b:.6f}" for g in range(3) for a, b in rng.normal(size=(20 + 5 * g, 2))]
    path = write_csv(tmp_path / "g.csv", "\n".join(["task,a,b,y", *rows]))
    program = api.check(api.parse_file(Path(__file__).parents[2] / "examples" / "linear_regression.mlev"))
    task = load_task_for(program, f"{path}:target=y:group=task", seed=1)
    assert isinstance(task, Family)
    # 3 tasks, cut to the smallest (20 rows: 12 train, 8 validate), the group column not a feature
    assert task.x_train.shape == (3, 12, 2) and task.x_val.shape == (3, 8, 2)
    assert api.run(program, f"{path}:target=y:group=task")["val_mse"] < api.run(program, f"{path}:target=y")["val_mse"]
    with pytest.raises(MlevError, match=r"group=nope is no column; the rows are grouped into tasks by a "):
        load_task_for(program, f"{path}:target=y:group=nope", seed=1)


@pytest.mark.parametrize("names", [["alpha", "beta", "gamma"], ["c", "b", "a"], ["2.0", "10", "x"],
                                   ["1000002", "1000001", "1000003"]])  # shown as 1e+06 alike, they were one task
def test_a_group_column_of_text_labels_makes_the_tasks_of_numbers(tmp_path: Path, names: list[str]) -> None:
    """`group=task` of labels `alpha`, `beta` was refused ("'alpha' is not a number"; a fresh-user pass): labels
    are labels, text or numbers, and group the rows as numbers do: tasks in order of the sorted labels (numbers by
    value, then text), the same arrays as the same rows labelled 0, 1, 2 in that order.  An empty label is a
    missing value, at its place."""
    from mlevolve import api
    from mlevolve.interpreter.factory import load_task_for

    rng = np.random.default_rng(4)
    values = [float(n) if n.replace(".", "").isdigit() else None for n in names]
    rank = sorted(range(3), key=lambda k: (values[k] is None, values[k] or 0, names[k]))
    data = [(g, a, b) for g in (2, 0, 1, 0, 2, 1) for a, b in rng.normal(size=(7, 2)).tolist()]
    program = api.check(api.parse_file(Path(__file__).parents[2] / "examples" / "linear_regression.mlev"))
    text = write_csv(tmp_path / "text.csv", "\n".join(["a,task,b,y", *[f"{a!r},{names[g]},{b!r},{a - b!r}"
                                                                          for g, a, b in data]]))
    number = write_csv(tmp_path / "number.csv", "\n".join(["a,task,b,y", *[f"{a!r},{rank.index(g)},{b!r},{a - b!r}"
                                                                              for g, a, b in data]]))
    got, want = (load_task_for(program, f"{p}:target=y:group=task", seed=3) for p in (text, number))
    for field in ("x_train", "y_train", "x_val", "y_val"):
        assert np.array_equal(getattr(got, field), getattr(want, field)), field
    header, _, body = Path(text).read_text().partition("\n")
    Path(text).write_text(f"{header}\n{body.replace(f',{names[1]},', ',,', 1)}")
    with pytest.raises(MlevError, match="column 'task': the cell is empty") as info:
        load_task_for(program, f"{text}:target=y:group=task", seed=3)
    assert info.value.file == f"{text}:16:2"  # the first row of label 1: the third group of 7 rows


@pytest.mark.parametrize(("group", "said"), [
    ("G", "group=G is no column; the rows are grouped into tasks by a feature column"),
    ("y", "group=y is the target; the rows are grouped into tasks by a feature column"),
    ("a", "column 'g': text, not numbers ('beta' and 19 more of 20 cells)")])  # a feature's cells: numbers
def test_a_group_that_is_no_feature_column_is_named_before_the_cells(tmp_path: Path, group: str, said: str) -> None:
    """With a column of text labels, `group=G` (a typo), `group=y` and `group=x1` each said "column 'g': 'beta' is
    not a number" (a fresh-user pass): the option is checked against the header before any cell is read."""
    import re

    from mlevolve import api
    from mlevolve.interpreter.factory import load_task_for

    path = write_csv(tmp_path / "lg.csv", "g,a,y\n" + "".join(f"{'alpha' if i % 2 else 'beta'},{i},{2 * i}\n"
                                                              for i in range(20)))
    program = api.check(api.parse_file(Path(__file__).parents[2] / "examples" / "linear_regression.mlev"))
    with pytest.raises(MlevError, match=re.escape(said)):
        load_task_for(program, f"{path}:target=y:group={group}", seed=0)


BAD_FILES = {  # name: (file text or arrays, spec options), each a different rule of the reader
    "bad.csv": ("a,y\n1,2\n", ""),  # no target= given
    "dup.csv": ("a,a,y\n1,2,3\n", ":target=y"),
    "short.csv": ("a,y\n1,2\n3\n", ":target=y"),
    "order.csv": ("a,y\n1,\n2,3\nNA,4\n", ":target=y"),  # the target cell of line 2 comes first in file order
    "mixed.csv": ("a,y\n1,2\n2,3\n3,x\n", ":target=y"),
    "inf.npz": ({"X": np.array([[1.0], [np.inf]]), "y": np.array([1.0, 2.0])}, ""),
    "noy.npz": ({"X": np.ones((3, 1))}, ""),
    "nany.npz": ({"X": np.ones((3, 1)), "y": np.array([1.0, np.nan, 2.0])}, ":problem=regression"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_the_library_and_a_script_read_a_file_by_one_set_of_rules(name: str, tmp_path: Path) -> None:
    """One owner of the data-file rules: the library's error is the standalone reader's (what an
    exported script embeds), the same words at the same FILE:LINE:COLUMN, with the library's location."""
    from mlevolve.interpreter.standalone.data import read_table
    from mlevolve.interpreter.standalone.spec import TaskError

    content, options = BAD_FILES[name]
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    else:
        np.savez(path, **content)
    with pytest.raises(TaskError) as script:
        target = options.partition("target=")[2]
        read_table(str(path), target, "regression" if "regression" in options else "")
    with pytest.raises(MlevError) as library:
        load_task(f"{path}{options}")
    where, message = script.value.where, script.value.message
    assert library.value.render().splitlines()[0] == \
        (f"{where}: error: {message[len(where) + 2:]}" if where else f"error: {message}")
    assert library.value.hint == (script.value.hint or None)
    if name == "order.csv":
        assert library.value.file == f"{path}:2:2" and "target column 'y'" in library.value.message


def test_each_control_task_lists_the_gamma_its_discount_is() -> None:
    """A td_loss or pg_loss written with a constant gamma needs the task's (it was in the code only: a fresh-user
    pass); chain, deterministic, says that its test return is its validation return."""
    from mlevolve.api import tasks
    from mlevolve.interpreter.standalone.data_control import CONTROL

    listed = {t["name"]: t["description"] for t in tasks()}
    for name, row in CONTROL.items():
        assert listed[name].endswith(f"; gamma {row[4]:g}")
    assert "deterministic: test_return is val_return" in listed["chain"]



def test_a_control_task_without_gymnasium_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh user's pass: a control task without gymnasium failed at its first episode (`run`: "failed:
    ModuleNotFoundError", status 1; an exported script: a traceback).  The loader imports what its task needs
    (standalone ``spec.package``), so a missing package is the task's one-line error before any training (the data
    sets scikit-learn draws: tests/cli/test_missing_packages.py, in exported scripts, where nothing is cached)."""
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # a None entry blocks the import, as a missing package
    with pytest.raises(MlevError) as info:
        load_task("cartpole", 0)
    assert (info.value.message, info.value.hint) == ("task 'cartpole' needs the package gymnasium",
                                                     "pip install gymnasium")


def test_a_checked_table_s_integers_are_read_without_a_cast_and_text_or_every_row_is_refused() -> None:
    """The loaders read a family's and a formula's options as integers from the checked table (no cast through
    text): an override given as text is checked to its integer first; a table holding text, or a formula's
    n_train as every row (None: a data file's only), is a bug, refused."""
    from mlevolve.interpreter.tasks import _int, _ints

    assert len(load_task("nguyen4", n_train="3e1").y_train) == 30
    assert _ints({"n_train": 20, "n_test": 100}) == {"n_train": 20, "n_test": 100}
    assert _ints({"n_tasks": 2, "fitness": "mse"}, leave=("fitness",)) == {"n_tasks": 2}
    assert _int({"n_train": None}, "n_train") is None
    with pytest.raises(TypeError, match="n_train='20' was not checked"):
        _ints({"n_train": "20"})
    with pytest.raises(TypeError, match="every row"):
        _ints({"n_train": None})


def test_a_data_files_error_col_is_the_columns_number_and_the_docs_say_so(tmp_path: Path) -> None:
    """small85: a data file's ``FILE:LINE:COL`` counts fields (a spreadsheet's columns), not characters as a
    ``.mlev`` error does; docs/data.md and README say so, with this very example."""
    path = write_csv(tmp_path / "data.csv", "a,bb,yy\n1,2,3\n")
    with pytest.raises(MlevError) as info:
        supervised(f"{path}:target=y")
    assert str(info.value).startswith(f"{path}:1:3: error: no column named 'y'")  # the 3rd field, not character 6
    root = Path(__file__).resolve().parents[2]
    data = " ".join((root / "docs" / "data.md").read_text().split())
    assert ("COL is the column's number, counted from 1 (the field, as a spreadsheet counts columns), not a "
            "character's: `a,bb,yy` with `target=y` is `data.csv:1:3: error: no column named 'y'`") in data
    readme = " ".join((root / "README.md").read_text().split())
    assert "in a data file COL is the column's number, counted from 1, not a character's" in readme
