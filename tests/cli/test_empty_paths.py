"""An empty path (``--db ''``, ``"$UNSET"``) is refused by its name, by every command and the API alike.

It read as the current folder (``.: error: cannot open archive: it is a folder``), as a nameless folder
(``mlevolve export: error:  is a folder``), or as not given (``report -o ''`` wrote the default file).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.cli import build_parser
from mlevolve.dsl.errors import SettingError
from tests.conftest import EXAMPLES, Capsys, usage_error

QUARTIC = str(EXAMPLES / "quartic.mlev")


@pytest.mark.parametrize(("argv", "name", "optional"), [
    (["check", ""], "FILE", False),
    (["fmt", QUARTIC, " "], "FILE", False),
    (["run", ""], "FILE", False),
    (["evolve", QUARTIC, "--db", ""], "--db", True),
    (["evolve", QUARTIC, "--grammar", " "], "--grammar", True),
    (["evolve", QUARTIC, "--json-log", ""], "--json-log", True),
    (["export", QUARTIC, "-o", ""], "-o", False),
    (["export", "", "-o", "x.py"], "FILE|DB", False),  # optional only for the hidden --db: not to be left out
    (["show", ""], "DB", False),
    (["best", ""], "DB", False),
    (["report", "runs/x.db", "-o", ""], "-o", True),
    (["report", "runs/x.db", "--baseline", ""], "--baseline", True),
    (["meta", ""], "CONFIG", False),
    (["grammar", "diff", "base", ""], "GRAMMAR", False),
    (["grammar", "diff", "", "base"], "BASE", True),  # optional: the base grammar when left out
    (["grammar", "show", ""], "GRAMMAR", True),  # an optional positional: base when left out
])
def test_an_empty_path_is_refused_by_its_name(capsys: Capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              argv: list[str], name: str, optional: bool) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may be written here: report -o '' wrote the default file
    command = " ".join(["mlevolve", *argv[:2 if argv[0] == "grammar" else 1]])
    assert usage_error(capsys, *argv).splitlines() == [
        f"{command}: error: {name} is empty", f"hint: give a path{f', or leave {name} out' if optional else ''}"]
    assert list(tmp_path.iterdir()) == []


def test_every_path_argument_of_every_command_is_covered() -> None:
    """The check reads the arguments' metavars: each argument that names a file has one of them."""
    from mlevolve.cli import _PATH_METAVARS

    def actions(parser: object) -> list[object]:
        found = []
        for action in parser._actions:  # type: ignore[attr-defined]
            found.append(action)
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found += actions(sub)
        return found

    paths = {a.dest for a in actions(build_parser()) if a.metavar in _PATH_METAVARS}
    assert {"file", "files", "db", "output", "grammar", "json_log", "baseline", "config", "base"} <= paths


@pytest.mark.parametrize("setting", ["db", "json_log"])
def test_the_api_refuses_an_empty_path_by_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   setting: str) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingError) as caught:
        api.evolve(Path(QUARTIC), ["f"], budget=1, quiet=True, **{"db": "x.db", setting: ""})  # type: ignore[arg-type]
    assert (caught.value.message, caught.value.hint) == (f"{setting} is empty", f"give a path, or leave {setting} out")
