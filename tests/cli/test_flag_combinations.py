"""A flag is never silently overwritten or ignored: a repeated name, a flag that the rest of the command makes
meaningless, and a seed no generator takes are each one usage error naming the flag (exit 2, a hint).

Found by a new user's pass: ``sample --var x:Tensor --var x:Scalar`` kept the last; ``sample --seed -1`` drew
``--seed 1``'s expressions (``random.Random`` takes a seed's absolute value); ``export FILE --best`` ignored
``--best``; ``evolve --islands 4`` with the default algorithm, ``--tournament`` with an algorithm that draws no
tournament (random search, (mu + lambda), NSGA-II, MAP-Elites), ``--quiet`` with ``--json`` and ``--evolve f,f`` were
each taken and ignored.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import mlevolve
from mlevolve import api
from mlevolve.dsl.errors import SettingError
from mlevolve.messages import INTEGER_RULE
from tests.conftest import EXAMPLES, Capsys, usage_error

QUARTIC = str(EXAMPLES / "quartic.mlev")
LEARNER = str(EXAMPLES / "linear_regression.mlev")


@pytest.mark.parametrize(("argv", "lines"), [
    (["sample", "--type", "Tensor", "--var", "x:Tensor", "--var", "x:Scalar"],
     ["mlevolve sample: error: bad --var 'x:Scalar': 'x' is given twice (x:Tensor, then x:Scalar)",
      "hint: give each variable once, e.g. --var x:Tensor --var y:Scalar"]),
    (["sample", "--type", "Tensor", "--var", "x: Tensor", "--var", " x :Scalar"],  # spaces around ':' ignored
     ["mlevolve sample: error: bad --var ' x :Scalar': 'x' is given twice (x:Tensor, then  x :Scalar)",
      "hint: give each variable once, e.g. --var x:Tensor --var y:Scalar"]),
    (["sample", "--type", "Scalar", "--seed", "-1"],
     ["mlevolve sample: error: argument --seed: invalid int value: '-1'",
      f"hint: {INTEGER_RULE}; run `mlevolve sample --help`"]),
    (["sample", "--type", "Scalar", "--seed", str(2**63)],
     [f"mlevolve sample: error: --seed must be at least 0 and below 2**63, got {2**63}",
      "hint: a seed is a whole number from 0 to 2**63 - 1"]),
    (["sample", "--type", "Scalar", "--depth", "25"],  # depth 50 ran for minutes and hundreds of MB
     ["mlevolve sample: error: --depth must be at most 24, got 25",
      "hint: a full tree doubles with each level: depth 20 prints about 40,000 characters"]),
    (["export", QUARTIC, "-o", "{tmp}/q.py", "--best"],
     ["mlevolve export: error: --best chooses a program of a run's archive: it goes with DB, not with FILE",
      "hint: mlevolve export FILE -o OUT.py, or mlevolve export DB --best -o OUT.py"]),
    (["export", str(EXAMPLES), "-o", "{tmp}/q.py", "--best"],  # a folder: said so, not "--best goes with DB"
     [f"{EXAMPLES}: error: is a folder, not a .mlev program", "hint: give the path of a .mlev program in it"]),
    (["export", QUARTIC, "-o", "{tmp}/q.py", "--hash", "ab12"],
     ["mlevolve export: error: --hash chooses a program of a run's archive: it goes with DB, not with FILE",
      "hint: mlevolve export FILE -o OUT.py, or mlevolve export DB --hash ab12 -o OUT.py"]),
    (["show", QUARTIC, "--sympy", "-n", "3"],  # printed the file's one formula, -n ignored
     [f"mlevolve show: error: -n goes with a run's archive; {QUARTIC} is one program, printed as written",
      f"hint: mlevolve show {QUARTIC} --sympy, or mlevolve show DB --best -n N --sympy"]),
    (["show", QUARTIC, "--latex", "--best", "--digits", "2"],
     [f"mlevolve show: error: --best goes with a run's archive; {QUARTIC} is one program, printed as written",
      f"hint: mlevolve show {QUARTIC} --sympy, or mlevolve show DB --best -n N --sympy"]),
    (["evolve", QUARTIC, "--islands", "4", "--db", "{tmp}/r.db"],
     ["mlevolve evolve: error: --islands is a setting of --algorithm islands; this run's is regularized: it would "
      "be ignored", "hint: add --algorithm islands, or drop --islands"]),
    (["evolve", QUARTIC, "--algorithm", "islands", "--size-bins", "4", "--db", "{tmp}/r.db"],
     ["mlevolve evolve: error: --size-bins is a setting of --algorithm map-elites; this run's is islands: it would "
      "be ignored", "hint: add --algorithm map-elites, or drop --size-bins"]),
    (["evolve", QUARTIC, "--algorithm", "random", "--tournament", "3", "--db", "{tmp}/r.db"],
     ["mlevolve evolve: error: --algorithm random draws every candidate afresh: --tournament would be ignored",
      "hint: drop --tournament, or choose an --algorithm that reads it: regularized, islands"]),
    (["evolve", QUARTIC, "--algorithm", "nsga2", "--tournament", "3", "--db", "{tmp}/r.db"],
     ["mlevolve evolve: error: --algorithm nsga2 draws parents uniformly: --tournament would be ignored",
      "hint: drop --tournament, or choose an --algorithm that reads it: regularized, islands"]),
    (["evolve", QUARTIC, "--algorithm", "map-elites", "--tournament", "3", "--db", "{tmp}/r.db"],
     ["mlevolve evolve: error: --algorithm map-elites draws parents from its grid's cells: --tournament would be "
      "ignored", "hint: drop --tournament, or choose an --algorithm that reads it: regularized, islands"]),
    (["evolve", QUARTIC, "--population", "8", "--algorithm", "random", "--db", "{tmp}/r.db"],
     ["mlevolve evolve: error: --algorithm random draws every candidate afresh: --population would be ignored",
      "hint: drop --population, or choose an --algorithm that reads it: regularized, mu_plus_lambda, nsga2, islands, "
      "map-elites"]),
    (["evolve", QUARTIC, "--quiet", "--json", "--db", "{tmp}/r.db"],
     ["mlevolve evolve: error: argument --json: not allowed with argument --quiet",
      "hint: run `mlevolve evolve --help`"]),
    (["evolve", QUARTIC, "--evolve", "f,f", "--db", "{tmp}/r.db"],
     ["mlevolve evolve: error: --evolve names 'f' twice",
      "hint: name each definition once: a learner stands for all its methods"]),
    (["evolve", QUARTIC, "--evolve", "all,f", "--db", "{tmp}/r.db"],
     ["mlevolve evolve: error: --evolve all names every definition: it takes no other names",
      "hint: write all alone, or list the definitions to evolve"]),
    # an output whose name says another format (a fresh-user pass: `-o found.json` wrote a Python script there)
    (["export", QUARTIC, "-o", "{tmp}/q.json"],
     ["mlevolve export: error: {tmp}/q.json would hold a Python script, not a .json file",
      "hint: name it .py, e.g. -o found.py"]),
    (["export", QUARTIC, "--component", "f", "-o", "{tmp}/q.txt"],
     ["mlevolve export: error: {tmp}/q.txt would hold a Python script, not a .txt file",
      "hint: name it .py, e.g. -o found.py"]),
])
def test_a_flag_that_would_be_overwritten_or_ignored_is_refused(tmp_path: Path, capsys: Capsys, argv: list[str],
                                                                lines: list[str]) -> None:
    err = usage_error(capsys, *(a.replace("{tmp}", str(tmp_path)) for a in argv))
    assert err.splitlines() == [line.replace("{tmp}", str(tmp_path)) for line in lines]
    assert not (tmp_path / "r.db").exists() and not (tmp_path / "q.py").exists()


def test_a_learner_and_its_method_are_one_name_within_the_other() -> None:
    program = mlevolve.check(mlevolve.parse_file(LEARNER))
    learner = next(d.name for d in program.definitions)
    method = next(n for n in api.evolvable(program, ["all"]) if n.startswith(learner + "."))
    assert api.evolvable(program, [learner]) == api.evolvable(program, ["all"])
    with pytest.raises(SettingError, match=f"names '{method}' and '{learner}', one within the other"):
        api.evolvable(program, [learner, method])
    with pytest.raises(SettingError, match=f"names '{learner}' and '{method}', one within the other"):
        api.evolvable(program, [method, learner])  # the method first: it ran (a fresh-user pass)


def test_the_settings_of_the_chosen_algorithm_are_taken(tmp_path: Path, capsys: Capsys) -> None:
    from tests.conftest import cli

    code, _, err = cli(capsys, "evolve", QUARTIC, "--algorithm", "islands", "--islands", "2", "--population", "8",
                       "--budget", "6", "--db", str(tmp_path / "r.db"), "--quiet")
    assert code == 0, err
    assert mlevolve.sample("Scalar", 2, seed=5) == mlevolve.sample("Scalar", 2, seed=5)
    with pytest.raises(SettingError, match=r"seed must be at least 0 and below 2\*\*63, got -5"):
        mlevolve.sample("Scalar", 2, seed=-5)


def test_the_apis_evolve_names_lose_the_space_around_them() -> None:
    """``evolve=[' f ']`` is ``['f']``, as ``--evolve " f "`` is (the CLI strips each name it splits)."""
    program = mlevolve.check(mlevolve.parse_file(LEARNER))
    learner = next(d.name for d in program.definitions)
    assert api.evolvable(program, [f" {learner}\t"]) == api.evolvable(program, [learner])
