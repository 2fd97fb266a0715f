"""Every mistake of a grammar file that ``extends`` another is told at the table or key of the file the user wrote,
with a hint; a mistake inside a file it extends names that file and the chain ("in parent.toml, extended by
mine.toml").  ``[op.nope]`` in an extending file read "a grammar that extends another takes its op from it; this
one also defines op", naming neither ``[op.nope]`` nor what to write instead; a rule that calls a rule listed after
it read "unknown primitive 'cube'", with the hint that a learned rule is known with its grammar file (qa55a)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Capsys, cli

PARENT = 'version = 1\nextends = "base"\n[weights]\n"add(Scalar,Scalar)" = 2.0\n'  # mine.toml extends it
MINE = 'version = 1\nextends = "parent.toml"\n'
OWN = ('version = 1\ntypes = ["Scalar"]\n[literals.Scalar]\nchoices = [1.0]\n[op.add]\nsig = ["Scalar, Scalar -> '
       'Scalar"]\n[op.cos]\nsig = ["Scalar -> Scalar"]\n')  # a grammar of its own, without mul
SQ = '[[rule]]\nname = "sq"\nsig = "Scalar -> Scalar"\nbody = "h0 * h0"\n'
OPS = ("weight its signatures under [weights] ({}), define an op of your own as a [[rule]] over its ops, or drop "
       "`extends` to define a grammar of your own (its own types and [op.*])")
LACKS = ("write the body with the grammar's ops (add, cos), or drop the rule (a program may call mul, which the "
         "engine writes; a rule's body is drawn as written, from the grammar's ops only)")


@pytest.mark.parametrize(("text", "first", "hint"), [
    (MINE + '[op.nope]\nsig = ["Scalar -> Scalar"]\n', '3:2: error: [op.nope]: a grammar that extends another takes '
     'its ops from it (extends = "parent.toml")', OPS.format('"add(Scalar,Scalar)" = 2.0')),
    (MINE + '[op.cos]\nweight = 2.0\n', '3:2: error: [op.cos]: a grammar that extends another takes its ops from it '
     '(extends = "parent.toml")', OPS.format('"cos(Scalar)" = 2.0')),
    (MINE + 'op = 3\n', '3:1: error: `op`: a grammar that extends another takes its ops from it (extends = '
     '"parent.toml")', OPS.format('"add(Scalar,Scalar)" = 2.0')),
    (MINE + 'types = ["Scalar"]\n', '3:1: error: `types`: a grammar that extends another takes its types from it '
     '(extends = "parent.toml")', "drop the line (a [[rule]] adds no types), or drop `extends` to define a grammar of "
     "your own (its own types and [op.*])"),
    (MINE + '[wieghts]\n', "3:2: error: unknown section or key 'wieghts'", "did you mean 'weights'? a grammar file's "
     "top level has: version, extends, digest, types, op, literals, variables, rule, weights, operator, restrict, "
     "bandit"),
    (MINE + '[variables]\nwieght = 2.0\n', "4:1: error: [variables] has no key 'wieght'",
     "did you mean 'weight'? its keys are doc, weight"),
    (MINE + '[weights]\n"add(Scalar,Scalar)" = -1.0\n', "4:2: error: [weights] 'add(Scalar,Scalar)' has a bad "
     "weight -1.0", "weights are finite numbers >= 0"),
    (MINE + '[weights]\n"nope(Scalar)" = 1.0\n', "4:2: error: [weights] names unknown production 'nope(Scalar)'",
     "did you mean 'neg(Scalar)'? ids look like add(Scalar,Scalar); `mlevolve grammar show` lists them"),
    (MINE + SQ.replace("h0 * h0", "nope(h0)"), "6:1: error: rule sq does not type-check: unknown primitive 'nope'",
     "did you mean 'noise'?"),
    (MINE + SQ.replace("Scalar -> Scalar", "Foo -> Scalar"), "5:1: error: rule sq names type 'Foo', which the "
     "grammar does not have", "rules add no types; types: Scalar, Vector, Matrix, Tensor, Int, Layer"),
    (MINE + SQ.replace("h0 * h0", "zzzz(h0)"), "6:1: error: rule sq does not type-check: unknown primitive 'zzzz'",
     "`mlevolve grammar show` lists the primitives"),  # not that "a learned rule is known with its grammar file"
    (MINE + SQ.replace("h0 * h0", "cube(h0) + h0") + SQ.replace("sq", "cube").replace("h0 * h0", "h0 * h0 * h0"),
     "6:1: error: rule sq calls rule cube, which is listed after it", "move the [[rule]] named cube above this one: "
     "a rule calls only the rules listed before it (so rules never call each other in a cycle)"),
    (MINE + SQ.replace("h0 * h0", "sq(h0) + h0"), "6:1: error: rule sq calls itself", "a rule is inlined where it "
     "is drawn, so it cannot recur: write its body with the grammar's ops and the rules listed before it"),
    ('version = 1\nextends = "base.toml"\n', "2:1: error: `extends` names grammar file 'base.toml', which does not "
     "exist ({dir}/base.toml)", "did you mean 'base'? the base grammar is no file: give \"base\" or the path of a "
     "grammar file, relative to this file's folder"),  # not 'parent.toml', the closest file
    ('version = 1\nextends = 3\n', "2:1: error: `extends` must be \"base\" or a grammar file's path, not 3",
     "write extends = \"base\", or the path of a grammar file in quotes, relative to this file's folder"),
    ('version = 1\nextends = "parnet.toml"\n', "2:1: error: `extends` names grammar file 'parnet.toml', which does "
     "not exist ({dir}/parnet.toml)", "did you mean 'parent.toml'? give \"base\" or the path of a grammar file, "
     "relative to this file's folder"),
])
def test_each_mistake_of_an_extending_file_is_told_at_its_own_table_or_key(
        tmp_path: Path, capsys: Capsys, text: str, first: str, hint: str) -> None:
    (tmp_path / "parent.toml").write_text(PARENT)
    mine = tmp_path / "mine.toml"
    mine.write_text(text)
    code, out, err = cli(capsys, "grammar", "show", str(mine))
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"{mine}:{first.format(dir=tmp_path.resolve())}", f"hint: {hint}"]


@pytest.mark.parametrize("command", [["grammar", "show"], ["grammar", "lark"], ["grammar", "diff", "base"]])
def test_a_mistake_in_a_file_it_extends_names_that_file_and_the_chain(tmp_path: Path, capsys: Capsys,
                                                                      command: list[str]) -> None:
    (tmp_path / "root.toml").write_text(PARENT.replace("2.0", '"x"'))
    (tmp_path / "parent.toml").write_text('extends = "root.toml"\n')
    (tmp_path / "mine.toml").write_text(MINE)
    code, _, err = cli(capsys, *command, str(tmp_path / "mine.toml"))
    assert code == 2 and err.splitlines() == [
        f'{tmp_path / "root.toml"}:4:2: error: [weights] "add(Scalar,Scalar)" must be a number, got "x" (in '
        f'{tmp_path / "root.toml"}, extended by {tmp_path / "parent.toml"}, extended by {tmp_path / "mine.toml"})',
        'hint: "add(Scalar,Scalar)" takes a number, e.g. "add(Scalar,Scalar)" = 1.0']


def test_a_cycle_is_told_at_the_extends_that_closes_it(tmp_path: Path, capsys: Capsys) -> None:
    (tmp_path / "parent.toml").write_text('extends = "mine.toml"\n')
    (tmp_path / "mine.toml").write_text(MINE)
    code, _, err = cli(capsys, "grammar", "show", str(tmp_path / "mine.toml"))
    there, here = (tmp_path / "parent.toml").resolve(), (tmp_path / "mine.toml").resolve()
    assert code == 2 and err.splitlines() == [
        f"{tmp_path / 'parent.toml'}:1:1: error: `extends` forms a cycle: {here} -> {there} -> {here}",
        "hint: a grammar may extend base or another file, never itself through others"]


@pytest.mark.parametrize(("mine", "where"), [
    (OWN + SQ, ""), ('version = 1\nextends = "own.toml"\n' + SQ, ' to "own.toml" (the grammar this one extends)')])
@pytest.mark.parametrize("command", [["grammar", "show", "FILE"], ["check", "--grammar", "FILE", "P"],
                                     ["evolve", "P", "--grammar", "FILE", "--budget", "5", "--db", "d.db"]])
def test_a_rule_calling_an_op_its_grammar_lacks_says_to_add_it_where_or_drop_the_rule(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, mine: str, where: str,
        command: list[str]) -> None:
    """Said alike at load, by check and by evolve; the engine's own mul, which a program may call with this grammar
    (it is in no rule the generator draws), is told as such."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "own.toml").write_text(OWN)
    (tmp_path / "mine.toml").write_text(mine)
    (tmp_path / "p.mlev").write_text("algorithm p\ntask koza_quartic\nformula f(x: Scalar) -> Scalar =\n  x * x\n")
    argv = [{"FILE": "mine.toml", "P": "p.mlev"}.get(a, a) for a in command]
    code, _, err = cli(capsys, *argv)
    line = mine.count("\n")  # the body's, the last
    assert code == 2 and not list(tmp_path.glob("*.db")) and err.splitlines() == [
        f"mine.toml:{line}:1: error: rule sq calls 'mul', a primitive this grammar does not have (no [op.mul])",
        f'hint: add [op.mul] with sig = ["Scalar, Scalar -> Scalar"]{where}, {LACKS}']


def test_a_program_calling_a_primitive_its_grammar_lacks_says_so(tmp_path: Path, capsys: Capsys) -> None:
    """It read "unknown primitive 'sin'" with the hint that `grammar show` lists the primitives (base's list sin); the
    engine's own mul is legal in it (``ENGINE_OPS``)."""
    (tmp_path / "own.toml").write_text(OWN)
    program = tmp_path / "p.mlev"
    program.write_text("algorithm p\ntask koza_quartic\nformula f(x: Scalar) -> Scalar =\n  sin(x) * x\n")
    code, _, err = cli(capsys, "check", str(program), "--grammar", str(tmp_path / "own.toml"))
    assert code == 2 and err.splitlines()[0] == f"{program}:4:3: error: in formula 'f': unknown primitive 'sin'"
    assert err.splitlines()[-1] == (f"hint: 'sin' is a primitive of mlevolve's that this grammar "
                                    f"({(tmp_path / 'own.toml').resolve()}) does not have: add [op.sin] to the grammar "
                                    "file that defines its ops, or use the base grammar, which has every primitive")
