"""A syntax error in a TOML file the project reads (a grammar file, a meta configuration) says what TOML takes
at that place, at ``FILE:LINE:COL``: a fresh user's ``[inner`` with no ``]`` got the hint "run `mlevolve meta
--help`" (qa73), which says nothing of the file.  Golden messages of both readers, the command's one line and
status 2, and a check that every message ``tomllib`` raises has a hint of its own."""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlevolve.dsl.errors import MlevError, toml_loads
from mlevolve.dsl.toml_syntax import HINTS, syntax_hint
from mlevolve.grammar.spec import GrammarError, load_grammar
from mlevolve.meta.config import load_config
from tests.conftest import FORMULA_AB, Capsys, regression_csv, usage_error

DEFAULT = "see TOML's syntax at https://toml.io/en/v1.0.0"

# (a broken line after a good one, its place, tomllib's message, the hint)
GOLDEN = [
    ("[inner\nseeds = 1", "2:7", "Expected ']' at the end of a table declaration",
     "a table header is [name]: close it with ]: [inner]"),
    ("[[runs", "2:7", "Expected ']]' at the end of an array declaration",
     "an array of tables' header is [[name]]: close it with ]]: [[runs]]"),
    ("seeds: 3", "2:6", "Expected '=' after a key in a key/value pair",
     "TOML writes key = value, not key: value: seeds = 3"),
    ("a b = 1", "2:3", "Expected '=' after a key in a key/value pair",
     'a key is one word (letters, digits, _ and -) or in quotes: "a b" = 1'),
    ("seeds = 1 2", "2:11", "Expected newline or end of document after a statement",
     "an array is in brackets, its items separated by commas: seeds = [1, 2]"),
    ("program = quartic.mlev", "2:11", "Invalid value", 'a string is in quotes: program = "quartic.mlev"'),
    ("x = [1, 2", "3:1", "Unclosed array", "an array is [1, 2, 3]: its items separated by commas, closed with ]"),
    ('x = "abc', "2:9", "Illegal character '\\n'",
     "a string is closed on its line by the quote it opens with: \"text\" or 'text' (\"\"\"...\"\"\" spans lines)"),
    ('x = "C:\\q"', "2:10", "Unescaped '\\' in a string",
     "in a \"...\" string a backslash starts an escape (\\n, \\t, \\\\, \\u00e9): write a path in '...'"),
    ("= 3", "2:1", "Invalid statement", "each line is key = value, a [table] header or a # comment"),
]


@pytest.mark.parametrize(("line", "place", "message", "hint"), GOLDEN)
def test_a_meta_configurations_syntax_error_says_what_toml_takes_there(
        tmp_path: Path, line: str, place: str, message: str, hint: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(f'program = "x.mlev"\n{line}\n')
    with pytest.raises(MlevError) as caught:
        load_config(path)
    assert str(caught.value).splitlines() == [f"{path}:{place}: error: not valid TOML: {message}", f"hint: {hint}"]


@pytest.mark.parametrize(("line", "place", "message", "hint"), GOLDEN)
def test_a_grammar_files_syntax_error_says_it_alike(tmp_path: Path, line: str, place: str, message: str,
                                                   hint: str) -> None:
    path = tmp_path / "g.toml"
    path.write_text(f'extends = "base"\n{line}\n')
    with pytest.raises(GrammarError) as caught:
        load_grammar(path)
    assert (caught.value.message, caught.value.hint) == (f"not valid TOML: {message}", hint)
    assert f"{caught.value.span.line}:{caught.value.span.column}" == place


def test_the_command_prints_it_in_one_line_with_status_2(tmp_path: Path, capsys: Capsys,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("m.toml").write_text('program = "x.mlev"\n[inner\nseeds = 1\n')
    Path("g.toml").write_text('extends = "base"\n[types\n')
    assert usage_error(capsys, "meta", "m.toml") == (
        "m.toml:2:7: error: not valid TOML: Expected ']' at the end of a table declaration\n"
        "hint: a table header is [name]: close it with ]: [inner]\n")
    assert usage_error(capsys, "grammar", "show", "g.toml") == (
        "g.toml:2:7: error: not valid TOML: Expected ']' at the end of a table declaration\n"
        "hint: a table header is [name]: close it with ]: [types]\n")


def test_a_key_given_twice_keeps_the_hint_that_says_which(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('program = "x.mlev"\nprogram = "y.mlev"\n')
    with pytest.raises(MlevError) as caught:
        load_config(path)
    assert caught.value.message == "key 'program' is given twice (first at line 1)"
    assert caught.value.hint == "TOML takes each key and table once: keep one of them"


def _messages() -> set[str]:
    """Every message ``tomllib``'s parser raises, as its source writes it (an f-string's text up to its first field)."""
    source = inspect.getsource(tomllib._parser)  # type: ignore[attr-defined]
    return {re.split(r"\{", m[1])[0] for m in re.finditer(r'suffixed_err\(\s*src,\s*\w+,\s*f?"((?:[^"\\]|\\.)*)"',
                                                          source)}


def test_every_message_tomllib_raises_has_a_hint_of_its_own() -> None:
    own = [start for start, _ in HINTS] + ["Cannot", "Duplicate inline table key"]  # given twice: toml_duplicate's
    messages = _messages()
    assert len(messages) >= 15, messages  # the reading of tomllib's source still finds them
    for message in messages:
        text = message.replace("\\'", "'").replace('\\\\', "\\")
        assert any(text.startswith(start) or start.startswith(text) for start in own), text
        if not text.startswith(("Cannot", "Duplicate")):
            assert syntax_hint(text, "") != DEFAULT, text


@given(st.text(alphabet=st.sampled_from(list("ab =[]{}\"',.:#\n1\\")), max_size=30))
def test_any_text_is_read_or_refused_at_a_place_with_a_hint(text: str) -> None:
    try:
        toml_loads(text, "f.toml")
    except MlevError as err:
        assert err.file == "f.toml" and err.hint and "\n" not in err.hint
        assert err.span is not None or not err.message.startswith("not valid TOML"), err.message


def test_every_text_reader_refuses_a_nul_byte_in_the_same_words(tmp_path: Path, capsys: Capsys,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A grammar file or meta configuration with a NUL byte was read as TOML ("Invalid statement"), and a CSV file
    as a CSV, where a .mlev file with one is refused as binary (qa73): every reader of a text file says it so."""
    monkeypatch.chdir(tmp_path)
    Path("m.toml").write_bytes(b'program = "x.mlev"\n\0')
    Path("g.toml").write_bytes(b'extends = "base"\0\n')
    Path("p.mlev").write_bytes(FORMULA_AB.encode()[:9] + b"\0")
    regression_csv(Path("d.csv"))
    Path("d.csv").write_bytes(b"a,b\0")
    csv_hint = "a data file is a UTF-8 .csv with a header row, or an .npz written by numpy.savez(path, X=..., y=...)"
    for argv, file, offset, hint in [
            (["meta", "m.toml"], "m.toml", 19, "a meta configuration is UTF-8 text (TOML)"),
            (["grammar", "show", "g.toml"], "g.toml", 16, "a grammar file is UTF-8 text (TOML)"),
            (["check", "p.mlev", "--grammar", "g.toml"], "g.toml", 16, "a grammar file is UTF-8 text (TOML)"),
            (["check", "p.mlev"], "p.mlev", 9, "a .mlev program is UTF-8 text"),
            (["run", "p.mlev"], "p.mlev", 9, "a .mlev program is UTF-8 text"),
            (["fmt", "p.mlev"], "p.mlev", 9, "a .mlev program is UTF-8 text")]:
        assert usage_error(capsys, *argv) == f"{file}: error: binary file (a NUL byte at offset {offset})\n" \
            f"hint: {hint}\n", argv
    Path("f.mlev").write_text(FORMULA_AB)
    assert usage_error(capsys, "run", "f.mlev", "--task", "d.csv:target=y") == (
        f"d.csv: error: binary file (a NUL byte at offset 3)\nhint: {csv_hint}\n")


def test_a_nul_byte_beside_a_byte_not_utf8_is_binary_in_every_reader(tmp_path: Path, capsys: Capsys,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A TOML file with a NUL byte and a byte that is not UTF-8 was "not UTF-8 text" where one with the NUL alone was
    binary, and a .mlev file with both was binary (qa76): one rule, in decode_utf8, for every reader: a NUL is
    binary, whatever else the file holds; a bad byte alone is still told at its place."""
    monkeypatch.chdir(tmp_path)
    Path("m.toml").write_bytes(b'program = "x.mlev"\n\xff\0')
    Path("g.toml").write_bytes(b'extends = "base"\n\xff\0\n')
    Path("p.mlev").write_bytes(FORMULA_AB.encode()[:9] + b"\xff\0")
    for argv, file, offset, hint in [
            (["meta", "m.toml"], "m.toml", 20, "a meta configuration is UTF-8 text (TOML)"),
            (["grammar", "show", "g.toml"], "g.toml", 18, "a grammar file is UTF-8 text (TOML)"),
            (["check", "p.mlev"], "p.mlev", 10, "a .mlev program is UTF-8 text")]:
        assert usage_error(capsys, *argv) == f"{file}: error: binary file (a NUL byte at offset {offset})\n" \
            f"hint: {hint}\n", argv
    Path("g.toml").write_bytes(b'extends = "base"\n\xff\n')
    assert usage_error(capsys, "grammar", "show", "g.toml") == (
        "g.toml:2:1: error: not UTF-8 text (byte 0xff at offset 17)\n"
        "hint: a grammar file (TOML) is UTF-8 text: save it as UTF-8\n")
