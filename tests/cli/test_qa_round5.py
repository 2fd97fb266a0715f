"""The fifth QA pass's findings, each a test of the right behaviour: a mistyped option's closest option
in the hint, the expected form at a header or keyword position of a .mlev file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlevolve.gp.search import ALGORITHMS
from mlevolve.script import ArgumentParser
from tests.conftest import Capsys, cli


@pytest.mark.parametrize(("argv", "prog", "meant"), [
    (["show", "x.db", "--bset"], "mlevolve show", "--best"),
    (["evolve", "f.mlev", "--bugdet", "3"], "mlevolve evolve", "--budget"),
    (["--verison"], "mlevolve", "--version"),
    (["meta", "c.toml", "--quite"], "mlevolve meta", "--quiet"),
    (["export", "f.mlev", "--compnent=x"], "mlevolve export", "--component")])
def test_a_mistyped_option_names_the_closest_one(capsys: Capsys, argv: list[str], prog: str, meant: str) -> None:
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert err.splitlines()[1] == f"hint: did you mean '{meant}'? run `{prog} --help`"


def test_an_option_close_to_none_keeps_the_plain_hint(capsys: Capsys) -> None:
    code, _, err = cli(capsys, "show", "x.db", "--zzzzzz")
    assert code == 2 and err.splitlines()[1] == "hint: run `mlevolve show --help`"


def test_a_script_parser_names_the_closest_option(capsys: Capsys) -> None:
    parser = ArgumentParser(prog="bench.py")
    parser.add_argument("--repeats", type=int)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--repaets", "3"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == ["bench.py: error: unrecognized arguments: --repaets",
                                                    "hint: did you mean '--repeats'? run `bench.py --help`"]


@pytest.mark.parametrize(("text", "form"), [
    ("task quartic\nformula f(x: Scalar) -> Scalar = x\n", "a program starts with `algorithm NAME`"),
    ("algorithm a\ntask 3\n", 'the task line is `task NAME` or `task "data.csv:target=y"`'),
    ("algorithm a\nformula f(x: Scalar) -> Scalar = let y x\n", "a binding is `let NAME = EXPR in EXPR`"),
    ("algorithm a\nformula f(x: Scalar) -> Scalar = let y = x y\n", "a binding is `let NAME = EXPR in EXPR`"),
    ("algorithm a\nformula f(x Scalar) -> Scalar = x\n", "a definition is `KIND NAME(NAME: Type, ...) -> Type"),
    ("algorithm a\nformula f(x: Scalar) Scalar = x\n", "a definition is `KIND NAME(NAME: Type, ...) -> Type"),
    ("algorithm a\nformula f(x: Scalar) -> Scalar x\n", "a definition is `KIND NAME(NAME: Type, ...) -> Type")])
def test_a_syntax_error_at_a_header_or_keyword_gives_the_form(capsys: Capsys, tmp_path: Path, text: str,
                                                               form: str) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 2
    hint = err.splitlines()[-1]
    assert hint.startswith("hint: expected one of: ") and form in hint


def test_an_expression_operand_gets_no_form(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "p.mlev").write_text("algorithm a\nformula f(x: Scalar) -> Scalar = x +\n")
    _, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert err.splitlines()[-1] == "hint: expected one of: '(', '-', a name, a number"


@pytest.mark.parametrize(("text", "first"), [
    ('program = "a.mlev"\nevolve = ["f"]\nprogram = "b.mlev"\n', "3:1: error: key 'program' is given twice "
                                                                 "(first at line 1)"),
    ('program = "a.mlev"\n[inner]\nbudget = 5\n  budget = 6\n', "4:3: error: key 'budget' is given twice "
                                                               "(first at line 3)"),
    ('program = "a.mlev"\n[inner]\nbudget = 5\n[inner]\n', "4:2: error: table [inner] is given twice "
                                                          "(first at line 2)")])
def test_a_key_given_twice_in_a_meta_configuration_is_named(capsys: Capsys, tmp_path: Path, text: str,
                                                             first: str) -> None:
    (tmp_path / "meta.toml").write_text(text)
    code, _, err = cli(capsys, "meta", str(tmp_path / "meta.toml"))
    assert code == 2
    assert err.splitlines() == [f"{tmp_path / 'meta.toml'}:{first}",
                                "hint: TOML takes each key and table once: keep one of them"]


def test_a_key_given_twice_in_a_grammar_file_is_named(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "g.toml").write_text('extends = "base"\n[weights]\nadd = 1\nadd = 2\n')
    code, _, err = cli(capsys, "grammar", "show", str(tmp_path / "g.toml"))
    assert code == 2
    assert err.splitlines()[0] == f"{tmp_path / 'g.toml'}:4:1: error: key 'add' is given twice (first at line 3)"


def test_a_meta_configuration_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    from mlevolve.meta.config import load_config
    from tests.conftest import ROOT

    text = (ROOT / "benchmarks" / "meta" / "repro.toml").read_text()
    text = text.replace('"../../examples/quartic.mlev"', repr(str(ROOT / "examples" / "quartic.mlev")))
    (tmp_path / "plain.toml").write_text(text, encoding="utf-8")
    (tmp_path / "bom.toml").write_text("\ufeff" + text.replace("\n", "\r\n"), encoding="utf-8")
    from dataclasses import replace

    bom, plain = load_config(tmp_path / "bom.toml"), load_config(tmp_path / "plain.toml")
    assert replace(bom, source=plain.source) == plain


@pytest.mark.parametrize(("argv", "hint"), [
    (["run", "examples/quartic.mlev", "--task", "digits"],
     "hint: formula tasks: koza_quartic, nguyen1, nguyen2, nguyen3, nguyen4, nguyen5, nguyen6, nguyen7, nguyen8, "
     "or a data file: data.csv:target=y or data.npz"),
    (["run", "examples/mlp_digits.mlev", "--task", "nguyen1"],
     "hint: supervised tasks: digits, iris, wine, breast_cancer, moons, circles, spirals, "
     "or a data file: data.csv:target=y or data.npz"),
    (["run", "examples/dqn_chain.mlev", "--task", "digits"], "hint: RL tasks: cartpole, acrobot, mountaincar, chain")])
def test_a_task_a_program_cannot_run_on_lists_what_it_can(capsys: Capsys, argv: list[str], hint: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    code, _, err = cli(capsys, *argv)
    assert code == 2 and err.splitlines()[1] == hint



def test_a_mistake_in_an_extended_grammar_names_the_chain(capsys: Capsys, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("base2.toml").write_text('extends = "base"\n[weights]\nnosuch = 2\n')
    Path("mine.toml").write_text('extends = "base2.toml"\n')
    Path("top.toml").write_text('extends = "mine.toml"\n')
    code, _, err = cli(capsys, "grammar", "show", "mine.toml")
    assert code == 2
    assert err.splitlines()[0] == ("base2.toml:3:1: error: [weights] names unknown production 'nosuch' "
                                   "(in base2.toml, extended by mine.toml)")
    _, _, err = cli(capsys, "grammar", "show", "top.toml")
    assert err.splitlines()[0].endswith("(in base2.toml, extended by mine.toml, extended by top.toml)")
    _, _, err = cli(capsys, "grammar", "show", "base2.toml")
    assert err.splitlines()[0] == "base2.toml:3:1: error: [weights] names unknown production 'nosuch'"


def test_grammar_diff_lists_restrict_changes(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "r.toml").write_text(
        'extends = "base"\n[restrict.learner]\ntypes = ["Scalar", "Tensor"]\nscale = 0.2\n'
        'keep = ["add(Scalar,Scalar)", "sub(Scalar,Scalar)", "mul(Scalar,Scalar)", "add(Vector,Vector)",'
        ' "sub(Vector,Vector)", "mul(Scalar,Vector)", "exp(Scalar)"]\n'
        '[restrict.formula]\ntypes = ["Scalar"]\nscale = 0.5\nkeep = []\n')
    code, out, _ = cli(capsys, "grammar", "diff", "base", str(tmp_path / "r.toml"))
    assert code == 0
    assert out.splitlines()[1:] == ["~ restrict.learner types Matrix, Scalar, Vector -> Scalar, Tensor",
                                    "~ restrict.learner scale 0.1 -> 0.2",
                                    "+ restrict.learner keep exp(Scalar)",
                                    "- restrict.learner keep dot(Vector,Vector)",
                                    "+ restrict.formula types Scalar; scale 0.5; keep none"]
    _, out, _ = cli(capsys, "grammar", "diff", str(tmp_path / "r.toml"), "base")
    assert out.splitlines()[-2:] == ["- restrict.learner keep exp(Scalar)", "- restrict.formula"]


def test_a_fitted_start_is_labelled_and_run_scores_it_as_written(capsys: Capsys, tmp_path: Path) -> None:
    from mlevolve import api

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
    from mlevolve import api
    from mlevolve.gp import progress
    from mlevolve.report import summary

    (tmp_path / "lin.mlev").write_text("algorithm lin\ntask koza_quartic\nformula f(x: Scalar) -> Scalar = x\n")
    common: dict[str, Any] = {"db": tmp_path / "a.db", "algorithm": algorithm, "population": 12, "workers": workers,
                              "quiet": True}
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


@pytest.mark.e2e
@pytest.mark.parametrize(("flags", "lines"), [
    (["--seed", "1", "--seed", "2", "--bogus"], ["q.py: error: unrecognized arguments: --bogus",
                                                 "hint: run `q.py --help`"]),
    (["--seed", "-1", "--sed", "1", "--jsn"], ["q.py: error: unrecognized arguments: --sed --jsn",
                                               "hint: did you mean '--seed'? run `q.py --help`"]),
    (["--tsak=nguyen1"], ["q.py: error: unrecognized arguments: --tsak",
                          "hint: did you mean '--task'? run `q.py --help`"]),
    (["--seed", "1", "--seed=2"], ["q.py: error: argument --seed: given twice; give it once",
                                   "hint: run `q.py --help`"])])
def test_an_exported_script_reports_unknown_options_first(
        capsys: Capsys, tmp_path: Path, flags: list[str], lines: list[str]) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT, environment

    assert cli(capsys, "export", str(ROOT / "examples" / "quartic.mlev"), "-o", str(tmp_path / "q.py"))[0] == 0
    done = subprocess.run([sys.executable, str(tmp_path / "q.py"), *flags], capture_output=True, text=True,
                          timeout=120, env=environment())
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", lines)
