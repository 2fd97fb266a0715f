"""A literal a prune snapped to 0 is a term removed, not "fewer digits" (a fresh user's finding: ``0.0632 * x``
became ``0.0 * x``, shown as it was and labelled ``still N nodes, fewer digits``): the prune's cancellation edit
drops a product by 0 (scored, as every cancellation: NaN at an infinite input in float64), and a kept prune whose
program still holds one says ``a term zeroed``."""

from __future__ import annotations

from typing import Any

from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_expr
from mlevolve.gp import prune as pruning
from mlevolve.report.data import pruned_line

RECORD = {"from": "0123456789abcdef", "from_seq": 1234, "from_size": 6, "size": 6, "hash": "fedcba9876543210",
          "from_metrics": {"val_mse": 2.5e-3, "fitness": -2.5e-3}, "metrics": {"val_mse": 2.5e-3, "fitness": -2.5e-3}}


def _formula(body: str) -> str:
    return f"algorithm a\n\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  {body}\n"


def test_a_snap_to_zero_is_labelled_a_term_zeroed_not_fewer_digits() -> None:
    zero = {**RECORD, "program": _formula("sin(y) + 0.0 * x")}
    assert pruned_line(zero) == ("pruned from candidate 1234 (hash 0123456789ab): still 6 nodes, a term zeroed (a "
                                 "literal snapped to 0), val_mse 0.0025 -> 0.0025")
    rounder = {**RECORD, "program": _formula("sin(y) + 0.06 * x")}
    assert pruned_line(rounder).endswith(": still 6 nodes, fewer digits, val_mse 0.0025 -> 0.0025")
    constant = {**RECORD, "size": 4, "from_size": 4, "program": _formula("sin(y) + 0.0")}  # no product: a constant
    assert pruned_line(constant).endswith(": still 4 nodes, fewer digits, val_mse 0.0025 -> 0.0025")
    learner = ("algorithm a\n\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
               "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w + (y - p) * 0.0 * x\n")
    assert pruned_line({**RECORD, "size": 9, "from_size": 9, "program": learner}).endswith(
        ": still 9 nodes, a term zeroed (a literal snapped to 0), val_mse 0.0025 -> 0.0025")


def test_the_cancellation_edit_drops_a_product_by_zero() -> None:
    for body, want in (("sin(y) + 0.0 * x", "sin(y)"), ("sin(y) - x * 0.0", "sin(y)"), ("exp(0.0 * x) * y", "y")):
        expr: Any = parse(_formula(body)).definitions[0].body
        assert format_expr(next(pruning.edits(expr, ["x", "y"]))) == want, body

