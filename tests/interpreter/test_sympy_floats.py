"""Every SymPy form of a formula handed to a user (``api.formula_sympy``, the estimator's ``sympy()`` and
``expression_`` through ``algebra.formula_expr``, ``show --sympy``, the summary's algebra line, an exported module's
``sympy_expr()``) shows a decimal literal as a Float: a fitted 6.29 was ``629/100``, a prune's
``6.222222222222222`` ``56/9``.  The rule (``algebra.literal``): a whole number exact (``2.0`` is 2), every other
decimal a Float of its float64 value; arithmetic of integer literals alone stays exact (``x / 3``)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import mlevolve
from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.algebra import formula_expr, sympy_display
from mlevolve.results import shown_algebra
from tests.conftest import load_module


def _text(body: str) -> str:
    return f"algorithm a\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  {body}\n"


def _fractions(expr: Any) -> list[Any]:
    """The rationals of denominator over 1 in ``expr`` that are no power's exponent (sqrt's 1/2 is one)."""
    import sympy

    found, stack = [], [expr]
    while stack:
        node = stack.pop()
        for i, arg in enumerate(node.args):
            if isinstance(arg, sympy.Rational) and arg.q > 1 and not (isinstance(node, sympy.Pow) and i == 1):
                found.append(arg)
            stack.append(arg)
    return found


@pytest.mark.parametrize(("body", "full", "shown"), [
    ("6.29 + 6.222222222222222 * log(x)", "6.222222222222222*log(x) + 6.29", "6.222*log(x) + 6.29"),
    ("0.3333333333333333 * x", "0.3333333333333333*x", "0.3333*x"),
    ("0.5 * x + y / 3", "0.5*x + 0.3333333333333333*y", "0.5*x + 0.3333*y"),  # one expression: no x/2 beside 0.5
    ("x / 3", "x/3", "x/3"),  # integers a user wrote: exact
    ("2.0 * x + 1.0", "2*x + 1", "2*x + 1"),  # a whole number: exact
])
def test_a_decimal_literal_is_a_float_in_every_sympy_form(body: str, full: str, shown: str) -> None:
    import sympy

    program = mlevolve.check(_text(body))
    expr = formula_expr(program.definitions[0])  # the estimator's sympy(), the exported sympy_expr()
    assert sympy.sstr(expr, full_prec=False) == full
    assert sympy_display(mlevolve.api.formula_sympy(_text(body)), 4)[0] == shown  # show --sympy, expression_
    assert shown_algebra(_text(body), 4) in (shown, None)  # the summary's and best's line
    if "." in body:  # a decimal shown: no fraction beside it
        assert not _fractions(expr)


def test_an_exported_formula_module_gives_floats(tmp_path: Any) -> None:
    source = mlevolve.api.export_component(_text("6.29 + 6.222222222222222 * log(x)"), "f")
    path = tmp_path / "f_module.py"
    path.write_text(source)
    module = load_module(path)
    import sympy

    expr = module.sympy_expr()
    assert not _fractions(expr) and {float(f) for f in expr.atoms(sympy.Float)} == {6.29, 6.222222222222222}
    assert "629/100" not in source and "56/9" not in source and r"\frac{" not in source  # its LaTeX and docstring


DECIMALS = st.floats(0.001, 1000.0).filter(lambda v: not v.is_integer()).map(repr)
UNARY = ["abs", "exp", "log", "sqrt", "square", "sin", "cos", "tanh", "sigmoid", "relu", "neg", "reciprocal"]
BINARY = ["add", "sub", "mul", "div", "min", "max"]
fitted = st.recursive(st.one_of(st.sampled_from(["x", "y"]), DECIMALS), lambda kids: st.one_of(
    st.builds(lambda op, a: f"{op}({a})", st.sampled_from(UNARY), kids),
    st.builds(lambda op, a, b: f"{op}({a}, {b})", st.sampled_from(BINARY), kids, kids)), max_leaves=10)
POINTS = np.random.default_rng(67).uniform(-3.0, 3.0, size=(2, 64))


@settings(max_examples=200, deadline=None)
@given(fitted)
@example("add(6.29, mul(6.222222222222222, log(x)))")
@example("sin(exp(20.94302231996994))")  # ill conditioned: compared nowhere
@example("mul(relu(x), div(x, relu(x)))")  # SymPy's x, NaN for x < 0 in float64: the program's text shown
@example("div(mul(0.5, x), add(y, 0.25))")
@example("add(mul(0.5, x), div(sqrt(y), add(x, x)))")  # 0.25*sqrt(y)/x: its exponent stays 1/2
@example("div(56.30219486883948, mul(x, 56.30219486883948))")  # SymPy's 56-bit 0.99999999999999998611: no 1, nor 0
def test_a_formula_of_decimals_has_no_fraction_and_computes_its_value(body: str) -> None:
    """For random formulas of decimal literals: the handed-out SymPy form holds no rational of denominator over 1
    (but a square root's exponent) where it holds a decimal, and lambdified it is what the program computes, NaN
    where it is NaN and within rtol 1e-6 (atol 1e-9) where it is finite, at the points of 64 random ones of
    [-3, 3]^2 where the formula is well conditioned: where moving each literal by one ulp moves the program's own
    value within that tolerance (``sin(exp(20.94...))`` is not: SymPy folds ``exp`` to a Float one ulp from
    NumPy's, 2.4e-7 at 1.2e9, and ``sin`` carries it whole)."""
    import sympy

    from mlevolve.grammar.spec import load_grammar
    from mlevolve.interpreter.fastpath import formula_function

    try:
        program = mlevolve.check(_text(body))
        expr = formula_expr(program.definitions[0])  # type: ignore[arg-type]
    except MlevError:
        return  # the program's text is shown where SymPy's form would not mean what float64 computes
    assert not expr.has(sympy.Float) or not _fractions(expr), (body, expr)  # (x + x is 2*x: y/(2*x) is exact)
    x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
    nudged = mlevolve.check(_text(re.sub(r"\d+\.\d+", lambda m: repr(float(np.nextafter(float(m[0]), np.inf))), body)))
    with np.errstate(all="ignore"):
        got = np.broadcast_to(sympy.lambdify((x, y), expr, "numpy")(*POINTS), POINTS[0].shape)
        want, moved = (np.broadcast_to(formula_function(p, load_grammar())(*POINTS), POINTS[0].shape)
                       for p in (program, nudged))
    conditioned = np.isclose(want, moved, rtol=1e-6, atol=1e-9, equal_nan=True)
    finite = conditioned & np.isfinite(want)
    assert np.array_equal(np.isnan(got[conditioned]), np.isnan(want[conditioned])), (body, expr)
    assert np.allclose(got[finite], want[finite], rtol=1e-6, atol=1e-9), (body, expr)


WHOLE_BY_SYMPY = "algorithm f\n\nformula f(x1: Scalar, x2: Scalar) -> Scalar =\n  7.25 + 2.0 * (1.5 * x1 * x1 - x2)\n"
"""A program whose literals are no whole numbers but whose SymPy form folds one: 2.0 * 1.5 is SymPy's Float 3.0."""


def test_a_whole_number_sympy_folds_of_decimals_is_an_exact_integer_in_every_form(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """``show --sympy``, the exported ``sympy_expr()`` and ``LATEX``, the estimator's ``sympy()`` and its
    ``expression_`` gave ``3.0*x1**2 - 2*x2 + 7.25``: SymPy's own arithmetic made the Float 3.0 of 1.5 and 2.0 (a
    whole literal is exact, README: "a whole number such as ``2.0`` an exact integer"); 7.25 stays a Float."""
    import sympy

    from mlevolve.cli import main
    from mlevolve.estimator import SymbolicRegressor
    from mlevolve.results import SHOWN_DIGITS

    x1, x2 = sympy.Symbol("x1", real=True), sympy.Symbol("x2", real=True)
    want = 3 * x1**2 - 2 * x2 + sympy.Float("7.25")
    path = tmp_path / "f.mlev"
    path.write_text(WHOLE_BY_SYMPY)
    assert main(["show", str(path), "--sympy"]) == 0
    assert capsys.readouterr().out.strip() == "3*x1**2 - 2*x2 + 7.25"
    assert main(["show", str(path), "--latex"]) == 0
    assert capsys.readouterr().out.strip() == "3 x_{1}^{2} - 2 x_{2} + 7.25"
    assert mlevolve.api.formula_sympy(WHOLE_BY_SYMPY) == want  # the SymPy form as built
    source = mlevolve.api.export_component(WHOLE_BY_SYMPY, "f")
    (tmp_path / "f_module.py").write_text(source)
    module = load_module(tmp_path / "f_module.py")
    assert module.sympy_expr() == want and module.LATEX == "3 x_{1}^{2} - 2 x_{2} + 7.25"
    assert sympy.srepr(module.sympy_expr().coeff(x1**2)) == "Integer(3)"
    model = SymbolicRegressor()
    model.program_, model.grammar_path_, model.front_ = WHOLE_BY_SYMPY, None, []
    assert model.sympy() == want and str(model.sympy()) == "3*x1**2 - 2*x2 + 7.25"
    assert sympy_display(model.sympy(), SHOWN_DIGITS)[0] == "3*x1**2 - 2*x2 + 7.25"  # expression_'s form


@pytest.mark.parametrize(("body", "shown"), [
    ("2.0 * (1.5 * x) + 6.29", "3*x + 6.29"),  # the fold after conversion: exact
    ("1.5 * (x * 4.0)", "6*x"),
    ("0.5 * x + 2.0 * (1.5 * y)", "0.5*x + 3*y"),
    ("2.99997 * x", "3.0*x"),  # rounded to a whole number for display: still a decimal, not the exact 3
    ("1.5 * (1e16 * x)", "1.5e+16*x"),  # past 2**53: a Float, as the literal 1e16 is
    ("56.30219486883948 / (x * 56.30219486883948)", "1.0/x"),  # SymPy's 0.99999999999999998611 (56 bits): no 1
])
def test_only_an_exact_whole_number_below_2_to_53_becomes_an_integer(body: str, shown: str) -> None:
    assert sympy_display(mlevolve.api.formula_sympy(_text(body)), 4)[0] == shown
