"""The meta log writes a sign only on a difference: an AUC gain over the base grammar (``[meta] fitness =
"paired"``) is ``+0.0889``, an AUC (``fitness = "auc"``) is ``0.8759``, never ``+0.8759`` (a value, not a change)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.meta.evolve import generation_line
from tests.meta.test_meta import _meta_run, _result


def test_a_paired_generation_line_signs_its_gains() -> None:
    assert generation_line(0, True, -0.12034, ["nguyen3", "nguyen5"], "mean+worst", 0.08891, 0.87594, (0, 0, 4, 4)) == (
        "meta-generation 0: best AUC gain over base -0.1203 on nguyen3, nguyen5; validation mean+worst +0.0889 "
        "(AUC 0.8759); the best has 0 rules, 0 operators; mined 4 rules from the elites (4 new to the pool)")


def test_an_auc_generation_line_writes_its_values_unsigned() -> None:
    assert generation_line(2, False, 0.61234, ["nguyen1"], "mean", 0.5, 0.5, (1, 2, 1_234, 0)) == (
        "meta-generation 2: best AUC 0.6123 on nguyen1; validation mean 0.5000 (AUC 0.5000); the best has 1 rule, "
        "2 operators; mined 1,234 rules from the elites (0 new to the pool)")


@pytest.mark.parametrize(("fitness", "best", "validation"), [("auc", "0.7500", "0.7500"),
                                                             ("paired", "+0.2500", "+0.2500")])
def test_a_meta_runs_log_signs_only_its_gains(tmp_path: Path, fitness: str, best: str, validation: str) -> None:
    """A whole meta-generation (inner runs stubbed: every generator's AUC 0.75, the base grammar's 0.5)."""
    run = _meta_run(tmp_path, fitness=fitness, generations=1)
    lines: list[str] = []
    run.log = lines.append  # type: ignore[attr-defined]
    base = run.base.digest  # type: ignore[attr-defined]
    run.evaluate = lambda jobs, generation: [_result(0.5 if spec.digest == base else 0.75)  # type: ignore[attr-defined]
                                             for spec, _, _ in jobs]
    run.run()  # type: ignore[attr-defined]
    run.archive.close()  # type: ignore[attr-defined]
    kind = "AUC gain over base" if fitness == "paired" else "AUC"
    assert [line.split(" on ")[0] for line in lines] == [f"meta-generation 0: best {kind} {best}"]
    assert (f"; validation mean+worst {validation} (AUC 0.7500); the best has 0 rules, 0 operators; mined 0 rules "
            "from the elites (0 new to the pool)") in lines[0]
