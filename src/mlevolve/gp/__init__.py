"""The GP engine: typed generation, variation operators, search algorithms, archive (DEAP lives here)."""

from mlevolve._lazy import submodules

__getattr__, __dir__ = submodules(__name__, globals())  # `mlevolve.PACKAGE.MODULE` on first use
