"""A meta run says where its inner runs' best fitness falls outside a task's ``[bounds]``: the AUC clips the
best-so-far curve to ``[lo, hi]``, so bounds that miss what the task's runs reach made every generator score
the same there, silently (a new user's ``moons2d = [-5, 0]`` for a VAE whose random programs score about
-20: every AUC 0, every paired gain +0.0000).  One warning per task and side, at the task's ``[bounds]``
entry, on the command line and in the Python API (:class:`~mlevolve.dsl.errors.ConfigWarning`); bounds
that cover the fitness (a formula's default [0, 1]) say nothing."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.dsl.errors import ConfigWarning
from mlevolve.meta.config import load_config
from mlevolve.meta.evolve import BoundsCheck
from tests.conftest import ROOT, Capsys, cli

HINT = ("hint: lo and hi are the worst and best fitness to tell generators apart by: set them to cover what the "
        "task's inner runs reach (other bounds are another run: pass another --db)")


def _config(tmp_path: Path, bounds: str) -> Path:
    """A learner meta run of one meta-generation whose tasks' fitness (minus an MSE) lies in about [-1, 0]."""
    config = tmp_path / "learner.toml"
    config.write_text(f'program = "{ROOT / "examples" / "linear_regression.mlev"}"\nevolve = ["linreg.learn"]\n'
                      '[split]\ntrain = ["linear", "affine"]\nvalidation = ["linear:dim=8"]\ntest = ["teacher"]\n'
                      '[inner]\nbudget = 6\npopulation = 3\ntournament = 2\ninit = "file"\n'
                      '[meta]\npopulation = 2\ngenerations = 1\ntasks = 2\nseeds = 1\nelitism = 1\n'
                      f'validation_seeds = 1\n[bounds]\n{bounds}')
    return config


def test_bounds_the_fitness_falls_outside_are_one_warning_per_task_and_side_at_the_entry(tmp_path: Path,
                                                                                          capsys: Capsys) -> None:
    config = _config(tmp_path, 'linear = [-2.0, -1.5]\naffine = [0.5, 1.0]\n"linear:dim=8" = [-2.0, 0.0]\n'
                               'teacher = [-3.0, 0.0]\n')
    code, _, err = cli(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"),
                       "--quiet")
    assert code == 0
    warned = [line for line in err.splitlines() if ": warning: " in line]
    lines = err.splitlines()
    assert sorted(w.split(": warning: ")[0] for w in warned) == [f"{config}:20:1", f"{config}:21:1"], err
    for w in warned:  # the entry's line, a caret under its key, the hint: as an error is shown
        key = w.split("[bounds] ")[1].split(" = ")[0]
        assert lines[lines.index(w) + 1].startswith(f"    {key} = [")
        assert lines[lines.index(w) + 2] == "    " + "^" * len(key)
        assert lines[lines.index(w) + 3] == HINT
    above = next(w for w in warned if "[bounds] linear " in w)
    below = next(w for w in warned if "[bounds] affine " in w)
    runs = r"every inner run on it \(\d+ so far\)|its one inner run"
    assert re.fullmatch(rf"{re.escape(str(config))}:20:1: warning: \[bounds\] linear = \[-2, -1\.5\], but the best "
                        rf"fitness of ({runs}) is above hi: past it a better generator scores no more "
                        r"\(best fitness \S+ to \S+\): the task tells generators apart by nothing", above), above
    assert re.fullmatch(rf"{re.escape(str(config))}:21:1: warning: \[bounds\] affine = \[0\.5, 1\], but the best "
                        rf"fitness of ({runs}) is below lo: their AUCs are 0 whatever the generator \(best fitness "
                        r"\S+ to \S+\): the task tells generators apart by nothing", below), below
    assert len(warned) == 2  # once per task, though later meta-generations' runs miss too


def test_bounds_that_cover_the_fitness_say_nothing_and_the_api_warns_as_the_command_does(tmp_path: Path) -> None:
    covered = _config(tmp_path, 'linear = [-2.0, 0.0]\naffine = [-3.0, 0.0]\n"linear:dim=8" = [-2.0, 0.0]\n'
                                'teacher = [-3.0, 0.0]\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        api.meta(covered, tmp_path / "ok.db", tmp_path / "ok.toml", quiet=True)
    missed = _config(tmp_path, 'linear = [-2.0, 0.0]\naffine = [-3.0, 0.0]\n"linear:dim=8" = [0.5, 1.0]\n'
                               'teacher = [-3.0, 0.0]\n')
    with pytest.warns(ConfigWarning, match=r"\[bounds\] linear:dim=8 = \[0.5, 1\], but .* below lo") as caught:
        api.meta(missed, tmp_path / "m.db", tmp_path / "m.toml", quiet=True)
    assert [w.message.error.span.line for w in caught if isinstance(w.message, ConfigWarning)] == [22]


@pytest.mark.parametrize("bests, said", [
    ([0.5], None), ([0.0, 1.0], None), ([-1.0], "below lo"), ([-1.0, -2.0], "below lo"), ([-1.0, 0.5], None),
    ([2.0, 3.0], "above hi"), ([2.0, 0.5], None), ([-1.0, 2.0], None), ([-math.inf], None), ([math.nan], None),
    ([-math.inf, -1.0], "below lo")])
def test_a_task_is_said_when_every_run_is_past_one_bound_and_once(bests: list[float], said: str | None) -> None:
    check = BoundsCheck("", {"t": (0.0, 1.0)})
    for best in bests:
        check.add("t", best)
    found = check.missed()
    assert [said in f.error.message for f in found] == ([True] if said else [])
    assert check.missed() == []  # once


def test_a_formula_tasks_default_bounds_are_not_checked(tmp_path: Path) -> None:
    """R^2 below 0 is no better than the mean: its floor by design, which small inner runs often stay under
    (the smoke configuration's nguyen5 in meta-generation 0), so only bounds a file writes are checked."""
    config = tmp_path / "q.toml"
    config.write_text(f'program = "{ROOT / "examples" / "quartic.mlev"}"\nevolve = ["f"]\n[split]\n'
                      'train = ["nguyen1", "nguyen5"]\nvalidation = ["nguyen2"]\ntest = ["nguyen4"]\n'
                      '[bounds]\nnguyen1 = [0.5, 1.0]\n')
    check = BoundsCheck.of(load_config(config))
    for task in ("nguyen1", "nguyen5", "nguyen2", "nguyen4"):
        check.add(task, -18.0)
    assert [e.error.message.split(" = ")[0] for e in check.missed()] == ["[bounds] nguyen1"]


def test_the_evidence_scripts_say_it_of_the_meta_test_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: Capsys) -> None:
    """``evidence.py``, ``operators.py`` and ``noise.py`` run the meta-test tasks, which the meta run never does:
    their shared ``run_jobs`` says the same of them."""
    from mlevolve.grammar.spec import load_grammar
    from tests.meta.test_meta_stats import _script

    evidence = _script("evidence")
    config = _config(tmp_path, 'linear = [-2.0, 0.0]\naffine = [-3.0, 0.0]\n"linear:dim=8" = [-2.0, 0.0]\n'
                               'teacher = [0.5, 1.0]\n')
    monkeypatch.setattr(evidence, "_job", lambda args: {"arm": args[0], "task": args[2], "seed": args[3],
                                                        "auc": 0.0, "best": -0.25 * args[3]})
    base = load_grammar().to_toml()
    jobs = [("base", base, "teacher", seed, str(config), {}) for seed in (1, 2)]
    def said() -> list[str]:  # but the progress lines, one per finished inner run
        return [line for line in capsys.readouterr().err.splitlines() if "inner runs finished" not in line]

    evidence.run_jobs(jobs, 1)
    assert said() == []  # without the configuration: as before
    evidence.run_jobs(jobs, 1, load_config(config))
    assert said() == [
        f"{config}:23:1: warning: [bounds] teacher = [0.5, 1], but the best fitness of every inner run on it "
        "(2 so far) is below lo: their AUCs are 0 whatever the generator (best fitness -0.5 to -0.25): the task tells "
        "generators apart by nothing", "    teacher = [0.5, 1.0]", "    ^^^^^^^", HINT]
