"""The run report: one self-contained HTML file (inline CSS, PNG data URIs, inline SVG, no script).

A Content-Security-Policy in the page forbids every network load and every script, so the file
reads the same offline, anywhere.  Sections, answer first: the best program with its metric against
the starting program's (the gain, its spread over re-evaluation seeds, the test metric), fitness over
the candidates, the top behaviours with their diffs against their parents (captioned with the
operator that made each), fitness against size (the Pareto front) and size over the run, how
candidates were scored, operator success, the best program's lineage, the run's identity and
counts, and (for meta runs only) grammar growth.
"""

from __future__ import annotations

import difflib
import shlex
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

from mlevolve.gp.archive import Row
from mlevolve.interpreter.standalone.spec import TaskError, split_spec
from mlevolve.messages import in_repository
from mlevolve.report import data, lineage, plots, render, summary
from mlevolve.report.data import Run
from mlevolve.results import saved_task, shown_program

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: .2em .8em; border-bottom: 1px solid #eee;
  text-align: left; vertical-align: top; } th { background: #f6f6f6; } td.n { text-align: right; }
img.plot { max-width: 100%; display: block; } .note { background: #fff6d5; border-left: 4px solid #e0b000;
  padding: .5em .8em; } .card { border: 1px solid #ddd; border-radius: 6px; padding: .3em 1em; margin: 1em 0; }
pre { background: #fafafa; border: 1px solid #eee; padding: .6em; overflow-x: auto; font-size: 13px; }
.scroll { overflow-x: auto; } .t-keyword { color: #a626a4; font-weight: bold; } .t-kind { color: #2a56c6;
  font-weight: bold; } .t-def { font-weight: bold; } .t-type { color: #0184bc; } .t-call { color: #986801; }
.t-number, .t-string { color: #50a14f; } .t-comment { color: #8a8a8a; font-style: italic; } .t-hash { color: #986801;
  font-family: monospace; } .t-fitness { color: #2d7d2d; font-weight: bold; } .t-failure, .t-del { color: #c0392b; }
.t-dim { color: #777; } .t-label { font-weight: bold; } .t-add { color: #2d7d2d; }
table.answer th { width: 6em; background: none; } table.answer td.worse { color: #c0392b; font-weight: bold; }
.diff > span { display: block; min-height: 1.2em; } .diff .add { background: #e6ffec; }
.diff .del { background: #ffebe9; } .diff .hunk { color: #777; }
svg.lineage rect { fill: #f4f7fb; stroke: #7a8ca5; } svg.lineage text { font: 12px monospace; fill: #222; }
svg.lineage .focus rect { fill: #e6ffec; stroke: #2d7d2d; stroke-width: 2; }
svg.lineage .failed rect { fill: #ffebe9; } svg.lineage .missing rect { fill: #eee; stroke-dasharray: 4 3; }
svg.lineage .h { fill: #986801; font-weight: bold; }
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def build(run: Run, baseline: Run | None = None, lineage_limit: int = 60, top: int = 5,
          select: str = data.DEFAULT_SELECTION) -> str:
    """The whole HTML document for ``run`` (optionally comparing with a ``baseline`` run), answer first:
    the program rule ``select`` chooses (:func:`mlevolve.report.data.chosen`) against the start, the curve, the top
    ``top`` behaviours, then the rest.  Every path it shows is absolute (:func:`shown_path`): the archive's, the
    baseline's, a data file's (:func:`named_task`), each task of a meta run's splits."""
    run = replace(run, path=shown_path(run.path))
    baseline = None if baseline is None else replace(baseline, path=shown_path(baseline.path))
    meta = run.meta.get("kind") == "meta"
    task = _splits(run) if meta else named_task(run)
    title = f"{run.meta.get('program_name', '?')}{', a meta run: ' if meta else ' on '}{task}"
    body = [f"<h1>mlevolve run report: {escape(title)}</h1>", *_notes(run)]
    entries = data.meta_generations(run)
    if run.rows:
        body += [_answer(run, select) if entries is None else _meta_answer(run), _fitness(run, baseline),
                 _top(run, top, select), _meta_shape(run) if meta else _shape(run, select), _sources(run),
                 _operators(run),
                 _lineage(run, lineage_limit, select)]
    body += [_identity(run), _counts(run)]
    if entries is not None:
        body.append(_meta_generations(entries, _meta_fitness(run)))
    generated = time.strftime("%Y-%m-%d %H:%M:%S")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n" + "\n".join(body)
            + f'\n<p class="t-dim">Written by mlevolve from {escape(run.path)} at {generated}.</p>\n</body></html>\n')


def command(run: Run, name: str, what: str, select: str = data.DEFAULT_SELECTION) -> str:
    """The command ``mlevolve NAME DB WHAT`` the page suggests, runnable as printed: the archive's path, shell-quoted,
    and ``--select SELECT`` where the rule is not the default (``best``), so that it reads the answer the page names."""
    return f"mlevolve {name} {shlex.quote(run.path)} {what}{data.select_flag(select)}"


def _answer(run: Run, select: str = data.DEFAULT_SELECTION) -> str:
    """The headline: the program ``select`` chooses, its metric, the start's, the gain (and its spread), the test
    metric; where it is not the fittest, the fittest in a row of its own."""
    a = data.answer(run, select)
    if a is None:  # what `best` and the run's summary say: whether the run finished, and why its candidates failed
        message, hint = summary.no_score_text(run.path, data.failure_reasons(run.rows), data.finished(run))
        return _section("The answer", f"<p>{escape(message[:1].upper() + message[1:])}</p><p class=\"t-dim\">"
                                      f"{escape(hint)}</p>")
    name, best, start = a["metric"]["name"], a["best"], a["start"]
    worse = a["verdict"].startswith(("WORSE", "slightly worse"))  # not a tie, nor a gain within GAIN_RTOL
    rows = [("metric", a["metric"]["description"]),
            ("answer", summary.answer_text(name, best, start, select)) if a.get("fittest") else
            ("best", f"{summary.side(name, best, start)}   (hash {best['hash'][:12]}, {summary.which(best)}, "
                     f"size {best['size']}{', ' + data.SCALING_UNCOUNTED if best['scaled'] else ''}"
                     f"{': ' + best['note'] if best.get('note') else ''})"),
            *([("pruned", f"the answer's prune: {best['pruned']}" if a.get("fittest") else best["pruned"])]
              if best.get("pruned") else []),  # whose prune each row is, where the answer is not the fittest
            *([("fittest", summary.fittest_text(name, a["fittest"], select))] if a.get("fittest") else []),
            *([("pruned", f"the fittest's prune: {a['fittest']['pruned']}")]
              if (a.get("fittest") or {}).get("pruned") else []),
            ("start", f"{summary.side(name, start, best)}   ({start.get('how')})"),
            ("gain", a["verdict"]),
            ("spread", summary.spread_text(a) or f"one seed only: `{command(run, 'show', '--best', select)} --confirm "
                                                 f"5` re-evaluates {'the answer' if a.get('fittest') else 'the best'} "
                                                 "and the start with 5 more seeds and prints the spread; "
                                                 f"{summary.NOT_KEPT}")]
    table = "\n".join(["<table class=\"answer\">",
                       *(f"<tr><th>{escape(k)}</th><td{' class=worse' if k == 'gain' and worse else ''}>"
                         f"{escape(v)}</td></tr>" for k, v in rows), "</table>"])
    heading = f"The answer's program (--select {select})" if a.get("fittest") else "Best program"
    return _section("The answer", table, f"<h3>{escape(heading)}</h3>", _code(render.code(best["program"])))


def _splits(run: Run) -> str:
    """A meta run's tasks by split, ``train nguyen1, nguyen5; validation nguyen2; test nguyen4`` (an archive that
    records no split lists: its training tasks, from its ``task``, "meta:TASK,TASK")."""
    parts = [(part, run.meta.get(part)) for part in ("train", "validation", "test")]
    if not any(isinstance(names, list) for _, names in parts):
        return f"train {', '.join(map(_meta_task, str(run.meta.get('task', '?')).split(':', 1)[-1].split(',')))}"
    return "; ".join(f"{part} {', '.join(map(_meta_task, names)) or 'none'}" for part, names in parts
                     if isinstance(names, list))


def _meta_task(task: object) -> str:
    """A meta run's task as the report names it (:func:`named_task`'s rule): a data file by its absolute path
    (:func:`shown_path`; a configuration's are kept so, beside it, by a run of today), its options as given; a
    built-in task by its name."""
    text = str(task)
    try:  # the name as the reader splits it (a folder's name may hold ':')
        name = split_spec(text)[0]
    except TaskError:
        return text
    if not (Path(name).suffix or "/" in name) or not text.startswith(name):  # a built-in task's has no suffix
        return text
    return shown_path(name) + text[len(name):]


def _meta_answer(run: Run) -> str:
    """A meta run's headline: its answer is the generator it learned, not one program against a start: the grammar
    file it wrote (the archive's ``summary`` ``output``; before archives kept it, the default path rule), the
    meta-generation it holds and its validation AUC, as ``mlevolve meta`` printed them."""
    record = run.meta.get("summary")
    if not isinstance(record, Mapping) or "chosen_generation" not in record:
        command = data.meta_resume(run.meta, run.path)
        if command is not None:  # the configuration it was made with, as its run recorded it
            rerun = f"rerun <code>{escape(command)}</code>"
        else:  # an archive made before archives kept it
            rerun = (f"rerun <code>{escape(data.meta_command('CONFIG', run.path))}</code>, CONFIG the configuration "
                     "it was made with (the archive, written before archives kept its path, does not say),")
        return _section("The answer", "<p>A meta run's answer is the generator it learned; this run has not written "
                        f"it yet (it is in progress or was stopped): {rerun} to resume it. The programs below are its "
                        "inner runs' candidates, each scored on its own inner run's task.</p>")
    output = record.get("output")
    where = (f"<code>{escape(str(output))}</code>" if isinstance(output, str) else
             f"<code>{escape(str(data.default_generator(run.path)))}</code> if <code>mlevolve meta</code> was not "
             "given <code>-o</code> (the archive, written before archives kept the path, does not say)")
    return _section("The answer", f"<p>A meta run's answer is the generator it learned: the grammar file {where} "
                    f"({escape(summary.generator_text(record))}), whose evidence on held-out tasks "
                    f"{in_repository('<code>benchmarks/meta/evidence.py</code>')} measures "
                    f"({in_repository('docs/meta.md')}). Its meta-generations are at the "
                    "end of this page; the programs below are its inner runs' candidates, each scored on its own inner "
                    "run's task.</p>")


def _table(rows: Iterable[Sequence[Any]], head: Sequence[str] | None = None) -> str:
    def cell(v: Any, tag: str = "td") -> str:
        numeric = isinstance(v, int | float) and not isinstance(v, bool)
        text = render.number(v) if isinstance(v, float) else "—" if v is None else str(v)
        return f'<{tag}{" class=n" if numeric else ""}>{escape(text)}</{tag}>'

    out = ["<table>"]
    if head:
        out.append("<tr>" + "".join(cell(h, "th") for h in head) + "</tr>")
    out += ["<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows]
    return "\n".join([*out, "</table>"])


def shown_path(path: str | Path) -> str:
    """A file's path as the report shows it, the one rule for each (an archive's, a data file's): absolute, as the
    run read a data file (``data_path``, :func:`mlevolve.interpreter.tasks.data_source`), so that a page read
    elsewhere, or a command on it run from another folder, names the same file (``r.db`` read ``r.db`` beside a
    task's ``/home/u/runs/xy.csv``)."""
    return str(Path(path).resolve())


def named_task(run: Run, none: str | None = "?") -> str | None:
    """The run's task as every place of the report names it (the title, the Run table, a program's task line): a data
    file by the absolute path the run read it at, as ``export`` and the shown programs write it
    (:func:`mlevolve.results.saved_task`), a built-in task by its name; ``none`` where the archive records none."""
    task = saved_task(run.meta.get("task"), run.meta.get("data_path"))
    return none if task is None else task


def _section(title: str, *content: str) -> str:
    return f"<section><h2>{escape(title)}</h2>\n" + "\n".join(content) + "\n</section>"


def _img(uri: str, alt: str) -> str:
    return f'<img class="plot" src="{uri}" alt="{escape(alt)}">'


def _code(lines: Sequence[render.Line], css: str = "code") -> str:
    return f'<pre class="{css}">{render.html_block(lines)}</pre>'


def _notes(run: Run) -> list[str]:
    notes = []
    if not run.meta:
        notes.append("This archive is empty: it holds neither a run's identity nor any candidate. "
                     "A run may have been stopped before it wrote anything.")
    elif not run.rows:
        notes.append("This archive holds no candidates yet: the run has not scored one, or it was stopped "
                     "before it did. Only the run's identity is shown.")
    elif not data.finished(run):
        notes.append(f"This run is in progress or was interrupted: the report shows the {len(run.rows):,} "
                     "candidates the archive held when it was read.")
    return [f'<p class="note">{escape(n)}</p>' for n in notes]


def _identity(run: Run) -> str:
    from mlevolve.api import algorithm_reads

    m = {**run.meta, "offspring": run.meta.get("offspring") or run.meta.get("population")}  # 0: lambda = mu
    settings = ", ".join(f"{k} {m[k]}" for k in ("population", "tournament", "mutation_prob", "offspring",
                                                   "max_depth", "max_size", "hurdle", "restart_every", "bandit",
                                                   "islands", "migration_interval", "migrants", "size_bins",
                                                   "behaviour_bins")
                         if k in m and algorithm_reads(str(m.get("algorithm")), k)  # as the run read them
                         and (k != "hurdle" or data.hurdled(run)))
    created = m.get("created")
    if m.get("kind") == "meta":
        return _meta_identity(run)
    rows = [("archive", run.path), ("program", m.get("program_name")), ("task", named_task(run)),
            ("evolving", ", ".join(m.get("evolve") or []) or None), ("algorithm", m.get("algorithm")),
            ("settings", settings or None), ("init", m.get("init")), ("seed", m.get("seed")),
            *([("epochs", m.get("epochs"))] if data.reads(run, "epochs") else []), ("grammar", m.get("grammar")),
            ("started", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)) if created else None),
            ("state", data.state(run) if m else None)]
    rows = [(k, None if v is None else str(v)) for k, v in rows]  # text, left-aligned
    program = m.get("program")
    task = named_task(run, None)
    start = [] if not isinstance(program, str) else [
        "<h3>Starting program</h3>", _code(render.code(shown_program(program, task=task, digits=run.digits,
                                                                archive=str(run.path), whose="the starting program")))]
    return _section("Run", _table(rows), *start)


def _meta_identity(run: Run) -> str:
    """A meta run's identity: its tasks by split, the meta settings it ran with (``[meta]``: its seed, population,
    generations, ranking ...) and its inner runs' (``[inner]``), in place of an evolve run's algorithm, init and
    seed, which a meta run has only per inner run."""
    m = run.meta

    def listed(settings: Any) -> str | None:
        return ", ".join(f"{k} {str(v).lower() if isinstance(v, bool) else v}" for k, v in settings.items()) \
            if isinstance(settings, Mapping) and settings else None

    created = m.get("created")
    rows = [("archive", run.path), ("program", m.get("program_name")), ("tasks", _splits(run)),
            ("evolving", ", ".join(m.get("evolve") or []) or None), ("meta settings", listed(m.get("meta_settings"))),
            ("inner runs", listed(m.get("inner"))), ("grammar", m.get("grammar")),
            ("started", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)) if created else None),
            ("state", data.state(run))]
    return _section("Run", _table([(k, None if v is None else str(v)) for k, v in rows]))


def _counts(run: Run) -> str:
    return _section("Counts", _table(data.counts(run).items()))


def _fitness(run: Run, baseline: Run | None) -> str:
    note = "" if baseline is None else f"<p>Dashed: the best so far of the baseline run {escape(baseline.path)}.</p>"
    return _section("Fitness over the candidates", _img(plots.fitness(run, baseline), "fitness over candidates"), note)


def _sources(run: Run) -> str:
    return _section("How candidates were scored", _img(plots.sources(run), "cumulative counts by source"),
                    "<p>evaluated: trained fully; cache: the same program seen before; fec: functionally equivalent "
                    "to an earlier one; hurdle: stopped after a short run; probe: rejected on probe inputs; "
                    "failed: no fitness (any source).</p>")


def _operators(run: Run) -> str:
    stats = data.operator_stats(run)
    if not stats:
        return _section("Operators", "<p>No candidate here was made from a parent (random search, or only the "
                                     "initial population so far).</p>")
    table = _table(((s.operator, s.children, s.improved, f"{100 * s.rate:.1f}%") for s in stats),
                   ("operator", "children", "improved on best parent", "success rate"))
    return _section("Operators", _img(plots.operators(stats), "operator success rates"), table)


def _top(run: Run, top: int, select: str = data.DEFAULT_SELECTION) -> str:
    """The top ``top`` behaviours, as ``best`` lists them: rule ``select``'s answer first where it is not the
    fittest (:func:`mlevolve.report.data.listed`, marked), then the fittest."""
    groups, chosen = data.listed(run, top, select)
    if not groups:
        return _section("Top programs", "<p>No candidate has a fitness yet.</p>")
    cards = []
    described = [data.describe(run, g.representative, g) for g in groups]
    for rank, (group, c, digits) in enumerate(zip(groups, described, render.apart_digits(described), strict=True), 1):
        row = group.representative
        c = {**c, "digits": digits, **({"selected": select} if chosen and rank == 1 else {})}
        same = "".join(f"<br>{render.html(line)}" for line in (*render.pruned_line(c), *render.same_line(c)))
        cards.append(f'<div class="card"><p>{render.html(render.headline(c, rank))}<br>'
                     f'<span class="t-dim">{escape(render.metrics_text(c["metrics"], digits))}</span>{same}</p>'
                     f"{_code(render.code(c['evolved']))}{_diff(run, row)}</div>")
    return _section(f"Top {len(groups):,} behaviours", "<p>Programs with the same behaviour (an FEC fingerprint, "
                    "or equal metrics and text) are one entry, shown by the smallest of those tied with its fittest "
                    "(within float rounding; then the earliest); those ranked lower that read the same as shown "
                    "are named in it." + (f" The first is the run's answer (--select {escape(select)}), then the "
                                          "fittest others." if chosen else "") + "</p>", *cards)


def _diff(run: Run, row: Row) -> str:
    parent = data.best_parent(run, row)
    if parent is None:
        return f'<p class="t-dim">No parent: made by {escape(row.operator)}.</p>'
    before, after = data.evolved(run, parent), data.evolved(run, row)
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1))[2:]
    head = (f"<p>Made by <b>{escape(row.operator)}</b> from its parent {escape(parent.hash[:12])}; "
            "the changes:</p>")
    if not lines:
        return head + '<p class="t-dim">(the same text)</p>'
    css = {"+": ("add", "t-add"), "-": ("del", "t-del"), "@": ("hunk", "")}
    out = []
    for line in lines:
        block, mark = css.get(line[:1], ("same", ""))
        text = escape(line) if block == "hunk" else f'<span class="{mark}">{escape(line[:1])}</span>' \
            + render.html(render.code_line(line[1:]))
        out.append(f'<span class="{block}">{text}</span>')
    return head + f'<pre class="diff">{"".join(out)}</pre>'


def _shape(run: Run, select: str = data.DEFAULT_SELECTION) -> str:
    """Fitness against size (the Pareto front NSGA-II works on), and the size distribution over the run; the front's
    program rule ``select`` picks (``--select``, PySR's pick by default) is named."""
    windows = data.size_distribution(run)

    def q(v: tuple[float, float, float] | None) -> str | None:
        return None if v is None else " / ".join(f"{x:g}" for x in v)

    table = _table(((f"{w.first}–{w.last}", w.candidates, q(w.evaluated), w.measured, q(w.simplified))
                    for w in windows),
                   ("candidates (seq)", "count", "evaluated size: 25% / median / 75%", "measured",
                    "simplified size: 25% / median / 75%"))
    front = data.front(run)
    scored = bool(front) and front[0][1] is not None
    pick = front[data.selected([{"score": s, "metrics": g.representative.metrics} for g, s in front], select)][0] \
        if scored else None
    listed = _table(((g.representative.size, g.representative.fitness, *([score] if scored else []),
                      g.representative.hash[:12], " ".join(data.evolved(run, g.representative).split()))
                     for g, score in front),
                    ("size", data.fitness_label(run), *(["score"] if scored else []), "hash", "program"))
    return _section("Fitness and size", _img(plots.pareto(run), "fitness against size"),
                    "<p>Each scored program (distinct text) by its size (nodes of the evolved definitions"
                    + (f", {data.SCALING_UNCOUNTED}" if front and data.scaling_uncounted(
                        front[-1][0].representative.program, front[-1][0].representative.size) else "") + ") and "
                    "fitness; the line joins the Pareto front of behaviours: none is both smaller and fitter "
                    f"(<code>{escape(command(run, 'best', '--front', select))}</code>, listed below"
                    + (", with PySR's score, the log train MSE a node buys" if scored else "") + ")"
                    + (f"; {_picked(select)} is "
                    f"{escape(pick.representative.hash[:12])} (size {pick.representative.size})"
                    if pick is not None else "") + ".</p>", listed,
                    _img(plots.sizes(run, windows), "size over the candidates"),
                    "<p>Size over the run, per window of candidates (up to 100 measured per window, evenly "
                    "spaced): the quartiles of the evolved definitions' size in the program as evaluated (for a "
                    "fitted formula: with its fitted constants and linear scaling) and in the same program "
                    "simplified. Dots: each candidate's size as the size limit and parsimony read it.</p>",
                    table)


def _picked(select: str) -> str:
    """The front's program rule ``select`` picks, in words, as the report's "Fitness and size" names it."""
    if select == "best":
        return "PySR's pick, the highest score within 1.5 times the least train MSE,"
    return f"the answer by --select {select}, {summary.SELECT_RULES[select]},"


def _meta_shape(run: Run) -> str:
    """A meta run's sizes: its candidates are inner runs, each scored by its AUC on its own task (``mlevolve best DB
    --front`` refuses such an archive; older ones kept text lengths in ``size``), so no front is drawn: only the
    size of the inner runs' best programs over the run, measured from their text."""
    windows = data.size_distribution(run)
    table = _table(((f"{w.first}–{w.last}", w.candidates, " / ".join(f"{x:g}" for x in w.evaluated), w.measured)
                    for w in windows),
                   ("candidates (seq)", "count", "size: 25% / median / 75%", "measured"))
    return _section("Size", "<p>A meta run's candidates are inner runs, each scored by its AUC on its own task: "
                    "there is no front of fitness against size (<code>"
                    f"{escape(command(run, 'best', '--front'))}</code> says so). The size of the inner runs' best "
                    "programs (nodes of the evolved definitions) over the run, per "
                    "window of candidates (up to 100 measured per window, evenly spaced):</p>",
                    _img(plots.sizes(run, windows, limit=False), "size over the candidates"), table)


def _lineage(run: Run, limit: int, select: str = data.DEFAULT_SELECTION) -> str:
    """The ancestors of the run's answer by rule ``select`` (:func:`mlevolve.report.data.chosen`), or of the best
    program where the answer is the fittest."""
    groups = data.behaviours(run)
    if not groups:
        return ""
    pick = data.chosen(run, select)
    best = (groups[0] if pick is None else pick).representative
    graph, left_out = data.lineage(run, best, limit)
    more = f" {left_out} earlier ancestors are not drawn." if left_out else ""
    whose = "the best program" if pick is None else f"the answer (--select {select})"
    fittest = "" if pick is None else f" The fittest, {groups[0].representative.hash[:12]}, is not the answer: " \
        f"{command(run, 'show', groups[0].representative.hash[:12])} gives its ancestry."
    intro = (f"<p>Ancestors of {escape(whose)} {escape(best.hash[:12])} through the parents column "
             f"({graph.number_of_nodes() - 1} drawn), oldest at the top.{escape(more + fittest)}</p>")
    return _section(f"Lineage of {whose}", intro, f'<div class="scroll">{lineage.svg(graph, best.hash)}</div>')


def _meta_fitness(run: data.Run) -> str:
    """What a meta run's generations' best fitness is (``[meta] fitness``): "AUC gain over base" (paired, the
    default and an archive's written before the setting was stored) or "AUC"."""
    settings = run.meta.get("meta_settings")
    mode = settings.get("fitness", "paired") if isinstance(settings, Mapping) else "paired"
    return "AUC gain over base" if mode == "paired" else "AUC"


def _meta_generations(entries: Sequence[Mapping[str, Any]], fitness: str = "AUC gain over base") -> str:
    if not entries:
        return _section("Meta-generations", "<p>The archive's meta_generations entry has no readable entries.</p>")

    def top(counts: Any, k: int = 6) -> str:
        if not isinstance(counts, Mapping):
            return "—"
        ranked = sorted(counts.items(), key=lambda kv: -float(kv[1]))
        return ", ".join(f"{name} {float(v):g}" for name, v in ranked[:k])

    table = _table(((e["generation"], e.get("grammar_size"), e.get("rules"), e.get("best_fitness"),
                     e.get("validation_auc"), top(e.get("rule_usage")), top(e.get("operators")),
                     top(e.get("operator_success"))) for e in entries),
                   ("meta-generation", "grammar size", "rules", f"best fitness ({fitness})", "validation AUC",
                    "most used rules",
                    "operator portfolio (share)", "operator success"))
    credit = [(e["generation"], ", ".join(map(str, c.get("names") or [])), text, c.get("trials"),
               c.get("successes"), c.get("share"), c.get("carriers"), c.get("best_rank"), c.get("age"),
               "yes" if c.get("kept") else "no")
              for e in entries if isinstance(e.get("operator_credit"), Mapping)
              for text, c in e["operator_credit"].items() if isinstance(c, Mapping) and c.get("evolved")]
    # an operator is its program: its name is its grammar's own (two individuals may each call theirs op0)
    credit_table = _table(credit, ("meta-generation", "names in their grammars", "evolved operator", "trials",
                                   "successes", "share of mutations", "carriers", "best rank", "age", "kept")) \
        if credit else \
        "<p>No evolved operator was carried by any meta-individual.</p>" if any(
            "operator_credit" in e for e in entries) else ""
    figure = plots.meta_generations(entries)
    return _section("Meta-generations: grammar and operators", *([_img(figure, "grammar growth")] if figure else []),
                    table, *(["<h3>Evolved operators' credit (all inner runs of the meta-generation)</h3>",
                              credit_table] if credit_table else []))
