"""What ``best``, ``show`` and the report say of a run (qa55c): why a pruned best is listed first above fitter
entries, which size a fitted formula's lines give, and a parent named once where both parents are one program."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.dsl.errors import SettingError
from mlevolve.gp.archive import Archive, Row
from mlevolve.report import data
from tests.conftest import Capsys, cli

PROGRAM = "algorithm quartic\ntask nguyen4\n\nformula f(x: Scalar) -> Scalar =\n  {}\n"
META = {"program_hash": "p", "program_name": "quartic", "task": "nguyen4", "evolve": ["f"]}


def _row(seq: int, body: str, fitness: float, parents: tuple[str, ...] = (), operator: str = "point",
         size: int = 3) -> Row:
    return Row(seq, f"{seq:02d}" * 16, PROGRAM.format(body), fitness,
               {"val_mse": -fitness, "test_mse": 1.0, "fitness": fitness}, None, None, "evaluated", None,
               operator, parents, len(parents), size, 0.1)


def _pruned_run(db: Path, fitness: float, start: dict[str, Any] | None = None, **record: Any) -> None:
    """A run whose best (candidate 0, fitness -0.1) was pruned into ``fitness``; candidate 2 reads -0.3; ``start``:
    the meta's start."""
    with Archive.for_run(db, META) as archive:
        if start is not None:
            archive.set_meta("start", start)
        for row in (_row(0, "x * x * x + 0.0 * x", -0.1, size=7), _row(2, "x * x", -0.3)):
            archive.add(row)
        metrics = {"val_mse": -fitness, "test_mse": 1.0, "fitness": fitness}
        archive.set_meta("pruned", {"from": "00" * 16, "from_seq": 0, "from_generation": 1, "from_fitness": -0.1,
                                    "from_metrics": {"val_mse": 0.1, "test_mse": 1.0, "fitness": -0.1},
                                    "from_size": 7, "program": PROGRAM.format("x * x * x"), "hash": "ab" * 16,
                                    "fitness": fitness, "metrics": metrics, "size": 5, "edits": 1,
                                    "evaluations": 3, **record})


@pytest.mark.parametrize(("fitness", "record", "why"), [
    (-0.5, {"tasks": 100}, "; listed as the run's fittest: scored on the prune's 100 common tasks, the others each on "
                           "tasks drawn for it"),
    (-0.35, {}, "; listed as the run's fittest, in its candidate's place (fitness -0.1): the prune's edits cost less "
                "than its tolerance"),
    (-0.05, {}, ""),  # the fittest: nothing to explain
    (-0.3 * (1 + 1e-15), {}, ""),  # tied with the next within float rounding: as fit
])
def test_a_pruned_best_listed_above_fitter_entries_says_why(capsys: Capsys, tmp_path: Path, fitness: float,
                                                            record: dict[str, Any], why: str) -> None:
    """`best` listed a learner's pruned best first, above entries with higher fitness, because it was scored on the
    prune's common tasks, and nothing said so; a formula's pruned on fixed tasks stands in its candidate's place."""
    db = tmp_path / "p.db"
    _pruned_run(db, fitness, **record)
    code, out, _ = cli(capsys, "best", str(db), "-n", "2")
    assert code == 0
    listed = [line for line in out.splitlines() if line.startswith("#")]
    assert listed[0].startswith("#1  val_mse 0.") and listed[0].endswith(f"  hash abababababab  (the prune of "
                                                                         f"candidate 0{why})")
    assert listed[1].startswith("#2  val_mse 0.3  ")
    code, out, _ = cli(capsys, "show", str(db), "--best")  # show --best ranks it as best does
    assert code == 0 and out.splitlines()[0] == listed[0]
    code, out, _ = cli(capsys, "show", str(db), "abab")  # by its hash: not ranked, nothing said of a rank
    assert code == 0 and out.splitlines()[0].endswith("(the prune of candidate 0)")
    front = api.best(db, front=True)  # by size: no entry is first by fitness
    assert all(c["first"] is None for c in front)


def test_a_fitted_formulas_sizes_say_the_scaling_is_not_counted(capsys: Capsys, tmp_path: Path) -> None:
    """The prune line said "still 1 node" beside `0.649 + 2.172 * x`: sizes are the search's, without the
    linear scaling the program shows; the prune line, the front's header and the report's front say so."""
    db = tmp_path / "f.db"
    with Archive.for_run(db, META) as archive:
        for row in (_row(0, "0.649 + 2.172 * x", -0.5, size=1), _row(1, "1.5 + 0.5 * (x * x)", -0.1, size=3)):
            archive.add(row)
    code, out, _ = cli(capsys, "best", str(db), "--front")
    assert code == 0
    assert out.startswith("Pareto front: 2 programs, each fitter than every smaller one (size: nodes of the evolved "
                          "definitions, the fitted a + b * f not counted)\n")
    report = tmp_path / "f.html"
    api.report(db, report)
    page = report.read_text()
    assert "(nodes of the evolved definitions, the fitted a + b * f not counted) and fitness" in page
    assert "(hash 010101010101, candidate 1, size 3, the fitted a + b * f not counted)" in page  # the answer's
    record = {"from": "01" * 16, "from_seq": 1, "from_size": 1, "size": 1, "hash": "ab" * 16,
              "program": PROGRAM.format("0.65 + 2.2 * x"), "from_metrics": {"val_mse": 0.5, "fitness": -0.5},
              "metrics": {"val_mse": 0.5, "fitness": -0.5}}
    assert data.pruned_line(record) == ("pruned from candidate 1 (hash 010101010101): still 1 node (the fitted "
                                        "a + b * f not counted), fewer digits, val_mse 0.5 -> 0.5")
    unscaled = tmp_path / "u.db"  # sizes that are the shown program's (--fit off): no note
    with Archive.for_run(unscaled, META) as archive:
        archive.add(_row(0, "x * x", -0.5))
    code, out, _ = cli(capsys, "best", str(unscaled), "--front")
    assert code == 0 and "(size: nodes of the evolved definitions)\n" in out


def test_a_crossover_of_a_program_with_itself_names_its_parent_once(capsys: Capsys, tmp_path: Path) -> None:
    """A child whose two parents are one program: its ancestry and the report's lineage name that parent once;
    the API keeps both (the archive's parents column)."""
    db = tmp_path / "c.db"
    parent = "00" * 16
    with Archive.for_run(db, META) as archive:
        archive.add(_row(0, "x * x", -0.5, operator="random"))
        archive.add(_row(1, "x * x * x", -0.1, (parent, parent), "crossover"))
    [shown] = api.show(db, "0101")
    assert shown["parents"] == [parent, parent]
    refused = r"^error: n must be 1 with a key, which names one program, got 2\nhint: show\(db, n=N\)"
    with pytest.raises(SettingError, match=refused):
        api.show(db, "0101", n=2)  # as the command line refuses -n with a HASH (it was ignored)
    assert [a["hash"] for a in shown["ancestry"]] == [parent]
    code, out, _ = cli(capsys, "show", str(db), "0101")
    assert code == 0 and out.count("000000000000") == 1
    run = data.load(db)
    graph, left_out = data.lineage(run, run.rows[1])
    assert sorted(graph.edges) == [(parent, "01" * 16)] and left_out == 0


def test_show_says_a_candidate_is_compared_with_the_start_on_the_common_draw(capsys: Capsys, tmp_path: Path) -> None:
    """`show` of the candidate a prune on a common draw came from headed it with its own draw's fitness and compared
    it with the start on the prune's draw (another fitness) without a word; its `this:` line now says so."""
    db = tmp_path / "d.db"
    start = {"val_mse": 0.01, "test_mse": 1.0, "fitness": -0.01}
    _pruned_run(db, -0.5, {"hash": "ff" * 16, "how": "the file's program", "metrics": start,
                           "program": PROGRAM.format("x")},
                tasks=100, from_metrics={"val_mse": 0.2, "test_mse": 1.0, "fitness": -0.2}, start_metrics=start,
                start_hash="ff" * 16)
    code, out, _ = cli(capsys, "show", str(db), "0000")
    assert code == 0
    this = next(line for line in out.splitlines() if line.startswith("    this:"))
    assert this == ("    this:  val_mse 0.2  test_mse 1   (scored on the prune's 100 common tasks, as the start; "
                    "val_mse 0.1 on its own draw)")  # its headline's fitness, -0.1, is -val_mse of its own draw
    assert out.startswith("val_mse 0.1  hash 000000000000")  # the metric its fitness is, not -0.1
    code, out, _ = cli(capsys, "show", str(db), "--best")  # the pruned best: scored there, its headline's too
    assert code == 0 and next(line for line in out.splitlines() if line.startswith("    this:")).endswith(
        "   (scored on the prune's 100 common tasks, as the start)")
    code, out, _ = cli(capsys, "show", str(db), "0202")  # any other candidate: as the run scored it, no note
    assert code == 0 and "common tasks" not in next(line for line in out.splitlines() if line.startswith("    this:"))
