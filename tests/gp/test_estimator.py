"""The formula search as a scikit-learn estimator (``mlevolve.estimator.SymbolicRegressor``): it finds a formula,
predicts as the exported formula computes, is deterministic, resumes its archive, refuses what cannot be searched
with ValueError, and passes scikit-learn's own estimator checks."""

from __future__ import annotations

import math
import pickle
import re
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sympy
from sklearn.base import clone

import mlevolve
from mlevolve.estimator import SymbolicRegressor
from mlevolve.interpreter.algebra import sympy_display
from mlevolve.results import SHOWN_DIGITS, shown_metric, shown_program


def _data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 5.0, (n, 2))
    return x, x[:, 0] ** 2 / x[:, 1] + 0.5


@pytest.fixture(scope="module")
def fitted() -> SymbolicRegressor:
    x, y = _data()
    return SymbolicRegressor(budget=1500).fit(x, y)


def test_it_finds_the_formula_and_reports_the_runs_metrics(fitted: SymbolicRegressor) -> None:
    x, y = _data(100, seed=1)  # points the search never saw
    assert fitted.score(x, y) > 0.999
    assert fitted.metrics_["test_r2"] > 0.999 and fitted.n_features_in_ == 2
    assert fitted.summary_["candidates"] == 1500 and fitted.summary_["fit_evaluations"] > 0
    assert "task" not in fitted.summary_  # a temporary file's name is no part of the result
    assert fitted.program_.startswith("algorithm symbolic_regression") and "formula f(x0: Scalar, x1: Scalar)" in \
        fitted.program_
    x0, x1 = sympy.symbols("x0 x1", real=True)
    assert sympy.simplify(fitted.sympy() - (x0**2 / x1 + sympy.Rational(1, 2))) == 0  # found exactly, at this seed
    assert fitted.expression_ == sympy_display(fitted.sympy(), SHOWN_DIGITS)[0]  # as `mlevolve show --sympy` prints it


def test_predict_is_the_exported_formula(fitted: SymbolicRegressor, tmp_path: Path) -> None:
    """Oracle: the fast path ``predict`` uses against the NumPy function ``export --component`` writes."""
    path = tmp_path / "found.py"
    path.write_text(mlevolve.export_component(mlevolve.parse(fitted.program_), "f"), encoding="utf-8")
    module = ModuleType("found")
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    x, _ = _data(50, seed=2)
    np.testing.assert_allclose(fitted.predict(x), np.broadcast_to(module.f(*x.T), (50,)), rtol=1e-12, atol=1e-12)


def test_the_pareto_front_ends_at_the_best_and_predicts_by_index(fitted: SymbolicRegressor) -> None:
    """front_ (PySR's equations_): smallest first, each fitter than every smaller one, its last the best, scored by
    the log train MSE it buys per node; ``predict(X, index=i)`` evaluates entry i (PySR's ``index``)."""
    front = fitted.front_
    assert len(front) >= 2
    sizes, fits = [e["size"] for e in front], [e["fitness"] for e in front]
    assert sizes == sorted(set(sizes)) and fits == sorted(set(fits))
    mse = np.maximum([e["metrics"]["train_mse"] for e in front], np.finfo(np.float64).tiny)  # an exact fit's 0
    assert front[0]["score"] == 0 and all(
        e["score"] == pytest.approx(-(np.log(mse[i + 1]) - np.log(mse[i])) / (sizes[i + 1] - sizes[i]))
        for i, e in enumerate(front[1:]))
    assert front[-1]["fitness"] == fitted.metrics_["train_r2"] and front[-1]["expression"] == fitted.expression_
    assert front[-1]["program"] == fitted.program_ and all("task" not in e["program"] for e in front)
    x, _ = _data(50, seed=2)
    np.testing.assert_array_equal(fitted.predict(x, index=-1), fitted.predict(x))
    assert not np.array_equal(fitted.predict(x, index=0), fitted.predict(x))
    for bad in (len(front), -len(front) - 1, 0.5, True):
        with pytest.raises(ValueError, match=rf"^index must be an integer from {-len(front)} to {len(front) - 1} "
                                             rf"\(the Pareto front, front_, holds {len(front)} formulas\), got "):
            fitted.predict(x, index=bad)  # type: ignore[arg-type]


def test_a_best_pruned_to_fewer_digits_ends_the_front_in_its_candidate_s_place() -> None:
    """A prune that only rounded a literal (`0.3813531328541542` to `0.381`, train MSE 0.2579722 -> 0.2579723: within
    the prune's tolerance, beyond float rounding) left its candidate, of the same size, fitter: the front ended at the
    candidate, not the run's shown best, so program_ (the pick, the front's last) was not front_[-1]'s program and
    predict(X) was not predict(X, index=-1)."""
    x, y = _data(120)
    model = SymbolicRegressor(budget=200).fit(x, y)
    assert "0.381 - " in model.program_  # the case: the best pruned to fewer digits
    assert model.front_[-1]["program"] == model.program_ and model.front_[-1]["metrics"] == model.metrics_
    np.testing.assert_array_equal(model.predict(x, index=-1), model.predict(x))


def test_model_selection_picks_from_the_front_as_pysr_does() -> None:
    """accuracy: the fittest; score: the highest score; best: the highest score within 1.5x the least train MSE
    (PySR's rule); program_, expression_, metrics_, predict and sympy are the pick's."""
    from mlevolve.estimator import selected

    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (60, 2))
    y = x[:, 0] ** 2 + 0.5 * x[:, 1] + rng.normal(0, 0.3, 60)  # noisy: the fittest is not the best scored
    fitted = {how: SymbolicRegressor(budget=600, model_selection=how).fit(x, y) for how in ("accuracy", "best",
                                                                                           "score")}
    front = fitted["accuracy"].front_
    assert all([(e["program"], e["fitness"]) for e in m.front_] == [(e["program"], e["fitness"]) for e in front]
               for m in fitted.values())  # one run, three picks
    mse = [e["metrics"]["train_mse"] for e in front]
    scores = [e["score"] for e in front]
    close = [i for i in range(len(front)) if mse[i] <= 1.5 * min(mse)]
    picks = {"accuracy": len(front) - 1, "score": scores.index(max(scores)),
             "best": max(close, key=lambda i: (scores[i], -i))}
    assert picks["best"] != picks["accuracy"]  # the case: a smaller formula within 1.5x the least error
    for how, model in fitted.items():
        entry = model.front_[picks[how]]
        assert selected(front, how) == picks[how]
        assert (model.program_, model.metrics_, model.expression_) == (entry["program"], entry["metrics"],
                                                                       entry["expression"])
        np.testing.assert_array_equal(model.predict(x), model.predict(x, index=picks[how]))
        assert model.sympy() == model.sympy(index=picks[how])


def test_max_samples_is_the_data_files_n_train(tmp_path: Path) -> None:
    """max_samples=N fits at most N of the fitting rows, drawn with the seed (docs/data.md's n_train)."""
    from mlevolve.gp.archive import Archive
    from mlevolve.interpreter.tasks import load_points

    x, y = _data(400)
    model = SymbolicRegressor(budget=20, max_samples=50, db=tmp_path / "sr.db").fit(x, y)
    with Archive.read(tmp_path / "sr.db") as archive:
        task = archive.meta()["task"]
    assert task.endswith(":target=y:n_train=50") and model.get_params()["max_samples"] == 50
    assert load_points(task, ("x0", "x1")).x_train.shape == (50, 2)


def test_same_data_and_seed_same_formula_and_it_pickles(fitted: SymbolicRegressor) -> None:
    x, y = _data()
    again = clone(fitted).fit(x, y)
    assert again.program_ == fitted.program_
    copy = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(copy.predict(x), fitted.predict(x))


def test_a_kept_archive_resumes_and_refuses_other_data(tmp_path: Path) -> None:
    x, y = _data(60)
    db = tmp_path / "sr.db"
    first = SymbolicRegressor(budget=200, population=20, db=db).fit(x, y)
    assert db.exists() and (tmp_path / "sr.db.csv").exists()
    more = SymbolicRegressor(budget=300, population=20, db=db).fit(x, y)
    assert more.summary_["replayed"] == 200 and more.summary_["candidates"] == 300
    assert first.metrics_["fitness"] <= more.metrics_["fitness"]
    with pytest.warns(UserWarning, match=f"db {db} already holds 300 candidates, more than budget=100: nothing new "
                      r"was evaluated, and the formula is the best of its first 100 \(budget=300 gives"):
        fewer = SymbolicRegressor(budget=100, population=20, db=db).fit(x, y)  # a view: said (it was silent)
    assert fewer.summary_["candidates"] == 100
    with pytest.raises(ValueError, match="holds a run on other data"):
        SymbolicRegressor(budget=300, population=20, db=db).fit(x + 1.0, y)


def test_a_kept_archive_refuses_other_settings_by_the_estimators_names(tmp_path: Path) -> None:
    """A db fitted with another max_samples is refused naming max_samples, as another setting is (it named the data
    file's n_train, under the data's "n_samples = 60, n_features = 2" as if the data were wrong); another population
    names the population alone (it told the estimator, which has no tournament, to rerun with "tournament 10")."""
    x, y = _data(60)
    db = tmp_path / "sr.db"
    SymbolicRegressor(budget=20, population=20, db=db, max_samples=30).fit(x, y)
    for now in (20, None):
        with pytest.raises(ValueError) as refused:
            SymbolicRegressor(budget=20, population=20, db=db, max_samples=now).fit(x, y)
        assert str(refused.value) == (f"{db}: archive was made with other settings (max_samples: archive has 30, now "
                                      f"{now}) (rerun with max_samples 30 to resume, or pass another db)")
    with pytest.raises(ValueError) as refused:
        SymbolicRegressor(budget=20, population=5, db=db, max_samples=30).fit(x, y)
    assert str(refused.value) == (f"{db}: archive was made with other settings (population: archive has 20, now 5) "
                                  "(rerun with population 20 to resume, or pass another db)")
    SymbolicRegressor(budget=30, population=20, db=db, max_samples=30).fit(x, y)  # as it was: it resumes


def test_verbose_prints_the_front_with_the_chosen_formula_marked(capsys: pytest.CaptureFixture[str]) -> None:
    """``verbose`` promised the run's progress and summary, and printed the progress alone: nothing said what was
    found.  Its end is now the front, as PySR's hall of fame, on stderr: index, size, R² and expression each."""
    x, y = _data(60)
    model = SymbolicRegressor(budget=30, population=20, verbose=True).fit(x, y)
    out, err = capsys.readouterr()
    assert out == ""
    table = err[err.index("Pareto front ("):].splitlines()
    assert table[1].split() == ["index", "size", "train_r2", "test_r2", "expression"]
    rows = table[2:]
    assert len(rows) == len(model.front_)
    for i, (row, entry) in enumerate(zip(rows, model.front_, strict=True)):
        assert row.split()[:2] == [str(i), str(entry["size"])] and entry["expression"] in row
        assert row.split()[2] == shown_metric(entry["metrics"]["train_r2"])  # as every command shows a metric
    assert [row.endswith("<-") for row in rows].count(True) == 1
    marked = next(i for i, row in enumerate(rows) if row.endswith("<-"))
    assert model.front_[marked]["program"] == model.program_
    SymbolicRegressor(budget=30, population=20).fit(x, y)
    assert capsys.readouterr() == ("", "")  # quiet by default


@pytest.mark.parametrize("how", ["columns", "names", "setting"])
def test_a_refit_that_raises_leaves_the_estimator_unfitted(how: str) -> None:
    """A refit refused on its data kept the last fit's formula with this fit's n_features_in_ and
    feature_names_in_: predict on 3 columns evaluated the 2-parameter formula, and on a DataFrame whose columns
    were swapped it read them by position, numbers either way, silently wrong."""
    from sklearn.exceptions import NotFittedError

    x, y = _data(60)
    frame = pd.DataFrame(x, columns=["a", "b"])
    model = SymbolicRegressor(budget=5, population=20).fit(frame, y)
    again: Any = {"columns": np.c_[x, x[:, :1]], "names": frame[["b", "a"]], "setting": frame}[how]
    if how == "setting":
        model.set_params(max_samples=1)
    with pytest.raises(ValueError, match=r"the target is 1 on every fitting row|max_samples must be None"):
        model.fit(again, np.ones(60))
    with pytest.raises(NotFittedError):
        model.predict(again)
    model.set_params(max_samples=None).fit(frame, y)  # and it fits again
    assert model.predict(frame).shape == (60,)


def test_a_kept_archive_made_with_other_max_samples_says_so_by_that_name(tmp_path: Path) -> None:
    """Resuming a db with another max_samples read as a data error about a file the user never named: "n_samples =
    60, n_features = 2: ...: archive belongs to another run ... on task 'the data:target=y'; the task differs: ...
    now 'the data:target=y:n_train=30'"; it is a setting, said as every other setting of a kept archive is."""
    x, y = _data(60)
    db = tmp_path / "sr.db"
    SymbolicRegressor(budget=5, population=20, db=db).fit(x, y)
    with pytest.raises(ValueError, match=r"^\S*sr\.db: archive was made with other settings \(max_samples: archive has "
                       r"None, now 30\) \(rerun with max_samples None to resume, or pass another db\)$"):
        SymbolicRegressor(budget=10, population=20, db=db, max_samples=30).fit(x, y)
    other = tmp_path / "other.db"
    SymbolicRegressor(budget=5, population=20, db=other, max_samples=30).fit(x, y)
    with pytest.raises(ValueError, match=r"\(max_samples: archive has 30, now 40\)"):
        SymbolicRegressor(budget=10, population=20, db=other, max_samples=40).fit(x, y)
    assert SymbolicRegressor(budget=10, population=20, db=other, max_samples=30).fit(x, y).summary_["replayed"] == 5


@pytest.mark.parametrize("kept", [False, True])
def test_a_fit_stopped_by_ctrl_c_names_an_archive_only_where_one_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: bool) -> None:
    """Ctrl-C during a fit said "interrupted: 1,249 candidates saved in /tmp/tmpjl64gpef/run.db", a temporary
    folder already removed as the exception left fit: nothing was saved anywhere the user could reach."""
    import mlevolve.api as api

    def stopped(*args: Any, db: Path, **kwargs: Any) -> dict[str, Any]:
        Path(db).write_bytes(b"")  # (an archive, as far as the estimator can tell)
        raise api.RunInterrupted(str(db), 7)

    monkeypatch.setattr(api, "evolve", stopped)
    x, y = _data(60)
    db = tmp_path / "sr.db" if kept else None
    with pytest.raises(KeyboardInterrupt) as stop:
        SymbolicRegressor(budget=50, db=db).fit(x, y)
    said = str(stop.value)
    if kept:
        assert said == f"interrupted: 7 candidates saved in {db}"
    else:
        assert said == ("interrupted after 7 candidates; their archive was temporary and is gone (give db= to keep "
                        "a run that a fit with the same db resumes)")


def test_each_front_entry_has_its_archive_hash_and_export_by_it_gives_the_models_formula(tmp_path: Path) -> None:
    """front_ lacked the hash ``mlevolve best DB --front`` lists: with a kept db, ``export DB --best`` exports the
    fittest, and the formula predict uses (model_selection's pick) could not be named to export."""
    from mlevolve.api import best, check, export_program, parse
    from mlevolve.interpreter.algebra import formula_expr

    x, y = _data(60)
    db = tmp_path / "sr.db"
    model = SymbolicRegressor(budget=200, population=20, db=db).fit(x, y)
    listed = best(db, digits=0, front=True)  # an entry the run pruned as an answer: its prune, as best hands it out
    assert [entry["hash"] for entry in model.front_] == [(c["pruned_into"] or c)["hash"] for c in listed]
    assert [entry["pruned_from"] for entry in model.front_] == [
        c["hash"] if c["pruned_into"] else c["parents"][0] if c["source"] == "pruned" else None for c in listed]
    chosen = next(entry for entry in model.front_ if entry["program"] == model.program_)
    text, _ = export_program(db, chosen["hash"])
    assert formula_expr(check(parse(text)).definitions[0]) == model.sympy()  # the form every SymPy one is


def test_a_target_constant_on_the_rows_max_samples_drew_names_max_samples() -> None:
    """The data file's n_train is the estimator's max_samples: its error names the parameter the user gave."""
    x, _ = _data(60)
    y = np.ones(60)
    y[0] = 0.0  # the target varies on one row, which the 3 rows drawn with this seed leave out
    with pytest.raises(ValueError, match=r"^n_samples = 60, n_features = 2: the target is 1 on every fitting row "
                       r"\(the 3 of 48 that max_samples=3 drew\) \(a larger max_samples draws rows it varies on\)$"):
        SymbolicRegressor(budget=5, population=20, max_samples=3, random_state=0).fit(x, y)


def test_a_db_never_overwrites_a_file_of_its_data_files_name_and_leaves_none_where_it_was_refused(
        tmp_path: Path) -> None:
    """A db's data is written beside it as DB.csv: a file of that name that was no run's data (the user's own) was
    overwritten silently, and a fit refused before its archive was made (too few rows) left the data file behind."""
    x, y = _data(60)
    mine = tmp_path / "mine.db.csv"
    mine.write_text("precious\n")
    with pytest.raises(ValueError, match=r"mine\.db\.csv exists and is not a run's data: .* give another db"):
        SymbolicRegressor(budget=5, population=20, db=tmp_path / "mine.db").fit(x, y)
    assert mine.read_text() == "precious\n" and not (tmp_path / "mine.db").exists()
    db = tmp_path / "sr.db"
    with pytest.raises(ValueError, match="too few rows"):
        SymbolicRegressor(budget=5, population=20, db=db).fit(x[:5], y[:5])
    assert not db.exists() and not (tmp_path / "sr.db.csv").exists()
    SymbolicRegressor(budget=5, population=20, db=db).fit(x, y)  # and the same db then takes other data
    assert db.exists() and (tmp_path / "sr.db.csv").exists()


@pytest.mark.parametrize(("x", "y", "message"), [
    (np.ones((3, 1)), np.arange(3.0), r"n_samples = 3, n_features = 1: too few rows \(3\) for a formula"),
    (np.arange(20.0).reshape(10, 2), np.ones(10), "the target is 1 on every fitting row"),
    # a cell is named in the arrays, not as the line of a CSV file the user never saw ("the data:2:1", a user's pass)
    (np.c_[np.arange(10.0), np.full(10, 1e200)], np.arange(10.0), r"^n_samples = 10, n_features = 2: X\[0, 1\]: "
     r"column 'x1': '[0-9.e+]+' is beyond 1e\+150 in magnitude"),
    (np.c_[np.arange(10.0), np.arange(10.0)], np.r_[np.arange(9.0), 1e300], r"^n_samples = 10, n_features = 2: "
     r"y\[9\]: target column 'y': '1\.0000000000000001e\+300' is beyond 1e\+150"),
    # the formula 0 scored R² 1 on targets near 1e-200: their squared errors underflow (a user's pass)
    (np.arange(40.0).reshape(20, 2), np.arange(20.0) * 1e-200, "the target varies too little for float64 to square"),
    # a feature near 1e-160: the output's linear scaling underflowed, and an exact a * x0 scored R² 0 (a user's pass)
    (np.c_[np.arange(20.0) * 1e-160, np.arange(20.0)], np.arange(20.0), "column x0 varies too little for float64 "
     "to square"),
])
def test_data_that_cannot_be_searched_is_a_value_error_in_the_data_files_words(x: np.ndarray, y: np.ndarray,
                                                                               message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        SymbolicRegressor(budget=20).fit(x, y)
    assert ".csv" not in str(caught.value)  # the temporary file is not the user's: their X and y are


def test_random_state_is_the_runs_seed_or_draws_one(fitted: SymbolicRegressor) -> None:
    """An int is the run's seed; None or a RandomState draws one from it, as scikit-learn's estimators take them."""
    x, y = _data()
    drawn = [SymbolicRegressor(budget=1500, random_state=np.random.RandomState(7)).fit(x, y) for _ in range(2)]
    assert drawn[0].program_ == drawn[1].program_  # the same RandomState's seed draws the same run
    assert SymbolicRegressor(budget=30, random_state=None).fit(*_data(20)).summary_["candidates"] == 30


@pytest.mark.parametrize(("settings", "message"), [
    ({"budget": 0}, "^budget must be at least 1, got 0"),
    ({"algorithm": "bogus"}, "^unknown algorithm 'bogus' \\(algorithms: regularized, "),
    ({"grammar": "no/such.toml"}, "^no/such.toml: no such grammar file"),
    ({"db": "no/such/folder/x.db"}, "^cannot write no/such/folder/x.db: no folder 'no/such/folder'"),
    # by the estimator's names, not evolve's (it said "seed must be at least 0": a fresh-user pass)
    ({"random_state": -1}, r"^random_state must be at least 0 and below 2\*\*63, got -1"),
    ({"fit_constants": 1}, "^fit_constants must be True, False or None, got 1"),
    # kinds scikit-learn's or the OS's errors did not name (a fresh-user pass)
    ({"random_state": 1.5}, r"^random_state must be None, an int or a numpy.random.RandomState, got 1.5$"),
    ({"random_state": True}, "^random_state must be None, an int or a numpy.random.RandomState, got True$"),
    ({"grammar": 123}, r"^grammar must be the path of a file \(a str or pathlib.Path\), got 123$"),
    ({"db": ""}, r"^db must be the path of a file \(a str or pathlib.Path\), got ''$"),
    ({"db": "/"}, "^db is a folder, not a file: '/'$"),
    # a string is true: verbose="no" printed the run (a fresh-user pass); scikit-learn's ints (0, 1) stay
    *(({"verbose": bad}, rf"^verbose must be True or False \(or an int: 0 quiet\), got {bad!r}$")
      for bad in ("no", 0.5, None)),
    ({"model_selection": "bset"}, r"^model_selection must be 'accuracy', 'best' or 'score', got 'bset'$"),
    *(({"max_samples": bad}, rf"^max_samples must be None \(every row\) or an integer from 3 to the data's "
                             rf"fitting rows, got {bad!r}$")
      for bad in (0.5, True)),
    # above the data's rows (10**7 was refused as above 1,000,000, the data file's "every row" marker): its rows named
    *(({"max_samples": many}, rf"^n_samples = 20, n_features = 2: max_samples={many} is more than its 16 fitting rows "
                              r"\(20 rows, 4 held out for test_r2\) \(max_samples=16 or less, or None to use every "
                              r"row\)$") for many in (17, 10**6, 10**7)),
    # 2 rows: the linear scaling's 2 parameters fit them exactly, train_r2 1 for any formula (a fresh-user pass)
    *(({"max_samples": few}, rf"^max_samples must be None \(every row\) or an integer from 3 to the data's "
                             rf"fitting rows, got {few} \(the "
       r"linear scaling a \+ b \* f fits 2 rows exactly: every formula would score train_r2 1\)$") for few in (1, 2)),
])
def test_a_settings_mistake_is_a_value_error_in_its_words(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SymbolicRegressor(**{"budget": 20, **settings}).fit(*_data(20))  # type: ignore[arg-type]


@pytest.mark.parametrize("settings", [
    {"random_state": 1.5}, {"random_state": True}, {"random_state": "1"}, {"grammar": 123}, {"db": 7},
    {"verbose": "no"}, {"verbose": 0.5}, {"verbose": None}, {"max_samples": 0.5}, {"max_samples": True},
    {"max_samples": "3"}, {"budget": "5"}, {"budget": 2.5}, {"population": "10"}, {"max_time": "5"},
    {"max_time": True},
])
def test_a_setting_of_the_wrong_type_is_a_type_error_too(settings: dict[str, object]) -> None:
    """A value of the wrong type is scikit-learn's InvalidParameterError, a ValueError and a TypeError, as its own
    estimators' (and evolve's SettingTypeError) are: budget="5" and max_time="5" were a plain ValueError (a
    fresh-user pass); a caller's except TypeError or except ValueError catches it alike."""
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError) as caught:
        SymbolicRegressor(**{"budget": 20, **settings}).fit(*_data(20))  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)
    assert str(caught.value).startswith(next(iter(settings))) and "\n" not in str(caught.value)


@pytest.mark.parametrize("settings", [
    {"budget": 0}, {"random_state": -1}, {"max_samples": 10**7}, {"max_samples": 2}, {"max_time": 0},
    {"max_time": math.nan}, {"db": ""}, {"model_selection": "bset"}, {"algorithm": "bogus"},
])
def test_a_setting_of_the_right_type_out_of_range_is_a_value_error_only(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError) as caught:
        SymbolicRegressor(**{"budget": 20, **settings}).fit(*_data(20))  # type: ignore[arg-type]
    assert not isinstance(caught.value, TypeError)


def test_every_formula_failing_before_the_time_limit_says_the_limit_stopped_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A limit that stopped the search after its first candidate, which failed on this data (seed 0's first random
    formula), made fit raise; the search now goes on to a first success (fix63), so seed 0 fits.  Where a whole
    population fails before the limit (the engine's rule: tests/gp/test_max_time.py), the error says the limit
    stopped it, not only "every candidate formula failed on this data", as if the data were the reason."""
    import mlevolve.api

    X = np.random.default_rng(0).normal(size=(40, 1))
    assert SymbolicRegressor(budget=30, max_time=1e-6, random_state=0).fit(X, X[:, 0] ** 2).program_
    monkeypatch.setattr(mlevolve.api, "evolve", lambda *a, **k: {  # the engine's answer where all 100 failed
        "best_program": None, "candidates": 100, "time_limit": {"max_time": 1e-6, "budget": 300}})
    with pytest.raises(ValueError, match=r"^every candidate formula failed on this data: 100 of budget=300 before "
                       r"the time limit max_time=1e-06 stopped the search \(a longer max_time searches further\)$"):
        SymbolicRegressor(budget=300, max_time=1e-6, random_state=0).fit(X, X[:, 0] ** 2)


DATA_NAME = "a data file's name (fit reads X and y; it writes their copy beside the archive itself)"


@pytest.mark.parametrize(("name", "text", "what"), [
    ("data.csv", "x,y\n1,2\n", DATA_NAME),
    ("data.npz", "PK\x03\x04", DATA_NAME),
    ("new.npz", None, DATA_NAME),  # a new path was refused in check_output's words, an existing one in these
    ("new.CSV", None, DATA_NAME),
    ("empty.csv", "", DATA_NAME),
    ("f.mlev", "algorithm a\n", "a .mlev program's name"),
    ("new.mlev", None, "a .mlev program's name"),
    ("notes.txt", "hello\n", "not an SQLite database"),
    ("run.db", "not sqlite\n", "not an SQLite database"),  # by its bytes, whatever its name
])
def test_a_db_that_is_no_archive_is_a_value_error_naming_what_it_is(tmp_path: Path, name: str, text: str | None,
                                                                   what: str) -> None:
    """``db="data.csv"`` (the user's data file) said "data.csv exists without its data file data.csv.csv"; a data
    file's or a program's name, there or not, and an existing file that is no SQLite database are refused in one
    wording, as what they are, before any file is written beside them."""
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    message = (f"db must name a run's archive (the SQLite file a fit writes and a later fit resumes, e.g. 'run.db'), "
               f"got {str(path)!r}: {what}")
    with pytest.raises(ValueError) as caught:
        SymbolicRegressor(budget=5, db=str(path)).fit(*_data(20))
    assert str(caught.value) == message
    assert sorted(tmp_path.iterdir()) == ([] if text is None else [path])  # nothing written
    assert text is None or path.read_text(encoding="utf-8") == text


def test_an_empty_file_as_db_is_made_an_archive_as_the_cli_makes_it(tmp_path: Path) -> None:
    """An empty file (``touch run.db``) is what SQLite makes an archive of, and ``mlevolve evolve --db`` does; the
    estimator said it "exists without its data file".  It fits, and a second fit resumes that archive."""
    path = tmp_path / "run.db"
    path.touch()
    first = SymbolicRegressor(budget=10, population=10, db=str(path)).fit(*_data(20))
    assert path.stat().st_size and (tmp_path / "run.db.csv").is_file()
    again = SymbolicRegressor(budget=10, population=10, db=str(path)).fit(*_data(20))
    assert again.program_ == first.program_


def _no_seconds(metrics: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in metrics.items() if not k.endswith("_seconds")}


def test_sample_weight_equal_is_unweighted_and_zero_leaves_the_row_out() -> None:
    """scikit-learn's callers pass ``fit(X, y, sample_weight=w)``: equal weights are the unweighted search, a weight
    of 0 leaves its row out, as scikit-learn defines it, bit for bit; weights that differ weight the search
    (tests/gp/test_weights_estimator.py); weights no weight is are scikit-learn's ValueError."""
    X, y = _data(40)
    plain = SymbolicRegressor(budget=20, population=10).fit(X, y)
    equal = SymbolicRegressor(budget=20, population=10).fit(X, y, sample_weight=[3.0] * 40)
    assert (equal.program_, _no_seconds(equal.metrics_)) == (plain.program_, _no_seconds(plain.metrics_))
    weights = np.ones(40)
    weights[:5] = 0.0
    dropped = SymbolicRegressor(budget=20, population=10).fit(X, y, sample_weight=weights)
    left = SymbolicRegressor(budget=20, population=10).fit(X[5:], y[5:])
    assert (dropped.program_, _no_seconds(dropped.metrics_)) == (left.program_, _no_seconds(left.metrics_))
    for bad, said in ((np.zeros(40), "at least one non-zero"), (-np.ones(40), "Negative values"),
                      (np.ones(3), r"sample_weight.shape == \(3,\), expected \(40,\)"),
                      # text no number is: named as X's and y's cells are (it said "could not convert string to float")
                      (["1"] * 39 + ["heavy"], r"^sample_weight must hold numbers: sample_weight\[39\]: 'heavy' is not "
                       "a number")):
        with pytest.raises(ValueError, match=said):
            SymbolicRegressor(budget=20).fit(X, y, sample_weight=bad)


@pytest.mark.slow
def test_scikit_learns_estimator_checks() -> None:
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(SymbolicRegressor(budget=60, population=20), on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    assert not failed  # the checks of weights that differ too (check_sample_weight_equivalence_on_dense_data...)
    assert not [r for r in results if r["status"] == "xfail"]
    assert len([r for r in results if r["status"] == "passed"]) >= 45


@pytest.mark.parametrize(("features", "names"), [
    (np.array(["mass", "v"], dtype=object), ["mass", "v"]),  # a DataFrame's columns (feature_names_in_)
    (np.array(["let", "v"], dtype=object), ["x0", "v"]),  # a keyword is no parameter: it alone falls back
    (np.array(["a b", "v"], dtype=object), ["a_b", "v"]),  # other characters as _
    (np.array(["x1", "x 2", "x3"], dtype=object), ["x1", "x_2", "x3"]),  # was x1_: the formula read x1*x1_
    (np.array(["x 2", "x_2"], dtype=object), ["x_2_2", "x_2"]),  # a numbered suffix on a real clash alone
    (np.array(["let", "x0"], dtype=object), ["x0_2", "x0"]),
    (np.array(["v", "v"], dtype=object), ["v", "v_2"]),  # a name given twice names its first column
    (np.array(["2nd", "é", ""], dtype=object), ["x_2nd", "x1", "x2"]),  # no name of _ alone
    (np.array(["in", "let"], dtype=object), ["x0", "x1"]),
    (None, ["x0", "x1"]),
])
def test_parameters_are_named_after_the_columns_where_the_language_takes_them(features: object,
                                                                               names: list[str]) -> None:
    """Columns ['x1', 'x 2', 'x3'] were named x1, x1_, x3 (a user's pass: the formula read x1*x1_): a name the
    language cannot take is written readably (x_2), numbered only where it clashes."""
    from mlevolve.estimator import _program

    program, got = _program(features, 2)
    assert got == names and [p.name for p in program.definitions[0].params] == names


def test_a_column_named_as_another_s_fallback_keeps_its_name_in_the_formula_found() -> None:
    """Columns 'a b' and 'x0' were named x0 and x1 (every name fell back): the formula found for y = 3 * df.x0 + 1
    read '3*x1 + 1' (a user's pass); only 'a b' is renamed now, to a_b."""
    pandas = pytest.importorskip("pandas")
    x, _ = _data(40)
    frame = pandas.DataFrame(x[:, :2], columns=["a b", "x0"])
    model = SymbolicRegressor(budget=200, population=20, random_state=0).fit(frame, 3.0 * frame["x0"] + 1.0)
    assert "formula f(a_b: Scalar, x0: Scalar)" in model.program_
    assert model.metrics_["test_r2"] > 0.999999 and "a_b" not in model.expression_, model.expression_


@pytest.mark.parametrize("columns", [["a", "a", "b"], ["", "", "a"]])
def test_two_columns_of_one_name_are_a_value_error_in_mlevolves_words(columns: list[str]) -> None:
    """The README said a repeated column name is renamed by its position; scikit-learn refused the DataFrame first,
    in narwhals' words (``DuplicateError: Expected unique column names``)."""
    pandas = pytest.importorskip("pandas")
    x, y = _data(20)
    frame = pandas.DataFrame(np.c_[x, x[:, 0]], columns=columns)
    with pytest.raises(ValueError, match=f"^X has two columns named {columns[1]!r}: give each column its own name"):
        SymbolicRegressor(budget=20).fit(frame, y)
    model = SymbolicRegressor(budget=20, population=10).fit(pandas.DataFrame(np.c_[x, x[:, 0]], columns=["a", "b",
                                                                                                        "c"]), y)
    with pytest.raises(ValueError, match=f"^X has two columns named {columns[1]!r}"):  # predict and score alike
        model.predict(frame)
    with pytest.raises(ValueError, match=f"^X has two columns named {columns[1]!r}"):
        model.score(frame, y)


def test_a_column_name_the_parser_reads_as_another_falls_back_to_its_position() -> None:
    """Columns 'x' and 'x ' raised MlevErrors (not a ValueError): "parameter 'x' is declared twice" (the parser
    reads 'x ' as x); a name is taken only as the parameter of that very name."""
    from mlevolve.estimator import _program

    for names, taken in ((["x", "x ", "c"], ["x", "x_", "c"]), (["x\t", "x", "c"], ["x_", "x", "c"]),
                         (["x ", "c", "d"], ["x_", "c", "d"])):
        assert _program(np.array(names, dtype=object), 3)[1] == taken


def test_the_data_file_reads_back_exactly_and_names_the_target_apart(tmp_path: Path) -> None:
    from mlevolve.estimator import _data_file
    from mlevolve.interpreter.tasks import load_points

    x, y = _data(30)
    path, (target, _), _ = _data_file(tmp_path / "r.db", x / 3.0, y / 7.0, ["y", "y_"])
    assert target == "y__"
    points = load_points(f"{path}:target={target}", ("y", "y_"))
    assert set(np.concatenate([points.y_train, points.y_test]).tolist()) == set((y / 7.0).tolist())
    w = np.linspace(0.1, 3.0, 30) / 7.0  # the weights' column too, named apart from the columns and the target
    path, (target, weight), _ = _data_file(tmp_path / "w.db", x, y, ["sample_weight", "y"], w)
    assert (target, weight) == ("y_", "sample_weight_")
    points = load_points(f"{path}:target={target}:weight={weight}", ("sample_weight", "y"))
    assert points.w_train is not None and points.w_test is not None
    exact = np.ldexp(w, -np.frexp(w.max())[1])  # as read: divided by the largest one's power of two, exactly
    assert set(np.concatenate([points.w_train, points.w_test]).tolist()) == set(exact.tolist())


def test_a_model_fitted_in_a_grammar_file_predicts_from_another_folder(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """predict read the grammar file by the relative path it was given: unpickled in another working folder it
    failed 'no such grammar file' (a user's pass); it keeps the file's absolute path."""
    from tests.conftest import ROOT

    work = tmp_path / "work"
    work.mkdir()
    (work / "peers.toml").write_text((ROOT / "benchmarks" / "sr_peers.toml").read_text())
    monkeypatch.chdir(work)
    x, y = _data(40)
    model = SymbolicRegressor(budget=100, population=20, grammar="peers.toml").fit(x, y)
    monkeypatch.chdir(tmp_path)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert again.grammar_path_ == str(work / "peers.toml") and again.sympy() == model.sympy()


def test_a_model_fitted_in_the_base_grammar_by_name_predicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`grammar="base"` fitted, then predict and sympy() read the grammar file `./base` (a fresh-user pass): the
    name is the base grammar's, as for load_grammar and --grammar; a grammar file gone is a ValueError for both."""
    monkeypatch.chdir(tmp_path)
    x, y = _data(40)
    model = SymbolicRegressor(budget=30, population=10, grammar="base").fit(x, y)
    plain = SymbolicRegressor(budget=30, population=10).fit(x, y)
    assert model.grammar_path_ is None and model.program_ == plain.program_
    np.testing.assert_array_equal(model.predict(x), plain.predict(x))
    assert model.sympy() == plain.sympy()
    (tmp_path / "g.toml").write_text('extends = "base"\n')
    gone = SymbolicRegressor(budget=10, population=10, grammar="g.toml").fit(x, y)
    (tmp_path / "g.toml").unlink()
    for call in (lambda: gone.predict(x), gone.sympy):
        with pytest.raises(ValueError, match="no such grammar file"):
            call()


def test_targets_written_as_text_are_numbers_and_other_text_is_a_value_error() -> None:
    x, y = _data(40)
    model = SymbolicRegressor(budget=30).fit(x, y.astype(str))
    assert model.summary_["candidates"] == 30
    with pytest.raises(ValueError, match="y must hold numbers"):
        SymbolicRegressor(budget=30).fit(x, np.array(["a"] * 40))


@pytest.mark.parametrize("text", ["1_000", "１２", "1 000"])
def test_a_number_written_as_text_is_one_a_data_file_would_read(text: str, tmp_path: Path) -> None:
    """Python's float (and NumPy's) read 1_000 as 1000 and other scripts' digits as digits: X and y took them as
    numbers, where the data files' reader (and so the same data written as a CSV file) refuses them as text."""
    x, y = _data(40)
    words = f"'{text}' is not a number (a number written as text is ASCII digits, as 1000 or 1e3, as in a data file: "
    cells, targets = x.astype(str).astype(object), y.astype(str).astype(object)
    cells[3, 1], targets[5] = text, text
    with pytest.raises(ValueError) as refused:
        SymbolicRegressor(budget=30).fit(cells, y)
    assert str(refused.value) == f"X must hold numbers: X[3, 1]: {words}no _ or other scripts' digits)"
    with pytest.raises(ValueError) as refused:
        SymbolicRegressor(budget=30).fit(pd.DataFrame(cells, columns=["a", "b"]), y)
    assert str(refused.value) == f"X must hold numbers: X[3, 1] (column 'b'): {words}no _ or other scripts' digits)"
    with pytest.raises(ValueError) as refused:
        SymbolicRegressor(budget=30).fit(x, list(targets))
    assert str(refused.value) == f"y must hold numbers: y[5]: {words}no _ or other scripts' digits)"
    model = SymbolicRegressor(budget=30).fit(x, y)
    with pytest.raises(ValueError) as refused:
        model.predict(cells)
    assert str(refused.value).startswith("X must hold numbers: X[3, 1]: ")
    from mlevolve.interpreter.standalone.data import read_table
    from mlevolve.interpreter.standalone.spec import TaskError

    (tmp_path / "d.csv").write_text("a,b,y\n" + "".join(f"{i},{text if i == 3 else i},{i}\n" for i in range(9)))
    with pytest.raises(TaskError, match=f"column 'b': '{text}' is not a number"):  # the data files' reader: the same
        read_table(str(tmp_path / "d.csv"), "y", "")


_WHEN = pd.date_range("2020-01-01", periods=40)


@pytest.mark.parametrize(("column", "shown"), [
    (_WHEN, "2020-01-01 00:00:00"), (_WHEN.tz_localize("UTC"), "2020-01-01 00:00:00+00:00"),
    (pd.to_timedelta(np.arange(40), unit="s"), "0 days 00:00:00")])
def test_a_date_or_time_is_a_value_error_at_its_cell_and_column(column: Any, shown: str) -> None:
    """A DataFrame's datetime or timedelta column was NumPy's DTypePromotionError ("The DType <class
    'numpy.dtypes.DateTime64DType'> could not be promoted by <class 'numpy.dtypes.Float64DType'>"), naming neither
    the cell nor the column; in fit and predict alike it is a ValueError at both, with a way to make it numbers."""
    x, y = _data(40)
    frame = pd.DataFrame({"a": x[:, 0], "when": column})
    said = f"X must hold numbers: X[0, 1] (column 'when') is a date or time, {shown}: convert it to numbers first ("
    with pytest.raises(ValueError) as refused:
        SymbolicRegressor(budget=5).fit(frame, y)
    assert str(refused.value).startswith(said)
    model = SymbolicRegressor(budget=5).fit(pd.DataFrame({"a": x[:, 0], "when": x[:, 1]}), y)
    with pytest.raises(ValueError) as refused:
        model.predict(frame)
    assert str(refused.value).startswith(said)
    with pytest.raises(ValueError, match=r"^y must hold numbers: y\[0\] is a date or time, "):
        SymbolicRegressor(budget=5).fit(x, _WHEN.to_numpy())


def test_a_resume_refused_names_the_parameter_and_no_data(tmp_path: Path) -> None:
    """The refusal said 'pass another --db' (a flag a Python user never passes) after 'n_samples = N, n_features =
    F', as if the data were at fault (a new user's pass)."""
    x = np.linspace(0, 1, 20)[:, None]
    SymbolicRegressor(budget=10, db=str(tmp_path / "r.db")).fit(x, x[:, 0])
    with pytest.raises(ValueError) as caught:
        SymbolicRegressor(budget=10, db=str(tmp_path / "r.db"), random_state=5).fit(x, x[:, 0])
    said = str(caught.value)
    assert said.startswith(f"{tmp_path / 'r.db'}: archive was made with other settings (random_state: archive has "
                           "0, now 5)")  # the estimator's name of the setting (it said seed)
    assert "pass another db)" in said and "--db" not in said and "n_samples" not in said


def test_a_fitted_estimators_archive_names_its_start_as_no_file(tmp_path: Path) -> None:
    """``mlevolve best`` of an estimator's archive said "candidate 23, the file's program" of a start the estimator
    made (a fresh-user pass): a Python user wrote no file."""
    from mlevolve.gp.archive import Archive

    x, y = _data(60)
    SymbolicRegressor(budget=30, population=10, db=str(tmp_path / "e.db")).fit(x, y)
    with Archive.read(tmp_path / "e.db") as archive:
        how = archive.meta()["start"]["how"]
    assert "the starting program" in how and "file" not in how
    assert how.startswith(("the starting program, evaluated apart: the run started from random programs",  # or
                           "the starting program, which the run, started from random programs, made as candidate "))
    # the random search made it too: it said "candidate 23, the starting program", read as the run's start


def test_an_error_at_a_cell_names_the_callers_row_where_weights_of_0_left_rows_out() -> None:
    """Rows of sample_weight 0 are left out of the data searched; an error at a cell named that data's row
    (X[10, 1] for the caller's X[20, 1]) and its row count as n_samples, the caller's arrays not."""
    X, y = _data(60)
    X[20, 1] = 1e200
    weights = np.ones(60)
    weights[:10] = 0.0
    beyond = r"X\[20, 1\]: column 'x1': '9\.9999999999999997e\+199' is beyond 1e\+150 in magnitude"
    with pytest.raises(ValueError, match=rf"^n_samples = 60, n_features = 2: {beyond}"):
        SymbolicRegressor(budget=20).fit(X, y)
    left = r"^n_samples = 50 \(the rows of sample_weight > 0\), n_features = 2: "
    with pytest.raises(ValueError, match=left + beyond):
        SymbolicRegressor(budget=20).fit(X, y, sample_weight=weights)
    X[20, 1], y[30] = 1.0, -1e200
    with pytest.raises(ValueError, match=left + r"y\[30\]"):
        SymbolicRegressor(budget=20).fit(X, y, sample_weight=weights)


def test_a_formula_sympy_cannot_write_is_its_text_in_expression(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where SymPy cannot decide part of a formula (``algebra.UNDECIDABLE``: a 0/0, a comparison of infinities),
    ``expression_`` and the front's expressions are the formula's text, as the summary shows it, and the fit, a
    whole search, is not lost for the display."""
    import mlevolve.api
    from mlevolve.dsl.errors import MlevError

    def undecidable(*_: Any, **__: Any) -> Any:
        raise MlevError("formula 'f' has no SymPy form: SymPy cannot decide part of it (not comparable)")

    monkeypatch.setattr(mlevolve.api, "formula_sympy", undecidable)
    x, y = _data(60)
    model = SymbolicRegressor(budget=40, population=10).fit(x, y)
    assert model.expression_ == model.program_.split("=\n", 1)[1].strip()  # the formula's body, as written
    assert all(entry["expression"] == entry["program"].split("=\n", 1)[1].strip() for entry in model.front_)
    assert np.isfinite(model.predict(x)).all()


def test_a_formula_too_deep_for_sympys_printers_is_its_text_in_expression(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where SymPy builds a formula but its printers recurse too deep (``exp(exp(...))``), ``expression_`` is the
    formula's text, as for a formula SymPy cannot decide: the fit raised a RecursionError, neither a ValueError nor
    a result, and lost the whole search for its display."""
    import mlevolve.interpreter.algebra

    def too_deep(*_: Any, **__: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(mlevolve.interpreter.algebra, "sympy_display", too_deep)
    x, y = _data(60)
    model = SymbolicRegressor(budget=40, population=10).fit(x, y)
    assert model.expression_ == model.program_.split("=\n", 1)[1].strip()  # the formula's body, as written
    assert all(entry["expression"] == entry["program"].split("=\n", 1)[1].strip() for entry in model.front_)


def test_sympy_gives_floats_as_the_exported_sympy_expr_and_expression_the_shown_digits(tmp_path: Path) -> None:
    """``sympy()`` gave exact rationals (2504917604409527*x0*x1/1000000000000000) where the exported
    ``sympy_expr()``, ``show --sympy`` and PySR's ``sympy()`` give floats, and ``expression_`` printed every digit
    where ``show --sympy`` rounds: ``sympy()`` is now the model (every digit, one function's form), ``expression_``
    and the front's expressions text for reading (``SHOWN_DIGITS``)."""
    from mlevolve.interpreter.algebra import formula_expr

    model = SymbolicRegressor()
    model.program_ = ("algorithm symbolic_regression\n\nformula f(x0: Scalar, x1: Scalar) -> Scalar =\n"
                      "  2.504917604409527 * (x0 * x1) - 0.9448905628379902 + x0 / 3.0\n")
    model.grammar_path_, model.front_ = None, []
    expr = model.sympy()
    assert str(expr) == "2.504917604409527*x0*x1 + 0.3333333333333333*x0 - 0.9448905628379902"  # never mixed
    assert not [r for r in expr.atoms(sympy.Rational) if r.q > 100]
    path = tmp_path / "found.py"
    path.write_text(mlevolve.export_component(mlevolve.parse(model.program_), "f"), encoding="utf-8")
    module = ModuleType("found")
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    assert module.sympy_expr() == expr == formula_expr(mlevolve.check(model.program_).definitions[0])
    x = np.c_[np.linspace(-2.0, 2.0, 80), np.linspace(2.0, -1.0, 80)]
    y = 2.504917604409527 * x[:, 0] * x[:, 1] - 0.9448905628379902
    fitted = SymbolicRegressor(budget=40, population=10).fit(x, y)
    for entry in [*fitted.front_, {"expression": fitted.expression_, "program": fitted.program_}]:
        assert entry["expression"] == sympy_display(formula_expr(
            mlevolve.check(entry["program"]).definitions[0]), SHOWN_DIGITS)[0]
        digits = [len(d.replace(".", "").lstrip("0")) for d in re.findall(r"\d+\.\d+", entry["expression"])]
        assert max(digits, default=0) <= SHOWN_DIGITS, entry["expression"]


@pytest.mark.parametrize(("value", "said"), [
    (np.nan, "NaN (a missing value: drop its row or fill it in first)"),
    (np.inf, "inf (an infinity: drop its row, or clip or transform its column)"),
    (-np.inf, "-inf (an infinity: drop its row, or clip or transform its column)"),
    ("nan", "NaN (a missing value: drop its row or fill it in first)"),  # text that reads as a number
])
def test_a_cell_not_finite_is_one_line_naming_the_cell_and_column_in_fit_and_predict(value: Any, said: str) -> None:
    """A NaN in X was scikit-learn's generic multi-line error with URLs, naming no cell, where a text cell is named
    ``X[0, 3] (column 'name')``: every cell not finite, in X and y, fit and predict alike, is named that way."""
    x, y = _data(30)
    frame = pd.DataFrame(x, columns=["a", "b c"]).astype(object if isinstance(value, str) else float)
    frame.iloc[5, 1] = value
    with pytest.raises(ValueError) as raised:
        SymbolicRegressor(budget=20).fit(frame, y)
    assert str(raised.value) == f"X must hold finite numbers: X[5, 1] (column 'b c') is {said}"
    bad = y.astype(object if isinstance(value, str) else float)
    bad[7] = value
    with pytest.raises(ValueError) as raised:
        SymbolicRegressor(budget=20).fit(x, bad)
    assert str(raised.value) == f"y must hold finite numbers: y[7] is {said}"
    model = SymbolicRegressor(budget=20, population=10).fit(pd.DataFrame(x, columns=["a", "b c"]), y)
    with pytest.raises(ValueError) as raised:
        model.predict(frame)
    assert str(raised.value) == f"X must hold finite numbers: X[5, 1] (column 'b c') is {said}"


@pytest.mark.parametrize(("dtype", "value", "said"), [
    ("Int64", pd.NA, "<NA>"), ("Float64", pd.NA, "<NA>"), ("boolean", pd.NA, "<NA>"), ("string", pd.NA, "<NA>"),
    (object, None, "None"), (object, pd.NaT, "NaT"),
])
def test_a_missing_cell_of_a_nullable_column_is_one_line_naming_the_cell_in_fit_and_predict(
        dtype: Any, value: Any, said: str) -> None:
    """A pandas nullable column's <NA> (Int64, Float64, boolean, string), None and NaT reached scikit-learn's
    generic multi-line error: each is one line naming its cell and column, as a NaN is, in X and y (a Series or
    an array of objects), fit and predict alike."""
    x, y = _data(30)
    frame = pd.DataFrame(x, columns=["a", "b c"])
    column = {"Int64": np.round(x[:, 1] * 10), "boolean": x[:, 1] > 0, "string": [str(v) for v in x[:, 1]],
              object: list(x[:, 1])}.get(dtype, x[:, 1])
    frame["b c"] = pd.Series(column, dtype=dtype)
    frame.loc[5, "b c"] = value
    how = f"is {said} (a missing value: drop its row or fill it in first)"
    with pytest.raises(ValueError) as raised:
        SymbolicRegressor(budget=20).fit(frame, y)
    assert str(raised.value) == f"X must hold finite numbers: X[5, 1] (column 'b c') {how}"
    for target in (pd.Series(list(y), dtype=object), np.array(list(y), dtype=object)):
        target[7] = value
        with pytest.raises(ValueError) as raised:
            SymbolicRegressor(budget=20).fit(x, target)
        assert str(raised.value) == f"y must hold finite numbers: y[7] {how}"
    model = SymbolicRegressor(budget=20, population=10).fit(pd.DataFrame(x, columns=["a", "b c"]), y)
    with pytest.raises(ValueError) as raised:
        model.predict(frame)
    assert str(raised.value) == f"X must hold finite numbers: X[5, 1] (column 'b c') {how}"


def test_program_and_front_are_the_shown_simplified_text_at_every_digit(monkeypatch: pytest.MonkeyPatch) -> None:
    """program_ and front_'s programs are the text every command shows (results.shown_program: the exact simplifier,
    the same values bit for bit), every digit kept: a stored x0 + -2.575 reads x0 - 2.575 (issue 15), and a best
    whose stored text is not simplified (here its body + -0.0, which the exact rules drop) reads as simplified."""
    from mlevolve import api
    from mlevolve.dsl.ir import Call, Num
    from mlevolve.dsl.printer import format_program
    from mlevolve.estimator import _entry

    entry = _entry({"pruned_into": None, "size": 3, "fitness": 0.5, "score": 0.0, "metrics": {}, "hash": "h",
                    "source": "evolved", "parents": [],
                    "stored": "algorithm a\n\nformula f(x0: Scalar) -> Scalar =\n  x0 + -2.575\n"}, lambda t: t)
    assert entry["program"] == "algorithm a\n\nformula f(x0: Scalar) -> Scalar =\n  x0 - 2.575\n"
    real = api.evolve

    def unsimplified(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        program = mlevolve.parse(result["best_program"])
        d = program.definitions[0]
        assert d.body is not None
        plus = Call("add", (d.body, Call("neg", (Num(0.0),))))
        return {**result, "best_program": format_program(program.replace(d.replace_body(plus)))}

    monkeypatch.setattr(api, "evolve", unsimplified)
    x, y = _data(120)
    model = SymbolicRegressor(budget=60, prune=False).fit(x, y)
    assert "-0.0" not in model.program_ and model.program_ == model.front_[-1]["program"]
    assert all(shown_program(e["program"]) == e["program"] for e in model.front_)  # (a fixpoint of what is shown)
