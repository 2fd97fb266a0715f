"""The findings of helper find60's pass, each as a kind: the Python API's user errors are ValueErrors, ..."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlevolve
from mlevolve import api
from mlevolve.dsl.errors import MlevError, SettingError
from mlevolve.gp.archive import Archive
from mlevolve.report import data

ROOT = Path(__file__).resolve().parents[2]
QUARTIC = str(ROOT / "examples" / "quartic.mlev")


# ------------------------------------------------------------------ 1. a user's mistake is a ValueError
@pytest.mark.parametrize("call", [
    lambda: mlevolve.parse("x +"),
    lambda: mlevolve.run("no-such-file.mlev"),
    lambda: api.evolve(QUARTIC, ["f"], budget=0),
    lambda: mlevolve.load_grammar("no-such-grammar.toml"),
    lambda: mlevolve.check(mlevolve.parse("algorithm a\n  task nguyen1\n  formula f(x: Scalar) -> Scalar = nope(x)\n")),
], ids=["parse", "run", "evolve", "grammar", "check"])
def test_the_apis_user_errors_are_value_errors(call: object) -> None:
    """``except ValueError`` catches every user mistake the API reports, as it catches scikit-learn's."""
    with pytest.raises(ValueError) as caught:
        call()  # type: ignore[operator]
    assert isinstance(caught.value, MlevError) and "error:" in str(caught.value)


def test_setting_errors_are_value_errors() -> None:
    assert issubclass(SettingError, ValueError) and issubclass(MlevError, ValueError)


@pytest.mark.parametrize("call", [
    lambda: api.evolve(QUARTIC, ["f"], budget="3"),
    lambda: api.evolve(QUARTIC, ["f"], seed=1.5),
    lambda: mlevolve.run(3),
    lambda: api.check_seed("1"),
], ids=["budget-text", "seed-float", "program-int", "check-seed"])
def test_a_value_of_the_wrong_type_is_a_type_error_too(call: Any) -> None:
    """As Python's own wrong-type errors (and scikit-learn's InvalidParameterError, both at once)."""
    with pytest.raises(TypeError) as caught:
        call()
    assert isinstance(caught.value, SettingError) and isinstance(caught.value, ValueError)
    assert caught.value.message.split(" must be ")[0] in ("budget", "seed", "program")


def test_a_value_error_guard_lets_a_user_error_through(tmp_path: Path) -> None:
    """report.data.load guards the archive's reading with ``except ValueError``: a hash it lacks is said so, not
    "cannot read archive" (MlevError being a ValueError)."""
    db = tmp_path / "run.db"
    Archive.for_run(db, {"program_hash": "p", "program_name": "quartic", "task": "koza_quartic",  # an archive, empty
                         "evolve": ["f"]}).close()
    with pytest.raises(MlevError) as caught:
        data.load(db, key="zz")
    assert caught.value.message == "no program with hash 'zz' in the archive"


# ------------------------------------------------------------------ 2. a config key's place, however it is written
_META = ('program = "quartic.mlev"\nevolve = ["f"]\n[split]\ntrain = ["nguyen1", "nguyen3"]\nvalidation = ["nguyen2"]\n'
         'test = ["nguyen4"]\n[inner]\nbudget = 300\n')


@pytest.mark.parametrize(("edit", "where", "message"), [
    (lambda t: t + "[bounds.nguyen1]\nlo = 0\n", "9:9", "[bounds] nguyen1 must be a list of numbers"),
    (lambda t: t + "[bounds]\nnguyen1.lo = 0\n", "10:1", "[bounds] nguyen1 must be a list of numbers"),
    (lambda t: "bounds.nguyen1.lo = 0\n" + t, "1:8", "[bounds] nguyen1 must be a list of numbers"),
    (lambda t: t.replace("budget = 300", "budget.x = 300"), "8:1", "[inner] budget must be an integer"),
    (lambda t: t + "[meta.population]\na = 1\n", "9:7", "[meta] population must be an integer"),
    (lambda t: t + "[inner.nope]\na = 1\n", "9:8", "[inner] has no setting 'nope'"),
    (lambda t: t.replace("budget = 300", "budget = 300\nnope.x = 1"), "9:1", "[inner] has no setting 'nope'"),
    (lambda t: t + "[nope.x]\na = 1\n", "9:2", "unknown entry 'nope'"),
    (lambda t: "nope.x = 1\n" + t, "1:1", "unknown entry 'nope'"),
    (lambda t: t.replace('test = ["nguyen4"]', 'test.x = ["nguyen4"]'), "6:1", "[split] test must be a list"),
], ids=["bounds-subtable", "bounds-dotted", "bounds-dotted-top", "inner-dotted", "meta-subtable",
        "unknown-subtable", "unknown-dotted", "top-subtable", "top-dotted", "split-dotted"])
def test_meta_config_errors_point_at_the_key_as_written(tmp_path: Path, edit: Any, where: str, message: str) -> None:
    from mlevolve.meta.config import load_config

    (tmp_path / "quartic.mlev").write_text(Path(QUARTIC).read_text())
    config = tmp_path / "c.toml"
    config.write_text(edit(_META))
    with pytest.raises(MlevError) as caught:
        load_config(config)
    assert str(caught.value).splitlines()[0].startswith(f"{config}:{where}: error: {message}")


@pytest.mark.parametrize(("text", "where", "message"), [
    ('extends = "base"\n[weights."add(Scalar,Scalar)"]\nx = 1\n', "2:11", '[weights] "add(Scalar,Scalar)" must be'),
    ('extends = "base"\n[weights]\n"add(Scalar,Scalar)".x = 1\n', "3:2", '[weights] "add(Scalar,Scalar)" must be'),
    ('extends = "base"\nbandit.floor = "x"\n', "2:8", "[bandit] floor must be a number"),
    ('extends = "base"\n[bandit.floor]\nx = 1\n', "2:9", "[bandit] floor must be a number"),
    ('extends = "base"\n[[rule]]\nname = "r1"\nsig = "Scalar -> Scalar"\nweight = 1.0\n[rule.body]\nx = 1\n', "6:7",
     "[[rule]] #1 body must be a string"),
    ('extends = "base"\n[[rule]]\nname = "r1"\nsig = "Scalar -> Scalar"\nbody = "h0"\nweight.x = 1.0\n', "6:1",
     "[[rule]] #1 weight must be a number"),
    ('extends = "base"\n[literals.Scalar.weight]\nx = 1\n', "2:18", "[literals.Scalar] weight must be a number"),
], ids=["weights-subtable", "weights-dotted", "bandit-dotted-top", "bandit-subtable", "rule-subtable",
        "rule-dotted", "literals-subtable"])
def test_grammar_errors_point_at_the_key_as_written(tmp_path: Path, text: str, where: str, message: str) -> None:
    grammar = tmp_path / "g.toml"
    grammar.write_text(text)
    with pytest.raises(MlevError) as caught:
        mlevolve.load_grammar(grammar)
    assert str(caught.value).splitlines()[0].startswith(f"{grammar}:{where}: error: {message}")


# ------------------------------------------------------------------ 3. n_train above the rows a file has
def _sixty_rows(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    np.savez(folder / "d.npz", X=x, y=x[:, 0] * 2 + x[:, 1])
    csv = folder / "d.csv"
    np.savetxt(csv, np.c_[x, x[:, 0] * 2 + x[:, 1]], delimiter=",", header="a,b,y", comments="")
    (folder / "lin.mlev").write_text("algorithm lin\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  2 * a + b\n")
    (folder / "linx.mlev").write_text("algorithm lin\n\nformula f(x0: Scalar, x1: Scalar) -> Scalar =\n  2 * x0 + x1\n")
    return csv


@pytest.mark.parametrize(("program", "task"), [("lin.mlev", "d.csv:target=y:n_train=1000"),
                                               ("linx.mlev", "d.npz:n_train=49")])
def test_n_train_above_a_files_fitting_rows_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], program: str,
                                                       task: str) -> None:
    from mlevolve import cli

    _sixty_rows(tmp_path)
    monkeypatch.chdir(tmp_path)
    for command in (["run", program], ["evolve", program, "--budget", "5", "--db", "e.db"]):
        assert cli.main([*command, "--task", task]) == 2
        n = task.rpartition("=")[2]
        assert capsys.readouterr().err.splitlines() == [
            f"mlevolve {command[0]}: error: {task.partition(':')[0]}: n_train={n} is more than its 48 fitting rows "
            "(60 rows, 12 held out for test_r2)", "hint: n_train=48 or less, or leave it out to use every row"]
    assert not (tmp_path / "e.db").exists()
    assert cli.main(["run", program, "--task", task.replace(f"n_train={n}", "n_train=48")]) == 0  # every one: taken


def test_max_samples_above_the_rows_is_a_value_error(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(60, 2))
    with pytest.raises(ValueError, match=r"^n_samples = 60, n_features = 2: max_samples=1000 is more than its 48 "
                                         r"fitting rows \(60 rows"):
        mlevolve.SymbolicRegressor(budget=10, max_samples=1000, random_state=0).fit(x, x[:, 0])


# ------------------------------------------------------------------ 4. a stop before any candidate leaves no archive
def _stop(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt  # as a Ctrl-C before the first candidate is scored


@pytest.mark.parametrize(("before", "workers"), [(False, "1"), (True, "1"), (False, "2")],
                         ids=["new", "there-before", "pool"])
def test_a_stop_before_any_candidate_removes_the_archive_it_made(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 before: bool, workers: str) -> None:
    from mlevolve import cli

    db = tmp_path / "r.db"
    if before:  # an empty archive of this run, left by an older mlevolve or a kill: never removed
        cli.main(["evolve", QUARTIC, "--budget", "4", "--db", str(db), "--quiet"])
        capsys.readouterr()
        with Archive.for_run(db, Archive.read(db).meta()) as archive:  # emptied, as a kill -9 before a row leaves it
            archive.conn.execute("DELETE FROM candidates")
    monkeypatch.setattr(api.search, "_searched", _stop)
    assert cli.main(["evolve", QUARTIC, "--budget", "4", "--db", str(db), "--workers", workers]) == 130
    kept = f" ({db}, there before, is kept)" if before else ""
    assert capsys.readouterr().err.splitlines()[0] == (
        f"mlevolve evolve: interrupted before any candidate was saved: nothing to resume{kept}")
    assert db.exists() == before and not list(tmp_path.glob("r.db-*"))


def test_a_stopped_meta_run_and_fit_leave_no_empty_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from mlevolve import cli

    (tmp_path / "quartic.mlev").write_text(Path(QUARTIC).read_text())
    (tmp_path / "c.toml").write_text(_META)
    monkeypatch.setattr(api.metarun, "_meta_runs", _stop)
    assert cli.main(["meta", str(tmp_path / "c.toml"), "--db", str(tmp_path / "m.db")]) == 130
    assert "nothing to resume" in capsys.readouterr().err and not (tmp_path / "m.db").exists()
    x = np.random.default_rng(0).normal(size=(30, 1))
    monkeypatch.setattr(api.search, "_searched", _stop)
    with pytest.raises(KeyboardInterrupt):
        mlevolve.SymbolicRegressor(budget=10, db=str(tmp_path / "sr.db")).fit(x, x[:, 0])
    assert not list(tmp_path.glob("sr.db*"))  # neither the archive nor the copy of the data beside it


# ------------------------------------------------------------------ 6. an exported learner refuses text and dates
def test_an_exported_learner_refuses_text_and_dates_as_the_estimator_does(tmp_path: Path) -> None:
    """The learner's module checked its input with scikit-learn's plain checks: a datetime column gave NumPy's
    "could not be promoted", a text target Python's "string indices must be integers".  It says what came where
    numbers were expected, in the words of mlevolve.SymbolicRegressor (one check, copied into the module)."""
    import importlib.util

    import pandas as pd

    module = tmp_path / "lr.py"
    module.write_text(api.export_component(ROOT / "examples" / "linear_regression.mlev", "linreg"))
    spec = importlib.util.spec_from_file_location("exported_linreg", module)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    learner = getattr(loaded, loaded.__all__[0])
    n, numbers = 20, np.arange(20.0)
    dates = pd.DataFrame({"a": numbers, "d": pd.date_range("2020-01-01", periods=n)})
    for X, y, said in [
        (dates, numbers, "X must hold numbers: X[0, 1] (column 'd') is a date or time, 2020-01-01 00:00:00: convert "
                         "it to numbers first"),
        (pd.DataFrame({"a": numbers, "s": ["x"] * n}), numbers, "X must hold numbers: X[0, 1] (column 's'): 'x' is "
                                                                "not a number"),
        (numbers[:, None], np.array(["x"] * n), "y must hold numbers: y[0]: 'x' is not a number"),
        (pd.DataFrame({"a": numbers, "b c": np.r_[numbers[:3], np.nan, numbers[4:]]}), numbers,
         "X must hold finite numbers: X[3, 1] (column 'b c') is NaN"),  # was scikit-learn's lines naming no cell
        (pd.DataFrame({"a": numbers, "b c": pd.array([1, 2, None, *range(3, n)], dtype="Int64")}), numbers,
         "X must hold finite numbers: X[2, 1] (column 'b c') is <NA> (a missing value"),  # a nullable column's NA
        (numbers[:, None], np.array([*numbers[:4], None, *numbers[5:]], dtype=object),
         "y must hold finite numbers: y[4] is None (a missing value"),
        (numbers[:, None], np.r_[numbers[:2], np.inf, numbers[3:]], "y must hold finite numbers: y[2] is inf"),
        (pd.DataFrame(np.ones((n, 2)), columns=["a", "a"]), numbers, "X has two columns named 'a': give each column "
                                                                     "its own name"),
    ]:
        for estimator in (learner(), mlevolve.SymbolicRegressor(budget=5)):
            with pytest.raises(ValueError) as caught:
                estimator.fit(X, y)
            assert str(caught.value).startswith(said) and "\n" not in str(caught.value)
    fitted = learner().fit(numbers[:, None], np.array([str(v) for v in numbers]))  # numbers written as text: numbers
    with pytest.raises(ValueError, match=r"^X must hold numbers: X\[0, 0\]: 'x' is not a number"):
        fitted.predict(np.array([["x"]]))
    with pytest.raises(ValueError, match=r"^sample_weight must hold numbers: sample_weight\[0\]: 'w' is not"):
        learner().fit(numbers[:, None], numbers, sample_weight=np.array(["w"] * n))


def test_toml_key_span_reads_key_paths() -> None:
    """A key with dots in its quotes is one key; a table's own header is its place before a sub-table's."""
    from mlevolve.dsl.errors import toml_key_span
    from mlevolve.dsl.ir import Span

    text = ('program = "p"\n[ bounds . "d.csv:target=y" ]\nlo = 1\n[bounds]\n"d.csv:target=y" = [0, 1]\n'
            '  "e.csv"  =  2\nf.g = 3\n')
    assert toml_key_span(text, "bounds", "d.csv:target=y") == Span(2, 13, 2, 26)
    assert toml_key_span(text, "bounds", "e.csv") == Span(6, 4, 6, 8)
    assert toml_key_span(text, "bounds", "f") == Span(7, 1, 7, 1)
    assert toml_key_span(text, "bounds.f", "g") == Span(7, 3, 7, 3)
    assert toml_key_span(text, "bounds", None) == Span(4, 2, 4, 7)  # [bounds], not [bounds."d.csv:target=y"]
    assert toml_key_span('[op.add]\nx = 1\n', "op", None) == Span(1, 2, 1, 7)  # only sub-tables: the first
