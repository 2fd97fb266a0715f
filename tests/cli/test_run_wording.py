"""What a run says of itself, truly: the progress line, the start line (what fitting did), the summary of a
run whose every candidate failed (the most common reason, failure reasons that differ only in numbers as
one), the next commands, a budget below what the archive holds, one candidate in the singular.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.gp.archive import Archive, Row
from mlevolve.gp.search import ALGORITHMS
from mlevolve.report import summary
from tests.conftest import Capsys, cli, usage_error


# ----------------------------------------------------------- 1: a run whose every candidate failed says so
def _failed_archive(path: Path, finished: bool) -> Path:
    program = "algorithm a\nactivation act(x: Tensor) -> Tensor =\n  tanh(x)\n"
    reasons = ["the loss is not finite", "the loss is not finite", "the parameters are not finite"]
    with Archive.for_run(path, {"program_hash": "p", "task": "digits", "evolve": ["act"]}) as archive:
        for i, reason in enumerate(reasons):
            archive.add(Row(i, f"{i:02d}" * 16, program, None, {}, reason, "epoch 1, step 1", "evaluated", None,
                            "init", (), 0, 4, 1.0))
        if finished:
            archive.set_meta("summary", {"candidates": len(reasons)})
    return path


def test_one_candidate_is_written_in_the_singular() -> None:
    from mlevolve.report import summary
    from tests.report.test_summary import RESULT

    one = {**RESULT, "candidates": 1, "archived": 1}
    assert "; 1 candidate; archive " in summary.one_line(one)
    assert summary.lines({**one, "replayed": 0})[0].startswith("1 candidate (0 from the archive): ")
    assert "; 200 candidates; archive " in summary.one_line(RESULT)


@pytest.mark.parametrize("hall", [[], [float("nan")]])
def test_the_progress_line_shows_no_best_before_a_candidate_scores(hall: list[float]) -> None:
    import io
    from types import SimpleNamespace

    from mlevolve.gp.progress import Progress

    stream = io.StringIO()
    engine = SimpleNamespace(hall_of_fame=[SimpleNamespace(score=s) for s in hall], seq=1,
                             counts={"cache": 0, "fec": 0, "hurdle": 0, "probe": 0, "failed": 1})
    Progress(1, stream=stream)(engine, None, stored=True)
    assert stream.getvalue().startswith("[     1/1] fittest -  cache 0  fec 0  hurdle 0  probe 0  failed 1  (")
    engine.hall_of_fame = [SimpleNamespace(score=0.25)]
    stream.truncate(0)
    stream.seek(0)
    Progress(1, stream=stream)(engine, None, stored=True)
    assert stream.getvalue().startswith("[     1/1] fittest 0.25  cache 0")


def test_the_progress_lines_counts_have_thousands_separators() -> None:
    """As the summary's do (``fec 2,060``): the line showed ``[ 4,750/5,000] ... fec 1871  failed 143``."""
    import io
    from types import SimpleNamespace

    from mlevolve.gp.progress import Progress

    stream = io.StringIO()
    engine = SimpleNamespace(hall_of_fame=[SimpleNamespace(score=0.5)], seq=5000,
                             counts={"cache": 12345, "fec": 1871, "hurdle": 0, "probe": 2060, "failed": 143})
    Progress(5000, stream=stream)(engine, None, stored=True)
    assert stream.getvalue().startswith(
        "[ 5,000/5,000] fittest 0.5  cache 12,345  fec 1,871  hurdle 0  probe 2,060  failed 143  (")
    engine.hurdled = False  # a run no hurdle can answer a candidate of (a formula's, a learner's): no count of it
    stream.truncate(0)
    stream.seek(0)
    Progress(5000, stream=stream)(engine, None, stored=True)
    assert stream.getvalue().startswith(
        "[ 5,000/5,000] fittest 0.5  cache 12,345  fec 1,871  probe 2,060  failed 143  (")


def test_the_next_commands_name_the_summarys_best_when_the_budget_is_below_the_archive(
        capsys: Capsys, tmp_path: Path) -> None:

    (tmp_path / "p.mlev").write_text("algorithm q\ntask nguyen1\nformula f(x: Scalar) -> Scalar =\n  x * x\n")
    db = str(tmp_path / "r.db")
    code, out, _ = cli(capsys, "evolve", str(tmp_path / "p.mlev"), "--budget", "12", "--db", db)
    assert code == 0 and f"mlevolve show {db} --best --confirm 5" in out  # the archive's best is the run's
    code, out, _ = cli(capsys, "evolve", str(tmp_path / "p.mlev"), "--budget", "2", "--db", db)
    best = re.search(r"^best: .*\(hash ([0-9a-f]{12}), (the prune of )?candidate \d+[):]", out, re.MULTILINE)
    assert code == 0 and best is not None
    named = best[1]  # the best shown, pruned or not: a view's prune is kept where its hash finds it (pruned_earlier)
    assert f"    mlevolve show {db} {named} --confirm 5" in out.splitlines()
    assert f"    mlevolve export {db} --hash {named} -o {tmp_path / 'r.py'}" in out.splitlines()
    code, shown, _ = cli(capsys, "show", db, named)
    assert code == 0 and named in shown


def test_where_every_candidate_failed_the_next_commands_are_ones_that_work(capsys: Capsys, tmp_path: Path) -> None:
    """No best to confirm or export (both said "no candidate with a fitness", exit 2): a failed candidate to show,
    and the report (a new user's pass, `--json`)."""
    (tmp_path / "p.mlev").write_text("algorithm q\ntask nguyen1\nformula f(x: Scalar) -> Scalar =\n"
                                     "  sqrt(0.0 - x * x - 1.0)\n")
    db = str(tmp_path / "r.db")
    code, out, _ = cli(capsys, "evolve", str(tmp_path / "p.mlev"), "--budget", "1", "--db", db, "--json")
    commands = json.loads(out)["next"]
    assert code == 0 and len(commands) == 2 and commands[1].startswith(f"mlevolve report {db} -o ")
    for command in commands:
        assert cli(capsys, *command.split()[1:])[0] == 0, command


def test_a_view_whose_candidates_all_failed_counts_its_own_failures(capsys: Capsys, tmp_path: Path) -> None:
    """A view (a smaller --budget than the archive holds) said "every candidate failed (99)" of its first 2 (a
    fresh-user pass): the counts are of the candidates it considers."""
    (tmp_path / "p.mlev").write_text("algorithm q\ntask nguyen1\nformula f(x: Scalar) -> Scalar =\n"
                                     "  log(x - 2.0) + sqrt(-2.0 - x)\n")
    db = str(tmp_path / "r.db")
    assert cli(capsys, "evolve", str(tmp_path / "p.mlev"), "--budget", "60", "--db", db, "--quiet")[0] == 0
    code, out, _ = cli(capsys, "evolve", str(tmp_path / "p.mlev"), "--budget", "2", "--db", db, "--json")
    failures = json.loads(out)["failures"]
    assert code == 0 and json.loads(out)["best_hash"] is None and failures[0]["total"] == 2


@pytest.mark.parametrize(("body", "note"), [
    ("log(0.0) * x", "as written it fails: the formula is not finite on some points (train); with its literals "
                     "fitted and its output linearly scaled (a + b * f), as every candidate's are, it scores as shown"),
    ("x / 0.0", "as written it fails: the formula is not finite on some points (train); with its literals "
                "fitted and its output linearly scaled (a + b * f), as every candidate's are, it scores as shown"),
    ("sin(x)", "scored with its output linearly scaled (a + b * f), as every candidate's are, where `mlevolve run` "
               "scores it as written"),
])
def test_the_start_line_says_truly_what_fitting_did(tmp_path: Path, body: str, note: str) -> None:

    (tmp_path / "p.mlev").write_text(f"algorithm q\ntask nguyen1\nformula f(x: Scalar) -> Scalar =\n  {body}\n")
    start = api.evolve(tmp_path / "p.mlev", ["f"], budget=2, db=tmp_path / "a.db", quiet=True)["answer"]["start"]
    assert start["how"] == f"candidate 0, the file's program; {note}"
    assert start["value"] is not None


def test_a_fitted_start_is_labelled_and_run_scores_it_as_written(capsys: Capsys, tmp_path: Path) -> None:

    (tmp_path / "lin.mlev").write_text("algorithm lin\ntask koza_quartic\nformula f(x: Scalar) -> Scalar = x\n")
    fitted = api.evolve(tmp_path / "lin.mlev", ["f"], budget=2, db=tmp_path / "a.db", quiet=True)["answer"]["start"]
    plain = api.evolve(tmp_path / "lin.mlev", ["f"], budget=2, db=tmp_path / "b.db", quiet=True,
                       fit=False)["answer"]["start"]
    written = api.run(tmp_path / "lin.mlev")["train_r2"]
    assert fitted["how"] == ("candidate 0, the file's program; scored with its output linearly scaled (a + b * f), "
                             "as every candidate's are, where `mlevolve run` scores it as written")
    assert fitted["value"] > written + 0.1  # the fitted line explains more of the quartic than y = x
    assert plain["how"] == "candidate 0, the file's program" and plain["value"] == pytest.approx(written)


@pytest.mark.parametrize(("algorithm", "workers"), [*((a, 2) for a in ALGORITHMS), ("regularized", 1)])
def test_a_budget_below_what_the_archive_holds_evaluates_nothing_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, algorithm: str, workers: int) -> None:
    from mlevolve.gp import progress
    from mlevolve.report import summary

    (tmp_path / "lin.mlev").write_text("algorithm lin\ntask koza_quartic\nformula f(x: Scalar) -> Scalar = x\n")
    common: dict[str, Any] = {"db": tmp_path / "a.db", "algorithm": algorithm, "workers": workers, "quiet": True,
                              **({} if algorithm == "random" else {"population": 12})}  # random reads none
    api.evolve(tmp_path / "lin.mlev", ["f"], budget=12, **common)
    shown: list[int] = []
    original = progress.Progress.__call__

    def counted(self: progress.Progress, engine: Any, candidate: Any, stored: bool = False) -> None:
        shown.append(engine.seq)
        original(self, engine, candidate, stored)

    monkeypatch.setattr(progress.Progress, "__call__", counted)
    result = api.evolve(tmp_path / "lin.mlev", ["f"], budget=5, **common)
    assert shown and max(shown) <= 5  # the counter never reads more than its total
    assert (result["candidates"], result["archived"], result["replayed"]) == (5, 12, 5)
    assert summary.lines(result)[1] == ("budget: the archive already holds 12 candidates, more than --budget 5: "
                                        "nothing new was evaluated, and this summary considers its first 5 "
                                        "(a larger --budget goes on)")
    assert "; 5 candidates (the budget; the archive holds 12); archive" in summary.one_line(result)


@pytest.mark.parametrize("finished", [True, False])
def test_show_and_best_say_why_no_candidate_scored(tmp_path: Path, capsys: Capsys, finished: bool) -> None:
    db = _failed_archive(tmp_path / "f.db", finished)
    so_far = "" if finished else " yet"
    every = "every candidate failed" if finished else "every one so far failed"
    message = (f"no candidate with a fitness{so_far}: {every} (3); the most common reason (2 of 3): the loss is "
               "not finite")
    hint = f"hint: see one with `mlevolve show {db} 000000000000`"
    assert main(["show", str(db), "--best"]) == 2
    assert capsys.readouterr().err == f"{db}: error: {message}\n{hint}\n"
    assert main(["best", str(db)]) == 0
    assert capsys.readouterr().out == f"{db}: {message}\n{hint}\n"
    assert main(["show", str(db), "000000000000"]) == 0  # the hint's command works
    assert "the loss is not finite" in capsys.readouterr().out


def test_the_summary_of_a_run_whose_every_candidate_failed_names_the_reason(tmp_path: Path) -> None:
    db = str(tmp_path / "a b.db")
    result = {"candidates": 3, "replayed": 0, "failed": 3, "db": db, "seconds": 1.0, "answer": None,
              "best_hash": None, "failures": [{"reason": "the loss is not finite", "count": 2, "total": 3,
                                               "hash": "ab" * 16}]}
    assert summary.lines(result)[2:] == [
        "no candidate with a fitness: every candidate failed (3); the most common reason (2 of 3): the loss is not "
        "finite", f"hint: see one with `mlevolve show {shlex.quote(db)} abababababab`"]
    assert summary.one_line(result) == (f"no candidate scored (most common failure: the loss is not finite); "
                                        f"3 candidates; archive {shlex.quote(db)}")


def test_failure_reasons_that_differ_only_in_numbers_are_one_reason() -> None:
    from mlevolve.report.data import failure_reasons

    def row(seq: int, reason: str) -> Row:
        return Row(seq, f"{seq:02d}" * 16, "p", None, {}, reason, "", "evaluated", None, "init", (), 0, 1, 0.0)

    rows = [row(0, "the loss is not finite"), row(1, "diverged: a prediction is off by 2.79e+10 (step 3 of 100)"),
            row(2, "diverged: a prediction is off by 312 (step 41 of 100)")]
    assert [(r["reason"], r["count"], r["total"], r["hash"][:2]) for r in failure_reasons(rows)] == [
        ("diverged: a prediction is off by 2.79e+10 (step 3 of 100)", 2, 3, "01"),
        ("the loss is not finite", 1, 3, "00")]


def test_the_counts_of_a_run_whose_every_candidate_failed_have_separators(tmp_path: Path) -> None:
    """The failure counts were printed bare ("every candidate failed (2486)") beside "2,486 candidates"."""
    db = str(tmp_path / "r.db")
    result = {"candidates": 2486, "replayed": 0, "failed": 2486, "db": db, "seconds": 1.0, "answer": None,
              "best_hash": None, "failures": [{"reason": "the loss is not finite", "count": 1500, "total": 2486,
                                               "hash": "ab" * 16}]}
    assert summary.lines(result)[2] == ("no candidate with a fitness: every candidate failed (2,486); the most common "
                                        "reason (1,500 of 2,486): the loss is not finite")


def test_an_archive_with_no_scored_candidate_is_said_alike_by_show_and_export(tmp_path: Path, capsys: Capsys) -> None:
    """`export DB` said "no program with a fitness in the archive" with the hint "`mlevolve best DB` lists them"
    (it lists none); it says what `show DB --best` says."""
    db = tmp_path / "empty.db"
    Archive.for_run(db, {"program_hash": "p", "task": "koza_quartic", "evolve": ["f"]}).close()
    lines = [f"{db}: error: no candidate with a fitness yet", "hint: wait for the run to score one; if none is "
             "running, an evolve run given this archive starts one (an archive without candidates takes any run's "
             "settings)"]
    assert usage_error(capsys, "show", str(db), "--best").splitlines() == lines
    assert usage_error(capsys, "export", str(db), "-o", str(tmp_path / "e.py")).splitlines() == lines


@pytest.mark.parametrize("hurdled", [True, False])
def test_the_progress_line_counts_every_saving_the_summary_counts_in_its_order(hurdled: bool) -> None:
    """A fresh user's finding: the summary said ``cache 13, fec 0, hurdle 0, probe 3, failed 3``, the progress
    ``cache 13  fec 0  hurdle 0  failed 3``, without ``probe``.  The progress line's counts are the summary's,
    ``evaluated`` (no saving) aside, in its order and with its values; no hurdle count in either without a hurdle."""
    import io
    from types import SimpleNamespace

    from mlevolve.gp.progress import Progress
    from mlevolve.report import summary
    from tests.report.test_summary import RESULT

    counts = {"evaluated": 8, "cache": 13, "fec": 5, "hurdle": 2, "probe": 3, "failed": 7}
    stream = io.StringIO()
    engine = SimpleNamespace(hall_of_fame=[SimpleNamespace(score=0.5)], seq=31, hurdled=hurdled, counts=counts)
    Progress(31, stream=stream)(engine, None, stored=True)
    number = r"([0-9](?:[0-9,]*[0-9])?)"  # 1,234 (not a list's comma after it)
    shown = re.findall(r"  ([a-z]+) " + number, stream.getvalue().split("fittest 0.5", 1)[1].split("  (")[0])
    head = summary.lines({**RESULT, **counts, "candidates": 31, "hurdle": counts["hurdle"] if hurdled else None})[0]
    said = re.findall(r"([a-z]+) " + number, head.split(": ", 1)[1])
    assert shown == [(k, v) for k, v in said if k != "evaluated"]
    assert [k for k, _ in shown] == ["cache", "fec", *(["hurdle"] if hurdled else []), "probe", "failed"]
