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
from dataclasses import dataclass, field

from mlevolve.dsl.errors import source_lines
from mlevolve.dsl.ir import Span

Place = tuple[str | None, str | None, int | str | None]  # (table, key, entry of an array of tables)

_HEADER = re.compile(r"\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(?:#.*)?$")


@dataclass
class _Section:
    """A table's header (None: the top level) and its lines, numbered from 1."""

    name: str | None
    header: Span | None
    lines: list[tuple[int, str]] = field(default_factory=list)

    def key(self, key: str) -> Span | None:
        """Where this section writes ``key = ...`` (bare or quoted) at the start of a line."""
        for number, line in self.lines:
            written = re.match(rf"\s*([\"']?)({re.escape(key)})\1\s*=", line)
            if written is not None:
                return Span(number, written.start(2) + 1, number, written.end(2))
        return None

    def value(self, key: str) -> str | None:
        """The string value of ``key = "..."`` in this section, if it writes one so."""
        for _, line in self.lines:
            written = re.match(rf"\s*{re.escape(key)}\s*=\s*([\"'])(.*?)\1", line)
            if written is not None:
                return written[2]
        return None


def _sections(text: str) -> list[_Section]:
    sections = [_Section(None, None)]
    for number, line in enumerate(source_lines(text), 1):
        header = _HEADER.match(line)
        if header is None:
            sections[-1].lines.append((number, line))
        else:
            name = header[1].replace('"', "").replace("'", "")
            sections.append(_Section(name, Span(number, header.start(1) + 1, number, header.end(1))))
    return sections


def locate(text: str, place: Place) -> Span | None:
    """The span of ``place`` in grammar file ``text`` (see the module docstring), or None."""
    table, key, which = place
    tables = [s for s in _sections(text) if s.name == table]
    if isinstance(which, int):
        tables = tables[which:which + 1]
    elif isinstance(which, str):
        tables = [s for s in tables if s.value("name") == which]
    if not tables:  # a table written inline (``op = { f = ... }``): its top-level key
        top = _sections(text)[0]
        return top.key(table.split(".")[0]) if table is not None and which is None else None
    section = tables[0]
    found = (section.key(key) if key is not None else None) or section.header
    if found is None and table is None and key is not None:  # a top-level key written as a table: [key], [[key]]
        found = next((s.header for s in _sections(text) if s.name == key or (s.name or "").startswith(f"{key}.")),
                     None)
    return found
