"""A list of bests shows each program text once (kinds56, item 5): a fresh-task learner run listed the same shown
text twice, each scored on a draw of its own (metrics that differ, so two behaviours).  ``best``, ``best --front``,
``show`` and the report merge a behaviour ranked lower that reads as a listed one (at the digits shown) into it,
named with its fitness on a line of its own, so the entry says how many candidates it stands for."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.gp.archive import Archive, Row
from mlevolve.report import data
from tests.conftest import Capsys, cli

PROGRAM = "algorithm quartic\ntask nguyen4\n\nformula f(x: Scalar) -> Scalar =\n  {}\n"
META = {"program_hash": "p", "program_name": "quartic", "task": "nguyen4", "evolve": ["f"]}


def _row(seq: int, body: str, fitness: float, size: int) -> Row:
    return Row(seq, f"{seq:02d}" * 16, PROGRAM.format(body), fitness,
               {"val_mse": -fitness, "test_mse": 1.0, "fitness": fitness}, None, None, "evaluated", None,
               "point", (), 0, size, 0.1)


ROWS = [_row(0, "x * x + 1.5", -0.1, 5),        # listed first
        _row(1, "x * x + 1.50001", -0.2, 5),    # reads as it at 4 digits, not with every digit
        _row(2, "x * x + 1.5", -0.3, 5),        # the same text, scored apart (a fresh draw): another behaviour
        _row(3, "sin(x)", -0.15, 2),
        _row(4, "x", -0.4, 1),
        _row(5, "x * x + 1.5", -0.05, 7)]      # the same text again (a larger stored program), the fittest


def _run(db: Path, rows: list[Row]) -> None:
    with Archive.for_run(db, META) as archive:
        for row in rows:
            archive.add(row)


def test_best_lists_each_shown_text_once_naming_the_others(tmp_path: Path, capsys: Capsys) -> None:
    db = tmp_path / "r.db"
    _run(db, ROWS[:5])
    listed = api.best(db, n=10)
    assert [c["evolved"].splitlines()[-1].strip() for c in listed] == ["x * x + 1.5", "sin(x)", "x"]
    assert [a["hash"][:2] for a in listed[0]["alike"]] == ["01", "02"]
    code, out, _ = cli(capsys, "best", str(db), "-n", "10")
    assert code == 0
    assert f"    + 2 more programs shown alike, ranked lower: {'01' * 6} (val_mse 0.2), {'02' * 6} (val_mse 0.3)" \
        in out.splitlines()
    assert out.count("x * x + 1.5") == 1
    every = api.best(db, n=10, digits=0)  # every digit: 1.50001 reads otherwise
    assert [c["hash"][:2] for c in every] == ["00", "03", "01", "04"]
    assert [a["hash"][:2] for a in every[0]["alike"]] == ["02"]
    shown = api.show(db, n=3)
    assert [c["hash"][:2] for c in shown] == ["00", "03", "04"] and len(shown[0]["alike"]) == 2


def test_n_counts_distinct_texts(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    _run(db, ROWS[:5])
    assert [c["hash"][:2] for c in api.best(db, n=2)] == ["00", "03"]


def test_the_front_keeps_the_fittest_of_a_text(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    _run(db, [ROWS[0], ROWS[3], ROWS[4], ROWS[5]])
    front = api.best(db, front=True)
    assert [(c["hash"][:2], c["size"]) for c in front] == [("04", 1), ("03", 2), ("05", 7)]
    assert [a["hash"][:2] for a in front[-1]["alike"]] == ["00"]
    assert all(a["fitness"] < b["fitness"] for a, b in pairwise(front))


def test_the_report_lists_each_text_once(tmp_path: Path, capsys: Capsys) -> None:
    db, page = tmp_path / "r.db", tmp_path / "r.html"
    _run(db, ROWS[:5])
    code, _, _ = cli(capsys, "report", str(db), "-o", str(page))
    assert code == 0
    html = page.read_text()
    assert "2 more programs shown alike, ranked lower" in html and "Top 3 behaviours" in html


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "x * x", "x + 1.5", "x + 1.50001", "sin(x)"]),
                          st.floats(-1.0, -0.01)), min_size=1, max_size=8))
def test_every_scored_program_is_listed_once(picks: list[tuple[str, float]]) -> None:
    """Property: listed whole, the entries' texts are distinct, and each program is the entry, one of its ``same`` or
    one of its ``alike``, exactly once."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "r.db"
        _run(db, [_row(i, body, fitness, 3) for i, (body, fitness) in enumerate(picks)])
        listed = api.best(db, n=len(picks))
        texts = [c["evolved"] for c in listed]
        assert len(set(texts)) == len(texts)
        named = [h for c in listed for h in (c["hash"], *c["same"], *(a["hash"] for a in c["alike"]))]
        assert sorted(named) == sorted(f"{i:02d}" * 16 for i in range(len(picks)))
        run = data.load(db, top=1, digits=4)
        assert len(data.distinct(run, data.behaviours(run))) == len(listed)
