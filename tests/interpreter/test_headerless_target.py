"""The CSV header rule (``standalone.data._read_csv``): the first row that is not blank is the header, unless every
cell of it is a number: then it is data and the file has no header, so ``target=`` names no column.  A fresh user's
headerless file with ``target=`` naming a number of its first row (a learner's task: no parameters to miss) lost that
row silently, read as the header; it is a one-line error at FILE:1 now, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.interpreter.standalone.data import read_table
from mlevolve.interpreter.standalone.spec import TaskError
from tests.conftest import EXAMPLES, Capsys, usage_error

LEARNER = str(EXAMPLES / "linear_regression.mlev")
ROWS = "".join(f"{i},{i + 1},{2 * i}\n" for i in range(1, 9))
BARE = "1.5,2.5,3.5\n" + ROWS


@pytest.mark.parametrize("target", ["3.5", "1.5"])
def test_a_first_row_of_numbers_is_data_never_a_header_naming_the_target(tmp_path: Path, capsys: Capsys,
                                                                         target: str) -> None:
    path = tmp_path / "bare.csv"
    path.write_text(BARE)
    err = usage_error(capsys, "run", LEARNER, "--task", f"{path}:target={target}")
    assert err.splitlines() == [
        f"{path}:1: error: target={target} names a cell of its first row, which holds numbers, not the columns' "
        "names (a row of data: the file has no header)", "hint: write the column names on the first line"]
    with pytest.raises(TaskError):  # the library's reader, the one every task and script reads with
        read_table(str(path), target, "regression")


def test_a_header_with_a_name_is_a_header(tmp_path: Path) -> None:
    """A row with one name among numbers is a header (its numeric names are names): the rule is all numbers."""
    path = tmp_path / "named.csv"
    path.write_text("1.5,2.5,y\n" + ROWS)
    x, y, *_ = read_table(str(path), "y", "regression")
    assert x.shape == (8, 2) and list(y) == [2.0 * i for i in range(1, 9)]


def test_a_hint_naming_a_file_s_columns_names_none_of_a_headerless_file(tmp_path: Path) -> None:
    """The task-spec hint's columns (``tasks._columns_of``) read the header by the same rule: numbers are no names."""
    from mlevolve.interpreter import tasks

    (bare := tmp_path / "bare.csv").write_text(BARE)
    (named := tmp_path / "named.csv").write_text("a,b,y\n" + ROWS)
    assert tasks._columns_of(f"{bare}:target=y") is None
    assert tasks._columns_of(f"{named}:target=y") == (str(named), ["a", "b", "y"])
