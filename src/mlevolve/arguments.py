"""The type check of every public API parameter, read from its annotation: one rule, not per-parameter code.

:func:`typed` wraps a function of :mod:`mlevolve.api`; each call's arguments are checked against the
function's type hints (``typing.get_type_hints``, resolved once, on the first call) before its body runs, so
``hurdle="no"`` (a truthy string), ``task=4`` or ``evolve=[1]`` end in one :class:`SettingError` naming the
parameter, what it takes and a hint, not in an ``AttributeError`` deep inside or a setting silently taken.
The annotations are the table: ``bool`` takes a bool only, ``int`` an int (not a bool), ``float`` an int or
float, ``str`` a str, ``Path`` any ``os.PathLike``, ``Sequence[str]`` a list or tuple of str (not a str, whose
characters would be the items), ``Mapping[K, V]`` a dict of such keys and values (named so: ``a dict of str to
str/TupleType``), ``Callable``/a class by ``isinstance``, ``Literal`` by the type of
its values (the function's own check names the closest value), a union by any member; ``Any`` takes all.
A NumPy scalar (``np.int64(3)``, ``np.float32``, ``np.bool_``) is taken as its Python value first.
The values of the :data:`NAMES` parameters (a choice's name) lose surrounding whitespace, as the command line's
values do.  Ranges stay with each function (``api.checks._at_least``): this checks types only.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, ParamSpec, TypeVar, Union, get_args, get_origin, get_type_hints

import numpy as np

from mlevolve.dsl.errors import SettingError, SettingTypeError
from mlevolve.messages import NOT_A_NUMBER, NOT_AN_INTEGER, NOT_OF_TYPE

P = ParamSpec("P")
R = TypeVar("R")

# Parameters whose str value names one of a few choices (an algorithm, a start, a sampling method): " random " is
# "random", as the command line reads its values (a task spec or a path is taken as written, by both).
NAMES = frozenset({"algorithm", "init", "method"})
# A value to show in the hint of a parameter whose default is None or none (else the default is shown).
EXAMPLES = {"program": "Path('examples/quartic.mlev')", "path": "'examples/quartic.mlev'", "task": "'koza_quartic'",
            "db": "'runs/quartic.db'", "baseline": "'runs/random.db'", "output": "'report.html'",
            "config": "'meta.toml'", "key": "'3fa2c1'", "grammar": "load_grammar('my.grammar.toml')",
            "text": "'algorithm a ...'", "file": "'a.mlev'", "script": "'train.py'", "name": "'quartic'",
            "json_log": "'run.jsonl'", "dask": "'local:4'", "type_": "'Tensor'", "env": "{'x': 'Tensor'}",
            "source": "'x * sigmoid(x)'", "expr": "parse_expr('x * sigmoid(x)')",
            "result": "evolve('examples/quartic.mlev')", "algorithm": "'regularized'"}
# A function's own example where its parameter means another thing than :data:`EXAMPLES`' (keyed by name alone):
# meta's output is a generator (a grammar file, not a report), export_component's name one of the program's
# definitions (quartic.mlev's formula f, not the algorithm's name), load_grammar's path a grammar file (it was
# 'examples/quartic.mlev').
FUNCTION_EXAMPLES = {("meta", "output"): "'runs/meta.grammar.toml'", ("meta", "db"): "'runs/meta.db'",
                     ("export_component", "name"): "'f'", ("load_grammar", "path"): "'runs/meta-train.grammar.toml'"}
# A parameter of exactly this type (by name), wherever it is: grammar_diff's base and other, evolve's diversity were
# "e.g. base=...", and load_grammar's path was a .mlev program (a fresh-user pass).
_TYPE_EXAMPLES = {"Program": "parse_file('examples/quartic.mlev')", "GrammarSpec": "load_grammar('my.grammar.toml')",
                  "DiversityConfig": "DiversityConfig(islands=2)"}
_SEQUENCES = (Sequence, list, tuple)
_MAPPINGS = (Mapping, dict)


def accepts(hint: Any, value: object) -> bool:
    """Whether ``value`` is of type ``hint`` (a resolved annotation), by the rules of the module docstring."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any or hint is object:
        return True
    if origin in (Union, types.UnionType):
        return any(accepts(h, value) for h in args)
    if origin is Literal:
        return any(type(value) is type(v) for v in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(hint, type) and issubclass(hint, os.PathLike):  # Path: any path object
        return isinstance(value, os.PathLike)
    if origin in _SEQUENCES:  # a str is a Sequence[str] to Python, but its characters are no names
        if not isinstance(value, list | tuple):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:  # tuple[A, B]: one of each, in order
            return len(args) == len(value) and all(accepts(h, v) for h, v in zip(args, value, strict=True))
        return all(accepts(args[0] if args else Any, v) for v in value)
    if origin in _MAPPINGS:
        key, val = args if len(args) == 2 else (Any, Any)
        return isinstance(value, Mapping) and all(accepts(key, k) and accepts(val, v) for k, v in value.items())
    if origin is Callable or hint is Callable:
        return callable(value)
    if origin is not None:
        return isinstance(value, origin)
    return isinstance(hint, type) and isinstance(value, hint)


def describe(hint: Any) -> str:
    """What ``hint`` takes, in words: ``a str or None``, ``a list of str``, ``True or False``."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        parts = list(dict.fromkeys(part for h in args  # True, False or None; a dict's own "or" kept whole
                                   for part in (describe(h).split(" or ") if h is bool else [describe(h)])))
        return ", ".join(parts[:-1]) + " or " + parts[-1] if len(parts) > 1 else parts[0]
    if origin is Literal:
        return "one of " + ", ".join(repr(v) for v in args)
    if hint is type(None):
        return "None"
    if hint is bool:
        return "True or False"
    if hint is float:
        return "an int or float"
    if origin in _SEQUENCES:
        return f"a list of {describe(args[0]).removeprefix('a ').removeprefix('an ')}" if args else "a list"
    if origin in _MAPPINGS:  # env={'x': 3}, a dict, was told "env must be a dict": its items' types are named
        key, value = ("/".join(p.removeprefix("a ").removeprefix("an ") for p in re.split(r", | or ", describe(a)))
                      for a in args) if args else ("", "")
        return f"a dict of {key} to {value}" if args and Any not in args else "a dict"  # a result: any dict
    if origin is Callable or hint is Callable:
        return "a function"
    name = getattr(hint, "__name__", str(hint))
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _example(name: str, hint: Any, default: object, function: str = "") -> str:
    """A value of ``hint`` to show in a hint: the parameter's default where it has one that is not None, else
    :data:`FUNCTION_EXAMPLES`' for parameter ``name`` of ``function``, :data:`EXAMPLES`' or one of its type."""
    if default is not inspect.Parameter.empty and default is not None:
        return repr(list(default) if isinstance(default, tuple) else default)
    if (function, name) in FUNCTION_EXAMPLES:
        return FUNCTION_EXAMPLES[function, name]
    if getattr(hint, "__name__", None) in _TYPE_EXAMPLES:
        return _TYPE_EXAMPLES[hint.__name__]
    if name in EXAMPLES:
        return EXAMPLES[name]
    union = get_origin(hint) in (Union, types.UnionType)  # only a union's args are options: a list's is its items'
    first = next(h for h in get_args(hint) if h is not type(None)) if union else hint
    if getattr(first, "__name__", None) in _TYPE_EXAMPLES:  # DiversityConfig | None too
        return _TYPE_EXAMPLES[first.__name__]
    origin, args = get_origin(first), get_args(first)
    if origin is Literal:
        return repr(args[0])
    if origin in _SEQUENCES:  # a list of its items' example: given=['name'], seeds=[3] (given='name' was a str)
        return f"[{_example('', args[0], inspect.Parameter.empty)}]" if args else "[...]"
    if origin in _MAPPINGS:
        key, value = (_example("", a, inspect.Parameter.empty) for a in args) if args else ("...", "...")
        return f"{{{key}: {value}}}"
    examples = {bool: "True", str: "'name'", int: "3", float: "2.5"}
    if first in examples:
        return examples[first]
    if isinstance(first, type) and issubclass(first, os.PathLike):
        return "'file'"
    return "..."


def type_error(name: str, hint: Any, value: object, default: object = inspect.Parameter.empty,
               function: str = "") -> SettingError:
    """The :class:`SettingTypeError` (a SettingError and a TypeError) of parameter ``name`` of ``function`` given
    ``value``, which is not of type ``hint``
    (an int or a float, None allowed or not, in the words of :func:`~mlevolve.dsl.errors.check_types`)."""
    plain = [h for h in get_args(hint) if h is not type(None)] if get_origin(hint) in (Union, types.UnionType) else []
    hint = plain[0] if len(plain) == 1 and plain[0] in (int, float) else hint
    if hint is int:
        return SettingTypeError(*NOT_AN_INTEGER.setting(name), got=repr(value), example=3)
    if hint is float:
        return SettingTypeError(*NOT_A_NUMBER.setting(name), got=repr(value), example=2.5)
    return SettingTypeError(*NOT_OF_TYPE.setting(name), got=repr(value)[:60], expected=describe(hint),
                        example=_example(name, hint, default, function))


def typed(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` with every argument checked against its annotation (:func:`accepts`) and the :data:`NAMES`
    stripped; a mismatch raises :func:`type_error`'s :class:`SettingError` before ``func`` runs.  The
    signature is ``func``'s (``inspect.signature`` follows ``__wrapped__``: the CLI reads defaults there)."""
    signature = inspect.signature(func)
    hints: dict[str, Any] = {}

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not hints:  # resolved on the first call: the module's names (its forward references) exist by then
            hints.update(get_type_hints(func), _resolved=True)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:  # a missing or unknown argument: Python's own TypeError, as for any function
            bound = None
        if bound is None:  # called outside the handler: the TypeError alone, not chained to bind's
            return func(*args, **kwargs)
        for name, value in bound.arguments.items():
            hint = hints.get(name, Any)
            if signature.parameters[name].kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                continue
            if isinstance(value, np.generic):  # a NumPy scalar (from an array, a grid search): its Python value
                value = bound.arguments[name] = value.item()
            if not accepts(hint, value):
                raise type_error(name, hint, value, signature.parameters[name].default, func.__name__)
            if name in NAMES and isinstance(value, str):
                bound.arguments[name] = value.strip()
        return func(*bound.args, **bound.kwargs)

    return wrapper
