"""The one error root of mlevolve: a user's mistake, with where it is and what to do about it.

Rendered as ``FILE:LINE:COL: error: MESSAGE``, then the source line with a caret under the column,
then ``hint: ...``.  The CLI prints this and exits with status 2; it never shows a traceback.
"""

from __future__ import annotations

import codecs
import functools
import math
import pickle
import re
import shlex
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from mlevolve.dsl.ir import Span
from mlevolve.interpreter.standalone.common import NUMBER
from mlevolve.interpreter.standalone.spelling import BINARY, printable
from mlevolve.interpreter.standalone.spelling import closest as closest  # the one closest-name primitive, which
from mlevolve.interpreter.standalone.spelling import did_you_mean as did_you_mean  # an exported script carries too


def toml_error(err: ValueError, text: str) -> tuple[str, Span | None]:
    """A ``tomllib.TOMLDecodeError`` of ``text`` as ``("not valid TOML: ...", its place)``: Python 3.11's error has
    no line attribute, only the text "... (at line L, column C)", or "(at end of document)": the last line's end."""
    at = re.search(r" \(at (?:line (\d+), column (\d+)|end of document)\)$", str(err))
    if at is None:
        return f"not valid TOML: {err}", None
    lines = source_lines(text)
    line, column = (int(at[1]), int(at[2])) if at[1] else (len(lines), len(lines[-1]) + 1)
    return f"not valid TOML: {str(err)[:at.start()]}", Span(line, column, line, column)


_TOML_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""  # a bare or quoted key
_TOML_KEY = re.compile(rf"\s*(\[\[?)?\s*({_TOML_PART}(?:\s*\.\s*{_TOML_PART})*)")  # [[?]] KEY(.KEY)*


def read_bytes(path: Path, what: str, missing: str, hint: str, text_hint: str,
               error: Callable[..., MlevError] | None = None, opening: str | None = None) -> bytes:
    """The bytes of file ``path``, ``what`` it should be ("a .mlev program"): the one reader of the project's
    text files (``.mlev`` programs, grammar files, meta configurations).  Raises ``error`` (default
    :class:`MlevError`) naming the file where it cannot be read: ``missing`` (and ``hint``) where there is
    none, a folder, no permission; and, naming none, where a path that cannot be read holds a line break or
    starts with ``opening`` (how such a text starts: ``algorithm `` for a program): the file's text given
    where its path is read (``text_hint``: how to pass text)."""
    make = error or MlevError
    if str(path) == "-":  # the shell's and many tools' name of standard input
        raise make(f"{what} is read from a file, not from standard input ('-')", hint="write it to a file and give "
                   "its path")
    try:
        return path.read_bytes()
    except OSError as err:
        if "\n" in str(path) or (opening is not None and str(path).lstrip().startswith(opening)):  # no path does
            raise make(f"this is text, not the path of {what}", hint=text_hint) from None
        message, hint = ((missing, hint) if isinstance(err, FileNotFoundError) else
                         (f"is a folder, not {what}", f"give the path of {what} in it")
                         if isinstance(err, IsADirectoryError) else
                         (f"cannot read: {err.strerror}", "check the file's permissions"))
        raise make(message, hint=hint, file=str(path)) from None


# How .mlev writes a power, which it has no operator or primitive for (`x ** 2`, `x ^ 2`, `pow(x, 2)`).
POWER = "square(x) for x * x, and another power as x * x * x, sqrt(x), reciprocal(x) or exp(p * log(x)) for x > 0"
# How .mlev writes a comparison, which it has no operator or primitive for (`x < y`, `greater(x, y)`).
COMPARE = "heaviside(x - y) (1 where x > y, 0 where x < y), sign(x - y), min(x, y) or max(x, y)"
_CONDITION = ("a condition is 0 or 1 (heaviside(x) is 1 where x > 0, else 0): 'and' is a product, 'or' a max, 'not' "
              "1 - c; min(x, y) and max(x, y) pick the smaller or the larger")
# Python's comparison and logical operators and its conditional expression, which .mlev has none of (no Bool type:
# a condition is a 0/1 value): each one, as written in Python, to (what it is, an example, the example in .mlev).
# The parser's hint of an unexpected one (`x == 2`, `x <= y`, `a and b`, `not a`, `a if c else b`) writes it so;
# each .mlev form is checked by a test.
PYTHON_OPERATORS: Mapping[str, tuple[str, str, str]] = {
    "==": ("comparison operators", "x == y", "1 - abs(sign(x - y))"),
    "!=": ("comparison operators", "x != y", "abs(sign(x - y))"),
    "<=": ("comparison operators", "x <= y", "1 - heaviside(x - y)"),
    ">=": ("comparison operators", "x >= y", "1 - heaviside(y - x)"),
    "<": ("comparison operators", "x < y", "heaviside(y - x)"),
    ">": ("comparison operators", "x > y", "heaviside(x - y)"),
    "and": ("logical operators", "x > 0 and y > 0", "heaviside(x) * heaviside(y)"),
    "or": ("logical operators", "x > 0 or y > 0", "max(heaviside(x), heaviside(y))"),
    "not": ("logical operators", "not x > 0", "1 - heaviside(x)"),
    "if": ("conditional expression", "x if x > y else y", "heaviside(x - y) * x + (1 - heaviside(x - y)) * y"),
}
PYTHON_OPERATORS = {**PYTHON_OPERATORS, "else": PYTHON_OPERATORS["if"], "&&": PYTHON_OPERATORS["and"],
                    "||": PYTHON_OPERATORS["or"], "!": PYTHON_OPERATORS["not"], "&": PYTHON_OPERATORS["and"],
                    "|": PYTHON_OPERATORS["or"]}


def python_operator(written: str) -> tuple[str, str]:
    """The message's tail and the hint of Python's operator ``written`` (a key of :data:`PYTHON_OPERATORS`)."""
    what, example, mlev = PYTHON_OPERATORS[written]
    return f".mlev has no {what}", f"write {example} as {mlev}; {_CONDITION}"


# Non-ASCII characters that look like an ASCII operator or quote (pasted from a paper, a PDF or a word processor's
# autocorrect): an unexpected one's hint names the ASCII character to write instead.
LOOKALIKES = {
    "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\ufe63": "-",
    "\uff0d": "-", "\u00d7": "*", "\u22c5": "*", "\u00b7": "*", "\u2217": "*", "\uff0a": "*", "\u00f7": "/",
    "\u2215": "/", "\u2044": "/", "\uff0f": "/", "\uff0b": "+", "\uff1d": "=", "\uff08": "(", "\uff09": ")",
    "\uff0c": ",", "\uff1a": ":", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\uff02": '"', "\u2018": '"', "\u2019": '"', "\u2192": "->", "\u00a0": " ",  # .mlev quotes with " only
}
_NO_INVERSE = "mlevolve has no inverse trigonometric primitive (`mlevolve grammar show` lists them)"
_NO_ROUNDING = "mlevolve has no rounding or remainder primitive (`mlevolve grammar show` lists them)"
# Other libraries' names (gplearn, PySR, NumPy, PyTorch) of functions that .mlev writes otherwise: an unknown
# primitive's hint says how, where the closest name would mislead (tan: not tanh; log10: not log; inv: not sin).
FOREIGN_NAMES: Mapping[str, str] = {
    **dict.fromkeys(("pow", "power", "float_power"), POWER),
    "cube": "square(x) * x",
    **dict.fromkeys(("inv", "recip", "inverse"), "reciprocal(x)"),
    **dict.fromkeys(("ln", "log_e"), "log(x): log is the natural logarithm"),
    "log10": "log(x) / 2.302585 (log is the natural logarithm)",
    "log2": "log(x) / 0.6931472 (log is the natural logarithm)",
    "log1p": "log(1 + x)", "expm1": "exp(x) - 1", "exp2": "exp(0.6931472 * x)",
    "tan": "sin(x) / cos(x) (tanh is the hyperbolic tangent)",
    "sinh": "(exp(x) - exp(-x)) / 2", "cosh": "(exp(x) + exp(-x)) / 2",
    **dict.fromkeys(("arcsin", "asin", "arccos", "acos", "arctan", "atan", "atan2", "arctan2"), _NO_INVERSE),
    **dict.fromkeys(("floor", "ceil", "round", "trunc", "mod", "fmod", "remainder"), _NO_ROUNDING),
    **dict.fromkeys(("greater", "less"), COMPARE),
    **dict.fromkeys(("where", "if_else", "select"),
                    "heaviside(p) * x + heaviside(-p) * y (x where p > 0, y where p < 0)"),
    **dict.fromkeys(("logistic", "expit"), "sigmoid(x)"),
    "step": "heaviside(x)", **dict.fromkeys(("sgn", "signum"), "sign(x)"),
    **dict.fromkeys(("fabs", "absolute"), "abs(x)"),
    **dict.fromkeys(("maximum", "fmax"), "max(x, y)"), **dict.fromkeys(("minimum", "fmin"), "min(x, y)"),
    **dict.fromkeys(("negative", "negate"), "-x (neg(x))"), "sq": "square(x)",
    **dict.fromkeys(("protected_div", "pdiv", "divide", "true_divide"), "x / y (div(x, y))"),
    "multiply": "x * y (mul(x, y))", "subtract": "x - y (sub(x, y))",
    # `sum(square(p - y))` in a loss was told "did you mean 'sub'?" (a fresh-user pass)
    **dict.fromkeys(("sum", "reduce_sum", "nansum", "prod", "reduce_mean", "nanmean", "average"),
                    "mlevolve has no sum or product primitive: a loss or objective is written per element "
                    "(square(p - y)) and training sums it over outputs and averages it over the batch; a Vector's "
                    "mean is mean(v), its sum dot(v, fill(1.0))"),
}
# Python's operator characters that .mlev has no operator for (its operators are + - * /): an unexpected one's hint
# says how .mlev writes what it means (`^` and `**`, the power, are told so by the parser; the comparison and logical
# ones, < > ! & |, as PYTHON_OPERATORS).
OPERATOR_HINTS: Mapping[str, str] = {
    "%": f".mlev has no % (remainder) operator: {_NO_ROUNDING}",
    "@": ".mlev has no @ operator: write matmul(A, B) (dot(u, v) for two vectors)",
    # Python's other punctuation, which a fresh user writes out of habit (`x[0]`, `torch.relu(x)`, `task 'iris'`)
    **dict.fromkeys("[]", ".mlev has no indexing or lists: a Vector, Matrix or Tensor is used whole, elementwise or "
                          "by dot(u, v), mean(v), matmul(A, B); a formula takes one Scalar parameter per column"),
    **dict.fromkeys("{}", ".mlev has no braces: group with parentheses ( )"),
    ".": ".mlev has no modules, attributes or methods: call a primitive by its name, relu(x) (not torch.relu(x)) "
         "or mean(v) (not v.mean()); `mlevolve grammar show` lists them",
    ";": ".mlev has no ; : a definition ends where the next one starts, with its kind, and a let's body follows "
         "its in",
    "'": ".mlev has no single quotes: a data file or a task with options is written in double quotes, "
         "task \"data.csv:target=y\"; a comment starts with #",
}
# Other languages' type names, which .mlev names otherwise: an unknown type's hint says which.
FOREIGN_TYPES: Mapping[str, tuple[str, ...]] = {
    **dict.fromkeys(("float", "double", "real", "number", "float32", "float64"), ("Scalar",)),
    **dict.fromkeys(("int", "integer", "int64", "long"), ("Int",)),
    **dict.fromkeys(("ndarray", "array", "list"), ("Vector", "Matrix", "Tensor"))}


def type_hint(name: str, types: Sequence[str]) -> str:
    """An unknown type ``name``'s hint: which of ``types`` another language's name means (:data:`FOREIGN_TYPES`), or
    the closest of them, then every one."""
    meant = [t for t in FOREIGN_TYPES.get(name, ()) if t in types]
    said = f"'{name}' is another language's name: write {' or '.join(meant)}; " if meant else \
        did_you_mean(name, types)
    return f"{said}types: {', '.join(types)}"


# Other libraries' named constants, which .mlev writes as numbers: an unknown name's hint says which.
FOREIGN_CONSTANTS: Mapping[str, str] = {**dict.fromkeys(("pi", "PI"), "3.141592653589793"),
                                        **dict.fromkeys(("e", "E"), "2.718281828459045")}


def foreign_hint(name: str, called: bool = True) -> str | None:
    """How .mlev writes what another library calls ``name``, a function (``called``: :data:`FOREIGN_NAMES`) or a
    constant (:data:`FOREIGN_CONSTANTS`), as an unknown primitive's or name's hint; None for a name neither holds."""
    if not called:
        number = FOREIGN_CONSTANTS.get(name)
        return None if number is None else f"'{name}' is no name of .mlev: write the number, {number}"
    how = FOREIGN_NAMES.get(name)
    if how is None:
        return None
    return how if how.startswith("mlevolve has no") else f"'{name}' is another library's name: write {how}"


DATA_SUFFIXES = (".csv", ".npz")  # a user's data file, which every command takes as a task (--task FILE)


def csv_header(file: str | Path) -> list[str] | None:
    """The stripped cells of CSV ``file``'s first row that is not blank (a byte-order mark dropped): its header, the
    columns' names, unless every cell is a number (:func:`headerless`); None where it cannot be read as text.  Reads
    up to that row only (a hint's, of a file of any size)."""
    import csv

    try:
        with open(file, encoding="utf-8-sig", newline="") as f:
            return next(([c.strip() for c in row] for row in csv.reader(f) if any(c.strip() for c in row)), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def headerless(header: Sequence[str]) -> bool:
    """Whether a CSV file's first row ``header`` (:func:`csv_header`) is data, not names: every cell a number."""
    return bool(header) and all(NUMBER.fullmatch(h) for h in header)


def data_task(path: str | Path) -> str:
    """Data file ``path`` as a ``--task`` spec, shell-quoted: a CSV names its target column (its header's last, where
    its header is read; ``COLUMN`` where the file cannot be read or has no header line, which the reader then says),
    an NPZ holds ``y``."""
    if not str(path).lower().endswith(".csv"):
        return shlex.quote(str(path))
    header = csv_header(path)
    return shlex.quote(f"{path}:target={header[-1] if header and not headerless(header) else 'COLUMN'}")


def decode_utf8(data: bytes, file: str, what: str, error: Callable[..., MlevError] | None = None) -> str:
    """``data`` as UTF-8 text, the one bytes-to-text step of the project's text files (``.mlev`` programs,
    grammar files, meta configurations).  Raises ``error`` (default :class:`MlevError`) at the bad byte's
    ``FILE:LINE:COL`` (the column counts characters, as the parser's do) where it is not UTF-8; ``what``
    names the file's kind in the hint ("a meta configuration").  A run's archive (an SQLite database) and a data
    file (by its suffix, :data:`DATA_SUFFIXES`, unless its text is one of the project's: :func:`text_kind`) are
    named as such, not as text with a bad byte or a syntax error.  Any other file with a NUL byte, which no text file
    holds, is refused as binary (:data:`BINARY`, as a CSV file with one is), whatever else it holds: one rule for
    every reader, a byte that is not UTF-8 beside the NUL included."""
    make, kind = error or MlevError, what.split(" (")[0]  # as the .mlev reader says them (api.read_source)
    if data.startswith(b"SQLite format 3\0"):
        raise make(f"an SQLite database, not {what}", file=file, hint="a run's archive is read by `mlevolve best`, "
                   f"`show`, `report` and `export`; give the path of {kind}")
    if file.lower().endswith(DATA_SUFFIXES) and text_kind(data.decode("utf-8", "ignore")) is None:  # by name only
        raise make(f"a data file, not {what}", file=file, hint=f"a data file is a task (--task {data_task(file)}); "
                   f"give the path of {kind}")
    if (nul := data.find(b"\0")) >= 0:
        raise make(BINARY.format(nul), file=file, hint=f"{kind} is UTF-8 text{what[len(kind):]}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        start = data.rfind(b"\n", 0, err.start) + 1
        line = data.count(b"\n", 0, err.start) + 1
        column = len(data[start:err.start].decode("utf-8", errors="replace")) + 1
        raise (error or MlevError)(f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})",
                                   Span(line, column, line, column),
                                   f"{what} is UTF-8 text: save it as UTF-8", file=file) from None


_PROGRAM_START = re.compile(r"\A\ufeff?(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*algorithm[ \t]")  # comments, then the header


def text_kind(text: str) -> str | None:
    """Which of the project's text files ``text`` is, by what no other kind has: "a .mlev program" (its first line
    of code is ``algorithm NAME``), "a meta configuration" (TOML with ``program = ...``) or "a grammar file" (TOML
    with ``extends`` or ``types``); None for anything else, a broken file of any kind included.  For a reader that
    was given one kind where it reads another, to say so rather than report the other's syntax as errors."""
    import tomllib

    if _PROGRAM_START.match(text):
        return "a .mlev program"
    try:
        data = tomllib.loads(normalize_newlines(text.removeprefix("\ufeff")))
    except tomllib.TOMLDecodeError:
        return None
    return "a meta configuration" if "program" in data else "a grammar file" if data.keys() & {"extends", "types"} \
        else None


SQLITE = "an SQLite database"  # file_kind's name of a file that starts as one does (a run's archive, likely)


def file_kind(path: str | Path) -> str | None:
    """:func:`text_kind` of the file at ``path`` (its first 64 KiB; a ``.mlev`` file is a program by its suffix), or
    :data:`SQLITE`; None for any other file, one that cannot be read, and anything not a regular file (a FIFO would
    block)."""
    if str(path).lower().endswith(".mlev"):
        return "a .mlev program"
    if not Path(path).is_file():
        return None
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    return SQLITE if head.startswith(b"SQLite format 3\0") else text_kind(head.decode("utf-8", "ignore"))


# How each kind of text file is used: the hint of a reader given one where it reads another (text_kind)
KIND_USE = {"a .mlev program": "a program is run with `mlevolve run FILE` and evolved with `mlevolve evolve FILE`",
            "a meta configuration": "a meta configuration is run with `mlevolve meta FILE`",
            "a grammar file": "a grammar file is given as --grammar FILE to run, check, evolve and export",
            SQLITE: "a run's archive is read by `mlevolve best`, `show`, `report` and `export`",
            "a TOML file": "a grammar file is given as --grammar FILE; a meta configuration is run with `mlevolve meta "
                           "FILE` (either reports where its TOML is broken)"}


def wrong_kind(text: str, file: str, what: str, error: Callable[..., MlevError] | None = None) -> None:
    """Raise ``error`` (default :class:`MlevError`) naming ``file`` where ``text`` is another kind of the project's
    text files than ``what`` (:func:`text_kind`), with how that kind is used; else return.  A ``.toml`` file that is
    no program, for the program reader, by its suffix: a broken grammar file or meta configuration, whose syntax
    the TOML readers report."""
    kind = text_kind(text) or ("a TOML file" if what == "a .mlev program" and file.lower().endswith(".toml") else None)
    if kind is not None and kind != what:
        raise (error or MlevError)(f"{kind}, not {what}", file=file, hint=KIND_USE[kind])


def toml_loads(text: str, file: str, error: Callable[..., MlevError] | None = None) -> tuple[dict[str, Any], str]:
    """The one reader of the project's TOML files (grammar files, meta configurations): ``text`` without
    a leading byte-order mark (U+FEFF, which some editors write) and with universal newlines, parsed by
    ``tomllib``; returns ``(data, text as parsed)``, the text for :func:`toml_key_span`.  Raises ``error``
    (default :class:`MlevError`) at ``FILE:LINE:COL`` where it is not TOML: a key or table given twice
    named, at its second place, with its first line where the text writes it so (:func:`toml_duplicate`); any other
    syntax error with what TOML takes there as its hint (:func:`mlevolve.dsl.toml_syntax.syntax_hint`)."""
    import tomllib

    from mlevolve.dsl.toml_syntax import NOT_TOML, syntax_hint  # (it imports this module)

    text = normalize_newlines(text.removeprefix("\ufeff"))
    try:
        return tomllib.loads(text, parse_float=_float_as_written), text
    except tomllib.TOMLDecodeError as err:
        twice = toml_duplicate(text, err)
        if twice:
            raise (error or MlevError)(twice[0], twice[1], twice[2], file=file) from None
        message, span = toml_error(err, text)
        hint = None
        if message.startswith(NOT_TOML) and span is not None:
            lines = source_lines(text)
            hint = syntax_hint(message.removeprefix(NOT_TOML), lines[span.line - 1] if span.line <= len(lines) else "")
        raise (error or MlevError)(message, span, hint, file=file) from None


class _Overflowed(float):
    """A TOML float out of a float's range (``1e400`` read as inf) that keeps its text as written: what an
    error shows (:func:`toml_text`), not the ``inf`` it was read as."""

    written: str


class _Underflowed(float):
    """A TOML float too close to 0 for a float (``5e-400`` read as 0.0) that keeps its text as written: a
    setting written nonzero is not read as 0 silently (a weight of 0 drops its production)."""

    written: str


def _float_as_written(text: str) -> float:
    """``tomllib``'s ``parse_float``: ``text`` as a float; one past a float's range (_Overflowed) or below its
    smallest nonzero value, 5e-324, though written with a nonzero digit (_Underflowed), keeps its text."""
    value = float(text)
    kind = _Overflowed if math.isinf(value) and "inf" not in text else \
        _Underflowed if value == 0 and any(c in "123456789" for c in text.lower().partition("e")[0]) else None
    if kind is not None:
        value = kind(value)
        value.written = text
    return value


def _is_number(value: object) -> bool:
    """A finite int or float: TOML's true is no number, and its nan and inf are no setting's value (a weight,
    a margin, a bound of nan compares false with everything and is silently ignored or fails far from here)."""
    return (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            and not isinstance(value, _Underflowed))


def _underflowed(value: object) -> str | None:
    """The text of ``value`` (or of its first element) where it is a nonzero number a float reads as 0."""
    if isinstance(value, list):
        return next(filter(None, map(_underflowed, value)), None)
    return value.written if isinstance(value, _Underflowed) else None


def _non_finite(value: object) -> bool:
    """``value`` (or an element of it) is TOML's nan or inf: a number that :func:`_is_number` refuses."""
    if isinstance(value, list):
        return any(map(_non_finite, value))
    return isinstance(value, float) and not math.isfinite(value)


# Each kind of value a TOML file of ours holds: (its name in an error, its test, its value as read).
TOML_KINDS: dict[str, tuple[str, Callable[[Any], bool], Callable[[Any], Any]]] = {
    "number": ("a number", _is_number, float),
    "integer": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool), int),
    "string": ("a string", lambda v: isinstance(v, str), str),
    "boolean": ("true or false", lambda v: isinstance(v, bool), bool),
    "strings": ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(e, str) for e in v), tuple),
    "numbers": ("a list of numbers", lambda v: isinstance(v, list) and all(map(_is_number, v)),
                lambda v: tuple(map(float, v))),
    "table": ("a table", lambda v: isinstance(v, dict), dict),
}


def toml_text(value: object, width: int = 60) -> str:
    """``value`` as TOML writes it (``"0.5"``, ``true``, ``[1, 2]``), cut to about ``width`` characters: what
    an error says a file holds."""
    import json

    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, list):
        text = "[" + ", ".join(toml_text(v, width) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {toml_text(v, width)}" for k, v in value.items()) + "}"
    else:  # a number (inf, nan as TOML writes them; 1e400 as written, not the inf it was read as), a date
        text = value.written if isinstance(value, _Overflowed | _Underflowed) else str(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def toml_value(value: object, kind: str, name: str, key: str, error: Callable[[str, str], MlevError],
               example: str | None = None, noun: str | None = None) -> Any:
    """``value``, a TOML file's ``key`` (``name`` in an error: ``[restrict.learner] scale``), as read if it
    is of ``kind`` (a key of :data:`TOML_KINDS`: a number as a float, a list as a tuple), else ``error(message,
    hint)`` raised: "NAME must be a number, got \"0.5\"", the hint naming the type and an ``example`` value
    (a string that would be one without its quotes: that).  A boolean is no number, a string no number nor
    boolean.  ``noun`` names the kind in words of the key's own ("a list of task names").  The one check of
    every value that the project's TOML readers (grammar files, meta configurations) take."""
    what, test, read = TOML_KINDS[kind]
    if test(value):
        return read(value)
    unquoted, written = None, str(value).strip()
    if isinstance(value, str) and kind != "string" and "\n" not in value:
        import tomllib

        try:
            unquoted = tomllib.loads(f"v = {value}")["v"]
        except (tomllib.TOMLDecodeError, KeyError):
            unquoted = None
    if kind in ("number", "numbers") and _non_finite(value):
        raise error(f"{name} must be {noun or what}, finite, got {toml_text(value)}",
                    f"{key} takes {what}: nan and inf are none" + (f", e.g. {key} = {example}" if example else ""))
    if kind in ("number", "numbers") and (tiny := _underflowed(value)) is not None:
        raise error(f"{name} must be {noun or what} a float holds, got {toml_text(value)}: {tiny} is below the "
                    "smallest float, 5e-324, and would read as 0",
                    f"write {key} = 0 if 0 is meant, else a number from 5e-324 up")
    if unquoted is not None and test(unquoted):
        hint = f"{key} takes {what}, written without quotes: {key} = {written}"
    else:
        hint = f"{key} takes {what}" + (f", e.g. {key} = {example}" if example else "")
    raise error(f"{name} must be {noun or what}, got {toml_text(value)}", hint)


_TOML_TWICE = r"Cannot overwrite a value|Cannot declare .* twice|Cannot mutate immutable namespace"


def toml_duplicate(text: str, err: ValueError) -> tuple[str, Span, str] | None:
    """``tomllib``'s "Cannot overwrite a value", "Cannot declare ... twice" or "Cannot mutate immutable namespace"
    (a key or a ``[table]`` given twice, or inside a key given an array or inline table) as ``(message naming the
    key, its second place, hint)``; None for other errors.  ``tomllib`` places the error after the second value:
    the key is the one the line starts with."""
    message, span = toml_error(err, text)
    hint = "TOML takes each key and table once: keep one of them"
    inline = re.search(r"Duplicate inline table key '(.*)'", message)
    if span is not None and inline is not None:
        return f"key {inline[1]!r} is given twice in an inline table", span, hint
    if span is None or not re.search(_TOML_TWICE, message):
        return None
    lines = source_lines(text)
    key = _TOML_KEY.match(lines[span.line - 1]) if span.line <= len(lines) else None
    if key is None:
        return None
    name = re.sub(r"\s*\.\s*", ".", key[2]).replace('"', "").replace("'", "")
    line = lines[span.line - 1]
    if key[1] and not line[key.end():].split("#")[0].strip().startswith("]"):  # `[meta` unclosed: tomllib finds the
        end = len(line.split("#")[0].rstrip())  # table declared again before it finds the bracket missing
        return (f"table header {key[1]}{name} is not closed", Span(span.line, end + 1, span.line, end + 1),
                f"close it: {key[1]}{name}{key[1].replace('[', ']')}")
    what = f"table [{name}]" if key[1] else f"key {name!r}"
    where = ""
    if (first := _toml_first(lines[:span.line])) is not None:
        number, note, why = first
        where = f" (first at line {number}{note})"
        hint = f"TOML takes each key and table once: {why}" if why else hint
    return f"{what} is given twice{where}", Span(span.line, key.start(2) + 1, span.line, key.end(2)), hint


def _toml_first(lines: list[str]) -> tuple[int, str, str] | None:
    """Where TOML ``lines`` first wrote what their last line writes again (a key, or a ``[table]`` header): its
    line number, what that line was where it was not the same key or table written twice (", as key 'budget' given
    a value", ", in the value of key 'evolve'", ", as table [inner.budget]"; else "") and why the two cannot both be
    (else ""): a key given a value (a number, a string, an array, an inline table: ``budget = 300`` before
    ``[inner.budget]``, ``evolve = [...]`` before ``[evolve.x]`` or ``evolve.x = 1``) is no table to add to, and a
    table (``[inner.budget]`` before ``budget = 300`` under ``[inner]``) no key to give a value.  None where no
    line before it does (an inline table holding it)."""
    written = [(number, header, path, ".".join(part for part, _, _ in parts))  # the key as written
               for number, header, parts, path, _ in _toml_paths(lines)]
    if not written or written[-1][0] != len(lines):
        return None
    _, again_header, again, _ = written.pop()
    no_table = "a key given a value ({} = ...) is no table to add to"
    for number, header, path, as_written in written:
        if path == again and header == again_header:  # the same key or table
            return number, "", ""
        if path == again:  # a key given a value, then a table of that name; or the reverse
            return ((number, f", as key {as_written!r} given a value", no_table.format(as_written)) if again_header
                    else (number, f", as table [{'.'.join(path)}]",
                          f"table [{'.'.join(path)}] is no key to give a value; keep one of them"))
        if not header and (path == again[:len(path)] or again == path[:len(again)]):  # a value holding it, or in it
            return ((number, f", in the value of key {as_written!r}", no_table.format(as_written))
                    if len(path) < len(again) else (number, "", ""))
    return None


_TOML_HEADER = re.compile(r"\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(?:#.*)?$")


_TOML_SEGMENT = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*""")  # one part of a dotted key


def toml_key_path(line: str) -> tuple[bool, list[tuple[str, int, int]]] | None:
    """The key path ``line`` writes, as ``(is a [table] header, [(part, first column, last column), ...])``
    (1-based columns, quotes excluded): ``[bounds."d.csv"]`` is a header of ``bounds`` and ``d.csv``,
    ``budget.x = 3`` the key ``budget``, ``x``.  None for a line that writes no key (a value, a comment)."""
    header = _TOML_HEADER.match(line)
    at = line.index("[") + 1 + (line.lstrip().startswith("[[")) if header is not None else 0
    parts: list[tuple[str, int, int]] = []
    while (m := _TOML_SEGMENT.match(line, at)) is not None and m.end() > at:
        group = 1 if m[1] is not None else 2 if m[2] is not None else 3
        parts.append((m[group], m.start(group) + 1, m.end(group)))
        at = m.end()
        if not line.startswith(".", at):
            break
        at += 1
    if not parts or not line.startswith("]" if header is not None else "=", at):
        return None
    return header is not None, parts


def _toml_paths(lines: Sequence[str]) -> Iterator[tuple[int, bool, list[tuple[str, int, int]], list[str], int]]:
    """Each line of TOML ``lines`` that writes a key or a ``[table]`` header (:func:`toml_key_path`), as ``(line
    number, is a header, its parts as written, the full key path, how many of the path's names the table it is
    under gave)``: a key's path is its table's followed by its own parts."""
    current: list[str] = []
    for number, line in enumerate(lines, 1):
        if (written := toml_key_path(line)) is None:
            continue
        header, parts = written
        names = [name for name, _, _ in parts]
        yield number, header, parts, names if header else current + names, 0 if header else len(current)
        if header:
            current = names


def toml_key_span(text: str, table: str | None, key: str | None = None) -> Span | None:
    """Where TOML ``text`` writes ``key`` of ``table`` (a dotted path; None: the top level), or the ``[table]``
    header itself when ``key`` is None or not found: for errors about valid TOML's values, since ``tomllib``
    keeps no positions.  ``key`` is one key (``"d.csv"``), else a dotted path.  A key is found however TOML
    lets it be written: ``key = ...`` (bare or quoted) under the table's header, ``table.key = ...`` as a
    dotted key above it or under a parent table's header, ``key.sub = ...`` (a dotted key into it), or a
    ``[table.key]`` sub-table header; the span is the key's own part of the line.  Where the text writes
    the key nowhere (an inline table, a default value), the nearest place that holds it: the line writing
    the table (its header, or a key of an inline table), else None."""
    within = table.split(".") if table else []
    targets = [within] if key is None else [[*within, key]] + ([within + key.split(".")] if "." in key else [])
    found: Span | None = None
    for number, header, parts, path, offset in _toml_paths(source_lines(text)):
        for target in targets:
            if path[:len(target)] == target and len(target) > offset:  # this line writes the key (or inside it)
                first, last = parts[len(target) - 1 - offset][1], parts[len(target) - 1 - offset][2]
                if key is None and path != target:  # a table's sub-table: its place unless its own header follows
                    found = found or Span(number, parts[0][1], number, parts[-1][2])
                    continue
                if key is None:  # the header's whole name
                    first, last = parts[0][1], parts[-1][2]
                return Span(number, first, number, last)
        if found is None and within and path == within[:len(path)] and len(path) > offset and \
                (len(path) == len(within) or not header):  # the table's header, or a key holding it inline
            found = Span(number, parts[0][1], number, parts[-1][2])
    return found


def normalize_newlines(text: str) -> str:
    """``text`` with universal newlines: CRLF and lone CR become LF, as Python's text mode reads files.

    Every reader of ``.mlev`` text (files, API strings, grammar files) goes through this, so the parser,
    the formatter and error positions see the same lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def as_in_file(text: str, data: bytes) -> str:
    """``text`` (universal newlines, no byte-order mark: :func:`normalize_newlines`) as the file whose bytes are
    ``data`` writes text: its line ending (its first line's: CRLF, CR or LF; LF where it has none) and its UTF-8 BOM,
    if it starts with one.  A file rewritten (``fmt --write``) keeps both, as Black keeps a file's line ending."""
    end = next((i for i, byte in enumerate(data) if byte in b"\r\n"), None)
    newline = "\n" if end is None or data[end:end + 1] == b"\n" else "\r\n" if data[end + 1:end + 2] == b"\n" else "\r"
    bom = "\ufeff" if data.startswith(codecs.BOM_UTF8) else ""
    return bom + text.replace("\n", newline)


def source_lines(text: str) -> list[str]:
    """The lines of ``text`` numbered as the parser numbers them (1-based index ``i`` is ``[i - 1]``).

    Only a newline (after :func:`normalize_newlines`) ends a line: form feeds, U+2028 and the other
    characters that :meth:`str.splitlines` also breaks at do not, because the parser does not count them."""
    return normalize_newlines(text).split("\n")


@functools.lru_cache(maxsize=8)
def _quoted_lines(source: str) -> tuple[str, ...]:
    """:func:`source_lines` of ``source``, kept for the next diagnostic of the same text: 3,000 of one file split
    it 3,000 times."""
    return tuple(source_lines(source))


#: The most characters of one quoted value a message shows: a path fits; a 70 KB cell or name shows its ends.
QUOTED_WIDTH = 240


def clip_quotes(text: str, width: int = QUOTED_WIDTH) -> str:
    """``text`` with each quoted value (``'...'``) longer than ``width`` cut to its start and end around ``...``: a
    message quoting a 70 KB cell or name stays one readable line, and says where the value begins and ends."""
    keep = max(width // 2, 4)
    long = "'([^'\\n]{" + str(width + 1) + ",})'"
    return re.sub(long, lambda m: f"'{m[1][:keep]}...{m[1][-(keep // 2):]}'", text)


#: The most columns of a source line shown under a message: a longer line shows a window around the place, ``...``
#: marking what is cut (a 70 KB one-line program warned once per unused let printed its whole line each time).
QUOTE_WIDTH = 100


def _shown(ch: str) -> str:
    """One character of a quoted source line as shown: itself if printable, a space for a tab or other whitespace,
    else escaped as a Python literal writes it (``\\u202e``): a bidi override or ESC cannot reorder or recolour it."""
    if ch.isprintable():
        return ch
    return " " if ch.isspace() else ch.encode("unicode_escape").decode("ascii")


def display_line(line: str) -> str:
    """A source line as printed under an error: a tab or other whitespace shows as a space, any other unprintable
    character escaped (:func:`_shown`), so no character of it moves the terminal's cursor or the caret."""
    return "".join(map(_shown, line))


def quoted_line(line: str, column: int, width: int = 1, limit: int = QUOTE_WIDTH) -> tuple[str, str]:
    """``(text, caret)``: the source ``line`` as shown under a message (:func:`display_line`) and the caret line under
    its columns ``column`` (1-based) to ``column + width - 1``, each at most about ``limit`` columns: a longer line is
    cut to a window around the place, ``...`` marking each cut, the caret under the same characters.  Linear in
    ``limit``, not in the line's length, past the slice taken."""
    start = max(column - 1, 0)
    lo = max(0, min(start - limit // 3, len(line) - limit))
    hi = min(len(line), lo + limit)
    if len(line) <= limit + 6:  # short enough to show whole: no window
        lo, hi = 0, len(line)
    head = display_line(line[lo:start])
    end = max(start, min(start + max(width, 1), hi))
    marked, tail = display_line(line[start:end]), display_line(line[end:hi])  # none marked: a place past the end
    left, right = "..." * (lo > 0), "..." * (hi < len(line))
    carets = min(max(len(marked), 1), 60)
    return left + head + marked + tail + right, " " * (len(left) + len(head)) + "^" * carets


def code_part(line: str) -> str:
    """``line`` up to its last code character: without a trailing ``#`` comment (one outside a quoted string, in a
    program's text as in TOML's) and the spaces before it, so that a span's carets stop where its code does."""
    quote = ""
    escaped = False
    for i, ch in enumerate(line):
        if quote:
            # a backslash escapes in a "..." string (TOML's '...' literal string has no escapes)
            escaped, quote = (not escaped and ch == "\\" and quote == '"'), "" if ch == quote and not escaped else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip()
    return line.rstrip()


def marked_lines(line: str, span: Span) -> tuple[str, str]:
    """The source ``line`` (the first of ``span``) and the carets under the span's part of it: a span over several
    lines (a call or a let written across them) is marked from its column to the line's last code character (not a
    trailing comment: :func:`code_part`), and the caret line ends ``(continues to line N)``, N its last line; every
    caret of a diagnostic is drawn here."""
    if span.end_line > span.line:
        width = max(1, len(code_part(line)) - span.column + 1)
        text, caret = quoted_line(line, span.column, width)
        return text, f"{caret} (continues to line {span.end_line})"
    return quoted_line(line, span.column, max(1, span.end_column - span.column + 1))


class MlevError(ValueError):
    """A user-facing error: bad source text, a type error, a bad flag, an unknown task...

    A :class:`ValueError`, as a bad value given to Python is (``tomllib.TOMLDecodeError`` and scikit-learn's
    parameter errors are too): a caller of the Python API catches a user's mistake as one, as scikit-learn's
    ``cross_val_score`` and ``GridSearchCV`` do.  Every ``except ValueError`` of this package that guards other
    code lets it through (``except MlevError: raise`` before it).

    ``str`` of it is what the command line prints (:meth:`render`): with :attr:`source`, the text its place is in
    (set by :meth:`with_source` where a program's text is parsed or checked), the line and a caret too."""

    #: The text the error's place is in, for ``str``'s source line and caret; None: no line shown.
    source: str | None = None

    #: The diagnostics of one kind this one says in one line (:func:`capped`); empty for any other.
    merged: Sequence[MlevError] = ()

    #: The key of the task spec's option a task's error is about ("target" of ``data.csv:target=yy``), else "":
    #: where a program's task line is the spec, the error points at that option in it (:func:`option_span`).
    option: str = ""

    #: The task spec a task line wrote without its quotes (``x.csv:traget=y``), else "": the API checks its options
    #: too, so that one error names a mistake in them and the quotes (:func:`mlevolve.api.programs._parse`).
    unquoted: str = ""

    #: The formula's parameter a data file's error is about ("d" of ``no column for parameter d``), else "": the
    #: error points at that parameter in the program's text, wherever the task was named (:func:`api.taskdata`).
    param: str = ""

    # The message and hint quote what a user gave (a cell, a column name, a flag's value): kept :func:`printable` as
    # they are set, so that no printer of them (the command line, a script, ``str``) passes a control character on.
    @property
    def message(self) -> str:
        """What is wrong, in one line (control characters escaped: :func:`printable`; a quoted value past 240
        characters cut to its ends: :func:`clip_quotes`)."""
        return self._message

    @message.setter
    def message(self, text: str) -> None:
        self._message = clip_quotes(printable(text))  # a 70 KB name or cell quoted: its ends

    @property
    def hint(self) -> str | None:
        """How to fix it, in one line, or None (control characters escaped: :func:`printable`)."""
        return self._hint

    @hint.setter
    def hint(self, text: str | None) -> None:
        self._hint = None if text is None else printable(text)

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

    def with_source(self, source: str | None) -> MlevError:
        """This error, with ``source`` as the text its place is in (for ``str``) unless it already has one."""
        if self.source is None:
            self.source = source
        return self

    def render(self, source: str | None = None, label: str = "error") -> str:
        """``FILE:LINE:COL: error: MESSAGE`` (``label`` in place of ``error``: a warning's), the line of ``source``
        it points at with a caret, and the hint; ``<input>`` for a place in text given as a string, and no place
        where the error names none."""
        where = printable(self.file or ("<input>" if self.span is not None else ""))
        if self.span is not None:
            where += f":{self.span.line}:{self.span.column}"
        lines = [f"{where}: {label}: {self.message}" if where else f"{label}: {self.message}"]
        src_lines = _quoted_lines(source) if source is not None else ()
        if self.span is not None and 0 < self.span.line <= len(src_lines) and src_lines[self.span.line - 1].strip():
            lines += ["    " + line for line in marked_lines(src_lines[self.span.line - 1], self.span)]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render(self.source)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by its fields, not by calling ``__init__`` with ``args`` again: a subclass takes other arguments
        (:class:`MlevErrors` its errors, :class:`SettingError` a template, ``UnknownSymbol`` a symbol), so the
        default remade none of them (``'str' object has no attribute 'message'``); a worker's error crosses so."""
        return (_remade, (type(self), self.args, self.__dict__))


def _remade(cls: type[MlevError], args: tuple[Any, ...], state: dict[str, Any]) -> MlevError:
    """An unpickled :class:`MlevError` (:meth:`MlevError.__reduce__`): made without ``__init__``, its fields set."""
    err = cls.__new__(cls, *args)
    err.__dict__.update(state)
    return err


class RenderedWarning(UserWarning):
    """A warning made of an :class:`MlevError` (``error``, with its file, place and hint), whose text is the error
    rendered as an error is (``FILE:LINE:COL: warning: ...``, the line of ``source`` it points at with a caret under
    its span, the hint): the command line prints it so, and ``str`` of it in the API reads the same.  ``source``:
    the text ``error``'s place is in (a program's :attr:`~mlevolve.dsl.ir.Program.source`, a grammar or
    configuration file's text); None renders no line.  Its arguments are ``error`` and ``source``, so that
    ``type(w)(*w.args)`` remakes it: pickle, copy and pytest-xdist's workers do (a rendered text as the argument
    made them call ``str.render``)."""

    def __init__(self, error: MlevError, source: str | None = None) -> None:
        super().__init__(error, source)
        self.error = error
        self.source = source

    def __str__(self) -> str:
        return self.error.render(self.source, label="warning")


class ProgramWarning(RenderedWarning):
    """Something a program says that cannot matter but does not stop it running (a definition with no effect on
    the score as the program stands)."""


class ConfigWarning(RenderedWarning):
    """Something a run finds its configuration says that does not stop it but makes it measure less than it
    should (a meta run's ``[bounds]`` that its inner runs' fitness falls outside)."""


class SettingError(MlevError):
    """A bad value of a setting (an API parameter, a configuration field), named as the caller knows it.

    ``template`` and ``hint`` write each setting as ``{name}``, its Python name, and each value as a
    keyword of ``values``: ``SettingError("{budget} must be at least 1, got {got}", got=0)`` reads
    "budget must be at least 1, got 0" from the API; the CLI renames the settings to its flags
    (:meth:`rename`): "--budget must be at least 1, got 0".
    """

    positive = False
    """Whether a switch is named by its own name whatever its value (``--fit``, not the ``--no-fit`` typed): the
    message says the value."""

    def __init__(self, template: str, hint: str | None = None, **values: object) -> None:
        self.template, self.hint_template, self.values = template, hint, values
        found = (name for text in (template, hint or "") for _, name, _, _ in string.Formatter().parse(text))
        self.settings = tuple(dict.fromkeys(n for n in found if n and n not in values))
        super().__init__(template)
        self.rename(lambda name: name)

    switches: Mapping[str, bool] = {}
    """Switches the hint writes as one types them to the value given: ``{fit}`` with ``False`` reads ``--no-fit``
    from the command line (a ``--NAME/--no-NAME`` flag), ``fit False`` from the API."""

    flag_wording: tuple[str, str | None] | None = None
    """The template and hint said where the setting is a command-line flag (its name renamed to ``--NAME``), where
    the value was typed otherwise than the API's (``--evolve f,`` is a comma-separated text, ``evolve=["f", ""]`` a
    list): None, the same wording."""

    def rename(self, name_of: Callable[[str], str]) -> SettingError:
        """This error with every setting written as ``name_of(name)`` (e.g. a command-line flag)."""
        names = {**{n: name_of(n) for n in self.settings}, **self.values}
        flag = self.flag_wording is not None and any(name_of(n).startswith("--") for n in self.settings)
        template, hint = self.flag_wording if flag and self.flag_wording else (self.template, self.hint_template)
        self.message = template.format_map(names)
        typed = {n: (f if on else "--no-" + f[2:]) if (f := name_of(n)).startswith("--") else f"{f} {on}"
                 for n, on in self.switches.items()}
        self.hint = hint.format_map({**names, **typed}) if hint is not None else None
        self.args = (self.message,)
        return self


class SettingTypeError(SettingError, TypeError):
    """A setting's value of the wrong type (``seed="1"``, ``budget=2.5``): a :class:`TypeError` as well as a
    :class:`ValueError` (a :class:`MlevError`), as Python's own wrong-type errors are and scikit-learn's
    ``InvalidParameterError`` is both."""


def check_types(integers: Mapping[str, object] | None = None, numbers: Mapping[str, object] | None = None) -> None:
    """Raise :class:`SettingTypeError` naming the first of ``integers`` (a setting's name to its value) that is
    no ``int`` (a bool is none: ``seed=True`` was seed 1), or of ``numbers`` (None allowed: left out) that is
    no ``int`` or ``float``: ``seed="1e3"`` raised a bare TypeError, ``seed=1.5`` NumPy's.  The type check of
    every API setting, called where their ranges are checked (``api.checks._at_least``, ``api.check_seed``)."""
    from mlevolve.messages import NOT_A_NUMBER, NOT_AN_INTEGER

    for name, value in (integers or {}).items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise SettingTypeError(*NOT_AN_INTEGER.setting(name), got=repr(value), example=3)
    for name, value in (numbers or {}).items():
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise SettingTypeError(*NOT_A_NUMBER.setting(name), got=repr(value), example=2.5)


class MlevErrors(MlevError):
    """Several errors found in one pass (one per definition); renders them all."""

    def __init__(self, errors: Sequence[MlevError]) -> None:
        super().__init__(errors[0].message, errors[0].span, errors[0].hint, errors[0].file)
        self.errors = list(errors)

    def located(self, file: str) -> MlevError:
        for e in self.errors:
            e.located(file)
        return super().located(file)

    def render(self, source: str | None = None, label: str = "error") -> str:
        return "\n".join(e.render(source, label) for e in self.errors)


def option_span(text: str, key: str, span: Span | None) -> Span | None:
    """Where option ``key`` (``key=value``, its last) is in task spec ``text`` written as a string at ``span`` (its
    quotes included, on one line), else None: the place a task line's error about that option points at."""
    value = r"""(?:'[^']*'|"[^"]*"|[^:'"])*"""  # a value in quotes may hold ':'
    found = [m for m in re.finditer(rf"(?:^|(?<=:))\s*({re.escape(key)}\s*=?{value})", text) if m.start(1) > 0]
    if not key or not found or span is None or span.line != span.end_line:
        return None
    at, end = found[-1].span(1)
    end -= len(found[-1][1]) - len(found[-1][1].rstrip())
    return Span(span.line, span.column + 1 + at, span.line, span.column + end)


#: How many diagnostics of one kind are shown in full before the rest are said in one line (:func:`capped`).
KEEP_OF_A_KIND = 3


def capped(errors: Sequence[MlevError], keep: int = KEEP_OF_A_KIND) -> list[MlevError]:
    """``errors`` with at most ``keep`` of each kind (one message but for its quoted names: ``let 'v0' is never
    used``) in full, then one in place of the rest, at the first left out: ``and 2,991 more like it: 'v8', 'v9',
    ... ('v2999')``, naming the quoted word that differs.  3,000 unused lets printed 3,000 warnings, each quoting the
    line: the output grows as the warnings do, however many there are, no longer."""
    groups: dict[str, list[MlevError]] = {}
    for err in errors:
        groups.setdefault(_kind(err), []).append(err)
    out: list[MlevError] = []
    for err in errors:
        group = groups[_kind(err)]
        if len(group) <= keep or any(err is e for e in group[:keep]):
            out.append(err)
            if len(group) > keep and err is group[keep - 1]:  # the rest said right below their kind's last shown
                out.append(_more(group, keep))
    return out


def _more(group: list[MlevError], keep: int) -> MlevError:
    """The one line :func:`capped` says for ``group[keep:]``, at the first of them: how many, their kind (the
    message with what varies as '…', its context and explanation left out) and the names that differ."""
    words = [re.findall(r"'([^']*)'", e.message) for e in group]
    varies = [len({w[i] for w in words if i < len(w)}) > 1 for i in range(len(words[0]))]
    at = next((i for i, v in enumerate(varies) if v), None)
    named = [] if at is None else [w[at] for w in words[keep:] if at < len(w)]
    names = ", ".join(f"'{n}'" for n in named[:5]) + (f", ... ('{named[-1]}')" if len(named) > 5 else "")
    quoted = iter(varies)
    kind = re.sub(r"'[^']*'", lambda m: "'…'" if next(quoted, False) else m[0], group[0].message)
    kind = re.sub(r"^in [^:]*: |: .*$", "", re.sub(r"\d+:\d+", "…", kind) if len({_places(e) for e in group}) > 1
                  else kind)
    err = group[keep]
    more = MlevError(f"and {len(group) - keep:,} more like the one above ({kind})" + f": {names}" * bool(names),
                     err.span, err.hint, err.file)
    more.merged = group[keep:]  # what it stands for: a caller that filters warnings filters these
    return more.with_source(err.source)


def _places(err: MlevError) -> tuple[str, ...]:
    """The ``LINE:COL`` places an error's message quotes."""
    return tuple(re.findall(r"\d+:\d+", err.message))


def _kind(err: MlevError) -> str:
    """What makes diagnostics one kind for :func:`capped`: the message but for its quoted names and places."""
    return re.sub(r"'[^']*'|\d+:\d+", "''", err.message)


# -- errors that cross a process boundary --------------------------------------------------------------------------
_P = ParamSpec("_P")
_R = TypeVar("_R")


def portable(err: BaseException) -> BaseException:
    """``err`` as it can cross a process boundary however it is pickled: a copy of its class with its arguments and
    fields (an :class:`MlevError`'s message, place, hint, file and source; an :class:`MlevErrors`' errors, each
    made portable too) and no ``__context__``, ``__cause__`` or ``__traceback__``.

    Dask's ``distributed`` installs tblib's pickling for every exception class as it is imported, and for a task's
    error and its causes (``distributed.core.error_message``): the error is pickled with its context and cause, so
    one raised while another was handled whose state cannot be pickled (Lark's exception holds the parser's
    callbacks) could not cross, and came back as a bare ``Exception`` of its repr.  Where even the copy cannot be
    pickled (an argument that cannot), the same text as an :class:`MlevError` (a user's error: its message, place
    and hint) or a ``RuntimeError`` (``TYPE: TEXT``).  The copy is made by the class's own ``__reduce_ex__``, not
    through ``copyreg``'s table (where tblib's pickler would copy the context along)."""
    try:
        reduced: Any = err.__reduce_ex__(4)
        func, args, *rest = reduced
        clean: BaseException = func(*args)
        if rest and rest[0]:
            clean.__setstate__(rest[0])
        if isinstance(clean, MlevErrors):
            clean.errors = [cast(MlevError, portable(e)) for e in clean.errors]  # an MlevError's is one
        clean.__context__ = clean.__cause__ = None
        clean.__traceback__ = None
        pickle.loads(pickle.dumps(clean))
        return clean
    except Exception:  # an argument or field that cannot be pickled: its text
        if isinstance(err, MlevError):
            return MlevError(err.message, err.span, err.hint, err.file).with_source(err.source)
        return RuntimeError(f"{type(err).__name__}: {err}")


def portable_errors(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` as a worker process runs it: any ``Exception`` it raises is raised :func:`portable`, after its
    handler (raised in it, the error would carry the one handled as its ``__context__``).  ``KeyboardInterrupt`` and
    ``SystemExit`` pass as they are.  For every function whose error a worker sends to its coordinator (a Dask
    task's, a ``Client.run``'s, an executor's job)."""

    @functools.wraps(function)
    def crossing(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return function(*args, **kwargs)
        except Exception as err:  # re-raised below, portable
            clean = portable(err)
        raise clean

    return crossing
