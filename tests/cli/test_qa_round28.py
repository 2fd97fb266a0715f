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


_FORMULA = "formula f(x: Scalar) -> Scalar =\n  x * x\n"
_NETWORK = "model net() -> Layer =\n  seq(dense(8), dense(8))\n"
_LEARNER = ("learner lr(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
            "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.01 * (y - p) * x\n")


@pytest.mark.parametrize(("task", "body", "error", "hint"), [
    ('"data.csv:targt=y"', _FORMULA, "unknown option 'targt=y' for task 'data.csv', a data file for a formula",
     "did you mean 'target'? options of a data file for a formula: target, problem"),
    ('"data.csv:target=y:fitness=mse"', _FORMULA,
     "unknown option 'fitness=mse' for task 'data.csv', a data file for a formula",
     "options of a data file for a formula: target, problem"),
    ('"data.csv:target=y:group=x"', _NETWORK, "unknown option 'group=x' for task 'data.csv', a data file",
     "options of a data file: target, problem"),
    ('"data.csv:target=y:fitness=msee"', _LEARNER,
     "option fitness=msee of task 'data.csv', a data file for a learner, must be mse or squashed or relative",
     "did you mean 'mse'? write e.g. data.csv:fitness=mse"),
    ('"data.csv:target=y:problem=regresion"', _NETWORK,
     "option problem=regresion of task 'data.csv', a data file, must be classification or regression",
     "did you mean 'regression'? write e.g. data.csv:problem=classification"),
    ('"koza_quartic:n_train=0"', _FORMULA, "option n_train=0 of task 'koza_quartic' must be an integer from 1 to "
     "1,000,000", "write e.g. koza_quartic:n_train=20"),
    ('"linear:dimm=3"', _LEARNER, "unknown option 'dimm=3' for task 'linear', a learner family",
     "did you mean 'dim'? options of a learner family: n_tasks, dim, n_train, n_val, fresh, fitness"),
    ('"data.csv:target"', _FORMULA, "option 'target' has no value in task spec 'data.csv:target'",
     "write it as NAME:key=value, or leave the option out"),
])
def test_check_refuses_a_task_line_exactly_as_run_does(tmp_path: Path, capsys: Capsys,
                                                       monkeypatch: pytest.MonkeyPatch, task: str, body: str,
                                                       error: str, hint: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(20)))
    (tmp_path / "p.mlev").write_text(f"algorithm q\ntask {task}\n{body}")
    checked = cli(capsys, "check", "p.mlev")
    assert checked[:2] == (2, "") and checked[2].splitlines() == [
        f"p.mlev:2:6: error: {error}", f"    task {task}", "         " + "^" * len(task), f"hint: {hint}"]
    assert cli(capsys, "run", "p.mlev") == checked  # one check, the same words


def test_a_task_line_that_check_passes_loads(tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("g,x,y\n" + "".join(f"{i % 2},{i},{i * i + 0.5}\n" for i in range(20)))
    for task, body in [('"data.csv:target=y:fitness=relative:group=g"', _LEARNER),
                       ('"data.csv:target=y:problem=regression"', _FORMULA.replace("x:", "g: Scalar, x:")),
                       ('"linear:dim=3"', _LEARNER)]:
        (tmp_path / "p.mlev").write_text(f"algorithm q\ntask {task}\n{body}")
        assert cli(capsys, "check", "p.mlev")[0] == 0
        code, _, err = cli(capsys, "run", "p.mlev")
        assert "error" not in err and code in (0, 1), err  # 1: the program ran and failed, the task loaded


@pytest.mark.parametrize(("argv", "error", "hint"), [
    (["--task", "data.csv:targt=y"], "unknown option 'targt=y' for task 'data.csv', a data file for a formula",
     "did you mean 'target'? options of a data file for a formula: target, problem"),
    (["--task", "koza_quartic:n_trian=5"], "unknown option 'n_trian=5' for task 'koza_quartic', a formula task",
     "did you mean 'n_train'? options of a formula task: n_train, n_test"),
    (["--tsk", "nguyen1"], "unrecognized arguments: --tsk", "did you mean '--task'? run `mlevolve run --help`"),
])
def test_a_misspelt_task_option_names_the_closest(tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch,
                                                  argv: list[str], error: str, hint: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("x,y\n" + "".join(f"{i},{i * i + 1}\n" for i in range(20)))
    (tmp_path / "p.mlev").write_text(f"algorithm q\ntask nguyen1\n{_FORMULA}")
    assert cli(capsys, "run", "p.mlev", *argv) == (2, "", f"mlevolve run: error: {error}\nhint: {hint}\n")


@pytest.mark.e2e
@pytest.mark.parametrize(("argv", "error", "hint"), [
    (["--tsk", "linear"], "unrecognized arguments: --tsk", "did you mean '--task'? run `l.py --help`"),
    (["--bogus"], "unrecognized arguments: --bogus", "run `l.py --help`"),
    (["--task", "linear:n_tsks=3"], "unknown option 'n_tsks=3' for task 'linear', a learner family",
     "did you mean 'n_tasks'? options of a learner family: n_tasks, dim, n_train, n_val, fresh, fitness"),
    (["--task", "linear:fitness=msee"], "option fitness=msee of task 'linear', a learner family, must be mse or "
     "squashed or relative", "did you mean 'mse'? write e.g. linear:fitness=mse"),
    (["--task", "lnear"], "unknown task 'lnear'",
     "did you mean 'linear'? its tasks: affine, linear, teacher; another: mlevolve export --task TASK"),
])
def test_an_exported_script_names_the_closest_option_as_mlevolve_does(tmp_path: Path, capsys: Capsys,
                                                                       argv: list[str], error: str, hint: str) -> None:
    import subprocess
    import sys

    from tests.conftest import environment

    (tmp_path / "l.mlev").write_text(f"algorithm q\ntask linear\n{_LEARNER}")
    assert cli(capsys, "export", str(tmp_path / "l.mlev"), "-o", str(tmp_path / "l.py"))[0] == 0
    done = subprocess.run([sys.executable, "l.py", *argv], capture_output=True, text=True, cwd=tmp_path,
                          env=environment(), timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"l.py: error: {error}\nhint: {hint}\n")


@pytest.mark.parametrize(("text", "error", "hint"), [
    ('extends = "bse"\n', "1:1: error: `extends` names grammar file 'bse', which does not exist",
     'did you mean \'base\'? give "base" or the path of a grammar file, relative to this file\'s folder'),
    ('extend = "base"\n', "1:1: error: unknown section or key 'extend'",
     "did you mean 'extends'? a grammar file's top level has: version, extends, digest, types, op, literals, "
     "variables, rule, weights, operator, restrict, bandit"),
    ('extends = "mien.toml"\n', "1:1: error: `extends` names grammar file 'mien.toml', which does not exist",
     'did you mean \'mine.toml\'? give "base" or the path of a grammar file, relative to this file\'s folder'),
])
def test_a_misspelt_grammar_key_or_parent_names_the_closest(tmp_path: Path, capsys: Capsys, text: str, error: str,
                                                            hint: str) -> None:
    (tmp_path / "mine.toml").write_text(E)
    (tmp_path / "g.toml").write_text(text)
    code, out, err = cli(capsys, "grammar", "show", str(tmp_path / "g.toml"))
    assert (code, out) == (2, "")
    lines = [line for line in err.splitlines() if not line.startswith("    ")]
    assert lines[0].startswith(f"{tmp_path / 'g.toml'}:{error}") and lines[1] == f"hint: {hint}"


_QUOTED = 'hint: write task "{}"'


@pytest.mark.parametrize(("text", "expected"), [
    ("algorithm q\ntask x.csv:target=y\n" + _FORMULA,
     ["p.mlev:2:6: error: a data file's name is written in quotes on the task line", "    task x.csv:target=y",
      "         ^^^^^^^^^^^^^^", _QUOTED.format("x.csv:target=y")]),
    ("algorithm q\ntask ../data/x.npz\n" + _FORMULA,
     ["p.mlev:2:6: error: a data file's name is written in quotes on the task line", "    task ../data/x.npz",
      "         ^^^^^^^^^^^^^", _QUOTED.format("../data/x.npz")]),
    ("algorithm q\ntask koza_quartic:n_train=5\n" + _FORMULA,
     ["p.mlev:2:6: error: a task with options is written in quotes on the task line",
      "    task koza_quartic:n_train=5", "         ^^^^^^^^^^^^^^^^^^^^^^", _QUOTED.format("koza_quartic:n_train=5")]),
    ("algorithm q\ntask koza_quartic\ntask nguyen1\n" + _FORMULA,
     ["p.mlev:3:1: error: the task is given twice (first at line 2)", "    task nguyen1", "    ^^^^",
      "hint: a program has one task line, right after `algorithm NAME`: keep one"]),
    ("algorithm q\ntask koza_quartic\n" + _FORMULA + "\n  task nguyen1  # again\n",
     ["p.mlev:6:3: error: the task is given twice (first at line 2)", "      task nguyen1  # again", "      ^^^^",
      "hint: a program has one task line, right after `algorithm NAME`: keep one"]),
    ("algorithm q\n" + _FORMULA + "task nguyen1\n",
     ["p.mlev:4:1: error: the task line comes right after `algorithm NAME`, before the definitions",
      "    task nguyen1", "    ^^^^", "hint: move it up to the line after the algorithm line"]),
    ("algorithm q task koza_quartic\n" + _FORMULA,
     ["p.mlev:1:13: error: the task header is a line of its own, not part of the algorithm line",
      "    algorithm q task koza_quartic", "                ^^^^",
      "hint: a header is one line: `algorithm q`, then `task NAME` on the next line"]),
])
def test_a_task_line_mistake_is_named_at_its_place(capsys: Capsys, tmp_path: Path, text: str,
                                                   expected: list[str]) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, out, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert (code, out) == (2, "")
    assert err.replace(str(tmp_path) + "/", "").splitlines() == expected


def test_a_comment_or_a_quoted_task_is_no_second_task_line(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "p.mlev").write_text('algorithm q\ntask "koza_quartic:n_train=30"\n# task nguyen1\n' + _FORMULA
                                     + "# task again\n")
    assert cli(capsys, "check", str(tmp_path / "p.mlev"))[0] == 0
