"""The interpreter: compiles checked programs to PyTorch, trains and scores them, exports them as Python."""

from mlevolve._lazy import submodules

__getattr__, __dir__ = submodules(__name__, globals())  # `mlevolve.PACKAGE.MODULE` on first use
