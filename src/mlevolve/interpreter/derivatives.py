"""Derivative rules of the formula primitives, as data: forward-mode automatic differentiation.

Constant fitting (:mod:`~mlevolve.interpreter.fit`) needs the Jacobian of a formula's residuals with
respect to its literals.  It is computed in one forward pass over the formula's linearised body
(:class:`fastpath.Body`): each register carries its value and its tangent, the derivative of the
value with respect to each of the ``p`` literals (a ``(p, n)`` array over ``n`` points), and each
instruction's tangent follows from its operands' by the chain rule (Griewank & Walther 2008,
"Evaluating derivatives", ch. 3):

    out = op(a, b)        t_out = (d op / d a) * t_a + (d op / d b) * t_b        (unary: the first term)

:data:`DERIVATIVES` holds, per primitive, the partial derivatives ``d op / d a`` (and ``d op / d b``)
as NumPy expressions of the operands ``a0``, ``a1`` and the instruction's value ``v`` (reusing ``v``
where the law allows: ``exp``, ``tanh``, ``sigmoid``, ``reciprocal``, ``sqrt``, ``div``), with the
law and the convention at points where the primitive is not differentiable.  These are the 20
elementwise primitives over Scalars that a formula can use (a ``formula`` computes with Scalars
only, :data:`dsl.kinds.KINDS`; each has a NumPy template and an opcode, :mod:`~mlevolve.interpreter.opcodes`).
There are no protected operators to differentiate: ``div``, ``log``, ``sqrt``, ``reciprocal`` follow
IEEE rules, and a formula whose value is not finite on a point has no residuals to tune (its fit
stops, or never starts).

Conventions (one per kind of point where a derivative does not exist):

- **Kinks** (``abs`` at 0, ``relu`` at 0, ``min``/``max`` on a tie): the derivative of the branch the
  value takes, so the tangent follows the operand the value came from (``min(a, b)`` is ``a`` where
  ``a < b``, else ``b``, as the kernel and ``np.minimum`` pick it); ``abs`` and ``relu`` take the
  subgradient 0 at 0 (``sign(0) = 0``, ``heaviside(0, 0) = 0``).
- **Jumps** (``sign``, ``heaviside``): 0 everywhere, at the jump too (the one-sided derivatives are 0;
  the jump itself has no derivative, and a finite-difference step across it gives an arbitrary one).
- **Infinite slopes** (``sqrt`` at 0): ``0.5 / sqrt(0)`` is ``inf``, the one-sided derivative; the
  fit replaces such a column by a finite difference (``fit.needs_difference``).
- **Zeros are strong**: a term of the chain rule is 0 when either factor is 0, whatever the other is
  (``0 * inf`` taken as 0).  A literal that does not reach a value (a zero tangent, structurally or
  on that point) contributes nothing through it, and a primitive that is flat where it is evaluated
  (a zero partial) passes nothing on, even from a non-finite tangent.  So ``sqrt(c * x)`` at
  ``x = 0`` has derivative 0 in ``c`` (its value is 0 for every ``c``), as a finite difference says,
  not ``inf * 0 = NaN``.  The price: through an infinite intermediate a strong zero can cut a
  derivative that exists (``sign(x) / reciprocal(c)`` is ``sign(x) * c``, but at ``c = 0`` its
  tangent passes ``reciprocal(0) = inf`` and comes out 0); the forward pass records which literals
  passed a non-finite value, and the fit takes a finite difference for such a zero column.

:func:`partials` makes each rule a NumPy function once per process; the compiled kernel
(:func:`formula_kernel._partials`) transcribes the same expressions (the same IEEE operations;
``tests/interpreter/test_derivatives.py`` holds the two to the same bits and every rule to central
finite differences).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Rule:
    """One primitive's derivative: ``partials``, the NumPy expression of ``d op / d a`` for each
    argument ``a`` (in ``a0``, ``a1``: the arguments, ``v``: the value); ``law``: what it states;
    ``convention``: the value taken where the derivative does not exist ("" where it always does
    on the primitive's finite domain)."""

    partials: tuple[str, ...]
    law: str
    convention: str = ""


DERIVATIVES: Mapping[str, Rule] = {
    "add": Rule(("1.0", "1.0"), "d(a + b) = da + db"),
    "sub": Rule(("1.0", "-1.0"), "d(a - b) = da - db"),
    "mul": Rule(("a1", "a0"), "d(a b) = b da + a db"),
    "div": Rule(("1.0 / a1", "-v / a1"), "d(a / b) = da / b - (a / b) db / b"),
    "min": Rule(("np.where(a0 < a1, 1.0, 0.0)", "np.where(a0 < a1, 0.0, 1.0)"),
                "d min(a, b) = da where a < b, else db", "a tie follows b, the operand the value is taken from"),
    "max": Rule(("np.where(a0 > a1, 1.0, 0.0)", "np.where(a0 > a1, 0.0, 1.0)"),
                "d max(a, b) = da where a > b, else db", "a tie follows b, the operand the value is taken from"),
    "neg": Rule(("-1.0",), "d(-a) = -da"),
    "abs": Rule(("np.sign(a0)",), "d|a| = sign(a) da", "0 at a = 0 (the subgradient 0)"),
    "reciprocal": Rule(("-(v * v)",), "d(1 / a) = -da / a^2 = -(1 / a)^2 da"),
    "exp": Rule(("v",), "d exp(a) = exp(a) da"),
    "log": Rule(("1.0 / a0",), "d log(a) = da / a"),
    "sqrt": Rule(("0.5 / v",), "d sqrt(a) = da / (2 sqrt(a))", "inf at a = 0 (the one-sided derivative)"),
    "square": Rule(("2.0 * a0",), "d(a^2) = 2 a da"),
    "sin": Rule(("np.cos(a0)",), "d sin(a) = cos(a) da"),
    "cos": Rule(("-np.sin(a0)",), "d cos(a) = -sin(a) da"),
    "tanh": Rule(("1.0 - v * v",), "d tanh(a) = (1 - tanh(a)^2) da"),
    "sigmoid": Rule(("v * (1.0 - v)",), "d s(a) = s(a) (1 - s(a)) da"),
    "relu": Rule(("np.heaviside(a0, 0.0)",), "d relu(a) = da where a > 0, else 0", "0 at a = 0 (the subgradient 0)"),
    "heaviside": Rule(("0.0",), "d heaviside(a) = 0", "0 at the jump a = 0"),
    "sign": Rule(("0.0",), "d sign(a) = 0", "0 at the jump a = 0"),
}

_NAMES: dict[str, Any] = {"np": np}  # what a rule's expression may name


@cache
def partials(op: str) -> Callable[[Any, Any, Any], tuple[Any, ...]]:
    """``lambda a0, a1, v: (d op / d a0, ...)``: the partial derivatives of ``op`` at arguments
    ``a0``, ``a1`` (``a1`` unused by a unary op) and value ``v``, NumPy arrays or numbers that
    broadcast together.  Made once per process per primitive from :data:`DERIVATIVES` (the
    expressions are this module's, never program text); raises KeyError for a primitive with no rule."""
    fn: Callable[[Any, Any, Any], tuple[Any, ...]] = eval(
        f"lambda a0, a1, v: ({', '.join(DERIVATIVES[op].partials)},)", _NAMES)
    return fn


def term(partial: Any, tangent: Any) -> Any:
    """One term of the chain rule, ``partial * tangent``, 0 where either factor is 0 (strong zeros:
    the module docstring).  ``tangent``: (p, n); ``partial``: (n,) or a number."""
    tangent = np.asarray(tangent)
    return np.where((tangent != 0.0) & (np.asarray(partial) != 0.0), partial * tangent, 0.0)
