"""What evaluating a program gives: metrics, or a failure recorded as data.

Shared by the interpreter, which produces outcomes, and the GP engine and archive, which consume
and store them; it depends on nothing else, so neither side needs the other's imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    program: str | None = None  # the program as scored, when scoring rewrote it (a formula's fitted constants)

    @property
    def fitness(self) -> float:
        return float("-inf") if self.failure else float(self.metrics["fitness"])

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.metrics)
        out["failure"] = None if self.failure is None else {"reason": self.failure.reason,
                                                            "where": self.failure.where}
        return out
