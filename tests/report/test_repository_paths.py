"""Output that names a file of mlevolve's source repository (``benchmarks/meta/evidence.py``, ``docs/meta.md``), which
the installed package lacks, says it is the repository's (qa102: a meta run's report pointed to
``benchmarks/meta/evidence.py`` as if it were beside the user's archive)."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

from mlevolve.cli import build_parser
from mlevolve.messages import in_repository
from mlevolve.report import page
from tests.conftest import ROOT, Capsys, cli


def test_a_meta_reports_answer_says_evidence_py_is_the_repositorys() -> None:
    run = SimpleNamespace(meta={"summary": {"chosen_generation": 0, "output": "/x/g.grammar.toml", "rules": 0,
                                            "operators": 0, "best_validation_auc": 0.5}}, path=Path("/x/m.db"))
    html = page._meta_answer(run)  # type: ignore[arg-type]
    assert ("whose evidence on held-out tasks <code>benchmarks/meta/evidence.py</code> in the mlevolve repository "
            "measures (docs/meta.md in the mlevolve repository).") in html


def test_hints_and_help_naming_a_repository_file_say_whose_it_is(tmp_path: Path, capsys: Capsys) -> None:
    assert in_repository("docs/meta.md") == "docs/meta.md in the mlevolve repository"
    meta = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices["meta"]
    assert "benchmarks/meta/train.toml in the mlevolve repository" in " ".join(meta.format_help().split())
    (tmp_path / "m.toml").write_text(f'program = "{ROOT}/examples/quartic.mlev"\nevolve = ["f"]\n[split]\n'
                                     'train = ["nguyen1", "nguyen3"]\nvalidation = ["nguyen2"]\n')
    code, _, err = cli(capsys, "meta", str(tmp_path / "m.toml"))
    assert code == 2 and "benchmarks/meta/evidence.py in the mlevolve repository refuses" in err, err
    code, _, err = cli(capsys, "meta", str(tmp_path / "none.toml"))
    assert code == 2 and "e.g. benchmarks/meta/train.toml in the mlevolve repository" in err, err
