"""Weighted symbolic regression: a formula's data file's ``weight=`` column, weighted least squares in the linear
scaling and Levenberg-Marquardt, weighted MSE and R² in the metrics.  An integer weight k is the row given k times,
a weight of 0 the row left out (scikit-learn's meaning of ``sample_weight``); an unweighted run is unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mean_squared_error, r2_score

from mlevolve.dsl.parse import parse
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.fit import FitOptions, fit_formula, gradient_floor, linear_scaling
from mlevolve.interpreter.standalone.formula import run_formula
from mlevolve.interpreter.tasks import load_points
from tests.conftest import run_mlevolve

SPEC = load_grammar()
FORMULA = "algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  {}\n"

counts = st.lists(st.integers(0, 3), min_size=6, max_size=30).filter(lambda k: sum(1 for c in k if c) >= 4)


def _data(k: list[int], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points x (n,), y (n,), integer weights k (n,) and the same rows repeated k times (the row index)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, len(k))
    y = 1.5 * np.exp(0.7 * x) + rng.normal(0.0, 0.3, len(k))
    w = np.asarray(k, np.float64)
    return x, y, w, np.repeat(np.arange(len(k)), k)


def _kept(w: np.ndarray) -> np.ndarray:
    return w > 0  # (a weight of 0: the row left out, as every caller hands them over: data_formula._weights)


@settings(max_examples=100, deadline=None)
@given(counts, st.integers(0, 10**6))
def test_weighted_linear_scaling_is_the_rows_repeated(k: list[int], seed: int) -> None:
    x, y, w, rows = _data(k, seed)
    pred = np.sin(3.0 * x)
    on = _kept(w)
    assert np.allclose(linear_scaling(pred[on], y[on], w[on]), linear_scaling(pred[rows], y[rows]), rtol=1e-9,
                       atol=1e-9)
    assert np.isclose(gradient_floor(y[on], w[on]), gradient_floor(y[rows]), rtol=1e-9)


@settings(max_examples=100, deadline=None)
@given(counts, st.integers(0, 10**6))
def test_weighted_metrics_are_the_rows_repeated_and_scikit_learns(k: list[int], seed: int) -> None:
    x, y, w, rows = _data(k, seed)
    on = _kept(w)
    def formula(x: np.ndarray) -> np.ndarray:
        return 2.0 * x + 1.0

    weighted = run_formula({"x_train": x[on, None], "y_train": y[on], "x_test": x[on, None], "y_test": y[on],
                            "w_train": w[on], "w_test": w[on]}, formula)
    repeated = run_formula({"x_train": x[rows, None], "y_train": y[rows], "x_test": x[rows, None],
                            "y_test": y[rows]}, formula)
    for key in ("train_mse", "train_r2", "test_mse", "test_r2", "fitness"):
        assert np.isclose(weighted[key], repeated[key], rtol=1e-9, atol=1e-12), key
    assert np.isclose(weighted["train_r2"], r2_score(y, formula(x), sample_weight=w), rtol=1e-9)
    assert np.isclose(weighted["train_mse"], mean_squared_error(y, formula(x), sample_weight=w), rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(counts, st.integers(0, 10**6), st.booleans())
def test_weighted_levenberg_marquardt_is_the_rows_repeated(k: list[int], seed: int, scale: bool) -> None:
    """The fit of ``c * exp(d * x)`` (d by LM; c by the scaling, or by LM without it) under integer weights is that
    of the rows repeated: the same weighted least-squares problem, summed in another order, so both reach its
    minimum (the weighted sum of squares equal to 1e-9) with the same fitted function at the points.  Not the same
    literals: where the minimum is a flat valley they stop apart along it (a falsifying example, k = [1, 2, 2, 1, 0,
    0, 1] and seed 444885, fitted 607.53 * exp(0.005111 * x) - 607.88 and 607.26 * exp(0.005113 * x) - 607.61:
    literals 4.5e-4 apart relative, values at the points 1.5e-7 apart)."""
    from mlevolve.interpreter.fastpath import formula_function

    x, y, w, rows = _data(k, seed)
    on = _kept(w)
    program = parse(FORMULA.format("1.0 * exp(0.5 * x)"))
    options = FitOptions(scale=scale, iterations=30)
    weighted = fit_formula(program, SPEC, x[on, None], y[on], options, w[on])
    repeated = fit_formula(program, SPEC, x[rows, None], y[rows], options)
    sse = [float(np.sum(w[on] * (formula_function(fit.program, SPEC)(x[on]) - y[on]) ** 2))
           for fit in (weighted, repeated)]
    assert np.isclose(*sse, rtol=1e-9, atol=1e-12), sse
    at_points = [formula_function(fit.program, SPEC)(x[on]) for fit in (weighted, repeated)]
    assert np.allclose(*at_points, rtol=1e-6, atol=1e-9 * (1.0 + float(np.max(np.abs(y[on]))))), at_points


def test_the_weights_decide_the_fit() -> None:
    """Two regimes of points, y = 3x + 1 and y = -2x + 5: the heavy one's line is the weighted fit, either way."""
    x = np.linspace(0.0, 1.0, 20)
    first = np.arange(20) % 2 == 0
    y = np.where(first, 3.0 * x + 1.0, -2.0 * x + 5.0)
    for heavy, (a, b) in ((first, (1.0, 3.0)), (~first, (5.0, -2.0))):
        w = np.where(heavy, 1e6, 1e-6)
        assert np.allclose(linear_scaling(x, y, w), (a, b), atol=1e-4)


def _write(path: Path, weights: list[str]) -> Path:
    rng = np.random.default_rng(0)
    rows = ["x,y,w"] + [f"{v!r},{2 * v + 1!r},{wt}" for v, wt in zip(rng.uniform(0, 1, len(weights)).tolist(),
                                                                       weights, strict=True)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_weight_column_is_no_input_and_its_zeros_leave_rows_out(tmp_path: Path) -> None:
    data = _write(tmp_path / "d.csv", ["1", "2", "0", "3", "1", "2", "1", "4", "1", "2", "0", "1"])
    points = load_points(f"{data}:target=y:weight=w", ("x",))
    assert points.n_vars == 1 and points.w_train is not None and points.w_test is not None
    assert len(points.y_train) + len(points.y_test) == 10 and (points.w_train > 0).all()
    lines = data.read_text(encoding="utf-8").splitlines()
    (left := tmp_path / "left.csv").write_text("\n".join(r for r in lines if not r.endswith(",0")) + "\n")
    without = load_points(f"{left}:target=y:weight=w", ("x",))  # the rows of weight 0 left out of the file
    for key in ("x_train", "y_train", "w_train", "x_test", "y_test", "w_test"):
        assert np.array_equal(getattr(points, key), getattr(without, key)), key
    same = load_points(f"{_write(tmp_path / 'e.csv', ['2.5'] * 12)}:target=y:weight=w", ("x",))
    assert same.w_train is None and same.w_test is None  # equal weights: the unweighted task
    plain = load_points(f"{data}:target=y", ("x", "w"))  # without weight=, w is a column like any
    assert plain.n_vars == 2 and plain.w_train is None


@pytest.mark.parametrize("k", [-1070, -1000, -3, 1, 900, 1020])
def test_weights_a_power_of_two_apart_are_one_task(tmp_path: Path, k: int) -> None:
    """Only the weights' ratios count: the reader divides them by the largest one's power of two (exact), so weights
    w and w * 2**k are the same task, bit for bit, however large (1e308: refused beyond 1e150 before, where the
    weights' sum overflowed and every candidate failed) or small; the largest is in [0.5, 1)."""
    weights = np.array([1.0, 3.0, 0.0, 7.5, 2.0, 1.0, 0.25, 5.0, 1.0, 6.0, 2.0, 3.0])
    base = load_points(f"{_write(tmp_path / 'a.csv', [repr(w) for w in weights.tolist()])}:target=y:weight=w", ("x",))
    scaled = np.ldexp(weights, k)
    assert np.array_equal(np.ldexp(scaled, -k), weights) and np.isfinite(scaled).all()  # (exact, every one)
    other = load_points(f"{_write(tmp_path / 'b.csv', [repr(w) for w in scaled.tolist()])}:target=y:weight=w", ("x",))
    for key in ("x_train", "y_train", "w_train", "x_test", "y_test", "w_test"):
        assert np.array_equal(getattr(base, key), getattr(other, key)), key
    assert base.w_train is not None and base.w_test is not None
    assert 0.5 <= max(base.w_train.max(), base.w_test.max()) < 1.0 and (base.w_train > 0).all()


def test_a_weight_too_small_beside_the_largest_for_float64_leaves_its_row_out(tmp_path: Path) -> None:
    """A weight below 2**-1075 of the largest divides to 0 (float64 holds no smaller ratio): its row is left out, as a
    weight of 0 leaves it, not kept at a weight the fit cannot use."""
    cells = ["1e300"] + ["1"] * 10 + ["1e-30"]
    points = load_points(f"{_write(tmp_path / 'd.csv', cells)}:target=y:weight=w", ("x",))
    assert len(points.y_train) + len(points.y_test) == 11
    assert points.w_train is not None and (points.w_train > 0).all()


@pytest.mark.parametrize(("cells", "spec", "said"), [
    (["1"] * 11 + ["-2"], ":target=y:weight=w", "{d}:13:3: error: weight column 'w': '-2' is negative\n"
     "hint: a weight is a finite number of at least 0 (0 leaves its row out), as scikit-learn's sample_weight\n"),
    (["1"] * 3 + ["nan"] + ["1"] * 8, ":target=y:weight=w", "{d}:5:3: error: weight column 'w': 'nan' is a missing "
     "value\nhint: mlevolve does not impute: fill the cell in or drop its row\n"),
    (["1", "inf"] + ["1"] * 10, ":target=y:weight=w", "{d}:3:3: error: weight column 'w': 'inf' is not a finite "
     "number\nhint: a weight is a finite number of at least 0 (0 leaves its row out), as scikit-learn's "
     "sample_weight\n"),
    (["0"] * 12, ":target=y:weight=w", "mlevolve evolve: error: {d}: every weight in column 'w' is 0\nhint: a "
     "weight of 0 leaves its row out: give the rows to fit a positive weight\n"),
    (["1"] * 12, ":target=y:weight=v", "mlevolve evolve: error: {d}: weight=v is no column; each row's weight is a "
     "column of the file, and not a feature\nhint: weight= names one of: w\n"),  # x is the formula's input; no
    # column near v: the command's own error, as --task's other mistakes are (qa93)
    (["1"] * 12, ":target=y:weight=x", "{d}:1:1: error: weight=x is a parameter of the formula; each "
     "row's weight is a column of the file, and not a feature\nhint: weight= names one of: w\n"),
    (["1"] * 12, ":target=y:weight=y", "{d}:1:2: error: weight=y is the target; each row's weight is a "
     "column of the file, and not a feature\nhint: weight= names one of: w\n"),
])
def test_a_bad_weight_column_is_one_located_error(tmp_path: Path, cells: list[str], spec: str, said: str) -> None:
    data = _write(tmp_path / "d.csv", cells)
    program = tmp_path / "f.mlev"
    program.write_text(FORMULA.format("x"), encoding="utf-8")
    done = run_mlevolve("evolve", str(program), "--task", f"{data}{spec}", "--budget", "3", "--quiet", "--db",
                        str(tmp_path / "r.db"))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", said.format(d=data))


@pytest.mark.parametrize(("header", "params", "spec", "said"), [
    ("x,w,y", "x", ":target=y", ":1:2: column w not used by the formula\nhint: add :weight=w to weight the rows by it"),
    ("x,Sample_Weight,z,y", "x", ":target=y", ":1:2: columns Sample_Weight, z not used by the formula\nhint: add "
     ":weight=Sample_Weight to weight the rows by it; drop column z from the file, or name a parameter after it"),
    ("x,weights,z,u,y", "x", ":target=y", ":1:2: columns weights, z, u not used by the formula\n"
     "hint: add :weight=weights to "
     "weight the rows by it; drop columns z, u from the file, or name a parameter after it"),
    ("x,wt,v,y", "x", ":target=y:weight=v", ":1:2: column wt not used by the formula\n"
     "hint: the formula's parameters are "
     "named after the columns: x, wt"),  # a weight= given: the column left is no second weight
    ("x,w,y", "x, v", ":target=y", "{p}:3:22: error: {d}: no column for parameter v; column w not used by the "
     "formula\n    formula f(x: Scalar, v: Scalar) -> Scalar =\n" + " " * 25 + "^\nhint: the formula's "
     "parameters are named after the columns: x, w"),  # a parameter missing: w may be its column, misnamed: said at
    # the parameter (qa93)
    ("x,z,y", "x", ":target=y", ":1:2: column z not used by the formula\n"
     "hint: the formula's parameters are named after the "
     "columns: x, z"),  # no weight's name: as before
    ("x,w,y", "x, w", ":target=y:weight=q", "mlevolve evolve: error: {d}: weight=q is no column; each row's weight "
     "is a column of the file, and not a feature\nhint: no column is left for it: add each row's weight as a column"),
])
def test_a_formulas_unused_column_named_as_a_weight_is_suggested_as_weight(tmp_path: Path, header: str, params: str,
                                                                          spec: str, said: str) -> None:
    """A data file's column left over by the formula's parameters whose name is a weight's (w, weight, sample_weight)
    was refused as any extra column; the hint names :weight=COLUMN now, and how to drop the others.  A weight= naming
    no column lists only the columns a weight may be: neither the target nor a parameter (or says there is none)."""
    names = header.split(",")
    data = tmp_path / "d.csv"
    data.write_text(header + "\n" + "".join(",".join(f"{1 + (i * (j + 3)) % 7}" for j in range(len(names))) + "\n"
                                            for i in range(12)), encoding="utf-8")
    program = tmp_path / "f.mlev"
    program.write_text(f"algorithm a\n\nformula f({', '.join(f'{p}: Scalar' for p in params.split(', '))}) -> Scalar "
                       f"=\n  {params.split(', ')[0]}\n", encoding="utf-8")
    done = run_mlevolve("evolve", str(program), "--task", f"{data}{spec}", "--budget", "3", "--quiet", "--db",
                        str(tmp_path / "r.db"))
    place, _, rest = said.partition(" ")  # the offending name's place in the header, or the header's (ux81)
    said = said.format(d=data, p=program) if "{d}" in said else f"{data}{place} error: {rest}"
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"{said}\n")


def test_a_learner_refuses_weight_saying_its_updates_are_unweighted(tmp_path: Path) -> None:
    data = _write(tmp_path / "d.csv", ["1"] * 12)
    done = run_mlevolve("run", "examples/linear_regression.mlev", "--task", f"{data}:target=y:weight=w")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"mlevolve run: error: unknown option 'weight' for task '{data}', a data file for a "
                           "learner\nhint: weight= is read only by a formula program (its rows' weights, in weighted "
                           "least squares: other programs train unweighted); options of a data file for a learner: "
                           "target, problem, fitness, group\n")


def test_target_naming_a_parameters_column_is_told_before_a_column_to_rename(tmp_path: Path) -> None:
    """``target=x`` where ``x`` is the formula's parameter: the mistake is target=, whatever the column left over is
    called (it said to rename 'y 2', which is no parameter because it is the target the user meant)."""
    from mlevolve.dsl.errors import MlevError

    data = tmp_path / "xs.csv"
    data.write_text("x,y 2\n" + "".join(f"{i},{i * i % 7}\n" for i in range(10)), encoding="utf-8")
    with pytest.raises(MlevError) as named:
        load_points(f"{data}:target=x", ("x",))
    assert named.value.hint == "target= is the column to predict, not the parameter x: target=y 2"
    (odd := tmp_path / "xc.csv").write_text("x,y:m\n" + "".join(f"{i},{i * i % 7}\n" for i in range(10)))
    with pytest.raises(MlevError) as named:
        load_points(f"{odd}:target=x", ("x",))
    assert named.value.hint == "target= is the column to predict, not the parameter x: target='y:m'"


@pytest.mark.parametrize(("weights", "note"), [(["1", "2", "3"] * 4, "; weighted by column 'w' (as scikit-learn's "
                                                "sample_weight)"), (["2"] * 12, "")])
def test_a_weighted_runs_metric_says_it_is_weighted_and_by_which_column(tmp_path: Path, weights: list[str],
                                                                         note: str) -> None:
    """The answer's metric names the weight column where weights differ; equal weights are the unweighted run."""
    from mlevolve import api

    data = _write(tmp_path / "d.csv", weights)
    program = tmp_path / "f.mlev"
    program.write_text(FORMULA.format("x"), encoding="utf-8")
    result = api.evolve(str(program), ["f"], f"{data}:target=y:weight=w", budget=3, db=tmp_path / "r.db", quiet=True)
    assert result["answer"]["metric"]["description"] == \
        f"train_r2 on the training split (higher is better){note}"


@pytest.mark.parametrize("key", ["weight", "group"])
def test_an_option_naming_no_column_where_none_is_left_says_to_add_its_column(key: str) -> None:
    """``weight=`` (or a learner's ``group=``) naming no column of a file whose every column is the target or a
    parameter: the hint was "each column is the target or a parameter: add the weights", a fragment, and said
    weights for a group too; it names the option's own column now."""
    from mlevolve.interpreter.standalone.data import check_group
    from mlevolve.interpreter.standalone.spec import TaskError

    with pytest.raises(TaskError) as err:
        check_group("d.csv", "q", "y", ["x"], key, params=["x"])
    assert err.value.hint == f"no column is left for it: add each row's {key} as a column"
