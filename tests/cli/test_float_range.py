"""A float flag's value beyond float64 (fix63: ``--max-time 1e400`` was answered "got inf", the value Python read,
not the one typed): every float flag of every command refuses it alike, naming what was typed and why, as the
language refuses such a literal (too large, or too small and not 0)."""

from __future__ import annotations

import argparse

import pytest

from mlevolve.cli import build_parser
from mlevolve.script import read_decimal
from tests.conftest import ROOT, Capsys, usage_error

QUARTIC = str(ROOT / "examples" / "quartic.mlev")


def float_flags() -> list[tuple[str, str]]:
    """(command, flag) of every option read as a float (argparse names its type "float")."""
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for command, parser in subparsers.choices.items():
        for action in parser._actions:
            if getattr(action.type, "__name__", "") == "float" and action.option_strings:
                found.append((command, max(action.option_strings, key=len)))
    return sorted(set(found))


def test_the_flags_are_found() -> None:
    assert {("evolve", "--max-time"), ("evolve", "--timeout")} <= set(float_flags())


@pytest.mark.parametrize(("command", "flag"), float_flags())
@pytest.mark.parametrize(("typed", "why"), [
    ("1e400", "1e400 is too large: a float64 is at most about 1.8e308"),
    ("1e-400", "1e-400 is too small: a float64 above 0 is at least about 5e-324 (write 0 if 0 is meant)"),
])
def test_every_float_flag_names_a_value_beyond_float64(capsys: Capsys, command: str, flag: str, typed: str,
                                                      why: str) -> None:
    args = [command, QUARTIC] if command in ("evolve", "run", "export") else [command]
    lines = usage_error(capsys, *args, flag, typed).splitlines()
    assert lines[0] == f"mlevolve {command}: error: argument {flag}: invalid float value: '{typed}'"
    assert lines[1] == f"hint: {why}; run `mlevolve {command} --help`"


@pytest.mark.parametrize("text", ["0", "0.0", "0e-999", "5e-324", "1.7e308", "0.5"])
def test_what_float64_holds_is_read(text: str) -> None:
    assert read_decimal(text) == float(text)
