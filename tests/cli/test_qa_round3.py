"""Fixes of the third QA round: a count too large to act on is refused in words, not as "out of memory"."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.dsl.errors import SettingError
from tests.conftest import ROOT, Capsys, sigint_default, usage_error, wait_for_candidates

QUARTIC = ROOT / "examples" / "quartic.mlev"
CONFIRM_HINT = "hint: each seed trains the best and the starting program again: 5 to 30 give the gain's spread\n"


@pytest.mark.parametrize("count", ["1001", "99999999999"])
def test_a_confirm_count_past_the_limit_is_refused_before_the_run(
        tmp_path: Path, capsys: Capsys, count: str) -> None:
    db = tmp_path / "r.db"
    err = usage_error(capsys, "evolve", str(QUARTIC), "--confirm", count, "--db", str(db))
    assert err == f"mlevolve evolve: error: --confirm must be at most 1,000, got {count}\n{CONFIRM_HINT}"
    assert not db.exists()  # refused before an archive is made


def test_show_refuses_a_confirm_count_past_the_limit(tmp_path: Path, capsys: Capsys) -> None:
    db = tmp_path / "r.db"
    api.evolve(QUARTIC, ["f"], budget=2, db=db, quiet=True)
    err = usage_error(capsys, "show", str(db), "--best", "--confirm", "99999999999")
    assert err == f"mlevolve show: error: --confirm must be at most 1,000, got 99999999999\n{CONFIRM_HINT}"
    with pytest.raises(SettingError) as caught:
        api.show(db, confirm=1001)
    assert caught.value.message == "confirm must be at most 1,000, got 1001"


SMOKE = ROOT / "benchmarks" / "meta" / "smoke.toml"


@pytest.mark.parametrize(("old", "new", "error"), [
    ("[inner]", "[inner]\n[inner]", "bad.toml:12:2: error: table [inner] is given twice (first at line 11)\n"
                                    "hint: TOML takes each key and table once: keep one of them\n"),
    ("seed = 2", "seed = 2\nseed = 3", "bad.toml:25:1: error: key 'seed' is given twice (first at line 24)\n"),
    ('program = "../../examples/quartic.mlev"', "program = 5",
     "bad.toml:3:1: error: `program` must be a path (a string), got 5\n"
     'hint: program = "../../examples/quartic.mlev" (relative to this file)\n'),
    ("seed = 2", "seed = -2", "bad.toml:24:1: error: [meta] seed must be 0 or more, got -2\n"),
    ("population = 4", "population = 0", "bad.toml:18:1: error: [meta] population must be positive, got 0\n"),
    ('validation = ["nguyen2"]', "validation = []",
     "bad.toml:8:1: error: [split] validation needs at least 1 task: the output is the best generator on it\n"
     "hint: move a task from [split] train to validation\n"),
])
def test_bad_meta_configurations_say_where_and_what(tmp_path: Path, capsys: Capsys, old: str, new: str,
                                                     error: str) -> None:
    """A TOML syntax error names its line and column; a program that is not a path, a setting that may be 0
    (a seed) given below it, and a split with no validation task (the run could only ever answer the base
    grammar) are each named for what they are."""
    text = SMOKE.read_text().replace("../../examples", str(ROOT / "examples").replace("\\", "/"))
    if old.startswith("program"):
        old = old.replace("../../examples", str(ROOT / "examples"))
    assert old in text
    (tmp_path / "bad.toml").write_text(text.replace(old, new, 1))
    db = tmp_path / "m.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        err = usage_error(capsys, "meta", "bad.toml", "--db", str(db))
    assert err.startswith(error), err
    assert not db.exists()


def test_a_short_row_is_named_by_its_line_as_every_other_data_mistake(tmp_path: Path, capsys: Capsys) -> None:
    """``FILE:LINE: error: ...``, as a bad cell's ``FILE:LINE:COL``, in the command and the exported script alike."""
    from mlevolve.interpreter.standalone.common import TaskError
    from mlevolve.interpreter.standalone.data import read_table

    (tmp_path / "short.csv").write_text("a,b,y\n1,2,3\n4,5,6\n7,8\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        err = usage_error(capsys, "run", str(QUARTIC), "--task", "short.csv:target=y")
        with pytest.raises(TaskError) as caught:
            read_table("short.csv", "y", "")
    assert err == ("short.csv:4: error: row has 2 cells, the header has 3\n"
                   "hint: give every row one cell per column (a comma inside a cell needs quotes)\n")
    assert caught.value.message == "short.csv:4: row has 2 cells, the header has 3"


@pytest.mark.e2e
@pytest.mark.parametrize(("flags", "error"), [
    (["--seed", "\u0661\u0662"], "argument --seed: invalid int value: '\u0661\u0662'"),
    (["--seed", "1_000"], "argument --seed: invalid int value: '1_000'"),
    (["--seed", "-1"], "--seed must be at least 0 and below 2**63, got -1"),
    (["--seed", "3", "--seed", "3"], "argument --seed: given twice; give it once"),
    (["--seed", "+3"], None),
])
def test_an_exported_script_reads_its_numbers_in_ascii_digits_as_the_command_does(
        tmp_path: Path, flags: list[str], error: str | None) -> None:
    """Python's ``int`` takes other scripts' digits and ``1_000``; the command refuses them, and so does the script."""
    import json
    import subprocess
    import sys

    script = tmp_path / "quartic.py"
    script.write_text(api.export(QUARTIC))
    done = subprocess.run([sys.executable, str(script), *flags, "--json"], capture_output=True, text=True, timeout=120)
    if error is None:
        assert done.returncode == 0 and json.loads(done.stdout)["seed"] == 3, done.stderr
    else:
        assert (done.returncode, done.stdout) == (2, "")
        hint = "a seed is a whole number from 0 to 2**63 - 1" if "2**63" in error else "run `quartic.py --help`"
        assert done.stderr == f"quartic.py: error: {error}\nhint: {hint}\n"


@pytest.mark.e2e
@pytest.mark.slow
def test_ctrl_c_during_a_parallel_meta_run_says_how_to_resume_without_worker_tracebacks(tmp_path: Path) -> None:
    """Ctrl-C goes to the whole process group: the meta run's pool workers ignore it (they printed a
    KeyboardInterrupt traceback each), and the command says it was interrupted and how to resume, with status
    130; the same command resumes it."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import environment

    db = tmp_path / "m.db"
    proc = subprocess.Popen([sys.executable, "-m", "mlevolve", "meta", str(SMOKE), "--workers", "2", "--db", str(db),
                             "-o", str(tmp_path / "g.toml"), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=environment(), start_new_session=True, preexec_fn=sigint_default)
    wait_for_candidates(proc, db, 1)  # until the workers run inner runs
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert (proc.returncode, out) == (130, "")
    assert err == ("mlevolve meta: interrupted; its archive keeps every finished inner run\nresume with the same "
                   f"command: mlevolve meta {SMOKE} --workers 2 --db {db} -o {tmp_path / 'g.toml'} --quiet\n")
    resumed = api.meta(SMOKE, db, tmp_path / "g.toml", quiet=True)  # the same run, resumed: it goes on
    assert resumed["inner_runs_replayed"] > 0 and resumed["generations"] == 3


@pytest.mark.parametrize("command", [["run", str(QUARTIC)], ["evolve", str(QUARTIC), "--budget", "2"],
                                     ["export", str(QUARTIC), "-o", "out.py"],
                                     ["export", "--db", "r.db", "-o", "o.py"]])
@pytest.mark.parametrize("blank", ["", " "])
def test_a_blank_task_is_refused_rather_than_taken_for_the_default(
        tmp_path: Path, capsys: Capsys, command: list[str], blank: str) -> None:
    """``--task "$UNSET"`` ran on the file's (or the run's) own task without a word."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        if "--db" in command:
            api.evolve(QUARTIC, ["f"], budget=2, db="r.db", quiet=True)
        made = set(tmp_path.iterdir())
        err = usage_error(capsys, *command, "--task", blank)
    assert err == (f"mlevolve {command[0]}: error: --task is empty\nhint: name a task (`mlevolve tasks` lists them), "
                   "or leave --task out for the default one\n")
    assert set(tmp_path.iterdir()) == made  # nothing written
