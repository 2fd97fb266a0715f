"""The QA pass of stop 27, each finding a test of the right behaviour: header lines checked as lines,
keyword notes about the unexpected token only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Capsys, cli

_DEF = "formula f(x: Scalar) -> Scalar =\n  x * x\n"
_TASK_FORM = '`task NAME` or `task "data.csv:target=y"`'


@pytest.mark.parametrize(("text", "expected"), [
    ("algorithm q\ntask\n" + _DEF,
     ["p.mlev:2:5: error: the task line is `task NAME`: its name is missing", "    task", "        ^",
      f"hint: a header is one line: {_TASK_FORM}, with the name on the same line"]),
    ("algorithm q\ntask koza_quartic extra\n" + _DEF,
     ["p.mlev:2:19: error: the task line is `task NAME`: one name; found 'extra'", "    task koza_quartic extra",
      "                      ^^^^^",
      f"hint: a header is one line: {_TASK_FORM}; what follows starts on the next line"]),
    ("algorithm q\ntask koza quartic # the quartic\n" + _DEF,
     ["p.mlev:2:11: error: the task line is `task NAME`: one name; found 'quartic'",
      "    task koza quartic # the quartic", "              ^^^^^^^",
      f"hint: a header is one line: {_TASK_FORM}; what follows starts on the next line"]),
    ("# head\n\nalgorithm q r\ntask koza_quartic\n" + _DEF,
     ["p.mlev:3:13: error: the algorithm line is `algorithm NAME`: one name; found 'r'", "    algorithm q r",
      "                ^", "hint: a header is one line: `algorithm NAME`; what follows starts on the next line"]),
    ('algorithm q\ntask "nguyen4\n' + _DEF,  # said "one name; found 'nguyen4'" (a new user's pass)
     ["p.mlev:2:6: error: the task name's quote at column 6 is not closed", '    task "nguyen4', "         ^",
      'hint: close it on the same line: task "nguyen4"']),
    ('algorithm q\ntask nguyen4"  # c\n' + _DEF,
     ["p.mlev:2:13: error: the quote at column 13 closes no opened quote", '    task nguyen4"  # c',
      "                ^", 'hint: write task "nguyen4", or task nguyen4 for a built-in task']),
    ('algorithm q\ntask "\n' + _DEF,
     ["p.mlev:2:6: error: the task name's quote at column 6 is not closed", '    task "', "         ^",
      'hint: close it on the same line: task "data.csv:target=y"']),
    ("algorithm\nq\n" + _DEF,
     ["p.mlev:1:10: error: the algorithm line is `algorithm NAME`: its name is missing", "    algorithm",
      "             ^", "hint: a header is one line: `algorithm NAME`, with the name on the same line"]),
])
def test_a_header_line_is_checked_as_a_line(capsys: Capsys, tmp_path: Path, text: str,
                                             expected: list[str]) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, out, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 2 and out == ""
    assert err.replace(str(tmp_path) + "/", "").splitlines() == expected


@pytest.mark.parametrize("task", ['"a#b.csv:target=y"  # quoted, with a # inside', "koza_quartic # comment"])
def test_a_well_formed_header_line_passes(capsys: Capsys, tmp_path: Path, task: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # check reads a task line's data file, from the current folder as run does
    (tmp_path / "a#b.csv").write_text("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(12)))
    (tmp_path / "p.mlev").write_text(f"# head\nalgorithm q  # c\n\ntask {task}\n" + _DEF)
    code, out, _ = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 0 and out.endswith("ok (formula f)\n")


@pytest.mark.parametrize(("text", "hint"), [
    ("algorithm q\ntask 3\n" + _DEF,
     f"hint: expected one of: a name, a quoted string; the task line is {_TASK_FORM}"),
    ("algorithm q\nformula f(x: Scalar) -> Scalar =\n  let = x in x\n",
     "hint: expected one of: a name; a binding is `let NAME = EXPR in EXPR`"),
    ("algorithm q\nformula f(x: Scalar) -> Scalar =\n  let in = x in x\n",
     "hint: expected one of: a name ('in' is a keyword and cannot be used as a name); "
     "a binding is `let NAME = EXPR in EXPR`"),
])
def test_the_keyword_note_is_about_the_unexpected_token(capsys: Capsys, tmp_path: Path, text: str,
                                                        hint: str) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 2 and err.splitlines()[-1] == hint


_DIGITS_FORMULA = "algorithm q\ntask digits\nformula f(x: Scalar) -> Scalar = x\n"
_FORMULA_TASKS = ("hint: formula tasks: koza_quartic, nguyen1, nguyen2, nguyen3, nguyen4, nguyen5, nguyen6, nguyen7, "
                  "nguyen8, or a data file: data.csv:target=y or data.npz")


@pytest.mark.parametrize("command", [["check"], ["run"], ["evolve"], ["export", "-o", "out.py"]])
def test_a_task_line_of_the_wrong_kind_is_an_error_at_the_line(capsys: Capsys, tmp_path: Path,
                                                               command: list[str]) -> None:
    (tmp_path / "p.mlev").write_text(_DIGITS_FORMULA)
    code, out, err = cli(capsys, *command, str(tmp_path / "p.mlev"))
    assert code == 2 and out == ""
    assert err.replace(str(tmp_path) + "/", "").splitlines() == [
        "p.mlev:2:6: error: a formula program cannot run on task 'digits'", "    task digits", "         ^^^^^^",
        _FORMULA_TASKS]


def test_a_task_option_of_the_wrong_kind_names_no_line(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "p.mlev").write_text("algorithm q\nformula f(x: Scalar) -> Scalar = x\n")
    code, _, err = cli(capsys, "run", str(tmp_path / "p.mlev"), "--task", "digits")
    assert code == 2
    assert err.splitlines() == ["mlevolve run: error: a formula program cannot run on task 'digits'", _FORMULA_TASKS]


def test_the_kind_check_reads_no_data_and_writes_rl_as_rl() -> None:
    from mlevolve.dsl.errors import MlevError
    from mlevolve.interpreter.regimes import REGIMES
    from mlevolve.interpreter.tasks import check_task_kind

    check_task_kind(REGIMES["formula"], "nguyen1")
    check_task_kind(REGIMES["formula"], "missing.csv:target=y")  # a formula may run on a data file: not read here
    with pytest.raises(MlevError) as wrong:
        check_task_kind(REGIMES["rl"], "missing.csv:target=y")
    assert wrong.value.message == "an RL program cannot run on task 'missing.csv:target=y'"
    assert wrong.value.hint == "RL tasks: cartpole, acrobot, mountaincar, chain"


@pytest.mark.parametrize(("name", "command", "data", "expected"), [
    ("m.toml", "meta", b'program = "a.mlev"\n# caf\xe9 \xe9\n',
     ["m.toml:2:6: error: not UTF-8 text (bad byte at offset 24)",
      "hint: a meta configuration (TOML) is UTF-8 text: save it as UTF-8"]),
    ("p.mlev", "check", "algorithm q\n# café\n".encode() + b"  # \xff\n",
     ["p.mlev:3:5: error: not UTF-8 text (bad byte at offset 24)",
      "hint: a .mlev program is UTF-8 text: save it as UTF-8"]),
])
def test_a_file_not_in_utf8_is_an_error_at_the_bad_byte(capsys: Capsys, tmp_path: Path, name: str, command: str,
                                                        data: bytes, expected: list[str]) -> None:
    (tmp_path / name).write_bytes(data)
    code, out, err = cli(capsys, command, str(tmp_path / name))
    assert code == 2 and out == ""
    assert err.replace(str(tmp_path) + "/", "").splitlines() == expected


@pytest.mark.parametrize(("argv", "hint"), [
    (["--init", "rnadom"], "hint: did you mean 'random'? run `mlevolve evolve --help`"),
    (["--algorithm", "regularised"], "hint: did you mean 'regularized'? run `mlevolve evolve --help`"),
    (["--algorithm", "zzz"], "hint: run `mlevolve evolve --help`"),
])
def test_a_mistyped_choice_names_the_closest_one(capsys: Capsys, argv: list[str], hint: str) -> None:
    code, _, err = cli(capsys, "evolve", "p.mlev", *argv)
    assert code == 2 and err.splitlines()[1] == hint


def test_a_mistyped_task_option_names_the_closest_task(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "p.mlev").write_text("algorithm q\nformula f(x: Scalar) -> Scalar = x\n")
    code, _, err = cli(capsys, "run", str(tmp_path / "p.mlev"), "--task", "koza_quartc")
    assert code == 2 and err.splitlines()[1].startswith("hint: did you mean 'koza_quartic'? known tasks: digits,")


@pytest.mark.parametrize(("old", "new", "first", "hint"), [
    ("[split]", "[splits]", "c.toml:13:2: error: unknown entry 'splits'",
     "hint: did you mean 'split'? entries: bounds, evolve, inner, meta, program, split"),
    ("tournament = 3", "tournamnet = 3", "c.toml:21:1: error: [inner] has no setting 'tournamnet'",
     "hint: did you mean 'tournament'? settings: "),
    ("test = [", "tset = [", "c.toml:16:1: error: [split] has no part 'tset'",
     "hint: did you mean 'test'? parts: train, validation, test"),
])
def test_a_mistyped_configuration_key_names_the_closest_one(capsys: Capsys, tmp_path: Path, old: str, new: str,
                                                            first: str, hint: str) -> None:
    from tests.conftest import ROOT

    text = (ROOT / "benchmarks/meta/activations.toml").read_text()
    assert old in text
    (tmp_path / "c.toml").write_text(text.replace(old, new))
    (tmp_path / "activation.mlev").write_text((ROOT / "benchmarks/meta/activation.mlev").read_text())
    code, _, err = cli(capsys, "meta", str(tmp_path / "c.toml"))
    lines = err.replace(str(tmp_path) + "/", "").splitlines()
    assert code == 2 and lines[0] == first and lines[-1].startswith(hint)


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
                             counts={"cache": 0, "fec": 0, "hurdle": 0, "failed": 1})
    Progress(1, stream=stream)(engine, None, stored=True)
    assert stream.getvalue().startswith("[     1/1] best -  cache 0  fec 0  hurdle 0  failed 1  (")
    engine.hall_of_fame = [SimpleNamespace(score=0.25)]
    stream.truncate(0)
    stream.seek(0)
    Progress(1, stream=stream)(engine, None, stored=True)
    assert stream.getvalue().startswith("[     1/1] best 0.25  cache 0")


def test_the_next_commands_name_the_summarys_best_when_the_budget_is_below_the_archive(
        capsys: Capsys, tmp_path: Path) -> None:
    import re

    (tmp_path / "p.mlev").write_text("algorithm q\ntask nguyen1\nformula f(x: Scalar) -> Scalar =\n  x * x\n")
    db = str(tmp_path / "r.db")
    code, out, _ = cli(capsys, "evolve", str(tmp_path / "p.mlev"), "--budget", "12", "--db", db)
    assert code == 0 and f"mlevolve show {db} --best --confirm 5" in out  # the archive's best is the run's
    code, out, _ = cli(capsys, "evolve", str(tmp_path / "p.mlev"), "--budget", "2", "--db", db)
    best = re.search(r"^best: .*\(hash ([0-9a-f]{12}), candidate \d+\)$", out, re.MULTILINE)
    assert code == 0 and best is not None
    assert f"    mlevolve show {db} {best[1]} --confirm 5" in out.splitlines()
    assert f"    mlevolve export --db {db} --hash {best[1]} -o {tmp_path / 'r.py'}" in out.splitlines()
    code, shown, _ = cli(capsys, "show", db, best[1])
    assert code == 0 and best[1] in shown


@pytest.mark.parametrize(("body", "note"), [
    ("log(0.0) * x", "as written it fails: the formula is not finite on some points (train); with its literals "
                     "fitted and its output linearly scaled (a + b * f), as every candidate's are, it scores as shown"),
    ("x / 0.0", "as written it fails: the formula is not finite on some points (train); with its literals "
                "fitted and its output linearly scaled (a + b * f), as every candidate's are, it scores as shown"),
    ("sin(x)", "scored with its output linearly scaled (a + b * f), as every candidate's are, where `mlevolve run` "
               "scores it as written"),
])
def test_the_start_line_says_truly_what_fitting_did(tmp_path: Path, body: str, note: str) -> None:
    from mlevolve import api

    (tmp_path / "p.mlev").write_text(f"algorithm q\ntask nguyen1\nformula f(x: Scalar) -> Scalar =\n  {body}\n")
    start = api.evolve(tmp_path / "p.mlev", ["f"], budget=2, db=tmp_path / "a.db", quiet=True)["answer"]["start"]
    assert start["how"] == f"candidate 0, the file's program; {note}"
    assert start["value"] is not None


def test_a_mistyped_type_or_slot_names_the_closest_one(capsys: Capsys, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "grammar", "show", "--type", "Scalr")
    assert code == 2 and err.splitlines()[1].startswith("hint: did you mean 'Scalar'? types: Scalar, ")
    (tmp_path / "p.mlev").write_text("algorithm q\ntask nguyen1\nformula quartic(x: Scalar) -> Scalar = x\n")
    code, _, err = cli(capsys, "evolve", str(tmp_path / "p.mlev"), "--evolve", "quartc")
    assert code == 2 and err.splitlines()[-1] == "hint: did you mean 'quartic'? definitions: quartic, or all"


@pytest.mark.parametrize(("text", "first"), [  # round 28: each header is a line of its own, as docs/language.md says
    ('algorithm q task "my task" extra\n' + _DEF, "p.mlev:1:13: error: the task header is a line of its own, not "
                                                  "part of the algorithm line"),
    ("algorithm q task\n" + _DEF, "p.mlev:1:13: error: the task header is a line of its own, not part of the "
                                   "algorithm line"),
    ("algorithm q " + _DEF, "p.mlev:1:13: error: the algorithm line is `algorithm NAME`: one name; found 'formula'"),
])
def test_both_headers_on_the_algorithm_line_are_checked_alike(capsys: Capsys, tmp_path: Path, text: str,
                                                              first: str) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 2 and err.replace(str(tmp_path) + "/", "").splitlines()[0] == first
