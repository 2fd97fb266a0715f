"""Code that an exported script carries: the training loops and the task loaders.

Every module here imports only the standard library, numpy and (in the neural regimes' loops)
torch, plus other modules of this package by ``from mlevolve.interpreter.standalone.X import ...``
lines, which `mlevolve export` drops when it puts the modules the program needs into one script
(:mod:`mlevolve.interpreter.export`).  The loops of the formula and learner regimes and every
loader import no torch, so their scripts do not either.

A module raises its own errors (:class:`~mlevolve.interpreter.standalone.common.CandidateFailure`
for a program that cannot be trained, :class:`~mlevolve.interpreter.standalone.spec.TaskError`
for a task that cannot be loaded); the library wraps the latter into its ``MlevError``
(:mod:`mlevolve.interpreter.tasks`).  The library-only part of the tasks (names, descriptions,
option checking, the validation of users' CSV/NPZ files) is :mod:`mlevolve.interpreter.tasks`.
"""

from mlevolve._lazy import submodules

__getattr__, __dir__ = submodules(__name__, globals())  # `mlevolve.PACKAGE.MODULE` on first use
