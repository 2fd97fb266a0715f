"""A data file's number written with a decimal comma or thousands separators is refused as such, with the number
rewritten in the hint, not as a column of text to drop (qa73: a comma-locale spreadsheet's ``"0,5"`` cells were
"text, not numbers", hint "drop the column from the file").  One reader (standalone.data.cell_fault) serves every
CSV cell (features, targets, weights) of ``run``, ``evolve``, ``export`` and an exported script."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlevolve
from mlevolve.interpreter.standalone.common import comma_fix
from tests.conftest import FORMULA_AB, Capsys, run_child, usage_error

COMMA = "a number's decimal point is '.', and it has no thousands separator"
SAVE = "save the file with '.' as the decimal point and no digit grouping (a spreadsheet's English number format)"


@pytest.mark.parametrize(("text", "fix"), [
    ("0,5", "0.5"), ("-1,25e3", "-1.25e3"), (",5", ".5"), ("1,000,500.5", "1000500.5"),
    ("1,500", "1.500 (a decimal comma) or 1500 (a thousands separator)"), ("0,500", "0.500"),
    ("1,2,3", None), ("a,b", None), ("1.5", None), ("1,", None)])
def test_comma_fix(text: str, fix: str | None) -> None:
    assert comma_fix(text) == fix


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_a_decimal_comma_is_the_number_with_a_point(value: float) -> None:
    text = repr(value)
    if "e" not in text:
        assert comma_fix(text.replace(".", ",")) in (text, f"{text} (a decimal comma) or {text.replace('.', '')} "
                                                    "(a thousands separator)")


def _file(folder: Path, column: str, cells: list[str]) -> Path:
    rows = [[str(i), str(1 + i % 3), str(i * i % 7)] for i in range(len(cells))]
    j = "aby".index(column)
    for row, cell in zip(rows, cells, strict=True):
        row[j] = f'"{cell}"'
    (folder / "d.csv").write_text("a,b,y\n" + "".join(",".join(row) + "\n" for row in rows))
    (folder / "f.mlev").write_text(FORMULA_AB)
    return folder / "d.csv"


@pytest.mark.parametrize(("column", "where"), [("b", "column 'b'"), ("y", "target column 'y'")])
def test_a_column_of_decimal_commas_is_refused_with_the_number_rewritten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, column: str, where: str) -> None:
    monkeypatch.chdir(tmp_path)
    _file(tmp_path, column, [f"{i},5" for i in range(30)])
    j = "aby".index(column) + 1
    assert usage_error(capsys, "run", "f.mlev", "--task", "d.csv:target=y") == (
        f"d.csv:2:{j}: error: {where}: '0,5' is not a number: {COMMA}\nhint: write 0.5; {SAVE}\n")


def test_text_is_still_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    _file(tmp_path, "b", [f"id{i}" for i in range(30)])
    assert "column 'b': text, not numbers ('id0' and 29 more of 30 cells)" in usage_error(
        capsys, "run", "f.mlev", "--task", "d.csv:target=y")


def test_an_exported_script_says_the_same(tmp_path: Path) -> None:
    data = _file(tmp_path, "b", [f"{i},000" for i in range(1, 31)])
    (tmp_path / "ok.csv").write_text(data.read_text().replace('"', "").replace(",000", "000"))
    script = tmp_path / "s.py"
    script.write_text(mlevolve.export(mlevolve.check(FORMULA_AB), str(tmp_path / "ok.csv") + ":target=y"))
    done = run_child([sys.executable, str(script), "--task", "d.csv:target=y"], capture_output=True, text=True,
                     cwd=tmp_path, timeout=120)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr == (f"d.csv:2:2: error: column 'b': '1,000' is not a number: {COMMA}\n"
                           f"hint: write 1.000 (a decimal comma) or 1000 (a thousands separator); {SAVE}\n")


def test_the_estimator_and_an_exported_learner_say_it_of_text_cells(tmp_path: Path) -> None:
    """``SymbolicRegressor`` and an exported learner's regressor read text cells by the same rule (one
    ``_text_numbers``, copied into the module with ``comma_fix``)."""
    from mlevolve.estimator import SymbolicRegressor
    from tests.conftest import EXAMPLES, component_module

    X = np.array([[f"{i},5", str(i)] for i in range(30)], dtype=object)
    y = np.arange(30.0)
    want = ("X must hold numbers: X[0, 0]: '0,5' is not a number (write 0.5: a number's decimal point is '.', "
            "and it has no thousands separator)")
    with pytest.raises(ValueError) as raised:
        SymbolicRegressor(budget=5).fit(X, y)
    assert str(raised.value) == want
    module = component_module(tmp_path, EXAMPLES / "linear_regression.mlev", "linreg")
    with pytest.raises(ValueError) as raised:
        getattr(module, module.__all__[0])().fit(X, y)
    assert str(raised.value) == want


@pytest.mark.parametrize(("body", "column", "text", "fix"), [
    ("1,5 * x", 3, "1,5", "1.5"), ("x * 1,5e3", 7, "1,5e3", "1.5e3"),
    ("x + 1,000", 7, "1,000", "1.000 (a decimal comma) or 1000 (a thousands separator)")])
def test_a_literal_with_a_comma_is_said_so_at_the_number(capsys: Capsys, tmp_path: Path, body: str, column: int,
                                                         text: str, fix: str) -> None:
    (tmp_path / "c.mlev").write_text(f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  {body}\n")
    err = usage_error(capsys, "check", str(tmp_path / "c.mlev"))
    assert err.splitlines()[0] == f"{tmp_path / 'c.mlev'}:3:{column}: error: unexpected ',' in '{text}': {COMMA}"
    assert err.splitlines()[2] == "    " + " " * (column - 1) + "^" * len(text)
    assert err.splitlines()[3] == f"hint: write {fix}"


def test_a_comma_between_arguments_is_no_number(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "c.mlev").write_text("algorithm a\nformula f(x: Scalar) -> Scalar =\n  x + 1, 5\n")
    assert usage_error(capsys, "check", str(tmp_path / "c.mlev")).splitlines()[0].endswith("error: unexpected ','")
    assert mlevolve.check("algorithm a\nformula f(x: Scalar) -> Scalar =\n  max(1,5)") is not None


SIGNATURES = "signatures: max(Scalar, Scalar); max(Vector, Vector); max(Matrix, Matrix); max(Tensor, Tensor)"


@pytest.mark.parametrize(("call", "got", "said"), [
    ("max(1,5, x)", 3, "'1,5' is read as 2 arguments, 1 and 5: " + COMMA + ": write 1.5; "),
    ("max(x, 0,05)", 3, "'0,05' is read as 2 arguments, 0 and 05: " + COMMA + ": write 0.05; "),
    ("max(x, 1,000,000)", 4, "'1,000,000' is read as 3 arguments, 1, 000 and 000: " + COMMA + ": write 1000000; "),
    ("max(1, 5, x)", 3, ""), ("max(1,x, 5)", 3, ""), ("max(1.5,5, x)", 3, "")])
def test_a_call_given_too_many_arguments_names_a_number_split_at_its_comma(
        capsys: Capsys, tmp_path: Path, call: str, got: int, said: str) -> None:
    """``max(1,5, x)`` said "takes 2 arguments, got 3" with no word of the comma (qa73): integers abutting across a
    comma with no space are told as the number they may be, as the parser tells one where no comma goes; a space
    after the comma, a name, or a float among them is no such number."""
    (tmp_path / "c.mlev").write_text(f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  {call}\n")
    lines = usage_error(capsys, "check", str(tmp_path / "c.mlev")).splitlines()
    assert lines[0] == f"{tmp_path / 'c.mlev'}:3:3: error: in formula 'f': 'max' takes 2 arguments, got {got}"
    assert lines[3].startswith(f"hint: {said}{SIGNATURES}"), lines[3]


RANGE = "option n_train={} of task 'nguyen1' must be an integer from 3 to 1,000,000"
FORMULA_RANGE = "write e.g. nguyen1:n_train=20 (a formula's linear scaling a + b * f fits 2 points exactly)"


@pytest.mark.parametrize(("spec", "message", "hint"), [
    ("nguyen1:n_train=1,000", RANGE.format("1,000") + ": it has no thousands separator", "write nguyen1:n_train=1000"),
    ("nguyen1:n_train=2,000,000", RANGE.format("2,000,000") + ": it has no thousands separator", FORMULA_RANGE),
    ("nguyen1:n_train=1,5", RANGE.format("1,5"), FORMULA_RANGE), ("nguyen1:n_train=1.5", RANGE.format("1.5"),
                                                                 FORMULA_RANGE)])
def test_an_integer_task_option_with_a_comma_is_said_so(capsys: Capsys, tmp_path: Path, spec: str, message: str,
                                                        hint: str) -> None:
    """``--task nguyen1:n_train=1,000`` was told its range only (qa73); it is told the comma as a cell is, by the
    command and by an exported script alike (one reader: standalone.spec.int_option)."""
    (tmp_path / "f.mlev").write_text(program := "algorithm q\ntask nguyen1\nformula f(x: Scalar) -> Scalar = x * x\n")
    assert usage_error(capsys, "run", str(tmp_path / "f.mlev"), "--task", spec) == (
        f"mlevolve run: error: {message}\nhint: {hint}\n")
    script = tmp_path / "s.py"
    script.write_text(mlevolve.export(mlevolve.check(program)))
    done = run_child([sys.executable, str(script), "--task", spec], capture_output=True, text=True, cwd=tmp_path,
                     timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"s.py: error: {message}\nhint: {hint}\n")
