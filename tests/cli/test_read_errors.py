"""A file that is not a run's archive, given to a command that reads one: what it is, and the path to pass.

The archive's refusals were written for a run (``pass a new --db path``: a new path starts a new
run), which a read command (best, show, report, export DB) cannot do: its hint names a run's archive.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mlevolve.cli import main
from tests.conftest import Capsys, usage_error

ARCHIVE = "pass a run's archive (the DB file that `mlevolve evolve --db DB` writes; runs/*.db by default)"
READERS = [["best", "{}"], ["show", "{}", "--best"], ["report", "{}", "-o", "{out}"],
           ["export", "--db", "{}", "--best", "-o", "{out}"]]


def _made(tmp_path: Path, kind: str) -> Path:
    if kind == "data":
        path = tmp_path / "data.csv"
        path.write_text("x,y\n1,2\n3,4\n")
    elif kind == "sqlite":
        path = tmp_path / "other.db"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (x)")
        conn.close()
    else:
        path = tmp_path / "folder.db"
        path.mkdir()
    return path


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0] + (" --db" if "--db" in c else ""))
@pytest.mark.parametrize("kind, error, hint", [
    ("data", "not an mlevolve archive: this is a data file", "a data file is a task: mlevolve evolve PROGRAM.mlev "
     "--task {}:target=y; " + ARCHIVE),
    ("sqlite", "not an mlevolve archive (no mlevolve tables)", f"it is another kind of file, or a corrupt one: "
     f"{ARCHIVE}"),
    ("folder", "cannot open archive: it is a folder", ARCHIVE)])
def test_a_read_command_given_what_is_not_an_archive_names_one(
        tmp_path: Path, capsys: Capsys, command: list[str], kind: str, error: str, hint: str) -> None:
    path = _made(tmp_path, kind)
    out = tmp_path / _output(command)
    argv = [a.format(path, out=out) for a in command]
    err = usage_error(capsys, *argv)
    assert err.splitlines() == [f"{path}: error: {error}", f"hint: {hint.format(path)}"]
    assert not out.exists()


def _output(command: list[str]) -> str:
    """An output the command takes (a report's an HTML page, a script a .py: another suffix is refused)."""
    return "out.html" if command[0] == "report" else "out.py"


TEXT_FILES = {  # file name, text, what it is named, how it is used: a program by its text too (`q.txt`)
    "program": ("q.txt", "algorithm q\nformula f(x: Scalar) -> Scalar = x\n", "a .mlev program",
                "mlevolve check {0} or mlevolve run {0}"),
    "meta": ("train.toml", 'program = "q.mlev"\n', "a meta configuration",
             "a meta configuration is run with `mlevolve meta FILE`"),
    "grammar": ("g.toml", 'extends = "base"\n', "a grammar file",
                "a grammar file is given as --grammar FILE to run, check, evolve and export")}


@pytest.mark.parametrize("command", [*READERS, ["show", "{}", "--sympy"]], ids=lambda c: " ".join(c[:3]))
@pytest.mark.parametrize("kind", TEXT_FILES)
def test_a_read_command_given_a_text_file_of_the_project_names_its_kind(
        tmp_path: Path, capsys: Capsys, command: list[str], kind: str) -> None:
    """`show train.toml --sympy` said "not an mlevolve archive (file is not a database)" (a fresh-user pass)."""
    name, text, what, use = TEXT_FILES[kind]
    path = tmp_path / name
    path.write_text(text)
    argv = [a.format(path, out=tmp_path / _output(command)) for a in command]
    if kind == "program" and command[-1] == "--sympy":  # a program's formula is printed, whatever its suffix
        assert main(argv) == 0 and capsys.readouterr().out == "x\n"
        return
    then = f"mlevolve show {path} --sympy prints its formula" if kind == "program" and command[0] == "show" \
        else ARCHIVE
    err = usage_error(capsys, *argv)
    assert err.splitlines() == [f"{path}: error: not an mlevolve archive: this is {what}",
                                f"hint: {use.format(path)}; {then}"]


def test_show_given_a_program_without_a_formula_does_not_offer_to_print_one(tmp_path: Path, capsys: Capsys) -> None:
    """`show adam.mlev` hinted "mlevolve show adam.mlev --sympy prints its formula", which then said it has none (a
    fresh-user pass); an unreadable program is offered no formula either."""
    from tests.conftest import EXAMPLES

    for path in (EXAMPLES / "adam.mlev", tmp_path / "broken.mlev"):
        if not path.exists():
            path.write_text("algorithm b\nformula f(x: Scalar) -> Scalar = x +\n")
        assert usage_error(capsys, "show", str(path)).splitlines() == [
            f"{path}: error: not an mlevolve archive: this is a .mlev program",
            f"hint: mlevolve check {path} or mlevolve run {path}"]


@pytest.mark.parametrize("kind", TEXT_FILES)
def test_a_run_given_a_text_file_of_the_project_as_its_archive_names_its_kind(
        tmp_path: Path, capsys: Capsys, kind: str) -> None:
    """`evolve q.mlev --db q.mlev` said "the file is corrupt or another kind of file"."""
    from tests.conftest import EXAMPLES

    name, text, what, use = TEXT_FILES[kind]
    path = tmp_path / name
    path.write_text(text)
    err = usage_error(capsys, "evolve", str(EXAMPLES / "quartic.mlev"), "--db", str(path), "--budget", "3")
    assert err.splitlines() == [f"{path}: error: not an mlevolve archive: this is {what}",
                                f"hint: {use.format(path)}; pass a new --db path"]
    assert path.read_text() == text  # untouched


def test_a_run_given_what_is_not_an_archive_is_told_to_pass_a_new_path(tmp_path: Path, capsys: Capsys) -> None:
    from tests.conftest import EXAMPLES

    path = _made(tmp_path, "data")
    err = usage_error(capsys, "evolve", str(EXAMPLES / "quartic.mlev"), "--db", str(path), "--budget", "3")
    assert err.splitlines() == [f"{path}: error: not an mlevolve archive: this is a data file",
                                "hint: a data file is a task: mlevolve evolve PROGRAM.mlev --task "
                                f"{path}:target=y; pass a new --db path"]
    assert path.read_text() == "x,y\n1,2\n3,4\n"  # untouched


@pytest.mark.parametrize("command", [["run", "{}"], ["evolve", "{}", "--budget", "3"], ["check", "{}"]])
def test_a_program_command_given_an_archive_points_to_show_and_export(
        tmp_path: Path, capsys: Capsys, command: list[str]) -> None:
    path = _made(tmp_path, "sqlite")
    err = usage_error(capsys, *[a.format(path) for a in command])
    assert err.splitlines() == [
        f"{path}: error: an SQLite database, not a .mlev program",
        f"hint: if it is a run's archive, `mlevolve show {path} --best` prints its best program and "
        f"`mlevolve export {path} --best -o best.py` writes it as a script"]


@pytest.mark.parametrize("command", [["run", "{}"], ["evolve", "{}", "--budget", "3"], ["check", "{}"],
                                     ["export", "{}", "-o", "{out}"]])
@pytest.mark.parametrize("suffix", [".csv", ".NPZ"])
def test_a_program_command_given_a_data_file_says_it_is_a_task(
        tmp_path: Path, capsys: Capsys, command: list[str], suffix: str) -> None:
    """``mlevolve export data.csv`` read the data as a program: ``unexpected 'x'`` at 1:1 (a fresh-user pass)."""
    path = (tmp_path / "my data").with_suffix(suffix)
    path.write_text("x,y\n1,2\n3,4\n")
    err = usage_error(capsys, *[a.format(path, out=tmp_path / "out.py") for a in command])
    task = f"'{path}:target=y'" if suffix == ".csv" else f"'{path}'"
    assert err.splitlines() == [f"{path}: error: a data file, not a .mlev program",
                                f"hint: a data file is a task: mlevolve run PROGRAM.mlev --task {task} (evolve and "
                                "export take it so too)"]
    assert not (tmp_path / "out.py").exists()
