"""A fresh user's and a review's findings on the meta level (meta96), each a kind: every command it suggests is
runnable as printed (the configuration's real path, each path shell-quoted), and every mistake in one item of a
list-valued key (``[split]``'s parts, ``evolve``) is placed at that item, however the list is written."""

from __future__ import annotations

import html
import json
import re
import shlex
import sqlite3
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.report import data, page
from tests.conftest import ROOT, Capsys, usage_error

QUARTIC = ROOT / "examples" / "quartic.mlev"
TAIL = "\n[inner]\nbudget = 8\npopulation = 4\ntournament = 2\nelites = 2\n"


def _config(folder: Path, text: str) -> Path:
    path = folder / "m.toml"
    path.write_text(f'program = "{QUARTIC}"\n{text}{TAIL}')
    return path


SPLIT = '[split]\ntrain = ["nguyen1", "nguyen3"]\nvalidation = ["nguyen2"]\ntest = ["nguyen4"]\n'
UNKNOWN = ("[split] train: unknown task 'nguyen3x'", "hint: did you mean 'nguyen3'? known tasks: ")


@pytest.mark.parametrize("text, place, message, hint", [
    # [split] as an inline table: at the item (it was at `split`, 3:1)
    ('evolve = ["f"]\nsplit = {train = ["nguyen1", "nguyen3x"], validation = ["nguyen2"], test = ["nguyen4"]}\n',
     "3:31", *UNKNOWN),
    ('evolve = ["f"]\nsplit = {validation = ["nguyen2"], "train" = ["nguyen1", "nguyen3"], test = ["nguyen4", '
     '"nguyen3"]}\n', "3:90", "task 'nguyen3' is in both [split] train and test",
     "hint: meta-test tasks must never be trained on or validated on; keep it in one part"),
    # a name written with an escape is the name TOML reads (it was at the key, 4:1)
    ('evolve = ["f"]\n[split]\ntrain = ["nguyen1", "nguyen\\u0033x"]\nvalidation = ["nguyen2"]\ntest = ["nguyen4"]\n',
     "4:22", *UNKNOWN),
    # evolve's names: each mistake at its name (it was at `evolve`, 2:1)
    ('evolve = ["f", "g"]\n' + SPLIT, "2:17", "evolve 'g' is not a definition of " + str(QUARTIC),
     "hint: definitions: f, or all"),
    ('evolve = [\n  "f",\n  "q",\n]\n' + SPLIT, "4:4", "evolve 'q' is not a definition of " + str(QUARTIC),
     "hint: definitions: f, or all"),
    ('evolve = ["f", " f"]\n' + SPLIT, "2:17", "evolve names 'f' twice",
     "hint: name each definition once: a learner stands for all its methods"),
    ('evolve = ["f", "all"]\n' + SPLIT, "2:17", "evolve all names every definition: it takes no other names",
     "hint: write all alone, or list the definitions to evolve"),
])
def test_a_list_item_s_mistake_is_at_the_item(tmp_path: Path, capsys: Capsys, text: str, place: str, message: str,
                                             hint: str) -> None:
    config = _config(tmp_path, text)
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"))
    first, said = err.splitlines()
    assert first == f"{config}:{place}: error: {message}" and said.startswith(hint)
    line, column = map(int, place.split(":"))
    written = config.read_text().splitlines()[line - 1]
    assert written[column - 2] in "\"'" and written[column - 1:].lstrip() != ""  # inside the item's quotes
    assert not (tmp_path / "m.db").exists()


SMOKE = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text()


@pytest.fixture(scope="module")
def spaced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A finished smoke meta run whose configuration, archive and generator are in a folder a shell must quote."""
    folder = tmp_path_factory.mktemp("meta96") / "my runs $x (1)"
    folder.mkdir()
    config = folder / "smoke run.toml"
    config.write_text(re.sub(r'program = "(\.\./)+', f'program = "{ROOT}/', SMOKE))
    db, out = folder / "m 1.db", folder / "it's.grammar.toml"
    api.meta(config, db, out, quiet=True)
    return {"config": config, "db": db, "out": out}


def test_the_generator_s_header_names_the_command_that_made_it_runnable(spaced: dict[str, Path]) -> None:
    """The header said `mlevolve meta CONFIG` with the path unquoted and no --db or -o it was made with."""
    first = spaced["out"].read_text().splitlines()[0]
    command = first.split("`")[1]
    assert shlex.split(command) == ["mlevolve", "meta", str(spaced["config"]), "--db", str(spaced["db"]), "-o",
                                    str(spaced["out"])]


def _stopped(spaced: dict[str, Path], name: str, drop: tuple[str, ...]) -> Path:
    """A copy of the finished run's archive as a kill leaves it (``drop``: the keys not yet written)."""
    import shutil

    db = spaced["db"].with_name(name)
    shutil.copy(spaced["db"], db)
    with sqlite3.connect(db) as connection:
        connection.executemany("DELETE FROM meta WHERE key = ?", [(key,) for key in drop])
    connection.close()
    return db


def test_a_stopped_meta_run_s_report_gives_the_resume_command_as_run(spaced: dict[str, Path]) -> None:
    """The report said "rerun mlevolve meta CONFIG --db PATH", CONFIG a placeholder and PATH unquoted; it is now the
    command the run was made with (recorded in the archive), runnable as printed."""
    db = _stopped(spaced, "stopped 1.db", ("summary",))
    said = html.unescape(re.search(r"rerun <code>(.*?)</code>", page.build(data.load(db))).group(1))  # type: ignore
    assert shlex.split(said) == ["mlevolve", "meta", str(spaced["config"]), "--db", str(db), "-o", str(spaced["out"])]
    assert data.meta_resume(data.load(db).meta, db) == said
    # an archive made before archives kept their command: CONFIG, said to be one, the archive's path quoted
    old = _stopped(spaced, "stopped 2.db", ("summary", "command"))
    text = html.unescape(re.sub("<[^>]+>", "", page.build(data.load(old))))
    assert f"rerun mlevolve meta CONFIG --db {shlex.quote(str(old))}, CONFIG the configuration it was made with" in text


def test_meta_command_quotes_every_path() -> None:
    assert data.meta_command("a b.toml") == "mlevolve meta 'a b.toml'"
    assert data.meta_command("c.toml", "runs/x;y.db", "it's.toml") == \
        "mlevolve meta c.toml --db 'runs/x;y.db' -o 'it'\"'\"'s.toml'"
    assert data.meta_resume({"command": json.loads('{"config": "my c.toml", "output": null}')}, "d.db") == \
        "mlevolve meta 'my c.toml' --db d.db"
    assert data.meta_resume({}, "d.db") is None and data.meta_resume({}, "d.db", "c.toml") == \
        "mlevolve meta c.toml --db d.db"


def test_a_meta_run_s_report_counts_its_inner_runs(spaced: dict[str, Path], tmp_path: Path, capsys: Capsys) -> None:
    """``mlevolve report`` of a meta archive said "(26 candidates, finished)" of its inner runs (qfix98)."""
    out = tmp_path / "r.html"
    assert main(["report", str(spaced["db"]), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert re.fullmatch(rf"wrote {re.escape(str(out))} \(\d+ inner runs?, finished\)\n", said), said
    assert api.report(spaced["db"], out)["unit"] == "inner run"
