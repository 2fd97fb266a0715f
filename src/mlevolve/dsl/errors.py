"""The one error root of mlevolve: a user's mistake, with where it is and what to do about it.

Rendered as ``FILE:LINE:COL: error: MESSAGE``, then the source line with a caret under the column,
then ``hint: ...``.  The CLI prints this and exits with status 2; it never shows a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlevolve.dsl.ir import Span


def normalize_newlines(text: str) -> str:
    """``text`` with universal newlines: CRLF and lone CR become LF, as Python's text mode reads files.

    Every reader of ``.mlev`` text (files, API strings, grammar files) goes through this, so the parser,
    the formatter and error positions see the same lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def source_lines(text: str) -> list[str]:
    """The lines of ``text`` numbered as the parser numbers them (1-based index ``i`` is ``[i - 1]``).

    Only a newline (after :func:`normalize_newlines`) ends a line: form feeds, U+2028 and the other
    characters that :meth:`str.splitlines` also breaks at do not, because the parser does not count them."""
    return normalize_newlines(text).split("\n")


def display_line(line: str) -> str:
    """A source line as printed under an error: every character one column wide (a tab, a form feed
    or any other unprintable character shows as a space), so the caret lands under its column."""
    return "".join(ch if ch.isprintable() else " " for ch in line)


class MlevError(Exception):
    """A user-facing error: bad source text, a type error, a bad flag, an unknown task..."""

    def __init__(
        self, message: str, span: Span | None = None, hint: str | None = None, file: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.file = file

    def located(self, file: str) -> MlevError:
        """This error, attributed to ``file`` unless it already names one."""
        if self.file is None:
            self.file = file
        return self

    def render(self, source: str | None = None) -> str:
        where = self.file or "<input>"
        if self.span is not None:
            where += f":{self.span.line}:{self.span.column}"
        lines = [f"{where}: error: {self.message}"]
        src_lines = source_lines(source) if source is not None else []
        if self.span is not None and 0 < self.span.line <= len(src_lines) and src_lines[self.span.line - 1].strip():
            lines.append("    " + display_line(src_lines[self.span.line - 1]))
            width = 1
            if self.span.end_line == self.span.line:
                width = max(1, self.span.end_column - self.span.column + 1)
            lines.append("    " + " " * (self.span.column - 1) + "^" * min(width, 60))
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class MlevErrors(MlevError):
    """Several errors found in one pass (one per definition); renders them all."""

    def __init__(self, errors: Sequence[MlevError]) -> None:
        super().__init__(errors[0].message, errors[0].span, errors[0].hint, errors[0].file)
        self.errors = list(errors)

    def located(self, file: str) -> MlevError:
        for e in self.errors:
            e.located(file)
        return super().located(file)

    def render(self, source: str | None = None) -> str:
        return "\n".join(e.render(source) for e in self.errors)
