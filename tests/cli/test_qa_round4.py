"""Fixes of the fourth QA round: the one-program rule wherever a program file enters, mistyped
subcommands, ties within rounding noise, and smaller wording."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlevolve
from mlevolve import api
from mlevolve.dsl.errors import MlevError
from tests.conftest import ROOT, Capsys, usage_error

SMOKE = ROOT / "benchmarks" / "meta" / "smoke.toml"
TWO = ("algorithm two\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  x * x\n\n"
       "formula g(x: Scalar) -> Scalar =\n  x + x\n")
MIXED = ("algorithm fl\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n  x * x\n\n"
         "learner linreg(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
         "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w + 0.1 * (y - p) * x\n")
TWO_ERROR = ("two.mlev:7:9: error: a formula program holds exactly one definition, the formula f; it also defines "
             "formula g")
MIXED_ERROR = ("fl.mlev:7:9: error: a formula program holds exactly one definition, the formula f; it also defines "
               "learner linreg")


# ------------------------------------------------------------------------------ 1: one program per file
def test_the_api_check_applies_the_one_program_rule_and_names_the_file(tmp_path: Path) -> None:
    """check passed what run refused, and run's error said ``<input>`` for a program parse_file read."""
    two = tmp_path / "two.mlev"
    two.write_text(TWO)
    program = mlevolve.parse_file(two)
    for call in (lambda: mlevolve.check(program), lambda: mlevolve.run(program)):
        with pytest.raises(MlevError) as caught:
            call()
        assert caught.value.render().splitlines()[0] == f"{tmp_path}/{TWO_ERROR}"
    assert mlevolve.parse(TWO).file is None and program.file == str(two)  # parsed from text: no file to name
    with pytest.raises(MlevError) as caught:
        mlevolve.check(TWO)
    assert caught.value.render().startswith("<input>:7:9: error: a formula program holds exactly one definition")
    assert [d.name for d in mlevolve.check(program, whole=False).definitions] == ["f", "g"]  # a file of components


@pytest.mark.parametrize(("text", "error"), [(TWO, TWO_ERROR), (MIXED, MIXED_ERROR)])
def test_show_latex_refuses_a_file_of_two_programs(tmp_path: Path, capsys: Capsys, text: str, error: str) -> None:
    file = tmp_path / error.split(":")[0]
    file.write_text(text)
    for flag in ("--latex", "--sympy"):
        err = usage_error(capsys, "show", str(file), flag)
        assert err.splitlines()[0] == f"{tmp_path}/{error}"


@pytest.mark.parametrize(("text", "error"), [(TWO, TWO_ERROR), (MIXED, MIXED_ERROR)])
def test_meta_refuses_a_program_file_of_two_programs(tmp_path: Path, capsys: Capsys, text: str, error: str) -> None:
    file = tmp_path / error.split(":")[0]
    file.write_text(text)
    config = SMOKE.read_text().replace('"../../examples/quartic.mlev"', f'"{file.name}"')
    assert file.name in config
    (tmp_path / "m.toml").write_text(config)
    db = tmp_path / "m.db"
    err = usage_error(capsys, "meta", str(tmp_path / "m.toml"), "--db", str(db))
    assert err.splitlines()[0] == f"{tmp_path}/{error}"
    assert not db.exists()


def test_a_component_is_still_taken_out_of_a_file_of_several(tmp_path: Path) -> None:
    two = tmp_path / "two.mlev"
    two.write_text(TWO)
    assert api.export_component(two, "g") is not None


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
])
def test_a_mistyped_subcommand_is_named_before_the_options_meant_for_it(
        capsys: Capsys, argv: list[str], error: str, hint: str) -> None:
    """It said ``unrecognized arguments: --budget``: the options were checked against the wrong parser."""
    assert usage_error(capsys, *argv).splitlines() == [error, hint]


# ------------------------------------------------------------------------------ 5: smaller wording
def test_the_lazy_namespace_shows_the_api_and_modules_not_its_plumbing() -> None:
    import mlevolve.gp

    for package in (mlevolve, mlevolve.gp):
        names = set(dir(package))
        assert not names & {"TYPE_CHECKING", "importlib", "annotations", "submodules", "_HOMES", "_lazy"}
        assert {"__getattr__", "__dir__", "__doc__"} <= names
    assert {"check", "run", "GrammarSpec", "api", "gp", "__version__"} <= set(dir(mlevolve))
    assert {"backends", "engine", "archive"} <= set(dir(mlevolve.gp))


RL_TWO = ("algorithm r\ntask cartpole\n\npg_loss a(logp: Tensor, ret: Tensor, adv: Tensor, value: Tensor, "
          "entropy: Tensor) -> Tensor =\n  -(logp * adv)\n\npg_loss b(logp: Tensor, ret: Tensor, adv: Tensor, "
          "value: Tensor, entropy: Tensor) -> Tensor =\n  -(logp * ret)\n")
NET_TWO = ("algorithm n\ntask mnist\n\nloss l1(pred: Tensor, target: Tensor) -> Tensor =\n  square(pred - target)"
           "\n\nloss l2(pred: Tensor, target: Tensor) -> Tensor =\n  abs(pred - target)\n")


@pytest.mark.parametrize(("text", "lines"), [
    (RL_TWO, ["p.mlev:7:9: error: an RL program holds exactly one definition, the pg_loss a; it also defines "
              "pg_loss b"]),
    (NET_TWO, ["p.mlev:7:6: error: a program has at most one loss; l2 is a second, after l1",
               "hint: keep one loss and remove the others (each can be a program of its own, in a file of its own)"]),
])
def test_one_program_rule_wording(tmp_path: Path, capsys: Capsys, text: str, lines: list[str]) -> None:
    """"a rl program" read wrong, and renaming a second loss (the old hint) does not make it legal."""
    (tmp_path / "p.mlev").write_text(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        err = usage_error(capsys, "check", "p.mlev").splitlines()
    assert err[0] == lines[0]
    if len(lines) > 1:
        assert err[-1] == lines[1]


def test_a_meta_archive_is_named_as_such_where_a_task_is_needed() -> None:
    """It said "option 'nguyen1,nguyen5' has no value in task spec 'meta:nguyen1,nguyen5'"."""
    with pytest.raises(MlevError) as caught:
        api._archived_task({"kind": "meta", "task": "meta:nguyen1,nguyen5"}, "m.db")
    assert caught.value.render().splitlines() == [
        "m.db: error: a meta archive (of `mlevolve meta`): its programs were scored on the tasks nguyen1,nguyen5, "
        "not on one task",
        "hint: `mlevolve export --db m.db --best --task nguyen1 -o best.py` exports its best for one task; the meta "
        "run's answer is its grammar file (`mlevolve evolve FILE --grammar GRAMMAR.toml`)"]
