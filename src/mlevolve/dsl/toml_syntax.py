"""What TOML expects where ``tomllib`` stops reading: the hint of a syntax error in any of the project's TOML files.

``tomllib`` says what it found wrong at a ``LINE:COL`` ("Expected ']' at the end of a table declaration") but not
how the text should read, and a reader's default hint ("run `mlevolve meta --help`") named no fix of the syntax.
:func:`syntax_hint` is the hint :func:`~mlevolve.dsl.errors.toml_loads` (the one reader of grammar files and meta
configurations) gives each syntax error: what TOML takes at that place, in its terms, with the line's own key or
value where the fix is to write it otherwise (``program = "quartic.mlev"``).
"""

from __future__ import annotations

import re

NOT_TOML = "not valid TOML: "  # how toml_loads's message of a syntax error starts
_LINE = "each line is key = value, a [table] header or a # comment"
_VALUES = ('a value is a number (3, 0.5, 1e-3), a string in quotes ("text"), true or false, an array [1, 2] or an '
           "inline table {a = 1}")
_STRING = "a string is closed on its line by the quote it opens with: \"text\" or 'text' (\"\"\"...\"\"\" spans lines)"
_ESCAPE = r'in a "..." string a backslash starts an escape (\n, \t, \\, \u00e9): write a path in '"'...'"

# tomllib's messages (Python 3.11's ``tomllib._parser``), by how each starts, to what TOML takes at that place.
HINTS: tuple[tuple[str, str], ...] = (
    ("Expected ']' at the end of a table declaration", "a table header is [name]: close it with ]"),
    ("Expected ']]' at the end of an array declaration", "an array of tables' header is [[name]]: close it with ]]"),
    ("Expected '=' after a key", f"a key is followed by = and its value: key = value; {_LINE}"),
    ("Invalid statement", _LINE),
    ("Invalid initial character for a key part", "a key is letters, digits, _ and - (or text in quotes): "
                                                 "key = value, [table]"),
    ("Expected newline or end of document after a statement", "one key = value per line; a string is in quotes "
     '("two words"), an array in brackets ([1, 2]), and a comment starts with #'),
    ("Invalid value", _VALUES),
    ("Unclosed array", "an array is [1, 2, 3]: its items separated by commas, closed with ]"),
    ("Unclosed inline table", "an inline table is {a = 1, b = 2} on one line: its entries separated by commas, "
                              "closed with }"),
    ("Unterminated string", _STRING),
    ("Found invalid character", "a '...' string and a # comment end at their line and hold no control character"),
    ("Illegal character", r"a string holds no control character: write a tab as \t and a line break as \n"),
    ("Unescaped '\\' in a string", _ESCAPE),
    ("Invalid hex value", r"a \u escape is 4 hex digits and a \U escape 8: \u00e9"),
    ("Escaped character is not a Unicode scalar value", r"a \u escape names a character: \u0000 to \uD7FF or "
                                                        r"\uE000 to \uFFFF (\U for the rest, up to \U0010FFFF)"),
    ("Invalid date or datetime", "a date is 1979-05-27 (a time after it: 1979-05-27T07:32:00Z); other text is "
                                 'in quotes: "text"'),
    ("Expected ", _STRING),  # Expected "'" (or "\'\'\'"): a literal string not closed; after every other "Expected"
)
_BARE = re.compile(r"\s*([A-Za-z0-9_.\-]+)\s*=\s*([^\s\"'\[{#][^#]*?)\s*(?:#.*)?$")  # key = an unquoted value


def syntax_hint(message: str, line: str) -> str:
    """What TOML takes where ``tomllib``'s ``message`` (its text without the place) stops on ``line`` (the text
    of that line): a key given a colon (``seeds: 3``) or an unquoted word (``program = quartic.mlev``) is
    answered with itself written as TOML writes it; another error with the form TOML expects there."""
    written = _BARE.match(line)
    if message.startswith(("Invalid value", "Expected newline")) and written and not _literal(written[2]):
        items = [item for item in re.split(r"[\s,]+", written[2]) if item]
        if len(items) > 1 and all(map(_literal, items)):  # seeds = 1 2, seeds = 1, 2
            return f"an array is in brackets, its items separated by commas: {written[1]} = [{', '.join(items)}]"
        return f"a string is in quotes: {written[1]} = {_quoted(written[2])}"
    colon = re.match(r"\s*([A-Za-z0-9_\-]+)\s*:\s*(\S.*?)\s*$", line)
    if message.startswith(("Expected '='", "Invalid statement")) and colon:
        return f"TOML writes key = value, not key: value: {colon[1]} = {colon[2]}"
    spaced = re.match(r"\s*([A-Za-z0-9_\-]+(?:\s+[A-Za-z0-9_\-]+)+)\s*=\s*(.*?)\s*$", line)
    if message.startswith("Expected '='") and spaced:  # a b = 1
        return f"a key is one word (letters, digits, _ and -) or in quotes: \"{spaced[1]}\" = {spaced[2]}"
    header = re.match(r"\s*(\[\[?)\s*([^\]\[#]*?)\s*\]?\s*(?:#.*)?$", line)
    if message.startswith("Expected ']") and header and header[2]:  # [inner, [[runs]
        close = header[1].replace("[", "]")
        what = "a table header" if close == "]" else "an array of tables' header"
        return f"{what} is {header[1]}name{close}: close it with {close}: {header[1]}{header[2]}{close}"
    if message.startswith(("Illegal character '\\n'", "Found invalid character '\\n'")):  # a string's line ended
        return _STRING
    return next((hint for start, hint in HINTS if message.startswith(start)),
                "see TOML's syntax at https://toml.io/en/v1.0.0")


def _literal(value: str) -> bool:
    """Whether ``value`` (a value as written, unquoted) is a TOML number, boolean or date, which take no quotes."""
    import tomllib

    try:
        tomllib.loads(f"v = {value}")
    except tomllib.TOMLDecodeError:
        return False
    return True


def _quoted(value: str) -> str:
    """``value`` as a TOML string: in double quotes, or single ones (a literal string) where it holds ``\\`` or ``"``"""
    return f"'{value}'" if ("\\" in value or '"' in value) and "'" not in value else \
        '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

