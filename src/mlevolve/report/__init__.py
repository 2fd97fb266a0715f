"""Seeing what a run did: the HTML run report, ``mlevolve show`` and ``mlevolve best``'s output.

One archive is read once (``data``) into a snapshot with the numbers derived from it; ``render``
turns programs and candidate lines into neutral token lists that an ANSI (terminal) and an HTML
back end format, so the terminal commands and the report show the same thing the same way;
``plots`` draws the matplotlib figures, ``lineage`` a program's ancestry as inline SVG, and
``page`` assembles the self-contained HTML file.  Nothing here is imported until asked for, so
the CLI stays light.
"""

from mlevolve._lazy import submodules

__getattr__, __dir__ = submodules(__name__, globals())  # `mlevolve.PACKAGE.MODULE` on first use
