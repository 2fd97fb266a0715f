"""Large literals in a shown program (``best``, ``best --front``, ``show``, the report, ``program_``) printed every
place of their fixed-point form, ``89220000000.0`` for 8.922e10 shown to 4 significant digits: the shown text writes a
float of 10^6 or more in scientific notation where that is shorter (``printer.shown_number``), the shortest digits
that read back as the same float.  The canonical text (archive, hashes, cache keys) is unchanged."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mlevolve.dsl.ir import Num
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program, format_shown_expr, shown_number
from mlevolve.results import rounded, shown_program

TEXT = ("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n"
        "  89223456789.0 * x + 8987654321.5 / (x + 1234567.0) - 0.0000123 + 1e+16 + 0.000123\n")


@pytest.mark.parametrize(("value", "shown"), [
    (89220000000.0, "8.922e10"), (8990000000.0, "8.99e9"), (1235000.0, "1.235e6"), (1e6, "1e6"),
    (1234567.0, "1234567.0"),  # scientific is no shorter: fixed point
    (123456.0, "123456.0"), (5.0, "5.0"), (0.000123, "0.000123"),  # below 10^6: as canonical text
    (1e16, "1e16"), (1.23e-5, "1.23e-5"), (1.7976931348623157e308, "1.7976931348623157e308"),  # canonical already
])
def test_a_large_literal_is_shown_in_scientific_notation_where_shorter(value: float, shown: str) -> None:
    assert shown_number(Num(value, False)) == shown
    assert shown_number(Num(89220000000, True)) == "89220000000"  # an integer literal (a size): as written


def test_best_show_and_the_report_write_large_literals_rounded_in_scientific_notation() -> None:
    """``shown_program`` (every shown program's text) at the shown 4 digits; every digit (``program_``, ``--json``)
    where scientific notation is no shorter; the canonical text keeps its fixed point."""
    body = shown_program(TEXT, digits=4).split("=\n", 1)[1].strip()
    assert body == "8.922e10 * x + 8.988e9 / (x + 1.235e6) - 1.23e-5 + 1e16 + 0.000123"
    full = shown_program(TEXT).split("=\n", 1)[1].strip()
    assert full == "89223456789.0 * x + 8987654321.5 / (x + 1234567.0) - 1.23e-5 + 1e16 + 0.000123"
    assert "89223456789.0" in format_program(parse(TEXT))  # the archive's text: unchanged
    assert shown_program(TEXT, only=["f"], digits=4).startswith("formula f(x: Scalar) -> Scalar =\n  8.922e10 * x")


positive = st.floats(min_value=5e-324, max_value=1.7976931348623157e308, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(positive, st.sampled_from([None, *range(1, 18)]))
@example(89220000000.0, 4)
@example(8990000000.0, 4)
@example(1.7976931348623157e308, 17)
@example(1e6, None)
@example(9.999999999999999e15, None)
def test_a_shown_literal_parses_back_to_the_same_float(value: float, digits: int | None) -> None:
    """For every positive float, rounded to 1..17 digits as ``--digits`` rounds (or every digit): the shown text
    of the literal parses back to that very float literal, never an integer one, and no longer than canonical."""
    program = parse(f"algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  x * {value!r}\n".replace("e+", "e"))
    shown = rounded(program, digits)
    body = shown.definitions[0].body
    assert body is not None
    text = format_shown_expr(body)
    back = parse(f"algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  {text}\n").definitions[0].body
    assert back == body, (text, body)
    literal = body.children()[1]
    assert isinstance(literal, Num) and not literal.is_int
    again = back.children()[1]
    assert isinstance(again, Num) and not again.is_int and again.value == literal.value


def test_a_literal_that_rounds_past_the_largest_float_is_shown_as_it_is() -> None:
    """``--digits 1`` rounded 1.5e308 to 2e308, past the largest float: a traceback (a literal must be finite) in
    ``best``, ``show`` and the report; it is shown with its own digits."""
    text = "algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  x * 1.5e308 + 1.25\n"
    assert shown_program(text, digits=1).split("=\n", 1)[1].strip() == "x * 1.5e308 + 1.0"
