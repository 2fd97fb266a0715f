"""A candidate's numbers read the same wherever a command shows them: ``run``, ``best``, ``show``, ``evolve``'s
summary, the report (its HTML and its data) and an exported script print each metric as one string, by one rule
(:data:`mlevolve.results.METRIC_DIGITS` significant digits, :func:`mlevolve.results.shown_metric`); ``--json``, the
API's dicts and the archive keep every digit.  A regression learner gives R² beside the MSE everywhere (a fresh-user
pass: ``best`` and ``show`` gave val_mse alone, ``run --json`` and the script no val_r2); a fresh-user pass found
``run`` and scripts at 6 significant digits, ``best`` and ``show`` at 4, the summary at 5 and 4 (helper dig98)."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Capsys, cli, regression_csv, run_child

LEARNER = (EXAMPLES / "linear_regression.mlev").read_text().replace("task linear", 'task "d.csv:target=y"')
# (file, --evolve, --task): a formula on a built-in task, a regression learner on a data file
CANDIDATES = {"formula": ("quartic.mlev", "f", "nguyen4"), "learner": ("l.mlev", "linreg.learn", None)}


def _lines(text: str) -> dict[str, str]:
    """``run``'s and a script's text output, ``  KEY: VALUE`` per line, as a dict."""
    return {k.strip(): v.strip() for k, _, v in (line.partition(": ") for line in text.splitlines()) if v}


@pytest.mark.e2e
@pytest.mark.parametrize("kind", sorted(CANDIDATES))
def test_a_candidate_s_metrics_are_the_same_strings_in_every_command_report_and_its_script(
        kind: str, tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlevolve import api
    from mlevolve.report.data import describe, load, pruned_row
    from mlevolve.results import fitness_metric, shown_metric

    monkeypatch.chdir(tmp_path)
    file, evolve, task = CANDIDATES[kind]
    if kind == "learner":
        regression_csv(tmp_path / "d.csv")
        (tmp_path / file).write_text(LEARNER)
    else:
        (tmp_path / file).write_text((EXAMPLES / file).read_text())
    code, summary, _ = cli(capsys, "evolve", file, "--evolve", evolve, *(["--task", task] if task else []),
                           "--budget", "3", "--seed", "1", "--db", "r.db")
    assert code == 0
    top = api.best("r.db", n=1)[0]  # the run's answer, as the archive holds it (every digit)
    assert cli(capsys, "export", "r.db", top["hash"][:12], "-o", "c.mlev")[0] == 0
    code, out, _ = cli(capsys, "run", "c.mlev", "--json")  # scored again as the run scored it (its seed)
    ran = json.loads(out)
    assert code == 0 and all(top["metrics"][k] == pytest.approx(v, rel=1e-12) for k, v in ran.items()
                             if k in top["metrics"] and k != "train_seconds")
    if kind == "learner":
        assert list(ran)[:2] == ["val_mse", "val_r2"]  # R² beside the MSE
    shown = {k: shown_metric(v) for k, v in ran.items() if isinstance(v, float) and k != "train_seconds"}
    assert len(shown) >= 2 and any(len(repr(ran[k])) > len(v) + 2 for k, v in shown.items())  # rounded for people

    as_run = _lines(cli(capsys, "run", "c.mlev")[1])
    assert {k: as_run[k] for k in shown} == shown  # run's text
    best_out = cli(capsys, "best", "r.db", "-n", "1")[1]
    show_out = cli(capsys, "show", "r.db", top["hash"][:12])[1]
    listed = {k: v for k, v in shown.items() if k in top["metrics"] and k != "fitness"}
    line = ", ".join(f"{k} {v}" for k, v in listed.items())  # the metrics line of best and show, in their order
    assert line in best_out and line in show_out
    name = fitness_metric(top["metrics"]).name  # the summary's answer: its metric (and R²) as the others show them
    assert f"{name} {shown[name]}" in summary
    if kind == "learner":
        assert f"R² {shown['val_r2']}" in summary

    run = load("r.db")  # the report's data: every digit, shown by the same rule
    row = next((r for r in run.rows if r.hash == top["hash"]), None) or pruned_row(run.meta.get("pruned"))
    assert row is not None and row.hash == top["hash"]
    reported = describe(run, row)
    assert {k: shown_metric(reported["metrics"][k]) for k in listed} == listed
    assert cli(capsys, "report", "r.db", "-o", "r.html")[0] == 0
    assert line in (tmp_path / "r.html").read_text()  # the report's HTML lists the metrics as best does

    assert cli(capsys, "export", "c.mlev", "-o", "c.py")[0] == 0
    script = run_child([sys.executable, "c.py"], capture_output=True, text=True, timeout=300)
    assert script.returncode == 0, script.stderr
    assert {k: _lines(script.stdout)[k] for k in shown} == shown  # the script's text, by the same rule


def test_an_exported_script_carries_the_library_s_rule_of_a_metric_as_text(tmp_path: Path) -> None:
    """The script prints its metrics by :func:`shown_metric` with the library's :data:`METRIC_DIGITS`, copied from
    the one module that owns them (as it copies its other constants), not a format of its own."""
    from mlevolve import api
    from mlevolve.results import METRIC_DIGITS, shown_metric

    source = api.export(EXAMPLES / "quartic.mlev", "nguyen4")
    tree = ast.parse(source)
    digits = [n for n in tree.body if isinstance(n, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "METRIC_DIGITS" for t in n.targets)]
    assert len(digits) == 1 and ast.literal_eval(digits[0].value) == METRIC_DIGITS
    assert ".6g" not in source and "shown_metric(v)" in source
    scope: dict[str, object] = {}
    exec(compile(ast.Module([n for n in tree.body if isinstance(n, ast.Import) and n.names[0].name == "math"]
                            + [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.Assign) and (
                                getattr(n, "name", None) == "shown_metric" or n in digits)],
                            type_ignores=[]), "script", "exec"), scope)
    for x in (0.0123456789, 0.999998, 99.99999, 1e-9 / 3, 12345678.9, 1.0, -0.5):
        assert scope["shown_metric"](x) == shown_metric(x)  # type: ignore[operator]
