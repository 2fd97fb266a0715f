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


def a_type(t: Type) -> str:
    """``t`` with its indefinite article, for messages: "a Scalar", "an Int", "a (Tensor, Tensor)"."""
    return with_article(type_str(t))


def with_article(word: str) -> str:
    """``word`` after "a" or "an" by its first sound: a word by its first letter's spelling ("an Int", "an
    activation", "a learner"), an abbreviation in capitals by its first letter's name ("an RL", "an MLP", "a GPU")."""
    vowels = "AEFHILMNORSX" if len(word) > 1 and word.isupper() else "aeiouAEIOU"
    return f"{'an' if word[:1] in vowels else 'a'} {word}"


# The largest Int literal (a layer width) a program may write; an Int below 1 is no size either.
MAX_SIZE = 65_536


def flatten(t: Type) -> tuple[Type, ...]:
    """The items of a tuple type, or the type itself as a 1-tuple."""
    return t.items if isinstance(t, TupleType) else (t,)
