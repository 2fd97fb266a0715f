"""An exported script refuses what the command refuses, in the same words: bad cells, short rows, numbers in
ASCII digits only, unknown options reported first.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.tasks import load_task
from mlevolve.messages import INTEGER_RULE
from tests.conftest import (
    FORMULA_AB,
    ROOT,
    Capsys,
    cli,
    environment,
    handles,
    maps,
    regression_csv,
    run_child,
    runs,
    spawn,
    usage_error,
    wait_until,
)

QUARTIC = ROOT / "examples" / "quartic.mlev"

# ------------------------------------------------------- 11: an exported script's reader, the library's words
def _npz(path: Path, bad: str) -> None:
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = x[:, 0].copy()
    if bad == "x":
        x[4, 1] = np.inf
    else:
        y[3] = np.nan
    np.savez(path, X=x, y=y)


# ------------------------------------------------------------------ 4, 5, 11: exported scripts' flags and readers
@pytest.mark.e2e
def test_an_exported_script_refuses_what_the_command_refuses(tmp_path: Path, capsys: Capsys) -> None:
    script = tmp_path / "lin.py"
    assert main(["export", str(ROOT / "examples" / "linear_regression.mlev"), "-o", str(script)]) == 0
    (tmp_path / "f.mlev").write_text(FORMULA_AB)
    regression_csv(tmp_path / "good.csv")
    assert main(["export", str(tmp_path / "f.mlev"), "--task", f"{tmp_path / 'good.csv'}:target=y", "-o",
                 str(tmp_path / "f.py")]) == 0
    capsys.readouterr()
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3\n4,,6\n")

    def error(*flags: str, script: Path = script) -> list[str]:
        done = run_child([sys.executable, str(script), *flags], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env=environment())
        assert done.returncode == 2 and done.stdout == "", done
        return done.stderr.splitlines()

    assert error("--seed", "1", "--seed=2") == ["lin.py: error: argument --seed: given twice; give it once",
                                                "hint: run `lin.py --help`"]
    assert error("--json", "--json")[0] == "lin.py: error: argument --json: given twice; give it once"
    assert error("--se", "1") == ["lin.py: error: unrecognized arguments: --se",  # no abbreviations
                                  "hint: did you mean '--seed'? run `lin.py --help`"]
    assert error("--epochs=3", "--bogus") == [  # as `mlevolve run` refuses it, not as an unknown flag
        "lin.py: error: --epochs does not apply to a learner program: it is not trained for epochs",
        "hint: drop --epochs; it applies to supervised, RL and generative programs"]
    assert error("--task", "linear:n_train=\u0661\u0662")[0] == (
        "lin.py: error: option n_train=\u0661\u0662 of task 'linear' must be an integer from 2 to 1,000,000")
    assert error("--task", "linear:n_train=1_000")[0].startswith("lin.py: error: option n_train=1_000 ")
    assert error("--task", "d.csv:target=y", script=tmp_path / "f.py") == [
        "d.csv:3:2: error: column 'b': the cell is empty (a missing value)",  # its place first, as the command
        "hint: mlevolve does not impute: fill the cell in or drop its row"]


@pytest.mark.parametrize(("cell", "message"), [("1_000", "'1_000' is not a number"),
                                               ("\u0661\u0662", "'\u0661\u0662' is not a number")])
def test_only_ascii_decimal_numbers_are_read_from_data_and_options(tmp_path: Path, capsys: Capsys, cell: str,
                                                                   message: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i * 0.5}\n" for i in range(10)) + f"1,{cell},2\n",
                    encoding="utf-8")
    assert main(["run", str(QUARTIC), "--task", f"{path}:target=y"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == f"{path}:12:2: error: column 'b': {message}"
    assert main(["run", str(QUARTIC), "--task", f"koza_quartic:n_train={cell}"]) == 2
    assert capsys.readouterr().err.startswith(f"mlevolve run: error: option n_train={cell} of task 'koza_quartic'")
    assert main(["run", str(QUARTIC), "--seed", cell]) == 2
    assert capsys.readouterr().err.startswith(f"mlevolve run: error: argument --seed: invalid int value: '{cell}'")


@pytest.mark.parametrize(("name", "text"), [
    ("d.csv", "a,b,y\n1,2,3\n4,,6\n"), ("d.csv", "a,b,y\n1,2,3\n4,NA,6\n"), ("d.csv", "a,b,y\n1,2,3\n4,5,-inf\n"),
    ("d.csv", "a,b,y\n1,2,3\n4,5\n"), ("d.csv", "a,b,y\n1,2,3\n4,1_0,6\n"), ("d.csv", "a,b,y\n1,2,3\n4,5,nan\n"),
    ("x.npz", "x"), ("y.npz", "y"),
])
def test_an_exported_scripts_reader_says_a_bad_cell_as_the_library_does(tmp_path: Path, name: str, text: str) -> None:
    from mlevolve.interpreter.standalone.data import read_table
    from mlevolve.interpreter.standalone.spec import TaskError

    path = tmp_path / name
    if name.endswith(".npz"):
        _npz(path, text)
    else:
        path.write_text(text)
    with pytest.raises(MlevError) as library:
        load_task(f"{path}:target=y" if name.endswith(".csv") else str(path))
    with pytest.raises(TaskError) as script:
        read_table(str(path), "y" if name.endswith(".csv") else "", "")  # as the library is given it
    err = library.value
    assert (f"{err.file}: {err.message}" if err.file else err.message, err.hint) == \
        (script.value.message, script.value.hint)


def test_a_short_row_is_named_by_its_line_as_every_other_data_mistake(tmp_path: Path, capsys: Capsys) -> None:
    """``FILE:LINE: error: ...``, as a bad cell's ``FILE:LINE:COL``, in the command and the exported script alike."""
    from mlevolve.interpreter.standalone.data import read_table
    from mlevolve.interpreter.standalone.spec import TaskError

    (tmp_path / "short.csv").write_text("a,b,y\n1,2,3\n4,5,6\n7,8\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        err = usage_error(capsys, "run", str(QUARTIC), "--task", "short.csv:target=y")
        with pytest.raises(TaskError) as caught:
            read_table("short.csv", "y", "")
    assert err == ("short.csv:4: error: row has 2 cells, the header has 3\n"
                   "hint: give every row one cell per column (a comma inside a cell needs quotes)\n")
    assert caught.value.message == "short.csv:4: row has 2 cells, the header has 3"


@pytest.mark.parametrize("folder", ["t", "t.csv"])
def test_a_folder_given_as_a_data_file_is_named_a_folder_by_the_library_and_a_script(tmp_path: Path,
                                                                                     folder: str) -> None:
    """A data-file script given ``--task t/`` said "t/ is a folder, not a file" with the hint for a built-in task's
    name ("a script for a built-in task: mlevolve export ..."), where a folder named ``t.csv`` got the reader's."""
    from mlevolve.interpreter.standalone.data import UNREADABLE, read_table
    from mlevolve.interpreter.standalone.spec import TaskError

    (path := tmp_path / folder).mkdir()
    with pytest.raises(MlevError) as library:
        load_task(f"{path}/")
    with pytest.raises(TaskError) as script:
        read_table(f"{path}/", "", "")  # as a data-file script reads its --task
    assert (library.value.message, library.value.hint) == (f"{path}/ is a folder, not a file", UNREADABLE)
    assert (script.value.message, script.value.hint) == (f"{path}/ is a folder, not a file", UNREADABLE)


@pytest.mark.parametrize(("data", "where"), [(b"a,y\n1,2\n3,\xe94\n", "3:3: error: not UTF-8 text (byte 0xe9)"),
                                             (b"\xef\xbb\xbfa,\xc3\xa9,y\n1,2,\xff\n", "2:5: error: not UTF-8 text "
                                              "(byte 0xff)"),  # after a byte-order mark, and é (2 bytes, 1 column)
                                             (b'a,y\n"x\ny",\x80\n', "3:4: error: not UTF-8 text (byte 0x80)"),
                                             (b"x,y\r1,2\r2,3\xe9\r", "3:4: error: not UTF-8 text (byte 0xe9)"),  # CR
                                             (b"x,y\r\n1,\xe9\r\n", "2:3: error: not UTF-8 text (byte 0xe9)")])
def test_a_csv_that_is_not_utf8_is_refused_at_its_line_and_column(tmp_path: Path, capsys: Capsys, data: bytes,
                                                                  where: str) -> None:
    """It said ``cannot read d.csv: 'utf-8' codec can't decode byte 0xe9 in position 10``, with no line."""
    from mlevolve.interpreter.standalone.data import read_table
    from mlevolve.interpreter.standalone.spec import TaskError

    (path := tmp_path / "d.csv").write_bytes(data)
    err = usage_error(capsys, "run", str(QUARTIC), "--task", f"{path}:target=y")
    assert err == f"{path}:{where}\nhint: save it as UTF-8 (a spreadsheet's 'CSV UTF-8')\n"
    with pytest.raises(TaskError) as caught:  # an exported script's reader, in the same words
        read_table(str(path), "y", "")
    assert caught.value.message == f"{path}:{where}".replace(" error:", "")


@pytest.mark.e2e
@pytest.mark.parametrize(("flags", "error"), [
    (["--seed", "\u0661\u0662"], "argument --seed: invalid int value: '\u0661\u0662'"),
    (["--seed", "1_000"], "argument --seed: invalid int value: '1_000'"),
    (["--seed", "-1"], "argument --seed: invalid int value: '-1'"),  # no sign: the one rule of an integer
    (["--seed", "+3"], "argument --seed: invalid int value: '+3'"),
    (["--seed", " 3"], None),  # space around a value typed is none of it
    (["--seed", "3 0"], "argument --seed: invalid int value: '3 0'"),
    (["--seed", "9223372036854775808"], "--seed must be at least 0 and below 2**63, got 9223372036854775808"),
    (["--seed", "3", "--seed", "3"], "argument --seed: given twice; give it once"),
    (["--seed", "3e0"], None),
    (["--seed", "3\t"], None),
])
def test_an_exported_script_reads_its_numbers_in_ascii_digits_as_the_command_does(
        tmp_path: Path, flags: list[str], error: str | None) -> None:
    """Python's ``int`` takes other scripts' digits and ``1_000``; the command refuses them, and so does the script."""
    import sys

    script = tmp_path / "quartic.py"
    script.write_text(api.export(QUARTIC))
    done = run_child([sys.executable, str(script), *flags, "--json"], capture_output=True, text=True, timeout=120)
    if error is None:
        assert done.returncode == 0 and json.loads(done.stdout)["seed"] == 3, done.stderr
    else:
        assert (done.returncode, done.stdout) == (2, "")
        hint = "a seed is a whole number from 0 to 2**63 - 1" if "2**63" in error else "run `quartic.py --help`"
        hint = f"{INTEGER_RULE}; {hint}" if "invalid int" in error else hint  # mlevolve's words
        assert done.stderr == f"quartic.py: error: {error}\nhint: {hint}\n"


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
    import sys

    from tests.conftest import ROOT, environment

    assert cli(capsys, "export", str(ROOT / "examples" / "quartic.mlev"), "-o", str(tmp_path / "q.py"))[0] == 0
    done = run_child([sys.executable, str(tmp_path / "q.py"), *flags], capture_output=True, text=True,
                     timeout=120, env=environment())
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", lines)


@pytest.mark.e2e
def test_an_exported_scripts_integer_flags_take_what_mlevolve_run_takes_in_its_words(tmp_path: Path,
                                                                                      capsys: Capsys) -> None:
    """An oracle over the integer flags a script takes (--seed, --epochs): each value is refused by ``mlevolve
    run`` and by the script alike, in the same words, or taken by both.  A script took --epochs 2**63 and trained
    for ever where the library refuses it (every integer setting is below 2**63, api.checks._at_least)."""
    mlp, script = ROOT / "examples" / "mlp_digits.mlev", tmp_path / "mlp.py"
    script.write_text(api.export(mlp, "moons", epochs=1))
    cases = [("--epochs", "0"), ("--epochs", str(2**63)), ("--epochs", "1e19"), ("--epochs", "9" * 20),
             ("--epochs", "-1"), ("--epochs", " 2 "), ("--seed", str(2**63)), ("--seed", "1e30"), ("--seed", "2e0 ")]
    for flag, value in cases:
        given = [flag, value, *(["--epochs", "1"] if flag != "--epochs" else [])]
        code, out, err = cli(capsys, "run", str(mlp), "--task", "moons", *given)
        done = run_child([sys.executable, str(script), *given], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path, env=environment())
        assert done.returncode == code, (flag, value, done.stderr, err)
        if code == 2:  # the words after the program's name, and the hint (the script's own --help in it)
            assert done.stderr.partition(": error: ")[2] == err.partition(": error: ")[2].replace(
                "mlevolve run --help", "mlp.py --help"), (flag, value)
        else:
            assert code == 0 and out.splitlines()[-2:] == done.stdout.splitlines()[-2:], (flag, value)  # task, seed


@pytest.mark.parametrize("program", [QUARTIC, ROOT / "examples" / "linear_regression.mlev",
                                     ROOT / "examples" / "mlp_digits.mlev"])
def test_a_column_of_text_is_named_one_with_how_to_drop_it_by_every_reader(tmp_path: Path, capsys: Capsys,
                                                                           program: Path) -> None:
    """A column of names or ids (not read as the target or a group=) said only "'hello0' is not a number" with "every
    cell must hold a number", as a typo in a column of numbers does; one cell of text among numbers still says so."""
    from mlevolve.interpreter.standalone.data import read_table
    from mlevolve.interpreter.standalone.spec import TaskError

    rows = "".join(f"{i},{2 * i},{'' if i == 3 else f'id{i}'}\n" for i in range(12))  # a missing cell is no text
    (path := tmp_path / "d.csv").write_text("x,y,name\n" + rows)
    hint = ("drop the column from the file: every column but the target is a feature of numbers (text is a target "
            "of class labels, or a learner's group=)")
    err = usage_error(capsys, "run", str(program), "--task", f"{path}:target=y")
    assert err == f"{path}:2:3: error: column 'name': text, not numbers ('id0' and 10 more of 12 cells)\nhint: {hint}\n"
    with pytest.raises(TaskError) as caught:  # an exported script's reader, in the same words
        read_table(str(path), "y", "")
    assert (caught.value.message, caught.value.hint) == (err.split("\n")[0].replace(" error:", ""), hint)
    (path := tmp_path / "typo.csv").write_text("x,y\n" + "".join(f"{i},{i}\n" for i in range(5)) + "x7,3\n")
    assert usage_error(capsys, "run", str(program), "--task", f"{path}:target=y").splitlines() == [
        f"{path}:7:1: error: column 'x': 'x7' is not a number",
        "hint: every cell must hold a number, except a target of class labels"]


@pytest.mark.e2e
@pytest.mark.parametrize(("stop", "word", "status"), [("SIGINT", "interrupted", 130),
                                                      ("SIGTERM", "stopped by SIGTERM", 143)])
def test_a_stop_while_an_exported_script_loads_its_libraries_ends_in_one_line(tmp_path: Path, stop: str, word: str,
                                                                             status: int) -> None:
    """A Ctrl-C in the second or more PyTorch takes to import printed the import's traceback (a fresh-user pass:
    every time from 0.2 to 1.55 s of a 1.7 s run); the script's handler came with ``main``."""
    import signal

    script = tmp_path / "mlp.py"
    script.write_text(api.export(ROOT / "examples" / "mlp_digits.mlev"))
    process = spawn([sys.executable, str(script), "--json"], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True, env=environment())
    try:  # the script sets its first handlers, imports NumPy, then PyTorch: NumPy's libraries loaded
        wait_until(lambda: runs(process.pid, str(script)) and maps(process.pid, "numpy"), process)
        assert handles(process.pid, signal.SIGTERM) and not maps(process.pid, "libtorch"), "PyTorch loaded already"
        process.send_signal(getattr(signal, stop))
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, out, err) == (status, "", f"{script}: {word}\n")
    assert not (failed := not_importable(script)), failed  # its handler is the script's when run, not an importer's


def not_importable(script: Path) -> str:
    """Why importing ``script`` changes SIGINT's or SIGTERM's handler (the child's exit status and stderr), or "" where
    it leaves both as they were.  As they were, not Python's own: a child of a shell's background job inherits SIGINT
    ignored, which Python keeps (the CI's e2e stage failed it so, run in the background)."""
    code = (f"import signal, sys; sys.path.insert(0, {str(script.parent)!r}); "
            "before = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)]; "
            f"import {script.stem}; "
            "assert [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)] == before")
    done = run_child([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environment())
    return "" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-2000:]}"
