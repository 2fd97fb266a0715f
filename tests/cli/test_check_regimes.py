"""`check` accepts what a training regime runs, and no more: a program `run`, `export` and `evolve` would
refuse (two formulas, a formula with a network's parts) is refused by `check` too, at the same place of
the same file, never at ``<input>``."""

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
