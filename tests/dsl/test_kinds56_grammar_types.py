"""A program whose signature has a type the grammar lacks is refused as such (kinds56, item 2): a formula under a
grammar without ``Scalar`` said ``'mul' expects (Vector, Vector), found (Scalar, Scalar)``.  Every kind: each
example's definitions, under the base grammar less each type their signatures name, say which type, located at the
parameter's type, with the grammar's types in the hint; the command names the grammar by its file, exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlevolve.dsl.errors import MlevErrors
from mlevolve.dsl.kinds import KINDS, check_program
from mlevolve.dsl.parse import parse
from mlevolve.dsl.types import BASE_TYPES, TupleType, Type
from mlevolve.grammar.spec import GrammarError, GrammarSpec, load_grammar
from tests.conftest import EXAMPLE_FILES, Capsys, cli

SPEC = load_grammar()


def _leaves(t: Type | None) -> list[str]:
    if t is None:
        return []
    return [t] if isinstance(t, str) else [x for i in t.items for x in _leaves(i)]


def _signature_types(path: Path) -> list[str]:
    program = parse(path.read_text(), str(path))
    found: list[str] = []
    for d in program.definitions:
        for p in (*d.params, *(q for m in d.methods for q in m.params)):
            found += _leaves(p.type)
        for r in (d.result, *(m.result for m in d.methods)):
            found += _leaves(r)
    return sorted(set(found))


CASES = [(path, t) for path in EXAMPLE_FILES for t in _signature_types(path)]


def test_the_cases_cover_every_kind() -> None:
    covered = {d.kind for path, _ in CASES for d in parse(path.read_text()).definitions}
    assert covered == set(KINDS)


def _without(lacked: str) -> GrammarSpec:
    """The base grammar over its types less ``lacked`` and those that cannot terminate without it (a real grammar:
    without Scalar, nothing makes a Vector)."""
    keep = set(BASE_TYPES) - {lacked}
    while True:
        try:
            return SPEC.restrict(frozenset(keep))
        except GrammarError as err:
            keep -= {t for t in keep if f"type {t} can never terminate" in err.message}


@pytest.mark.parametrize(("path", "lacked"), CASES, ids=[f"{p.stem}-{t}" for p, t in CASES])
def test_a_type_the_grammar_lacks_is_named(path: Path, lacked: str) -> None:
    program = parse(path.read_text(), str(path))
    grammar = _without(lacked)
    assert lacked not in grammar.types
    with pytest.raises(MlevErrors) as info:
        check_program(program, grammar)
    first = info.value.errors[0]
    named = re.fullmatch(r"\w+ '\w+': its (?:parameter '\w+'|result) is an? (\w+), a type that the grammar lacks",
                         first.message)
    assert named is not None and named[1] not in grammar.types, first.message
    assert "expects" not in str(info.value) and first.span is not None
    assert first.hint == (f"its types: {', '.join(grammar.types)}; add '{named[1]}' to the types of the grammar with "
                          "the ops and literals that make one, or use the base grammar, which has every type")


def test_a_tuple_result_of_a_type_the_grammar_lacks_is_named() -> None:
    program = parse("algorithm a\noptimizer o(w: Tensor, g: Tensor, m: Tensor) -> (Tensor, Tensor) =\n  (w - g, m)\n")
    assert isinstance(program.definitions[0].result, TupleType)
    grammar = SPEC.restrict(frozenset({"Scalar", "Vector"}))
    with pytest.raises(MlevErrors, match="parameter 'w' is a Tensor, a type that the grammar lacks"):
        check_program(program, grammar)


VECTOR_ONLY = """version = 1
types = ["Vector", "Int", "Layer"]

[literals.Int]
weight = 1.0
choices = [8, 16, 32]

[op.dense]
sig = ["Int -> Layer"]
"""

FORMULA = "algorithm t\n\nformula f(x: Scalar) -> Scalar =\n  x * x\n"


@pytest.mark.parametrize("command", [["check"], ["run", "--task", "nguyen1"],
                                     ["evolve", "--evolve", "f", "--budget", "2", "--task", "nguyen1", "--db", "r.db"]])
def test_the_command_names_the_grammar_file(tmp_path: Path, capsys: Capsys, command: list[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vec.toml").write_text(VECTOR_ONLY)
    (tmp_path / "f.mlev").write_text(FORMULA)
    code, _, err = cli(capsys, command[0], "f.mlev", *command[1:], "--grammar", "vec.toml")
    grammar = (tmp_path / "vec.toml").resolve()
    assert code == 2, err
    assert err.splitlines()[:3] == [
        f"f.mlev:3:14: error: formula 'f': its parameter 'x' is a Scalar, a type that grammar {grammar} lacks",
        "    formula f(x: Scalar) -> Scalar =",
        "                 ^^^^^^"]
    assert err.splitlines()[3] == (
        f"hint: its types: Vector, Int, Layer; add 'Scalar' to the types of grammar {grammar} with the ops and "
        "literals that make one, or use the base grammar, which has every type")
    assert "Traceback" not in err and "expects" not in err
