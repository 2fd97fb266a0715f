"""The language: syntax (``mlev.lark``), immutable IR, parser, type checker, printer, traversals.

Imports lark only: neither torch nor deap.
"""
