"""A program's task, checked as the command that runs it checks it: `check` refuses a task line exactly as
`run` does (its kind, its options), a blank task is no default, and a task a program cannot run on lists
the tasks it can.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.dsl.errors import MlevError
from tests.conftest import ROOT, Capsys, cli, usage_error

_DIGITS_FORMULA = "algorithm q\ntask digits\nformula f(x: Scalar) -> Scalar = x\n"

_FORMULA_TASKS = ("hint: formula tasks: koza_quartic, nguyen1, nguyen2, nguyen3, nguyen4, nguyen5, nguyen6, nguyen7, "
                  "nguyen8, or a data file: data.csv:target=y or data.npz")

_FORMULA = "formula f(x: Scalar) -> Scalar =\n  x * x\n"

_NETWORK = "model net() -> Layer =\n  seq(dense(8), dense(8))\n"

_LEARNER = ("learner lr(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
            "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.01 * (y - p) * x\n")

QUARTIC = ROOT / "examples" / "quartic.mlev"


@pytest.mark.parametrize("command", [["check"], ["run"], ["evolve"], ["export", "-o", "out.py"]])
def test_a_task_line_of_the_wrong_kind_is_an_error_at_the_line(capsys: Capsys, tmp_path: Path,
                                                               command: list[str]) -> None:
    (tmp_path / "p.mlev").write_text(_DIGITS_FORMULA)
    code, out, err = cli(capsys, *command, str(tmp_path / "p.mlev"))
    assert code == 2 and out == ""
    assert err.replace(str(tmp_path) + "/", "").splitlines() == [
        "p.mlev:2:6: error: a formula program cannot run on task 'digits'", "    task digits", "         ^^^^^^",
        _FORMULA_TASKS]


def test_a_task_option_of_the_wrong_kind_names_no_line(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "p.mlev").write_text("algorithm q\nformula f(x: Scalar) -> Scalar = x\n")
    code, _, err = cli(capsys, "run", str(tmp_path / "p.mlev"), "--task", "digits")
    assert code == 2
    assert err.splitlines() == ["mlevolve run: error: a formula program cannot run on task 'digits'", _FORMULA_TASKS]


@pytest.mark.parametrize(("example", "task", "near"), [("vae_moons", "moons", "moons2d"),
                                                      ("vae_moons", "digits:n_val=100", "digits_density"),
                                                      ("mlp_digits", "spirals2d", "spirals")])
def test_a_task_of_another_kind_names_its_near_namesake_of_the_programs_kind(
        capsys: Capsys, example: str, task: str, near: str) -> None:
    """A generative program given ``--task moons`` (a supervised task) listed the generative tasks, moons2d among
    them, without saying that it is the one meant (a fresh-user pass)."""
    err = usage_error(capsys, "run", str(ROOT / "examples" / f"{example}.mlev"), "--task", task, "--epochs", "1")
    assert err.splitlines()[1].startswith(f"hint: did you mean '{near}'? "), err


def test_the_kind_check_reads_no_data_and_writes_rl_as_rl() -> None:
    from mlevolve.dsl.errors import MlevError
    from mlevolve.interpreter.regimes import REGIMES
    from mlevolve.interpreter.tasks import check_task_kind

    check_task_kind(REGIMES["formula"], "nguyen1")
    check_task_kind(REGIMES["formula"], "missing.csv:target=y")  # a formula may run on a data file: not read here
    with pytest.raises(MlevError) as wrong:
        check_task_kind(REGIMES["rl"], "missing.csv:target=y")
    assert wrong.value.message == "an RL program cannot run on task 'missing.csv:target=y'"
    assert wrong.value.hint == "RL tasks: cartpole, acrobot, mountaincar, chain"


@pytest.mark.parametrize(("task", "body", "error", "hint"), [
    ('"data.csv:targt=y"', _FORMULA, "unknown option 'targt' for task 'data.csv', a data file for a formula",
     "did you mean 'target'? options of a data file for a formula: target, problem, n_train, weight"),
    ('"data.csv:target=y:fitness=mse"', _FORMULA,
     "unknown option 'fitness' for task 'data.csv', a data file for a formula",
     "fitness= is read only by a learner program (its score on a family or data file); options of a data file for "
     "a formula: target, problem, n_train, weight"),
    ('"data.csv:target=y:group=x"', _NETWORK, "unknown option 'group' for task 'data.csv', a data file",
     "group= is read only by a learner program (its data file's rows split into tasks); options of a data file: "
     "target, problem"),
    ('"data.csv:target=y:fitness=msee"', _LEARNER,
     "option fitness=msee of task 'data.csv', a data file for a learner, must be mse or squashed or relative for "
     "problem=regression; accuracy for problem=classification (problem detected from the data)",
     "did you mean 'mse'? write e.g. data.csv:target=y:fitness=mse"),
    ('"data.csv:target=y:problem=regresion"', _NETWORK,
     "option problem=regresion of task 'data.csv', a data file, must be classification or regression",
     "did you mean 'regression'? write e.g. data.csv:target=y:problem=regression"),
    ('"koza_quartic:n_train=0"', _FORMULA, "option n_train=0 of task 'koza_quartic' must be an integer from 3 to "
     "1,000,000", "write e.g. koza_quartic:n_train=20 (a formula's linear scaling a + b * f fits 2 points exactly)"),
    ('"linear:dimm=3"', _LEARNER, "unknown option 'dimm' for task 'linear', a learner family",
     "did you mean 'dim'? options of a learner family: n_tasks, dim, n_train, n_val, fresh, fitness"),
    ('"data.csv:target"', _FORMULA, "option 'target' has no value in task spec 'data.csv:target'",
     "write it as NAME:key=value, or leave the option out"),
])
def test_check_refuses_a_task_line_exactly_as_run_does(tmp_path: Path, capsys: Capsys,
                                                       monkeypatch: pytest.MonkeyPatch, task: str, body: str,
                                                       error: str, hint: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(20)))
    (tmp_path / "p.mlev").write_text(f"algorithm q\ntask {task}\n{body}")
    checked = cli(capsys, "check", "p.mlev")
    bad = task.strip('"').rpartition(":")[2]  # the option at fault, the last: the caret's place (err91)
    at = 7 + task.rindex(bad) - 1
    assert checked[:2] == (2, "") and checked[2].splitlines() == [
        f"p.mlev:2:{at}: error: {error}", f"    task {task}", " " * (at + 3) + "^" * len(bad), f"hint: {hint}"]
    assert cli(capsys, "run", "p.mlev") == checked  # one check, the same words


def test_a_task_line_that_check_passes_loads(tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("g,x,y\n" + "".join(f"{i % 2},{i},{i * i + 0.5}\n" for i in range(20)))
    for task, body in [('"data.csv:target=y:fitness=relative:group=g"', _LEARNER),
                       ('"data.csv:target=y:problem=regression"', _FORMULA.replace("x:", "g: Scalar, x:")),
                       ('"linear:dim=3"', _LEARNER)]:
        (tmp_path / "p.mlev").write_text(f"algorithm q\ntask {task}\n{body}")
        assert cli(capsys, "check", "p.mlev")[0] == 0
        code, _, err = cli(capsys, "run", "p.mlev")
        assert "error" not in err and code in (0, 1), err  # 1: the program ran and failed, the task loaded


@pytest.mark.parametrize(("argv", "hint"), [
    (["run", "examples/quartic.mlev", "--task", "digits"],
     "hint: formula tasks: koza_quartic, nguyen1, nguyen2, nguyen3, nguyen4, nguyen5, nguyen6, nguyen7, nguyen8, "
     "or a data file: data.csv:target=y or data.npz"),
    (["run", "examples/mlp_digits.mlev", "--task", "nguyen1"],
     "hint: supervised tasks: digits, iris, wine, breast_cancer, moons, circles, spirals, "
     "or a data file: data.csv:target=y or data.npz"),
    (["run", "examples/dqn_chain.mlev", "--task", "digits"], "hint: RL tasks: cartpole, acrobot, mountaincar, chain")])
def test_a_task_a_program_cannot_run_on_lists_what_it_can(capsys: Capsys, argv: list[str], hint: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    code, _, err = cli(capsys, *argv)
    assert code == 2 and err.splitlines()[1] == hint


@pytest.mark.parametrize("command", [["run", str(QUARTIC)], ["evolve", str(QUARTIC), "--budget", "2"],
                                     ["export", str(QUARTIC), "-o", "out.py"],
                                     ["export", "--db", "r.db", "-o", "o.py"]])
@pytest.mark.parametrize("blank", ["", " "])
def test_a_blank_task_is_refused_rather_than_taken_for_the_default(
        tmp_path: Path, capsys: Capsys, command: list[str], blank: str) -> None:
    """``--task "$UNSET"`` ran on the file's (or the run's) own task without a word."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        if "--db" in command:
            api.evolve(QUARTIC, ["f"], budget=2, db="r.db", quiet=True)
        made = set(tmp_path.iterdir())
        err = usage_error(capsys, *command, "--task", blank)
    assert err == (f"mlevolve {command[0]}: error: --task is empty\nhint: name a task (`mlevolve tasks` lists them), "
                   "or leave --task out for the default one\n")
    assert set(tmp_path.iterdir()) == made  # nothing written


def test_a_meta_archive_is_named_as_such_where_a_task_is_needed() -> None:
    """It said "option 'nguyen1,nguyen5' has no value in task spec 'meta:nguyen1,nguyen5'"; then listed the tasks
    as nguyen1,nguyen5, where a list in a message has ", " between its items (a fresh-user pass)."""
    with pytest.raises(MlevError) as caught:
        api.archived._archived_task({"kind": "meta", "task": "meta:nguyen1,nguyen5"}, "m.db")
    assert caught.value.render().splitlines() == [
        "m.db: error: a meta archive (of `mlevolve meta`): its programs were scored on the tasks nguyen1, nguyen5, "
        "not on one task",
        "hint: `mlevolve export m.db --best -o best.mlev` writes its best, which `mlevolve run best.mlev --task "
        "nguyen1 --seed N` scores on one task (`export ... --task T -o best.py`: as a script); the meta run's answer "
        "is its grammar file (`mlevolve evolve FILE --grammar GRAMMAR.toml`)"]
