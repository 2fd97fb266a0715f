"""The run's answer, the same on every surface (Stop 68): every ``--select`` rule's answer that is not the fittest is
pruned by ``evolve`` (meta ``pruned_answer``, ``pruned_answer_score``: :data:`mlevolve.gp.prune_best.ANSWER_SLOTS`)
and handed out pruned by the summary (and its ``--json`` ``selected`` block), ``best``, ``show --best``,
``export --best``, the report, ``api.answer`` and ``SymbolicRegressor`` (``program_``, ``predict``, ``front_``)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlevolve.api as api
from mlevolve.gp.archive import Archive
from mlevolve.gp.prune_best import ANSWER_SLOTS
from tests.conftest import Capsys, cli

ROOT = Path(__file__).resolve().parents[2]
QUARTIC = ("evolve", str(ROOT / "examples" / "quartic.mlev"), "--task", "nguyen4", "--budget", "300", "--seed", "4")
"""A run whose three rules answer with three formulas: ``best`` candidate 275 (pruned 25 -> 21 nodes), ``score``
candidate 103 (pruned 19 -> 17 nodes), ``accuracy`` the fittest, candidate 295 (pruned 36 -> 32)."""


def _meta(db: Path) -> dict[str, Any]:
    with Archive.read(db) as archive:
        return archive.meta()


@pytest.fixture(scope="module")
def quartic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archive of :data:`QUARTIC`, made once (a test that runs ``evolve`` on it again works on a copy)."""
    db = tmp_path_factory.mktemp("quartic") / "q.db"
    api.evolve(QUARTIC[1], ["f"], "nguyen4", budget=300, seed=4, db=db, quiet=True)
    return db


def _copy(quartic: Path, tmp_path: Path) -> Path:
    shutil.copy(quartic, tmp_path / "q.db")
    return tmp_path / "q.db"


@pytest.mark.parametrize("rule", ["best", "score"])
def test_each_rules_answer_is_pruned_and_every_surface_hands_it_out_pruned(quartic: Path, rule: str,
                                                                           capsys: Capsys) -> None:
    """``best`` and ``score`` answer with two formulas, neither the fittest: each is pruned (its own record), and
    ``best``, ``show --best``, ``export --best``, the report and ``api.answer`` by that rule hand out its prune; its
    candidate, ``show HASH``, stays unpruned.  (``--select score`` answered unpruned before: only the default rule's
    answer was pruned.)"""
    meta = _meta(quartic)
    record = meta[ANSWER_SLOTS[rule]]
    assert record is not None and record["program"] is not None and record["size"] < record["from_size"]
    others = {meta[s]["from"] for s in ANSWER_SLOTS.values() if s != ANSWER_SLOTS[rule]} | {meta["pruned"]["from"]}
    assert record["from"] not in others  # three rules, three formulas: each its own prune
    key = record["hash"]
    assert api.answer(quartic, rule)["best"]["hash"] == key
    assert api.best(quartic, 1, select=rule)[0]["hash"] == key
    assert api.show(quartic, select=rule)[0]["hash"] == key
    assert api.export_program(quartic, select=rule)[0] == api.export_program(quartic, key)[0]
    code, out, _ = cli(capsys, "best", str(quartic), "-n", "1", "--select", rule)
    assert code == 0 and f"(hash {key[:12]}, the prune of candidate {record['from_seq']}, size {record['size']};" \
        in out
    assert f"pruned:  the answer's prune: pruned from candidate {record['from_seq']} (hash {record['from'][:12]})" \
        in out
    html = quartic.parent / f"{rule}.html"
    code, _, _ = cli(capsys, "report", str(quartic), "-o", str(html), "--select", rule)
    assert code == 0 and key[:12] in html.read_text()
    unpruned = api.show(quartic, record["from"])[0]
    assert unpruned["hash"] == record["from"] and unpruned["size"] == record["from_size"]


def test_the_summary_counts_every_answers_prune_once(quartic: Path, tmp_path: Path, capsys: Capsys) -> None:
    """``answer_prune_cost`` is the two answers' prunes together; each answer's line says its own, and the total."""
    db = _copy(quartic, tmp_path)
    code, out, _ = cli(capsys, *QUARTIC, "--db", str(db), "--json", "--select", "score")
    meta, result = _meta(db), json.loads(out)
    best, score = meta[ANSWER_SLOTS["best"]], meta[ANSWER_SLOTS["score"]]
    assert code == 0 and result["answer_prune_cost"] == best["evaluations"] + score["evaluations"]
    code, out, _ = cli(capsys, *QUARTIC, "--db", str(db), "--select", "score")
    total = result["answer_prune_evaluations"]
    assert code == 0 and f"; its {score['evaluations']:,} ({total:,} by every prune of this archive's answers) " \
        "evaluations counted; " in out


@pytest.mark.parametrize("rule", ["best", "score", "accuracy"])
def test_evolves_json_selected_block_is_the_answer_its_summary_shows(quartic: Path, tmp_path: Path, rule: str,
                                                                      capsys: Capsys) -> None:
    """``evolve --json``'s ``selected`` names the program the human summary's ``answer:`` (or ``best:``) line names,
    pruned where it is, with ``pruned_from`` its candidate's hash, and its ``program`` that prune's text."""
    db = _copy(quartic, tmp_path)
    code, out, _ = cli(capsys, *QUARTIC, "--db", str(db), "--json", "--select", rule)
    selected = json.loads(out)["selected"]
    code2, human, _ = cli(capsys, *QUARTIC, "--db", str(db), "--select", rule)
    assert code == code2 == 0
    head = next(line for line in human.splitlines() if line.startswith(("answer:", "best:")))
    meta = _meta(db)
    record = meta["pruned"] if rule == "accuracy" else meta[ANSWER_SLOTS[rule]]
    assert f"(hash {selected['hash'][:12]}, the prune of candidate {record['from_seq']}" in head
    assert selected["hash"] == record["hash"] and selected["pruned_from"] == record["from"]
    if rule != "accuracy":
        assert selected["program"].split("=", 1)[1] == record["program"].split("=", 1)[1]
        assert selected["size"] == record["size"]


# -- SymbolicRegressor: the answer `mlevolve best` shows for the same run and rule ----------------------------
def _data() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, (200, 3))
    return x, 2.5 * x[:, 0] * x[:, 1] - 1.3 * x[:, 2] + rng.normal(0.0, 0.1, 200)


@pytest.mark.parametrize(("rule", "seed", "budget"), [("best", 0, 60), ("score", 2, 150)])
def test_the_estimator_answers_with_the_formula_best_shows_and_predicts_as_its_export(
        tmp_path: Path, capsys: Capsys, rule: str, seed: int, budget: int) -> None:
    """One run (each rule's answer not the fittest, and pruned: ``3.43 - 7.067 * sigmoid(x2)`` from
    ``3.4325268582570376 - ...`` by ``best`` at seed 0): ``program_`` is the formula ``mlevolve best --select RULE``
    lists first (the pruned one, which the estimator handed out unpruned before), ``predict(X)`` is
    ``predict(X, index=i)`` of the entry chosen, whose ``front_`` entry carries the prune, and both are the exported
    script's values."""
    from mlevolve.estimator import SymbolicRegressor

    x, y = _data()
    db = tmp_path / "sr.db"
    model = SymbolicRegressor(budget=budget, random_state=seed, db=db, model_selection=rule).fit(x, y)
    record = _meta(db)[ANSWER_SLOTS[rule]]
    assert record is not None and record["program"] is not None  # the rule's answer was pruned (kept an edit)
    code, out, _ = cli(capsys, "best", str(db), "-n", "1", "--select", rule)
    listed = api.best(db, 1, select=rule)[0]
    assert code == 0 and listed["hash"] == record["hash"] and f"hash {record['hash'][:12]}" in out
    assert model.program_ == listed["stored"] == record["program"]
    assert model.metrics_["train_mse"] == pytest.approx(listed["metrics"]["train_mse"], rel=1e-12)
    chosen = next(i for i, e in enumerate(model.front_) if e["hash"] == record["hash"])
    entry = model.front_[chosen]
    assert entry["pruned_from"] == record["from"] and entry["program"] == model.program_
    assert entry["expression"] == model.expression_
    assert np.array_equal(model.predict(x), model.predict(x, index=chosen))
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(api.export_from_archive(db, select=rule), "exported.py", "exec"), namespace)
    np.testing.assert_allclose(model.predict(x), namespace["f"](x[:, 0], x[:, 1], x[:, 2]), rtol=1e-12)
    front = api.best(db, front=True, select=rule)  # the command line's front: the candidate, and what it became
    assert [c["pruned_into"]["hash"] if c["pruned_into"] else None for c in front if c["pick"]] == [record["hash"]]


def test_an_archive_older_than_the_rules_prunes_says_its_answer_is_unpruned_and_evolve_prunes_it(
        quartic: Path, tmp_path: Path, capsys: Capsys) -> None:
    """An archive written when only ``--select best``'s answer was pruned (no ``pruned_answer_score``): ``best
    --select score`` says plainly that the answer it shows is unpruned, and how to prune it; that command (nothing new
    scored) then gives the archive a fresh run's prune, which ``best`` hands out."""
    from mlevolve.report.data import UNPRUNED_ANSWER

    db = _copy(quartic, tmp_path)
    record = _meta(db)[ANSWER_SLOTS["score"]]
    with sqlite3.connect(db) as conn:  # as main's evolve left it: no such key
        conn.execute("DELETE FROM meta WHERE key = ?", (ANSWER_SLOTS["score"],))
    code, out, _ = cli(capsys, "best", str(db), "-n", "1", "--select", "score")
    assert code == 0 and f"(hash {record['from'][:12]}, candidate {record['from_seq']}, " in out
    assert f"pruned:  the answer's prune: {UNPRUNED_ANSWER}\n" in out
    code, _, _ = cli(capsys, *QUARTIC, "--db", str(db), "--quiet")
    assert code == 0 and _meta(db)[ANSWER_SLOTS["score"]]["hash"] == record["hash"]
    assert api.answer(db, "score")["best"]["hash"] == record["hash"]
