"""A second new user's findings (stop 36), each a kind: the report's lineage and counts of a pruned best, a meta
archive's answer, SymPy's display folding before rounding, meta configuration messages, verdicts of hurdled
candidates, failed candidates' blank metrics line."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

import mlevolve.api as api
from mlevolve.cli import main
from mlevolve.dsl.errors import MlevError
from mlevolve.gp.archive import Archive
from mlevolve.meta.config import load_config
from mlevolve.report import data, page
from mlevolve.report.render import candidate, plain
from mlevolve.results import shown_metric
from tests.conftest import ROOT, Capsys

QUARTIC = ROOT / "examples" / "quartic.mlev"


@pytest.fixture(scope="module")
def pruned_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("qa36") / "q.db"
    api.evolve(QUARTIC, ["f"], "nguyen4", budget=300, seed=1, init="random", db=db, quiet=True)
    with Archive.read(db) as archive:
        assert archive.meta()["pruned"]["program"] is not None  # the case: a pruned best
    return db


def test_the_reports_lineage_and_counts_are_of_the_best_every_command_shows(pruned_run: Path) -> None:
    run = data.load(pruned_run)
    best = data.behaviours(run)[0].representative
    assert best.source == "pruned"
    graph, _ = data.lineage(run, best)
    [shown] = api.show(pruned_run)
    assert shown["ancestry"] and {a["hash"] for a in shown["ancestry"]} <= set(graph)  # `show --best`'s chain in it
    assert not graph.nodes[best.hash]["missing"]
    counts = data.counts(run)
    assert (counts["fittest's hash"], counts["fittest's fitness"]) == (best.hash[:12], best.fitness)
    html = page.build(run)
    assert "(0 drawn)" not in html and "not in the archive" not in html


def test_a_meta_archives_report_answers_with_the_generator(tmp_path: Path, capsys: Capsys) -> None:
    config = tmp_path / "smoke.toml"
    shutil.copy(ROOT / "benchmarks" / "meta" / "smoke.toml", config)
    text = config.read_text()
    config.write_text(re.sub(r'program = "(\.\./)+', f'program = "{ROOT}/', text))
    db = tmp_path / "m.db"
    api.meta(config, db, tmp_path / "g.toml", quiet=True)
    html = page.build(data.load(db))
    cfg = load_config(config)  # its title names each split's tasks in words, not "meta:a,b" (a fresh-user pass)
    assert (f"mlevolve run report: {data.load(db).meta['program_name']}, a meta run: train {', '.join(cfg.train)}; "
            f"validation {', '.join(cfg.validation)}; test {', '.join(cfg.test)}</h1>") in html
    assert "A meta run&#x27;s answer is the generator it learned" in html or "A meta run's answer is" in html
    assert "no candidate was scored" not in html and "--confirm 5" not in html
    # its best program alone, as .mlev: it was refused for want of one task (a fresh-user pass)
    capsys.readouterr()
    assert main(["export", str(db), "--best", "-o", str(tmp_path / "best.mlev")]) == 0
    first = load_config(config).train[0]
    assert capsys.readouterr().out.endswith(f"score it on one of the meta run's tasks with: mlevolve run "
                                            f"{tmp_path / 'best.mlev'} --task {first}\n")
    program = api.parse_file(tmp_path / "best.mlev")
    assert program.task is None and api.run(program, first)["fitness"] is not None
    # show's program is an inner run's best: its task line that run's task, which parses (it printed the training
    # split, task "meta:nguyen1,nguyen5"), and its headline names the generator and the task (a fresh-user pass)
    shown = api.show(db, n=3)
    assert [c["task"] for c in shown] == [c["source"] for c in shown] and set(shown[0]) >= {"task", "operator"}
    for c in shown:
        assert api.parse(c["program"]).task == c["task"] in load_config(config).train
    assert main(["show", str(db)]) == 0
    assert f"(inner run {shown[0]['seq']} of generator {shown[0]['operator']} on {shown[0]['task']}, " \
        "meta-generation " in capsys.readouterr().out  # a meta row in its own terms (meta67)
    assert main(["best", str(db), "--front"]) == 2  # its sizes are inner runs' text lengths: no front
    assert capsys.readouterr().err.startswith(f"{db}: error: a meta archive's candidates are inner runs, each scored "
                                              "by its AUC: there is no front of fitness against size\n")
    # an evolve run given the meta archive, and a meta run given an evolve run's: named so (they said "the task
    # differs: archive has 'meta:...'" and "the program text differs": a fresh-user pass)
    with pytest.raises(MlevError, match=r"the archive is a meta run's \(`mlevolve meta`\); this is an evolve run"):
        api.evolve(ROOT / "examples" / "quartic.mlev", ["f"], budget=3, db=db, quiet=True)
    api.evolve(ROOT / "examples" / "quartic.mlev", ["f"], budget=3, db=tmp_path / "e.db", quiet=True)
    with pytest.raises(MlevError, match=r"the archive is an evolve run's; this is a meta run"):
        api.meta(config, tmp_path / "e.db", tmp_path / "g2.toml", quiet=True)
    with pytest.raises(MlevError, match=r"baseline is a meta run's archive, this is an evolve run's"):  # not "task"
        api.report(tmp_path / "e.db", tmp_path / "e.html", baseline=db)


def test_sympy_folds_every_digit_before_the_display_rounds(pruned_run: Path, capsys: Capsys) -> None:
    assert main(["show", str(pruned_run), "--sympy"]) == 0
    rounded = capsys.readouterr().out
    assert main(["show", str(pruned_run), "--sympy", "--digits", "0"]) == 0
    full = capsys.readouterr().out
    constants = re.findall(r"\d+\.\d+", rounded)
    assert constants, rounded  # the pruned best shows constants: the law below is checked on some
    for shown in constants:  # every constant shown is a rounding of one SymPy folded
        digits = len(shown.replace(".", "").lstrip("0"))
        assert any(f"{float(c):.{digits}g}" == f"{float(shown):.{digits}g}" for c in re.findall(r"\d+\.\d+", full))


def test_a_meta_split_overlap_gets_the_hint_of_its_parts(tmp_path: Path) -> None:
    config = tmp_path / "m.toml"
    text = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text()
    text = re.sub(r'program = "(\.\./)+', f'program = "{ROOT}/', text)
    train = re.search(r'train = \["([^"]+)"', text)
    assert train is not None
    config.write_text(re.sub(r"validation = \[[^\]]*\]", f'validation = ["{train.group(1)}"]', text))
    with pytest.raises(MlevError) as refused:
        api.meta(config, tmp_path / "m.db", tmp_path / "g.toml", quiet=True)
    assert "is in both [split] train and validation" in str(refused.value)
    assert "validation tasks choose among generators" in str(refused.value) and "meta-test" not in str(refused.value)


def test_a_hurdled_candidates_verdict_says_its_training_stopped_early(tmp_path: Path) -> None:
    db = tmp_path / "mlp.db"
    api.evolve(ROOT / "examples" / "mlp_digits.mlev", ["act"], "digits", budget=40, population=8, db=db, quiet=True)
    hurdled = [r for r in data.load(db).rows if r.source == "hurdle" and r.fitness is not None]
    assert hurdled  # the case
    [shown] = api.show(db, hurdled[0].hash[:12])
    assert shown["answer"]["verdict"].endswith("stopped early by the hurdle (the start's was not)")


def test_a_failed_candidate_has_no_line_of_blanks(tmp_path: Path) -> None:
    c = {"fitness": None, "failure": "the loss is not finite", "seq": 3, "operator": "wrap", "generation": 0,
         "hash": "0123456789abcdef", "metrics": {}, "evolved": "x", "pruned": None, "same": []}
    assert all(plain(line).strip() for line in candidate(c))


def test_a_refusal_names_the_entries_of_a_settings_table_that_differ() -> None:
    from mlevolve.gp.archive import _setting_diff

    was, now = {"seed": 2, "population": 10, "generations": 3}, {"seed": 3, "population": 10, "generations": 3}
    assert _setting_diff("meta_settings", was, now) == "[meta] seed: archive has 2, now 3"  # as the file writes it
    assert _setting_diff("inner", {"budget": 3}, {"budget": 4}) == "[inner] budget: archive has 3, now 4"
    assert _setting_diff("train", ["nguyen1"], ["nguyen2"]) == "[split] train: archive has ['nguyen1'], now ['nguyen2']"
    assert _setting_diff("seed", 2, 3) == "seed: archive has 2, now 3"
    assert _setting_diff("fit", True, False) == "fit: archive has on, now off"


def test_a_verdict_does_not_advise_confirm_once_confirm_ran() -> None:
    from mlevolve.results import APART, APART_CONFIRMED, answer

    ran = answer({"fitness": 0.9}, {"fitness": 0.8}, apart=True, confirm=[(0.8, 0.9), (0.81, 0.88)])
    assert ran["verdict"].endswith(APART_CONFIRMED)  # still said: the verdict's two scores are of two draws
    assert answer({"fitness": 0.9}, {"fitness": 0.8}, apart=True)["verdict"].endswith(APART)


def test_the_apis_sample_refuses_an_env_type_the_grammar_does_not_know() -> None:
    """As `mlevolve sample --var x:Foo` is refused: the API drew expressions with an unknown type in scope."""
    with pytest.raises(MlevError, match=r"env\['x'\]: unknown type 'Foo'"):
        api.sample("Scalar", env={"x": "Foo"})  # type: ignore[dict-item]
    assert len(api.sample("Scalar", env={"x": "Vector"})) == 5


def test_samples_env_names_are_names_the_language_reads(capsys: Capsys) -> None:
    """The API's sample drew keywords as names (``let - let``, which no parser reads back) and raised the IR's bare
    ValueError ("not an identifier") for 'x y' or 'é'; `mlevolve sample --var é:Tensor` took 'é' (Python's
    isidentifier does) and ended in that traceback.  Both refuse such a name in one line, as the language does."""
    for name, said in (("let", "a keyword"), ("x y", "not a name"), ("\u00e9", "not a name"), ("", "not a name")):
        with pytest.raises(MlevError, match=re.escape(f"env[{name!r}]: {said}")):
            api.sample("Tensor", env={name: "Tensor"})
    assert main(["sample", "--type", "Tensor", "--var", "\u00e9:Tensor", "-n", "1"]) == 2
    assert "bad --var '\u00e9:Tensor': '\u00e9' is not a name" in capsys.readouterr().err
    assert len(api.sample("Tensor", n=2, env={"x_1": "Tensor"})) == 2


def test_a_path_given_as_text_to_check_or_format_is_read_as_the_path() -> None:
    """check and format took a str as program text (run and evolve as a path): a path there was parsed as text
    ("unexpected 'examples'"); then it was named a path; now every function reads it so (``api.names_file``)."""
    path = Path("examples/quartic.mlev")
    assert api.check(str(path)) == api.check(path)
    assert api.format(str(path)) == api.format(path) == api.format(path.read_text())


def test_the_report_shows_the_spread_evolve_confirm_measured(tmp_path: Path) -> None:
    """The stored re-evaluation was keyed by the program's hash, the report looked it up by the archive's: it said
    "one seed only" after every `evolve --confirm`."""
    db = tmp_path / "c.db"
    result = api.evolve(QUARTIC, ["f"], "nguyen4", budget=40, seed=1, init="random", db=db, quiet=True, confirm=2)
    report = data.answer(data.load(db))
    assert report is not None and report["confirm"] is not None
    assert report["confirm"] == result["answer"]["confirm"]


def test_a_verdict_of_one_program_and_a_worse_scores_weight() -> None:
    from mlevolve.results import Metric, verdict

    mse, r2 = Metric("val_mse", False, "validation"), Metric("val_r2", True, "validation")
    assert verdict(mse, 1.0, 1.0, same_program=True, of_best=False) == "no gain: it is the starting program"
    assert verdict(mse, 1.0, 1.0, of_best=False) == "no gain: it scores the same as the starting program"
    assert verdict(mse, 1.0, 1.01) == \
        "slightly worse than the start (val_mse 0.01 higher, 1.01 times the start's val_mse)"
    # a factor that rounds to 1 at 3 digits is given to the digits that tell it from 1 (it read "1 times")
    assert verdict(Metric("train_r2", True, "training"), 0.000140834, 0.000140829) == (
        "slightly worse than the start (train_r2 5e-09 lower, 1.00000001 times the start's 1 - train_r2)")
    assert verdict(r2, 1.0, 0.9997).startswith(
        "WORSE than the start (val_r2 0.0003 lower, where the start's val_r2 was perfect)")


def test_the_quiet_line_says_the_verdicts_word() -> None:
    from mlevolve.report.summary import one_line

    result = {"candidates": 5, "archived": 5, "db": "r.db", "best_hash": "0" * 32,
              "answer": {"metric": {"name": "val_mse"}, "better": False, "tied": False, "gain": 0.01,
                         "best": {"value": 1.01}, "start": {"value": 1.0},
                         "verdict": "slightly worse than the start (val_mse 0.01 higher, 1.01 times the start's "
                                    "val_mse)"}}
    assert one_line(result).startswith("best val_mse 1.01 (slightly worse than the start's 1)")


def test_a_meta_reports_answer_names_its_grammar_file_and_draws_no_front(tmp_path: Path) -> None:
    """A meta archive's report (a fresh-user pass, meta83): the answer names the grammar file the run wrote, its
    meta-generation and validation AUC as ``mlevolve meta`` printed them; no Pareto front of the rows' sizes (inner
    runs' text lengths, which ``best --front`` refuses); the Run section the meta settings, not algorithm "—"."""
    config = tmp_path / "smoke.toml"
    config.write_text(re.sub(r'program = "(\.\./)+', f'program = "{ROOT}/',
                             (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text()))
    db, out = tmp_path / "m.db", tmp_path / "chosen.grammar.toml"
    summary = api.meta(config, db, out, quiet=True)
    run = data.load(db)
    html = page.build(run)
    said = (f"{summary['rules']} learned rules, {summary['operators']} operators; meta-generation "
            f"{summary['chosen_generation']}, validation AUC {shown_metric(summary['best_validation_auc'])}")
    assert f"the grammar file <code>{out}</code> ({said})" in html
    assert "Pareto" not in html and "there is no front of fitness against size" in html
    sizes = [int(r.size) for r in run.rows]  # the rows' sizes (text lengths) are nowhere on the page as sizes
    assert not any(f"size {n})" in html for n in sizes)
    identity = html[html.index("<h2>Run</h2>"):html.index("<h2>Counts</h2>")]
    assert "<td>algorithm</td>" not in identity and "<td>seed</td>" not in identity and "—" not in identity
    settings = load_config(config).meta
    assert f"seed {settings.seed}" in identity and f"population {settings.population}," in identity
    assert f"generations {settings.generations}," in identity and f"ranking {settings.ranking}" in identity
    assert "<td>inner runs</td><td>budget " in identity
    # an archive written before archives kept the -o path: the default path rule, said as such
    with sqlite3.connect(db) as connection:
        record = json.loads(connection.execute("select value from meta where key = 'summary'").fetchone()[0])
        del record["output"]
        connection.execute("update meta set value = ? where key = 'summary'", (json.dumps(record),))
    connection.close()
    html = page.build(data.load(db))
    assert (f"the grammar file <code>{tmp_path / 'm.grammar.toml'}</code> if <code>mlevolve meta</code> was not "
            f"given <code>-o</code>") in html and f"({said})" in html
