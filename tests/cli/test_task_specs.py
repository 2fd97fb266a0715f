"""A task spec's bad option: the same words from the command and from an exported script, naming the task's kind.

The words are :data:`mlevolve.interpreter.standalone.spec.SPEC_WORDS`, which every exported script
carries (the library's task reader uses them too); an unknown option names the kind of task and lists
the options it takes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.standalone.data_formula import formula_task
from mlevolve.interpreter.standalone.spec import TaskError
from mlevolve.interpreter.tasks import task_options
from tests.conftest import EXAMPLES, FORMULA_AB, Capsys, cli, environment, regression_csv, run_child, usage_error

QUARTIC = str(EXAMPLES / "quartic.mlev")
LINEAR = str(EXAMPLES / "linear_regression.mlev")


@pytest.mark.parametrize("spec, error, hint", [
    ("{csv}:target=y:problem=foo", "option problem=foo of task '{csv}', a data file for a formula, must be "
     "regression", "write e.g. {csv}:target=y:problem=regression"),
    ("{csv}:target=y:foo=1", "unknown option 'foo' for task '{csv}', a data file for a formula",
     "options of a data file for a formula: target, problem, n_train, weight"),
    ("nguyen4:dim=3", "unknown option 'dim' for task 'nguyen4', a formula task",
     "options of a formula task: n_train, n_test"),
    ("{csv}:target=y:group=x", "unknown option 'group' for task '{csv}', a data file for a formula",  # a learner's
     "group= is read only by a learner program (its data file's rows split into tasks); options of a data file for "
     "a formula: target, problem, n_train, weight"),
    ("nguyen4:fitness=mse", "unknown option 'fitness' for task 'nguyen4', a formula task",
     "fitness= is read only by a learner program (its score on a family or data file); options of a formula task: "
     "n_train, n_test"),
    ("nguyen4:n_train=x:dim=3", "unknown option 'dim' for task 'nguyen4', a formula task",  # names first: the
     "options of a formula task: n_train, n_test"),  # range's hint mended n_train and kept dim=3 (newuser40)
    ("nguyen4:n_train=3:n_train=4", "option 'n_train' is given twice in task spec 'nguyen4:n_train=3:n_train=4'",
     "give each option once"),
    ("nguyen4:n_train", "option 'n_train' has no value in task spec 'nguyen4:n_train'",
     "write it as NAME:key=value, or leave the option out"),
    (" :n_train=3", "task spec ' :n_train=3' leaves the task's name out",
     "write NAME:key=value, e.g. data.csv:target=y"),
    ("{csv}:target=y,problem=regression", "option 'target' runs into another in task spec "
     "'{csv}:target=y,problem=regression'", "separate options with ':', as in NAME:a=1:b=2"),
])
def test_a_formula_task_spec_with_a_bad_option_names_it_and_the_kinds_options(
        tmp_path: Path, capsys: Capsys, spec: str, error: str, hint: str) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(12)))
    spec, error, hint = spec.format(csv=csv), error.format(csv=csv), hint.format(csv=csv)
    err = usage_error(capsys, "run", QUARTIC, "--task", spec)
    assert err.splitlines() == [f"mlevolve run: error: {error}", f"hint: {hint}"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["n_train", "n_test", "dim", "", " n_train "]),
                          st.sampled_from(["=3", "=", "", "=1=2", "=x", "=3e1"])), max_size=3))
def test_the_library_and_a_script_refuse_a_spec_alike_whatever_is_wrong_with_it_first(
        parts: list[tuple[str, str]]) -> None:
    """Property: the library (``tasks.task_options``) and an exported formula script's loader
    (``standalone.data_formula.formula_task``) take the same specs and refuse the rest in the same words.  The
    script checked an option's name before the spec's form, so ``nguyen4:foo=`` was 'unknown option' there and
    'has no value' in the library (and a repeated unknown option unknown, not twice)."""
    spec = ":".join(["nguyen4", *(key + value for key, value in parts)])
    try:
        library: tuple[str, str] | None = (str(task_options(spec, "formula")), "")
    except MlevError as err:
        library = (err.message, err.hint or "")
    try:
        script: tuple[str, str] | None = (str(formula_task(spec)["x_train"].shape), "")
    except TaskError as err:
        script = (err.message, err.hint)
    assert (library[1], script[1]) == ("", "") or library == script, spec


@pytest.mark.e2e
@pytest.mark.parametrize("spec", ["linear:foo=", "linear:foo=1:foo=2", "linear:foo=1=2", "linear:dim=x:foo=1",
                                  "linear:n_val=x:dim=x", "linear:dim=3:dim=4", "linear:dim=", "linear:dim",
                                  "linear:fitness=bogus", ":dim=3",
                                  "linear:n_tasks=10000:n_train=1e6:dim=4096"])  # the last: refused before allocating
def test_an_exported_script_words_a_bad_option_as_the_command_does(tmp_path: Path, capsys: Capsys, spec: str) -> None:
    script = tmp_path / "linear.py"
    assert run_child([sys.executable, "-m", "mlevolve", "export", LINEAR, "-o", str(script)], env=environment(),
                     capture_output=True, timeout=120).returncode == 0
    done = run_child([sys.executable, str(script), "--task", spec], capture_output=True, text=True, timeout=120)
    command = usage_error(capsys, "run", LINEAR, "--task", spec).splitlines()
    assert done.returncode == 2 and len(command) == 2
    assert [line.split("error: ", 1)[-1] for line in done.stderr.splitlines()] == \
        [line.split("error: ", 1)[-1] for line in command]


@pytest.mark.parametrize("name, error, hint", [
    ("{d}", "{d} is a folder, not a file",  # what a data file is, as for a folder of any name
     "a data file is a UTF-8 .csv with a header row, or an .npz written by numpy.savez(path, X=..., y=...)"),
    ("{d}/data", "no such file: {d}/data",
     "a built-in task's name has no suffix (`mlevolve tasks` lists them); a data file's is .csv or .npz"),
    ("{d}/data.csv", "no such file: {d}/data.csv",
     "a data file is a UTF-8 .csv with a header row, or an .npz written by numpy.savez(path, X=..., y=...)"),
])
def test_a_task_that_is_a_folder_or_no_file_is_named_so_in_the_librarys_words(
        tmp_path: Path, capsys: Capsys, name: str, error: str, hint: str) -> None:
    d = str(tmp_path)  # (an exported script's reader says to export another script for a built-in task)
    for command in ("run", "export"):
        err = usage_error(capsys, command, QUARTIC, "--task", name.format(d=d), *(["-o", "-"] * (command == "export")))
        assert err.splitlines() == [f"mlevolve {command}: error: {error.format(d=d)}", f"hint: {hint}"]


@pytest.mark.parametrize("spec, mended", [("nguyen1,n_train=5", "nguyen1:n_train=5"),
                                           ("nguyen1 n_train=5", "nguyen1:n_train=5"),
                                           ("nguyen1, n_train=5; n_test=4", "nguyen1:n_train=5:n_test=4"),
                                           ("{d}/data.csv,target=y", "{d}/data.csv:target=y")])
def test_options_run_into_a_task_s_name_by_another_separator_are_shown_after_a_colon(
        tmp_path: Path, capsys: Capsys, spec: str, mended: str) -> None:
    """``--task nguyen1,n_train=5`` was an unknown task (a data file's, no such file) with no word of ':'; the
    hint now mends the spec, in the library's words and an exported script's (common.task_hint, both call it)."""
    d = str(tmp_path)
    spec, mended = spec.format(d=d), mended.format(d=d)
    err = usage_error(capsys, "run", QUARTIC, "--task", spec).splitlines()
    assert err[1].startswith(f"hint: options follow the name after ':', as in {mended}"), err
    if "csv" not in spec:  # a script for a built-in task reads no data file
        with pytest.raises(TaskError) as caught:
            formula_task(spec)
        assert caught.value.hint.startswith(f"options follow the name after ':', as in {mended}; ")


def test_a_run_names_its_task_by_its_one_name(capsys: Capsys) -> None:
    """The raw spelling of a task spec was kept as the task's name (so one task had several names in archives,
    default archive paths and reports); and 20.0 or +20 were taken as an integer option (a new user's pass)."""
    from tests.conftest import cli

    code, out, err = cli(capsys, "run", QUARTIC, "--task", "nguyen1 : n_test = 1e3 : n_train = 030")
    assert code == 0, err
    assert "            task: nguyen1:n_train=30:n_test=1000" in out.splitlines()
    code, out, err = cli(capsys, "run", QUARTIC, "--task", "nguyen1:n_train=20")  # the default: the task itself
    assert code == 0 and "            task: nguyen1" in out.splitlines(), err
    for value in ("20.0", "+20", "1_000"):
        code, out, err = cli(capsys, "run", QUARTIC, "--task", f"nguyen1:n_train={value}")
        assert (code, err.splitlines()) == (2, [
            f"mlevolve run: error: option n_train={value} of task 'nguyen1' must be an integer from 3 to 1,000,000",
            "hint: write e.g. nguyen1:n_train=20 (a formula's linear scaling a + b * f fits 2 points exactly)"])


@pytest.mark.parametrize("spec", ["nguyen4:n_train=1", "nguyen4:n_test=1", "linear:n_train=1"])
def test_one_point_is_no_split(capsys: pytest.CaptureFixture[str], spec: str) -> None:
    """A formula's R² over one point has no variance to divide by (it read 1 - MSE: train_r2 0.999996 from one
    point, a new user's pass), and one online example a task teaches a learner nothing: from the least the message
    says, which runs.  A formula's n_train was told "from 2", and 2 was refused in turn (its linear scaling fits 2
    exactly): its message says 3, and why, the first time."""
    from tests.conftest import cli

    key = spec.split(":")[1].split("=")[0]
    program = QUARTIC if spec.startswith("nguyen") else str(QUARTIC).replace("quartic", "linear_regression")
    code, _, err = cli(capsys, "run", program, "--task", spec)
    least = 3 if spec == "nguyen4:n_train=1" else 2
    assert code == 2 and err.splitlines()[0].endswith(f"option {key}=1 of task '{spec.split(':')[0]}' must be an "
                                                      f"integer from {least} to 1,000,000")
    code, _, err = cli(capsys, "run", program, "--task", spec.replace("=1", f"={least}"))
    assert code == 0, err


@pytest.mark.parametrize(("task", "bare"), [('"nguyen4"', "nguyen4"), ("'nguyen4'", "nguyen4"),
                                            ('"nguyen4:n_train=30"', "nguyen4:n_train=30")])
def test_a_task_given_in_quotes_of_its_own_is_named_so(capsys: Capsys, task: str, bare: str) -> None:
    """A task copied from a task line with its quotes (``--task '"nguyen4"'``) was an unknown task whose hint
    offered the same name (a new user's pass)."""
    assert usage_error(capsys, "run", QUARTIC, "--task", task).splitlines() == [
        f"mlevolve run: error: task {task} is in quotes of its own, taken as part of its name",
        f"hint: drop them: {bare} (a task line quotes a data file; a flag's value is not quoted again)"]


def test_a_missing_relative_data_file_is_said_to_be_read_from_the_current_folder(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative path is read from where mlevolve runs, not from the program's folder: the hint names that folder
    (an absolute path keeps the format's hint, above)."""
    monkeypatch.chdir(tmp_path)
    err = usage_error(capsys, "run", QUARTIC, "--task", "data/cubic.csv:target=y")
    assert err.splitlines() == ["mlevolve run: error: no such file: data/cubic.csv",
                                f"hint: a relative path is read from the current folder ({tmp_path}): cd to where "
                                "it starts, or give its full path"]


@pytest.mark.parametrize("command", ["check", "run", "evolve", "export"])
def test_a_task_line_s_data_file_is_read_from_the_program_s_folder(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """A task line's relative path is read from its .mlev file's folder, as a meta configuration's ``program`` is
    (a new user ran `mlevolve run proj/f.mlev` from proj's parent and ./data/x.csv was read); a missing one is said
    by the path looked at, the hint saying why there.  ``--task`` stays the current folder's (above)."""
    (tmp_path / "proj" / "data").mkdir(parents=True)
    regression_csv(tmp_path / "proj" / "data" / "x.csv")
    (tmp_path / "proj" / "f.mlev").write_text(FORMULA_AB.replace("\n", '\ntask "data/x.csv:target=y"\n', 1))
    (tmp_path / "proj" / "g.mlev").write_text(FORMULA_AB.replace("\n", '\ntask "data/gone.csv:target=y"\n', 1))
    monkeypatch.chdir(tmp_path)
    extra = ["-o", "f.py"] if command == "export" else ["--budget", "2", "--db", "r.db"] if command == "evolve" else []
    assert cli(capsys, command, "proj/f.mlev", *extra)[0] == 0
    err = usage_error(capsys, command, "proj/g.mlev", *extra).splitlines()
    assert err[0] == "proj/g.mlev:2:6: error: no such file: proj/data/gone.csv"
    assert err[-1] == (f"hint: a task line's relative path is read from its .mlev file's folder ({tmp_path / 'proj'}), "
                       "wherever the command runs: give the path from there, or a full path")
    monkeypatch.chdir(tmp_path / "proj")  # from the program's folder: the same file
    assert cli(capsys, "check", "f.mlev")[0] == 0


def test_the_api_reads_a_task_line_s_data_file_from_the_program_s_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``api.run`` of a path, and of a program parsed from that file, read its task line's file beside it; the
    program's text alone (no file) reads it from the current folder, as ``--task`` does."""
    from mlevolve import api

    (tmp_path / "proj" / "data").mkdir(parents=True)
    regression_csv(tmp_path / "proj" / "data" / "x.csv")
    (tmp_path / "proj" / "f.mlev").write_text(text := FORMULA_AB.replace("\n", '\ntask "data/x.csv:target=y"\n', 1))
    monkeypatch.chdir(tmp_path)
    by_path = api.run(Path("proj/f.mlev"))
    assert by_path["task"] == "proj/data/x.csv:target=y"
    again = api.run(api.parse_file("proj/f.mlev"))
    assert {k: v for k, v in again.items() if k != "train_seconds"} == {k: v for k, v in by_path.items()
                                                                         if k != "train_seconds"}
    with pytest.raises(MlevError, match=r"no such file: data/x\.csv"):
        api.run(text)


def test_a_run_on_a_task_line_s_data_file_resumes_from_another_folder_as_the_uninterrupted_run(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of ``proj/f.mlev`` made from proj's parent resumes from proj itself (the archive keeps the file's
    absolute path and digest; the task line reads the same file from either folder): the resumed archive holds the
    candidates of the run made in one go."""
    from tests.conftest import run_child

    (tmp_path / "proj" / "data").mkdir(parents=True)
    regression_csv(tmp_path / "proj" / "data" / "x.csv")
    (tmp_path / "proj" / "f.mlev").write_text(FORMULA_AB.replace("\n", '\ntask "data/x.csv:target=y"\n', 1))
    monkeypatch.chdir(tmp_path)
    flags = ["--evolve", "f", "--seed", "1", "--quiet"]
    assert cli(capsys, "evolve", "proj/f.mlev", *flags, "--budget", "12", "--db", "whole.db")[0] == 0
    assert cli(capsys, "evolve", "proj/f.mlev", *flags, "--budget", "6", "--db", "part.db")[0] == 0
    monkeypatch.chdir(tmp_path / "proj")
    assert cli(capsys, "evolve", "f.mlev", *flags, "--budget", "12", "--db", "../part.db")[0] == 0
    same = run_child([sys.executable, str(Path(__file__).parents[2] / "benchmarks" / "same_archives.py"),
                      str(tmp_path / "whole.db"), str(tmp_path / "part.db")], capture_output=True, text=True,
                     timeout=120)
    assert same.stdout.startswith("identical: 12 candidates"), same.stdout + same.stderr


@pytest.mark.e2e
def test_a_data_file_whose_path_holds_a_colon_is_read_by_the_library_a_script_and_the_estimator(
        tmp_path: Path, capsys: Capsys) -> None:
    """A timestamped folder (``runs/12:00/d.csv``): ``--task 'runs/12:00/d.csv:target=y'`` was refused as an
    option 'd.csv' without a value, and ``SymbolicRegressor(db='12:00/r.db')`` failed with a task spec the user
    never wrote (a new user's pass).  The name runs to its last piece ending .csv or .npz before any option."""
    import numpy as np

    import mlevolve

    folder = tmp_path / "12:00"
    folder.mkdir()
    data = folder / "d.csv"
    data.write_text("x,y\n" + "".join(f"{i / 10},{(i / 10) ** 2 + 1}\n" for i in range(30)))
    spec = f"{data}:target=y"
    code, out, err = cli(capsys, "run", QUARTIC, "--task", spec)
    assert code == 0 and f"            task: {spec}" in out.splitlines(), err
    script = tmp_path / "q.py"
    assert cli(capsys, "export", QUARTIC, "--task", spec, "-o", str(script))[0] == 0
    done = run_child([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    x = np.linspace(-2, 2, 40)[:, None]
    model = mlevolve.SymbolicRegressor(budget=20, db=str(folder / "r.db"), random_state=0).fit(x, x[:, 0] ** 2 + 1)
    assert model.metrics_["test_r2"] > 0.99


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("ab1:/._ ", min_size=1, max_size=6), min_size=1, max_size=3), st.sampled_from([".csv", ".npz"]),
       st.lists(st.tuples(st.sampled_from(["target", "problem", "group"]), st.text("xy.:", max_size=3)
                          .filter(lambda v: ":" not in v)), max_size=3))
def test_split_spec_gives_back_a_data_file_s_name_and_its_options_whatever_colons_its_path_holds(
        pieces: list[str], suffix: str, options: list[tuple[str, str]]) -> None:
    """Property: the name of ``PATH:key=value...`` is PATH, colons and all, when PATH ends .csv or .npz."""
    from mlevolve.interpreter.standalone.spec import split_spec

    name = "/".join(pieces).strip() + suffix
    if "=" in name or len({k for k, _ in options}) < len(options) or any(not v for _, v in options):
        return
    texts = [f"{k}={v}" for k, v in options]
    assert split_spec(":".join([name, *texts])) == (name, dict(options))


@pytest.mark.parametrize("option, what", [("group=a", "its data file's rows split into tasks"),
                                          ("fitness=relative", "its score on a family or data file")])
def test_a_learners_option_on_a_networks_data_file_says_whose_it_is(tmp_path: Path, capsys: Capsys, option: str,
                                                                     what: str) -> None:
    """``group=`` and ``fitness=`` on a network's data file were "unknown" with no word of a learner reading them."""
    regression_csv(csv := tmp_path / "d.csv")
    err = usage_error(capsys, "run", str(EXAMPLES / "mlp_digits.mlev"), "--task", f"{csv}:target=y:{option}")
    key = option.split("=")[0]
    assert err.splitlines() == [f"mlevolve run: error: unknown option '{key}' for task '{csv}', a data file",
                                f"hint: {key}= is read only by a learner program ({what}); "
                                "options of a data file: target, problem"]
