"""The typed grammar: loading and validating ``base.toml``, its analysis, and its Lark rendering."""

from __future__ import annotations

import math
import random
import tomllib
from pathlib import Path
from typing import Any

import pytest
from lark import Lark
from lark.exceptions import UnexpectedInput

from mlevolve.dsl.ir import Call
from mlevolve.dsl.kinds import check_program
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.traverse import COMMUTATIVE, walk
from mlevolve.dsl.types import BASE_TYPES
from mlevolve.gp.generate import generate, min_depth
from mlevolve.grammar.lark_render import lark_parser, render_lark
from mlevolve.grammar.spec import GrammarError, GrammarSpec, Production, load_grammar
from tests.conftest import EXAMPLE_FILES as EXAMPLES
from tests.conftest import ROOT

BASE_TOML = ROOT / "src" / "mlevolve" / "grammar" / "base.toml"
SPEC = load_grammar()


def _grammar(**extra: Any) -> dict[str, Any]:
    """A small valid grammar layout, to be spoilt by each test."""
    data: dict[str, Any] = {
        "types": ["Num", "Vec"],
        "literals": {"Num": {"choices": [1.0]}},
        "op": {"plus": {"sig": ["Num, Num -> Num"], "doc": "Sum."}, "fill": {"sig": ["Num -> Vec"]}},
    }
    data.update(extra)
    return data


# ------------------------------------------------------------------------------------------ base grammar


def test_base_grammar_loads() -> None:
    assert SPEC.name == "base"
    assert SPEC.types == BASE_TYPES
    assert load_grammar() is SPEC  # cached
    assert load_grammar(BASE_TOML).productions == SPEC.productions
    # Counted by hand from base.toml: add 7, sub 10, mul 7, div 10, neg/min/max 12, thirteen unary
    # families of four 52, softplus/erf/full/noise 4, linear algebra 18, layers 11.
    assert len(SPEC.productions) == 131
    assert len(SPEC.by_result["Layer"]) == 11
    assert len(SPEC.overloads("add")) == 7 and len(SPEC.overloads("sub")) == 10
    assert SPEC.overloads("nonexistent") == ()
    assert SPEC.variable_weight == 3.0
    assert set(SPEC.literals) == {"Scalar", "Int"}
    assert SPEC.literals["Int"].is_int and not SPEC.literals["Scalar"].is_int


def test_every_production_has_a_doc_and_a_sane_weight() -> None:
    for p in SPEC.productions:
        assert p.doc.strip(), p
        assert p.weight >= 0 and math.isfinite(p.weight), p
        assert p.result in SPEC.types and all(a in SPEC.types for a in p.args), p
    ids = [p.id for p in SPEC.productions]
    assert len(ids) == len(set(ids))


def test_commutative_ops_agree_with_the_hash() -> None:
    assert SPEC.commutative_ops == COMMUTATIVE == {"add", "mul", "min", "max", "dot"}
    for p in SPEC.productions:
        if p.commutative:
            assert len(p.args) == 2


def test_production_ids_and_text() -> None:
    p = Production("add", ("Scalar", "Vector"), "Vector")
    assert p.id == "add(Scalar,Vector)"
    assert str(p) == "add(Scalar, Vector) -> Vector"
    assert str(Production("identity", (), "Layer")) == "identity() -> Layer"


def test_base_min_depths() -> None:
    # By hand from base.toml: Scalar and Int have literals (1); Layer has zero-argument productions
    # such as identity() (1); Vector is fill(Scalar), Matrix gaussian_matrix(Scalar, Scalar) and
    # Tensor full(Scalar), each one level above a Scalar literal (2).
    assert dict(SPEC.min_depth) == {"Scalar": 1, "Vector": 2, "Matrix": 2, "Tensor": 2, "Int": 1, "Layer": 1}
    # With variables in scope, a type of a variable is a leaf, and what is built from it gets closer.
    assert SPEC.depths(frozenset({"Tensor"}))["Tensor"] == 1
    assert SPEC.depths(frozenset({"Vector"}))["Matrix"] == 2  # rows(v) is no shallower than gaussian_matrix
    assert SPEC.depths(frozenset({"Scalar", "Int"})) is SPEC.min_depth  # nothing new
    assert min_depth(SPEC, "Vector", {"v": "Vector"}) == 1
    assert min_depth(SPEC, "Vector", {"m": "Matrix"}) == 2
    assert math.isinf(min_depth(SPEC, "Nope"))


# ------------------------------------------------------------------------------------------ validation


def test_non_terminating_type_is_named_with_a_production() -> None:
    data = _grammar(types=["Num", "Vec", "Loop"])
    data["op"]["spin"] = {"sig": ["Loop -> Loop", "Loop, Num -> Loop"]}
    data["op"]["use"] = {"sig": ["Loop -> Num"]}
    with pytest.raises(GrammarError) as info:
        GrammarSpec.from_dict(data)
    msg = info.value.message
    assert "type Loop can never terminate" in msg
    assert "spin(Loop) -> Loop" in msg
    assert "Loop" in (info.value.hint or "")


def test_mutually_recursive_types_never_terminate() -> None:
    data = {"types": ["Ping", "Pong"], "op": {"ping": {"sig": ["Pong -> Ping"]}, "pong": {"sig": ["Ping -> Pong"]}}}
    with pytest.raises(GrammarError, match=r"type Ping can never terminate.*ping\(Pong\) -> Ping"):
        GrammarSpec.from_dict(data)


def test_declared_but_unused_type_is_allowed_and_infinite() -> None:
    spec = GrammarSpec.from_dict(_grammar(types=["Num", "Vec", "Spare"]))
    assert math.isinf(spec.min_depth["Spare"])


def test_unknown_type_in_signature_names_the_production() -> None:
    data = _grammar()
    data["op"]["bad"] = {"sig": ["Num, Matrixx -> Num"]}
    with pytest.raises(GrammarError) as info:
        GrammarSpec.from_dict(data)
    assert info.value.message == "production bad(Num, Matrixx) -> Num names unknown type 'Matrixx'"
    assert info.value.hint == "known types: Num, Vec"


def test_unknown_result_type_names_the_production() -> None:
    data = _grammar()
    data["op"]["bad"] = {"sig": ["Num -> Tensorr"]}
    with pytest.raises(GrammarError, match=r"production bad\(Num\) -> Tensorr names unknown type 'Tensorr'"):
        GrammarSpec.from_dict(data)


def test_duplicate_signature_fails() -> None:
    data = _grammar()
    data["op"]["plus"]["sig"] = ["Num, Num -> Num", "Num, Num -> Vec"]
    with pytest.raises(GrammarError) as info:
        GrammarSpec.from_dict(data)
    assert info.value.message == "production plus(Num, Num) -> Vec is defined twice"


def test_duplicate_signature_through_type_variables_fails() -> None:
    data = _grammar()
    data["op"]["plus"] = {"sig": ["T, T -> T", "Num, Num -> Num"], "forall": {"T": ["Num", "Vec"]}}
    with pytest.raises(GrammarError, match=r"plus\(Num, Num\) -> Num is defined twice"):
        GrammarSpec.from_dict(data)


def test_type_variables_are_monomorphised() -> None:
    data = _grammar()
    data["op"]["plus"] = {"sig": ["T, T -> T", "Num, V -> V"], "forall": {"T": ["Num", "Vec"], "V": ["Vec"]}}
    spec = GrammarSpec.from_dict(data)
    assert [p.id for p in spec.overloads("plus")] == ["plus(Num,Num)", "plus(Vec,Vec)", "plus(Num,Vec)"]
    assert [p.result for p in spec.overloads("plus")] == ["Num", "Vec", "Vec"]
    data["op"]["plus"] = {"sig": ["T -> T"]}
    with pytest.raises(GrammarError, match="type variable T in 'T -> T' has no `forall` entry"):
        GrammarSpec.from_dict(data)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"types": 5}, "`types` must be a list of strings, got 5"),
        ({"types": ["Num", 2]}, r"`types` must be a list of strings, got \[\"Num\", 2\]"),
        ({"op": [1, 2]}, r"`op` must be a table \(\[op\] or \[op.NAME\]\), not an array"),
        ({"op": {"f": 3}}, r"\[op.f\] must be a table, got 3"),
        ({"op": {"f": {"sig": ["Num -> Num"], "weight": "heavy"}}}, r'\[op.f\] weight must be a number, got "heavy"'),
        ({"op": {"f": {"sig": ["Num -> Num"], "weight": True}}}, r"\[op.f\] weight must be a number, got true"),
        ({"op": {"f": {"sig": [3]}}}, r"\[op.f\] sig must be a list of strings, got \[3\]"),
        ({"op": {"f": {"sig": ["Num Num"]}}}, "op f: bad signature 'Num Num'"),
        ({"op": {"f": {"sig": []}}}, "op f has no signatures"),
        ({"op": {"f": {}}}, "op f has no signatures"),
        ({"op": {"1f": {"sig": ["Num -> Num"]}}}, "op name '1f' is not an identifier"),
        ({"op": {"f\u00fc": {"sig": ["Num -> Num"]}}}, "op name 'f\u00fc' is not an identifier"),
        ({"types": ["Num", "V\u00e9c"]}, "type name 'V\u00e9c' is not an identifier"),  # no program could write it
        ({"op": {"f": {"sig": ["Num -> Num"], "weight": -1.0}}}, r"production f\(Num\) -> Num has a bad weight -1.0"),
        ({"op": {"f": {"sig": ["Num -> Num"], "weight": math.inf}}},
         r"\[op.f\] weight must be a number, finite, got inf"),  # the one TOML reader refuses it
        ({"literals": 3}, "`literals` must be a table"),
        ({"literals": {"Num": 3}}, r"\[literals.Num\] must be a table, got 3"),
        ({"literals": {"Num": {"uniform": [1.0]}}}, r"\[literals.Num\] uniform must be \[low, high\] with low <= high"),
        ({"literals": {"Numm": {"choices": [1.0]}}}, "literals for unknown type 'Numm'"),
        ({"literals": {"Num": {"weight": -2.0}}}, "literals of Num have a bad weight -2.0"),
        # settings that left nothing to generate, or wrote what was not meant (a literal of 1, an Int of 1.5)
        ({"literals": {"Num": {"choices": []}}}, "literals of Num have nothing to draw from: no choices and no"),
        ({"literals": {"Num": {}}}, "literals of Num have nothing to draw from"),
        ({"types": ["Num", "Vec", "Int"], "literals": {"Num": {"choices": [1.0]}, "Int": {"choices": [8, 1.5]}}},
         "literals of Int are whole numbers, not 1.5"),
        ({"types": []}, "`types` lists no types: nothing could be generated"),
        ({"op": {"f": {"sig": ["T -> T"], "forall": {"T": []}}}}, r"\[op.f\] forall.T ranges over no types"),
        ({"variables": 3}, "`variables` must be a table"),
        ({"variables": {"weight": math.nan}}, r"\[variables\] weight must be a number, finite, got nan"),
        ({"literals": {"Num": {"uniform": [0.0, math.inf]}}},
         r"\[literals.Num\] uniform must be .*finite, got \[0.0, inf\]"),
        ({"weights": [1]}, "`weights` must be a table"),
        ({"weights": {"plus(Num,Num)": "x"}}, r'\[weights\] "plus\(Num,Num\)" must be a number, got "x"'),
        ({"types": ["Num", "Vec", "Num"]}, "type Num is listed twice"),
    ],
)
def test_bad_layout_is_a_grammar_error(change: dict[str, Any], match: str) -> None:
    data = _grammar()
    if "op" in change and isinstance(change["op"], dict):
        data["op"] = {**data["op"], **change.pop("op")}
    data.update(change)
    with pytest.raises(GrammarError, match=match):
        GrammarSpec.from_dict(data)


def test_missing_types_is_a_grammar_error() -> None:
    with pytest.raises(GrammarError) as info:
        GrammarSpec.from_dict({})
    assert info.value.message == "malformed grammar: the top level has no 'types' key"
    assert info.value.hint is not None and "docs/meta.md" in info.value.hint


def test_grammar_files(tmp_path: Path) -> None:
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text('types = ["Num"\n')
    with pytest.raises(GrammarError, match="not valid TOML") as info:
        load_grammar(bad_toml)
    assert info.value.file == str(bad_toml)

    with pytest.raises(GrammarError, match="no such grammar file") as info:
        load_grammar(tmp_path / "missing.toml")
    assert info.value.file == str(tmp_path / "missing.toml")

    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"types = [\xff]\n")
    with pytest.raises(GrammarError, match=r"not UTF-8 text \(byte 0xff at offset 9\)"):
        load_grammar(binary)

    with pytest.raises(GrammarError, match="is a folder, not a grammar file"):
        load_grammar(tmp_path)  # a directory

    layout = tmp_path / "layout.toml"
    layout.write_text('types = ["Num"]\n[op.f]\nsig = ["Num -> Nope"]\n')
    with pytest.raises(GrammarError, match="names unknown type 'Nope'") as info:
        load_grammar(layout)
    assert info.value.file == str(layout)
    assert info.value.render().startswith(f"{layout}:3:1: error: production f(Num) -> Nope names unknown type")

    good = tmp_path / "small.toml"
    good.write_text('types = ["Scalar"]\n[literals.Scalar]\nchoices = [1.0]\n'
                    '[op.add]\nsig = ["Scalar, Scalar -> Scalar"]\n')
    spec = load_grammar(good)
    assert spec.name == "small" and [p.id for p in spec.productions] == ["add(Scalar,Scalar)"]


# ------------------------------------------------------------------------------------------ weights


def test_weights_override() -> None:
    data = tomllib.loads(BASE_TOML.read_text())
    data["weights"] = {"add(Scalar,Scalar)": 5.0, "dense(Int)": 0.0}
    spec = GrammarSpec.from_dict(data)
    weights = {p.id: p.weight for p in spec.productions}
    assert weights["add(Scalar,Scalar)"] == 5.0
    assert weights["dense(Int)"] == 0.0
    assert weights["add(Vector,Vector)"] == 1.0  # the other overloads keep the op's weight
    assert {p.id: p.weight for p in SPEC.productions}["add(Scalar,Scalar)"] == 1.0  # the base is unchanged


def test_weights_override_of_unknown_id_fails() -> None:
    """Spaces in an id are ignored (``grammar show`` prints ``add(Scalar, Scalar)``, which was refused)."""
    data = tomllib.loads(BASE_TOML.read_text())
    data["weights"] = {"add(Scalar, Scalar)": 5.0}
    assert next(p.weight for p in GrammarSpec.from_dict(data).productions if p.id == "add(Scalar,Scalar)") == 5.0
    data["weights"] = {"add(Scalar, Scalr)": 5.0}
    with pytest.raises(GrammarError) as info:
        GrammarSpec.from_dict(data)
    assert info.value.message == "[weights] names unknown production 'add(Scalar, Scalr)'"
    assert info.value.hint == ("did you mean 'add(Scalar,Scalar)'? ids look like add(Scalar,Scalar); `mlevolve grammar "
                               "show` lists them")


def test_weights_override_cannot_be_negative() -> None:
    data = _grammar(weights={"plus(Num,Num)": -1.0})
    with pytest.raises(GrammarError, match=r"bad weight -1\.0"):
        GrammarSpec.from_dict(data)


def test_with_weights_and_zero_weight_productions_are_never_drawn() -> None:
    spec = SPEC.with_weights({"dense(Int)": 0.0})
    assert spec is not SPEC and {p.id: p.weight for p in spec.productions}["dense(Int)"] == 0.0
    rng = random.Random(3)
    for _ in range(300):
        expr = generate(spec, "Layer", rng, max_depth=4)
        assert all(not (isinstance(n, Call) and n.op == "dense") for n in walk(expr))
    # In the base grammar, dense is the most likely Layer production.
    rng = random.Random(3)
    assert any(isinstance(n, Call) and n.op == "dense"
               for _ in range(50) for n in walk(generate(SPEC, "Layer", rng, max_depth=4)))


# ------------------------------------------------------------------------------------------ Lark rendering


@pytest.fixture(scope="module")
def typed_parser() -> Lark:
    return lark_parser(SPEC)


def test_render_lark_loads_in_lark() -> None:
    text = render_lark(SPEC)
    starts = [f"{t.lower()}_expr" for t in SPEC.types]
    parser = Lark(text, parser="earley", start=starts)
    assert parser.parse("relu(x) + 1.0", start="tensor_expr") is not None
    for start in starts:
        assert f"\n{start}:" in text
    assert "131 productions over 6 types" in text.splitlines()[0]


@pytest.mark.parametrize("type_", SPEC.types)
def test_rendered_grammar_parses_generated_expressions(typed_parser: Lark, type_: str) -> None:
    rng = random.Random(type_)
    start = f"{type_.lower()}_expr"
    env = {"x": type_, "s": "Scalar", "v": "Vector"}
    seen = set()
    for i in range(210):
        expr = generate(SPEC, type_, rng, env=env if i % 3 else {}, max_depth=3, method="grow" if i % 2 else "full")
        text = format_expr(expr)
        seen.add(text)
        typed_parser.parse(text, start=start)
    assert len(seen) > (1 if type_ == "Int" else 50)


@pytest.mark.slow
@pytest.mark.parametrize("type_", SPEC.types)
def test_rendered_grammar_parses_deep_generated_expressions(typed_parser: Lark, type_: str) -> None:
    rng = random.Random(type_)
    for i in range(300):
        expr = generate(SPEC, type_, rng, env={"x": type_}, max_depth=5, method="grow" if i % 2 else "full")
        typed_parser.parse(format_expr(expr), start=f"{type_.lower()}_expr")


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("dot(x, x)", "tensor_expr"),
        ("relu(x, x)", "tensor_expr"),
        ("dense(8)", "tensor_expr"),
        ("seq(dense(8))", "layer_expr"),
        ("dense(1.5)", "layer_expr"),
        ("fill(x)", "scalar_expr"),
        ("outer(x)", "matrix_expr"),
        ("1.0", "int_expr"),
        ("x +", "scalar_expr"),
    ],
)
def test_rendered_grammar_rejects_ill_typed(typed_parser: Lark, text: str, start: str) -> None:
    with pytest.raises(UnexpectedInput):
        typed_parser.parse(text, start=start)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("dot(x, x)", "scalar_expr"),
        ("dot(x, x) * x", "tensor_expr"),
        ("x * 2.0 - 1.0", "tensor_expr"),
        ("let a = fill(1.0) in dot(a, a)", "scalar_expr"),
        ("seq(dense(8), act, layernorm())", "layer_expr"),
        ("-(x - -x)", "matrix_expr"),
        ("64", "int_expr"),
    ],
)
def test_rendered_grammar_accepts_well_typed(typed_parser: Lark, text: str, start: str) -> None:
    typed_parser.parse(text, start=start)


# ------------------------------------------------------------------------------------------ the examples


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_primitive_of_the_examples_is_in_the_grammar(path: Path) -> None:
    program = parse(path.read_text(), str(path))
    bodies = [d.body for d in program.definitions if d.body is not None]
    bodies += [m.body for d in program.definitions for m in d.methods if m.body is not None]
    assert bodies
    ops = {n.op for body in bodies for n in walk(body) if isinstance(n, Call)}
    assert ops
    missing = ops - set(SPEC.by_op)
    assert not missing, f"{path.name} uses {sorted(missing)}, which the base grammar lacks"
    assert check_program(program, SPEC) is program


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 6
