"""Constant fitting of formulas: linear scaling, literal tuning, write-back, honest counting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.dsl.ir import const
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_expr, format_program
from mlevolve.dsl.simplify import constant_value
from mlevolve.dsl.traverse import preorder
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter import fit
from mlevolve.interpreter.evaluate import Settings, evaluate
from mlevolve.interpreter.evaluator import DEFAULT_FIT, ProgramEvaluator
from mlevolve.interpreter.fit import FitOptions, fit_formula, linear_scaling, split_scaling
from mlevolve.interpreter.tasks import Points
from tests.conftest import EXAMPLES, run_mlevolve
from tests.conftest import archive_rows as _rows

SPEC = load_grammar()


def formula(body: str) -> str:
    return f"algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  {body}\n"


def points(fn: object, lo: float = -1.0, hi: float = 1.0) -> Points:
    rng = np.random.default_rng(0)
    x_train, x_test = rng.uniform(lo, hi, (30, 1)), rng.uniform(lo, hi, (30, 1))
    f = fn  # type: ignore[assignment]
    return Points("p", x_train, f(x_train[:, 0]), x_test, f(x_test[:, 0]), 1)  # type: ignore[operator]


def evaluator(task: Points, fit: FitOptions | None = DEFAULT_FIT) -> ProgramEvaluator:
    return ProgramEvaluator(task, "p", SPEC, Settings(), frozenset({"formula"}), fit=fit)


def test_linear_scaling_is_the_least_squares_line() -> None:
    pred = np.array([0.0, 1.0, 2.0, 3.0])
    a, b = linear_scaling(pred, 3.0 * pred - 2.0)
    assert np.isclose(a, -2.0) and np.isclose(b, 3.0)
    assert linear_scaling(np.ones(4), np.arange(4.0)) == (1.5, 0.0)  # constant prediction: the mean


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(1, 2000), st.integers(0, 10**6))
def test_a_constant_prediction_has_slope_zero_and_the_targets_mean(value: float, n: int, seed: int) -> None:
    """A constant prediction's computed variance is rounding noise (about ``(EPS * value)^2``): it gets
    slope 0 and the target's mean, not ``cov / var`` of two rounding errors."""
    y = np.random.default_rng(seed).normal(3.0, 2.0, n)
    a, b = linear_scaling(np.full(n, value), y)
    assert b == 0.0 and a == float(np.mean(y))


def test_a_formula_of_a_column_near_1e_150_is_fitted_not_taken_for_a_constant(tmp_path: Path) -> None:
    """``a * a / b`` of a column near 1e-150 has a variance near 1e-600, which underflowed to 0: the exact formula
    was scored R² 0 by the search, R² 1 by `mlevolve run` (a fresh-user pass)."""
    import mlevolve.api as api

    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1.0, 1.0, 100) * 1e-150, rng.uniform(0.5, 3.0, 100)
    data = tmp_path / "tiny.csv"
    data.write_text("a,b,y\n" + "".join(f"{float(p)!r},{float(q)!r},{float(1.5 * (p / 1e-150) ** 2 / q + 0.7)!r}\n"
                                        for p, q in zip(a, b, strict=True)))
    program = tmp_path / "ab.mlev"
    program.write_text("algorithm ab\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  a * a / b\n")
    out = api.evolve(program, ["f"], f"{data}:target=y", budget=1, db=tmp_path / "t.db", quiet=True, prune=False)
    assert out["answer"]["start"]["value"] == pytest.approx(1.0, abs=1e-12)  # train_r2, the fitness


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("body", ["a * a / b", "1e-60 * (a * a / b)"])
def test_a_formula_of_a_column_near_1e100_is_fitted_not_taken_for_a_constant(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, jit: bool) -> None:
    """The overflow twin of the test above: ``a * a / b`` of a column near 1e100 (targets near 1e140, inside the
    documented 1e150) has values near 1e200, whose variance overflowed to inf: the exact formula was scored R² 0
    (the intercept alone), and the search replaced it by a worse one it called better (a fresh-user pass)."""
    import mlevolve.api as api

    if not jit:
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    rng = np.random.default_rng(0)
    a, b = rng.uniform(1.0, 3.0, 50) * 1e100, rng.uniform(1.0, 3.0, 50)
    data = tmp_path / "big.csv"
    data.write_text("a,b,y\n" + "".join(f"{float(p)!r},{float(q)!r},{float(p * p / q * 1e-60)!r}\n"
                                        for p, q in zip(a, b, strict=True)))
    program = tmp_path / "ab.mlev"
    program.write_text(f"algorithm ab\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  {body}\n")
    out = api.evolve(program, ["f"], f"{data}:target=y", budget=1, db=tmp_path / "t.db", quiet=True, prune=False)
    assert out["answer"]["start"]["value"] == pytest.approx(1.0, abs=1e-12)  # train_r2, the fitness


def test_a_formula_far_from_its_target_fails_for_its_overflowed_error_not_as_not_finite() -> None:
    """`mlevolve run` of ``a * a`` on values near 1e100 said "the formula is not finite on some points", where every
    value is finite (near 1e200): its squared error is what overflows."""
    from mlevolve.interpreter.standalone.common import CandidateFailure
    from mlevolve.interpreter.standalone.formula import run_formula

    x = np.linspace(1.0, 2.0, 10)[:, None] * 1e100
    data = {"x_train": x, "y_train": x[:, 0] * 1e-60, "x_test": x, "y_test": x[:, 0] * 1e-60}
    with pytest.raises(CandidateFailure) as failed:
        run_formula(data, lambda a: a * a)
    assert (failed.value.reason, failed.value.where) == (
        "its squared error overflows float64 (finite, but far from the target)", "train")
    with pytest.raises(CandidateFailure) as failed:
        run_formula(data, lambda a: a * a * a * a)  # 1e400: the formula itself is not finite
    assert failed.value.reason == "the formula is not finite on some points"


def test_a_huge_varying_prediction_keeps_its_slope() -> None:
    """Values near 1e200 have a variance near 1e400, inf in float64: scaled by their largest magnitude first."""
    x = np.linspace(-1.0, 1.0, 50)
    with np.errstate(over="ignore"):  # as every caller computes it (fit_formula's)
        a, b = linear_scaling(1e200 * x, 2.0 * x + 1.0)
    assert a == pytest.approx(1.0) and b == pytest.approx(2e-200)


def test_a_tiny_but_varying_prediction_keeps_its_slope() -> None:
    """The threshold is relative: values of 1e-150 that vary are a shape, not rounding (the absolute
    1e-300 floor on the variance took them for a constant)."""
    x = np.linspace(-1.0, 1.0, 50)
    a, b = linear_scaling(1e-155 * x, 2.0 * x + 1.0)
    assert a == pytest.approx(1.0) and b == pytest.approx(2e155)


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("body", ["1.89", "x - x + 1.89", "0.5 + 3.0 * 1.89"])
def test_a_constant_formula_is_fitted_to_the_mean_with_no_scale(body: str, jit: bool,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``1.89`` fitted with scaling was ``1.5745566 + 0.5 * 1.89`` (a slope of rounding noise); now the
    model is the intercept alone, the target's mean, on the compiled and the NumPy path alike."""
    if not jit:
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    x = np.linspace(-1.0, 1.0, 30)[:, None]
    y = 2.5 * x[:, 0] ** 2 + 1.3
    fitted = fit_formula(parse(formula(body)), SPEC, x, y)
    assert fitted.program.definitions[0].body == const(float(np.mean(y))), format_program(fitted.program)
    scored = evaluate(fitted.program, Points("p", x, y, x, y, 1), SPEC)
    assert scored.metrics["train_r2"] == pytest.approx(0.0, abs=1e-12)


POLE = "algorithm a\n\nformula f(x0: Scalar, x1: Scalar, x2: Scalar) -> Scalar =\n  " \
       "square(x0 * x2) * (sign(x1) / reciprocal(0.0))\n"


@pytest.mark.parametrize("jit", [True, False])
def test_a_literal_on_a_removable_pole_moves_to_the_right_value(jit: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sign(x1) / reciprocal(c)`` is ``sign(x1) * c``, smooth in ``c``, but its forward-mode tangent
    at ``c = 0`` passes ``reciprocal(0) = inf`` and comes out 0 (strong zeros), so the literal never
    moved; its column now falls back to a finite difference."""
    if not jit:
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, (30, 3))
    y = 1.7 * (x[:, 0] * x[:, 2]) ** 2 * np.sign(x[:, 1])
    program = parse(POLE)
    fitted = fit_formula(program, SPEC, x, y, FitOptions(scale=False))
    body = fitted.program.definitions[0].body
    assert body is not None
    # tuned to c = 1.7, then folded (``reciprocal(1.7)`` is a literal): ``sign(x1) / 0.588...``
    assert [constant_value(n) for n in preorder(body) if constant_value(n) is not None] == pytest.approx([1 / 1.7])
    assert fitted.evaluations <= 2 * 10 + 1
    scaled = fit_formula(program, SPEC, x, y)  # with scaling: any c != 0 is the optimum, b * c = 1.7
    split = split_scaling(scaled.program.definitions[0].body)  # type: ignore[arg-type]
    assert split is not None
    # b * (f / reciprocal(c)) gathered into one coefficient b * c = 1.7 (GATHERING), the intercept within the fit's
    # tolerance of 0 dropped (it read 6.66e-16 + 114199153.87 * (square(x0 * x2) * (sign(x1) / 67175972.86)))
    assert [constant_value(n) for n in preorder(split[0]) if constant_value(n) is not None] == []
    assert split[1] == 0.0 and split[2] == pytest.approx(1.7)
    assert format_expr(split[0]) == "square(x0 * x2) * sign(x1)"
    result = evaluate(scaled.program, Points("p", x, y, x, y, 3), SPEC)
    assert result.metrics["train_r2"] > 1 - 1e-12


@pytest.mark.parametrize("jit", [True, False])
def test_an_exact_zero_column_costs_no_finite_difference(jit: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A literal the scaling absorbs (``abs(f + c)`` where ``f + c > 0``) has a zero column that is
    right: no difference is taken (LM stops at its zero gradient), so the count is the start, one
    Jacobian and the end.  At the top (``f + c``) the literal is the scaling's own (``split_scaling``):
    nothing is tuned, the count is the start and the end."""
    if not jit:
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    x = np.linspace(-1.0, 1.0, 30)[:, None]
    fitted = fit_formula(parse(formula("abs(sin(x) + 1.89)")), SPEC, x, 2.0 * np.sin(x[:, 0]) - 1.0)
    assert fitted.evaluations == 3
    assert fit_formula(parse(formula("sin(x) + 1.89")), SPEC, x, 2.0 * np.sin(x[:, 0]) - 1.0).evaluations == 2


def test_x_squared_scores_r2_one_after_scaling_and_the_archived_text_reproduces_it() -> None:
    task = points(lambda x: 2.5 * x**2 + 1.3)
    program = parse(formula("x * x"))
    unfitted = evaluator(task, fit=None).evaluate(program, "k")
    assert unfitted.metrics["train_r2"] < 0.9
    outcome = evaluator(task).evaluate(program, "k")
    assert outcome.failure is None
    assert outcome.metrics["train_r2"] > 1 - 1e-12 and outcome.metrics["test_r2"] > 1 - 1e-12
    assert outcome.program is not None
    fitted = parse(outcome.program)
    body = fitted.definitions[0].body
    assert body is not None
    split = split_scaling(body)
    assert split is not None and np.isclose(split[1], 1.3) and np.isclose(split[2], 2.5)
    # the stored text, run as is (no fitting: `mlevolve run` and export), gives the same score
    again = evaluate(fitted, task, SPEC)
    assert again.metrics["train_r2"] == outcome.metrics["train_r2"]
    assert again.metrics["test_mse"] == outcome.metrics["test_mse"]
    assert outcome.metrics["fit_evaluations"] >= 1


def test_literals_are_tuned_by_levenberg_marquardt() -> None:
    x = np.linspace(-1, 1, 25)[:, None]
    y = 3.0 * x[:, 0] - 2.0
    fitted = fit_formula(parse(formula("1.0 * x + 1.0")), SPEC, x, y, FitOptions(scale=False))
    body = fitted.program.definitions[0].body
    assert body is not None
    line = split_scaling(body)  # `3.0 * x + -2.0` has the form a + b * f with f = x
    assert line is not None and np.isclose(line[1], -2.0) and np.isclose(line[2], 3.0)
    task = Points("p", x, y, x, y, 1)
    scored = evaluate(fitted.program, task, SPEC)
    assert scored.metrics["train_mse"] < 1e-20
    # the start, 10 LM iterations of a Jacobian (one evaluation, whatever the literals) and a step each, the end
    assert 2 < fitted.evaluations <= 2 * 10 + 2


def test_a_nonlinear_literal_is_tuned_through_the_scaling() -> None:
    x = np.linspace(0.1, 2, 40)[:, None]
    y = 4.0 * np.exp(1.7 * x[:, 0]) + 0.5
    fitted = fit_formula(parse(formula("exp(1.0 * x)")), SPEC, x, y)
    result = evaluate(fitted.program, Points("p", x, y, x, y, 1), SPEC)
    assert result.metrics["train_r2"] > 1 - 1e-9, format_program(fitted.program)


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("size", [1e-9, 1e-30, 1e9])
def test_a_literal_is_tuned_alike_at_any_scale_of_the_targets(
        monkeypatch: pytest.MonkeyPatch, size: float, jit: bool) -> None:
    """The fit of ``size * y`` is the fit of ``y``: LM's gradient test was absolute (``1e-15 * (1 + sse)``), and a
    gradient scales as the targets' square, so targets of size 1e-9 stopped every fit before its first step (3
    evaluations where size 1 took 20): a search on them found other formulas than on the same data in units 1e9
    times larger (a user's pass with a target in 1e-9 units)."""
    if not jit:
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    x = np.linspace(0.1, 2, 40)[:, None]
    y = 4.0 * np.exp(1.7 * x[:, 0]) + 0.5
    unit = fit_formula(parse(formula("exp(1.0 * x)")), SPEC, x, y)
    scaled = fit_formula(parse(formula("exp(1.0 * x)")), SPEC, x, size * y)
    assert unit.evaluations > 3 and scaled.evaluations > 3  # (the start, a Jacobian and the end: no step)
    result = evaluate(scaled.program, Points("p", x, size * y, x, size * y, 1), SPEC)
    assert result.metrics["train_r2"] > 1 - 1e-9, format_program(scaled.program)


def test_a_scaled_formula_is_refitted_in_place_not_nested() -> None:
    x = np.linspace(-1, 1, 20)[:, None]
    y = 2.5 * x[:, 0] ** 2 + 1.3
    once = fit_formula(parse(formula("x * x")), SPEC, x, y).program
    twice = fit_formula(once, SPEC, x, y).program
    assert twice.definitions[0].body is not None and once.definitions[0].body is not None
    assert twice.definitions[0].body.size == once.definitions[0].body.size


def test_a_formula_not_finite_on_the_points_comes_back_unchanged() -> None:
    x = np.linspace(-1, 1, 20)[:, None]
    program = parse(formula("log(x - 5.0)"))
    fitted = fit_formula(program, SPEC, x, x[:, 0])
    assert fitted.program is program


def test_fitting_evaluations_are_counted_and_reported(tmp_path: Path) -> None:
    import mlevolve.api as api
    from mlevolve.gp.archive import Archive

    summary = api.evolve(EXAMPLES / "quartic.mlev", task="nguyen1", budget=40, db=tmp_path / "a.db", init="random",
                         fit=True)
    with Archive.read(tmp_path / "a.db") as archive:
        rows = [r for r in archive.rows() if r.source == "evaluated"]  # a failed one's fitting counts too
        assert rows and all(r.metrics["fit_evaluations"] >= 1 for r in rows)
        assert summary["fit_evaluations"] == sum(r.metrics["fit_evaluations"] for r in rows)
        assert all(r.simplified is not None for r in rows if r.fitness is not None)


def test_the_fitting_of_a_candidate_that_fails_is_counted(tmp_path: Path) -> None:
    """A formula whose fit was made and whose fitted form then failed spent its fitting's evaluations, which the
    summary left out: its outcome had no metrics (a fresh-user pass: "failed 1; fitting 0 evaluations")."""
    import mlevolve.api as api
    from mlevolve.gp.archive import Archive

    program = tmp_path / "bad.mlev"
    program.write_text("algorithm bad\ntask nguyen1\n\nformula f(x: Scalar) -> Scalar =\n"
                       "  sqrt(-1.0 - square(x)) + x\n")
    summary = api.evolve(program, budget=12, db=tmp_path / "b.db", quiet=True, prune=False)
    with Archive.read(tmp_path / "b.db") as archive:
        evaluated = [r for r in archive.rows() if r.source == "evaluated"]
    failed = [r for r in evaluated if r.failure is not None]
    assert failed and all(r.metrics == {"fit_evaluations": r.metrics["fit_evaluations"]} for r in failed)
    assert all(r.metrics["fit_evaluations"] >= 1 for r in failed)
    assert summary["fit_evaluations"] == sum(r.metrics["fit_evaluations"] for r in evaluated)
    again = api.evolve(program, budget=12, db=tmp_path / "b.db", quiet=True, prune=False)  # replayed: the same count
    assert again["fit_evaluations"] == summary["fit_evaluations"]


def _csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-2, 2, 100), rng.uniform(0.5, 3, 100)
    path = tmp_path / "data.csv"
    path.write_text("a,b,y\n" + "".join(f"{p},{q},{1.5 * p * p / q + 0.7}\n" for p, q in zip(a, b, strict=True)))
    return path


def test_a_formula_runs_on_a_csv_with_columns_mapped_by_name(tmp_path: Path) -> None:
    import mlevolve.api as api
    from mlevolve.interpreter.tasks import load_points

    path = _csv(tmp_path)
    points = load_points(f"{path}:target=y", ("b", "a"))
    assert points.x_train.shape == (80, 2) and points.x_test.shape == (20, 2)
    assert np.allclose(1.5 * points.x_train[:, 1] ** 2 / points.x_train[:, 0] + 0.7, points.y_train)
    program = tmp_path / "ab.mlev"
    program.write_text("algorithm ab\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  1.5 * a * a / b + 0.7\n")
    result = api.run(program, task=f"{path}:target=y")
    assert result["failure"] is None and result["train_mse"] < 1e-20 and result["test_r2"] > 1 - 1e-12


def test_a_target_constant_on_the_rows_n_train_drew_says_so_and_what_to_do(tmp_path: Path) -> None:
    """A 0/1 target of which n_train=2 drew two 1s was refused as "the target is 1 on every fitting row", with the
    hint that a regression needs a target that varies, of a target the user could see vary; it names the draw."""
    from mlevolve.dsl.errors import MlevError
    from mlevolve.interpreter.tasks import load_points

    rng = np.random.default_rng(0)
    a, b = rng.uniform(1.0, 5.0, 60).tolist(), rng.uniform(1.0, 5.0, 60).tolist()
    path = tmp_path / "bin.csv"
    path.write_text("a,b,y\n" + "".join(f"{p!r},{q!r},{float(p > 1.5)!r}\n" for p, q in zip(a, b, strict=True)))
    with pytest.raises(MlevError) as info:
        load_points(f"{path}:target=y:n_train=4", ("a", "b"))  # (2, as it was, is below a formula's least)
    assert (info.value.message, info.value.hint) == (
        f"{path}: the target is 1 on every fitting row (the 4 of 48 that n_train=4 drew)",
        "a larger n_train draws rows it varies on")
    assert load_points(f"{path}:target=y:n_train=20", ("a", "b")).x_train.shape == (20, 2)


def test_n_train_caps_a_data_files_fitting_rows_by_a_draw_of_the_seed(tmp_path: Path) -> None:
    """A fit costs linear time in its rows: n_train=N fits on N of the file's train and validation rows (gplearn's
    max_samples), drawn with the run's seed apart from the split, whose held-out rows stay what they were."""
    import pytest

    import mlevolve.api as api
    from mlevolve.dsl.errors import MlevError
    from mlevolve.interpreter.tasks import load_points

    path = _csv(tmp_path)
    whole = load_points(f"{path}:target=y", ("a", "b"), seed=3)
    for n in (3, 30, 79):
        part = load_points(f"{path}:target=y:n_train={n}", ("a", "b"), seed=3)
        assert part.x_train.shape == (n, 2) and np.array_equal(part.x_test, whole.x_test)
        rows = [np.flatnonzero((whole.x_train == row).all(axis=1)) for row in part.x_train]
        assert all(len(r) == 1 for r in rows) and np.all(np.diff(np.concatenate(rows)) > 0)  # its rows, in order
        assert np.array_equal(whole.y_train[np.concatenate(rows)], part.y_train)
    assert not np.array_equal(load_points(f"{path}:target=y:n_train=30", ("a", "b"), seed=4).y_train,
                              load_points(f"{path}:target=y:n_train=30", ("a", "b"), seed=3).y_train)
    assert np.array_equal(load_points(f"{path}:target=y:n_train=80", ("a", "b"), seed=3).x_train, whole.x_train)
    for n in (81, 1_000_000, 10**9):  # more than it has (1,000,000 too: it was taken as "every row"): refused
        with pytest.raises(MlevError) as info:
            load_points(f"{path}:target=y:n_train={n}", ("a", "b"), seed=3)
        assert (info.value.message, info.value.hint) == (
            f"{path}: n_train={n} is more than its 80 fitting rows (100 rows, 20 held out for test_r2)",
            "n_train=80 or less, or leave it out to use every row")
    with pytest.raises(MlevError) as info:
        load_points(f"{path}:target=y:n_train=1", ("a", "b"))
    assert (info.value.message, info.value.hint) == (
        f"option n_train=1 of task '{path}' must be an integer from 3 to the file's fitting rows",  # not the sentinel
        f"leave n_train out to use every row, as {path}:target=y does, or give from 3 to the file's fitting rows "
        "(a formula's linear scaling a + b * f fits 2 points exactly)")
    program = tmp_path / "ab.mlev"
    program.write_text("algorithm ab\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  a * b\n")
    result = api.run(program, task=f"{path}:target=y:n_train=20", seed=3)
    assert result["failure"] is None and result["test_mse"] == api.run(program, task=f"{path}:target=y", seed=3)[
        "test_mse"]


def test_every_row_of_a_data_file_is_its_own_value_not_a_million(tmp_path: Path) -> None:
    """n_train left out (None) is every fitting row, however many: a file of more than 1,000,000 fitting rows was
    cut to 1,000,000 by the default, which stood for "every row", and n_train above 1,000,000 was refused."""
    from mlevolve.interpreter.standalone.data_formula import FILE_OPTIONS, file_points

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 1_300_000)
    np.savez(path := tmp_path / "big.npz", X=x[:, None], y=x * x + 0.1 * x)
    assert FILE_OPTIONS["n_train"] is None
    every = file_points(str(path), "", ["x0"], seed=1)
    assert len(every["y_train"]) == 1_040_000 > 1_000_000  # 80% of the rows: training and validation
    drawn = file_points(str(path), "", ["x0"], seed=1, n_train=1_000_001)  # above the old cap: a draw of the rows
    assert len(drawn["y_train"]) == 1_000_001 and np.array_equal(drawn["y_test"], every["y_test"])


def test_a_formula_is_fitted_on_more_points_than_its_linear_scaling_fits_exactly(tmp_path: Path) -> None:
    """Two points (n_train=2) are fitted exactly by a + b * f for any formula f: every candidate scored train_r2 1
    and the search had nothing to tell apart.  Refused, built-in task or data file, in the words of every formula
    task's loader (exported scripts embed it)."""
    from mlevolve.dsl.errors import MlevError
    from mlevolve.interpreter.tasks import load_points, load_task

    path = _csv(tmp_path)
    every_row = (f"leave n_train out to use every row, as {path}:target=y does, or give from 3 to the file's "
                 "fitting rows")
    for spec, name, load, fix, top in ((f"{path}:target=y:n_train=2", path, lambda s: load_points(s, ("a", "b")),
                                        every_row, "the file's fitting rows"),  # no number: the file's own
                                       ("nguyen1:n_train=2", "nguyen1", load_task, "write e.g. nguyen1:n_train=20",
                                        "1,000,000")):
        with pytest.raises(MlevError) as info:  # as its option's range: n_train=1 was told "from 2", then 2 refused
            load(spec)
        assert (info.value.message, info.value.hint) == (
            f"option n_train=2 of task '{name}' must be an integer from 3 to {top}",
            f"{fix} (a formula's linear scaling a + b * f fits 2 points exactly)")
    assert load_task("nguyen1:n_train=3").x_train.shape == (3, 1)
    assert load_task("linear:n_train=2").x_train.shape[1] == 2  # a learner family's least is 2


def test_missing_and_extra_columns_are_named(tmp_path: Path) -> None:
    import pytest

    from mlevolve.dsl.errors import MlevError
    from mlevolve.interpreter.tasks import load_points

    path = _csv(tmp_path)
    with pytest.raises(MlevError, match=r"no column for parameter c; column b not used by the formula"):
        load_points(f"{path}:target=y", ("a", "c"))
    # target= naming a parameter: the hint says what target= is, and the column meant where one is left (a new user's
    # pass: it said "the formula's parameters are named after the columns: b", as if the file were wrong)
    with pytest.raises(MlevError) as named:
        load_points(f"{path}:target=a", ("a", "b"))
    assert named.value.hint == "target= is the column to predict, not the parameter a: target=y"
    with pytest.raises(MlevError) as named:
        load_points(f"{path}:target=a", ("a",))
    assert named.value.hint == "target= is the column to predict, not the parameter a"
    with pytest.raises(MlevError) as named:  # another parameter lacks a column too: target=y would not do
        load_points(f"{path}:target=a", ("a", "b", "c"))
    assert named.value.hint == "target= is the column to predict, not the parameter a"
    with pytest.raises(MlevError) as named:  # no column left over: it raised IndexError (a fresh-user pass)
        load_points(f"{path}:target=y", ("a", "b", "y"))
    assert named.value.hint == "target= is the column to predict, not the parameter y"
    flat = tmp_path / "flat.csv"  # the column left over is constant: as a target it is refused, so not suggested
    flat.write_text("a,b,y\n" + "".join(f"{i},{i * i},5\n" for i in range(20)))
    with pytest.raises(MlevError) as named:
        load_points(f"{flat}:target=a", ("a", "b"))
    assert named.value.hint == "target= is the column to predict, not the parameter a"


def test_a_held_out_r2_needs_two_rows_that_vary(tmp_path: Path) -> None:
    """test_r2 over one held-out row, or rows of one target, has no variance to divide by (it read 1 - MSE):
    such a file is refused as a fitting split of one value is, at the file, with how many rows it takes."""
    import pytest

    from mlevolve.dsl.errors import MlevError
    from mlevolve.interpreter.tasks import load_points

    rows = np.random.default_rng(0).uniform(1, 5, (9, 2))
    few = r"too few rows \({}\) for a formula: the 20% held out for test_r2 would be {}"  # said so from 3 rows (the
    for n, error in ((3, few.format(3, 0)), (4, few.format(4, 1)), (6, few.format(6, 1)),  # split's 'at least 4'
                     (7, r"the target is [-0-9.e]+ on every held-out row \(2 of 7: the 20% test_r2 is measured on\)"),
                     (8, None), (9, None)):  # led to 'the target does not vary' at 4: a new user's pass; 8 held out 1)
        path = tmp_path / f"n{n}.csv"
        data = rows[:n].copy()
        data[1] = data[0] if n == 7 else data[1]  # rows 0 and 1 are the two held out of 7 (and of 9)
        path.write_text("a,b,y\n" + "".join(f"{a},{b},{a * a / b}\n" for a, b in data))
        if error is None:
            assert load_points(f"{path}:target=y", ("a", "b")).x_test.shape == (2, 2)
        else:
            with pytest.raises(MlevError, match=error):
                load_points(f"{path}:target=y", ("a", "b"))




def test_a_resumed_fitted_run_equals_an_uninterrupted_one_and_its_texts_reproduce_their_scores(
        tmp_path: Path) -> None:
    import mlevolve.api as api
    from mlevolve.gp.archive import Archive

    args = {"task": "nguyen5", "init": "random", "population": 20, "quiet": True, "seed": 2}
    whole = api.evolve(EXAMPLES / "quartic.mlev", budget=150, db=tmp_path / "whole.db", **args)
    api.evolve(EXAMPLES / "quartic.mlev", budget=70, db=tmp_path / "part.db", **args)  # fitting is the default
    resumed = api.evolve(EXAMPLES / "quartic.mlev", budget=150, db=tmp_path / "part.db", **args)
    assert resumed["replayed"] == 70 and resumed["candidates"] == whole["candidates"] == 150
    assert _rows(tmp_path / "part.db") == _rows(tmp_path / "whole.db")
    for key in ("fit_evaluations", "best_fitness", "best_hash", "best_program", "evaluated", "cache", "fec"):
        assert resumed.get(key) == whole.get(key), key
    assert whole["fit_evaluations"] > whole["evaluated"]
    with Archive.read(tmp_path / "whole.db") as archive:
        rows = [r for r in archive.rows() if r.fitness is not None]
    with Archive.read(tmp_path / "whole.db") as archive:  # a failed candidate's fitting counts too
        scored = [r for r in archive.rows() if r.source == "evaluated"]
    assert whole["fit_evaluations"] == sum(r.metrics.get("fit_evaluations", 0) for r in scored)
    reused = [r for r in rows if r.source in ("cache", "fec")]
    assert reused and all("fit_evaluations" in r.metrics for r in reused)  # the fitted text travels with a hit
    # every stored text, scored as written (no fitting), reproduces the metrics stored with it
    for row in [r for r in scored if r.fitness is not None][::5] + reused:
        again = api.run(parse(row.program), "nguyen5", seed=2)  # the run's seed draws its points
        assert {k: again[k] for k in ("fitness", "train_mse", "test_mse", "train_r2", "test_r2")} == \
            {k: row.metrics[k] for k in ("fitness", "train_mse", "test_mse", "train_r2", "test_r2")}, row.seq


def test_no_fit_scores_formulas_as_written_and_is_part_of_the_run_identity(tmp_path: Path) -> None:
    import pytest

    import mlevolve.api as api
    from mlevolve.dsl.errors import MlevError
    from mlevolve.gp.archive import Archive

    args = {"task": "nguyen1", "init": "random", "population": 10, "quiet": True, "budget": 30}
    plain = api.evolve(EXAMPLES / "quartic.mlev", db=tmp_path / "plain.db", fit=False, **args)
    assert plain["fit_evaluations"] is None
    with Archive.read(tmp_path / "plain.db") as archive:
        assert not any("fit_evaluations" in r.metrics for r in archive.rows())
        assert archive.meta()["fit"] is False
    with pytest.raises(MlevError, match="fit: archive has off, now on"):  # fitted cannot resume unfitted
        api.evolve(EXAMPLES / "quartic.mlev", db=tmp_path / "plain.db", **args)


@pytest.mark.e2e
def test_evolve_help_shows_no_fit() -> None:
    out = run_mlevolve("evolve", "--help", check=True).stdout
    assert "--no-fit" in out and "Levenberg-Marquardt" in out


def test_fitting_stays_within_its_evaluation_cap_and_warns_nothing_on_overflow() -> None:
    import warnings

    x = np.linspace(0.1, 3.0, 40)[:, None]
    y = np.sin(1.3 * x[:, 0]) * np.exp(0.4 * x[:, 0])
    program = parse(formula("sin(0.5 * x) * exp(0.1 * x) + 0.2 * x * x"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = fit_formula(program, SPEC, x, y, FitOptions(iterations=10))
        # 4 literals: the start, at most 10 * (1 + 1) in Levenberg-Marquardt, the final scaling prediction
        assert 1 < fitted.evaluations <= 10 * 2 + 2
        wild = fit_formula(parse(formula("exp(exp(50.0 * x)) * 2.0")), SPEC, x, y)
    assert wild.evaluations >= 1
    before = float(np.sum((evaluate_text(program, x) - y) ** 2))
    assert float(np.sum((evaluate_text(fitted.program, x) - y) ** 2)) < before


def evaluate_text(program: object, x: np.ndarray) -> np.ndarray:
    from mlevolve.interpreter.codegen import compile_program
    from mlevolve.interpreter.evaluate import instantiate

    fn = instantiate(compile_program(parse(format_program(program)), SPEC))  # type: ignore[arg-type]
    return np.broadcast_to(np.asarray(fn(*x.T), np.float64), x.shape[:1])


@pytest.mark.parametrize("jit", [True, False])
def test_a_literal_started_on_a_pole_is_folded_into_the_scaling(jit: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``0.0 * x``: the literal moves off 0 only a finite-difference step (about 1.5e-8) and the
    scaling absorbs the rest (``0.5 + 1.3e8 * (1.49e-8 * x)`` before); the fit folds the two literals
    into one, and the evaluator scores the folded program (its score is the text's)."""
    if not jit:
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    task = points(lambda x: 0.5 + 2.0 * x, 1.0, 3.0)
    program = parse(formula("0.0 * x"))
    fitted = fit_formula(program, SPEC, task.x_train, task.y_train)
    body = fitted.program.definitions[0].body
    assert body is not None and body.size == 5  # a + b * x
    split = split_scaling(body)
    assert split is not None and np.isclose(split[1], 0.5) and np.isclose(split[2], 2.0)
    outcome = evaluator(task).evaluate(program, "k")
    assert outcome.failure is None and outcome.program is not None
    again = evaluate(parse(outcome.program), task, SPEC)  # the text as archived reproduces its score
    assert again.metrics["fitness"] == outcome.metrics["fitness"]


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("body", ["x / 0.0", "exp(1000.0) * x", "log(0.0) * x", "x * reciprocal(0.0) + 1.0"])
def test_a_formula_not_finite_at_its_literals_is_fitted_from_a_restart(body: str, jit: bool,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A pole at a literal is restarted (``fit.restarts``), not failed at the probe; the failed
    start counts one evaluation, and the fit from the restart the rest."""
    if not jit:
        monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    task = points(lambda x: 0.5 + 2.0 * x, 1.0, 3.0)
    program = parse(formula(body))
    fitted = fit_formula(program, SPEC, task.x_train, task.y_train)
    assert fitted.program != program
    result = evaluate(fitted.program, task, SPEC)
    assert result.failure is None and result.metrics["train_r2"] == pytest.approx(1.0, abs=1e-9)
    assert fitted.evaluations >= 2
    outcome = evaluator(task).evaluate(program, "k")
    assert evaluator(task).fingerprint(program, "k")[1] is None  # not failed at the probe
    assert outcome.failure is None and outcome.metrics["fit_evaluations"] == fitted.evaluations
    assert evaluator(task, None).fingerprint(program, "k")[1] is not None  # unfitted: the probe fails it


def test_each_restart_costs_one_evaluation_and_a_hopeless_pole_fails_as_data() -> None:
    """``sqrt(-2.0 - x * x)`` is NaN at -2, -1 and 1 alike on x in [1, 3]: three starts, three
    evaluations, and the candidate fails when scored (a failure, not an exception)."""
    task = points(lambda x: 0.5 + 2.0 * x, 1.0, 3.0)
    program = parse(formula("sqrt(-2.0 - x * x)"))
    fitted = fit_formula(program, SPEC, task.x_train, task.y_train)
    assert fitted.program == program and fitted.evaluations == 3
    assert [list(s) for s in fit.restarts(np.array([-2.0]))] == [[-1.0], [1.0]]
    assert [list(s) for s in fit.restarts(np.array([0.0, 1000.0]))] == [[1.0, 1000.0], [1.0, 1.0]]
    assert fit_formula(program, SPEC, task.x_train, task.y_train, FitOptions(tune=False)).evaluations == 1
    outcome = evaluator(task).evaluate(program, "k")
    assert outcome.failure is not None


# -- split_scaling: every spelling of a + b * f the simplifier leaves ------------------------------------
SCALAR_SPEC = SPEC.restrict(frozenset({"Scalar"}))
XS = np.linspace(-2.0, 2.0, 41)


def _values(body: object) -> np.ndarray:
    """``body`` (a formula of ``x``) on :data:`XS`, by the code generator's own function."""
    from mlevolve.dsl.ir import Definition, Param, Program
    from mlevolve.dsl.kinds import check_program
    from mlevolve.interpreter.codegen import compile_program
    from mlevolve.interpreter.evaluate import instantiate

    program = check_program(Program("t", (Definition("formula", "f", (Param("x", "Scalar"),), "Scalar",
                                                      body),)), SPEC)  # type: ignore[arg-type]
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(instantiate(compile_program(program, SPEC))(XS), np.float64), XS.shape)


def _random_body(seed: int, depth: int) -> object:
    import random

    from mlevolve.gp.generate import generate

    return generate(SCALAR_SPEC, "Scalar", random.Random(seed), env={"x": "Scalar"}, max_depth=depth, method="grow")


LITERAL = st.floats(-50.0, 50.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3 and v != 1.0)


@settings(max_examples=120, deadline=None, derandomize=True, database=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 5), a=LITERAL, b=LITERAL)
def test_a_fitted_scaling_is_split_in_every_spelling_the_simplifier_leaves(seed: int, depth: int, a: float,
                                                                             b: float) -> None:
    """A fit writes ``a + b * f``; the simplifier (and the fit's folding of chains of literals) may leave
    it as ``b * f - a``, ``a - b * f``, ``f * b + a``, ``a - f / c``...  Whatever it leaves, the split is
    found, and ``a' + b' * f'`` computes the body's values (up to rounding: a fold may round)."""
    from mlevolve.dsl.printer import format_expr
    from mlevolve.dsl.simplify import fold_fitted, simplify_expr

    f = simplify_expr(_random_body(seed, depth))  # type: ignore[arg-type]
    if constant_value(f) is not None:
        return  # a constant f: the body folds to a literal, there is nothing to split
    body = fold_fitted(simplify_expr(fit.scaled(f, a, b)))
    split = split_scaling(body)
    assert split is not None, format_expr(body)  # every spelling is recognised
    inner, a2, b2 = split
    want, got = _values(body), a2 + b2 * _values(inner)
    ok = np.isfinite(want) & (np.abs(want) < 1e12)
    assert np.array_equal(np.isfinite(want), np.isfinite(got)) or not ok.all()
    assert np.allclose(got[ok], want[ok], rtol=1e-9, atol=1e-9 * (1.0 + abs(a) + abs(b)))


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 6))
def test_any_split_reproduces_the_formulas_values(seed: int, depth: int) -> None:
    """Of any formula (random, unsimplified: literals anywhere), a split found computes its values."""
    body = _random_body(seed, depth)
    split = split_scaling(body)  # type: ignore[arg-type]
    if split is None:
        return
    inner, a, b = split
    assert inner is not body and inner.size < body.size  # type: ignore[attr-defined]
    want, got = _values(body), a + b * _values(inner)
    ok = np.isfinite(want) & np.isfinite(got) & (np.abs(want) < 1e12)
    assert np.allclose(got[ok], want[ok], rtol=1e-9, atol=1e-9 * (1.0 + abs(a) + abs(b)))


@pytest.mark.parametrize(("text", "a", "b", "f"), [
    ("2.0 + 3.0 * sin(x)", 2.0, 3.0, "sin(x)"),
    ("3.0 * sin(x) - 2.0", -2.0, 3.0, "sin(x)"),
    ("2.0 - 3.0 * sin(x)", 2.0, -3.0, "sin(x)"),
    ("sin(x) * 3.0 + 2.0", 2.0, 3.0, "sin(x)"),
    ("-(3.0 * sin(x)) + 2.0", 2.0, -3.0, "sin(x)"),
    ("2.0 - sin(x) / 4.0", 2.0, -0.25, "sin(x)"),
    ("-sin(x)", 0.0, -1.0, "sin(x)"),
    ("1.0 + 2.0 * (3.0 + 4.0 * sin(x))", 7.0, 8.0, "sin(x)"),
    ("2.0 + 0.0 * sin(x)", 2.0, 1.0, "0.0 * sin(x)"),  # a zero coefficient is no scaling
])
def test_the_split_of_each_spelling(text: str, a: float, b: float, f: str) -> None:
    from mlevolve.dsl.parse import parse_expr
    from mlevolve.dsl.printer import format_expr

    split = split_scaling(parse_expr(text))
    assert split is not None and format_expr(split[0]) == f and (split[1], split[2]) == (a, b)
    assert split_scaling(parse_expr("sin(x)")) is None and split_scaling(parse_expr("x * sin(x)")) is None


def test_a_target_too_small_to_square_is_refused_at_the_file(tmp_path: Path) -> None:
    """Targets near 1e-200: every squared error, and the targets' variance, underflow to 0, so the formula 0 scored
    R² 1 (a user's pass); 1e-140 still squares, and loads."""
    import pytest

    from mlevolve.dsl.errors import MlevError
    from mlevolve.interpreter.tasks import load_points

    rows = np.random.default_rng(1).uniform(1, 5, (30, 2))
    for scale, refused in ((1e-200, True), (1e-140, False)):
        path = tmp_path / f"s{scale:g}.csv"
        path.write_text("a,b,y\n" + "".join(f"{a},{b},{float(a * a / b * scale)!r}\n" for a, b in rows))
        if refused:
            with pytest.raises(MlevError, match="the target varies too little for float64 to square") as caught:
                load_points(f"{path}:target=y", ("a", "b"))
            assert caught.value.hint == "errors are computed in the target's own units: multiply it by a power of 10"
        else:
            assert load_points(f"{path}:target=y", ("a", "b")).y_train.max() < 1e-138


SPECIALS = [0.0, -0.0, 1.0, -1.0, 1e308, -1e308, 5e-324, np.inf, -np.inf, np.nan]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(a=st.one_of(st.sampled_from([0.0, -0.0, 1.5, -1.5]), st.floats(allow_nan=False, allow_infinity=False)),
       b=st.one_of(st.sampled_from([1.0, -1.0, 2.0, -2.0]), st.floats(allow_nan=False, allow_infinity=False)))
def test_the_scaling_written_with_its_signs_computes_a_plus_b_times_f_bit_for_bit(a: float, b: float) -> None:
    """``signed_scaled`` computes what ``a + b * f`` computes, every bit (signed zeros, infinities and NaN
    included), as the fast path evaluates both."""
    from mlevolve.interpreter.formula_code import scalar_formula

    if b == 0.0:
        return
    inner = parse(formula("sin(x) * x")).definitions[0].body
    assert inner is not None
    plain, (signed, form) = fit.scaled(inner, a, b), fit.signed_scaled(inner, a, b)
    assert form == ("rsub" if a < 0 else "sub" if b < 0 and np.copysign(1.0, a) > 0 else "add")
    x = np.array([*SPECIALS, *np.linspace(-3.0, 3.0, 7)])
    program = parse(formula("x")).definitions[0]
    values = [scalar_formula(program.replace_body(body)).function(0, rng=False)(x[:, None]) for body in (plain, signed)]
    assert np.array_equal(values[0].view(np.int64), values[1].view(np.int64))  # every bit


@pytest.mark.parametrize("inner", ["sin(x)", "sin(x) * x", "exp(x) / (x + 1.7)", "max(x, 0.3) - cos(x)"])
@pytest.mark.parametrize(("a", "b", "shown"), [(1.3, 2.7, "1.3 + 2.7 * F"), (1.3, -2.7, "1.3 - 2.7 * F"),
                                               (-1.3, 2.7, "2.7 * F - 1.3"), (-1.3, -2.7, "-2.7 * F - 1.3")])
def test_the_scaling_written_with_its_signs_is_what_the_simplifier_leaves(inner: str, a: float, b: float,
                                                                         shown: str) -> None:
    """On a simple formula ``f``, ``signed_scaled`` writes the fixpoint the simplifier makes of ``a + b * f``, so
    the simplified text of a fitted formula is its text (no rewrite, no second printing); and a fit stores it so."""
    from mlevolve.dsl.printer import format_expr
    from mlevolve.dsl.simplify import simplify_expr

    f = parse(formula(inner)).definitions[0].body
    assert f is not None and simplify_expr(f) is f
    signed, _ = fit.signed_scaled(f, a, b)
    assert simplify_expr(signed) is signed and simplify_expr(fit.scaled(f, a, b)) == signed
    text = format_expr(f)
    assert format_expr(signed) == shown.replace("F", text if f.op in ("sin",) else f"({text})")
    x = np.linspace(-1, 1, 20)[:, None]
    fitted = fit_formula(parse(formula(inner)), SPEC, x, a + b * points_of(inner, x), FitOptions(tune=False))
    assert fitted.program.definitions[0].body is not None
    assert simplify_expr(fitted.program.definitions[0].body) is fitted.program.definitions[0].body
    assert fitted.body is not None  # the Body made without walking the fitted formula (formula_code.refitted)


def points_of(inner: str, x: np.ndarray) -> np.ndarray:
    """``inner`` evaluated on the points ``x`` (n, 1)."""
    from mlevolve.interpreter.formula_code import scalar_formula

    d = parse(formula(inner)).definitions[0]
    return np.asarray(scalar_formula(d).function(0, rng=False)(x), np.float64).reshape(-1)


@pytest.mark.parametrize("n", ["1", "2000000", "1e7"])
def test_a_data_files_n_train_range_is_said_in_the_files_terms(tmp_path: Path, n: str) -> None:
    """tidy65: a data file's n_train out of range said "from 3 to 1,000,000", the top its "every row" marker, no size
    of the file's: the range is said up to the file's fitting rows, with no number the file does not have (fix67:
    above the file's rows, the number it has, 2,000,000 as any other: the top was a cap)."""
    from mlevolve.dsl.errors import MlevError
    from mlevolve.interpreter.standalone.spec import read_int
    from mlevolve.interpreter.tasks import load_points

    path = _csv(tmp_path)
    with pytest.raises(MlevError) as info:
        load_points(f"{path}:target=y:n_train={n}", ("a", "b"))
    assert info.value.message == (  # below the range, or above this file's rows (the reader names them)
        f"option n_train={n} of task '{path}' must be an integer from 3 to the file's fitting rows" if n == "1" else
        f"{path}: n_train={read_int(n)} is more than its 80 fitting rows (100 rows, 20 held out for test_r2)")
    assert "1,000,000" not in str(info.value.hint) and "1000000" not in str(info.value.hint)


def test_a_fitted_formula_is_scored_on_the_runs_arrays_not_arrays_made_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    """The evaluator scores a fitted formula on the arrays it made once (``ProgramEvaluator._data``), as it scores
    one unfitted: ``tasks.arrays`` is not called again a candidate; the metrics are those of a plain evaluation."""
    import mlevolve.interpreter.evaluate as evaluate_module

    task = points(lambda x: 1.0 + 2.0 * x * x)
    ev = evaluator(task)
    made: list[object] = []
    real = evaluate_module.arrays
    monkeypatch.setattr(evaluate_module, "arrays", lambda t: made.append(t) or real(t))
    program = parse(formula("0.5 * x * x + 0.3"))
    outcome = ev.evaluate(program, "k")
    assert outcome.failure is None and made == []
    assert outcome.parsed is not None and outcome.program == format_program(outcome.parsed)
    again = evaluate(outcome.parsed, task, SPEC, Settings())  # the fitted program as run: arrays made here
    assert made == [task] and again.metrics["fitness"] == outcome.metrics["fitness"]


@pytest.mark.parametrize(("a", "b", "made"), [(1.3, 2.7, 2), (1.3, -2.7, 2), (-1.3, 2.7, 3), (-1.3, -2.7, 3)])
def test_a_fits_scaling_literals_are_made_once(monkeypatch: pytest.MonkeyPatch, a: float, b: float, made: int) -> None:
    """A fit that scales makes the scaling's literals once (``const(a)``, ``const(b)``, shared by the scaled tree and
    the Body's wrapper; the ``rsub`` form's ``b`` once more, by ``signed_scaled``), and ``a + b * f`` is not rebuilt
    in its ``add`` form; the fitted formula is ``signed_scaled``'s all the same (six and more were made before)."""
    calls: list[float] = []
    real = fit.const
    monkeypatch.setattr(fit, "const", lambda v: calls.append(v) or real(v))
    x = np.linspace(-1, 1, 20)[:, None]
    y = a + b * points_of("sin(x) * x", x)
    fitted = fit_formula(parse(formula("sin(x) * x")), SPEC, x, y, FitOptions(tune=False))
    assert len(calls) == made
    body = fitted.program.definitions[0].body
    f = parse(formula("sin(x) * x")).definitions[0].body
    assert f is not None and body is not None and fitted.body is not None
    signed_a, signed_b = split_scaling(body)[1:]  # type: ignore[index]
    assert body == fit.signed_scaled(f, signed_a, signed_b)[0] and abs(signed_a - a) < 1e-9


@pytest.mark.parametrize(("body", "scale", "expected"), [
    ("sin(x0) + x1", 3.0, "3.0 * (sin(x0) + x1)"),
    ("x0 * (x1 * 1.3) / 0.7", 0.4, "0.4 * (x0 * x1)"),  # the scale and the literals gathered into one (GATHERING)
])
def test_an_intercept_within_the_fits_tolerance_of_zero_is_dropped(body: str, scale: float, expected: str) -> None:
    """A proportional target's least-squares intercept is a rounding error (5.55e-17 + 3.0 * (...), which every row
    of the report showed): within the fit's tolerance of 0 it is 0, and the fold drops it (0.0 + b * f is b * f);
    the program so made is the one scored."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, (40, 2))
    fn = {"sin(x0) + x1": lambda: np.sin(x[:, 0]) + x[:, 1], "x0 * (x1 * 1.3) / 0.7": lambda: x[:, 0] * x[:, 1]}[body]
    program = parse(f"algorithm a\n\nformula f(x0: Scalar, x1: Scalar) -> Scalar =\n  {body}\n")
    fitted = fit_formula(program, SPEC, x, scale * fn())
    assert format_expr(fitted.program.definitions[0].body) == expected  # type: ignore[arg-type]
