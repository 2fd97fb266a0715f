"""A program no training regime runs as a whole (two formulas, a learner beside a network's parts) is
refused by `run`, `export` and `evolve` at its place in its file, never at ``<input>``; `check` accepts
it, as a file of components for `export --component`."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import cli
from tests.conftest import Capsys

TWO = "algorithm two\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  x\n\n" \
      "formula g(x: Scalar) -> Scalar =\n  x\n"
MIXED = "algorithm mixed\ntask digits\n\nactivation a(x: Tensor) -> Tensor =\n  x\n\nlearner l(state w: Vector)\n" \
        "  predict(x: Vector) -> Scalar =\n    dot(w, x)\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w\n"


@pytest.mark.parametrize(("text", "first"), [
    (TWO, "p.mlev:4:9: error: a formula program holds exactly one definition, the formula"),
    (MIXED, "p.mlev:4:12: error: a learner program holds exactly one definition, the learner"),
])
@pytest.mark.parametrize("command", [["run"], ["export", "-o", "out.py"], ["evolve", "--budget", "2"]])
def test_a_program_no_regime_runs_is_refused_at_its_place_by_every_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, text: str, first: str,
        command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.mlev").write_text(text)
    assert cli.main([command[0], "p.mlev", *command[1:]]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == first and err[-1].startswith("hint: ")
    assert not Path("out.py").exists() and not Path("runs").exists()


def test_check_accepts_a_file_of_components(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.mlev").write_text(TWO)
    assert cli.main(["check", "p.mlev"]) == 0
    assert capsys.readouterr().out == "p.mlev: ok (formula f, formula g)\n"
    assert cli.main(["export", "p.mlev", "--component", "g", "-o", "g.py"]) == 0
