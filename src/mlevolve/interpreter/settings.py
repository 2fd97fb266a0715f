"""How one program is trained: :class:`Settings`, the one owner of the training defaults.

Torch-free (the limits, :class:`~mlevolve.interpreter.standalone.common.Budget`, live in the
numpy-only standalone code), so the API and the CLI read these defaults without importing PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlevolve.interpreter.standalone.common import Budget


@dataclass(frozen=True)
class Settings:
    """How to train: ``seed`` (the data split's and the training's), ``epochs`` for supervised, RL and
    generative programs (see their loops); ``batch_size``; ``threads`` for torch; the budget.  Each
    regime's loop takes the fields its row names (:attr:`mlevolve.interpreter.regimes.Regime.settings`)."""

    seed: int = 0
    epochs: int = 10
    batch_size: int = 64
    threads: int = 1
    budget: Budget = field(default_factory=Budget)
