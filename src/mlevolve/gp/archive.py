"""The run archive: one SQLite file holding a run's identity and every candidate it considered.

Each candidate is a row, committed as soon as it is known: its sequence number, canonical program
text and hash, fitness and metrics or failure, how it was scored (evaluated, cache, fec, hurdle,
probe), the operator and parents that made it, its generation, size and time.  The ``meta`` table
holds what identifies the run (program, task, slots, seed, algorithm settings, grammar digest).

WAL journaling makes each commit durable against SIGKILL and lets readers (``mlevolve best``, a
report) look while a run writes.  One writer at a time: the file is locked with ``flock``.
Programs are stored as text, never pickled.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from mlevolve.dsl.errors import MlevError

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    program TEXT NOT NULL,
    fitness REAL,
    metrics TEXT NOT NULL,
    failure TEXT,
    failure_where TEXT,
    source TEXT NOT NULL,
    fingerprint TEXT,
    operator TEXT NOT NULL,
    parents TEXT NOT NULL,
    generation INTEGER NOT NULL,
    size INTEGER NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL,
    simplified TEXT
);
CREATE INDEX IF NOT EXISTS candidates_hash ON candidates (hash);
CREATE INDEX IF NOT EXISTS candidates_fitness ON candidates (fitness);
"""


@dataclass(frozen=True)
class Row:
    """One candidate as stored.  ``fitness`` is None for a failure."""

    seq: int
    hash: str
    program: str
    fitness: float | None
    metrics: Mapping[str, Any]
    failure: str | None
    failure_where: str | None
    source: str
    fingerprint: str | None
    operator: str
    parents: tuple[str, ...]
    generation: int
    size: int
    seconds: float
    created: float = field(default_factory=time.time)
    simplified: str | None = None  # the program simplified (dsl.simplify); None in archives made before it


_COLUMNS = ("seq", "hash", "program", "fitness", "metrics", "failure", "failure_where", "source", "fingerprint",
            "operator", "parents", "generation", "size", "seconds", "created", "simplified")


def _row(values: tuple[Any, ...]) -> Row:
    d = dict(zip(_COLUMNS, values, strict=True))
    d["metrics"] = json.loads(d["metrics"])
    d["parents"] = tuple(json.loads(d["parents"]))
    return Row(**d)


def _bad_file(path: Path, err: Exception) -> MlevError:
    return MlevError(f"not an mlevolve archive ({err})", file=str(path),
                     hint="the file is corrupt or another kind of file; pass a new --db path")


class Archive:
    """An open archive.  Use :meth:`for_run` to write a run, :meth:`read` to inspect one."""

    def __init__(self, path: Path, conn: sqlite3.Connection, lock: IO[bytes] | None) -> None:
        self.path = path
        self.conn = conn
        self._lock = lock
        self._columns: str | None = None  # the SELECT list, once known (see _select)

    # -- opening ----------------------------------------------------------------------------------
    @classmethod
    def for_run(cls, path: str | Path, identity: Mapping[str, Any]) -> Archive:
        """Open (creating if new) the archive of the run ``identity`` describes, locked for writing.

        An existing archive must have been made by the same run (``identity`` equal on every key);
        otherwise nothing is touched and an :class:`MlevError` says what differs.
        """
        p = Path(path)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            lock = open(p, "ab")  # noqa: SIM115 - held open for the life of the archive
        except OSError as err:
            raise MlevError(f"cannot open archive: {err.strerror}", file=str(p)) from None
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise MlevError("archive is locked: another mlevolve run is writing it", file=str(p),
                            hint="wait for that run, or pass another --db") from None
        conn: sqlite3.Connection | None = None
        try:  # only reads until the file is known to be this run's archive (or new): a refusal writes nothing
            conn = sqlite3.connect(p, isolation_level=None)
            existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as err:
            if conn is not None:
                conn.close()
            lock.close()
            raise _bad_file(p, err) from None
        archive = cls(p, conn, lock)
        if existing and ("meta" not in existing or "candidates" not in existing):
            archive.close()
            raise _bad_file(p, ValueError("no mlevolve tables"))
        if existing:
            archive._check_identity(identity)
            if not archive._has_simplified():  # an archive made before the column: add it (NULL in old rows)
                conn.execute("ALTER TABLE candidates ADD COLUMN simplified TEXT")
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if not existing:
                conn.executescript(_SCHEMA)
                archive._write_meta({"schema_version": SCHEMA_VERSION, "created": time.time(), **identity})
        except sqlite3.Error as err:
            archive.close()
            raise MlevError(f"cannot write archive: {err}", file=str(p)) from None
        return archive

    @classmethod
    def read(cls, path: str | Path) -> Archive:
        """Open an archive read-only (it may be being written by a run)."""
        p = Path(path)
        if not p.is_file():
            raise MlevError("no such archive", file=str(p), hint="pass the --db path of a run")
        try:
            conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, isolation_level=None)
        except sqlite3.Error as err:
            raise MlevError(f"cannot open archive: {err}", file=str(p)) from None
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as err:
            conn.close()
            raise _bad_file(p, err) from None
        if not {"meta", "candidates"} <= tables:
            conn.close()
            raise _bad_file(p, ValueError("no mlevolve tables"))
        return cls(p, conn, None)

    def close(self) -> None:
        self.conn.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta -------------------------------------------------------------------------------------
    def _write_meta(self, values: Mapping[str, Any]) -> None:
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                  [(k, json.dumps(v)) for k, v in values.items()])

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    def set_meta(self, key: str, value: Any) -> None:
        self._write_meta({key: value})

    def _check_identity(self, identity: Mapping[str, Any]) -> None:
        stored = self.meta()
        if stored.get("schema_version") != SCHEMA_VERSION:
            self.close()
            raise MlevError(f"archive schema {stored.get('schema_version')} is not {SCHEMA_VERSION}",
                            file=str(self.path), hint="use a new --db path")
        for key in ("program_hash", "task", "evolve"):
            if stored.get(key) != identity.get(key):
                self.close()
                raise MlevError(
                    f"archive belongs to another run: program {stored.get('program_name')!r} "
                    f"(evolving {', '.join(stored.get('evolve') or [])}) on task {stored.get('task')!r}",
                    file=str(self.path), hint="pass another --db to start a new run")
        differ = [k for k, v in identity.items() if stored.get(k) != v]
        if differ:
            self.close()
            detail = "; ".join(f"{k}: archive has {stored.get(k)!r}, now {identity[k]!r}" for k in differ[:3])
            raise MlevError(f"archive was made with other settings ({detail})", file=str(self.path),
                            hint="rerun with the archive's settings to resume, or pass another --db")

    # -- candidates -------------------------------------------------------------------------------
    def _has_simplified(self) -> bool:
        return any(r[1] == "simplified" for r in self.conn.execute("PRAGMA table_info(candidates)"))

    def _select(self) -> str:
        """The column list of a query; an archive made before ``simplified`` reads NULL for it."""
        if self._columns is None:
            self._columns = ", ".join(
                c if c != "simplified" or self._has_simplified() else "NULL AS simplified" for c in _COLUMNS)
        return self._columns

    def add(self, row: Row) -> None:
        """Store one candidate; committed before returning."""
        fitness = row.fitness if row.fitness is not None and math.isfinite(row.fitness) else None
        values = (row.seq, row.hash, row.program, fitness, json.dumps(row.metrics), row.failure, row.failure_where,
                  row.source, row.fingerprint, row.operator, json.dumps(list(row.parents)), row.generation,
                  row.size, row.seconds, row.created, row.simplified)
        try:
            self.conn.execute(f"INSERT INTO candidates VALUES ({', '.join('?' * len(values))})", values)
        except sqlite3.IntegrityError:
            raise MlevError(f"candidate #{row.seq} is already in the archive", file=str(self.path)) from None

    def rows(self) -> Iterator[Row]:
        """Every candidate in sequence order."""
        cursor = self.conn.execute(f"SELECT {self._select()} FROM candidates ORDER BY seq")
        for values in cursor:
            yield _row(values)

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM candidates").fetchone()[0])

    def best(self, n: int = 5) -> list[Row]:
        """The ``n`` fittest distinct programs (by hash), best first; ties go to the earliest."""
        query = (f"SELECT {self._select()} FROM candidates WHERE fitness IS NOT NULL "
                 "AND seq IN (SELECT MIN(seq) FROM candidates GROUP BY hash) ORDER BY fitness DESC, seq LIMIT ?")
        return [_row(v) for v in self.conn.execute(query, (n,))]

    def get(self, key: str) -> Row | None:
        """A candidate by hash (or a unique prefix of one), its first occurrence; None if no hash
        starts with ``key``.  A prefix that several programs share is an :class:`MlevError`."""
        prefix = key.strip().lower()
        if not prefix:
            raise MlevError("empty hash", file=str(self.path), hint="`mlevolve best DB` lists the hashes")
        # substr, not LIKE: '%' and '_' in a key are characters, not wildcards
        matches = [h for (h,) in self.conn.execute(
            "SELECT DISTINCT hash FROM candidates WHERE substr(hash, 1, ?) = ? LIMIT 3", (len(prefix), prefix))]
        if len(matches) > 1:
            shown = ", ".join(h[:12] for h in matches[:2]) + (", ..." if len(matches) > 2 else "")
            raise MlevError(f"hash prefix {key!r} is ambiguous: it starts {shown}", file=str(self.path),
                            hint="give more of the hash")
        if not matches:
            return None
        cursor = self.conn.execute(f"SELECT {self._select()} FROM candidates WHERE hash = ? "
                                   "ORDER BY seq LIMIT 1", (matches[0],))
        values = cursor.fetchone()
        return None if values is None else _row(values)


def default_path(program: str, task: str) -> Path:
    """``runs/<program>-<task>.db``, the task reduced to a file-name-safe stem."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(task.split(":")[0]).stem)
    return Path(os.environ.get("MLEVOLVE_RUNS", "runs")) / f"{program}-{stem}.db"
