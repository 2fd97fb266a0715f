"""The closest name to a misspelt one: the primitive of every "did you mean" hint, the library's
(:mod:`mlevolve.dsl.errors` re-exports both functions) and an exported script's (its task options and
flags, reported in mlevolve's words).  Standard library only."""

import difflib
from collections.abc import Iterable

BINARY = "binary file (a NUL byte at offset {})"  # a file with one is no text: every reader's words (.mlev, CSV)


def closest(word: str, names: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The name of ``names`` closest to ``word`` by :func:`difflib.get_close_matches` (at ``cutoff``), case aside"""
    folded = {name.casefold(): name for name in reversed(list(names))}  # MSE is mse; of names alike, the first
    return next((folded[n] for n in difflib.get_close_matches(word.casefold(), list(folded), 1, cutoff)), None)


def did_you_mean(word: str, names: Iterable[str]) -> str:  # a script carries it: the flags', the task options'
    """``"did you mean 'NAME'? "`` for the name of ``names`` :func:`closest` to ``word``, or ``""`` where none is."""
    return "".join(f"did you mean {name!r}? " for name in filter(None, [closest(word, names)]))


def printable(text: str) -> str:  # a script carries it: its errors quote the cells and names of a user's file
    """``text`` with each character a terminal acts on or hides (NUL, ESC, a bidi override) escaped as a Python literal
    writes it (``\\x1b``), newlines kept: a binary file's cell or name in an error cannot clear or recolour it."""
    return "".join(ch if ch.isprintable() or ch == "\n" else ch.encode("unicode_escape").decode("ascii") for ch in text)


def counted(n: int, noun: str, plural: str = "") -> str:  # a script carries it too: its task loaders' messages
    """``n`` ``noun``, thousands separated, the noun plural (``plural``, else + s) but for one: ``1,204 types``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def listed(noun: str, names: list[str], plural: str = "") -> str:
    """``noun`` then ``names``, the noun plural (``plural``, else + s) but for one name: ``columns a, b``."""
    return f"{noun if len(names) == 1 else plural or noun + 's'} {', '.join(names)}"
