"""``mlevolve best --front`` on a front entry the run pruned as another rule's answer (misc69): it read ``pruned into
H, the run's answer`` where the run's answer (the default rule's, marked PySR's pick) was another entry, and the
pruned program H, listed nowhere, was not shown.  Each entry is listed once, its pruned form beside it, the line
naming the rule whose answer it is; no program off the front is an entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, Capsys, cli

ENTRY = """\
#10  size 25  score 1.5076  train_r2 0.99979  hash 0fa8f981a803  (candidate 224, insert, generation 4)
    train_mse 0.00039156, train_r2 0.99979, test_mse 0.002377, test_r2 0.99872, fit_evaluations 21
    pruned into 71adf742e541, the answer of --select score: 25 -> 23 nodes (the fitted a + b * f not counted)
    formula f(x: Scalar) -> Scalar =
      0.7525 * (x * x * x * (2.831 * x) + (2.761 * (x * x) + 0.02663) * x + x * x + x) - 0.009386
    its pruned form, 71adf742e541:
    formula f(x: Scalar) -> Scalar =
      0.7525 * (x * x * x * (2.831 * x) + (2.761 * (x * x) + 1.027) * x + x * x) - 0.009386
"""


@pytest.fixture(scope="module")
def quartic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quartic run of the finding: ``evolve examples/quartic.mlev --task nguyen4 --budget 300 --seed 1``."""
    from mlevolve import api

    db = tmp_path_factory.mktemp("front") / "q.db"
    api.evolve(str(ROOT / "examples" / "quartic.mlev"), task="nguyen4", budget=300, seed=1, db=str(db))
    return db


def test_a_front_entry_pruned_as_another_rule_s_answer_reads_clearly_golden(quartic: Path, capsys: Capsys) -> None:
    code, out, _ = cli(capsys, "best", str(quartic), "--front")
    assert code == 0
    blocks = out.split("\n\n")
    assert f"{next(b for b in blocks if b.startswith('#10 '))}\n" == ENTRY
    entries = [b for b in blocks if re.match(r"#\d+ ", b)]
    hashes = [re.search(r"hash (\w+)", b)[1] for b in entries]  # type: ignore[index]
    assert len(hashes) == len(set(hashes)) == 11
    assert "71adf742e541" not in hashes  # the prune is beside its entry, not an entry: the front is the candidates'
    assert sum("PySR's pick" in b for b in entries) == 1 and "the run's answer" not in out


def test_best_names_whose_answer_a_prune_is(quartic: Path, capsys: Capsys) -> None:
    """Outside the front too: candidate 224's line named --select score's answer the run's."""
    code, out, _ = cli(capsys, "best", str(quartic), "-n", "4")
    assert code == 0
    assert "    pruned into 71adf742e541, the answer of --select score: 25 -> 23 nodes" in out
    code, out, _ = cli(capsys, "best", str(quartic), "-n", "1", "--select", "score")
    assert code == 0 and "71adf742e541" in out
