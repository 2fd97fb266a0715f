"""The README's SymbolicRegressor example, run as written: what it shows is what it prints (qa106: it showed
'x0**2/x1 + 1/2' where the fitted constant prints as the SymPy Float 0.5)."""

from __future__ import annotations

import doctest

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_the_readme_symbolic_regressor_example_prints_what_it_shows() -> None:
    text = (ROOT / "README.md").read_text()
    start = text.index(">>> import numpy as np, mlevolve")
    block = text[start:text.index("```", start)]
    assert "SymbolicRegressor(budget=1500)" in block and "model.expression_" in block
    test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
