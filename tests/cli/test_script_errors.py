"""The benchmark scripts end a user's mistake as the command line does (``mlevolve.script.run``): one
error line naming the file, a hint, exit status 2, no traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mlevolve.dsl.errors import MlevError
from mlevolve.messages import DECIMAL_RULE, INTEGER_RULE
from mlevolve.script import at_least, int_list, positive, read_json, read_json_lines, run
from tests.conftest import ROOT, run_child


@pytest.mark.e2e
@pytest.mark.parametrize(("script", "args", "first"), [
    ("benchmarks/diversity.py", ["--table", "nope.json"], "diversity.py: error: nope.json: no such file"),
    ("benchmarks/peers.py", ["--summarise", "nope.jsonl"], "peers.py: error: nope.jsonl: no such file"),
    ("benchmarks/meta/evidence.py", ["--config", "nope.toml", "--db", "nope.db", "--out", "x"],
     "nope.toml: error: no such file"),
    ("benchmarks/meta/noise.py", ["--config", "nope.toml", "--generators", "g.toml", "--out", "x.json"],
     "nope.toml: error: no such file"),
    ("benchmarks/replay_scoring.py", ["--load", "nope.json"], "replay_scoring.py: error: nope.json: no such file"),
    ("benchmarks/replay_scoring.py", ["--load", "nope"], "replay_scoring.py: error: nope: a folder, not a file"),
    ("benchmarks/replay_scoring.py", ["--save", "nope/r.json"], "replay_scoring.py: error: --save nope/r.json: no "
     "folder nope"),
])
def test_a_script_given_a_missing_file_says_so_in_one_line(tmp_path: Path, script: str, args: list[str],
                                                            first: str) -> None:
    if args[-1] == "nope":  # a folder where a file is wanted
        (tmp_path / "nope").mkdir()
    done = run_child([sys.executable, str(ROOT / script), *args], capture_output=True, text=True,
                     cwd=str(tmp_path), timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0].startswith(first)
    assert "nope" in done.stderr


def test_run_prints_the_error_and_its_hint_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    def main() -> int:
        raise MlevError("no such task 'x'", hint="tasks: linear, digits")

    with pytest.raises(SystemExit) as stopped:
        run(main)
    assert stopped.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith(": error: no such task 'x'") and err[1] == "hint: tasks: linear, digits"


def test_run_exits_with_main_s_status() -> None:
    for status, expected in ((None, 0), (0, 0), (3, 3)):
        with pytest.raises(SystemExit) as stopped:
            run(lambda status=status: status)
        assert stopped.value.code == expected


@pytest.mark.e2e
@pytest.mark.parametrize(("script", "args", "first"), [
    ("benchmarks/peers.py", ["--summarise", "bad.jsonl"], "bad.jsonl:2:1: error: not JSON"),
    ("benchmarks/peers.py", ["--quick", "--matched", "bad.jsonl", "--engines", "operon-matched"],
     "bad.jsonl:2:1: error: not JSON"),
    ("benchmarks/diversity.py", ["--table", "bad.jsonl"], "bad.jsonl:2:1: error: not JSON"),
    ("benchmarks/peers.py", ["--summarise", "other.json"],
     "other.json:1:1: error: not a --out file of an earlier run: no 'engine', 'problem', 'seed', 'test_r2', 'size', "
     "'used', 'wall', 'cpu' field"),
    ("benchmarks/peers.py", ["--summarise", "alien.jsonl"],
     "alien.jsonl:1:1: error: not a --out file of an earlier run: unknown engine 'bogus'"),
    ("benchmarks/peers.py", ["--summarise", "typed.jsonl"],
     "typed.jsonl:1:1: error: not a --out file of an earlier run: test_r2 is \"abc\", not a number"),
    ("benchmarks/peers.py", ["--summarise", "empty.jsonl"], "peers.py: error: no runs in empty.jsonl"),
    ("benchmarks/diversity.py", ["--table", "other.json"],
     "other.json:1:1: error: not a results file this script wrote: no 'budget', 'seeds', 'seconds', 'summary' field"),
    ("benchmarks/peers.py", ["--quick", "--problems", "nguyen1,bogus"], "peers.py: error: --problems: unknown 'bogus'"),
    ("benchmarks/peers.py", ["--quick", "--engines", "bogus"], "peers.py: error: --engines: unknown 'bogus'"),
])
def test_a_script_given_a_bad_file_or_name_says_so_in_one_line(tmp_path: Path, script: str, args: list[str],
                                                               first: str) -> None:
    run = {"engine": "deap", "problem": "nguyen1", "seed": 0, "test_r2": 1.0, "size": 5, "used": 9, "wall": 1, "cpu": 1}
    (tmp_path / "bad.jsonl").write_text(json.dumps(run) + "\nnot json\n")
    (tmp_path / "alien.jsonl").write_text(json.dumps({**run, "engine": "bogus"}) + "\n")
    (tmp_path / "typed.jsonl").write_text(json.dumps({**run, "test_r2": "abc"}) + "\n")
    (tmp_path / "empty.jsonl").write_text("\n")
    (tmp_path / "other.json").write_text('[1, 2]\n')
    done = run_child([sys.executable, str(ROOT / script), *args], capture_output=True, text=True,
                     cwd=str(tmp_path), timeout=120)
    assert (done.returncode, "Traceback" in done.stderr) == (2, False), done.stderr
    assert done.stderr.splitlines()[0] == first or done.stderr.splitlines()[0].startswith(first + ":")
    assert done.stderr.splitlines()[1].startswith("hint: ")


def test_read_json_lines_gives_each_line_or_the_bad_one_s_place(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"a": 1}\n\n[2]\n')
    assert read_json_lines(good, "x") == [{"a": 1}, [2]]
    (tmp_path / "bad.json").write_text('{\n  "a": }')
    with pytest.raises(MlevError) as caught:
        read_json(tmp_path / "bad.json", "a results file")
    assert caught.value.file == str(tmp_path / "bad.json") and caught.value.span is not None
    assert (caught.value.span.line, caught.value.span.column) == (2, 8)
    assert caught.value.hint == "give a results file"
    (tmp_path / "other.jsonl").write_text('{"engine": "deap", "seed": 0}\n{"seed": 1}\n')
    with pytest.raises(MlevError) as caught:
        read_json_lines(tmp_path / "other.jsonl", "an --out file", ("engine", "seed"))
    assert caught.value.message == "not an --out file: no 'engine' field"
    assert caught.value.span is not None and caught.value.span.line == 2


@pytest.mark.e2e
@pytest.mark.parametrize(("script", "args", "last", "hint"), [  # as the mlevolve command words them (AT_LEAST, rules)
    ("benchmarks/peers.py", ["--seeds", "0", "--problems", "nguyen1", "--engines", "deap"],
     "peers.py: error: --seeds must be at least 1, got 0", "pass --seeds 1 or more"),
    ("benchmarks/diversity.py", ["--seeds", "0", "--budget", "5", "--output", "out.json"],
     "diversity.py: error: --seeds must be at least 1, got 0", "pass --seeds 1 or more"),
    ("benchmarks/diversity.py", ["--seeds", "-1"], "diversity.py: error: argument --seeds: invalid int value: '-1'",
     f"{INTEGER_RULE}; run `diversity.py --help`"),
    ("benchmarks/fitting.py", ["--seeds", "0,x", "--size-seeds", ""],
     "fitting.py: error: argument --seeds: invalid comma-separated int value: '0,x'",
     f"{INTEGER_RULE}; run `fitting.py --help`"),
    ("benchmarks/fitting.py", ["--problems", "nguyen1,bogus"],  # refused before its first run, not after
     "fitting.py: error: argument --problems: unknown point set 'bogus'; the point sets: koza_quartic, nguyen1, "
     "nguyen2, nguyen3, nguyen4, nguyen5, nguyen6, nguyen7, nguyen8", "run `fitting.py --help`"),
    ("benchmarks/learner_throughput.py", ["--seconds", "0"],
     "learner_throughput.py: error: argument --seconds: must be a finite number above 0, got '0'",
     "run `learner_throughput.py --help`"),
    ("benchmarks/learner_throughput.py", ["--seconds", "x"],
     "learner_throughput.py: error: argument --seconds: invalid float value: 'x'",
     f"{DECIMAL_RULE}; run `learner_throughput.py --help`"),
])
def test_a_script_given_a_count_it_cannot_run_with_is_a_usage_error(tmp_path: Path, script: str, args: list[str],
                                                                     last: str, hint: str) -> None:
    done = run_child([sys.executable, str(ROOT / script), *args], capture_output=True, text=True,
                     cwd=str(tmp_path), timeout=120)
    assert (done.returncode, "Traceback" in done.stderr) == (2, False), done.stderr
    assert done.stderr.splitlines() == [last, f"hint: {hint}"]  # no usage lines


def test_at_least_and_int_list_parse_or_say_why_not() -> None:
    """A bad integer is argparse's ValueError (its message "invalid int value", the hint the rule: as the mlevolve
    command's integer flags; they said "expected a whole number, got ..." with the rule in the message)."""
    import argparse

    assert at_least(1)("3") == 3 and at_least(0)("0") == 0
    with pytest.raises(argparse.ArgumentTypeError, match="must be at least 1, got 0"):
        at_least(1)("0")
    for text in ("-2", "2.5", "\u0663"):  # an Arabic-Indic 3: ASCII digits only, as the command line reads them
        with pytest.raises(ValueError, match="invalid integer"):
            at_least(1)(text)
    assert int_list("0,1, 2,") == [0, 1, 2] and int_list("") == []
    with pytest.raises(ValueError, match="invalid integer"):
        int_list("1,a")
    assert (at_least(1).__name__, int_list.__name__, positive.__name__) == ("int", "comma-separated int", "float")


def test_positive_takes_a_finite_number_above_zero() -> None:
    import argparse

    assert positive("0.5") == 0.5 and positive("3") == 3.0 and positive("1e-3") == 0.001 and positive("5.") == 5.0
    assert positive(" 5") == positive("5 ") == positive("\t5\n") == 5.0  # space around a value is none of it
    for text in ("0", "0e5"):
        with pytest.raises(argparse.ArgumentTypeError, match="above 0"):
            positive(text)
    for text in ("-1", "+5", "5 0", " 5 .0", "nan", "inf", "x", "1_0", "\u0663", "0x1p3"):  # float() takes most
        with pytest.raises(ValueError, match="invalid number"):
            positive(text)


def _float_flags() -> list[tuple[str, str]]:
    """(command, flag) of every float flag of mlevolve: each reads a user's decimal number by one rule."""
    import argparse

    from mlevolve.cli import _Ascii, build_parser

    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return [(command, action.option_strings[-1]) for command, parser in subs.choices.items()
            for action in parser._actions if isinstance(action.type, _Ascii) and action.type.kind is float]


@pytest.mark.parametrize("text", ["+5", "5 0", "-1", "nan", "inf", "1_0", "\u0663"])
def test_every_float_flag_takes_one_rule_of_a_decimal_number(capsys: pytest.CaptureFixture[str], text: str) -> None:
    from mlevolve import cli

    flags = _float_flags()
    assert ("evolve", "--timeout") in flags and ("evolve", "--memory-limit") in flags
    for command, flag in flags:
        code = cli.main([command, "x", f"{flag}={text}"])
        err = capsys.readouterr().err
        assert code == 2 and err == (f"mlevolve {command}: error: argument {flag}: invalid float value: {text!r}\n"
                                     f"hint: {DECIMAL_RULE}; run `mlevolve {command} --help`\n"), (command, flag)


@pytest.fixture(scope="module")
def evolve_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archive of a short ``mlevolve evolve`` run (no meta-generations), which each script below reads."""
    from mlevolve.cli import main

    db = tmp_path_factory.mktemp("evolve") / "evolve.db"
    assert main(["evolve", str(ROOT / "examples/quartic.mlev"), "--evolve", "f", "--budget", "4", "--db", str(db),
                 "--quiet"]) == 0
    return db


@pytest.mark.e2e
@pytest.mark.parametrize(("script", "args"), [("evidence.py", ["--mode", "plot"]), ("evidence.py", ["--mode", "trend"]),
                                              ("operators.py", [])])  # operators.py has no --mode: one run of it
def test_the_meta_evidence_scripts_given_an_evolve_archive_say_it_is_not_a_meta_run_s(
        tmp_path: Path, evolve_archive: Path, script: str, args: list[str]) -> None:
    db, config = evolve_archive, str(ROOT / "benchmarks/meta/repro.toml")
    done = run_child([sys.executable, str(ROOT / "benchmarks/meta" / script), "--db", str(db), "--out",
                      str(tmp_path), *args, "--config", config], capture_output=True, text=True,
                     cwd=str(tmp_path), timeout=120)
    assert (done.returncode, "Traceback" in done.stderr) == (2, False), done.stderr
    assert done.stderr.splitlines() == [
        f"{db}: error: not the archive of a `mlevolve meta` run (it has no meta-generations)",
        "hint: pass --db the archive a `mlevolve meta CONFIG` run wrote"]
