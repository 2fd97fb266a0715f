"""The end of a run, for a person: what was found, how good it is against the start, what to run next.

:func:`lines` is the full summary ``mlevolve evolve`` prints, :func:`one_line` the ``--quiet`` one;
both read the dict :func:`mlevolve.api.evolve` returns (its ``answer``: see
:func:`mlevolve.results.answer`), so the terminal and ``--json`` say the same thing.  The report's
headline (``page``) uses :func:`side` and :func:`spread_text` for the same wording.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from mlevolve.gp.progress import WARMUP_SHOWN
from mlevolve.messages import counted
from mlevolve.results import APART, APART_CONFIRMED, METRIC_DIGITS, SOURCES, shown_metric


def value(x: float | None, other: float | None = None, digits: int = METRIC_DIGITS) -> str:
    """``x`` to ``digits`` significant digits (a metric's: :data:`~mlevolve.results.METRIC_DIGITS`), or to as many
    more (up to 17) as it takes to print it differently from ``other``: two different values never read the same
    ("better than the start's 0.99887" of 0.99887; ``mlevolve grammar diff``'s "1 -> 1" of a weight that changed
    in its 8th digit), nor as a round number it is not (:func:`mlevolve.results.shown_metric`)."""
    if x is None:
        return "—"
    while other is not None and other != x and digits < 17 and f"{x:.{digits}g}" == f"{other:.{digits}g}":
        digits += 1
    return shown_metric(x, digits)


def side(name: str, s: Mapping[str, Any], other: Mapping[str, Any] | None = None) -> str:
    """``val_mse 1.14  R² 0.12  test_mse 1.2  (test R² 0.1)`` for one side of an answer; ``other``: the side it
    is compared with, whose metric value it is printed distinctly from (see :func:`value`)."""
    out = f"{name} {value(s.get('value'), (other or {}).get('value'))}"
    if s.get("scale_free"):
        out += f"  R² {shown_metric(s['scale_free']['value'])}"
    test = s.get("test")
    if test:
        out += f"  {test['name']} {value(test['value'], ((other or {}).get('test') or {}).get('value'))}"
        if test.get("scale_free"):
            out += f" (R² {shown_metric(test['scale_free']['value'])})"
    return out


NOT_KEPT = ("show only reads the archive (a run may hold it), so its spread is not kept here: "
            "evolve --confirm N keeps one")
"""Why the report still offers ``show --confirm`` after one ran (conf94): show is a reader of an archive whose one
writer is the run holding its lock (or of a folder nobody may write); ``evolve --confirm`` keeps its spread in the
archive's meta (``confirm``), which the report shows."""


def spread_text(a: Mapping[str, Any], whose: str | None = None) -> str | None:
    """The gain over re-evaluation seeds in words, or None when there was no re-evaluation; of ``whose``, else of
    "the answer" where the answer ``a`` is not the fittest (its ``fittest``: a ``--select`` rule chose another), else
    of "the best"."""
    c = a.get("confirm")
    if not c:
        return None
    name = a["metric"]["name"]
    seeds = counted(c["seeds"], "more seed")  # `--confirm 1`: not "1 more seeds"
    if c["gain_mean"] is None:
        return f"over {seeds}: no comparison (every re-evaluation failed)"
    sd = f" ± {c['gain_sd']:.3g} (mean ± sd)" if c["gain_sd"] is not None else ""
    failed = f"; {c['failed']:,} failed" if c["failed"] else ""
    direction = "higher" if a["metric"]["higher_is_better"] else "lower"
    # an RL task has no data to draw: a seed gives its episodes (training's and the greedy ones), as Metric.describe
    draw = "new episodes" if name.endswith("_return") else "a new draw of the task's data"
    whose = whose or ("the answer" if a.get("fittest") else "the best")
    return (f"over {seeds} (each {draw}; training, if any, reseeded): "
            f"{name} of {whose} minus the start's {c['gain_mean']:+.4g}{sd} ({direction} is better); {whose} was "
            f"{seed_counts(c, a['metric']['higher_is_better'])}{failed}")


def seed_counts(c: Mapping[str, Any], higher_is_better: bool) -> str:
    """What a spread ``c`` (:func:`mlevolve.results.spread`) says of the seeds in plain words: the mean's side, then
    on how many seeds the program was better, within noise (:func:`mlevolve.results.beats` either way: a tie by
    the verdict's rule) or worse: "worse on average, within noise on each of 5 seeds", "better on average: better
    on 2 of 3, worse on 1 of 3", "better on each of 4 seeds".
    A tie by rule beside a negative mean is still worse on average (conf94)."""
    mean, n = c["gain_mean"], c["seeds"] - c["failed"]
    ties = c.get("tied_on") or 0  # (absent in a summary stored before ties were counted)
    kinds = [("better", c["better_on"]), ("within noise", ties), ("worse", n - c["better_on"] - ties)]
    side = "the same" if mean == 0 else "better" if (mean > 0) == higher_is_better else "worse"
    whole = next((k for k, m in kinds if m == n), None)
    if n == 1:  # its one gain is the mean
        return f"{side} on the one seed" + ("" if whole == side else f" ({whole})")
    if whole is not None:
        each = f"{whole} on each of {n:,} seeds"
        return each if whole == side else f"{side} on average, {each}"
    return f"{side} on average: " + ", ".join(f"{k} on {m:,} of {n:,}" for k, m in kinds if m)


def no_score_text(db: str, reasons: Sequence[Mapping[str, Any]], finished: bool) -> tuple[str, str]:
    """What to say (message, hint) of archive ``db`` where no candidate has a fitness: every one failed
    (the most common reason, and the command that shows one), or none has been scored yet."""
    if not reasons:
        return ("no candidate with a fitness yet" if not finished else "no candidate with a fitness",
                "wait for the run to score one; if none is running, an evolve run given this archive starts one "
                "(an archive without candidates takes any run's settings)" if not finished else
                "a larger --budget resumes the run")
    top = reasons[0]
    word = "every candidate failed" if finished else "every one so far failed"
    return (f"no candidate with a fitness{'' if finished else ' yet'}: {word} ({top['total']:,}); the most common "
            f"reason ({top['count']:,} of {top['total']:,}): {top['reason']}",
            f"see one with `mlevolve show {shlex.quote(db)} {top['hash'][:12]}`")


def environment_note(changed: Sequence[str], kept: str = "its candidates are kept, new ones may score apart in "
                     "the last digits") -> str:
    """The note of a resumed run whose environment differs from its archive's last run's (``changed``: the
    differences, as :func:`mlevolve.meta.provenance.differences` gives them); ``kept``: what becomes of the stored
    results."""
    return f"note: this archive's last run was in another environment ({'; '.join(changed)}): {kept}"


def compiled_line(seconds: float) -> str | None:
    """The summary's line of the ``seconds`` numba spent compiling the kernels while the command ran (measured:
    :func:`mlevolve.interpreter.compiling.compile_seconds` before and after), which no shown time counts (a fresh
    install's first run: "search 0.053 s" of an 18 s command); None at or under :data:`WARMUP_SHOWN` (a load from
    numba's cache compiles nothing)."""
    if seconds <= WARMUP_SHOWN:
        return None
    return f"compiling kernels {seconds:.1f} s (numba, once per install: cached for later runs)"


def lines(result: Mapping[str, Any], compiled: float = 0.0) -> list[str]:
    """The summary ``mlevolve evolve`` prints at the end of a run; ``compiled``: the seconds numba spent compiling
    kernels in the command and its workers (:func:`compiled_line`), said below the search's time."""
    old = result.get("replayed_counts") or {}  # a resumed run: what the archive answered, apart from this run's
    counts = ", ".join(f"{k} {(result.get(k) or 0) - old.get(k, 0):,}" for k in SOURCES
                       if k != "hurdle" or result.get(k) is not None)  # None (or, in older archives, absent): no hurdle
    if result.get("fit_evaluations") is not None:  # constant fitting's evaluations (formulas), training runs (learners)
        counts += f"; fitting {result['fit_evaluations'] - old.get('fit_evaluations', 0):,} evaluations"
    n = result["candidates"]
    head = f"{counted(n, 'candidate')} ({result['replayed']:,} from the archive): {counts}"
    if result["replayed"]:
        head = (f"{counted(n, 'candidate')}: {result['replayed']:,} replayed from the archive, "
                f"{result['candidates'] - result['replayed']:,} new ({counts})")
    if result.get("restarts") is not None:  # a run re-seeding its population (--restart-every): epochs after the first,
        r = result["restarts"]  # the whole run's (a resumed run's too: outside the bracket of what is new)
        head += f"; {counted(r, 'restart')}{' in all' if result['replayed'] else ''}"
        if result.get("restart_every") is not None:  # the value used (a learner search's default: 20 x the population)
            head += f" (every {result['restart_every']:,})"
    out = [head, *filter(None, [beyond_budget(result), time_limited(result)]),
           f"archive: {result['db']}  (search {result['seconds']} s)",  # not the archive's time: the search's
           *filter(None, [compiled_line(compiled)])]
    a = result.get("answer")
    if a is None or result.get("best_hash") is None:
        message, hint = no_score_text(result["db"], result.get("failures") or [], True)
        return [*out, message, f"hint: {hint}"]
    metric = a["metric"]
    name = metric["name"]
    fitness = name if metric["higher_is_better"] else f"-{name}"
    best = a["best"]
    out += ["",
            f"metric:  {metric['description']}" + (f"; fitness = {fitness}" if name != "fitness" else ""),
            f"start:   {start_text(name, a['start'], best)}",
            *([f"best:    {best_text(name, best, a['start'])}"] if not a.get("fittest") else
              [f"answer:  {answer_text(name, best, a['start'], result['selected']['rule'])}",
               *answer_pruned_lines(best, result["db"], _answer_prune_cost(result, best)),
               *fittest_lines(name, a["fittest"], result["selected"]["rule"], tail=_fittest_tail(result))]),
            *([f"pruned:  {best['pruned']}" + (f"; its {_prune_cost(result)} evaluations counted"
                                                f"{_shown_unpruned(result['db'], result['pruned_from']['hash'])}"
                                                if result.get("pruned_from") else "")]
              if best.get("pruned") and not a.get("fittest") else []),
            f"verdict: {a['verdict']}"]
    spread = spread_text(a)
    if spread is not None:
        out.append(f"spread:  {spread}")
    else:
        out.append("spread:  one seed only; `--confirm N` (evolve or show) re-evaluates with N more seeds")
    out += ["", "answer program:" if a.get("fittest") else "best program:",
            *("    " + line if line else "" for line in best["program"].splitlines()),
            *(["as algebra (SymPy):", f"    {best['algebra']}"] if best.get("algebra") else []), "",
            "next:", *(f"    {c}" for c in result["next"])]
    return out


SELECT_RULES = {"best": "PySR's pick: the highest score within 1.5x the least train_mse",
                "score": "the highest PySR score", "accuracy": "the fittest"}
"""Each ``--select`` rule (:data:`mlevolve.report.data.MODEL_SELECTIONS`) in words, as the answer's line says it."""


def start_text(name: str, start: Mapping[str, Any], best: Mapping[str, Any]) -> str:
    """The start's line beside the run's answer ``best`` (the summary's, ``best``'s where the answer is not the
    fittest): its metrics and how it was scored."""
    return f"{side(name, start, best)}   ({start.get('how', 'the starting program')})"


def best_text(name: str, best: Mapping[str, Any], start: Mapping[str, Any]) -> str:
    """The best's line where the answer is the fittest (the summary's, ``best``'s header): its metrics, hash,
    candidate and note (``best``: an answer's ``best`` side with the row's ``hash``, ``seq`` and ``source``)."""
    return (f"{side(name, best, start)}   (hash {best['hash'][:12]}, {which(best)}"
            f"{': ' + best['note'] if best.get('note') else ''})")


def answer_text(name: str, best: Mapping[str, Any], start: Mapping[str, Any], select: str) -> str:
    """The answer's line where rule ``select`` chose a formula other than the fittest: its metrics, hash, candidate,
    size and the rule."""
    return (f"{side(name, best, start)}   (hash {best['hash'][:12]}, {which(best)}, size {best['size']}; "
            f"--select {select}: {SELECT_RULES[select]})")


def fittest_text(name: str, fittest: Mapping[str, Any], select: str) -> str:
    """The fittest's line beside an answer rule ``select`` chose otherwise (:func:`mlevolve.api.answer`'s
    ``fittest``): its metric (and its held-out one), size, hash, and the flag that answers with it."""
    metrics = fittest["metrics"]
    held = "test_" + name.split("_", 1)[1] if name.startswith(("train_", "val_")) else None  # as the answer's side
    test = f"  {held} {value(metrics[held])}" if held and isinstance(metrics.get(held), int | float) else ""
    shown = value(metrics[name]) if isinstance(metrics.get(name), int | float) else value(fittest["fitness"])
    return (f"{name} {shown}{test}  size {fittest['size']}  (hash {fittest['hash'][:12]}, {which(fittest)}; "
            f"--select accuracy answers with it)")


def fittest_lines(name: str, fittest: Mapping[str, Any], select: str, tail: str = "") -> list[str]:
    """The fittest's line (:func:`fittest_text`) and, where the run's prune made or left it, the ``pruned:`` line
    saying so (``data.pruned_line``): every summary that names a fittest apart from its answer (evolve's, ``best``,
    ``show --best``) gives both, as a best that is the answer has its own ``pruned:`` line; ``tail``: what evolve's
    summary adds to it (:func:`_fittest_tail`)."""
    return [f"fittest: {fittest_text(name, fittest, select)}",
            *([f"pruned:  the fittest's prune: {fittest['pruned']}{tail}"] if fittest.get("pruned") else [])]


def _fittest_tail(result: Mapping[str, Any]) -> str:
    """What evolve's summary adds to the fittest's ``pruned:`` line where the answer is another: the prune's
    evaluations, and where it kept an edit the command that shows the fittest unpruned."""
    found = result.get("pruned_from")
    show = _shown_unpruned(result["db"], found["hash"]) if found else ""
    return f"; its {_prune_cost(result)} evaluations counted{show}"


def _shown_unpruned(db: str, pruned_from: str) -> str:
    """``; `mlevolve show DB H` shows it unpruned``: the command a ``pruned:`` line gives for the candidate a kept
    prune was made of (``pruned_from``, its hash)."""
    return f"; `mlevolve show {shlex.quote(db)} {pruned_from[:12]}` shows it unpruned"


def answer_pruned_lines(best: Mapping[str, Any], db: str | None = None, cost: str | None = None) -> list[str]:
    """The ``pruned:`` line of an answer that is not the fittest, where the run pruned it (``best['pruned']``,
    ``data.pruned_line`` of meta ``pruned_answer``): ``pruned:  the answer's prune: pruned from candidate 31 (hash
    H): ...``, with its evaluations (``cost``) and the command showing it unpruned where ``db`` is given (evolve's
    summary); none where it was not pruned."""
    if not best.get("pruned"):
        return []
    line = f"pruned:  the answer's prune: {best['pruned']}"
    if db is not None and cost is not None:
        line += f"; its {cost} evaluations counted"
        if best.get("pruned_from"):
            line += _shown_unpruned(db, best["pruned_from"])
    return [line]


def which(c: Mapping[str, Any]) -> str:
    """``candidate 31``, or ``the prune of candidate 31`` for a pruned program (archived with its candidate's seq, under
    a hash of its own: the pruned line names the candidate's)."""
    return f"{'the prune of ' * (c.get('source') == 'pruned')}candidate {c['seq']}"


def beyond_budget(result: Mapping[str, Any]) -> str | None:
    """The line saying that the run's archive holds more candidates than its budget (a run resumed with a
    smaller ``--budget``), so that nothing new was evaluated; None where it does not."""
    archived, budget = result.get("archived", 0), result["candidates"]
    if archived <= budget:
        return None
    return (f"budget: the archive already holds {archived:,} candidates, more than --budget {budget:,}: nothing new "
            f"was evaluated, and this summary considers its first {budget:,} (a larger --budget goes on)")


def time_limited(result: Mapping[str, Any]) -> str | None:
    """The line saying that the run stopped at its time limit (``max_time``) before its budget, and how to go on;
    None where it did not."""
    limit = result.get("time_limit")
    if not limit:
        return None
    return (f"stopped at the time limit of {limit['max_time']:g} s after {result['candidates']:,} of "
            f"{limit['budget']:,} candidates: the same command resumes it with a fresh allowance")


def one_line(result: Mapping[str, Any], compiled: float = 0.0) -> str:
    """The ``--quiet`` summary: the best's metric against the start's, the candidates, the archive, and the seconds
    numba spent compiling kernels (``compiled``) where :func:`compiled_line` says them."""
    a = result.get("answer")
    held = f" (the budget; the archive holds {result['archived']:,})" if beyond_budget(result) else ""
    if result.get("time_limit"):
        held = f" of {result['time_limit']['budget']:,}, stopped at the time limit"
    tail = f"{counted(result['candidates'], 'candidate')}{held}; archive {shlex.quote(result['db'])}"
    if note := compiled_line(compiled):
        tail += f"; {note}"
    if a is None or result.get("best_hash") is None:
        reasons = result.get("failures") or []
        why = f" (most common failure: {reasons[0]['reason']})" if reasons else ""
        return f"no candidate scored{why}; {tail}"
    name = a["metric"]["name"]
    better = a["better"]
    b, s = a["best"]["value"], a["start"]["value"]
    if better is None:  # the start failed, or a random start has none
        against = f"the start has no {name} to compare"
    else:
        word = "better than" if better else "no gain over" if a.get("tied", a["gain"] == 0) else \
            "no better than" if a["verdict"].startswith("no better") else \
            "slightly worse than" if a["verdict"].startswith("slightly") else "WORSE than"  # the verdict's word
        drawn = ", each on tasks drawn for it" if a["verdict"].endswith((APART, APART_CONFIRMED)) else ""
        tuned = a["start"].get("tuned") if not better else None  # what "no gain" or "worse" compares with
        written = "it fails" if a["start"].get("as_written") is None else value(a["start"]["as_written"], s)
        tuning = f" with {tuned} (as written {written})" if tuned else ""
        against = f"{word} the start's {value(s, b)}{tuning}{drawn}"
    found = result.get("pruned_from")  # the search's best, where the one shown is it pruned
    pruned = f" (pruned from {found['hash'][:12]})" if found else ""
    fittest = a.get("fittest")
    if fittest is not None:  # the rule chose another than the fittest: both, each by its hash
        of = a["best"].get("pruned_from")  # the answer pruned (meta pruned_answer): its candidate's hash
        pruned = (f" (--select {result['selected']['rule']}, size {a['best']['size']}"
                  f"{f', pruned from {of[:12]}' if of else ''}; fittest "
                  f"{fittest['hash'][:12]}, size {fittest['size']}: --select accuracy answers with it)")
    word = "answer" if fittest is not None else "best"
    return f"{word} {name} {value(b, s)} ({against}); hash {result['best_hash'][:12]}{pruned}; {tail}"


def _prune_cost(result: Mapping[str, Any], of: str = "") -> str:
    """This prune's evaluations, and every prune's of the archive where they are more (a best pruned again);
    ``of`` ``answer_``: the answer's prune's (``answer_prune_cost``), else the fittest's."""
    spent = int(result.get(f"{of}prune_evaluations") or 0)
    cost = int(result.get(f"{of}prune_cost") or spent)
    return f"{cost:,}" + (f" ({spent:,} by every prune of this archive)" if spent != cost else "")


def _answer_prune_cost(result: Mapping[str, Any], best: Mapping[str, Any]) -> str:
    """The evaluations of the prune of the answer shown (``best``'s ``prune_cost``), and those of every prune of the
    run's answers where they are more (each ``--select`` rule's answer pruned: ``answer_prune_evaluations``); where
    the answer does not say its own, the summary's (:func:`_prune_cost`)."""
    own = best.get("prune_cost")
    if not isinstance(own, int):
        return _prune_cost(result, "answer_")
    spent = int(result.get("answer_prune_evaluations") or own)
    return f"{own:,}" + (f" ({spent:,} by every prune of this archive's answers)" if spent != own else "")


def generator_text(summary: Mapping[str, Any]) -> str:
    """What a meta run's written generator holds and which meta-generation it is, as ``mlevolve meta`` prints it
    and the report's answer says it: ``0 learned rules, 0 operators; meta-generation 0, validation AUC 0.5043``
    (``summary``: the archive's meta ``summary``, as :func:`mlevolve.api.meta` returns it)."""
    auc = summary.get("best_validation_auc")
    chosen = summary.get("chosen_generation")
    return (f"{counted(int(summary.get('rules') or 0), 'learned rule')}, "
            f"{counted(int(summary.get('operators') or 0), 'operator')}; "
            + ("the base grammar: no meta-generation's best beat it on validation" if chosen is None
               else f"meta-generation {chosen}, validation AUC {'n/a' if auc is None else shown_metric(auc)}"))
