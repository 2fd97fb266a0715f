"""A flag's mistake has a hint of its own: the one its check gives, else the flag's help as ``--help`` shows it
(a range a setting's owner checks, argparse's invalid choice without a close one), never only "run --help"."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mlevolve.cli import build_parser
from tests.conftest import Capsys, cli

ROOT = Path(__file__).resolve().parents[2]
QUARTIC = str(ROOT / "examples" / "quartic.mlev")


@pytest.mark.parametrize(("argv", "error", "hint"), [
    (["evolve", QUARTIC, "--algorithm", "islands", "--migrants", "0"], "--migrants must be at least 1, got 0",
     "--migrants N: islands: each island's fittest members copied to the next island of the ring (default 2); run "
     "`mlevolve evolve --help`"),
    (["evolve", QUARTIC, "--algorithm", "islands", "--islands", "1"], "--islands must be at least 2, got 1",
     "--islands N: islands: how many sub-populations (the population is split among them) (default 4); run "
     "`mlevolve evolve --help`"),
    (["evolve", QUARTIC, "--algorithm", "map-elites", "--size-bins", "0"], "--size-bins must be at least 1, got 0",
     "--size-bins N: map-elites: bins of program size (nodes of the evolved bodies) (default 12); run "
     "`mlevolve evolve --help`"),
    (["sample", "--type", "Scalar", "--method", "zzz"], "argument --method: invalid choice: 'zzz' (choose from "
     "'grow', 'full', 'ramped')", "--method: Koza's grow, full, or ramped half-and-half (default ramped); run "
     "`mlevolve sample --help`"),
    (["sample", "--type", "Scalar", "--method", "gorw"], "argument --method: invalid choice: 'gorw' (choose from "
     "'grow', 'full', 'ramped')", "did you mean 'grow'? run `mlevolve sample --help`"),  # a close one: named
])
def test_a_flags_mistake_is_hinted_by_the_flag(capsys: Capsys, tmp_path: Path, argv: list[str], error: str,
                                               hint: str) -> None:
    code, out, err = cli(capsys, *argv, "--db", str(tmp_path / "r.db")) if argv[0] == "evolve" else \
        cli(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"mlevolve {argv[0]}: error: {error}", f"hint: {hint}"]


POSITIONAL = {"check": ["missing.mlev"], "fmt": ["missing.mlev"], "run": ["missing.mlev"],
              "export": ["missing.mlev", "-o", "-"], "evolve": ["missing.mlev"], "meta": ["missing.toml"],
              "best": ["missing.db"], "show": ["missing.db"], "report": ["missing.db"], "sample": ["--type", "Scalar"],
              "tasks": []}


def test_no_flag_value_is_hinted_only_by_the_help(capsys: Capsys, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every flag of every command (but grammar's, which take files) given 0, 1e30 and zzz: each refused value's
    hint says more than "run `mlevolve COMMAND --help`" (values a command takes end at its missing file)."""
    monkeypatch.chdir(tmp_path)
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert set(commands) - {"grammar"} == set(POSITIONAL)
    bare = []
    for command, parser in commands.items():
        for action in parser._actions if command in POSITIONAL else ():
            flag = action.option_strings[-1] if action.option_strings else None
            taken = set(action.option_strings) & set(POSITIONAL[command])  # -o of export: given already
            if flag is None or action.nargs == 0 or action.help == argparse.SUPPRESS or taken:
                continue
            for value in ("0", "1e30", "zzz"):
                code, _, err = cli(capsys, command, *POSITIONAL[command], flag, value)
                if code == 2 and err.splitlines()[-1] == f"hint: run `mlevolve {command} --help`":
                    bare.append((command, flag, value, err.splitlines()[0]))
    assert bare == []


DECIMAL = ("a number is ASCII digits with an optional fraction and exponent, as 0.5 or 1e-3: no sign, inner space, "
           "comma (the decimal point is '.') or _")


@pytest.mark.parametrize(("flag", "value", "seconds"), [
    ("--max-time", "5m", "300"), ("--max-time", "1.5h", "5400"), ("--max-time", "90s", "90"),
    ("--max-time", "2min", "120"), ("--max-time", "1Hour", "3600"), ("--timeout", "30s", "30"),
    ("--timeout", "0.5MIN", "30"),
])
def test_a_time_flags_value_with_a_unit_is_answered_with_its_seconds(capsys: Capsys, tmp_path: Path, flag: str,
                                                                     value: str, seconds: str) -> None:
    """--max-time 5m (a fresh-user pass) was answered only with a number's rule: the hint says the flag is in
    seconds and what the value is in them."""
    code, out, err = cli(capsys, "evolve", QUARTIC, "--db", str(tmp_path / "r.db"), flag, value)
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"mlevolve evolve: error: argument {flag}: invalid float value: '{value}'",
                                f"hint: {flag} is in seconds: {value} is {flag} {seconds}; {DECIMAL}; run "
                                "`mlevolve evolve --help`"]


@pytest.mark.parametrize(("flag", "value"), [("--max-time", "5x"), ("--max-time", "m5"), ("--population", "5m")])
def test_a_value_with_no_unit_of_time_gets_the_numbers_rule_alone(capsys: Capsys, tmp_path: Path, flag: str,
                                                                  value: str) -> None:
    code, out, err = cli(capsys, "evolve", QUARTIC, "--db", str(tmp_path / "r.db"), flag, value)
    assert (code, out) == (2, "") and " is in seconds: " not in err and "invalid" in err


@pytest.mark.parametrize("option", ["--minutes", "--deadline", "--duration", "--timelimit", "--max-hours"])
def test_other_names_of_a_runs_clock_point_at_max_time(capsys: Capsys, tmp_path: Path, option: str) -> None:
    """--minutes 5 was "did you mean '--migrants'?", --deadline 5 no more than "run --help"."""
    code, out, err = cli(capsys, "evolve", QUARTIC, "--db", str(tmp_path / "r.db"), option, "5")
    assert (code, out) == (2, "")
    assert err.splitlines()[1].startswith("hint: did you mean --max-time? mlevolve evolve limits the whole search's "
                                          "wall-clock seconds by --max-time")
