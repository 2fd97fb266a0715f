"""A program no training regime runs as a whole (two formulas, a learner beside a network's parts, two
losses) is refused by `check`, `run`, `export` and `evolve` alike, at the first definition too many
(the second formula, not the first), never at ``<input>``; `export --component` still takes one
definition out of such a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import cli
from tests.conftest import Capsys

TWO = "algorithm two\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  x\n\n" \
      "formula g(x: Scalar) -> Scalar =\n  x\n"
MIXED = "algorithm mixed\ntask digits\n\nactivation a(x: Tensor) -> Tensor =\n  x\n\nlearner l(state w: Vector)\n" \
        "  predict(x: Vector) -> Scalar =\n    dot(w, x)\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w\n"


LOSSES = "algorithm two_losses\ntask digits\n\nloss a(p: Tensor, y: Tensor) -> Tensor =\n  square(p - y)\n\n" \
         "loss b(p: Tensor, y: Tensor) -> Tensor =\n  abs(p - y)\n"


ACTIVATIONS = "algorithm two_acts\ntask digits\n\nactivation a(x: Tensor) -> Tensor =\n  relu(x)\n\n" \
              "activation b(x: Tensor) -> Tensor =\n  0.0 * x\n"  # no model: the default model would take one


@pytest.mark.parametrize(("text", "first"), [
    (ACTIVATIONS, "p.mlev:7:12: error: a program without a model has at most one activation, the default model's; "
                  "b is a second, after a"),
    (TWO, "p.mlev:7:9: error: a formula program holds exactly one definition, the formula f; it also defines "
          "formula g"),
    (MIXED, "p.mlev:4:12: error: a learner program holds exactly one definition, the learner l; it also defines "
            "activation a"),
    (LOSSES, "p.mlev:7:6: error: a program has at most one loss; b is a second, after a"),
])
@pytest.mark.parametrize("command", [["check"], ["run"], ["export", "-o", "out.py"], ["evolve", "--budget", "2"]])
def test_a_program_no_regime_runs_is_refused_at_its_place_by_every_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, text: str, first: str,
        command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.mlev").write_text(text)
    assert cli.main([command[0], "p.mlev", *command[1:]]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == first and err[-1].startswith("hint: ")
    assert not Path("out.py").exists() and not Path("runs").exists()


def test_export_component_takes_one_definition_out_of_a_file_of_several(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.mlev").write_text(TWO)
    assert cli.main(["export", "p.mlev", "--component", "g", "-o", "g.py"]) == 0 and Path("g.py").exists()
    capsys.readouterr()
    Path("q.mlev").write_text(TWO.split("\n\nformula g")[0] + "\n")
    assert cli.main(["check", "q.mlev"]) == 0
    assert capsys.readouterr().out == "q.mlev: ok (formula f)\n"
