"""Regression tests for a QA pass (qa54e): a closed --dask port no longer hides a mistake in the program, its task or
the meta configuration (the port was knocked on before any of them was read)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.conftest import ROOT, Capsys, usage_error
from tests.grammar.test_grammar_diff import NOMUL

QUARTIC = str(ROOT / "examples" / "quartic.mlev")


def _closed() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize(("argv", "first"), [
    (["evolve", "nope.mlev"], "nope.mlev: error: no such file"),
    (["evolve", QUARTIC, "--task", "nguyen55"], "mlevolve evolve: error: unknown task 'nguyen55'"),
    (["meta", "nope.toml"], "nope.toml: error: no such file"),
])
def test_a_mistake_in_the_users_files_is_said_before_a_closed_dask_port(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, argv: list[str], first: str) -> None:
    monkeypatch.chdir(tmp_path)
    err = usage_error(capsys, *argv, "--db", "d.db", "--dask", _closed())
    assert err.splitlines()[0] == first
    assert len(err.splitlines()) == 2 and "dask" not in err
    assert not list(tmp_path.rglob("*.db"))


@pytest.mark.parametrize("argv", [["check", "--grammar", "r.toml", QUARTIC], ["grammar", "show", "r.toml"],
                                  ["grammar", "lark", "r.toml"], ["export", QUARTIC, "--grammar", "r.toml", "-o", "-"],
                                  ["evolve", QUARTIC, "--grammar", "r.toml", "--budget", "5", "--db", "d.db"]])
def test_a_rule_calling_a_primitive_its_grammar_lacks_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: Capsys, argv: list[str]) -> None:
    """A rule ``h0 * h0`` in a grammar without ``mul`` (extended by the file) read "unknown primitive 'mul'" with the
    hint that ``grammar show`` lists the primitives, which lists mul; it names the grammar's lack and its ops now, and
    the file to add [op.mul] to (an extending file's own [op.mul] is an error) or dropping the rule."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "own.toml").write_text(NOMUL)  # a grammar of its own, without mul
    (tmp_path / "r.toml").write_text('version = 1\nextends = "own.toml"\n[[rule]]\nname = "sq"\n'
                                     'sig = "Scalar -> Scalar"\nbody = "h0 * h0"\n')
    assert usage_error(capsys, *argv).splitlines() == [
        "r.toml:6:1: error: rule sq calls 'mul', a primitive this grammar does not have (no [op.mul])",
        'hint: add [op.mul] with sig = ["Scalar, Scalar -> Scalar"] to "own.toml" (the grammar this one extends), '
        "write the body with the grammar's ops (add, cos), or drop the rule (a program may call mul, which the engine "
        "writes; a rule's body is drawn as written, from the grammar's ops only)"]


def test_a_new_restrict_table_without_scale_says_what_scale_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: Capsys) -> None:
    """A new [restrict.NAME] table without scale read "malformed grammar: [restrict.mine] has no 'scale' key", as if
    the key were unknown; like a missing types, it says what the key does now."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.toml").write_text('version = 1\nextends = "base"\n[restrict.mine]\ntypes = ["Scalar"]\n')
    assert usage_error(capsys, "grammar", "show", "r.toml").splitlines() == [
        "r.toml:3:2: error: [restrict.mine] has no 'scale' key: a new table says by how much it scales the weights "
        "of the productions it does not keep",
        "hint: write scale = 0.1 (below 1 narrows these bodies' search to the kept productions); a table of the "
        "grammar this one extends, under its own name, inherits the keys left out"]


@pytest.mark.parametrize("spec", ["d.csv:target=''", 'd.csv:target=""', "d.csv:group='':target=y",
                                  "d.csv:target=y:group=''"])
def test_an_empty_quoted_value_is_no_value_as_an_empty_one(spec: str) -> None:
    """``target=''`` was taken for a file with no target ("which column is the target?"), ``target=`` is refused as an
    option with no value: so is the first now (the scripts' reader is this one)."""
    from mlevolve.interpreter.standalone.spec import TaskError, split_spec

    key = next(part for part in spec.split(":") if "''" in part or '""' in part).partition("=")[0]
    with pytest.raises(TaskError, match=rf"^option '{key}' has no value in task spec '{spec}' \(hint: write it as"):
        split_spec(spec)


def test_an_empty_quoted_target_is_refused_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(20)))
    (tmp_path / "f.mlev").write_text("algorithm a\nformula f(x: Scalar) -> Scalar =\n  x\n")
    assert usage_error(capsys, "run", "f.mlev", "--task", "d.csv:target=''").splitlines() == [
        "mlevolve run: error: option 'target' has no value in task spec 'd.csv:target='''",
        "hint: write it as NAME:key=value, or leave the option out"]
