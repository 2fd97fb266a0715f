"""Reinforcement-learning and generative-modelling components: the objective kinds and their
checking, the control and density tasks (the 2-D toys and the 64-D ``digits_density``), the
baselines in examples/ reaching a stated return or NLL within the default budget (and beating a
standard normal on the digits, exported ≡ run there too), FEC probes of the objectives,
diverging objectives recorded as failures, and short evolution runs on the chain MDP and on moons
through ``mlevolve.api.evolve``.
(Export ≡ run for the new examples is tests/interpreter/test_export.py's parametrisation over examples/.)"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import mlevolve
from mlevolve import cli
from mlevolve.dsl.errors import MlevError
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.evaluate import Settings
from mlevolve.interpreter.evaluator import ProgramEvaluator
from mlevolve.interpreter.regimes import regime_of
from mlevolve.interpreter.tasks import CHAIN_TRAP_REWARD, ChainMDP, Control, Density, list_tasks, load_task
from tests.conftest import EXAMPLES, ROOT, run_child

SPEC = load_grammar()

PG = "pg_loss {name}(logp: Tensor, ret: Tensor, adv: Tensor, value: Tensor, entropy: Tensor) -> Tensor =\n  {body}\n"
TD = "td_loss {name}(q: Tensor, target: Tensor, reward: Tensor, discount: Tensor) -> Tensor =\n  {body}\n"
VAE = "vae_loss {name}(x: Tensor, recon: Tensor, mu: Tensor, logvar: Tensor) -> Tensor =\n  {body}\n"
FLOW = "flow_loss {name}(z: Tensor, logdet: Tensor) -> Tensor =\n  {body}\n"
DIVERGING_FLOW = FLOW.format(name="up", body="-exp(square(z))")  # pushes z, hence the loss, without bound


def program(source: str, task: str = "") -> mlevolve.Program:
    return mlevolve.check(f"algorithm t\n{f'task {task}' if task else ''}\n" + source)


# ---------------------------------------------------------------------------------------- the kinds
@pytest.mark.parametrize(("source", "regime"), [
    (PG.format(name="l", body="-(logp * adv)"), "rl"),
    (TD.format(name="l", body="square(q - reward)"), "rl"),
    (VAE.format(name="l", body="square(x - recon)"), "generative"),
    (FLOW.format(name="l", body="-logdet"), "generative"),
])
def test_objective_kinds_check_and_make_their_regime(source: str, regime: str) -> None:
    assert regime_of(program(source)).name == regime


@pytest.mark.parametrize("source", [
    "pg_loss l(logp: Tensor, ret: Tensor) -> Tensor =\n  logp\n",
    "td_loss l(q: Tensor, target: Tensor, reward: Tensor, discount: Scalar) -> Tensor =\n  q\n",
    "flow_loss l(z: Tensor, logdet: Tensor) -> Scalar =\n  1.0\n",
    "vae_loss l(x: Vector, recon: Tensor, mu: Tensor, logvar: Tensor) -> Tensor =\n  recon\n",
])
def test_objective_signatures_are_enforced(source: str) -> None:
    with pytest.raises(MlevError, match="must have the signature"):
        program(source)


def test_objectives_compute_with_scalars_and_tensors_only() -> None:
    with pytest.raises(MlevError, match="in td_loss 'l'"):
        program(TD.format(name="l", body="dot(q, q)"))


def test_an_objective_program_holds_one_definition() -> None:
    source = "algorithm t\n" + FLOW.format(name="a", body="-logdet") + VAE.format(name="b", body="square(x - recon)")
    with pytest.raises(MlevError, match="exactly one definition"):
        mlevolve.check(source)  # the one-program rule, where a program enters
    with pytest.raises(MlevError, match="exactly one definition"):
        regime_of(mlevolve.check(source, whole=False))


def test_an_objective_needs_a_task_of_its_kind() -> None:
    with pytest.raises(MlevError, match="cannot run on task 'digits'") as info:
        mlevolve.run(program(FLOW.format(name="l", body="-logdet")), "digits")
    assert "moons2d" in (info.value.hint or "")
    with pytest.raises(MlevError, match="cannot run on task 'moons2d'") as info:
        mlevolve.run(program(PG.format(name="l", body="-(logp * adv)")), "moons2d")
    assert "cartpole" in (info.value.hint or "")


# ---------------------------------------------------------------------------------------- the tasks
def test_control_and_density_tasks_are_listed_with_their_metric() -> None:
    infos = {t.name: t for t in list_tasks()}
    for name in ("cartpole", "acrobot", "mountaincar", "chain"):
        assert infos[name].kind == "rl" and "return" in infos[name].description
        assert isinstance(load_task(name), Control)
    for name in ("moons2d", "circles2d", "gaussians8", "spirals2d"):
        assert infos[name].kind == "generative" and "NLL" in infos[name].description
        task = load_task(name, seed=1)
        assert isinstance(task, Density)
        assert [len(a) for a in (task.x_train, task.x_val, task.x_test)] == [2000, 1000, 1000]
        assert np.allclose(task.x_train.mean(0), 0, atol=1e-5) and np.allclose(task.x_train.std(0), 1, atol=1e-4)
        again = load_task(name, seed=1)
        assert isinstance(again, Density) and np.array_equal(again.x_test, task.x_test)


def test_gymnasium_environments_are_made_offline() -> None:
    for name in ("cartpole", "acrobot", "mountaincar"):
        task = load_task(name)
        assert isinstance(task, Control)
        obs, _ = task.make().reset(seed=0)
        assert obs.shape == (task.obs_dim,)


def test_chain_mdp_pays_the_goal_and_the_trap() -> None:
    env = ChainMDP(4, max_steps=10)
    obs, _ = env.reset(seed=0)
    assert obs.tolist() == [1, 0, 0, 0]
    assert env.step(0)[1:3] == (CHAIN_TRAP_REWARD, True)
    env.reset()
    steps = [env.step(1) for _ in range(3)]
    assert [s[1] for s in steps] == [0.0, 0.0, 1.0] and steps[-1][2] and steps[-1][0].tolist() == [0, 0, 0, 1]
    env.reset()
    for _ in range(9):
        assert env.step(1 if env.state == 0 else 0)[3] is False
    assert env.step(1)[3] is True  # truncated after max_steps


# ------------------------------------------------------------------------------------- the baselines
def test_reinforce_with_a_baseline_balances_the_cartpole(capsys: pytest.CaptureFixture[str]) -> None:
    """Within the default budget (10 epochs = 400 episodes) the greedy return is at least 150 of 200."""
    assert cli.main(["run", str(EXAMPLES / "reinforce_cartpole.mlev"), "--task", "cartpole", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["failure"] is None and result["episodes"] == 400
    assert result["val_return"] >= 150 and result["test_return"] >= 150
    assert result["fitness"] == result["val_return"]


def test_dqn_solves_the_chain() -> None:
    """200 episodes: past the trap (0.1) to the goal, the optimal return 1."""
    result = mlevolve.run(EXAMPLES / "dqn_chain.mlev")
    assert result["failure"] is None and result["task"] == "chain"
    assert result["val_return"] == 1.0 and result["test_return"] == 1.0


def test_reinforce_also_runs_on_the_chain_and_is_deterministic() -> None:
    source = (EXAMPLES / "reinforce_cartpole.mlev").read_text().replace("task cartpole", "task chain")
    first = mlevolve.run(mlevolve.check(source), epochs=2)
    second = mlevolve.run(mlevolve.check(source), epochs=2)
    assert first["failure"] is None
    assert {k: v for k, v in first.items() if k != "train_seconds"} == \
        {k: v for k, v in second.items() if k != "train_seconds"}


@pytest.mark.parametrize(("name", "bound"), [("flow_moons", 1.8), ("vae_moons", 2.5)])
def test_generative_baselines_fit_the_moons(name: str, bound: float) -> None:
    """Held-out NLL in nats per standardised point, after 500 steps; a standard normal scores 2.84."""
    result = mlevolve.run(EXAMPLES / f"{name}.mlev")
    assert result["failure"] is None and result["steps"] == 500
    assert result["val_nll"] < bound and result["test_nll"] < bound
    assert result["fitness"] == -result["val_nll"]


# ------------------------------------------------------------------------------ the 64-D digits density
def _standard_normal_nll(x: np.ndarray) -> float:
    """Nats per image of N(0, I): the baseline a trained model must beat."""
    return float((0.5 * (x.astype(np.float64) ** 2 + np.log(2 * np.pi))).sum(1).mean())


def test_digits_density_loads_with_its_documented_shapes_and_splits() -> None:
    info = {t.name: t for t in list_tasks()}["digits_density"]
    assert (info.kind, info.problem) == ("generative", "density") and info.size == "1,797 x 64 (1,078/359/360)"
    assert "NLL in nats per standardised image" in info.description and "U[0, 1)" in info.description
    task = load_task("digits_density", seed=3)
    assert isinstance(task, Density) and task.name == "digits_density"
    assert [a.shape for a in (task.x_train, task.x_val, task.x_test)] == [(1078, 64), (359, 64), (360, 64)]
    assert all(a.dtype == np.float32 for a in (task.x_train, task.x_val, task.x_test))
    assert abs(float(task.x_train.mean())) < 1e-4 and abs(float(task.x_train.std()) - 1) < 1e-4  # one scalar each
    assert len(np.unique(task.x_train[:, 0])) > 1000  # dequantised: an all-zero pixel is continuous noise
    again, other = load_task("digits_density", seed=3), load_task("digits_density", seed=4)
    assert isinstance(again, Density) and isinstance(other, Density)
    for a, b in zip((task.x_train, task.x_val, task.x_test), (again.x_train, again.x_val, again.x_test), strict=True):
        assert np.array_equal(a, b)
    assert not np.array_equal(task.x_test, other.x_test)
    with pytest.raises(MlevError, match="unknown option"):
        load_task("digits_density:dim=3")


@pytest.fixture(scope="module")
def digits_runs() -> dict[str, dict[str, object]]:
    """Both generative baselines, unchanged, trained on digits_density in the default budget."""
    return {name: mlevolve.run(EXAMPLES / f"{name}.mlev", "digits_density") for name in ("flow_moons", "vae_moons")}


@pytest.mark.parametrize("name", ["flow_moons", "vae_moons"])
def test_generative_baselines_beat_a_standard_normal_on_digits(name: str,
                                                              digits_runs: dict[str, dict[str, object]]) -> None:
    """About 0.2 (flow) and 29 (VAE) nats per image against 91 for N(0, I), in 500 steps."""
    task = load_task("digits_density")
    assert isinstance(task, Density)
    result = digits_runs[name]
    assert result["failure"] is None and result["steps"] == 500 and result["task"] == "digits_density"
    for split in ("val", "test"):
        nll = result[f"{split}_nll"]
        assert isinstance(nll, float) and np.isfinite(nll)
        assert nll < _standard_normal_nll(getattr(task, f"x_{split}")) - 20
    assert result["fitness"] == -result["val_nll"]


@pytest.mark.e2e
def test_exported_vae_on_digits_prints_what_run_prints(tmp_path: Path,
                                                       digits_runs: dict[str, dict[str, object]]) -> None:
    script = tmp_path / "vae_digits.py"
    script.write_text(mlevolve.api.export(EXAMPLES / "vae_moons.mlev", "digits_density"))
    done = run_child([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=120,
                     cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    got, want = json.loads(done.stdout), digits_runs["vae_moons"]
    assert set(got) == set(want)
    assert {k: v for k, v in got.items() if k != "train_seconds"} == \
        {k: v for k, v in want.items() if k != "train_seconds"}


# ---------------------------------------------------------------------------------- probes, failures
def _evaluator(task: str, kind: str) -> ProgramEvaluator:
    return ProgramEvaluator(load_task(task), task, SPEC, Settings(epochs=2), frozenset({kind}))


@pytest.mark.parametrize(("task", "template", "same", "other"), [
    ("chain", TD, ("square(q - (reward + discount * target))",
                   "(q - (reward + discount * target)) * (q - reward - discount * target)"), "abs(q - reward)"),
    ("cartpole", PG, ("-(logp * adv) + square(ret - value)", "square(value - ret) - adv * logp"), "-(logp * ret)"),
    ("moons2d", FLOW, ("0.5 * square(z) - logdet", "z * z * 0.5 - logdet"), "square(z) - logdet"),
    ("moons2d", VAE, ("square(x - recon) + square(mu)", "square(mu) + square(recon - x)"), "square(x - recon)"),
])
def test_equivalent_objectives_share_a_fingerprint(task: str, template: str, same: tuple[str, str],
                                                   other: str) -> None:
    kind = template.split()[0]
    evaluator = _evaluator(task, kind)
    prints = [evaluator.fingerprint(program(template.format(name="l", body=b)), b) for b in (*same, other)]
    assert all(failure is None and fp is not None for fp, failure in prints)
    assert prints[0][0] == prints[1][0] != prints[2][0]
    assert evaluator.supports_hurdle  # a short run (1 epoch) is the hurdle


@pytest.mark.parametrize(("task", "source", "reason"), [
    ("chain", TD.format(name="l", body="square(reward - target)"), "does not depend"),
    # the model's outputs times 0.0: in the graph, with no gradient (only the ones not in it were refused)
    ("moons2d", FLOW.format(name="l", body="0.0 * z"), "does not depend"),
    ("moons2d", VAE.format(name="l", body="0.0 * recon + 0.0 * mu"), "does not depend"),
    ("cartpole", PG.format(name="l", body="0.0 * logp"), "does not depend"),
    ("chain", TD.format(name="l", body="q * 0.0"), "does not depend"),
    ("moons2d", FLOW.format(name="l", body="log(-square(z) - 1.0)"), "not finite"),
])
def test_probes_reject_objectives_without_gradient_or_finite_values(task: str, source: str, reason: str) -> None:
    fp, failure = _evaluator(task, source.split()[0]).fingerprint(program(source), source)
    assert fp is None and failure is not None and reason in failure.reason and failure.where == "probe"


def test_a_diverging_objective_is_a_recorded_failure() -> None:
    result = mlevolve.run(program(DIVERGING_FLOW, "moons2d"), epochs=2)
    assert result["failure"] is not None and "diverged" in result["failure"]["reason"]
    assert result["failure"]["where"].startswith("step ")
    evaluator = _evaluator("moons2d", "flow_loss")
    outcome = evaluator.evaluate(program(DIVERGING_FLOW), "up")
    assert outcome.failure is not None and "diverged" in outcome.failure.reason


@pytest.mark.parametrize(("body", "task"), [(PG.format(name="l", body="ret * 0.0"), "chain"),
                                            (FLOW.format(name="l", body="0.0 * z"), "moons2d")])
def test_an_objective_without_gradient_fails_in_training_too(body: str, task: str) -> None:
    result = mlevolve.run(program(body, task), epochs=1)
    assert result["failure"] is not None and "does not depend" in result["failure"]["reason"]


# ---------------------------------------------------------------------------------------- evolution
@pytest.mark.parametrize(("example", "slot", "task"), [("dqn_chain", "dqn", "chain"), ("vae_moons", "elbo", "moons2d")])
def test_evolving_an_objective_runs_end_to_end(example: str, slot: str, task: str, tmp_path: Path) -> None:
    result = mlevolve.api.evolve(EXAMPLES / f"{example}.mlev", [slot], budget=6, population=4, tournament=2,
                                 epochs=2, db=tmp_path / "run.db", quiet=True, timeout=60)
    assert result["candidates"] == 6 and result["best_fitness"] is not None
    assert result["best_metrics"]["fitness"] == result["best_fitness"]
    assert "quick_fitness" in result["best_metrics"]  # the hurdle ran first
    best = mlevolve.api.best(result["db"], n=1)[0]
    assert f"task {task}" in best["program"]
    mlevolve.check(best["program"])


@pytest.mark.slow
def test_discovery_benchmark_quick_mode_runs(tmp_path: Path) -> None:
    """benchmarks/discovery/rl_gen.py --quick: both searches, the transfer tables (about 15 s alone), its results
    file in ``--out-dir`` (not in the repository), without the folder among its recorded settings."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = run_child([sys.executable, str(ROOT / "benchmarks" / "discovery" / "rl_gen.py"), "--quick",
                      "--out-dir", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "acrobot" in done.stdout and "spirals2d" in done.stdout
    written = json.loads((tmp_path / "results_rl_gen.quick.json").read_text())
    assert written["settings"]["quick"] is True and "out_dir" not in written["settings"]
