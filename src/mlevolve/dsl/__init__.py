"""The language: syntax (``mlev.lark``), immutable IR, parser, type checker, printer, traversals.

Imports lark only: neither torch nor deap.
"""

from mlevolve._lazy import submodules

__getattr__, __dir__ = submodules(__name__, globals())  # `mlevolve.PACKAGE.MODULE` on first use
