"""The arithmetic the engine itself writes into a program it found (``ENGINE_OPS``: a formula fit's ``a + b * f``,
the simplifier's rewrites, a negative constant's ``neg``) is legal in a program checked, run or exported with a
grammar that lacks it, so a run's best checks in the run's own grammar; the generator, the mutations and a learned
rule's body still draw only the grammar's productions."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.dsl.ir import Call, Ref, const
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.traverse import preorder
from mlevolve.gp.generate import generate
from mlevolve.grammar.spec import ENGINE_OPS, GrammarError, load_grammar
from mlevolve.interpreter.fit import scaled
from tests.conftest import Capsys, cli

# a grammar of its own with none of the engine's arithmetic: only what it draws
NO_ARITHMETIC = ('types = ["Scalar"]\n[literals.Scalar]\nchoices = [0.5, 2.0]\nuniform = [-2.0, 2.0]\n'
                 '[op.square]\nsig = ["Scalar -> Scalar"]\n[op.sin]\nsig = ["Scalar -> Scalar"]\n')


@pytest.fixture
def grammar(tmp_path: Path) -> Path:
    path = tmp_path / "g.toml"
    path.write_text(NO_ARITHMETIC)
    return path


@pytest.mark.parametrize("body", [
    format_expr(scaled(Call("square", (Ref("x"),)), -0.25, 3.0)),  # the fit's linear scaling, a negative intercept
    "sin(x) - square(x)", "2.0 * sin(x)", "sin(x) / 3.0", "-sin(x)", "0.5 + square(x)",  # the simplifier's forms
])
def test_what_the_engine_writes_checks_runs_and_exports_in_a_grammar_without_it(
        grammar: Path, tmp_path: Path, capsys: Capsys, body: str) -> None:
    program = tmp_path / "best.mlev"
    program.write_text(f"algorithm best\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  {body}\n")
    assert cli(capsys, "check", str(program), "--grammar", str(grammar)) == (0, f"{program}: ok (formula f)\n", "")
    code, _, err = cli(capsys, "export", str(program), "--grammar", str(grammar), "-o", str(tmp_path / "b.py"))
    assert code == 0, err
    metrics = api.run(program, grammar=load_grammar(grammar))
    assert metrics


def test_a_primitive_the_grammar_lacks_is_still_refused(grammar: Path, tmp_path: Path, capsys: Capsys) -> None:
    program = tmp_path / "p.mlev"
    program.write_text("algorithm p\nformula f(x: Scalar) -> Scalar =\n  cos(x) * 2.0\n")
    code, _, err = cli(capsys, "check", str(program), "--grammar", str(grammar))
    assert code == 2 and "unknown primitive 'cos'" in err


def test_the_generator_draws_only_the_grammars_productions(grammar: Path) -> None:
    spec = load_grammar(grammar)
    assert not ENGINE_OPS & set(spec.by_op) and {p.op for p in spec.overloads("mul")} == {"mul"}
    ops = {n.op for seed in range(300) for n in preorder(generate(spec, "Scalar", random.Random(seed), max_depth=5))
           if isinstance(n, Call)}
    assert ops == {"square", "sin"}  # no neg for a negative literal: the grammar has none
    assert format_expr(const(-1.5)) == "-1.5"  # (the form a negative literal takes when the engine writes one)


def test_a_learned_rules_body_may_not_use_what_the_grammar_does_not_draw(grammar: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(NO_ARITHMETIC + '[[rule]]\nname = "r_a"\nsig = "Scalar -> Scalar"\nbody = "h0 * sin(h0)"\n')
    lacks = r"rule r_a calls 'mul', a primitive this grammar does not have \(no \[op\.mul\]\)"
    with pytest.raises(GrammarError, match=lacks):
        load_grammar(path)


@pytest.mark.parametrize("first", ["program", "rule"])
def test_what_a_grammar_draws_and_what_it_checks_do_not_share_the_checkers_memo(grammar: Path, first: str) -> None:
    """``GrammarSpec.drawn`` (an explicit :class:`Drawn`, which was a proxy forwarding every attribute) has the
    grammar's literals and ops, not its rules (no hint that a rule is known with its file), and its own memo: mul
    typed in a program first leaves a rule's mul refused, and the other way about."""
    from mlevolve.dsl.check import infer
    from mlevolve.dsl.parse import parse_expr
    from mlevolve.grammar.rules import RuleError, make_rule
    from mlevolve.grammar.spec import Drawn

    spec = load_grammar(grammar)
    drawn = spec.drawn
    assert isinstance(drawn, Drawn) and drawn is spec.drawn and drawn.spec is spec
    assert (drawn.by_op, drawn.literals) == (spec.by_op, spec.literals) and not hasattr(drawn, "rules")
    assert not drawn.overloads("mul") and spec.overloads("mul")
    body = parse_expr("h0 * sin(h0)")
    for step in ([first, "rule" if first == "program" else "program"]):
        if step == "program":
            assert infer(body, {"h0": "Scalar"}, spec)[0] == "Scalar"
        else:
            with pytest.raises(RuleError, match="unknown primitive 'mul'"):
                make_rule("r_a", ("Scalar",), "Scalar", body, drawn, spec.rules, spec.types)
