"""A formula's three Python forms take the same inputs alike (fix63): the function a run computes, the exported
training script's and the exported component module's.  The module converted its inputs to float64
(``_float64``: a list is an array, integers are not computed as integers, text is a TypeError naming the input)
where the script's ``f([1.0, 2.0])`` was a TypeError of list arithmetic and ``f(np.array([100000]))`` overflowed
silently; the three now share one prelude (:func:`mlevolve.interpreter.codegen.float64_prelude`)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import mlevolve
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.codegen import compile_program
from mlevolve.interpreter.evaluate import namespace
from tests.conftest import load_module

PROGRAM = "algorithm two\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  x * x * x * x + x / 3\n"


def forms(tmp_path: Path) -> dict[str, Any]:
    """The formula ``f`` as a run computes it, as the exported script defines it and as the exported module does."""
    script = tmp_path / "script.py"
    script.write_text(mlevolve.export(PROGRAM))
    component = tmp_path / "component.py"
    component.write_text(mlevolve.export_component(PROGRAM, "f"))
    modules: list[ModuleType] = [load_module(script), load_module(component)]
    run = namespace(compile_program(mlevolve.check(PROGRAM), load_grammar()))["f"]
    return {"run": run, "script": modules[0].f, "module": modules[1].f}


INPUTS: list[Any] = [
    [1.0, 2.0],  # a list: an array
    [[1, 2], [3, 4]],  # a nested list of ints: an array of floats
    np.array([100000]),  # integers: 1e20, not an int64 overflow
    np.array([1.5], dtype=np.float32),  # float32: computed in float64
    3,  # a number: a NumPy number
    np.arange(5.0),  # float64: as it was
]


def test_every_form_gives_the_same_values(tmp_path: Path) -> None:
    functions = forms(tmp_path)
    for given in INPUTS:
        expected = np.asarray(given, dtype=np.float64) ** 4 + np.asarray(given, dtype=np.float64) / 3
        for name, f in functions.items():
            got = f(given)
            assert np.asarray(got).dtype == np.float64, name
            np.testing.assert_array_equal(got, expected, err_msg=f"{name} of {given!r}")


@pytest.mark.parametrize("given", ["a", None, 1 + 2j, [[1.0], [2.0, 3.0]]])
def test_every_form_refuses_what_is_no_real_numbers_in_one_wording(tmp_path: Path, given: Any) -> None:
    said: set[str] = set()
    for f in forms(tmp_path).values():
        with pytest.raises(TypeError, match=r"^formula input x must be real numbers") as err:
            f(given)
        said.add(str(err.value))
    assert len(said) == 1
