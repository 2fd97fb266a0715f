"""What fresh users of ``mlevolve meta`` met (meta67): the commands a meta run ends with (``next:``), each runnable
as printed; a meta archive's rows named by their own terms (inner run, generator, meta-generation) in ``best`` and
``show``."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.conftest import ROOT, Capsys, archive_rows, cli

XY = "x,y\n" + "".join(f"{i / 4},{(i / 4) ** 2 + 0.5}\n" for i in range(-10, 10))


def _config(folder: Path, test: str = "nguyen4", inner: str = "") -> Path:
    """A meta configuration of a few seconds in ``folder`` (made), beside a data file ``xy.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "xy.csv").write_text(XY)
    path = folder / "m.toml"
    path.write_text(f'program = "{ROOT / "examples" / "quartic.mlev"}"\nevolve = ["f"]\n\n[split]\n'
                    f'train = ["nguyen1", "nguyen3"]\nvalidation = ["nguyen2"]\ntest = ["{test}"]\n\n'
                    f"[inner]\nbudget = 8\npopulation = 4\ntournament = 2\nelites = 2\n{inner}\n"
                    "[meta]\npopulation = 2\ngenerations = 1\ntasks = 2\nseeds = 1\nelitism = 1\n"
                    "validation_seeds = 1\n")
    return path


def _next(out: str) -> list[str]:
    """The commands a summary's ``next:`` block lists."""
    lines = out.splitlines()
    return [line.strip() for line in lines[lines.index("next:") + 1:] if line.startswith("    ")]


def test_a_meta_run_ends_with_the_commands_to_run_next_each_runnable_as_printed(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """`evolve` ends with `next:` and the commands to run then; `meta` ended with its archive's and generator's
    paths only.  Its commands use the generator: what it learned, an evolve of the program on a held-out task with
    it (a data file's, beside the configuration, in a folder whose name needs quoting: read as the configuration
    reads it), the report."""
    config = _config(tmp_path / "my runs", test="xy.csv:target=y")
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    code, out, _ = cli(capsys, "meta", str(config), "--db", "m.db", "-o", "learned.grammar.toml")
    assert code == 0
    data = shlex.quote(f"{tmp_path / 'my runs' / 'xy.csv'}:target=y")
    assert _next(out) == [
        "mlevolve grammar diff learned.grammar.toml",
        f"mlevolve evolve {ROOT / 'examples' / 'quartic.mlev'} --evolve f --task {data} --seed 0 --grammar "
        "learned.grammar.toml --budget 8 --population 4 --tournament 2 --init random --no-fit",
        "mlevolve report m.db -o m.html"]
    for command in _next(out):  # as a shell splits it
        argv = shlex.split(command)
        assert argv[0] == "mlevolve"
        code, said, err = cli(capsys, *argv[1:])
        assert code == 0, (command, said, err)
    assert (here / "m.html").is_file()


def test_the_printed_evolve_takes_the_inner_runs_algorithm_without_a_setting_it_would_refuse(
        tmp_path: Path) -> None:
    """Random search reads no population or tournament: `evolve` refuses them, so the command leaves them out."""
    from mlevolve import api
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.meta.config import load_config

    config = _config(tmp_path, inner='algorithm = "random"\nfit = true\n')
    config.write_text(config.read_text().replace("population = 4\ntournament = 2\n", ""))
    cfg = load_config(config)
    program = api.programs._program(cfg.program, load_grammar())
    evolve = api.metarun.meta_next(cfg, program, "m.db", "g.toml")[1]
    assert evolve.endswith("--grammar g.toml --budget 8 --algorithm random --init random")


@pytest.fixture(scope="module")
def meta_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished meta run's archive (a few seconds)."""
    from mlevolve import api

    folder = tmp_path_factory.mktemp("meta67")
    api.meta(_config(folder), folder / "m.db", folder / "g.toml")
    return folder / "m.db"


@pytest.mark.parametrize("command", [["best", "-n", "9"], ["show", "-n", "9"], ["show", "--best"]])
def test_best_and_show_name_a_meta_row_an_inner_run_of_a_generator_in_a_meta_generation(
        meta_db: Path, capsys: Capsys, command: list[str]) -> None:
    """A meta archive's row is an inner run: a generator's on a task, in a meta-generation.  Its headline said
    "candidate 2, generator D on T, generation 0", the words of an evolve run's candidate and generation (meta67)."""
    from mlevolve import api

    rows = {c["hash"][:12]: c for c in api.best(meta_db, n=9)}
    code, out, _ = cli(capsys, command[0], str(meta_db), *command[1:])
    heads = [line for line in out.splitlines() if line.startswith("#")]
    assert code == 0 and heads and "candidate" not in out
    for line in heads:
        c = rows[line.split("hash ")[1][:12]]
        assert line.endswith(f"  (inner run {c['seq']} of generator {c['operator']} on {c['task']}, "
                             f"meta-generation {c['generation']})"), line


def test_a_meta_rows_number_given_for_a_hash_is_named_an_inner_runs(meta_db: Path, capsys: Capsys) -> None:
    rows = dict(archive_rows(meta_db, ("seq", "hash")))
    seq = next(s for s in sorted(rows) if not any(h.startswith(str(s)) for h in rows.values()))
    code, _, err = cli(capsys, "show", str(meta_db), str(seq))
    assert code == 2 and err.splitlines() == [
        f"{meta_db}: error: '{seq}' is an inner run's number, not a hash: inner run {seq}'s hash is {rows[seq][:12]}",
        f"hint: give {rows[seq][:12]} for inner run {seq}; a hash (or a unique prefix of one), not an inner run's "
        "number, names a program"]


def test_a_meta_resume_on_changed_data_names_the_tasks_file_and_both_digests_whole(
        tmp_path: Path, capsys: Capsys) -> None:
    """A meta run's data digests are a table by task: its refusal printed both tables cut off mid-word
    (``(SHA-256 {'xy.csv:tar then, {'/tmp/m67/s now)``); it names the task whose file changed, the file and the two
    short digests, on one line, exit 2."""
    import hashlib

    config = _config(tmp_path)
    config.write_text(config.read_text().replace('validation = ["nguyen2"]', 'validation = ["xy.csv:target=y"]'))
    data = tmp_path / "xy.csv"
    db, out = str(tmp_path / "m.db"), str(tmp_path / "g.toml")
    assert cli(capsys, "meta", str(config), "--db", db, "-o", out, "--quiet")[0] == 0
    then = hashlib.sha256(data.read_bytes()).hexdigest()[:12]
    data.write_text(XY + "9.0,81.5\n")
    now = hashlib.sha256(data.read_bytes()).hexdigest()[:12]
    code, said, err = cli(capsys, "meta", str(config), "--db", db, "-o", str(tmp_path / "g2.toml"), "--quiet")
    assert code == 2 and said == ""
    assert err.splitlines()[0] == (f"{db}: error: the data of task '{data}:target=y' (SHA-256 {then} then, {now} now) "
                                   "changed since the archive was made")
    assert "Traceback" not in err


def test_a_meta_reports_title_and_run_table_name_its_data_tasks_and_archive_by_absolute_path(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A meta run's title named its tasks by split as the archive holds them, not by the rule every other place of
    the report names a task and a path by (absolute)."""
    config = _config(tmp_path / "c", test="xy.csv:target=y")
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "meta", str(config), "--db", "m.db", "-o", "g.toml", "--quiet")[0] == 0
    import sqlite3

    conn = sqlite3.connect(tmp_path / "m.db")  # as an archive may hold it: the test task as the configuration wrote it
    conn.execute("UPDATE meta SET value = ? WHERE key = 'test'", ('["c/xy.csv:target=y"]',))
    conn.commit()
    conn.close()
    assert cli(capsys, "report", "m.db", "-o", "m.html")[0] == 0
    page = (tmp_path / "m.html").read_text()
    data = f"{tmp_path / 'c' / 'xy.csv'}:target=y"
    assert f"<title>quartic, a meta run: train nguyen1, nguyen3; validation nguyen2; test {data}</title>" in page
    assert f"<td>archive</td><td>{tmp_path / 'm.db'}</td>" in page
