"""A regression learner's numbers read the same wherever a command shows them: ``run --json``, ``best``, ``show``,
the report's data and an exported script all give R² beside the MSE, the same R² (a fresh-user pass: ``best`` and
``show`` gave val_mse alone, ``run --json`` and the script no val_r2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Capsys, cli, regression_csv, run_child

LEARNER = (EXAMPLES / "linear_regression.mlev").read_text().replace("task linear", 'task "d.csv:target=y"')


@pytest.mark.e2e
def test_a_regression_learner_s_mse_and_r2_agree_in_run_best_show_report_and_its_script(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlevolve import api
    from mlevolve.report.data import describe, load, pruned_row
    from mlevolve.results import shown_number

    monkeypatch.chdir(tmp_path)
    regression_csv(tmp_path / "d.csv")
    (tmp_path / "l.mlev").write_text(LEARNER)
    assert cli(capsys, "evolve", "l.mlev", "--evolve", "linreg.learn", "--budget", "3", "--seed", "1", "--db", "r.db",
               "--quiet")[0] == 0
    top = api.best("r.db", n=1)[0]  # the run's best, as the archive holds it
    assert cli(capsys, "export", "r.db", top["hash"][:12], "-o", "c.mlev")[0] == 0
    code, out, _ = cli(capsys, "run", "c.mlev", "--json")  # scored again as the run scored it (its seed)
    ran = json.loads(out)
    assert code == 0 and list(ran)[:2] == ["val_mse", "val_r2"]  # R² beside the MSE
    assert top["metrics"]["val_mse"] == ran["val_mse"]
    assert top["metrics"]["val_r2"] == pytest.approx(ran["val_r2"], rel=1e-12)
    shown = f"val_mse {shown_number(ran['val_mse'], 4)}, val_r2 {shown_number(ran['val_r2'], 4)}"
    assert shown in cli(capsys, "best", "r.db", "-n", "1")[1]
    assert shown in cli(capsys, "show", "r.db", top["hash"][:12])[1]
    run = load("r.db")  # the report's data: its candidates as described there
    row = next((r for r in run.rows if r.hash == top["hash"]), None) or pruned_row(run.meta.get("pruned"))
    assert row is not None and row.hash == top["hash"]
    reported = describe(run, row)
    assert reported["metrics"]["val_r2"] == pytest.approx(ran["val_r2"], rel=1e-12)
    assert cli(capsys, "export", "c.mlev", "-o", "c.py")[0] == 0
    script = run_child([sys.executable, "c.py", "--json"], capture_output=True, text=True, timeout=300)
    exported = json.loads(script.stdout)
    assert (exported["val_mse"], exported["val_r2"]) == (ran["val_mse"], ran["val_r2"])
