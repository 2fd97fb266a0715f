"""The typed grammar as data (``base.toml`` -> ``GrammarSpec``), its analysis and its Lark rendering."""

from mlevolve._lazy import submodules

__getattr__, __dir__ = submodules(__name__, globals())  # `mlevolve.PACKAGE.MODULE` on first use
