"""A task spec's mistakes as a new user makes them, word for word: a hint that says what to write gives the whole
spec typed with the one option mended, an option's value or a column is named with the closest one (letter case
aside), and a spec in quotes of its own is named as such, a data file's as a built-in task's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Capsys, usage_error

QUARTIC = str(EXAMPLES / "quartic.mlev")
LINEAR = str(EXAMPLES / "linear_regression.mlev")


@pytest.mark.parametrize(("program", "spec", "error", "hint"), [
    (QUARTIC, '"{csv}":target=y', 'task "{csv}":target=y is in quotes of its own, taken as part of its name',
     "drop them: {csv}:target=y (a task line quotes a data file; a flag's value is not quoted again)"),
    (QUARTIC, '"{csv}:target=y"', 'task "{csv}:target=y" is in quotes of its own, taken as part of its name',
     "drop them: {csv}:target=y (a task line quotes a data file; a flag's value is not quoted again)"),
    (QUARTIC, "{csv}:target=Y", "{csv}:1:2: error: no column named 'Y'", "did you mean 'y'? columns: x, y"),
    (QUARTIC, "{csv}:target=y:problem=classification",
     "option problem=classification of task '{csv}', a data file for a formula, must be regression",
     "write e.g. {csv}:target=y:problem=regression"),
    (LINEAR, "{csv}:target=y:problem=regresion",
     "option problem=regresion of task '{csv}', a data file for a learner, must be classification or regression",
     "did you mean 'regression'? write e.g. {csv}:target=y:problem=regression"),
    (LINEAR, "{csv}:target=y:fitness=MSE",
     "option fitness=MSE of task '{csv}', a data file for a learner, must be mse or squashed or relative for "
     "problem=regression; accuracy for problem=classification (problem detected from the data)",
     "did you mean 'mse'? write e.g. {csv}:target=y:fitness=mse"),
    (LINEAR, "{csv}:target=y:problem=regression:fitness=MSE",  # accuracy, refused for a regression, is not offered
     "option fitness=MSE of task '{csv}', a data file for a learner, must be mse or squashed or relative (with "
     "problem=regression)", "did you mean 'mse'? write e.g. {csv}:target=y:problem=regression:fitness=mse"),
    (LINEAR, "{csv}:target=y:problem=classification:fitness=accurcy",
     "option fitness=accurcy of task '{csv}', a data file for a learner, must be accuracy (with "
     "problem=classification)", "did you mean 'accuracy'? write e.g. {csv}:target=y:problem=classification:"
     "fitness=accuracy"),
    (LINEAR, "{csv}:target=y:group=X", "{csv}:1:1: error: group=X is no column; the rows are grouped into tasks by a "
     "feature "
     "column", "did you mean 'x'? group= names one of: x"),
    (LINEAR, "linear:n_tasks=0:dim=2", "option n_tasks=0 of task 'linear' must be an integer from 1 to 10,000",
     "write e.g. linear:n_tasks=10:dim=2"),
    (QUARTIC, "nguyen1:n_train=+20:n_test=5", "option n_train=+20 of task 'nguyen1' must be an integer from 3 to "
     "1,000,000", "write e.g. nguyen1:n_train=20:n_test=5 (a formula's linear scaling a + b * f fits 2 points "
     "exactly)"),
])
def test_a_task_spec_mistake_is_named_with_a_hint_that_works(tmp_path: Path, capsys: Capsys, program: str, spec: str,
                                                             error: str, hint: str) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("x,y\n" + "".join(f"{i},{i * i + 0.5}\n" for i in range(12)))
    spec, error, hint = (text.format(csv=csv) for text in (spec, error, hint))
    err = usage_error(capsys, "run", program, "--task", spec)
    said = error if ": error: " in error else f"mlevolve run: error: {error}"  # a place in a file leads (ux81)
    assert err.splitlines() == [said, f"hint: {hint}"]


@pytest.mark.parametrize(("program", "spec", "error", "hint"), [
    (QUARTIC, '"{csv}":target=y', 'task "{csv}":target=y is in quotes of its own, taken as part of its name',
     "drop them: '{csv}:target=y' (a task line quotes a data file; a flag's value is not quoted again)"),
    (QUARTIC, "{csv}:target=y:problem=classification",
     "option problem=classification of task '{csv}', a data file for a formula, must be regression",
     "write e.g. '{csv}:target=y:problem=regression'"),
    (LINEAR, "{csv}:target=y:problem=regresion",
     "option problem=regresion of task '{csv}', a data file for a learner, must be classification or regression",
     "did you mean 'regression'? write e.g. '{csv}:target=y:problem=regression'"),
    (LINEAR, "{csv}", "{csv}: which column is the target?",
     "write '{csv}:target=y', or target= another of its columns: x, y"),
])
def test_a_hint_that_rebuilds_a_spec_quotes_a_path_with_a_space_for_the_shell(
        tmp_path: Path, capsys: Capsys, program: str, spec: str, error: str, hint: str) -> None:
    """Every hint that says what to write is pasted into a shell: the whole spec is quoted (shlex.quote)."""
    import shlex

    csv = tmp_path / "my data" / "d.csv"
    csv.parent.mkdir()
    csv.write_text("x,y\n" + "".join(f"{i},{i * i + 0.5}\n" for i in range(12)))
    spec, error, hint = (text.format(csv=csv) for text in (spec, error, hint))
    err = usage_error(capsys, "run", program, "--task", spec)
    assert err.splitlines() == [f"mlevolve run: error: {error}", f"hint: {hint}"]
    written = hint.split("'")[1]
    assert shlex.split(f"'{written}'") == [written]  # pasted, it is one argument


CLASSIFIER = ("write fitness=accuracy or drop the option (a classifier's one fitness: its validation accuracy), or "
              "state problem=regression")
REGRESSION = ("write fitness=mse, squashed or relative, or drop the option (a regression's default: minus its "
              "validation MSE)")


def _learner_files(folder: Path) -> None:
    """cls.csv (a 0/1 target: classes) and reg.csv (a measured target) in ``folder``, 60 rows each."""
    rows = [(i % 7 - 3.0, (i * 5) % 11 - 5.0) for i in range(60)]
    for name, target in (("cls.csv", lambda a, b: int(a + b > 0)), ("reg.csv", lambda a, b: 2 * a - b + 0.25)):
        (folder / name).write_text("a,b,y\n" + "".join(f"{a},{b},{target(a, b)}\n" for a, b in rows))


@pytest.mark.parametrize(("spec", "error", "hint"), [
    # fitness=mse was dropped from the spec's name (the default's spelling) and the classes scored by accuracy
    ("cls.csv:target=y:fitness=mse", "cls.csv: fitness=mse is a regression error; the target holds classes",
     CLASSIFIER),
    ("cls.csv:target=y:problem=classification:fitness=mse",
     "cls.csv: fitness=mse is a regression error; the target holds classes", CLASSIFIER),
    ("cls.csv:target=y:fitness=relative",
     "cls.csv: fitness=relative is a regression error; the target holds classes", CLASSIFIER),
    # its hint left mse out of a regression's choices
    ("reg.csv:target=y:fitness=accuracy", "reg.csv: fitness=accuracy is a classifier's; the target is a regression",
     REGRESSION),
])
def test_a_learners_fitness_its_data_cannot_score_is_refused_alike_in_run_evolve_a_task_line_and_the_api(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, spec: str, error: str, hint: str) -> None:
    import mlevolve
    from mlevolve.dsl.errors import MlevError

    monkeypatch.chdir(tmp_path)
    _learner_files(tmp_path)
    assert usage_error(capsys, "run", LINEAR, "--task", spec).splitlines() == [f"mlevolve run: error: {error}",
                                                                               f"hint: {hint}"]
    err = usage_error(capsys, "evolve", LINEAR, "--evolve", "linreg.learn", "--task", spec, "--budget", "5", "--db",
                      "r.db")
    assert err.splitlines() == [f"mlevolve evolve: error: {error}", f"hint: {hint}"]
    line = f'task "{spec}"'
    (tmp_path / "p.mlev").write_text(Path(LINEAR).read_text().replace("task linear", line))
    column = len('task "') + spec.index("fitness=") + 1  # the option at fault, on its line
    for command in ("run", "check"):
        said = usage_error(capsys, command, "p.mlev").splitlines()
        assert (said[0], said[-1]) == (f"p.mlev:4:{column}: error: {error}", f"hint: {hint}")
    with pytest.raises(MlevError) as raised:
        mlevolve.run(LINEAR, task=spec)
    assert (raised.value.message, raised.value.hint) == (error, hint)


def test_a_learners_fitness_given_on_a_data_file_stays_in_the_task_name_it_was_scored_under(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    """fitness=mse, the default's spelling, vanished from the task shown; a classification's default is accuracy."""
    import json

    from mlevolve.cli import main

    monkeypatch.chdir(tmp_path)
    _learner_files(tmp_path)
    shown = {}
    for spec in ("reg.csv:target=y", "reg.csv:target=y:fitness=mse", "cls.csv:target=y",
                 "cls.csv:target=y:fitness=accuracy"):
        assert main(["run", LINEAR, "--task", spec, "--json"]) == 0
        shown[spec] = json.loads(capsys.readouterr().out)
        assert shown[spec]["task"] == spec
    assert shown["reg.csv:target=y:fitness=mse"]["fitness"] == shown["reg.csv:target=y"]["fitness"] < 0
    assert shown["cls.csv:target=y"]["fitness"] == shown["cls.csv:target=y"]["val_accuracy"]
