"""Every public API parameter is type-checked from its annotation (mlevolve.arguments), before the body runs."""

from __future__ import annotations

import inspect
import re
import typing
from collections import abc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlevolve
from mlevolve import api
from mlevolve.arguments import accepts
from mlevolve.dsl.errors import MlevError, SettingError
from mlevolve.dsl.printer import format_expr

ROOT = Path(__file__).resolve().parents[2]
QUARTIC = str(ROOT / "examples" / "quartic.mlev")
TYPED = [f for f in vars(api).values() if inspect.isfunction(f) and hasattr(f, "__wrapped__")]


def test_every_documented_api_function_is_typed() -> None:
    """A function the docs name, called or not (``mlevolve.api.found_hash``, ``api.check_settings_read``: only
    ``NAME(`` was counted, and both let a wrong argument fail inside, an AttributeError), checks its arguments."""
    text = "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    named = set(re.findall(r"(?<![\w.])(?:mlevolve\.api|mlevolve|api)\.([a-z][a-z_]*)\b", text))
    named |= set(api.__dict__.get("__all__", ()))
    import mlevolve

    named |= {n for n in mlevolve.__all__ if inspect.isfunction(getattr(mlevolve, n, None))
              and getattr(mlevolve, n).__module__.startswith("mlevolve.api")}
    functions = {n for n in named if inspect.isfunction(getattr(api, n, None))}
    assert functions and {n for n in functions if not hasattr(getattr(api, n), "__wrapped__")} == set()


PUBLIC = sorted({n for n, f in vars(api).items() if not n.startswith("_") and inspect.isfunction(f)}
                | {n for n in mlevolve.__all__ if inspect.isfunction(getattr(mlevolve, n))})


def test_every_public_function_is_typed() -> None:
    """Every public function of mlevolve.api and of the package's __all__, documented or not: seventeen of the API's
    (check_output, check_seed, write_atomic, next_commands, ...) took any argument, and a wrong one failed inside
    them (an AttributeError, a TypeError of os.fspath), not in the API's one-line error naming the argument."""
    untyped = [n for n in PUBLIC if not hasattr(getattr(api, n, None) or getattr(mlevolve, n), "__wrapped__")]
    assert len(PUBLIC) > 40 and untyped == []


@pytest.mark.parametrize("function", TYPED, ids=lambda f: f.__name__)
def test_each_default_has_its_parameters_type(function: Any) -> None:
    hints = typing.get_type_hints(function)
    for name, p in inspect.signature(function).parameters.items():
        if p.default is not inspect.Parameter.empty:
            assert accepts(hints[name], p.default), (function.__name__, name)


@pytest.mark.parametrize("function", [f for f in TYPED if inspect.signature(f).parameters], ids=lambda f: f.__name__)
def test_an_object_for_every_argument_names_the_first_parameter(function: Any) -> None:
    params = inspect.signature(function).parameters
    required = {n: object() for n, p in params.items() if p.default is inspect.Parameter.empty}
    first = next(iter(params))
    with pytest.raises(SettingError) as caught:
        function(**(required or {first: object()}))
    assert caught.value.message.startswith(f"{first} must be "), caught.value.message
    assert caught.value.hint and caught.value.hint.startswith("pass ")


@pytest.mark.parametrize(("call", "message", "hint"), [
    (lambda: api.evolve(QUARTIC, hurdle="no"), "hurdle must be True or False, got 'no'",
     "pass True or False, e.g. hurdle=True"),  # a truthy string was stored as hurdle on
    (lambda: api.evolve(QUARTIC, hurdle=0), "hurdle must be True or False, got 0",
     "pass True or False, e.g. hurdle=True"),
    (lambda: api.evolve(QUARTIC, task=4), "task must be a str or None, got 4",  # was an AttributeError
     "pass a str or None, e.g. task='koza_quartic'"),
    (lambda: api.evolve(QUARTIC, [1]), "evolve must be a list of str, got [1]",  # was a TypeError
     "pass a list of str, e.g. evolve=['all']"),
    (lambda: api.evolve(QUARTIC, "f"), "evolve must be a list of str, got 'f'",  # its characters were the names
     "pass a list of str, e.g. evolve=['all']"),
    (lambda: api.evolve(QUARTIC, fit="yes"), "fit must be True, False or None, got 'yes'",
     "pass True, False or None, e.g. fit=True"),
    (lambda: api.evolve(QUARTIC, db=3), "db must be a str, a Path or None, got 3",
     "pass a str, a Path or None, e.g. db='runs/quartic.db'"),
    (lambda: api.evolve(QUARTIC, diversity={"islands": 2}), "diversity must be a DiversityConfig or None, got "
     "{'islands': 2}", "pass a DiversityConfig or None, e.g. diversity=DiversityConfig(islands=2)"),  # was =...
    (lambda: api.run(3), "program must be a Program, a str or a Path, got 3",  # was a TypeError
     "pass a Program, a str or a Path, e.g. program=Path('examples/quartic.mlev')"),
    (lambda: api.check(None), "program must be a Program, a str or a Path, got None",  # a str is its text: the
     "pass a Program, a str or a Path, e.g. program=Path('examples/quartic.mlev')"),   # hint's path is a Path
    (lambda: api.run(QUARTIC, timeout=1), None, None),  # an unknown keyword: Python's TypeError, as any function's
    (lambda: api.sample("Tensor", env=["x"]), "env must be a dict of str to str/TupleType or None, got ['x']",
     "pass a dict of str to str/TupleType or None, e.g. env={'x': 'Tensor'}"),
    # a dict of the wrong items was told "env must be a dict", which it was (a fresh-user pass)
    (lambda: api.sample("Tensor", env={"x": 3}), "env must be a dict of str to str/TupleType or None, got {'x': 3}",
     "pass a dict of str to str/TupleType or None, e.g. env={'x': 'Tensor'}"),
    # a grammar file, not a .mlev program (it was path='examples/quartic.mlev'); a GrammarSpec wherever it is
    (lambda: mlevolve.load_grammar(5), "path must be a str, a Path or None, got 5",
     "pass a str, a Path or None, e.g. path='runs/meta-train.grammar.toml'"),
    (lambda: api.grammar_diff(mlevolve.load_grammar(), "base"), "other must be a GrammarSpec, got 'base'",
     "pass a GrammarSpec, e.g. other=load_grammar('my.grammar.toml')"),  # was other=...
    (lambda: api.sample("Tensor", method=3), "method must be one of 'grow', 'full', 'ramped', got 3", None),
    (lambda: api.evolve(QUARTIC, memory_limit="2"), "memory_limit must be an int or float, got '2'",
     "pass a number (not a bool or string), e.g. memory_limit=2.5"),
    (lambda: api.report("a.db", "a.html", top=True), "top must be an int, got True", None),
    (lambda: api.check("algorithm a\n", whole="no"), "whole must be True or False, got 'no'", None),
    # the curated expression API: an AttributeError from deep inside (a fresh-user pass)
    (lambda: mlevolve.format_expr("x + 1"), "expr must be a Num, a Ref, a Call, a Let or a Tup, got 'x + 1'",
     "pass a Num, a Ref, a Call, a Let or a Tup, e.g. expr=parse_expr('x * sigmoid(x)')"),
    (lambda: mlevolve.canonical_hash(None), "expr must be a Num, a Ref, a Call, a Let or a Tup, got None", None),
    (lambda: mlevolve.program_hash("algorithm a"), "program must be a Program, got 'algorithm a'",
     "pass a Program, e.g. program=parse_file('examples/quartic.mlev')"),
    (lambda: mlevolve.parse_expr(123), "source must be a str, got 123", "pass a str, e.g. source='x * sigmoid(x)'"),
])
def test_a_wrong_type_is_one_setting_error(call: Any, message: str | None, hint: str | None) -> None:
    if message is None:
        with pytest.raises(TypeError, match="unexpected keyword argument 'timeout'"):
            call()
        return
    with pytest.raises(SettingError) as caught:
        call()
    assert caught.value.message == message
    if hint is not None:
        assert caught.value.hint == hint


def test_names_lose_the_space_around_them() -> None:
    def drawn(method: str) -> list[str]:
        return [format_expr(e) for e in api.sample("Tensor", n=4, seed=3, method=method, env={"x": "Tensor"})]

    assert drawn(" grow\t") == drawn("grow") != drawn("full")


def test_the_names_stripped_are_the_flags_with_choices() -> None:
    from mlevolve.arguments import NAMES
    from mlevolve.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    chosen = {a.dest for p in commands.values() for a in p._actions
              if a.choices and a.option_strings and a.type is not None}
    assert chosen == NAMES


@given(st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                 st.lists(st.integers(), max_size=3)))
def test_accepts_is_isinstance_for_the_plain_types(value: object) -> None:
    assert accepts(bool, value) == isinstance(value, bool)
    assert accepts(int, value) == (isinstance(value, int) and not isinstance(value, bool))
    assert accepts(float, value) == (isinstance(value, int | float) and not isinstance(value, bool))
    assert accepts(str | None, value) == (isinstance(value, str) or value is None)
    assert accepts(typing.Sequence[str], value) == (isinstance(value, list) and not value)


def test_numpy_scalars_are_taken_as_their_python_values(tmp_path: Path) -> None:
    """A budget or seed read from an array (``np.int64``), a flag from ``np.bool_``: accepted as Python's own,
    so what is stored (the archive's settings, as JSON) is a plain int or bool; a NumPy float where an int is
    wanted is still refused."""
    import sqlite3

    import numpy as np

    db = tmp_path / "np.db"
    run = api.evolve(QUARTIC, ["f"], "koza_quartic", budget=np.int64(12), seed=np.int32(3), db=str(db),
                     quiet=True, fit=np.bool_(False))
    assert run["candidates"] == 12
    meta = dict(sqlite3.connect(db).execute("SELECT key, value FROM meta WHERE key IN ('seed', 'fit')"))
    assert meta == {"seed": "3", "fit": "false"}
    with pytest.raises(SettingError, match=r"budget must be an int, got 12\.5"):
        api.evolve(QUARTIC, ["f"], "koza_quartic", budget=np.float64(12.5), db=str(tmp_path / "x.db"), quiet=True)


def test_check_and_format_read_a_path_as_its_file() -> None:
    """``check``'s hint shows a Path (a str is the program's text there): doing what it says works."""
    assert api.check(Path(QUARTIC)) == api.check(Path(QUARTIC).read_text())
    assert api.format(Path(QUARTIC)) == api.format(Path(QUARTIC).read_text())


def test_a_call_mistake_is_pythons_type_error_alone() -> None:
    """An unknown keyword is Python's TypeError, not chained to the signature check's own."""
    with pytest.raises(TypeError) as caught:
        api.run(QUARTIC, timeout=1)  # type: ignore[call-arg]
    assert caught.value.__context__ is None


def test_the_curated_expression_api_computes_what_its_modules_do() -> None:
    """``mlevolve.format_expr``, ``canonical_hash``, ``program_hash`` and ``parse_expr`` are the API's typed
    wrappers of the language's own functions; ``parse`` names its file by a Path too (it was refused)."""
    from mlevolve.dsl import printer, traverse

    expr = mlevolve.parse_expr("y + x * sigmoid(x)")
    assert mlevolve.format_expr(expr) == printer.format_expr(expr) == "y + x * sigmoid(x)"
    assert mlevolve.canonical_hash(expr) == traverse.canonical_hash(expr) == \
        mlevolve.canonical_hash(mlevolve.parse_expr("sigmoid(x) * x + y"))
    program = mlevolve.parse(Path(QUARTIC).read_text(), file=Path("q.mlev"))
    assert program.file == "q.mlev" and mlevolve.program_hash(program) == traverse.program_hash(program)


@pytest.mark.parametrize("function", [*TYPED, mlevolve.load_grammar], ids=lambda f: f.__name__)
def test_every_parameter_has_an_example_to_show(function: Any) -> None:
    """A type error's hint shows a value to pass: no parameter's is ``...`` (grammar_diff's ``base=...`` and
    evolve's ``diversity=...`` were)."""
    from mlevolve.arguments import _example

    hints = typing.get_type_hints(function)
    for name, p in inspect.signature(function).parameters.items():
        assert _example(name, hints.get(name, Any), p.default, function.__name__) != "...", (function.__name__, name)


@pytest.mark.parametrize("function", [*TYPED, mlevolve.load_grammar], ids=lambda f: f.__name__)
def test_each_hints_example_is_of_its_parameters_type(function: Any) -> None:
    """The example a type error's hint gives (``pass a list of str, e.g. given=['name']``) is a value the parameter
    takes: a required list's or dict's example was its items' (``given='name'``, ``seeds=3``, ``result='name'``)."""
    import ast

    from mlevolve.arguments import _example

    hints = typing.get_type_hints(function)
    for name, p in inspect.signature(function).parameters.items():
        example = _example(name, hints.get(name, Any), p.default, function.__name__)
        try:
            value = ast.literal_eval(example)
        except (ValueError, SyntaxError):  # a call: Path('...'), load_grammar('...'), evolve(...)
            continue
        assert value is Ellipsis or accepts(hints.get(name, Any), value), (function.__name__, name, example)


def _hinted(function: Any, name: str) -> str:
    """The example the hint of ``function``'s parameter ``name`` gives when it is passed an object."""
    params = inspect.signature(function).parameters
    required = {n: QUARTIC if n == "program" else "x" for n, p in params.items() if p.default is p.empty}
    with pytest.raises(SettingError) as caught:
        function(**{**required, name: object()})
    assert caught.value.hint and f"e.g. {name}=" in caught.value.hint, caught.value.hint
    return caught.value.hint.split(f"e.g. {name}=", 1)[1]


@pytest.mark.parametrize(("function", "name", "example"), [
    (api.meta, "output", "'runs/meta.grammar.toml'"),  # was 'report.html': meta writes a generator (a grammar file)
    (api.meta, "db", "'runs/meta.db'"),
    (api.export_component, "name", "'f'"),  # was 'quartic', the algorithm's name: a definition's is meant
    (api.report, "output", "'report.html'"),  # the name-keyed table's, where the meaning is the same
])
def test_a_functions_own_example_overrides_the_parameter_names(function: Any, name: str, example: str) -> None:
    assert _hinted(function, name) == example


def test_each_output_parameters_example_has_a_suffix_its_function_takes() -> None:
    """Where a function checks an output's suffix (``api.checks.OUTPUT_SUFFIXES``), its hint's example passes the
    check; meta's output is a generator, named as meta names it by default (``.grammar.toml``)."""
    import ast

    from mlevolve.api.checks import OUTPUT_SUFFIXES

    kinds = {(api.report, "output"): "report", (api.export, "script"): "script",
             (api.export_from_archive, "script"): "script"}
    for (function, name), kind in kinds.items():
        assert Path(ast.literal_eval(_hinted(function, name))).suffix in OUTPUT_SUFFIXES[kind][0], (function, name)
    assert ast.literal_eval(_hinted(api.meta, "output")).endswith(".grammar.toml")


def test_export_components_example_name_is_a_definition_of_the_example_program() -> None:
    """The hint's example, passed with the example program, exports (the algorithm's name is refused)."""
    import ast

    assert "def f(" in api.export_component(QUARTIC, ast.literal_eval(_hinted(api.export_component, "name")))
    with pytest.raises(MlevError, match="no definition 'quartic'"):
        api.export_component(QUARTIC, "quartic")


@pytest.mark.parametrize(("call", "message", "hint"), [
    (lambda: api.found_hash("runs/x.db"), "result must be a dict, got 'runs/x.db'",
     "pass a dict, e.g. result=evolve('examples/quartic.mlev')"),  # an AttributeError: 'str' has no 'get'
    (lambda: api.check_settings_read("regularized", "population"), "given must be a list of str, got 'population'",
     "pass a list of str, e.g. given=['name']"),
    (lambda: api.check_settings_apply(QUARTIC, "epochs"), "given must be a list of str, got 'epochs'",
     "pass a list of str, e.g. given=['name']"),  # e.g. given='name': the str it refused
    (lambda: api.reevaluate([], "koza_quartic", 3, 1), "seeds must be a list of int, got 3",
     "pass a list of int, e.g. seeds=[3]"),
])
def test_a_required_list_or_dicts_type_error_shows_a_list_or_dict(call: Any, message: str, hint: str) -> None:
    with pytest.raises(SettingError) as caught:
        call()
    assert (caught.value.message, caught.value.hint) == (message, hint)


def _names_parameters() -> list[tuple[str, str]]:
    """Every public API function's parameter that takes a list of names (``Sequence[str]``, ``list[str]``...)."""
    found = []
    for name, f in sorted(vars(api).items()):
        if inspect.isfunction(f) and not name.startswith("_"):
            hints = typing.get_type_hints(f)
            found += [(name, p) for p, h in hints.items() if p != "return"
                      and typing.get_origin(h) in (list, tuple, abc.Sequence) and typing.get_args(h)[:1] == (str,)]
    return found


def test_every_list_of_names_is_checked_as_a_type() -> None:
    """A list of names given as a str or a list of ints (fix63: ``evolvable(program, [1, 2])`` was an AttributeError
    from inside, ``evolvable(program, "ab")`` read the names a and b) raises SettingTypeError, a TypeError too, as
    every other wrong type of the API does: each such function is typed."""
    found = _names_parameters()
    assert {name for name, _ in found} >= {"evolve", "evolvable", "check_settings_apply", "check_settings_read"}
    assert [name for name, _ in found if not hasattr(getattr(api, name), "__wrapped__")] == []


@pytest.mark.parametrize("value", ["ab", [1, 2], ("f", 3)])
def test_evolvables_names_of_a_wrong_type(value: Any) -> None:
    program = api.check(api.parse_file(QUARTIC))
    with pytest.raises(SettingError) as err:
        api.evolvable(program, value)
    assert isinstance(err.value, TypeError)
    assert str(err.value).startswith(f"error: names must be a list of str, got {value!r}")
