"""What evaluating a program gives: metrics, or a failure recorded as data.

Shared by the interpreter, which produces outcomes, and the GP engine and archive, which consume
and store them; it depends on nothing else, so neither side needs the other's imports.

The one failure policy lives here: :func:`guarded` runs any step of scoring a candidate (a probe,
a training, a worker's request) and turns whatever the candidate raises into a :class:`Failure`;
only ``KeyboardInterrupt`` and ``SystemExit`` pass.  :func:`dumps` is the one JSON writer: strict
(no ``NaN``/``Infinity`` tokens), a non-finite number written as ``null`` and named under
``"non_finite"`` beside it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """Why a candidate could not be scored: ``reason`` (what) and ``where`` (when, in which phase)."""

    reason: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.reason} ({self.where})" if self.where else self.reason


@dataclass(frozen=True)
class Outcome:
    """Metrics of a run; ``fitness`` is higher-is-better, ``-inf`` for a failure."""

    metrics: dict[str, Any] = field(default_factory=dict)
    failure: Failure | None = None
    seconds: float = 0.0

    @property
    def fitness(self) -> float:
        return float("-inf") if self.failure else float(self.metrics["fitness"])

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.metrics)
        out["failure"] = None if self.failure is None else {"reason": self.failure.reason,
                                                            "where": self.failure.where}
        return out


_OUT_OF_MEMORY = ("can't allocate memory", "cannot allocate memory", "out of memory")


def failure_of(err: BaseException, where: str) -> Failure:
    """The :class:`Failure` an exception raised while scoring a candidate stands for.

    A ``CandidateFailure`` of the runtime (anything with ``reason``) keeps its reason and place;
    running out of memory (``MemoryError``, or an allocator's error under the memory limit) says so;
    any other exception is its type and the first line of its message.
    """
    reason = getattr(err, "reason", None)
    if isinstance(reason, str):
        return Failure(reason, getattr(err, "where", "") or where)
    text = str(err).splitlines()[0] if str(err) else ""
    if isinstance(err, MemoryError) or any(m in text.lower() for m in _OUT_OF_MEMORY):
        return Failure("out of memory (over the memory limit)", where)
    return Failure(f"{type(err).__name__}: {text}", where)


def guarded(step: Callable[[], T], where: str) -> tuple[T | None, Failure | None]:
    """``(step(), None)``, or ``(None, failure)`` when the step raises: the one guard around every
    step of scoring a candidate, in every process.  ``KeyboardInterrupt`` and ``SystemExit`` pass."""
    try:
        return step(), None
    except Exception as err:  # whatever the candidate raises is its failure, not the run's
        return None, failure_of(err, where)


def finite_or_none(value: Any) -> Any:
    """``value`` as JSON can hold it: a non-finite float becomes None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``value`` (``allow_nan=False``).  Each non-finite float becomes ``null``
    and, in a top-level object, its key path is listed under ``"non_finite"`` with its value's text
    (``"inf"``, ``"-inf"``, ``"nan"``) as the reason."""
    found: dict[str, str] = {}
    root: list[Any] = [None]
    stack: list[tuple[Any, list[Any] | dict[Any, Any], Any, str]] = [(value, root, 0, "")]
    while stack:  # iterative: nested lists and dicts of any depth
        item, parent, slot, path = stack.pop()
        if isinstance(item, dict):
            out: dict[Any, Any] = dict.fromkeys(item)  # keys in their order; values filled below
            parent[slot] = out
            stack.extend((v, out, k, f"{path}.{k}" if path else str(k)) for k, v in item.items())
        elif isinstance(item, list | tuple):
            seq: list[Any] = [None] * len(item)
            parent[slot] = seq
            stack.extend((v, seq, i, f"{path}[{i}]") for i, v in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            parent[slot] = None
            found[path] = str(item)
        else:
            parent[slot] = item
    clean = root[0]
    if found and isinstance(clean, dict):
        clean["non_finite"] = dict(sorted(found.items()))
    return json.dumps(clean, allow_nan=False, **kwargs)
