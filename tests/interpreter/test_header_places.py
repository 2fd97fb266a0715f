"""A data file's header mistakes are told at their place, as every other data error is (a fresh user's pass, ux81):
``FILE:LINE:COL`` of the offending column name (a misspelled, extra or misused column), ``FILE:LINE`` where a
column is missing; LINE is the header's (blank lines above it skipped).  An .npz file, which has no header, is
named by its path alone, as before.  An option's mistake with no name to point at is the command's own error, naming
the file (qa93: ``lin.csv:1: error: no column named 'price'`` had a line and no column)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import mlevolve
from tests.conftest import EXAMPLES, Capsys, environment, run_child, usage_error

QUARTIC, LEARNER = str(EXAMPLES / "quartic.mlev"), str(EXAMPLES / "linear_regression.mlev")
ROWS = "".join(f"{i},{i + 1},{2 * i}\n" for i in range(1, 9))
BARE = "1.5,2.5,3.5\n" + ROWS  # a file with no header: a row of numbers where the names belong

CASES = {  # name: (file text, program, task options, the error's two lines after FILE)
    "misspelled": ("x,Y,z\n" + ROWS, QUARTIC, ":target=y",
                   [":1:2: error: no column named 'y'", "hint: did you mean 'Y'? columns: x, Y, z"]),
    "extra": ("x,z,y\n" + ROWS, QUARTIC, ":target=y",
              [":1:2: error: column z not used by the formula",
               "hint: the formula's parameters are named after the columns: x, z"]),
    "extra_below_blank_lines": ("\n\nx,z,y\n" + ROWS, QUARTIC, ":target=y",
                                [":3:2: error: column z not used by the formula",
                                 "hint: the formula's parameters are named after the columns: x, z"]),
    "missing": ("y\n1\n2\n3\n", QUARTIC, ":target=y",
                ["mlevolve run: error: {path}: no feature columns besides the target 'y'",
                 "hint: every column but the target is a feature: add at least one"]),
    "group_missing": ("x,z,y\n" + ROWS, LEARNER, ":target=y:group=q",
                      ["mlevolve run: error: {path}: group=q is no column; the rows are grouped into tasks by a "
                       "feature column",
                       "hint: group= names one of: x, z"]),
    "group_misspelled": ("x,zz,y\n" + ROWS, LEARNER, ":target=y:group=z",
                         [":1:2: error: group=z is no column; the rows are grouped into tasks by a feature column",
                          "hint: did you mean 'zz'? group= names one of: x, zz"]),
    "group_is_the_target": ("x,z,y\n" + ROWS, LEARNER, ":target=y:group=y",
                            [":1:3: error: group=y is the target; the rows are grouped into tasks by a feature column",
                             "hint: group= names one of: x, z"]),
    "weight_is_a_parameter": ("x,w,y\n" + ROWS, QUARTIC, ":target=y:weight=x",
                              [":1:1: error: weight=x is a parameter of the formula; each row's weight is a column of "
                               "the file, and not a feature", "hint: weight= names one of: w"]),
    # the header line's own mistake is at its line, whatever the option (hint96: ';' or numbers lost their ':1')
    "semicolons": ("x;z;y\n" + ROWS.replace(",", ";"), QUARTIC, ":target=y",
                   [":1: error: no column named 'y'; its cells seem separated by ';'",
                    "hint: save the file with commas between cells"]),
    "tabs": ("x\tz\ty\n" + ROWS.replace(",", "\t"), LEARNER, ":target=y",
             [":1: error: no column named 'y'; its cells seem separated by tabs",
              "hint: save the file with commas between cells"]),
    "headerless": (BARE, LEARNER, ":target=y",
                   [":1: error: no column named 'y'; its first row holds numbers, not the columns' names",
                    "hint: write the column names on the first line"]),
    "headerless_below_a_blank_line": ("\n" + BARE, QUARTIC, ":target=y",
                                      [":2: error: no column named 'y'; its first row holds numbers, not the columns' "
                                       "names", "hint: write the column names on the first line"]),
    "headerless_a_number_named": (BARE, QUARTIC, ":target=3.5",  # the formula's parameter: no column of its name
                                  [":1: error: no column named 'x'; its first row holds numbers, not the columns' "
                                   "names", "hint: write the column names on the first line"]),
    "headerless_no_target": (BARE, QUARTIC, "",  # an option's mistake, no line at fault: the file alone
                             ["mlevolve run: error: {path}: which column is the target?",
                              "hint: the file has no header line (its first row holds numbers) and a target is named, "
                              "not numbered: add the columns' names as its first line (x1,x2,y), then write "
                              "{path}:target=y"]),
}


@pytest.mark.parametrize("name", CASES)
def test_a_header_mistake_is_told_at_its_place(tmp_path: Path, capsys: Capsys, name: str) -> None:
    text, program, options, lines = CASES[name]
    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    err = usage_error(capsys, "run", program, "--task", f"{path}{options}")
    first = lines[0].format(path=path) if lines[0].startswith("mlevolve") else f"{path}{lines[0]}"
    assert err.splitlines() == [first, lines[1].format(path=path)]


@pytest.mark.parametrize("name", ["semicolons", "headerless", "headerless_a_number_named"])
def test_a_header_line_s_own_mistake_is_at_its_line_from_a_program_s_task_line_too(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Not at the program's ``target=`` (hint96): the option is right, the file's first line is not."""
    monkeypatch.chdir(tmp_path)
    text, program, options, lines = CASES[name]
    (tmp_path / "d.csv").write_text(text)
    source = Path(program).read_text()
    head, rest = source.split("\ntask ", 1)
    (tmp_path / "p.mlev").write_text(f'{head}\ntask "d.csv{options}"\n{rest.split(chr(10), 1)[1]}')
    err = usage_error(capsys, "run", "p.mlev")
    assert err.splitlines() == [f"d.csv{lines[0]}", lines[1]]


def test_an_npz_file_has_no_header_and_is_named_by_its_path(tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "g.npz"
    np.savez(path, X=np.arange(8.0)[:, None], y=np.arange(8.0))
    err = usage_error(capsys, "run", LEARNER, "--task", f"{path}:group=x1")
    assert err.splitlines()[0] == f"mlevolve run: error: {path}: group=x1 is no column; the rows are grouped into " \
        "tasks by a feature column"


@pytest.mark.parametrize("name", ["semicolons", "headerless_a_number_named"])
def test_an_exported_script_says_a_header_line_s_own_mistake_at_its_line(tmp_path: Path, name: str) -> None:
    """The script's reader is the library's (one golden for both): FILE:1, exit status 2, no traceback."""
    text, _, options, lines = CASES[name]
    (tmp_path / "good.csv").write_text("x,y\n" + "".join(f"{i / 8},{i}\n" for i in range(1, 9)))
    (tmp_path / "d.csv").write_text(text)
    (tmp_path / "s.py").write_text(mlevolve.export(QUARTIC, str(tmp_path / "good.csv:target=y")))
    done = run_child([sys.executable, "s.py", "--task", f"d.csv{options}"], capture_output=True, text=True,
                     cwd=tmp_path, env=environment(), timeout=120)
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [f"d.csv{lines[0]}", lines[1]])
