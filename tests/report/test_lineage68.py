"""The report names the metric a fitness is wherever it labels one (meta68): the lineage's nodes said ``fitness F``
where evolve's headlines say ``train_r2 0.99`` (stop 67), and the plots' axes and the front's table said bare
``fitness`` of values that are ``-val_mse``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.report import data, lineage, page, render
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """A formula's run (its fitness train_r2, higher is better) and a learner's (-val_mse: lower is better), each
    with its answer's metric as the summary names it."""
    folder = tmp_path_factory.mktemp("lineage68")
    out = {}
    for kind, program, extra in (("formula", "quartic.mlev", {"task": "nguyen4"}),
                                 ("learner", "linear_regression.mlev", {"evolve": ["linreg.learn"],
                                                                        "task": "linear:fresh=0"})):
        db = folder / f"{kind}.db"
        result = api.evolve(ROOT / "examples" / program, budget=40, population=8, tournament=3, seed=1, db=db,
                            prune=False, **extra)
        out[kind] = (db, result["answer"]["metric"]["name"])
    return out


@pytest.mark.parametrize("kind, name, sign", [("formula", "train_r2", ""), ("learner", "val_mse", "-")])
def test_the_lineage_labels_each_node_by_the_metric_as_the_headlines_do(
        runs: dict[str, tuple[Path, str]], kind: str, name: str, sign: str) -> None:
    db, said = runs[kind]
    assert said == name  # the summary's headline metric
    run = data.load(db)
    best = run.top[0]
    graph, _ = data.lineage(run, best)
    svg = lineage.svg(graph, best.hash)
    details = re.findall(r'<text x="[\d.]+" y="[\d.]+">([^<]*)</text></g>', svg)
    assert len(details) == graph.number_of_nodes()
    scored = [d for d in details if d not in ("failed", "not in the archive")]
    assert scored and all(d.startswith(f"{name} ") for d in scored), details
    assert not any(d.startswith("fitness") for d in details)
    focus = re.search(r'<g class="node focus">.*?</g>', svg, re.S)  # its value the metric's own (val_mse > 0)
    assert focus is not None and f">{name} {render.number(best.metrics[name])}</text>" in focus.group(0), svg
    assert data.fitness_label(run) == f"fitness = {sign}{name}"
    html = page.build(run, None)
    assert f"<th>fitness = {sign}{name}</th>" in html  # the front's table header: the values are the signed fitness


def test_a_run_whose_fitness_is_no_metric_keeps_the_bare_word(runs: dict[str, tuple[Path, str]]) -> None:
    """Nothing scored: no metric to name."""
    run = data.load(runs["formula"][0])
    assert data.fitness_label(data.Run(path=run.path, meta=run.meta, rows=())) == "fitness"
