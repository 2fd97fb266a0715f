"""One file, one program: the rule holds wherever a program file enters (the API's check, show --latex, meta),
with its wording; a component is still taken out of a file of several.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import mlevolve
from mlevolve import api
from mlevolve.dsl.errors import MlevError
from tests.conftest import ROOT, Capsys, usage_error

TWO = ("algorithm two\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  x * x\n\n"
       "formula g(x: Scalar) -> Scalar =\n  x + x\n")

TWO_ERROR = ("two.mlev:7:9: error: a formula program holds exactly one definition, the formula f; it also defines "
             "formula g")

MIXED = ("algorithm fl\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  x * x\n\n"
         "learner linreg(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
         "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w + 0.1 * (y - p) * x\n")

MIXED_ERROR = ("fl.mlev:7:9: error: a formula program holds exactly one definition, the formula f; it also defines "
               "learner linreg")

SMOKE = ROOT / "benchmarks" / "meta" / "smoke.toml"

RL_TWO = ("algorithm r\ntask cartpole\n\npg_loss a(logp: Tensor, ret: Tensor, adv: Tensor, value: Tensor, "
          "entropy: Tensor) -> Tensor =\n  -(logp * adv)\n\npg_loss b(logp: Tensor, ret: Tensor, adv: Tensor, "
          "value: Tensor, entropy: Tensor) -> Tensor =\n  -(logp * ret)\n")

NET_TWO = ("algorithm n\ntask mnist\n\nloss l1(pred: Tensor, target: Tensor) -> Tensor =\n  square(pred - target)"
           "\n\nloss l2(pred: Tensor, target: Tensor) -> Tensor =\n  abs(pred - target)\n")


# ------------------------------------------------------------------------------ 1: one program per file
def test_the_api_check_applies_the_one_program_rule_and_names_the_file(tmp_path: Path) -> None:
    """check passed what run refused, and run's error said ``<input>`` for a program parse_file read."""
    two = tmp_path / "two.mlev"
    two.write_text(TWO)
    program = mlevolve.parse_file(two)
    for call in (lambda: mlevolve.check(program), lambda: mlevolve.run(program)):
        with pytest.raises(MlevError) as caught:
            call()
        assert caught.value.render().splitlines()[0] == f"{tmp_path}/{TWO_ERROR}"
    assert mlevolve.parse(TWO).file is None and program.file == str(two)  # parsed from text: no file to name
    with pytest.raises(MlevError) as caught:
        mlevolve.check(TWO)
    assert caught.value.render().startswith("<input>:7:9: error: a formula program holds exactly one definition")
    assert [d.name for d in mlevolve.check(program, whole=False).definitions] == ["f", "g"]  # a file of components


@pytest.mark.parametrize(("text", "error"), [(TWO, TWO_ERROR), (MIXED, MIXED_ERROR)])
def test_show_latex_refuses_a_file_of_two_programs(tmp_path: Path, capsys: Capsys, text: str, error: str) -> None:
    file = tmp_path / error.split(":")[0]
    file.write_text(text)
    for flag in ("--latex", "--sympy"):
        err = usage_error(capsys, "show", str(file), flag)
        assert err.splitlines()[0] == f"{tmp_path}/{error}"


@pytest.mark.parametrize(("text", "error"), [(TWO, TWO_ERROR), (MIXED, MIXED_ERROR)])
def test_meta_refuses_a_program_file_of_two_programs(tmp_path: Path, capsys: Capsys, text: str, error: str) -> None:
    file = tmp_path / error.split(":")[0]
    file.write_text(text)
    config = SMOKE.read_text().replace('"../../examples/quartic.mlev"', f'"{file.name}"')
    assert file.name in config
    (tmp_path / "m.toml").write_text(config)
    db = tmp_path / "m.db"
    err = usage_error(capsys, "meta", str(tmp_path / "m.toml"), "--db", str(db))
    assert err.splitlines()[0] == f"{tmp_path}/{error}"
    assert not db.exists()


def test_a_component_is_still_taken_out_of_a_file_of_several(tmp_path: Path) -> None:
    two = tmp_path / "two.mlev"
    two.write_text(TWO)
    names: dict[str, Any] = {}
    exec(compile(api.export_component(two, "g"), "g.py", "exec"), names)
    assert names["__all__"] == ["LATEX", "g", "sympy_expr"] and "f" not in names  # g, x + x, and not f, x * x
    assert names["g"](3.0) == 6.0 and names["LATEX"] == "2 x"


@pytest.mark.parametrize(("text", "lines"), [
    (RL_TWO, ["p.mlev:7:9: error: an RL program holds exactly one definition, the pg_loss a; it also defines "
              "pg_loss b"]),
    (NET_TWO, ["p.mlev:7:6: error: a program has at most one loss; l2 is a second, after l1",
               "hint: keep one loss and remove the others (each can be a program of its own, in a file of its own)"]),
])
def test_one_program_rule_wording(tmp_path: Path, capsys: Capsys, text: str, lines: list[str]) -> None:
    """"a rl program" read wrong, and renaming a second loss (the old hint) does not make it legal."""
    (tmp_path / "p.mlev").write_text(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        err = usage_error(capsys, "check", "p.mlev").splitlines()
    assert err[0] == lines[0]
    if len(lines) > 1:
        assert err[-1] == lines[1]
