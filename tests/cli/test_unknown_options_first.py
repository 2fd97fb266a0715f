"""An unknown option is the first mistake reported, in one line with exit status 2, before a missing
required argument: in every script built on ``mlevolve.script.ArgumentParser`` and in the ``mlevolve``
command (``mlevolve.script.unknown_options``)."""

from __future__ import annotations

import argparse
import sys

import pytest

from mlevolve.script import ArgumentParser, unknown_options
from tests.conftest import ROOT, Capsys, cli, environment, run_child

SCRIPTS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks").rglob("*.py")
                 if "ArgumentParser(" in p.read_text())


def _parser() -> ArgumentParser:
    parser = ArgumentParser(prog="tool.py")
    parser.add_argument("--db", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("file")
    return parser


@pytest.mark.parametrize(("argv", "shown"), [(["--bogus"], "--bogus"), (["--bogus=3", "--db", "x"], "--bogus=3"),
                                           (["--seed", "1", "--bo", "f", "--x"], "--bo --x")])
def test_an_unknown_option_comes_before_a_missing_argument(capsys: Capsys, argv: list[str], shown: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        _parser().parse_args(argv)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == [f"tool.py: error: unrecognized arguments: {shown}",
                                                    "hint: run `tool.py --help`"]


def test_values_are_not_options() -> None:
    parser = _parser()
    assert unknown_options(parser, ["--seed", "-1", "--db", "a b", "f"]) == []
    assert unknown_options(parser, ["f", "--", "--bogus"]) == []
    assert unknown_options(parser, ["--x", "--seed=2", "-y"]) == ["--x", "-y"]
    assert parser.parse_args(["--seed", "1e1", "--db", "d", "f"]) == argparse.Namespace(db="d", seed=10, file="f")
    with pytest.raises(SystemExit):  # -1 is a value, refused as one: no sign (the one rule of an integer)
        parser.parse_args(["--seed", "-1", "--db", "d", "f"])


def test_a_missing_argument_is_still_reported_when_every_option_is_known(capsys: Capsys) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["--seed", "1"])
    assert "the following arguments are required: --db, file" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "prog"), [(["run", "--bogus"], "mlevolve run"),
                                            (["evolve", "--bogus", "--budget", "3"], "mlevolve evolve"),
                                            (["grammar", "diff", "--bogus"], "mlevolve grammar diff"),
                                            (["--bogus", "run"], "mlevolve")])
def test_the_command_line_reports_an_unknown_option_first(capsys: Capsys, argv: list[str], prog: str) -> None:
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert err.splitlines() == [f"{prog}: error: unrecognized arguments: --bogus", f"hint: run `{prog} --help`"]


def test_every_script_uses_the_project_s_parser() -> None:
    assert "benchmarks/meta/operators.py" in SCRIPTS
    for script in SCRIPTS:
        text = (ROOT / script).read_text()
        assert "argparse.ArgumentParser(" not in text, script


@pytest.mark.e2e
@pytest.mark.parametrize("script", ["benchmarks/meta/operators.py", "benchmarks/meta/evidence.py"])
def test_a_script_given_an_unknown_option_says_so_first(script: str) -> None:
    done = run_child([sys.executable, str(ROOT / script), "--bogus"], capture_output=True, text=True,
                     timeout=120, env=environment())
    name = script.rsplit("/", 1)[1]
    assert (done.returncode, done.stderr.splitlines()) == (
        2, [f"{name}: error: unrecognized arguments: --bogus", f"hint: run `{name} --help`"])


@pytest.mark.parametrize("argv", [["a.db", "--best", "ab"], ["--best", "a.db", "ab"], ["a.db", "-n", "2", "ab"],
                                  ["a.db", "ab", "-n", "2", "--best"]])
def test_positionals_may_follow_options(argv: list[str]) -> None:
    """An optional positional after an option is read as that positional (argparse's plain parse filled it
    at its first chance, then refused the later one as unrecognised); each setting still given once."""
    parser = ArgumentParser(prog="tool.py")
    parser.add_argument("db")
    parser.add_argument("hash", nargs="?")
    parser.add_argument("--best", action="store_true")
    parser.add_argument("-n", type=int, default=1)
    args = parser.parse_args(argv)
    assert (args.db, args.hash) == ("a.db", "ab") and vars(args).keys() == {"db", "hash", "best", "n"}
    with pytest.raises(SystemExit):
        parser.parse_args([*argv, "-n", "3"] if "-n" in argv else [*argv, "--best", "--best"])
