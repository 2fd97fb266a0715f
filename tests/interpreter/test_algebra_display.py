"""A formula's algebra line never crashes a display: a 0/0, a comparison of infinities or of a complex value inside its
range shows as SymPy decides it (``nan``, ``oo``), and where SymPy raises instead (it cannot decide a comparison:
``algebra.UNDECIDABLE``), the summary and ``best`` show the program's text alone and ``show --sympy`` and a formula
module say so in one line."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.parse import parse
from mlevolve.interpreter import algebra
from mlevolve.interpreter.algebra import NoSympyForm, sympy_display, sympy_of
from mlevolve.results import shown_algebra
from tests.conftest import Capsys, cli

# leaves that make a formula undefined, infinite or complex somewhere (or everywhere) in its range
LEAVES = ["x", "y", "(x - x)", "1.0 / (x - x)", "sqrt(neg(square(x)))", "log(0.0)", "0.1234567", "2.0", "(x / x)",
          "neg(1.0 / (y - y))", "sqrt(neg(1.0))", "(0.0 / 0.0)", "log(x - x)", "exp(1000.0)", "sin(x) / x"]
UNARY = ["abs", "exp", "log", "sqrt", "square", "sin", "cos", "tanh", "sigmoid", "relu", "heaviside", "sign",
         "softplus", "erf", "neg", "reciprocal"]
BINARY = ["add", "sub", "mul", "div", "min", "max"]

formulas = st.recursive(st.sampled_from(LEAVES), lambda kids: st.one_of(
    st.builds(lambda op, a: f"{op}({a})", st.sampled_from(UNARY), kids),
    st.builds(lambda op, a, b: f"{op}({a}, {b})", st.sampled_from(BINARY), kids, kids)), max_leaves=12)


def _text(body: str) -> str:
    return f"algorithm a\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  {body}\n"


@settings(max_examples=150, deadline=None)
@given(formulas, st.sampled_from([None, 3]))
def test_the_algebra_line_of_any_formula_never_raises(body: str, digits: int | None) -> None:
    shown = shown_algebra(_text(body), digits)
    assert shown is None or isinstance(shown, str)
    with contextlib.suppress(MlevError):  # one line, with its place: never a traceback
        sympy_display(sympy_of(parse(_text(body)).definitions[0]), digits)


@pytest.mark.parametrize(("body", "shown"), [
    ("x / x", "1"), ("(x - x) / (x - x)", "nan"), ("sin(x) / x", None), ("max(x / x, 1.0)", "1"),
    ("max(1.0 / (x - x), x)", None),  # (was oo: the folded zero's sign is float64's, see below)
    ("heaviside((x - x) / (x - x))", "nan"),
])
def test_zero_over_zero_inside_the_range_shows_as_sympy_decides_it(body: str, shown: str | None) -> None:
    assert shown_algebra(_text(body)) == shown


def _undecidable(*_: Any, **__: Any) -> Any:
    raise TypeError("Invalid comparison of non-real zoo")


def test_where_sympy_cannot_decide_the_program_is_shown(tmp_path: Path, capsys: Capsys,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(algebra, "shown_expr", _undecidable)  # as SymPy raises rewriting a Max of zoo
    assert shown_algebra(_text("max(x, y) * 2.0 + 1.0")) is None  # the summary and `best` show the program alone
    path = tmp_path / "f.mlev"
    path.write_text(_text("max(x, y) * 2.0 + 1.0"))
    code, out, err = cli(capsys, "show", str(path), "--sympy")  # the program's text, with a note (it was an error)
    assert (code, out) == (0, "max(x, y) * 2.0 + 1.0\n") and err.splitlines() == [
        f"{path}: note: SymPy cannot write this formula: Invalid comparison of non-real zoo; shown as the program "
        "writes it"]
    monkeypatch.setattr(algebra, "_build", _undecidable)  # as SymPy raises building it
    with pytest.raises(MlevError, match="formula 'f' has no SymPy form: SymPy cannot decide part of it"):
        sympy_of(parse(_text("x")).definitions[0])
    assert shown_algebra(_text("max(x, y) * 2.0 + 1.0")) is None


@pytest.mark.parametrize(("body", "shown"), [
    ("3.1434235259315253 + 8.62201863117072 * ((0.49863048019719447 - sigmoid(x)) * y)",
     "8.622*y*(0.4986 - 1/(1 + exp(-x))) + 3.143"),
    ("2.5 * sigmoid(x) + 0.123456789 * y", "0.1235*y + 2.5/(1 + exp(-x))"),
])
def test_a_fitted_constant_over_a_sum_shows_as_a_decimal_not_as_a_fraction_spread_over_it(body: str,
                                                                                         shown: str) -> None:
    """SymPy multiplied out the exact fraction of a fitted constant before it was shown as a decimal, and spread its
    denominator over the sum it divides: ``-53887616444817*z/(6250000000000 + 6250000000000*exp(-x))`` for
    ``-8.622*z/(1 + exp(-x))``. The decimals come first now, and no whole number of the fraction is left."""
    text = sympy_display(sympy_of(parse(_text(body)).definitions[0]), 4)[0]  # type: ignore[arg-type]
    assert text == shown


@pytest.mark.parametrize(("body", "shown", "ieee"), [
    ("x / 0.0", "oo*x", lambda x: x / np.float64(0.0)),  # it printed zoo*x: complex infinity, no float64's value
    ("x / -0.0", "-oo*x", lambda x: x / np.float64(-0.0)),
    ("x / (0.0 * -1.0)", "-oo*x", lambda x: x / (np.float64(0.0) * -1.0)),  # a zero's sign, computed
    ("0.0 / 0.0", "nan", lambda x: np.float64(0.0) / np.float64(0.0) + 0 * x),
    ("log(0.0)", "-oo", lambda x: np.log(np.float64(0.0)) + 0 * x),
    ("x * (1.0 / 0.0)", "oo*x", lambda x: x * (1.0 / np.float64(0.0))),
    ("1.0 / -0.0", "-oo", lambda x: 1.0 / np.float64(-0.0) + 0 * x),
    ("x - x / 0.0", "-oo*x", lambda x: x - x / np.float64(0.0)),
    ("0.0 * (x / 0.0)", "nan", lambda x: 0.0 * (x / np.float64(0.0))),
])
def test_an_infinity_or_nan_shows_as_float64_computes_it(body: str, shown: str, ieee: Any) -> None:
    """``show --sympy`` printed ``zoo*a`` for ``a / 0.0``: a SymPy form of an infinite or undefined step now means what
    float64 computes, checked at points below, at and above 0 (SymPy's nan where float64's NaN)."""
    expr = sympy_of(parse(_text(body)).definitions[0])  # type: ignore[arg-type]
    assert sympy_display(expr)[0] == shown and shown_algebra(_text(body)) in (shown, None)
    x = next(iter(expr.free_symbols), None)
    for v in (-2.0, 0.0, 3.0):
        with np.errstate(all="ignore"):
            want = float(ieee(np.float64(v)))
        got = float(expr.subs(x, v) if x is not None else expr)
        assert got == want or (np.isnan(got) and np.isnan(want)), (v, got, want)


@pytest.mark.parametrize(("body", "what"), [
    ("x / (x * 0.0)", "zoo (complex infinity)"),  # the zero's sign is x's: no one infinity means it
    ("x / (y - y)", "zoo (complex infinity)"),
    ("sqrt(neg(square(x)))", "I (a complex value)"),  # NaN in float64, I*Abs(x) in SymPy
])
def test_a_formula_sympy_would_show_unlike_float64_shows_as_its_text(tmp_path: Path, capsys: Capsys, body: str,
                                                                     what: str) -> None:
    """Where SymPy's form would hold zoo or I (no float64 value), every display shows the program's text: the summary
    and ``best`` (no algebra line), ``show --sympy`` (the text, and a note on stderr), the estimator and a formula
    module (:class:`NoSympyForm`, an :class:`MlevError`)."""
    why = f"formula 'f' has no SymPy form that means what float64 computes: SymPy writes {what}"
    with pytest.raises(NoSympyForm) as caught:
        sympy_of(parse(_text(body)).definitions[0])  # type: ignore[arg-type]
    assert caught.value.message == why
    assert shown_algebra(_text(body)) is None
    path = tmp_path / "f.mlev"
    path.write_text(_text(body))
    for flag in ("--sympy", "--latex"):
        code, out, err = cli(capsys, "show", str(path), flag)
        assert (code, out, err) == (0, body.replace("neg(", "-(").replace("-(square(x))", "-square(x)") + "\n",
                                    f"{path}: note: {why}; shown as the program writes it\n")


@pytest.mark.parametrize(("body", "why"), [
    ("log(neg(square(x)) - 1.0)", "SymPy writes log(-x**2 - 1) of an argument negative for every real value (NaN in "
                                  "float64)"),  # SymPy's log(...) of it, float64's NaN at every x
    ("sqrt(neg(exp(x)))", "SymPy writes I (a complex value)"),
    ("(x - x) * sqrt(neg(square(x)))", "SymPy writes I (a complex value)"),  # SymPy's 0 * I*Abs(x) is 0: NaN
    *((body, f"SymPy drops {dropped}, NaN in float64 where its argument is negative (0 * log(x) is 0, sqrt(x)**2 is "
             "x, Min(-oo, log(x)) is -oo)")
      for body, dropped in (("(x - x) * log(x)", "log(x)"), ("sqrt(x) * sqrt(x)", "sqrt(x)"),
                            ("min(log(x - x), log(x))", "log(x)"))),
    ("relu(x) / relu(x)", "SymPy cancels Max(0, x), 0 for a range of values (0/0 is NaN there in float64)"),
    ("log(neg(exp(x)))", "SymPy writes log(-exp(x)) of an argument negative for every real value (NaN in float64)"),
    *((body, "SymPy folds a zero from symbols (x - x, 0.0 * x) whose sign float64 computes at each point, and the "
             "sign decides this step's value")
      for body in ("1.0 / (x - x)", "1.0 / neg(x - x)", "1.0 / (x * 0.0)", "max(1.0 / (x - x), x)",
                   "reciprocal(mul(y - y, -1.0))")),  # it showed oo: float64 gives -inf for x * 0.0 at x < 0
])
def test_a_sympy_form_unlike_float64_at_every_point_or_by_a_zeros_sign_is_the_programs_text(body: str,
                                                                                           why: str) -> None:
    """Only ``zoo`` and ``I`` were caught: ``log(-x**2 - 1)`` showed as SymPy's log though float64 gives NaN for
    every x, and ``1.0 / (x - x)`` as ``oo``, a zero SymPy folded from symbols taken as +0.0 (``0.0 * x`` is -0.0
    for x < 0 in float64)."""
    with pytest.raises(NoSympyForm) as caught:
        sympy_of(parse(_text(body)).definitions[0])  # type: ignore[arg-type]
    assert caught.value.message == f"formula 'f' has no SymPy form that means what float64 computes: {why}"
    assert shown_algebra(_text(body)) is None


def test_a_zero_whose_sign_decides_nothing_keeps_its_sympy_form() -> None:
    """``log(x - x)`` is -inf for either zero, ``square(x - x)`` 0: SymPy's ``-oo`` and ``0`` mean what float64
    computes (at every finite x)."""
    assert [shown_algebra(_text(b)) for b in ("log(x - x)", "square(x - x) + x", "(x - x) * y")] == ["-oo", "x", "0"]


POINTS = np.random.default_rng(59).uniform(-3.0, 3.0, size=(2, 64))


@settings(max_examples=300, deadline=None)
@given(formulas)
@example("div(add(x, 0.1234567), exp(log(0.0)))")  # oo*(x + c) was shown multiplied out, oo*x + oo: NaN for x < 0
def test_a_shown_sympy_form_computes_what_the_program_computes(body: str) -> None:
    """Where a formula's SymPy form is shown, it means what float64 computes: lambdified (NumPy's heaviside, SciPy's
    erf; SymPy's own Heaviside takes a NaN as 0), it is
    NaN where the program (the fast path) is NaN and close to it where the program is finite, at 64 random points."""
    import sympy

    from mlevolve.api import check
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.interpreter.algebra import shown_expr
    from mlevolve.interpreter.fastpath import formula_function

    text = _text(body)
    try:
        program = check(parse(text))
        shown = shown_expr(sympy_of(program.definitions[0]))  # type: ignore[arg-type]
    except MlevError:
        return  # no formula of Scalar (softplus is of Tensor), or the program's text is shown
    x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
    with np.errstate(all="ignore"):
        got = np.broadcast_to(sympy.lambdify((x, y), shown, modules=[{"Heaviside": np.heaviside}, "scipy",
                                                                       "numpy"])(*POINTS), POINTS[0].shape)
        want = np.broadcast_to(formula_function(program, load_grammar())(*POINTS), POINTS[0].shape)
    finite = np.isfinite(want)
    assert np.array_equal(np.isnan(got), np.isnan(want)), (body, shown)
    assert np.allclose(got[finite], want[finite], rtol=1e-6, atol=1e-9), (body, shown)
