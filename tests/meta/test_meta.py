"""The meta level: evolved grammars (rules, weights, operators), their invariants, rule mining,
operator programs and the bandit, and the meta run (smoke configuration, resume)."""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import random
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.check import infer
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Ref
from mlevolve.dsl.kinds import check_program, replace_slot, slots
from mlevolve.dsl.parse import parse, parse_expr
from mlevolve.dsl.printer import format_expr, format_program
from mlevolve.dsl.traverse import walk
from mlevolve.gp.generate import generate, ramped_half_and_half
from mlevolve.gp.operators import MUTATIONS, Site
from mlevolve.gp.portfolio import Portfolio, run_operator
from mlevolve.grammar.oplang import OperatorError, count_steps, parse_operator
from mlevolve.grammar.spec import GrammarError, GrammarSpec, load_grammar
from mlevolve.interpreter.codegen import compile_program
from mlevolve.meta import vary
from mlevolve.meta.mine import Elite, mine, rewrite
from tests.conftest import ROOT, archive_rows, environment, generator_body, run_mlevolve, spawn
from tests.meta import assert_rules_reexpand

SCALAR = frozenset({"Scalar"})
QUARTIC = api.check(api.parse_file(ROOT / "examples" / "quartic.mlev"))


def evolved(seed: int, steps: int = 12, types: frozenset[str] | None = None) -> GrammarSpec:
    """An arbitrary evolved grammar: random rules added (bodies folded through earlier rules, so
    libraries nest), deleted, weights perturbed, operators mutated, crossed with a sibling."""
    rng = random.Random(seed)
    base = load_grammar()
    types = types or frozenset(base.types)
    pool = []
    grown = base
    for _ in range(6):
        p = vary.random_rule(grown, rng, types)
        pool.append(p)
        grown = grown.add(p)
    spec, sibling = base, base
    for _ in range(steps):
        roll = rng.random()
        if roll < 0.45:
            spec = vary.add_rule(spec, pool, rng, types) or spec
        elif roll < 0.55:
            spec = vary.delete_rule(spec, rng) or spec
        elif roll < 0.75:
            spec = vary.mutate_operators(spec, rng, types)
        elif roll < 0.9:
            spec = vary.perturb_weights(spec, rng, types)
        else:
            sibling = vary.add_rule(sibling, pool, rng, types) or sibling
            spec = vary.crossover(spec, sibling, rng, types)
    return spec


def calls(expr: object) -> set[str]:
    return {n.op for n in walk(expr) if isinstance(n, Call)}  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ invariants
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6))
def test_evolved_grammars_keep_the_invariants(seed: int) -> None:
    base = load_grammar()
    spec = evolved(seed)
    assert spec.types == base.types  # rules add no new types
    order = list(spec.rules)
    for k, (name, rule) in enumerate(spec.rules.items()):
        p = spec.by_op[name][0]
        holes = {f"h{i}": t for i, t in enumerate(p.args)}
        assert infer(rule.expanded, holes, base)[0] == p.result  # well-typed over the base grammar
        assert calls(rule.expanded) <= set(base.by_op)  # expansions are base expressions
        assert calls(rule.body) & set(order) <= set(order[:k])  # acyclic: only earlier rules are called
    for t in base.types:  # every type keeps a terminating production
        assert spec.min_depth[t] == base.min_depth[t] or spec.min_depth[t] < float("inf")
    again = GrammarSpec.from_dict(__import__("tomllib").loads(spec.to_toml()))
    assert again.digest == spec.digest  # the file is the individual


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6))
def test_sampled_programs_are_base_programs_within_limits(seed: int) -> None:
    spec = evolved(seed, types=SCALAR)
    site = Site(spec.restrict(SCALAR), {"x": "Scalar"}, "Scalar", max_depth=7, max_size=30)
    rng = random.Random(seed)
    base = load_grammar()
    for _ in range(20):
        body = ramped_half_and_half(site.spec, "Scalar", rng, env=site.env, max_depth=6)
        assert body.depth <= 6
        for op in MUTATIONS.values():
            child = op(body, site, rng)
            if child is not None:
                assert site.fits(child)  # limits count the expanded program
                assert calls(child) <= set(base.by_op)
                body = child
        check_program(replace_slot(QUARTIC, "f", body), base)


def test_a_thousand_sampled_programs_parse_check_and_compile_with_the_base_language() -> None:
    spec = evolved(7, steps=20, types=SCALAR)
    assert spec.rules, "the fixture should have rules"
    rng = random.Random(0)
    base = load_grammar()
    restricted = spec.restrict(SCALAR)
    used = set()
    for _ in range(1000):
        body = ramped_half_and_half(restricted, "Scalar", rng, env={"x": "Scalar"}, max_depth=6)
        text = format_program(replace_slot(QUARTIC, "f", body))
        program = check_program(parse(text), base)  # the unchanged base language
        compile_program(program, base)
        used |= calls(body)
    assert not used & set(spec.rules)


def test_generation_depth_accounts_for_rule_bodies() -> None:
    spec = GrammarSpec.from_dict({"extends": "base", "rule": [
        {"name": "deep", "sig": "Scalar -> Scalar", "body": "sin(sin(sin(h0)))", "weight": 1000.0}]})
    restricted = spec.restrict(SCALAR)
    rng = random.Random(0)
    for depth in range(1, 7):
        for _ in range(50):
            e = generate(restricted, "Scalar", rng, env={"x": "Scalar"}, max_depth=depth, method="full")
            assert e.depth <= depth


def test_deleting_a_rule_inlines_it_where_it_is_used() -> None:
    spec = GrammarSpec.from_dict({"extends": "base", "rule": [
        {"name": "sq", "sig": "Scalar -> Scalar", "body": "h0 * h0"},
        {"name": "sqsum", "sig": "Scalar, Scalar -> Scalar", "body": "sq(h0) + sq(h1)"}]})
    before = spec.rules["sqsum"].expanded
    rng = random.Random(0)
    while True:
        smaller = vary.delete_rule(spec, rng)
        assert smaller is not None
        if "sq" not in smaller.rules:
            break
    assert format_expr(smaller.rules["sqsum"].body) == "h0 * h0 + h1 * h1"
    assert smaller.rules["sqsum"].expanded == before


def test_rule_calls_in_a_user_program_are_inlined(tmp_path: Path) -> None:
    grammar = tmp_path / "g.toml"
    grammar.write_text('extends = "base"\n[[rule]]\nname = "cube"\nsig = "Scalar -> Scalar"\nbody = "h0 * h0 * h0"\n')
    source = tmp_path / "p.mlev"
    source.write_text("algorithm p\ntask nguyen1\n\nformula f(x: Scalar) -> Scalar =\n  cube(x) + x * x + x\n")
    result = api.run(source, grammar=load_grammar(grammar))
    assert result["failure"] is None and result["fitness"] > -1e-9


# ---------------------------------------------------------------------------------------- rule mining
def test_mining_finds_the_shared_motif_and_re_expands_exactly() -> None:
    env = {"x": "Scalar"}
    corpus = {"a": ["x * x + sin(x)", "exp(x) + (x * x + sin(x))", "cos(x * x + sin(x))"],
              "b": ["(x * x + sin(x)) * 2.0", "x - (x * x + sin(x))"], "c": ["tanh(x) * x"]}
    elites = [Elite(t, parse_expr(s), env) for t, texts in corpus.items() for s in texts]
    base = load_grammar().restrict(SCALAR)
    found, grown = mine(elites, base, max_rules=3)
    assert [format_expr(m.production.rule.body) for m in found][:1] == ["h0 * h0 + sin(h0)"]  # type: ignore[union-attr]
    first = found[0]
    assert first.tasks == ("a", "b") and first.uses == 5 and first.utility == 20
    for e in elites:
        folded, n = rewrite(e.body, env, grown, first.production)
        assert grown.expand(folded) == e.body
        assert (n > 0) == (e.task != "c")


def test_mining_requires_reuse_across_tasks() -> None:
    env = {"x": "Scalar"}
    elites = [Elite("only", parse_expr(s), env) for s in ["x * x + sin(x)", "cos(x * x + sin(x))"]]
    found, _ = mine(elites, load_grammar().restrict(SCALAR))
    assert found == []


def test_mined_rules_can_build_on_earlier_ones() -> None:
    env = {"x": "Scalar"}
    texts = ["exp(x * x + 1.0) * exp(x * x + 1.0)", "sin(exp(x * x + 1.0) * exp(x * x + 1.0))",
             "x * x + 1.0", "cos(x * x + 1.0)"]
    elites = [Elite(t, parse_expr(s), env) for t in ("a", "b") for s in texts]
    found, grown = mine(elites, load_grammar().restrict(SCALAR), max_rules=3)
    assert len(found) >= 2
    assert_rules_reexpand(elites, grown, found)


# ------------------------------------------------------------------------------ operators and bandit
def test_operator_programs_parse_and_count_steps() -> None:
    types = load_grammar().types
    op = parse_operator("seq(regrow(deep, 2), repeat(2, choice(tweak(), point(Scalar))))", types)
    assert count_steps(op) == 3
    for bad, message in [("seq()", "at least one"), ("regrow(deep, 9)", "depth"), ("wrap(nowhere)", "SELECTOR"),
                         ("repeat(5, tweak())", "repeat"), ("x + 1.0", "not a step"), ("seq(", "operator o")]:
        with pytest.raises(OperatorError, match=message):
            parse_operator(bad, types, "o")


def test_operator_programs_preserve_types_and_limits() -> None:
    spec = load_grammar().restrict(SCALAR)
    site = Site(spec, {"x": "Scalar"}, "Scalar", max_depth=6, max_size=25)
    rng = random.Random(3)
    donors = [parse_expr("sin(x) * 2.0"), parse_expr("exp(x) - x")]
    for _ in range(200):
        program = vary.random_operator(rng, sorted(spec.types))
        body = ramped_half_and_half(spec, "Scalar", rng, env=site.env, max_depth=5)
        child = run_operator(program, body, site, rng, lambda: donors)
        if child is not None:
            assert child != body and site.fits(child)
            assert infer(child, site.env, spec)[0] == "Scalar"


def test_bandit_prefers_the_arm_that_succeeds() -> None:
    spec = GrammarSpec.from_dict({"extends": "base", "bandit": {"floor": 0.1},
                                  "operator": [{"name": "good", "program": "tweak()"}]})
    portfolio = Portfolio(spec.operators, spec.floor)
    rng = random.Random(0)
    for _ in range(300):
        arm = portfolio.choose(rng)
        portfolio.credit(arm, arm == "good")
    assert portfolio.trials["good"] > 0.6 * 300
    assert sum(n for a, n in portfolio.trials.items() if a != "good") >= 0.1 * 300 * 0.5  # the floor


def test_an_evolved_grammar_drives_evolve_and_the_archive_holds_base_programs(tmp_path: Path) -> None:
    grammar = tmp_path / "g.toml"
    grammar.write_text('extends = "base"\n[[rule]]\nname = "sqx"\nsig = "Scalar -> Scalar"\nbody = "h0 * h0 + h0"\n'
                       'weight = 5.0\n[[operator]]\nname = "deep"\nprogram = "seq(macro(any), tweak())"\n')
    db = tmp_path / "run.db"
    assert main(["evolve", str(ROOT / "examples" / "quartic.mlev"), "--task", "nguyen1", "--init", "random",
                 "--budget", "60", "--population", "10", "--db", str(db), "--grammar", str(grammar),
                 "--quiet"]) == 0
    base = load_grammar()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT program, operator FROM candidates").fetchall()
    assert len(rows) == 60
    assert any(op == "deep" for _, op in rows)  # the evolved operator was chosen by the bandit
    for text, _ in rows:
        program = check_program(parse(text), base)
        assert "sqx" not in text
        assert all(calls(s.body) <= set(base.by_op) for s in slots(program))


# ------------------------------------------------------------------------------------- files and CLI
@pytest.mark.parametrize("body, message", [
    ('[[rule]]\nname = "r"\nsig = "Scalar -> Scalar"\nbody = "h0 + later(h0)"\n'
     '[[rule]]\nname = "later"\nsig = "Scalar -> Scalar"\nbody = "h0 * h0"\n',
     "rule r calls rule later, which is listed after it"),
    ('[[rule]]\nname = "r"\nsig = "Scalar -> Scalar"\nbody = "r(h0)"\n', "rule r calls itself"),
    ('[[rule]]\nname = "r"\nsig = "Scalar -> Vector"\nbody = "h0 + 1.0"\n', "declared -> Vector"),
    ('[[rule]]\nname = "r"\nsig = "Scalar -> Scalar"\nbody = "h0 + x"\n', "reads 'x'"),
    ('[[rule]]\nname = "r"\nsig = "Float -> Scalar"\nbody = "h0"\n', "rules add no types"),
    ('[[rule]]\nname = "r"\nsig = "Scalar, Scalar -> Scalar"\nbody = "sin(h0)"\n', "never uses hole h1"),
    ('[[rule]]\nname = "add"\nsig = "Scalar -> Scalar"\nbody = "sin(h0)"\n', "name of an existing"),
    ('[[operator]]\nname = "o"\nprogram = "regrow(any)"\n', "operator o"),
    ('[[operator]]\nname = "regrow"\nprogram = "tweak()"\n', "taken by a built-in"),
    ('[weights]\n"nope(Scalar)" = 2.0\n', "unknown production"),
])
def test_bad_grammar_files_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str,
                                               message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('extends = "base"\n' + body)
    assert main(["grammar", "show", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err and "Traceback" not in err
    with pytest.raises(GrammarError, match=re.escape(message)):  # the API's error is the command's
        load_grammar(path)


@pytest.mark.parametrize("text, first", [
    ('version = 1\n[productions]\n', "bad.toml:2:2: error: unknown section or key 'productions'"),
    ('extends = "base"\nfoo = 3\n', "bad.toml:2:1: error: unknown section or key 'foo'"),
    ('version = 1\n', "bad.toml:1:1: error: a grammar file extends another or defines its own types; this one does"),
    ('extends = "base"\n[types]\nfoo = 1\n',
     "bad.toml:2:2: error: `types`: a grammar that extends another takes its types"),
    ('extends = "base"\n[op.add]\nsig = "Scalar, Scalar -> Scalar"\n',
     "bad.toml:2:2: error: [op.add]: a grammar that extends another takes its ops from it"),
])
def test_a_grammar_file_s_layout_is_checked_at_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], text: str,
                                                      first: str) -> None:
    """Keys no grammar file has, and types or productions an extending file would silently ignore,
    are refused where the file writes them (they read as a KeyError, or not at all, before)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(text)
    assert main(["grammar", "show", "bad.toml"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(first) and err[1].startswith("hint: ") and len(err) == 2, err


def test_grammar_show_diff_and_lark_read_evolved_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "g.toml"
    path.write_text(evolved(11, steps=25).to_toml(header="test"))
    spec = load_grammar(path)
    assert main(["grammar", "show", str(path)]) == 0
    shown = capsys.readouterr().out
    for name in spec.rules:
        assert name in shown
    assert main(["grammar", "diff", "base", str(path)]) == 0
    diff = capsys.readouterr().out
    assert all(f"+ rule {name}" in diff for name in spec.rules)
    assert main(["grammar", "lark", str(path)]) == 0
    lark = capsys.readouterr().out
    assert spec.rules and all(f'"{name}" "("' in lark for name in spec.rules)


def test_bad_meta_configurations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text().replace("../../examples", str(ROOT / "examples"))
    cases = [(good.replace('"nguyen5"', '"nguyen99"'), "unknown task 'nguyen99'"),
             (good.replace('test = ["nguyen4"]', 'test = ["nguyen1"]'), "in both [split] train and test"),
             (good.replace('test = ["nguyen4"]', 'test = ["nguyen4", "nguyen4"]'),
              "task 'nguyen4' is given twice in [split] test"),  # said "in both [split] test and test"
             (good.replace("budget = 80", "budget = -4"), "budget must be positive"),
             (good.replace('test = ["nguyen4"]', "test = []"), "[split] test needs at least 1 task"),
             (good.replace('test = ["nguyen4"]', ""), "[split] test needs at least 1 task"),  # ran; evidence.py failed
             (good.replace("[inner]", "[inner]\nspeed = 3"), "no setting 'speed'"),
             (good + "\n[bounds]\nnguyen1 = [1.0, 0.0]\n", "lo < hi"),
             (good.replace('evolve = ["f"]', 'evolve = ["g"]'), "'g' is not a definition"),
             (good.replace("[meta]", "[meta]\nbase_mix = 1.5"), "base_mix must be in [0, 1]"),
             (good.replace("[meta]", "[meta]\nfitness = \"rank\""), 'fitness must be one of paired, auc, got "rank"'),
             (good.replace("budget = 80", 'budget = "80"'), '[inner] budget must be an integer, got "80"'),
             (good.replace("budget = 80", "budget = 80.0"), "[inner] budget must be an integer, got 80.0"),
             (good.replace("[meta]", "[meta]\nselection = \"best\""), "selection must be one of"),
             (good.replace("[inner]", "[inner]\nalgorithm = \"bogus\""),
              "[inner] algorithm must be one of regularized, mu_plus_lambda, nsga2, random, islands, map-elites"),
             (good.replace("[inner]", "[inner]\ninit = \"nope\""), "[inner] init must be one of file, random"),
             (good.replace("[inner]", "[inner]\nalgorithm = \"islands\""),
              '[inner] algorithm = "islands" with population = 10: population 10 is too small for islands 4 with '
              'migrants 2'),
             (good.replace("[inner]", "[inner]\nalgorithm = \"islands\""),  # the population that runs, not 'raise it'
              "hint: population = 12 or more (the meta level runs the algorithm's default settings)"),
             (good.replace("budget = 80", "budget = true"), "[inner] budget must be an integer, got true"),
             # what evolve refuses, the meta level's inner runs refused too (a new user's pass: each ran, exit 0)
             (good.replace("population = 10", "population = 1"), "[inner] population must be at least 2, got 1"),
             (good.replace("[inner]", "[inner]\nalgorithm = \"random\""),
              '[inner] population would be ignored: algorithm = "random" draws every candidate afresh'),
             (good.replace("[meta]", "[meta]\nmin_tasks = 9"),
              "[meta] min_tasks = 9 but a meta-generation samples tasks = 2: no rule could ever be mined"),
             (good.replace("[inner]", "[inner]\nepochs = 5"),
              "[inner] epochs does not apply to a formula program: it is not trained for epochs"),
             (good.replace("[inner]", "[inner]\ntarget = 2.0"), "[inner] target must be at most 1"),
             (good.replace("[meta]", "[meta]\nranking = \"best\""),
              "ranking must be one of generation, pooled, race, validated"),
             (good.replace("[meta]", "[meta]\nranking = \"race\"\nfitness = \"auc\""),
              '[meta] ranking = "race" needs fitness = "paired"'),
             (good.replace("[meta]", "[meta]\nranking = \"race\"").replace("elitism = 1", "elitism = 0"),
              '[meta] ranking = "race" needs elitism = 1 or more'),
             (good.replace("[meta]", "[meta]\nrace_pairs = 0"), "[meta] race_pairs must be positive, got 0"),
             (good.replace("[meta]", "[meta]\nranking = \"pooled\"\nfitness = \"auc\""),
              '[meta] ranking = "pooled" needs fitness = "paired"'),
             (good.replace("[meta]", "[meta]\nshrinkage = -1"), "[meta] shrinkage must be 0 or more, got -1"),
             # a setting of another ranking would be ignored (a new user's pass: race_pairs ran silently)
             (good.replace("[meta]", "[meta]\nrace_pairs = 8"), '[meta] race_pairs is a setting of ranking = "race"; '
              'this ranking is "generation": it would be ignored\nhint: add ranking = "race", or drop race_pairs'),
             (good.replace("[meta]", "[meta]\nranking = \"pooled\"\nrace_pairs = 8"), 'this ranking is "pooled"'),
             (good.replace("[meta]", "[meta]\nrace_margin = 1"), '[meta] race_margin is a setting of ranking = '
              '"race"; this ranking is "generation": it would be ignored\nhint: add ranking = "race", or drop '
              'race_margin'),
             (good.replace("[meta]", "[meta]\nranking = \"pooled\"\nrace_margin = 1"), 'this ranking is "pooled"'),
             (good.replace("[meta]", "[meta]\nranking = \"race\"\nrace_margin = -0.5"),
              "[meta] race_margin must be 0 or more, got -0.5"),
             (good.replace("[meta]", "[meta]\nranking = \"race\"\nrace_margin = \"1\""),
              '[meta] race_margin must be a number, got "1"'),
             (good.replace("[meta]", "[meta]\nrace_hold = true"), '[meta] race_hold is a setting of ranking = '
              '"race"; this ranking is "generation": it would be ignored\nhint: add ranking = "race", or drop '
              'race_hold'),
             (good.replace("[meta]", "[meta]\nranking = \"race\"\nrace_hold = true"),
              "[meta] race_hold needs race_margin above 0\nhint: a champion is held to race_margin standard errors "
              "above the base grammar's 0: add race_margin = 1, or drop race_hold"),
             (good.replace("[meta]", "[meta]\nranking = \"race\"\nrace_margin = 0\nrace_hold = true"),
              "[meta] race_hold needs race_margin above 0"),
             (good.replace("[meta]", "[meta]\nranking = \"race\"\nrace_margin = 1\nrace_hold = 1"),
              "[meta] race_hold must be"),
             (good.replace("[meta]", "[meta]\nshrinkage = 2"), '[meta] shrinkage is a setting of ranking = "pooled" '
              'or "validated" or "race"; this ranking is "generation": it would be ignored\nhint: add ranking = '
              '"race", or drop shrinkage'),
             (good.replace("[meta]", "[meta]\nranking = \"validated\"\nfitness = \"auc\""),
              '[meta] ranking = "validated" needs fitness = "paired"'),
             (good.replace("[meta]", "[meta]\nranking = \"validated\"\nrace_margin = 1"),
              'this ranking is "validated"')]
    for text, message in cases:
        path = tmp_path / "bad.toml"
        path.write_text(text)
        assert main(["meta", str(path), "--db", str(tmp_path / "m.db")]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
        assert not (tmp_path / "m.db").exists()  # refused before any archive is made


def test_the_environment_names_the_host_s_cpu_and_its_vector_level() -> None:
    from mlevolve.meta import provenance

    epyc = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx fma avx2 bmi2\n\nprocessor\t: 1\n"
    xeon = "model name : Intel Xeon\nflags : sse4_2 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni\n"
    assert provenance.cpu(epyc) == {"model": "AMD EPYC", "vendor": None, "flags": ["sse4_2", "avx", "avx2", "fma"]}
    assert provenance.cpu(xeon)["flags"] == ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl",
                                             "avx512_vnni"]
    assert provenance.cpu("model name : toy\n")["flags"] is None  # no flags line: unknown, not none
    env = provenance.environment()
    assert set(env["cpu"]) == {"model", "vendor", "flags"}
    intel = provenance.cpu("vendor_id : GenuineIntel\n" + xeon)
    assert provenance.mkl_as_evidence(intel) == {"MKL_CBWR": "AVX2"}  # MKL's AVX-512 code: its AVX2 branch fixed
    assert provenance.mkl_as_evidence(provenance.cpu("vendor_id : AuthenticAMD\n" + xeon)) == {}  # MKL's AUTO
    assert provenance.mkl_as_evidence(provenance.cpu("vendor_id : GenuineIntel\n" + epyc)) == {}  # AVX2 already
    assert provenance.environment_line({**env, "mkl_cbwr": "AVX2"}).endswith("; MKL_CBWR=AVX2")
    packages = {"numpy": "2.4.6", "torch": "2.13.0+cpu"}
    for record, level in (({"cpu": provenance.cpu(epyc)}, "AVX2"), ({"cpu": provenance.cpu(xeon)}, "AVX-512"),
                          ({"cpu": {"model": "old", "flags": []}}, "baseline"),
                          ({"torch_cpu_capability": "AVX512", "numpy_simd": ["X86_V3", "X86_V4"]}, "AVX-512"),
                          ({"torch_cpu_capability": "AVX2", "numpy_simd": ["X86_V3"]}, "AVX2"),  # before stop 30
                          ({"torch_cpu_capability": "DEFAULT", "numpy_simd": []}, "baseline"), ({}, "?")):
        assert provenance.vector_level(record) == level, record
    line = provenance.host_line({"cpu": provenance.cpu(epyc), "packages": packages, "torch_cpu_capability": "AVX2"})
    assert line == "AMD EPYC, AVX2 (no AVX-512); numpy 2.4.6, torch 2.13.0+cpu (kernels AVX2)"
    assert provenance.host_line({"packages": packages, "torch_cpu_capability": "AVX512"}) == \
        "AVX-512; numpy 2.4.6, torch 2.13.0+cpu (kernels AVX512)"
    assert f"({env['cpu']['model']}: " in provenance.environment_line(env)


# ----------------------------------------------------------------------------------- the meta run
def test_smoke_meta_run_writes_a_generator_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlevolve.meta import provenance

    config = ROOT / "benchmarks" / "meta" / "smoke.toml"
    db, out = tmp_path / "meta.db", tmp_path / "gen.toml"
    first = api.meta(config, db, out, quiet=True)
    assert first["generations"] == 3 and first["inner_runs_fresh"] > 0
    grammar = load_grammar(out)  # a valid grammar file
    text = out.read_text()
    env = provenance.environment()
    assert f"# environment: {provenance.environment_line(env)}\n" in text  # the header names the environment
    other = {**env, "packages": {**env["packages"], "numpy": "0.0"}}
    monkeypatch.setattr(provenance, "environment", lambda torch=True: other)  # resumed in another installation
    again = api.meta(config, db, out, quiet=True)
    assert again["inner_runs_fresh"] == 0 and out.read_text().replace(" numpy 0.0 ", f" numpy {np_version()} ") \
        == text  # replayed, same result
    with sqlite3.connect(db) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert __import__("json").loads(meta["environments"]) == [env, other]  # both recorded, in order
    history = __import__("json").loads(meta["meta_generations"])
    assert [h["generation"] for h in history] == [0, 1, 2]
    assert all("grammar_size" in h and "operators" in h and "rule_usage" in h for h in history)
    for h in history:  # paired fitness, per-task validation, a loadable snapshot, operator credit
        assert h["fitness"] == "paired" and set(h["validation_tasks"]) == {"nguyen2"}
        assert h["validation_score"] == pytest.approx(h["validation_tasks"]["nguyen2"])  # one task: all agree
        snapshot = GrammarSpec.from_dict(__import__("tomllib").loads(h["generator"]), name="generator")
        assert snapshot.digest == h["digest"]
        credit = h["operator_credit"]
        assert {k for k, c in credit.items() if not c["evolved"]} <= set(MUTATIONS) | {"crossover"}
        assert all(0 <= c["successes"] <= c["trials"] and 0.0 <= c["share"] <= 1.0 for c in credit.values())
        assert sum(c["share"] for c in credit.values() if not c["evolved"]) <= 1.0 + 1e-9
    assert grammar.digest == load_grammar().digest or first["chosen_generation"] is not None
    assert sum(len(h["mined"]) for h in history) >= 1  # rule mining ran on the elites
    with sqlite3.connect(db) as conn:
        generators = {g for (g,) in conn.execute("SELECT operator FROM candidates")}
    assert len(generators) >= 4  # variation made distinct meta-individuals
    assert load_grammar().digest in generators  # the base grammar's paired runs are stored, replayed on resume
    summary = api.evolve(ROOT / "examples" / "quartic.mlev", ["f"], "nguyen4", budget=30, population=10,
                         init="random", db=tmp_path / "e.db", grammar=grammar, quiet=True)
    assert summary["candidates"] == 30
    report = api.report(db, tmp_path / "r.html")
    assert report["candidates"] == first["inner_runs_fresh"]
    page = (tmp_path / "r.html").read_text()
    evolved_ops = [(h["generation"], text) for h in history for text, c in h["operator_credit"].items() if c["evolved"]]
    assert evolved_ops and "Evolved operators&#x27; credit" not in page  # the heading is not escaped
    assert "Evolved operators' credit" in page and all(text.split("(")[0] in page for _, text in evolved_ops)


def test_meta_archive_of_another_configuration_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text((ROOT / "benchmarks" / "meta" / "smoke.toml").read_text()
                      .replace("../../examples", str(ROOT / "examples")).replace("generations = 3", "generations = 1"))
    db = tmp_path / "m.db"
    assert main(["meta", str(config), "--db", str(db), "--quiet"]) == 0
    capsys.readouterr()
    config.write_text(config.read_text().replace("budget = 80", "budget = 50"))
    assert main(["meta", str(config), "--db", str(db), "--quiet"]) == 2
    assert "other settings" in capsys.readouterr().err


def test_a_meta_run_given_more_generations_goes_on_as_if_made_at_once(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Raising ``generations`` was refused as another configuration (a fresh-user pass: users expect it to extend, as
    ``evolve --budget`` does): it goes on from the archive, to the longer run's result; fewer keep the records."""
    smoke = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text().replace("../../examples", str(ROOT / "examples"))
    configs = {n: tmp_path / f"g{n}.toml" for n in (1, 2)}
    for n, config in configs.items():
        config.write_text(smoke.replace("generations = 3", f"generations = {n}"))

    def history(db: Path) -> list[dict[str, object]]:
        with sqlite3.connect(db) as conn:
            return __import__("json").loads(dict(conn.execute("SELECT key, value FROM meta"))["meta_generations"])

    grown, fresh = tmp_path / "grown.db", tmp_path / "fresh.db"
    api.meta(configs[1], grown, tmp_path / "g1.grammar.toml", quiet=True)
    more = api.meta(configs[2], grown, tmp_path / "grown.grammar.toml", quiet=True)
    made = api.meta(configs[2], fresh, tmp_path / "fresh.grammar.toml", quiet=True)
    assert more["generations"] == made["generations"] == 2 and more["inner_runs_fresh"] < made["inner_runs_fresh"]
    assert history(grown) == history(fresh) and len(history(grown)) == 2
    assert generator_body(tmp_path / "grown.grammar.toml") == generator_body(tmp_path / "fresh.grammar.toml")
    fewer = api.meta(configs[1], grown, tmp_path / "again.grammar.toml", quiet=True)
    assert fewer["generations"] == 1 and fewer["inner_runs_fresh"] == 0 and history(grown) == history(fresh)
    configs[2].write_text(configs[2].read_text().replace("budget = 80", "budget = 50"))  # still another run
    assert main(["meta", str(configs[2]), "--db", str(grown), "--quiet"]) == 2
    assert "[inner] budget: archive has 80, now 50" in capsys.readouterr().err


def test_operator_of_rules_only_uses_rules() -> None:
    spec = GrammarSpec.from_dict({"extends": "base", "rule": [
        {"name": "sqx", "sig": "Scalar -> Scalar", "body": "h0 * h0 + h0"}]}).restrict(SCALAR)
    site = Site(spec, {"x": "Scalar"}, "Scalar")
    child = run_operator(parse_operator("macro(root)", spec.types), Ref("x"), site, random.Random(0), list)
    assert child is not None and format_expr(child) == "x * x + x"


@pytest.mark.e2e
def test_meta_run_killed_and_resumed_ends_like_an_uninterrupted_one(tmp_path: Path) -> None:
    import os
    import signal
    import sys
    import time

    config = ROOT / "benchmarks" / "meta" / "smoke.toml"
    whole = api.meta(config, tmp_path / "whole.db", tmp_path / "whole.toml", quiet=True)
    db = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "mlevolve", "meta", str(config), "--db", str(db), "-o", str(tmp_path / "k.toml"),
           "--quiet"]
    proc = spawn(cmd, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    deadline = time.time() + 120
    stored = 0
    while time.time() < deadline and proc.poll() is None and stored < 4:
        with contextlib.suppress(sqlite3.Error), sqlite3.connect(db) as conn:  # the tables may not exist yet
            stored = conn.execute("SELECT COUNT(*) FROM candidates").fetchone()[0]
        time.sleep(0.05)
    assert stored >= 4 and proc.poll() is None, "the run ended, or stored nothing, before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL  # killed mid-run, not ended: the resume has inner runs left to do
    resumed = api.meta(config, db, tmp_path / "k.toml", quiet=True)
    assert resumed["inner_runs_replayed"] >= 4 and resumed["inner_runs_fresh"] > 0  # some saved, not all
    assert resumed["inner_runs_fresh"] + resumed["inner_runs_replayed"] == \
        whole["inner_runs_fresh"] + whole["inner_runs_replayed"]
    assert generator_body(tmp_path / "k.toml") == generator_body(tmp_path / "whole.toml")


def test_operator_crossover_splices_steps() -> None:
    types = load_grammar().types
    a = parse_operator("seq(point(leaf), wrap(any), tweak())", types)
    b = parse_operator("seq(regrow(deep, 2), hoist(root))", types)
    rng = random.Random(0)
    seen = {format_expr(vary.splice(a, b, rng)) for _ in range(100)}
    assert "seq(point(leaf), hoist(root))" in seen and "seq(point(leaf), wrap(any), tweak(), regrow(deep, 2), " \
        "hoist(root))" in seen
    for text in seen:
        parse_operator(text, types)


def test_fold_keeps_the_rule_and_regrows_its_arguments() -> None:
    spec = GrammarSpec.from_dict({"extends": "base", "rule": [
        {"name": "sqx", "sig": "Scalar -> Scalar", "body": "h0 * h0 + h0"}]}).restrict(SCALAR)
    site = Site(spec, {"x": "Scalar"}, "Scalar")
    program = parse_operator("fold(any)", spec.types)
    body = parse_expr("sin(x * x + x)")
    rng = random.Random(1)
    children = {format_expr(c) for c in (run_operator(program, body, site, rng, list) for _ in range(30)) if c}
    assert children and all(c.startswith("sin(") for c in children)
    for text in children:
        inner = parse_expr(text).args[0]  # type: ignore[union-attr]
        bound = match(spec.rules["sqx"].expanded, inner)
        assert bound is not None
    assert run_operator(program, parse_expr("sin(x)"), site, rng, list) is None  # no instance: not applicable


def match(template: object, node: object) -> list[object] | None:
    from mlevolve.dsl.traverse import preorder
    from mlevolve.grammar.rules import match_at

    nodes = preorder(node)  # type: ignore[arg-type]
    return match_at(template, nodes, infer(node, {"x": "Scalar"}, load_grammar()), 0, ("Scalar",))  # type: ignore


def test_meta_run_on_a_learner_with_several_slots_and_explicit_bounds(tmp_path: Path) -> None:
    config = tmp_path / "learner.toml"
    config.write_text(f'program = "{ROOT / "examples" / "linear_regression.mlev"}"\nevolve = ["linreg"]\n'
                      '[split]\ntrain = ["linear", "affine"]\nvalidation = ["linear:dim=8"]\ntest = ["teacher"]\n'
                      '[inner]\nbudget = 40\npopulation = 8\ntournament = 3\ninit = "file"\n'
                      '[meta]\npopulation = 3\ngenerations = 1\ntasks = 2\nseeds = 1\nelitism = 1\n'
                      'validation_seeds = 1\n[bounds]\nlinear = [-2.0, 0.0]\naffine = [-3.0, 0.0]\n'
                      '"linear:dim=8" = [-2.0, 0.0]\nteacher = [-3.0, 0.0]\n')
    result = api.meta(config, tmp_path / "m.db", tmp_path / "g.toml", quiet=True)
    assert result["generations"] == 1 and result["best_validation_auc"] > 0.9  # the file's learner is the answer
    with sqlite3.connect(tmp_path / "m.db") as conn:
        details = [__import__("json").loads(d) for (d,) in conn.execute("SELECT detail FROM inner_runs")]
    assert {slot for d in details for slot, _ in d["elites"]} == {"linreg.predict", "linreg.learn"}
    missing = config.read_text().replace('teacher = [-3.0, 0.0]\n', "")
    config.write_text(missing)
    with pytest.raises(MlevError, match=r"task 'teacher' needs \[bounds\]"):
        api.meta(config, tmp_path / "m2.db", quiet=True)


@pytest.mark.parametrize("kind", ["learner", "formula"])
def test_inner_fit_tunes_literals_as_evolve_fit_does(kind: str) -> None:
    """``[inner] fit = true``: an inner run fits before scoring as ``mlevolve evolve --fit`` does, so a
    start whose only flaw is its constants scores better than the same start scored as written: an
    SGD step of 0.001 tuned on the grid, a quartic whose leading coefficient is 3 fitted exactly."""
    from mlevolve.meta.config import InnerConfig
    from mlevolve.meta.evolve import inner_run

    if kind == "learner":
        text = (ROOT / "examples" / "linear_regression.mlev").read_text().replace("0.1 * (y - p)", "0.001 * (y - p)")
        names, task, bounds = ["linreg.learn"], "linear:dim=2", (-2.0, 0.0)
    else:
        text = "algorithm q\nformula f(x: Scalar) -> Scalar = 3.0 * x * x * x * x + x * x * x + x * x + x\n"
        names, task, bounds = ["f"], "koza_quartic", (-1.0, 0.0)
    program = api.check(parse(text))
    spec = load_grammar()
    scores = {fit: inner_run(program, names, spec, task, 0, InnerConfig(budget=1, population=2, init="file", fit=fit),
                             bounds).best for fit in (False, True)}
    assert scores[True] > scores[False] + 0.5 if kind == "learner" else scores[True] > max(scores[False], -1e-9)


def test_meta_run_with_workers_gives_the_same_archive(tmp_path: Path) -> None:
    config = ROOT / "benchmarks" / "meta" / "smoke.toml"
    one = api.meta(config, tmp_path / "one.db", tmp_path / "one.toml", quiet=True)
    two = api.meta(config, tmp_path / "two.db", tmp_path / "two.toml", quiet=True, workers=2)
    assert one["digest"] == two["digest"]
    rows = []
    for name in ("one.db", "two.db"):
        with sqlite3.connect(tmp_path / name) as conn:
            rows.append(conn.execute("SELECT seq, hash, program, fitness, operator FROM candidates ORDER BY seq")
                        .fetchall())
    assert rows[0] == rows[1] and len(rows[0]) == one["candidates"]


# ---------------------------------------------------------------------- comparable, do-no-harm, credit
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.floats(0.0, 1.0))
def test_mixing_keeps_each_base_production_above_lambda_times_its_base_probability(seed: int, lam: float) -> None:
    base = load_grammar()
    rng = random.Random(seed)
    spec = evolved(seed, types=SCALAR)
    if rng.random() < 0.5:  # an extreme generator: one production takes nearly everything
        ids = [p.id for p in vary.relevant(spec, SCALAR)]
        spec = spec.with_weights({i: 0.01 for i in ids} | {rng.choice(ids): 100.0})
    mixed = vary.mix_base(spec, base, lam, SCALAR)
    got, want = vary.base_probability(mixed, SCALAR), vary.base_probability(base, SCALAR)
    assert want and all(got[i] >= lam * p * (1 - 1e-9) for i, p in want.items())
    for t, prods in spec.restrict(SCALAR).by_result.items():  # each type's total weight is kept
        total = sum(p.weight for p in mixed.restrict(SCALAR).by_result[t])
        assert total == pytest.approx(sum(p.weight for p in prods))
    assert set(mixed.rules) == set(spec.rules) and mixed.operators == spec.operators


def test_mixing_the_base_grammar_or_with_lambda_zero_changes_nothing() -> None:
    base = load_grammar()
    assert vary.mix_base(base, base, 0.3, SCALAR).digest == base.digest
    spec = evolved(3, types=SCALAR)
    assert vary.mix_base(spec, base, 0.0, SCALAR) is spec
    one = vary.mix_base(spec, base, 1.0, SCALAR)  # λ = 1: base probabilities exactly, rules never drawn
    assert all(vary.base_probability(one, SCALAR)[i] == pytest.approx(p)
               for i, p in vary.base_probability(base, SCALAR).items())


def _result(auc: float, operators: dict[str, dict[str, int]] | None = None) -> object:
    from mlevolve.meta.evolve import InnerResult

    return InnerResult(auc, 0.0, None, (), operators or {}, {}, "", 0.0)


def _meta_run(tmp_path: Path, **meta: object) -> object:
    from dataclasses import replace

    from mlevolve.gp.archive import Archive
    from mlevolve.meta.config import load_config
    from mlevolve.meta.evolve import MetaRun

    cfg = load_config(ROOT / "benchmarks" / "meta" / "smoke.toml")
    cfg = replace(cfg, validation=("nguyen2", "nguyen3"), meta=replace(cfg.meta, **meta))
    archive = Archive.for_run(tmp_path / "m.db", {"kind": "meta-test"})
    return MetaRun(cfg, QUARTIC, archive)


def test_paired_fitness_is_the_mean_gain_over_the_base_grammar_on_the_same_pairs() -> None:
    from mlevolve.meta.evolve import Scored

    base = load_grammar()
    paired = Scored(base, [_result(0.6), _result(0.9)], [0.5, 0.95])  # type: ignore[list-item]
    assert paired.fitness == pytest.approx(0.025)
    assert Scored(base, [_result(0.6), _result(0.9)]).fitness == pytest.approx(0.75)  # type: ignore[list-item]
    halved = Scored(base, [_result(0.6)], [0.5, 0.95])  # type: ignore[list-item]
    assert halved.fitness == pytest.approx(0.1)  # only the pairs it was run on


@pytest.mark.parametrize("selection, want", [("mean", 0.05), ("worst", -0.1), ("mean+worst", -0.025)])
def test_validation_selects_on_the_mean_the_worst_task_or_both(tmp_path: Path, selection: str, want: float) -> None:
    run = _meta_run(tmp_path, selection=selection, validation_seeds=2)
    base = load_grammar()
    learned = vary.perturb_weights(base, random.Random(0), SCALAR)
    auc = {"nguyen2": 0.7, "nguyen3": 0.4}

    def evaluate(jobs: list[tuple[GrammarSpec, str, int]], generation: int) -> list[object]:
        return [_result(0.5 if spec.digest == base.digest else auc[task]) for spec, task, _ in jobs]

    run.evaluate = evaluate  # type: ignore[attr-defined]
    score, mean_auc, per_task = run.validate(learned, 0)  # type: ignore[attr-defined]
    assert per_task == pytest.approx({"nguyen2": 0.2, "nguyen3": -0.1})
    assert score == pytest.approx(want) and mean_auc == pytest.approx(0.55)
    run.archive.close()  # type: ignore[attr-defined]


def test_a_new_operator_is_protected_for_k_meta_generations_and_credited(tmp_path: Path) -> None:
    from mlevolve.meta.evolve import Scored

    run = _meta_run(tmp_path, protect=2, elitism=1)
    base = load_grammar()
    op = vary.mutate_operators(base, random.Random(1), SCALAR)
    assert len(op.operators) == 1
    name, text = op.operators[0].name, op.operators[0].text
    ranked = [Scored(base, [_result(0.9, {"point": {"trials": 6, "successes": 3}})]),
              Scored(base, [_result(0.8, {"point": {"trials": 4, "successes": 1}})]),
              Scored(op, [_result(0.1, {"point": {"trials": 2, "successes": 0}, name: {"trials": 8,
                                                                                     "successes": 2}})])]
    run.born[text] = 3  # type: ignore[attr-defined]
    assert run.protected(ranked, 4) is op  # type: ignore[attr-defined]  # age 1 < 2: kept
    assert run.protected(ranked, 5) is None  # type: ignore[attr-defined]  # age 2: on its own
    assert run.offspring(ranked, [], random.Random(0), 4)[1].digest == op.digest  # type: ignore[attr-defined]
    credit = run.credit(ranked, 4, [op])  # type: ignore[attr-defined]
    assert credit[text] == {"evolved": True, "trials": 8, "successes": 2, "carriers": 1, "best_rank": 2, "age": 1,
                            "kept": True, "names": [name], "share": 0.8}
    assert credit["point"] == {"evolved": False, "trials": 12, "successes": 4, "share": 12 / 20}
    assert next(iter(credit)) == text  # evolved operators first
    run.archive.close()  # type: ignore[attr-defined]


def test_pooled_ranking_judges_a_generator_on_every_draw_it_ran_on_shrunk_toward_the_base(tmp_path: Path) -> None:
    from mlevolve.meta.evolve import Scored

    run = _meta_run(tmp_path, ranking="pooled", shrinkage=4)
    base = load_grammar()
    steady, lucky = (vary.perturb_weights(base, random.Random(k), SCALAR) for k in (1, 2))
    zero = [0.0, 0.0]
    for generation in range(3):  # steady gains 0.1 on every draw; lucky appears in the last one with 0.2
        ranked = [Scored(steady, [_result(0.1), _result(0.1)], zero),
                  Scored(steady, [_result(0.1), _result(0.1)], zero)]  # the same generator twice: counted once
        if generation == 2:
            ranked.insert(0, Scored(lucky, [_result(0.2), _result(0.2)], zero))
        order = run.pool_evidence(ranked)  # type: ignore[attr-defined]
    assert run.evidence[steady.digest] == pytest.approx([0.1] * 6)  # type: ignore[attr-defined]
    assert run.pooled(steady) == pytest.approx(0.6 / 10)  # type: ignore[attr-defined]  # sum / (n + k)
    assert run.pooled(lucky) == pytest.approx(0.4 / 6)  # type: ignore[attr-defined]
    assert order[0].spec is lucky and order[1].spec is steady  # 0.0667 > 0.06: more evidence needed to win
    ranked = [Scored(lucky, [_result(-0.1), _result(-0.1)], zero), Scored(steady, [_result(0.1)] * 2, zero)]
    assert run.pool_evidence(ranked)[0].spec is steady  # type: ignore[attr-defined]  # lucky's next draw
    assert run.pooled(base) == -math.inf  # type: ignore[attr-defined]  # never run: ranked last
    run.archive.close()  # type: ignore[attr-defined]


def test_validated_ranking_orders_the_elites_by_the_mean_of_pooled_and_validation_gain(tmp_path: Path) -> None:
    from mlevolve.meta.evolve import Scored

    run = _meta_run(tmp_path, ranking="validated", shrinkage=4, elitism=2, selection="mean", validation_seeds=1)
    base = load_grammar()
    a, b, c, d = (vary.perturb_weights(base, random.Random(k), SCALAR) for k in (1, 2, 3, 4))
    # pooled gains (sum over 4 pairs + 4 of prior at 0): a 0.25, b 0.125, c 0.0625, d 0.25
    run.evidence = {a.digest: [0.5] * 4, b.digest: [0.25] * 4, c.digest: [0.125] * 4,  # type: ignore[attr-defined]
                    d.digest: [0.5] * 4}
    # validation AUC on both tasks (the base grammar's: 0.5): gains a 0, b 0.25, c 0.5 (not an elite), d 0
    auc = {run.effective(a).digest: 0.5, run.effective(b).digest: 0.75,  # type: ignore[attr-defined]
           run.effective(c).digest: 1.0, run.effective(d).digest: 0.5, run.base.digest: 0.5}  # type: ignore[attr-defined]

    def evaluate(jobs: list[tuple[GrammarSpec, str, int]], generation: int) -> list[object]:
        return [_result(auc[spec.digest]) for spec, _, _ in jobs]

    run.evaluate = evaluate  # type: ignore[attr-defined]
    ranked = [Scored(a, []), Scored(b, []), Scored(c, [])]  # the pooled order
    order = run.validated(ranked, 0)  # type: ignore[attr-defined]
    assert [s.spec for s in order] == [b, a, c]  # b: (0.125 + 0.25) / 2 = 0.1875 > a: (0.25 + 0) / 2 = 0.125
    assert run.last_validated == [  # type: ignore[attr-defined]
        {"digest": run.effective(b).digest, "pooled": 0.125, "validation": 0.25, "score": 0.1875},  # type: ignore[attr-defined]
        {"digest": run.effective(a).digest, "pooled": 0.25, "validation": 0.0, "score": 0.125}]  # type: ignore[attr-defined]
    # c's validation gain of 0.5 would make it first (0.28), but it is not an elite: the pooled order keeps it third
    auc[run.effective(b).digest] = 0.625  # type: ignore[attr-defined]  # b: (0.125 + 0.125) / 2 = 0.125, a tie
    assert [s.spec for s in run.validated(ranked, 1)] == [a, b, c]  # type: ignore[attr-defined]  # pooled breaks it
    tied = [Scored(d, []), Scored(a, [])]  # equal on both: the pooled order stands
    assert [s.spec for s in run.validated(tied, 2)] == [d, a]  # type: ignore[attr-defined]
    run.archive.close()  # type: ignore[attr-defined]


def test_a_validated_meta_run_records_each_elite_s_scores(tmp_path: Path) -> None:
    config = tmp_path / "smoke.toml"
    smoke = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text().replace("../../examples", str(ROOT / "examples"))
    config.write_text(smoke.replace("elitism = 1", 'elitism = 2\nranking = "validated"'))
    api.meta(config, tmp_path / "m.db", tmp_path / "g.toml", quiet=True)
    with sqlite3.connect(tmp_path / "m.db") as conn:
        history = json.loads(dict(conn.execute("SELECT key, value FROM meta"))["meta_generations"])
    assert len(history) == 3  # the smoke's 3 generations: each is checked below, none skipped by an empty history
    for h in history:
        elites = h["validated"]
        assert len(elites) == 2  # two elites (a population may hold one generator twice: then both are it)
        assert [e["score"] for e in elites] == sorted((e["score"] for e in elites), reverse=True)
        assert all(e["score"] == pytest.approx((e["pooled"] + e["validation"]) / 2) for e in elites)
        first = elites[0]  # the generation's best is the first elite, validated as recorded
        assert (h["digest"], h["pooled_fitness"], h["validation_score"]) == (
            first["digest"], first["pooled"], first["validation"])


def test_race_ranking_lets_a_challenger_displace_the_champion_only_on_equal_pairs(tmp_path: Path) -> None:
    from mlevolve.meta.evolve import Scored

    run: Any = _meta_run(tmp_path, ranking="race", shrinkage=4, race_pairs=6)
    pooled: Any = _meta_run(tmp_path / "pooled", ranking="pooled", shrinkage=4)
    base = load_grammar()
    champ, better, lucky, twin = (vary.perturb_weights(base, random.Random(k), SCALAR) for k in (1, 2, 3, 4))
    auc = {champ: lambda seed: 0.6, better: lambda seed: 0.7, twin: lambda seed: 0.7,  # the base grammar: 0.5
           lucky: lambda seed: 0.9 if seed == 10 else 0.5}  # one lucky pair, no gain elsewhere
    by_digest = {run.effective(g).digest: (g, f) for g, f in auc.items()}
    ran: list[tuple[GrammarSpec, int]] = []

    def evaluate(jobs: list[tuple[GrammarSpec, str, int]], generation: int) -> list[object]:
        ran.extend((by_digest[spec.digest][0], seed) for spec, _, seed in jobs if spec.digest in by_digest)
        return [_result(by_digest[spec.digest][1](seed) if spec.digest in by_digest else 0.5) for spec, _, seed in jobs]

    run.evaluate = evaluate

    def draw(seeds: tuple[int, int], *gens: GrammarSpec, halved: int = 2) -> tuple[list[Scored], list[tuple[str, int]]]:
        pairs = [("nguyen1", s) for s in seeds]  # the last entrant ran on the first `halved` pairs only
        return [Scored(g, [_result(auc[g](s)) for _, s in pairs[:2 if k < len(gens) - 1 else halved]], [0.5, 0.5])
                for k, g in enumerate(gens)], pairs

    for generation, seeds in enumerate(((0, 1), (2, 3), (4, 5))):  # the champion alone, gain 0.1 on 6 pairs
        ranked, pairs = draw(seeds, champ)
        assert run.race(ranked, pairs, generation)[0].spec is champ and run.last_race == {}
        pooled.pool_evidence(draw(seeds, champ)[0])
    ranked, pairs = draw((10, 11), lucky, champ, halved=1)  # lucky beats it on this draw: 0.2 against 0.1
    order = run.race(ranked, pairs, 3)
    pooled.pool_evidence(draw((10, 11), lucky, champ)[0])
    assert [(g, s) for g, s in ran if g is lucky] == [(lucky, s) for s in (5, 4, 3, 2)]  # the champion's latest
    assert [(g, s) for g, s in ran if g is champ] == [(champ, 11)]  # the pair of this draw halving spared it
    assert run.last_race["pairs"] == 6 and not run.last_race["displaced"]
    assert run.last_race["difference"] == pytest.approx((0.4 + 0.0 * 5) / 6 - 0.1)
    assert [s.spec for s in order] == [champ, lucky] and len(order[0].results) == 2  # completed to the draw
    assert run.paired[lucky.digest] == pytest.approx({("nguyen1", s): g for s, g in
                                                      ((10, 0.4), (11, 0.0), (5, 0.0), (4, 0.0), (3, 0.0), (2, 0.0))})
    ranked, pairs = draw((20, 21), better, champ)  # better by 0.1 on every pair: displaces on equal pairs
    assert run.race(ranked, pairs, 4)[0].spec is better
    assert run.last_race["pairs"] == 6 and run.last_race["displaced"]
    assert run.last_race["difference"] == pytest.approx(0.1)
    assert pooled.pool_evidence(draw((20, 21), better, champ)[0])[0].spec is champ  # 0.4 / 6 < 1.2 / 16: sticky
    ranked, pairs = draw((30, 31), twin, better)  # equal gains everywhere: a tie keeps the champion
    assert run.race(ranked, pairs, 5)[0].spec is better
    assert run.last_race["difference"] == pytest.approx(0.0) and not run.last_race["displaced"]
    assert run.raced(better) == pytest.approx(0.2 * 8 / 12) and run.raced(base) == -math.inf  # sum / (n + k)
    run.archive.close()
    pooled.archive.close()


def test_the_race_margin_asks_a_challenger_for_a_lead_of_margin_standard_errors() -> None:
    from statistics import stdev

    from mlevolve.meta.evolve import displaces, paired_se

    assert paired_se([]) is None and paired_se([0.3]) is None  # one pair: no spread to estimate
    assert paired_se([0.1, 0.1, 0.1]) == 0.0  # every pair differs alike
    assert paired_se([0.1, 0.3, -0.2, 0.4]) == pytest.approx(stdev([0.1, 0.3, -0.2, 0.4]) / 2)
    for margin in (0.0, 1.0, 2.5):  # a tie or a loss never displaces, whatever the margin and the spread
        for se in (None, 0.0, 0.05):
            assert not displaces(0.0, se, margin) and not displaces(-0.1, se, margin)
            assert not displaces(1e-17, se, margin)  # tied with 0 at an AUC's scale
    assert displaces(0.009, 0.05, 0.0) and displaces(0.2, None, 0.0)  # margin 0: higher and not tied (the old rule)
    assert not displaces(0.009, 0.05, 1.0)  # stop 28's lucky challenger: +0.009 over 16 pairs, SE about 0.05
    assert not displaces(0.2, None, 1.0)  # one pair shows no spread, so no lead in standard errors
    assert displaces(1e-6, 0.0, 3.0)  # zero spread: any lead that is not a tie is certain
    assert displaces(0.1, 0.05, 2.0) and not displaces(0.1, 0.05, 2.01)  # at least margin * se
    differences = [0.3, -0.1, 0.2, 0.0, 0.25, -0.05]  # mean 0.1, SE about 0.0695: 1.44 standard errors
    se = paired_se(differences)
    assert se is not None and displaces(0.1, se, 1.4) and not displaces(0.1, se, 1.5)


def test_a_race_with_a_margin_keeps_the_champion_against_a_lead_within_the_noise(tmp_path: Path) -> None:
    from mlevolve.meta.evolve import Scored

    base = load_grammar()
    champ, steady, noisy = (vary.perturb_weights(base, random.Random(k), SCALAR) for k in (1, 2, 3))
    auc = {champ: lambda seed: 0.6, steady: lambda seed: 0.65,  # the base grammar: 0.5 everywhere
           noisy: lambda seed: 0.9 if seed % 2 else 0.35}  # +0.025 on average, sd 0.27 per pair
    for margin, displaced in ((0.0, (True, True)), (1.0, (False, True))):
        run: Any = _meta_run(tmp_path / str(margin), ranking="race", shrinkage=4, race_pairs=4, race_margin=margin)
        by_digest = {run.effective(g).digest: f for g, f in auc.items()}
        run.evaluate = lambda jobs, generation, by=by_digest: [_result(by.get(spec.digest, lambda s: 0.5)(seed))
                                                               for spec, _, seed in jobs]
        pairs = [("nguyen1", s) for s in (0, 1)]
        run.race([Scored(champ, [_result(0.6)] * 2, [0.5, 0.5])], pairs, 0)  # the first champion
        for generation, challenger in enumerate((noisy, steady), start=1):
            pairs = [("nguyen1", s) for s in (2 * generation, 2 * generation + 1)]
            before = run.champion
            ranked = [Scored(g, [_result(auc[g](s)) for _, s in pairs], [0.5, 0.5]) for g in (challenger, before)]
            run.race(ranked, pairs, generation)
            race = run.last_race
            assert race["pairs"] == 4 and race["displaced"] == displaced[generation - 1], (margin, race)
            assert (run.champion is challenger) == race["displaced"]
            alike = challenger is steady and before is champ  # +0.05 on every pair; else +0.3 and -0.25 in turn
            assert race["se"] == pytest.approx(0.0 if alike else 0.275 * 2 / math.sqrt(3) / 2)  # sd / sqrt(4)
        run.archive.close()


def _smoke_history(tmp_path: Path, settings: str) -> list[dict[str, Any]]:
    """The meta-generations of a run of smoke.toml with ``settings`` added to its [meta] table."""
    config = tmp_path / "smoke.toml"
    smoke = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text().replace("../../examples", str(ROOT / "examples"))
    config.write_text(smoke.replace("[meta]", "[meta]\n" + settings))
    api.meta(config, tmp_path / "m.db", tmp_path / "g.toml", quiet=True)
    with sqlite3.connect(tmp_path / "m.db") as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    history: list[dict[str, Any]] = json.loads(meta["meta_generations"])
    return history


def test_a_race_meta_run_records_each_race(tmp_path: Path) -> None:
    history = _smoke_history(tmp_path, 'ranking = "race"\nrace_pairs = 3')
    assert history[0]["race"] == {} and len(history) == 3  # the first draw's best is the first champion
    for before, after in itertools.pairwise(history):
        race = after["race"]
        assert race["pairs"] == 3 and race["challenger"] != before["digest"]  # 2 pairs a draw + 1 earlier
        assert (after["digest"] == race["challenger"]) == race["displaced"]
        assert (after["digest"] == before["digest"]) == (not race["displaced"])


def test_a_race_meta_run_with_a_margin_displaces_only_by_margin_standard_errors(tmp_path: Path) -> None:
    history = _smoke_history(tmp_path, 'ranking = "race"\nrace_pairs = 3\nrace_margin = 1.5')
    base = load_grammar().digest
    assert len(history) == 3 and history[0]["race"]["pairs"] == 2  # the first race: against the base grammar
    for before, after in itertools.pairwise([{"digest": base}, *history]):
        race = after["race"]
        assert race["challenger"] != before["digest"]
        lead = race["se"] is not None and race["difference"] >= 1.5 * race["se"] and race["difference"] > 0
        assert race["displaced"] == lead and (after["digest"] == race["challenger"]) == lead


def test_with_a_margin_the_first_champion_must_beat_the_base_grammar_by_the_same_bound(tmp_path: Path) -> None:
    from mlevolve.meta.evolve import Scored, paired_se

    base = load_grammar()
    first = vary.perturb_weights(base, random.Random(1), SCALAR)

    def crown(margin: float, gains: list[float], name: str, base_ranked: bool = True) -> Any:
        """A race run's first draw: ``first`` with ``gains`` over the base grammar (AUC 0.5) on one pair each."""
        run: Any = _meta_run(tmp_path / name, ranking="race", shrinkage=4, race_pairs=16, race_margin=margin)
        by_seed = dict(enumerate(gains))
        at = {run.effective(first).digest: lambda seed: 0.5 + by_seed[seed]}
        run.evaluate = lambda jobs, generation: [_result(at.get(spec.digest, lambda s: 0.5)(seed))
                                                 for spec, _, seed in jobs]
        pairs = [("nguyen1", k) for k in range(len(gains))]
        ranked = [Scored(first, [_result(0.5 + g) for g in gains], [0.5] * len(gains))]
        if base_ranked:  # the base grammar is in the first population; halving may have stopped it early
            ranked.append(Scored(run.base, [_result(0.5)], [0.5] * len(gains)))
        run.order = run.race(ranked, pairs, 0)
        return run

    for gains, why in (([-0.1, -0.05], "a loss"), ([0.0, 0.0], "a tie"), ([0.2], "one pair: no spread"),
                       ([0.3, -0.1, 0.25, -0.2], "a lead of 0.50 standard errors")):
        run = crown(1.0, gains, why)
        assert run.champion is run.base, why  # the base grammar stays champion: first, its snapshot, validated
        assert run.order[0].spec.digest == base.digest and run.order[1].spec is first, why
        race = run.last_race
        assert race["challenger"] == run.effective(first).digest and not race["displaced"], why
        assert race["pairs"] == len(gains) and race["difference"] == pytest.approx(sum(gains) / len(gains)), why
        assert race["se"] == (pytest.approx(paired_se(gains)) if len(gains) > 1 else None), why
        assert run.paired[base.digest] == dict.fromkeys(zip(["nguyen1"] * len(gains), range(len(gains)), strict=True),
                                                         0.0)
        run.archive.close()
        old = crown(0.0, gains, why + " margin 0")  # margin 0: the first draw's best, whatever its gain (unchanged)
        assert old.champion is first and old.order[0].spec is first and old.last_race == {}, why
        old.archive.close()
    run = crown(3.0, [0.05, 0.05], "zero spread")  # all alike: any gain that is not a tie is certain
    assert run.champion is first and run.last_race["se"] == 0.0 and run.last_race["displaced"]
    run.archive.close()
    gains = [0.375, -0.125]  # the boundary: mean 0.125, SE 0.25, so a margin of 0.5 standard errors
    se = paired_se(gains)
    assert se is not None
    for margin, crowned in ((0.125 / se * (1 - 1e-9), True), (0.125 / se * (1 + 1e-9), False)):
        run = crown(margin, gains, f"boundary {crowned}", base_ranked=False)  # the base grammar need not be ranked
        assert (run.champion is first) == crowned == run.last_race["displaced"], margin
        run.archive.close()
    run = crown(1.0, [0.2], "one pair, then the next draw", base_ranked=False)
    assert run.champion is run.base
    pairs = [("nguyen1", 1)]  # the next draw: one more pair, shared with the base grammar's earlier one
    run.race([Scored(first, [_result(0.5 + 0.3)], [0.5])], pairs, 1)
    assert run.last_race["pairs"] == 2 and run.last_race["difference"] == pytest.approx(0.25)
    assert run.last_race["se"] == pytest.approx(0.05) and run.champion is first  # 0.25 >= 1 * 0.05
    run.archive.close()


def test_race_hold_deposes_a_champion_whose_gain_over_all_its_pairs_falls_within_the_margin(tmp_path: Path) -> None:
    from mlevolve.meta.evolve import Scored, paired_se

    base = load_grammar()
    champ, steady, noisy = (vary.perturb_weights(base, random.Random(k), SCALAR) for k in (1, 2, 3))
    auc = {champ: lambda seed: 0.7 if seed < 2 else 0.3,  # +0.2 on its first draw, -0.2 after: 0 over 4 pairs
           steady: lambda seed: 0.55,  # +0.05 on every pair
           noisy: lambda seed: 0.9 if seed % 2 else 0.2}  # +0.4 and -0.3 in turn: +0.05 on average, SE 0.175
    for hold, challenger in ((False, steady), (True, steady), (True, noisy)):
        run: Any = _meta_run(tmp_path / f"{hold}{id(challenger)}", ranking="race", shrinkage=4, race_pairs=4,
                             race_margin=1.0, race_hold=hold)
        by_digest = {run.effective(g).digest: f for g, f in auc.items()}
        run.evaluate = lambda jobs, generation, by=by_digest: [_result(by.get(spec.digest, lambda s: 0.5)(seed))
                                                               for spec, _, seed in jobs]

        def draw(seeds: tuple[int, int], *gens: GrammarSpec) -> tuple[list[Scored], list[tuple[str, int]]]:
            pairs = [("nguyen1", s) for s in seeds]
            return [Scored(g, [_result(auc[g](s)) for _, s in pairs], [0.5, 0.5]) for g in gens], pairs

        run.race(*draw((0, 1), champ), 0)  # +0.2 on both pairs, SE 0: crowned over the base grammar
        assert run.champion is champ and run.last_race["displaced"]
        assert run.last_race.get("hold", "absent") == (None if hold else "absent")  # the base grammar: no check
        ranked, pairs = draw((2, 3), champ, challenger)  # the deposed champion first in the draw: it does not race
        order = run.race(ranked, pairs, 1)
        race = run.last_race
        if not hold:  # the old rule: the challenger meets the champion over 4 shared pairs and loses on the margin
            assert run.champion is champ and not race["displaced"] and "hold" not in race
            assert race["difference"] == pytest.approx(0.05)  # -0.15 twice, +0.25 twice: SE 0.115
            continue
        assert race["hold"] == {"champion": run.effective(champ).digest, "pairs": 4, "gain": pytest.approx(0.0),
                                "se": pytest.approx(paired_se([0.2, 0.2, -0.2, -0.2])), "deposed": True}
        assert race["challenger"] == run.effective(challenger).digest  # it races the base grammar instead
        assert race["pairs"] == 4 and race["difference"] == pytest.approx(0.05)  # the draw and the base's earlier
        if challenger is steady:  # +0.05 on every pair: SE 0, crowned
            assert race["se"] == 0.0 and race["displaced"] and run.champion is steady and order[0].spec is steady
        else:  # +0.05 at 0.2 SE: the base grammar stays champion, first in the ranking
            assert race["se"] == pytest.approx(0.35 * 2 / math.sqrt(3) / 2) and not race["displaced"]
            assert run.champion is run.base and order[0].spec.digest == base.digest
            run.race(*draw((4, 5), noisy), 2)
            assert run.last_race["hold"] is None  # the base grammar is champion: nothing to hold
        run.archive.close()


def test_race_hold_keeps_a_champion_whose_gain_over_all_its_pairs_holds_the_bound(tmp_path: Path) -> None:
    from mlevolve.meta.evolve import paired_se

    base = load_grammar()
    champ = vary.perturb_weights(base, random.Random(1), SCALAR)
    gains = [0.375, -0.125]  # mean 0.125, SE 0.25: held at a margin of 0.5 standard errors, not above
    se = paired_se(gains)
    assert se is not None
    for margin, deposed in ((0.125 / se * (1 - 1e-9), False), (0.125 / se * (1 + 1e-9), True)):
        run: Any = _meta_run(tmp_path / str(deposed), ranking="race", race_margin=margin, race_hold=True)
        run.evaluate = lambda jobs, generation: pytest.fail("every pair is known: nothing to run")
        pairs = [("nguyen1", 0), ("nguyen1", 1)]
        run.paired[champ.digest] = dict(zip(pairs, gains, strict=True))
        check = run.hold(champ, [], pairs, 3)
        assert check == {"champion": run.effective(champ).digest, "pairs": 2, "gain": pytest.approx(0.125),
                         "se": pytest.approx(0.25), "deposed": deposed}, margin
        run.archive.close()
    run = _meta_run(tmp_path / "one", ranking="race", race_margin=1.0, race_hold=True)
    run.paired[champ.digest] = {("nguyen1", 0): 0.3}  # type: ignore[attr-defined]
    assert run.hold(champ, [], [("nguyen1", 0)], 1)["deposed"]  # type: ignore[attr-defined]  # one pair: no bound
    run.archive.close()  # type: ignore[attr-defined]


def test_a_race_meta_run_with_hold_records_each_check(tmp_path: Path) -> None:
    history = _smoke_history(tmp_path, 'ranking = "race"\nrace_pairs = 3\nrace_margin = 0.5\nrace_hold = true')
    base = load_grammar().digest
    assert len(history) == 3 and history[0]["race"]["hold"] is None  # the base grammar is the first champion
    for before, after in itertools.pairwise(history):
        hold, race = after["race"]["hold"], after["race"]
        assert (hold is None) == (before["digest"] == base)
        if hold is not None:
            assert hold["champion"] == before["digest"] and hold["pairs"] >= 2
            assert hold["deposed"] == (not (hold["se"] is not None and hold["gain"] > 0
                                            and hold["gain"] >= 0.5 * hold["se"]))
            assert race["challenger"] != before["digest"]
            if hold["deposed"]:  # the race was against the base grammar, which keeps the crown unless it loses
                assert after["digest"] == (race["challenger"] if race["displaced"] else base)


def test_a_pooled_meta_run_records_each_best_s_pooled_evidence(tmp_path: Path) -> None:
    history = _smoke_history(tmp_path, 'ranking = "pooled"')
    pairs = [h["pooled_pairs"] for h in history]
    assert all(1 <= n <= 2 * (g + 1) for g, n in enumerate(pairs))  # up to 2 pairs a generation, pooled
    first = history[0]  # its first draw: the mean gain over 2 pairs, shrunk by 4 pairs of prior at 0
    assert first["pooled_pairs"] == 2 and first["pooled_fitness"] == pytest.approx(first["best_fitness"] * 2 / 6)
    for before, after in itertools.pairwise(history):
        if after["digest"] == before["digest"]:  # the same best again: judged on its earlier draws too
            assert after["pooled_pairs"] > before["pooled_pairs"]


def test_meta_dask_flag_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(ROOT / "benchmarks" / "meta" / "smoke.toml")
    for flags, message in ((["--dask", "nowhere"], "--dask must be local:N or tcp://HOST:PORT"),
                           (["--dask", "local:2", "--workers", "2"], "--dask and --workers exclude each other")):
        assert main(["meta", config, "--db", str(tmp_path / "m.db"), *flags]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


@pytest.mark.slow
def test_meta_run_on_dask_writes_the_same_generator_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = ROOT / "benchmarks" / "meta" / "smoke.toml"
    files = []
    for name, dask in (("seq", None), ("dask", "local:2")):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)  # the same relative archive path: the header names it
        api.meta(config, "meta.db", "gen.toml", quiet=True, dask=dask)
        with sqlite3.connect("meta.db") as conn:
            rows = conn.execute("SELECT seq, hash, program, fitness, operator FROM candidates ORDER BY seq").fetchall()
        files.append(((tmp_path / name / "gen.toml").read_bytes(), rows))
    assert files[0] == files[1] and files[0][1]


def _repro_script() -> Any:
    """benchmarks/meta/repro.py as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("repro", ROOT / "benchmarks" / "meta" / "repro.py")
    assert spec is not None and spec.loader is not None
    repro = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(repro)
    return repro


@pytest.mark.slow
def test_meta_search_reproduces_the_committed_trace() -> None:
    """benchmarks/meta/repro.toml, rerun, takes the committed path (trace field for field, generator
    byte for byte); the failure says where it left it, how the environment differs, and how to
    regenerate the files when the change is intended."""
    problems = _repro_script().compare()
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_the_committed_learner_trace_reproduces() -> None:
    """The learner kind beside the formulas: benchmarks/meta/repro_learners.toml (about 20 s), rerun,
    takes the committed path.  It draws through the base grammar's ``[restrict.learner]`` focus with
    base_mix, weight perturbation and a bounded step on, which formulas never do: the focus applied
    twice (fixed in 297f33e) changed this trace from meta-generation 0's digest on, unseen by any test
    until this one (on the code before the fix it fails at ``generations[0].digest``)."""
    problems = _repro_script().compare("learners")
    assert not problems, "\n".join(problems)


def test_the_reproduction_script_knows_each_kind_s_files() -> None:
    """Each kind's committed configuration, generator and trace exist, and the trace names the
    command that regenerates it (the one a failing comparison prints)."""
    repro = _repro_script()
    for kind in repro.STEMS:
        config, grammar, trace_file = repro.files(kind)
        assert config.is_file() and grammar.is_file(), kind
        assert json.loads(trace_file.read_text())["command"] == repro.command(kind)
    assert repro.command("learners").endswith("repro.py --kind learners --write")


def test_a_failed_reproduction_hints_mkl_only_where_its_files_were_made_under_another_setting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The MKL_CBWR hint of a failed comparison: on an Intel CPU with AVX-512, for files made on AVX2 hosts (traces
    before the environment kept the variable: the formulas') or under MKL_CBWR=AVX2, not for files made with it unset
    on such a host (the learners'), nor on other CPUs, nor where this process already runs under their setting."""
    repro = _repro_script()
    xeon = {"vendor": "GenuineIntel", "flags": ["avx2", "avx512f"]}
    epyc = {"vendor": "AuthenticAMD", "flags": ["avx2", "avx512f"]}
    monkeypatch.delenv("MKL_CBWR", raising=False)
    hint = repro.mkl_hint({}, "formulas", xeon)
    assert hint is not None and "rerun as MKL_CBWR=AVX2 PYTHONPATH=src python benchmarks/meta/repro.py" in hint
    assert repro.mkl_hint({"mkl_cbwr": "AVX2"}, "learners", xeon).endswith("repro.py --kind learners")
    assert repro.mkl_hint({"mkl_cbwr": None}, "learners", xeon) is None
    assert repro.mkl_hint({}, "formulas", epyc) is None
    monkeypatch.setenv("MKL_CBWR", "AVX2")
    assert repro.mkl_hint({}, "formulas", xeon) is None


@pytest.mark.slow
def test_the_committed_update_rule_generator_reproduces(tmp_path: Path) -> None:
    """An ML kind beside repro.toml's formulas: benchmarks/meta/update_rules.toml (an optimizer's
    ``step`` evolved on small supervised tasks, about a minute), rerun, writes the committed
    generator's productions, weights, rules and digest line for line (the comment header, which
    names the archive and the environment, aside).  Regenerate with the command in its header.  Run with MKL's AVX2
    branch on an Intel CPU with AVX-512, whose AVX-512 code gives another generator (``provenance.mkl_as_evidence``)."""
    from mlevolve.meta.provenance import mkl_as_evidence

    out = tmp_path / "g.toml"
    config = ROOT / "benchmarks" / "meta" / "update_rules.toml"  # in a fresh process: MKL reads MKL_CBWR at start
    ran = run_mlevolve("meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(out), "--quiet", timeout=1800,
                       env=environment(**mkl_as_evidence()))
    assert ran.returncode == 0, ran.stderr

    def body(path: Path) -> list[str]:
        return [line for line in path.read_text().splitlines() if not line.startswith("#")]

    assert body(out) == body(ROOT / "benchmarks" / "meta" / "update_rules" / "seed0" / "learned.grammar.toml")


def test_trace_difference_names_the_first_field_that_changed() -> None:
    import math

    from mlevolve.meta.provenance import differences, environment, first_difference, trace

    history = [{"generation": g, "digest": f"d{g}", "best_fitness": 0.1 * g, "mined": ["r"]} for g in range(3)]
    committed = trace(history, {"chosen_generation": 1, "digest": "d1", "inner_runs_fresh": 9})
    assert committed["inner_runs"] == 9 and committed["generations"][2]["digest"] == "d2"
    assert first_difference(committed, json_roundtrip(committed)) is None  # floats survive JSON exactly
    later = trace([*history[:2], {**history[2], "digest": "x"}], {"chosen_generation": 0, "digest": "d1"})
    assert first_difference(committed, later) == "generations[2].digest: committed 'd2', now 'x'"  # before chosen
    ulp = trace([{**history[1], "best_fitness": math.nextafter(0.1, 1.0)}], {})  # another CPU's last bit
    assert first_difference(trace(history[1:2], {}), ulp) is None  # the same path
    assert first_difference(trace(history[1:2], {}), trace([{**history[1], "best_fitness": 0.1001}], {})) == \
        "generations[0].best_fitness: committed 0.1, now 0.1001"
    env = environment()
    assert env["packages"]["numpy"] is not None and env["torch_cpu_capability"]
    other = {**env, "packages": {**env["packages"], "torch": "0.0"}}
    assert differences(env, env) == [] and differences(env, other) == [f"torch: {env['packages']['torch']} -> 0.0"]


def np_version() -> str:
    import numpy

    return numpy.__version__


def json_roundtrip(value: object) -> object:
    import json

    return json.loads(json.dumps(value))


@pytest.mark.slow
def test_a_resumed_meta_run_starts_with_what_it_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As a resumed ``evolve`` does (found by a new user's pass: a resumed ``meta`` said nothing until its end)."""
    config = tmp_path / "smoke.toml"
    config.write_text((ROOT / "benchmarks" / "meta" / "smoke.toml").read_text()
                      .replace("../../examples", str(ROOT / "examples")))
    argv = ["meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "resuming" not in err and err.splitlines()[0] == "inner runs: in process"  # where the inner runs run
    (tmp_path / "g.toml").unlink()
    held = len(archive_rows(tmp_path / "m.db", ("seq",)))
    assert main(argv) == 0
    assert capsys.readouterr().err.splitlines()[:2] == [  # first, as evolve's (small85: it came second)
        f"resuming {tmp_path / 'm.db'}: {held:,} finished inner runs archived, replayed rather than run again",
        "inner runs: in process"]
