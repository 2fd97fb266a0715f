"""How one program is trained: :class:`Settings`, the one owner of the training defaults.

Torch-free (the time and size limits, :class:`~mlevolve.interpreter.runtime.Budget`, are made when
a ``Settings`` is), so the API and the CLI read these defaults without importing PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlevolve.interpreter.runtime import Budget


def _budget() -> Budget:
    from mlevolve.interpreter.runtime import Budget

    return Budget()


@dataclass(frozen=True)
class Settings:
    """How to train: ``seed`` (the data split's and the training's), ``epochs`` for supervised, RL and
    generative programs (see their loops); ``batch_size``; ``threads`` for torch; the budget."""

    seed: int = 0
    epochs: int = 10
    batch_size: int = 64
    threads: int = 1
    budget: Budget = field(default_factory=_budget)
