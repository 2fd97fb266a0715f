"""An error quotes what a user gave (a cell, a column name, a flag, a path) with its control characters escaped.

A binary or mis-encoded CSV holds NUL, ESC and other bytes a terminal acts on rather than shows; printed raw in an
error they cleared, coloured or reordered the user's terminal (qa73: ``column 'b': '^@' is not a number``).  Every
printer of an error escapes them as a Python string literal does (``'\\x00'``): the library's :class:`MlevError`
(its message, hint and file), an exported script's errors, and the benchmark scripts' flag errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlevolve
from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.standalone.spec import TaskError
from mlevolve.interpreter.standalone.spelling import printable
from tests.conftest import FORMULA_AB, Capsys, regression_csv, run_child, usage_error


def _shown(text: str) -> bool:
    """Whether ``text`` holds no character a terminal would act on (newlines apart: a message's lines)."""
    return all(ch.isprintable() for line in text.split("\n") for ch in line)


@given(st.text())
def test_printable_escapes_exactly_the_unprintable(text: str) -> None:
    shown = printable(text)
    assert _shown(shown)
    assert (shown == text) == _shown(text)  # printable text is left as it is
    assert shown.count("\n") == text.count("\n")


@given(st.text(), st.text(), st.text(min_size=1))
def test_an_error_renders_no_control_character(message: str, hint: str, file: str) -> None:
    err = MlevError(message, hint=hint, file=file)
    assert _shown(str(err)) and _shown(err.message) and _shown(err.hint or "")
    err.hint = hint + "\x1b[2J"  # a hint added to later is escaped too
    assert err.hint.endswith("\\x1b[2J")
    task = TaskError(message, hint)
    assert _shown(task.message) and _shown(task.hint)


def test_an_escape_cell_is_quoted_escaped_and_a_nul_one_refuses_the_file_as_binary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    """A cell's ESC is quoted escaped; a NUL byte, which no text file holds, refuses the whole file as binary before
    any cell is read, in the words a .mlev file with one is refused in (qafix74: it was read as a CSV)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.mlev").write_text(FORMULA_AB)
    lines = regression_csv(tmp_path / "d.csv").read_bytes().split(b"\n")
    nul = len(b"\n".join(lines[:2])) + 1 + lines[2].index(b",") + 1  # the byte after line 3's first cell and comma
    for char, want in ((b"\x1b", "d.csv:3:2: error: column 'b': '\\x1b' is not a number\n"
                                 "hint: every cell must hold a number, except a target of class labels\n"),
                       (b"\x00", f"d.csv: error: binary file (a NUL byte at offset {nul})\n"
                                 "hint: a data file is a UTF-8 .csv with a header row, or an .npz written by "
                                 "numpy.savez(path, X=..., y=...)\n")):
        (tmp_path / "d.csv").write_bytes(b"\n".join([*lines[:2], lines[2].split(b",")[0] + b"," + char + b",1.0",
                                                     *lines[3:]]))
        assert usage_error(capsys, "run", "f.mlev", "--task", "d.csv:target=y") == want
    (tmp_path / "g.mlev").write_bytes(FORMULA_AB.encode()[:5] + b"\x00")
    assert usage_error(capsys, "run", "g.mlev") == (
        "g.mlev: error: binary file (a NUL byte at offset 5)\nhint: a .mlev program is UTF-8 text\n")


def test_a_column_name_and_a_spec_are_quoted_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.mlev").write_text(FORMULA_AB)
    text = regression_csv(tmp_path / "d.csv").read_text()
    (tmp_path / "e.csv").write_text(text.replace("a,b,y", "a,b\x01,y", 1))
    assert usage_error(capsys, "run", "f.mlev", "--task", "e.csv:target=y") == (
        "f.mlev:2:22: error: e.csv: no column for parameter b; column b\\x01 not used by the formula\n"
        "    formula f(a: Scalar, b: Scalar) -> Scalar = a * b\n" + " " * 25 + "^\n"
        "hint: rename column 'b\\x01' in the file: a parameter's name is ASCII letters, digits, _, not a keyword\n")
    assert usage_error(capsys, "run", "f.mlev", "--task", "d.csv:target=y\x1b[31m").splitlines()[0] == (
        "mlevolve run: error: d.csv: no column named 'y\\x1b[31m'")
    assert usage_error(capsys, "run", "f.mlev", "--tas\x1b").splitlines()[0] == (
        "mlevolve run: error: unrecognized arguments: --tas\\x1b")


def test_an_exported_script_quotes_escaped(tmp_path: Path) -> None:
    regression_csv(tmp_path / "d.csv")
    script = tmp_path / "s.py"
    script.write_text(mlevolve.export(mlevolve.check(FORMULA_AB), str(tmp_path / "d.csv") + ":target=y"))
    for args, first in ((["--f\x1b"], "s.py: error: unrecognized arguments: --f\\x1b"),
                        (["--task", "d.csv:target=y\x1b"], "d.csv:1:3: error: no column named 'y\\x1b'"),
                        (["--task", "digits"], "s.py: error: a formula program cannot run on task 'digits'")):
        done = run_child([sys.executable, str(script), *args], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert done.stderr.splitlines()[0] == first
        assert _shown(done.stderr)
