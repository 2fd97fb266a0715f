"""What users of ``mlevolve meta`` met after stop 67 (meta68): the ``evolve`` command a meta run suggests searches as
its inner runs did, for every kind the meta level evolves (a learner's suggested command searched with ``evolve``'s
learner defaults: tasks drawn afresh, restarts, fitting on); the summary says the seconds numba spent compiling the
kernels, its workers' too, as ``evolve``'s does, and the API stays silent."""

from __future__ import annotations

import functools
import re
import shlex
from concurrent.futures import Executor
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from mlevolve.api.checks import algorithm_reads
from mlevolve.gp.engine import EvolveConfig
from tests.conftest import ROOT, Capsys, archive_meta, cli

LEARNER_TASKS = {"train": ["linear:dim=2:n_tasks=2:n_train=20:n_val=20", "affine:dim=3:n_tasks=2:n_train=20:n_val=20"],
                 "validation": ["affine:dim=2:n_tasks=2:n_train=20:n_val=20"],
                 "test": ["linear:dim=4:n_tasks=2:n_train=20:n_val=20"]}
NET_TASKS = {"train": ["moons", "circles"], "validation": ["wine"], "test": ["iris"]}
# kind: (program, evolve, split, [inner] beyond budget, population, tournament, whether it needs [bounds]); the
# networks' inner runs train [inner]'s default 1 epoch, written nowhere (evolve's default is 10)
KINDS = {
    "formula": (ROOT / "examples" / "quartic.mlev", "f",
                {"train": ["nguyen1", "nguyen3"], "validation": ["nguyen2"], "test": ["nguyen4"]}, "", False),
    "learner": (ROOT / "examples" / "linear_regression.mlev", "linreg.learn", LEARNER_TASKS, "", True),
    "update rule": (ROOT / "benchmarks" / "meta" / "update_rule.mlev", "step", NET_TASKS, "", True),
    "activation": (ROOT / "benchmarks" / "meta" / "activation.mlev", "act", NET_TASKS, 'algorithm = "nsga2"\n', True),
}


def _config(folder: Path, kind: str, budget: int = 4) -> Path:
    """A meta configuration of ``kind`` of a few seconds in ``folder``: tiny inner runs and one meta-generation."""
    program, evolve, split, inner, bounded = KINDS[kind]
    tasks = [t for part in ("train", "validation", "test") for t in split[part]]
    bounds = "".join(f'"{t}" = [{-9.0 if kind == "learner" else 0.0}, {0.0 if kind == "learner" else 1.0}]\n'
                     for t in tasks) if bounded else ""
    path = folder / f"{kind.replace(' ', '_')}.toml"
    path.write_text(f'program = "{program}"\nevolve = ["{evolve}"]\n\n[split]\n'
                    + "".join(f"{part} = {split[part]!r}\n".replace("'", '"') for part in split)
                    + f"\n[inner]\nbudget = {budget}\npopulation = 2\n{'' if 'nsga2' in inner else 'tournament = 2'}\n"
                    f"elites = 2\n{inner}\n"
                    "[meta]\npopulation = 2\ngenerations = 1\ntasks = 2\nseeds = 1\nelitism = 1\n"
                    "validation_seeds = 1\n" + (f"\n[bounds]\n{bounds}" if bounds else ""))
    return path


def _next(out: str) -> list[str]:
    """The commands a summary's ``next:`` block lists."""
    lines = out.splitlines()
    return [line.strip() for line in lines[lines.index("next:") + 1:] if line.startswith("    ")]


def _inner_identity(config: Path) -> dict[str, Any]:
    """What identifies an inner run of ``config`` (as an ``evolve`` archive's identity holds it), its seed aside."""
    from mlevolve import api
    from mlevolve.api.checks import _unread
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.interpreter.factory import evolving_kinds
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.tasks import canonical_spec
    from mlevolve.meta.config import load_config

    cfg = load_config(config)
    program = api.programs._program(cfg.program, load_grammar())
    kinds, inner = evolving_kinds(program, cfg.evolve), cfg.inner
    ran = EvolveConfig(algorithm=inner.algorithm, budget=inner.budget, population=inner.population,  # as inner_run
                       tournament=inner.tournament, init=inner.init, fit=EvolveConfig.fitting(inner.fit, kinds))
    want = {**ran.identity(), "task": canonical_spec(cfg.test[0], regime_of(program).name)}
    if _unread("epochs", regime_of(program)) is None:  # trained for epochs: the inner runs' (else not read)
        want["epochs"] = cfg.inner.epochs
    del want["seed"]
    return want


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_suggested_evolve_searches_as_the_inner_runs_did_for_every_kind(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """The printed ``evolve`` runs as printed, and its archive is the search an inner run made: the same algorithm,
    budget, population, tournament, init, fitting, restarts, epochs and task (identity equal, the seed aside).  A
    learner's command searched fresh tasks with restarts and fitting, ``evolve``'s learner defaults, where the
    inner runs search fixed tasks without either; a network's trained ``evolve``'s 10 epochs where the inner runs'
    configuration wrote none (the condition was ``epochs`` written)."""
    monkeypatch.chdir(tmp_path)
    config = _config(tmp_path, kind)
    code, out, err = cli(capsys, "meta", str(config), "--db", "m.db", "-o", "g.toml")
    assert code == 0, err
    evolve = _next(out)[1]
    argv = shlex.split(evolve)
    assert argv[:2] == ["mlevolve", "evolve"]
    code, said, err = cli(capsys, *argv[1:], "--db", "e.db", "--quiet")
    assert code == 0, (evolve, said, err)
    stored = archive_meta(tmp_path / "e.db")
    want = _inner_identity(config)
    keys = {k for k in set(want) | {f.name for f in fields(EvolveConfig)} if k in want or k in stored} - {
        "seed", "budget", "prune", "max_time", "diversity"}
    keys = {k for k in keys if k not in {f.name for f in fields(EvolveConfig)} or algorithm_reads(want["algorithm"], k)}
    # (a setting the algorithm does not read, nsga2's tournament, is in the identity at any value: evolve refuses it)
    assert {k: stored.get(k) for k in keys} == {k: want.get(k) for k in keys}, evolve  # one left out: in neither


def test_every_inner_setting_an_evolve_run_holds_off_its_default_has_a_flag() -> None:
    """An inner run's config differs from what ``evolve`` uses without flags only in settings the suggested command
    can give (:data:`~mlevolve.api.metarun.INNER_FLAGS`): a new inner setting passed to the engine fails here until
    ``meta_next`` carries it."""
    from mlevolve.api.metarun import INNER_FLAGS
    from mlevolve.meta.config import InnerConfig
    from mlevolve.meta.evolve import inner_config

    odd = InnerConfig(budget=7, population=3, tournament=2, algorithm="mu_plus_lambda", init="file", epochs=3,
                      fit=True)
    for kinds in ({"formula"}, {"learner"}, {"optimizer"}, {"activation"}):
        ran, default = inner_config(odd, kinds, seed=5), EvolveConfig(seed=5)
        apart = {f.name for f in fields(EvolveConfig) if getattr(ran, f.name) != getattr(default, f.name)}
        assert apart <= set(INNER_FLAGS), (kinds, apart - set(INNER_FLAGS))


class _Workers(Executor):
    """A pool whose workers answered: each job's inner result with the worker that ran it and its compile seconds."""

    def __init__(self, answers: list[tuple[str, float]]) -> None:
        self.answers = answers

    def map(self, fn: Any, *jobs: Any, **_: Any) -> Any:  # type: ignore[override]
        return [("result", worker, seconds) for (worker, seconds), _ in zip(self.answers, jobs[0], strict=True)]


def test_a_meta_run_counts_its_workers_compiles_the_longest_worker_s_sum(tmp_path: Path) -> None:
    """Workers compile side by side: the wall the user waits is the most any one worker spent (the sum of its own
    inner runs' compiles), as an evolve run's pool counts it; in process, none (this process's own are measured
    around the command)."""
    from mlevolve.meta.evolve import MetaRun

    run = MetaRun.__new__(MetaRun)
    run.compiled_in = {}
    assert run.worker_compiles == 0.0
    run.pool = _Workers([("a:1", 20.0), ("b:2", 25.0), ("a:1", 8.0), ("b:2", 0.0)])
    run.program, run.names, run.config = None, [], type("C", (), {"inner": None, "bounds": {"t": (0, 1)}})()
    jobs = [(type("S", (), {"digest": "d", "to_toml": lambda self: ""})(), "t", 0)] * 4
    import mlevolve.meta.evolve as evolve

    original = (evolve.format_program, evolve.asdict)
    evolve.format_program, evolve.asdict = (lambda p: ""), (lambda c: {})  # type: ignore[assignment]
    try:
        assert run._run(jobs) == ["result"] * 4  # type: ignore[arg-type, comparison-overlap]
    finally:
        evolve.format_program, evolve.asdict = original  # type: ignore[assignment]
    assert run.worker_compiles == 28.0  # a's 20 + 8, beside b's 25


def test_the_meta_summary_says_the_compile_seconds_of_this_process_and_its_workers(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """``mlevolve meta`` says what numba compiled while it ran, on the line ``evolve``'s summary gives it (stop 67
    counted the workers'; meta said nothing of a cold cache's 40 s); the API returns the workers' seconds and says
    nothing; nothing compiled (a warm cache): no line."""
    import mlevolve.cli as command
    from mlevolve import api

    clock = iter([1.0, 4.5])  # this process's compile seconds before and after the run: 3.5 s here
    monkeypatch.setattr(command, "compile_seconds", lambda: next(clock))
    real = api.meta

    @functools.wraps(real)  # (the command's flags read its signature)
    def meta(*args: Any, **kw: Any) -> dict[str, Any]:
        return {**real(*args, **kw), "worker_compile_seconds": 10.0}  # and the longest worker's 10 s beside them

    monkeypatch.setattr(api, "meta", meta)
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "meta", str(_config(tmp_path, "formula")), "--db", "m.db", "-o", "g.toml")
    assert code == 0, err
    lines = out.splitlines()
    said = [line for line in lines if "compil" in line]
    assert said == ["compiling kernels 13.5 s (numba, once per install: cached for later runs)"], out
    at = lines.index(said[0])  # after the inner runs' line, before the line on the suggested evolve's seed (misc69)
    assert at == lines.index("next:") - 3 and lines[at - 1].startswith("inner runs") and "seed 0" in lines[at + 1]
    result = real(_config(tmp_path, "formula"), tmp_path / "n.db", tmp_path / "n.toml")
    assert result["worker_compile_seconds"] == 0.0  # in process: this process's own, measured around it
    assert "compil" not in "".join(capsys.readouterr())
    clock = iter([2.0, 2.0])  # nothing compiled here, nor in a worker: no line
    monkeypatch.setattr(api, "meta", real)
    code, out, _ = cli(capsys, "meta", str(_config(tmp_path, "formula")), "--db", "w.db", "-o", "w.toml")
    assert code == 0 and not re.search("compil", out), out
