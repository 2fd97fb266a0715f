"""The Pareto front of fitness against size (``mlevolve best DB --front``, ``api.best(front=True)``): smallest first,
each behaviour fitter than every smaller one beyond float rounding, the last the run's shown best, each with PySR's
score where there is a train MSE."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import mlevolve.api as api
from mlevolve.cli import main
from mlevolve.dsl.errors import SettingError
from mlevolve.dsl.ir import Call
from mlevolve.dsl.kinds import slots
from mlevolve.dsl.parse import parse
from mlevolve.report import data
from mlevolve.results import shown_metric, shown_scale, tied
from tests.conftest import ROOT, Capsys


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("front") / "q.db"
    api.evolve(ROOT / "examples" / "quartic.mlev", ["f"], "nguyen4", budget=300, seed=1, init="random", db=db,
               quiet=True)
    return db


def test_the_front_is_every_behaviour_no_smaller_one_matches_and_ends_at_the_best(run_db: Path) -> None:
    front = api.best(run_db, front=True)
    run = data.load(run_db)
    groups = [g.representative for g in data.behaviours(run)]
    assert [c["rank"] for c in front] == list(range(1, len(front) + 1)) and len(front) >= 3
    assert front[-1]["hash"] == api.best(run_db, 1, select="accuracy")[0]["hash"]  # the run's fittest
    for c in front:  # on it: no smaller behaviour is as fit within float rounding, none of its size fitter
        scale = shown_scale(c["metrics"])
        assert not any(r.hash != c["hash"] and r.fitness is not None and (
            (r.size < c["size"] and (r.fitness >= c["fitness"] or tied(r.fitness, c["fitness"], scale)))
            or (r.size == c["size"] and r.fitness > c["fitness"])) for r in groups)
    on = {c["hash"] for c in front}
    for r in groups:  # off it: a smaller or equal one on it is as fit, within rounding
        if r.hash not in on:
            assert any(c["size"] <= r.size and (c["fitness"] >= (r.fitness or 0.0) or tied(
                c["fitness"], r.fitness or 0.0, shown_scale(c["metrics"]))) for c in front)
    logs = [math.log(max(c["metrics"]["train_mse"], 2.2250738585072014e-308)) for c in front]
    assert front[0]["score"] == 0 and [c["score"] for c in front[1:]] == pytest.approx(
        [-(logs[i + 1] - logs[i]) / (front[i + 1]["size"] - front[i]["size"]) for i in range(len(front) - 1)])
    # PySR's pick: of those within 1.5x the least train MSE the highest score, as the estimator picks by default
    least = min(c["metrics"]["train_mse"] for c in front)
    near = [c for c in front if c["metrics"]["train_mse"] <= 1.5 * least]
    assert [c["hash"] for c in front if c["pick"]] == [max(near, key=lambda c: c["score"])["hash"]]


def test_the_command_lists_the_front_with_sizes_and_scores(run_db: Path, capsys: Capsys) -> None:
    front = api.best(run_db, front=True)
    assert main(["best", str(run_db), "--front"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Pareto front: {len(front)} programs, each fitter than every smaller one (size: nodes of "
                          "the evolved definitions, the fitted a + b * f not counted; score: -d ln(train_mse) / d "
                          "size, PySR's; its pick: the highest "
                          "score within 1.5x the least train_mse)\n\n")
    heads = [line for line in out.splitlines() if line.startswith("#")]
    assert [h.split("  ")[:3] for h in heads] == [
        [f"#{c['rank']}", f"size {c['size']}", f"score {shown_metric(c['score'])}"] for c in front]
    assert [h.split("  ")[3] == "PySR's pick" for h in heads] == [c["pick"] for c in front]
    assert not any(c["drawn"] for c in front)  # nguyen4's points are fixed: no word of draws
    assert main(["best", str(run_db), "--front", "-n", "3"]) == 2
    assert capsys.readouterr().err == (
        "mlevolve best: error: -n and --front: the front is listed whole, from the smallest program to the run's "
        "best\nhint: --front alone, or -n without it\n")
    with pytest.raises(SettingError, match=r"n and front: the front is listed whole"):
        api.best(run_db, 3, front=True)  # the API refuses as the command does (it ignored n)
    assert len(api.best(run_db)) == min(5, len(api.best(run_db, 50)))


def test_a_front_of_tasks_drawn_per_candidate_says_each_fitness_is_of_its_draw(tmp_path: Path, capsys: Capsys) -> None:
    """A learner search draws its tasks per candidate (fresh=1): the front's fitnesses are of different draws, and
    the run's best, pruned on a common draw, may read below another's; the header says so."""
    db = tmp_path / "l.db"
    api.evolve(ROOT / "examples" / "linear_regression.mlev", ["linreg.learn"], budget=40, seed=2, init="random",
               db=db, quiet=True)
    front = api.best(db, front=True)
    assert front and all(c["drawn"] and c["score"] is None for c in front)  # no train MSE: no score
    assert main(["best", str(db), "--front"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(
        "(size: nodes of the evolved definitions); each fitness of its own draw of tasks (fresh=1" + (
            "; the pruned fittest's, of the prune's common tasks" * any(c["source"] == "pruned" for c in front)) +
        "), so they differ by the draw as well")


def test_the_report_lists_the_front_its_plot_joins(run_db: Path) -> None:
    from mlevolve.report import page

    html = page.build(data.load(run_db))
    section = html[html.index("<h2>Fitness and size</h2>"):]
    section = section[:section.index("</table>")]  # its first table: the front (the sizes' table follows)
    rows = [row for row in section.split("<tr>")[2:] if row.strip()]  # after the header row
    front = api.best(run_db, front=True)
    assert len(rows) == len(front) and "<th>score</th>" in section
    for row, c in zip(rows, front, strict=True):
        assert f"<td class=n>{c['size']}</td>" in row and f"<td>{c['hash'][:12]}</td>" in row
    [pick] = [c for c in front if c["pick"]]
    assert f"PySR's pick, the highest score within 1.5 times the least train MSE, is {pick['hash'][:12]} (size " \
           f"{pick['size']})." in html


def test_a_row_showing_another_candidate_s_program_gives_that_program_s_size(tmp_path: Path) -> None:
    """An FEC hit of a fitted formula shows its twin's fitted program (the program as scored, which earned the
    score): its row gave the hit's own size, so `(x - x) * x * x + x * x * x + x * x + x` (the twin, size 19) was
    listed at size 11, ahead of smaller programs, on the front and as the best.  Every row showing a scored
    program's text now gives the size of the candidate whose scoring wrote it (``record.shown_size``)."""
    rng = np.random.default_rng(0)
    xs = rng.uniform(-2.0, 2.0, 80)
    (tmp_path / "cubic.csv").write_text("x,y\n" + "".join(f"{x!r},{x ** 3 + x ** 2 + x!r}\n" for x in xs.tolist()))
    db = tmp_path / "run.db"
    api.evolve(ROOT / "examples" / "quartic.mlev", ["f"], f"{tmp_path / 'cubic.csv'}:target=y", budget=300, db=db,
               quiet=True, seed=1)
    rows = data.load(db).rows
    sizes: dict[str, set[int]] = {}  # a fitted text may come of several programs (`x`, `x + x`: `a + b * x`)
    for r in rows:
        if r.source == "evaluated" and r.failure is None:
            sizes.setdefault(r.program, set()).add(r.size)
    hits = [r for r in rows if r.source != "evaluated" and r.program in sizes]
    assert sum(r.source == "fec" for r in hits) >= 10  # the FEC hits this run makes, each showing a scored text
    assert [(r.seq, r.size) for r in hits if r.size not in sizes[r.program]] == []


def test_a_pruned_fitted_formula_is_sized_without_its_fit_s_scaling(tmp_path: Path) -> None:
    """A fitted formula's prune gave its size with the `a + b * (...)` its fit writes, which no candidate's size
    counts (a row's is its proposal's): `0.699 + 1.5 * (min(a + 0.0008, 1.975) * a / b)` was listed at size 13, not
    9, so a size-11 program of lower fitness stayed on the front beside it (and, where the prune only rounded
    digits, the best was off the front, behind its own candidate of size 5)."""
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-2.0, 2.0, 300), rng.uniform(1.0, 3.0, 300)
    y = 1.5 * a * a / b + 0.7 + rng.normal(0.0, 0.01, 300)
    (tmp_path / "ab.csv").write_text("a,b,y\n" + "".join(f"{r[0]!r},{r[1]!r},{r[2]!r}\n" for r in zip(
        a.tolist(), b.tolist(), y.tolist(), strict=True)))
    (tmp_path / "ab.mlev").write_text("algorithm ab\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  a * a / b\n")
    db = tmp_path / "run.db"
    out = api.evolve(tmp_path / "ab.mlev", ["f"], f"{tmp_path / 'ab.csv'}:target=y", budget=300, db=db, quiet=True,
                     seed=1)
    best = api.best(db, 1, select="accuracy")[0]  # the fittest (the default is PySR's pick: meta96)
    assert best["pruned"] is not None and best["hash"] == out["best_hash"]
    body = slots(parse(best["stored"]))[0].body  # the fit's `a + b * (f)`: f's nodes are the size
    assert isinstance(body, Call) and body.op == "add" and isinstance(body.args[1], Call)
    assert best["size"] == body.args[1].args[1].size < body.size
    front = api.best(db, front=True)
    assert front[-1]["hash"] == best["hash"] and front[-1]["size"] == best["size"]
    assert all(c["size"] < best["size"] for c in front[:-1])
