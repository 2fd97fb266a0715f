"""The meta evidence scripts (``benchmarks/meta/``) refuse, before any inner run, what would make their
output wrong or lose it: a meta archive that a run of another configuration wrote (its snapshots would be
run with this one's program, inner settings and meta-test tasks), an output folder that is a file, an
output file that is a folder, and more snapshot seeds than seeds.  Each is one error line, a hint, exit 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlevolve.dsl.errors import MlevError
from mlevolve.grammar.spec import load_grammar
from mlevolve.script import output_file, output_folder
from tests.conftest import ROOT, run_child

SMOKE = (ROOT / "benchmarks/meta/smoke.toml").read_text().replace(
    "../../examples/quartic.mlev", str(ROOT / "examples/quartic.mlev"))
TINY = SMOKE.replace("generations = 3", "generations = 1").replace("budget = 80", "budget = 20")


def _script(name: str, *args: str, cwd: Path) -> list[str]:
    done = run_child([sys.executable, str(ROOT / "benchmarks/meta" / name), *args], capture_output=True,
                     text=True, cwd=str(cwd), timeout=120)
    assert (done.returncode, "Traceback" in done.stderr) == (2, False), done.stderr
    return done.stderr.splitlines()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding tiny.toml and the meta archive tiny.db its run wrote."""
    from mlevolve.cli import main

    folder = tmp_path_factory.mktemp("meta")
    (folder / "tiny.toml").write_text(TINY)
    assert main(["meta", str(folder / "tiny.toml"), "--db", str(folder / "tiny.db"), "--quiet"]) == 0
    return folder


@pytest.mark.e2e
@pytest.mark.parametrize("script", ["evidence.py", "operators.py"])
def test_an_archive_of_another_configuration_is_refused(made: Path, script: str) -> None:
    (made / "other.toml").write_text(TINY.replace("budget = 20", "budget = 30").replace('test = ["nguyen4"]',
                                                                                        'test = ["nguyen6"]'))
    more = ["--mode", "trend"] if script == "evidence.py" else []
    assert _script(script, "--config", "other.toml", "--db", "tiny.db", "--out", "out", *more, cwd=made) == [
        "tiny.db: error: the archive was written by a run of another configuration than other.toml ([split] test: "
        "archive has ['nguyen4'], now ['nguyen6']; [inner] budget: archive has 20, now 30)",
        "hint: pass --config the configuration whose `mlevolve meta` run wrote --db"]
    assert not (made / "out").exists()


@pytest.mark.e2e
def test_an_archive_of_another_program_is_refused_at_its_first_changed_line(made: Path) -> None:
    program = (ROOT / "examples/quartic.mlev").read_text().replace("x * x * x * x + x", "x * x * x + x")
    (made / "cubic.mlev").write_text(program)
    (made / "cubic.toml").write_text(TINY.replace(str(ROOT / "examples/quartic.mlev"), "cubic.mlev"))
    assert _script("evidence.py", "--config", "cubic.toml", "--db", "tiny.db", "--mode", "trend", cwd=made)[0] == (
        "tiny.db: error: the archive was written by a run of another configuration than cubic.toml (the program text "
        "differs: archive has 'x * x * x * x + x * x * x + x * x + x', now 'x * x * x + x * x * x + x * x + x')")


@pytest.mark.e2e
@pytest.mark.parametrize("script", ["evidence.py", "operators.py"])
def test_an_out_folder_that_is_a_file_is_refused_before_the_runs(made: Path, script: str) -> None:
    (made / "taken").write_text("")
    more = ["--mode", "trend"] if script == "evidence.py" else []
    assert _script(script, "--config", "tiny.toml", "--db", "tiny.db", "--out", "taken", *more, cwd=made) == [
        f"{script}: error: --out taken is a file, not a folder", "hint: pass --out a folder (a new one is made)"]


@pytest.mark.e2e
def test_more_snapshot_seeds_than_seeds_is_a_usage_error(tmp_path: Path) -> None:
    assert _script("evidence.py", "--seeds", "2", "--snapshot-seeds", "3", "--mode", "trend", cwd=tmp_path) == [
        "evidence.py: error: --snapshot-seeds 3 is more than --seeds 2: the snapshots run on the first "
        "--snapshot-seeds of those seeds", "hint: pass --seeds 3 or more, or fewer --snapshot-seeds"]


@pytest.mark.e2e
@pytest.mark.parametrize(("script", "args", "flag"), [
    ("signals.py", ["--json", "folder"], "--json"),
    ("noise.py", ["--config", str(ROOT / "benchmarks/meta/smoke.toml"), "--generators",
                  str(ROOT / "benchmarks/meta/repro.grammar.toml"), "--out", "folder"], "--out"),
])
def test_an_out_file_that_is_a_folder_is_refused_before_the_runs(tmp_path: Path, script: str, args: list[str],
                                                                  flag: str) -> None:
    (tmp_path / "folder").mkdir()
    assert _script(script, *args, cwd=tmp_path) == [f"{script}: error: {flag} folder is a folder, not a file",
                                                    f"hint: pass {flag} a file name, e.g. folder/out.json"]


@pytest.mark.e2e
def test_the_same_generator_given_twice_to_noise_is_refused_before_the_runs(tmp_path: Path) -> None:
    """Two files holding one generator (two meta seeds' outputs that are both the base grammar, stop 63) were
    one arm: the script ran every inner run and then ended in a ValueError's traceback."""
    generator = ROOT / "benchmarks/meta/repro.grammar.toml"
    (tmp_path / "copy.toml").write_text(generator.read_text())
    assert _script("noise.py", "--config", str(ROOT / "benchmarks/meta/smoke.toml"), "--generators", str(generator),
                   "copy.toml", "--seeds", "2", "--workers", "1", "--out", "n.json", cwd=tmp_path) == [
        f"noise.py: error: --generators: {generator} and copy.toml are the same generator (digest "
        f"{load_grammar(generator).digest[:8]})",
        "hint: give each generator once; its paired gains against the base grammar are run once"]
    assert not (tmp_path / "n.json").exists()


def test_output_folder_makes_the_folder_or_says_why_not(tmp_path: Path) -> None:
    assert output_folder(tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("")
    for path, message in ((tmp_path / "file", f"--out {tmp_path / 'file'} is a file, not a folder"),
                          (tmp_path / "file" / "sub", f"--out {tmp_path / 'file' / 'sub'}: cannot make the folder: "
                                                      "Not a directory")):
        with pytest.raises(MlevError) as caught:
            output_folder(path)
        assert caught.value.message == message


def test_output_file_needs_its_folder_and_is_no_folder(tmp_path: Path) -> None:
    assert output_file(tmp_path / "r.json", "--json") == tmp_path / "r.json"
    with pytest.raises(MlevError) as caught:
        output_file(tmp_path / "nope" / "r.json", "--json")
    assert caught.value.message == f"--json {tmp_path / 'nope' / 'r.json'}: no folder {tmp_path / 'nope'}"
    with pytest.raises(MlevError) as caught:
        output_file(tmp_path, "--json")
    assert caught.value.message == f"--json {tmp_path} is a folder, not a file"


@pytest.mark.e2e
@pytest.mark.parametrize(("dropped", "first", "hint"), [
    (("generator",), "stopped.db: error: the meta run was stopped after 1 of its 1 meta-generations: it has chosen no "
     "generator yet", "hint: resume it with the command that started it (mlevolve meta {made}/tiny.toml --db "
     "stopped.db), or pass --mode trend, which runs the finished meta-generations' snapshots"),  # was a KeyError's
    (("generator", "meta_generations"), "stopped.db: error: the meta run was stopped before its first "
     "meta-generation finished: no snapshot yet", "hint: resume it with the command that started it (mlevolve meta "
     "{made}/tiny.toml --db stopped.db)"),  # was "not the archive of a `mlevolve meta` run"
    # an archive made before archives kept their command: the configuration evidence.py was given, a real path
    (("generator", "command"), "stopped.db: error: the meta run was stopped after 1 of its 1 meta-generations: it has "
     "chosen no generator yet", "hint: resume it with the command that started it (mlevolve meta tiny.toml --db "
     "stopped.db), or pass --mode trend, which runs the finished meta-generations' snapshots"),
])
def test_an_interrupted_meta_run_s_archive_says_to_resume_it(made: Path, dropped: tuple[str, ...], first: str,
                                                             hint: str) -> None:
    import shutil
    import sqlite3

    shutil.copy(made / "tiny.db", made / "stopped.db")
    with sqlite3.connect(made / "stopped.db") as db:  # what a kill leaves: the keys written at the end not yet there
        db.executemany("DELETE FROM meta WHERE key = ?", [(key,) for key in dropped])
    assert _script("evidence.py", "--config", "tiny.toml", "--db", "stopped.db", "--seeds", "1", "--snapshot-seeds",
                   "1", "--out", "out", cwd=made) == [first, hint.format(made=made)]


@pytest.mark.e2e
def test_plot_without_a_full_run_s_results_says_which_mode_writes_them(made: Path) -> None:
    (made / "empty").mkdir(exist_ok=True)
    assert _script("evidence.py", "--db", "tiny.db", "--mode", "plot", "--out", "empty", cwd=made) == [
        "empty: error: holds no results.json: --mode plot redraws growth.png beside the results of --mode full",
        "hint: pass --out the folder a --mode full run wrote, or run --mode full"]
