"""The evaluator's fast routes hold the results of the plain ones: a candidate's fresh tasks drawn
directly as the compiled interpreter's arrays (``ProgramEvaluator.scoring_data``) are the arrays of
the task record ``scoring_task`` loads, value for value, and score a learner the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mlevolve
from mlevolve.gp.memo import program_key
from mlevolve.interpreter.evaluate import Settings, evaluate_compiled, instantiate
from mlevolve.interpreter.evaluator import ProgramEvaluator
from mlevolve.interpreter.tasks import Family, arrays, load_task
from tests.conftest import ROOT


def evaluator(spec: str, seed: int = 3) -> ProgramEvaluator:
    return ProgramEvaluator(load_task(spec, seed), spec, mlevolve.load_grammar(), Settings(seed=seed, threads=1),
                            frozenset({"learner"}))


@pytest.mark.parametrize("spec", ["linear:fresh=1:fitness=relative", "affine:fresh=1:n_tasks=3:dim=2:n_val=7",
                                  "teacher:fresh=1:n_train=5"])
def test_fresh_arrays_are_the_fresh_tasks(spec: str) -> None:
    ev = evaluator(spec)
    for key in ("a1b2", "0", "ffff"):
        want = arrays(ev.scoring_task(key))
        got = ev.scoring_data(key)
        assert list(got) == list(want)
        for name, value in want.items():
            if isinstance(value, np.ndarray):
                assert got[name].dtype == np.float64 and got[name].flags.c_contiguous
                assert np.array_equal(got[name], value.astype(np.float64)), name
            else:
                assert got[name] == value, name


@pytest.mark.parametrize("jit", [False, True])
def test_a_learner_scores_the_same_on_both_routes(jit: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the compiled kernel and on the NumPy path (``MLEVOLVE_NO_JIT=1``) alike."""
    monkeypatch.setenv("MLEVOLVE_NO_JIT", "0" if jit else "1")
    program = mlevolve.check(mlevolve.parse_file(ROOT / "examples" / "linear_regression.mlev"))
    ev = evaluator("linear:fresh=1:fitness=relative")
    for key in ("k1", "k2"):
        compiled = ev.compile(program, key)
        want = evaluate_compiled(compiled, ev.scoring_task(key), ev.settings)
        got = ev.evaluate(program, key)
        assert (got.failure, {k: v for k, v in got.metrics.items() if k != "train_seconds"}) == \
            (want.failure, {k: v for k, v in want.metrics.items() if k != "train_seconds"})
        assert got.metrics["fitness"] > 0.99


def test_fixed_or_digit_tasks_take_no_fresh_route() -> None:
    assert evaluator("linear")._fresh_synthetic is None
    fresh = evaluator("linear:fresh=1")._fresh_synthetic
    assert isinstance(fresh, Family) and fresh.name == "linear"


@pytest.mark.parametrize("name", ["linear", "affine", "teacher"])
def test_synthetic_arrays_are_the_synthetic_draw_bit_for_bit(name: str) -> None:
    """``synthetic_arrays`` (drawn with ``standard_normal``) holds ``_synthetic``'s numbers (drawn with
    ``normal``), signs of zeros included, over many generators."""
    from mlevolve.interpreter.standalone.data_learner import _synthetic, synthetic_arrays

    for seed in range(200):
        want = _synthetic(name, np.random.default_rng(seed), 3, 4, 20, 7)
        got = synthetic_arrays(name, np.random.default_rng(seed), 3, 4, 20, 7)
        for key in ("x_train", "y_train", "x_val", "y_val"):
            assert got[key].tobytes() == want[key].astype(np.float64).tobytes(), (seed, key)



def test_a_cached_program_serves_only_the_program_it_was_built_from() -> None:
    """Two formulas whose literals differ past the 12th digit share a cache key (it rounds them), yet each
    is run as written: ``1e12 + 0.37 + 2*x`` and ``1e12 + 2*x`` differ by 0.37 at every point."""
    ev = ProgramEvaluator(load_task("koza_quartic", 0), "koza_quartic", mlevolve.load_grammar(),
                          Settings(seed=0, threads=1), frozenset({"formula"}))
    text = "algorithm a\nformula f(x: Scalar) -> Scalar = {} + 2.0 * x\n"
    exact, snapped = (mlevolve.check(mlevolve.parse(text.format(c))) for c in ("1000000000000.37", "1000000000000.0"))
    key = program_key(exact)
    assert program_key(snapped) == key
    x = np.asarray(ev._data["x_train"], np.float64)[:, 0]
    first, second = (ev.compile(p, key) for p in (exact, snapped))
    assert ev.compile(snapped, key) is second
    assert np.allclose(instantiate(first)(x) - instantiate(second)(x), 0.37, rtol=0, atol=1e-3)


def test_a_schedule_s_fingerprint_tells_a_periodic_schedule_from_a_constant_and_stops_short_of_t_1() -> None:
    """Probed on tenths of [0, 1], a cosine with 10 warm restarts read as the constant 0.05 (same fingerprint, so a
    search gave it the constant's score: it trains otherwise), and 0.0002 / (1 - t), which trains (its t stays below
    1), was rejected as not finite at t = 1 (a fresh-user pass)."""
    def schedule(body: str) -> mlevolve.Program:
        return mlevolve.check(mlevolve.parse("algorithm c\ntask iris\nmodel net() -> Layer = seq(dense(8), "
                                             f"relu_layer())\nschedule s(t: Scalar) -> Scalar = {body}\n"))

    ev = ProgramEvaluator(load_task("iris", 0), "iris", mlevolve.load_grammar(), Settings(seed=0, threads=1),
                          frozenset({"schedule"}))
    prints = {}
    for body in ("0.05", "0.025 * (1.0 + cos(62.8318 * t))", "0.0002 / (1.0 - t)"):
        prints[body], failure = ev.fingerprint(schedule(body), program_key(schedule(body)))
        assert failure is None and prints[body] is not None, body
    assert len(set(prints.values())) == 3
    assert mlevolve.run(schedule("0.0002 / (1.0 - t)"), "iris")["failure"] is None


def test_a_regression_task_s_loss_is_probed_on_real_predictions_and_targets(tmp_path: Path) -> None:
    """Probed on softmax probabilities and one-hot targets whatever the task, square(relu(p) - square(y)) and
    square(abs(p) - y) shared the MSE's fingerprint on a regression CSV, so a search gave them its score: they train
    otherwise (a fresh-user pass).  On a classification task the probe is as it was."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    data = tmp_path / "reg.csv"
    data.write_text("a,b,y\n" + "".join(f"{a:.5f},{b:.5f},{a - 2 * b:.5f}\n" for a, b in x))

    def prints(task: str) -> list[str | None]:
        ev = ProgramEvaluator(load_task(task, 0), task, mlevolve.load_grammar(), Settings(seed=0, threads=1),
                              frozenset({"loss"}))
        out = []
        for body in ("square(p - y)", "square(relu(p) - square(y))", "square(abs(p) - y)"):
            program = mlevolve.check(mlevolve.parse("algorithm c\nmodel net() -> Layer = seq(dense(8), relu_layer())"
                                                    f"\nloss l(p: Tensor, y: Tensor) -> Tensor = {body}\n"))
            fingerprint, failure = ev.fingerprint(program, program_key(program))
            assert failure is None
            out.append(fingerprint)
        return out

    assert len(set(prints(f"{data}:target=y"))) == 3
    assert len(set(prints("iris"))) == 1  # on p in (0, 1) and y in {0, 1} they are one function


def test_an_update_rule_that_reads_lr_is_told_from_one_with_the_probe_s_rate_written_in() -> None:
    """Probed at lr = 0.01 every step, mlp_digits.mlev's momentum with 0.01 (a grammar literal) in place of lr shared
    the fingerprint of the rule as written, so a search gave it its score: the file's schedule sets 0.05, and it
    trains otherwise (a fresh-user pass)."""
    source = (ROOT / "examples" / "mlp_digits.mlev").read_text()
    ev = ProgramEvaluator(load_task("digits", 0), "digits", mlevolve.load_grammar(), Settings(seed=0, threads=1),
                          frozenset({"optimizer"}))
    prints = set()
    for rule in ("(w - lr * m2, m2)", "(w - 0.01 * m2, m2)"):
        program = mlevolve.parse(source.replace("(w - lr * m2, m2)", rule))
        fingerprint, failure = ev.fingerprint(program, program_key(program))
        assert failure is None and fingerprint is not None
        prints.add(fingerprint)
    assert len(prints) == 2


@pytest.mark.parametrize(("task", "kind", "header", "bodies"), [
    ("chain", "td_loss", "(q: Tensor, target: Tensor, reward: Tensor, discount: Tensor)",
     ("square(q - (reward + discount * target))", "square(q - (square(reward) + discount * target))")),
    ("acrobot", "pg_loss", "(logp: Tensor, ret: Tensor, adv: Tensor, value: Tensor, entropy: Tensor)",
     ("-(logp * adv) + 0.5 * square(ret - value)", "-(logp * adv) + 0.5 * square(abs(ret) - value)"))])
def test_an_rl_objective_is_told_apart_on_rewards_and_returns_of_either_sign(
        task: str, kind: str, header: str, bodies: tuple[str, str]) -> None:
    """Probed on 0/1 rewards and positive returns only, square(reward) and abs(ret) shared the fingerprints of reward
    and ret, so a search gave them their scores, though the chain's trap pays 0.1 and Acrobot's returns are negative
    (a fresh-user pass).  A program finite on the positive returns only (log(ret)) is still probed, not rejected."""
    ev = ProgramEvaluator(load_task(task, 0), task, mlevolve.load_grammar(), Settings(seed=0, threads=1),
                          frozenset({kind}))

    def fingerprint(body: str) -> str | None:
        program = mlevolve.check(mlevolve.parse(f"algorithm r\n{kind} l{header} -> Tensor =\n  {body}\n"))
        found, failure = ev.fingerprint(program, program_key(program))
        assert failure is None and found is not None, body
        return found

    assert fingerprint(bodies[0]) != fingerprint(bodies[1])
    if kind == "pg_loss":
        logged = "-(logp * adv) + 0.5 * square(log(ret) - value)"
        assert fingerprint(logged) == fingerprint(logged + " + 0.0 * value")


def test_a_loss_that_zeroes_the_prediction_is_refused_by_the_probe() -> None:
    """0.0 * p has p in its graph, so only a loss with no p in it was refused ("does not depend on the prediction"):
    one with no gradient from p is refused the same, as the objectives' probe refuses 0.0 * z."""
    ev = ProgramEvaluator(load_task("iris", 0), "iris", mlevolve.load_grammar(), Settings(seed=0, threads=1),
                          frozenset({"loss"}))
    for body, refused in (("0.0 * p + y", True), ("square(p - y)", False)):
        program = mlevolve.check(mlevolve.parse(f"algorithm c\nloss l(p: Tensor, y: Tensor) -> Tensor = {body}\n"))
        _, failure = ev.fingerprint(program, program_key(program))
        assert (failure is not None and failure.where == "probe"
                and failure.reason == "the loss does not depend on the prediction") if refused else failure is None


@pytest.mark.parametrize("value", [np.ones((3, 4)), np.array([[1.0, np.nan]]), np.array([-np.inf, 0.0]),
                                   np.float64(np.inf), np.float64(2.0), np.zeros((0, 3)), 3.0, float("nan"),
                                   np.broadcast_to(np.float64(np.nan), (5,)), np.array([1, 2], np.int64)])
def test_the_probes_finiteness_check_is_numpys(value: object) -> None:
    """The probe's check that every output is finite (``evaluator._all_finite``, without ``ndarray.all``'s
    Python wrapper) answers as ``np.isfinite(value).all()`` does, for arrays, empty ones, views and numbers."""
    from mlevolve.interpreter.evaluator import _all_finite

    assert _all_finite(value) is bool(np.isfinite(value).all())
