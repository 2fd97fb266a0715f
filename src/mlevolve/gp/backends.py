"""Evaluation backends: where candidates are scored, behind one small interface.

A backend runs *requests* on an evaluator it builds itself from a picklable factory, and hands
back results as they finish.  The engine sends one ``"score"`` request per candidate: the worker
runs the probe, the FEC check, the hurdle's short training and the full training in one round trip
(:func:`score`), deciding FEC and the hurdle from what the request carries (the coordinator's known
probe fingerprints, sent to each worker as a delta, and its window of hurdle fitnesses).  The
single steps (``"fingerprint" | "evaluate" | "quick"``) remain requests of their own.

- :class:`ProcessPool` keeps one worker process per slot; ``mlevolve evolve`` uses it for every
  run whose candidates run generated code, with one worker by default (``--workers 1``), so that
  such a candidate never runs in the process that holds the archive.  A *cheap* evaluator
  (``ProgramEvaluator.cheap``: formula and learner runs, whose evaluation runs no generated code,
  has bounded memory and a cooperative deadline) scores in process with one slot
  (:func:`placed`): no round trip per candidate, no second PyTorch import.  A request that
  outlives ``timeout`` is cut where it runs: its worker is killed and replaced, and the request
  fails as a timeout (a ``score`` request, which may run two trainings, is allowed twice
  ``timeout``, and its failure says so: :func:`timed_out`).  A worker that dies mid-request is
  replaced and the request retried once, then failed.  Programs go to workers as tokens they
  rebuild without the parser (:mod:`mlevolve.gp.wire`); cheap candidates go in batches, two held
  by each worker.
- :class:`InProcess` runs each request at once, in this process: no hard timeout (the training
  loops check their time budget between steps), used for cheap runs, where no worker can be
  started (a grammar given as an object, not a file) and by the meta level's inner runs.
- :class:`~mlevolve.gp.dask_backend.DaskBackend` (its own module) submits requests to a Dask cluster: a
  LocalCluster on loopback (``local:N``) or an existing scheduler (``tcp://HOST:PORT``), cheap candidates in
  batches too, one task each.  A request past its timeout is cancelled and the worker running it is restarted, so it
  stops computing where it runs.

Every backend answers a request the same way (:func:`run_request`): whatever the candidate raises,
in parsing, a probe or training, is its failure (:func:`mlevolve.results.guarded`), never the
worker's death or a retry; and every request runs under the memory limit (:func:`memory_limit`),
where an allocation past it fails the candidate as "out of memory", after which the worker process that ran it
is replaced (:func:`out_of_memory`: the allocation may have failed inside an import, leaving the process broken
for every later candidate); in process, the run goes on in this process.

Only the coordinator (the engine) writes the archive; backends return results, nothing else.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import re
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from mlevolve.dsl.errors import MlevError, SettingError, check_types
from mlevolve.dsl.ir import Program
from mlevolve.dsl.parse import parse
from mlevolve.gp.dask_address import check_dask
from mlevolve.gp.memo import unseen_simplified_text
from mlevolve.gp.serverstart import children_deaf_to_sigint as _children_deaf_to_sigint
from mlevolve.gp.serverstart import context, start_server
from mlevolve.gp.serverstart import sigint_blocked as _sigint_blocked
from mlevolve.gp.serverstart import sigint_held as _sigint_held
from mlevolve.gp.serverstart import signal_handler as signal_handler  # the command line's and tests'
from mlevolve.gp.wire import Decoder, WireProgram, encode
from mlevolve.interpreter import compiling  # light: numba loads with the kernels
from mlevolve.interpreter.standalone.common import Budget
from mlevolve.results import OUT_OF_MEMORY, Failure, Outcome, guarded, is_out_of_memory, over_memory

if TYPE_CHECKING:
    from mlevolve.interpreter.regimes import Regime

Factory = Callable[[], Any]  # builds an evaluator (fingerprint/evaluate) inside a worker

GIB = 2**30


def default_memory_limit(slots: int = 1) -> int:
    """The default per-candidate memory limit in bytes: half the machine's memory shared among
    ``slots`` workers, at least 1 GiB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # no sysconf: assume 16 GiB
        total = 16 * GIB
    return max(GIB, total // 2 // max(1, slots))


# The most local worker processes per CPU (--workers, --dask local:N): a typo's 1000 would fork 1000.
WORKERS_PER_CPU = 4
MAX_TIMEOUT = 1_000_000  # seconds a candidate may take at most (--timeout)
MAX_MEMORY = 2**20  # GiB a candidate may take at most (--memory-limit): past it RLIMIT_AS's bytes overflow


@dataclass(frozen=True)
class Resources:
    """Where and under which limits candidates are scored: the one owner of these defaults.

    ``workers`` processes (0: one per core; 1: one worker process, candidates in order), or a Dask
    cluster at ``dask`` (``local:N`` starts one of N workers on loopback, 0: one per core;
    ``tcp://HOST:PORT`` joins one); each candidate gets at most ``timeout`` seconds and
    ``memory_limit`` GiB (None: half the machine's memory shared among the workers,
    :func:`default_memory_limit`).
    """

    workers: int = 1
    dask: str | None = None
    timeout: float = Budget.max_seconds  # the training loops' own limit (mlevolve run, exported scripts)
    memory_limit: float | None = None

    def check(self) -> None:
        """Raise :class:`~mlevolve.dsl.errors.SettingError` (naming the setting) for a value of the wrong type
        or out of range."""
        check_types({"workers": self.workers}, {"timeout": self.timeout, "memory_limit": self.memory_limit})
        check_dask(self.dask)  # what is wrong in a malformed address (local:N's N is read below)
        if self.workers < 0:
            raise SettingError("{workers} must be >= 0 (0: one per core), got {got}", got=self.workers,
                               hint="1 (the default) scores in one worker, in order; N in N worker processes")
        local = int(self.dask[6:]) if self.dask and re.fullmatch(r"local:[0-9]+", self.dask) else self.workers
        cpus = os.cpu_count() or 1
        if local > WORKERS_PER_CPU * cpus:
            setting = "{dask}" if self.dask else "{workers}"
            raise SettingError(f"{setting} asks for {{got}} local worker processes on a machine with {{cpus}} CPUs",
                               hint=f"at most {WORKERS_PER_CPU} per CPU ({WORKERS_PER_CPU * cpus}); more run on a "
                                    "Dask cluster (--dask tcp://HOST:PORT)", got=local, cpus=cpus)
        if not 0 < self.timeout <= MAX_TIMEOUT:  # inf or a huge wait overflows the pool's select()
            raise SettingError(f"{{timeout}} must be a positive number of seconds, at most {MAX_TIMEOUT:,}, got "
                               "{got:.12g}", hint=f"a candidate's time limit; the default is {Budget.max_seconds:g} s",
                               got=self.timeout)
        if self.memory_limit is not None and not 0 < self.memory_limit <= MAX_MEMORY:
            raise SettingError(f"{{memory_limit}} must be a positive number of GiB, at most {MAX_MEMORY:,}, got "
                               "{got:.12g}", got=self.memory_limit,
                               hint="e.g. 2 or 0.5; left out, half the machine's memory is shared among the workers")
        if self.dask is not None and self.workers != 1:
            raise SettingError("{dask} and {workers} exclude each other", hint="the Dask cluster sets the parallelism")

    def memory(self, slots: int) -> int:
        """The memory limit per candidate in bytes, with ``slots`` candidates running at once."""
        return int(self.memory_limit * GIB) if self.memory_limit is not None else default_memory_limit(slots)


def _address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def memory_limit(limit: int | None) -> Iterator[None]:
    """Run a block with at most ``limit`` more bytes of address space than the process has now
    (``RLIMIT_AS``; Linux).  An allocation past it fails where it is made (``MemoryError``, or
    torch's allocator error), which :func:`guarded` records as "out of memory"; the previous limit
    is restored after; ``SystemError: error return without exception set`` inside it is a ``MemoryError`` too.
    Where the limit cannot be set, the block runs unlimited."""
    if limit is None:
        yield
        return
    try:
        import resource
    except ImportError:  # not a POSIX system
        yield
        return
    used = _address_space()
    if used is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = used + limit if hard == resource.RLIM_INFINITY else min(hard, used + limit)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    except SystemError as err:  # C code returning an error without setting one: here, an allocation it did not check
        if str(err) != _NO_EXCEPTION:  # (the first large candidate of a fresh worker; the next raised MemoryError)
            raise
        raise MemoryError(f"{err} (under the memory limit)") from err
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


_NO_EXCEPTION = "error return without exception set"  # what CPython says of C code that failed and set no error


@dataclass(frozen=True)
class Policy:
    """The engine's scoring policy, as a worker needs it to take the hurdle decision locally:
    ``hurdle`` on or off, the quantile of earlier short-run fitnesses a candidate must reach, and
    how many short runs are needed before the hurdle applies (AutoML-Zero's hurdles)."""

    hurdle: bool = True
    quantile: float = 0.75
    warmup: int = 20


@dataclass(frozen=True)
class Request:
    """One unit of work.  ``method``: ``score`` (a candidate's probe, FEC check, hurdle and training
    in one request), or one step: ``fingerprint``, ``evaluate`` or ``quick`` (the hurdle's short
    training).

    A ``score`` request also carries what the worker decides with: ``known``, the coordinator's FEC
    fingerprints in the order they were found, of which the first ``known_count`` count (a backend
    sends a worker only those it has not sent it before, from index ``known_from``); ``window``, the
    latest short-run fitnesses (the hurdle's threshold is their ``policy.quantile``)."""

    job: int
    method: str
    program: str
    key: str
    known: Sequence[str] = field(default=(), compare=False)
    known_count: int = 0
    known_from: int = 0
    window: tuple[float, ...] = ()
    policy: Policy = Policy()
    # The program itself, for a backend in this process (no parse); never sent to a worker (outgoing).
    parsed: Program | None = field(default=None, compare=False, repr=False)
    # The program as a worker receives it (:mod:`mlevolve.gp.wire`), made by outgoing() from ``parsed``.
    wire: WireProgram | None = field(default=None, compare=False, repr=False)


class Scored(NamedTuple):
    """A ``score`` request's answer: the outcome (None for an FEC hit: the coordinator holds it),
    how it was decided (``evaluated``, ``probe``, ``fec``, ``hurdle``) and the probe fingerprint;
    ``simplified``: when the outcome carries the program as scored (a formula's fitted constants,
    ``Outcome.program``), its simplified canonical text, made where it was scored; ``seconds``: the wall seconds
    the process that scored it spent on the request, from taking it to its answer (rebuilding the program, probe,
    training: not the time it waited to be taken), None where no process answered it (a timeout, a lost worker)."""

    outcome: Outcome | None
    source: str
    fingerprint: str | None
    simplified: str | None = None
    seconds: float | None = None


class Known:
    """A worker's copy of the coordinator's FEC fingerprints, kept in step by deltas, plus those
    its own answers found (:func:`run_request`)."""

    def __init__(self) -> None:
        self.fingerprints: set[str] = set()
        self.count = 0

    def update(self, request: Request) -> None:
        """Take a request's delta: ``known`` are the fingerprints from index ``known_from`` (which
        must be this copy's count) to ``known_count``."""
        self.fingerprints.update(request.known[: request.known_count - request.known_from])
        self.count = max(self.count, request.known_count)


def outgoing(request: Request, synced: int, parsed: bool = False) -> Request:
    """The request as sent to a worker that holds the first ``synced`` fingerprints: only the delta.
    With ``parsed`` (a backend in this process) it keeps the parsed program; else the program goes
    as tokens (:func:`mlevolve.gp.wire.encode`, which the worker rebuilds without the parser), and
    its text, which the worker does not read then, is left out."""
    r = request  # dataclasses.replace, built directly: once per candidate
    text, keep, wire = r.program, r.parsed, r.wire
    if not parsed:
        if keep is not None:
            text, wire = "", encode(keep)
        keep = None
    if request.method != "score":
        if keep is r.parsed and wire is r.wire:
            return request
        return Request(r.job, r.method, text, r.key, r.known, r.known_count, r.known_from, r.window, r.policy,
                       keep, wire)
    if synced >= request.known_count:  # nothing new (a retried request may be older than the copy)
        return Request(r.job, r.method, text, r.key, (), synced, synced, r.window, r.policy, keep, wire)
    return Request(r.job, r.method, text, r.key, tuple(r.known[synced:r.known_count]), r.known_count, synced,
                   r.window, r.policy, keep, wire)


def outgoing_batch(requests: Sequence[Request], synced: int) -> tuple[list[Request], int]:
    """``requests`` as sent together to a worker holding the first ``synced`` FEC fingerprints (:func:`outgoing`):
    each request's fingerprint delta follows the one before it, so the batch carries each fingerprint once; and the
    count the worker then holds."""
    messages = []
    for request in requests:
        messages.append(outgoing(request, synced))
        if request.method == "score":
            synced = max(synced, request.known_count)
    return messages, synced


def score(evaluator: Any, program: Program, key: str, known: Container[str], window: Sequence[float],
          policy: Policy, limit: int | None = None) -> Scored:
    """A candidate's scoring after the cache (the coordinator's): probe, FEC, hurdle, full training.

    Returns ``(outcome, source, fingerprint)``; source ``fec`` comes without an outcome (None): the
    coordinator gives the candidate the outcome it holds for ``fingerprint``.  The hurdle's
    threshold is the ``policy.quantile`` of ``window`` once it holds ``policy.warmup`` values.
    """
    fingerprint, failure = call(evaluator, "fingerprint", program, key, limit)
    if failure is not None:
        return Scored(Outcome({}, failure), "probe", None)
    if fingerprint is not None and fingerprint in known:
        return Scored(None, "fec", fingerprint)
    if not (policy.hurdle and evaluator.supports_hurdle):
        return _with_simplified(Scored(call(evaluator, "evaluate", program, key, limit), "evaluated", fingerprint))
    quick: Outcome = call(evaluator, "quick", program, key, limit)
    if quick.failure is not None:  # a failed training, not one the hurdle stopped (results.counted_source)
        return Scored(quick, "evaluated", fingerprint)
    threshold = float(np.quantile(window, policy.quantile)) if len(window) >= policy.warmup else -math.inf
    if quick.fitness < threshold:
        return Scored(Outcome({**quick.metrics, "quick_fitness": quick.fitness, "hurdle": threshold}), "hurdle",
                      fingerprint)
    full: Outcome = call(evaluator, "evaluate", program, key, limit)
    return _with_simplified(Scored(Outcome({**full.metrics, "quick_fitness": quick.fitness}, full.failure,
                                           full.seconds, full.program), "evaluated", fingerprint))


def _with_simplified(scored: Scored) -> Scored:
    """``scored`` with the simplified text of the program its outcome carries (none: as it was)."""
    outcome = scored.outcome
    if outcome is None or outcome.program is None:
        return scored
    text = outcome.program
    if outcome.parsed is not None:  # the IR of ``text`` (``Outcome.parsed``), which printed it
        return scored._replace(simplified=unseen_simplified_text(outcome.parsed, text, outcome.simple))
    program, failure = guarded(lambda: parse(text), "worker")
    if failure is not None or program is None:  # the coordinator parses it again, and fails it there
        return scored
    return scored._replace(simplified=unseen_simplified_text(program))


def call(evaluator: Any, method: str, program: Program, key: str, limit: int | None = None) -> Any:
    """One scoring step on an evaluator, under the memory limit, through the one failure guard:
    a fingerprint ``(fingerprint, failure)`` or an :class:`Outcome`, never an exception."""
    def step() -> Any:
        if limit is None:  # no limit to set: no context to enter (once or twice per candidate)
            if method == "fingerprint":
                return evaluator.fingerprint(program, key)
            return evaluator.evaluate(program, key, quick=method == "quick")
        with memory_limit(limit):
            if method == "fingerprint":
                return evaluator.fingerprint(program, key)
            return evaluator.evaluate(program, key, quick=method == "quick")

    result, failure = guarded(step, "probe" if method == "fingerprint" else "training")
    return _named_limit(result if failure is None else _as_result(method, failure), limit)


def _named_limit(result: Any, limit: int | None) -> Any:
    """``result`` (a step's: ``(fingerprint, failure)`` or an :class:`Outcome`), its out-of-memory failure, made
    wherever the evaluator caught it, naming the limit (:func:`~mlevolve.results.over_memory`): the user's knob."""
    failure = result[1] if isinstance(result, tuple) else result.failure if isinstance(result, Outcome) else None
    if limit is None or failure is None or failure.reason != OUT_OF_MEMORY:
        return result
    named = Failure(over_memory(limit), failure.where)
    return (result[0], named) if isinstance(result, tuple) else replace(result, failure=named)


def run_request(evaluator: Any, request: Request, limit: int | None = None,
                programs: OrderedDict[str, Program] | None = None, known: Known | None = None,
                decoder: Decoder | None = None) -> Any:
    """Execute a request on an evaluator (in whichever process holds it).  ``programs``: parsed
    programs by key, reused by the steps of one candidate (probe, hurdle, training); ``known``:
    this process's copy of the FEC fingerprints (None: the request carries them all); ``decoder``:
    this process's rebuilder of programs sent as tokens (None: a fresh one).  A ``score`` request's answer carries
    the seconds it took here (:attr:`Scored.seconds`)."""
    began = time.perf_counter()
    program = request.parsed
    if program is None and programs is not None:
        program = programs.get(request.key)
    if program is None:
        wire = request.wire
        if wire is not None:
            program, failure = guarded(lambda: (decoder or Decoder()).program(wire), "worker")
        else:
            program, failure = guarded(lambda: parse(request.program), "worker")
        if failure is not None or program is None:
            return _as_result(request.method, failure or Failure("no program", "worker"))
        if programs is not None:
            programs[request.key] = program
            if len(programs) > 64:
                programs.popitem(last=False)
    if request.method != "score":
        return call(evaluator, request.method, program, request.key, limit)
    if known is None:
        known = Known()
    if request.known_from != known.count:  # a copy out of step (cannot happen with outgoing()): refuse
        return _as_result(request.method, Failure("the worker's fingerprints are out of step", "worker"))
    known.update(request)
    scored = score(evaluator, program, request.key, known.fingerprints, request.window, request.policy, limit)
    if scored.fingerprint is not None and scored.source != "fec":
        # The coordinator records this fingerprint with this candidate's outcome before it resolves any
        # later answer of this process (answers are resolved in the order they come): a later candidate
        # of the batch with the same fingerprint is an FEC hit, as it would be scored one by one.
        known.fingerprints.add(scored.fingerprint)
    return scored._replace(seconds=time.perf_counter() - began)


def shipped(result: Any) -> Any:
    """A request's answer as a worker sends it back: without the IR of a rewritten program
    (``Outcome.parsed``), which would be pickled as text and parsed again by the coordinator; the
    coordinator reads the text (``Outcome.program``) and its simplified text (``Scored.simplified``)."""
    outcome = result.outcome if isinstance(result, Scored) else result
    if not isinstance(outcome, Outcome) or outcome.parsed is None:
        return result
    bare = Outcome(outcome.metrics, outcome.failure, outcome.seconds, outcome.program)
    return result._replace(outcome=bare) if isinstance(result, Scored) else bare


def _as_result(method: str, failure: Failure) -> Any:
    if method == "score":  # failed before or while a step ran: no fingerprint to record
        return Scored(Outcome({}, failure), "evaluated", None)
    return (None, failure) if method == "fingerprint" else Outcome({}, failure)


def allowed(request: Request, timeout: float) -> float:
    """A request's wall-time allowance: ``timeout`` per training it may run (a ``score`` request:
    the probe with the hurdle's short training, and the full training)."""
    return timeout * (2 if request.method == "score" else 1)


def timed_out(request: Request, timeout: float) -> Any:
    """``request``'s answer when a backend cuts it at its allowance (:func:`allowed`), saying the limit cut at and,
    where it is not ``timeout``, why: ``timed out after 2 s (twice --timeout 1: a score runs the probe and the
    training)``; ``timed out after 1 s (--timeout 1)`` for a single step.  The pool's and Dask's words alike."""
    limit = allowed(request, timeout)
    why = f"twice --timeout {timeout:g}: a score runs the probe and the training" if limit != timeout \
        else f"--timeout {timeout:g}"
    failed = _failed(request, f"timed out after {limit:g} s ({why})")
    return failed._replace(seconds=limit) if isinstance(failed, Scored) else failed  # what its worker spent on it


def _failed(request: Request, reason: str) -> Any:
    return _as_result(request.method, Failure(reason, "worker"))


class Backend(Protocol):
    slots: int

    def submit(self, request: Request) -> None: ...
    def results(self, timeout: float | None = None) -> list[tuple[int, Any]]: ...
    def wait_ready(self) -> None: ...  # until every worker can score (a run with a time limit starts its clock after)
    def close(self, interrupted: bool = False) -> None: ...


class InProcess:
    """Run each request immediately in this process (under the memory limit; the time budget is
    checked by the training loops between steps).

    ``batch`` > 1 answers as a one-worker :class:`ProcessPool` with that batch does: two batches'
    worth of slots, batches made as the pool makes its messages (a full one at :meth:`submit`, a
    partial one at :meth:`results`, at most two held), and each :meth:`results` runs and answers
    the oldest, so a run gets the same answers in the same order (the pool's trajectory,
    reproduced in process)."""

    def __init__(self, factory: Factory, memory: int | None = None, batch: int = 1, warm: bool = True) -> None:
        self.evaluator = factory()
        self.memory = memory
        # What a first candidate imports lazily and the kernels it calls, warmed now (:func:`_warm`): outside the
        # memory limit (half imported under it, a module broke this process for good; a worker is replaced, this one
        # cannot be), and outside the first candidates' time budget and recorded seconds.  The seconds numba spent
        # compiling them.  Not ``warm``: before the first request only (a resumed run whose archive holds its budget
        # may score none: numba's 1-3 s were its whole wait).
        self.warmup = _warm(self.evaluator, memory) if warm else 0.0
        self._cold = not warm
        self.batch = max(1, batch)
        self.slots = 1 if self.batch == 1 else 2 * self.batch
        self._queue: list[Request] = []
        self._held: list[list[Request]] = []  # the batches a worker would hold (at most two)
        self._done: list[tuple[int, Any]] = []
        self._programs: OrderedDict[str, Program] = OrderedDict()
        self._known = Known()

    def _run(self, request: Request) -> None:
        if self._cold:  # warmed before its first request (not ``warm``)
            self._cold = False
            self.warmup = _warm(self.evaluator, self.memory)
        request = outgoing(request, self._known.count, parsed=True)
        self._done.append((request.job, run_request(self.evaluator, request, self.memory, self._programs,
                                                    self._known)))

    def _hold(self, partial: bool) -> None:
        """Make batches of the queue as :meth:`ProcessPool._dispatch` makes messages for one worker."""
        while self._queue and len(self._held) < 2 and (partial or len(self._queue) >= self.batch):
            self._held.append(self._queue[:self.batch])
            del self._queue[:self.batch]

    def submit(self, request: Request) -> None:
        if self.batch == 1:
            self._run(request)
        else:
            self._queue.append(request)
            self._hold(partial=False)

    def results(self, timeout: float | None = None) -> list[tuple[int, Any]]:
        if not self._done and (self._queue or self._held):
            self._hold(partial=True)
            for request in self._held.pop(0):
                self._run(request)
            self._hold(partial=True)  # as the pool sends the rest on after a reply
        done, self._done = self._done, []
        return done

    def wait_ready(self) -> None:
        """Ready once made: the evaluator is built in this process."""

    def close(self, interrupted: bool = False) -> None:
        """Nothing to release: the evaluator lives in this process."""


# ------------------------------------------------------------------------------------ process pool
def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker when its parent (the coordinator, or the fork server,
    which dies with the coordinator: :mod:`mlevolve.gp.serverguard`) dies, even by SIGKILL."""
    from mlevolve.gp.serverguard import die_with_parent

    die_with_parent()


class _QuietSpawnProcess(SpawnProcess):
    """A spawned process that starts with SIGINT ignored, a disposition it keeps through exec (Python then
    installs no KeyboardInterrupt handler): the Ctrl-C a terminal sends to the whole group, even while it
    boots, is its parent's to report."""

    def start(self) -> None:
        with _children_deaf_to_sigint():
            super().start()


def orphan_guard(parent: int) -> None:
    """An executor's worker initializer (``initializer=orphan_guard, initargs=(os.getpid(),)``): the worker dies with
    ``parent``, its coordinator, even one killed by SIGKILL (Linux), as the pool's workers do; a parent gone before
    it asked (re-parented already) ends it at once.  A killed ``meta --workers 2`` left its workers running."""
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(1)


class QuietSpawnContext(SpawnContext):
    """``spawn``, with processes that ignore Ctrl-C: for an executor (``concurrent.futures``) whose
    workers start on demand, at any point of a run."""

    Process = _QuietSpawnProcess


_COMPILED = "compiled"  # a reply's first entry (_COMPILED, seconds) where the worker's numba compiles grew with it
_NOTE = "note"  # a worker's message (_NOTE, line): its compile note (compiling.announce), for its coordinator to say


def worker_notes(sink: Callable[[str], None] | None) -> None:
    """In a worker process: its numba compile notes go to ``sink`` (a message to its coordinator, which says them:
    :func:`~mlevolve.interpreter.compiling.relay`), or nowhere (None: a Dask worker as it starts, until its
    evaluator's build points them at its coordinator, ``gp.dask_backend``), never to the worker's own stderr,
    whatever the process it came from had set."""
    compiling.announce(sink is not None, sink)


class _Reply:
    """A worker's end of its pipe, shared by its loop and its compile notes (numba's thread that times a long
    compile, :mod:`~mlevolve.interpreter.compiling`): one message at a time, never two interleaved."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def send(self, message: Any) -> None:
        with self.lock:
            self.conn.send(message)

    def note(self, line: str) -> None:
        """Send a compile note; a coordinator gone is the loop's to find."""
        with contextlib.suppress(BrokenPipeError, OSError):
            self.send((_NOTE, line))


def _relayed(message: Any) -> bool:
    """Whether a worker's ``message`` was a compile note (:func:`worker_notes`), then said by this process, the
    coordinator, where it says its own (:func:`~mlevolve.interpreter.compiling.relay`)."""
    if not (isinstance(message, tuple) and len(message) == 2 and message[0] == _NOTE):
        return False
    compiling.relay(str(message[1]))
    return True


def compiled_here() -> float:
    """The seconds numba has spent compiling in this process (a cheap run's candidates compile their kernels on first
    use; none where nothing compiled)."""
    return compiling.compile_seconds()


_RETIRED = ("retired", None)  # a worker's last answer, after a request that ran out of memory: the rest it holds go on


def out_of_memory(result: Any) -> bool:
    """Whether a request's answer (:func:`run_request`'s) is a failure for running past the memory limit, which may
    leave the process that ran it broken: an allocation that failed inside an import leaves the module half
    initialised (``AttributeError: module 'sympy' has no attribute 'printing'`` for every later candidate)."""
    outcome = result.outcome if isinstance(result, Scored) else result[1] if isinstance(result, tuple) else result
    failure = outcome.failure if isinstance(outcome, Outcome) else outcome
    return isinstance(failure, Failure) and is_out_of_memory(failure.reason)


def _worker_main(factory: Factory, conn: Connection, limit: int | None = None, progress: Any = None,
                 notes: bool = False) -> None:
    """A worker process: build the evaluator once, then answer batches of requests until told to stop.

    Each message is a list of requests (a batch: one round trip for all of them), answered by one
    list of ``(job, result)`` in the same order (:func:`shipped`).  Before each request the worker
    writes when it began and its serial number (requests begun by this worker before it) into
    ``progress`` (shared memory: time first, then number), so the coordinator can tell which of the
    requests it sent outlives its timeout or killed the worker.

    Ctrl-C goes to the whole process group; the coordinator handles it (and stops the workers), so
    a worker ignores SIGINT rather than print a traceback of its own.  Its numba compile notes, where its
    coordinator says its own (``notes``), are sent to it as ``(_NOTE, line)`` messages (:func:`worker_notes`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    reply = _Reply(conn)
    worker_notes(reply.note if notes else None)
    evaluator, seconds, failure = warmed(factory, limit)  # before "ready": a candidate's clock starts at its begin
    if failure is not None:
        reply.send(("failed", str(failure)))
        return
    reply.send(("ready", seconds))
    compiled = compiled_here()
    programs: OrderedDict[str, Program] = OrderedDict()
    known = Known()
    decoder = Decoder()
    serial = 0
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):  # the coordinator is gone
            return
        if batch is None:
            return
        answers: list[Any] = []
        for request in batch:
            if progress is not None:
                progress[1] = time.monotonic()
                progress[0] = serial
            serial += 1
            result = run_request(evaluator, request, limit, programs, known, decoder)
            answers.append((request.job, shipped(result)))
            if out_of_memory(result):  # this process may be left broken (a module half imported): a fresh one goes on
                answers.append(_RETIRED)
                break
        if (now := compiled_here()) > compiled:  # kernels compiled on a candidate (not warmed first): said, so that
            compiled = now  # the coordinator's progress clock leaves them out (ProcessPool.warmup), as in process
            answers.insert(0, (_COMPILED, now))
        try:
            reply.send(answers)
        except (BrokenPipeError, OSError):
            return
        if answers[-1] == _RETIRED:
            return


@dataclass
class _Worker:
    process: Any
    conn: Connection
    progress: Any  # shared (serial number, time.monotonic() it began) of the request it runs
    batch: list[tuple[Request, bool]] = field(default_factory=list)  # in flight, in order: (request, is a retry)
    sizes: list[int] = field(default_factory=list)  # requests per message in flight (each answered by one reply)
    since: float = 0.0  # time.monotonic() from which the first request in flight counts (sent, or the last reply)
    answered: int = 0  # requests this worker process has answered (the serial number of the first in flight)
    ready: bool = False
    synced: int = 0  # how many FEC fingerprints this worker has been sent

    def running(self) -> tuple[int, float]:
        """The index in :attr:`batch` of the request the worker runs and when it began (before it
        has begun the first in flight: the first, since it was sent or the last reply came)."""
        serial, began = int(self.progress[0]), float(self.progress[1])
        index = serial - self.answered
        if index < 0 or index >= len(self.batch):
            return 0, self.since
        return index, began


def worker_modules(regime: Regime, tight: bool = False) -> tuple[str, ...]:
    """What the workers of a run of ``regime`` import, for the fork server to import once (and a worker before it
    takes a candidate, :func:`_warm`): the evaluator, and for a regime whose candidates run generated code PyTorch
    too, with what its candidates import lazily (``Regime.imports``: PyTorch's compiler stack, and with it SymPy,
    where the loop steps a ``torch.optim`` optimizer); where the memory limit is ``tight`` (:data:`TIGHT_MEMORY`),
    the compiler stack for every PyTorch regime.  Not what only some candidates import (the compiler stack and SymPy
    again, for a large model's size check on the meta device: about 1.7 CPU s at every run's start, which
    :func:`_warm` pays only under a tight memory limit), nor scikit-learn (about a second): the digits are read
    without it, and a worker whose task needs it imports it while it loads the task."""
    from mlevolve.interpreter.regimes import COMPILER_STACK

    light = ("mlevolve.interpreter.evaluator",)
    if regime.cheap:
        return light
    stack = (COMPILER_STACK,) if tight and COMPILER_STACK not in regime.imports else ()
    return ("torch", *regime.imports, *stack, "mlevolve.interpreter.runtime", *light)


TIGHT_MEMORY = 1 << 30
"""A memory limit (bytes) under which a worker imports PyTorch's compiler stack (and SymPy) before it takes a
candidate (40 MiB of address space, which a large model's size check imports: under a tighter limit the import
could fail half way and break the worker for every later candidate, as SymPy's did); above it, a candidate that
needs them imports them itself.  A cheap regime's compiled kernels are warmed under any limit (:func:`_warm`)."""


def _warm(evaluator: Any, limit: int | None = None) -> float:
    """Import into this process what ``evaluator``'s candidates would import lazily (:func:`worker_modules` of its
    ``regime``), and compile or load from numba's cache the kernels its regime's candidates call (``Regime.kernels``,
    its own only: :meth:`Regime.warm`); the seconds numba spent compiling them (0.0 where all came from its cache).
    A process does it before it takes a candidate (a worker before it says "ready"; :class:`InProcess` as it is
    made), so that a candidate's time, its timeout clock (which starts when its worker begins it) and its recorded
    seconds alike, is the candidate's and not the process's one-time start: a fresh run's first candidates were cut
    at ``timed out after 2 s`` while PyTorch's compiler stack loaded, and a fresh worker's first formula at ``timed
    out after 0.6 s`` (``--timeout 0.3``) while numba loaded and read its kernels from the cache (about 0.6-1 s;
    in a fresh checkout tens of seconds of compiling, which no worker cut at its timeout ever finished), so that
    every worker started in a timeout's place failed its first candidate too.  Under a tight memory ``limit``
    (bytes, :data:`TIGHT_MEMORY`) PyTorch's compiler stack too, so that no import runs under the limit (under it
    the first candidate failed as ``OSError``).  Nothing more where the fork server imported them.  A start that
    hangs is cut by the backend's own wait for a started worker, not charged to a candidate.
    An evaluator without a ``regime`` (a stand-in of the tests and benchmarks, which runs no generated code) is
    warmed with nothing: its worker would import PyTorch for nothing, seconds per worker."""
    regime: Regime | None = getattr(evaluator, "regime", None)
    if regime is None:
        return 0.0
    tight = limit is not None and limit < TIGHT_MEMORY
    for module in worker_modules(regime, tight):
        importlib.import_module(module)
    return regime.warm()  # numba and llvmlite (~100 MiB mapped) where the regime has kernels: its candidates load them


def warmed(factory: Factory, limit: int | None = None) -> tuple[Any, float, Failure | None]:
    """The evaluator ``factory`` builds, warmed (:func:`_warm`) for a candidate memory ``limit`` (bytes, None: no
    limit), with the seconds its kernels took to warm, or the failure that building it raised (then None, 0.0)."""
    seconds: list[float] = [0.0]

    def build() -> Any:
        evaluator = factory()
        seconds[0] = _warm(evaluator, limit)
        return evaluator

    evaluator, failure = guarded(build, "worker")
    return evaluator, seconds[0], failure


def prestart(preload: Sequence[str]) -> None:
    """Start the fork server now (it imports ``preload`` in the background), so that the workers a
    pool starts later fork from it at once; nothing where workers are spawned."""
    start_server(context(preload))


# A worker imports the script that started it again (Python's spawn and fork-server rule), so a script whose call
# is not under the main guard starts workers while its workers start: the likeliest cause, and said first.
_START_HINT = ("a script that calls mlevolve must do so under 'if __name__ == \"__main__\":' (each worker imports it "
               "again); else check that the task loads in this process")


CHEAP_BATCH = 16  # cheap candidates per worker request (ProcessPool.batch, set by placed)
_START_WAIT = 300  # seconds a worker may take to start (import, build its evaluator) before the run stops


_REAP_WAIT = 5.0  # seconds a killed worker is waited for (its fork server reaps it, then says so), at most


class ProcessPool:
    """Worker processes with hard per-request timeouts, a memory limit per candidate, and
    replacement of dead workers.  Workers start in the background: the first request waits for
    its worker's start, the coordinator does not.  Where they fork from a fork server, they are
    started by a thread of this process (:meth:`_boot`): a fork server forks only once it has
    imported its preload (PyTorch: a second or more), and the coordinator meanwhile builds its own
    evaluator and opens its archive rather than wait.  A request goes to a worker that has
    started, or while none has, to the first that does (:meth:`_free`), not to a fixed one.

    ``batch``: the most requests sent to a worker in one message (one round trip, answered in one
    reply).  The pool offers two messages per worker (:attr:`slots`; one for a lone worker without
    batches), and a worker may hold both: the next waits in its pipe while it runs the first, so it
    never waits for the coordinator between them.  A request waits for a full batch or for :meth:`results`.  A
    request past its timeout, or one that kills its worker, is told apart from the rest of those
    sent to the worker (see :func:`_worker_main`); the rest are sent again.
    """

    def __init__(self, factory: Factory, workers: int = 0, timeout: float = Resources.timeout,
                 memory: int | None = None, batch: int = 1, preload: Sequence[str] = ()) -> None:
        self.factory = factory
        self.workers_count = workers or os.cpu_count() or 1
        self.timeout = timeout
        self.memory = memory
        self.context = context(preload)  # a fork server's, else spawn's (serverstart.context)
        self.notes = compiling.announcing()  # workers send their compile notes here, said once a burst
        self.batch = 1
        self.slots = self.workers_count
        self.set_batch(batch)
        # The most seconds a worker has spent compiling numba kernels, in its warm-up (:func:`_warm`) or on its
        # candidates since (a reply says so: _COMPILED): what the progress clock leaves out (gp.progress.Progress).
        self.warmup = 0.0
        self._workers: list[_Worker] = []
        self.queue: list[tuple[Request, bool]] = []  # (request, is a retry)
        self.done: list[tuple[int, Any]] = []
        self.replaced = 0
        self._booting: threading.Thread | None = None
        self._booted: list[_Worker] = []  # what the thread started, handed over by :attr:`workers`
        self._boot_error: BaseException | None = None
        self._closed = threading.Event()  # set by close(): the start thread starts no more
        if self.context.get_start_method() != "forkserver":
            self._workers = [self._start() for _ in range(self.workers_count)]  # spawned: start() returns at once
            return
        start_server(self.context)  # it imports in the background
        with _sigint_blocked():  # the thread starts with SIGINT blocked: a Ctrl-C is the main thread's
            self._booting = threading.Thread(target=self._boot, name="mlevolve-pool-start", daemon=True)
            self._booting.start()

    def _boot(self) -> None:
        """The start thread: start the workers, each as soon as the fork server forks it.  A pool
        closed meanwhile (Ctrl-C while the server imports) starts no more, and has the one it was starting killed
        at once and reaped (:data:`_REAP_WAIT`)."""
        try:
            while len(self._booted) < self.workers_count and not self._closed.is_set():
                worker = self._start()
                self._booted.append(worker)
                if self._closed.is_set():  # closed while the server forked it
                    worker.process.kill()
                    worker.process.join(_REAP_WAIT)
        except BaseException as error:  # raised where the coordinator next needs its workers
            self._boot_error = error

    @property
    def workers(self) -> list[_Worker]:
        """The workers, once started (waits for the start thread, :meth:`_boot`, and raises what it raised)."""
        if self._booting is not None:
            self._booting.join()
            self._booting, self._workers = None, self._booted
            if self._boot_error is not None:
                raise self._boot_error
        return self._workers

    def wait_ready(self) -> None:
        """Wait until every worker has built its evaluator (a run need not: its first requests go to
        the first worker ready, :meth:`_free`); for measuring a pool's steady state apart from its start.
        Raises :class:`MlevError` where a worker failed to start."""
        for worker in self.workers:
            self._ready(worker)

    def set_batch(self, batch: int) -> None:
        """Send up to ``batch`` requests per message; before the first request only.  Sets :attr:`depth`,
        the messages a worker may hold: two (the next waits in its pipe while it runs the first, so it
        never waits for the coordinator's turn between them: the wall time outside 20 ms evaluations with two
        workers fell from 5-8% to 3-4%, benchmarks/RESULTS.md "Stop 59: a second request queued per worker"), but one
        for a lone worker sent one request at a time, whose run is a function of its seed
        (docs/scaling.md, "Determinism"); and :attr:`slots`, the requests in flight at most."""
        self.batch = max(1, batch)
        self.depth = 1 if self.batch == 1 and self.workers_count == 1 else 2
        self.slots = self.workers_count * self.depth * self.batch

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        progress = self.context.RawArray("d", [-1.0, 0.0])
        process = self.context.Process(target=_worker_main,
                                       args=(self.factory, child, self.memory, progress, self.notes), daemon=True)
        start_server(self.context)
        # A fork server's worker starts once the server has imported (a second or two for PyTorch), so a
        # Ctrl-C meanwhile is held to its end (in the start thread, :meth:`_boot`, it is the main thread's
        # anyway); a spawned one inherits SIGINT ignored through exec.
        with _sigint_held() if self.context.get_start_method() == "forkserver" else _children_deaf_to_sigint():
            process.start()
        child.close()
        return _Worker(process, parent, progress)

    def _ready(self, worker: _Worker) -> None:
        """Wait for a started worker's evaluator (a worker that cannot build one is the user's problem)."""
        if worker.ready:
            return
        message: Any = None
        while message is None or _relayed(message):  # a compile note while it warms: said, then its answer
            try:
                late = ("failed", f"no answer in {_START_WAIT} s")
                message = worker.conn.recv() if worker.conn.poll(_START_WAIT) else late
            except (EOFError, OSError):
                message = ("failed", f"it exited with status {worker.process.exitcode}")
        if message[0] != "ready":
            worker.process.kill()
            raise MlevError(f"a worker process failed to start: {message[1]}", hint=_START_HINT)
        worker.ready = True
        self.warmup = max(self.warmup, float(message[1]))

    def _replace(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(_REAP_WAIT)
        worker.conn.close()
        self.workers[self.workers.index(worker)] = self._start()
        self.replaced += 1

    def _dispatch(self, partial: bool = True) -> None:
        """Send queued requests, a batch per message, to the workers with the fewest messages in
        flight (at most :attr:`depth` each); a partial batch only if ``partial``."""
        while self.queue and (partial or len(self.queue) >= self.batch):
            worker = self._free(self.depth)
            if worker is None:
                return
            take, self.queue = self.queue[:self.batch], self.queue[self.batch:]
            messages, synced = outgoing_batch([request for request, _ in take], worker.synced)
            try:
                worker.conn.send(messages)
            except (BrokenPipeError, OSError):  # the worker is gone
                self.queue[:0] = take
                if worker.batch:  # on the request it was running
                    self._died(worker)
                else:
                    self._replace(worker)
                continue
            if not worker.sizes:
                worker.since = time.monotonic()
            worker.batch += take
            worker.sizes.append(len(take))
            worker.synced = synced

    def _free(self, depth: int) -> _Worker | None:
        """The worker the next message goes to: of those with the fewest messages in flight (None where
        they hold ``depth``), the first that has started (:meth:`_ready`), or while none of them has,
        the first of them to be ready, waited for (so the first candidates of a run are not held by a
        worker that starts later than another)."""
        fewest = min(len(w.sizes) for w in self.workers)
        if fewest >= depth:
            return None
        free = [w for w in self.workers if len(w.sizes) == fewest]
        started = next((w for w in free if w.ready), None)
        if started is not None:
            return started
        woke = wait([w.conn for w in free], timeout=_START_WAIT)  # a message: "ready", "failed", or the pipe closed
        worker = next((w for w in free if w.conn in woke), free[0])
        self._ready(worker)
        return worker

    def submit(self, request: Request) -> None:
        self.queue.append((request, False))
        if len(self.queue) >= self.batch:  # a full batch goes at once; a partial one at results()
            self._dispatch(partial=False)

    def results(self, timeout: float | None = None) -> list[tuple[int, Any]]:
        """Wait (up to ``timeout`` s) for at least one result; also enforce timeouts and faults."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._dispatch()
        while not self.done:
            busy = [w for w in self.workers if w.batch]
            if not busy:
                break
            wait_for = min(began + allowed(w.batch[i][0], self.timeout)
                           for w in busy for i, began in (w.running(),)) - time.monotonic()
            if deadline is not None:
                wait_for = min(wait_for, deadline - time.monotonic())
            ready = wait([w.conn for w in busy], timeout=max(0.0, wait_for))
            for worker in busy:
                if worker.conn in ready:
                    self._collect(worker)
                    continue
                index, began = worker.running()
                request = worker.batch[index][0]
                if time.monotonic() - began > allowed(request, self.timeout):
                    self.done.append((request.job, timed_out(request, self.timeout)))
                    self.queue[:0] = worker.batch[:index] + worker.batch[index + 1:]
                    self._replace(worker)
            self._dispatch()
            if deadline is not None and time.monotonic() >= deadline:
                break
        done, self.done = self.done, []
        return done

    def _died(self, worker: _Worker) -> None:
        """A worker died with requests in flight: on the one it was running, which is retried once
        (then failed); the rest are sent again, in order."""
        index, _ = worker.running()
        batch = worker.batch
        worker.process.join(_REAP_WAIT)
        code = worker.process.exitcode
        self._replace(worker)
        request, retried = batch[index]
        rest = batch[:index] + batch[index + 1:]
        if retried:
            why = "killed by the system, perhaps out of memory" if code == -signal.SIGKILL else f"status {code}"
            self.done.append((request.job, _failed(request, f"the worker died twice on this candidate ({why})")))
            self.queue[:0] = rest
        else:
            self.queue[:0] = [(request, True), *rest]

    def _collect(self, worker: _Worker) -> None:
        try:
            answers = worker.conn.recv()
        except (EOFError, OSError):  # the worker died mid-batch: on the request it was running
            self._died(worker)
            return
        if _relayed(answers):  # a compile note, said: the batch's answers come later
            return
        if answers and answers[0][0] == _COMPILED:  # its numba compiles so far, warm-up included (_worker_main)
            self.warmup = max(self.warmup, answers.pop(0)[1])
        if answers and answers[-1] == _RETIRED:  # it ran out of memory and exits: what it did not answer goes on
            answers.pop()
            self.done.extend(answers)
            self.queue[:0] = worker.batch[len(answers):]  # in order, each as it was (a retry or not)
            self._replace(worker)
            return
        del worker.batch[:len(answers)]
        worker.sizes.pop(0)
        worker.answered += len(answers)
        worker.since = time.monotonic()
        self.done.extend(answers)

    def close(self, interrupted: bool = False) -> None:
        """Stop the workers at once (they hold nothing to save; the coordinator has every result) and reap them
        (killed: within :data:`_REAP_WAIT` seconds), on every way a run ends: its budget, its time limit, an error,
        and Ctrl-C (``interrupted``), then without waiting for the workers still starting (the fork server may
        be importing PyTorch): the start thread starts no more, and kills and reaps the one it was starting.  The
        command line then reaps the fork server (:func:`mlevolve.gp.serverstart.reap_children`)."""
        self._closed.set()
        starting = interrupted and self._booting is not None and self._booting.is_alive()
        workers = list(self._booted) if starting else self.workers
        for worker in workers:
            worker.process.kill()
        for worker in workers:
            worker.process.join(_REAP_WAIT)
            if not starting:
                worker.conn.close()


def placed(backend: Backend | None, evaluator: Any, memory: int | None = None, parallel: bool = False,
           given: bool = False) -> Backend:
    """Where a run scores its candidates, once its ``evaluator`` is built: in this process when the
    evaluator is cheap (``getattr(evaluator, "cheap", False)``) and one slot was asked for (not
    ``parallel``), the early-started ``backend`` then closed, under the ``memory`` limit only where one was
    ``given`` (``--memory-limit``: a cheap candidate's memory is bounded by its data, and a limit costs a read of
    the process's size per step); else ``backend``, or in process under the memory limit when there is none (no
    worker can load the grammar).  A process pool scoring cheap candidates gets them in batches of
    :data:`CHEAP_BATCH` per request."""
    cheap = getattr(evaluator, "cheap", False)
    if cheap and not parallel:
        if backend is not None:
            backend.close()
        return InProcess(lambda: evaluator, memory if given else None)
    from mlevolve.gp.dask_backend import DaskBackend  # not at the top: it imports this module

    if cheap and isinstance(backend, ProcessPool | DaskBackend):
        backend.set_batch(CHEAP_BATCH)
    return backend if backend is not None else InProcess(lambda: evaluator, memory)


def make_backend(factory: Factory, workers: int = Resources.workers, dask: str | None = Resources.dask,
                 timeout: float = Resources.timeout, memory: int | None = None,
                 preload: Sequence[str] = ()) -> Backend:
    """``dask`` (``local:N`` or ``tcp://...``) wins; else a pool of ``workers`` processes (0: one per
    core; 1, the default, is one worker: candidates never run in the coordinator's process), forked
    from a server that has imported ``preload`` once (:func:`_context`)."""
    if dask:
        from mlevolve.gp.dask_backend import DaskBackend  # not at the top: it imports this module

        return DaskBackend(factory, dask, timeout, memory)
    return ProcessPool(factory, workers, timeout, memory, preload=preload)
