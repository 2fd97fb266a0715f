"""Types of the mlevolve language.

A type is a base type name (a ``str``) or a :class:`TupleType`.  The base types are AutoML-Zero's
memory types (``Scalar``, ``Vector``, ``Matrix``), ``Tensor`` (elementwise and shape-polymorphic),
``Int`` (sizes) and ``Layer`` (a neural-network layer).  A typed grammar may declare more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

SCALAR, VECTOR, MATRIX, TENSOR, INT, LAYER = "Scalar", "Vector", "Matrix", "Tensor", "Int", "Layer"
BASE_TYPES: tuple[str, ...] = (SCALAR, VECTOR, MATRIX, TENSOR, INT, LAYER)


@dataclass(frozen=True, slots=True)
class TupleType:
    """The type of a tuple value, e.g. ``(Tensor, Tensor)`` for an optimizer's result."""

    items: tuple[Type, ...]

    def __str__(self) -> str:
        return "(" + ", ".join(type_str(t) for t in self.items) + ")"


Type: TypeAlias = str | TupleType


def type_str(t: Type) -> str:
    return t if isinstance(t, str) else str(t)


def flatten(t: Type) -> tuple[Type, ...]:
    """The items of a tuple type, or the type itself as a 1-tuple."""
    return t.items if isinstance(t, TupleType) else (t,)
