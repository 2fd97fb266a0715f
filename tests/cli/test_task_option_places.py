"""A task option's mistake on a program's task line is said at that option, inside the line's string (qa90: a
misspelled ``target=`` was said at the data file's header, ``data.csv:1:3``, with no line of the program; ``seed=abc``
had its caret under the whole string).  The data file is named in the message; a bad cell keeps its own place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Capsys, usage_error

ROWS = "a,b,y\n" + "".join(f"{i},{(i * 7) % 5 + 1},{i + (i * 7) % 5}\n" for i in range(1, 13))
FORMULA = "formula f(a: Scalar, b: Scalar) -> Scalar =\n  a + b\n"


@pytest.mark.parametrize("options, message, hint", [
    (":target=yy", "{csv}: no column named 'yy'", "did you mean 'y'? columns: a, b, y"),
    (":target=y:weight=a", "{csv}: weight=a is a parameter of the formula; each row's weight is a column of the "
     "file, and not a feature", "no column is left for it: add each row's weight as a column"),
    (":target=y:seed=abc", "unknown option 'seed' for task '{csv}', a data file for a formula",
     "seed is the --seed flag, not a task option; options of a data file for a formula: target, problem, n_train, "
     "weight"),
    (":target=y:epochs=3", "unknown option 'epochs' for task '{csv}', a data file for a formula",
     "epochs is the --epochs flag, not a task option; options of a data file for a formula: target, problem, "
     "n_train, weight"),
    (":target=y:problem=regresion", "option problem=regresion of task '{csv}', a data file for a formula, must be "
     "regression", "did you mean 'regression'? write e.g. {csv}:target=y:problem=regression"),
    (":target=y:target=y", "option 'target' is given twice in task spec '{csv}:target=y:target=y'",
     "give each option once"),
    (":target=y:n_train=500", "{csv}: n_train=500 is more than its 9 fitting rows (12 rows, 3 held out for test_r2)",
     "n_train=9 or less, or leave it out to use every row"),
])
def test_a_task_lines_option_mistake_is_at_that_option(tmp_path: Path, capsys: Capsys, options: str, message: str,
                                                       hint: str) -> None:
    csv = tmp_path / "data.csv"
    csv.write_text(ROWS)
    program = tmp_path / "p.mlev"
    program.write_text(f'algorithm p\ntask "{csv}{options}"\n\n{FORMULA}')
    bad = options.rpartition(":")[2]  # the last option is the bad one
    column = 7 + len(f"{csv}{options}") - len(bad)  # after `task "`
    for command in ("check", "run"):
        lines = usage_error(capsys, command, str(program)).splitlines()
        assert lines[0] == f"{program}:2:{column}: error: {message.format(csv=csv)}", command
        caret = lines[2].index("^")  # under the option, wherever a long line's window (tmp_path's length) starts
        assert lines[2] == " " * caret + "^" * len(bad) and lines[1][caret:caret + len(bad)] == bad, command
        assert lines[-1] == f"hint: {hint.format(csv=csv)}"


def test_a_flags_option_mistake_keeps_its_place(tmp_path: Path, capsys: Capsys) -> None:
    """``--task`` has no line to point at: its header mistake stays at the data file's header, as before."""
    csv = tmp_path / "data.csv"
    csv.write_text(ROWS)
    program = tmp_path / "p.mlev"
    program.write_text(f"algorithm p\n\n{FORMULA}")
    err = usage_error(capsys, "run", str(program), "--task", f"{csv}:target=yy")
    assert err.splitlines() == [f"{csv}:1:3: error: no column named 'yy'", "hint: did you mean 'y'? columns: a, b, y"]
