"""Where a grammar file writes a table or a key: the line and column of a grammar error.

``tomllib`` keeps no positions, so an error about a valid file's values (an unknown type in a
signature, a bad weight, a rule whose body does not check) is placed by reading the text again: a
:data:`Place` names a table (``op.add``, ``weights``, ``rule`` for the ``[[rule]]`` array, None for
the top level), a key in it (None: the table's header) and, for an array of tables, which entry (its
index, or the value of its ``name`` key).  :func:`locate` finds the key's line, else the table's
header, else nothing (a table written inline, a key left to its default).
"""

from __future__ import annotations

import re

from mlevolve.dsl.errors import source_lines, toml_key_path, toml_key_span
from mlevolve.dsl.ir import Span

Place = tuple[str | None, str | None, int | str | None]  # (table, key, entry of an array of tables)


def _entries(lines: list[str], table: str) -> list[tuple[int, int]]:
    """The ``[[table]]`` entries of a file's ``lines``: ``(first line index, end index)`` of each, from its header
    to the next header that is neither a sub-table of it (``[table.x]``) nor under it."""
    path, entries = table.split("."), list[tuple[int, int]]()
    for number, line in enumerate(lines):
        written = toml_key_path(line)
        if written is None or not written[0]:
            continue
        names = [name for name, _, _ in written[1]]
        if entries and entries[-1][1] == len(lines) and not (names[:len(path)] == path and len(names) > len(path)):
            entries[-1] = (entries[-1][0], number)  # a header outside the entry ends it
        if names == path and line.lstrip().startswith("[["):
            entries.append((number, len(lines)))
    return entries


def _entry_value(lines: list[str], key: str) -> str | None:
    """The string value of ``key = "..."`` written in ``lines`` (an entry's), if it writes one so."""
    for line in lines:
        written = re.match(rf"\s*{re.escape(key)}\s*=\s*([\"'])(.*?)\1", line)
        if written is not None:
            return written[2]
    return None


def locate(text: str, place: Place) -> Span | None:
    """The span of ``place`` in grammar file ``text`` (see the module docstring), or None.  A key is found however
    TOML lets it be written (:func:`~mlevolve.dsl.errors.toml_key_span`: ``[table.key]``, dotted keys)."""
    table, key, which = place
    if which is None or table is None:
        return toml_key_span(text, table, key)
    lines = source_lines(text)
    entries = _entries(lines, table)
    if isinstance(which, int):
        entries = entries[which:which + 1]
    else:
        entries = [(a, b) for a, b in entries if _entry_value(lines[a:b], "name") == which]
    if not entries:
        return None
    first, end = entries[0]
    span = toml_key_span("\n".join(lines[first:end]), table, key)
    return None if span is None else Span(span.line + first, span.column, span.end_line + first, span.end_column)
