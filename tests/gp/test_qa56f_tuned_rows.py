"""qa56f: two archive rows with the same text and different hashes (``linear_regression.mlev --evolve linreg.learn
--init random --budget 600 --seed 1``: 38f18736274d and 99a984e8b1d5) are right, not a defect.  In a run that tunes a
learner's literals, a row's hash is the key of the program as proposed (what the cache and the fresh tasks' draw,
``fresh_seed``, are keyed on) and its text the program as tuned, which the search carries on (``Engine._carried``):
a proposal tuned into a program that is later proposed as such shares its text, and is scored on tasks of its own.
An FEC or cache hit's row likewise holds the program whose outcome it reuses.  Pinned here: the text round-trips,
and parts from its row's hash only where the row was tuned or reuses a twin's outcome."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import mlevolve
from mlevolve import cli

EXAMPLE = Path(__file__).parents[2] / "examples" / "linear_regression.mlev"


def test_a_rows_text_parts_from_its_hash_only_where_its_literals_were_tuned(tmp_path: Path) -> None:
    db = tmp_path / "lr.db"
    assert cli.main(["evolve", str(EXAMPLE), "--evolve", "linreg.learn", "--init", "random", "--budget", "600",
                     "--seed", "1", "--db", str(db), "--quiet"]) == 0
    rows = sqlite3.connect(db).execute("select hash, program, metrics, failure, source from candidates").fetchall()
    by_text: dict[str, list[str]] = defaultdict(list)
    parted = 0
    for key, text, metrics, failure, source in rows:
        program = mlevolve.parse(text)
        assert mlevolve.format(program) == text  # the stored text is the printed program, and reads back as it
        by_text[text].append(key)
        if mlevolve.program_hash(program) != key:  # the text is not the program proposed: it was tuned, or the row
            parted += 1  # reuses the outcome (and so the tuned program) of a twin: an FEC or cache hit
            tuned = failure is None and json.loads(metrics).get("fit_evaluations", 0) > 0
            assert tuned or source in ("fec", "cache"), (key, source, text)
    assert parted > 0  # the run tunes: the case this pins happens in it
    assert any(len(set(keys)) > 1 for keys in by_text.values())  # one text, several proposals: the case reported
