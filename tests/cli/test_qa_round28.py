"""The QA pass of round 28, each finding a test of the right behaviour, word for word: every value of a
TOML file (a grammar, a meta configuration) checked against its type; a task checked by ``check`` as
``run`` checks it; did-you-mean hints for misspelt names; the header lines' mistakes in their own words."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.dsl.errors import MlevError, toml_value
from tests.conftest import ROOT, Capsys, cli

E = 'version = 1\nextends = "base"\n'
OWN = 'types = ["Num"]\n[literals.Num]\nchoices = [1.0]\n[op.f]\nsig = ["Num -> Num"]\n'
RULE = '[[rule]]\nname = "r_a"\nsig = "Scalar -> Scalar"\nbody = "sin(h0)"\n'


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
