"""Every error has one shape: one prefix (the command, or FILE:LINE:COL), a hint naming only options its command
takes, and a file not in UTF-8 reported at the bad byte.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

import re
import shlex
import sqlite3
from pathlib import Path

import pytest

from mlevolve.cli import build_parser, main
from tests.conftest import ROOT, Capsys, cli, usage_error

QUARTIC = ROOT / "examples" / "quartic.mlev"

# ------------------------------------------------------------------ 3, 9: every error has a hint; true hints
def _subcommands() -> dict[str, object]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return dict(action.choices)  # type: ignore[arg-type]


def test_every_hint_names_only_options_its_command_takes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.db").write_text("not an archive")
    (tmp_path / "q.mlev").write_text(QUARTIC.read_text())
    parsers = _subcommands()
    for argv in (["best", "x.db"], ["show", "x.db"], ["report", "x.db"], ["export", "--db", "x.db", "-o", "o.py"],
                 ["evolve", "q.mlev", "--db", "x.db"], ["report", "none.db", "--baseline", "x.db"],
                 ["best", "none.db"], ["show", "none.db"], ["show", "q.mlev"], ["report", "none.db"],
                 ["export", "-o", "o.py"], ["show", "x.db", "ab", "--best"], ["show", "x.db", "ab", "-n", "2"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        hint = next(line for line in err.splitlines() if line.startswith("hint: "))
        own = parsers[argv[0]]._option_string_actions  # type: ignore[attr-defined]
        assert all(w in own for w in re.findall(r"(?<![\w-])--?[a-z][a-z-]*", hint.split("mlevolve ")[0])), (argv, hint)
        for command in (c for c in hint.split("mlevolve ")[1:] if c.split()[0] in parsers):
            name, *words = shlex.split(command.split("`")[0].split(";")[0].split(",")[0].rstrip(")"))
            options = parsers[name]._option_string_actions  # type: ignore[attr-defined]
            assert all(w in options for w in words if w.startswith("-")), (argv, hint)


@pytest.mark.parametrize("argv", [["evolve", str(QUARTIC), "--bogus"], ["run"], ["run", str(QUARTIC), "--seed"],
                                  ["sample", "--type", "Tensor", "--method", "x"], ["show", "x.db", "--best", "--best"],
                                  ["check", "--grammar", "g.toml", str(QUARTIC)],
                                  ["run", str(QUARTIC), "--task", "d.csv:target=y"],
                                  ["run", str(QUARTIC), "--task", "d.npz"]])
def test_every_error_has_one_prefix_and_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys,
                                               argv: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.toml").write_text("[grammar\nname = 1\n")
    (tmp_path / "d.csv").write_bytes(b"a,y\n\xff,1\n")
    (tmp_path / "d.npz").write_bytes(b"not a zip")
    assert main(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith((f"mlevolve {argv[0]}: error: ", "g.toml:1:9: error: ", "d.csv:2:1: error: ",
                                "mlevolve run: error: cannot read d.")), lines
    assert lines[-1].startswith("hint: ") and len(lines) == 2, lines


@pytest.mark.parametrize(("name", "command", "data", "expected"), [
    ("m.toml", "meta", b'program = "a.mlev"\n# caf\xe9 \xe9\n',
     ["m.toml:2:6: error: not UTF-8 text (byte 0xe9 at offset 24)",
      "hint: a meta configuration (TOML) is UTF-8 text: save it as UTF-8"]),
    ("p.mlev", "check", "algorithm q\n# café\n".encode() + b"  # \xff\n",
     ["p.mlev:3:5: error: not UTF-8 text (byte 0xff at offset 24)",
      "hint: a .mlev program is UTF-8 text: save it as UTF-8"]),
])
def test_a_file_not_in_utf8_is_an_error_at_the_bad_byte(capsys: Capsys, tmp_path: Path, name: str, command: str,
                                                        data: bytes, expected: list[str]) -> None:
    (tmp_path / name).write_bytes(data)
    code, out, err = cli(capsys, command, str(tmp_path / name))
    assert code == 2 and out == ""
    assert err.replace(str(tmp_path) + "/", "").splitlines() == expected


@pytest.mark.parametrize(("argv", "what"), [(["meta", "{}"], "a meta configuration"),
                                            (["check", "--grammar", "{}", str(QUARTIC)], "a grammar file")])
def test_a_runs_archive_given_as_a_toml_file_is_named_one(capsys: Capsys, tmp_path: Path, argv: list[str],
                                                           what: str) -> None:
    """``--grammar full.db`` and ``meta full.db`` said "not UTF-8 text (bad byte at offset 102)"; a program's
    reader names an SQLite database as one."""
    db = tmp_path / "full.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    code, out, err = cli(capsys, *[a.format(db) for a in argv])
    assert code == 2 and out == "" and err.splitlines() == [
        f"{db}: error: an SQLite database, not {what} (TOML)",
        f"hint: a run's archive is read by `mlevolve best`, `show`, `report` and `export`; give the path of {what}"]


@pytest.mark.parametrize(("argv", "what"), [(["check", "-"], "a .mlev program"), (["run", "-"], "a .mlev program"),
                                            (["meta", "-"], "a meta configuration"),
                                            (["check", "--grammar", "-", str(QUARTIC)], "a grammar file"),
                                            (["show", "-"], "a run's archive"), (["best", "-"], "a run's archive"),
                                            (["report", "-"], "a run's archive")])
def test_standard_input_is_not_read_and_says_so(capsys: Capsys, argv: list[str], what: str) -> None:
    """``mlevolve check -`` said ``-: error: no such file`` (a fresh-user pass)."""
    lines = usage_error(capsys, *argv).splitlines()
    assert lines[0].endswith(f"error: {what} is read from a file, not from standard input ('-')")
    assert lines[1:] == ["hint: " + ("write it to a file and give its path" if what != "a run's archive" else
                                     "pass a run's archive (the DB file that `mlevolve evolve --db DB` writes; "
                                     "runs/*.db by default)")]


@pytest.mark.parametrize(("argv", "error", "hint"), [
    (["export", "{csv}", "--best", "-o", "{out}.mlev"], "a data file, not a .mlev program",
     "a data file is a task: mlevolve run PROGRAM.mlev --task {csv}:target=y (evolve and export take it so too)"),
    (["export", "{csv}", "abc", "-o", "{out}.py"], "a data file, not a .mlev program",
     "a data file is a task: mlevolve run PROGRAM.mlev --task {csv}:target=y (evolve and export take it so too)"),
    (["evolve", str(QUARTIC), "--db", "{csv}", "--budget", "3"], "not an mlevolve archive: this is a data file",
     "a data file is a task: mlevolve evolve PROGRAM.mlev --task {csv}:target=y; pass a new --db path"),
    (["check", "--grammar", "{csv}", str(QUARTIC)], "a data file, not a grammar file (TOML)",
     "a data file is a task (--task {csv}:target=y); give the path of a grammar file"),
    (["meta", "{npz}"], "a data file, not a meta configuration (TOML)",
     "a data file is a task (--task {npz}); give the path of a meta configuration"),
])
def test_a_data_file_where_a_program_archive_or_toml_file_is_read_is_named_a_task(
        capsys: Capsys, tmp_path: Path, argv: list[str], error: str, hint: str) -> None:
    """Each said another thing: a flag that goes with DB, "file is not a database", "not valid TOML: Expected '='",
    "not UTF-8 text" (a fresh-user pass); every reader now names a data file as ``run FILE.csv`` does."""
    paths = {"csv": tmp_path / "d.csv", "npz": tmp_path / "d.npz", "out": tmp_path / "out"}
    paths["csv"].write_text("x,y\n1,2\n")
    paths["npz"].write_bytes(b"PK\x03\x04 not read")
    err = usage_error(capsys, *[a.format(**paths) for a in argv])
    bad = paths["npz" if "{npz}" in argv else "csv"]
    assert err.splitlines() == [f"{bad}: error: {error}", "hint: " + hint.format(**paths)]
    assert paths["csv"].read_text() == "x,y\n1,2\n" and not list(tmp_path.glob("out*"))


META_CONFIG = ROOT / "benchmarks" / "meta" / "train.toml"
GRAMMAR_FILE = ROOT / "benchmarks" / "meta" / "learned.grammar.toml"
USE = {"a .mlev program": "a program is run with `mlevolve run FILE` and evolved with `mlevolve evolve FILE`",
       "a meta configuration": "a meta configuration is run with `mlevolve meta FILE`",
       "a grammar file": "a grammar file is given as --grammar FILE to run, check, evolve and export"}


@pytest.mark.parametrize(("argv", "given", "read"), [
    (["meta", str(QUARTIC)], "a .mlev program", "a meta configuration"),
    (["meta", str(GRAMMAR_FILE)], "a grammar file", "a meta configuration"),
    (["check", "--grammar", str(QUARTIC), str(QUARTIC)], "a .mlev program", "a grammar file"),
    (["evolve", str(QUARTIC), "--grammar", str(META_CONFIG), "--budget", "3"], "a meta configuration",
     "a grammar file"),
    (["check", str(META_CONFIG)], "a meta configuration", "a .mlev program"),
    (["run", str(GRAMMAR_FILE)], "a grammar file", "a .mlev program"),
    (["export", str(META_CONFIG), "-o", "{out}"], "a meta configuration", "a .mlev program"),
])
def test_one_kind_of_text_file_given_where_another_is_read_is_named(capsys: Capsys, tmp_path: Path, argv: list[str],
                                                                    given: str, read: str) -> None:
    """A program given to `meta` said "not valid TOML: Expected '=' after a key", a meta configuration given as a
    program "unexpected character '['", one given as --grammar "unknown section or key 'program'" (a fresh-user
    pass): each reader of the three text files names the kind it was given and how that kind is used."""
    err = usage_error(capsys, *[a.format(out=tmp_path / "out.py") for a in argv])
    file = {"a .mlev program": QUARTIC, "a meta configuration": META_CONFIG, "a grammar file": GRAMMAR_FILE}[given]
    assert err.splitlines() == [f"{file}: error: {given}, not {read}", f"hint: {USE[given]}"]
    assert not (tmp_path / "out.py").exists()


@pytest.mark.parametrize("kind", ["a .mlev program", "a meta configuration", "a grammar file"])
@pytest.mark.parametrize("reader", ["run", "--grammar", "meta"])
def test_a_text_file_of_the_project_named_as_a_data_file_is_read_by_its_text(
        capsys: Capsys, tmp_path: Path, kind: str, reader: str) -> None:
    """A program saved as `prog.csv` was refused as "a data file, not a .mlev program" (a fresh-user pass): a data
    suffix names a data file only where the text is none of the project's, so each reader reads its own kind and
    names another, as it does by any name."""
    source = {"a .mlev program": QUARTIC, "a meta configuration": META_CONFIG, "a grammar file": GRAMMAR_FILE}[kind]
    path = tmp_path / "saved.csv"
    path.write_text(source.read_text())
    argv = {"run": ["check", str(path)], "--grammar": ["check", "--grammar", str(path), str(QUARTIC)],
            "meta": ["meta", str(path)]}[reader]
    read = {"run": "a .mlev program", "--grammar": "a grammar file", "meta": "a meta configuration"}[reader]
    if kind != read:
        assert usage_error(capsys, *argv).splitlines() == [f"{path}: error: {kind}, not {read}", f"hint: {USE[kind]}"]
    elif reader == "meta":  # read as a configuration: its program, relative to it, is not beside the copy
        line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("program"))
        assert usage_error(capsys, *argv).startswith(f"{path}:{line}:1: error: `program` names no file")
    else:
        assert main(argv) == 0 and capsys.readouterr().out.endswith("ok (formula f)\n")


@pytest.mark.parametrize("kind", ["a .mlev program", "a meta configuration", "a grammar file"])
def test_a_text_file_of_the_project_given_as_a_task_is_named(capsys: Capsys, tmp_path: Path, kind: str) -> None:
    """`--task prog.csv:target=y` read a program as rows: "no column named 'y'", hint "columns: algorithm ab" (a
    fresh-user pass)."""
    source = {"a .mlev program": QUARTIC, "a meta configuration": META_CONFIG, "a grammar file": GRAMMAR_FILE}[kind]
    path = tmp_path / "saved.csv"
    path.write_text(source.read_text())
    assert usage_error(capsys, "run", str(QUARTIC), "--task", f"{path}:target=y").splitlines() == [
        f"{path}: error: {kind}, not a data file",
        f"hint: {USE[kind]}; a task's data file is a CSV with a header row, or an NPZ"]


@pytest.mark.parametrize("name", ["db.csv", "db.NPZ"])
def test_an_archive_saved_under_a_data_files_name_is_named_an_sqlite_database(
        capsys: Capsys, tmp_path: Path, name: str) -> None:
    """`check db.csv` said "a data file" and suggested it as a task, which then said "not UTF-8 text (byte 0xf8)" at
    2:2 (a fresh-user pass): a file that starts as an SQLite database is one, whatever its name."""
    path = tmp_path / name
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert usage_error(capsys, "check", str(path)).splitlines()[0] == f"{path}: error: an SQLite database, not a " \
        ".mlev program"
    spec = f"{path}:target=y" if name.endswith(".csv") else str(path)
    assert usage_error(capsys, "run", str(ROOT / "examples" / "linear_regression.mlev"), "--task", spec).splitlines() \
        == [f"{path}: error: an SQLite database, not a data file", "hint: a run's archive is read by `mlevolve best`, "
            "`show`, `report` and `export`; a task's data file is a CSV with a header row, or an NPZ"]


def test_a_broken_toml_file_given_as_a_program_is_named_by_its_suffix(capsys: Capsys, tmp_path: Path) -> None:
    """`check broken.toml` parsed it as a program ("unexpected 'program' ... expected 'algorithm'"), where `meta`
    reports its TOML (a fresh-user pass)."""
    broken = tmp_path / "broken.toml"
    broken.write_text('program = "x.mlev"\n[split\n')
    assert usage_error(capsys, "check", str(broken)).splitlines() == [
        f"{broken}: error: a TOML file, not a .mlev program",
        "hint: a grammar file is given as --grammar FILE; a meta configuration is run with `mlevolve meta FILE` "
        "(either reports where its TOML is broken)"]
    assert usage_error(capsys, "meta", str(broken)).startswith(f"{broken}:2:7: error: not valid TOML")


@pytest.mark.parametrize(("command", "db", "what"), [
    ("evolve", "-", "standard output"), ("evolve", "d.csv", "a data file"), ("meta", "-", "standard output"),
    ("meta", "d.NPZ", "a data file"), ("evolve", "p.mlev", "a .mlev program"), ("meta", "p.MLEV", "a .mlev program"),
    ("evolve", "empty.mlev", "a .mlev program"), ("evolve", "empty.csv", "a data file")])
def test_a_runs_archive_is_not_named_as_stdout_or_a_data_file(capsys: Capsys, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch, command: str, db: str,
                                                              what: str) -> None:
    """``--db -`` wrote a file named ``-`` and ``--db missing.csv`` an archive that ``export`` then refused as a data
    file (a fresh-user pass): every reader refuses those names, so a run does not write one.  Nor a program's name,
    nor an empty file so named, which SQLite would have made an archive (a fresh-user pass)."""
    monkeypatch.chdir(tmp_path)
    if db.startswith("empty"):
        (tmp_path / db).touch()
    first = str(QUARTIC) if command == "evolve" else str(ROOT / "benchmarks" / "meta" / "train.toml")
    lines = usage_error(capsys, command, first, "--db", db).splitlines()
    assert lines == [f"mlevolve {command}: error: --db {db} would name a run's archive as {what}, which every command "
                     "that reads an archive refuses", "hint: name it as a .db file, e.g. runs/run.db"]
    assert [(p.name, p.stat().st_size) for p in tmp_path.iterdir()] == ([(db, 0)] if db.startswith("empty") else [])
