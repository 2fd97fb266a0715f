"""A fresh user's pass over ``mlevolve grammar`` and ``sample`` (qa55a): a production id copied from ``grammar show``
(``add(Scalar, Scalar)``, with a space) was "unknown production" in ``[weights]`` and ``keep``; a type of mlevolve's
that the grammar lacks (``--type Layer``, ``--var x:Vector``) read "unknown type", and ``--var``'s as
``env['x']``, the API's parameter."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.grammar.spec import load_grammar
from tests.conftest import Capsys, cli

E = 'version = 1\nextends = "base"\n'
OWN = 'version = 1\ntypes = ["Scalar"]\n[literals.Scalar]\nchoices = [1.0]\n[op.cos]\nsig = ["Scalar -> Scalar"]\n'


def test_an_id_as_grammar_show_prints_it_names_the_production(tmp_path: Path, capsys: Capsys) -> None:
    code, out, _ = cli(capsys, "grammar", "show", "--type", "Scalar")
    assert code == 0 and "  add(Scalar, Scalar) " in out
    spaced, tight = tmp_path / "spaced.toml", tmp_path / "tight.toml"
    spaced.write_text(E + '[weights]\n"add(Scalar, Scalar)" = 2.0\n[restrict.learner]\nkeep = ["mul(Matrix, Matrix)"]'
                          '\nscale = 0.5\n')
    tight.write_text(E + '[weights]\n"add(Scalar,Scalar)" = 2.0\n[restrict.learner]\nkeep = ["mul(Matrix,Matrix)"]\n'
                         'scale = 0.5\n')
    assert load_grammar(spaced).digest == load_grammar(tight).digest != load_grammar().digest


@pytest.mark.parametrize(("weights", "first", "hint"), [
    ('"add(Scalar, Scalar)" = 2.0\n"add(Scalar,Scalar)" = 3.0\n', '5:2: error: [weights] names production '
     'add(Scalar,Scalar) twice, as "add(Scalar, Scalar)" and "add(Scalar,Scalar)"',
     "keep one of the two (spaces in an id are ignored)"),
    ('"add(Scalar, Scalar)" = -2.0\n', "4:2: error: [weights] 'add(Scalar, Scalar)' has a bad weight -2.0",
     "weights are finite numbers >= 0"),
    ('"add(Scalar, Scalar)" = 1e308\n"mul(Scalar, Scalar)" = 1e308\n', "4:2: error: the weights add up to more than "
     "a float holds (production add(Scalar, Scalar) -> Scalar has weight 1e+308)",
     "weights are relative: divide them all by the same number"),
])
def test_a_spaced_ids_mistake_is_told_where_it_is_written(tmp_path: Path, capsys: Capsys, weights: str, first: str,
                                                         hint: str) -> None:
    path = tmp_path / "g.toml"
    path.write_text(E + "[weights]\n" + weights)
    code, _, err = cli(capsys, "grammar", "show", str(path))
    assert code == 2 and err.splitlines() == [f"{path}:{first}", f"hint: {hint}"]


@pytest.mark.parametrize(("argv", "lines"), [
    (["grammar", "show", "own.toml", "--type", "Layer"], [
        "mlevolve grammar show: error: grammar own.toml has no type 'Layer' (a type of mlevolve's)",
        "hint: its types: Scalar"]),
    (["sample", "--grammar", "own.toml", "--type", "Vector"], [
        "mlevolve sample: error: grammar own.toml has no type 'Vector' (a type of mlevolve's)",
        "hint: its types: Scalar"]),
    (["sample", "--grammar", "own.toml", "--type", "Scalar", "--var", "x:Vector"], [
        "mlevolve sample: error: bad --var 'x:Vector': grammar own.toml has no type 'Vector' (a type of mlevolve's)",
        "hint: its types: Scalar"]),
    (["sample", "--grammar", "own.toml", "--type", "scalar"], [
        "mlevolve sample: error: unknown type 'scalar'", "hint: did you mean 'Scalar'? types: Scalar"]),
    (["grammar", "show", "--type", "Scalr"], [
        "mlevolve grammar show: error: unknown type 'Scalr'",
        "hint: did you mean 'Scalar'? types: Scalar, Vector, Matrix, Tensor, Int, Layer"]),
])
def test_a_type_the_grammar_lacks_is_told_as_the_grammars_lack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: Capsys, argv: list[str],
                                                               lines: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "own.toml").write_text(OWN)
    code, out, err = cli(capsys, *argv)
    assert (code, out, err.splitlines()) == (2, "", lines)


@pytest.mark.parametrize(("text", "first", "example"), [
    (OWN + '[op.sin]\nsig = ["Scalar Scalar -> Scalar"]\n', "8:1: error: op sin: bad signature 'Scalar Scalar -> "
     "Scalar'", '"Scalar, Vector -> Vector"'),
    (OWN + '[op.sin]\nsig = ["Scalar, -> Scalar"]\n', "8:1: error: op sin: bad signature 'Scalar, -> Scalar'",
     '"Scalar, Vector -> Vector"'),
    (E + '[[rule]]\nname = "q"\nsig = "Scalar Scalar -> Scalar"\nbody = "h0 + h1"\n',
     "5:1: error: rule q: bad signature 'Scalar Scalar -> Scalar'", '"Scalar, Scalar -> Scalar"'),
])
def test_a_signature_without_its_comma_is_a_bad_signature(tmp_path: Path, capsys: Capsys, text: str, first: str,
                                                           example: str) -> None:
    """It read "production sin(Scalar Scalar) -> Scalar names unknown type 'Scalar Scalar'"."""
    path = tmp_path / "g.toml"
    path.write_text(text)
    code, _, err = cli(capsys, "grammar", "show", str(path))
    assert code == 2 and err.splitlines() == [
        f"{path}:{first}",
        f"hint: write {example}: the argument types separated by commas, then -> and the result type"]


def test_lark_counts_one_type_in_the_singular(tmp_path: Path, capsys: Capsys) -> None:
    (tmp_path / "own.toml").write_text(OWN)
    code, out, _ = cli(capsys, "grammar", "lark", str(tmp_path / "own.toml"))
    assert code == 0 and out.splitlines()[0] == "// Typed grammar 'own': 1 production over 1 type. One rule family " \
                                                "per type."
