"""The meta level: evolving the generator (grammar weights, learned rules, operators) and the evidence."""

from mlevolve._lazy import submodules

__getattr__, __dir__ = submodules(__name__, globals())  # `mlevolve.PACKAGE.MODULE` on first use
