"""Training runtime, as the library sees it: the regimes' loops (re-exported from the standalone
modules that exported scripts carry, :mod:`mlevolve.interpreter.standalone`) and :func:`seeded`.

The generated code of a program runs in a namespace made of this module's names (see
:func:`mlevolve.interpreter.evaluate.namespace`), so every name generated code may call is here.
A program that cannot be trained (NaN, explosion, too big, too slow, a runtime error) raises
``CandidateFailure``, which the evaluator records as data.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlevolve.interpreter.standalone.common import Budget, CandidateFailure, check_finite
from mlevolve.interpreter.standalone.formula import _float64, run_formula
from mlevolve.interpreter.standalone.generative import GenerativeProgram, train_generative
from mlevolve.interpreter.standalone.learner import LearnerProgram, draw, learner_predictions, run_learner
from mlevolve.interpreter.standalone.rl import RLProgram, train_rl
from mlevolve.interpreter.standalone.supervised import (
    Lambda,
    LayerNorm,
    Residual,
    SupervisedProgram,
    _metrics,
    _optimizer_signature,
    adam,
    default_model,
    dropout,
    train_supervised,
)

__all__ = [
    "Budget",
    "CandidateFailure",
    "F",
    "GenerativeProgram",
    "Lambda",
    "LayerNorm",
    "LearnerProgram",
    "RLProgram",
    "Residual",
    "SupervisedProgram",
    "_float64",  # a formula's inputs as float64, as its exported script and module take them
    "_metrics",
    "_optimizer_signature",
    "adam",
    "check_finite",
    "default_model",
    "draw",
    "dropout",
    "learner_predictions",
    "math",
    "nn",
    "np",
    "run_formula",
    "run_learner",
    "seeded",
    "torch",
    "train_generative",
    "train_rl",
    "train_supervised",
]


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's and numpy's global generators seeded by ``seed`` and restored after.

    Library code that draws from the global generators (layer initialisation, ``nn.Dropout``,
    ``torch.randn_like``) then draws the same numbers for the same seed in every process, whatever
    ran before; the caller's generator state is left as it was.
    """
    numpy_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # torch.manual_seed less its lazy accelerator
        if torch.cuda.is_available():  # seeding, which records a stack trace per call (~1 ms)
            torch.cuda.manual_seed_all(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            np.random.set_state(numpy_state)
