"""The fifth QA pass's findings, each a test of the right behaviour: a mistyped option's closest option
in the hint, the expected form at a header or keyword position of a .mlev file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.script import ArgumentParser
from tests.conftest import Capsys, cli


@pytest.mark.parametrize(("argv", "prog", "meant"), [
    (["show", "x.db", "--bset"], "mlevolve show", "--best"),
    (["evolve", "f.mlev", "--bugdet", "3"], "mlevolve evolve", "--budget"),
    (["--verison"], "mlevolve", "--version"),
    (["meta", "c.toml", "--quite"], "mlevolve meta", "--quiet"),
    (["export", "f.mlev", "--compnent=x"], "mlevolve export", "--component")])
def test_a_mistyped_option_names_the_closest_one(capsys: Capsys, argv: list[str], prog: str, meant: str) -> None:
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert err.splitlines()[1] == f"hint: did you mean '{meant}'? run `{prog} --help`"


def test_an_option_close_to_none_keeps_the_plain_hint(capsys: Capsys) -> None:
    code, _, err = cli(capsys, "show", "x.db", "--zzzzzz")
    assert code == 2 and err.splitlines()[1] == "hint: run `mlevolve show --help`"


def test_a_script_parser_names_the_closest_option(capsys: Capsys) -> None:
    parser = ArgumentParser(prog="bench.py")
    parser.add_argument("--repeats", type=int)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--repaets", "3"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == ["bench.py: error: unrecognized arguments: --repaets",
                                                    "hint: did you mean '--repeats'? run `bench.py --help`"]


@pytest.mark.parametrize(("text", "form"), [
    ("task quartic\nformula f(x: Scalar) -> Scalar = x\n", "a program starts with `algorithm NAME`"),
    ("algorithm a\ntask\n", 'the task line is `task NAME` or `task "data.csv:target=y"`'),
    ("algorithm a\nformula f(x: Scalar) -> Scalar = let y x\n", "a binding is `let NAME = EXPR in EXPR`"),
    ("algorithm a\nformula f(x: Scalar) -> Scalar = let y = x y\n", "a binding is `let NAME = EXPR in EXPR`"),
    ("algorithm a\nformula f(x Scalar) -> Scalar = x\n", "a definition is `KIND NAME(NAME: Type, ...) -> Type"),
    ("algorithm a\nformula f(x: Scalar) Scalar = x\n", "a definition is `KIND NAME(NAME: Type, ...) -> Type"),
    ("algorithm a\nformula f(x: Scalar) -> Scalar x\n", "a definition is `KIND NAME(NAME: Type, ...) -> Type")])
def test_a_syntax_error_at_a_header_or_keyword_gives_the_form(capsys: Capsys, tmp_path: Path, text: str,
                                                               form: str) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 2
    hint = err.splitlines()[-1]
    assert hint.startswith("hint: expected one of: ") and form in hint


def test_an_expression_operand_gets_no_form(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "p.mlev").write_text("algorithm a\nformula f(x: Scalar) -> Scalar = x +\n")
    _, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert err.splitlines()[-1] == "hint: expected one of: '(', '-', a name, a number"
