"""A learner search's defaults (issue 15, item 3): a search whose evolved kinds include a learner restarts its
regularized evolution every 20 x the population (:meth:`EvolveConfig.restarts`), and runs a synthetic family's
task that gives neither ``fresh=`` nor ``fitness=`` on ``fresh=1:fitness=relative``
(:func:`~mlevolve.interpreter.tasks.search_spec`); explicit settings always win.

The rules as properties, the values ``api.evolve`` and ``mlevolve evolve`` use and show (summary, ``--json``,
archive, export), the archive made by the same command before these defaults (refused with the flags that resume
it, then resumed with them), and what they leave alone: other kinds and algorithms, ``run`` and a meta level's
inner runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.errors import MlevError, SettingError
from mlevolve.gp.archive import Archive
from mlevolve.gp.engine import RESTART_POPULATIONS, EvolveConfig
from mlevolve.gp.search import ALGORITHMS
from mlevolve.interpreter.tasks import SEARCH_OPTIONS, canonical_spec, search_spec
from mlevolve.report.summary import lines as summary_lines
from tests.conftest import EXAMPLES, Capsys, archive_meta, cli, regression_csv, usage_error
from tests.gp.test_diversity import run_quartic

LINREG = EXAMPLES / "linear_regression.mlev"  # `task linear`; predict given, learn evolved (the README's showcase)
DRAWN = "linear:fresh=1:fitness=relative"
KINDS = ("formula", "learner", "model", "activation", "loss", "optimizer")


def learner_run(db: Path | None, **kw: Any) -> dict[str, Any]:
    """The README's showcase, ``linreg.learn`` from random programs, a few candidates."""
    return api.evolve(LINREG, ["linreg.learn"], db=db, **{"budget": 12, "init": "random", "quiet": True, **kw})


@settings(max_examples=60, deadline=None)
@given(every=st.none() | st.integers(0, 10**6), algorithm=st.sampled_from(list(ALGORITHMS)),
       population=st.integers(2, 10_000), kinds=st.sets(st.sampled_from(KINDS), max_size=3))
def test_restarts_default_to_twenty_populations_for_a_learner_search_by_regularized_evolution_only(
        every: int | None, algorithm: str, population: int, kinds: set[str]) -> None:
    got = EvolveConfig.restarts(every, algorithm, population, kinds)
    if every is not None:  # given (0: never) always wins
        assert got == every
    elif algorithm == "regularized" and "learner" in kinds:
        assert got == RESTART_POPULATIONS * population == 20 * population
    else:
        assert got == 0
    assert EvolveConfig().restart_every == 0  # a config built without it (a meta level's inner run) never restarts


@pytest.mark.parametrize(("spec", "searched"), [
    ("linear", DRAWN), ("affine", "affine:fresh=1:fitness=relative"), ("teacher", "teacher:fresh=1:fitness=relative"),
    ("linear:dim=3", "linear:dim=3:fresh=1:fitness=relative"), (" linear : n_tasks = 2e1 ",
                                                               "linear:n_tasks=20:fresh=1:fitness=relative"),
    # either option given keeps exactly what is given (at a default, the canonical name drops it)
    ("linear:fitness=mse", "linear"), ("linear:fresh=0", "linear"), ("linear:fresh=1", "linear:fresh=1"),
    ("linear:fitness=squashed", "linear:fitness=squashed"), ("affine:fresh=0:fitness=relative",
                                                            "affine:fitness=relative"),
    ("projected_digits", "projected_digits"),  # not a synthetic family: its one fitness is the MSE
    ("koza_quartic", "koza_quartic"), ("nguyen1:n_train=30", "nguyen1:n_train=30"),
])
def test_a_synthetic_familys_search_task_takes_fresh_tasks_and_the_relative_error_unless_either_is_given(
        spec: str, searched: str) -> None:
    assert search_spec(spec, None if spec.startswith(("koza", "nguyen")) else "learner") == searched
    assert dict(SEARCH_OPTIONS) == {"fresh": 1, "fitness": "relative"}
    assert canonical_spec(searched) == searched  # one name, as stored and shown


def test_a_user_data_file_for_a_learner_is_left_as_given(tmp_path: Path) -> None:
    data = regression_csv(tmp_path / "data.csv")
    assert search_spec(f"{data}:target=y") == canonical_spec(f"{data}:target=y", "learner")


def test_a_learner_search_runs_on_fresh_tasks_with_restarts_and_says_so_everywhere(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    result = learner_run(db, population=10)
    assert (result["task"], result["restart_every"], result["restarts"]) == (DRAWN, 200, 0)
    meta = archive_meta(db)
    assert (meta["task"], meta["restart_every"]) == (DRAWN, 200)  # the run's identity
    assert meta["summary"]["restart_every"] == 200
    assert summary_lines(result)[0].endswith("; 0 restarts (every 200)")
    text, _ = api.export_program(db)  # the task the search was scored on, as export writes it
    assert f'task "{DRAWN}"\n' in text
    same = learner_run(db, population=10)  # the same call resumes it
    assert same["replayed"] == 12 and same["best_hash"] == result["best_hash"]


@pytest.mark.parametrize(("given", "task", "every"), [
    ({}, DRAWN, 2000),  # the default population's 100
    ({"restart_every": 0}, DRAWN, 0), ({"restart_every": 300}, DRAWN, 300),
    ({"task": "linear:fitness=mse"}, "linear", 2000), ({"task": "linear:fresh=0", "restart_every": 0}, "linear", 0),
    ({"task": "linear:dim=2"}, "linear:dim=2:fresh=1:fitness=relative", 2000),
    ({"algorithm": "mu_plus_lambda"}, DRAWN, 0),  # other algorithms never restart; the task is the search's
])
def test_explicit_settings_win_over_a_learner_searchs_defaults(tmp_path: Path, given: dict[str, Any], task: str,
                                                               every: int) -> None:
    result = learner_run(tmp_path / "run.db", **given)
    assert (result["task"], result["restart_every"] or 0) == (task, every)
    meta = archive_meta(tmp_path / "run.db")
    assert (meta["task"], meta.get("restart_every", 0)) == (task, every)


def test_a_formula_search_keeps_its_task_and_never_restarts(tmp_path: Path) -> None:
    result = run_quartic(tmp_path / "q.db", budget=30)
    assert result["task"] == "koza_quartic" and result["restart_every"] is None and result["restarts"] is None
    assert "restart_every" not in archive_meta(tmp_path / "q.db")


def test_a_network_search_keeps_its_task_and_never_restarts(tmp_path: Path) -> None:
    result = api.evolve(EXAMPLES / "mlp_digits.mlev", ["act"], budget=2, db=tmp_path / "n.db", quiet=True)
    assert result["task"] == "digits" and result["restart_every"] is None and result["restarts"] is None
    assert "restart_every" not in archive_meta(tmp_path / "n.db")


def test_the_command_uses_and_shows_the_defaults(tmp_path: Path, capsys: Capsys) -> None:
    import json

    db = tmp_path / "run.db"
    code, out, _ = cli(capsys, "evolve", str(LINREG), "--evolve", "linreg.learn", "--init", "random", "--budget", "8",
                       "--db", str(db), "--json")
    assert code == 0
    shown = json.loads(out)
    assert (shown["task"], shown["restart_every"], shown["restarts"]) == (DRAWN, 2000, 0)
    assert f'task "{DRAWN}"\n' in shown["best_program"]
    with pytest.raises(SystemExit):
        main(["evolve", "--help"])
    out = capsys.readouterr().out
    assert "T:fresh=1:fitness=relative" in " ".join(out.split()) and "(default 20 x the population for a learner, " \
        "else 0)" in " ".join(out.split())


def test_run_is_untouched() -> None:
    assert api.run(LINREG, seed=1)["task"] == "linear"


def test_a_meta_levels_inner_runs_keep_their_configured_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """An inner run on ``linear`` scores its file's fixed tasks by their MSE and never restarts (docs/meta.md): the
    committed meta evidence was made so."""
    import mlevolve.gp.engine as engine_module
    from mlevolve.dsl.parse import parse
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.meta.config import InnerConfig
    from mlevolve.meta.evolve import inner_run

    seen: list[tuple[int, str, bool]] = []

    class Recording(engine_module.Engine):
        def __init__(self, *args: Any, **kw: Any) -> None:
            super().__init__(*args, **kw)
            seen.append((self.config.restart_every, self.evaluator.task_name, self.evaluator.fresh_tasks))

    monkeypatch.setattr(engine_module, "Engine", Recording)
    program = api.check(parse(LINREG.read_text()))
    inner_run(program, ["linreg.learn"], load_grammar(), "linear", 0, InnerConfig(budget=4, population=2), (-2.0, 0.0))
    assert seen == [(0, "linear", False)]


# -- an archive made by the same command before these defaults ------------------------------------------------------
def made_before(db: Path | None, **kw: Any) -> dict[str, Any]:
    """The run the showcase's command made before a learner search's defaults: what these flags give now."""
    return learner_run(db, task="linear:fresh=0", restart_every=0, **kw)


def test_an_archive_made_before_the_defaults_is_refused_with_the_flags_that_resume_it(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLEVOLVE_RUNS", "runs")
    monkeypatch.chdir(tmp_path)
    old = Path("runs/linear_regression-linear.db")
    old.parent.mkdir()
    made_before(old)  # at what was its default path (before the default path named the slots evolved)
    assert old.exists() and "restart_every" not in archive_meta(old) and archive_meta(old)["task"] == "linear"
    command = ("evolve", str(LINREG), "--evolve", "linreg.learn", "--init", "random", "--budget", "20", "--quiet")
    new = "runs/linear_regression-linear-fresh_1-fitness_relative-linreg.learn.db"  # named after the slot evolved
    err = usage_error(capsys, *command)  # the same command: its default path is another, where the old run is not
    assert err == (
        f"{old}: error: archive holds this run as made before a learner search's defaults (or with --task "
        "linear:fresh=0 --restart-every 0): the task 'linear' is now searched as 'linear:fresh=1:fitness=relative'; "
        "the population now restarts every 2,000 candidates\n"
        "hint: resume it as it was made with --task linear:fresh=0 --restart-every 0, or start a new run with "
        f"--db {new}\n")
    assert not Path(new).exists()
    err = usage_error(capsys, *command, "--db", str(old))  # named: the same, but for a new run's path
    assert err.endswith("hint: resume it as it was made with --task linear:fresh=0 --restart-every 0, or pass another "
                        "--db to start a new run\n")
    err = usage_error(capsys, *command, "--task", "linear:fresh=0")  # one default taken: only it is named
    assert err == (f"{old}: error: archive holds this run as made before a learner search's defaults (or with "
                   "--restart-every 0): the population now restarts every 2,000 candidates\nhint: resume it as it "
                   "was made with "
                   "--restart-every 0, or start a new run with --db runs/linear_regression-linear-linreg.learn.db\n")
    code, out, _ = cli(capsys, *command, "--task", "linear:fresh=0", "--restart-every", "0")  # as the hint says:
    # resumed where it was made, before the default path named the slots evolved
    with Archive.read(old) as archive:
        assert code == 0 and "20 candidates" in out and archive.count() == 20
    code, out, _ = cli(capsys, *command, "--db", new)  # or a new run, as the other hint says
    assert code == 0 and archive_meta(new)["task"] == DRAWN


def test_the_api_refuses_such_an_archive_as_a_setting_error(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    made_before(db)
    with pytest.raises(SettingError) as refused:
        learner_run(db)
    assert refused.value.hint == ("resume it as it was made with task linear:fresh=0 restart_every 0, or pass another "
                                  "db to start a new run")
    assert refused.value.file == str(db)
    with pytest.raises(MlevError, match="archive belongs to another run"):  # another run's archive: as before
        learner_run(db, task="affine")
    with pytest.raises(MlevError, match="archive belongs to another run") as refused:  # nor another population's
        learner_run(db, population=10)
    assert not isinstance(refused.value, SettingError)
