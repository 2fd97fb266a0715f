"""A meta configuration's tasks are checked as `run` checks a task line, for the program that runs on them
(``api.metarun._meta_tasks``): options, data files read by the program's kind, the program fitted to each task,
each mistake at its ``[split]`` entry before any inner run; a formula on a data file has [0, 1] bounds and its
inner runs read the file's columns (they read it as a supervised data set before)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.gp.engine import EvolveConfig
from mlevolve.grammar.spec import load_grammar
from mlevolve.meta.config import InnerConfig, load_config
from mlevolve.meta.evolve import inner_run
from tests.conftest import ROOT, Capsys, usage_error

QUARTIC = ROOT / "examples" / "quartic.mlev"
XY = "x,y\n" + "".join(f"{i / 4},{(i / 4) ** 2 + 0.5}\n" for i in range(-10, 10))


def _config(tmp_path: Path, train: str) -> Path:
    (tmp_path / "xy.csv").write_text(XY)
    (tmp_path / "ab.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i + i % 3}\n" for i in range(12)))
    path = tmp_path / "m.toml"
    path.write_text(f'program = "{QUARTIC}"\nevolve = ["f"]\n\n[split]\ntrain = {train}\nvalidation = ["nguyen2"]\n'
                    'test = ["nguyen4"]\n\n[inner]\nbudget = 8\npopulation = 4\ntournament = 2\nelites = 2\n\n'
                    '[meta]\npopulation = 2\ngenerations = 1\ntasks = 2\nseeds = 1\nelitism = 1\n'
                    'validation_seeds = 1\n')
    return path


@pytest.mark.parametrize("train, error, hint", [
    ('["nguyen1", "nguyen5:n_trian=3"]', "unknown option 'n_trian' for task 'nguyen5', a formula task",
     "did you mean 'n_train'? options of a formula task: n_train, n_test"),
    ('["nguyen1", "digits"]', "a formula program cannot run on task 'digits'",
     "formula tasks: koza_quartic, nguyen1, nguyen2, nguyen3, nguyen4, nguyen5, nguyen6, nguyen7, nguyen8, or a "
     "data file: data.csv:target=y or data.npz"),
    ('["nguyen1", "{d}/ab.csv:target=y"]', "{d}/ab.csv: no column for parameter x; columns a, b not used by "
     "the formula", "the formula's parameters are named after the columns: a, b"),
    ('["nguyen1", ":n_train=3"]', "task spec ':n_train=3' leaves the task's name out",
     "write NAME:key=value, e.g. data.csv:target=y"),
    # one task under two spellings: the split's second, or a held-out task that is a training task (a new user's pass)
    ('["nguyen1", "nguyen1:n_train=020"]', "task 'nguyen1:n_train=020' is task 'nguyen1' of [split] train, "
     "written another way", "a task is in one split, once; both are nguyen1"),
    ('["nguyen1", "nguyen5:n_test=1e2:n_train=7", "nguyen5 : n_train = 7"]', "task 'nguyen5 : n_train = 7' is "
     "task 'nguyen5:n_test=1e2:n_train=7' of [split] train, written another way",
     "a task is in one split, once; both are nguyen5:n_train=7"),
])
def test_a_split_task_the_program_cannot_run_on_is_an_error_at_its_entry(tmp_path: Path, capsys: Capsys, train: str,
                                                                        error: str, hint: str) -> None:
    d = str(tmp_path)
    config = _config(tmp_path, train.replace("{d}", d))
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"))
    line = config.read_text().splitlines()[4]  # at the task's own entry (meta83): its second, the one refused
    column = line.rindex('", "') + 5
    assert err.splitlines() == [f"{config}:5:{column}: error: [split] train: {error.format(d=d)}", f"hint: {hint}"]
    assert not (tmp_path / "m.db").exists()



@pytest.mark.parametrize("key, value, line, said, hint", [
    ("evolve", '["f", ""]', 2, "evolve[2] is an empty name",
     'write a definition\'s name in each item, as evolve = ["f", "g"], or drop the empty one'),
    ("evolve", '[" "]', 2, "evolve[1] is an empty name",
     'write a definition\'s name in each item, as evolve = ["f", "g"], or drop the empty one'),
    ("train", '["nguyen1", "nguyen3", ""]', 5, "[split] train[3] is an empty task name",
     "write a task in each item (`mlevolve tasks` lists them), or drop the empty one"),
])
def test_an_empty_item_of_a_configuration_list_is_named_as_the_list_item_at_its_place(
        tmp_path: Path, capsys: Capsys, key: str, value: str, line: int, said: str, hint: str) -> None:
    """``evolve = ["f", ""]`` said "evolve 'f,' has an empty name" and a hint about commas, the wording of the
    command line's ``--evolve f,``; an empty task said "task spec ''": each is the list's item, at its quotes."""
    config = _config(tmp_path, value if key == "train" else '["nguyen1", "nguyen3"]')
    if key == "evolve":
        config.write_text(config.read_text().replace('evolve = ["f"]', f"evolve = {value}"))
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"))
    written = config.read_text().splitlines()[line - 1]
    column = written.rindex('"', 0, written.rindex('"')) + 2  # inside the last item's quotes
    assert err.splitlines() == [f"{config}:{line}:{column}: error: {said}", f"hint: {hint}"]
    assert not (tmp_path / "m.db").exists()

def test_a_data_file_is_read_from_the_configurations_folder_from_any_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``[split]`` task's data file, and a ``[bounds]`` key's, is read from the configuration's folder, as its
    `program` is (meta67: it was read from the current folder, so a config naming `xy.csv` ran only from its own
    folder): the same configuration from two folders is the same tasks, bounds and identity."""
    config = _config(tmp_path, '["nguyen1", "xy.csv:target=y"]')
    config.write_text(config.read_text() + '\n[bounds]\n"./xy.csv:target=y" = [0.0, 0.5]\n')
    data = f"{tmp_path / 'xy.csv'}:target=y"
    base = load_grammar()
    checked = []
    for folder, given in ((tmp_path / "elsewhere", Path("..") / config.name), (tmp_path, Path(config.name))):
        folder.mkdir(exist_ok=True)
        monkeypatch.chdir(folder)
        cfg = load_config(given)
        assert cfg.train == ("nguyen1", data) and cfg.bounds[data] == (0.0, 0.5)
        assert cfg.written_as(data) == "xy.csv:target=y"  # said as written
        checked.append(api.metarun._meta_tasks(cfg, api.programs._program(cfg.program, base), base))
    assert checked[0].identity() == checked[1].identity() and checked[0].train == ("nguyen1", data)


@pytest.mark.parametrize("here", [False, True])
def test_a_missing_data_file_says_where_it_was_looked_for_and_why(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch, here: bool) -> None:
    """The message names the path read (the configuration's folder's); the hint why, and the path to write where
    the current folder holds the file (meta67)."""
    config = _config(tmp_path, '["nguyen1", "zz.csv:target=y"]')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    if here:
        (elsewhere / "zz.csv").write_text(XY)
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"))
    assert err.splitlines() == [
        f"{config}:5:22: error: [split] train: no such file: {tmp_path / 'zz.csv'}",
        f"hint: a [split] task's relative path is read from the configuration's folder ({tmp_path}), wherever the "
        "command runs, as `program` is: give the path from there, or a full path"
        + ("; zz.csv is in the current folder: from the configuration's, it is elsewhere/zz.csv" if here else "")]
    assert not (tmp_path / "m.db").exists()


def test_a_meta_run_resumes_from_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its identity holds each data file's absolute path and digest, not the path as the current folder reads it:
    run again from another folder, every inner run is replayed (meta67)."""
    config = _config(tmp_path, '["nguyen1", "xy.csv:target=y"]')
    (tmp_path / "elsewhere").mkdir()
    runs = []
    for folder, given in ((tmp_path, config.name), (tmp_path / "elsewhere", f"../{config.name}")):
        monkeypatch.chdir(folder)
        runs.append(api.meta(given, tmp_path / "m.db", tmp_path / "g.toml"))
    assert runs[0]["inner_runs_fresh"] > 0 and runs[1]["inner_runs_fresh"] == 0
    assert runs[1]["inner_runs_replayed"] == runs[0]["inner_runs_fresh"] + runs[0]["inner_runs_replayed"]


def test_a_formula_on_a_data_file_has_unit_bounds_and_its_inner_run_reads_the_columns(tmp_path: Path) -> None:
    data = f"{tmp_path}/xy.csv:target=y"
    config = _config(tmp_path, f'["nguyen1", "{data}"]')
    program = api.check(api.parse_file(QUARTIC))
    cfg = api.metarun._meta_tasks(load_config(config), program, load_grammar())
    assert cfg.bounds[data] == (0.0, 1.0) and cfg.bounds["nguyen1"] == (0.0, 1.0)
    inner = InnerConfig(budget=8, population=4, tournament=2, init=EvolveConfig.init)  # the file's program first
    result = inner_run(program, ["f"], load_grammar(), data, 0, inner, cfg.bounds[data])
    assert result.best >= api.run(program, data)["fitness"]  # scored on the file's column x, as run scores it


def test_a_task_spelt_two_ways_is_one_task_to_its_bounds_and_to_resume(tmp_path: Path) -> None:
    """Found by a new user's pass: ``[bounds]`` took only the split's spelling of a task, and a meta run would not
    resume with the task spelt another way (the settings kept both spellings' bounds)."""
    base = load_grammar()
    configs = []
    for i, spelling in enumerate(("nguyen1:n_train=1e3", "nguyen1 : n_train = 1000")):
        (tmp_path / str(i)).mkdir()
        path = _config(tmp_path / str(i), f'["{spelling}", "nguyen3"]')
        path.write_text(path.read_text() + '\n[bounds]\n"nguyen1:n_train=1000" = [0.0, 0.5]\n')  # a third spelling
        cfg = load_config(path)
        configs.append(api.metarun._meta_tasks(cfg, api.programs._program(cfg.program, base), base))
    first, second = configs
    assert first.train == second.train == ("nguyen1:n_train=1000", "nguyen3")
    assert first.bounds == second.bounds == {"nguyen1:n_train=1000": (0.0, 0.5), "nguyen3": (0.0, 1.0),
                                             "nguyen2": (0.0, 1.0), "nguyen4": (0.0, 1.0)}
    assert first.identity() == second.identity()  # what an archive's settings are checked against on resume


@pytest.mark.parametrize(("train", "test", "like"), [
    ('["nguyen1:n_train=20", "nguyen5"]', "nguyen1:n_train=30", "nguyen1:n_train=20"),  # ran (a fresh-user pass)
    ('["nguyen1", "nguyen5"]', "nguyen1:n_test=50", "nguyen1"),
    ('["nguyen1", "nguyen5"]', "nguyen4:n_train=30", None),  # another function, whatever its sizes
])
def test_a_held_out_task_that_only_resizes_a_training_task_is_refused(tmp_path: Path, capsys: Capsys, train: str,
                                                                     test: str, like: str | None) -> None:
    """A meta-test task of the same function as a training task, with other sample sizes, was accepted: its
    evidence would not be held out.  Other options (a family's dim=, a file's target=) make another task."""
    config = _config(tmp_path, train)
    config.write_text(config.read_text().replace('test = ["nguyen4"]', f'test = ["{test}"]'))
    if like is None:
        cfg, base = load_config(config), load_grammar()
        api.metarun._meta_tasks(cfg, api.programs._program(cfg.program, base), base)
        return
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"))
    assert err.splitlines()[0] == f"{config}:7:10: error: [split] test: task '{test}' is '{like}' of [split] train " \
                                  "with other sample sizes: its points come from the same function"


def test_every_committed_meta_configuration_holds_its_splits_apart() -> None:
    """Their held-out tasks are other functions, families of other dimensions, other datasets."""
    paths = [p for p in sorted((ROOT / "benchmarks" / "meta").glob("*.toml")) if not p.name.endswith(".grammar.toml")]
    assert len(paths) >= 8, paths  # the committed configurations are read, not none
    for path in paths:
        cfg = load_config(path)
        base = load_grammar()
        checked = api.metarun._meta_tasks(cfg, api.programs._program(cfg.program, base), base)
        splits = [set(checked.train), set(checked.validation), set(checked.test)]
        assert splits[0] and splits[2] and all(a.isdisjoint(b) for a, b in itertools.combinations(splits, 2)), path
        assert set(checked.bounds) == set().union(*splits), path  # every task has its bounds


def test_bounds_given_twice_for_one_task_are_an_error(tmp_path: Path, capsys: Capsys) -> None:
    config = _config(tmp_path, '["nguyen1:n_train=30", "nguyen3"]')
    config.write_text(config.read_text() + '\n[bounds]\n"nguyen1:n_train=30" = [0.0, 0.5]\n'
                                           '"nguyen1:n_train=3e1" = [0.0, 0.6]\n')
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"))
    assert err.splitlines() == [f"{config}:25:2: error: [bounds] names task 'nguyen1:n_train=30' twice, as "
                                "'nguyen1:n_train=30' and 'nguyen1:n_train=3e1'", "hint: give each task's bounds once"]


@pytest.mark.parametrize("train, test, line", [
    ('["data/xy.csv:target=y", "nguyen1"]', '["./data/xy.csv:target=y"]', 7),  # qa102: across parts
    ('["data/xy.csv:target=y", "nguyen1", "data/../data/xy.csv:target=y"]', '["nguyen4"]', 5),
])
def test_one_data_file_by_two_paths_is_refused_quoting_each_entry_as_written(
        tmp_path: Path, capsys: Capsys, train: str, test: str, line: int) -> None:
    """qa102: train's ``data/a.csv:target=y`` and test's ``./data/a.csv:target=y`` read one file; the error quoted the
    second spelling for both entries (the run knew the task by its path, one spelling for the two)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "xy.csv").write_text(XY)
    config = _config(tmp_path, train)
    config.write_text(config.read_text().replace('test = ["nguyen4"]', f"test = {test}"))
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"))
    second = "./data/xy.csv:target=y" if line == 7 else "data/../data/xy.csv:target=y"
    part = "test" if line == 7 else "train"
    column = config.read_text().splitlines()[line - 1].index(second) + 1  # its first character
    assert err.splitlines() == [
        f"{config}:{line}:{column}: error: [split] {part}: task '{second}' is task 'data/xy.csv:target=y' of [split] "
        "train, written another way", f"hint: a task is in one split, once; both are {tmp_path}/data/xy.csv:target=y"]
    assert not (tmp_path / "m.db").exists()


@pytest.mark.parametrize("key, note", [
    ("data/typo.csv:target=y", "; no such file: {d}/data/typo.csv"),  # a missing file: said in the hint
    ("data/other.csv:target=y", ""),  # a file that exists but is in no split: just that
])
def test_a_bounds_key_in_no_split_is_said_so_and_a_missing_file_of_it_in_the_hint(
        tmp_path: Path, capsys: Capsys, key: str, note: str) -> None:
    """qa102: docs/meta.md said a missing data file of a [bounds] key is ``no such file``; a key names a split task,
    whose file the split reads, so one in no split is said so first, its file's absence in the hint."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "other.csv").write_text(XY)
    config = _config(tmp_path, '["nguyen1", "nguyen3"]')
    config.write_text(config.read_text() + f'\n[bounds]\n"{key}" = [0.0, 1.0]\n')
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"))
    assert err.splitlines() == [f"{config}:24:2: error: [bounds] names task '{key}', which is in no split",
                                "hint: tasks in the split: nguyen1, nguyen3, nguyen2, nguyen4"
                                + note.format(d=tmp_path)]


def test_a_bounds_key_of_a_split_task_whose_file_is_missing_is_the_split_entrys_no_such_file(
        tmp_path: Path, capsys: Capsys) -> None:
    config = _config(tmp_path, '["nguyen1", "data/gone.csv:target=y"]')
    config.write_text(config.read_text() + '\n[bounds]\n"./data/gone.csv:target=y" = [0.0, 1.0]\n')
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"), "-o", str(tmp_path / "g.toml"))
    assert err.splitlines()[0] == f"{config}:5:22: error: [split] train: no such file: {tmp_path}/data/gone.csv", err
