"""The closest name to a misspelt one: the primitive of every "did you mean" hint, the library's
(:mod:`mlevolve.dsl.errors` re-exports both functions) and an exported script's (its task options and
flags, reported in mlevolve's words).  Standard library only."""

import difflib
from collections.abc import Iterable


def closest(word: str, names: Iterable[str]) -> str | None:
    """The name of ``names`` closest to ``word`` by :func:`difflib.get_close_matches` (ratio 0.6 or more), or None."""
    return next(iter(difflib.get_close_matches(word, list(names), n=1)), None)


def did_you_mean(word: str, names: Iterable[str]) -> str:  # a script carries this one alone: its own difflib call
    """``"did you mean 'NAME'? "`` for the name of ``names`` :func:`closest` to ``word``, or ``""`` where none is."""
    return "".join(f"did you mean {name!r}? " for name in difflib.get_close_matches(word, list(names), n=1))
