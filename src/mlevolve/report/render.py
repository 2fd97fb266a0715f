"""The one rendering of programs and candidates, shared by ``best``, ``show`` and the HTML report.

Everything is first a *token list*: ``(kind, text)`` pairs whose kinds say what a piece of text
is (a keyword, a number, a hash, a fitness...).  Two back ends format token lists: :func:`ansi`
for a terminal (colours only when asked for, so piped output stays plain) and :func:`html`
(spans with CSS classes, text escaped).  Joining the texts alone gives the plain form.
"""

from __future__ import annotations

import html as _html
import itertools
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from mlevolve.dsl.kinds import KINDS
from mlevolve.dsl.parse import KEYWORDS
from mlevolve.dsl.types import BASE_TYPES
from mlevolve.messages import counted
from mlevolve.report.summary import which
from mlevolve.results import METRIC_DIGITS, fitness_metric, shown_metric, tied

Token = tuple[str, str]
Line = list[Token]

# One alternative per token class of the .mlev lexicon (see dsl/mlev.lark); `op` takes any other character.
_LEXEME = re.compile(r"(?P<comment>#.*)|(?P<string>\"[^\"\n]*\")|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                     r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<space>\s+)|(?P<op>.)")
_KEYWORDS = frozenset(KEYWORDS)
_KINDS = frozenset(KINDS)
_TYPES = frozenset(BASE_TYPES)

_ANSI = {"keyword": "1;35", "kind": "1;34", "def": "1", "type": "36", "call": "33", "number": "32",
         "string": "32", "comment": "2;3", "hash": "33", "fitness": "1;32", "failure": "31", "dim": "2",
         "label": "1", "add": "32", "del": "31"}


def code_line(text: str) -> Line:
    """The tokens of one line of ``.mlev`` text."""
    out: Line = []
    previous = ""  # the last word or operator, for definition names and calls
    for m in _LEXEME.finditer(text):
        kind, piece = m.lastgroup or "op", m[0]
        if kind == "word":
            rest = text[m.end():]
            if piece in _KEYWORDS:
                kind = "keyword"
            elif piece in _KINDS and not out:
                kind = "kind"
            elif previous in _KINDS and out and out[0][0] == "kind":
                kind = "def"
            elif piece in _TYPES:
                kind = "type"
            elif rest.startswith("("):
                kind = "call"
            else:
                kind = "name"
        if kind != "space":
            previous = piece
        elif not out:
            kind = "indent"
        out.append((kind, piece))
    return out


def code(text: str) -> list[Line]:
    """The tokens of ``.mlev`` text, line by line."""
    return [code_line(line) for line in text.splitlines()]


def number(value: float | None, digits: int = METRIC_DIGITS) -> str:
    """A metric's value as every command shows it (:func:`mlevolve.results.shown_metric`), "—" for none."""
    return "—" if value is None else shown_metric(value, digits)


def metrics_text(metrics: Mapping[str, Any], digits: Mapping[str, int] | None = None) -> str:
    """A candidate's metrics on one line, without the fitness and time; a metric with no value (a meta run's
    ``evals_to_target`` where the target was never reached) as "—", not Python's ``None``; ``digits``: a metric's
    significant digits where it is not :data:`~mlevolve.results.METRIC_DIGITS` (:func:`apart_digits`)."""
    return ", ".join(f"{k} {number(v, (digits or {}).get(k, METRIC_DIGITS))}" if v is None or isinstance(v, float)
                     else f"{k} {v}" for k, v in metrics.items() if k not in ("fitness", "train_seconds"))


def apart_digits(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, int]]:
    """For each row of a ranked list (``best``, ``show``, the report's top programs: dicts with ``fitness`` and
    ``metrics``), the significant digits of each value that reads as another row's at
    :data:`~mlevolve.results.METRIC_DIGITS` but is not equal to it: as many as tell the values apart (``0.00012346``
    and ``0.00012346``, ranked apart, read ``0.0001234567`` and ``0.0001234568``); empty for every other row
    and value, shown as everywhere (values equal within float rounding, :func:`~mlevolve.results.tied`, are a tie:
    shown alike, as the list ranks them).  Keys: the metrics' names, and
    ``fitness``."""
    out: list[dict[str, int]] = [{} for _ in rows]
    keys = dict.fromkeys(k for r in rows for k in ("fitness", *(r.get("metrics") or {})))
    for key in keys:
        alike: dict[str, list[tuple[int, float]]] = {}
        for i, r in enumerate(rows):
            v = r.get("fitness") if key == "fitness" else (r.get("metrics") or {}).get(key)
            if isinstance(v, float) and math.isfinite(v):
                alike.setdefault(shown_metric(v), []).append((i, v))
        for same in alike.values():
            apart = [(a, b) for (_, a), (_, b) in itertools.combinations(same, 2) if not tied(a, b)]
            digits = METRIC_DIGITS
            while digits < 17 and any(shown_metric(a, digits) == shown_metric(b, digits) for a, b in apart):
                digits += 1
            if digits > METRIC_DIGITS:
                for i, _ in same:
                    out[i][key] = digits
    return out


def scored(fitness: float, metrics: Mapping[str, Any] | None, digits: Mapping[str, int] | None = None
           ) -> tuple[str, str]:
    """``(name, value)`` of a candidate's score as every line shows it, as the summary and the progress do
    (:func:`mlevolve.results.fitness_metric`): the metric its ``fitness`` is and that metric's value, ``val_mse``
    ``1.4115e-06``, not the signed fitness ``-1.4115e-06`` that ranks it (``--json`` and the API's dicts keep it as
    ``fitness``); ``fitness`` itself where no metric of ``metrics`` is it.  ``digits``: a ranked list's digits of
    its values by key (:func:`apart_digits`)."""
    name = fitness_metric({**(metrics or {}), "fitness": fitness}).name
    value = fitness if name == "fitness" else float((metrics or {})[name])
    shown = (digits or {}).get(name, (digits or {}).get("fitness", METRIC_DIGITS))
    return name, number(value, shown)


def headline(c: Mapping[str, Any], rank: int | None = None) -> Line:
    """``#1  val_mse F  hash H  (candidate S, OPERATOR, generation G)`` for a candidate dict (see ``data.describe``:
    its score as :func:`scored` names it);
    a meta run's row, an inner run, in its own terms: ``(inner run S of generator DIGEST on TASK, meta-generation G)``
    (meta67: it read "candidate S", "generation G"); a pruned best: ``(the prune of
    candidate S)``, ranked with why it is first where another reads fitter (``first``); the run's answer by a
    ``--select`` rule that is not the fittest (``selected``, :func:`mlevolve.api.best`): ``#1 (answer, --select
    best)``; ``digits``: a ranked list's digits of its values (:func:`apart_digits`), where not the rule's."""
    answer = [("label", f" (answer, --select {c['selected']})")] if c.get("selected") else []
    out: Line = [("label", f"#{rank}"), *answer, ("text", "  ")] if rank is not None else []
    if c["fitness"] is None:
        out += [("failure", f"failed: {c.get('failure') or 'no fitness'}")]
    else:
        name, value = scored(c["fitness"], c.get("metrics"), c.get("digits"))
        out += [("text", f"{name} "), ("fitness", value)]
    first = f"; {c['first']}" if c.get("first") and rank is not None else ""  # a pruned best ranked first: why
    where = f"  ({which(c)}{first})" if c.get("source") == "pruned" else \
        f"  (inner run {c['seq']} of generator {c['operator']} on {c['task']}, meta-generation {c['generation']})" \
        if "task" in c else f"  (candidate {c['seq']}, {c['operator']}, generation {c['generation']})"
    return [*out, ("text", "  hash "), ("hash", c["hash"][:12]), ("dim", where)]


def ancestor_line(a: Mapping[str, Any]) -> Line:
    """One step of an ancestry: hash, operator, generation, fitness (see ``data.ancestry``), and where the program
    is one the chain holds further back (an edit its canonical form undid), which (its hash was shown twice, unsaid)."""
    if a.get("missing"):
        return [("text", "<- "), ("hash", a["hash"][:12]), ("dim", "  (not in the archive)")]
    name, value = scored(a["fitness"], a.get("metrics")) if a["fitness"] is not None else ("fitness", "")
    fitness = ("fitness", value) if a["fitness"] is not None else ("failure", "failed")
    again = [("dim", f"  (made again: the program of generation {a['again']})")] if a.get("again") is not None else []
    return [("text", "<- "), ("hash", a["hash"][:12]), ("text", f"  {a['operator']:<10} generation "),
            ("number", str(a["generation"])), ("text", f"  {name} "), fitness, *again]


def indented(lines: Iterable[Line], prefix: str = "    ") -> list[Line]:
    return [[("indent", prefix), *line] if line else [] for line in lines]


def candidate(c: Mapping[str, Any], rank: int | None = None, text: str | None = None) -> list[Line]:
    """The block ``best`` prints for a candidate: headline, metrics, then the program (default: its evolved part)."""
    body = c["evolved"] if text is None else text
    measured = metrics_text(c["metrics"], c.get("digits"))  # none for a failed candidate: no line of blanks
    return [headline(c, rank), *([[("indent", "    "), ("dim", measured)]] if measured else []), *pruned_line(c),
            *same_line(c), *indented(code(body))]


def pruned_line(c: Mapping[str, Any]) -> list[Line]:
    """``pruned from candidate 1234 (hash H): 17 -> 7 nodes, val_mse 2.1e-15 -> 0`` for a pruned best (else none)."""
    return [[("indent", "    "), ("dim", c["pruned"])]] if c.get("pruned") else []


def same_line(c: Mapping[str, Any], shown: int = 4) -> list[Line]:
    """``+ K more programs with the same behaviour: H1, H2, ...`` (``with its candidate's behaviour`` for a pruned
    best), then ``+ K more programs shown alike, ranked lower: H1 (fitness F1), ...`` (``data.distinct``);
    no line for none."""
    same, alike = c.get("same") or [], c.get("alike") or []
    out: list[Line] = []
    if same:
        more = ", ..." if len(same) > shown else ""
        whose = "its candidate's" if c.get("source") == "pruned" else "the same"  # a pruned best: see data.describe
        out.append([("indent", "    "), ("dim", f"+ {counted(len(same), 'more program')} with {whose} behaviour: "
                                                + ", ".join(h[:12] for h in same[:shown]) + more)])
    if alike:
        more = ", ..." if len(alike) > shown else ""
        listed = ", ".join(f"{a['hash'][:12]} ({_fitness(a['fitness'], a.get('metrics'))})" for a in alike[:shown])
        out.append([("indent", "    "), ("dim", f"+ {counted(len(alike), 'more program')} shown alike, ranked lower: "
                                                f"{listed}{more}")])
    return out


def _fitness(value: float | None, metrics: Mapping[str, Any] | None = None) -> str:
    return "failed" if value is None else " ".join(scored(value, metrics))


# -- back ends ------------------------------------------------------------------------------------------
def plain(line: Line) -> str:
    return "".join(text for _, text in line)


def ansi(line: Line, color: bool = True) -> str:
    """One line for a terminal; with ``color`` False, the plain text."""
    if not color:
        return plain(line)
    return "".join(f"\x1b[{_ANSI[k]}m{t}\x1b[0m" if k in _ANSI and t else t for k, t in line)


def use_color(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set or ``TERM=dumb``."""
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def html(line: Line) -> str:
    """One line as HTML: each token a ``<span class="t-KIND">``, its text escaped."""
    return "".join(f'<span class="t-{k}">{_html.escape(t)}</span>' if k in _ANSI else _html.escape(t)
                   for k, t in line)


def html_block(lines: Sequence[Line]) -> str:
    return "\n".join(html(line) for line in lines)
