"""Regression tests for the language and code-generation fault kinds of issue 12.

Items 1 (names), 2 (line endings), 4 (dead intermediates), 7 (literal sizes), 9 (literals fit
Scalars), 11 (checker and generator agree), 13 (user text in generated code) and 14 (source lines).
"""

from __future__ import annotations

import ast
import gc
import keyword
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import mlevolve
from mlevolve.cli import main
from mlevolve.dsl.errors import MlevError, source_lines
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.codegen import ESCAPE, RESERVED, compile_program, doc_literal, py_name
from mlevolve.interpreter.evaluate import namespace
from tests.conftest import ROOT

SPEC = load_grammar()


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# --------------------------------------------------------------------------- 1: injective names

def _two_activations(a: str, b: str) -> str:
    return (f"algorithm t\ntask iris\nactivation {a}(x: Tensor) -> Tensor = relu(x)\n"
            f"activation {b}(x: Tensor) -> Tensor = 0.0 * x\n"
            f"model m() -> Layer = seq(dense(16), {a}, dense(16), {a})\n")


def test_a_reserved_name_beside_its_underscored_twin_trains_like_neutral_names(tmp_path: Path) -> None:
    hostile = mlevolve.run(_write(tmp_path / "np.mlev", _two_activations("np", "np_")))
    neutral = mlevolve.run(_write(tmp_path / "ab.mlev", _two_activations("a", "b")))
    assert hostile["failure"] is None and neutral["failure"] is None
    for key in ("val_accuracy", "val_loss", "test_accuracy", "test_loss"):
        assert hostile[key] == neutral[key], key
    assert hostile["val_accuracy"] > 0.34  # not the zero activation's chance level (1/3)


_NAME = st.one_of(
    st.sampled_from([*sorted(RESERVED), "tmp1", "tmp12", "x", "x_", "x__", "x_2", "_", "__x", ESCAPE + "np",
                     ESCAPE + "x", "lambda", "None", "def"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True),
).map(lambda n: n + "_" if n in {"algorithm", "task", "let", "in", "state", "setup", "predict", "learn"} else n)


@settings(max_examples=300, deadline=None)
@given(_NAME, _NAME)
def test_py_name_is_injective_and_never_reserved(a: str, b: str) -> None:
    pa, pb = py_name(a), py_name(b)
    assert (pa == pb) == (a == b)
    for p in (pa, pb):
        assert p.isidentifier() and not keyword.iskeyword(p) and p not in RESERVED
        assert not re.fullmatch(r"tmp\d+", p)


@settings(max_examples=25, deadline=None)
@given(_NAME, _NAME)
def test_two_definitions_keep_their_own_meaning_whatever_their_names(a: str, b: str) -> None:
    if a == b:
        return
    source = (f"algorithm t\nactivation {a}(x: Tensor) -> Tensor = relu(x)\n"
              f"loss {b}(p: Tensor, y: Tensor) -> Tensor = 0.0 * p\n")  # one network program: an activation, a loss
    names = namespace(compile_program(mlevolve.check(source), SPEC))
    x = torch.tensor([-1.0, 2.0])
    assert names[py_name(a)](x).tolist() == [0.0, 2.0]
    assert names[py_name(b)](x, x).tolist() == [0.0, 0.0]


def test_names_that_python_would_normalise_together_are_refused() -> None:
    from mlevolve.dsl.ir import Definition, Param, Program, Ref

    with pytest.raises(ValueError, match="not an identifier"):
        Ref("\uff4e\uff50")  # fullwidth "np": Python reads it as np
    bad = Program("t", (Definition("activation", "a", (Param("\ufb01", "Tensor"),), "Tensor", Ref("x")),))
    with pytest.raises(MlevError, match="is not a name"):
        mlevolve.check(bad)


def test_lets_and_parameters_with_reserved_names_keep_their_meaning() -> None:
    source = ("algorithm t\nformula f(np: Scalar) -> Scalar =\n"
              "  let tmp1 = np * 2.0 in let np_ = tmp1 + 1.0 in let tmp1 = np_ * 10.0 in tmp1 - np\n")
    names = namespace(compile_program(mlevolve.check(source), SPEC))
    x = np.array([1.0, 2.0])
    assert names["PROGRAM"](x).tolist() == [29.0, 48.0]  # (2x + 1) * 10 - x


# --------------------------------------------------------------------------- 2 and 14: lines

_PROGRAM_LINES = ["algorithm t", "# a comment", "activation a(x: Tensor) -> Tensor =", "  relu(x)"]


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_every_line_ending_reads_the_same_program(tmp_path: Path, newline: str, capsys: pytest.CaptureFixture[str]
                                                  ) -> None:
    file = tmp_path / "p.mlev"
    file.write_bytes(newline.join(_PROGRAM_LINES).encode() + newline.encode())
    assert main(["check", str(file)]) == 0
    assert "ok (activation a)" in capsys.readouterr().out
    assert main(["fmt", "--write", str(file)]) == 0
    written = file.read_text()
    assert mlevolve.parse(written) == mlevolve.parse("\n".join(_PROGRAM_LINES))
    assert "# a comment" in written and "relu(x)" in written


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_an_error_after_other_line_endings_has_its_line_and_column(tmp_path: Path, newline: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "p.mlev"
    file.write_bytes(newline.join(["algorithm t", "", "activation a(x: Tensor) -> Tensor =", "  relux(x)"]).encode())
    assert main(["check", str(file)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{file}:4:3: error: in activation 'a': unknown primitive 'relux'")
    assert "\n      relux(x)\n      ^" in err


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x0b", "\x1c", "\x85"])
def test_the_source_line_shown_is_the_one_the_parser_counted(separator: str) -> None:
    text = f"algorithm t\n# one{separator}two\nactivation a(x: Tensor) -> Tensor =\n  relux(x)\n"
    with pytest.raises(MlevError) as info:
        mlevolve.check(text)
    err = info.value
    assert err.span is not None and err.span.line == 4
    assert source_lines(text)[3] == "  relux(x)"
    assert err.render(text).splitlines()[1] == "      relux(x)"


def test_fmt_refuses_to_write_text_that_reads_back_as_another_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "p.mlev"
    original = "algorithm t\nactivation a(x: Tensor) -> Tensor = relu(x)\nactivation b(x: Tensor) -> Tensor = x\n"
    file.write_text(original)
    import mlevolve.api as api

    def broken(program: mlevolve.Program) -> str:  # a printer fault: drops the last definition
        from mlevolve.dsl.printer import format_definition

        return f"algorithm {program.name}\n\n" + format_definition(program.definitions[0]) + "\n"

    monkeypatch.setattr(api.programs, "format_program", broken)
    assert main(["fmt", "--write", str(file)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 2 and "would not read back as the same program" in err
    assert file.read_text() == original


# --------------------------------------------------------------------------- 9: literals fit Scalars

@pytest.mark.parametrize("source", [
    "formula f(x: Scalar) -> Scalar = x + 2",
    "activation a(x: Tensor) -> Tensor = x * 2",
    "schedule s(t: Scalar) -> Scalar = 1 - t",
    "loss l(p: Tensor, y: Tensor) -> Tensor = square(p - y) * 3",
    "learner l(state w: Vector)\n predict(x: Vector) -> Scalar = dot(w, x) + 1\n"
    " learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 1 * (y - p) * x",
    "optimizer o(w: Tensor, g: Tensor, lr: Scalar) -> Tensor = w - 1 * g",
    "pg_loss o(logp: Tensor, ret: Tensor, adv: Tensor, value: Tensor, entropy: Tensor) -> Tensor = 0 - logp * adv",
    "model m() -> Layer = seq(dense(8), dropout(0))",
])
def test_an_integer_literal_fits_where_a_scalar_is_expected_in_every_kind(source: str) -> None:
    program = mlevolve.check("algorithm t\n" + source)
    compile_program(program, SPEC)


def test_an_integer_literal_formula_computes_with_it() -> None:
    names = namespace(compile_program(mlevolve.check("algorithm t\nformula f(x: Scalar) -> Scalar = x + 2"), SPEC))
    assert names["PROGRAM"](np.array([1.0, 3.0])).tolist() == [3.0, 5.0]
    result = mlevolve.run(mlevolve.check("algorithm t\nformula f(x: Scalar) -> Scalar = x + 2"), "nguyen1")
    assert result["failure"] is None


def test_messages_use_the_right_article() -> None:
    with pytest.raises(MlevError) as info:
        mlevolve.check("algorithm t\nformula f(x: Scalar) -> Scalar = x + dot(x, x)")
    assert " a Int" not in info.value.render()
    from mlevolve.dsl.types import a_type, with_article

    assert a_type("Int") == "an Int" and a_type("Scalar") == "a Scalar"
    assert with_article("activation") == "an activation"
    # An abbreviation is read letter by letter: "an RL", "an MLP", "a GPU"; a word by its spelling.
    assert [with_article(w) for w in ("RL", "MLP", "GPU", "Int", "learner")] == \
        ["an RL", "an MLP", "a GPU", "an Int", "a learner"]


# --------------------------------------------------------------------------- 7: literal sizes

@pytest.mark.parametrize(("body", "literal"), [("dense(0)", "0"), ("seq(dense(8), dense(100000000000000000000))",
                                                                  "100000000000000000000"),
                                               ("let n = 0 in dense(n)", "0"), ("dense(65537)", "65537")])
def test_a_literal_size_out_of_range_is_a_type_error_with_its_position(body: str, literal: str) -> None:
    line = f"model m() -> Layer = {body}"
    with pytest.raises(MlevError) as info:
        mlevolve.check(f"algorithm t\n{line}\n")
    span = info.value.span
    assert span is not None and (span.line, span.column) == (2, line.index(literal) + 1)
    assert "out of range" in info.value.message and "65,536" in str(info.value.hint)


def test_the_largest_size_is_accepted() -> None:
    mlevolve.check("algorithm t\nmodel m() -> Layer = dense(65536)\n")


# --------------------------------------------------------------------------- 11: checker = generator

def test_a_learner_setup_that_reads_its_state_sees_zeros() -> None:
    source = ("algorithm l\nlearner lr(state w: Vector, state b: Scalar)\n"
              "  setup() -> (Vector, Scalar) = (w + 1.0, b + 0.5)\n"
              "  predict(x: Vector) -> Scalar = dot(w, x) + b\n"
              "  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Scalar) = (w, b)\n")
    program = mlevolve.check(source)
    names = namespace(compile_program(program, SPEC), dim=3)
    w, b = names["PROGRAM"].setup(np.random.default_rng(0))
    assert w.tolist() == [1.0, 1.0, 1.0] and float(b) == 0.5
    result = mlevolve.run(program, "linear")
    assert result["failure"] is None


@pytest.mark.parametrize("learn", ["let a = 0.1 in w + a * x", "w + 0.1 * x",
                                   "let a = 0.1 in let c = a in w + c * (y - p) * x"])
def test_a_let_bound_literal_behaves_like_the_literal_inlined(learn: str) -> None:
    source = ("algorithm l\nlearner lr(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
              f"  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = {learn}\n")
    result = mlevolve.run(mlevolve.check(source), "linear")
    assert result["failure"] is None, result["failure"]


def test_constant_results_and_constant_arithmetic_follow_ieee() -> None:
    source = ("algorithm l\nlearner lr(state w: Vector, state b: Scalar)\n  predict(x: Vector) -> Scalar = 0.5\n"
              "  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Scalar) = (w + p * x, 1.0 / 0.0 - 1.0 / 0.0)\n")
    program = mlevolve.check(source)
    assert mlevolve.run(program, "linear")["failure"] is None  # a constant prediction is an array like any
    learn = namespace(compile_program(program, SPEC), dim=2)["PROGRAM"].learn
    with np.errstate(all="ignore"):
        _, b = learn(np.zeros((1, 2)), np.zeros(1), np.ones((1, 2)), np.ones(1), np.ones(1), None)
    assert np.isnan(b)  # inf - inf, as IEEE says; not a ZeroDivisionError
    formula = "algorithm f\nformula f(x: Scalar) -> Scalar = x + 1.0 / 0.0"
    with np.errstate(all="ignore"):
        values = namespace(compile_program(mlevolve.check(formula), SPEC))["PROGRAM"](np.ones(2))
    assert values.tolist() == [np.inf] * 2


def test_a_constant_tensor_result_has_the_input_shape() -> None:
    names = namespace(compile_program(mlevolve.check("algorithm t\nactivation a(x: Tensor) -> Tensor = full(2.0)"),
                                      SPEC))
    assert names["a"](torch.zeros(3, 2)).shape == (3, 2)


# --------------------------------------------------------------------------- 4: dead intermediates

def _chain(n: int) -> str:
    lets = "".join(f"let a{i} = a{i - 1} * 1.0001 + g in " for i in range(1, n + 1))
    return f"algorithm o\noptimizer o(w: Tensor, g: Tensor) -> Tensor =\n  let a0 = w in {lets}a{n}\n"


def _peak(n: int, size: int) -> int:
    fn = namespace(compile_program(mlevolve.check(_chain(n)), SPEC))["o"]
    w, g = np.zeros(size), np.ones(size)  # NumPy arrays: tracemalloc sees their buffers
    gc.collect()
    tracemalloc.start()
    fn(w, g)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_generated_code_releases_intermediates_after_their_last_use() -> None:
    size = 50_000  # 400 kB per array
    one, many = _peak(1, size), _peak(200, size)
    assert many < 4 * one, (one, many)  # without `del`: about 400 arrays alive, 80 MB
    source = compile_program(mlevolve.check(_chain(3)), SPEC).source
    assert "del " in source


# --------------------------------------------------------------------------- 13: user text is literal

_HOSTILE = 'x"""\nimport os; os.system("echo pwned")\n"""\\\'q'


def _strings_blanked(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


def _csv(folder: Path, name: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{int(a > b)}" for a, b in rng.normal(size=(60, 2)))
    path = folder / name
    path.write_text("a,b,y\n" + rows + "\n")
    return f"{path}:target=y"


def test_hostile_file_names_and_comments_stay_inside_literals(tmp_path: Path) -> None:
    program = ('# a comment with """ and \\ and \x0c here\nalgorithm t\n'
               '# """ end\nactivation np(x: Tensor) -> Tensor = relu(x)\n'
               'model print() -> Layer = seq(dense(8), np)\n')
    file = _write(tmp_path / "p.mlev", program)
    benign = mlevolve.export(file, _csv(tmp_path / "a", "data.csv"), epochs=1)
    task = _csv(tmp_path / "b", _HOSTILE + ".csv")
    hostile = mlevolve.export(file, task, epochs=1)
    assert _strings_blanked(hostile) == _strings_blanked(benign)
    doc = ast.get_docstring(ast.parse(hostile), clean=False)
    assert doc is not None and repr(task) in doc and '# """ end' in doc and 'with """ and \\ and \x0c' in doc
    assert f"default={task!r}" in hostile
    run = mlevolve.run(file, task, epochs=1)
    assert run["failure"] is None


def test_names_bound_in_the_exported_main_are_reserved() -> None:
    from mlevolve.interpreter.export import main_source
    from mlevolve.interpreter.regimes import REGIMES

    program = mlevolve.check("algorithm t\nformula f(x: Scalar) -> Scalar = x\n")
    tasks = [(r, task) for r in REGIMES.values() for task in (*sorted(r.loaders[0].names or ()), "t.csv")
             if task != "t.csv" or any(x.names is None for x in r.loaders)]
    text = "\n".join(main_source(r, program, "PROGRAM = None", task, 0, 1) for r, task in tasks)
    tree = ast.parse(text)
    own = {id(n) for c in ast.walk(tree) if isinstance(c, ast.comprehension) for n in ast.walk(c.target)}
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
             and id(n) not in own}  # a comprehension's targets are its own scope's: they shadow no definition
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler) and n.name}
    bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for a in n.args.args}
    assert bound <= RESERVED, bound - RESERVED


def test_a_definition_named_like_a_local_of_the_exported_main_exports_the_same_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    file = _write(tmp_path / "p.mlev", "algorithm t\ntask iris\nactivation data(x: Tensor) -> Tensor = relu(x)\n"
                                      "model args() -> Layer = seq(dense(8), data)\n")
    import sys
    import types

    module = types.ModuleType("exported_p")  # the script, run in this process as a module
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(mlevolve.export(file, epochs=1), "p.py", "exec"), module.__dict__)
    monkeypatch.setattr("sys.argv", ["p.py", "--json"])
    main_ = module.main
    assert callable(main_)
    with pytest.raises(SystemExit) as done:  # the script's exit status: 0, the program trained
        main_()
    assert done.value.code == 0
    exported = json.loads(capsys.readouterr().out)
    ran = mlevolve.run(file, epochs=1)
    assert exported["failure"] is None and exported["val_accuracy"] == ran["val_accuracy"]


@pytest.mark.parametrize("name", ["k", "v", "arg", "flag"])
def test_a_definition_named_like_a_comprehension_s_target_in_main_keeps_its_name(name: str) -> None:
    """A component ``v`` exported as ``_u_v`` and ``_u_v_objective`` (a fresh-user pass): main's ``for k, v in
    ...`` binds them in the comprehension's own scope, which shadows no definition."""
    source = f"algorithm t\ntask nguyen1\nformula {name}(x: Scalar) -> Scalar =\n  x * x + x\n"
    text = mlevolve.export(mlevolve.parse(source))
    assert f"\ndef {name}(x" in text and "_u_" not in text
    module: dict[str, object] = {"__name__": "exported"}
    exec(compile(text, "p.py", "exec"), module)
    assert module[name](2.0) == 6.0  # type: ignore[operator]


@given(st.text(alphabet=st.sampled_from('"\'\\\nab\x00\r\u2028'), max_size=12)
       | st.sampled_from([_HOSTILE, '"', '""""', "\\", "a\x00b\rc\u2028d", "'''", 'end"']))
def test_doc_literal_round_trips_any_text(text: str) -> None:
    assert ast.literal_eval(f'"""{doc_literal(text)}"""') == text


def test_doc_literal_escapes_a_lone_quote_only_at_the_end() -> None:
    """An exported script's docstring showed its task line as ``task \\"d.csv\\"`` (every quote escaped)."""
    assert doc_literal('task "my data.csv"\n') == 'task "my data.csv"\n'
    assert doc_literal('a""b"') == 'a\\""b\\"'


def test_export_from_an_archive_keeps_hostile_text_literal(tmp_path: Path) -> None:
    from mlevolve.dsl.printer import format_program
    from mlevolve.gp.archive import Archive

    task = _csv(tmp_path / "b", _HOSTILE + ".csv")
    file = _write(tmp_path / "p.mlev", "algorithm t\nactivation np(x: Tensor) -> Tensor = relu(x)\n")
    db = tmp_path / "run.db"
    code = main(["evolve", file, "--task", task, "--budget", "2", "--epochs", "1", "--db", str(db), "--quiet"])
    assert code == 0
    out = tmp_path / "out.py"
    assert main(["export", "--db", str(db), "-o", str(out)]) == 0
    text = out.read_text()
    archive = Archive.read(db)
    try:
        best = archive.best(1)[0]
    finally:
        archive.close()
    benign = mlevolve.export(mlevolve.check(best.program), _csv(tmp_path / "a", "data.csv"), epochs=1, script=str(out))
    assert _strings_blanked(text) == _strings_blanked(benign)
    assert format_program(mlevolve.parse(best.program)).strip() in ast.get_docstring(ast.parse(text), clean=False)


def test_docs_state_the_timeout_evolve_uses() -> None:
    text = (ROOT / "docs" / "evolve.md").read_text()
    assert "120 s" not in text and "300 s" in text


def test_a_task_named_outside_ascii_formats_quoted_and_reads_back(tmp_path: Path) -> None:
    """``task "é"`` was printed bare (``task é``: Python's isidentifier takes it), which the parser, reading ASCII
    names, cannot read: format and `mlevolve fmt` said "please report this formatter fault".  It stays quoted."""
    program = mlevolve.parse('algorithm a\ntask "\u00e9"\n\nformula f(x: Scalar) -> Scalar =\n  x\n')
    text = mlevolve.format(program)
    assert 'task "\u00e9"' in text and mlevolve.parse(text).task == "\u00e9"
    path = tmp_path / "a.mlev"
    path.write_text(text, encoding="utf-8")
    assert main(["fmt", str(path), "--check"]) == 0
