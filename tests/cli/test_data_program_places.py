"""A mismatch between a task's data and the program is said at the program's text that names it (qa93: a formula's
parameter no column is named after was said at the data file's header, ``lin.csv:1:3``, with no line of the program):
the parameter, wherever the task was named (a task line or ``--task``), the data file in the message and its columns
in the hint; a formula with more parameters than a built-in task's inputs at the first too many; ``target=`` naming a
parameter at that option.  And an unknown option is named by its key, with the options the task has."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Capsys, usage_error

ROWS = "a,b,c,y\n" + "".join(f"{i},{(i * 7) % 5 + 1},{(i * 3) % 4},{i + (i * 7) % 5}\n" for i in range(1, 13))
FORMULA = "formula f(a: Scalar, b: Scalar, d: Scalar) -> Scalar =\n  a + b + d\n"
CARET = "    " + " " * FORMULA.index("d:") + "^"


@pytest.mark.parametrize("command", ["check", "run", "export"])
def test_a_parameter_no_column_is_named_after_is_said_at_the_parameter(tmp_path: Path, capsys: Capsys,
                                                                       command: str) -> None:
    csv = tmp_path / "lin.csv"
    csv.write_text(ROWS)
    program = tmp_path / "p.mlev"
    program.write_text(f'algorithm p\ntask "{csv}:target=y"\n\n{FORMULA}')
    args = ["-o", str(tmp_path / "out.py")] if command == "export" else []
    assert usage_error(capsys, command, str(program), *args).splitlines() == [
        f"{program}:4:{FORMULA.index('d:') + 1}: error: {csv}: no column for parameter d; column c not used by the "
        "formula", FORMULA.splitlines()[0].join(["    ", ""]), CARET,
        "hint: the formula's parameters are named after the columns: a, b, c"]


def test_a_flags_data_file_missing_a_parameter_is_said_at_the_parameter_too(tmp_path: Path, capsys: Capsys) -> None:
    """The program names the parameter whoever names the file: ``--task`` has no line, the program has."""
    csv = tmp_path / "lin.csv"
    csv.write_text(ROWS)
    program = tmp_path / "p.mlev"
    program.write_text(f"algorithm p\n\n{FORMULA}")
    err = usage_error(capsys, "run", str(program), "--task", f"{csv}:target=y").splitlines()
    assert err[0] == f"{program}:3:{FORMULA.index('d:') + 1}: error: {csv}: no column for parameter d; column c " \
                     "not used by the formula"
    assert err[2] == CARET


def test_target_naming_a_parameter_is_said_at_target(tmp_path: Path, capsys: Capsys) -> None:
    csv = tmp_path / "lin.csv"
    csv.write_text(ROWS)
    program = tmp_path / "p.mlev"
    program.write_text(f'algorithm p\ntask "{csv}:target=b"\n\nformula f(a: Scalar, b: Scalar, c: Scalar) -> Scalar '
                       "=\n  a + b + c\n")
    err = usage_error(capsys, "check", str(program)).splitlines()
    column = 7 + len(f"{csv}:")
    assert err[0] == f"{program}:2:{column}: error: {csv}: no column for parameter b; column y not used by the formula"
    assert err[2] == " " * (column - 1 + 4) + "^" * len("target=b")
    assert err[-1] == "hint: target= is the column to predict, not the parameter b: target=y"


def test_a_formula_with_more_parameters_than_the_tasks_inputs_is_said_at_the_first_too_many(
        tmp_path: Path, capsys: Capsys) -> None:
    program = tmp_path / "p.mlev"
    program.write_text('algorithm p\ntask "nguyen4"\n\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  x + y\n')
    for command, flags in (("check", ()), ("run", ("--task", "nguyen1"))):
        err = usage_error(capsys, command, str(program), *flags).splitlines()
        assert err[0].startswith(f"{program}:4:22: error: the formula takes 2 inputs but task 'nguyen"), command
        assert err[2] == " " * (4 + 21) + "^"


def test_an_unknown_option_is_named_by_its_key_with_the_tasks_options(tmp_path: Path, capsys: Capsys) -> None:
    program = tmp_path / "p.mlev"
    program.write_text('algorithm p\ntask "digits:n_train=abc"\n\nactivation act(x: Tensor) -> Tensor =\n  relu(x)\n')
    err = usage_error(capsys, "check", str(program)).splitlines()
    assert err[0] == f"{program}:2:14: error: unknown option 'n_train' for task 'digits', a supervised task"
    assert err[2] == " " * (4 + 13) + "^" * len("n_train=abc")
    assert err[-1] == "hint: options of a supervised task: none, so write just digits"
    err = usage_error(capsys, "run", str(program), "--task", "iris:n_test=5").splitlines()
    assert err == ["mlevolve run: error: unknown option 'n_test' for task 'iris', a supervised task",
                   "hint: options of a supervised task: none, so write just iris"]


def test_a_flags_option_the_header_has_no_name_for_is_the_commands_own_error(tmp_path: Path, capsys: Capsys) -> None:
    """``--task lin.csv:target=price`` was said at ``lin.csv:1`` (no column, no line): the command's error, as its
    other options' mistakes are; a misspelling near a column keeps that column's place in the header (err91)."""
    csv = tmp_path / "lin.csv"
    csv.write_text(ROWS)
    program = tmp_path / "p.mlev"
    program.write_text("algorithm p\n\nformula f(a: Scalar, b: Scalar, c: Scalar) -> Scalar =\n  a + b + c\n")
    for command, db in (("run", []), ("evolve", ["--db", str(tmp_path / "r.db")])):
        assert usage_error(capsys, command, str(program), "--task", f"{csv}:target=price", *db).splitlines() == [
            f"mlevolve {command}: error: {csv}: no column named 'price'", "hint: columns: a, b, c, y"]
    assert usage_error(capsys, "run", str(program), "--task", f"{csv}:target=yy").splitlines()[0] == \
        f"{csv}:1:4: error: no column named 'yy'"
