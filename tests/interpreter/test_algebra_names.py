"""A formula input named as SymPy names a function or constant (an input or data column ``sin``, ``E``, ``pi``,
``N``, ``max``: misc69) printed as ``sin*sin(sin)`` in ``show --sympy``, which SymPy's parser reads back as another
expression or not at all; it is written with ``_`` appended (said on stderr) and reads back as the formula."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy
from sympy.parsing.sympy_parser import parse_expr

from mlevolve.dsl.parse import parse
from mlevolve.interpreter.algebra import clashes, sympy_display, sympy_of
from tests.conftest import Capsys, cli

NAMES = ["sin", "exp", "log", "max", "E", "I", "S", "N", "pi", "Q", "lambda", "gamma", "Min"]


def _formula(*names: str) -> str:
    first = names[0]
    params = ", ".join(f"{n}: Scalar" for n in names)
    rest = "".join(f" + 0.5 * {n}" for n in names[1:])
    return (f"algorithm t\n  formula f({params}, x: Scalar) -> Scalar =\n"
            f"    {first} * sin({first}) + exp({first}) / x + max({first}, x){rest} + 2.5\n")


@pytest.mark.parametrize("names", [(n,) for n in NAMES] + [("sin", "sin_"), ("E", "E_", "E__"), ("x0", "pi")])
def test_an_input_named_as_a_sympy_function_reads_back_as_the_formula(names: tuple[str, ...]) -> None:
    expr = sympy_of(parse(_formula(*names)).definitions[0])
    text, latex = sympy_display(expr)
    symbols = {s.name: s for s in expr.free_symbols}
    back = parse_expr(text)  # as a reader's sympify reads it, without being told the names
    shown = {s.name for s in back.free_symbols}
    assert len(shown) == len(symbols) and not any(clashes(n) for n in shown), text
    # a shown name is its input's, or a clashing input's with _ appended (more where that name is taken)
    by_name = {n: symbols[n if n in symbols and not clashes(n) else n.rstrip("_")] for n in shown}
    assert sympy.simplify(back.xreplace({sympy.Symbol(n): s for n, s in by_name.items()}) - expr) == 0, text
    assert r"\pi" not in latex or "pi" not in names  # an input pi is no constant pi


def test_clashes_is_what_sympy_s_parser_reads_as_no_symbol() -> None:
    assert [n for n in [*NAMES, "x", "C", "range", "sin_", "x0"] if clashes(n)] == NAMES


def test_show_sympy_says_which_inputs_it_renamed(tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "n.mlev"
    path.write_text(_formula("sin", "E"))
    code, out, err = cli(capsys, "show", str(path), "--sympy")
    assert code == 0 and "sin_*sin(sin_)" in out and "E_" in out
    assert err == (f"{path}: note: 2 inputs written with _ appended (E as E_, sin as sin_): SymPy's parser reads the "
                   "name as its own function or constant\n")
    code, out, err = cli(capsys, "show", str(path), "--latex")
    assert code == 0 and r"\mathit{sin} \sin" in out and err == ""
