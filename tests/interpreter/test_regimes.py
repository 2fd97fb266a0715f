"""The regime table (``mlevolve.interpreter.regimes``): every row holds to the same contract, the
standalone modules hold to theirs (standard library, numpy and torch only; numpy only where a
regime's backend is numpy; every public name reserved), and a standalone loader gives the arrays
the library's registry gives, for every built-in task."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import mlevolve
from mlevolve.dsl.kinds import KINDS
from mlevolve.interpreter import standalone
from mlevolve.interpreter.evaluate import Settings
from mlevolve.interpreter.names import RESERVED, STANDALONE_NAMES, py_name
from mlevolve.interpreter.regimes import REGIMES, STANDALONE, Regime, regime_of, regime_of_task
from mlevolve.interpreter.tasks import list_tasks, load_task

MODULES = sorted(m.name for m in pkgutil.iter_modules(standalone.__path__))
# One small program per regime, checked: what the contract runs through each row.
PROGRAMS = {
    "supervised": "activation act(x: Tensor) -> Tensor = relu(x)\n",
    "learner": "learner l(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
               "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.1 * (y - p) * x\n",
    "formula": "formula f(x: Scalar) -> Scalar = x * x\n",
    "rl": "td_loss l(q: Tensor, target: Tensor, reward: Tensor, discount: Tensor) -> Tensor =\n"
          "  square(reward + discount * target - q)\n",
    "generative": "flow_loss l(z: Tensor, logdet: Tensor) -> Tensor = 0.5 * z * z - logdet\n",
}


def _imports(module: str) -> set[str]:
    tree = ast.parse(inspect.getsource(importlib.import_module(f"{STANDALONE}.{module}")))
    out = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return out | {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}


def test_every_kind_belongs_to_exactly_one_regime() -> None:
    owners = {kind: [r.name for r in REGIMES.values() if kind in r.kinds] for kind in KINDS}
    assert all(len(o) == 1 for o in owners.values()), owners


@pytest.mark.parametrize("regime", list(REGIMES.values()), ids=list(REGIMES))
def test_every_regime_row_holds_to_the_contract(regime: Regime) -> None:
    program = mlevolve.check("algorithm t\n" + PROGRAMS[regime.name])
    assert regime_of(program) is regime
    loop_module = importlib.import_module(f"{STANDALONE}.{regime.module}")
    loop = getattr(loop_module, regime.loop)
    params = inspect.signature(loop).parameters
    assert next(iter(params)) == "data" and len(params) >= 2  # loop(data, PROGRAM, **settings)
    assert set(regime.settings) <= set(Settings.__dataclass_fields__) and set(regime.settings) <= set(params)
    if regime.check:
        assert callable(getattr(loop_module, regime.check))
    assert regime.wiring(program).startswith("PROGRAM = ")
    # Its loaders: every built-in task of the regime's kind has exactly one, and is the regime's type.
    names = [t.name for t in list_tasks() if t.kind == regime.name]
    assert names, regime.name
    for name in names:
        assert sum(name in (x.names or ()) for x in regime.loaders) == 1, name
        loader = regime.loader_for(name)
        assert callable(getattr(importlib.import_module(f"{STANDALONE}.{loader.module}"), loader.function))
    assert regime_of_task(load_task(names[-1] if regime.name != "rl" else "chain")) is regime
    # A numpy regime's loop and loaders import no torch.
    if regime.backend == "numpy":
        for module in {regime.module, *(x.module for x in regime.loaders)}:
            assert "torch" not in _imports(module), module
    assert isinstance(regime.hurdle, bool) and regime.probe in ("points", "learning", "components")
    assert isinstance(regime.fits, bool)


@pytest.mark.parametrize("module", MODULES)
def test_standalone_modules_import_the_standard_library_numpy_and_torch_only(module: str) -> None:
    allowed = {*sys.stdlib_module_names, "numpy", "torch", "mlevolve"}
    assert _imports(module) - {"sklearn", "gymnasium"} <= allowed  # both imported inside the loaders only
    tree = ast.parse(inspect.getsource(importlib.import_module(f"{STANDALONE}.{module}")))
    top = {(n.module or "") for n in tree.body if isinstance(n, ast.ImportFrom)}
    assert not any(m.startswith("mlevolve") and not m.startswith(STANDALONE) for m in top), top
    assert {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names} <= allowed | {
        "torch.nn.functional"}


def test_every_public_standalone_name_is_reserved_and_no_private_one_looks_escaped() -> None:
    names = {n for m in MODULES for n in vars(importlib.import_module(f"{STANDALONE}.{m}")) if not n.startswith("__")}
    public = {n for n in names if not n.startswith("_")}
    assert public == STANDALONE_NAMES, (sorted(public - STANDALONE_NAMES), sorted(STANDALONE_NAMES - public))
    assert public <= RESERVED
    assert not any(n.startswith("_u_") for n in names)
    for name in public:
        assert py_name(name) == "_u_" + name


def _equal(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


@pytest.mark.parametrize("spec", ["iris", "spirals", "linear:n_tasks=3", "teacher:dim=2", "projected_digits:n_tasks=2",
                                  "nguyen7", "chain", "gaussians8"])
def test_a_standalone_loader_gives_the_registrys_arrays(spec: str) -> None:
    task = load_task(spec, seed=5)
    regime = regime_of_task(task)
    loader = regime.loader_for(spec)
    data = getattr(importlib.import_module(f"{STANDALONE}.{loader.module}"), loader.function)(spec, seed=5)
    want = task.arrays()
    assert set(data) == set(want)
    for key, value in want.items():
        assert key == "make_env" or _equal(data[key], value), key


def test_a_standalone_loader_of_a_data_file_gives_the_registrys_arrays(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    file = tmp_path / "d.csv"
    file.write_text("a,b,y\n" + "".join(f"{p:.4f},{q:.4f},{'yes' if p > q else 'no'}\n" for p, q in x))
    spec = f"{file}:target=y"
    task = load_task(spec, seed=2)
    loader = REGIMES["supervised"].loader_for(spec)
    assert loader.names is None
    data = getattr(importlib.import_module(f"{STANDALONE}.{loader.module}"), loader.function)(spec, seed=2)
    for key, value in task.arrays().items():
        assert _equal(data[key], value), key


@pytest.mark.parametrize(("spec", "message"), [
    ("teacher", "unknown task 'teacher' (hint: its tasks: affine, linear; another: mlevolve export --task TASK)"),
    ("d.csv:target=y", "unknown task 'd.csv': this script loads built-in tasks, not data files (hint: its tasks: "
                       "affine, linear; another: mlevolve export --task TASK)"),
    ("linear:n_tasks=0", "option n_tasks=0 of task 'linear' must be an integer from 1 to 10,000"),
    ("linear:n_tasks=abc", "option n_tasks=abc of task 'linear' must be an integer from 1 to 10,000"),
    ("linear:dim=2.5", "option dim=2.5 of task 'linear' must be an integer from 1 to 4,096"),
    ("linear:n_tasks=inf", "option n_tasks=inf of task 'linear' must be an integer from 1 to 10,000"),
    # The library's words (standalone.spec.SPEC_WORDS):
    ("linear:seed=3", "unknown option 'seed' for task 'linear' (hint: options: n_tasks, dim, fitness)"),
    ("linear:dim=3:dim=4", "option 'dim' is given twice in task spec 'linear:dim=3:dim=4' (hint: give each option "
                           "once)"),
    ("linear:fitness=", "option 'fitness' has no value in task spec 'linear:fitness=' (hint: write it as "
                        "NAME:key=value, or leave the option out)"),
    ("linear:dim", "option 'dim' has no value in task spec 'linear:dim' (hint: write it as NAME:key=value, or leave "
                   "the option out)"),
])
def test_a_standalone_loader_refuses_a_bad_spec_with_the_librarys_rules(spec: str, message: str) -> None:
    """What an exported script's loader accepts is what the library accepts: its own task names, the
    option ranges of one table (:data:`standalone.spec.OPTION_RANGES`); anything else is a TaskError,
    which the script reports in one line with exit 2."""
    from mlevolve.interpreter.standalone.spec import TaskError, parse_spec

    with pytest.raises(TaskError) as caught:
        parse_spec(spec, {"n_tasks": 10, "dim": 4, "fitness": "mse"}, {"linear", "affine"})
    assert caught.value.message == message.split(" (hint: ")[0]  # the hint: as the library's (RANGE_WORDS)


def test_a_standalone_loader_reads_integer_options_as_the_library_does() -> None:
    from mlevolve.interpreter.standalone.spec import TaskError, parse_spec

    assert parse_spec("linear:n_tasks=1e3: dim = 04", {"n_tasks": 10, "dim": 4}, {"linear"}) == \
        ("linear", {"n_tasks": 1000, "dim": 4})
    with pytest.raises(TaskError, match=r"option dim=4\.0 of task 'linear' must be an integer"):  # digits only
        parse_spec("linear:dim=4.0", {"n_tasks": 10, "dim": 4}, {"linear"})


@pytest.mark.parametrize(("text", "target", "message"), [
    (None, "y", "no such file: {path} (hint: a data file is a UTF-8 .csv with a header row, or an .npz written by "
                "numpy.savez(path, X=..., y=...))"),
    ("\n \n,\na,b,y\n1,2,3\n1,2\n", "y", "{path}:6: row has 2 cells, the header has 3 (hint: give every row one "
                                       "cell per column (a comma inside a cell needs quotes))"),  # blank lines skipped
    ("a,,y\n1,2,3\n", "y", "{path}:1:2: column 2 has no name (hint: give every column its own name (a comma at the "
                           "end of the header makes an unnamed column))"),
    ("a,y,\n1,2,\n", "y", "{path}:1:3: column 3 has no name (hint: give every column its own name (a comma at the "
                          "end of the header makes an unnamed column))"),
    ("a;b;y\n1;2;3\n", "y", "{path}:1: no column named 'y'; its cells seem separated by ';' (hint: save the file with "
                            "commas between cells)"),
    ("a\tb\ty\n1\t2\t3\n", "y", "{path}:1: no column named 'y'; its cells seem separated by tabs (hint: save the file "
                                "with commas between cells)"),
    ("a,y\n1,2\n\"3,4\n5,6\n7,8\n", "y", "{path}:3:1: a quote opened here is not closed before the end of the file "
                                        "(line 5) (hint: close it (a quote inside a quoted cell is written twice))"),
    ("a,b,y\n1,2,3\n", "zz", "{path}: no column named 'zz' (hint: columns: a, b, y)"),
    ("1,2,3\n2,3,5.5\n", "y", "{path}:1: no column named 'y'; its first row holds numbers, not the columns' names "
                             "(hint: write the column names on the first line)"),  # a file without its header row
    ("a,b,y\n1,2,3\n1,2\n", "y", "{path}:3: row has 2 cells, the header has 3 (hint: give every row one cell "
                                 "per column (a comma inside a cell needs quotes))"),
    ("a,b,y\n1,x,3\n", "y", "{path}:2:2: column 'b': 'x' is not a number (hint: every cell must hold a number, "
                            "except a target of class labels)"),
    ("a,b,y\n1,1_000,3\n", "y", "{path}:2:2: column 'b': '1_000' is not a number (hint: every cell must hold a "
                                "number, except a target of class labels)"),
    ("a,b,y\n1,\u0661\u0662,3\n", "y", "{path}:2:2: column 'b': '\u0661\u0662' is not a number (hint: every cell "
                                       "must hold a number, except a target of class labels)"),
    ("a,b,y\n1,2,3\n\n1,nan,3\n", "y", "{path}:4:2: column 'b': 'nan' is a missing value (hint: mlevolve does not "
                                       "impute: fill the cell in or drop its row)"),
    ("a,b,y\n1,2,NA\n", "y", "{path}:2:3: target column 'y': 'NA' is a missing value (hint: mlevolve does not "
                             "impute: fill the cell in or drop its row)"),
    ("a,b,y\n1,2,-inf\n", "y", "{path}:2:3: target column 'y': '-inf' is not a finite number (hint: every number "
                               "must be finite)"),
])
def test_an_exported_scripts_reader_names_the_mistake_in_a_data_file(tmp_path: Path, text: str | None, target: str,
                                                                     message: str) -> None:
    """An exported script reads only files: its hints never point to built-in task names, and a missing column,
    a short row or a non-number is said as such (not as a Python exception's text), in the library's words; a
    number is ASCII decimal (not ``1_000`` nor other scripts' digits, which ``float`` takes)."""
    from mlevolve.interpreter.standalone.data import read_table
    from mlevolve.interpreter.standalone.spec import TaskError

    path = tmp_path / "d.csv"
    if text is not None:
        path.write_text(text)
    with pytest.raises(TaskError) as caught:
        read_table(str(path), target, "")
    assert str(caught.value) == message.format(path=path)


def test_a_formulas_npz_value_beyond_1e150_is_named_by_row_and_column(tmp_path: Path) -> None:
    from mlevolve.interpreter.standalone.data_formula import file_points
    from mlevolve.interpreter.standalone.spec import TaskError

    x = np.ones((12, 2))
    x[3, 1] = -1e200
    np.savez(tmp_path / "d.npz", X=x, y=np.arange(12.0))
    with pytest.raises(TaskError) as caught:
        file_points(str(tmp_path / "d.npz"), "", ("x0", "x1"))
    assert caught.value.message == f"{tmp_path / 'd.npz'}: X row 4, column 2 is -1e+200, beyond 1e+150 in magnitude"


@pytest.mark.parametrize("word", ["algorithm", "task", "let", "in", "state", "setup", "predict", "learn"])
def test_the_keywords_a_formula_script_names_are_the_parsers(word: str) -> None:
    """A formula script names a data file's column that no parameter can take (a keyword): the list the
    parser reserves (one owner, standalone/common.py's DSL_KEYWORDS), each refused as a parameter's name."""
    from mlevolve.dsl.errors import MlevError
    from mlevolve.dsl.parse import KEYWORDS, parse
    from mlevolve.interpreter.standalone.data_formula import DSL_KEYWORDS

    assert word in DSL_KEYWORDS and DSL_KEYWORDS is KEYWORDS
    with pytest.raises(MlevError, match="unexpected"):
        parse(f"algorithm a\nformula f({word}: Scalar) -> Scalar = 1\n")
    parse(f"algorithm a\nformula f({word}1: Scalar) -> Scalar = 1\n")


@pytest.mark.parametrize(("header", "hint"), [
    ("my a,b,y", "rename column 'my a' in the file: a parameter's name is ASCII letters, digits, _, not a keyword"),
    ("let,b,y", "rename column 'let' in the file: a parameter's name is ASCII letters, digits, _, not a keyword"),
    ("c,b,y", "the formula's parameters are named after the columns: c, b"),
])
def test_a_formula_files_column_a_parameter_cannot_name_gets_one_hint(tmp_path: Path, header: str, hint: str) -> None:
    from mlevolve.interpreter.standalone.data_formula import file_points
    from mlevolve.interpreter.standalone.spec import TaskError

    path = tmp_path / "d.csv"
    path.write_text(header + "\n" + "".join(f"{i},{i % 3},{i * i}\n" for i in range(12)))
    with pytest.raises(TaskError) as caught:
        file_points(str(path), "y", ("a", "b"))
    assert caught.value.hint == hint


def _every_options_table() -> list[tuple[str, str, dict[str, object]]]:
    """(task name, kind in words, its options) of every task and data-file kind that takes an integer option."""
    from mlevolve.interpreter.tasks import _FILE_TABLES, FAMILIES, FORMULAS, _table

    tables = [(name, *reversed(_table(name, None))) for name in (*FAMILIES, *FORMULAS)]
    tables += [("data.csv", what, options) for options, what in _FILE_TABLES.values()]
    return [(name, str(what), dict(options)) for name, what, options in tables]


@pytest.mark.parametrize(("name", "kind", "options"), _every_options_table(), ids=lambda v: v if isinstance(v, str)
                         else None)
def test_a_malformed_integer_options_hint_shows_a_value_a_user_would_write(name: str, kind: str,
                                                                          options: dict[str, object]) -> None:
    """``data.csv:target=y:n_train=abc`` suggested n_train=1000000, the default that means "all rows", then
    n_train=100 for a file of 30 rows: a default of None is every row (1,000,000 until fix67), so the hint says to
    leave the option out (the spec it writes so is accepted, and takes the default), with no number only the file
    knows; any other default is shown as it is, in the option's range (the kind's own too), and the mended spec is
    accepted."""
    from mlevolve.interpreter.standalone.spec import LEAST, OPTION_RANGES, TaskError, parse_spec

    defaults = {k: v for k, v in options.items() if k in OPTION_RANGES}
    for key, default in defaults.items():
        given = {"target": "y"} if "target" in options else {}
        spec = ":".join([name, *(f"{k}={v}" for k, v in given.items()), f"{key}=abc"])
        with pytest.raises(TaskError) as caught:
            parse_spec(spec, options)
        lo, hi = LEAST.get((kind, key), OPTION_RANGES[key])[:2]
        if default is None:  # every row (a data file's n_train): its top the file's rows
            left_out = spec.replace(f":{key}=abc", "")
            assert re.match(rf"leave {key} out to use every row, as {re.escape(left_out)} does, or give from \d+ to "
                            "the file's fitting rows", caught.value.hint), (spec, caught.value.hint)
            assert parse_spec(left_out, options)[1][key] == default
            continue
        written = int(caught.value.hint.split(f"{key}=")[1].split()[0])
        assert lo <= written < hi, (spec, caught.value.hint)
        assert written == default, (spec, caught.value.hint)
        assert parse_spec(spec.replace(f"{key}=abc", f"{key}={written}"), options)[1][key] == written
