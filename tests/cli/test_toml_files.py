"""The TOML files mlevolve reads (grammar files, meta configurations): every value checked against its type by
one helper, a key given twice named, a byte order mark taken, a mistake in an extended grammar named with
the chain of files, and what `grammar diff` lists of a grammar's [restrict] tables.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.dsl.errors import MlevError, toml_value
from tests.conftest import ROOT, Capsys, cli, usage_error

E = 'version = 1\nextends = "base"\n'

OWN = 'types = ["Num"]\n[literals.Num]\nchoices = [1.0]\n[op.f]\nsig = ["Num -> Num"]\n'

RULE = '[[rule]]\nname = "r_a"\nsig = "Scalar -> Scalar"\nbody = "sin(h0)"\n'

SMOKE = ROOT / "benchmarks" / "meta" / "smoke.toml"


@pytest.mark.parametrize(("text", "error", "hint"), [
    (E + '[restrict.learner]\nscale = "0.5"\n', '4:1: error: [restrict.learner] scale must be a number, got "0.5"',
     "scale takes a number, written without quotes: scale = 0.5"),
    (E + "[restrict.learner]\nscale = true\n", "4:1: error: [restrict.learner] scale must be a number, got true",
     "scale takes a number, e.g. scale = 0.1"),
    (E + '[restrict.learner]\nscale = "abc"\n', '4:1: error: [restrict.learner] scale must be a number, got "abc"',
     "scale takes a number, e.g. scale = 0.1"),
    (E + '[restrict.learner]\nkeep = "add(Scalar,Scalar)"\n',
     '4:1: error: [restrict.learner] keep must be a list of strings, got "add(Scalar,Scalar)"',
     'keep takes a list of strings, e.g. keep = ["add(Scalar,Scalar)"]'),
    (E + "[restrict.learner]\ndoc = 3\n", "4:1: error: [restrict.learner] doc must be a string, got 3",
     'doc takes a string, e.g. doc = "what it is for"'),
    (E + "[variables]\nweight = true\n", "4:1: error: [variables] weight must be a number, got true",
     "weight takes a number, e.g. weight = 1.0"),
    (E + '[literals.Scalar]\nweight = "2"\n', '4:1: error: [literals.Scalar] weight must be a number, got "2"',
     "weight takes a number, written without quotes: weight = 2"),
    (E + '[bandit]\nfloor = "0.3"\n', '4:1: error: [bandit] floor must be a number, got "0.3"',
     "floor takes a number, written without quotes: floor = 0.3"),
    (E + '[weights]\n"add(Scalar,Scalar)" = false\n',
     '4:2: error: [weights] "add(Scalar,Scalar)" must be a number, got false',
     '"add(Scalar,Scalar)" takes a number, e.g. "add(Scalar,Scalar)" = 1.0'),
    (E + RULE + "generation = 1.5\n", "7:1: error: [[rule]] #1 generation must be an integer, got 1.5",
     "generation takes an integer, e.g. generation = 0"),
    (E + RULE + 'weight = "1"\n', '7:1: error: [[rule]] #1 weight must be a number, got "1"',
     "weight takes a number, written without quotes: weight = 1"),
    (E + RULE + 'sources = "nguyen1"\n', '7:1: error: [[rule]] #1 sources must be a list of strings, got "nguyen1"',
     'sources takes a list of strings, e.g. sources = ["nguyen1"]'),
    (E + RULE.replace('"sin(h0)"', "3"), "6:1: error: [[rule]] #1 body must be a string, got 3",
     'body takes a string, e.g. body = "h0 + sin(h0)"'),
    (E + '[[operator]]\nname = "o1"\nprogram = "tweak()"\nweight = true\n',
     "6:1: error: [[operator]] #1 weight must be a number, got true", "weight takes a number, e.g. weight = 1.0"),
    (E + '[[operator]]\nname = 1\nprogram = "tweak()"\n', "4:1: error: [[operator]] #1 name must be a string, got 1",
     'name takes a string, e.g. name = "r_a"'),
    ('types = "Num"\n', '1:1: error: `types` must be a list of strings, got "Num"',
     'types takes a list of strings, e.g. types = ["Scalar", "Vector", "Matrix"]'),
    (OWN + 'commutative = "false"\n', '6:1: error: [op.f] commutative must be true or false, got "false"',
     "commutative takes true or false, written without quotes: commutative = false"),
    (OWN.replace('["Num -> Num"]', '"Num -> Num"'),
     '5:1: error: [op.f] sig must be a list of strings, got "Num -> Num"',
     'sig takes a list of strings, e.g. sig = ["Scalar, Vector -> Vector"]'),
    (OWN + "weight = true\n", "6:1: error: [op.f] weight must be a number, got true",
     "weight takes a number, e.g. weight = 1.0"),
    (OWN.replace('["Num -> Num"]', '["T -> T"]\nforall = { T = "Num" }'),
     '6:1: error: [op.f] forall.T must be a list of strings, got "Num"',
     'T takes a list of strings, e.g. T = ["Scalar", "Vector"]'),
    (OWN.replace("choices = [1.0]", 'choices = [1.0, "2"]'),
     '3:1: error: [literals.Num] choices must be a list of numbers, got [1.0, "2"]',
     "choices takes a list of numbers, e.g. choices = [0.5, 1.0, 2.0]"),
    ('types = ["Num"]\nop = { f = 3 }\n', "2:1: error: [op.f] must be a table, got 3",
     'op.f takes a table, e.g. op.f = { sig = ["Scalar -> Scalar"] }'),
    (E + "[literals]\nScalar = [1.0]\n", "4:1: error: [literals.Scalar] must be a table, got [1.0]",
     "literals.Scalar takes a table, e.g. literals.Scalar = { weight = 1.0 }"),
    (E + 'restrict = { learner = "x" }\n', '3:1: error: [restrict.learner] must be a table, got "x"',
     "restrict.learner takes a table, e.g. restrict.learner = { scale = 0.1 }"),
    (OWN.replace("choices = [1.0]", "uniform = [1.0]"),
     "3:1: error: [literals.Num] uniform must be [low, high] with low <= high, got [1.0]",
     "uniform = [-1.0, 1.0] draws a literal uniformly between the two"),
])
def test_every_value_of_a_grammar_file_is_checked_against_its_type(tmp_path: Path, capsys: Capsys, text: str,
                                                                  error: str, hint: str) -> None:
    path = tmp_path / "g.toml"
    path.write_text(text)
    code, out, err = cli(capsys, "grammar", "show", str(path))
    assert (code, out) == (2, "")
    assert [line for line in err.splitlines() if not line.startswith("    ")] == [f"{path}:{error}", f"hint: {hint}"]


@pytest.mark.parametrize(("old", "new", "error", "hint"), [
    ("budget = 80", "budget = true", "[inner] budget must be an integer, got true",
     "budget takes an integer, e.g. budget = 300 (the default)"),
    ("budget = 80", "budget = 8e1", "[inner] budget must be an integer, got 80.0",
     "budget takes an integer, e.g. budget = 300 (the default)"),
    ("seed = 2", 'seed = "2"', '[meta] seed must be an integer, got "2"',
     "seed takes an integer, written without quotes: seed = 2"),
    ("[inner]", "[inner]\ntarget = true", "[inner] target must be a number, got true",
     "target takes a number, e.g. target = 0.99 (the default)"),
    ("[inner]", '[inner]\nfit = "yes"', '[inner] fit must be true or false, got "yes"',
     "fit takes true or false, e.g. fit = false (the default)"),
    ("[meta]", "[meta]\nfitness = 1", "[meta] fitness must be a string, got 1",
     'fitness takes a string, e.g. fitness = "paired" (the default)'),
    ("seed = 2", 'seed = 2\n\n[bounds]\nnguyen1 = [0, "1"]', '[bounds] nguyen1 must be a list of numbers, got [0, "1"]',
     "nguyen1 takes a list of numbers, e.g. nguyen1 = [0.0, 1.0]"),
])
def test_every_value_of_a_meta_configuration_is_checked_by_the_same_helper(
        tmp_path: Path, capsys: Capsys, old: str, new: str, error: str, hint: str) -> None:
    smoke = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text().replace("../../examples", str(ROOT / "examples"))
    assert old in smoke
    config = tmp_path / "c.toml"
    config.write_text(smoke.replace(old, new, 1))
    code, out, err = cli(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].split(": error: ")[1] == error and lines[0].startswith(f"{config}:")
    assert lines[-1] == f"hint: {hint}"
    assert not (tmp_path / "m.db").exists()


@pytest.mark.parametrize(("value", "kind", "read"), [
    (1, "number", 1.0), (0.5, "number", 0.5), (3, "integer", 3), ("a", "string", "a"), (False, "boolean", False),
    (["a"], "strings", ("a",)), ([1, 2.5], "numbers", (1.0, 2.5)), ({}, "table", {}),
])
def test_a_value_of_its_kind_is_read(value: object, kind: str, read: object) -> None:
    def never(message: str, hint: str) -> MlevError:
        raise AssertionError(message)

    assert toml_value(value, kind, "x", "x", never) == read


@pytest.mark.parametrize(("value", "kind"), [
    (True, "number"), (True, "integer"), ("1", "number"), (1.0, "integer"), (1, "boolean"), ("true", "boolean"),
    (1, "string"), ("a", "strings"), ([1], "strings"), ([True], "numbers"), ([], "table"),
])
def test_a_value_of_another_kind_is_refused(value: object, kind: str) -> None:
    with pytest.raises(MlevError) as caught:
        toml_value(value, kind, "x", "x", lambda message, hint: MlevError(message, hint=hint))
    assert caught.value.message.startswith("x must be ") and caught.value.hint.startswith("x takes ")


@pytest.mark.parametrize(("text", "first"), [
    ('program = "a.mlev"\nevolve = ["f"]\nprogram = "b.mlev"\n', "3:1: error: key 'program' is given twice "
                                                                 "(first at line 1)"),
    ('program = "a.mlev"\n[inner]\nbudget = 5\n  budget = 6\n', "4:3: error: key 'budget' is given twice "
                                                               "(first at line 3)"),
    ('program = "a.mlev"\n[inner]\nbudget = 5\n[inner]\n', "4:2: error: table [inner] is given twice "
                                                          "(first at line 2)")])
def test_a_key_given_twice_in_a_meta_configuration_is_named(capsys: Capsys, tmp_path: Path, text: str,
                                                             first: str) -> None:
    (tmp_path / "meta.toml").write_text(text)
    code, _, err = cli(capsys, "meta", str(tmp_path / "meta.toml"))
    assert code == 2
    assert err.splitlines() == [f"{tmp_path / 'meta.toml'}:{first}",
                                "hint: TOML takes each key and table once: keep one of them"]


@pytest.mark.parametrize(("text", "first"), [
    ('program = "a.mlev"\nevolve = ["f"]\n[evolve.x]\n', "3:2: error: table [evolve.x] is given twice "
                                                          "(first at line 2, in the value of key 'evolve')"),
    ('program = "a.mlev"\nevolve = ["f"]\nevolve.x = 1\n', "3:1: error: key 'evolve.x' is given twice "
                                                            "(first at line 2, in the value of key 'evolve')"),
    ('program = "a.mlev"\n[inner]\nbudget = {a = 5}\nbudget.b = 6\n', "4:1: error: key 'budget.b' is given twice "
                                                                      "(first at line 3, in the value of key "
                                                                      "'budget')")])
def test_a_table_inside_a_keys_value_names_that_key(capsys: Capsys, tmp_path: Path, text: str, first: str) -> None:
    """fix63: ``[evolve.x]`` after ``evolve = [...]`` said "given twice" without the first one's line (the key
    holding it, not the table itself, was written before); and under a table its header was named as the first."""
    (tmp_path / "meta.toml").write_text(text)
    code, _, err = cli(capsys, "meta", str(tmp_path / "meta.toml"))
    assert code == 2
    holder = first.rsplit("'", 2)[1]
    assert err.splitlines() == [f"{tmp_path / 'meta.toml'}:{first}",
                                f"hint: TOML takes each key and table once: a key given a value ({holder} = ...) is "
                                "no table to add to"]


@pytest.mark.parametrize(("command", "text", "error"), [
    (["meta"], 'program = "a.mlev"\n[inner]\nbudget = 5\n[inner', ("4:7: error: table header [inner is not closed",
                                                                     "hint: close it: [inner]")),
    (["meta"], 'program = "a.mlev"\n[inner]\nbudget = 5\n[inner   # the same\n',
     ("4:7: error: table header [inner is not closed", "hint: close it: [inner]")),
    (["grammar", "show"], 'extends = "base"\n[weights]\nadd = 1\n[weights', (
        "4:9: error: table header [weights is not closed", "hint: close it: [weights]"))])
def test_a_table_header_left_unclosed_is_named_so_not_a_table_given_twice(capsys: Capsys, tmp_path: Path,
                                                                          command: list[str], text: str,
                                                                          error: tuple[str, str]) -> None:
    """A fresh user's pass: tomllib reports `[meta` on a last line, a table declared before, as declared twice
    ("table [meta] is given twice"); a new name's (`[foo`) was said right, by tomllib's own words."""
    (tmp_path / "f.toml").write_text(text)
    code, _, err = cli(capsys, *command, str(tmp_path / "f.toml"))
    assert code == 2
    lines = err.splitlines()
    assert (lines[0], lines[-1]) == (f"{tmp_path / 'f.toml'}:{error[0]}", error[1])


NO_TABLE = "hint: TOML takes each key and table once: a key given a value ({} = ...) is no table to add to"
NO_VALUE = "hint: TOML takes each key and table once: table [{}] is no key to give a value; keep one of them"


@pytest.mark.parametrize(("command", "text", "error", "hint"), [
    (["meta"], 'program = "a.mlev"\n[inner]\nbudget = 300\n[inner.budget]\nx = 1\n',
     "4:2: error: table [inner.budget] is given twice (first at line 3, as key 'budget' given a value)",
     NO_TABLE.format("budget")),
    (["meta"], 'program = "a.mlev"\n[inner]\nbudget = "x"\n[[inner.budget]]\n',
     "4:3: error: table [inner.budget] is given twice (first at line 3, as key 'budget' given a value)",
     NO_TABLE.format("budget")),
    (["meta"], 'program = "a.mlev"\ninner.budget = 300\n[inner.budget]\n',
     "3:2: error: table [inner.budget] is given twice (first at line 2, as key 'inner.budget' given a value)",
     NO_TABLE.format("inner.budget")),
    (["meta"], 'program = "a.mlev"\n[inner.budget]\nx = 1\n[inner]\nbudget = 300\n',
     "5:1: error: key 'budget' is given twice (first at line 2, as table [inner.budget])",
     NO_VALUE.format("inner.budget")),
    (["grammar", "show"], 'extends = "base"\nweights = 1.5\n[weights]\nadd = 2\n',
     "3:2: error: table [weights] is given twice (first at line 2, as key 'weights' given a value)",
     NO_TABLE.format("weights")),
    (["grammar", "show"], 'extends = "base"\n[weights]\nadd = 2\n[weights.add]\n',
     "4:2: error: table [weights.add] is given twice (first at line 3, as key 'add' given a value)",
     NO_TABLE.format("add"))])
def test_a_key_given_a_scalar_then_a_table_of_its_name_is_named_so(
        capsys: Capsys, tmp_path: Path, command: list[str], text: str, error: str, hint: str) -> None:
    """tidy65: ``[inner.budget]`` after ``budget = 300`` under ``[inner]`` said "given twice (first at line 3)", line 3
    a key given a number: the "no table to add to" hint covered a key's array or inline table only (fix63); and the
    reverse (a table, then its name given a value) named a key inside the table as the first place."""
    (tmp_path / "f.toml").write_text(text)
    code, _, err = cli(capsys, *command, str(tmp_path / "f.toml"))
    assert code == 2
    assert err.splitlines() == [f"{tmp_path / 'f.toml'}:{error}", hint]


def test_a_key_given_twice_in_a_grammar_file_is_named(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "g.toml").write_text('extends = "base"\n[weights]\nadd = 1\nadd = 2\n')
    code, _, err = cli(capsys, "grammar", "show", str(tmp_path / "g.toml"))
    assert code == 2
    assert err.splitlines()[0] == f"{tmp_path / 'g.toml'}:4:1: error: key 'add' is given twice (first at line 3)"


def test_a_meta_configuration_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    from mlevolve.meta.config import load_config
    from tests.conftest import ROOT

    text = (ROOT / "benchmarks" / "meta" / "repro.toml").read_text()
    text = text.replace('"../../examples/quartic.mlev"', repr(str(ROOT / "examples" / "quartic.mlev")))
    (tmp_path / "plain.toml").write_text(text, encoding="utf-8")
    (tmp_path / "bom.toml").write_text("\ufeff" + text.replace("\n", "\r\n"), encoding="utf-8")
    from dataclasses import replace

    bom, plain = load_config(tmp_path / "bom.toml"), load_config(tmp_path / "plain.toml")
    assert replace(bom, source=plain.source) == plain


def test_a_mistake_in_an_extended_grammar_names_the_chain(capsys: Capsys, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("base2.toml").write_text('extends = "base"\n[weights]\nnosuch = 2\n')
    Path("mine.toml").write_text('extends = "base2.toml"\n')
    Path("top.toml").write_text('extends = "mine.toml"\n')
    code, _, err = cli(capsys, "grammar", "show", "mine.toml")
    assert code == 2
    assert err.splitlines()[0] == ("base2.toml:3:1: error: [weights] names unknown production 'nosuch' "
                                   "(in base2.toml, extended by mine.toml)")
    _, _, err = cli(capsys, "grammar", "show", "top.toml")
    assert err.splitlines()[0].endswith("(in base2.toml, extended by mine.toml, extended by top.toml)")
    _, _, err = cli(capsys, "grammar", "show", "base2.toml")
    assert err.splitlines()[0] == "base2.toml:3:1: error: [weights] names unknown production 'nosuch'"


def test_grammar_diff_lists_restrict_changes(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "r.toml").write_text(
        'extends = "base"\n[restrict.learner]\ntypes = ["Scalar", "Tensor"]\nscale = 0.2\n'
        'keep = ["add(Scalar,Scalar)", "sub(Scalar,Scalar)", "mul(Scalar,Scalar)", "add(Vector,Vector)",'
        ' "sub(Vector,Vector)", "mul(Scalar,Vector)", "exp(Scalar)"]\n'
        '[restrict.formula]\ntypes = ["Scalar"]\nscale = 0.5\nkeep = []\n')
    code, out, _ = cli(capsys, "grammar", "diff", "base", str(tmp_path / "r.toml"))
    assert code == 0
    assert out.splitlines()[1:] == ["~ restrict.learner types Matrix, Scalar, Vector -> Scalar, Tensor",
                                    "~ restrict.learner scale 0.1 -> 0.2",
                                    "+ restrict.learner keep exp(Scalar)",
                                    "- restrict.learner keep dot(Vector,Vector)",
                                    "+ restrict.formula types Scalar; scale 0.5; keep none"]
    _, out, _ = cli(capsys, "grammar", "diff", str(tmp_path / "r.toml"), "base")
    assert out.splitlines()[-2:] == ["- restrict.learner keep exp(Scalar)", "- restrict.formula"]


@pytest.mark.parametrize(("old", "new", "error"), [
    ("[inner]", "[inner]\n[inner]", "bad.toml:12:2: error: table [inner] is given twice (first at line 11)\n"
                                    "hint: TOML takes each key and table once: keep one of them\n"),
    ("seed = 2", "seed = 2\nseed = 3", "bad.toml:25:1: error: key 'seed' is given twice (first at line 24)\n"),
    ('program = "../../examples/quartic.mlev"', "program = 5",
     "bad.toml:3:1: error: `program` must be a path (a string), got 5\n"
     'hint: program = "../../examples/quartic.mlev" (relative to this file)\n'),
    ("seed = 2", "seed = -2", "bad.toml:24:1: error: [meta] seed must be 0 or more, got -2\n"),
    ("population = 4", "population = 0", "bad.toml:18:1: error: [meta] population must be positive, got 0\n"),
    ('validation = ["nguyen2"]', "validation = []",
     "bad.toml:8:1: error: [split] validation needs at least 1 task: the output is the best generator on it\n"
     "hint: move a task from [split] train to validation\n"),
])
def test_bad_meta_configurations_say_where_and_what(tmp_path: Path, capsys: Capsys, old: str, new: str,
                                                     error: str) -> None:
    """A TOML syntax error names its line and column; a program that is not a path, a setting that may be 0
    (a seed) given below it, and a split with no validation task (the run could only ever answer the base
    grammar) are each named for what they are."""
    text = SMOKE.read_text().replace("../../examples", str(ROOT / "examples").replace("\\", "/"))
    if old.startswith("program"):
        old = old.replace("../../examples", str(ROOT / "examples"))
    assert old in text
    (tmp_path / "bad.toml").write_text(text.replace(old, new, 1))
    db = tmp_path / "m.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        err = usage_error(capsys, "meta", "bad.toml", "--db", str(db))
    assert err.startswith(error), err
    assert not db.exists()
