"""The one error root of mlevolve: a user's mistake, with where it is and what to do about it.

Rendered as ``FILE:LINE:COL: error: MESSAGE``, then the source line with a caret under the column,
then ``hint: ...``.  The CLI prints this and exits with status 2; it never shows a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlevolve.dsl.ir import Span


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
        src_lines = source.splitlines() if source is not None else []
        if self.span is not None and 0 < self.span.line <= len(src_lines):
            lines.append("    " + src_lines[self.span.line - 1].expandtabs(1))
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
