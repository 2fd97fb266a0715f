"""The findings of helper find60's pass, each as a kind: the Python API's user errors are ValueErrors, ..."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlevolve
from mlevolve import api
from mlevolve.dsl.errors import MlevError, SettingError
from mlevolve.gp.archive import Archive
from mlevolve.report import data

ROOT = Path(__file__).resolve().parents[2]
QUARTIC = str(ROOT / "examples" / "quartic.mlev")


# ------------------------------------------------------------------ 1. a user's mistake is a ValueError
@pytest.mark.parametrize("call", [
    lambda: mlevolve.parse("x +"),
    lambda: mlevolve.run("no-such-file.mlev"),
    lambda: api.evolve(QUARTIC, ["f"], budget=0),
    lambda: mlevolve.load_grammar("no-such-grammar.toml"),
    lambda: mlevolve.check(mlevolve.parse("algorithm a\n  task nguyen1\n  formula f(x: Scalar) -> Scalar = nope(x)\n")),
], ids=["parse", "run", "evolve", "grammar", "check"])
def test_the_apis_user_errors_are_value_errors(call: object) -> None:
    """``except ValueError`` catches every user mistake the API reports, as it catches scikit-learn's."""
    with pytest.raises(ValueError) as caught:
        call()  # type: ignore[operator]
    assert isinstance(caught.value, MlevError) and "error:" in str(caught.value)


def test_setting_errors_are_value_errors() -> None:
    assert issubclass(SettingError, ValueError) and issubclass(MlevError, ValueError)


def test_a_value_error_guard_lets_a_user_error_through(tmp_path: Path) -> None:
    """report.data.load guards the archive's reading with ``except ValueError``: a hash it lacks is said so, not
    "cannot read archive" (MlevError being a ValueError)."""
    db = tmp_path / "run.db"
    with Archive.for_run(db, {"program_hash": "p", "program_name": "quartic", "task": "koza_quartic",
                              "evolve": ["f"]}):
        pass
    with pytest.raises(MlevError) as caught:
        data.load(db, key="zz")
    assert caught.value.message == "no program with hash 'zz' in the archive"

