"""A mistyped name is answered with the closest one (did you mean ...?): a subcommand, an option, a choice,
a task, a task option (from the command and from an exported script alike), a configuration or grammar key, a
type or a slot; a name close to none keeps the plain hint.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.script import ArgumentParser, BooleanOnce
from tests.conftest import ROOT, Capsys, cli, run_child, usage_error

_FORMULA = "formula f(x: Scalar) -> Scalar =\n  x * x\n"

_LEARNER = ("learner lr(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
            "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.01 * (y - p) * x\n")

E = 'version = 1\nextends = "base"\n'


@pytest.mark.parametrize(("argv", "hint"), [
    (["--init", "rnadom"], "hint: did you mean 'random'? run `mlevolve evolve --help`"),
    (["--algorithm", "regularised"], "hint: did you mean 'regularized'? run `mlevolve evolve --help`"),
    (["--algorithm", "zzz"], "hint: --algorithm is one of: regularized, mu_plus_lambda, nsga2, random, islands, "
     "map-elites; run `mlevolve evolve --help`"),  # none close: the choices (the flag's help is past a line: err91)
])
def test_a_mistyped_choice_names_the_closest_one(capsys: Capsys, argv: list[str], hint: str) -> None:
    code, _, err = cli(capsys, "evolve", "p.mlev", *argv)
    assert code == 2 and err.splitlines()[1] == hint


def test_a_mistyped_task_option_names_the_closest_task(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "p.mlev").write_text("algorithm q\nformula f(x: Scalar) -> Scalar = x\n")
    code, _, err = cli(capsys, "run", str(tmp_path / "p.mlev"), "--task", "koza_quartc")
    assert code == 2 and err.splitlines()[1].startswith("hint: did you mean 'koza_quartic'? known tasks: digits,")


@pytest.mark.parametrize(("old", "new", "first", "hint"), [
    ("[split]", "[splits]", "c.toml:13:2: error: unknown entry 'splits'",
     "hint: did you mean 'split'? entries: bounds, evolve, inner, meta, program, split"),
    ("tournament = 3", "tournamnet = 3", "c.toml:21:1: error: [inner] has no setting 'tournamnet'",
     "hint: did you mean 'tournament'? settings: "),
    ("test = [", "tset = [", "c.toml:16:1: error: [split] has no part 'tset'",
     "hint: did you mean 'test'? parts: train, validation, test"),
])
def test_a_mistyped_configuration_key_names_the_closest_one(capsys: Capsys, tmp_path: Path, old: str, new: str,
                                                            first: str, hint: str) -> None:

    text = (ROOT / "benchmarks/meta/activations.toml").read_text()
    assert old in text
    (tmp_path / "c.toml").write_text(text.replace(old, new))
    (tmp_path / "activation.mlev").write_text((ROOT / "benchmarks/meta/activation.mlev").read_text())
    code, _, err = cli(capsys, "meta", str(tmp_path / "c.toml"))
    lines = err.replace(str(tmp_path) + "/", "").splitlines()
    assert code == 2 and lines[0] == first and lines[-1].startswith(hint)


def test_a_mistyped_type_or_slot_names_the_closest_one(capsys: Capsys, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "grammar", "show", "--type", "Scalr")
    assert code == 2 and err.splitlines()[1].startswith("hint: did you mean 'Scalar'? types: Scalar, ")
    (tmp_path / "p.mlev").write_text("algorithm q\ntask nguyen1\nformula quartic(x: Scalar) -> Scalar = x\n")
    code, _, err = cli(capsys, "evolve", str(tmp_path / "p.mlev"), "--evolve", "quartc")
    assert code == 2 and err.splitlines()[-1] == "hint: did you mean 'quartic'? definitions: quartic, or all"


@pytest.mark.parametrize(("argv", "error", "hint"), [
    (["--task", "data.csv:targt=y"], "unknown option 'targt' for task 'data.csv', a data file for a formula",
     "did you mean 'target'? options of a data file for a formula: target, problem, n_train, weight"),
    (["--task", "koza_quartic:n_trian=5"], "unknown option 'n_trian' for task 'koza_quartic', a formula task",
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
    (["--task", "linear:n_tsks=3"], "unknown option 'n_tsks' for task 'linear', a learner family",
     "did you mean 'n_tasks'? options of a learner family: n_tasks, dim, n_train, n_val, fresh, fitness"),
    (["--task", "linear:fitness=msee"], "option fitness=msee of task 'linear', a learner family, must be mse or "
     "squashed or relative", "did you mean 'mse'? write e.g. linear:fitness=mse"),
    (["--task", "lnear"], "unknown task 'lnear'",
     "did you mean 'linear'? its tasks: affine, linear, teacher; another: mlevolve export --task TASK"),
])
def test_an_exported_script_names_the_closest_option_as_mlevolve_does(tmp_path: Path, capsys: Capsys,
                                                                       argv: list[str], error: str, hint: str) -> None:
    import sys

    from tests.conftest import environment

    (tmp_path / "l.mlev").write_text(f"algorithm q\ntask linear\n{_LEARNER}")
    assert cli(capsys, "export", str(tmp_path / "l.mlev"), "-o", str(tmp_path / "l.py"))[0] == 0
    done = run_child([sys.executable, "l.py", *argv], capture_output=True, text=True, cwd=tmp_path,
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


@pytest.mark.parametrize(("argv", "prog", "meant"), [
    (["show", "x.db", "--bset"], "mlevolve show", "--best"),
    (["evolve", "f.mlev", "--bugdet", "3"], "mlevolve evolve", "--budget"),
    (["--verison"], "mlevolve", "--version"),
    (["meta", "c.toml", "--quite"], "mlevolve meta", "--quiet"),
    (["export", "f.mlev", "--compnent=x"], "mlevolve export", "--component")])
def test_a_mistyped_option_names_the_closest_one(capsys: Capsys, argv: list[str], prog: str, meant: str) -> None:
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert err.splitlines()[1] == f"hint: did you mean '{meant}'? run `{prog} --help`"


def test_an_option_close_to_none_keeps_the_plain_hint(capsys: Capsys) -> None:
    code, _, err = cli(capsys, "show", "x.db", "--zzzzzz")
    assert code == 2 and err.splitlines()[1] == "hint: run `mlevolve show --help`"


def test_a_script_parser_names_the_closest_option(capsys: Capsys) -> None:
    parser = ArgumentParser(prog="bench.py")
    parser.add_argument("--repeats", type=int)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--repaets", "3"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == ["bench.py: error: unrecognized arguments: --repaets",
                                                    "hint: did you mean '--repeats'? run `bench.py --help`"]


def test_a_script_parser_takes_no_abbreviation(capsys: Capsys) -> None:
    """A benchmark's parser as the command's: ``--rep 3`` is no ``--repeats 3`` (argparse's abbreviations are off),
    answered with the option it begins."""
    parser = ArgumentParser(prog="bench.py")
    parser.add_argument("--repeats", type=int)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--rep", "3"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == ["bench.py: error: unrecognized arguments: --rep",
                                                    "hint: did you mean '--repeats'? run `bench.py --help`"]


@pytest.mark.parametrize(("argv", "flag"), [
    (["--repeats", "3", "--repeats", "4"], "--repeats"),
    (["--quiet", "--quiet"], "--quiet"),
    (["--fit", "--no-fit"], "--fit/--no-fit"),
])
def test_a_script_parser_refuses_a_setting_given_twice_as_mlevolve_does(capsys: Capsys, argv: list[str],
                                                                        flag: str) -> None:
    """A benchmark script kept the last of two values silently where ``mlevolve`` refuses the second."""
    parser = ArgumentParser(prog="bench.py")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--fit", action=BooleanOnce, default=True)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(argv)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == [f"bench.py: error: argument {flag}: given twice; give it once",
                                                    "hint: run `bench.py --help`"]
    assert vars(parser.parse_args(["--repeats", "3", "--no-fit"])) == {"repeats": 3, "quiet": False, "fit": False}


# ------------------------------------------------------------------------------ 4: a mistyped subcommand
@pytest.mark.parametrize(("argv", "error", "hint"), [
    (["evolv", "x.mlev", "--budget", "5"], "mlevolve: error: invalid choice 'evolv': the commands are check, fmt, "
     "grammar, sample, tasks, run, export, evolve, meta, best, show, report", "hint: did you mean 'evolve'? run "
     "`mlevolve --help`"),
    (["grammar", "shwo", "--type", "Scalar"], "mlevolve grammar: error: invalid choice 'shwo': the commands are show, "
     "diff, lark", "hint: did you mean 'show'? run `mlevolve grammar --help`"),
    (["xyzzy", "--budget", "5"], "mlevolve: error: invalid choice 'xyzzy': the commands are check, fmt, grammar, "
     "sample, tasks, run, export, evolve, meta, best, show, report", "hint: run `mlevolve --help`"),
    (["--bogus", "evolve"], "mlevolve: error: unrecognized arguments: --bogus", "hint: run `mlevolve --help`"),
    # another command's option: said only "unrecognized arguments: -o" (a fresh-user pass: `evolve ... -o td.db`)
    (["evolve", "x.mlev", "-o", "td.db"], "mlevolve evolve: error: unrecognized arguments: -o",
     "hint: did you mean --db? mlevolve evolve writes to --db; run `mlevolve evolve --help`"),
    # an output's other names: `--out` was answered "did you mean '--timeout'?", the closest spelling
    (["evolve", "x.mlev", "--out", "td.db"], "mlevolve evolve: error: unrecognized arguments: --out",
     "hint: did you mean --db? mlevolve evolve writes to --db; run `mlevolve evolve --help`"),
    (["evolve", "x.mlev", "--output=td.db"], "mlevolve evolve: error: unrecognized arguments: --output=td.db",
     "hint: did you mean --db? mlevolve evolve writes to --db; run `mlevolve evolve --help`"),
    (["export", "x.mlev", "--archive", "r.db", "-o", "x.py"], "mlevolve export: error: unrecognized arguments: "
     "--archive", "hint: did you mean -o? mlevolve export writes to -o; run `mlevolve export --help`"),
    # other tools' names for a setting (a fresh-user pass: `--generations 5` was answered "run --help" alone)
    (["evolve", "x.mlev", "--generations", "5"], "mlevolve evolve: error: unrecognized arguments: --generations",
     "hint: did you mean --budget? mlevolve evolve runs for --budget N candidates (a population times its "
     "generations); run `mlevolve evolve --help`"),
    (["evolve", "x.mlev", "--n-jobs", "2"], "mlevolve evolve: error: unrecognized arguments: --n-jobs",
     "hint: did you mean --workers? mlevolve evolve runs in parallel with --workers N processes; run `mlevolve "
     "evolve --help`"),
    (["run", "x.mlev", "--random-state", "3"], "mlevolve run: error: unrecognized arguments: --random-state",
     "hint: did you mean --seed? mlevolve run is seeded by --seed; run `mlevolve run --help`"),
    # a Python keyword's spelling of another tool's name (gplearn's, scikit-learn's): said "run --help" alone
    (["run", "x.mlev", "--random_state", "3"], "mlevolve run: error: unrecognized arguments: --random_state",
     "hint: did you mean --seed? mlevolve run is seeded by --seed; run `mlevolve run --help`"),
    (["evolve", "x.mlev", "--n_jobs", "2"], "mlevolve evolve: error: unrecognized arguments: --n_jobs",
     "hint: did you mean --workers? mlevolve evolve runs in parallel with --workers N processes; run `mlevolve "
     "evolve --help`"),
    (["evolve", "x.mlev", "--niterations", "5"], "mlevolve evolve: error: unrecognized arguments: --niterations",
     "hint: did you mean --budget? mlevolve evolve runs for --budget N candidates (a population times its "
     "generations); run `mlevolve evolve --help`"),
    (["evolve", "x.mlev", "--tournament_size", "3"], "mlevolve evolve: error: unrecognized arguments: "
     "--tournament_size", "hint: did you mean --tournament? mlevolve evolve sets its tournament's size by "
     "--tournament; run `mlevolve evolve --help`"),
    # a run's clock in other tools' words (PySR's, Operon's, TPOT's): the whole search's --max-time, not --timeout
    (["evolve", "x.mlev", "--time", "60"], "mlevolve evolve: error: unrecognized arguments: --time",
     "hint: did you mean --max-time? mlevolve evolve limits the whole search's wall-clock seconds by --max-time "
     "(--timeout S limits each candidate's; the same command resumes a run stopped at either); run `mlevolve evolve "
     "--help`"),
    (["evolve", "x.mlev", "--timeout_in_seconds=60"], "mlevolve evolve: error: unrecognized arguments: "
     "--timeout_in_seconds=60", "hint: did you mean --max-time? mlevolve evolve limits the whole search's wall-clock "
     "seconds by --max-time (--timeout S limits each candidate's; the same command resumes a run stopped at either); "
     "run `mlevolve evolve --help`"),
    # a prefix is no option (argparse's abbreviations are off, as in an exported script): the options it begins
    (["evolve", "x.mlev", "--pop", "5"], "mlevolve evolve: error: unrecognized arguments: --pop",
     "hint: did you mean '--population'? run `mlevolve evolve --help`"),
    (["evolve", "x.mlev", "--mig", "5"], "mlevolve evolve: error: unrecognized arguments: --mig",
     "hint: did you mean '--migration-interval' or '--migrants'? run `mlevolve evolve --help`"),
    (["best", "x.db", "--fr"], "mlevolve best: error: unrecognized arguments: --fr",
     "hint: did you mean '--front'? run `mlevolve best --help`"),
    (["--vers"], "mlevolve: error: unrecognized arguments: --vers", "hint: did you mean '--version'? run `mlevolve "
     "--help`"),
    (["meta", "c.toml", "--pop_size=3"], "mlevolve meta: error: unrecognized arguments: --pop_size=3",
     "hint: mlevolve meta reads population from CONFIG, under [inner] or [meta]; run `mlevolve meta --help`"),
    (["meta", "c.toml", "--train", "nguyen1"], "mlevolve meta: error: unrecognized arguments: --train",
     "hint: mlevolve meta reads train from CONFIG, under [split]; run `mlevolve meta --help`"),
    (["meta", "c.toml", "--pop-size=3"], "mlevolve meta: error: unrecognized arguments: --pop-size=3",
     "hint: mlevolve meta reads population from CONFIG, under [inner] or [meta]; run `mlevolve meta --help`"),
    (["meta", "c.toml", "--generations", "3"], "mlevolve meta: error: unrecognized arguments: --generations",
     "hint: mlevolve meta reads generations from CONFIG, under [meta]; run `mlevolve meta --help`"),  # its own
    # another command's option word for word says more than a spelling close to one's own ("did you mean '--best'?")
    (["export", "r.db", "--budget=5", "-o", "x.py"], "mlevolve export: error: unrecognized arguments: --budget=5",
     "hint: '--budget' is an option of evolve, not of export; run `mlevolve export --help`"),
    # a setting of meta's inner runs or its own GP is the configuration's: said "an option of evolve, not of meta"
    (["meta", "c.toml", "--budget", "5"], "mlevolve meta: error: unrecognized arguments: --budget",
     "hint: mlevolve meta reads budget from CONFIG, under [inner]; run `mlevolve meta --help`"),
    (["meta", "c.toml", "--population", "5"], "mlevolve meta: error: unrecognized arguments: --population",
     "hint: mlevolve meta reads population from CONFIG, under [inner] or [meta]; run `mlevolve meta --help`"),
    (["meta", "c.toml", "--evolve", "f"], "mlevolve meta: error: unrecognized arguments: --evolve",
     "hint: mlevolve meta reads evolve from CONFIG, at its top level; run `mlevolve meta --help`"),
    # meta has no time limit: why, and how to stop and go on (fix63: it said only whose option it is)
    (["meta", "c.toml", "--max-time", "60"], "mlevolve meta: error: unrecognized arguments: --max-time",
     "hint: '--max-time' is an option of evolve, not of meta: a meta-fitness is measured at a fixed inner budget, "
     "which a clock would make depend on the machine; a meta run resumes, so stop it with Ctrl-C and run the same "
     "command to go on; run `mlevolve meta --help`"),
    (["run", "x.mlev", "-o", "r.json"], "mlevolve run: error: unrecognized arguments: -o",  # run writes no file
     "hint: '-o' is an option of export, meta and report, not of run; run `mlevolve run --help`"),
    (["run", "x.mlev", "--budget", "5"], "mlevolve run: error: unrecognized arguments: --budget",
     "hint: '--budget' is an option of evolve, not of run; run `mlevolve run --help`"),
    (["--budget", "5", "evolve"], "mlevolve: error: unrecognized arguments: --budget",
     "hint: '--budget' is an option of evolve: give it after the command; run `mlevolve --help`"),
    (["best", "--db", "x.db"], "mlevolve best: error: unrecognized arguments: --db",  # its own argument, as a flag
     "hint: mlevolve best takes it as its argument DB, without the flag; run `mlevolve best --help`"),
    # a grammar action's own options are named too: it said "an option of sample" alone (a fresh-user pass)
    (["grammar", "lark", "--type", "Scalar"], "mlevolve grammar lark: error: unrecognized arguments: --type",
     "hint: '--type' is an option of grammar show and sample, not of grammar lark; run `mlevolve grammar lark --help`"),
    (["--type", "Scalar", "grammar", "show"], "mlevolve: error: unrecognized arguments: --type",
     "hint: '--type' is an option of grammar show and sample: give it after the command; run `mlevolve --help`"),
    (["grammar", "show", "--grammar", "g.toml"], "mlevolve grammar show: error: unrecognized arguments: --grammar",
     "hint: mlevolve grammar show takes it as its argument GRAMMAR, without the flag; run `mlevolve grammar show "
     "--help`"),
])
def test_a_mistyped_subcommand_is_named_before_the_options_meant_for_it(
        capsys: Capsys, argv: list[str], error: str, hint: str) -> None:
    """It said ``unrecognized arguments: --budget``: the options were checked against the wrong parser."""
    assert usage_error(capsys, *argv).splitlines() == [error, hint]
