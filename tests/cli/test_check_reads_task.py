"""`mlevolve check` on a program's task line does what `run` does before training: it reads the data file,
fits the program to the task and its loss to the targets (one function, ``api.taskdata._ready``, for check, run,
export and evolve), so a file check passes does not fail `run` on its task line, and each mistake is the
same error, at the same place, from both commands.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Capsys, cli, environment, run_child, usage_error

ROWS = "a,b,y\n" + "".join(f"{i},{(i * 7) % 5},{i + (i * 7) % 5}\n" for i in range(1, 13))
NOT_FILE_HINT = "a data file is a UTF-8 .csv with a header row, or an .npz written by numpy.savez(path, X=..., y=...)"


def _program(tmp_path: Path, task: str, header: str = "formula f(a: Scalar, b: Scalar) -> Scalar =",
             body: str = "a + b") -> str:
    (tmp_path / "ok.csv").write_text(ROWS)
    path = tmp_path / "p.mlev"
    path.write_text(f'algorithm p\ntask "{task}"\n\n{header}\n  {body}\n')
    return str(path)


@pytest.mark.parametrize("task, header, error, caret, hint", [
    ("{d}/ok.csv:target=y", "formula f(a: Scalar, c: Scalar) -> Scalar =",
     "{d}/ok.csv: no column for parameter c; column b not used by the formula", "4:22",
     "the formula's parameters are named after the columns: a, b"),
    ("{d}/missing.csv:target=y", None, "no such file: {d}/missing.csv", "2:6", NOT_FILE_HINT),
    ("koza_quartic", None, "the formula takes 2 inputs but task 'koza_quartic' has 1", "4:22",
     "give the formula one Scalar parameter per input variable"),
])
def test_check_reports_what_run_reports_on_the_task_line(tmp_path: Path, capsys: Capsys, task: str,
                                                         header: str | None, error: str, caret: str | None,
                                                         hint: str) -> None:
    d = str(tmp_path)
    file = _program(tmp_path, task.format(d=d), *([header, "a + c"] if header else []))
    expected = [f"{file}:{caret}: error: {error.format(d=d)}" if caret else error.format(d=d), f"hint: {hint}"]
    for command in ("check", "run"):
        lines = usage_error(capsys, command, file).splitlines()
        assert [lines[0], lines[-1]] == expected, command


def test_a_bad_cell_of_the_task_lines_data_file_is_named_at_its_own_place(tmp_path: Path, capsys: Capsys) -> None:
    """The cell's ``FILE:LINE:COL`` in the data file, as with ``--task``: the task line's place was appended
    to it (``bad.csv:4:1:2:6: error: ...``)."""
    (tmp_path / "bad.csv").write_text(ROWS.replace("3,1,4\n", "3,abc,4\n"))
    file = _program(tmp_path, f"{tmp_path}/bad.csv:target=y")
    expected = [f"{tmp_path}/bad.csv:4:2: error: column 'b': 'abc' is not a number",
                "hint: every cell must hold a number, except a target of class labels"]
    for command in ("check", "run"):
        assert usage_error(capsys, command, file).splitlines() == expected, command


def test_check_refuses_a_loss_that_cannot_train_on_the_task_line_data(tmp_path: Path, capsys: Capsys) -> None:
    (tmp_path / "r.csv").write_text("a,y\n" + "".join(f"{i},{i * 0.37 - 1.5}\n" for i in range(24)))
    source = (EXAMPLES / "mlp_digits.mlev").read_text().replace("task digits", f'task "{tmp_path}/r.csv:target=y"')
    file = tmp_path / "m.mlev"
    file.write_text(source)
    check, run = (usage_error(capsys, c, str(file)).splitlines() for c in ("check", "run"))
    assert check == run and check[0].startswith(f"{file}:") and "loss 'xent' is not finite" in check[0]


def test_check_passes_a_task_line_whose_data_run_takes(tmp_path: Path, capsys: Capsys) -> None:
    file = _program(tmp_path, f"{tmp_path}/ok.csv:target=y")
    assert cli(capsys, "check", file) == (0, f"{file}: ok (formula f)\n", "")
    assert cli(capsys, "run", file, "--json")[0] == 0


@pytest.mark.parametrize("task, error, hint", [
    ("", "the task line names no task",
     'write `task NAME` (`mlevolve tasks` lists them) or `task "data.csv:target=y"`, or drop the line'),
    (":target=y", "task spec ':target=y' leaves the task's name out",
     "write NAME:key=value, e.g. data.csv:target=y"),
    ("{d}", "{d} is a folder, not a file",  # what a data file is, as for a folder of any name
     "a data file is a UTF-8 .csv with a header row, or an .npz written by numpy.savez(path, X=..., y=...)"),
])
def test_a_task_line_naming_no_task_or_a_folder_is_an_error_at_the_line(tmp_path: Path, capsys: Capsys, task: str,
                                                                        error: str, hint: str) -> None:
    d = str(tmp_path)
    file = _program(tmp_path, task.format(d=d))
    for command in ("check", "run"):
        lines = usage_error(capsys, command, file).splitlines()
        assert [lines[0], lines[-1]] == [f"{file}:2:6: error: {error.format(d=d)}", f"hint: {hint}"], command


@pytest.mark.e2e
def test_check_imports_no_torch_and_loads_no_rl_or_density_task(tmp_path: Path) -> None:
    """Reading a data file imports no PyTorch; an RL environment or a density set (no options, fits every program
    of its kind) is not loaded, so checking one imports no scikit-learn (about 2 s)."""
    file = _program(tmp_path, f"{tmp_path}/ok.csv:target=y")
    code = ("import sys; from mlevolve.cli import main; assert main(['check', *sys.argv[1:]]) == 0; "
            "print(sorted(m for m in ('torch', 'sklearn', 'gymnasium') if m in sys.modules))")
    done = run_child([sys.executable, "-c", code, file, str(EXAMPLES / "flow_moons.mlev"),
                      str(EXAMPLES / "reinforce_cartpole.mlev")], env=environment(), capture_output=True,
                     text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_check_reads_a_data_file_with_the_seed_run_would(tmp_path: Path, capsys: Capsys,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """``check`` read a task line's data with seed 0's split only, so a target constant on another seed's fitting
    rows passed ``check`` and failed ``run --seed N`` (a new user's pass): ``check --seed N`` splits as it does.
    For each seed, ``check`` refuses exactly where ``run`` does, in the same words."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "odd.csv").write_text("x,y\n" + "".join(f"{i},{1.0 if i == 7 else 2.0 if i == 3 else 0.0}\n"
                                                         for i in range(12)))
    program = tmp_path / "odd.mlev"
    program.write_text('algorithm q\ntask "odd.csv:target=y"\nformula f(x: Scalar) -> Scalar = x\n')
    refused = []
    for seed in map(str, range(10)):
        code, _, checked = cli(capsys, "check", str(program), "--seed", seed)
        ran, _, err = cli(capsys, "run", str(program), "--seed", seed)
        assert (code == 2) == (ran == 2) and (code == 0 or checked == err), (seed, checked, err)
        refused += [seed] * (code == 2)
    assert refused and len(refused) < 10  # the split decides: some seeds' fitting or held-out rows hold one value
    assert re.search(r"the target is 0 on every (fitting|held-out) row",
                     cli(capsys, "check", str(program), "--seed", refused[0])[2])
