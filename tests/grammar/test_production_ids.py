"""A grammar file naming a production id that does not exist ([weights], a [restrict.NAME] table's `keep`) is
told which ids were meant: a bare name's typed ids, else the closest id (spaces dropped), in the CLI's words.  Spaces
in an id are ignored (``add(Scalar, Scalar)``, as ``grammar show`` prints it, is ``add(Scalar,Scalar)``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Capsys, usage_error

FORM = "ids look like add(Scalar,Scalar); `mlevolve grammar show` lists them"


@pytest.mark.parametrize("body, place, error, hint", [
    ('[weights]\n"add(Scalar, Scalr)" = 2\n', "3:2", "[weights] names unknown production 'add(Scalar, Scalr)'",
     f"did you mean 'add(Scalar,Scalar)'? {FORM}"),  # (spaces in an id are ignored: "add(Scalar, Scalar)" is one)
    ("[weights]\ndot = 2\n", "3:1", "[weights] names unknown production 'dot'",
     "an id names the argument types too: dot(Vector,Vector)"),
    ("[weights]\nadd = 2\n", "3:1", "[weights] names unknown production 'add'",
     "an id names the argument types too: add(Matrix,Matrix), add(Scalar,Matrix), add(Scalar,Scalar), "
     "add(Scalar,Tensor), add(Scalar,Vector), add(Tensor,Tensor), ..."),
    ("[weights]\nnotaprim = 2\n", "3:1", "[weights] names unknown production 'notaprim'", FORM),
    ('[restrict.learner]\nkeep = ["dot(Vector, Vectr)"]\n', "3:1",
     "[restrict.learner] keeps unknown production 'dot(Vector, Vectr)'", f"did you mean 'dot(Vector,Vector)'? {FORM}"),
])
def test_an_unknown_production_id_names_the_ids_meant(tmp_path: Path, capsys: Capsys, body: str, place: str,
                                                      error: str, hint: str) -> None:
    grammar = tmp_path / "g.toml"
    grammar.write_text(f'extends = "base"\n{body}')
    err = usage_error(capsys, "grammar", "show", str(grammar))
    assert err.splitlines() == [f"{grammar}:{place}: error: {error}", f"hint: {hint}"]
