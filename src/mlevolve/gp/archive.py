"""The run archive: one SQLite file holding a run's identity and every candidate it considered.

Each candidate is a row: its sequence number, canonical program
text and hash, fitness and metrics or failure, how it was scored (evaluated, cache, fec, hurdle,
probe), the operator and parents that made it, its generation, size and time.  The ``meta`` table
holds what identifies the run (program, task, slots, seed, algorithm settings, grammar digest).

Rows are committed in batches: a batch is committed when it holds :data:`BATCH_ROWS` rows, when
:data:`BATCH_SECONDS` have passed since its first row, when a row took that long to score itself,
before meta is written and on close; so a cheap candidate costs a tuple in a list, not a
transaction (a batch's rows are inserted together, by one ``executemany``, when it is committed
or read), and an uncommitted batch is at most :data:`BATCH_ROWS` cheap candidates.  WAL journaling
makes each commit durable against SIGKILL and lets readers (``mlevolve best``, a report) look
while a run writes; a SIGKILL loses at most the uncommitted batch, which a resumed run scores
again (deterministically: resume replays the run from its seed).  One writer at a time: the file
is locked with ``flock``.  Programs are stored as text, never pickled.

Every access goes through :func:`guard`, which turns a storage failure (``sqlite3.Error``,
``OSError``, an unreadable stored value) into one :class:`MlevError` naming the file and saying
what happened: damaged, not an archive, read-only, disk full, or an I/O error.  A run opening an
existing archive first runs SQLite's ``PRAGMA quick_check``, so damage anywhere in the file is
found before anything is replayed or written.  A failed write leaves the archive as it was at the
last commit, so the same command resumes it.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import fcntl
import json
import json.encoder
import math
import os
import shlex
import sqlite3
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from mlevolve.dsl.errors import (
    DATA_SUFFIXES,
    KIND_USE,
    SQLITE,
    MlevError,
    SettingError,
    closest,
    data_task,
    file_kind,
)
from mlevolve.interpreter.standalone.spec import split_spec
from mlevolve.messages import listed
from mlevolve.results import counted_source, shown_order, shown_scale, tied

SCHEMA_VERSION = 1
BATCH_ROWS = 256  # candidate rows per commit at most (64 before: 23 µs CPU a row stored, 16 at 256)
BATCH_SECONDS = 0.25  # the longest an added row waits for its commit
# The version of what a candidate's score means (task data, training, metrics, fitness).  It is part
# of every run's identity, so an archive scored under other rules is refused rather than resumed
# with old scores mixed into new ones.  Bump it with any change that alters the score of a program.
SCORING_VERSION = 13  # 3: formula literals tuned by automatic-differentiation Jacobians (fit.py); 4: finite-difference
# columns where those fail, and a constant formula scaled to the target mean (fit.py); 5: fitted chains of literals
# folded (simplify.REASSOCIATION) and the folded program scored, non-finite starts restarted (fit.restarts); 6: the
# simplifier's x + x -> 2.0 * x (a literal a fit tunes) and min(x, x - c) -> x - c (simplify.RULES, stop 26); 7: the
# simplifier keeps a zero's sign (x + 0.0 no longer x), moves a negated factor's sign (a + -c * f -> a - c * f) and
# folds powers of two (c * (2.0 * x)); a fitted formula's fold gathers a lone literal of a product; an unfitted
# run's new candidates have their chains of literals folded (Engine._folded) (show28); 8: learner literal tuning
# makes further sweeps while one improved (fit.LearnerTuning.sweeps), and a formula's existing scaling is found in
# every spelling (fit.split_scaling: b * f - a, a - b * f, ...; its literals are the scaling's, not tuned) (fit31); 9:
# a tuned learner run carries each candidate's tuned program into the search (Engine._carried): no score changes, but
# an archive's candidates after the first tuned one are other programs, so an older archive cannot be replayed (fit32)
# 10: learner literal tuning takes a value only a factor 2 inside the edge of stability (fit.LearnerTuning.margin,
# fit._inside_edge: one more training run per value checked) (fit34); 11: a negative learning rate from a schedule,
# where the update rule takes lr, fails the candidate (it trained by ascent: stop 47); 12: a float32 body's cache key
# folds its constants in float32 (memo.cache_key): two programs float64 folding made one are scored apart (stop 53);
# 13: a policy-gradient objective's entropy term is differentiated in the probe as in training (probes.py), so a
# program whose only gradient is the entropy's is scored, not failed; a schedule's infinite rate fails (stop 55)
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


def _make_dumps() -> Callable[[Any], str]:
    """``json.dumps`` with its default settings, made once: ``json.dumps`` builds its C encoder anew
    at every call (half its cost on a row's small metrics dict and parents list).  The same text for
    every value ``json.dumps`` accepts (no circular check: a row's metrics and parents are numbers and
    strings); ``json.dumps`` itself where the C encoder is missing."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    encoder = make(None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None,
                   ": ", ", ", False, False, True)

    def dumps(value: Any) -> str:
        return "".join(encoder(value, 0))
    return dumps


_dumps = _make_dumps()


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


_INSERT = f"INSERT INTO candidates VALUES ({', '.join('?' * len(_COLUMNS))})"


def _row(values: tuple[Any, ...]) -> Row:
    d = dict(zip(_COLUMNS, values, strict=True))
    d["metrics"] = json.loads(d["metrics"])
    d["parents"] = tuple(json.loads(d["parents"]))
    d["source"] = counted_source(d["source"], d["fitness"] is None)  # an older archive's failures in the hurdle
    return Row(**d)


def _damaged(path: Path, problems: list[str], then: str) -> MlevError:
    """The one-line refusal of an archive whose SQLite ``quick_check`` found ``problems``."""
    lines = [line for text in problems for line in text.splitlines() if not line.startswith("***")]
    return MlevError(f"archive is damaged (SQLite quick_check: {'; '.join(lines[:2])})", file=str(path),
                     hint=f"the file is corrupt and {then}")


# What a reader (best, show, report, export DB) is told to pass instead of a file it cannot read as an
# archive; a run is told to pass a new --db path (it starts a new archive there).
_A_RUNS_ARCHIVE = "pass a run's archive (the DB file that `mlevolve evolve --db DB` writes; runs/*.db by default)"


def _bad_file(path: Path, err: Exception, reading: bool = False) -> MlevError:
    """The refusal of a file that is not an mlevolve archive (another kind of file, or not a database); a
    program, grammar file or meta configuration is named as one, with how it is used (every command alike)."""
    kind = file_kind(path)
    if kind is not None and kind != SQLITE:  # a database that is none of ours: said below
        q = shlex.quote(str(path))
        use = f"mlevolve check {q} or mlevolve run {q}" if kind == "a .mlev program" else KIND_USE[kind]
        return MlevError(f"not an mlevolve archive: this is {kind}", file=str(path),
                         hint=f"{use}; {_A_RUNS_ARCHIVE if reading else 'pass a new --db path'}")
    if path.suffix.lower() in DATA_SUFFIXES:  # as api.read_source says it of a program
        return MlevError("not an mlevolve archive: this is a data file", file=str(path),
                         hint=f"a data file is a task: mlevolve evolve PROGRAM.mlev --task {data_task(path)}; "
                              + (_A_RUNS_ARCHIVE if reading else "pass a new --db path"))
    return MlevError(f"not an mlevolve archive ({err})", file=str(path),
                     hint=f"it is another kind of file, or a corrupt one: {_A_RUNS_ARCHIVE}" if reading
                     else "the file is corrupt or another kind of file; pass a new --db path")


def _read_only(path: Path) -> bool:
    """Whether SQLite could not write ``path`` or create its journal files beside it."""
    folder = path.parent if str(path.parent) else Path(".")
    return (path.exists() and not os.access(path, os.W_OK)) or not os.access(folder, os.W_OK)


def storage_error(path: Path, err: Exception, action: str = "access", reading: bool = False) -> MlevError:
    """The one-line error for a storage failure ``err`` while doing ``action`` to archive ``path``;
    ``reading``: for a command that only reads it (its hints say so: no new path starts anything)."""
    name = getattr(err, "sqlite_errorname", "") or ""
    code = err.errno if isinstance(err, OSError) else None
    if name.startswith("SQLITE_FULL") or code in (errno.ENOSPC, errno.EDQUOT):
        return MlevError(f"disk full: cannot {action} the archive ({err})", file=str(path),
                         hint="free some space and rerun the same command: the candidates stored so far are kept "
                              "and the run resumes")
    if name.startswith("SQLITE_READONLY") or code in (errno.EROFS, errno.EACCES, errno.EPERM) or (
            name.startswith("SQLITE_CANTOPEN") and _read_only(path)):
        return MlevError(f"archive is read-only: cannot {action} it ({err})", file=str(path),
                         hint="SQLite writes the file and a journal beside it: make the folder writable, or copy "
                              "the archive into a writable folder and pass that --db")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or isinstance(err, ValueError):
        return MlevError(f"archive is damaged: {err}", file=str(path),
                         hint="the file is corrupt and cannot be read reliably; rerun the run with a new --db path"
                         if reading else "the file is corrupt; pass a new --db path to start again")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return MlevError(f"archive is busy: {err}", file=str(path), hint="another program holds it; try again")
    if name.startswith("SQLITE_ERROR") and "no such" in str(err):
        return _bad_file(path, err, reading)
    if code == errno.EISDIR:
        return MlevError(f"cannot {action} archive: it is a folder", file=str(path),
                         hint=_A_RUNS_ARCHIVE if reading else "pass the path of an archive file (a new path starts "
                         "a new run)")
    detail = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    return MlevError(f"cannot {action} archive: {detail}", file=str(path),
                     hint="a storage error: check the disk and the file, then rerun the same command")


def _open_error(path: Path, err: Exception, action: str, reading: bool = False) -> MlevError:
    """The error for a file SQLite could not open as a database: not one at all (or no more than
    its header), or a damaged one, or a storage failure."""
    name = getattr(err, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_NOTADB") or (name.startswith("SQLITE_CORRUPT") and path.stat().st_size <= 512):
        return _bad_file(path, err, reading)
    return storage_error(path, err, action, reading)


@contextmanager
def guard(path: Path, action: str = "access", reading: bool = False) -> Iterator[None]:
    """Run a block of archive access, turning storage failures into :func:`storage_error`'s
    :class:`MlevError`.  JSON that does not decode counts as damage (``ValueError``)."""
    try:
        yield
    except MlevError:
        raise
    except (sqlite3.Error, OSError, ValueError) as err:
        raise storage_error(path, err, action, reading) from None


class Archive:
    """An open archive.  Use :meth:`for_run` to write a run, :meth:`read` to inspect one."""

    def __init__(self, path: Path, conn: sqlite3.Connection, lock: IO[bytes] | None) -> None:
        self.path = path
        self.conn = conn
        self._lock = lock
        self._columns: str | None = None  # the SELECT list, once known (see _select)
        self._batch = 0  # rows added since the last commit
        self._batch_started = 0.0  # time.monotonic() of the batch's first row
        self._pending: list[tuple[Any, ...]] = []  # the batch's rows not yet inserted (see _insert_pending)
        self._pending_seqs: set[int] = set()
        self._open = False  # whether the open transaction is this archive's batch (not a caller's own)
        self._reading = lock is None  # opened by read(): errors hint at a run's archive, not a new path
        self.created = False  # made by this process's for_run: a run that ends holding no candidate removes it

    # -- opening ----------------------------------------------------------------------------------
    @classmethod
    def for_run(cls, path: str | Path, identity: Mapping[str, Any], settings: Collection[str] = ()) -> Archive:
        """Open (creating if new) the archive of the run ``identity`` describes, locked for writing.

        An existing archive must pass SQLite's ``quick_check`` and have been made by the same run
        (``identity`` equal on every key); otherwise nothing is touched and an :class:`MlevError`
        says what differs (the keys in ``settings``, the caller's parameters, as a :class:`SettingError` names them:
        the command line's flags).  Storage failures are :class:`MlevError` too (see :func:`guard`).
        """
        p = Path(path)
        new = not p.exists()
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            lock = open(p, "ab")  # noqa: SIM115 - held open for the life of the archive
        except OSError as err:
            raise storage_error(p, err, "open" if p.exists() else "create") from None
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise MlevError("archive is locked: another mlevolve run is writing it", file=str(p),
                            hint="wait for that run, or pass another --db") from None
        try:
            archive = cls._locked(p, lock, identity, settings)
            archive.created = new
            return archive
        except BaseException:  # a stop (Ctrl-C) or an error before the schema was written: a run that "saved nothing"
            if new and p.is_file() and p.stat().st_size == 0:  # leaves no empty file, which readers call no archive
                p.unlink(missing_ok=True)
            raise

    @classmethod
    def _locked(cls, p: Path, lock: IO[bytes], identity: Mapping[str, Any], settings: Collection[str]) -> Archive:
        """:meth:`for_run`'s work once ``lock`` (the file ``p``, open for appending) holds its lock."""
        conn: sqlite3.Connection | None = None
        try:  # only reads until the file is known to be this run's archive (or new): a refusal writes nothing
            conn = sqlite3.connect(p, isolation_level=None)
            existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")] if existing else ["ok"]
        except (sqlite3.Error, OSError) as err:
            if conn is not None:
                conn.close()
            lock.close()
            raise _open_error(p, err, "open") from None
        archive = cls(p, conn, lock)
        if existing and ("meta" not in existing or "candidates" not in existing):
            archive.close()
            raise _bad_file(p, ValueError("no mlevolve tables"))
        if problems != ["ok"]:
            archive.close()
            raise _damaged(p, problems, "cannot be resumed; pass a new --db path to start again")
        # An archive of this version (schema and scoring) that holds no candidate (a run stopped before its first
        # was saved) holds nothing a run could resume: it is made anew for this run, not refused for another's settings.
        try:
            stored = archive.meta() if existing else {}
            made = not existing or (stored.get("schema_version") == SCHEMA_VERSION  # this version's
                                    and stored.get("scoring") == identity.get("scoring") and archive.count() == 0)
        except MlevError:
            archive.close()
            raise
        if existing and not made and (refusal := _refusal(stored, identity, settings)) is not None:
            archive.close()
            refusal.file = str(p)
            raise refusal
        if existing and not archive._has_simplified():  # an archive made before the column: add it (NULL in old rows)
            conn.execute("ALTER TABLE candidates ADD COLUMN simplified TEXT")
        try:
            with archive.guard("write"):
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                if made:
                    conn.executescript(_SCHEMA)
                    conn.execute("DELETE FROM meta")
                    archive._write_meta({"schema_version": SCHEMA_VERSION, "created": time.time(), **identity})
        except MlevError:
            archive.close()
            raise
        return archive

    @classmethod
    def read(cls, path: str | Path) -> Archive:
        """Open an archive read-only (it may be being written by a run).

        An archive in a folder nobody may write is opened as immutable when no run has left a
        journal beside it (SQLite could not create the shared-memory file a WAL reader needs).
        """
        p = Path(path)
        if p.is_dir():
            raise storage_error(p, IsADirectoryError(errno.EISDIR, "Is a directory"), "open", reading=True)
        if "\n" in str(path) and not p.exists():  # text given where an archive's path is read: no place to name
            raise MlevError("this is text, not the path of a run's archive", hint=_archive_hint(p))
        if str(path) == "-" and not p.exists():  # as the text files' reader says it (dsl.errors.read_bytes)
            raise MlevError("a run's archive is read from a file, not from standard input ('-')",
                            hint=_A_RUNS_ARCHIVE)
        if not p.is_file():
            raise MlevError("no such archive" if not p.exists() else "not an archive: not a file", file=str(p),
                            hint=_archive_hint(p))
        wal = p.with_name(p.name + "-wal")
        immutable = _read_only(p) and not wal.exists()
        try:
            conn = sqlite3.connect(f"file:{p}?mode=ro{'&immutable=1' if immutable else ''}", uri=True,
                                   isolation_level=None)
        except sqlite3.Error as err:
            raise storage_error(p, err, "open", reading=True) from None
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except (sqlite3.Error, OSError) as err:
            conn.close()
            raise _open_error(p, err, "read", reading=True) from None
        if not {"meta", "candidates"} <= tables:
            conn.close()
            raise _bad_file(p, ValueError("no mlevolve tables"), reading=True)
        try:  # every reader that answers from an archive refuses a damaged one, as a run does
            problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        except (sqlite3.Error, OSError) as err:
            conn.close()
            raise _open_error(p, err, "read", reading=True) from None
        if problems != ["ok"]:
            conn.close()
            raise _damaged(p, problems, "cannot be read reliably; rerun the run with a new --db path")
        return cls(p, conn, None)

    def guard(self, action: str = "access") -> AbstractContextManager[None]:
        """A context in which storage failures on this archive become one :class:`MlevError`."""
        return guard(self.path, action, self._reading)

    def close(self) -> None:
        """Commit the pending batch and close (a failed commit leaves the archive as it was at the
        last commit, and still closes).  A run's archive at rest is one file: its write-ahead log is
        folded in (``journal_mode=DELETE``), so readers, which cannot remove the log and shared-memory
        files a WAL database makes them open, leave none behind; the next run turns WAL on again."""
        try:
            self.flush()
            if self._lock is not None:
                with contextlib.suppress(sqlite3.OperationalError):  # a reader still has it open: stays WAL
                    self.conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            with self.guard("close"):
                self.conn.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        """Close; where the block raised (a stop: Ctrl-C, SIGTERM; an error) before any candidate was saved in an
        archive this process created, remove it: a file that looks like a run but holds nothing to resume or show
        (one that existed before is never removed)."""
        empty = False
        if kind is not None and self.created:
            with contextlib.suppress(MlevError):  # unreadable: left as it is
                empty = self.count() == 0
        self.close()
        if empty:
            for leftover in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.path}{leftover}").unlink(missing_ok=True)

    # -- meta -------------------------------------------------------------------------------------
    def _write_meta(self, values: Mapping[str, Any]) -> None:
        self.flush()
        with self.guard("write"), self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                  [(k, json.dumps(v)) for k, v in values.items()])

    def meta(self) -> dict[str, Any]:
        with self.guard("read"):
            return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    def set_meta(self, key: str, value: Any) -> None:
        self._write_meta({key: value})

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
        """Store one candidate, in the open batch: committed with the batch's last row (see the
        module docstring), or by :meth:`flush`; a read of this archive sees it at once.  Inside a
        transaction of the caller's own (``conn.execute("BEGIN")``) the row is inserted in it at once.
        A candidate number stored already is an :class:`MlevError` (found here, or, for one of an
        earlier batch, when the batch is inserted: the batch's other rows are kept)."""
        self.store(row.seq, row.hash, row.program, row.fitness, row.metrics, row.failure, row.failure_where,
                   row.source, row.fingerprint, row.operator, row.parents, row.generation, row.size, row.seconds,
                   row.created, row.simplified)

    def store(self, seq: int, hash: str, program: str, fitness: float | None, metrics: Mapping[str, Any],
              failure: str | None, failure_where: str | None, source: str, fingerprint: str | None,
              operator: str, parents: Sequence[str], generation: int, size: int, seconds: float,
              created: float, simplified: str | None) -> None:
        """:meth:`add` of the :class:`Row` of these fields (in its order), without building the row:
        the run record's per-candidate write (a frozen dataclass of 16 fields costs ≈ 6 µs to make)."""
        if fitness is not None and not math.isfinite(fitness):
            fitness = None
        values = (seq, hash, program, fitness, _dumps(metrics), failure, failure_where, source, fingerprint,
                  operator, _dumps(parents), generation, size, seconds, created, simplified)
        if seq in self._pending_seqs:
            raise MlevError(f"candidate #{seq} is already in the archive", file=str(self.path))
        if not self._pending and not self._open:
            self._batch, self._batch_started = 0, time.monotonic()
        self._pending.append(values)
        self._pending_seqs.add(seq)
        self._batch += 1
        if self.conn.in_transaction and not self._open:  # the caller's transaction: the row goes in it now
            self._insert_pending()
        elif self._batch >= BATCH_ROWS or seconds >= BATCH_SECONDS or \
                time.monotonic() - self._batch_started >= BATCH_SECONDS:
            self.flush()

    def _insert_pending(self) -> None:
        """Insert the batch's pending rows (one ``executemany``) into the open transaction (this
        archive's batch, begun here if none is open), uncommitted.  A row whose number is stored
        already is refused (:class:`MlevError`, after the others are inserted)."""
        rows = self._pending
        if not rows:
            return
        self._pending, self._pending_seqs = [], set()
        try:  # what guard("write") does, inline (once per batch, but also before every read)
            if not self.conn.in_transaction:
                self.conn.execute("BEGIN")
                self._open = True
            try:
                self.conn.execute("SAVEPOINT batch")
                try:
                    self.conn.executemany(_INSERT, rows)
                except sqlite3.IntegrityError:  # a number stored already: the others, one at a time
                    self.conn.execute("ROLLBACK TO batch")
                    self.conn.execute("RELEASE batch")
                    self._insert_each(rows)
                else:
                    self.conn.execute("RELEASE batch")
            except MlevError:
                raise
            except BaseException:
                self._rollback()
                raise
        except MlevError:
            raise
        except (sqlite3.Error, OSError, ValueError) as err:
            raise storage_error(self.path, err, "write") from None

    def _insert_each(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` one by one, then refuse the first whose number was stored already."""
        taken: list[int] = []
        for values in rows:
            try:
                self.conn.execute(_INSERT, values)
            except sqlite3.IntegrityError:
                taken.append(values[0])
        if taken:
            raise MlevError(f"candidate #{taken[0]} is already in the archive", file=str(self.path))

    def flush(self) -> None:
        """Commit the rows added since the last commit (nothing to do if there are none).  A failed
        commit rolls the batch back (the archive stays as it was at the last commit) and raises the
        storage error."""
        if not self._pending and self._batch == 0 and not self.conn.in_transaction:
            return
        try:
            self._insert_pending()
        finally:  # a refused row (MlevError) leaves the batch's other rows inserted: commit them
            with self.guard("write"):
                try:
                    if self.conn.in_transaction:
                        self.conn.execute("COMMIT")
                except BaseException:
                    self._rollback()
                    raise
            self._batch, self._open = 0, False

    def _rollback(self) -> None:
        self._batch, self._open = 0, False
        self._pending, self._pending_seqs = [], set()
        with contextlib.suppress(sqlite3.Error):
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    def rows(self) -> Iterator[Row]:
        """Every candidate in sequence order."""
        self._insert_pending()  # this connection reads the open batch too
        with self.guard("read"):
            cursor = self.conn.execute(f"SELECT {self._select()} FROM candidates ORDER BY seq")
            for values in cursor:
                yield _row(values)

    def count(self) -> int:
        self._insert_pending()  # this connection reads the open batch too
        with self.guard("read"):
            return int(self.conn.execute("SELECT COUNT(*) FROM candidates").fetchone()[0])

    def best(self, n: int = 5) -> list[Row]:
        """The ``n`` best distinct programs (by hash, each its first occurrence), best first, in the
        order every command shows them (:func:`mlevolve.results.shown_order`): ranked by fitness, ties to
        the earliest, and among programs whose fitnesses tie within float rounding, the smallest first."""
        query = (f"SELECT {self._select()} FROM candidates WHERE fitness IS NOT NULL "
                 "AND seq IN (SELECT MIN(seq) FROM candidates GROUP BY hash) ORDER BY fitness DESC, seq")
        self._insert_pending()  # this connection reads the open batch too
        rows: list[Row] = []
        with self.guard("read"):
            anchor, scale = math.nan, 0.0
            for values in self.conn.execute(query):  # up to n, and the rest of the n-th's run of ties
                row = _row(values)
                assert row.fitness is not None
                if not rows or not tied(row.fitness, anchor, scale):
                    if len(rows) >= n:
                        break
                    anchor, scale = row.fitness, shown_scale(row.metrics)
                rows.append(row)
        return shown_order(rows, lambda r: r.fitness or 0.0, lambda r: r.size, lambda r: shown_scale(r.metrics))[:n]

    def get(self, key: str) -> Row | None:
        """A candidate by hash (or a unique prefix of one), its first occurrence; None if no hash
        starts with ``key``.  A prefix that several programs share is an :class:`MlevError`."""
        prefix = key.strip().lower()
        if not prefix:
            raise MlevError("empty hash", file=str(self.path), hint="`mlevolve best DB` lists the hashes")
        self._insert_pending()  # this connection reads the open batch too
        with self.guard("read"):
            # substr, not LIKE: '%' and '_' in a key are characters, not wildcards
            matches = [h for (h,) in self.conn.execute(
                "SELECT DISTINCT hash FROM candidates WHERE substr(hash, 1, ?) = ? LIMIT 3", (len(prefix), prefix))]
        self._refuse_number(prefix, matches)
        if len(matches) > 1:
            raise MlevError(f"hash prefix {key!r} is ambiguous: it starts {', '.join(_shown(matches))}",
                            file=str(self.path), hint="give more of the hash")
        if not matches:
            return None
        with self.guard("read"):
            cursor = self.conn.execute(f"SELECT {self._select()} FROM candidates WHERE hash = ? "
                                       "ORDER BY seq LIMIT 1", (matches[0],))
            values = cursor.fetchone()
            return None if values is None else _row(values)

    def _refuse_number(self, prefix: str, matches: list[str]) -> None:
        """Refuse a candidate's number given for a hash where it names another program or none (every listing says
        "candidate 125": ``show DB 125`` showed candidate 1143, whose hash starts 125, or said "no program with hash
        '125'"): the message names the candidate's hash."""
        if not prefix.isdecimal() or prefix != str(int(prefix)) or len(prefix) > 12:  # 0123: a hash's start
            return
        with self.guard("read"):
            numbered = self.conn.execute("SELECT hash FROM candidates WHERE seq = ?", (int(prefix),)).fetchone()
        if numbered is None or matches == [numbered[0]]:
            return
        seq, numbered_hash = int(prefix), numbered[0][:12]
        row = "inner run" if self.meta().get("kind") == "meta" else "candidate"  # as best lists a meta archive's
        a = "an" if row[0] in "aeiou" else "a"
        starts = f"the {listed('hash', _shown(matches), 'hashes')}"
        message = f"{prefix!r} starts {starts} and is {row} {seq}'s number (its hash is {numbered_hash})" \
            if matches else f"{prefix!r} is {a} {row}'s number, not a hash: {row} {seq}'s hash is {numbered_hash}"
        other = f"{matches[0][:12]} for the program whose hash starts {prefix}" if len(matches) == 1 else \
            f"more of the hash for a program whose hash starts {prefix}"
        raise MlevError(message, file=str(self.path), hint=f"give {numbered_hash} for {row} {seq}" +
                        (f", or {other}: neither is guessed" if matches else
                         f"; a hash (or a unique prefix of one), not {a} {row}'s number, names a program"))


def _shown(hashes: list[str]) -> list[str]:
    """The first two of ``hashes`` (as :meth:`Archive.get` fetched at most three) by their 12 first digits, then
    ``...`` where there are more."""
    return [h[:12] for h in hashes[:2]] + ["..."] * (len(hashes) > 2)


def _same_data_file_task(stored: Mapping[str, Any], identity: Mapping[str, Any]) -> bool:
    """Whether both runs are on a data file (each has its content digest) with the same options: the
    file may be named by another path (relative from another folder, or absolute); whether it holds
    the same data is the digest's check, made next."""
    specs = stored.get("task"), identity.get("task")
    if not (stored.get("data_sha256") and identity.get("data_sha256")) or not all(isinstance(t, str) for t in specs):
        return False
    return split_spec(str(specs[0]))[1] == split_spec(str(specs[1]))[1]


# Settings a run's identity holds as a label, not as typed (a grammar's `name:digest`): never offered to type again.
LABELLED = frozenset({"grammar"})

# Settings a run's identity leaves out at these values (EvolveConfig.identity), so that archives made before the
# setting existed keep their identity: an archive or a run without one has it at this value.
LEFT_OUT_AT: dict[str, Any] = {"bandit": False, "restart_every": 0}


def refusal(path: str | Path, identity: Mapping[str, Any]) -> MlevError | None:
    """Why the archive at ``path`` (read, not locked or written) is not the run ``identity`` (the error
    :meth:`Archive.for_run` would raise), or None where it would open it as that run's."""
    with Archive.read(path) as archive:
        return _refusal(archive.meta(), identity)


def _refusal(stored: Mapping[str, Any], identity: Mapping[str, Any], settings: Collection[str] = ()
             ) -> MlevError | None:
    """Why an archive whose meta is ``stored`` is not the run ``identity`` (the error to raise), or None.

    Checked in order: the kind of run (an evolve run's or a meta run's), the schema, the scoring version, the
    program, task and evolved slots, the data file's content (``data_sha256``), then every other setting, as a
    :class:`SettingError` that names those in ``settings`` as the caller names its parameters (the command line: by
    their flags).
    """
    new_db = "pass another --db to start a new run (the old archive stays readable by best, show and report)"
    if (stored.get("kind") == "meta") != (identity.get("kind") == "meta") and stored.get("program_hash"):
        made, this = ("a meta run's (`mlevolve meta`)", "an evolve run") if stored.get("kind") == "meta" else \
            ("an evolve run's", "a meta run (`mlevolve meta`)")
        return MlevError(f"the archive is {made}; this is {this}, which keeps an archive of its own", hint=new_db)
    if stored.get("schema_version") != SCHEMA_VERSION:
        return MlevError(f"archive schema {stored.get('schema_version')} is not {SCHEMA_VERSION}",
                         hint="use a new --db path")
    if "scoring" in identity and stored.get("scoring") != identity["scoring"]:
        return MlevError(f"archive was scored by another version of mlevolve (scoring version "
                         f"{stored.get('scoring')}, this one is {identity['scoring']}): its scores cannot be mixed "
                         "with new ones", hint=new_db)
    for key in ("program_hash", "task", "evolve"):
        if stored.get(key) != identity.get(key) and not (key == "task" and _same_data_file_task(stored, identity)):
            return MlevError(f"archive belongs to another run: program {stored.get('program_name')!r} "
                             f"(evolving {', '.join(stored.get('evolve') or [])}) on task {stored.get('task')!r}; "
                             f"{_identity_diff(key, stored, identity)}", hint="pass another --db to start a new run" +
                             (" (each set of evolved definitions keeps an archive of its own: without --db, a run of "
                              "some definitions has a default archive named after them)" if key == "evolve" else ""))
    if changed := _data_changed(stored, identity):
        return MlevError(f"the data of {changed} changed since the archive was made",
                         hint="restore the data file to resume, or " + new_db)
    same_file = _same_data_file_task(stored, identity)
    was, now = {**LEFT_OUT_AT, **stored}, {**LEFT_OUT_AT, **identity}
    was_drawn = _drawn(was)
    differ = [k for k, v in _drawn(now).items() if _setting(k, was_drawn.get(k)) != _setting(k, v)
              and not (k == "task" and same_file) and k != "data_sha256"]  # its files: checked above
    if "algorithm" in differ:  # it decides what the rest mean (which are read, how a tournament draws): said alone
        differ = ["algorithm"]
    if "population" in differ and "tournament" in differ and was.get("tournament") == now.get("tournament"):
        # the same tournament drawing from another population: the population says it all, and the estimator, whose
        # tournament is no parameter, was told to rerun with "population 100 tournament 10"
        differ.remove("tournament")
    if differ:
        def setting(k: str, text: str = "") -> str:  # a template: a setting of the caller's as ``{k}``, the rest as is
            text = (text or k).replace("{", "{{").replace("}", "}}")
            return "{" + k + "}" + text[len(k):] if k in settings and text.startswith(k) else text

        detail = "; ".join(setting(k, f"tournament: archive has {_tournament(was)}, now {_tournament(now)}"
                                   if k == "tournament" else _setting_diff(k, was.get(k), now[k])) for k in differ[:3])
        more = f"; and {len(differ) - 3:,} more: {', '.join(map(setting, differ[3:]))}" if len(differ) > 3 else ""
        typed = [k for k in differ if k in settings and k not in LABELLED and isinstance(was.get(k), int | float | str)]
        again = " ".join(f"{{{k}}}" + ("" if isinstance(was[k], bool) else  # a switch typed: --no-fit (switches)
                                       " " + shlex.quote(str(was[k])).replace("{", "{{").replace("}", "}}"))
                         for k in typed) if typed == differ else "the archive's settings"  # as typed: `--seed 3`
        refused = SettingError(f"archive was made with other settings ({detail}{more})",  # each named, at least
                               hint=f"rerun with {again} to resume, or pass another " +
                                    ("{db}" if "db" in settings else "--db"))
        refused.positive = True  # a switch by its own name, whose value is said: `--fit: archive has on, now off`
        refused.switches = {k: was[k] for k in typed if isinstance(was[k], bool)}
        refused.rename(lambda name: name)
        return refused
    return None


def _data_changed(stored: Mapping[str, Any], identity: Mapping[str, Any]) -> str:
    """Which tasks' data files changed, each by its task, its file's absolute path and both short digests (``task
    'xy.csv:target=y' (file /tmp/xy.csv: SHA-256 0a1b2c3d4e5f then, 6a7b8c9d0e1f now)``), or "" where none did.

    An evolve run's ``data_sha256`` is its one file's digest; a meta run's, a table of its data tasks' digests by task
    spec: a task in one table only is another split (said by the settings' check), not changed data."""
    was, now = stored.get("data_sha256"), identity.get("data_sha256")
    if isinstance(was, Mapping) or isinstance(now, Mapping):
        was, now = was if isinstance(was, Mapping) else {}, now if isinstance(now, Mapping) else {}
        pairs = [(str(t), was[t], now[t]) for t in now if t in was and was[t] != now[t]]
    elif was != now:
        pairs = [(str(identity.get("task")), was, now)]
    else:
        return ""

    def said(spec: str, old: Any, new: Any) -> str:
        name = split_spec(spec)[0]
        path = str(Path(name).absolute())
        digests = f"SHA-256 {str(old)[:12] if old else 'none'} then, {str(new)[:12] if new else 'none'} now"
        return f"task {spec!r} ({'file ' + path + ': ' if path != name else ''}{digests})"

    return ", ".join(said(*pair) for pair in pairs)


def _drawn(settings: Mapping[str, Any]) -> Mapping[str, Any]:
    """``settings`` with a ``tournament`` at least the population it draws from as None, the whole population: a
    tournament draws at most its whole population (:func:`mlevolve.gp.search.tournament`), the run's or, with
    ``islands``, an island's (``population // islands`` members at most), so any such sizes are one run."""
    size, most, islands = settings.get("tournament"), settings.get("population"), settings.get("islands")
    if isinstance(most, int) and isinstance(islands, int) and islands > 0 and settings.get("algorithm") == "islands":
        most //= islands
    if isinstance(size, int) and isinstance(most, int) and size >= most:
        return {**settings, "tournament": None}
    return settings


def _tournament(settings: Mapping[str, Any]) -> str:
    """A run's tournament as it draws (:func:`_drawn`): ``10 (of a population of 100)``, or ``10 (the whole island
    of 10)`` where it takes every member, as any larger size does (a refusal of 5 of 5 against 5 of 10 says both)."""
    size, most, islands = settings.get("tournament"), settings.get("population"), settings.get("islands")
    if not isinstance(size, int) or not isinstance(most, int):
        return repr(size)
    if settings.get("algorithm") == "islands" and isinstance(islands, int) and islands > 0:
        most, where = most // islands, "island"
    else:
        where = "population"
    if size >= most:
        return f"{size:,} (the whole {where} of {most:,})"
    return f"{size:,} (of an island of {most:,})" if where == "island" else f"{size:,} (of a population of {most:,})"


def _setting(key: str, value: Any) -> Any:
    """A setting as a run's identity compares it: the program's canonical text without its comment lines (a
    note added to the .mlev file changes no candidate: the same command resumes the run) and without its task
    line (the run's task is compared on its own: a task line naming the ``--task`` given changes nothing); a meta
    run's settings without its ``generations`` (more go on, as a larger ``--budget`` does: each meta-generation's
    draws follow the last's, so the first ones are replayed from the archive); the rest as it is."""
    if key == "program" and isinstance(value, str):
        lines = [line for line in value.splitlines() if not line.lstrip().startswith("#")]
        return [line for i, line in enumerate(lines) if not (i == 1 and line.startswith("task "))]  # after `algorithm`
    if key == "meta_settings" and isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k != "generations"}
    return value


def _setting_diff(key: str, was: Any, now: Any) -> str:
    """``seed: archive has 1, now 2``; of two tables (a meta run's settings), the entries that differ, by name; of
    two programs, the first line that differs (:func:`_program_diff`)."""
    if key == "program" and isinstance(was, str) and isinstance(now, str):
        return _program_diff(was, now)
    if isinstance(was, Mapping) and isinstance(now, Mapping):  # a table of a meta run's configuration, as it writes it
        was, now = _setting(key, was), _setting(key, now)
        inner = [k for k in {**was, **now} if was.get(k) != now.get(k)]
        table = _CONFIG_NAMES.get(key, f"[{key}]")
        return "; ".join(f"{table} {k}: archive has {_value(was.get(k))}, now {_value(now.get(k))}"
                         for k in inner[:3])
    return f"{_CONFIG_NAMES.get(key, key)}: archive has {_value(was)}, now {_value(now)}"


_CONFIG_NAMES = {"meta_settings": "[meta]", **{split: f"[split] {split}" for split in ("train", "validation", "test")}}
"""A meta run's identity (:meth:`mlevolve.meta.config.MetaConfig.identity`) by its configuration file's names, where
they differ from its keys (its other tables are ``[inner]``, ``[bounds]``)."""


def _value(value: Any) -> str:
    """A setting's value in a refusal: a switch ``on`` or ``off`` (``--no-fit: archive has True, now False`` read as
    if ``--no-fit`` had been on), one not written ``none (its default)`` (a table's entry written only when on, as
    ``[meta] max_step``, or one older archives lack; it read ``archive has not set``), the rest as Python writes it."""
    if value is None:
        return "none (its default)"
    return ("on" if value else "off") if isinstance(value, bool) else repr(value)


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _identity_diff(key: str, stored: Mapping[str, Any], identity: Mapping[str, Any]) -> str:
    """Which identity field differs, old against new, shortened: for the program, its first changed line."""
    if key == "program_hash":
        if stored.get("program") or identity.get("program"):
            return _program_diff(str(stored.get("program") or ""), str(identity.get("program") or ""))
        return (f"the program differs: archive has hash {str(stored.get('program_hash'))[:12]}, "
                f"now {str(identity.get('program_hash'))[:12]}")
    name = {"task": "the task", "evolve": "the evolved definitions"}[key]
    was, given = stored.get(key), identity.get(key)
    lacks = f" (without its {was.removeprefix(given + ':')})" if key == "task" and isinstance(was, str) \
        and isinstance(given, str) and was.startswith(given + ":") else ""
    verb = "differ" if key == "evolve" else "differs"
    # whole, never cut: a task spec's options are what differs (newuser35b), a cut list or path read mid-word
    return f"{name} {verb}: archive has {was!r}, now {given!r}{lacks}"


def _program_diff(was: str, now: str) -> str:
    """Two programs' texts by their first lines that differ (comment and task lines aside, :func:`_setting`), from
    just before its first changed character: ``the program text differs: archive has 'x + x * x', now 'x * x + x'``.
    Lines are matched as a diff matches them, each side's changed lines said in one line: a line added or removed is
    said with the line after it (``archive has 'sqft + rooms', now 'let scale = 2.0 * age in sqft + rooms'``), not
    against the next line of the other text, which is the same (it read ``now 'let scale = 2.0 * age in'``)."""
    old = [line.strip() for line in _setting("program", was)]
    new = [line.strip() for line in _setting("program", now)]
    hunk = next((op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
                 if op[0] != "equal"), None)
    if hunk is None:  # the same code lines (only a comment or the task line differs): nothing to show
        return "the program text differs"
    _, i1, i2, j1, j2 = hunk
    if i1 == i2 or j1 == j2:  # an addition or removal: with the line after it (or before it, at the end)
        i1, i2, j1, j2 = (i1, i2 + 1, j1, j2 + 1) if i2 < len(old) and j2 < len(new) else \
            (max(i1 - 1, 0), i2, max(j1 - 1, 0), j2)
    then = " ".join(old[i1:i2]) or "(end of program)"
    later = " ".join(new[j1:j2]) or "(end of program)"
    same = next((i for i, (a, b) in enumerate(zip(then, later, strict=False)) if a != b), min(len(then), len(later)))
    if same > 12:  # from just before the first changed character
        then, later = "..." + then[same - 8:], "..." + later[same - 8:]
    return f"the program text differs: archive has {_short(then)}, now {_short(later)}"


def default_path(program: str, task: str, grammar: str = "base", evolve: Sequence[str] = ()) -> Path:
    """``runs/<program>-<task>.db``: ``task`` (its one name, options included: ``nguyen1:n_train=1000`` is
    ``nguyen1-n_train_1000``, so runs on one task with other options keep apart) reduced to a file-name-safe
    stem; a data file's folder is left out; a grammar other than the base grammar (its name: a grammar file's
    stem) follows, so a run in an evolved grammar keeps apart from one in the base grammar as well; then
    ``evolve``, the slots evolved where they are not all the program's (``--evolve``), joined by ``+``
    (``runs/lr-linear-linreg.learn.db``), so runs of one file's other slots keep apart (none: the name a run of every
    slot always had, so its archives still resume)."""
    name, typed = split_spec(task)
    options = [f"{k}={v}" for k, v in typed.items()]
    stem = "-".join(["".join(c if c.isalnum() or c in "-_" else "_" for c in part)
                     for part in (Path(name).stem, *options, *([grammar] if grammar != "base" else []))])
    slots = "+".join("".join(c if c.isalnum() or c in "_." else "_" for c in slot) for slot in evolve)
    return runs_folder() / f"{program}-{stem}{'-' + slots if slots else ''}.db"


def runs_folder() -> Path:
    """The folder runs write into by default (``runs``, or ``$MLEVOLVE_RUNS``): made as needed, for a default
    path and for one given directly in it (``-o runs/found.py`` on a fresh clone), where any other missing folder
    is refused as a typo (:func:`mlevolve.api.checks.check_output`)."""
    return Path(os.environ.get("MLEVOLVE_RUNS", "runs"))


def _archive_hint(path: Path) -> str:
    """The hint for a missing archive ``path``: the closest ``.db`` beside it (by name, the suffix aside), and where
    a run writes one."""
    try:
        near = {f.stem: f.name for f in path.parent.glob("*.db") if f != path}
    except OSError:  # a folder that cannot be listed names nothing
        near = {}
    close = closest(path.stem, near)
    return (f"did you mean {near[close]!r}? " if close else "") + \
        "a run's archive is the file `mlevolve evolve` writes (default runs/<program>-<task>.db)"
