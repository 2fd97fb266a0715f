"""The run's answer is one rule's, ``--select`` (PySR's ``model_selection``, the estimator's): ``evolve``'s summary,
``best``, ``show --best``, ``export --best`` and the report answered with the fittest formula (a bloated one on noisy
data) where ``SymbolicRegressor`` answered with PySR's pick (smaller, within 1.5x the train MSE, better on held-out
rows): the command line and Python gave different formulas for the same data."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlevolve.api as api
from mlevolve.cli import main
from mlevolve.dsl.errors import SettingError
from mlevolve.estimator import SymbolicRegressor
from mlevolve.report import data
from mlevolve.results import shown_metric
from tests.conftest import Capsys


def _noisy(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """README's worked example: y = 2.5 x0^2 - x1 + 0.3 + N(0, 0.05), seeded."""
    r = np.random.default_rng(0)
    x = r.uniform(-1, 1, (n, 2))
    return x, 2.5 * x[:, 0] ** 2 - x[:, 1] + 0.3 + r.normal(0, 0.05, n)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A formula run on the noisy CSV whose pick (size 13) is not its fittest (size 15, as fit to 4 digits), with
    the summary evolve printed."""
    folder = tmp_path_factory.mktemp("select")
    x, y = _noisy()
    (folder / "data.csv").write_text("x0,x1,y\n" + "".join(f"{a:.4f},{b:.4f},{c:.4f}\n" for a, b, c in
                                                          zip(x[:, 0], x[:, 1], y, strict=True)))
    (folder / "f.mlev").write_text("algorithm f\n\nformula f(x0: Scalar, x1: Scalar) -> Scalar =\n  x0 + x1\n")
    argv = ["evolve", str(folder / "f.mlev"), "--task", f"{folder / 'data.csv'}:target=y", "--evolve", "f",
            "--budget", "300", "--seed", "2", "--db", str(folder / "a.db")]

    def summary(*more: str) -> str:  # (a module fixture has no capsys)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([*argv, *more]) == 0
        return out.getvalue()

    text = summary("--quiet")  # the search; the summaries below replay it from the archive
    front = api.best(folder / "a.db", front=True, digits=0)
    [pick] = [c for c in front if c["pick"]]
    assert pick is not front[-1], "the fixture's run must have a pick other than its fittest"
    return {"db": folder / "a.db", "folder": folder, "pick": pick, "fittest": front[-1], "quiet": text,
            "summary": summary}


def test_evolve_s_summary_answers_with_the_pick_and_names_the_fittest(run: dict[str, Any]) -> None:
    pick, fittest = run["pick"]["hash"][:12], run["fittest"]["hash"][:12]
    assert run["quiet"].startswith("answer train_r2 ") and (
        f"; hash {pick} (--select best, size {run['pick']['size']}; fittest {fittest}, size {run['fittest']['size']}: "
        "--select accuracy answers with it); 300 candidates;") in run["quiet"]
    lines = run["summary"]().splitlines()
    [answer] = [line for line in lines if line.startswith("answer:  ")]
    [fittest_line] = [line for line in lines if line.startswith("fittest: ")]
    assert answer.endswith(f"(hash {pick}, candidate {run['pick']['seq']}, size {run['pick']['size']}; --select "
                           "best: PySR's pick: the highest score within 1.5x the least train_mse)")
    assert fittest_line.startswith(f"fittest: train_r2 {run['fittest']['metrics']['train_r2']:.5g}  test_r2 ")
    assert fittest_line.endswith(f"size {run['fittest']['size']}  (hash {fittest}, the prune of candidate "
                                 f"{run['fittest']['seq']}; --select accuracy answers with it)")
    assert not any(line.startswith("best:    ") for line in lines)
    shown = lines[lines.index("answer program:") + 2].strip()  # the pick's body, as its answer shows it
    assert shown == (api.answer(run["db"]) or {})["best"]["program"].splitlines()[-1].strip()
    accuracy = run["summary"]("--select", "accuracy").splitlines()  # as before: the fittest, no second line
    assert any(line.startswith("best:    ") and f"(hash {fittest}," in line for line in accuracy)
    assert not any(line.startswith(("answer", "fittest")) for line in accuracy) and "best program:" in accuracy


def test_evolve_s_json_says_which_rule_chose_and_the_pick_s_hash(run: dict[str, Any]) -> None:
    out = json.loads(run["summary"]("--json"))
    assert out["selected"]["rule"] == "best" and out["selected"]["hash"] == run["pick"]["hash"]
    assert out["selected"]["fittest_hash"] == run["fittest"]["hash"] == out["best_hash"]  # best_*: the fittest's
    assert out["selected"]["size"] == run["pick"]["size"] and "formula f(" in out["selected"]["program"]
    accuracy = json.loads(run["summary"]("--json", "--select", "accuracy"))
    assert accuracy["selected"] == {"rule": "accuracy", "hash": run["fittest"]["hash"],  # pruned: its candidate's
                                    "pruned_from": accuracy["pruned_from"]["hash"]}


def test_best_names_the_answer_and_the_fittest_above_its_list(run: dict[str, Any], capsys: Capsys) -> None:
    assert main(["best", str(run["db"]), "-n", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    answer = next(i for i, line in enumerate(lines) if line.startswith("answer:  "))
    assert f"(hash {run['pick']['hash'][:12]}, candidate {run['pick']['seq']}, size {run['pick']['size']}; " \
           "--select best: PySR's pick" in lines[answer]
    assert lines[answer + 1].startswith("pruned:  the answer's prune: ")  # its own prune (ans67), then the fittest
    assert lines[answer + 2].startswith("fittest: ") and \
        f"(hash {run['fittest']['hash'][:12]}, the prune of" in lines[answer + 2]
    assert lines[answer + 3].startswith("pruned:  the fittest's prune: ")
    assert main(["best", str(run["db"]), "-n", "1", "--select", "accuracy"]) == 0
    assert not any(line.startswith(("answer", "fittest")) for line in capsys.readouterr().out.splitlines())


def test_show_best_gives_the_pick_and_the_fittest_under_select_accuracy(run: dict[str, Any], capsys: Capsys) -> None:
    assert main(["show", str(run["db"]), "--best"]) == 0
    out = capsys.readouterr().out
    assert f"hash {run['pick']['hash'][:12]}  (candidate" in out.split("\n\n")[1]  # the program shown: the pick
    assert main(["show", str(run["db"]), "--best", "--select", "accuracy"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"#1  train_r2 {shown_metric(run['fittest']['fitness'])}  hash {run['fittest']['hash'][:12]}")
    assert main(["show", str(run["db"]), "--best", "--sympy"]) == 0  # the formula printed is the answer's too
    picked = capsys.readouterr().out
    assert main(["show", str(run["db"]), run["pick"]["hash"][:12], "--sympy"]) == 0
    assert picked == capsys.readouterr().out


def test_export_best_writes_the_pick_and_the_fittest_under_select_accuracy(run: dict[str, Any], capsys: Capsys
                                                                           ) -> None:
    for select, want in (("best", run["pick"]), ("accuracy", run["fittest"])):
        out = run["folder"] / f"{select}.mlev"
        assert main(["export", str(run["db"]), "--best", "--select", select, "-o", str(out)]) == 0
        capsys.readouterr()
        text, _ = api.export_program(run["db"], want["hash"])
        assert out.read_text() == text
    assert main(["export", str(run["db"]), "-o", str(run["folder"] / "default.mlev")]) == 0  # --best's default
    assert (run["folder"] / "default.mlev").read_text() == (run["folder"] / "best.mlev").read_text()


def test_the_report_s_top_section_answers_with_the_pick(run: dict[str, Any], capsys: Capsys) -> None:
    page = run["folder"] / "r.html"
    assert main(["report", str(run["db"]), "-o", str(page)]) == 0
    html = page.read_text()
    assert "<th>answer</th><td>train_r2 " in html and f"(hash {run['pick']['hash'][:12]}, candidate " in html
    assert f"(hash {run['fittest']['hash'][:12]}, the prune of candidate {run['fittest']['seq']}; --select " \
           "accuracy answers with it)" in html and "<th>fittest</th>" in html
    assert "<h3>The answer&#x27;s program (--select best)</h3>" in html
    assert main(["report", str(run["db"]), "-o", str(page), "--select", "accuracy"]) == 0
    html = page.read_text()
    assert "<th>fittest</th>" not in html and "<th>best</th><td>train_r2 " in html and "<h3>Best program</h3>" in html
    capsys.readouterr()


def test_a_bad_select_is_argparse_s_one_line_error(run: dict[str, Any], capsys: Capsys) -> None:
    for command in (["best", str(run["db"])], ["show", str(run["db"])], ["report", str(run["db"])],
                    ["export", str(run["db"]), "-o", "x.py"]):
        assert main([*command, "--select", "fittest"]) == 2
        err = capsys.readouterr().err.splitlines()
        assert err[0] == (f"mlevolve {command[0]}: error: argument --select: invalid choice: 'fittest' (choose from "
                          "'accuracy', 'best', 'score')")
    with pytest.raises(SettingError, match=r"select must be 'accuracy', 'best' or 'score', got 'fittest'"):
        api.answer(run["db"], "fittest")


def test_the_estimator_and_the_command_line_give_one_formula_for_one_archive(tmp_path: Path,
                                                                               capsys: Capsys) -> None:
    """The same archive and seed: SymbolicRegressor's program_ (model_selection="best") is what show --best and
    export --best give, and model_selection="accuracy"'s what --select accuracy gives."""
    x, y = _noisy()
    db = tmp_path / "sr.db"
    model = SymbolicRegressor(budget=300, random_state=1, db=db).fit(x, y)
    chosen = next(e for e in model.front_ if e["program"] == model.program_)
    assert chosen is not model.front_[-1], "this seed's pick must not be its fittest"
    for select, entry in (("best", chosen), ("accuracy", model.front_[-1])):
        out = tmp_path / f"{select}.mlev"
        assert main(["export", str(db), "--select", select, "-o", str(out)]) == 0
        assert out.read_text() == api.export_program(db, entry["hash"])[0]
        assert (api.answer(db, select) or {})["best"]["hash"] == entry["hash"]
    capsys.readouterr()
    assert main(["show", str(db), "--best", "--sympy"]) == 0  # the shown digits, as expression_ has
    assert capsys.readouterr().out.strip() == model.expression_


def test_a_run_without_scores_answers_with_its_fittest(tmp_path: Path) -> None:
    """No train MSE (a learner's run): no front scores, so every rule's answer is the fittest, as before."""
    from tests.conftest import ROOT

    db = tmp_path / "l.db"
    api.evolve(ROOT / "examples" / "linear_regression.mlev", ["linreg.learn"], budget=20, seed=2, init="random",
               db=db, quiet=True)
    run = data.load(db)
    assert all(data.chosen(run, how) is None for how in data.MODEL_SELECTIONS)
    assert (api.answer(db) or {})["best"]["hash"] == api.best(db, 1)[0]["hash"] and "fittest" not in (
        api.answer(db) or {})


def _verdicts(run: dict[str, Any], capsys: Capsys, *select: str) -> dict[str, str]:
    """The verdict each command prints beside the answer ``--select`` chooses: evolve's summary, ``best``'s header
    (its ``verdict:`` line, or ``best:`` where the answer is the fittest), ``show --best``'s and the report's."""
    from html import escape

    out: dict[str, str] = {}
    [out["evolve"]] = [line[9:] for line in run["summary"](*select).splitlines() if line.startswith("verdict: ")]
    assert main(["best", str(run["db"]), "-n", "3", *select]) == 0
    header = capsys.readouterr().out.split("\n\n")[0].splitlines()
    out["best"] = next(line.split(":", 1)[1].strip() for line in header if line.startswith("verdict: "))
    assert main(["show", str(run["db"]), "--best", *select]) == 0
    shown = capsys.readouterr().out.splitlines()
    at = shown.index("against the start:")
    out["show"] = shown[at + 3].strip()
    page = run["folder"] / "v.html"
    assert main(["report", str(run["db"]), "-o", str(page), *select]) == 0
    capsys.readouterr()
    html = page.read_text()
    out["report"] = next(v for v in {run["answer"]["verdict"], run["fittest_answer"]["verdict"]}
                         if f"<th>gain</th><td{' class=worse' if v.startswith(('WORSE', 'slightly')) else ''}>"
                         f"{escape(v)}</td>" in html)
    return out


def test_every_command_gives_the_answer_s_verdict_not_the_fittest_s(run: dict[str, Any], capsys: Capsys) -> None:
    """best's header gave the fittest's verdict (better than the start) above an answer: line naming the pick, whose
    verdict evolve's summary, --quiet and the report gave (no gain): now each command gives the answer's."""
    run["answer"] = api.answer(run["db"]) or {}
    run["fittest_answer"] = api.answer(run["db"], "accuracy") or {}
    assert run["answer"]["best"]["hash"] == run["pick"]["hash"]
    assert _verdicts(run, capsys) == dict.fromkeys(("evolve", "best", "show", "report"), run["answer"]["verdict"])
    assert main(["best", str(run["db"]), "-n", "1"]) == 0
    header = capsys.readouterr().out.split("\n\n")[0].splitlines()
    assert [line.split(":")[0] for line in header] == ["start", "answer", "pruned", "fittest", "pruned", "verdict"]
    assert header[2].startswith("pruned:  the answer's prune: ") and header[4].startswith("pruned:  the fittest's ")
    assert not any(line.startswith("best:") for line in header)
    assert json.loads(run["summary"]("--json"))["selected"]["verdict"] == run["answer"]["verdict"]
    # where the answer is the fittest (--select accuracy): the fittest's verdict, best's two-line header, as before
    assert _verdicts(run, capsys, "--select", "accuracy") == dict.fromkeys(
        ("evolve", "best", "show", "report"), run["fittest_answer"]["verdict"])
    assert main(["best", str(run["db"]), "-n", "1", "--select", "accuracy"]) == 0
    header = capsys.readouterr().out.split("\n\n")[0].splitlines()
    assert [line.split(":")[0] for line in header] == ["start", "best", "verdict"]
    assert header[2] == f"verdict: {run['fittest_answer']['verdict']}"


def test_best_s_verdict_is_the_answer_s_where_the_fittest_s_differs(tmp_path: Path, capsys: Capsys) -> None:
    """The fresh user's run (y = 1.5 a^2 / b + 0.7 with noise, the file's formula the target's shape): the pick
    scores as the start ("no gain"), the fittest a hair higher on train and lower on test; best's header said the
    fittest's verdict above the pick's answer: line."""
    r = np.random.default_rng(0)
    a, b = r.uniform(1, 3, 300), r.uniform(1, 3, 300)
    y = 1.5 * a * a / b + 0.7 + r.normal(0, 0.05, 300)
    (tmp_path / "data.csv").write_text("a,b,y\n" + "".join(f"{p:.4f},{q:.4f},{t:.4f}\n" for p, q, t in
                                                          zip(a, b, y, strict=True)))
    (tmp_path / "f.mlev").write_text("algorithm f\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  1.5 * a * a / b\n")
    db = tmp_path / "ab.db"
    assert main(["evolve", str(tmp_path / "f.mlev"), "--task", f"{tmp_path / 'data.csv'}:target=y", "--evolve", "f",
                 "--budget", "200", "--seed", "1", "--db", str(db)]) == 0
    summary = capsys.readouterr().out.splitlines()
    answer, fittest = api.answer(db) or {}, api.answer(db, "accuracy") or {}
    assert answer["verdict"].startswith("no gain") and answer["verdict"] != fittest["verdict"]
    assert f"verdict: {answer['verdict']}" in summary
    assert main(["best", str(db), "-n", "3"]) == 0
    header = capsys.readouterr().out.split("\n\n")[0].splitlines()
    assert header[0] == next(line for line in summary if line.startswith("start:   "))
    said = [line.split("; its ")[0] for line in summary if line.startswith(("answer:", "fittest:", "pruned:"))]
    assert header[1:] == [*said, f"verdict: {answer['verdict']}"]  # (each prune's line under its program; evolve's
    # summary adds what each prune cost)
    assert not any(fittest["verdict"] in line for line in header)
    # its words: the answer (not "the best found", which the fittest: line above contradicts), and what the fittest
    # gained that the rule does not count
    assert answer["verdict"].startswith(("no gain: the answer (--select best) scores the same as the starting",
                                         "no gain: the answer (--select best) is the starting program"))
    gain = fittest["best"]["value"] - fittest["start"]["value"]
    assert answer["verdict"].endswith(f"; the fittest beat it by train_r2 {gain:.4g}, which --select best does not "
                                      "count")
    assert main(["best", str(db), "-n", "1"]) == 0  # the answer's text is listed: the one the verdict is of
    [block] = [b for b in capsys.readouterr().out.split("\n\n") if b.startswith("#")]
    assert block.startswith("#1 (answer, --select best)  train_r2 ") and f"hash {answer['best']['hash'][:12]}" in block


# -- the list, the verdict's words and the lineage speak of the answer (stop 65, ans88) ------------------------------
def _blocks(out: str) -> list[list[str]]:
    """The candidate blocks a listing printed (``#N`` headline first), each as its lines."""
    return [b.splitlines() for b in out.split("\n\n") if b.startswith("#")]


def _fitness_listed(db: Any, n: int) -> list[str]:
    """The fitness of each of the ``n`` rows ``best -n N`` lists as it shows them: rows that read alike at
    METRIC_DIGITS (the answer and the fittest beside it, often) to the digits that tell them apart (cli67)."""
    from mlevolve.report import render

    rows = api.best(db, n, select="best")
    return [render.number(r["fitness"], d.get("fitness", 5)) for r, d in zip(rows, render.apart_digits(rows),
                                                                          strict=True)]


def test_best_n_1_lists_the_answer_s_text_marked_and_then_the_fittest(run: dict[str, Any], capsys: Capsys) -> None:
    """best DB -n 1 named the pick above a list holding only the fittest: the answer's text was never printed."""
    pick, fittest = run["pick"], run["fittest"]
    assert main(["best", str(run["db"]), "-n", "1"]) == 0
    [block] = _blocks(capsys.readouterr().out)
    assert block[0].startswith(f"#1 (answer, --select best)  train_r2 {shown_metric(pick['fitness'])}  "
                               f"hash {pick['hash'][:12]}")
    body = (api.answer(run["db"]) or {})["best"]["program"].splitlines()[-1].strip()
    assert block[-1].strip() == body and fittest["hash"][:12] not in "\n".join(block)
    assert main(["best", str(run["db"]), "-n", "2"]) == 0
    first, second = _blocks(capsys.readouterr().out)
    assert f"hash {pick['hash'][:12]}" in first[0] and second[0].startswith(
        f"#2  train_r2 {_fitness_listed(run['db'], 2)[1]}  hash {fittest['hash'][:12]}")
    rows = api.best(run["db"], 2, select="best")  # the API, asked: the same list, the answer marked
    assert [r["hash"] for r in rows] == [pick["hash"], fittest["hash"]] and rows[0]["selected"] == "best"
    assert "selected" not in rows[1] and rows[0]["answer"]["verdict"] == (api.answer(run["db"]) or {})["verdict"]
    assert api.best(run["db"], 2) == rows  # its default is the command line's (meta96: it was accuracy)
    assert "selected" not in api.best(run["db"], 2, select="accuracy")[0]  # by fitness, as before


def test_where_the_answer_is_the_fittest_the_lists_are_as_before(run: dict[str, Any], capsys: Capsys) -> None:
    """--select accuracy: best and show --best list by fitness, unmarked, the fittest first (each -n N's N fittest)."""
    fittest = run["fittest"]
    for command in (["best", str(run["db"]), "-n", "2"], ["show", str(run["db"]), "--best", "-n", "2"]):
        assert main([*command, "--select", "accuracy"]) == 0
        out = capsys.readouterr().out
        blocks = _blocks(out)
        assert "(answer" not in out and len(blocks) == 2 and not out.startswith(("answer", "fittest"))
        assert blocks[0][0].startswith(f"#1  train_r2 {shown_metric(fittest['fitness'])}  hash {fittest['hash'][:12]}")
        assert [b[0].split("hash ")[1][:12] for b in blocks] == [r["hash"][:12] for r in api.best(run["db"], 2,
                                                                                                select="accuracy")]


def test_show_best_n_2_lists_the_answer_then_the_fittest(run: dict[str, Any], capsys: Capsys) -> None:
    pick, fittest = run["pick"], run["fittest"]
    assert main(["show", str(run["db"]), "--best", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("answer:  ") and out.splitlines()[1].startswith("pruned:  the answer's prune: ") and \
        out.splitlines()[2].startswith("fittest: ")  # named above, as -n 1 did
    first, second = _blocks(out)
    listed = _fitness_listed(run["db"], 2)
    assert first[0].startswith(f"#1 (answer, --select best)  train_r2 {listed[0]}  hash {pick['hash'][:12]}")
    assert second[0].startswith(f"#2  train_r2 {listed[1]}  hash {fittest['hash'][:12]}")
    verdict = (api.answer(run["db"]) or {})["verdict"]
    lines = out.splitlines()  # (show's blocks hold blank lines: the program's header, then its definitions)
    assert lines[lines.index("against the start:") + 3].strip() == verdict  # the first block's: the answer's
    assert main(["show", str(run["db"]), "--best", "-n", "2", "--sympy"]) == 0  # the formulas in the same order
    both = capsys.readouterr().out.splitlines()
    for i, key in enumerate((pick, fittest)):
        assert main(["show", str(run["db"]), key["hash"][:12], "--sympy"]) == 0
        assert both[i] == capsys.readouterr().out.strip()


def test_the_report_s_top_and_lineage_follow_the_answer(run: dict[str, Any], capsys: Capsys) -> None:
    """The report's lineage section followed the fittest under a heading-free page whose answer is the pick."""
    page = run["folder"] / "lineage.html"
    assert main(["report", str(run["db"]), "-o", str(page)]) == 0
    html = page.read_text()
    assert "<h2>Lineage of the answer (--select best)</h2>" in html and "<h2>Lineage of the best program</h2>" \
        not in html
    assert f"Ancestors of the answer (--select best) {run['pick']['hash'][:12]} through" in html
    assert f"The fittest, {run['fittest']['hash'][:12]}, is not the answer" in html
    top = html.split("behaviours</h2>")[1]
    assert top.index(run["pick"]["hash"][:12]) < top.index(run["fittest"]["hash"][:12]) and "(answer, --select best)" \
        in top
    assert main(["report", str(run["db"]), "-o", str(page), "--select", "accuracy"]) == 0
    html = page.read_text()
    assert "<h2>Lineage of the best program</h2>" in html and "(answer, --select" not in html
    assert f"Ancestors of the best program {run['fittest']['hash'][:12]} through" in html
    capsys.readouterr()


def test_a_no_gain_verdict_of_an_answer_the_rule_chose_says_what_the_fittest_gained() -> None:
    """The answer is the start (or scores as it) and the fittest beat it by a hair: "nothing found beat the starting
    program" read against the fittest: line; the verdict now names the answer and what the rule did not count."""
    from mlevolve.results import Metric, verdict

    r2 = Metric("train_r2", True, "training")
    assert verdict(r2, 0.99963, 0.99963, same_program=True, rule=("best", 0.999642)) == (
        "no gain: the answer (--select best) is the starting program; the fittest beat it by train_r2 1.2e-05, "
        "which --select best does not count")
    assert verdict(r2, 0.99963, 0.99963 + 1e-12, rule=("score", 0.999642)).startswith(
        "no gain: the answer (--select score) scores the same as the starting program (a gain of")
    assert verdict(r2, 0.99963, 0.99963, same_program=True, rule=("best", 0.99963)) == \
        "no gain: the answer (--select best) is the starting program"  # the fittest tied it: nothing to add
    assert verdict(r2, 0.9, 0.95, rule=("best", 0.96)) == "better than the start (train_r2 0.05 higher)"
    assert not verdict(r2, 0.99, 0.5, rule=("best", 0.995)).endswith("beats everything this run found") and \
        verdict(r2, 0.99, 0.5, rule=("best", 0.995)).startswith("WORSE")
    assert verdict(r2, 0.99963, 0.99963, same_program=True) == "no gain: nothing found beat the starting program"


def test_the_front_and_the_reports_fitness_and_size_follow_select(run: dict[str, Any], capsys: Capsys) -> None:
    """``best --front`` marked PySR's pick and the report's "Fitness and size" named it whatever ``--select`` said;
    both now mark rule ``--select``'s answer (the fittest under ``accuracy``), PySR's pick by default (doc89)."""
    pick, fittest = run["pick"]["hash"][:12], run["fittest"]["hash"][:12]
    for select, marked, words in ((None, pick, "PySR's pick"), ("accuracy", fittest, "answer (--select accuracy)")):
        capsys.readouterr()
        assert main(["best", str(run["db"]), "--front", *(["--select", select] if select else [])]) == 0
        heads = [line for line in capsys.readouterr().out.splitlines() if line.startswith("#")]
        assert [marked in h for h in heads if f"  {words}  " in h] == [True]  # one marked: the answer
        page = run["folder"] / f"front-{select}.html"
        assert main(["report", str(run["db"]), "-o", str(page), *(["--select", select] if select else [])]) == 0
        shape = page.read_text(encoding="utf-8").split("Fitness and size", 1)[1]
        said = "PySR's pick, the highest score within 1.5 times the least train MSE, is" if select is None \
            else "the answer by --select accuracy, the fittest, is"
        assert f"{said} {marked} (size " in shape
    assert [c["hash"][:12] for c in api.best(run["db"], front=True, select="accuracy") if c["pick"]] == [fittest]


def test_show_best_and_best_read_the_archive_once(run: dict[str, Any], capsys: Capsys,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``show --best`` (and ``best``) loaded the archive for the list, then again for the answer it names."""
    loads = []
    load = data.load
    monkeypatch.setattr(data, "load", lambda *a, **k: loads.append(a) or load(*a, **k))
    for command in (["show", str(run["db"]), "--best"], ["best", str(run["db"]), "-n", "1"]):
        loads.clear()
        assert main(command) == 0
        assert "answer:  " in capsys.readouterr().out and len(loads) == 1, command


# -- every suggested command runnable as printed; "fittest" where best meant it; one header alignment (ans92) -------
def test_the_report_s_commands_name_the_archive_and_the_select_given(run: dict[str, Any], capsys: Capsys) -> None:
    """The report said `mlevolve show DB --best --confirm 5` (a literal DB; without --select accuracy it confirms
    PySR's pick, not the program the page calls best) and `mlevolve show DB HASH` in its lineage."""
    import shlex
    import shutil
    from html import escape

    folder = run["folder"] / "my runs"
    folder.mkdir(exist_ok=True)
    db = folder / "a.db"
    shutil.copyfile(run["db"], db)
    q = shlex.quote(str(db))
    page = folder / "r.html"
    assert main(["report", str(db), "-o", str(page), "--select", "accuracy"]) == 0
    html = page.read_text(encoding="utf-8")
    shown = f"mlevolve show {q} --best --select accuracy --confirm 5"
    assert escape(f"one seed only: `{shown}` re-evaluates the best and the start with 5 more seeds and prints the "
                  "spread; show only reads the archive (a run may hold it), so its spread is not kept here: "
                  "evolve --confirm N keeps one") in html  # conf94: not "stored" after a show --confirm
    assert f"<code>{escape(f'mlevolve best {q} --front --select accuracy')}</code>, listed below" in html
    assert " DB " not in html.replace("<code>", " ").replace("</code>", " ")
    argv = shlex.split(shown)[1:-2]  # runnable as printed (less --confirm 5): it lists the program the page calls best
    capsys.readouterr()
    assert main(argv) == 0 and capsys.readouterr().out.startswith(
        f"#1  train_r2 {shown_metric(run['fittest']['fitness'])}  hash {run['fittest']['hash'][:12]}")
    assert main(["report", str(db), "-o", str(page)]) == 0  # the default: the answer's words, no --select
    html = page.read_text(encoding="utf-8")
    assert escape(f"`mlevolve show {q} --best --confirm 5` re-evaluates the answer and the start") in html
    fittest = run["fittest"]["hash"][:12]
    assert escape(f"is not the answer: mlevolve show {q} {fittest} gives its ancestry.") in html
    capsys.readouterr()


def test_evolve_s_next_commands_give_the_select_given(run: dict[str, Any]) -> None:
    """evolve --select accuracy suggested show --best, export --best, the report and best --front without it: each
    read PySR's pick, not the answer the summary above them named."""
    def suggested(*select: str) -> list[str]:
        lines = run["summary"](*select).splitlines()
        return [line.strip() for line in lines[lines.index("next:") + 1:]]

    q = __import__("shlex").quote(str(run["db"]))
    accuracy = suggested("--select", "accuracy")
    assert accuracy[0] == f"mlevolve show {q} --best --select accuracy --confirm 5"
    assert accuracy[1].startswith(f"mlevolve report {q} -o ") and accuracy[1].endswith(" --select accuracy")
    assert accuracy[2].startswith(f"mlevolve export {q} --best --select accuracy -o ")
    assert accuracy[3] == f"mlevolve best {q} --front --select accuracy"
    assert not any("--select" in c for c in suggested())  # the default is not spelt out
    assert json.loads(run["summary"]("--json", "--select", "score"))["next"][0] == \
        f"mlevolve show {q} --best --select score --confirm 5"


def test_best_that_names_the_fittest_says_fittest(run: dict[str, Any], capsys: Capsys) -> None:
    """show of the fittest's candidate said "pruned into H, the run's shown best" and the report's Counts "best hash"
    where the answer is another program: both name the fittest."""
    record = data.load(run["db"]).meta["pruned"]
    fittest = run["fittest"]["hash"][:12]
    assert record["hash"][:12] == fittest
    assert main(["show", str(run["db"]), record["from"][:12]]) == 0
    out = capsys.readouterr().out
    assert f"pruned into {fittest}, the run's fittest: " in out and "shown best" not in out
    page = run["folder"] / "counts.html"
    assert main(["report", str(run["db"]), "-o", str(page)]) == 0
    counts = page.read_text(encoding="utf-8").split("<h2>Counts</h2>")[1]
    assert f"<td>fittest&#x27;s hash</td><td>{fittest}</td>" in counts and "best hash" not in counts
    capsys.readouterr()


def test_best_s_header_lines_align_alike_under_every_select(run: dict[str, Any], capsys: Capsys) -> None:
    """best --select accuracy printed `start: ` and `best:  ` where the default prints `start:   `: every header line
    now puts its value in column 10, and the fittest's header is evolve's summary's start, best and verdict lines."""
    summary = run["summary"]("--select", "accuracy").splitlines()
    for select in ((), ("--select", "accuracy"), ("--select", "score")):
        assert main(["best", str(run["db"]), "-n", "1", *select]) == 0
        header = capsys.readouterr().out.split("\n\n")[0].splitlines()
        for line in header:
            label = line.split(":")[0] + ":"
            assert line[:9] == f"{label:<9}" and line[9] != " ", line
        if select == ("--select", "accuracy"):
            assert header == [next(line for line in summary if line.startswith(w)) for w in
                              ("start:", "best:", "verdict:")]


def test_show_best_confirm_s_spread_is_of_the_answer(run: dict[str, Any], capsys: Capsys) -> None:
    """show --best --confirm re-evaluated the answer (PySR's pick) and called it "the best" beside its fittest: line."""
    assert main(["show", str(run["db"]), "--best", "--confirm", "1"]) == 0
    [spread] = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("over 1 ")]
    assert " of the answer minus the start's " in spread and "; the answer was " in spread
    assert main(["show", str(run["db"]), "--best", "--confirm", "1", "--select", "accuracy"]) == 0
    [spread] = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("over 1 ")]
    assert " of the best minus the start's " in spread  # the answer is the fittest: as before


def test_the_api_s_default_rule_is_the_command_line_s(run: dict[str, Any], capsys: Capsys) -> None:
    """One default (meta96): ``api.best`` and ``api.show`` defaulted to ``select="accuracy"`` (the fittest first)
    while ``best`` and ``show --best`` answer with ``report.data.DEFAULT_SELECTION`` (PySR's pick); every reader of
    the answer, the API's and the commands', defaults to the one setting, and gives the same program."""
    import inspect

    from mlevolve import estimator, results
    from mlevolve.api import archived
    from mlevolve.cli import _rule

    assert data.DEFAULT_SELECTION is results.DEFAULT_SELECTION == "best"
    assert _rule(type("Args", (), {"select": None})()) == results.DEFAULT_SELECTION  # the flag not given
    for function in (api.best, api.show, api.answer, api.report, api.export_from_archive, api.export_program,
                     api.archived_program, api.next_commands, archived.best_answered, archived.show_answered,
                     archived.export_archived, data.answer, data.listed, estimator.SymbolicRegressor):
        parameters = inspect.signature(function).parameters
        default = (parameters.get("select") or parameters.get("how") or parameters["model_selection"]).default
        assert default == results.DEFAULT_SELECTION, function
    pick = run["pick"]["hash"]
    assert api.best(run["db"], 1)[0]["hash"] == api.show(run["db"])[0]["hash"] == pick
    assert main(["show", str(run["db"]), "--best"]) == 0
    assert f"hash {pick[:12]}" in capsys.readouterr().out.split("\n#1")[1].splitlines()[0]
    assert main(["export", str(run["db"]), "--best", "-o", str(run["folder"] / "cli.mlev")]) == 0
    capsys.readouterr()
    assert api.export_program(run["db"])[0] == (run["folder"] / "cli.mlev").read_text()
    assert api.export_program(run["db"], pick)[0] == (run["folder"] / "cli.mlev").read_text()


@pytest.mark.parametrize("argv", [["export", "{db}", "--best", "-o", "{folder}/once.py"],
                                  ["export", "{db}", "--best", "-o", "{folder}/once.mlev"],
                                  ["export", "{db}", "--component", "f", "-o", "{folder}/once_f.py"],
                                  ["show", "{db}", "--best"], ["show", "{db}", "--best", "--sympy"],
                                  ["best", "{db}"], ["report", "{db}", "-o", "{folder}/once.html"]])
def test_a_command_that_reads_the_answer_reads_the_archive_once(run: dict[str, Any], capsys: Capsys,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  argv: list[str]) -> None:
    """``export --best`` read the archive three times (meta96): the answer (``api.answer``), then the program it
    names, then the run's task; every command that reads the run's answer now opens the archive once, and
    ``export --best`` still writes the answer (PySR's pick here, not the fittest)."""
    from mlevolve.gp.archive import Archive

    opened: list[str] = []
    read = Archive.read.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Archive], path: str | Path) -> Archive:
        opened.append(str(path))
        return read(cls, path)  # type: ignore[no-any-return]

    monkeypatch.setattr(Archive, "read", classmethod(counted))
    assert main([a.format(db=run["db"], folder=run["folder"]) for a in argv]) == 0
    capsys.readouterr()
    assert opened == [str(run["db"])]
    if argv[-1].endswith(".mlev"):
        assert (run["folder"] / "once.mlev").read_text() == api.export_program(run["db"], run["pick"]["hash"])[0]


def test_a_pruned_fittest_beside_the_answer_has_its_pruned_line_in_every_summary(run: dict[str, Any],
                                                                               capsys: Capsys) -> None:
    """The fittest was "the prune of candidate N" but no summary said what the prune did: the ``pruned:`` line was
    given only where the answer is the fittest (the prune's record is the fittest's).  Evolve's summary, ``best``,
    ``show --best`` and the report now give it under the fittest's line."""
    seq = run["fittest"]["seq"]
    said = f"pruned from candidate {seq} (hash "
    lines = run["summary"]().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("fittest: "))
    assert lines[at + 1].startswith(f"pruned:  the fittest's prune: {said}"), lines[at:at + 2]
    for argv in (["best", str(run["db"])], ["show", str(run["db"]), "--best"]):
        assert main(argv) == 0
        shown = capsys.readouterr().out.splitlines()
        at = next(i for i, line in enumerate(shown) if line.startswith("fittest: "))
        assert shown[at + 1].startswith(f"pruned:  the fittest's prune: {said}"), (argv, shown[at:at + 2])
    page = run["folder"] / "pruned.html"
    assert main(["report", str(run["db"]), "-o", str(page)]) == 0
    html = page.read_text()
    assert "<th>fittest</th>" in html and f"<th>pruned</th><td>the fittest&#x27;s prune: {said}" in html
    capsys.readouterr()


def test_show_lists_the_nearest_ten_steps_of_ancestry_and_says_how_many_more(run: dict[str, Any],
                                                                             capsys: Capsys) -> None:
    """``show --best`` printed every step of the ancestry (60 lines after a 2,000-candidate run), burying the
    program: the nearest 10 by default, a line saying how many earlier steps are left out and the flag that shows
    them; ``--ancestry 0`` every step."""
    def steps(*more: str) -> list[str]:
        assert main(["show", str(run["db"]), "--best", *more]) == 0
        out = capsys.readouterr().out.splitlines()
        return out[out.index("ancestry:") + 1:]

    every = [line for line in steps("--ancestry", "0") if line.startswith("    <- ")]
    assert len(every) > 3, "the fixture's answer must have an ancestry of more than 3 steps"
    assert steps("--ancestry", "3")[:4] == [*every[:3], f"    ... {len(every) - 3} earlier steps not shown "
                                            "(--ancestry 0 shows every step, --ancestry N the nearest N)"]
    default = steps()
    assert default[:min(10, len(every))] == every[:10]
    assert (len(every) > 10) == default[min(10, len(every))].startswith("    ... ")
