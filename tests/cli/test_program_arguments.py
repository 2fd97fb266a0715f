"""One rule for a program given to the public API (fix63): a :class:`~pathlib.Path`, or a ``str`` of one line that
ends in ``.mlev`` or names an existing file, is the path of a ``.mlev`` file; any other ``str`` is the program's
text (:func:`mlevolve.api.names_file`).  ``check`` and ``format`` took a str as text where ``run``, ``export``,
``evolve`` and ``formula_sympy`` took it as a path (``formula_sympy("x*x")``: no such file).

The table is held to every public function whose ``program`` parameter takes a str, so a new one joins it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Program
from tests.conftest import ROOT, cli

QUARTIC = ROOT / "examples" / "quartic.mlev"


def _evolve(program: Any, tmp: Path) -> Any:
    result = api.evolve(program, ["f"], budget=2, db=tmp / f"{len(list(tmp.iterdir()))}.db", quiet=True,
                        prune=False)
    return result["candidates"], result["best_program"] is not None


CALLS: dict[str, Callable[[Any, Path], Any]] = {  # each function's call, its result compared across the forms
    "check": lambda program, tmp: api.format(api.check(program)),
    "format": lambda program, tmp: api.format(program),
    "run": lambda program, tmp: sorted(api.run(program, seed=0)),
    "export": lambda program, tmp: len(api.export(program).splitlines()) > 100,
    "export_component": lambda program, tmp: "def f(" in api.export_component(program, "f"),
    "formula_sympy": lambda program, tmp: str(api.formula_sympy(program)),
    "evolve": _evolve,
    "check_settings_apply": lambda program, tmp: api.check_settings_apply(program, []),
}


def test_the_table_holds_every_public_function_taking_a_program() -> None:
    taking = {name for name, f in vars(api).items()
              if inspect.isfunction(f) and not name.startswith("_")
              and "program" in inspect.signature(f).parameters
              and "str" in str(inspect.signature(f).parameters["program"].annotation)}
    assert taking - {"names_file"} == set(CALLS)  # names_file: the rule itself


@pytest.mark.parametrize("name", list(CALLS))
def test_every_form_of_a_program_is_read_alike(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Path, a str path (absolute, relative, with spaces around), the text and a Program: one answer each."""
    monkeypatch.chdir(QUARTIC.parent)
    text = QUARTIC.read_text()
    forms = [QUARTIC, str(QUARTIC), QUARTIC.name, f" {QUARTIC.name}\n", text, api.parse(text)]
    answers = [CALLS[name](form, tmp_path) for form in forms]
    assert answers == [answers[0]] * len(forms)


@pytest.mark.parametrize("name", [n for n in CALLS if n != "check_settings_apply"])  # it leaves such to the others
@pytest.mark.parametrize("given_as", ["x*x", "prog.txt"])
def test_a_line_naming_no_file_is_text_and_the_hint_says_so(name: str, given_as: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MlevError) as err:
        CALLS[name](given_as, tmp_path)
    assert str(err.value).startswith("<input>:1:1: error: unexpected")
    assert err.value.hint is not None and err.value.hint.endswith(
        f"{given_as!r} was read as a program's text (no file of that name; a .mlev name is read as a path): "
        f"Path({given_as!r}) reads it as a file")


@pytest.mark.parametrize("name", [n for n in CALLS if n != "check_settings_apply"])
def test_a_missing_mlev_file_is_a_path_that_cannot_be_read(name: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for given_as in ("missing.mlev", Path("prog.txt")):
        with pytest.raises(MlevError) as err:
            CALLS[name](given_as, tmp_path)
        assert str(err.value).splitlines()[0] == f"{given_as}: error: no such file"


@pytest.mark.parametrize("name", [n for n in CALLS if n != "check_settings_apply"])
def test_a_line_naming_a_folder_is_a_path(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-line str naming a folder is refused as a folder, as its Path is: it was parsed as a program's text,
    the hint saying no file had that name."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    for given_as in ("examples", Path("examples")):
        with pytest.raises(MlevError) as err:
            CALLS[name](given_as, tmp_path)
        assert str(err.value).splitlines()[0] == "examples: error: is a folder, not a .mlev program"


@given(st.text(min_size=1, max_size=40))
def test_text_of_several_lines_is_never_a_path(line: str) -> None:
    assert not api.names_file(f"algorithm a\n{line}")
    assert api.names_file(Path(line.replace("\0", "") or "x"))


def test_a_program_is_taken_as_it_is() -> None:
    program = api.parse(QUARTIC.read_text())
    assert isinstance(program, Program) and api.check(program) is program


MISTAKES = {  # a syntax error and a type error: each function's MlevError reads as the command line prints it
    "syntax": ("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  x == 2\n", ":4:5: error: unexpected '=='",
               "      x == 2", "        ^^"),
    "type": ("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  relu2(x)\n",
             ":4:3: error: in formula 'f': unknown primitive 'relu2'", "      relu2(x)", "      ^^^^^^^^"),
}


@pytest.mark.parametrize("name", [n for n in CALLS if n not in ("format", "check_settings_apply")])  # they check less
@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_an_error_reads_as_the_command_lines_with_its_line_and_caret(name: str, mistake: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """README: an MlevError's text is the command line's error, FILE:LINE:COL, the source line, a caret, the hint,
    whether the program is given as text, a str path or a Path (its text once lacked the line and the caret)."""
    monkeypatch.chdir(tmp_path)
    text, head, line, caret = MISTAKES[mistake]
    (tmp_path / "bad.mlev").write_text(text)
    code, _, shown = cli(capsys, "check", "bad.mlev")
    assert code == 2
    for given_as, where in ((text, "<input>"), ("bad.mlev", "bad.mlev"), (Path("bad.mlev"), "bad.mlev")):
        with pytest.raises(MlevError) as err:
            CALLS[name](given_as, tmp_path)
        lines = str(err.value).splitlines()
        assert lines[0].startswith(where + head) and lines[1:3] == [line, caret] and lines[3].startswith("hint: ")
        if where == "bad.mlev":
            assert str(err.value) == shown.rstrip("\n")


@pytest.mark.parametrize("given_as", ["text", "path"])
def test_a_task_lines_error_reads_with_its_line_and_caret(given_as: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = "algorithm a\ntask nguyen99\n\nformula f(x: Scalar) -> Scalar =\n  x\n"
    (tmp_path / "t.mlev").write_text(text)
    with pytest.raises(MlevError) as err:
        api.run(text if given_as == "text" else "t.mlev")
    where = "<input>" if given_as == "text" else "t.mlev"
    assert str(err.value).splitlines()[:3] == [f"{where}:2:6: error: unknown task 'nguyen99'", "    task nguyen99",
                                               "         ^^^^^^^^"]
