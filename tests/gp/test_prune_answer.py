"""The prune of a run's answer where ``--select best`` answers with another formula than the fittest (meta
``pruned_answer``): a clamp the data never reaches is pruned from the answer the user gets, every command hands out
the pruned answer, the summary says whose each prune is, and a run killed while pruning the answer resumes alike."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

import mlevolve.api as api
from mlevolve.gp.archive import Archive
from mlevolve.gp.prune_best import ANSWER_SLOT
from mlevolve.report import summary as summary_text
from mlevolve.report.data import pruned_line
from tests.conftest import Capsys, cli, run_child
from tests.conftest import archive_rows as rows

CLAMPED = ("algorithm g\n  task \"d.csv:target=y\"\n\n  formula f(a: Scalar, b: Scalar, c: Scalar) -> Scalar =\n"
           "    max(a, -8.757) * b - 1.3 * c\n")
"""The user's program shape: a clamp no training point reaches (a lies in [-2, 2]); from it, seed 3 at 60 candidates
answers (``--select best``) with ``max(a, -1.973) * b - 0.5198 * c``, candidate 50, not the fittest."""


def _clamped(folder: Path) -> Path:
    """The user's data (y = 2.5 a b - 1.3 c + noise, 200 rows, columns U[-2, 2], seed 0) and the clamped start."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, (200, 3))
    y = 2.5 * x[:, 0] * x[:, 1] - 1.3 * x[:, 2] + rng.normal(0.0, 0.1, 200)
    (folder / "d.csv").write_text("a,b,c,y\n" + "".join(f"{r[0]:.6f},{r[1]:.6f},{r[2]:.6f},{t:.6f}\n"
                                                         for r, t in zip(x, y, strict=True)))
    program = folder / "c.mlev"
    program.write_text(CLAMPED)
    return program


def _meta(db: Path) -> dict[str, Any]:
    with Archive.read(db) as archive:
        return archive.meta()


def _untimed(value: Any) -> Any:
    """``value`` less what measures time (a scoring's ``seconds``, a row's ``created``), which two runs never share."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not k.endswith(("seconds", "created"))}
    return value


def _body(program: str) -> str:
    return program.split("=", 1)[1]


def test_an_answer_holding_a_clamp_the_data_never_reaches_is_pruned_and_handed_out_pruned(
        tmp_path: Path, capsys: Capsys) -> None:
    """The answer (not the fittest) held ``max(a, -1.973)``, which the fittest's prune never saw: it is pruned as the
    fittest is, and the summary, ``best``, ``show --best`` and ``export --best`` hand out the pruned answer, whose
    candidate ``show HASH`` still shows unpruned."""
    program, db = _clamped(tmp_path), tmp_path / "r.db"
    code, out, _ = cli(capsys, "evolve", str(program), "--evolve", "f", "--budget", "60", "--workers", "1",
                       "--seed", "3", "--db", str(db))
    meta = _meta(db)
    record, fittest = meta[ANSWER_SLOT], meta["pruned"]
    assert code == 0 and record is not None and record["program"] is not None, record
    assert record["from"] != fittest["from"] and "max(" not in _body(record["program"])
    with Archive.read(db) as archive:
        unpruned = archive.get(record["from"])
    assert unpruned is not None and "max(a, " in _body(unpruned.program)  # the search's row, as it was
    assert record["size"] < record["from_size"] and record["fitness"] >= record["from_fitness"] - 1e-6
    assert f"hash {record['hash'][:12]}, the prune of candidate {record['from_seq']}, size {record['size']};" in out
    pruned = [line for line in out.splitlines() if line.startswith("pruned:")]
    assert pruned == [
        f"pruned:  the answer's prune: {pruned_line(record)}; its {record['evaluations']:,} evaluations counted; "
        f"`mlevolve show {db} {record['from'][:12]}` shows it unpruned",
        f"pruned:  the fittest's prune: {pruned_line(fittest)}; its {fittest['evaluations']:,} evaluations counted"
        + (f"; `mlevolve show {db} {fittest['from'][:12]}` shows it unpruned" if fittest["program"] else "")]
    assert pruned[0].startswith(f"pruned:  the answer's prune: pruned from candidate {record['from_seq']} (hash "
                                f"{record['from'][:12]}): {record['from_size']} -> {record['size']} nodes")
    listed = api.best(db, 2)
    assert listed[0]["hash"] == record["hash"] and listed[0]["selected"] == "best"
    assert api.show(db)[0]["hash"] == record["hash"] and api.answer(db)["best"]["hash"] == record["hash"]
    assert "max(" not in api.export_from_archive(db).split("def f(", 1)[1].split("\n\n", 1)[0]
    assert "max(a, " in _body(api.show(db, record["from"])[0]["stored"])
    # --select accuracy answers with the fittest, which has its own prune
    assert api.answer(db, "accuracy")["best"]["hash"] != record["hash"]


def test_the_summary_says_whose_each_prune_is() -> None:
    """An answer other than the fittest: its own ``pruned:`` line after it, then the fittest's after the fittest's,
    each with its evaluations and the command that shows it unpruned."""
    answer_record = {"from": "0123456789abcdef", "from_seq": 50, "from_size": 10, "size": 7, "hash": "aaaa0000bbbb1111",
                     "from_metrics": {"train_r2": 0.9, "train_mse": 0.2, "fitness": 0.9},
                     "metrics": {"train_r2": 0.9, "train_mse": 0.25, "fitness": 0.9},
                     "program": "algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  x * x + (x - 1.5)\n"}
    fittest_record = {"from": "fedcba9876543210", "from_seq": 49, "program": None, "evaluations": 519}
    best = {"value": 0.9, "hash": "aaaa0000bbbb1111", "seq": 50, "source": "pruned", "size": 7,
            "program": "formula f(x: Scalar) -> Scalar =\n  x\n", "pruned": pruned_line(answer_record),
            "pruned_from": "0123456789abcdef"}
    fittest = {"hash": "fedcba9876543210", "seq": 49, "source": "mutation", "size": 16, "fitness": 0.95,
               "metrics": {"train_r2": 0.95, "fitness": 0.95}, "pruned": pruned_line(fittest_record)}
    result = {"candidates": 300, "replayed": 0, "evaluated": 250, "db": "run.db", "seconds": 1.0,
              "best_hash": "aaaa0000bbbb1111", "prune_evaluations": 519, "answer_prune_evaluations": 148, "next": [],
              "pruned_from": None, "selected": {"rule": "best"},
              "answer": {"metric": {"name": "train_r2", "higher_is_better": True, "description": "R2"},
                         "start": {"value": 0.1, "how": "candidate 0"}, "best": best, "fittest": fittest,
                         "verdict": "better"}}
    assert [line for line in summary_text.lines(result) if line.startswith("pruned:")] == [
        "pruned:  the answer's prune: pruned from candidate 50 (hash 0123456789ab): 10 -> 7 nodes, train_mse 0.2 -> "
        "0.25; its 148 evaluations counted; `mlevolve show run.db 0123456789ab` shows it unpruned",
        "pruned:  the fittest's prune: no edit kept (519 evaluations); its 519 evaluations counted"]
    quiet = {**result, "archived": 300, "answer": {**result["answer"], "better": True, "gain": 0.8}}
    assert "; hash aaaa0000bbbb (--select best, size 7, pruned from 0123456789ab; fittest fedcba987654, size 16: " \
        "--select accuracy answers with it); " in summary_text.one_line(quiet)  # --quiet's line


_KILLER = """
import os, sys
import mlevolve.api as api
from mlevolve.gp import prune as pruning
from mlevolve.gp import prune_best
made, armed = 0, False
real, pruned = pruning.prune, prune_best._pruned
def prune(program, names, score, *args, **kwargs):
    def dying(p, refit):
        global made
        made += armed
        if made > 5:
            os._exit(9)  # as kill -9 while pruning the answer: no cleanup, no commit
        return score(p, refit)
    return real(program, names, dying, *args, **kwargs)
def answer_armed(*args):
    global armed
    armed = args[-1] == prune_best.ANSWER_SLOT
    return pruned(*args)
pruning.prune, prune_best._pruned = prune, answer_armed
api.evolve(sys.argv[1], ["f"], None, budget=60, db=sys.argv[2], quiet=True, seed=3)
"""


def test_a_run_killed_while_pruning_its_answer_resumes_to_the_same_archive(tmp_path: Path) -> None:
    """kill -9 while the prune scores the answer's edits (the fittest's prune kept), then the same command: the
    archive, both prunes and the summary's counts as an uninterrupted run's."""
    program = _clamped(tmp_path)
    killed, whole = tmp_path / "killed.db", tmp_path / "whole.db"
    died = run_child([sys.executable, "-c", _KILLER, str(program), str(killed)], capture_output=True, timeout=300)
    assert died.returncode == 9, died.stderr.decode()
    assert _meta(killed).get("pruned") is not None and _meta(killed).get(ANSWER_SLOT) is None
    again = api.evolve(program, ["f"], None, budget=60, db=killed, quiet=True, seed=3)
    once = api.evolve(program, ["f"], None, budget=60, db=whole, quiet=True, seed=3)
    fields = ("seq", "hash", "program", "fitness", "metrics", "source")
    assert rows(killed, fields) == rows(whole, fields)
    for key in ("pruned", ANSWER_SLOT, "start"):
        assert _untimed(_meta(killed)[key]) == _untimed(_meta(whole)[key]), key
    assert _meta(whole)[ANSWER_SLOT]["program"] is not None
    assert {k: again[k] for k in ("answer_prune_cost", "prune_cost")} == \
        {k: once[k] for k in ("answer_prune_cost", "prune_cost")}
