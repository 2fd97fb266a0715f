"""A type error's hint names the call a user may have meant, from the primitive table (check.MEANT, REDUCTIONS):
``w * x`` of two Vectors where a Scalar is wanted reads ``did you mean dot(w, x)?`` (a fresh-user pass, hint96)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import load_grammar
from mlevolve.cli import main
from mlevolve.dsl.check import MEANT, REDUCTIONS

LEARNER = ("algorithm a\ntask linear\n\nlearner l(state w: Vector, state m: Matrix)\n  predict(x: Vector) -> Scalar =\n"
           "    {predict}\n  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Matrix) =\n    {learn}\n")


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> str:
    path = tmp_path / "a.mlev"
    path.write_text(text)
    assert main(["check", str(path)]) == 2
    return capsys.readouterr().err


def test_the_linear_regression_example_with_an_elementwise_product_is_told_dot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (Path(__file__).parents[2] / "examples" / "linear_regression.mlev").read_text()
    err = _check(tmp_path, capsys, text.replace("dot(w, x)", "w * x"))
    assert err.endswith(
        "a.mlev:8:5: error: in learner 'linreg', method predict: expected Scalar, found Vector\n"
        "        w * x\n"
        "        ^^^^^\n"
        "hint: did you mean dot(w, x)? the body's type must be the declared result type Scalar\n")


@pytest.mark.parametrize(("predict", "learn", "meant"), [
    ("sigmoid(w * x)", "(w, m)", "hint: did you mean sigmoid(dot(w, x))? the body's type must be"),  # in context
    ("let z = w * x in z", "(w, m)", "hint: did you mean dot(w, x) for w * x? the body's type must be"),  # let's value
    ("dot(m * x, w)", "(w, m)", "hint: did you mean matmul(m, x)? it takes"),  # the caret at it: alone
    ("dot(w, x)", "(w + matmul(x, w), m)", "hint: did you mean dot(x, w)? it takes"),  # ranked: not "or x * w"
    ("abs(x)", "(w, m)", "hint: did you mean norm(x)? the body's type must be"),  # |x| of a vector: its norm
    ("x", "(w, m)", "hint: did you mean mean(x) or norm(x)? the body's type must be"),  # a reduction of the body
])
def test_a_type_error_names_the_primitive_of_the_wanted_signature_on_the_same_operands(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], predict: str, learn: str, meant: str) -> None:
    err = _check(tmp_path, capsys, LEARNER.format(predict=predict, learn=learn))
    assert meant in err.splitlines()[-1], err


def test_a_nested_meant_call_is_said_in_its_context_with_the_caret_at_the_call_it_replaces(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``sin(w * x)`` read ``did you mean dot(w, x)?`` under the whole body, as if to replace it (qfix98)."""
    err = _check(tmp_path, capsys, LEARNER.format(predict="sin(w * x)", learn="(w, m)"))
    assert err.endswith(
        "a.mlev:6:9: error: in learner 'l', method predict: expected Scalar, found Vector\n"
        "        sin(w * x)\n"
        "            ^^^^^\n"
        "hint: did you mean sin(dot(w, x))? the body's type must be the declared result type Scalar\n"), err
    long = "sin(w * x) + 1.0 + 2.0 + 3.0 + 4.0 + 5.0"  # too wide to say whole: the call for the one it replaces
    err = _check(tmp_path, capsys, LEARNER.format(predict=long, learn="(w, m)"))
    assert "hint: did you mean dot(w, x) for w * x? the body's" in err, err


def test_only_the_first_meant_call_that_fits_is_named_by_the_order_of_meant(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A product of two Vectors that must be a Scalar: dot, not ``dot(x, w) or x * w`` (MEANT's order ranks)."""
    err = _check(tmp_path, capsys, LEARNER.format(predict="dot(w, x)", learn="(w + matmul(x, w), m)"))
    assert " or " not in err.splitlines()[-1].split("?")[0], err


def test_no_call_is_named_where_none_makes_the_body_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _check(tmp_path, capsys, LEARNER.format(predict="m * x", learn="(w, m)"))  # matmul gives a Vector
    assert "did you mean" not in err, err


def test_every_meant_primitive_is_in_the_base_grammar() -> None:
    spec = load_grammar()
    for op, alternatives in MEANT.items():
        assert spec.overloads(op), op
        assert all(spec.overloads(a) for a in alternatives), op
    assert all(spec.overloads(op) for op in REDUCTIONS)
