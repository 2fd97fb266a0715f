"""The run archive (``mlevolve.gp.archive``): creating, reopening, refusing, locking, reading.

An archive refuses what is not its run's, a corrupt or foreign file, and a second writer, and in
every refusal leaves the file byte for byte as it was.  Readers see committed candidates while a
writer holds the lock.  ``best`` ranks distinct programs; ``get`` finds one by hash prefix.
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from mlevolve.dsl.errors import MlevError
from mlevolve.gp.archive import BATCH_ROWS, BATCH_SECONDS, SCHEMA_VERSION, Archive, Row, default_path
from tests.conftest import run_child

IDENTITY: dict[str, Any] = {
    "program_hash": "f16d139551ced209a057c000e0f67406", "program_name": "quartic",
    "program": "algorithm quartic\n", "task": "koza_quartic", "evolve": ["f"], "epochs": 10,
    "grammar": "base:0123", "algorithm": "regularized", "population": 20, "seed": 0, "init": "random",
}


def row(seq: int, key: str, fitness: float | None, **kw: Any) -> Row:
    fields: dict[str, Any] = {
        "program": f"algorithm p{seq}\n", "metrics": {} if fitness is None else {"fitness": fitness, "val_mse": 1.0},
        "failure": "boom" if fitness is None else None, "failure_where": "probe" if fitness is None else None,
        "source": "evaluated", "fingerprint": None, "operator": "regrow", "parents": (), "generation": 0,
        "size": 3, "seconds": 0.01, **kw}
    return Row(seq, key, fitness=fitness, **fields)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    a = Archive.for_run(tmp_path / "run.db", IDENTITY)
    yield a
    a.close()


def snapshot(path: Path) -> tuple[bytes, list[str]]:
    """The file's bytes and the names of its neighbours (a -wal or -shm left behind would show)."""
    return path.read_bytes(), sorted(p.name for p in path.parent.iterdir())


# ------------------------------------------------------------------------------------------ creating


def test_a_new_path_gets_tables_and_meta(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "run.db"
    with Archive.for_run(path, IDENTITY) as a:
        assert path.is_file()
        tables = {r[0] for r in a.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"meta", "candidates"}
        meta = a.meta()
        assert meta["schema_version"] == SCHEMA_VERSION
        assert isinstance(meta["created"], float)
        assert {k: meta[k] for k in IDENTITY} == IDENTITY
        assert a.count() == 0 and list(a.rows()) == [] and a.best() == []
        assert a.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rows_round_trip(archive: Archive) -> None:
    stored = row(0, "ab" * 16, 0.5, parents=("p1", "p2"), fingerprint="fp", metrics={"fitness": 0.5, "n": [1, 2]})
    archive.add(stored)
    (back,) = archive.rows()
    assert back == stored
    failed = row(1, "cd" * 16, None)
    archive.add(failed)
    assert list(archive.rows())[1] == failed
    assert archive.count() == 2


def test_non_finite_fitness_is_stored_as_none(archive: Archive) -> None:
    archive.add(row(0, "a" * 32, float("inf")))
    archive.add(row(1, "b" * 32, float("nan")))
    assert [r.fitness for r in archive.rows()] == [None, None]
    assert archive.best() == []


def test_a_candidate_is_stored_once(archive: Archive) -> None:
    archive.add(row(0, "a" * 32, 1.0))
    with pytest.raises(MlevError, match="#0 is already in the archive"):
        archive.add(row(0, "b" * 32, 2.0))
    assert archive.count() == 1


def test_meta_round_trips(archive: Archive) -> None:
    archive.set_meta("summary", {"candidates": 3, "best": None, "x": [1.5]})
    assert archive.meta()["summary"] == {"candidates": 3, "best": None, "x": [1.5]}


def test_reopening_the_same_run_keeps_its_candidates(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    with Archive.for_run(path, IDENTITY) as a:
        a.add(row(0, "a" * 32, 1.0))
        created = a.meta()["created"]
    with Archive.for_run(path, dict(IDENTITY)) as a:
        assert [r.hash for r in a.rows()] == ["a" * 32]
        assert a.meta()["created"] == created
        a.add(row(1, "b" * 32, 2.0))
    with Archive.read(path) as r:
        assert r.count() == 2


# ----------------------------------------------------------------------------------------- refusing


@pytest.mark.parametrize(("change", "message"), [
    ({"program_hash": "0" * 32, "program": "algorithm other\n"}, "archive belongs to another run"),
    ({"task": "nguyen1"}, "archive belongs to another run"),
    ({"evolve": ["g"]}, "archive belongs to another run"),
    ({"seed": 1}, r"other settings \(seed: archive has 0, now 1\)"),
    ({"population": 50, "algorithm": "nsga2"}, r"other settings \(algorithm: archive has 'regularized', now "
                                                r"'nsga2'\)"),  # alone: it decides which of the rest are read
    ({"new_setting": True}, "other settings"),
])
def test_another_identity_is_refused_and_nothing_changes(tmp_path: Path, change: Mapping[str, Any],
                                                         message: str) -> None:
    path = tmp_path / "run.db"
    with Archive.for_run(path, IDENTITY) as a:
        a.add(row(0, "a" * 32, 1.0))
    before = snapshot(path)
    with pytest.raises(MlevError, match=message) as info:
        Archive.for_run(path, {**IDENTITY, **change})
    assert info.value.file == str(path)
    assert "another --db" in (info.value.hint or "")
    assert snapshot(path) == before
    with Archive.for_run(path, IDENTITY) as a:  # refused without keeping the lock
        assert a.count() == 1


def test_an_archive_without_candidates_takes_any_runs_settings(tmp_path: Path) -> None:
    """A run stopped before its first candidate was saved said "nothing to resume", yet its archive refused the
    same command with another --seed ("archive has 0, now 3"); it holds nothing, so it is made anew."""
    path = tmp_path / "run.db"
    with Archive.for_run(path, IDENTITY) as a:
        a.set_meta("environments", [{"python": "3.11"}])
    with Archive.for_run(path, {**IDENTITY, "seed": 3}) as a:
        a.add(row(0, "a" * 32, 1.0))
        meta = a.meta()
    assert meta["seed"] == 3 and "environments" not in meta  # nothing of the other run's is kept
    with pytest.raises(MlevError, match=r"other settings \(seed: archive has 3, now 0\)"):
        Archive.for_run(path, IDENTITY)  # one candidate: it is that run's


def test_a_tournament_past_the_population_is_the_whole_population(tmp_path: Path) -> None:
    """A tournament draws at most the population (``--population 20 --tournament 50`` draws 20): the run resumes
    with any size from 20 up (it was refused), and a smaller one is refused in the sizes typed."""
    path = tmp_path / "run.db"
    with Archive.for_run(path, {**IDENTITY, "population": 20, "tournament": 50}) as a:
        a.add(row(0, "a" * 32, 1.0))
    for size in (20, 21, 1000):
        Archive.for_run(path, {**IDENTITY, "population": 20, "tournament": size}).close()
    whole = r"\(tournament: archive has 50 \(the whole population of 20\), now 19 \(of a population of 20\)\)"
    with pytest.raises(MlevError, match=whole):
        Archive.for_run(path, {**IDENTITY, "population": 20, "tournament": 19})
    with pytest.raises(MlevError, match=r"other settings \(population: archive has 20, now 30\)\n"):
        Archive.for_run(path, {**IDENTITY, "population": 30, "tournament": 1000})  # both the whole population
    # the same tournament, which draws the whole of a smaller population: the population says it (it said the
    # tournament too, and its hint retyped it: the estimator, which has no tournament, was told to set one)
    with Archive.for_run(tmp_path / "p.db", {**IDENTITY, "population": 20, "tournament": 10}) as a:
        a.add(row(0, "a" * 32, 1.0))
    with pytest.raises(MlevError) as refused:
        Archive.for_run(tmp_path / "p.db", {**IDENTITY, "population": 5, "tournament": 10})
    assert refused.value.message == "archive was made with other settings (population: archive has 20, now 5)"
    islands = {**IDENTITY, "algorithm": "islands", "population": 20, "islands": 4}  # islands of 5: a tournament's most
    with Archive.for_run(tmp_path / "i.db", {**islands, "tournament": 10}) as a:
        a.add(row(0, "a" * 32, 1.0))
    for size in (5, 20):
        Archive.for_run(tmp_path / "i.db", {**islands, "tournament": size}).close()
    with pytest.raises(MlevError, match=r"archive has 10 \(the whole island of 5\), now 4 \(of an island of 5\)"):
        Archive.for_run(tmp_path / "i.db", {**islands, "tournament": 4})


def test_another_run_is_named_in_the_refusal(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    with Archive.for_run(path, IDENTITY) as a:
        a.add(row(0, "a" * 32, 1.0))
    with pytest.raises(MlevError) as info:
        Archive.for_run(path, {**IDENTITY, "task": "nguyen1"})
    assert "program 'quartic' (evolving f) on task 'koza_quartic'" in info.value.message


def test_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    with Archive.for_run(path, IDENTITY) as a:
        a.set_meta("schema_version", 99)
    before = snapshot(path)
    with pytest.raises(MlevError, match="archive schema 99 is not 1"):
        Archive.for_run(path, IDENTITY)
    assert snapshot(path) == before


@pytest.mark.parametrize("content", [
    random.Random(0).randbytes(8192),
    b"hello, this is a text file\n" * 40,
    b"SQLite format 3\x00" + random.Random(1).randbytes(4000),  # the magic, then garbage
])
def test_a_corrupt_file_is_refused_and_unchanged(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    before = snapshot(path)
    with pytest.raises(MlevError, match="not an mlevolve archive") as info:
        Archive.for_run(path, IDENTITY)
    assert info.value.file == str(path)
    assert snapshot(path) == before
    with pytest.raises(MlevError, match="not an mlevolve archive"):
        Archive.read(path)
    assert snapshot(path) == before
    with pytest.raises(MlevError, match="not an mlevolve archive"):  # and it did not keep the lock
        Archive.for_run(path, IDENTITY)


def test_a_foreign_sqlite_database_is_refused_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.execute("INSERT INTO things VALUES (1)")
    conn.commit()
    conn.close()
    before = snapshot(path)
    with pytest.raises(MlevError, match=r"not an mlevolve archive \(no mlevolve tables\)"):
        Archive.for_run(path, IDENTITY)
    assert snapshot(path) == before
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    conn.close()
    with pytest.raises(MlevError, match="not an mlevolve archive"):
        Archive.read(path)


def test_an_empty_file_is_a_new_archive(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with Archive.for_run(path, IDENTITY) as a:
        assert a.meta()["task"] == "koza_quartic"


def test_reading_a_missing_archive(tmp_path: Path) -> None:
    with pytest.raises(MlevError, match="no such archive"):
        Archive.read(tmp_path / "nope.db")
    with pytest.raises(MlevError, match="cannot open archive: it is a folder"):
        Archive.read(tmp_path)


def test_a_directory_is_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(MlevError, match="cannot open archive"):
        Archive.for_run(tmp_path, IDENTITY)


# ------------------------------------------------------------------------------------------ locking


def test_a_second_writer_in_the_same_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    first = Archive.for_run(path, IDENTITY)
    try:
        first.add(row(0, "a" * 32, 1.0))
        before = path.read_bytes()
        with pytest.raises(MlevError, match="locked") as info:
            Archive.for_run(path, IDENTITY)
        assert "another mlevolve run is writing it" in info.value.message
        assert path.read_bytes() == before
        first.add(row(1, "b" * 32, 2.0))  # the first writer is undisturbed
    finally:
        first.close()
    with Archive.for_run(path, IDENTITY) as again:  # free once closed
        assert again.count() == 2


def test_a_second_writer_in_another_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    script = (
        "import json, sys\n"
        "from mlevolve.gp.archive import Archive\n"
        "from mlevolve.dsl.errors import MlevError\n"
        "try:\n"
        "    Archive.for_run(sys.argv[1], json.loads(sys.argv[2]))\n"
        "except MlevError as err:\n"
        "    print(err.message)\n"
        "    sys.exit(3)\n"
    )
    with Archive.for_run(path, IDENTITY):
        done = run_child([sys.executable, "-c", script, str(path), json.dumps(IDENTITY)], capture_output=True,
                         text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "locked" in done.stdout
    done = run_child([sys.executable, "-c", script, str(path), json.dumps(IDENTITY)], capture_output=True,
                     text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_readers_see_commits_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    with Archive.for_run(path, IDENTITY) as writer:
        writer.add(row(0, "a" * 32, 1.0))
        writer.flush()
        reader = Archive.read(path)
        try:
            assert reader.count() == 1
            writer.add(row(1, "b" * 32, 3.0))  # a write while the reader is open
            assert reader.count() == 1  # in the open batch
            writer.flush()
            assert reader.count() == 2
            assert [r.hash for r in reader.best(2)] == ["b" * 32, "a" * 32]
            assert reader.meta()["task"] == "koza_quartic"
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                reader.conn.execute("DELETE FROM candidates")
        finally:
            reader.close()
        # plain sqlite3 readers too, in another process
        code = f"import sqlite3; print(sqlite3.connect('file:{path}?mode=ro', uri=True)" \
               ".execute('SELECT COUNT(*) FROM candidates').fetchone()[0])"
        out = run_child([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "2", out.stderr
        writer.add(row(2, "c" * 32, 0.0))
    with Archive.read(path) as reader:
        assert reader.count() == 3


def test_a_closed_archive_is_one_file_that_readers_leave_alone(tmp_path: Path) -> None:
    """A run's archive at rest has no write-ahead log: readers (best, show, report), which open it read-only and
    so could not remove the -wal and -shm files a WAL database makes them create, leave the folder as it was."""
    path = tmp_path / "run.db"
    with Archive.for_run(path, IDENTITY) as writer:
        writer.add(row(0, "a" * 32, 1.0))
    before = snapshot(path)
    assert before[1] == ["run.db"]
    for _ in range(2):
        with Archive.read(path) as reader:
            assert reader.count() == 1
    assert snapshot(path) == before
    with Archive.for_run(path, IDENTITY) as writer:  # resumed: WAL again while it runs
        assert writer.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        writer.add(row(1, "b" * 32, 2.0))
    with Archive.read(path) as reader:
        assert reader.count() == 2
    assert snapshot(path)[1] == ["run.db"]


def _committed(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM candidates").fetchone()[0])
    finally:
        conn.close()


def test_rows_are_committed_in_batches(tmp_path: Path) -> None:
    """A batch commits at BATCH_ROWS rows, at once for a row that took BATCH_SECONDS to score, and
    before meta is written; the writer reads its own uncommitted rows."""
    path = tmp_path / "run.db"
    with Archive.for_run(path, IDENTITY) as writer:
        for seq in range(BATCH_ROWS - 1):
            writer.add(row(seq, f"{seq:032x}", 0.5, seconds=0.0))
        assert _committed(path) == 0 and writer.count() == BATCH_ROWS - 1
        writer.add(row(BATCH_ROWS - 1, "f" * 32, 0.5, seconds=0.0))
        assert _committed(path) == BATCH_ROWS
        writer.add(row(BATCH_ROWS, "e" * 32, 0.5, seconds=0.0))
        writer.add(row(BATCH_ROWS + 1, "d" * 32, 0.5, seconds=BATCH_SECONDS))  # slow: commits the batch
        assert _committed(path) == BATCH_ROWS + 2
        writer.add(row(BATCH_ROWS + 2, "c" * 32, 0.5, seconds=0.0))
        writer.set_meta("summary", {"candidates": BATCH_ROWS + 3})
        assert _committed(path) == BATCH_ROWS + 3
        writer.add(row(BATCH_ROWS + 3, "b" * 32, 0.5, seconds=0.0))
    assert _committed(path) == BATCH_ROWS + 4  # closing commits


def test_a_killed_writer_loses_only_its_open_batch(tmp_path: Path) -> None:
    """SIGKILL (here os._exit, which runs no cleanup) mid-batch: the committed rows stay, the file
    passes SQLite's quick_check, and the run's archive reopens and takes the lost rows again."""
    path = tmp_path / "run.db"
    code = (f"import os; from mlevolve.gp import archive; from mlevolve.gp.archive import Archive, Row\n"
            "archive.BATCH_SECONDS = 1e9  # only the row count commits, however slow the machine\n"
            f"a = Archive.for_run({str(path)!r}, "
            f"{IDENTITY!r})\n"
            f"for i in range({BATCH_ROWS + 5}): a.add(Row(i, f'{{i:032x}}', 'p', 0.5, {{}}, None, None, "
            "'evaluated', None, 'op', (), 0, 1, 0.0))\nos._exit(0)")
    out = run_child([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    with Archive.for_run(path, IDENTITY) as again:
        assert [r.seq for r in again.rows()] == list(range(BATCH_ROWS))
        again.add(row(BATCH_ROWS, "a" * 32, 1.0))
    assert _committed(path) == BATCH_ROWS + 1


# ------------------------------------------------------------------------------------- best and get


def _hash(i: int) -> str:
    return f"{i:02x}" + "0" * 30


def test_best_ranks_distinct_programs(archive: Archive) -> None:
    fitness = {1: 0.5, 2: 0.9, 3: 0.9, 4: None, 5: 0.1, 6: 0.7}
    order = [1, 2, 4, 2, 3, 5, 1, 6, 2, 3]  # repeats: cache hits of the same program
    for seq, i in enumerate(order):
        archive.add(row(seq, _hash(i), fitness[i], source="cache" if order.index(i) < seq else "evaluated"))
    best = archive.best(10)
    assert [r.hash for r in best] == [_hash(2), _hash(3), _hash(6), _hash(1), _hash(5)]  # ties: the earliest first
    assert len({r.hash for r in best}) == len(best)
    assert [r.seq for r in best] == [1, 4, 7, 0, 5]  # each program's first occurrence
    assert [r.fitness for r in best] == sorted((r.fitness or 0.0 for r in best), reverse=True)
    assert [r.hash for r in archive.best(2)] == [_hash(2), _hash(3)]
    assert [r.hash for r in archive.best()] == [r.hash for r in best[:5]]
    assert all(r.failure is None for r in best)


def test_get_by_hash_and_prefix(archive: Archive) -> None:
    keys = ["ab12" + "0" * 28, "ab34" + "0" * 28, "cd56" + "0" * 28]
    for seq, key in enumerate([keys[0], keys[1], keys[2], keys[2]]):
        archive.add(row(seq, key, float(seq)))
    assert archive.get(keys[1]).seq == 1  # type: ignore[union-attr]
    assert archive.get("ab1").hash == keys[0]  # type: ignore[union-attr]
    assert archive.get("AB3").hash == keys[1]  # type: ignore[union-attr]  # hashes are lower-case hex
    got = archive.get("cd")
    assert got is not None and got.seq == 2  # its first occurrence
    assert archive.get("ef") is None
    assert archive.get("cd56" + "0" * 28 + "0") is None  # longer than any hash
    with pytest.raises(MlevError, match="ambiguous"):
        archive.get("ab")
    assert archive.get("%") is None and archive.get("a_") is None  # characters, not LIKE wildcards
    with pytest.raises(MlevError, match="empty hash"):
        archive.get("")


def test_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MLEVOLVE_RUNS", raising=False)
    assert default_path("quartic", "koza_quartic") == Path("runs") / "quartic-koza_quartic.db"
    monkeypatch.setenv("MLEVOLVE_RUNS", str(tmp_path))
    assert default_path("lr", "data/my file.csv:target=y") == tmp_path / "lr-my_file-target_y.db"
    # a task's options are part of its archive's name: runs on one task with other options keep apart (found by a
    # new user: --task nguyen1:n_train=1000 went to nguyen1's archive, and was refused as another run's)
    assert default_path("q", "nguyen1:n_train=1000") != default_path("q", "nguyen1") == tmp_path / "q-nguyen1.db"
    assert default_path("lr", "d.csv:target=a") != default_path("lr", "d.csv:target=b")
    # a run in an evolved grammar keeps apart from the base grammar's (it was refused there: other settings)
    assert default_path("q", "nguyen4", "meta-train.grammar") == tmp_path / "q-nguyen4-meta-train_grammar.db"
    assert default_path("q", "nguyen4", "base") == default_path("q", "nguyen4") == tmp_path / "q-nguyen4.db"


def test_a_batch_is_read_before_its_commit_and_a_stored_number_is_refused_at_insert(archive: Archive) -> None:
    # Rows wait in the open batch (one executemany at commit); this connection's reads see them, and a
    # number stored by an earlier batch is refused when the batch is inserted, the batch's others kept.
    for seq in range(3):
        archive.add(row(seq, f"{seq:032x}", 0.5))
    assert archive.count() == 3 and [r.seq for r in archive.rows()] == [0, 1, 2]
    archive.flush()
    archive.add(row(3, "d" * 32, 0.5))
    archive.add(row(1, "e" * 32, 0.5))  # stored by the committed batch: found when this batch goes in
    archive.add(row(4, "f" * 32, 0.5))
    with pytest.raises(MlevError, match="#1 is already in the archive"):
        archive.flush()
    assert [(r.seq, r.hash[:1]) for r in archive.rows()] == [(0, "0"), (1, "0"), (2, "0"), (3, "d"), (4, "f")]


def test_a_row_added_in_a_callers_transaction_is_in_it(archive: Archive) -> None:
    archive.conn.execute("BEGIN")
    archive.add(row(0, "a" * 32, 1.0))
    archive.conn.execute("ROLLBACK")  # the caller's transaction, with the row, is undone
    assert archive.count() == 0


@pytest.mark.parametrize("stop", [KeyboardInterrupt, sqlite3.OperationalError])
def test_a_stop_before_the_schema_leaves_no_empty_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       stop: type[BaseException]) -> None:
    """Ctrl-C as a run opened its new archive said "nothing new was saved" yet left a 0-byte file, which ``report``,
    ``best`` and ``show`` then called "not an mlevolve archive ... a corrupt one" (a fresh-user pass).  A file that
    was there before (the user's, empty too) is left as it was."""
    import mlevolve.gp.archive as archive_module

    def stopped(*args: object, **kwargs: object) -> sqlite3.Connection:
        raise stop("stopped")

    monkeypatch.setattr(archive_module.sqlite3, "connect", stopped)
    new, theirs = tmp_path / "new.db", tmp_path / "theirs.db"
    theirs.touch()
    for path in (new, theirs):
        with pytest.raises((KeyboardInterrupt, MlevError)):
            Archive.for_run(path, {"program": "p"})
    assert not new.exists() and theirs.exists()
    monkeypatch.undo()
    with Archive.for_run(new, {"program": "p"}) as made:  # and a run started again makes it as before
        assert made.count() == 0


def test_default_path_names_the_evolved_slots_where_some_are_evolved(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    """Found by a new user's pass: ``--evolve A`` then ``--evolve B`` of one file and task went to one archive (the
    second refused as another run's).  No slots named (every slot evolved): the name it always had."""
    monkeypatch.setenv("MLEVOLVE_RUNS", str(tmp_path))
    assert default_path("lr", "linear", "base", ("linreg.learn",)) == tmp_path / "lr-linear-linreg.learn.db"
    assert default_path("lr", "linear", "g", ("f", "my slot")) == tmp_path / "lr-linear-g-f+my_slot.db"
    assert default_path("lr", "linear", "base", ()) == tmp_path / "lr-linear.db"
