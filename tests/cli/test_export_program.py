"""``mlevolve export DB --best -o FILE.mlev``: a run's program as ``.mlev`` text, which ``mlevolve run``
scores as the run did (with the options it prints)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlevolve.api import evolve
from mlevolve.gp.archive import Archive
from tests.conftest import EXAMPLES, Capsys, cli, usage_error


def _run(tmp_path: Path) -> Path:
    db = tmp_path / "r.db"
    evolve(EXAMPLES / "quartic.mlev", ["f"], db=db, budget=60, population=10, init="random", seed=2, quiet=True)
    return db


def test_the_best_exported_as_mlev_scores_as_archived(tmp_path: Path, capsys: Capsys) -> None:
    db = _run(tmp_path)
    out = tmp_path / "best.mlev"
    code, printed, _ = cli(capsys, "export", "--db", str(db), "--best", "-o", str(out))
    assert code == 0
    assert printed.strip().endswith(f"score it as the run did with: mlevolve run {out} --seed 2")
    assert out.read_text().splitlines()[:3] == [  # the settings kept in the file (they were only printed)
        f"# Exported by mlevolve from {db} (the run's settings: mlevolve run FILE --seed 2)", "algorithm quartic",
        "task koza_quartic"]
    with Archive.read(db) as archive:
        best = archive.best(1)[0]
    code, printed, _ = cli(capsys, "run", str(out), "--seed", "2", "--json")
    assert code == 0 and json.loads(printed)["fitness"] == best.fitness
    code, _, _ = cli(capsys, "export", "--db", str(db), "--best", "-o", str(out))  # its own file: replaced
    assert code == 0


def test_a_mlev_output_is_refused_where_it_cannot_be_the_run_s_program(tmp_path: Path, capsys: Capsys) -> None:
    db = _run(tmp_path)
    mine = tmp_path / "mine.mlev"
    mine.write_text("algorithm mine\n")
    err = usage_error(capsys, "export", "--db", str(db), "--best", "-o", str(mine))
    assert "exists and is not a program mlevolve wrote: it is not overwritten" in err
    assert mine.read_text() == "algorithm mine\n"
    err = usage_error(capsys, "export", str(EXAMPLES / "quartic.mlev"), "-o", str(tmp_path / "q.mlev"))
    assert "-o FILE.mlev writes a run's program as .mlev text: it takes DB" in err
    err = usage_error(capsys, "export", "--db", str(db), "--best", "--seed", "1", "-o", str(tmp_path / "b.mlev"))
    assert "a .mlev output is the program alone: --seed does not apply" in err
    assert not (tmp_path / "q.mlev").exists() and not (tmp_path / "b.mlev").exists()


def test_export_takes_the_archive_as_best_and_show_do(tmp_path: Path, capsys: Capsys) -> None:
    """``export DB`` (positional, as ``best DB`` and ``show DB``), the same as ``--db DB``; an SQLite file of
    another suffix is an archive too; the archive given both ways is refused."""
    db = _run(tmp_path)
    copy = tmp_path / "run.sqlite"
    copy.write_bytes(db.read_bytes())
    scripts = []
    for argv in ([str(db)], ["--db", str(db)], [str(copy), "--best"]):
        out = tmp_path / f"s{len(scripts)}.py"
        code, printed, _ = cli(capsys, "export", *argv, "-o", str(out))
        assert code == 0 and printed.startswith(f"wrote {out}")
        scripts.append(out.read_text().replace(str(copy), str(db)).split("\n", 3)[3])  # past the file's name
    assert scripts[0] == scripts[1] == scripts[2]
    err = usage_error(capsys, "export", str(db), "--db", str(db), "-o", str(tmp_path / "x.py"))
    assert err.splitlines() == ["mlevolve export: error: give the archive once: as DB or as --db DB, not both",
                                f"hint: mlevolve export {db} -o {tmp_path / 'x.py'}"]  # as typed, less --db
    err = usage_error(capsys, "export", str(tmp_path / "none.db"), "-o", str(tmp_path / "x.py"))
    assert err.splitlines()[0] == f"{tmp_path / 'none.db'}: error: no such archive"
    with pytest.raises(SystemExit):
        cli(capsys, "export", "--help")
    printed = capsys.readouterr().out
    assert "FILE|DB" in printed and "--db" not in printed  # one way in the help


def test_export_takes_a_hash_after_the_archive_as_show_does(tmp_path: Path, capsys: Capsys) -> None:
    """``export DB HASH`` (as ``show DB HASH``) is ``export DB --hash HASH``: it was "unrecognized arguments"
    (a new user's pass); the program named twice, or a HASH after a .mlev FILE, is refused."""
    db = _run(tmp_path)
    with Archive.read(db) as archive:
        other = archive.best(3)[-1].hash[:10]
    scripts = []
    for argv in ([str(db), other], [str(db), "--hash", other], [str(db), "-o", str(tmp_path / "s2.py"), other]):
        out = tmp_path / f"s{len(scripts)}.py"
        code, _, err = cli(capsys, "export", *argv, *(["-o", str(out)] if "-o" not in argv else []))
        assert code == 0, err
        scripts.append(out.read_text().split("\n", 3)[3])
    assert scripts[0] == scripts[1] == scripts[2]
    err = usage_error(capsys, "export", str(db), other, "--best", "-o", str(tmp_path / "x.py"))
    assert err.splitlines()[0] == "mlevolve export: error: give the program once: HASH, --hash H or --best"
    err = usage_error(capsys, "export", str(EXAMPLES / "quartic.mlev"), other, "-o", str(tmp_path / "x.py"))
    assert err.splitlines()[0] == "mlevolve export: error: HASH names a program of a run's archive: give DB first"


def test_a_program_exported_as_mlev_needs_no_data(tmp_path: Path, capsys: Capsys) -> None:
    """``export DB -o FILE.mlev`` writes text that names the data file: it read the file, and refused when it had
    moved (a new user's pass); a script (.py) still needs it, as it scores on it."""
    data = tmp_path / "d.csv"
    data.write_text("x,y\n" + "".join(f"{i},{i * i / 3 + 1}\n" for i in range(20)))
    program = tmp_path / "f.mlev"
    program.write_text("algorithm f\nformula f(x: Scalar) -> Scalar =\n  x\n")
    db = tmp_path / "r.db"
    evolve(program, ["f"], f"{data}:target=y", db=db, budget=8, population=4, tournament=2, quiet=True)
    data.rename(tmp_path / "moved.csv")
    code, _, err = cli(capsys, "export", str(db), "-o", str(tmp_path / "best.mlev"))
    assert code == 0, err
    assert f'task "{data}:target=y"' in (tmp_path / "best.mlev").read_text()
    assert "is missing" in usage_error(capsys, "export", str(db), "-o", str(tmp_path / "best.py"))
