"""A meta archive's rows (one per inner run, its best program) give ``size`` as an evolve run's archive does: the
nodes of the evolved definitions, simplified (misc88: it was the program text's length, 163-221 beside 16 nodes,
which meta83's report worked around by drawing no front of a meta archive)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from mlevolve import api
from mlevolve.dsl.parse import parse
from mlevolve.gp.engine import evolved_size
from mlevolve.gp.memo import simplified_program
from tests.conftest import ROOT


def test_an_inner_runs_row_gives_its_best_programs_node_count(tmp_path: Path) -> None:
    config = tmp_path / "smoke.toml"
    text = re.sub(r'program = "(\.\./)+', f'program = "{ROOT}/', (ROOT / "benchmarks/meta/smoke.toml").read_text())
    config.write_text(re.sub(r"generations = \d+", "generations = 1", text))
    api.meta(config, tmp_path / "m.db", quiet=True)
    with sqlite3.connect(tmp_path / "m.db") as conn:
        rows = conn.execute("SELECT program, size FROM candidates").fetchall()
    assert rows
    for program, size in rows:
        assert size == evolved_size(simplified_program(parse(program)), ["f"]) < len(program)
        assert 1 <= size <= 60
