"""Mining under a grammar that lacks an op of the engine's arithmetic (kinds56, item 3): an elite may call it (the
engine writes ``add sub mul div neg`` into programs under any grammar), a rule may not (its body is drawn whole);
the motif is passed over and the best one the grammar draws is mined, where ``make_rule`` raised ``RuleError``."""

from __future__ import annotations

from pathlib import Path

from mlevolve.dsl.ir import Call
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.traverse import walk
from mlevolve.grammar.spec import load_grammar
from mlevolve.meta.mine import Elite, drawn_by, mine
from tests.meta import assert_rules_reexpand

NO_MUL = """version = 1
types = ["Scalar"]

[literals.Scalar]
weight = 1.0
choices = [1.0, 2.0]

[op.add]
sig = ["Scalar, Scalar -> Scalar"]

[op.sin]
sig = ["Scalar -> Scalar"]

[op.cos]
sig = ["Scalar -> Scalar"]

[op.exp]
sig = ["Scalar -> Scalar"]
"""

ENV = {"x": "Scalar"}
CORPUS = {"a": ["x * x + sin(x)", "exp(x) + (x * x + sin(x))", "cos(x * x + sin(x))", "sin(x + 1.0) + x"],
          "b": ["(x * x + sin(x)) * 2.0", "x - (x * x + sin(x))", "cos(sin(x + 1.0) + x)"]}
ELITES = [Elite(t, parse_expr(s), ENV) for t, texts in CORPUS.items() for s in texts]


def test_a_motif_of_an_op_the_grammar_lacks_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "no_mul.toml").write_text(NO_MUL)
    spec = load_grammar(tmp_path / "no_mul.toml")
    assert "mul" not in spec.by_op and spec.overloads("mul")  # the checker takes x * x, the generator draws none
    base_found, _ = mine(ELITES, load_grammar().restrict(frozenset({"Scalar"})), max_rules=1)
    best = base_found[0].production.rule
    assert best is not None and not drawn_by(best.body, base_found[0].production.args, spec)  # it would be mined
    found, grown = mine(ELITES, spec, max_rules=3)
    assert found, "the motifs the grammar draws are mined"
    for m in found:
        assert m.production.rule is not None
        assert not {n.op for n in walk(m.production.rule.expanded) if isinstance(n, Call)} - set(spec.by_op)
    assert format_expr(found[0].production.rule.body) == "sin(h0 + 1.0) + h0"  # type: ignore[union-attr]
    assert_rules_reexpand(ELITES, grown, found)


def test_the_base_grammar_draws_every_motif_of_the_engines_arithmetic() -> None:
    """(The base grammar has every engine op: what it mines is as before.)"""
    spec = load_grammar().restrict(frozenset({"Scalar"}))
    assert drawn_by(parse_expr("h0 * h0 + sin(h0)"), ("Scalar",), spec)
