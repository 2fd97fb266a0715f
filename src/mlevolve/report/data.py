"""A run's archive read once, as one consistent snapshot, and the numbers derived from it.

:func:`load` reads meta, every candidate and the best programs inside one read transaction, so an
archive that a run is still writing (WAL) gives a coherent picture of the moment it was read.
The rest are pure functions over that snapshot: curves over the sequence of candidates, counts by
how candidates were scored, operator success, and a program's ancestry through the ``parents``
column (each hash resolved to its first row, the one that introduced the program).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import statistics
import sys
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mlevolve.dsl.errors import MlevError
from mlevolve.gp.archive import Archive, Row
from mlevolve.messages import counted
from mlevolve.results import (
    DEFAULT_SELECTION as DEFAULT_SELECTION,  # owned there, where the API's defaults read it; named here too
)
from mlevolve.results import (
    METRIC_DIGITS,
    NOT_MEASURES,
    archived_whose,
    parse_archived,
    r2_beside,
    saved_task,
    shown_metric,
    shown_order,
    shown_program,
    shown_scale,
    tied,
)
from mlevolve.results import (
    MODEL_SELECTIONS as MODEL_SELECTIONS,
)

if TYPE_CHECKING:  # imported where a lineage is drawn: a search's summary never does (0.2-0.3 s)
    import networkx as nx

T = TypeVar("T")

SOURCES = ("evaluated", "cache", "fec", "hurdle", "probe")


@dataclass(frozen=True)
class Run:
    """What one archive held when it was read: ``meta``, every row in order, the best programs, one asked for."""

    path: str
    meta: Mapping[str, Any]
    rows: tuple[Row, ...]
    top: tuple[Row, ...] = field(default=())
    found: Row | None = None
    digits: int | None = None  # significant digits of the literals shown (results.SHOWN_DIGITS); None: all

    def is_run(self, other: Run) -> bool:
        """Whether ``other`` was read from an archive of this very run, wherever it lies (a copy, a hard link):
        both were created at the same moment (``meta["created"]``, to the microsecond) for the same program and
        task; an archive of no ``created`` (made by no mlevolve) is only its own path's run."""
        return self.meta.get("created") is not None and all(
            self.meta.get(key) == other.meta.get(key) for key in ("created", "program_hash", "task"))

    @cached_property
    def first(self) -> dict[str, Row]:
        """Each program's first row, by hash."""
        out: dict[str, Row] = {}
        for row in self.rows:
            out.setdefault(row.hash, row)
        return out

    @cached_property
    def made(self) -> dict[str, list[Row]]:
        """Every row of each program, by hash, in order: a program made again (a cache hit) is a row of its own."""
        out: dict[str, list[Row]] = {}
        for row in self.rows:
            out.setdefault(row.hash, []).append(row)
        return out

    def parent_row(self, h: str, child: Row) -> Row | None:
        """The row of program ``h`` that was ``child``'s parent (a program made again, a cache hit, is a row of its
        own, by another operator at another generation): of its rows made before the child (a pruned best's: its
        candidate, of its own seq), the deepest shallower than the child, the latest of those (a child is one
        generation deeper than its latest parent); its first row where none is."""
        rows = self.made.get(h, [])
        before = [r for r in rows if r.seq < child.seq or (child.source == "pruned" and r.seq == child.seq)]
        shallower = [r for r in before if r.generation < child.generation] or before
        return max(shallower, key=lambda r: (r.generation, r.seq), default=rows[0] if rows else None)

    @cached_property
    def groups(self) -> list[Group]:
        """The scored programs grouped by behaviour, best first (see :func:`behaviours`)."""
        return _behaviours(self)

    @property
    def evolved_names(self) -> set[str]:
        return {name.split(".")[0] for name in self.meta.get("evolve") or []}


def load(db: str | Path, top: int = 5, rows: bool = True, key: str | None = None, digits: int | None = None) -> Run:
    """Read archive ``db`` (read-only; it may be being written); ``rows=False`` skips all but the ``top``.

    With ``key``, the program whose hash starts with it is ``found`` (see :meth:`Archive.get`).
    ``digits``: the significant digits of the literals in the programs shown (:func:`evolved`,
    :func:`whole`; :data:`mlevolve.results.SHOWN_DIGITS` for people), None for every digit.
    """
    archive = Archive.read(db)
    try:
        archive.conn.execute("BEGIN")  # one snapshot: rows a writer commits meanwhile are not half-seen
        found = archive.get(key) if key is not None else None
        if key is not None and found is None and key.strip():  # a pruned best by its hash: this run's, or
            candidates = (pruned_row(r) for r in prune_records(archive.meta()))  # an earlier command's
            found = next((r for r in candidates if r is not None and r.hash.startswith(key.strip().lower())), None)
        if key is not None and found is None:
            raise MlevError(f"no program with hash {key!r} in the archive", file=str(db),
                            hint="`mlevolve best DB` lists hashes; a unique prefix is enough")
        run = Run(str(db), archive.meta(), tuple(archive.rows()) if rows else (), tuple(archive.best(top)), found,
                  digits)
        archive.conn.execute("COMMIT")
    except MlevError:  # a ValueError too (no such hash): its own words, not "cannot read archive"
        raise
    except (sqlite3.DatabaseError, ValueError) as err:
        raise MlevError(f"cannot read archive ({err})", file=str(db),
                        hint="the file is corrupt or was written by another program") from None
    finally:
        archive.close()
    return run


# -- one candidate --------------------------------------------------------------------------------------
def evolved(run: Run, row: Row, exact: bool = False) -> str:
    """The shown text of just the definitions the run evolved (the whole program if it names none), its
    literals to ``run.digits`` (every digit with ``exact``)."""
    return shown_program(row.program, only=run.evolved_names, archive=str(run.path),
                         whose=archived_whose(row.seq, row.source),
                         digits=None if exact else run.digits).rstrip("\n")


def whole(run: Run, row: Row) -> str:
    """The shown text of the whole program, its ``task`` line the run's task (a meta run's candidate, an inner run's
    best: that run's task, its ``source``), its literals to ``run.digits``."""
    meta = run.meta  # a data file by its absolute path, as export writes it
    task = row.source if meta.get("kind") == "meta" else saved_task(meta.get("task"), meta.get("data_path"))
    return shown_program(row.program, task=task if isinstance(task, str) else None,
                         archive=str(run.path), whose=archived_whose(row.seq, row.source), digits=run.digits)


def describe(run: Run, row: Row, group: Group | None = None) -> dict[str, Any]:
    """A candidate as the API hands it out (``best``, ``show``) and the renderers take it.

    ``program`` and ``evolved`` are the shown forms (see :func:`mlevolve.results.shown_program`),
    ``stored`` the text the archive holds; with a ``group``, ``same`` lists the hashes of the other
    programs with the same behaviour (see :func:`behaviours`; a pruned best's: its candidate's others, the candidate
    itself named by the ``pruned`` line) and ``alike`` the ``hash`` and ``fitness`` of those ranked below that read
    the same as shown (:func:`distinct`); ``pruned`` the line saying a pruned best is one
    (:func:`pruned_line`), or that the prune kept no edit of this best (there: its common draw's score, the one
    its verdict reads), or, of the candidate a kept prune came from, what it was pruned into; None for any other
    row.
    """
    record = run.meta.get("pruned")
    if (own := answer_record(run, row)) is not None:  # the answer's prune, or the answer it was made of
        record = own
    line = pruned_line(record) if isinstance(record, Mapping) and (row.source == "pruned" or (
        record.get("program") is None and record.get("from") == row.hash)) else None
    if row.source == "pruned" and (not isinstance(record, Mapping) or record.get("hash") != row.hash):
        earlier = next(r for r in prune_records(run.meta) if r.get("hash") == row.hash)
        at = f"at {earlier['budget']:,} candidates; " if "budget" in earlier else ""
        line = f"{pruned_line(earlier)} ({at}no longer the run's {earlier.get('of', 'fittest')})"  # or answer
    if line is None and isinstance(record, Mapping) and record.get("hash") and record.get("from") == row.hash:
        whose = answer_whose(run, own) if own is not None else "the run's fittest"
        line = f"pruned into {record['hash'][:12]}, {whose}: {_pruned_size(record)}"  # its candidate
    return {"pruned": line, "first": _first_why(run, row), "fitness": row.fitness,
            "metrics": r2_beside(row.metrics, run.meta.get("target_variance")),  # R² as run and the script show it
            "hash": row.hash, "seq": row.seq,
            "operator": row.operator, "generation": row.generation, "program": whole(run, row),
            "stored": row.program, "evolved": evolved(run, row), "source": row.source, "failure": row.failure,
            "failure_where": row.failure_where, "parents": list(row.parents), "size": row.size,
            "same": [m.hash for m in group.members if m.hash != row.hash and not _prune_pair(row, m)]
            if group is not None else [],
            "alike": [{"hash": m.hash, "fitness": m.fitness, "metrics": dict(m.metrics)} for m in group.alike]
            if group is not None else [],
            **({"task": row.source} if run.meta.get("kind") == "meta" else {})}  # an inner run's: its generator's


def _first_why(run: Run, row: Row) -> str | None:
    """Why the run's pruned best is listed above another behaviour that reads fitter (:func:`behaviours` puts it in
    its candidate's place: first, or second below a ``--select`` answer that is not the fittest): it was scored on the
    prune's common draw of tasks, the others each on a draw of its own; or its edits cost it less than the prune's
    tolerance below its candidate.  None for any other row, and where no listed behaviour reads fitter."""
    record = run.meta.get("pruned")
    if row.source != "pruned" or not isinstance(record, Mapping) or record.get("hash") != row.hash:
        return None
    scale = shown_scale(row.metrics)
    own = row.fitness or 0.0
    if not any((g.representative.fitness or 0.0) > own and not tied(g.representative.fitness or 0.0, own, scale)
               for g in run.groups if g.representative.hash != row.hash):
        return None
    if record.get("tasks"):
        return (f"listed as the run's fittest: scored on the prune's {record['tasks']:,} common tasks, the others "
                "each on tasks drawn for it")
    fitness = record.get("from_fitness")
    was = f" (fitness {apart(fitness, fitness)[0]})" if isinstance(fitness, float) else ""
    return f"listed as the run's fittest, in its candidate's place{was}: the prune's edits cost less than its tolerance"


def _prune_pair(a: Row, b: Row) -> bool:
    """Whether one of two rows is the other pruned: one behaviour listed once (:func:`behaviours`), but not called
    the same by ``same``, as their scores differ within the prune's tolerance; the ``pruned`` line names the
    candidate instead."""
    return any(x.source == "pruned" and x.parents[:1] == (y.hash,) for x, y in ((a, b), (b, a)))


def start(run: Run) -> dict[str, Any] | None:
    """The starting program's evaluation: what ``evolve`` kept in the meta (``start``), else the row of
    the file's program when the run began from it; None if neither is known.  A dict of ``hash``,
    ``how``, ``metrics`` (None for a failure), ``failure`` and (when known) ``program``, the start as scored."""
    stored = run.meta.get("start")
    if isinstance(stored, Mapping):  # as the verdict compares it with a best pruned on a common draw (fresh tasks)
        from mlevolve.gp.prune_best import on_common_draw

        return on_common_draw(stored, run.meta.get("pruned"))
    row = next((r for r in run.rows if r.operator == "init" and not r.parents), None)
    if row is None or row.source in ("hurdle", "probe"):
        return None
    return {"hash": row.hash, "how": f"candidate {row.seq}, the file's program",
            "metrics": dict(row.metrics) if row.failure is None else None, "failure": row.failure,
            "program": row.program}


def alike(run: Run, key: str, metrics: Mapping[str, Any]) -> tuple[dict[str, Any] | None, Mapping[str, Any], bool]:
    """The start (:func:`start`) and the metrics of the program archived under ``key`` (its ``metrics``) as a
    verdict compares them, and whether they were scored on different tasks.  Where tasks are drawn per candidate,
    the prune scored the run's best, its pruned form and the start on one common draw
    (:mod:`mlevolve.gp.prune_best`): the pruned best, and the best itself (where no edit was kept, its
    common-draw metrics), are compared with the start there; any other candidate (and every one where nothing
    was scored on a common draw: ``--no-prune``) with the start as the run scored it, each on tasks of its own, as
    the search compared them (then True: the verdict says so)."""
    from mlevolve.gp.prune_best import common_start
    from mlevolve.results import drawn_per_candidate

    record: Mapping[str, Any] = run.meta.get("pruned") or {}
    stored = run.meta.get("start")
    common = common_start(record)
    if common and key in (record.get("hash"), record.get("from")):
        return start(run), metrics if key == record.get("hash") else record["from_metrics"], False
    if not common or not isinstance(stored, Mapping):
        return start(run), metrics, drawn_per_candidate(run.meta.get("task"))
    return {**stored, "how": f"{stored['how']}; as the run scored it, on tasks drawn for it"}, metrics, True


def answer(run: Run, how: str = DEFAULT_SELECTION) -> dict[str, Any] | None:
    """The run's answer (see :func:`mlevolve.results.answer`) from the archive: its best against its
    start, with the re-evaluation ``evolve --confirm`` kept, when it is of this best.  None without a
    scored candidate.  ``how``: the rule choosing the answer (:func:`chosen`); where it picks a formula other than
    the fittest, that one, with ``fittest`` (``hash``, ``seq``, ``source``, ``size``, ``fitness``, ``metrics``) the
    fittest's."""
    from mlevolve.gp.prune_best import is_start
    from mlevolve.results import answer as build
    from mlevolve.results import as_written

    groups = behaviours(run)
    if not groups:
        return None
    pick = chosen(run, how)
    best = groups[0].representative if pick is None else pick.representative
    begin, metrics, apart = alike(run, best.hash, best.metrics)
    confirm = run.meta.get("confirm")
    pairs = [tuple(p) for p in confirm["pairs"]] if isinstance(confirm, Mapping) and \
        confirm.get("key", confirm.get("hash")) == best.hash else None  # (older archives kept no key)
    out = build(metrics, begin.get("metrics") if begin else None,
                variances=run.meta.get("target_variance") or {}, sizes=run.meta.get("split_size") or {},
                same_program=is_start(begin, best.hash, best.program), confirm=pairs,
                task=run.meta.get("task"), apart=apart, written=as_written(begin),
                rule=None if pick is None else (how, groups[0].representative.metrics), program=best.program)
    out["start"]["how"] = begin.get("how") if begin else "not known: the archive has no starting program's score"
    out["best"].update(hash=best.hash, seq=best.seq, source=best.source, program=evolved(run, best), size=best.size,
                       scaled=scaling_uncounted(best.program, best.size))  # its size without the a + b * f shown
    record = run.meta.get("pruned")
    if isinstance(record, Mapping) and pick is None:  # what the prune did, as the run's summary says it
        out["best"]["pruned"] = pruned_line(record)
    elif pick is not None and (own := answer_record(run, best)) is not None:  # the answer's own prune
        out["best"].update(pruned=pruned_line(own), pruned_from=own["from"] if own.get("program") else None,
                           prune_cost=own.get("evaluations"))  # this answer's own, where rules' answers differ
    elif pick is not None and isinstance(record, Mapping):  # the run pruned, but not this rule's answer: older
        out["best"]["pruned"] = UNPRUNED_ANSWER
    if (note := common_draw_note(record, best.hash, best.metrics)) is not None:
        out["best"]["note"] = note
    if pick is not None:
        f = groups[0].representative
        out["fittest"] = {"hash": f.hash, "seq": f.seq, "source": f.source, "size": f.size, "fitness": f.fitness,
                          "metrics": dict(f.metrics)}
        if isinstance(record, Mapping):  # the prune is the fittest's: its line goes with the fittest, not the answer
            out["fittest"]["pruned"] = pruned_line(record)
    return out


UNPRUNED_ANSWER = ("none: the archive was written before every --select rule's answer was pruned (`mlevolve evolve` "
                   "with the run's command and --budget prunes it, scoring nothing new)")
"""The ``pruned`` line of a rule's answer that an archive holds no prune of though the run pruned its fittest: one
written before ``evolve`` pruned each rule's answer (only ``--select best``'s was), which is shown unpruned."""


def listed(run: Run, n: int | None, how: str = DEFAULT_SELECTION) -> tuple[list[Group], bool]:
    """The ``n`` (None: all) behaviours a list of a run's bests shows (``best``, ``show --best``, the report's top
    programs), one per shown text (:func:`distinct`): rule ``how``'s answer first where it is not the fittest
    (:func:`chosen`), then the fittest others; and whether the first is such an answer.  Where the answer is the
    fittest, the list by fitness (:func:`behaviours`), as ever."""
    groups = behaviours(run)
    pick = chosen(run, how)
    if pick is None:
        return distinct(run, groups, n), False
    keys = {m.hash for m in pick.members}  # its prune, where it has one, in its candidate's group's place
    return distinct(run, [pick, *(g for g in groups if g.representative.hash not in keys)], n), True


def chosen(run: Run, how: str, raw: bool = False) -> Group | None:
    """The formula of the run's front (:func:`distinct_front`) that rule ``how`` (:data:`MODEL_SELECTIONS`,
    :func:`selected`: PySR's ``model_selection``) picks as the run's answer, where it is not the fittest (the
    front's last); None where it is, where the front has no scores (no ``train_mse``: not a formula run), and for
    ``accuracy`` and a meta run.  The one rule of ``evolve``'s summary, ``best``, ``show --best``,
    ``export --best``, the report and ``SymbolicRegressor``.  Where the run pruned that answer (meta
    ``pruned_answer``, ``pruned_answer_score``: :data:`mlevolve.gp.prune_best.ANSWER_SLOTS`, whichever rule's
    prune it is, one that kept an edit), its pruned program
    stands first for it, as the fittest's prune does for the fittest (:func:`answer_in_place`); ``raw``: not."""
    if how not in MODEL_SELECTIONS:
        raise ValueError(f"model selection must be one of {', '.join(MODEL_SELECTIONS)}, got {how!r}")
    if how == "accuracy" or run.meta.get("kind") == "meta":
        return None
    kept = distinct_front(run)
    if not kept or kept[0][1] is None:
        return None
    i = selected([{"score": s, "metrics": g.representative.metrics} for g, s in kept], how)
    return None if i == len(kept) - 1 else kept[i][0] if raw else answer_in_place(run, kept[i][0])


def answer_in_place(run: Run, pick: Group) -> Group:
    """``pick`` (a rule's answer, not the fittest) with its prune first where the run kept one of it (meta
    ``pruned_answer`` and the other rules' slots: :data:`mlevolve.gp.prune_best.ANSWER_SLOTS`), standing for its
    behaviour; else ``pick``."""
    row = answer_pruned(run, pick.representative)
    return pick if row is None else Group((row, *pick.members), pick.alike)


def answer_pruned(run: Run, row: Row) -> Row | None:
    """The prune the run kept of candidate ``row`` as a rule's answer (:func:`answer_record`, a prune that kept an
    edit), as a row in its candidate's place; None where there is none."""
    record = answer_record(run, row)
    return pruned_row(record) if record is not None and record.get("from") == row.hash else None


def answer_record(run: Run, row: Row) -> Mapping[str, Any] | None:
    """The prune of a rule's answer (meta ``pruned_answer`` and the other rules' slots,
    :data:`mlevolve.gp.prune_best.ANSWER_SLOTS`) that made ``row`` or was of it; None for another row."""
    from mlevolve.gp.prune_best import answer_records

    return next((r for r in answer_records(run.meta) if row.hash in (r.get("hash"), r.get("from"))), None)


def answer_whose(run: Run, record: Mapping[str, Any]) -> str:
    """Whose answer the prune ``record`` (:func:`answer_record`) is: ``the run's answer`` for the default rule's
    (``best``), ``the answer of --select score`` for another rule's, whose answer the run's is not."""
    from mlevolve.gp.prune_best import ANSWER_SLOTS

    rule = next((r for r, slot in ANSWER_SLOTS.items() if run.meta.get(slot) == record), DEFAULT_SELECTION)
    return "the run's answer" if rule == DEFAULT_SELECTION else f"the answer of --select {rule}"


# -- the pruned best ------------------------------------------------------------------------------------
def prune_records(meta: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The prunes of a run's best (:mod:`mlevolve.gp.prune_best`) whose programs a hash may name: the run's own
    (meta ``pruned``), its answers' (:data:`mlevolve.gp.prune_best.ANSWER_SLOTS`), then those an earlier command of the
    same run made and a later one replaced (``pruned_earlier``, newest first)."""
    from mlevolve.gp.prune_best import answer_records

    records = [meta.get("pruned"), *answer_records(meta), *(meta.get("pruned_earlier") or ())]
    return [r for r in records if isinstance(r, Mapping) and isinstance(r.get("program"), str)]


def pruned_row(record: Any) -> Row | None:
    """The run's pruned best (the archive's meta ``pruned``, made by ``evolve``: :mod:`mlevolve.gp.prune`) as a
    row shown in its candidate's place: ``source`` ``pruned``, ``operator`` ``prune``, its candidate its one
    parent and its ``seq``; None where the meta holds none (an archive made before the prune, ``--no-prune``, a
    prune that kept no edit)."""
    if not isinstance(record, Mapping) or not isinstance(record.get("program"), str):
        return None
    return Row(int(record["from_seq"]), str(record["hash"]), record["program"], float(record["fitness"]),
               dict(record["metrics"]), None, None, "pruned", None, "prune", (str(record["from"]),),
               int(record.get("from_generation", 0)), int(record["size"]), 0.0, 0.0,
               record["program"])  # simplified already: the prune's programs are


SCALING_UNCOUNTED = "the fitted a + b * f not counted"
"""What a size beside a fitted formula says: sizes are the search's (the size limit's, the front's), of the evolved
body as proposed, where the program shown carries the linear scaling its fitting found (docs/evolve.md)."""


def scaling_uncounted(text: str, size: int) -> bool:
    """Whether program ``text`` is a formula whose shown body has more nodes than ``size``, the search's size: the
    linear scaling ``a + b * f`` of a fitted formula, which sizes leave out (:data:`SCALING_UNCOUNTED`)."""
    from mlevolve.dsl.parse import parse

    try:
        formulas = [d.body.size for d in parse(text).definitions if d.kind == "formula" and d.body is not None]
    except MlevError:  # an archive's text that no longer parses: nothing to say of it
        return False
    return bool(formulas) and sum(formulas) != size


def _pruned_size(record: Mapping[str, Any]) -> str:
    """What a kept prune did to its candidate's size: ``17 -> 7 nodes``; ``still 9 nodes, fewer digits`` where only
    literals were rounded; ``still 9 nodes, a term zeroed (a literal snapped to 0)`` where its program holds a
    product by a literal 0 (``0.0 * x``: a term removed, which the program could not drop as written); a fitted
    formula's with ``(the fitted a + b * f not counted)``, as its program shows them."""
    nodes = counted(record["size"], "node")
    if scaling_uncounted(record["program"], record["size"]):  # `still 1 node` beside `0.1 + 2 * x`: say which size
        nodes += f" ({SCALING_UNCOUNTED})"
    if record["size"] != record["from_size"]:
        return f"{record['from_size']:,} -> {nodes}"
    if zeroed(record["program"]):  # a snap to 0 is no rounder literal (it read "fewer digits" beside 0.0 * x)
        return f"still {nodes}, {ZEROED}"
    return f"still {nodes}, fewer digits"  # a prune keeps only what is simpler: here, rounder literals


ZEROED = "a term zeroed (a literal snapped to 0)"


def zeroed(text: str) -> bool:
    """Whether program ``text`` holds a product by a float literal 0 (``0.0 * x``, ``x * 0.0``): a term a prune's
    snap to 0 removed in value but not in nodes."""
    from mlevolve.dsl.ir import Call, Num
    from mlevolve.dsl.parse import parse
    from mlevolve.dsl.traverse import walk

    try:
        bodies = [e for d in parse(text).definitions for e in (d.body, *(m.body for m in d.methods)) if e is not None]
    except MlevError:  # an archive's text that no longer parses: nothing to say of it
        return False
    return any(isinstance(n, Call) and n.op == "mul" and any(isinstance(a, Num) and not a.is_int and a.value == 0
                                                             for a in n.args) for b in bodies for n in walk(b))


def pruned_line(record: Mapping[str, Any]) -> str:
    """The one line that says what the prune of a run's best did (the archive's meta ``pruned``): the shown best
    is pruned, ``pruned from candidate 1234 (hash 0123456789ab): 17 -> 7 nodes, val_mse 2.1e-15 -> 0``
    (``mlevolve show DB 0123456789ab`` shows the candidate itself; ``still 5 nodes, fewer digits`` where only literals
    were rounded; ``... on 100 common tasks`` where tasks are drawn per candidate, both scored on one draw, the
    candidate's score on its own draw, as ``best`` lists it, then beside its hash); or
    ``no edit kept (N evaluations)`` (``... on 100 common tasks, where it scores fitness 0.99998``: what its
    verdict reads); or ``not pruned: the best fails on the 100 common tasks (REASON)``.  The
    error is shown at the fewest digits (a metric's, 5, at least) that tell its two values apart, :func:`apart`."""
    from mlevolve.results import fitness_metric

    spent = counted(record.get("evaluations", 0), "evaluation")
    common = f" on {counted(record['tasks'], 'common task')}" if record.get("tasks") else ""
    if record.get("failure"):
        return f"not pruned: the best fails on the{common.removeprefix(' on')} ({record['failure']}; {spent})"
    if record.get("program") is None:
        if not common:
            return f"no edit kept ({spent})"
        name = fitness_metric(record["from_metrics"]).name  # what the start is compared with: the common draw's
        score = record["from_metrics"].get(name)
        return f"no edit kept ({spent}{common}, where it scores {name} {apart(score, score)[0]})"
    name = fitness_metric(record["metrics"]).name
    if name.endswith("r2") and f"{name[:-2]}mse" in record["metrics"]:  # the error shows what R² 1.0 hides
        name = f"{name[:-2]}mse"
    old, new = apart(record["from_metrics"].get(name), record["metrics"].get(name))
    size = _pruned_size(record)
    own = record.get("from_own_metrics", {}).get(name) if record.get("tasks") else None
    own = f"; {name} {apart(own, own)[0]} on its own draw" if own is not None else ""  # what `best` lists it at
    runner_up = ", a runner-up pruned past the best" if record.get("runner_up") else ""  # prune_best.PRUNE_SOURCES
    return (f"pruned from candidate {record['from_seq']} (hash {str(record['from'])[:12]}{own}{runner_up}): {size}, "
            f"{name} {old} -> {new}{common}")


def common_draw_note(record: Any, key: str, own: Mapping[str, Any]) -> str | None:
    """What the shown best's metrics are where its prune (``record``, the archive's meta ``pruned``) kept no edit of
    it (archived under ``key``) on a common draw of tasks: "scored on the prune's 100 common tasks, as the start;
    fitness 0.666928 on its own draw", ``own`` being its metrics as the run scored it (what ``best`` and the
    report's counts list it at); None for any other best or prune."""
    from mlevolve.results import fitness_metric

    if not (isinstance(record, Mapping) and record.get("program") is None and record.get("tasks")
            and not record.get("failure") and record.get("from") == key):
        return None
    name = fitness_metric(own).name
    value = own.get(name)
    mine = f"; {name} {apart(value, value)[0]} on its own draw" if isinstance(value, float) else ""
    return f"scored on the prune's {record['tasks']:,} common tasks, as the start{mine}"


def apart(old: Any, new: Any, least: int = METRIC_DIGITS) -> tuple[str, str]:
    """Two values of a metric as text, floats at the fewest significant digits, ``least`` at least (a metric's,
    :data:`~mlevolve.results.METRIC_DIGITS`), that tell them apart (``1.00000012`` and ``1.00000013``: 9), or as
    every metric is shown (:func:`~mlevolve.results.shown_metric`) when they are equal."""
    if not (isinstance(old, float) and isinstance(new, float)):
        return str(old), str(new)
    for d in range(least, 18):
        if shown_metric(old, d) != shown_metric(new, d):
            return shown_metric(old, d), shown_metric(new, d)
    return shown_metric(old, least), shown_metric(new, least)


# -- distinct behaviours --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """Programs with the same behaviour: ``members`` (each program's first row), the representative first; ``alike``:
    the rows of the groups ranked below it that show the same text (:func:`distinct`), merged into it where listed."""

    members: tuple[Row, ...]
    alike: tuple[Row, ...] = ()

    @property
    def representative(self) -> Row:
        return self.members[0]


_COSTS = frozenset({"fit_evaluations"})  # what scoring cost, not what the program does


def _measures(row: Row) -> str:
    """The row's measures as a key: exact, or to 8 significant digits for rows whose measures tell
    programs apart on their own (:func:`_telling`: refitted constants move the last digits)."""
    digits = _telling(row)
    return json.dumps({k: float(f"{v:.8g}") if digits and isinstance(v, float) else v
                       for k, v in row.metrics.items()
                       if (k not in NOT_MEASURES or k == "fitness") and k not in _COSTS}, sort_keys=True)


def _telling(row: Row) -> bool:
    """Whether a row's measures tell programs apart on their own: a fitted formula's (its constants were
    refitted, so programs that differ only in constants that cancel, and score alike on the training
    and the held-out points to 8 digits, compute one function there)."""
    measures = [k for k in row.metrics if k not in NOT_MEASURES and k not in _COSTS]
    return "fit_evaluations" in row.metrics and any(k.startswith("test_") for k in measures)


def behaviours(run: Run) -> list[Group]:
    """The scored programs of a run grouped by behaviour, best group first (computed once per snapshot)."""
    return run.groups


def _behaviours(run: Run) -> list[Group]:
    """The scored programs of a run grouped by behaviour, best group first.

    Two programs behave the same when they share an FEC fingerprint (the same outputs on the probe
    inputs; a row scored by FEC carries the fingerprint it matched), have equal metrics on the
    training and held-out splits alike (to 8 significant digits), or have equal metrics and the same shown
    text (:func:`mlevolve.results.shown_program`).  Groups are the connected components of
    those relations (union-find); each group's representative is its first by :func:`mlevolve.results.shown_order`
    (of its programs tied with its fittest, the smallest).
    Ranked by the representative's fitness, ties to the earliest; programs (and groups) whose fitnesses
    tie within float rounding are shown smallest first (:func:`mlevolve.results.shown_order`), as every
    command that shows a run's best does (``best``, ``show``, ``report``, ``export DB --best``).  The run's pruned
    best (the archive's meta ``pruned``) is first, in its candidate's group's place (:func:`_in_place`).
    """
    firsts = [r for r in run.first.values() if r.fitness is not None]
    parent = {r.hash: r.hash for r in firsts}

    def find(h: str) -> str:
        while parent[h] != h:
            parent[h] = parent[parent[h]]
            h = parent[h]
        return h

    def join(keyed: dict[Any, list[str]]) -> None:
        for hashes in keyed.values():
            for h in hashes[1:]:
                parent[find(h)] = find(hashes[0])

    by_print: dict[str, list[str]] = {}
    for row in run.rows:
        if row.fingerprint is not None and row.hash in parent and row.hash not in by_print.get(row.fingerprint, ()):
            by_print.setdefault(row.fingerprint, []).append(row.hash)
    join(by_print)
    by_metrics: dict[str, list[Row]] = {}
    for row in firsts:
        by_metrics.setdefault(_measures(row), []).append(row)
    by_text: dict[tuple[str, str], list[str]] = {}
    for key, rows in by_metrics.items():
        if len(rows) > 1:  # only programs that tie on every metric are compared by text
            for row in rows:
                by_text.setdefault((key, "" if _telling(row) else evolved(run, row, exact=True)), []).append(row.hash)
    join(by_text)
    groups: dict[str, list[Row]] = {}
    for row in firsts:
        groups.setdefault(find(row.hash), []).append(row)
    def rank(r: Row) -> tuple[float, int]:
        return -(r.fitness or 0.0), r.seq

    def shown(rows: list[Row]) -> list[Row]:  # tied within float rounding: the smaller program first
        return shown_order(sorted(rows, key=rank), lambda r: r.fitness or 0.0, lambda r: r.size,
                           lambda r: shown_scale(r.metrics))

    ranked = [Group(tuple(shown(rows))) for rows in groups.values()]
    by_representative = {id(g.representative): g for g in ranked}
    out = [by_representative[id(r)] for r in shown([g.representative for g in ranked])]
    record = run.meta.get("pruned") or {}
    pruned = pruned_row(record)
    top = out[0].representative if out else None
    if top is not None and pruned is not None and (top.hash == pruned.parents[0] or (
            record.get("runner_up") and (pruned.fitness or 0.0) >= (top.fitness or 0.0))):  # the best pruned, or a
        # runner-up pruned past it (prune_best.PRUNE_SOURCES; not where a run resumed since has found better)
        out = _in_place(out, pruned)
    return out


def _in_place(groups: list[Group], pruned: Row) -> list[Group]:
    """``groups`` with the pruned best first, standing for its candidate's behaviour: the candidate's group is
    merged into it (its members, the candidate first, then listed in ``same``), not listed again as a behaviour of
    its own.  The prune keeps only edits its scoring cannot tell from the candidate (:mod:`mlevolve.gp.prune`), so
    the two are one behaviour shown twice otherwise; the pruned entry's ``pruned`` line names the candidate."""
    source = pruned.parents[0]
    of = next((g for g in groups if any(m.hash == source for m in g.members)), None)
    members = () if of is None else tuple(sorted(of.members, key=lambda m: m.hash != source))
    return [Group((pruned, *members)), *(g for g in groups if g is not of)]


def distinct(run: Run, groups: Sequence[Group], n: int | None = None) -> list[Group]:
    """``groups`` (ranked) one per shown text, as a list of bests shows them (``best``, ``best --front``, ``show``,
    the report): a group whose representative reads as an earlier one's (:func:`evolved`, its literals to
    ``run.digits``) is merged into that one, its rows added to its :attr:`Group.alike`, where behaviours did not tie
    (a run drawing tasks per candidate scores one program text on draws of its own; programs whose literals differ
    past the digits shown).  The first ``n`` (all for None) distinct texts; groups below the last one listed are not
    read (a run's thousands of behaviours: each text costs a parse and a simplification), so a text further down
    that reads as a listed one adds nothing to its ``alike``."""
    out: list[Group] = []
    at: dict[str, int] = {}
    for g in groups:
        text = evolved(run, g.representative)
        if text in at:
            kept = out[at[text]]
            out[at[text]] = Group(kept.members, (*kept.alike, *g.members, *g.alike))
            continue
        if n is not None and len(out) >= n:
            break
        at[text] = len(out)
        out.append(g)
    return out


def group_of(run: Run, row: Row) -> Group:
    """The behaviour group of ``row`` (just itself when it failed)."""
    return next((g for g in behaviours(run) if any(m.hash == row.hash for m in g.members)), Group((row,)))


def best_parent(run: Run, row: Row) -> Row | None:
    """The fittest of a row's parents that the archive holds (a failed parent ranks last)."""
    parents = [p for h in row.parents if (p := run.parent_row(h, row)) is not None
               and (p.seq < row.seq or row.source == "pruned")]  # a pruned best: its candidate's seq
    return max(parents, key=lambda p: (p.fitness is not None, p.fitness or 0.0), default=None)


def ancestry(run: Run, row: Row) -> list[dict[str, Any]]:
    """The chain of best parents from ``row``'s parent to the root, one dict per step (a row: ``hash``, ``operator``,
    ``generation``, ``fitness``, ``seq``, and ``again``: where the chain holds the same program further back, made
    again by an edit its canonical form undid, that step's generation, else None)."""
    out: list[dict[str, Any]] = []
    current = run.first.get(row.hash, row)
    seen = {(current.seq, current.hash)}  # by row: a program made again may be its own ancestor (a pruned best
    # shares its candidate's seq)
    while current.parents:
        parent = best_parent(run, current)
        if parent is None:
            out.append({"hash": current.parents[0], "missing": True})
            break
        if (parent.seq, parent.hash) in seen:
            break
        seen.add((parent.seq, parent.hash))
        out.append({"hash": parent.hash, "operator": parent.operator, "generation": parent.generation,
                    "fitness": parent.fitness, "metrics": dict(parent.metrics), "seq": parent.seq})
        current = parent
    for i, step in enumerate(out):  # a program made again (an edit its canonical form undoes): which step it repeats
        step["again"] = next((older["generation"] for older in out[i + 1:] if older["hash"] == step["hash"]), None)
    return out


def lineage(run: Run, row: Row, limit: int = 60) -> tuple[nx.DiGraph, int]:
    """The ancestors of ``row`` (parent -> child edges), the ``limit`` nearest to it (breadth first).

    Returns the graph and how many further ancestors were left out.  A node is a program's hash, or ``HASH#SEQ`` for
    another row of a program already drawn (made again, by another operator: :meth:`Run.parent_row`); nodes carry
    ``operator``, ``fitness``, ``generation`` and ``seq``; ``missing`` marks a parent the archive lacks.
    """
    start = run.first.get(row.hash, row)  # as :func:`ancestry` starts
    order: list[tuple[str, Row | None]] = [(row.hash, start)]  # (node, its row): a node is a row, not a program
    node_of: dict[tuple[int, str], str] = {(start.seq, start.hash): row.hash}  # a program made again: HASH#SEQ
    drawn, edges = {row.hash}, list[tuple[str, str]]()  # the programs drawn; parent -> child
    for name, node in order:  # grows while iterating: a breadth-first walk over every ancestor
        if node is None:  # a parent the archive lacks
            continue
        for p in node.parents:
            parent = run.parent_row(p, node)
            if parent is not None and parent.seq >= node.seq and node.source != "pruned":
                continue  # only earlier rows (a pruned best's one parent has its seq): the graph stays acyclic
            ident = (parent.seq if parent is not None else -1, p)
            if ident not in node_of:
                node_of[ident] = f"{p}#{ident[0]}" if p in drawn else p
                drawn.add(p)
                order.append((node_of[ident], parent))
            edges.append((node_of[ident], name))
    import networkx as nx  # here, not above: the run's summary imports this module, no lineage (stop 59)

    kept = {name for name, _ in order[:limit]}
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from((name, _node_attributes(r)) for name, r in order[:limit])
    graph.add_edges_from((a, b) for a, b in edges if a in kept and b in kept)
    return graph, len(order) - len(kept)


def fitness_label(run: Run) -> str:
    """What the run's fitness is, for a label of its values: ``fitness = train_r2``, ``fitness = -val_mse`` (the
    summary's words for the metric it is: :func:`mlevolve.results.fitness_metric` of its best's metrics), or bare
    ``fitness`` where no metric is it (or nothing scored)."""
    from mlevolve.results import fitness_metric

    if not run.top:
        return "fitness"
    metric = fitness_metric({**run.top[0].metrics, "fitness": run.top[0].fitness})
    if metric.name == "fitness":
        return "fitness"
    return f"fitness = {'' if metric.higher_is_better else '-'}{metric.name}"


def _node_attributes(row: Row | None) -> dict[str, Any]:
    if row is None:
        return {"missing": True, "operator": "?", "fitness": None, "metrics": {}, "generation": -1, "seq": -1}
    return {"missing": False, "operator": row.operator, "fitness": row.fitness, "metrics": row.metrics,
            "generation": row.generation, "seq": row.seq}


# -- the whole run --------------------------------------------------------------------------------------
def hurdled(run: Run) -> bool:
    """Whether a hurdle could answer the run's candidates: one did, or the setting is on and the program's
    regime reads it (a formula's or a learner's never does)."""
    if any(row.source == "hurdle" for row in run.rows):
        return True
    return bool(run.meta.get("hurdle", True)) and reads(run, "hurdle")


def reads(run: Run, setting: str) -> bool:
    """Whether the run's program reads ``setting`` (``epochs``, ``hurdle``: :func:`mlevolve.api.check_settings_apply`,
    a formula or learner reads neither); True where the archive holds no program this checkout can read."""
    from mlevolve import api
    from mlevolve.dsl.errors import SettingError
    from mlevolve.dsl.parse import parse

    program = run.meta.get("program")
    if not isinstance(program, str):  # no program to tell by (an archive made before meta held it): the setting
        return True
    try:
        api.check_settings_apply(parse(program), [setting])
    except SettingError:
        return False
    except MlevError:  # a program this checkout cannot read: as the setting says
        return True
    return True


def counts(run: Run) -> dict[str, Any]:
    """Candidates by how they were scored (no hurdle count where no hurdle could answer one: :func:`hurdled`),
    failures, distinct programs, the fittest (as shown: pruned, where it is; not the ``--select`` answer, which the
    report's answer names) and time."""
    by_source = Counter(row.source for row in run.rows)
    scored = [row for row in run.rows if row.fitness is not None]
    groups = behaviours(run)
    best = groups[0].representative if groups else None  # the one best every command shows (pruned, where it is)
    sources = [s for s in SOURCES if s != "hurdle" or hurdled(run)]
    return {"candidates": len(run.rows), "distinct programs": len(run.first),
            **{s: by_source.get(s, 0) for s in (*sources, *sorted(set(by_source) - set(SOURCES)))},
            "failed": len(run.rows) - len(scored), "fittest's fitness": best.fitness if best else None,
            "fittest's hash": best.hash[:12] if best else None,
            "seconds in candidates": round(sum(row.seconds for row in run.rows), 3)}


def failure_reasons(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """The failed candidates' reasons, most common first, reasons that differ only in their numbers ("off by
    2.8e+10", "off by 3e+12") counted as one: ``reason`` (the first candidate's words), ``count``, ``total``
    (failures in all) and ``hash``, that first candidate's (``mlevolve show DB HASH`` shows it)."""
    failed = [row for row in rows if row.fitness is None and row.failure]
    kinds = [re.sub(r"\d[\d.,e+-]*", "#", row.failure or "") for row in failed]
    first: dict[str, Row] = {}
    for kind, row in zip(kinds, failed, strict=True):
        first.setdefault(kind, row)
    return [{"reason": first[kind].failure, "count": n, "total": len(failed), "hash": first[kind].hash}
            for kind, n in Counter(kinds).most_common()]


def finished(run: Run) -> bool:
    """Whether the archive's run ended (at its budget or its time limit) with a summary of the rows it holds."""
    summary = run.meta.get("summary")
    return isinstance(summary, Mapping) and summary.get("candidates") == len(run.rows)


def state(run: Run) -> str:
    """The run's state in words: finished (at the time limit, ``--max-time``, short of its budget, said so), or in
    progress or interrupted."""
    if not finished(run):
        return "in progress or interrupted (no final summary for these rows)"
    limit = run.meta["summary"].get("time_limit")
    if isinstance(limit, Mapping):
        return f"finished at the time limit of {limit['max_time']:g} s, before the budget of {limit['budget']:,}"
    return "finished"


def best_so_far(rows: Sequence[Row]) -> list[float | None]:
    out: list[float | None] = []
    best: float | None = None
    for row in rows:
        if row.fitness is not None and (best is None or row.fitness > best):
            best = row.fitness
        out.append(best)
    return out


def rolling_median(rows: Sequence[Row], window: int) -> list[float | None]:
    """At each candidate, the median fitness of the last ``window`` candidates that have one."""
    recent: deque[float] = deque(maxlen=window)
    out: list[float | None] = []
    for row in rows:
        if row.fitness is not None:
            recent.append(row.fitness)
        out.append(statistics.median(recent) if recent else None)
    return out


@dataclass(frozen=True)
class SizeWindow:
    """The sizes of one window of consecutive candidates: ``first``..``last`` (seq, inclusive),
    ``candidates`` in it, ``measured`` of them (evenly spaced), and over those the 25th, 50th and
    75th percentiles of the evolved definitions' size (nodes) as evaluated (``evaluated``: the
    stored program) and simplified (``simplified``: its stored simplified form; None when the
    archive predates the simplifier)."""

    first: int
    last: int
    candidates: int
    measured: int
    evaluated: tuple[float, float, float]
    simplified: tuple[float, float, float] | None


def _quartiles(values: Sequence[int]) -> tuple[float, float, float]:
    import numpy as np

    q1, q2, q3 = np.percentile(np.asarray(values, dtype=float), [25, 50, 75])
    return float(q1), float(q2), float(q3)


def size_distribution(run: Run, windows: int = 20, sample: int = 100) -> list[SizeWindow]:
    """How big the run's programs were over the run: its candidates cut into ``windows`` windows of
    (nearly) equal count, each with the quartiles of the evolved definitions' size in the program
    as evaluated (the archive's ``program``: for a fitted formula, with its fitted constants and
    linear scaling) and in the same program simplified (the archive's ``simplified``, see
    :func:`mlevolve.dsl.simplify.simplify_program`).

    Parsing costs about a millisecond a program, so at most ``sample`` candidates per window are
    measured, evenly spaced (``measured`` says how many; each distinct program is parsed once).
    Failed candidates count: they are programs the search made."""
    rows = run.rows
    if not rows:
        return []
    n = min(windows, len(rows))
    names = [str(name) for name in run.meta.get("evolve") or []]
    cache: dict[str, int] = {}
    out: list[SizeWindow] = []
    for k in range(n):
        part = rows[len(rows) * k // n:len(rows) * (k + 1) // n]
        m = min(sample, len(part))
        picked = [part[len(part) * j // m] for j in range(m)]
        simplified = [_size(r.simplified, names, cache, run, archived_whose(r.seq, r.source)) for r in picked
                      if r.simplified is not None]
        out.append(SizeWindow(part[0].seq, part[-1].seq, len(part), m,
                              _quartiles([_size(r.program, names, cache, run, archived_whose(r.seq, r.source))
                                          for r in picked]),
                              _quartiles(simplified) if len(simplified) == m else None))
    return out


def _size(text: str, names: Sequence[str], cache: dict[str, int], run: Run, whose: int | str) -> int:
    """The size (nodes) of the evolved definitions ``names`` of program ``text``, ``whose`` in ``run``'s
    archive (:func:`mlevolve.results.archived_whose`) (all bodies if none is named), parsed once per text.

    Raises:
        MlevError: the text does not parse (:func:`mlevolve.results.parse_archived`)."""
    if text not in cache:
        from mlevolve.dsl.kinds import slots

        bodies = {s.name: s.body.size for s in slots(parse_archived(text, str(run.path), whose))}
        cache[text] = sum(bodies[n] for n in names if n in bodies) if names else sum(bodies.values())
    return cache[text]


def cumulative_sources(rows: Sequence[Row]) -> dict[str, list[int]]:
    """For each source (and ``failed``), how many candidates so far had it, at each candidate."""
    names = [s for s in SOURCES if any(r.source == s for r in rows)]
    names += sorted({r.source for r in rows} - set(names))
    totals = Counter[str]()
    out: dict[str, list[int]] = {name: [] for name in [*names, "failed"]}
    for row in rows:
        totals[row.source] += 1
        totals["failed"] += row.fitness is None
        for name, series in out.items():
            series.append(totals[name])
    return out


def pareto_front(items: Sequence[T], size: Callable[[T], int], fitness: Callable[[T], float],
                 tie: Callable[[float, float], bool] | None = None) -> list[T]:
    """The items no other dominates (as small or smaller and as fit or fitter, one of them strictly), by size
    ascending, one of each size: of items of one size tied in fitness, the first given (a ranking breaks ties as it
    likes).  ``tie(a, b)``: fitnesses that count as equal (float rounding), so an item tied with the fittest smaller
    one is dominated by it."""
    def fitter(a: T, b: T) -> bool:
        return fitness(a) > fitness(b) and not (tie and tie(fitness(a), fitness(b)))

    front: list[T] = []
    for item in sorted(items, key=size):  # stable: items of one size in the order given
        if front and size(item) == size(front[-1]):  # a fitter one of the size on the front takes its place
            front[-1] = item if fitter(item, front[-1]) else front[-1]
        elif not front or fitter(item, front[-1]):  # fitter than every smaller one
            front.append(item)
    return front


def front(run: Run) -> list[tuple[Group, float | None]]:
    """The run's Pareto front of fitness against size: the behaviours (:func:`behaviours`, each by its
    representative) no other is both smaller (nodes of the evolved definitions, as the size limit reads them) and
    fitter than, by size ascending (:func:`pareto_front`, of one size the best ranked: a best shown pruned rather than
    its candidate); a behaviour tied (:func:`mlevolve.results.tied`) with the fittest smaller one is not fitter, so the
    last is the fittest (the run's shown best where its tasks are fixed: a best pruned there is ranked as fit as its
    candidate, whose place it takes, though the prune's edits may cost it up to their tolerance).  Each with its
    score where every one's metrics have a ``train_mse`` (0, an exact fit, read as the least positive normal float, as
    PySR clamps it): the first 0, then ``-(ln mse_i - ln mse_{i-1}) / (size_i - size_{i-1})``, the loss bought per
    node, which PySR ranks its front by (Cranmer 2023, arXiv:2305.01582, section 3); else None."""
    scale = shown_scale(run.groups[0].representative.metrics) if run.groups else 0.0  # one metric a run
    record = run.meta.get("pruned")
    found: tuple[Any, Any] = (record.get("hash"), record.get("from_fitness")) \
        if isinstance(record, Mapping) and "tasks" not in record else (None, None)

    def fitness(g: Group) -> float:  # a best pruned on the run's own tasks stands in its candidate's place: an edit
        # costing under the prune's tolerance (more than float rounding) leaves it as fit as the candidate it prunes
        r, (key, candidate) = g.representative, found
        own = r.fitness or 0.0
        return max(own, float(candidate)) if r.source == "pruned" and r.hash == key and isinstance(
            candidate, int | float) else own
    return scored(pareto_front(run.groups, lambda g: g.representative.size, fitness, lambda a, b: tied(a, b, scale)))


def scored(kept: Sequence[Group]) -> list[tuple[Group, float | None]]:
    """Each group of a front (``kept``, by size ascending) with its PySR score (:func:`front`), or None for all."""
    mse = [float(m) for g in kept if isinstance(m := g.representative.metrics.get("train_mse"), int | float)
           and 0 <= m < math.inf]
    if len(mse) < len(kept):
        return [(g, None) for g in kept]
    logs = [math.log(max(m, sys.float_info.min)) for m in mse]  # an exact fit: PySR's clamp
    sizes = [g.representative.size for g in kept]
    return [(g, 0.0 if i == 0 else -(logs[i] - logs[i - 1]) / (sizes[i] - sizes[i - 1])) for i, g in enumerate(kept)]


def distinct_front(run: Run) -> list[tuple[Group, float | None]]:
    """:func:`front` one entry per shown text (:func:`distinct`): of entries that read the same, the fittest (the
    last of them, the largest) is kept, the others in its ``alike``, and the scores are those of the entries kept (a
    front less some of its entries is still one: each entry fitter than every smaller one)."""
    kept = distinct(run, [g for g, _ in reversed(front(run))])
    return scored(kept[::-1])



def select_flag(select: str) -> str:
    """`` --select SELECT`` for a suggested command that reads the run's answer, or "" for the default rule."""
    return f" --select {select}" if select != DEFAULT_SELECTION else ""


def selected(front: Sequence[Mapping[str, Any]], how: str) -> int:
    """The index in ``front`` (dicts with ``score`` and ``metrics``, smallest first: ``api.best(front=True)``,
    ``SymbolicRegressor.front_``) of the formula ``how`` picks, as PySR's ``model_selection`` does (its
    ``idx_model_selection``): ``accuracy`` the fittest (the last); ``score`` the highest score; ``best`` the highest
    score of those whose train MSE is at most 1.5 times the least (ties to the smaller).  Where the front has no
    scores, the fittest."""
    if how == "accuracy" or not front or front[0]["score"] is None:
        return len(front) - 1
    least = min(e["metrics"]["train_mse"] for e in front)
    fits = [i for i, e in enumerate(front) if how == "score" or e["metrics"]["train_mse"] <= 1.5 * least]
    return max(fits, key=lambda i: (front[i]["score"], -i))


@dataclass(frozen=True)
class OperatorStat:
    operator: str
    children: int
    improved: int

    @property
    def rate(self) -> float:
        return self.improved / self.children if self.children else 0.0


def operator_stats(run: Run) -> list[OperatorStat]:
    """Per operator, its children with parents and how many beat their best parent's fitness."""
    children, improved = Counter[str](), Counter[str]()
    for row in run.rows:
        if not row.parents:
            continue
        parent = best_parent(run, row)
        baseline = parent.fitness if parent is not None else None
        children[row.operator] += 1
        improved[row.operator] += row.fitness is not None and (baseline is None or row.fitness > baseline)
    return [OperatorStat(op, children[op], improved[op]) for op in sorted(children, key=lambda o: (-children[o], o))]


def default_generator(db: str | Path) -> Path:
    """Where ``mlevolve meta`` writes its generator without ``-o``: beside the archive ``db``, ``.grammar.toml`` for
    its suffix (:func:`mlevolve.api.meta`)."""
    return Path(db).with_suffix(".grammar.toml")


def meta_command(config: str | Path, db: str | Path | None = None, output: str | Path | None = None) -> str:
    """The command ``mlevolve meta CONFIG [--db DB] [-o OUTPUT]`` (None: not given), runnable as printed: each path
    shell-quoted, as :func:`mlevolve.api.next_commands` quotes evolve's.  The one writer of a suggested meta command:
    a generator file's header, the report's resume line."""
    import shlex

    return shlex.join(["mlevolve", "meta", str(config), *(["--db", str(db)] if db is not None else []),
                       *(["-o", str(output)] if output is not None else [])])


def meta_resume(meta: Mapping[str, Any], db: str | Path, config: str | Path | None = None) -> str | None:
    """The command that resumes the meta run whose archive ``db`` holds ``meta`` (its meta table): its configuration
    and ``-o`` as the run recorded them (``command``), else ``config`` where the caller knows it; None where neither
    says (an archive made before archives kept it, no ``config``)."""
    made = meta.get("command")
    if isinstance(made, Mapping) and isinstance(made.get("config"), str):
        output = made.get("output")
        return meta_command(made["config"], db, output if isinstance(output, str) else None)
    return None if config is None else meta_command(config, db)


def meta_generations(run: Run) -> list[dict[str, Any]] | None:
    """The ``meta_generations`` entries of a meta run (None if the archive has none).

    Each entry may carry ``generation``, ``grammar_size``, ``rule_usage`` ({rule: count}),
    ``operators`` ({operator: weight}) and ``best_fitness``; missing keys are shown as absent.
    """
    value = run.meta.get("meta_generations")
    if value is None:
        return None
    entries = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else []
    return [{"generation": i, **entry} for i, entry in enumerate(entries) if isinstance(entry, Mapping)]
