"""A run's exported program reproduces its score where the evolved component runs in float32 (qa53a): the
optimizer ``adam`` holds ``log(0.9)``, which the cache key folds in float64 to -0.10536051565782628; the shown
and exported program keeps it (torch's float32 log of 0.9 is another number), so the ``.mlev`` and the
standalone script score as the run did, every metric bit for bit, and as the file it started from."""

from __future__ import annotations

import json
from pathlib import Path

from mlevolve.api import evolve
from mlevolve.gp.archive import Archive
from tests.conftest import EXAMPLES, Capsys, cli


def test_an_optimizer_run_s_export_scores_as_the_run_did(tmp_path: Path, capsys: Capsys) -> None:
    db = tmp_path / "adam1.db"
    evolve(EXAMPLES / "adam.mlev", ["adam"], db=db, task="iris", budget=1, population=3, epochs=1, quiet=True)
    with Archive.read(db) as archive:
        rows = archive.best(1)
    assert rows and "log(0.9)" in (rows[0].simplified or "")  # the archive's simplified text: not folded either
    out = tmp_path / "adam1.mlev"
    code, _, _ = cli(capsys, "export", "--db", str(db), "--best", "-o", str(out))
    assert code == 0 and "log(0.9)" in out.read_text() and "-0.10536051565782628" not in out.read_text()

    def metrics(path: Path) -> dict[str, object]:
        code, printed, _ = cli(capsys, "run", str(path), "--task", "iris", "--epochs", "1", "--json")
        assert code == 0
        return {k: v for k, v in json.loads(printed).items() if not k.endswith("seconds")}

    exported = metrics(out)
    assert exported == metrics(EXAMPLES / "adam.mlev")
    assert exported["fitness"] == rows[0].fitness
