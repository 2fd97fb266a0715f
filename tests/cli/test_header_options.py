"""An exported program's first line read strictly, each option as its flag (warn89), and the hint for an argument
after ``--``, which is a FILE whatever it looks like."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.cli import main

# -- an exported program's first line: each option read as its flag is --------------------------------------------
HEADER = "# Exported by mlevolve from r.db (the run's settings: mlevolve run FILE {})\n"
FORMULA = "algorithm a\ntask nguyen1\n\nformula f(x: Scalar) -> Scalar =\n  x * x\n"


@pytest.mark.parametrize(("options", "word", "said", "hint"), [
    ("--seed 99999999999999999999999", "99999999999999999999999",
     "--seed 99999999999999999999999: --seed must be at least 0 and below 2**63, got 99999999999999999999999",
     "a seed is a whole number from 0 to 2**63 - 1; or export it again"),
    ("--seed -3", "-3", "--seed -3: no integer", "an integer is ASCII digits, as 20 or 1e3: no sign, inner space, "
     "comma, decimal point or _; or export it again"),
    ("--seed \uff15", "\uff15", "--seed \uff15: no integer", "an integer is ASCII digits, as 20 or 1e3: no sign, "
     "inner space, comma, decimal point or _; or export it again"),
    ("--epochs 0", "0", "--epochs 0: --epochs must be at least 1, got 0",
     "pass --epochs 1 or more; or export it again"),
    ("--seed 2 --sed 4", "--sed", "'--sed', no option of an exported program's",
     "its options are --seed, --epochs, --task; export it again"),
    ("--task", "--task", "--task without its value", "give --task a value, or export it again"),
    ("--seed 'x", "--seed 'x", "options whose quotes do not pair", "export it again, or pair the quotes"),
])
@pytest.mark.parametrize("command", ["run", "check"])
def test_a_malformed_header_option_is_an_error_at_its_column(
        options: str, word: str, said: str, hint: str, command: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """fuzz88: --seed -3 or a full-width digit ran silently on seed 0; 10**23 was refused with no LINE:COL."""
    monkeypatch.chdir(tmp_path)
    line = HEADER.format(options)
    Path("h.mlev").write_text(line + FORMULA, encoding="utf-8")
    assert main([command, "h.mlev"]) == 2
    lines = capsys.readouterr().err.splitlines()
    column = line.index(word, line.index("FILE")) + 1
    assert lines[0] == f"h.mlev:1:{column}: error: its first line names {said}" and lines[-1] == f"hint: {hint}"


@pytest.mark.parametrize(("options", "read"), [("--seed 1e3", {"seed": 1000}), ("--epochs 3 --seed 2", {"epochs": 3,
                                               "seed": 2}), ("--task 'd.csv:target=y' --seed 2", {"seed": 2})])
def test_a_header_s_options_are_read_as_their_flags_read_them(options: str, read: dict[str, int]) -> None:
    assert api.exported_settings(api.parse(HEADER.format(options) + FORMULA)) == read


def test_an_option_after_dashes_is_said_to_be_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    """fuzz88: run F -- --task was told --task is an option of export and evolve, not of run."""
    for argv in (["run", "examples/quartic.mlev", "--", "--task"], ["best", "x.db", "--", "--task"],
                 ["export", "x.db", "-o", "x.py", "--", "--task"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.splitlines()
        assert err[0] in (f"mlevolve {argv[0]}: error: unrecognized arguments: --task",
                          f"mlevolve {argv[0]}: error: unrecognized arguments: -- --task")
        assert err[1:] == [f"hint: after -- every argument is a FILE ('--task' too), and mlevolve {argv[0]} takes "
                           f"no more; put options before --; run `mlevolve {argv[0]} --help`"]
