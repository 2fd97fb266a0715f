"""Outputs are written whole or not at all, and only where they belong: a failed write leaves the old file and
no temporary one, a JSON log is appended to only by its own run, an output that is a directory is named so.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from pathlib import Path

import pytest

from mlevolve.cli import main
from tests.conftest import ROOT, Capsys

QUARTIC = ROOT / "examples" / "quartic.mlev"


# ------------------------------------------------------------------ 6: outputs whole or not at all; SIGTERM
def test_a_failed_write_leaves_the_old_output_and_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: Capsys) -> None:
    db = tmp_path / "q.db"
    assert main(["evolve", str(QUARTIC), "--budget", "5", "--db", str(db), "--quiet"]) == 0
    out = tmp_path / "q.html"
    assert main(["report", str(db), "-o", str(out)]) == 0
    before = out.read_bytes()
    capsys.readouterr()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    for argv in (["report", str(db), "-o", str(out)], ["export", "--db", str(db), "-o", str(tmp_path / "s.py")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"mlevolve {argv[0]}: error: cannot write ") and "No space left on device" in err
    assert out.read_bytes() == before and not (tmp_path / "s.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.db", "q.html"]  # no temporary file left


# ------------------------------------------------------------------ 8, 10: logs and outputs that are not ours
def test_json_log_appends_only_to_its_own_runs_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    run = ["evolve", str(QUARTIC), "--quiet", "--json-log", "log.jsonl"]
    assert main([*run, "--budget", "4", "--db", "a.db"]) == 0
    assert main([*run, "--budget", "6", "--db", "a.db"]) == 0  # the same run, resumed: its log goes on
    assert [json.loads(line)["seq"] for line in (tmp_path / "log.jsonl").read_text().splitlines()] == list(range(6))
    capsys.readouterr()
    before = (tmp_path / "log.jsonl").read_bytes()
    assert main([*run, "--budget", "4", "--db", "b.db"]) == 2
    assert capsys.readouterr().err == ("mlevolve evolve: error: log.jsonl is the JSON log of another run (its "
                                       "candidates are not in b.db): it is not appended to\nhint: pass another "
                                       "--json-log, or move the file away first\n")
    (tmp_path / "notes.txt").write_text("my notes\n")
    assert main([*run[:-1], "notes.txt", "--budget", "4", "--db", "b.db"]) == 2
    assert capsys.readouterr().err.startswith("mlevolve evolve: error: notes.txt exists and is not an mlevolve JSON "
                                              "log: it is not appended to\n")
    assert (tmp_path / "log.jsonl").read_bytes() == before and (tmp_path / "notes.txt").read_text() == "my notes\n"
    assert not (tmp_path / "b.db").exists()


def test_a_second_output_that_is_the_archive_is_refused_before_the_run(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: Capsys) -> None:
    """meta -o the archive's path wrote the generator over the new archive (a new user's pass), and --json-log the
    archive's path appended JSON into the SQLite file: neither file exists when the others' checks run.  By any
    spelling of the path, given as --db or the default."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    smoke = str(ROOT / "benchmarks" / "meta" / "smoke.toml")
    cases = [(["meta", smoke, "--db", "m.db", "-o", "./m.db"],
              "-o ./m.db is the run's archive (--db m.db): the generator would be written over it",
              "pass another -o, e.g. -o m.grammar.toml"),
             (["meta", smoke, "-o", "runs/meta-smoke.db"],
              "-o runs/meta-smoke.db is its default archive, as no --db is given: the generator would be written "
              "over it", "pass another -o, e.g. -o runs/meta-smoke.grammar.toml"),
             (["evolve", str(QUARTIC), "--budget", "4", "--db", "x.db", "--json-log", str(tmp_path / "x.db")],
              f"--json-log {tmp_path / 'x.db'} is the run's archive (--db x.db): the log would be appended into the "
              "SQLite file", "pass another --json-log, e.g. --json-log x.jsonl")]
    for argv, message, hint in cases:
        assert main([*argv, "--quiet"]) == 2
        assert capsys.readouterr().err == f"mlevolve {argv[0]}: error: {message}\nhint: {hint}\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["runs"]  # nothing written


def test_a_log_s_lines_of_candidates_a_kill_lost_are_logged_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: Capsys) -> None:
    """kill -9 loses the uncommitted rows, not their log lines: the resumed run scored and logged them again, so
    the log held 222 lines twice for 6,000 candidates (a new user's pass).  Such lines are taken out as the run
    resumes: one line a candidate, in order."""
    monkeypatch.chdir(tmp_path)
    run = ["evolve", str(QUARTIC), "--quiet", "--json-log", "log.jsonl", "--db", "a.db"]
    assert main([*run, "--budget", "6"]) == 0
    whole = (tmp_path / "log.jsonl").read_text()
    assert main([*run, "--budget", "10"]) == 0
    log = (tmp_path / "log.jsonl").read_text()
    (tmp_path / "log.jsonl").write_text(whole)
    with sqlite3.connect(tmp_path / "a.db") as db:  # as a kill leaves it: rows 4 and 5 lost, their lines kept
        db.execute("delete from candidates where seq >= 4")
    assert main([*run, "--budget", "10"]) == 0
    assert (tmp_path / "log.jsonl").read_text().splitlines() == log.splitlines()


@pytest.mark.parametrize(("argv", "flag", "example"), [
    (["export", "--db", "a.db", "-o", "runs"], "-o", "runs/out.py"),
    (["report", "a.db", "-o", "runs"], "-o", "runs/report.html"),
    (["evolve", str(QUARTIC), "--db", "b.db", "--json-log", "runs"], "--json-log", "runs/log.jsonl"),
])
def test_an_output_that_is_a_directory_is_named_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys,
                                                    argv: list[str], flag: str, example: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["evolve", str(QUARTIC), "--budget", "3", "--db", "a.db", "--quiet"]) == 0
    (tmp_path / "runs").mkdir()
    capsys.readouterr()
    assert main(argv) == 2
    assert capsys.readouterr().err == (f"mlevolve {argv[0]}: error: runs is a folder\n"
                                       f"hint: pass a file path as {flag}, e.g. {example}\n")


@pytest.mark.parametrize("argv, setting", [
    (["evolve", str(QUARTIC), "--budget", "5", "--json-log", "/proc/mlevolve-x.jsonl", "--db", "{tmp}/q.db"],
     "--json-log"),
    (["meta", str(ROOT / "benchmarks" / "meta" / "train.toml"), "--db", "{tmp}/m.db", "-o", "/proc/x.grammar.toml"],
     "-o"),
    (["export", str(QUARTIC), "-o", "/proc/mlevolve-x.py"], "-o"),
])
def test_an_output_in_a_folder_no_file_can_be_made_in_is_refused_before_the_work(
        tmp_path: Path, capsys: Capsys, argv: list[str], setting: str) -> None:
    """``meta -o /proc/x.toml`` ran its whole search (110 s for train.toml) before saying it cannot write there, and
    ``evolve --json-log /proc/x`` made the archive first (a new user's pass): an existing folder is not enough, a
    file must be makeable in it (api.check_output makes one and removes it).  Nothing is made, the work not begun."""
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"mlevolve {argv[0]}: error: cannot write /proc/") and len(err) == 2
    assert err[1] == f"hint: pass another {setting}, in a folder you can write"
    assert list(tmp_path.iterdir()) == []


def test_fmt_write_that_cannot_replace_its_file_says_so_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: Capsys) -> None:
    """An immutable file: the error lacked the command's name and its hint said to free disk space."""
    program = tmp_path / "q.mlev"
    program.write_text("algorithm q\nformula f(x: Scalar) -> Scalar =\n    x\n")

    def refused(src: object, dst: object) -> None:
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "replace", refused)
    assert main(["fmt", "--write", str(program)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"mlevolve fmt: error: cannot write {program}: Operation not permitted",
        "hint: check the file's and its folder's permissions (read-only, immutable?); the old file, if there was one, "
        "is unchanged"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.mlev"]
