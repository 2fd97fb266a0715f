"""A fresh user's pass over the meta level (stop 64, meta83): a warning or error about a ``[bounds]`` entry or a
task of a ``[split]`` list is at that entry's own line and column and quotes the task as the user wrote it (it
was at the ``[bounds]`` header and in the task's one name, its options reordered), and so are the progress lines;
the documented smoke command runs on a fresh clone."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.dsl.errors import MlevError
from mlevolve.meta.config import load_config, toml_entry_span
from tests.conftest import ROOT, Capsys, cli

LINEAR = "linear:dim=3:n_tasks=2:n_train=20:n_val=20"  # its one name orders the options n_tasks=2:dim=3
AFFINE = "affine:dim=2:n_tasks=2:n_train=20:n_val=20"


def _config(tmp_path: Path, bounds: str, train: str = f'"{LINEAR}",\n         "{AFFINE}"') -> Path:
    """A learner meta run of one meta-generation whose tasks are written with their options in the user's order."""
    config = tmp_path / "c.toml"
    config.write_text(f'# a learner meta run\nprogram = "{ROOT / "examples" / "linear_regression.mlev"}"\n'
                      'evolve = ["linreg.learn"]\n\n'
                      f'[split]\ntrain = [{train}]\n'
                      'validation = ["affine:dim=3:n_tasks=2:n_train=20:n_val=20"]\n'
                      'test = ["linear:dim=5:n_tasks=2:n_train=20:n_val=20"]\n\n'
                      '[inner]\nbudget = 6\npopulation = 3\ntournament = 2\ninit = "file"\n\n'
                      '[meta]\npopulation = 2\ngenerations = 1\ntasks = 2\nseeds = 1\nelitism = 1\n'
                      f'validation_seeds = 1\n\n[bounds]\n{bounds}')
    return config


def _line(config: Path, text: str) -> int:
    """The 1-based line of ``config`` that starts with ``text``."""
    return next(i for i, line in enumerate(config.read_text().splitlines(), 1) if line.startswith(text))


def test_a_bounds_warning_is_at_its_entry_and_quotes_the_task_as_written(tmp_path: Path, capsys: Capsys) -> None:
    config = _config(tmp_path, f'"{LINEAR}" = [-300, -200]\n"{AFFINE}" = [-30, 0]\n'
                               '"affine:dim=3:n_tasks=2:n_train=20:n_val=20" = [-30, 0]\n'
                               '"linear:dim=5:n_tasks=2:n_train=20:n_val=20" = [-30, 0]\n')
    code, _, err = cli(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"))
    assert code == 0, err
    lines = err.splitlines()
    warned = [line for line in lines if ": warning: " in line]
    assert len(warned) == 1, err
    at = _line(config, f'"{LINEAR}"')
    assert warned[0].startswith(f"{config}:{at}:2: warning: [bounds] {LINEAR} = [-300, -200], but the best fitness "
                                "of "), err  # was :25:2 (the header) and linear:n_tasks=2:dim=3:...
    assert lines[lines.index(warned[0]) + 1:lines.index(warned[0]) + 3] == [
        f'    "{LINEAR}" = [-300, -200]', "     " + "^" * len(LINEAR)]
    progress = next(line for line in lines if line.startswith("meta-generation 0: "))
    assert re.search(rf" on ({re.escape(LINEAR)}, {re.escape(AFFINE)}|{re.escape(AFFINE)}, {re.escape(LINEAR)});",
                     progress), progress


def test_a_bounds_key_spelt_otherwise_than_its_split_is_quoted_as_the_bounds_write_it(tmp_path: Path,
                                                                                      capsys: Capsys) -> None:
    key = "linear:n_train=20:n_val=20:n_tasks=2:dim=3"  # the [bounds] key spells the task a third way
    config = _config(tmp_path, f'"{key}" = [-300, -200]\n"{AFFINE}" = [-30, 0]\n'
                               '"affine:dim=3:n_tasks=2:n_train=20:n_val=20" = [-30, 0]\n'
                               '"linear:dim=5:n_tasks=2:n_train=20:n_val=20" = [-30, 0]\n')
    code, _, err = cli(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"),
                       "--quiet")
    assert code == 0, err
    at = _line(config, '"' + key + '"')
    assert f"{config}:{at}:2: warning: [bounds] {key} = [-300, -200]" in err, err


@pytest.mark.parametrize(("train", "entry", "message"), [
    (f'"{LINEAR}",\n         "{AFFINE}", "linear:n_tasks=2:dim=3:n_train=20:n_val=20"',
     "linear:n_tasks=2:dim=3:n_train=20:n_val=20",
     f"[split] train: task 'linear:n_tasks=2:dim=3:n_train=20:n_val=20' is task '{LINEAR}' of [split] train, "
     "written another way"),
    (f'"{LINEAR}",\n         "{AFFINE}", "nosuch"', "nosuch", "[split] train: "),
    (f'"{LINEAR}",\n         "{AFFINE}", "{AFFINE}"', AFFINE, f"task '{AFFINE}' is given twice in [split] train"),
])
def test_an_error_about_a_split_entry_is_at_the_entry(tmp_path: Path, train: str, entry: str, message: str) -> None:
    config = _config(tmp_path, f'"{LINEAR}" = [-30, 0]\n"{AFFINE}" = [-30, 0]\n'
                               '"affine:dim=3:n_tasks=2:n_train=20:n_val=20" = [-30, 0]\n'
                               '"linear:dim=5:n_tasks=2:n_train=20:n_val=20" = [-30, 0]\n', train)
    with pytest.raises(MlevError) as refused:
        api.meta(config, tmp_path / "m.db", tmp_path / "g.toml", quiet=True)
    span = refused.value.span
    assert refused.value.message.startswith(message) and span is not None, refused.value
    line = config.read_text().splitlines()[span.line - 1]
    assert line[span.column - 1:span.end_column] == entry  # the entry's own place, not the key train's
    assert line.rfind(f'"{entry}"') == span.column - 2  # its last writing: the second of a task given twice


def test_an_entry_span_falls_back_to_its_key() -> None:
    text = '[split]\ntrain = ["a", "b",  # "c"\n  "b"]\nvalidation = ["c"]\n'
    b2 = toml_entry_span(text, "split", "train", "b", 2)
    assert b2 is not None and (b2.line, b2.column) == (3, 4)
    c = toml_entry_span(text, "split", "train", "c")  # in a comment, and another list's: the key train
    assert c is not None and (c.line, c.column, c.end_column) == (2, 1, 5)


def test_the_documented_smoke_command_runs_on_a_fresh_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/meta.md's smoke command, where no runs/ folder is yet (it wrote --db runs/meta-smoke.db, which
    ``meta`` refuses there, as ``evolve --db runs/x.db`` does: a --db of the user's names an existing folder; only
    the default archive's runs/ is made)."""
    docs = (ROOT / "docs" / "meta.md").read_text()
    commands = [shlex.split(line[2:].split("#")[0]) for line in docs.splitlines()
                if line.startswith("$ mlevolve meta benchmarks/meta/smoke.toml")]
    assert commands, "docs/meta.md shows the smoke command"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLEVOLVE_RUNS", raising=False)
    config = tmp_path / "benchmarks" / "meta" / "smoke.toml"
    config.parent.mkdir(parents=True)
    config.write_text((ROOT / "benchmarks" / "meta" / "smoke.toml").read_text())
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "quartic.mlev").write_text((ROOT / "examples" / "quartic.mlev").read_text())
    for argv in commands:
        db = argv[argv.index("--db") + 1] if "--db" in argv else None
        assert db is None or (tmp_path / db).parent.is_dir(), f"{argv}: its --db's folder is made by no command"
        assert load_config(config).train
    with pytest.raises(MlevError, match=r"cannot write rnus/x\.db: no folder 'rnus'"):  # meta agrees with evolve
        api.meta(config, "rnus/x.db", quiet=True)
    with pytest.raises(MlevError, match=r"cannot write rnus/x\.db: no folder 'rnus'"):
        api.evolve(tmp_path / "examples" / "quartic.mlev", ["f"], "nguyen4", budget=3, db="rnus/x.db", quiet=True)
    assert not (tmp_path / "runs").exists()
    summary = api.meta(config, quiet=True)  # the documented command: the default archive, its runs/ made
    assert summary["db"] == str(Path("runs") / "meta-smoke.db") and (tmp_path / "runs" / "meta-smoke.db").is_file()


@pytest.mark.parametrize(("program", "task", "suggested"), [
    ("flow_moons.mlev", "moons_density", "moons2d"),  # said digits_density: nearer in spelling, another kind's data
    ("vae_moons.mlev", "circles_density", "circles2d"),
    ("vae_moons.mlev", "digits_densty", "digits_density"),  # a task of the kind, nearest in spelling
    ("quartic.mlev", "nguyen9", "nguyen8"),
    ("mlp_digits.mlev", "moons_density", "moons"),  # a supervised program: the supervised moons
])
def test_an_unknown_tasks_suggestion_is_of_the_programs_kind_sharing_its_stem(
        tmp_path: Path, capsys: Capsys, program: str, task: str, suggested: str) -> None:
    text = (ROOT / "examples" / program).read_text()
    path = tmp_path / program
    path.write_text(re.sub(r"(?m)^(\s*)task .*$", rf"\1task {task}", text, count=1))
    for argv in (("check", str(path)), ("run", str(ROOT / "examples" / program), "--task", task)):
        code, _, err = cli(capsys, *argv)
        assert code == 2 and f"unknown task '{task}'" in err and f"hint: did you mean '{suggested}'? " in err, err


def test_a_meta_archive_given_as_a_grammar_names_the_grammar_file_it_wrote(tmp_path: Path, capsys: Capsys) -> None:
    config = tmp_path / "smoke.toml"
    config.write_text(re.sub(r'program = "(\.\./)+', f'program = "{ROOT}/',
                             (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text()))
    (tmp_path / "out").mkdir()
    api.meta(config, tmp_path / "m.db", tmp_path / "out" / "chosen.toml", quiet=True)  # -o elsewhere: recorded
    api.meta(config, tmp_path / "d.db", quiet=True)  # the default, beside it
    for db, written in ((tmp_path / "m.db", tmp_path / "out" / "chosen.toml"), (tmp_path / "d.db",
                                                                               tmp_path / "d.grammar.toml")):
        code, _, err = cli(capsys, "sample", "--grammar", str(db), "--type", "Scalar")
        assert code == 2 and err.splitlines() == [
            f"{db}: error: an SQLite database, not a grammar file (TOML)",
            f"hint: a meta run's archive; the grammar file it wrote: --grammar {shlex.quote(str(written))}"], err
    written.unlink()  # none left: the generic hint
    code, _, err = cli(capsys, "sample", "--grammar", str(tmp_path / "d.db"), "--type", "Scalar")
    assert code == 2 and "hint: a run's archive is read by `mlevolve best`" in err, err


def test_the_generator_s_header_names_the_split_s_tasks_as_written(tmp_path: Path) -> None:
    """`linear:dim=4` (the family's default dimension) read `linear` in the header of a written generator, beside
    `linear:dim=2`: the header quotes [split] as the file writes it, as warnings and progress lines do."""
    config = tmp_path / "c.toml"
    config.write_text(f'program = "{ROOT / "examples" / "linear_regression.mlev"}"\nevolve = ["linreg.learn"]\n\n'
                      '[split]\ntrain = ["linear:dim=2", "linear:dim=4"]\nvalidation = ["affine:dim=2"]\n'
                      'test = ["affine:dim=3"]\n\n[inner]\nbudget = 12\npopulation = 4\ntournament = 2\n\n'
                      '[meta]\npopulation = 3\nelitism = 1\ngenerations = 1\ntasks = 2\nseeds = 1\n'
                      'validation_seeds = 1\n\n[bounds]\n"linear:dim=2" = [-1.9, 0.0]\n"linear:dim=4" = [-3.6, 0.0]\n'
                      '"affine:dim=2" = [-3.4, 0.0]\n"affine:dim=3" = [-3.9, 0.0]\n')
    api.meta(config, tmp_path / "m.db", tmp_path / "g.toml", workers=1, quiet=True)
    header = (tmp_path / "g.toml").read_text().splitlines()[:4]
    assert "; 1 meta-generation; chosen: " in header[1] and header[1].endswith(" on affine:dim=2")
    assert header[3] == "# meta-training tasks: linear:dim=2, linear:dim=4"
